/**
 * A validating JSON scanner over UTF-8 bytes that records where chosen values are, without building
 * anything: the fast path of reading Tetragon lines (normalize/tetragon-index.ts). The byte work is
 * WebAssembly (json-scan.wat: SIMD over strings, tracked keys found by hash); this side builds its tables
 * and copies a line in and the spans out. Validating every byte and recording ~25 spans costs about a
 * third of a JSON.parse of a Tetragon line, and allocates one array.
 *
 * It accepts a subset of JSON and returns null for everything else, valid or not; the caller then
 * falls back to JSON.parse, which decides validity and error messages. Contract, when scan() returns
 * spans: JSON.parse of the same text succeeds, its top-level value is an object, and every recorded
 * value is the one JSON.parse gives at that path. Rejected (null), beyond invalid JSON:
 * - any byte >= 0x80: recorded offsets must be UTF-16 offsets of the decoded line, which they are
 *   only for ASCII text;
 * - a top-level value that is not an object; nesting deeper than 64 (the top-level object included);
 * - at a tracked level (the top level and objects reached through tracked keys): a key containing a
 *   backslash (its unescaped name could be a tracked one), a tracked key seen twice (JSON.parse keeps
 *   the last value, and the branches would mix), or a top-level key seen twice;
 * - more than 1024 untracked top-level members (the result's room; json-scan.wat's maxMembers), or a
 *   text longer than MAX_SCAN_BYTES.
 *
 * Layout of the returned array (offsets relative to `start`, so they index the decoded line):
 *   [2*slot] = valueStart * 16 + type, [2*slot + 1] = valueEnd   for each tracked slot (0 = absent)
 *   [2*slots] = flags: F_DOTTED_KEY when a key at a tracked level contains `.` or `{` (so a dotted
 *               field name could also name that key: KV_MODE=json paths are then ambiguous)
 *   [2*slots + 1] = n, then n × [keyStart, keyEnd, valueStart * 16 + type, valueEnd]   untracked top-level members
 * String spans include the quotes.
 */
import { WASM_BASE64 } from './json-scan.wasm.js';

/** Value types of recorded spans (0 = absent). */
export const T_STRING = 1;
/** A string containing escapes: JSON.parse its span to get the value. */
export const T_ESCAPED = 2;
export const T_NUMBER = 3;
export const T_OBJECT = 4;
export const T_ARRAY = 5;
export const T_TRUE = 6;
export const T_FALSE = 7;
export const T_NULL = 8;

/** Flag: a key at a tracked level contains `.` or `{`. */
export const F_DOTTED_KEY = 1;

/** Which keys to track: a key maps to its slot, or to its slot and the keys tracked inside its object value. */
export interface ScanTree {
  [key: string]: number | readonly [number, ScanTree];
}

/** json-scan.wat's memory: its tables (see the top of the .wat), then the result, then the text. */
const EDGE_RECORD = 32;
const MAX_EDGES = 256;
const KEY_BYTES = 8192;
const MAX_KEY_BYTES = 4096;
const OUT = 17408;
const PAGE = 65536;
/** Bytes read after a text: its 0 terminator, then what 16-byte loads run past. */
const SLACK = 32;
/**
 * Longer lines are declined (JSON.parse reads them) rather than grow a scanner's memory for good, which
 * WebAssembly cannot shrink; a recorded head (offset × 16) also stays within an i32.
 */
export const MAX_SCAN_BYTES = 1 << 24;

interface Exports {
  memory: WebAssembly.Memory;
  maxMembers: { value: number };
  index(edges: number): void;
  scan(data: number, end: number, out: number, slots: number): number;
}

let compiled: WebAssembly.Module | null = null;

/** The scanner's code, compiled once per thread when the first scanner is made. */
function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
  return compiled;
}

/** A key the scan can compare in place: bytes a key scan passes over (no `"`, `\`, control or non-ASCII). */
const TRACKABLE_KEY = /^[^\x00-\x1f"\\\x80-\uffff]+$/;

export class JsonPathScanner {
  /** Number of tracked slots (the first 2*slots entries of a result). */
  readonly slots: number;
  private readonly exports: Exports;
  private bytes: Uint8Array;
  private words: Int32Array;
  /** Where a text is copied to be scanned: after the result, which holds up to `maxMembers` members. */
  private readonly data: number;

  constructor(tree: ScanTree) {
    this.exports = new WebAssembly.Instance(module(), {}).exports as unknown as Exports;
    this.bytes = new Uint8Array(this.exports.memory.buffer);
    this.words = new Int32Array(this.exports.memory.buffer);
    // Each object level of the tree is a node (a subtree shared by several keys, one node), the root node 0;
    // each of its keys an edge, found by the scan in a hash table of (node, key).
    const levels: [Buffer, number, ScanTree | null][][] = [];
    const index = new Map<ScanTree, number>();
    const node = (t: ScanTree): number => {
      let k = index.get(t);
      if (k !== undefined) return k;
      k = levels.length;
      index.set(t, k);
      const edges: [Buffer, number, ScanTree | null][] = [];
      levels.push(edges);
      for (const [key, v] of Object.entries(t)) {
        if (!TRACKABLE_KEY.test(key)) throw new Error(`untrackable key: ${JSON.stringify(key)}`);
        const [slot, sub] = typeof v === 'number' ? [v, null] : v;
        edges.push([Buffer.from(key, 'latin1'), slot, sub]);
        if (sub !== null) node(sub);
      }
      return k;
    };
    node(tree);
    let slots = 0;
    let e = 0;
    let keyAt = KEY_BYTES;
    for (const [k, edges] of levels.entries()) {
      for (const [key, slot, sub] of edges) {
        if (e === MAX_EDGES || keyAt + key.length + 1 > KEY_BYTES + MAX_KEY_BYTES) throw new RangeError('too many tracked keys for a JSON scan');
        this.bytes.set(key, keyAt);
        this.bytes[keyAt + key.length] = 0x22; // compared with the key's closing quote
        const rec = (EDGE_RECORD * e) >> 2;
        this.words[rec] = keyAt;
        this.words[rec + 1] = key.length;
        this.words[rec + 2] = slot;
        this.words[rec + 3] = sub === null ? -1 : (index.get(sub) as number);
        this.words[rec + 4] = k;
        this.words[rec + 5] = key.includes('.') || key.includes('{') ? 1 : 0;
        keyAt += key.length + 1;
        slots = Math.max(slots, slot + 1);
        e++;
      }
    }
    this.exports.index(e);
    this.slots = slots;
    this.data = OUT + Math.ceil(((2 * slots + 2 + 4 * this.exports.maxMembers.value) * 4) / 16) * 16;
  }

  /** Scans `b[start, end)`; the spans (see the file comment) or null when the text is not handled. */
  scan(b: Uint8Array, start: number, end: number): number[] | null {
    const len = end - start;
    if (len > MAX_SCAN_BYTES) return null;
    const data = this.data;
    if (data + len + SLACK > this.bytes.length) this.grow(data + len + SLACK);
    this.bytes.set(new Uint8Array(b.buffer, b.byteOffset + start, len), data);
    this.bytes[data + len] = 0;
    const n = this.exports.scan(data, data + len, OUT, this.slots);
    if (n < 0) return null;
    const words = this.words;
    const count = 2 * this.slots + 2 + 4 * n;
    // Sized once and filled (3x faster than pushing: no regrowth).
    const spans = new Array<number>(count);
    for (let k = 0, w = OUT >> 2; k < count; k++) spans[k] = words[w + k] as number;
    return spans;
  }

  private grow(bytes: number): void {
    const memory = this.exports.memory;
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
    this.bytes = new Uint8Array(memory.buffer);
    this.words = new Int32Array(memory.buffer);
  }
}
