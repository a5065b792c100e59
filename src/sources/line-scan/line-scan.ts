/**
 * LineScanner: finds, in a chunk of JSON lines, the lines a prefiltered search must look at (those holding one of
 * its anchor literals or another spelling of one, and those not shaped like a JSON object), skipping the others
 * unread, 16 bytes at a time in WebAssembly SIMD (line-scan.wat). See CONTEXT.md.
 */
import { GUARD_ESCAPE, GUARD_KELVIN, GUARD_LONG_S, GUARD_SLASH, type RawAnchors, type RawRegex } from '../../events/scan.js';
import { WASM_BASE64 } from './line-scan.wasm.js';

/** A literal to look for: its bytes, each matching exactly or, with `caseless`, its ASCII letters in either case. */
export interface ScanPattern {
  bytes: Uint8Array;
  caseless: boolean;
}

/**
 * What a line scan stops at: lines holding a pattern of every group (and lines not shaped like a JSON object).
 * The first group is searched in the whole text, the others only in the lines holding the first.
 */
export type ScanGroups = readonly (readonly ScanPattern[])[];

/** Capacities of line-scan.wat's tables. */
export const MAX_PATTERNS = 12;
export const MAX_PATTERN_BYTES = 112;
const MAX_SLOTS = 4;
const MAX_GROUPS = 4;

const PAGE = 65536;
const LINES = 4;
const GROUP_COUNT = 12;
const HIGH_PATTERNS = 16;
const ESCAPE_PATTERNS = 24;
const SLOT_TABLE = 64;
const SLOT_RECORD = 32;
const GROUP_TABLE = 192;
const PATTERN_TABLE = 1024;
const PATTERN_RECORD = 256;
/** Where chunks are copied to be scanned (after the tables). */
const DATA_START = 4096;
/** Bytes after the data that loads past its end may read (a pattern's compared bytes lie up to 111 bytes in, +16). */
const SLACK = 128;

interface Exports {
  memory: WebAssembly.Memory;
  next(from: number, to: number): number;
  find(k: number, from: number, to: number): number;
}

let compiled: WebAssembly.Module | null = null;

/** The scanner's code, compiled once per thread (~0.1 ms) when a prefiltered scan first needs it. */
function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
  return compiled;
}

/**
 * The first group's patterns as the scan compares them 16 positions at once: in "slots" of two compared bytes,
 * except those found by their first byte's class, which the block's load gives nearly for free: the escapes (`\u`,
 * `\/`) wherever a byte is a backslash, those beginning with a non-ASCII byte (U+212A, U+017F) wherever one has its
 * high bit set. Each pattern has a slot of its own, unless there are more than MAX_SLOTS: then patterns with bytes
 * in common at the same places share one, compared on two of those (`/ls"` and `"ls"` on `ls"`), the pair with the
 * most such bytes first. Null when they still do not fit.
 */
function slotsOf(first: readonly ScanPattern[]): { slots: ScanPattern[][]; escapes: ScanPattern[]; high: ScanPattern[] } | null {
  const escapes = first.filter((p) => !p.caseless && p.bytes[0] === 0x5c);
  const high = first.filter((p) => !p.caseless && (p.bytes[0] as number) >= 0x80);
  const slots = first.filter((p) => !escapes.includes(p) && !high.includes(p)).map((p) => [p]);
  while (slots.length > MAX_SLOTS) {
    let best: [number, number] | null = null;
    let most = 1; // two shared bytes at least: a slot compares two
    for (let i = 0; i < slots.length; i++) {
      for (let j = i + 1; j < slots.length; j++) {
        const shared = sharedBytes([...(slots[i] as ScanPattern[]), ...(slots[j] as ScanPattern[])]).length;
        if (shared > most) {
          most = shared;
          best = [i, j];
        }
      }
    }
    if (best === null) return null;
    const [i, j] = best;
    slots[i] = [...(slots[i] as ScanPattern[]), ...(slots[j] as ScanPattern[])];
    slots.splice(j, 1);
  }
  return { slots, escapes, high };
}

/** The offsets at which every one of `patterns` has the same byte, compared the same way (caseless or exact). */
function sharedBytes(patterns: readonly ScanPattern[]): number[] {
  const p = patterns[0] as ScanPattern;
  const n = Math.min(...patterns.map((q) => q.bytes.length));
  const folded = (q: ScanPattern, i: number): number => (q.bytes[i] as number) | caseMask(q, i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (patterns.every((q) => folded(q, i) === folded(p, i) && caseMask(q, i) === caseMask(p, i))) out.push(i);
  return out;
}

/**
 * Whether a scanner searches these anchors (events/scan.ts rawAnchors) each in a slot of its own: rawAnchors takes
 * fewer texts to get there when it can, as shared slots stop at more false candidates.
 */
export function anchorsFit(texts: readonly string[]): boolean {
  return texts.length <= MAX_SLOTS;
}

/**
 * Whether `groups` fit the scanner: a first group of at most MAX_SLOTS slots, at most MAX_GROUPS groups and
 * MAX_PATTERNS patterns of 1 to MAX_PATTERN_BYTES bytes. (scanGroups builds groups that fit.)
 */
export function fitsScanner(groups: ScanGroups): boolean {
  const all = groups.flat();
  return (
    groups.length >= 1 &&
    groups.length <= MAX_GROUPS &&
    groups.every((g) => g.length > 0) &&
    all.length <= MAX_PATTERNS &&
    all.every((p) => p.bytes.length >= 1 && p.bytes.length <= MAX_PATTERN_BYTES) &&
    slotsOf(groups[0] as readonly ScanPattern[]) !== null
  );
}

export class LineScanner {
  private readonly exports: Exports;
  private view: Buffer;
  private words: Int32Array;
  /** Lines the latest `next` walked past. */
  linesPassed = 0;
  /** The read buffers of `reserve`: where they end, and their size. */
  private reserved: { end: number; size: number } | null = null;
  /** The table index of the first pattern `find` looks for (they follow the groups'). */
  private readonly firstFindable: number;

  /**
   * `sample`: bytes of the input (its first chunk): each pattern is searched by its two bytes rarest there, which
   * leaves the fewest false candidates to compare whole. `findable`: patterns in no group, for `find` (at most
   * MAX_PATTERNS in all). Throws a RangeError for groups that do not `fitsScanner`, or too many patterns.
   */
  constructor(groups: ScanGroups, sample: Uint8Array, findable: readonly ScanPattern[] = []) {
    if (!fitsScanner(groups)) throw new RangeError('these patterns do not fit a line scan (see fitsScanner)');
    if (groups.flat().length + findable.length > MAX_PATTERNS) throw new RangeError(`a line scan holds at most ${MAX_PATTERNS} patterns`);
    this.exports = new WebAssembly.Instance(module(), {}).exports as unknown as Exports;
    this.view = Buffer.from(this.exports.memory.buffer);
    this.words = new Int32Array(this.exports.memory.buffer);
    const freq = byteFrequencies(sample);
    // Patterns in group order (each group's a range of the table); the first group's by slot.
    const { slots, escapes, high } = slotsOf(groups[0] as readonly ScanPattern[]) as NonNullable<ReturnType<typeof slotsOf>>;
    let k = 0;
    const put = (p: ScanPattern): [number, number] => {
      const at = this.writePattern(PATTERN_TABLE + k * PATTERN_RECORD, p, freq, sample);
      k++;
      return at;
    };
    this.words[0] = slots.length;
    slots.forEach((shared, s) => {
      const rec = SLOT_TABLE + s * SLOT_RECORD;
      this.words[rec / 4 + 3] = k;
      const p = shared[0] as ScanPattern;
      let [o1, o2] = put(p);
      if (shared.length > 1) {
        shared.slice(1).forEach(put);
        [o1, o2] = searchedBytes(p, freq, sample, sharedBytes(shared));
      }
      this.words[rec / 4 + 4] = k;
      this.words[rec / 4] = o1;
      this.words[rec / 4 + 1] = o2;
      this.writeByte(rec + 8, p, o1);
      this.writeByte(rec + 10, p, o2);
    });
    for (const [range, patterns] of [[HIGH_PATTERNS, high], [ESCAPE_PATTERNS, escapes]] as const) {
      this.words[range / 4] = k;
      patterns.forEach(put);
      this.words[range / 4 + 1] = k;
    }
    this.words[GROUP_COUNT / 4] = groups.length;
    groups.forEach((group, g) => {
      if (g === 0) return; // searched by the slots
      this.words[(GROUP_TABLE + g * 8) / 4] = k;
      group.forEach(put);
      this.words[(GROUP_TABLE + g * 8) / 4 + 1] = k;
    });
    this.firstFindable = k;
    findable.forEach(put);
  }

  /**
   * `count` buffers of `size` bytes in the scanner's memory, for reads to land in: `load` then scans them in place.
   * Once called, the memory never grows again (it would move them), so chunks from elsewhere must fit `size`.
   */
  reserve(count: number, size: number): Buffer[] {
    if (this.reserved !== null) throw new Error('a line scanner reserves its read buffers once');
    const stride = size + SLACK;
    this.grow(DATA_START + (count + 1) * stride); // and a last one where other chunks are copied
    this.reserved = { end: DATA_START + count * stride, size };
    return Array.from({ length: count }, (_, i) => this.view.subarray(DATA_START + i * stride, DATA_START + i * stride + size));
  }

  /**
   * Where `chunk[from, to)` (complete lines: `chunk[to - 1]` is a line feed) is in the scanner's memory, for
   * `next`: in place for a buffer of `reserve`, else copied there.
   */
  load(chunk: Buffer, from: number, to: number): number {
    if (chunk.buffer === this.exports.memory.buffer) return chunk.byteOffset + from;
    const at = this.reserved?.end ?? DATA_START;
    if (this.reserved !== null && to - from > this.reserved.size) throw new RangeError('a chunk larger than the reserved read buffers');
    this.grow(at + (to - from) + SLACK);
    chunk.copy(this.view, at, from, to);
    return at;
  }

  private grow(bytes: number): void {
    const have = this.exports.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.exports.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.view = Buffer.from(this.exports.memory.buffer);
    this.words = new Int32Array(this.exports.memory.buffer);
  }

  /** The scanner's memory (valid until the next `load`): the chunk `load` placed, at the position it returned. */
  get memory(): Buffer {
    return this.view;
  }

  /**
   * The start of the first line in memory[from, to) (`from` a line start, `to` just after a line feed) that holds
   * a pattern or is not blank nor object-shaped, or `to`; `linesPassed` is then the number of lines before it.
   */
  next(from: number, to: number): number {
    const at = this.exports.next(from, to);
    this.linesPassed = this.words[LINES / 4] as number;
    return at;
  }

  /** Where `findable[i]` of the constructor first occurs in memory[from, to) (a line's bytes: see `next`), or -1. */
  find(i: number, from: number, to: number): number {
    return this.exports.find(this.firstFindable + i, from, to);
  }

  /** Pattern `p`'s byte at `i` and its mask at `at` and `at + 1`. */
  private writeByte(at: number, p: ScanPattern, i: number): void {
    const mask = caseMask(p, i);
    this.view[at] = (p.bytes[i] as number) | mask;
    this.view[at + 1] = mask;
  }

  /** Writes pattern `p` at `rec`; returns the offsets of its two searched bytes (see searchedBytes). */
  private writePattern(rec: number, p: ScanPattern, freq: Float64Array, sample: Uint8Array): [number, number] {
    const n = p.bytes.length;
    const [o1, o2] = searchedBytes(p, freq, sample);
    this.words[rec / 4] = n;
    this.words[rec / 4 + 1] = o1;
    this.words[rec / 4 + 2] = o2;
    this.writeByte(rec + 12, p, o1);
    this.writeByte(rec + 14, p, o2);
    for (let i = 0; i < n; i++) {
      const mask = caseMask(p, i);
      this.view[rec + 16 + i] = (p.bytes[i] as number) | mask;
      this.view[rec + 128 + i] = mask;
    }
    return [o1, o2];
  }
}

/**
 * A filter's keyed regexes (events/scan.ts `keyedRegexes`) tested on the bytes of a line the scan stopped at, before
 * it is decoded: each must match inside a string value of one of its keys (found by the scanner's `find`, given
 * `patterns` as its findable ones), or the line must hold a `\u` escape. A line failing that fails the filter: it is
 * rejected without being decoded, and the regexes run over a few short values instead of the whole line. A value
 * whose closing quote is not in the line passes (invalid JSON: never a result).
 */
export class KeyedRegexes {
  /** For the scanner's `findable`: `\u`, then each key as `"name"`. */
  readonly patterns: ScanPattern[];
  /** Each regex, and the indexes of its keys' patterns. */
  private readonly tests: { re: RegExp; keys: number[] }[];

  constructor(regexes: readonly RawRegex[]) {
    const names = [...new Set(regexes.flatMap((r) => r.keys ?? []))];
    this.patterns = ['\\u', ...names.map((k) => `"${k}"`)].map((t) => ({ bytes: Buffer.from(t, 'latin1'), caseless: false }));
    this.tests = regexes.map((r) => ({ re: new RegExp(r.source, r.flags.replace(/[gy]/g, '')), keys: (r.keys ?? []).map((k) => names.indexOf(k) + 1) }));
  }

  /**
   * Whether the line memory[from, to) of `scanner` (without its line feed) may pass the regexes. (Each pattern is
   * searched on its own: one pass comparing every pattern's bytes in each block of the line cost more, measured.)
   */
  test(scanner: LineScanner, from: number, to: number): boolean {
    if (scanner.find(0, from, to) >= 0) return true; // `\u`
    const m = scanner.memory;
    for (const { re, keys } of this.tests) {
      let found = false;
      for (let k = 0; k < keys.length && !found; k++) {
        const key = keys[k] as number;
        const length = (this.patterns[key] as ScanPattern).bytes.length;
        for (let at = scanner.find(key, from, to); at >= 0 && !found; at = scanner.find(key, at + 1, to)) {
          // `"name"`, blanks, `:`, blanks, `"`: a member with a string value (a string `"name"` is followed by none).
          let q = skipBlanks(m, at + length, to);
          if (q >= to || m[q] !== 58) continue;
          q = skipBlanks(m, q + 1, to);
          if (q >= to || m[q] !== 34) continue;
          const start = q + 1;
          let high = false;
          for (q = start; q < to; q++) {
            const c = m[q] as number;
            if (c === 34) break;
            if (c === 92) q++;
            else if (c >= 0x80) high = true;
          }
          found = q >= to || re.test(m.toString(high ? 'utf8' : 'latin1', start, q));
        }
      }
      if (!found) return false;
    }
    return true;
  }
}

/** The first position from `q` on that is not a JSON blank (space, tab, CR), or `to`. */
function skipBlanks(m: Buffer, q: number, to: number): number {
  while (q < to && (m[q] === 32 || m[q] === 9 || m[q] === 13)) q++;
  return q;
}

/** The other spellings of a literal (RawFilter's guards) as the bytes that begin them in UTF-8 JSON text. */
const GUARD_BYTES: readonly [number, string][] = [
  [GUARD_ESCAPE, '5c75'], // `\u`
  [GUARD_SLASH, '5c2f'], // `\/`
  [GUARD_KELVIN, 'e284aa'], // U+212A
  [GUARD_LONG_S, 'c5bf'], // U+017F
];

/**
 * What a line scan looks for so as to stop at every line a filter with `anchors` may pass: first the anchors
 * (caseless) and their guards' bytes, then each literal conjunct of the filter the same way (the rarest first, as
 * many as fit). Several anchors (value literals) sharing a substring of 4 or more characters are searched as that
 * substring alone (a necessary condition too, and one slot of comparisons instead of several); a literal longer than a pattern can
 * be is cut to its start. Null when the anchors alone do not fit. `room`: patterns to leave free (a scanner's `findable`).
 */
export function scanGroups(anchors: RawAnchors, room = 0): ScanGroups | null {
  const group = (set: { texts: readonly string[]; guards: number }, merge: boolean): ScanPattern[] => {
    let texts = [...set.texts];
    if (merge && texts.length > 1) {
      const shared = longestCommonSubstring(texts);
      if (shared.length >= 4) texts = [shared];
    }
    const patterns: ScanPattern[] = texts.map((t) => ({ bytes: Buffer.from(t.slice(0, MAX_PATTERN_BYTES), 'latin1'), caseless: true }));
    for (const [guard, hex] of GUARD_BYTES) if ((set.guards & guard) !== 0) patterns.push({ bytes: Buffer.from(hex, 'hex'), caseless: false });
    return patterns;
  };
  // Key names are not merged: `"process_exec"` and `"process_kprobe` share `"process_`, which every line holds.
  const groups: ScanPattern[][] = [group(anchors, !anchors.weak)];
  if (!fitsScanner(groups) || groups.flat().length + room > MAX_PATTERNS) return null;
  for (const set of anchors.conjuncts) {
    const next = [...groups, group(set, true)];
    if (fitsScanner(next) && next.flat().length + room <= MAX_PATTERNS) groups.push(next[next.length - 1] as ScanPattern[]);
  }
  return groups;
}

/** The longest string that is a substring of every one of `texts` (the first found among equally long ones). */
function longestCommonSubstring(texts: readonly string[]): string {
  const shortest = texts.reduce((a, b) => (b.length < a.length ? b : a));
  for (let len = shortest.length; len > 0; len--) {
    for (let i = 0; i + len <= shortest.length; i++) {
      const sub = shortest.slice(i, i + len);
      if (texts.every((t) => t.includes(sub))) return sub;
    }
  }
  return '';
}

/** 0x20 where byte `i` of `p` matches either ASCII case (a caseless pattern's letter), else 0: OR-ed onto the data byte. */
function caseMask(p: ScanPattern, i: number): number {
  const l = (p.bytes[i] as number) | 0x20;
  return p.caseless && l >= 0x61 && l <= 0x7a ? 0x20 : 0;
}

/** Bytes of the sample the pairs of searched bytes are counted in (enough to rank them, cheap to count). */
const PAIR_SAMPLE = 16384;
/** The rarest single bytes of a pattern whose pairs are counted. */
const PAIR_CANDIDATES = 6;

/**
 * The two bytes of `p` the scan compares 16 positions at once: of the pairs of its PAIR_CANDIDATES rarest bytes,
 * the one found together at their distance least often in the sample (two rare bytes may still come together
 * often: `u` and `r` of `curl"` did 6 times more than `u` and `l` in Tetragon exports). Each false candidate
 * costs a comparison of the whole pattern. `among`: the offsets to choose from (a shared slot's common bytes).
 */
function searchedBytes(p: ScanPattern, freq: Float64Array, sample: Uint8Array, among?: readonly number[]): [number, number] {
  const n = p.bytes.length;
  const caseless = (i: number): boolean => caseMask(p, i) !== 0;
  const folded = Array.from(p.bytes, (b, i) => (caseless(i) ? b | 0x20 : b));
  const rarity = (i: number): number => {
    const b = folded[i] as number;
    return caseless(i) ? (freq[b] as number) + (freq[b & ~0x20] as number) : (freq[b] as number);
  };
  const rarest = (among ?? Array.from({ length: n }, (_, i) => i))
    .slice()
    .sort((a, b) => rarity(a) - rarity(b) || a - b)
    .slice(0, PAIR_CANDIDATES);
  if (rarest.length === 1) return [0, 0];
  const text = Buffer.from(sample.buffer, sample.byteOffset, Math.min(sample.length, PAIR_SAMPLE));
  const matches = (i: number, q: number): boolean => ((text[q] as number) | caseMask(p, i)) === folded[i];
  // Where each candidate byte occurs (native searches for its one or two spellings).
  const where = new Map<number, number[]>();
  for (const i of rarest) {
    const at: number[] = [];
    for (const b of caseless(i) ? [folded[i] as number, (folded[i] as number) & ~0x20] : [folded[i] as number]) {
      for (let q = text.indexOf(b); q >= 0; q = text.indexOf(b, q + 1)) at.push(q);
    }
    where.set(i, at);
  }
  let best: [number, number] = [rarest[0] as number, rarest[1] as number];
  let bestCount = Infinity;
  for (let x = 0; x < rarest.length; x++) {
    for (let y = x + 1; y < rarest.length; y++) {
      const i = Math.min(rarest[x] as number, rarest[y] as number);
      const j = Math.max(rarest[x] as number, rarest[y] as number);
      let count = 0;
      for (const q of where.get(i) as number[]) if (q + j - i < text.length && matches(j, q + j - i)) count++;
      if (count < bestCount) {
        bestCount = count;
        best = [i, j];
      }
    }
  }
  return best;
}

/** Each byte value's share of `sample` (+1 each: a byte absent from the sample is rare, not impossible). */
function byteFrequencies(sample: Uint8Array): Float64Array {
  const f = new Float64Array(256).fill(1);
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i] as number;
    f[b] = (f[b] as number) + 1;
  }
  return f;
}
