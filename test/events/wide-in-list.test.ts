import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRawFilter, rawAnchors, samplePassCount, trimRawFilter, type EventSource, type RawFilter } from '../../src/events/scan.js';
import { FileSource } from '../../src/sources/file.js';
import { anchorsFit } from '../../src/sources/line-scan/line-scan.js';
import { plan, runSearch } from '../../src/spl/index.js';
import { MacroLibrary } from '../../src/spl/macros/macros.js';
import { rowsText } from '../helpers.js';
import { rng } from '../rng.js';

/**
 * A search naming thousands of values (`process_name IN (<names>)`): its raw prefilter is a disjunction of thousands
 * of alternatives, which events/scan.ts plans and tests in time near-linear in their number (trimRawFilter's
 * implication pass capped, anchors matched to alternatives by lookup, sample literals looked for together), and
 * which must still drop no line the search matches.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-wide-in-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const opts = { macros: new MacroLibrary(), now: 1_800_000_000, tz: 'UTC' };

function randomNames(r: () => number, n: number): string[] {
  return Array.from({ length: n }, () => Array.from({ length: 8 + Math.floor(r() * 5) }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join(''));
}

/** Binaries of the lines: some named in the list (in other cases and spellings too), most not. */
function binaryOf(r: () => number, listed: readonly string[]): string {
  const k = r();
  if (k < 0.15) return `/usr/bin/${listed[Math.floor(r() * listed.length)] as string}`;
  if (k < 0.2) return (listed[Math.floor(r() * listed.length)] as string).toUpperCase();
  return ['/usr/bin/CURL', '/bin/sh', '/usr/bin/wget', '/usr/bin/kubectl', '/usr/local/bin/node', '/usr/bin/python3', '/bin/ls'][Math.floor(r() * 7)] as string;
}

function lineOf(r: () => number, i: number, listed: readonly string[]): string {
  const binary = binaryOf(r, listed);
  const process = { exec_id: `aWQ6${i}`, pid: 1000 + (i % 50), cwd: '/app', binary, arguments: '-k https://10.0.0.1/', pod: { namespace: 'ns', name: `web-${i % 7}` } };
  const body = r() < 0.7 ? { process_exec: { process, parent: { binary: '/bin/sh', pid: 7 } } } : { process_exit: { process, status: 0 } };
  const json = JSON.stringify({ ...body, node_name: 'node-1', time: new Date(Date.UTC(2024, 0, 1, 0, 0, i % 60)).toISOString() });
  // Other spellings of the same text: `\/`, a `\u` escape of a letter.
  const style = r();
  if (style < 0.1) return json.replaceAll('/', '\\/');
  if (style < 0.15) return json.replace(/"binary":"([^"]*?)([a-z])"/, (_, a: string, c: string) => `"binary":"${a}\\u00${c.charCodeAt(0).toString(16)}"`);
  return json;
}

function inList(names: readonly string[]): string {
  return `process_name IN (${names.map((n) => JSON.stringify(n)).join(', ')})`;
}

/** The same file read without the prefilter: what the search must find with it. */
function unfiltered(path: string): EventSource {
  const src = new FileSource([path], { defaultHost: 'h' });
  return { newestFirst: false, scan: (req, o) => src.scan({ ...req, raw: null }, o) };
}

describe('a search naming thousands of values', () => {
  it('finds with the prefilter what it finds without (3,000 names, some in the lines)', async () => {
    const r = rng(4242);
    const names = [...randomNames(r, 3000), 'curl', 'nsenter', 'bash'];
    const listed = names.filter((_, i) => i % 97 === 0);
    const path = join(dir, 'wide.jsonl');
    writeFileSync(path, Array.from({ length: 3000 }, (_, i) => lineOf(r, i, listed)).join('\n') + '\n');
    const spl = `${inList(names)} | stats count by process_name | sort process_name`;
    const want = await runSearch(spl, { ...opts, source: unfiltered(path) });
    const got = await runSearch(spl, { ...opts, source: new FileSource([path], { defaultHost: 'h' }) });
    expect(rowsText(got.results)).toEqual(rowsText(want.results));
    // The lines hold names of the list (random ones too, upper-cased and escaped ones among them), and the filter
    // dropped the others.
    expect(want.results.length).toBeGreaterThan(15);
    expect(got.stats.eventsScanned).toBeLessThan(want.stats.eventsScanned / 2);
  });

  it('passes every sample line that a filter of thousands of alternatives passes, once trimmed and compiled', () => {
    const r = rng(77);
    const names = [...randomNames(r, 2000), 'curl', 'bash'];
    const listed = names.filter((_, i) => i % 50 === 0);
    const lines = Array.from({ length: 400 }, (_, i) => lineOf(r, i, listed));
    const raw = plan(`${inList(names)} | stats count`, opts).scan.raw as RawFilter;
    const sample = lines.slice(0, 40);
    const trimmed = trimRawFilter(raw, sample);
    // What trimming and ordering judge by: the sample lines each alternative passes, its literals looked for together.
    const alternatives = (raw as { items: RawFilter[] }).items;
    expect(alternatives.map((a) => samplePassCount(a, sample))).toEqual(alternatives.map((a) => sample.filter(compileRawFilter(a) as (raw: string) => boolean).length));
    expect(alternatives.some((a) => samplePassCount(a, sample) > 0)).toBe(true);
    const test = compileRawFilter(trimmed, sample) as (raw: string) => boolean;
    const plain = compileRawFilter(raw) as (raw: string) => boolean;
    const passing = lines.filter((l) => plain(l));
    expect(passing.length).toBeGreaterThan(40);
    expect(passing.filter((l) => !test(l))).toEqual([]);
    // Still a filter: it passes no line without a listed name or another spelling of one.
    expect(lines.filter((l) => test(l) && !plain(l) && !/\\[u/]/.test(l))).toEqual([]);
  });

  it('gives the verdict of its alternatives with thousands of short overlapping literals, in any case and spelling', () => {
    // Alternations this long (past 16,000 characters) are searched by their texts' shape and looked up
    // (events/scan.ts wideSearch): here texts of 3 to 7 characters of a few letters, overlapping everywhere.
    const r = rng(2024);
    const pick = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[Math.floor(r() * alphabet.length)] as string).join('');
    const texts = [...new Set(Array.from({ length: 4000 }, () => pick('abk"/-', 3 + Math.floor(r() * 5))))];
    const literal = (text: string): RawFilter => ({ kind: 'contains', text });
    const literals: RawFilter = { kind: 'or', items: texts.map(literal) };
    // Anchors of one length (each alternative's longer literal), none holding another: as many as the alternatives.
    const fives = [...new Set(Array.from({ length: 4000 }, () => pick('abk"/-', 5)))];
    const gated: RawFilter = { kind: 'or', items: fives.map((t, i) => ({ kind: 'and', items: [literal(t), literal('abk"/'[i % 5] as string)] })) };
    // Lines with other spellings too: U+212A and U+017F, rarely a `\u` escape (all pass, by their guards).
    const lines = Array.from({ length: 3000 }, () => pick('abkABK"/-xyz \u212a\u017f', Math.floor(r() * 60)) + (r() < 0.02 ? '\\u0041' : ''));
    const each = texts.map((t) => compileRawFilter(literal(t)) as (raw: string) => boolean);
    const byText = new Map([...texts, ...fives, ...'abk"/'].map((t) => [t, compileRawFilter(literal(t)) as (raw: string) => boolean]));
    for (const [f, want] of [
      [literals, (l: string) => each.some((p) => p(l))],
      [gated, (l: string) => gated.items.some((a) => (a as { items: { text: string }[] }).items.every((x) => (byText.get(x.text) as (raw: string) => boolean)(l)))],
    ] as const) {
      for (const sample of [undefined, lines.slice(0, 40)]) {
        const test = compileRawFilter(f, sample) as (raw: string) => boolean;
        const wrong = lines.filter((l) => test(l) !== want(l));
        expect(wrong).toEqual([]);
      }
    }
    expect(lines.filter((l) => each.some((p) => p(l))).length).toBeGreaterThan(500);
    expect(lines.filter((l) => !each.some((p) => p(l))).length).toBeGreaterThan(100);
  });

  it('leaves a value listed twice out of a filter too wide to simplify', () => {
    const r = rng(5);
    const names = randomNames(r, 300);
    const lines = Array.from({ length: 40 }, (_, i) => lineOf(r, i, ['curl']));
    const literals = (ns: readonly string[]): RawFilter => ({ kind: 'or', items: ns.map((text) => ({ kind: 'contains', text, verbatim: true })) });
    expect(trimRawFilter(literals([...names, ...names.slice(0, 100)]), lines)).toEqual(literals([...names.slice(100), ...names.slice(0, 100)]));
  });

  it('plans and compiles the filter with work near-linear in the number of names', () => {
    // Calls of the searches the planning makes of texts and sets: twice the names must not take ~4 times as many
    // (pairwise work: superstrings, implied alternatives, each anchor's alternatives).
    const r = rng(99);
    const lines = Array.from({ length: 40 }, (_, i) => lineOf(r, i, ['curl']));
    const work = (n: number): number => {
      const raw = plan(`${inList([...randomNames(rng(n), n), 'curl'])} | stats count`, opts).scan.raw as RawFilter;
      return counted(() => {
        const trimmed = trimRawFilter(raw, lines);
        compileRawFilter(trimmed, lines);
        rawAnchors(trimmed, lines.join('\n'), { keys: true, fits: anchorsFit });
      });
    };
    const small = work(600);
    const large = work(1200);
    expect(small).toBeGreaterThan(0);
    expect(large / small).toBeLessThan(2.5);
  });
});

/** Calls of String#includes, Array#some and Set#has while `f` runs. */
function counted(f: () => void): number {
  let calls = 0;
  const includes = String.prototype.includes;
  const some = Array.prototype.some;
  const has = Set.prototype.has;
  String.prototype.includes = function (this: string, ...args: Parameters<string['includes']>) {
    calls++;
    return includes.apply(this, args);
  };
  Array.prototype.some = function (this: unknown[], ...args: Parameters<unknown[]['some']>) {
    calls++;
    return some.apply(this, args);
  };
  Set.prototype.has = function (this: Set<unknown>, value: unknown) {
    calls++;
    return has.call(this, value);
  };
  try {
    f();
  } finally {
    String.prototype.includes = includes;
    Array.prototype.some = some;
    Set.prototype.has = has;
  }
  return calls;
}
