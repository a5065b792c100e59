import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { F_DOTTED_KEY, JsonPathScanner, MAX_SCAN_BYTES, T_ARRAY, T_ESCAPED, T_FALSE, T_NULL, T_NUMBER, T_OBJECT, T_STRING, T_TRUE, type ScanTree } from '../../src/normalize/json-scan.js';
// @ts-expect-error: a build script without type declarations
import { watFiles, wasmModuleSource } from '../../scripts/build-wasm.mjs';

const FIX = new URL('../fixtures/tetragon/', import.meta.url);
const realLines = ['upstream-samples.jsonl', 'splunk-example.jsonl', 'synthetic.jsonl'].flatMap((n) =>
  readFileSync(new URL(n, FIX), 'utf8').split('\n').filter((l) => l !== ''),
);

// A tree like Tetragon's: a shared subtree under two keys, keys that also occur untracked elsewhere.
const INNER: ScanTree = { name: 2, pid: 3, pod: [4, { name: 5, 'a.b': 6 }], 'k{}': 7 };
const TREE: ScanTree = { time: 0, kind: [1, INNER], other: [8, INNER], process_exec: [9, { process: [10, INNER], parent: [11, INNER] }] };
const PATHS: [string[], number][] = [];
(function walk(t: ScanTree, prefix: string[], seen: Set<ScanTree>): void {
  for (const [k, v] of Object.entries(t)) {
    const [slot, sub] = typeof v === 'number' ? [v, null] : v;
    PATHS.push([[...prefix, k], slot]);
    if (sub !== null && !seen.has(sub)) walk(sub, [...prefix, k], new Set([...seen, t]));
  }
})(TREE, [], new Set());
const scanner = new JsonPathScanner(TREE);

function typeOf(v: unknown): number {
  if (typeof v === 'string') return T_STRING;
  if (typeof v === 'number') return T_NUMBER;
  if (v === true) return T_TRUE;
  if (v === false) return T_FALSE;
  if (v === null) return T_NULL;
  return Array.isArray(v) ? T_ARRAY : T_OBJECT;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value JSON.parse gives at a path of object keys, or undefined. */
function at(json: unknown, path: readonly string[]): unknown {
  let v = json;
  for (const k of path) {
    if (!isObject(v) || !Object.hasOwn(v, k)) return undefined;
    v = v[k];
  }
  return v;
}

/** Keys at tracked levels (the levels the tree reaches through objects), for the dotted-key flag. */
function trackedLevelKeys(json: unknown, tree: ScanTree, out: string[]): void {
  if (!isObject(json)) return;
  for (const k of Object.keys(json)) {
    out.push(k);
    const v = tree[k];
    if (v !== undefined && typeof v !== 'number') trackedLevelKeys(json[k], v[1], out);
  }
}

/**
 * The contract of JsonPathScanner.scan: when it returns spans, JSON.parse succeeds on an object and
 * every span holds exactly the value JSON.parse gives there.
 */
function checkContract(text: string): 'accepted' | 'rejected' {
  const bytes = Buffer.from(text, 'utf8');
  // Embed the line between other bytes: the scanner must stay within [start, end).
  const buf = Buffer.concat([Buffer.from('{"x":1}\n'), bytes, Buffer.from('\n]"1')]);
  const spans = scanner.scan(buf, 8, 8 + bytes.length);
  if (spans === null) return 'rejected';
  let json: unknown;
  expect(() => (json = JSON.parse(text)), text).not.toThrow();
  expect(isObject(json), text).toBe(true);
  expect(/^[\x00-\x7f]*$/.test(text), text).toBe(true);
  const value = (head: number, end: number): unknown => {
    const t = head & 15;
    const src = text.slice(head >> 4, end);
    if (t === T_STRING) expect(src.includes('\\')).toBe(false);
    if (t === T_ESCAPED) expect(src.includes('\\')).toBe(true);
    const v: unknown = JSON.parse(src);
    expect(typeOf(v) === t || (t === T_ESCAPED && typeof v === 'string'), `${text}: ${src}`).toBe(true);
    return v;
  };
  // Shared subtrees map several paths to one slot; a slot written twice is rejected, so at most one is present.
  for (let slot = 0; slot < scanner.slots; slot++) {
    const present = PATHS.filter(([p, s]) => s === slot && at(json, p) !== undefined).map(([p]) => at(json, p));
    expect(present.length, text).toBeLessThanOrEqual(1);
    const head = spans[2 * slot] as number;
    if (present.length === 0) expect(head, `${text}: slot ${slot}`).toBe(0);
    else expect(value(head, spans[2 * slot + 1] as number), `${text}: slot ${slot}`).toEqual(present[0]);
  }
  const base = 2 * scanner.slots;
  const keys: string[] = [];
  trackedLevelKeys(json, TREE, keys);
  expect((spans[base] as number) & F_DOTTED_KEY, text).toBe(keys.some((k) => k.includes('.') || k.includes('{')) ? F_DOTTED_KEY : 0);
  const n = spans[base + 1] as number;
  const untracked = Object.keys(json as object).filter((k) => TREE[k] === undefined);
  expect(n, text).toBe(untracked.length);
  const members = new Map<string, unknown>();
  for (let k = 0; k < n; k++) {
    const m = base + 2 + 4 * k;
    members.set(text.slice(spans[m], spans[m + 1]), value(spans[m + 2] as number, spans[m + 3] as number));
  }
  expect(members).toEqual(new Map(untracked.map((k) => [k, (json as Record<string, unknown>)[k]])));
  return 'accepted';
}

/** Deterministic pseudo-random numbers (the test must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['time', 'kind', 'other', 'process_exec', 'process', 'parent', 'name', 'pid', 'pod', 'a.b', 'k{}', 'x', '', 'na\\u006de', 'pé'];
const STRINGS = ['', 'plain', 'with \\"quote\\"', 'tab\\t', '\\u00e9t\\u00E9', 'é€😀', 'back\\\\slash', '\\/', '{"not":"json"}', '[1,', '\\ud800'];
const NUMBERS = ['0', '-0', '1', '-12', '1.5', '1e3', '1E+3', '2.5e-7', '12345678901234567890', '1.0'];
/** Tokens JSON.parse rejects, close to valid ones. */
const BAD = ['01', '-', '1.', '.5', '1e', '+1', '00', '-01', '1e+', '0x1', 'NaN', 'Infinity', 'tru', 'nul', "'s'", '"\\x"', '"\\u12g4"', '"a\\"'];

function genValue(r: () => number, depth: number): string {
  const x = r();
  if (r() < 0.01) return BAD[Math.floor(r() * BAD.length)] as string;
  if (depth < 4 && x < 0.3) return genObject(r, depth + 1);
  if (depth < 4 && x < 0.4) return '[' + Array.from({ length: Math.floor(r() * 3) }, () => genValue(r, depth + 1)).join(',') + ']';
  if (x < 0.7) return '"' + (STRINGS[Math.floor(r() * STRINGS.length)] as string) + '"';
  if (x < 0.85) return NUMBERS[Math.floor(r() * NUMBERS.length)] as string;
  return ['true', 'false', 'null'][Math.floor(r() * 3)] as string;
}

function genObject(r: () => number, depth: number): string {
  const n = Math.floor(r() * 5);
  const ws = (): string => (r() < 0.1 ? [' ', '\t', '\r\n', '  '][Math.floor(r() * 4)] as string : '');
  const members = Array.from({ length: n }, () => `${ws()}"${KEYS[Math.floor(r() * KEYS.length)]}"${ws()}:${ws()}${genValue(r, depth)}${ws()}`);
  return '{' + members.join(',') + '}';
}

/** Random byte-level damage: invalid JSON most of the time, occasionally still valid. */
function mutate(text: string, r: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(r() * 3);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(r() * (chars.length + 1));
    const pick = ['"', '\\', '{', '}', '[', ']', ',', ':', '1', '-', '.', 'e', ' ', '\u0001', 'n', 'é'][Math.floor(r() * 16)] as string;
    const op = r();
    if (op < 0.4) chars.splice(i, 1);
    else if (op < 0.7) chars.splice(i, 0, pick);
    else chars.splice(i, 1, pick);
  }
  return chars.join('');
}

describe('JsonPathScanner', () => {
  it('records exactly what JSON.parse gives, on the real samples', () => {
    const tetragon = new JsonPathScanner({ process_exec: [0, { process: [1, { binary: 2, pid: 3, pod: [4, { name: 5 }] }] }], time: 6, node_name: 7 });
    for (const line of realLines) {
      const b = Buffer.from(line);
      const spans = tetragon.scan(b, 0, b.length);
      expect(spans, line).not.toBeNull();
      const json = JSON.parse(line) as Record<string, Record<string, Record<string, unknown>>>;
      const binary = json['process_exec']?.['process']?.['binary'];
      const head = spans![4] as number;
      expect(head === 0 ? undefined : JSON.parse(line.slice(head >> 4, spans![5]))).toEqual(binary);
    }
  });

  it('keeps its contract on generated JSON, valid and damaged', () => {
    const r = rng(7);
    const outcomes = { accepted: 0, rejected: 0 };
    for (let i = 0; i < 4000; i++) {
      const text = genObject(r, 0);
      outcomes[checkContract(text)]++;
      outcomes[checkContract(mutate(text, r))]++;
    }
    // Both outcomes happen a lot: the test exercises acceptance, not just rejection.
    expect(outcomes.accepted).toBeGreaterThan(2000);
    expect(outcomes.rejected).toBeGreaterThan(2000);
  });

  it('keeps its contract on damaged real events', () => {
    const r = rng(11);
    for (let i = 0; i < 3000; i++) checkContract(mutate(realLines[i % realLines.length] as string, r));
  });

  it('accepts plain JSON objects and rejects what it does not handle', () => {
    const accepts = (t: string): boolean => scanner.scan(Buffer.from(t), 0, Buffer.byteLength(t)) !== null;
    expect(accepts('{}')).toBe(true);
    expect(accepts(' { "x" : [ 1 , {"y":null} ] } ')).toBe(true);
    expect(accepts('{"kind":{"name":"a\\"b","pod":{"name":"p"}},"time":"t","z":-1.5e+3}')).toBe(true);
    for (const t of [
      '[]', '"x"', '1', '', ' ', '{', '{"a":1,}', '{"a" 1}', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":-}', '{"a":1e}', '{"a":tru}',
      '{"a":"\u0001"}', '{"a":"\\x"}', '{"a":"\\u12"}', '{"a":1} x', '{"a":"é"}', // non-ASCII: offsets would not be UTF-16 offsets
      '{"time":1,"time":2}', '{"x":1,"x":2}', '{"kind":{"name":1,"name":2}}', // duplicate tracked or top-level keys
      '{"ti\\u006de":1}', '{"kind":{"n\\u0061me":1}}', // escaped keys at tracked levels
      '[' .repeat(65) + ']'.repeat(65),
    ]) {
      expect(accepts(t), t).toBe(false);
    }
    // Duplicate or escaped keys below tracked levels do not matter.
    expect(accepts('{"x":{"a":1,"a":2,"b\\u0061":3}}')).toBe(true);
    // Deep nesting within the limit.
    expect(accepts('{"x":' + '['.repeat(60) + ']'.repeat(60) + '}')).toBe(true);
  });

  it('is the compilation of json-scan.wat (node scripts/build-wasm.mjs)', async () => {
    const wats = (watFiles() as string[]).filter((f) => f.endsWith('json-scan.wat'));
    expect(wats).toHaveLength(1);
    const wat = wats[0] as string;
    expect(readFileSync(wat.replace(/\.wat$/, '.wasm.ts'), 'utf8')).toBe(await wasmModuleSource(wat));
  });

  it('declines each case it does not handle, JSON.parse accepting them all', () => {
    const declined = [
      '{"a":"é"}', // non-ASCII
      '[{"time":1}]', // not an object
      '{"x":' + '['.repeat(64) + ']'.repeat(64) + '}', // 65 levels with the top-level object
      '{"ti\\u006de":1}', '{"kind":{"pod":{"n\\"":1}}}', // a backslash in a key at a tracked level
      '{"kind":{"name":1},"kind":{}}', '{"kind":{"pod":{"name":1,"name":1}}}', '{"process_exec":{"process":{"pid":1},"parent":{"pid":2}}}', // a tracked slot twice
      '{"x":1,"y":2,"x":1}', '{"":1,"":2}', // a top-level key twice
      '{' + Array.from({ length: 1025 }, (_, k) => `"m${k}":${k}`).join(',') + '}', // more untracked top-level members than recorded
    ];
    for (const t of declined) {
      expect(() => JSON.parse(t), t).not.toThrow();
      expect(scanner.scan(Buffer.from(t), 0, Buffer.byteLength(t)), t.slice(0, 80)).toBeNull();
    }
    // Just within: 64 levels, 1024 members (all recorded, in order), keys that differ only in their last byte.
    expect(checkContract('{"x":' + '['.repeat(63) + ']'.repeat(63) + '}')).toBe('accepted');
    const many = '{' + Array.from({ length: 1024 }, (_, k) => `"m${k}":${k}`).join(',') + '}';
    expect(checkContract(many)).toBe('accepted');
    expect(checkContract('{"ab":1,"ac":2,"abcdefghi":3,"abcdefghj":4,"kind":{"nam":1,"namf":2,"pod":{"name":3}}}')).toBe('accepted');
  });

  it('records tracked keys by their whole text: prefixes, extensions and look-alikes are other keys', () => {
    for (const t of [
      '{"kind":{"na":1,"namex":2,"nam":3,"pi":5,"pidd":6}}',
      '{"kin":{"name":1},"kinds":{"name":2},"time ":3," time":4}',
      '{"other":{"pod":{"a.bc":1,"a.b":{"name":2}}},"process_exec":{"parent":{"k{}":[1]}}}',
      '{"kind":{"pod":{"container":1}},"process_exec":{"pod":{"name":2},"process":{"name":3}}}',
    ]) {
      expect(checkContract(t), t).toBe('accepted');
    }
    expect(checkContract('{"kind":{"name\\"":4}}')).toBe('rejected'); // a backslash at a tracked level, even after a tracked key's text
  });

  it('never reads past its text: after a longer line, every prefix of it is declined', () => {
    const tetragon = new JsonPathScanner({ process_exec: [0, { process: [1, { binary: 2, pid: 3, pod: [4, { name: 5 }] }] }], time: 6, node_name: 7 });
    for (const line of [...realLines.slice(0, 3), '{"time":"t","kind":{"name":"n","pod":{"name":"p"}},"x":[1,2.5e3,true,null,"\\u00e9"]}']) {
      const b = Buffer.from(line);
      const sc = line.startsWith('{"time"') ? scanner : tetragon;
      expect(sc.scan(b, 0, b.length), line).not.toBeNull();
      for (let k = 0; k < b.length; k++) {
        sc.scan(b, 0, b.length); // leaves the whole line in the scanner's memory
        expect(sc.scan(b, 0, k), line.slice(0, k)).toBeNull();
      }
    }
  });

  it('keeps its contract on random bytes', () => {
    const r = rng(5);
    const pieces = ['{', '}', '[', ']', '"', ':', ',', '\\', 'u', '0', '1', 'e', '-', '.', ' ', 't', 'true', 'null', '"time"', '"kind"', '"name"', '"pod"', '"x"'];
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      // Lines built from JSON pieces and arbitrary bytes (controls, NUL, bytes >= 0x80 that are not UTF-8).
      const parts: Buffer[] = [Buffer.from('{')];
      const n = Math.floor(r() * 30);
      for (let k = 0; k < n; k++) {
        parts.push(r() < 0.1 ? Buffer.from([Math.floor(r() * 256)]) : Buffer.from(pieces[Math.floor(r() * pieces.length)] as string));
      }
      if (r() < 0.7) parts.push(Buffer.from('}'));
      const bytes = Buffer.concat(parts);
      const spans = scanner.scan(bytes, 0, bytes.length);
      if (spans === null) continue;
      expect(bytes.every((c) => c < 0x80), bytes.toString('latin1')).toBe(true);
      expect(checkContract(bytes.toString('latin1'))).toBe('accepted');
      accepted++;
    }
    expect(accepted).toBeGreaterThan(20);
    // Damaged real lines at the byte level.
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(realLines[i % realLines.length] as string);
      for (let e = 0; e < 2; e++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
      if (scanner.scan(b, 0, b.length) !== null) expect(checkContract(b.toString('latin1'))).toBe('accepted');
    }
  });

  it('scans lines longer than its memory, and declines those over MAX_SCAN_BYTES', () => {
    const big = new JsonPathScanner(TREE);
    const long = (n: number): string => `{"time":"${'a'.repeat(n)}","kind":{"pod":{"name":[${'1,'.repeat(n >> 1)}2]}},"z":"${'b\\n'.repeat(n >> 2)}"}`;
    for (const n of [60_000, 300_000]) expect(checkContract(long(n))).toBe('accepted'); // the default scanner grows
    const text = long(1 << 20);
    const spans = big.scan(Buffer.from(text), 0, text.length);
    expect(spans).not.toBeNull();
    expect((spans![0] as number) >> 4).toBe(8); // time's value starts after `{"time":`
    expect(spans![1]).toBe(8 + (1 << 20) + 2);
    expect(big.scan(Buffer.from('{"time":1}'), 0, 10)).toEqual(scanner.scan(Buffer.from('{"time":1}'), 0, 10)); // short after long
    const over = Buffer.alloc(MAX_SCAN_BYTES + 1, 0x20); // valid JSON: an object, then blanks
    over.write('{"time":1}', 0);
    expect(big.scan(over, 0, over.length)).toBeNull();
    expect(big.scan(over, 0, MAX_SCAN_BYTES)).not.toBeNull();
  });

  it('refuses trees it cannot scan', () => {
    expect(() => new JsonPathScanner({ 'a"b': 0 })).toThrow(/untrackable key/);
    expect(() => new JsonPathScanner({ 'a\\b': 0 })).toThrow(/untrackable key/);
    expect(() => new JsonPathScanner({ é: 0 })).toThrow(/untrackable key/);
    expect(() => new JsonPathScanner({ '': 0 })).toThrow(/untrackable key/);
    expect(() => new JsonPathScanner(Object.fromEntries(Array.from({ length: 300 }, (_, k) => [`k${k}`, k])))).toThrow(RangeError);
    expect(() => new JsonPathScanner(Object.fromEntries(Array.from({ length: 100 }, (_, k) => [`${'k'.repeat(50)}${k}`, k])))).toThrow(RangeError);
  });
});

