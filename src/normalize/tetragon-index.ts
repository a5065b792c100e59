/**
 * The fast path for Tetragon lines: instead of JSON.parse, one validating scan (json-scan.ts) records
 * where the envelope and the CIM sources are. Readers attach the spans to the Event (`IndexedEvent`);
 * normalize/ reads CIM fields and JSON paths from them (`spansField`: other paths parse the span of the
 * deepest tracked value they go through), and parses `_raw` only for fieldNames() and odd lines.
 *
 * A line is indexed only when the scan accepts it (see json-scan.ts: ASCII, valid, no duplicate or
 * escaped tracked keys) and exactly one of the common kinds is a top-level key, holding an object. The
 * kind is then the one eventKind() gives. Every other line takes the JSON.parse path, unchanged.
 */
import type { Event } from '../events/event.js';
import type { FieldValue, Scalar } from '../events/value.js';
import { extractPathFrom } from './json-fields.js';
import { F_DOTTED_KEY, JsonPathScanner, T_ARRAY, T_ESCAPED, T_FALSE, T_NULL, T_NUMBER, T_OBJECT, T_STRING, T_TRUE, type ScanTree } from './json-scan.js';

/** An Event whose reader left the spans of its line's values instead of a parse. */
export interface IndexedEvent extends Event {
  spans?: number[];
}

// Tracked slots. Top level:
export const S_TIME = 0;
export const S_NODE_NAME = 1;
export const S_CLUSTER_NAME = 2;
const S_EXEC = 3;
const S_EXIT = 4;
const S_KPROBE = 5;
const S_CONNECT = 6;
// Inside the body (`<kind>.`):
const S_PROCESS = 7;
const S_PARENT = 8;
export const S_BINARY = 9;
export const S_ARGUMENTS = 10;
export const S_PID = 11;
export const S_UID = 12;
export const S_CWD = 13;
const S_POD = 14;
export const S_POD_NAME = 15;
export const S_POD_NAMESPACE = 16;
const S_CONTAINER = 17;
export const S_CONTAINER_ID = 18;
const S_IMAGE = 19;
export const S_IMAGE_NAME = 20;
export const S_PARENT_BINARY = 21;
export const S_PARENT_ARGUMENTS = 22;
export const S_PARENT_PID = 23;
// Not CIM sources, but JSON paths the bundled detections read (late_process_execution):
const S_START_TIME = 24;
const S_CONTAINER_START_TIME = 25;
export const S_EXEC_ID = 26;
export const S_PARENT_EXEC_ID = 27;
const S_USER = 28;
export const S_USER_NAME = 29;
export const S_PARENT_GUID = 30;
const S_PARENT_USER = 31;
export const S_PARENT_USER_NAME = 32;
// Members of the body the file and network fields read (BODY_MEMBERS):
const S_FUNCTION_NAME = 33;
const S_ACTION = 34;
const S_ARGS = 35;
const S_SOCKET = 36;
const S_SOCK_ARG = 37;
const S_SOURCE_IP = 38;
const S_SADDR = 39;
const S_SOURCE_PORT = 40;
const S_SPORT = 41;
const S_DESTINATION_IP = 42;
const S_DADDR = 43;
const S_DESTINATION_PORT = 44;
const S_DPORT = 45;
const S_PROTOCOL = 46;
// A JSON path a bundled detection reads (kprobe_spike's `process_kprobe.parent.pod.name`):
const S_PARENT_POD = 47;
const S_PARENT_POD_NAME = 48;

/**
 * The body members (`<kind>.<key>`) that tetragon.ts reads for the file and network fields, with their
 * slots: `spansBodyMembers` gives exactly these keys of the body, so the same code computes those fields
 * from spans and from a parse.
 */
const BODY_MEMBERS = [
  ['function_name', S_FUNCTION_NAME],
  ['action', S_ACTION],
  ['args', S_ARGS],
  ['socket', S_SOCKET],
  ['sock_arg', S_SOCK_ARG],
  ['source_ip', S_SOURCE_IP],
  ['saddr', S_SADDR],
  ['source_port', S_SOURCE_PORT],
  ['sport', S_SPORT],
  ['destination_ip', S_DESTINATION_IP],
  ['daddr', S_DADDR],
  ['destination_port', S_DESTINATION_PORT],
  ['dport', S_DPORT],
  ['protocol', S_PROTOCOL],
] as const;

const BODY: ScanTree = {
  process: [S_PROCESS, {
    binary: S_BINARY,
    arguments: S_ARGUMENTS,
    pid: S_PID,
    uid: S_UID,
    cwd: S_CWD,
    start_time: S_START_TIME,
    exec_id: S_EXEC_ID,
    parent_exec_id: S_PARENT_EXEC_ID,
    user: [S_USER, { name: S_USER_NAME }],
    pod: [S_POD, {
      name: S_POD_NAME,
      namespace: S_POD_NAMESPACE,
      container: [S_CONTAINER, { id: S_CONTAINER_ID, image: [S_IMAGE, { name: S_IMAGE_NAME }], start_time: S_CONTAINER_START_TIME }],
    }],
  }],
  parent: [S_PARENT, {
    binary: S_PARENT_BINARY,
    arguments: S_PARENT_ARGUMENTS,
    pid: S_PARENT_PID,
    exec_id: S_PARENT_GUID,
    user: [S_PARENT_USER, { name: S_PARENT_USER_NAME }],
    pod: [S_PARENT_POD, { name: S_PARENT_POD_NAME }],
  }],
  ...Object.fromEntries(BODY_MEMBERS),
};

const KIND_SLOTS = [
  [S_EXEC, 'process_exec'],
  [S_EXIT, 'process_exit'],
  [S_KPROBE, 'process_kprobe'],
  [S_CONNECT, 'process_connect'],
] as const;

export type IndexedKind = (typeof KIND_SLOTS)[number][1];

const scanner = new JsonPathScanner({
  time: S_TIME,
  node_name: S_NODE_NAME,
  cluster_name: S_CLUSTER_NAME,
  ...Object.fromEntries(KIND_SLOTS.map(([slot, kind]) => [kind, [slot, BODY] as const])),
});

/** The spans of a Tetragon line `b[start, end)`, or null when it must take the JSON.parse path. */
export function scanTetragonLine(b: Uint8Array, start: number, end: number): number[] | null {
  const spans = scanner.scan(b, start, end);
  if (spans === null) return null;
  let kinds = 0;
  for (const [slot] of KIND_SLOTS) {
    const t = (spans[2 * slot] as number) & 15;
    if (t === 0) continue;
    if (t !== T_OBJECT) return null; // eventKind would look further: leave it to the parse path
    kinds++;
  }
  return kinds === 1 ? spans : null;
}

/** Lines longer than this (UTF-16 units) are left to JSON.parse rather than grow the scratch buffer. */
const MAX_TEXT_SCAN = 1 << 20;
/** The UTF-8 bytes of the line being scanned by scanTetragonText. */
let textBytes = Buffer.alloc(64 * 1024);

/**
 * scanTetragonLine for a line already decoded (an event read back from the store): its UTF-8 bytes are
 * written to a reused buffer and scanned. Any non-ASCII character becomes bytes >= 0x80, which the scan
 * rejects, so the spans' byte offsets are always the line's UTF-16 offsets.
 */
export function scanTetragonText(line: string): number[] | null {
  if (line.length > MAX_TEXT_SCAN) return null;
  if (line.length * 3 > textBytes.length) textBytes = Buffer.alloc(line.length * 3);
  const n = textBytes.write(line, 0, 'utf8');
  return scanTetragonLine(textBytes, 0, n);
}

/** The event kind of indexed spans. */
export function spansKind(spans: readonly number[]): IndexedKind {
  for (const [slot, kind] of KIND_SLOTS) if ((spans[2 * slot] as number) !== 0) return kind;
  throw new Error('spans without a kind'); // scanTetragonLine never returns such spans
}

/** The type of a slot's value (json-scan.ts T_*), 0 when absent. */
export function spanType(spans: readonly number[], slot: number): number {
  return (spans[2 * slot] as number) & 15;
}

/**
 * A slot's value when it is a string, else null: the slot's dictionary's string (see ValueDictionary), or a
 * copy detached from `_raw` (see `detach`).
 */
export function spanString(raw: string, spans: readonly number[], slot: number): string | null {
  const head = spans[2 * slot] as number;
  const t = head & 15;
  if (t === T_STRING) return slotDictionary(slot).value(raw, (head >> 4) + 1, (spans[2 * slot + 1] as number) - 1);
  if (t === T_ESCAPED) return slotDictionary(slot).unescaped(raw, (head >> 4) + 1, (spans[2 * slot + 1] as number) - 1);
  return null;
}

/**
 * A slot's string value after its last `/` (tetragon.ts `basename`: a binary's name), from `names`;
 * undefined when the value is not a string without escapes (the caller reads it with spanText).
 */
export function spanBasename(raw: string, spans: readonly number[], slot: number, names: ValueDictionary): string | undefined {
  const head = spans[2 * slot] as number;
  if ((head & 15) !== T_STRING) return undefined;
  const from = (head >> 4) + 1;
  const to = (spans[2 * slot + 1] as number) - 1;
  // Back to the last `/` (lastIndexOf, a call into the runtime, cost more than this loop).
  let at = to;
  while (at > from && raw.charCodeAt(at - 1) !== 47) at--;
  return names.value(raw, at, to);
}

/** Reads between two looks at a dictionary's hit rate. */
const DICTIONARY_WINDOW = 1024;
/** Misses in a window above which a dictionary is turned off (its slot's values mostly differ: exec ids). */
const DICTIONARY_MAX_MISSES = DICTIONARY_WINDOW / 4;
/** Reads a dictionary stays off (values copied) before it starts again, empty. */
const DICTIONARY_OFF_READS = 64 * DICTIONARY_WINDOW;
/**
 * Stored values a lookup compares before it gives up (a miss, not stored): at most half full, a run this long is
 * all but never met by chance, but values crafted to share a hash (events from a HEC client) would otherwise make
 * every read compare with hundreds of them.
 */
const DICTIONARY_MAX_PROBES = 32;

/**
 * The values one source (a span slot) takes, for this thread: dictionary encoding of a low-cardinality
 * column, as DuckDB or ClickHouse do. A value read from a line is looked up by its characters in place and
 * the stored, detached string returned: no copy per read, and everything that keeps the value (a stats
 * group, an output row, a Map key with its hash computed once) holds one shared string, not a copy per
 * event and never the line. A miss returns a detached copy, stored while the dictionary has room: at most
 * `maxEntries` values and `maxChars` characters, never evicted. A source whose values mostly differ (exec
 * ids, or more distinct values than the room) misses in more than a quarter of a window's reads: the
 * dictionary is then emptied and off for DICTIONARY_OFF_READS reads (a copy each, as without it), then
 * tries again. A value with escapes (`\"`: most command lines' arguments) is stored by its text in the line,
 * with what it decodes to: it is then decoded once, not by a JSON.parse per read.
 */
export class ValueDictionary {
  /** Open addressing, linear probing, at most half full (a probe always ends at a null). */
  private readonly table: (string | null)[];
  /**
   * By table index, what an escaped value's text decodes to (null for the others: their text is the value);
   * made for the first one. Texts with escapes hold a `\`, the others none: one never matches the other.
   */
  private decoded: (string | null)[] | null = null;
  private size = 0;
  private chars = 0;
  private reads = 0;
  private misses = 0;
  /** Reads left while off. */
  private off = 0;

  constructor(
    private readonly maxEntries = 512,
    private readonly maxChars = 32 * 1024,
  ) {
    let n = 2;
    while (n < 2 * maxEntries) n *= 2;
    this.table = new Array<string | null>(n).fill(null);
  }

  /** The text `raw[from, to)`, not a view of `raw`. */
  value(raw: string, from: number, to: number): string {
    return this.lookup(raw, from, to, false);
  }

  /** The string the contents of a JSON string with escapes, `raw[from, to)` (quotes excluded), decode to. */
  unescaped(raw: string, from: number, to: number): string {
    return this.lookup(raw, from, to, true);
  }

  private lookup(raw: string, from: number, to: number, escaped: boolean): string {
    if (this.reads === DICTIONARY_WINDOW) this.review();
    if (this.off > 0) {
      this.off--;
      return escaped ? decode(raw, from, to) : detach(raw.slice(from, to));
    }
    this.reads++;
    const s = raw.slice(from, to);
    const mask = this.table.length - 1;
    let i = spanHash(raw, from, to) & mask;
    let probes = 0;
    for (let k = this.table[i] as string | null; k !== null; k = this.table[i] as string | null) {
      if (k === s) return escaped ? (this.decoded![i] as string) : k;
      if (++probes === DICTIONARY_MAX_PROBES) {
        i = -1;
        break;
      }
      i = (i + 1) & mask;
    }
    this.misses++;
    const v = escaped ? decode(raw, from, to) : flatCopy(s);
    const key = escaped ? flatCopy(s) : v;
    const chars = escaped ? key.length + v.length : v.length;
    if (i >= 0 && this.size < this.maxEntries && this.chars + chars <= this.maxChars) {
      this.table[i] = key;
      if (escaped) (this.decoded ??= new Array<string | null>(this.table.length).fill(null))[i] = v;
      this.size++;
      this.chars += chars;
    }
    return v;
  }

  /** Whether it looks values up (not off). */
  get on(): boolean {
    return this.off === 0;
  }

  /** The values stored (tests: the bounds). */
  get entries(): number {
    return this.size;
  }

  /** Characters stored (tests: the bounds). */
  get characters(): number {
    return this.chars;
  }

  private review(): void {
    if (this.misses > DICTIONARY_MAX_MISSES) {
      this.table.fill(null);
      this.decoded?.fill(null);
      this.size = 0;
      this.chars = 0;
      this.off = DICTIONARY_OFF_READS;
    }
    this.reads = 0;
    this.misses = 0;
  }
}

/**
 * A hash of `raw[from, to)` from its length, every (length / 8)-th character (all of them below 16) and its
 * last: each character read costs ~4 ns here, and reading all of a 25-character pod name (100 ns) was half of a
 * dictionary read; values it confuses are told apart by the comparison.
 */
function spanHash(raw: string, from: number, to: number): number {
  const n = to - from;
  let h = Math.imul(n, 0x9e3779b1);
  const step = n > 15 ? n >>> 3 : 1;
  for (let i = from; i < to; i += step) h = Math.imul(h ^ raw.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ raw.charCodeAt(to - 1), 0x01000193);
  return h ^ (h >>> 15);
}

/** Each slot's dictionary, made on its first string read. */
const SLOT_DICTIONARIES: (ValueDictionary | undefined)[] = [];

function slotDictionary(slot: number): ValueDictionary {
  return (SLOT_DICTIONARIES[slot] ??= new ValueDictionary());
}

/** Whether a slot's dictionary is on: a value read from it is then likely the stored string (tetragon.ts memos). */
export function slotInterned(slot: number): boolean {
  return slotDictionary(slot).on;
}

/**
 * A slot's value when it is a string, else null, possibly a view into `raw`: for values that are only
 * looked at, or derived from and then detached.
 */
export function spanText(raw: string, spans: readonly number[], slot: number): string | null {
  return stringAt(raw, spans[2 * slot] as number, spans[2 * slot + 1] as number);
}

function stringAt(raw: string, head: number, end: number): string | null {
  const t = head & 15;
  if (t === T_STRING) return raw.slice((head >> 4) + 1, end - 1);
  if (t === T_ESCAPED) return JSON.parse(raw.slice(head >> 4, end)) as string;
  return null;
}

/** The string the contents of a JSON string with escapes, `raw[from, to)`, decode to (not a view of `raw`). */
function decode(raw: string, from: number, to: number): string {
  return detach(JSON.parse(raw.slice(from - 1, to + 1)) as string);
}

/**
 * A copy of `s` (a slice of a line) that, unlike detach's, is not itself a view (of a copy): what a dictionary
 * stores, compared with `===` against a slice on every hit (a view then costs ~8 ns more). UTF-16 both ways: exact
 * for any text, and ASCII comes back as one byte per character.
 */
function flatCopy(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le');
}

/**
 * The spans of many lines one after another in one growable Int32Array: what a thread that read the lines posts
 * beside their bytes (the store's scan thread, the file source's read thread).
 */
export class PackedSpans {
  words: Int32Array;
  used = 0;

  constructor(capacity: number) {
    this.words = new Int32Array(capacity);
  }

  /** Appends `spans`; returns where they start. */
  add(spans: readonly number[]): number {
    const at = this.used;
    if (at + spans.length > this.words.length) {
      const grown = new Int32Array(Math.max(2 * this.words.length, at + spans.length));
      grown.set(this.words.subarray(0, at));
      this.words = grown;
    }
    this.words.set(spans, at);
    this.used += spans.length;
    return at;
  }
}

/** The `n` spans at `at` of a PackedSpans' words, as a reader's spans (a loop: Array.from goes through the typed array's iterator, ~2 µs a line). */
export function unpackSpans(words: Int32Array, at: number, n: number): number[] {
  const a = new Array<number>(n);
  for (let i = 0; i < n; i++) a[i] = words[at + i] as number;
  return a;
}

/**
 * A copy of `s` that does not keep the string it was sliced from alive (`_raw`; for HEC, the request body).
 * V8 represents a slice of 13+ characters as a view into its parent, so a value kept in a stats group or
 * an output row would hold its whole event line (1.5 KB for a 40-character node name): 100k groups then
 * held 150 MB, and the young generation's collections copied it all. Concatenating forces a flat copy when the result is sliced again. (Span
 * values are shared through ValueDictionary, which hashes a sample of their characters in place: a Map of
 * copies, hashing every slice, made reads 3× slower.)
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

/**
 * A slot's value as json-fields.ts renders a scalar (numbers stay numbers, booleans and null become
 * text), or undefined for objects, arrays and absent values.
 */
function scalarAt(raw: string, head: number, end: number): Scalar | undefined {
  switch (head & 15) {
    case T_STRING:
    case T_ESCAPED:
      return detach(stringAt(raw, head, end) as string);
    case T_NUMBER:
      return Number(raw.slice(head >> 4, end));
    case T_TRUE:
      return 'true';
    case T_FALSE:
      return 'false';
    case T_NULL:
      return 'null';
    default:
      return undefined;
  }
}

/** A slot's value when it is a number or a string (tetragon.ts `num`), else null. */
export function spanNumber(raw: string, spans: readonly number[], slot: number): Scalar | null {
  const head = spans[2 * slot] as number;
  if ((head & 15) === T_NUMBER) return Number(raw.slice(head >> 4, spans[2 * slot + 1]));
  return spanString(raw, spans, slot);
}

/** A slot's value exactly as JSON.parse gives it (objects and arrays parsed from their span alone), undefined when absent. */
function jsonAt(raw: string, head: number, end: number): unknown {
  switch (head & 15) {
    case 0:
      return undefined;
    case T_STRING:
    case T_ESCAPED:
      return detach(stringAt(raw, head, end) as string);
    case T_NUMBER:
      return Number(raw.slice(head >> 4, end));
    case T_TRUE:
      return true;
    case T_FALSE:
      return false;
    case T_NULL:
      return null;
    default:
      return JSON.parse(raw.slice(head >> 4, end)) as unknown;
  }
}

/**
 * The body members tetragon.ts reads for the file and network fields (BODY_MEMBERS), as JSON.parse of the
 * line would give them in `json[kind]`: a kprobe's `args` array is parsed alone (a few hundred bytes), not
 * the line. Absent members are absent keys.
 */
export function spansBodyMembers(raw: string, spans: readonly number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, slot] of BODY_MEMBERS) {
    const v = jsonAt(raw, spans[2 * slot] as number, spans[2 * slot + 1] as number);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Top-level keys the scan tracks, with their slots. */
const TRACKED_TOP: ReadonlyMap<string, number> = new Map<string, number>([
  ['time', S_TIME],
  ['node_name', S_NODE_NAME],
  ['cluster_name', S_CLUSTER_NAME],
  ...KIND_SLOTS.map(([slot, kind]): [string, number] => [kind, slot]),
]);

/** Every path of the body tree (`process.pod.name`) with its slot. */
const BODY_PATHS: ReadonlyMap<string, number> = (() => {
  const out = new Map<string, number>();
  const walk = (t: ScanTree, prefix: string): void => {
    for (const [key, v] of Object.entries(t)) {
      const [slot, sub] = typeof v === 'number' ? [v, null] : v;
      out.set(prefix + key, slot);
      if (sub !== null) walk(sub, prefix + key + '.');
    }
  };
  walk(BODY, '');
  return out;
})();

/**
 * The KV_MODE=json field `name`, exactly as json-fields.ts `extractPath` gives it, when the spans can
 * tell: a top-level key (a name without `.` or `{`), or `<kind>.<tracked path>` when no key at a
 * tracked level contains `.` or `{` (otherwise another split of the name could exist). The key's scalar
 * value; null when absent or not a scalar. Undefined when the spans cannot tell (the caller parses).
 * With `parse`, any other path of the same condition is answered too, by JSON.parse of the span of the
 * deepest tracked value it goes through (a kprobe's `args` array for `process_kprobe.args{}.string_arg`,
 * the `parent` object for `process_kprobe.parent.pod.name`), not of the line.
 */
export function spansField(raw: string, spans: readonly number[], name: string, parse = false): FieldValue | null | undefined {
  if (name === '') return null;
  const route = nameRoute(name);
  if (route.kind === TOP_KEY) {
    if (route.slot >= 0) return scalarAt(raw, spans[2 * route.slot] as number, spans[2 * route.slot + 1] as number) ?? null;
    const m = topLevelMember(raw, spans, name, 0, name.length);
    return m < 0 ? null : (scalarAt(raw, spans[m] as number, spans[m + 1] as number) ?? null);
  }
  if (((spans[2 * scanner.slots] as number) & F_DOTTED_KEY) !== 0) return undefined;
  // A tracked path of the event's own kind (the one kind slot present).
  if (route.slot >= 0 && (spans[2 * route.kind] as number) !== 0) {
    return scalarAt(raw, spans[2 * route.slot] as number, spans[2 * route.slot + 1] as number) ?? null;
  }
  return parse ? parsedPath(raw, spans, name, route.lastKey) : undefined;
}

/** NameRoute.kind of a name without `.` or `{` (a top-level key). */
const TOP_KEY = -1;
/** NameRoute.kind of any other name that is not `<kind>.<tracked path>`. */
const OTHER_PATH = -2;

/** What a field name is to spansField, worked out once per name. */
interface NameRoute {
  /** TOP_KEY, the slot of the kind a `<kind>.<tracked path>` name starts with, or OTHER_PATH. */
  kind: number;
  /** The slot of the top-level key or of the tracked path; -1 when untracked. */
  slot: number;
  /**
   * For other paths, the text the JSON of the last key reached must hold: the name's last segment (after
   * its last `.` or `{}`) and the key's closing quote; null when the name ends with `.` or `{}`.
   */
  lastKey: string | null;
}

/**
 * Routes of the names asked so far: a search asks for the same few names on every event, and a name
 * from the search keeps its hash, so one lookup replaces scanning and slicing the name each time.
 */
const NAME_ROUTES = new Map<string, NameRoute>();
/** Names remembered at most (names built at run time, `eval {f}=...`, could be unbounded). */
const MAX_NAME_ROUTES = 4096;

function nameRoute(name: string): NameRoute {
  let route = NAME_ROUTES.get(name);
  if (route !== undefined) return route;
  const dot = name.indexOf('.');
  const last = Math.max(name.lastIndexOf('.'), name.lastIndexOf('}')) + 1;
  const other: NameRoute = { kind: OTHER_PATH, slot: -1, lastKey: last < name.length ? name.slice(last) + '"' : null };
  if (name.includes('{')) route = other;
  else if (dot === -1) route = { kind: TOP_KEY, slot: TRACKED_TOP.get(name) ?? -1, lastKey: null };
  else {
    const kind = KIND_SLOTS.find(([, k]) => dot === k.length && name.startsWith(k));
    const slot = kind === undefined ? undefined : BODY_PATHS.get(name.slice(dot + 1));
    route = kind !== undefined && slot !== undefined ? { kind: kind[0], slot, lastKey: null } : other;
  }
  if (NAME_ROUTES.size < MAX_NAME_ROUTES) NAME_ROUTES.set(name, route);
  return route;
}

/** Where the value of the untracked top-level key `name[from, to)` is in `spans`, or -1 when absent. */
function topLevelMember(raw: string, spans: readonly number[], name: string, from: number, to: number): number {
  const base = 2 * scanner.slots + 1;
  const n = spans[base] as number;
  for (let k = 0; k < n; k++) {
    const m = base + 1 + 4 * k;
    const ks = spans[m] as number;
    if ((spans[m + 1] as number) - ks === to - from && raw.startsWith(from === 0 && to === name.length ? name : name.slice(from, to), ks)) return m + 2;
  }
  return -1;
}

/** The end of the key starting at `name[pos]` (its `.` or `{}`, or the name's end); -1 at a `{` that opens no `{}`. */
function keyEnd(name: string, pos: number): number {
  let e = pos;
  while (e < name.length) {
    const c = name.charCodeAt(e);
    if (c === 46) return e;
    if (c === 123) return name.charCodeAt(e + 1) === 125 ? e : -1;
    e++;
  }
  return e;
}

/**
 * spansField for any path, no key at a tracked level containing `.` or `{`: at each tracked level the
 * only key the name can then reach is the text up to its next `.` or `{}`. Tracked keys are followed
 * through the spans; where the path leaves them, the value reached so far is parsed alone and walked as
 * extractPath would walk it in the parsed line. Undefined for a `{` opening no `{}` (left to the parse).
 * The value is not parsed when its text lacks `lastKey` (NameRoute) and any escape: the last key of
 * every match ends with the name's last segment, so nothing can match (a kprobe's `args` without
 * a `string_arg`).
 */
function parsedPath(raw: string, spans: readonly number[], name: string, lastKey: string | null): FieldValue | null | undefined {
  let at = keyEnd(name, 0);
  if (at < 0) return undefined;
  let head: number;
  let end: number;
  let sub: ScanTree | null = null;
  const top = TRACKED_TOP.get(name.slice(0, at));
  if (top !== undefined) {
    head = spans[2 * top] as number;
    end = spans[2 * top + 1] as number;
    if (KIND_SLOTS.some(([slot]) => slot === top)) sub = BODY;
  } else {
    const m = topLevelMember(raw, spans, name, 0, at);
    if (m < 0) return null;
    head = spans[m] as number;
    end = spans[m + 1] as number;
  }
  // `name[0, at)` leads to the value at `head`, which sits inside `depth` objects/arrays.
  for (let depth = 1; ; depth++) {
    if (at === name.length) return scalarAt(raw, head, end) ?? null;
    const t = head & 15;
    if (t !== T_OBJECT && t !== T_ARRAY) return null; // absent, or a scalar the path goes beyond
    if (sub !== null && t === T_OBJECT && name.charCodeAt(at) === 46) {
      const e = keyEnd(name, at + 1);
      if (e < 0) return undefined;
      const key = name.slice(at + 1, e);
      const next = Object.hasOwn(sub, key) ? sub[key] : undefined;
      if (next !== undefined) {
        const [slot, deeper] = typeof next === 'number' ? [next, null] : next;
        head = spans[2 * slot] as number;
        end = spans[2 * slot + 1] as number;
        sub = deeper;
        at = e;
        continue;
      }
    }
    const text = raw.slice(head >> 4, end);
    if (lastKey !== null && !text.includes(lastKey) && !text.includes('\\')) return null;
    return extractPathFrom(JSON.parse(text) as unknown, name, at, depth);
  }
}
