import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { F_DOTTED_KEY, JsonPathScanner, T_ARRAY, T_ESCAPED, T_FALSE, T_NULL, T_NUMBER, T_OBJECT, T_STRING, T_TRUE, type ScanTree } from '../../src/normalize/json-scan.js';

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
});
