/**
 * A validating JSON scanner over UTF-8 bytes that records where chosen values are, without building
 * anything: the fast path of reading Tetragon lines (normalize/tetragon-index.ts). Validating every byte
 * and recording ~25 spans costs about 0.6× a JSON.parse of a Tetragon line, and allocates one array.
 *
 * It accepts a subset of JSON and returns null for everything else, valid or not; the caller then
 * falls back to JSON.parse, which decides validity and error messages. Contract, when scan() returns
 * spans: JSON.parse of the same text succeeds, its top-level value is an object, and every recorded
 * value is the one JSON.parse gives at that path. Rejected (null), beyond invalid JSON:
 * - any byte >= 0x80: recorded offsets must be UTF-16 offsets of the decoded line, which they are
 *   only for ASCII text;
 * - a top-level value that is not an object; nesting deeper than MAX_DEPTH;
 * - at a tracked level (the top level and objects reached through tracked keys): a key containing a
 *   backslash (its unescaped name could be a tracked one), a tracked key seen twice (JSON.parse keeps
 *   the last value, and the branches would mix), or a top-level key seen twice.
 *
 * Layout of the returned array (offsets relative to `start`, so they index the decoded line):
 *   [2*slot] = valueStart * 16 + type, [2*slot + 1] = valueEnd   for each tracked slot (0 = absent)
 *   [2*slots] = flags: F_DOTTED_KEY when a key at a tracked level contains `.` or `{` (so a dotted
 *               field name could also name that key: KV_MODE=json paths are then ambiguous)
 *   [2*slots + 1] = n, then n × [keyStart, keyEnd, valueStart * 16 + type, valueEnd]   untracked top-level members
 * String spans include the quotes.
 */

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

interface Edge {
  key: Uint8Array;
  slot: number;
  node: TrieNode | null;
  /** The key holds `.` or `{` (F_DOTTED_KEY). */
  dotted: boolean;
}

/** Tracked keys of one object level, bucketed by their first byte. */
interface TrieNode {
  byFirst: (Edge[] | undefined)[];
}

const MAX_DEPTH = 64;

/** Bytes at which string scanning stops: `"`, `\`, controls (invalid raw) and non-ASCII (rejected). */
const STOP = new Uint8Array(256);
for (let c = 0; c < 256; c++) STOP[c] = c < 0x20 || c === 34 || c === 92 || c >= 0x80 ? 1 : 0;

/** JSON whitespace. */
const SPACE = new Uint8Array(256);
for (const c of ' \t\n\r') SPACE[c.charCodeAt(0)] = 1;

/** Bytes at which a tracked key's scan stops: STOP's, plus `.` and `{` (noted in the flags). */
const KEY_STOP = STOP.slice();
KEY_STOP[46] = 1;
KEY_STOP[123] = 1;

const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/** Characters allowed after `\` besides `u`. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const c of '"\\/bfnrt') SIMPLE_ESCAPE[c.charCodeAt(0)] = 1;

/** Whether a little-endian word of four bytes holds a STOP byte (< 0x20, `"`, `\\` or >= 0x80). */
function hasStopByte(w: number): boolean {
  const q = w ^ 0x22222222;
  const s = w ^ 0x5c5c5c5c;
  return ((((w - 0x20202020) & ~w) | ((q - 0x01010101) & ~q) | ((s - 0x01010101) & ~s) | w) & 0x80808080) !== 0;
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i] as number;
    if (c > 32 || SPACE[c] === 0) break;
    i++;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export class JsonPathScanner {
  /** Number of tracked slots (the first 2*slots entries of a result). */
  readonly slots: number;
  private readonly root: TrieNode;
  private readonly scratch: number[];
  private readonly kinds = new Uint8Array(MAX_DEPTH);
  private readonly nodes: (TrieNode | null)[] = new Array<TrieNode | null>(MAX_DEPTH).fill(null);
  /** Where each open container's span is recorded in the scratch array (-1: nowhere). */
  private readonly refs = new Int32Array(MAX_DEPTH);
  /** Set by string(): the string had an escape. */
  private escaped = false;
  /** Set by key(): where the member's value is recorded, and the tracked keys inside it. */
  private nextRef = -1;
  private nextNode: TrieNode | null = null;
  /**
   * The buffer of the previous scan and its 32-bit view (when 4-byte aligned), reused line after line:
   * a reader's chunk buffer stays referenced until the next scan.
   */
  private buffer: Uint8Array | null = null;
  private words: Int32Array | null = null;

  constructor(tree: ScanTree) {
    let slots = 0;
    const built = new Map<ScanTree, TrieNode>();
    const build = (t: ScanTree): TrieNode => {
      const done = built.get(t);
      if (done) return done;
      const node: TrieNode = { byFirst: [] };
      built.set(t, node);
      for (const [key, v] of Object.entries(t)) {
        const [slot, sub] = typeof v === 'number' ? [v, null] : v;
        slots = Math.max(slots, slot + 1);
        const bytes = Buffer.from(key, 'latin1');
        // key() matches a tracked key's bytes without checking them: they must be ones a key scan passes.
        if (bytes.length === 0 || bytes.some((c) => STOP[c] === 1)) throw new Error(`untrackable key: ${JSON.stringify(key)}`);
        const dotted = bytes.some((c) => KEY_STOP[c] === 1);
        (node.byFirst[bytes[0] as number] ??= []).push({ key: bytes, slot, node: sub === null ? null : build(sub), dotted });
      }
      return node;
    };
    this.root = build(tree);
    this.slots = slots;
    this.scratch = Array.from({ length: 2 * slots + 2 }, () => 0);
  }

  /** Scans `b[start, end)`; the spans (see the file comment) or null when the text is not handled. */
  scan(b: Uint8Array, start: number, end: number): number[] | null {
    if (b !== this.buffer) {
      this.buffer = b;
      this.words = b.byteOffset % 4 === 0 ? new Int32Array(b.buffer, b.byteOffset, b.length >> 2) : null;
    }
    const out = this.scratch;
    const base = 2 * this.slots;
    out.fill(0, 0, base + 2);
    out.length = base + 2;
    const kinds = this.kinds;
    const nodes = this.nodes;
    const refs = this.refs;
    let depth = 0;
    let i = skipSpace(b, start, end);
    let c: number;
    // The value about to be read: where to record it, and the tracked keys inside it if an object.
    let ref = -1;
    let node: TrieNode | null = this.root;
    if (i >= end || b[i] !== 123) return null;

    value: for (;;) {
      i = skipSpace(b, i, end);
      if (i >= end) return null;
      c = b[i] as number;
      if (c === 123 || c === 91) {
        if (depth === MAX_DEPTH) return null;
        const isObject = c === 123;
        if (ref >= 0) out[ref] = (i - start) * 16 + (isObject ? T_OBJECT : T_ARRAY);
        kinds[depth] = isObject ? 1 : 2;
        nodes[depth] = isObject ? node : null;
        refs[depth] = ref;
        depth++;
        i = skipSpace(b, i + 1, end);
        if (i < end && b[i] === (isObject ? 125 : 93)) {
          i++;
          depth--;
          if (ref >= 0) out[ref + 1] = i - start;
        } else if (isObject) {
          i = this.key(b, i, end, depth, start);
          if (i < 0) return null;
          ref = this.nextRef;
          node = this.nextNode;
          continue value;
        } else {
          ref = -1;
          node = null;
          continue value;
        }
      } else {
        const from = i;
        let type: number;
        if (c === 34) {
          this.escaped = false;
          i = this.string(b, i + 1, end);
          if (i < 0) return null;
          type = this.escaped ? T_ESCAPED : T_STRING;
        } else if (c === 45 || isDigit(c)) {
          i = number(b, i, end);
          if (i < 0) return null;
          type = T_NUMBER;
        } else if (c === 116 && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101 && i + 4 <= end) {
          i += 4;
          type = T_TRUE;
        } else if (c === 102 && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101 && i + 5 <= end) {
          i += 5;
          type = T_FALSE;
        } else if (c === 110 && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108 && i + 4 <= end) {
          i += 4;
          type = T_NULL;
        } else {
          return null;
        }
        if (ref >= 0) {
          out[ref] = (from - start) * 16 + type;
          out[ref + 1] = i - start;
        }
      }
      // After a value: `,` or the end of its container(s).
      for (;;) {
        i = skipSpace(b, i, end);
        if (depth === 0) return i === end ? out.slice() : null;
        if (i >= end) return null;
        c = b[i] as number;
        const kind = kinds[depth - 1];
        if (c === 44) {
          i++;
          if (kind === 2) {
            ref = -1;
            node = null;
            continue value;
          }
          i = this.key(b, skipSpace(b, i, end), end, depth, start);
          if (i < 0) return null;
          ref = this.nextRef;
          node = this.nextNode;
          continue value;
        }
        if ((c === 125 && kind === 1) || (c === 93 && kind === 2)) {
          i++;
          depth--;
          const r = refs[depth] as number;
          if (r >= 0) out[r + 1] = i - start;
          continue;
        }
        return null;
      }
    }
  }

  /** Reads `"key":` at `i` (whitespace before it skipped) inside the object at `depth`; the index after `:` or -1. */
  private key(b: Uint8Array, i: number, end: number, depth: number, start: number): number {
    if (i >= end || b[i] !== 34) return -1;
    const node = this.nodes[depth - 1] ?? null;
    this.nextRef = -1;
    this.nextNode = null;
    if (node === null) {
      i = this.string(b, i + 1, end);
      if (i < 0) return -1;
    } else {
      const ks = i + 1;
      const out = this.scratch;
      // A tracked key is compared in place, in one pass; any other key is scanned to its end.
      const edge = ks < end ? matchEdge(node, b, ks, end) : null;
      let j = edge === null ? ks : ks + edge.key.length;
      if (edge === null) {
        for (;;) {
          while (j < end && KEY_STOP[b[j] as number] === 0) j++;
          if (j >= end) return -1;
          const c = b[j] as number;
          if (c === 34) break;
          if (STOP[c] === 1) return -1; // escape, control or non-ASCII in a tracked key
          out[2 * this.slots] = F_DOTTED_KEY;
          j++;
        }
      }
      i = j + 1;
      if (edge?.dotted === true) out[2 * this.slots] = F_DOTTED_KEY;
      if (edge !== null) {
        const r = 2 * edge.slot;
        if (out[r] !== 0) return -1; // a tracked key twice
        this.nextRef = r;
        this.nextNode = edge.node;
      } else if (depth === 1) {
        const base = 2 * this.slots + 1;
        const n = out[base] as number;
        for (let k = 0; k < n; k++) {
          const m = base + 1 + 4 * k;
          if (sameBytes(b, ks, j, start + (out[m] as number), start + (out[m + 1] as number))) return -1; // a top-level key twice
        }
        out[base] = n + 1;
        const m = base + 1 + 4 * n;
        out[m] = ks - start;
        out[m + 1] = j - start;
        out[m + 2] = 0;
        out[m + 3] = 0;
        this.nextRef = m + 2;
      }
    }
    i = skipSpace(b, i, end);
    if (i >= end || b[i] !== 58) return -1;
    return i + 1;
  }

  /** Scans a string's contents from `i` (after the opening quote); the index after the closing quote, or -1. */
  private string(b: Uint8Array, i: number, end: number): number {
    const words = this.words;
    for (;;) {
      if (words !== null) {
        // Four bytes at a time once aligned: a third faster than byte by byte on Tetragon's long ids.
        while ((i & 3) !== 0 && i < end && STOP[b[i] as number] === 0) i++;
        if ((i & 3) === 0) {
          let k = i >> 2;
          const last = end >> 2;
          while (k < last && !hasStopByte(words[k] as number)) k++;
          i = k << 2;
        }
      }
      while (i < end && STOP[b[i] as number] === 0) i++;
      if (i >= end) return -1;
      const c = b[i] as number;
      if (c === 34) return i + 1;
      if (c !== 92) return -1; // control (invalid) or non-ASCII (not handled)
      this.escaped = true;
      const d = b[i + 1] as number;
      if (d === 117) {
        if (i + 6 > end || HEX[b[i + 2] as number] === 0 || HEX[b[i + 3] as number] === 0 || HEX[b[i + 4] as number] === 0 || HEX[b[i + 5] as number] === 0) return -1;
        i += 6;
      } else if (SIMPLE_ESCAPE[d] === 1 && i + 2 <= end) {
        i += 2;
      } else {
        return -1;
      }
    }
  }
}

/** Scans a JSON number at `i`; the index after it, or -1 if it is not one. */
function number(b: Uint8Array, i: number, end: number): number {
  let c = b[i] as number;
  if (c === 45) c = b[++i] as number;
  if (i >= end) return -1;
  if (c === 48) {
    c = b[++i] as number;
  } else if (c >= 49 && c <= 57) {
    do c = b[++i] as number;
    while (i < end && isDigit(c));
  } else {
    return -1;
  }
  if (c === 46 && i < end) {
    c = b[++i] as number;
    if (i >= end || !isDigit(c)) return -1;
    do c = b[++i] as number;
    while (i < end && isDigit(c));
  }
  if ((c === 101 || c === 69) && i < end) {
    c = b[++i] as number;
    if ((c === 43 || c === 45) && i < end) c = b[++i] as number;
    if (i >= end || !isDigit(c)) return -1;
    do c = b[++i] as number;
    while (i < end && isDigit(c));
  }
  return i;
}

/** The tracked key of `node` that the key starting at `b[s]` is (its bytes, then the closing quote), or null. */
function matchEdge(node: TrieNode, b: Uint8Array, s: number, end: number): Edge | null {
  const bucket = node.byFirst[b[s] as number];
  if (bucket === undefined) return null;
  for (const edge of bucket) {
    const k = edge.key;
    const n = k.length;
    if (s + n >= end || b[s + n] !== 34) continue;
    let j = 1;
    while (j < n && k[j] === b[s + j]) j++;
    if (j === n) return edge;
  }
  return null;
}

function sameBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let j = 0; j < e1 - s1; j++) if (b[s1 + j] !== b[s2 + j]) return false;
  return true;
}
