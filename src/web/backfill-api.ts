import type { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { findDetection } from '../detections/content.js';
import type { Detection } from '../detections/detection.js';
import { VigilError } from '../errors.js';
import { printable } from '../outputs/printable.js';
import type { BackfillLine } from './api-types.js';
import { errorJson, fail, jsonBody, parseBound, type ApiDeps, type ApiEnv } from './context.js';

/** A progress line at least this often while runs execute, so clients and proxies see the stream alive. */
const PROGRESS_MS = 10_000;

const EXAMPLE = '{"from": "-24h", "to": "now", "detections": ["..."], "actions": true}';

/**
 * `POST /api/backfill`: the server's scheduler executes the scheduled runs of a period, exactly as
 * `vigil backfill` does locally (same plan, same executeRun, in the scheduler's worker, alert actions
 * through the server's routes unless `actions: false`). Streams NDJSON: `{"run": {...}}` per executed
 * run, `{"progress": {...}}` every 10 s, then `{"done": {...totals}}` or `{"error": {...}}`. Problems
 * found before it starts are 400 (bad request, `BACKFILL_LIMIT`, unknown detection) or 409 (`BACKFILL_BUSY`).
 */
export function backfillRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const now = deps.now ?? (() => Date.now() / 1000);

  app.post('/api/backfill', async (c) => {
    const scheduler = deps.backfill;
    if (!scheduler) return fail(c, 503, 'UNAVAILABLE', 'this server runs no scheduler');
    const body = await jsonBody(c);
    if (!body) return fail(c, 400, 'USAGE', `the body must be a JSON object: ${EXAMPLE}`);
    let plan;
    let actions: boolean;
    try {
      const t = now();
      const tz = deps.tz ?? 'UTC';
      const bound = (name: 'from' | 'to') => {
        const v = body[name];
        if (typeof v !== 'number' && typeof v !== 'string') throw new VigilError('USAGE', `"${name}" is required: epoch seconds, ISO 8601 or a modifier such as -24h`);
        const b = parseBound(String(v), t, tz, name);
        if (b === null) throw new VigilError('USAGE', `"${name}" must name a time`);
        return b;
      };
      const from = bound('from');
      const to = bound('to');
      if (body['actions'] !== undefined && typeof body['actions'] !== 'boolean') throw new VigilError('USAGE', '"actions" must be true or false');
      actions = body['actions'] !== false;
      plan = scheduler.planBackfill(from, to, selected(deps, body['detections']));
    } catch (e) {
      return c.json({ error: errorJson(e) }, 400);
    }
    // Started before the response so that the busy check and the start cannot interleave with another request.
    if (scheduler.backfillRunning) return fail(c, 409, 'BACKFILL_BUSY', 'a backfill is already running on this server; wait for it to end');
    const abort = new AbortController();
    const early: BackfillLine[] = [];
    let send = (line: BackfillLine): void => void early.push(line);
    let ran = 0;
    const work = scheduler.backfill(plan, {
      actions,
      signal: abort.signal,
      onRun: (run) => {
        ran++;
        send({ run });
      },
    });
    c.header('Content-Type', 'application/x-ndjson; charset=utf-8');
    return stream(c, async (s) => {
      // A client that goes away stops the backfill after its current run (what ran stays committed).
      s.onAbort(() => abort.abort());
      const line = (l: BackfillLine) => s.write(JSON.stringify(l) + '\n');
      send = (l) => void line(l);
      for (const l of early) send(l);
      const timer = setInterval(() => send({ progress: { ran, runs: plan.length } }), PROGRESS_MS);
      try {
        await line({ done: await work });
      } catch (e) {
        await line({ error: errorJson(e) });
      } finally {
        clearInterval(timer);
      }
    });
  });
}

/** The request's detections (names or ids), each resolved in the server's content; undefined: the enabled ones. */
function selected(deps: ApiDeps, v: unknown): Detection[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new VigilError('USAGE', '"detections" must be a list of detection names or ids');
  const pack = deps.content();
  return v.map((k) => {
    const d = findDetection(pack, k);
    // Echoed as text (vigil backfill prints it): a control character in the name must not reach a terminal.
    if (!d) throw new VigilError('CONTENT_NOT_FOUND', `no detection named "${printable(k)}"`);
    return d;
  });
}
