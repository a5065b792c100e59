import { describe, expect, it } from 'vitest';
import type { Scalar } from '../../src/events/value.js';
import { AGGREGATIONS, AllNumbers, aggregationFor, type Accumulator } from '../../src/spl/stats/aggregations.js';
import { ExactSum } from '../../src/spl/stats/exact-sum.js';
import { rng } from '../rng.js';

/** Values as logs give them: integers, fractions, epoch times, numeric text written oddly, plain text. */
// Values near the largest double too: a sum whose partials overflow in one order and not in another.
const POOL: Scalar[] = [0, 1, -1, 2, 3, 7, 10, 0.1, 0.2, 0.3, 1e16, -1e16, 1.5, 1700000000.123456, 1700000003.5, '1', '01', '1.0', '5a', 'abc', 'Abc', 'x', '', '-0', 1e300, '1e400', 1e308, -1e308, 9e307, 1e154, -8e153];

function feed(acc: Accumulator, xs: readonly [Scalar, number][]): Accumulator {
  for (const [v, t] of xs) acc.add(v, t);
  return acc;
}

/** One pass, or the rows split at `cuts` into partitions whose states (cloned, as between threads) are merged in order. */
function aggregate(name: string, xs: readonly [Scalar, number][], cuts: readonly number[], allnum = false): unknown {
  const bp = aggregationFor(name)!;
  const create = (): Accumulator => (allnum ? new AllNumbers(bp.create()) : bp.create());
  if (cuts.length === 0) return feed(create(), xs).result();
  const bounds = [0, ...cuts, xs.length];
  const merged = create();
  for (let i = 0; i + 1 < bounds.length; i++) {
    const part = feed(create(), xs.slice(bounds[i], bounds[i + 1]));
    merged.merge!(structuredClone(part.partial!()));
  }
  return merged.result();
}

describe('partial aggregation', () => {
  const names = [...new Set([...AGGREGATIONS.values()].map((b) => b.name)), 'perc95', 'p10', 'exactperc99.5', 'upperperc1'];

  it('every stats function merges', () => {
    for (const n of names) expect(aggregationFor(n)!.merge, n).toBe(true);
  });

  for (let seed = 1; seed <= 40; seed++) {
    it(`merging partitions in order gives the one-pass result bit for bit (seed ${seed})`, () => {
      const r = rng(seed);
      const n = Math.floor(r() * 60);
      // Times repeat, so earliest()/latest() and mode() ties are decided by the order of the rows.
      const xs: [Scalar, number][] = Array.from({ length: n }, () => [POOL[Math.floor(r() * POOL.length)]!, 1000 + Math.floor(r() * 5)]);
      const cuts = [...new Set(Array.from({ length: 1 + Math.floor(r() * 4) }, () => Math.floor(r() * (n + 1))))].sort((a, b) => a - b);
      for (const name of names) expect(aggregate(name, xs, cuts), `${name} of ${JSON.stringify(xs)} cut at ${cuts}`).toEqual(aggregate(name, xs, []));
      // allnum=true: a text value in any partition leaves no result, as in one pass.
      for (const name of names.filter((x) => aggregationFor(x)!.numeric)) {
        expect(aggregate(name, xs, cuts, true), `allnum ${name} of ${JSON.stringify(xs)} cut at ${cuts}`).toEqual(aggregate(name, xs, [], true));
      }
    });
  }

  it('keeps no partition state the merge shares with its source', () => {
    const a = aggregationFor('values')!.create();
    a.add('x', null);
    const b = aggregationFor('values')!.create();
    b.merge!(a.partial!());
    a.add('y', null);
    expect(b.result()).toBe('x');
  });
});

describe('ExactSum', () => {
  const sumOf = (xs: number[]) => {
    const s = new ExactSum();
    for (const x of xs) s.add(x);
    return s.value();
  };

  it('is exact, so the order of the values does not matter', () => {
    expect(sumOf([1e16, 1, -1e16])).toBe(1);
    expect(sumOf(Array.from({ length: 10 }, () => 0.1))).toBe(1);
    expect(sumOf([0.1, 0.2, 0.3])).toBe(0.6);
    const r = rng(7);
    const xs = Array.from({ length: 500 }, () => (r() - 0.5) * 10 ** Math.floor(r() * 30 - 10));
    const forward = sumOf(xs);
    for (let k = 0; k < 5; k++) expect(sumOf([...xs].sort(() => r() - 0.5))).toBe(forward);
  });

  it('rounds once, half to even across partials', () => {
    // 1 + 2^-53 + 2^-106: exactly above the halfway point, so it rounds up.
    expect(sumOf([1, 2 ** -53, 2 ** -106])).toBe(1 + 2 ** -52);
    expect(sumOf([1, 2 ** -53])).toBe(1);
  });

  it('adds products exactly, and infinities as a plain sum does', () => {
    const s = new ExactSum();
    const x = 1700000000.123456;
    s.addProduct(x, x);
    s.addProduct(-x, x);
    expect(s.value()).toBe(0);
    expect(sumOf([1, Infinity, 2])).toBe(Infinity);
    expect(sumOf([Infinity, -Infinity])).toBeNaN();
    expect(sumOf([1.7976931348623157e308, 1.7976931348623157e308])).toBe(Infinity);
  });

  it('stays exact past the largest double, whatever the order or the partitions', () => {
    // 1e308 + 1e308 overflows a double, the exact sum with -1e308 does not: every order gives 1e308 (one order gave
    // an infinity, so a search split over partitions summed differently from one thread).
    for (const xs of [
      [1e308, 1e308, -1e308],
      [1e308, -1e308, 1e308],
      [-1e308, 1e308, 1e308],
    ]) expect(sumOf(xs)).toBe(1e308);
    expect(sumOf([1.7976931348623157e308, 1.7976931348623157e308, -1.7976931348623157e308, 1, 2 ** -1074])).toBe(1.7976931348623157e308);
    expect(sumOf([1.7976931348623157e308, 1.7976931348623157e308, -1.7976931348623157e308, -1.7976931348623157e308, 2 ** -1074, 0.5])).toBe(0.5);
    expect(sumOf([1.7976931348623157e308, 1.7976931348623157e308, -1.7976931348623157e308, -1.7976931348623157e308, 2 ** -1074])).toBe(2 ** -1074);
    const a = new ExactSum();
    for (const x of [1e308, 1e308]) a.add(x);
    const b = new ExactSum();
    b.add(-1e308);
    b.add(0.25);
    const merged = new ExactSum();
    merged.merge(structuredClone(b.state()));
    merged.merge(structuredClone(a.state()));
    expect(merged.value()).toBe(1e308);
    // Half to even when the exact sum is halfway between two doubles past an overflow.
    expect(sumOf([1.7976931348623157e308, 1.7976931348623157e308, -1.7976931348623157e308, -1.7976931348623157e308, 1, 2 ** -53])).toBe(1);
    expect(sumOf([1.7976931348623157e308, 1.7976931348623157e308, -1.7976931348623157e308, -1.7976931348623157e308, 1, 2 ** -53, 2 ** -100])).toBe(1 + 2 ** -52);
  });
});

describe('variance', () => {
  it('keeps the digits of values far from zero (no cancellation)', () => {
    const acc = aggregationFor('var')!.create();
    for (const t of [1700000000, 1700000001, 1700000002]) acc.add(t, null);
    expect(acc.result()).toBe(1);
    const p = aggregationFor('stdevp')!.create();
    for (const t of [1e9 + 0.5, 1e9 + 1.5]) p.add(t, null);
    expect(p.result()).toBe(0.5);
  });

  it('is the same double split over partitions, for values near the smallest and the largest doubles', () => {
    // Found by a differential check of merged states: stdev of these gave ...382e-155 on one thread and ...386e-155 when
    // the first value was in another partition (products of partials near 2^-1074, or past Dekker's split, lose bits).
    const cases = [
      [-1.7622803058475258e-172, -3.1985629722476006e-172, -1.0000000000334212e-154, -9.631481778342277e-172, 7.799259305465967e-172, -1.0000000000286092e-154],
      [-1.000000000094824e151, -7.161211231723429e133, 1.000000000005318e151, 8.154910942539574e133, 1.000000000058622e151, -1.0000000000986223e151],
    ];
    const r = rng(11);
    for (let k = 0; k < 3000; k++) {
      const scale = 10 ** (Math.floor(r() * 640) - 320);
      cases.push(Array.from({ length: 2 + Math.floor(r() * 6) }, () => (r() < 0.5 ? -1 : 1) * (r() < 0.5 ? 1 + r() * 1e-10 : r() * 1e-17) * (r() < 0.3 ? 1 : scale)));
    }
    for (const xs of cases) {
      const cut = 1 + Math.floor(r() * (xs.length - 1));
      for (const name of ['var', 'varp', 'stdev', 'stdevp', 'sum', 'avg', 'sumsq']) {
        const timed = xs.map((x): [Scalar, number] => [x, 0]);
        expect(aggregate(name, timed, [cut]), `${name} of ${xs} cut at ${cut}`).toBe(aggregate(name, timed, []));
      }
    }
  });
});
