import { describe, expect, it, vi } from 'vitest';
import { SegmentBuilder, type Segment } from '../../src/acceleration/segment.js';
import { segmentRows } from '../../src/acceleration/segment-query.js';
import { Row } from '../../src/events/result.js';
import { emptyScanRequest, type ScanRequest } from '../../src/events/scan.js';
import type { FieldValue } from '../../src/events/value.js';
import { parseSearchSource } from '../../src/spl/parse/parser.js';
import { compileSearch } from '../../src/spl/search/predicate.js';
import { SourceText } from '../../src/spl/source.js';
import { rng } from '../rng.js';

// Counts compilations (the real compileSearch runs): a search compiles its comparisons once, not per segment.
vi.mock('../../src/spl/search/predicate.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/spl/search/predicate.js')>();
  return { ...m, compileSearch: vi.fn(m.compileSearch) };
});

/**
 * segmentRows (postings, AND ordering, the literal scan of large lexicons) selects exactly the rows the
 * search predicate accepts row by row: the oracle here is compileSearch applied to every row, which knows
 * nothing of lexicons, postings or literals.
 */
const T0 = 1_700_000_000;


const FIELDS = ['index', 'process', 'process_name', 'user', 'pid'];

/** Rows with a high-cardinality `process` (> the literal scan's threshold) full of awkward values. */
function segment(n: number, seed: number): { seg: Segment; rows: Row[] } {
  const r = rng(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const names = ['curl', 'SUDO', 'useradd', 'rm', 'bash', 'python3', 'ſudo', 'Kelvin\u212a'];
  const b = new SegmentBuilder(FIELDS);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const name = pick(names);
    const args = pick(['-rf /', '--no-preserve-root', '-k https://x', 'BEGIN {system("sh")}', 'ADDUSER eve', 'a\0b sudo', 'café', '']);
    let proc: FieldValue | null = `/usr/bin/${name} ${args} ${Math.floor(r() * 1e6)}`;
    const odd = r();
    if (odd < 0.02) proc = null;
    else if (odd < 0.04) proc = Math.floor(r() * 100);
    else if (odd < 0.06) proc = [`sudo ${i}`, 'x'];
    const row = new Row([
      ['_time', T0 + (i % 3600)],
      ['index', i % 7 === 0 ? 'other' : 'main'],
      ...(proc === null ? [] : [['process', proc] as const]),
      ['process_name', name],
      ['user', pick(['root', 'Eve', 'svc1'])],
      ['pid', 1000 + (i % 50)],
    ]);
    b.add(row);
    rows.push(row);
  }
  return { seg: b.build(), rows };
}

const WHERES = [
  'process="*sudo*"',
  'process="*SUDO*" AND process="*-rf*"',
  'process IN ("*useradd *", "*adduser *") OR process_name IN ("useradd", "adduser")',
  'process_name=rm AND process IN ("* -rf*", "* -fr*") AND process="* --no-preserve-root*"',
  'NOT process="*curl*" AND user=eve',
  'process!="*bash*"',
  'process="*BEGIN*system*" AND process="*sudo*"',
  'process="*\u212a*"',
  'process="*caf*"',
  'process=42 OR process="4*"',
  'process="*a*" AND NOT (process_name=rm OR user=root)',
  'pid>1040 AND process="*python3*"',
  'process="/usr/bin/rm*"',
  'process="*" AND process_name="*u*"',
  'process=* OR NOT process=*',
  'process_name=ſudo',
];

function oracle(rows: Row[], where: string, scan: ScanRequest): number[] {
  const source = new SourceText(where);
  const test = compileSearch(parseSearchSource(source), source);
  const out: number[] = [];
  rows.forEach((row, i) => {
    const t = row.get('_time') as number;
    if (scan.earliest !== null && t < scan.earliest) return;
    if (scan.latest !== null && t >= scan.latest) return;
    if (scan.defaultIndexes !== 'all' && !scan.defaultIndexes.includes(row.get('index') as string)) return;
    if (test(row)) out.push(i);
  });
  return out;
}

function selected(seg: Segment, where: string, scan: ScanRequest): number[] {
  const source = new SourceText(where);
  const names = new Map(FIELDS.map((f) => [f, f] as const));
  const rows = segmentRows(seg, scan, parseSearchSource(source), names, source);
  return rows === null ? Array.from({ length: seg.times.length }, (_, i) => i) : [...rows];
}

describe('segmentRows', () => {
  const { seg, rows } = segment(20_000, 7);

  it('has a lexicon large enough for the literal scan', () => {
    expect(seg.lexicons[FIELDS.indexOf('process')]!.length).toBeGreaterThan(10_000);
  });

  for (const where of WHERES) {
    it(`selects the rows the predicate accepts: ${where}`, () => {
      const scan = emptyScanRequest();
      expect(selected(seg, where, scan)).toEqual(oracle(rows, where, scan));
    });
  }

  it('applies the time range and the default indexes', () => {
    const scan: ScanRequest = { ...emptyScanRequest(), earliest: T0 + 600, latest: T0 + 1200, defaultIndexes: ['main'] };
    for (const where of WHERES.slice(0, 5)) expect(selected(seg, where, scan)).toEqual(oracle(rows, where, scan));
    const outside: ScanRequest = { ...emptyScanRequest(), earliest: T0 + 7200, latest: null };
    expect(selected(seg, 'process="*sudo*"', outside)).toEqual([]);
  });

  it('compiles each comparison once per search however many segments it reads, with the same rows', () => {
    // A week of busy hours is thousands of segments: compiling an IN of 12,500 values per segment made a
    // search over 550 segments take 5 s (vigil serve, chunk_events 3) where the raw events took 1 s.
    const segs = Array.from({ length: 12 }, (_, k) => segment(300, 100 + k));
    const where = `process_name IN (${Array.from({ length: 2000 }, (_, i) => `v${i}`).join(', ')}, rm, "sud*") OR process="*-rf*"`;
    const source = new SourceText(where);
    const expr = parseSearchSource(source);
    const names = new Map(FIELDS.map((f) => [f, f] as const));
    const compile = vi.mocked(compileSearch);
    compile.mockClear();
    const got = segs.map(({ seg }) => segmentRows(seg, emptyScanRequest(), expr, names, source));
    // One compilation per comparison (the IN and the wildcard), not one per segment (24).
    expect(compile.mock.calls.length).toBe(2);
    segs.forEach(({ seg, rows }, k) => {
      const r = got[k];
      expect(r === null ? Array.from({ length: seg.times.length }, (_, i) => i) : [...r!]).toEqual(oracle(rows, where, emptyScanRequest()));
    });
  });

  it('selects rows from a small lexicon and from a warm segment the same way', () => {
    const small = segment(500, 3);
    for (const where of WHERES) {
      const scan = emptyScanRequest();
      expect(selected(small.seg, where, scan)).toEqual(oracle(small.rows, where, scan));
      expect(selected(small.seg, where, scan)).toEqual(oracle(small.rows, where, scan));
    }
  });
});
