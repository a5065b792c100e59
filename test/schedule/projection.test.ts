import { describe, expect, it } from 'vitest';
import { Row, toObject, type Result } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import { compilePrefix } from '../../src/schedule/incremental.js';
import { ProjectionStore, runProjected, SliceStore } from '../../src/schedule/projection.js';
import { MacroLibrary } from '../../src/spl/macros/macros.js';
import { NO_LOOKUPS } from '../../src/spl/lookups.js';
import { rng } from '../rng.js';

const content = { macros: new MacroLibrary(), lookups: NO_LOOKUPS };
const opts = { lookups: NO_LOOKUPS, now: 2e9, tz: 'UTC', earliest: null, latest: null, defaultIndexes: ['main'] };

/**
 * Runs `search` over `rows` kept as the match index keeps them: as columns of the fields the rest reads (a stats
 * right after the prefix is then fed from the columns), or whole (the rows are pushed one by one, as a scan's).
 */
function run(search: string, rows: readonly Row[], kept: 'columns' | 'whole'): string[] {
  const prefix = compilePrefix({ name: 't', search }, content, 'UTC')!;
  const store = new ProjectionStore(prefix.text, kept === 'whole' ? 'all' : prefix.fields!);
  rows.forEach((r, i) => store.add(r.get('_time') as number, i + 1, 'main', r));
  const out: Result[] = [];
  const stats = runProjected(search, store.window(-Infinity, Infinity), opts, { push: (r) => void out.push(r), end: () => {} });
  expect(stats, search).not.toBeNull();
  return out.map((r) => JSON.stringify(toObject(r)));
}

describe('a stats fed from kept columns', () => {
  // BY values stats must tell apart or not: 1 and "1" are one group (shown as met first), "01" and "1.0" are other
  // groups of equal numbers, 0.1+0.2 and 0.3 share a text; fields mixing numbers and texts; texts holding NUL;
  // multivalues; missing values (no group).
  const texts = ['prod-eu-1', 'prod-eu-2', 'Prod', 'a', 'b b', '', '10', '9'];
  const integers = [1, 2, 10, 123456789, -7, 0, 3];
  const pools: (FieldValue | null)[][] = [
    texts,
    texts,
    integers,
    integers,
    [1, '1', '01', '1.0', 2, '2', 10],
    [0.1 + 0.2, 0.3, '0.3', 2.5, -1],
    ['x', 10, '9', 'abc', 1.5, '5a', 100],
    // ('a\0b', 'c') and ('a', 'b\0c'): two groups (stats' keys tell them apart, groupKey).
    ['a\u0000b', 'a', 'b\u0000c', 'c', 'b'],
    ['a', 'b', ['a', 'b'], null, 'c'],
    ['n1', 'n2', null],
  ];
  const functions = ['count', 'values(v) as vs', 'min(_time) as first', 'max(_time) as last', 'dc(v) as d', 'count(eval(v>3)) as big', 'sum(w) as s'];
  for (let seed = 1; seed <= 60; seed++) {
    it(`gives the rows a scan of the same rows gives (seed ${seed})`, () => {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const fields = ['a', 'b', 'c'];
      const cols = fields.map(() => pick(pools));
      const rows = Array.from({ length: Math.floor(r() * 300) }, (_, i) => {
        const row = new Row({ _time: 1000 + Math.floor(i / 3), v: pick([1, 2, 5, 'x', 7]), w: pick([1, 2.5, -3]) });
        cols.forEach((pool, c) => {
          const x = pick(pool);
          if (x !== null) row.set(fields[c]!, x);
        });
        return row;
      });
      const by = fields.filter(() => r() < 0.7);
      const aggs = functions.filter(() => r() < 0.5);
      const rest = pick(['', ' | eval n=count*2', ' | where count > 1 | fields - count', ' | rename count as c']);
      const search = `* | stats ${aggs.length ? aggs.join(' ') : 'count'}${by.length ? ` by ${by.join(' ')}` : ''}${rest}`;
      expect(run(search, rows, 'columns'), search).toEqual(run(search, rows, 'whole'));
    });
  }

  it('notes a miss when the rest of the search reads an indexed field (name::value): the run reads the events', () => {
    const search = '* | dedup a | search k8s.pod.name::web-1 | stats count';
    const prefix = compilePrefix({ name: 't', search }, content, 'UTC')!;
    const store = new ProjectionStore(prefix.text, prefix.fields!);
    store.add(1, 1, 'main', new Row({ _time: 1, a: 'x' }));
    expect(runProjected(search, store.window(-Infinity, Infinity), opts, { push: () => {}, end: () => {} })).toBeNull();
  });

  it('gives back rows kept whole whose field names hold NUL, name for name', () => {
    const rows = [new Row({ _time: 1, 'a\u0000b': 'x', a: 'y' }), new Row({ _time: 2, b: 'z', 'a\u0000b': 'w' })];
    const search = '* | table *';
    expect(run(search, rows, 'whole')).toEqual(rows.map((r) => JSON.stringify(toObject(r))).reverse()); // newest first
    // An empty name alone (joined, as no name at all: '')
    expect(run('*', [new Row({ '': 'v' })], 'whole')).toEqual(['{"":"v"}']);
  });

  it('does not serve a stats of a field pattern from columns (it lists each row\'s field names); whole rows do', () => {
    const search = '* | stats values(*) AS * count by a';
    const rows = [new Row({ _time: 1, a: 'x', b: 1 }), new Row({ _time: 2, a: 'x', c: 2 })];
    const prefix = compilePrefix({ name: 't', search }, content, 'UTC')!;
    const store = new ProjectionStore(prefix.text, prefix.fields!);
    rows.forEach((r, i) => store.add(r.get('_time') as number, i + 1, 'main', r));
    expect(runProjected(search, store.window(-Infinity, Infinity), opts, { push: () => {}, end: () => {} })).toBeNull();
    expect(run(search, rows, 'whole')).toEqual(['{"a":"x","b":"1","c":"2","count":2}']);
  });

  it('leaves rows of one field name given twice as stats writes them', () => {
    const rows = [new Row({ _time: 1, p: 'sh' }), new Row({ _time: 2, p: 'sh' }), new Row({ _time: 3, p: 'ls' })];
    const search = '* | stats count as n max(_time) as n by p';
    expect(run(search, rows, 'columns')).toEqual(['{"p":"ls","n":3}', '{"p":"sh","n":2}']);
    expect(run(search, rows, 'whole')).toEqual(run(search, rows, 'columns'));
  });
});

describe('partial states per minute', () => {
  it('are copied for a run only when they serve it (much fewer groups than rows), once per minute', () => {
    let groups = 0;
    let peeks = 0;
    const open = () => ({ push: () => {}, end: () => {}, groups: () => groups, peek: () => ({ copy: ++peeks }) });
    const slices = new SliceStore('p', open, 4);
    for (let t = 0; t < 600; t += 1) slices.add(t, 'main', new Row({}));
    groups = 3; // 10 minutes of 60 rows, 3 groups each: 30 groups, 600 rows
    expect(slices.window(0, 600)!.states).toHaveLength(10);
    expect(peeks).toBe(10);
    // Newest minute first, each copied once (the first window copied from the newest minute on).
    expect(slices.window(60, 300)!.states.map((s) => s.state)).toEqual([6, 7, 8, 9].map((copy) => ({ copy })));
    expect(peeks).toBe(10);
    slices.add(30, 'main', new Row({})); // the first minute changed: copied again when it serves
    groups = 20; // 200 groups for 601 rows: the rows serve, nothing is copied
    expect(slices.window(0, 600)).toBeNull();
    expect(peeks).toBe(10);
    expect(slices.window(0, 30)).toBeNull(); // not whole minutes
  });
});
