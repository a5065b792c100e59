/**
 * Tetragon JSON lines → Events: event kind, the sourcetype the Splunk add-on assigns, `_time` from
 * the RFC3339 `time`, `host` from `node_name`. No field extraction happens here (see normalize/).
 */
import type { Event } from '../events/event.js';

/** Envelope keys that sit next to the event body in every GetEventsResponse (events.proto). */
const ENVELOPE_KEYS = new Set(['node_name', 'time', 'cluster_name', 'node_labels', 'aggregation_info']);

/** The common kinds, tried first with direct property reads (cheaper than iterating keys). */
const COMMON_KINDS = ['process_exec', 'process_exit', 'process_kprobe', 'process_connect'] as const;

export type TetragonKind = 'process_exec' | 'process_exit' | 'process_kprobe' | 'process_connect' | (string & {});

export const SOURCETYPE_PROCESS_EXEC = 'cisco:isovalent:processExec';
export const SOURCETYPE_PROCESS_CONNECT = 'cisco:isovalent:processConnect';
export const SOURCETYPE_ISOVALENT = 'cisco:isovalent';

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The event kind: the top-level key holding the event body (`process_exec`, `process_kprobe`, …).
 * Unknown kinds (process_tracepoint, process_lsm, rate_limit_info, …) are the first top-level key,
 * other than the envelope keys, whose value is an object. Null when there is none.
 */
export function eventKind(json: unknown): TetragonKind | null {
  if (!isJsonObject(json)) return null;
  for (const k of COMMON_KINDS) if (isJsonObject(json[k])) return k;
  for (const k in json) {
    if (!ENVELOPE_KEYS.has(k) && isJsonObject(json[k])) return k;
  }
  return null;
}

/**
 * The sourcetype the Cisco Security Cloud add-on gives an event (isovalent-content.md §3: everything
 * arrives as `cisco:isovalent` and the add-on splits out process_exec and process_connect).
 */
export function tetragonSourcetype(kind: string | null): string {
  if (kind === 'process_exec') return SOURCETYPE_PROCESS_EXEC;
  if (kind === 'process_connect') return SOURCETYPE_PROCESS_CONNECT;
  return SOURCETYPE_ISOVALENT;
}

// RFC3339: date, `T` (or `t`/space, RFC3339 §5.6 note), time, any number of fraction digits, `Z` or ±hh:mm.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil; Date.UTC maps years 0–99 to 19xx). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/**
 * Parses an RFC3339 timestamp (`2023-10-06T22:03:57.700326678Z`, `2022-01-19T11:16:29.378+02:00`) into
 * epoch seconds with microsecond precision. Sub-microsecond digits are truncated, never rounded, so a
 * time never moves into the next microsecond (or second). Null when the text is not valid RFC3339.
 */
export function parseTetragonTime(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  // Second 60 is a leap second (RFC3339 allows it); it lands on the next minute's :00, as in Splunk.
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return null;
  let secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return null;
    secs -= (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const micros = m[7] ? Number((m[7] + '00000').slice(0, 6)) : 0;
  // Integer microseconds, then one division: the nearest double to the exact decimal value.
  return (secs * 1_000_000 + micros) / 1_000_000;
}

export interface ToEventContext {
  index: string;
  source: string;
  /** Overrides the add-on's sourcetype assignment. */
  sourcetype?: string;
  /** Overrides `node_name`. */
  host?: string;
  /** Host when there is no override and no `node_name`. */
  defaultHost: string;
  /** `_time` for an event without `time` (the previous event's time, else mtime/now). Called only when needed. */
  fallbackTime: () => number;
}

export type ToEventOutcome =
  | { ok: true; event: Event; missingTime: boolean }
  | { ok: false; reason: string };

/**
 * Builds an Event from one line. `_raw` is the line exactly; `json` keeps the parse for normalize/.
 * A missing (or null) `time` is not malformed: upstream's own testdata has such events.
 */
export function toEvent(line: string, ctx: ToEventContext): ToEventOutcome {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  if (!isJsonObject(json)) return { ok: false, reason: 'not a JSON object' };

  const t = json['time'];
  let time: number | null;
  let missingTime = false;
  if (t === undefined || t === null) {
    time = ctx.fallbackTime();
    missingTime = true;
  } else {
    time = typeof t === 'string' ? parseTetragonTime(t) : null;
    if (time === null) return { ok: false, reason: `bad time ${typeof t === 'string' ? `"${t}"` : JSON.stringify(t)}` };
  }

  const nodeName = json['node_name'];
  const event: Event = {
    _time: time,
    index: ctx.index,
    sourcetype: ctx.sourcetype ?? tetragonSourcetype(eventKind(json)),
    source: ctx.source,
    host: ctx.host ?? (typeof nodeName === 'string' && nodeName !== '' ? nodeName : ctx.defaultHost),
    _raw: line,
    json,
  };
  return { ok: true, event, missingTime };
}
