import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import type { ApiTokenConfig } from '../config/config.js';
import { TokenSet } from '../config/token-set.js';
import type { ContentPack } from '../detections/content.js';
import { VigilError } from '../errors.js';
import type { Result } from '../events/result.js';
import { defaultSearchIndexes } from '../store/default-indexes.js';
import type { EventStore } from '../store/types.js';
import { plan, SplError, streamSearch } from '../spl/index.js';
import { canonicalTimeZone } from '../spl/time/zone.js';
import { resultToJson } from '../outputs/json.js';

export interface ApiDeps {
  store: EventStore;
  /** The current content (detections, macros, lookups); a function so reloads are seen. */
  content: () => ContentPack;
  apiTokens: readonly ApiTokenConfig[];
  /** Epoch seconds; injectable for tests. */
  now?: () => number;
}

/** The body of `POST /api/search`. */
export interface SearchRequest {
  search: string;
  earliest?: string | number | null;
  latest?: string | number | null;
  tz?: string;
  /** The search time (epoch seconds) relative modifiers resolve against; default now. */
  now?: number;
  /** Stop after this many results (default unlimited). */
  limit?: number;
}

/**
 * The HTTP API of `vigil serve` (documented in docs/api.md). Every route under /api needs an API token:
 * `Authorization: Bearer <token>` (or `Splunk <token>`), compared in constant time.
 */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const tokens = new TokenSet(deps.apiTokens);
  const now = deps.now ?? (() => Date.now() / 1000);

  app.use('/api/*', async (c, next) => {
    const m = /^\s*(Bearer|Splunk)\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    if (!m || tokens.lookup(m[2]!) === null) {
      return c.json({ error: { code: 'UNAUTHORIZED', message: 'an API token is required: Authorization: Bearer <token>' } }, 401);
    }
    await next();
  });

  app.get('/api/health', (c) => c.json({ status: 'ok' }));

  app.get('/api/indexes', (c) => c.json({ indexes: deps.store.indexes() }));

  app.post('/api/search', async (c) => {
    let body: SearchRequest;
    try {
      body = (await c.req.json()) as SearchRequest;
    } catch {
      return badRequest(c, 'USAGE', 'the body must be JSON: {"search": "...", "earliest": "-24h", "latest": "now"}');
    }
    if (typeof body?.search !== 'string' || body.search.trim() === '') return badRequest(c, 'USAGE', '"search" (SPL text) is required');
    let tz: string;
    try {
      tz = canonicalTimeZone(body.tz ?? 'UTC');
    } catch {
      return badRequest(c, 'USAGE', `unknown time zone "${String(body.tz)}"`);
    }
    const pack = deps.content();
    const t = typeof body.now === 'number' ? body.now : now();
    const opts = {
      macros: pack.macros,
      lookups: pack.lookups,
      source: deps.store,
      now: t,
      tz,
      earliest: body.earliest ?? null,
      latest: body.latest ?? null,
      defaultIndexes: defaultSearchIndexes(deps.store),
    };
    let p;
    try {
      p = plan(body.search, opts);
    } catch (e) {
      if (e instanceof VigilError) return badRequest(c, e.code, e.message, e instanceof SplError ? e : undefined);
      throw e;
    }
    const limit = typeof body.limit === 'number' && body.limit >= 0 ? body.limit : Infinity;
    c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
    return stream(c, async (s) => {
      // Results stream as NDJSON lines: {"result": {...}} ..., then {"done": true, "stats": {...}} or {"error": {...}}.
      let buffer = '';
      let sent = 0;
      const flush = async () => {
        if (buffer) {
          const b = buffer;
          buffer = '';
          await s.write(b);
        }
      };
      const abort = new AbortController();
      s.onAbort(() => abort.abort());
      try {
        const stats = await streamSearch(p, { ...opts, signal: abort.signal }, {
          push: (r: Result) => {
            if (sent >= limit) return;
            sent++;
            buffer += JSON.stringify({ result: resultToJson(r, tz) }) + '\n';
            if (buffer.length > 1 << 16) void flush();
          },
          end: () => {},
        });
        buffer += JSON.stringify({ done: true, stats: { ...stats, results: sent } }) + '\n';
      } catch (e) {
        const err = e instanceof SplError ? splErrorJson(e) : { code: e instanceof VigilError ? e.code : 'INTERNAL', message: (e as Error).message };
        buffer += JSON.stringify({ error: err }) + '\n';
      }
      await flush();
    });
  });

  return app;
}

function splErrorJson(e: SplError): Record<string, unknown> {
  const loc = e.location();
  return {
    code: e.code,
    message: e.message,
    ...(loc ? { line: loc.line, column: loc.column, offset: loc.offset, inMacro: loc.origin.kind === 'macro' ? loc.origin.name : null } : {}),
    text: e.format(),
  };
}

function badRequest(c: Context, code: string, message: string, spl?: SplError) {
  return c.json({ error: spl ? splErrorJson(spl) : { code, message } }, 400);
}
