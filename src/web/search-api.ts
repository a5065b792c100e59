import type { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { VigilError } from '../errors.js';
import { defaultSearchIndexes } from '../store/default-indexes.js';
import { plan, SplError, type SearchPlan } from '../spl/index.js';
import { printable } from '../outputs/printable.js';
import { warningText } from '../spl/source.js';
import { checkedTime, resolveTimeModifier } from '../spl/time/modifiers.js';
import { canonicalTimeZone } from '../spl/time/zone.js';
import { errorJson, parseBound, searchExecutor, searchName, searchTimeoutMs, type ApiDeps, type ApiEnv } from './context.js';

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
  /** Milliseconds between progress lines (default 250; 0 disables them). */
  progressMs?: number;
  /** The indexes searched when the search names none (default: every event index but risk and notable). */
  indexes?: string[];
  /**
   * Refuse (403 SPL_RISKY_COMMAND) a search holding a command of Splunk's risky list that vigil has, as Splunk's
   * `check_risky_command`: the console sets it for a search that arrived in a link (default false).
   */
  checkRiskyCommands?: boolean;
}

/**
 * The commands of Splunk's list for its SPL safeguards for risky commands that vigil has, and what each can do:
 * a search arriving in a link is not run with them until the user runs it (help.splunk.com, "Commands that trigger
 * SPL safeguards"). The same two a filter macro saved through the API may not add (detections/filter-writers.ts).
 */
const RISKY_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['outputlookup', 'writes lookup files that detections read'],
  ['map', 'runs a search for each result'],
]);

/** The first risky command of `p` or of its subsearches, as an error at its name, or null. */
function riskyCommand(p: SearchPlan): SplError | null {
  for (const st of [p.generating, ...p.stages]) {
    const what = st ? RISKY_COMMANDS.get(st.command.name) : undefined;
    if (st && what)
      return new SplError('SPL_RISKY_COMMAND', `${st.command.name} is a risky command (it ${what}): not run from a link before you read the search`, st.command.nameSpan, p.pipeline.source);
  }
  for (const sub of p.subsearches) {
    const e = riskyCommand(sub.plan);
    if (e) return e;
  }
  return null;
}

/** Why an optional field of the body cannot be used (null counts as absent), or null. */
function badOption(body: SearchRequest): string | null {
  const { limit, progressMs, now, indexes, checkRiskyCommands } = body;
  if (limit != null && !(Number.isInteger(limit) && limit >= 0)) return '"limit" must be a whole number of results (0 or more)';
  if (progressMs != null && !(typeof progressMs === 'number' && Number.isFinite(progressMs) && progressMs >= 0))
    return '"progressMs" must be a number of milliseconds (0 or more; 0: no progress lines)';
  if (now != null && typeof now !== 'number') return '"now" must be a number of epoch seconds';
  if (indexes != null && !(Array.isArray(indexes) && indexes.every((i) => typeof i === 'string'))) return '"indexes" must be a list of index names';
  if (checkRiskyCommands != null && typeof checkRiskyCommands !== 'boolean') return '"checkRiskyCommands" must be true or false';
  return null;
}

/**
 * A time bound of the body: absent, empty or `all` is none; a number in years 1000 to 9999 (1e400 is Infinity);
 * ISO 8601 is read here; the rest is the search's, once its time is known to be in those years too, as every
 * range's and `--earliest`'s is (`-999999999999d` ran, a bound of year -2.7e9). `at`: the time it resolves to (null:
 * none, or a text the search itself reports).
 */
function apiBound(v: string | number | null | undefined, now: number, tz: string, name: string): { bound: string | number | null; at: number | null } {
  if (typeof v === 'number') {
    const at = checkedTime(v, `"${name}"`);
    return { bound: at, at };
  }
  if (typeof v !== 'string') return { bound: v ?? null, at: null };
  const text = v.trim();
  if (text === '' || text === 'all' || /^\d{4}-\d\d-\d\d/.test(text)) {
    const at = parseBound(text, now, tz, name);
    return { bound: at, at };
  }
  let t: number;
  try {
    t = resolveTimeModifier(text, now, tz);
  } catch {
    // Not a modifier: the search reports it (TIME_MODIFIER, at its offset).
    return { bound: v, at: null };
  }
  return { bound: v, at: checkedTime(t, name) };
}

/** A checked time (years 1000 to 9999) in ISO 8601, UTC. */
const isoTime = (t: number): string => new Date(t * 1000).toISOString();

/**
 * `POST /api/search`: results stream as NDJSON lines — `{"result": {...}}` per row, `{"progress": {...}}`
 * about every 250 ms while the search scans, then `{"done": true, "stats": {...}, "warnings": [...]}` or
 * `{"error": {...}, "warnings": [...]}`: the search's warnings as `vigil search` prints them (at most MAX_WARNINGS).
 * `done` adds `columns` when the search's table declared them (chart, timechart, xyseries: RunOutput.columns).
 * Errors found before the search starts (syntax, unknown macro) are a 400 with the error JSON. The search
 * runs on the API's executor (a worker thread in `vigil serve`) with the `search:` limits; the client
 * closing the connection cancels it.
 */
export function searchRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const now = deps.now ?? (() => Date.now() / 1000);

  app.post('/api/search', async (c) => {
    let body: SearchRequest;
    try {
      body = (await c.req.json()) as SearchRequest;
    } catch {
      return c.json({ error: { code: 'USAGE', message: 'the body must be JSON: {"search": "...", "earliest": "-24h", "latest": "now"}' } }, 400);
    }
    if (typeof body?.search !== 'string' || body.search.trim() === '') return c.json({ error: { code: 'USAGE', message: '"search" (SPL text) is required' } }, 400);
    for (const key of ['earliest', 'latest'] as const) {
      const bound: unknown = body[key];
      if (bound !== undefined && bound !== null && typeof bound !== 'string' && typeof bound !== 'number')
        return c.json({ error: { code: 'USAGE', message: `"${key}" must be a time modifier ("-24h", "@d", an epoch) or a number of epoch seconds` } }, 400);
    }
    // Optional numbers and the index list are checked like the bounds: a "2" or "main" was ignored (every row,
    // every index) and a script never knew.
    const bad = badOption(body);
    if (bad) return c.json({ error: { code: 'USAGE', message: bad } }, 400);
    let tz: string;
    try {
      tz = canonicalTimeZone(body.tz ?? deps.tz ?? 'UTC');
    } catch {
      return c.json({ error: { code: 'USAGE', message: `unknown time zone "${String(body.tz)}"` } }, 400);
    }
    const pack = deps.content();
    // ISO 8601 and `all` as every other route's range takes them (docs/api.md, "Time ranges"; they were a 400
    // TIME_MODIFIER here only); modifiers and epochs go on as they are, resolved with the search.
    let t: number;
    let earliest: string | number | null;
    let latest: string | number | null;
    try {
      t = body.now == null ? now() : checkedTime(body.now, '"now"');
      const from = apiBound(body.earliest, t, tz, 'earliest');
      const to = apiBound(body.latest, t, tz, 'latest');
      // As the GET routes' ranges and `vigil search --earliest/--latest`: swapped bounds (a script's) are refused,
      // not a search over nothing answered 200.
      if (from.at !== null && to.at !== null && from.at >= to.at) throw new VigilError('USAGE', `"earliest" (${isoTime(from.at)}) must be before "latest" (${isoTime(to.at)})`);
      earliest = from.bound;
      latest = to.bound;
    } catch (e) {
      return c.json({ error: errorJson(e) }, 400);
    }
    const opts = {
      macros: pack.macros,
      lookups: pack.lookups,
      knowledge: pack.knowledge,
      source: deps.store,
      now: t,
      tz,
      earliest,
      latest,
      defaultIndexes: body.indexes ?? (await defaultSearchIndexes(deps.store)),
    };
    let p: SearchPlan;
    try {
      p = plan(body.search, opts);
    } catch (e) {
      if (e instanceof VigilError) return c.json({ error: errorJson(e) }, 400);
      throw e;
    }
    const risky = body.checkRiskyCommands ? riskyCommand(p) : null;
    if (risky) return c.json({ error: errorJson(risky) }, 403);
    const limit = body.limit ?? Infinity;
    const progressMs = body.progressMs ?? 250;
    c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
    c.header('Cache-Control', 'no-store');
    return stream(c, async (s) => {
      let sent = 0;
      const started = Date.now();
      // One write at a time, in order. Each resolves once the response stream took its text, which it does only
      // as the client reads (node-server waits for 'drain'): the executor counts a chunk of rows as consumed then,
      // and pauses the search's worker while too much is not, so a client that reads slowly (or not at all) holds
      // at most search.maxBufferedBytes of rows here instead of its whole result.
      let writing: Promise<unknown> = Promise.resolve();
      let queued = 0;
      const write = (text: string): Promise<unknown> => {
        queued++;
        writing = writing.then(() => s.write(text)).finally(() => queued--);
        return writing;
      };
      const abort = new AbortController();
      s.onAbort(() => abort.abort());
      // In the trailer, where a client reading rows still finds them; positions in what the user wrote, as in errors.
      const warnings: string[] = [];
      try {
        const { stats, columns } = await searchExecutor(deps).execute(
          { name: searchName(body.search), search: p.pipeline.source.text, now: t, tz, earliest: opts.earliest, latest: opts.latest, defaultIndexes: opts.defaultIndexes },
          searchTimeoutMs(deps),
          {
            signal: abort.signal,
            limit,
            progressMs,
            // Made printable as vigil search prints them: a warning may quote a row's value (control, bidi characters).
            // Once each, as there: a macro used twice raises its warning at two places of the expanded text, one in the macro.
            onWarning: (message, at) => {
              const text = printable(warningText(message, at ? p.pipeline.source.place(at) : null));
              if (!warnings.includes(text)) warnings.push(text);
            },
            // The first scanned batch reports at once; then at most every progressMs, unless the client is
            // still reading earlier lines (a progress line is news only when it arrives).
            onProgress: (scanned) => {
              if (queued === 0) void write(JSON.stringify({ progress: { scanned, results: sent, elapsedMs: Date.now() - started } }) + '\n');
            },
            // Rows come as JSON text from the worker: `{"result": <row>}` without parsing them here. The returned
            // promise tells the executor when this chunk has left.
            onJson: (rows) => {
              let text = '';
              for (const r of rows) text += `{"result":${r}}\n`;
              sent += rows.length;
              return write(text);
            },
          },
        );
        // `columns` only when a chart, timechart or xyseries declared its table's (a row's JSON leaves its empty cells
        // out, so its keys alone put a column where it first has a value): additive, absent otherwise.
        const done = { done: true, stats: { ...stats, results: sent, elapsedMs: Date.now() - started }, warnings, ...(columns ? { columns } : {}) };
        await write(JSON.stringify(done) + '\n');
      } catch (e) {
        // A position found by the worker is in the expanded text: map it back to what the user wrote.
        const err = e instanceof SplError ? new SplError(e.code, e.message, e.span, p.pipeline.source) : e;
        await write(JSON.stringify({ error: err instanceof VigilError ? errorJson(err) : { code: 'INTERNAL', message: (err as Error).message }, warnings }) + '\n');
      }
    });
  });
}
