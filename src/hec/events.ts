/**
 * HEC request bodies → Events. Pure functions: a whole batch is validated before anything is stored, and the
 * first invalid event fails the batch with its 0-based number (`invalid-event-number`).
 */
import type { Event, IndexedFields } from '../events/event.js';
import type { HecTokenConfig } from '../config/config.js';
import { INDEX_NAME } from '../config/config.js';
import { nodeNameHost, parseJsonLine, parseTetragonTime, tetragonSourcetype, SOURCETYPE_ISOVALENT } from '../sources/tetragon.js';
import { eventKind, isJsonObject } from '../normalize/tetragon-kind.js';
import { detach } from '../normalize/tetragon-index.js';
import { isoTime } from '../spl/time/modifiers.js';
import { HEC, failure } from './protocol.js';
import { forEachArrayValue, forEachMember, memberSpan, nestsDeeperThan, splitValues, type Span, type ValueSpan } from './json-stream.js';

export const DEFAULT_SOURCETYPE = 'httpevent';

/**
 * Largest `_time` accepted (year 2255): the store keeps exact microseconds only up to there and refuses a
 * batch holding a later event, so such a time is caught here, per event, before the batch reaches it.
 */
export const MAX_EVENT_TIME = 9_000_000_000;

export interface BatchContext {
  token: HecTokenConfig;
  /** Epoch seconds for events without a time. */
  now: number;
  /** Host for events that name none (this machine's name, like a Splunk input's default host). */
  defaultHost: string;
  /**
   * Whether an index exists (the store's catalog); an event for any other index is refused with code 7.
   * Absent: every valid name is accepted and its first batch creates it (`hec.autoCreateIndexes`).
   */
  indexExists?: (name: string) => boolean;
  /**
   * `hec.maxJsonDepth`: a deeper envelope is refused with code 6, a deeper string event or /raw line is kept
   * as text without a look inside, before JSON.parse spends seconds on it.
   */
  maxJsonDepth: number;
  /**
   * Called before each event of the batch is made; throws to refuse the batch (the server charges each event's
   * memory against its in-flight budget: a body of tiny lines is millions of events).
   */
  admit?: () => void;
}

/** The source of HEC events that name none: the token's configured one, else Splunk's default `http:<token name>`. */
export function defaultSource(token: HecTokenConfig): string {
  return token.defaultSource ?? `http:${token.name}`;
}

/**
 * The index an event goes to, or code 7 "Incorrect index" when it is not a valid name, not allowed for the
 * token, or does not exist (Splunk's answer for an index it does not have). `eventNumber` is the 0-based
 * position of the event; Splunk reports it one higher for this code than for the others (a single event for a
 * missing index answers `"invalid-event-number":1`: Splunk Connect for Syslog's troubleshooting page shows
 * that reply to its one-event index check, and mockdr measured `[ok, bad-index]` → 2 on Splunk 10.4.2).
 */
export function resolveIndex(requested: string | undefined, ctx: BatchContext, eventNumber: number): string {
  const { token } = ctx;
  const index = requested === undefined || requested === '' ? token.defaultIndex : requested;
  if (!INDEX_NAME.test(index) || (token.indexes.length > 0 && !token.indexes.includes(index)) || (ctx.indexExists && !ctx.indexExists(index))) {
    throw failure(HEC.INCORRECT_INDEX, eventNumber + 1);
  }
  return index;
}

const TETRAGON_KIND = /^process_|^rate_limit_info$/;

/**
 * The Tetragon event kind of a parsed line, or null when it is not a Tetragon event (a kind key plus the
 * `time` or `node_name` envelope every GetEventsResponse carries), so arbitrary JSON is not re-sourcetyped.
 */
export function tetragonKind(json: unknown): string | null {
  if (!isJsonObject(json)) return null;
  const kind = eventKind(json);
  if (kind === null || !TETRAGON_KIND.test(kind)) return null;
  return 'time' in json || 'node_name' in json ? kind : null;
}

/**
 * The add-on's routing: everything Tetragon arrives as `cisco:isovalent` and process_exec/process_connect are
 * split out (isovalent-content.md §3). Applies when the sourcetype is `cisco:isovalent` or none was given.
 */
function routedSourcetype(given: string | undefined, kind: string | null): string | undefined {
  if (kind !== null && (given === undefined || given === SOURCETYPE_ISOVALENT)) return tetragonSourcetype(kind);
  return given;
}

function hostOf(json: unknown): string | undefined {
  return isJsonObject(json) ? (nodeNameHost(json['node_name']) ?? undefined) : undefined;
}

/** `_time` from a Tetragon event's RFC3339 `time`; null when absent, invalid or out of the storable range. */
function tetragonTime(json: unknown): number | null {
  if (!isJsonObject(json)) return null;
  const t = json['time'];
  const secs = typeof t === 'string' ? parseTetragonTime(t) : null;
  return secs !== null && Math.abs(secs) <= MAX_EVENT_TIME ? secs : null;
}

/**
 * Splunk's MAX_TIMESTAMP_LOOKAHEAD default: timestamp extraction reads an event's first 128 characters only
 * (props.conf: "timestamp extraction is constrained to characters 11 through 20" for 10 after a prefix at 11), so a
 * timestamp must lie within them; one cut by the 128th character is read as far as it goes.
 */
const TIMESTAMP_LOOKAHEAD = 128;
/** Splunk's MAX_DAYS_AGO / MAX_DAYS_HENCE defaults: an extracted date further from now is not the event's time. */
const MAX_DAYS_AGO = 2000;
const MAX_DAYS_HENCE = 2;
/** An ISO 8601 date and time (`2017-01-02 00:00:00`, `2017-01-02T00:00:00.5+01:00`), not inside a longer number. */
const TEXT_TIMESTAMP = /(?<!\d)\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:[Zz]|[+-]\d\d(?::?\d\d)?)?(?!\d)/;

/**
 * `?auto_extract_timestamp=true` for an event that is not Tetragon's: the first ISO 8601 date and time in its first
 * 128 characters, without an offset in UTC, within Splunk's default 2000 days before and 2 days after
 * `now`; else null (the event gets now, as Splunk falls back). Other formats of Splunk's timestamp recognition
 * (syslog, Apache, epoch digits) are not read (docs/api.md).
 */
function textTime(raw: string, now: number): number | null {
  const m = TEXT_TIMESTAMP.exec(raw.slice(0, TIMESTAMP_LOOKAHEAD));
  if (!m) return null;
  const t = isoTime(m[0], 'UTC');
  return t !== null && t >= now - MAX_DAYS_AGO * 86400 && t <= now + MAX_DAYS_HENCE * 86400 ? t : null;
}

/** The JSON object a line holds, or undefined (not JSON, or nested deeper than `maxDepth`: kept as text). */
function parseLine(line: string, maxDepth: number): unknown {
  const c = line.charCodeAt(0);
  if (c !== 0x7b /* { */) {
    const t = line.trimStart();
    if (!t.startsWith('{')) return undefined;
  }
  if (nestsDeeperThan(line, maxDepth)) return undefined;
  const parsed = parseJsonLine(line);
  return typeof parsed === 'string' ? undefined : parsed.json;
}

const DECIMAL_TIME = /^\s*\d+(?:\.\d+)?\s*$/;

/** Envelope `time`: epoch seconds as a number or a numeric string (`"1433188255.500"`), else null. */
export function envelopeTime(value: unknown): number | null {
  let t: number;
  if (typeof value === 'number') t = value;
  else if (typeof value === 'string' && DECIMAL_TIME.test(value)) t = Number(value);
  else return null;
  if (!Number.isFinite(t) || t < 0 || t > MAX_EVENT_TIME) return null;
  return Math.round(t * 1_000_000) / 1_000_000;
}

/**
 * The request's `?time=` (epoch seconds, as an envelope `time`): the `_time` of every /raw line and of /event
 * envelopes without a time (Splunk's Kafka connector posts `/raw?…&time=<epoch s>`). Empty is absent; an unusable
 * one is code 15 at the first event, as an unusable envelope time is.
 */
export function queryTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = envelopeTime(value);
  if (t === null) throw failure(HEC.INDEXED_FIELDS, 0);
  return t;
}

function optionalString(obj: Record<string, unknown>, key: string, eventNumber: number): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  // A lone surrogate (`"\ud800"`) has no UTF-8 form: refused as invalid UTF-8 bytes are (see CONTEXT.md).
  if (typeof v !== 'string' || !v.isWellFormed()) throw failure(HEC.INVALID_DATA_FORMAT, eventNumber);
  return v === '' ? undefined : v;
}

/**
 * Indexed fields: a mapping of flat values (scalars or arrays of scalars), Splunk's rule; else code 15. Kept as text,
 * as Splunk indexes them (`5` -> "5", `true` -> "true"); a null value, or null in an array, is no value. A number
 * keeps the text the client sent (`fieldsSpan`: the `fields` member of the envelope): through a double,
 * 12345678901234567890 became "12345678901234567000" and 1e400 "Infinity" (`_raw` keeps its numbers the same way).
 */
function indexedFields(fields: unknown, eventNumber: number, text: string, fieldsSpan: () => Span | null): IndexedFields | undefined {
  if (fields === undefined || fields === null) return undefined;
  if (!isJsonObject(fields)) throw failure(HEC.INDEXED_FIELDS, eventNumber);
  // Only a field holding a number needs its text: built once, at the first.
  let spans: Map<string, Span> | undefined;
  const valueSpan = (name: string): Span | undefined => {
    if (spans === undefined) {
      spans = new Map();
      const f = fieldsSpan();
      const found = spans;
      if (f !== null) forEachMember(text, f, (n, v) => void found.set(n, v));
    }
    return spans.get(name);
  };
  // No prototype: a field named `__proto__` is a field like any other.
  const out = Object.create(null) as Record<string, string | string[]>;
  let any = false;
  for (const [name, v] of Object.entries(fields)) {
    if (Array.isArray(v)) {
      if (v.some((x) => typeof x === 'object' && x !== null)) throw failure(HEC.INDEXED_FIELDS, eventNumber);
      const texts = v.some((x) => typeof x === 'number') ? elementTexts(text, valueSpan(name), v.length) : undefined;
      const values: string[] = [];
      v.forEach((x, k) => {
        if (x !== null) values.push(typeof x === 'number' ? (texts?.[k] ?? String(x)) : String(x));
      });
      if (values.length === 0) continue;
      out[name] = values.length === 1 ? (values[0] as string) : values;
    } else if (typeof v === 'object' && v !== null) {
      throw failure(HEC.INDEXED_FIELDS, eventNumber);
    } else if (typeof v === 'number') {
      const s = valueSpan(name);
      out[name] = s !== undefined ? detach(text.slice(s.start, s.end)) : String(v);
    } else if (v !== null) {
      out[name] = String(v);
    } else {
      continue;
    }
    any = true;
  }
  return any ? out : undefined;
}

/** The texts of the `count` elements of the array at `span` (a valid array of scalars), or undefined. */
function elementTexts(text: string, span: Span | undefined, count: number): string[] | undefined {
  if (span === undefined) return undefined;
  const texts: string[] = [];
  // Copies, not slices: a slice would keep the whole request body alive with the event (see CONTEXT.md).
  forEachArrayValue(text, span, 'event', (e) => void texts.push(detach(text.slice(e.start, e.end))));
  return texts.length === count ? texts : undefined;
}

function isBlank(event: unknown): boolean {
  if (typeof event === 'string') return event.trim() === '';
  if (Array.isArray(event)) return event.length === 0;
  if (isJsonObject(event)) return Object.keys(event).length === 0;
  return false;
}

export interface EventBatchOptions {
  /**
   * `?auto_extract_timestamp=true`: events without an envelope time take `_time` from their text, Tetragon's from
   * their `time`, others from an ISO 8601 timestamp (`textTime`).
   */
  autoExtractTimestamp: boolean;
  /**
   * `?index=&source=&sourcetype=&host=` of the request: defaults for envelopes that name none, above the token's
   * (Splunk reads them on /event too: Splunk Stream's forwarder posts `/event?index=…&host=…&source=…&sourcetype=…`,
   * and SC4S checks an index with `/event?index=NAME`, answered code 7 when it does not exist).
   */
  defaults: RawMetadata;
}

/**
 * Parses a /services/collector[/event] body: JSON envelopes back to back, or JSON arrays of envelopes (Splunk
 * 10.4.2 answers `[{"event":"a"},{"event":"b"}]` 200 as a batch of two, measured by mockdr's conformance probes).
 * `_raw` is the string event as is, or the exact JSON text of a non-string event as the client sent it (no
 * re-serialisation: key order and 64-bit integers survive). Events are numbered across arrays.
 */
export function parseEventBatch(text: string, ctx: BatchContext, options: EventBatchOptions): Event[] {
  // The spans of each envelope's `event` member come from the same pass over the text.
  const split = splitValues(text, 'event');
  const events: Event[] = [];
  const source = defaultSource(ctx.token);
  for (const span of split.spans) {
    const first = text.charCodeAt(span.start);
    if (first === 0x5b /* [ */) {
      const at = events.length;
      // The array's own level counts: its envelopes may nest as deep as top-level ones.
      if (nestsDeeperThan(text.slice(span.start, span.end), ctx.maxJsonDepth + 1)) throw failure(HEC.INVALID_DATA_FORMAT, at);
      // Refused as a whole when it is not JSON, as JSON.parse of it would, but checked an element at a time: parsed
      // whole, 1.1M tiny envelopes (16 MB) held +221 MB before the event budget refused them at the 65,536th.
      if (!forEachArrayValue(text, span, 'event', (v) => void parseJson(text, v, at))) throw failure(HEC.INVALID_DATA_FORMAT, at);
      forEachArrayValue(text, span, 'event', (v) => void events.push(envelopeEvent(text, parseJson(text, v, at), v, events.length, ctx, options, source)));
      continue;
    }
    // Only objects are envelopes; deep nesting is refused before JSON.parse spends seconds on it.
    if (first !== 0x7b /* { */ || (span.depth ?? 0) > ctx.maxJsonDepth) throw failure(HEC.INVALID_DATA_FORMAT, events.length);
    events.push(envelopeEvent(text, parseJson(text, span, events.length), span, events.length, ctx, options, source));
  }
  if ('truncatedAt' in split) throw failure(HEC.INVALID_DATA_FORMAT, events.length);
  if (events.length === 0) throw failure(HEC.NO_DATA);
  return events;
}

function parseJson(text: string, span: Span, eventNumber: number): unknown {
  try {
    return JSON.parse(text.slice(span.start, span.end));
  } catch {
    throw failure(HEC.INVALID_DATA_FORMAT, eventNumber);
  }
}

/**
 * The event of envelope `obj` (parsed from `text` at `span`), number `i` of its batch. `span.member`, when the
 * splitter found it, is the span of its `event`.
 */
function envelopeEvent(text: string, obj: unknown, span: ValueSpan, i: number, ctx: BatchContext, options: EventBatchOptions, source: string): Event {
  if (!isJsonObject(obj)) throw failure(HEC.INVALID_DATA_FORMAT, i);
  const event = obj['event'];
  if (event === undefined || event === null) throw failure(HEC.EVENT_REQUIRED, i);
  if (isBlank(event)) throw failure(HEC.EVENT_BLANK, i);

  let time: number | null = null;
  if (obj['time'] !== undefined && obj['time'] !== null) {
    time = envelopeTime(obj['time']);
    // Splunk reports an unusable time as an indexed-field error (code 15), not as invalid JSON.
    if (time === null) throw failure(HEC.INDEXED_FIELDS, i);
  }
  const { defaults } = options;
  time ??= defaults.time ?? null;
  const host = optionalString(obj, 'host', i) ?? defaults.host ?? ctx.token.defaultHost;
  const src = optionalString(obj, 'source', i) ?? defaults.source;
  const sourcetype = optionalString(obj, 'sourcetype', i) ?? defaults.sourcetype ?? ctx.token.defaultSourcetype;
  const index = resolveIndex(optionalString(obj, 'index', i) ?? defaults.index, ctx, i);
  const fields = indexedFields(obj['fields'], i, text, () => memberSpan(text, span, 'fields'));

  ctx.admit?.();
  let raw: string;
  let json: unknown;
  if (typeof event === 'string') {
    // A lone surrogate escape (`"\ud800"`) has no UTF-8 form: the stores would keep replacement characters while a
    // realtime search saw the surrogate. Refused, as invalid UTF-8 bytes are (a non-string event keeps its escapes as text).
    if (!event.isWellFormed()) throw failure(HEC.INVALID_DATA_FORMAT, i);
    raw = event; // a string of its own (JSON.parse copies)
  } else {
    const s = span.member ?? memberSpan(text, span, 'event');
    raw = s ? detach(text.slice(s.start, s.end)) : JSON.stringify(event);
    json = event;
  }

  // Only Tetragon-shaped events need a look inside: for routing (`cisco:isovalent`) or timestamp extraction.
  const wantsKind = sourcetype === undefined || sourcetype === SOURCETYPE_ISOVALENT;
  const wantsTime = options.autoExtractTimestamp && time === null;
  let kind: string | null = null;
  if (wantsKind || wantsTime || host === undefined) {
    if (json === undefined && typeof event === 'string') json = parseLine(event, ctx.maxJsonDepth);
    kind = tetragonKind(json);
  }
  if (wantsTime) time = kind !== null ? tetragonTime(json) : textTime(raw, ctx.now);

  return {
    _time: time ?? ctx.now,
    index,
    // /event never guesses a sourcetype: only `cisco:isovalent` is split by kind, as the add-on does.
    sourcetype: sourcetype === undefined ? DEFAULT_SOURCETYPE : (routedSourcetype(sourcetype, kind) as string),
    source: src ?? source,
    host: host ?? (kind !== null ? hostOf(json) : undefined) ?? ctx.defaultHost,
    _raw: raw,
    // Already parsed: consumers of the batch (the match index) need not parse `_raw` again.
    ...(json !== undefined ? { json } : {}),
    ...(fields !== undefined ? { fields } : {}),
  };
}

export interface RawMetadata {
  index?: string;
  source?: string;
  sourcetype?: string;
  host?: string;
  /** `?time=` (`queryTime`): above a Tetragon line's own time on /raw, as `time=` turns extraction off on /event. */
  time?: number;
}

/**
 * Parses a /services/collector/raw body: one event per line (LF or CRLF; blank lines skipped). Metadata comes
 * from the query string. Tetragon JSON lines get the add-on's sourcetype when none (or `cisco:isovalent`) is
 * given, `host` from `node_name`, and, for any `cisco:isovalent*` sourcetype, `_time` from their `time` (unless the
 * request names a `?time=`; without a usable one, the previous line's `_time`, else now).
 */
export function parseRawBatch(text: string, meta: RawMetadata, ctx: BatchContext): Event[] {
  // The index is checked once for the whole body, as its first event's (so the reply names event 1, see resolveIndex).
  const index = resolveIndex(meta.index, ctx, 0);
  const source = meta.source || defaultSource(ctx.token);
  const given = meta.sourcetype || ctx.token.defaultSourcetype;
  const host = meta.host || ctx.token.defaultHost;
  const events: Event[] = [];
  // The `_time` of the body's previous event: a Tetragon line without a usable time of its own takes it, as Splunk
  // dates an event without one from "the most recent previous event of the same source" ("How timestamp assignment
  // works"; a body's lines share their source) and `vigil search --events` dates a file's time-less line.
  let previous: number | null = null;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    let end = nl;
    if (end > pos && text.charCodeAt(end - 1) === 0x0d) end--;
    const line = text.slice(pos, end);
    pos = nl + 1;
    if (line.trim() === '') continue;

    ctx.admit?.();
    const json = given === undefined || given.startsWith(SOURCETYPE_ISOVALENT) || !host ? parseLine(line, ctx.maxJsonDepth) : undefined;
    const kind = tetragonKind(json);
    const sourcetype = routedSourcetype(given, kind) ?? DEFAULT_SOURCETYPE;
    const dated = kind !== null && sourcetype.startsWith(SOURCETYPE_ISOVALENT);
    const time: number | null = meta.time ?? (dated ? (tetragonTime(json) ?? previous) : null);
    const at: number = time ?? ctx.now;
    previous = at;
    events.push({
      _time: at,
      index,
      sourcetype,
      source,
      host: host || (kind !== null ? hostOf(json) : undefined) || ctx.defaultHost,
      _raw: detach(line),
      ...(json !== undefined ? { json } : {}),
    });
  }
  if (events.length === 0) throw failure(HEC.NO_DATA);
  return events;
}

/**
 * The 0-based number of the event in which an encoding error occurs, from the valid text before it: on /event
 * the values that start before it, on /raw the non-blank lines that end before it.
 */
export function eventNumberAt(validPrefix: string, kind: 'event' | 'raw'): number {
  if (kind === 'event') {
    const r = splitValues(validPrefix);
    // A value cut off by the error is the one it belongs to: it is not counted among the complete ones.
    return r.spans.length;
  }
  let n = 0;
  let pos = 0;
  for (;;) {
    const nl = validPrefix.indexOf('\n', pos);
    if (nl < 0) break;
    if (validPrefix.slice(pos, nl).trim() !== '') n++;
    pos = nl + 1;
  }
  return n;
}
