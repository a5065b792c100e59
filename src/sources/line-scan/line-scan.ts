/**
 * LineScanner: finds, in a chunk of JSON lines, the lines a prefiltered search must look at (those holding one of
 * its anchor literals or another spelling of one, and those not shaped like a JSON object), skipping the others
 * unread, 16 bytes at a time in WebAssembly SIMD (line-scan.wat). See CONTEXT.md.
 */
import { GUARD_ESCAPE, GUARD_KELVIN, GUARD_LONG_S, GUARD_SLASH, type RawAnchors } from '../../events/scan.js';
import { WASM_BASE64 } from './line-scan.wasm.js';

/** A literal to look for: its bytes, each matching exactly or, with `caseless`, its ASCII letters in either case. */
export interface ScanPattern {
  bytes: Uint8Array;
  caseless: boolean;
}

/** Most patterns and longest pattern line-scan.wat's tables hold. */
export const MAX_PATTERNS = 12;
export const MAX_PATTERN_BYTES = 112;

const PAGE = 65536;
const LINES = 4;
const PATTERN_TABLE = 1024;
const PATTERN_RECORD = 256;
/** Where chunks are copied to be scanned (after the tables). */
const DATA_START = 4096;
/** Bytes after the data that loads past its end may read (a pattern's compared bytes lie up to 111 bytes in, +16). */
const SLACK = 128;

interface Exports {
  memory: WebAssembly.Memory;
  next(from: number, to: number): number;
}

let compiled: WebAssembly.Module | null = null;

/** The scanner's code, compiled once per thread (~0.1 ms) when a prefiltered scan first needs it. */
function module(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(WASM_BASE64, 'base64'));
  return compiled;
}

export class LineScanner {
  private readonly exports: Exports;
  private view: Buffer;
  private words: Int32Array;
  /** Lines the latest `next` walked past. */
  linesPassed = 0;

  /**
   * `sample`: bytes of the input (its first chunk): each pattern is searched by its two bytes rarest there, which
   * leaves the fewest false candidates to compare whole.
   */
  constructor(patterns: readonly ScanPattern[], sample: Uint8Array) {
    if (patterns.length === 0 || patterns.length > MAX_PATTERNS) throw new RangeError(`a line scan takes 1 to ${MAX_PATTERNS} patterns`);
    this.exports = new WebAssembly.Instance(module(), {}).exports as unknown as Exports;
    this.view = Buffer.from(this.exports.memory.buffer);
    this.words = new Int32Array(this.exports.memory.buffer);
    const freq = byteFrequencies(sample);
    this.words[0] = patterns.length;
    patterns.forEach((p, k) => this.writePattern(PATTERN_TABLE + k * PATTERN_RECORD, p, freq));
  }

  /**
   * Copies `chunk[from, to)` (complete lines: `chunk[to - 1]` is a line feed) into the scanner's memory and
   * returns where it starts there; `next` then takes positions in that memory.
   */
  load(chunk: Buffer, from: number, to: number): number {
    const need = DATA_START + (to - from) + SLACK;
    if (need > this.exports.memory.buffer.byteLength) {
      this.exports.memory.grow(Math.ceil((need - this.exports.memory.buffer.byteLength) / PAGE));
      this.view = Buffer.from(this.exports.memory.buffer);
      this.words = new Int32Array(this.exports.memory.buffer);
    }
    chunk.copy(this.view, DATA_START, from, to);
    return DATA_START;
  }

  /** The scanner's memory (valid until the next `load`): what `load` copied, at the position it returned. */
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

  private writePattern(rec: number, p: ScanPattern, freq: Float64Array): void {
    const n = p.bytes.length;
    if (n === 0 || n > MAX_PATTERN_BYTES) throw new RangeError(`a line scan pattern has 1 to ${MAX_PATTERN_BYTES} bytes`);
    const masks = Array.from(p.bytes, (b) => (p.caseless && isAsciiLetter(b) ? 0x20 : 0));
    const folded = Array.from(p.bytes, (b, i) => b | (masks[i] as number));
    // The two rarest positions (by their byte's frequency, both cases counted for a caseless letter).
    const rarity = (i: number): number => {
      const b = folded[i] as number;
      return (freq[b] as number) + (masks[i] !== 0 ? (freq[b & ~0x20] as number) : 0);
    };
    const order = [...folded.keys()].sort((a, b) => rarity(a) - rarity(b) || a - b);
    const o1 = order[0] as number;
    const o2 = order[1] ?? o1;
    this.words[rec / 4] = n;
    this.words[rec / 4 + 1] = o1;
    this.words[rec / 4 + 2] = o2;
    this.view[rec + 12] = folded[o1] as number;
    this.view[rec + 13] = masks[o1] as number;
    this.view[rec + 14] = folded[o2] as number;
    this.view[rec + 15] = masks[o2] as number;
    for (let i = 0; i < n; i++) {
      this.view[rec + 16 + i] = folded[i] as number;
      this.view[rec + 128 + i] = masks[i] as number;
    }
  }
}

/** The other spellings of a literal (RawFilter's guards) as the bytes that begin them in UTF-8 JSON text. */
const GUARD_BYTES: readonly [number, string][] = [
  [GUARD_ESCAPE, '5c75'], // `\u`
  [GUARD_SLASH, '5c2f'], // `\/`
  [GUARD_KELVIN, 'e284aa'], // U+212A
  [GUARD_LONG_S, 'c5bf'], // U+017F
];

/**
 * What a line scan looks for so as to return every line holding one of `anchors` (or another spelling of one):
 * the anchors, caseless, and their guards' bytes. Several anchors sharing a substring of 4 or more characters are
 * searched as that substring alone (a necessary condition too, and one pattern instead of several: each costs a
 * pass of comparisons); an anchor longer than a pattern can be is cut. Null when they would not fit the tables.
 */
export function scanPatterns(anchors: RawAnchors): ScanPattern[] | null {
  let texts = [...anchors.texts];
  if (texts.length > 1) {
    const shared = longestCommonSubstring(texts);
    if (shared.length >= 4) texts = [shared];
  }
  const patterns: ScanPattern[] = texts.map((t) => ({ bytes: Buffer.from(t.slice(0, MAX_PATTERN_BYTES), 'latin1'), caseless: true }));
  for (const [guard, hex] of GUARD_BYTES) if ((anchors.guards & guard) !== 0) patterns.push({ bytes: Buffer.from(hex, 'hex'), caseless: false });
  return patterns.length <= MAX_PATTERNS ? patterns : null;
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

function isAsciiLetter(b: number): boolean {
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x7a;
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
