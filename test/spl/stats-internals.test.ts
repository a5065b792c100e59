import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import type { FieldValue, Scalar } from '../../src/events/value.js';
import { compareScalars } from '../../src/spl/eval/compare.js';
import { GroupKeys, sortByValues } from '../../src/spl/stats/aggregator.js';
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
