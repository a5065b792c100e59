import { describe, expect, it } from 'vitest';
import { Row, type Result } from '../../src/events/result.js';
import { toText, type FieldValue, type Scalar } from '../../src/events/value.js';
import type { ExecContext } from '../../src/spl/commands/types.js';
import { compareScalars } from '../../src/spl/eval/compare.js';
import { aggregationFor } from '../../src/spl/stats/aggregations.js';
import { AggregationGroups, Aggregator, GroupKeys, hashStep, NumberIds, numberRanks, sortByValues } from '../../src/spl/stats/aggregator.js';
import type { AggregationSpec } from '../../src/spl/stats/parse.js';
import { rng } from '../rng.js';

/** The definition sortByValues must reproduce: compareScalars on each BY value in turn, stable. */
function plainSort<G extends { values: readonly Scalar[] }>(groups: G[]): G[] {
  return [...groups].sort((a, b) => {
    for (let i = 0; i < a.values.length; i++) {
      const c = compareScalars(a.values[i]!, b.values[i]!);
      if (c !== 0) return c;
    }
    return 0;
  });
}

describe('sortByValues', () => {
  // Text columns, numeric columns (numbers and numeric text), and mixed ones (whose order compareScalars
  // does not make transitive: the result must still be the plain sort's, comparison for comparison).
  const pools: Scalar[][] = [
    ['prod-eu-1', 'prod-eu-2', 'Prod', 'a', 'b b', ''],
    [1, 2, 10, '9', '010', 2.5, -1, '1e3'],
    ['x', 10, '9', 'abc', 1.5, '5a', 100],
    // Equal numbers written differently share a rank (numeric columns are ranked, then counting-sorted).
    [0, -0, '0', '-0', '0.0', 3, '3'],
  ];
  for (let seed = 1; seed <= 30; seed++) {
    it(`orders as compareScalars does (seed ${seed})`, () => {
      const r = rng(seed);
      const width = 1 + Math.floor(r() * 3);
      const cols = Array.from({ length: width }, () => pools[Math.floor(r() * pools.length)]!);
      const groups = Array.from({ length: Math.floor(r() * 200) }, (_, id) => ({ id, values: cols.map((p) => p[Math.floor(r() * p.length)]!) }));
      expect(sortByValues(groups).map((g) => g.id)).toEqual(plainSort(groups).map((g) => g.id));
    });
  }
});

describe('numberRanks', () => {
  // The definition: a value's rank is how many values are smaller (equal values, -0 and 0 too, share it).
  const definition = (v: Float64Array) => Array.from(v, (x) => v.filter((y) => y < x).length);
  const r = rng(7);
  const cases: number[][] = [
    Array.from({ length: 300 }, () => 100000 + Math.floor(r() * 200)),
    Array.from({ length: 300 }, () => Math.floor(r() * 21) - 10),
    [0, -0, 3, -0, 0, -5, 3],
    [-(2 ** 31), 2 ** 32 - 2 ** 31 - 1, 0, 5],
    // Spanning 2^32 or more, fractions, huge integers: the binary search.
    [0, 2 ** 32, 7, 7],
    Array.from({ length: 50 }, () => Math.floor(r() * 10) / 4),
    [1e300, -1e300, 0, 1e300],
  ];
  for (const c of cases) {
    it(`ranks ${c.slice(0, 4).join(', ')}... as the definition`, () => {
      const v = Float64Array.from(c);
      expect(Array.from(numberRanks(v))).toEqual(definition(v));
    });
  }
});

describe('GroupKeys', () => {
  const row = (o: Record<string, FieldValue>) => new Row(o);

  it('keys single values by their text: a number and its text are one group', () => {
    const keys = new GroupKeys(['a', 'b']);
    expect(keys.key(row({ a: 5, b: 'x' }))).toBe(keys.key(row({ a: '5', b: 'x' })));
    expect(keys.values()).toEqual(['5', 'x']);
    expect(keys.key(row({ a: 5, b: 'y' }))).not.toBe(keys.key(row({ a: 5, b: 'x' })));
  });

  it('has no group for a row missing a BY field, and one per combination of multivalues', () => {
    const keys = new GroupKeys(['a', 'b']);
    expect(keys.key(row({ a: 1 }))).toBeNull();
    expect(keys.all(row({ a: 1 }))).toEqual([]);
    expect(keys.key(row({ a: ['p', 'q'], b: 1 }))).toBeUndefined();
    const groups = keys.all(row({ a: ['p', 'q'], b: ['r', 's'] }));
    expect(groups.map((g) => g.values)).toEqual([
      ['p', 'r'],
      ['p', 's'],
      ['q', 'r'],
      ['q', 's'],
    ]);
    expect(groups[0]!.key).toBe(keys.key(row({ a: 'p', b: 'r' })));
  });

  it('without BY fields, every row is in the group keyed ""', () => {
    expect(new GroupKeys([]).all(row({ a: 1 }))).toEqual([{ key: '', values: [] }]);
  });
});

describe('group state', () => {
  // `stats count values(v) dc(v) by <by>` over rows, as AggregationGroups keeps them (no expression: no context needed).
  const spec = (fnName: string, field: string | null, as: string): AggregationSpec => ({ fnName, blueprint: aggregationFor(fnName)!, field, expr: null, as, span: { start: 0, end: 0 } });
  const specs = [spec('count', null, 'count'), spec('values', 'v', 'vs'), spec('dc', 'v', 'dc')];
  const grouped = (by: string[], rows: Record<string, FieldValue>[]): AggregationGroups => {
    const groups = new AggregationGroups(new Aggregator(specs, {} as ExecContext), by);
    for (const o of rows) groups.add(new Row(o), new Row(o));
    return groups;
  };
  const emitted = (groups: AggregationGroups): Record<string, FieldValue | null>[] => {
    const out: Result[] = [];
    groups.flush({ push: (r) => out.push(r), end: () => {} });
    return out.map((r) => Object.fromEntries(r.fieldNames().map((f) => [f, r.get(f)])));
  };

  it('gives a group the BY values first seen: a number stays a number, its text joins it', () => {
    const rows = [
      { a: 5, b: 'x', v: 'p' },
      { a: '5', b: 'x', v: 'p' },
      { a: '6', b: 'x', v: 'p' },
      { a: 6, b: 'x', v: 'p' },
      { a: '6', b: 7, v: 'p' },
    ];
    expect(emitted(grouped(['a', 'b'], rows))).toEqual([
      { a: 5, b: 'x', count: 2, vs: 'p', dc: 1 },
      { a: '6', b: 7, count: 1, vs: 'p', dc: 1 },
      { a: '6', b: 'x', count: 2, vs: 'p', dc: 1 },
    ]);
    expect(emitted(grouped(['a'], [{ a: 1.5 }, { a: '1.5' }]))).toEqual([{ a: 1.5, count: 2, dc: 0 }]);
  });

  it('gives numbers back as the same numbers, whatever the kinds of the groups before', () => {
    const rows = [
      { a: 'x', p: 100015 },
      { a: 'x', p: 100016 },
      { a: 'x', p: '100017' },
      { a: 'x', p: 0.1 + 0.2 },
      { a: 'x', p: -0 },
      { a: 'x', p: 1e21 },
      { a: 'x', p: 100016 },
      { a: 5, p: 7 },
    ];
    const out = emitted(grouped(['a', 'p'], rows)).map((r) => [r['a'], r['p'], r['count']]);
    expect(out).toEqual([
      [5, 7, 1],
      ['x', -0, 1],
      ['x', 0.30000000000000004, 1],
      ['x', 100015, 1],
      ['x', 100016, 2],
      ['x', '100017', 1],
      ['x', 1e21, 1],
    ]);
    expect(Object.is(out[1]![1], -0)).toBe(true);
    expect(emitted(grouped(['p'], [{ p: 'a' }, { p: 2 }, { p: 2.5 }])).map((r) => r['p'])).toEqual([2, 2.5, 'a']);
  });

  it('cannot be made to put many groups on one hash: ids crafted as (k, C - 31k) no longer collide', () => {
    // Text ids are numbered in first-seen order, which a sender controls: a0..a(n-1) get ids 0..n-1, then b's
    // first seen in the order that gives group k the ids (k, C - 31k), as 31 * h + id hashing made them one hash.
    const n = 4000;
    const C = 31 * n;
    const seed = 0x5eed;
    const combined = new Set<number>();
    for (let k = 0; k < n; k++) combined.add(hashStep(hashStep(seed, k), C - 31 * k));
    expect(combined.size).toBeGreaterThan(n - 5);
    // The same ids give the same hash (a group is found again), another seed other hashes.
    expect(hashStep(hashStep(seed, 3), 4)).toBe(hashStep(hashStep(seed, 3), 4));
    expect(hashStep(hashStep(seed + 1, 3), 4)).not.toBe(hashStep(hashStep(seed, 3), 4));
    // Rows made that way still give one group per pair, in BY order.
    const rows: Record<string, FieldValue>[] = [];
    for (let k = 0; k < 300; k++) rows.push({ a: `a${String(k).padStart(4, '0')}`, b: 'b0' });
    for (let k = 0; k < 300; k++) rows.push({ a: `a${String(k).padStart(4, '0')}`, b: `b${k}` });
    const out = emitted(grouped(['a', 'b'], rows));
    expect(out.length).toBe(599);
    expect(out.reduce((t, r) => t + (r['count'] as number), 0)).toBe(600);
  });

  it('keys numbers so that each gets back its own id, -0 apart from 0 (a seeded key, not V8\'s number hash)', () => {
    const ids = new NumberIds();
    const xs = [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 40, 0.5, 0.1 + 0.2, 0.3, 1e21, -1e-7, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER];
    xs.forEach((x, i) => ids.set(x, i));
    xs.forEach((x, i) => expect(ids.get(x), String(x)).toBe(i));
    expect(ids.get(3)).toBeUndefined();
    expect(ids.get(2 ** 41)).toBeUndefined();
  });

  it('keeps BY values holding NUL, the separator of the key, as they are', () => {
    expect(emitted(grouped(['a', 'b'], [{ a: 'p\u0000q', b: 'r' }]))).toEqual([{ a: 'p\u0000q', b: 'r', count: 1, dc: 0 }]);
    expect(emitted(grouped(['a'], [{ a: 'p\u0000q' }]))).toEqual([{ a: 'p\u0000q', count: 1, dc: 0 }]);
    expect(emitted(grouped([], [{ v: 'x' }]))).toEqual([{ count: 1, vs: 'x', dc: 1 }]);
  });

  it('values() and dc() of a group whose one value gets a second, by text: 1 and "1" are one, "1.0" another', () => {
    const rows = [
      { g: 'a', v: 'x' },
      { g: 'a', v: 'x' },
      { g: 'b', v: 'y' },
      { g: 'a', v: 1 },
      { g: 'a', v: '1' },
      { g: 'b', v: ['z', 'y', 'z'] },
      { g: 'c', v: 1 },
      { g: 'c', v: '1.0' },
      { g: 'd', v: 'only' },
      { g: 'd', v: 'only' },
    ];
    expect(emitted(grouped(['g'], rows))).toEqual([
      { g: 'a', count: 4, vs: ['1', 'x'], dc: 2 },
      { g: 'b', count: 2, vs: ['y', 'z'], dc: 2 },
      { g: 'c', count: 2, vs: ['1', '1.0'], dc: 2 },
      { g: 'd', count: 2, vs: 'only', dc: 1 },
    ]);
  });

  it('shares and merges groups with their first seen values, on one thread or as data', () => {
    const first = [
      { a: 5, b: 'x', v: 'p' },
      { a: 'q\u0000r', b: 's', v: 'p' },
    ];
    const second = [
      { a: '5', b: 'x', v: 'p2' },
      { a: 7, b: 'y', v: 'p' },
      { a: 'q\u0000r', b: 's', v: 'p' },
    ];
    const want = emitted(grouped(['a', 'b'], [...first, ...second]));
    expect(want).toEqual([
      { a: 5, b: 'x', count: 2, vs: ['p', 'p2'], dc: 2 },
      { a: 7, b: 'y', count: 1, vs: 'p', dc: 1 },
      { a: 'q\u0000r', b: 's', count: 2, vs: 'p', dc: 1 },
    ]);
    const same = grouped(['a', 'b'], first);
    same.merge(grouped(['a', 'b'], second));
    expect(emitted(same)).toEqual(want);
    const data = grouped(['a', 'b'], first);
    const share = structuredClone(grouped(['a', 'b'], second).partial());
    expect(share.values).toEqual([
      ['5', 'x'],
      [7, 'y'],
      ['q\u0000r', 's'],
    ]);
    data.merge(share);
    expect(emitted(data)).toEqual(want);
  });

  // Values whose texts collide across kinds: 5/"5"/5.000000000000001, 0.1+0.2/0.3/"0.3", -0/0/"0"/"-0",
  // NaN/"NaN", 1e21/"1e+21", plus texts that only look numeric. One group per list of texts, first values kept.
  const tricky: FieldValue[] = [5, '5', 5.000000000000001, 0.1 + 0.2, 0.3, '0.3', -0, 0, '0', '-0', NaN, 'NaN', Infinity, 'Infinity', 1e21, '1e+21', '', ' 5', 'a', 'b', 100016, '100016', ['a', 5], ['5', 'a'], []];
  const reference = (by: string[], rows: Record<string, FieldValue>[]): Record<string, FieldValue | null>[] => {
    const groups = new Map<string, { values: Scalar[]; count: number }>();
    for (const o of rows) {
      let combos: Scalar[][] = [[]];
      for (const f of by) {
        const v = o[f];
        if (v === undefined) combos = [];
        const vs = Array.isArray(v) ? v : v === undefined ? [] : [v];
        combos = combos.flatMap((c) => vs.map((x) => [...c, x]));
      }
      for (const values of combos) {
        const key = JSON.stringify(values.map(toText));
        const g = groups.get(key);
        if (g) g.count++;
        else groups.set(key, { values, count: 1 });
      }
    }
    return plainSort([...groups.values()]).map((g) => ({ ...Object.fromEntries(by.map((f, i) => [f, g.values[i]!])), count: g.count, dc: 0 }));
  };
  for (let seed = 1; seed <= 40; seed++) {
    it(`groups by the texts of the values, as one pass, split and merged alike (seed ${seed})`, () => {
      const r = rng(seed);
      const by = ['a', 'b', 'c'].slice(0, 1 + Math.floor(r() * 3));
      const rows = Array.from({ length: Math.floor(r() * 300) }, () => {
        const o: Record<string, FieldValue> = {};
        for (const f of by) if (r() > 0.03) o[f] = tricky[Math.floor(r() * tricky.length)]!;
        return o;
      });
      const want = reference(by, rows);
      expect(emitted(grouped(by, rows))).toEqual(want);
      const cut = Math.floor(r() * rows.length);
      const same = grouped(by, rows.slice(0, cut));
      same.merge(grouped(by, rows.slice(cut)));
      expect(emitted(same)).toEqual(want);
      const data = grouped(by, rows.slice(0, cut));
      data.merge(structuredClone(grouped(by, rows.slice(cut)).partial()));
      expect(emitted(data)).toEqual(want);
    });
  }

  it('merges a one-value values() state into another', () => {
    const a = aggregationFor('values')!.create();
    a.add('x', null);
    const b = aggregationFor('values')!.create();
    b.add('x', null);
    b.merge!(a.partial!());
    expect(b.result()).toBe('x');
    a.add(2, null);
    b.merge!(a.partial!());
    expect(b.result()).toEqual(['2', 'x']);
  });
});
