/**
 * Tetragon JSON lines → Events: event kind, the sourcetype the Splunk add-on assigns, `_time` from
 * the RFC3339 `time`, `host` from `node_name`. No field extraction happens here (see normalize/).
 */
import type { Event } from '../events/event.js';
import { T_ESCAPED, T_NULL, T_STRING } from '../normalize/json-scan.js';
import { S_NODE_NAME, S_TIME, spanString, spanText, spanType, spansKind, type IndexedEvent } from '../normalize/tetragon-index.js';
import { eventKind, isJsonObject } from '../normalize/tetragon-kind.js';

export const SOURCETYPE_PROCESS_EXEC = 'cisco:isovalent:processExec';
export const SOURCETYPE_PROCESS_CONNECT = 'cisco:isovalent:processConnect';
export const SOURCETYPE_ISOVALENT = 'cisco:isovalent';

/**
 * The sourcetype the Cisco Security Cloud add-on gives an event (isovalent-content.md §3: everything
 * arrives as `cisco:isovalent` and the add-on splits out process_exec and process_connect).
 */
export function tetragonSourcetype(kind: string | null): string {
  if (kind === 'process_exec') return SOURCETYPE_PROCESS_EXEC;
  if (kind === 'process_connect') return SOURCETYPE_PROCESS_CONNECT;
  return SOURCETYPE_ISOVALENT;
}

function digits(text: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = text.charCodeAt(i) - 48; // NaN past the end
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

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
 * Accepted: `YYYY-MM-DD`, `T` (or `t`/space, RFC3339 §5.6 note), `hh:mm:ss`, any number of fraction
 * digits, `Z`/`z` or `±hh:mm`. Read character by character: a regex made it a tenth of the read path.
 */
export function parseTetragonTime(text: string): number | null {
  const n = text.length;
  if (n < 20) return null;
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  const t = text.charCodeAt(10);
  if (
    (y | mo | d | h | mi | s) < 0 ||
    text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (t !== 84 && t !== 116 && t !== 32) ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58
  ) {
    return null;
  }
  let i = 19;
  let micros = 0;
  if (text.charCodeAt(i) === 46) {
    const from = ++i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === from) return null;
    for (let k = 0; k < 6; k++) micros = micros * 10 + (from + k < i ? text.charCodeAt(from + k) - 48 : 0);
  }
  let offset = 0;
  const z = text.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== n) return null;
  } else if (z === 43 || z === 45) {
    const oh = digits(text, i + 1, 2);
    const om = digits(text, i + 4, 2);
    if (i + 6 !== n || oh < 0 || om < 0 || text.charCodeAt(i + 3) !== 58) return null;
    if (oh > 23 || om > 59) return null;
    offset = (z === 45 ? -1 : 1) * (oh * 3600 + om * 60);
  } else {
    return null;
  }
  // Second 60 is a leap second (RFC3339 allows it); it lands on the next minute's :00, as in Splunk.
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return null;
  const secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  // Integer microseconds, then one division: the nearest double to the exact decimal value.
  return (secs * 1_000_000 + micros) / 1_000_000;
}

/**
 * The host a `node_name` value gives: null when it is not a non-empty string. A lone surrogate escape (`"\ud800"`,
 * valid JSON) has no UTF-8 form and becomes U+FFFD, as Splunk keeps text in UTF-8: written to the store it came back
 * as three U+FFFD (its bytes ED A0 80), so the same line had another host read from a file than from the store.
 */
export function nodeNameHost(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  return v.isWellFormed() ? v : v.toWellFormed();
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
  /** `badTime`: a `time` that is not RFC 3339 (as the line spells it); the event then got `fallbackTime` too. */
  | { ok: true; event: Event; missingTime: boolean; badTime?: string }
  | { ok: false; reason: string };

/**
 * JSON.parse of a line, or the reason it is not JSON (`not JSON: <JSON.parse's message>`). A line that is not JSON
 * throws, and the stack trace V8 captured for the error (never shown) was ~6 us of the ~7 us such a line cost (1M
 * lines of garbage took 6.6 s of CPU, now 3.3 s).
 */
export function parseJsonLine(line: string): { json: unknown } | string {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return { json: JSON.parse(line) as unknown };
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * Builds an Event from one line. `_raw` is the line exactly; `json` keeps the parse for normalize/.
 * A missing (or null) `time` is not malformed: upstream's own testdata has such events.
 */
export function toEvent(line: string, ctx: ToEventContext): ToEventOutcome {
  const parsed = parseJsonLine(line);
  if (typeof parsed === 'string') return { ok: false, reason: parsed };
  const json = parsed.json;
  if (!isJsonObject(json)) return { ok: false, reason: 'not a JSON object' };

  const t = json['time'];
  let time: number | null;
  let missingTime = false;
  let badTime: string | undefined;
  if (t === undefined || t === null) {
    time = ctx.fallbackTime();
    missingTime = true;
  } else {
    time = typeof t === 'string' ? parseTetragonTime(t) : null;
    if (time === null) {
      // Splunk keeps an event whose timestamp it cannot read, dated as one without a timestamp (previous event, mtime).
      badTime = typeof t === 'string' ? `"${t}"` : JSON.stringify(t);
      time = ctx.fallbackTime();
      missingTime = true;
    }
  }

  const event: Event = {
    _time: time,
    index: ctx.index,
    sourcetype: ctx.sourcetype ?? tetragonSourcetype(eventKind(json)),
    source: ctx.source,
    host: ctx.host ?? nodeNameHost(json['node_name']) ?? ctx.defaultHost,
    _raw: line,
    json,
  };
  return badTime === undefined ? { ok: true, event, missingTime } : { ok: true, event, missingTime, badTime };
}

/**
 * toEvent for a line the fast scan indexed (normalize/tetragon-index.ts): the same Event (with `spans`
 * instead of `json`) or the same malformed reason, without JSON.parse. Null when the spans cannot decide
 * (a `time` that is neither a string nor null): the caller then uses toEvent.
 */
export function toEventFromSpans(line: string, spans: number[], ctx: ToEventContext): ToEventOutcome | null {
  let time: number | null;
  let missingTime = false;
  let badTime: string | undefined;
  const tt = spanType(spans, S_TIME);
  if (tt === 0 || tt === T_NULL) {
    time = ctx.fallbackTime();
    missingTime = true;
  } else if (tt === T_STRING || tt === T_ESCAPED) {
    // Only parsed: a view of the line is enough (no copy per event; see detach).
    const t = spanText(line, spans, S_TIME) as string;
    time = parseTetragonTime(t);
    if (time === null) {
      badTime = `"${t}"`; // as toEvent: dated as a time-less event
      time = ctx.fallbackTime();
      missingTime = true;
    }
  } else {
    return null;
  }
  const nodeName = spanString(line, spans, S_NODE_NAME);
  const event: IndexedEvent = {
    _time: time,
    index: ctx.index,
    sourcetype: ctx.sourcetype ?? tetragonSourcetype(spansKind(spans)),
    source: ctx.source,
    host: ctx.host ?? nodeNameHost(nodeName) ?? ctx.defaultHost,
    _raw: line,
    spans,
  };
  return badTime === undefined ? { ok: true, event, missingTime } : { ok: true, event, missingTime, badTime };
}
