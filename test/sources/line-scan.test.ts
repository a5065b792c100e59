import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GUARD_ESCAPE, GUARD_KELVIN, GUARD_LONG_S, GUARD_SLASH } from '../../src/events/scan.js';
import { anchorsFit, fitsScanner, LineScanner, MAX_PATTERNS, scanGroups, type ScanGroups, type ScanPattern } from '../../src/sources/line-scan/line-scan.js';
import { rng } from '../rng.js';
// @ts-expect-error: a build script without type declarations
import { watFiles, wasmModuleSource } from '../../scripts/build-wasm.mjs';

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;

/** Whether `bytes` holds pattern `p`, by the definition. */
function holds(bytes: Buffer, p: ScanPattern): boolean {
  const fold = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
  for (let at = 0; at + p.bytes.length <= bytes.length; at++) {
    let k = 0;
    while (k < p.bytes.length && (p.caseless ? fold(bytes[at + k] as number) === fold(p.bytes[k] as number) : bytes[at + k] === p.bytes[k])) k++;
    if (k === p.bytes.length) return true;
  }
  return false;
}

/** The lines (their byte offsets) a scan must stop at, computed directly from the definition. */
function expectedStops(lines: readonly string[], groups: ScanGroups): number[] {
  const stops: number[] = [];
  let offset = 0;
  for (const line of lines) {
    const bytes = Buffer.from(line, 'utf8');
    const all = groups.length > 0 && groups.every((g) => g.some((p) => holds(bytes, p)));
    const inner = line.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
    const shaped = inner === '' || (inner.length >= 2 && inner.startsWith('{') && inner.endsWith('}'));
    if (all || !shaped) stops.push(offset);
    offset += bytes.length + 1;
  }
  return stops;
}

/** Where a scan stops, and the lines it counts past, walking `text` as FileSource does. */
function scan(scanner: LineScanner, text: Buffer): { stops: number[]; passed: number } {
  const at = scanner.load(text, 0, text.length);
  const stops: number[] = [];
  let passed = 0;
  let p = at;
  while (p < at + text.length) {
    const stop = scanner.next(p, at + text.length);
    passed += scanner.linesPassed;
    if (stop >= at + text.length) break;
    stops.push(stop - at);
    p = text.indexOf(10, stop - at) + 1 + at;
  }
  return { stops, passed };
}

describe('LineScanner', () => {
  it('is the compilation of line-scan.wat (node scripts/build-wasm.mjs)', async () => {
    const wats = (watFiles() as string[]).filter((f) => f.endsWith('line-scan.wat'));
    expect(wats).toHaveLength(1);
    const wat = wats[0] as string;
    expect(readFileSync(wat.replace(/\.wat$/, '.wasm.ts'), 'utf8')).toBe(await wasmModuleSource(wat));
  });

  it('stops exactly at the lines holding a pattern of every group (either ASCII case when caseless) or not object-shaped', () => {
    const r = rng(11);
    const alphabet = ['a', 'c', 'u', 'r', 'l', 'C', 'U', 'R', 'L', 'k', 'K', '"', '/', '\\', ' ', '\t', '{', '}', 'x', '\r', '\u212a', '\u017f', '\u00e9'];
    const texts = ['curl"', '"curl"', 'url', 'k', 'a"/', 'LL', '\\u', '\\/', 'x{', '/ll"', '"ll"', 'xll"', '"rl"'];
    const pattern = (): ScanPattern => ({ bytes: Buffer.from(pick(r, texts), 'latin1'), caseless: r() < 0.7 });
    let stops = 0;
    let skips = 0;
    let tried = 0;
    let shared = 0; // first groups of more patterns than slots (some share one)
    while (tried < 3000) {
      const groups: ScanPattern[][] = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, g) => Array.from({ length: 1 + Math.floor(r() * (g === 0 && r() < 0.3 ? 8 : 3)) }, pattern));
      if (r() < 0.3) groups[0]?.push({ bytes: Buffer.from('\u212a', 'utf8'), caseless: false });
      if (!fitsScanner(groups)) continue;
      tried++;
      if ((groups[0] as ScanPattern[]).filter((p) => p.bytes[0] !== 0x5c && (p.bytes[0] as number) < 0x80).length > 4) shared++;
      const lines = Array.from({ length: 1 + Math.floor(r() * 8) }, () => {
        let l = r() < 0.85 ? '{' : '';
        const len = Math.floor(r() * 60);
        for (let j = 0; j < len; j++) l += pick(r, alphabet);
        return r() < 0.85 ? `${l}}` : l;
      });
      const text = Buffer.from(lines.join('\n') + '\n', 'utf8');
      // The compared bytes are chosen by a sample: any sample must give the same stops.
      const scanner = new LineScanner(groups, r() < 0.5 ? text : Buffer.alloc(0));
      const want = expectedStops(lines, groups);
      const got = scan(scanner, text);
      expect(got.stops, JSON.stringify({ lines, groups: groups.map((g) => g.map((p) => [Buffer.from(p.bytes).toString(), p.caseless])) })).toEqual(want);
      expect(got.passed).toBe(lines.length - want.length);
      stops += want.length;
      skips += lines.length - want.length;
    }
    // Both outcomes are exercised, and slots shared by patterns with bytes in common at the same places.
    expect(stops).toBeGreaterThan(2000);
    expect(skips).toBeGreaterThan(2000);
    expect(shared).toBeGreaterThan(100);
  });

  it('finds patterns across its 16-byte blocks, at the very end of the data, in long lines and after a grown memory', () => {
    const scanner = new LineScanner([[{ bytes: Buffer.from('curl'), caseless: true }]], Buffer.alloc(0));
    for (let pad = 0; pad < 40; pad++) {
      const line = `{${'x'.repeat(pad)}CuRl}`;
      const filler = `{${'y'.repeat(pad * 7)}}`;
      const text = Buffer.from(`${filler}\n${line}\n${filler}\n`);
      expect(scan(scanner, text)).toEqual({ stops: [filler.length + 1], passed: 2 });
    }
    const big = Buffer.from(`${'{"a":"b"}\n'.repeat(300_000)}{"curl":1}\n`); // 3 MB: the memory grows
    expect(scan(scanner, big)).toEqual({ stops: [3_000_000], passed: 300_000 });
    // Three and four slots (their own 64-byte skip), and more patterns sharing them: each pattern, anywhere in a long line.
    for (const texts of [['curl', 'nsenter', 'mount'], ['ps', '/ls"', '"ls"', 'nsenter'], ['ps', '/ls"', '"ls"', 'nsenter', 'mount', '/cron"', '"cron"']]) {
      const many = new LineScanner([texts.map((t) => ({ bytes: Buffer.from(t), caseless: true }))], Buffer.alloc(0));
      for (const t of texts) {
        for (let pad = 0; pad < 150; pad += 7) {
          const line = `{${'x'.repeat(pad)}${t.toUpperCase()}${'z'.repeat(150 - pad)}}`;
          const filler = `{${'y'.repeat(200 + pad)}}`;
          expect(scan(many, Buffer.from(`${filler}\n${line}\n${filler}\n`)), `${t} at ${pad}`).toEqual({ stops: [filler.length + 1], passed: 2 });
        }
      }
    }
  });

  it('scans reserved read buffers in place, and copies other chunks after them', () => {
    const scanner = new LineScanner([[{ bytes: Buffer.from('curl'), caseless: true }]], Buffer.alloc(0));
    const [a, b] = scanner.reserve(2, 64);
    const text = Buffer.from('{"x":1}\n{"CURL":2}\n');
    text.copy(b as Buffer);
    const at = scanner.load(b as Buffer, 0, text.length);
    expect(at).toBe((b as Buffer).byteOffset); // no copy
    expect(scanner.next(at, at + text.length) - at).toBe(8);
    expect((a as Buffer).byteOffset + 64).toBeLessThan((b as Buffer).byteOffset + 1);
    const other = scanner.load(text, 0, text.length);
    expect(other).toBeGreaterThanOrEqual((b as Buffer).byteOffset + 64);
    expect(scanner.next(other, other + text.length) - other).toBe(8);
    expect(() => scanner.load(Buffer.alloc(100, 10), 0, 100)).toThrow(RangeError); // the memory cannot grow any more
  });

  it('finds each findable pattern where a search of the bytes does, after the groups and within the range given', () => {
    const r = rng(23);
    const alphabet = ['"', 'b', 'i', 'n', 'a', 'r', 'y', '\\', 'u', ':', ' ', 'B', '{', '}', '\u00e9'];
    const texts = ['"binary"', '\\u', 'ry"', 'b', '"a"', 'nary'];
    let found = 0;
    for (let t = 0; t < 400; t++) {
      const findable = Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({ bytes: Buffer.from(pick(r, texts), 'latin1'), caseless: false }));
      let line = '';
      for (let j = Math.floor(r() * 90); j > 0; j--) line += pick(r, alphabet);
      const text = Buffer.from(line + '\n', 'utf8');
      const scanner = new LineScanner([[{ bytes: Buffer.from('zz'), caseless: true }]], r() < 0.5 ? text : Buffer.alloc(0), findable);
      const at = scanner.load(text, 0, text.length);
      const from = Math.floor(r() * 10);
      const to = text.length - 1 - Math.floor(r() * 10);
      findable.forEach((p, i) => {
        const i0 = text.subarray(0, Math.max(from, to)).indexOf(p.bytes, from);
        const want = i0 >= 0 && i0 + p.bytes.length <= to ? i0 : -1;
        const got = scanner.find(i, at + from, at + to);
        expect(got < 0 ? -1 : got - at, JSON.stringify({ line, p: Buffer.from(p.bytes).toString('latin1'), from, to })).toBe(want);
        if (want >= 0) found++;
      });
    }
    expect(found).toBeGreaterThan(100);
    expect(() => new LineScanner([[{ bytes: Buffer.from('zz'), caseless: true }]], Buffer.alloc(0), Array.from({ length: MAX_PATTERNS }, () => ({ bytes: Buffer.from('a'), caseless: false })))).toThrow(RangeError);
  });

  it('treats blank lines as skippable and a lone brace, text or array as malformed', () => {
    const scanner = new LineScanner([[{ bytes: Buffer.from('zz'), caseless: false }]], Buffer.alloc(0));
    const lines = ['', ' \t\r', '{}', '  { "a": 1 }\r', '{', '}', '[1]', 'x', '{"a":1} x', '\u00a0{}'];
    const text = Buffer.from(lines.join('\n') + '\n');
    expect(scan(scanner, text).stops).toEqual(expectedStops(lines, []));
    expect(expectedStops(lines, [])).toHaveLength(6);
  });

  it("searches an anchor set's shared substring once, every guard's spelling, and the conjuncts that fit", () => {
    const bytes = (g: ScanGroups | null): string[][] | undefined => g?.map((ps) => ps.map((p) => Buffer.from(p.bytes).toString('latin1')));
    const none: [] = [];
    expect(bytes(scanGroups({ texts: ['/curl"', '"curl"'], guards: GUARD_ESCAPE | GUARD_SLASH, weak: false, conjuncts: [{ texts: ['"process_exec"'], guards: GUARD_ESCAPE }] }))).toEqual([
      ['curl"', '\\u', '\\/'],
      ['"process_exec"', '\\u'],
    ]);
    expect(bytes(scanGroups({ texts: ['nsenter'], guards: GUARD_ESCAPE | GUARD_KELVIN | GUARD_LONG_S, weak: false, conjuncts: none }))).toEqual([['nsenter', '\\u', '\xe2\x84\xaa', '\xc5\xbf']]);
    // Key names are not merged (they share `"process_`, in every line).
    expect(bytes(scanGroups({ texts: ['"process_exec"', '"process_kprobe'], guards: GUARD_ESCAPE, weak: true, conjuncts: none }))).toEqual([['"process_exec"', '"process_kprobe', '\\u']]);
    // Nothing long enough shared: each anchor is its own pattern, and its own slot of comparisons (at most 4).
    expect(bytes(scanGroups({ texts: ['sh', 'bash', 'zsh'], guards: 0, weak: false, conjuncts: none }))).toEqual([['sh', 'bash', 'zsh']]);
    expect(scanGroups({ texts: ['a1', 'b2', 'c3', 'd4', 'e5'], guards: 0, weak: false, conjuncts: none })).toBeNull();
    // More than 4: those with two bytes or more in common at the same places share a slot (`ls"` of `/ls"`, `"ls"`).
    expect(bytes(scanGroups({ texts: ['ps', '/ls"', '"ls"', 'nsenter', 'mount'], guards: 0, weak: false, conjuncts: none }))).toEqual([['ps', '/ls"', '"ls"', 'nsenter', 'mount']]);
    expect(anchorsFit(['ps', '/ls"', '"ls"', 'nsenter'])).toBe(true);
    expect(anchorsFit(['ps', '/ls"', '"ls"', 'nsenter', 'mount'])).toBe(false); // (one slot each)
    // Conjuncts beyond the tables' room are left out (a weaker condition, still a necessary one).
    const many = Array.from({ length: 6 }, (_, i) => ({ texts: [`key${i}`], guards: GUARD_ESCAPE }));
    expect(bytes(scanGroups({ texts: ['curl'], guards: 0, weak: false, conjuncts: many }))).toEqual([['curl'], ['key0', '\\u'], ['key1', '\\u'], ['key2', '\\u']]);
    expect(scanGroups({ texts: Array.from({ length: MAX_PATTERNS + 1 }, (_, i) => `t${i}x`), guards: 0, weak: false, conjuncts: none })).toBeNull();
    expect(scanGroups({ texts: ['a'.repeat(200)], guards: 0, weak: false, conjuncts: none })?.[0]?.[0]?.bytes.length).toBe(112);
    // Room left for a scanner's findable patterns: conjuncts are given up first, then the anchors (null).
    expect(bytes(scanGroups({ texts: ['curl'], guards: 0, weak: false, conjuncts: many }, MAX_PATTERNS - 3))).toEqual([['curl'], ['key0', '\\u']]);
    expect(scanGroups({ texts: ['curl'], guards: 0, weak: false, conjuncts: many }, MAX_PATTERNS)).toBeNull();
  });
});
