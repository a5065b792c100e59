import type { Context } from 'hono';
import type { AuthThrottleConfig, ClientIdentityConfig } from '../config/auth-throttle.js';
import { DEFAULTS, type ApiTokenConfig, type HecTokenConfig, type HttpConfig, type IndexConfig } from '../config/config.js';
import type { ContentPack } from '../detections/content.js';
import type { Detection } from '../detections/detection.js';
import { VigilError } from '../errors.js';
import type { Result } from '../events/result.js';
import type { HecStats } from '../hec/index.js';
import type { Scheduler } from '../schedule/scheduler.js';
import { InProcessExecutor, type RunExecutor } from '../schedule/executor.js';
import { defaultSearchIndexes } from '../store/default-indexes.js';
import type { EventStore, StateStore } from '../store/types.js';
import { SplError, type TimeBound } from '../spl/index.js';
import { expandMacros } from '../spl/macros/macros.js';
import { checkedTime, resolveTimeBound } from '../spl/time/modifiers.js';
import type { ApiErrorBody, DataModelStatus, TimeRange } from './api-types.js';
import type { UserConfig } from './users.js';
import type { Principal } from './sessions.js';

/** What the scheduler tells the console (a view of `Scheduler`, so tests can pass a stand-in). */
export interface SchedulerView {
  enabledDetections(): Detection[];
  nextRunOf(d: Detection, now: number): Promise<{ scheduledTime: number; startAt: number } | null>;
  modeOf(d: Detection): 'scheduled' | 'realtime';
}

export interface ApiDeps {
  store: EventStore;
  /** Scheduler state (runs, findings); the console's findings and run pages need it. */
  state?: StateStore;
  /** The current content (detections, macros, lookups); a function so reloads are seen. */
  content: () => ContentPack;
  /** Reloads content after a filter macro was saved; returns the new pack. */
  reloadContent?: () => ContentPack;
  /**
   * Whether API clients may write lookups (`search.outputLookup`): when not true, a filter macro saved through the API
   * may not add `outputlookup` or `map` (scheduled runs, which may write, would run it).
   */
  outputLookup?: boolean;
  /** Where the console saves edited macros (`<dataDir>/content`); null disables editing. */
  userContentDir?: string | null;
  /**
   * A cluster node's store for saved filter macros (the control plane), written before the node's own copy in
   * `userContentDir`: other nodes copy it from there. Absent on one machine.
   */
  shareFilterMacro?: (macro: { name: string; definition: string; description: string }, by: string) => Promise<void>;
  apiTokens: readonly ApiTokenConfig[];
  users?: readonly UserConfig[];
  /** Whether the console is served over TLS (cookies get `Secure`). */
  tls?: boolean;
  scheduler?: SchedulerView;
  /** Enables/disables a detection at run time (persisted); `by`: who asked (the request's user). */
  setEnabled?: (detectionId: string, enabled: boolean, by: string) => void | Promise<void>;
  /** Runs `POST /api/backfill` (the server's scheduler: its executor, its alert routing). */
  backfill?: Pick<Scheduler, 'planBackfill' | 'backfill' | 'backfillRunning'>;
  /**
   * Runs the API's searches (`POST /api/search`, filter previews, console queries) off the main thread,
   * with the config's `search:` limits (`vigil serve`: a WorkerExecutor); default in process (tests).
   */
  executor?: RunExecutor;
  /** Wall-clock limit of those searches, ms (`search.maxTime`; default 5 minutes). */
  searchTimeoutMs?: number;
  hec?: { stats(): HecStats; url?: string | null; tokens: readonly HecTokenConfig[] };
  indexConfig?: Record<string, IndexConfig>;
  /** Data model acceleration status (`vigil serve`'s AccelerationService); absent: no dataset is summarized. */
  datamodels?: { status(): DataModelStatus[] };
  /** Time zone for schedules and rendering (the schedule's). Default UTC. */
  tz?: string;
  /** Directory of the built console (web/dist); null serves no console. */
  staticDir?: string | null;
  /** Epoch seconds; injectable for tests. */
  now?: () => number;
  /** Trusted proxies and the failed-authentication throttle (`http.trustedProxies`, `http.clientIpHeader`, `http.authThrottle`). */
  clientAuth?: ClientIdentityConfig & { authThrottle: AuthThrottleConfig };
  /** Where the API reports what an operator should see (authentication lockouts); default nowhere. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Request body limits and timeouts (`http.maxBodyBytes`, `http.maxLoginBodyBytes`, `http.body*Timeout`); default the config's defaults. */
  requestLimits?: Pick<HttpConfig, 'maxBodyBytes' | 'maxLoginBodyBytes' | 'maxInflightBytes' | 'timeouts'>;
}

export interface ApiEnv {
  Variables: { principal: Principal };
}

export type Ctx = Context<ApiEnv>;

export function splErrorJson(e: SplError): ApiErrorBody {
  const loc = e.location();
  return {
    code: e.code,
    message: e.message,
    ...(loc
      ? {
          line: loc.line,
          column: loc.column,
          offset: loc.offset,
          length: Math.max(1, e.span.end - e.span.start),
          inMacro: loc.origin.kind === 'macro' ? loc.origin.name : null,
        }
      : {}),
    text: e.format(),
  };
}

export function errorJson(e: unknown): ApiErrorBody {
  if (e instanceof SplError) return splErrorJson(e);
  if (e instanceof VigilError) return { code: e.code, message: e.message };
  return { code: 'INTERNAL', message: (e as Error).message ?? String(e) };
}

export function fail(c: Context, status: 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 429 | 500 | 503, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}

/**
 * A count query parameter (`?limit=`, `?top=`): digits, at least 1, capped at `max`; absent or empty: `dflt`.
 * Anything else is a 400 (was read as the default, and `1.5` reached the store: a 500).
 */
export function countParam(c: Context, name: string, dflt: number, max: number): number | Response {
  const v = c.req.query(name);
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1) return fail(c, 400, 'USAGE', `${name} must be a whole number from 1 (at most ${max} are given), not "${v.slice(0, 32)}"`);
  return Math.min(Number(v), max);
}

/**
 * Reads a time bound from a query parameter: epoch seconds, ISO 8601, a modifier (`-24h@h`, `now`), or empty for
 * none; in years 1000 to 9999 (`latest=` 400 nines was Infinity, answered as `"latest": null`).
 */
export function parseBound(text: string | undefined, now: number, tz: string, name: string): number | null {
  if (text === undefined || text.trim() === '' || text === '0' || text === 'all') return null;
  return checkedTime(boundTime(text.trim(), now, tz, name), name);
}

function boundTime(t: string, now: number, tz: string, name: string): number {
  try {
    return resolveTimeBound(t, now, tz);
  } catch (e) {
    throw new VigilError('USAGE', `${name}: ${(e as Error).message}`);
  }
}

/** `?earliest=&latest=` with defaults (last 24 h). */
export function timeRange(c: Context, now: number, tz: string, dflt = '-24h'): TimeRange {
  const e = c.req.query('earliest');
  const l = c.req.query('latest');
  const earliest = parseBound(e === undefined ? dflt : e, now, tz, 'earliest');
  const latest = parseBound(l, now, tz, 'latest') ?? now;
  if (earliest !== null && earliest >= latest) throw new VigilError('USAGE', 'earliest must be before latest');
  return { earliest, latest };
}

const inProcess = new WeakMap<ApiDeps, RunExecutor>();

/** Where the API's searches run: `deps.executor`, else (tests) in process. */
export function searchExecutor(deps: ApiDeps): RunExecutor {
  if (deps.executor) return deps.executor;
  let e = inProcess.get(deps);
  if (!e) inProcess.set(deps, (e = new InProcessExecutor(deps.store, deps.content)));
  return e;
}

/** A search named by its text in messages (`search "index=risk | stats…" exceeded…`). */
export function searchName(spl: string): string {
  const t = spl.replace(/\s+/g, ' ').trim();
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}

/** A search stopped by a `search:` limit: the server refusing (503), not the request's fault nor a bug. */
export function isSearchLimit(e: unknown): boolean {
  return e instanceof VigilError && e.code.startsWith('SPL_LIMIT_');
}

export function searchTimeoutMs(deps: ApiDeps): number {
  return deps.searchTimeoutMs ?? DEFAULTS.search.maxTimeSeconds * 1000;
}

/**
 * Runs a console query over the store (the risk index only when the search names it) through the API's
 * executor, with its limits. With `partialOnAbort`, an abort (a time budget) returns the rows found so far
 * instead of throwing.
 */
export async function querySpl(
  deps: ApiDeps,
  spl: string,
  range: { earliest: TimeBound; latest: TimeBound },
  opts: { now?: number; signal?: AbortSignal; partialOnAbort?: boolean } = {},
): Promise<{ rows: Result[]; aborted: boolean }> {
  const rows: Result[] = [];
  try {
    await searchExecutor(deps).execute(
      {
        name: searchName(spl),
        search: expandMacros(spl, deps.content().macros).text,
        now: opts.now ?? (deps.now ?? (() => Date.now() / 1000))(),
        tz: deps.tz ?? 'UTC',
        earliest: range.earliest,
        latest: range.latest,
        defaultIndexes: await defaultSearchIndexes(deps.store),
      },
      searchTimeoutMs(deps),
      { ...(opts.signal ? { signal: opts.signal } : {}), onRows: (rs) => rs.forEach((r) => rows.push(r)) },
    );
  } catch (e) {
    if (opts.partialOnAbort && opts.signal?.aborted) return { rows, aborted: true };
    throw e;
  }
  return { rows, aborted: false };
}

/** The JSON body of a request, or null when it is not a JSON object. */
export async function jsonBody(c: Context): Promise<Record<string, unknown> | null> {
  try {
    const b: unknown = await c.req.json();
    return typeof b === 'object' && b !== null && !Array.isArray(b) ? (b as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
