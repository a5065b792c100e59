import { finite, sortTexts, toNumber, toText, mv, type FieldValue, type Scalar } from '../../events/value.js';
import { compareNumbersFirst } from '../eval/compare.js';
import { ExactSum, roundUnits, type ExactSumState } from './exact-sum.js';

/**
 * Statistical functions shared by stats, eventstats and streamstats, as declarative blueprints in one
 * table. Each creates an accumulator that is fed the values of its field one at a time (every value of a
 * multivalue counts) together with the row's `_time`, and reports a result. Accumulators are small class
 * instances: one object per group and function, no per-row allocation.
 *
 * Partial aggregation (a search split over partitions, spl/plan/split.ts): an accumulator of a blueprint
 * with `merge` reports its state as plain data (`partial()`, structured-clone-able: it crosses a worker
 * boundary) and folds in the state of another accumulator of the same function (`merge`). States are merged
 * in partition order: merging the state of the rows that come after this accumulator's gives exactly what
 * feeding those rows would (first-seen ties included), so sums are exact (order-independent) sums.
 */
export interface Accumulator {
  add(value: Scalar, time: number | null): void;
  result(): FieldValue | null;
  /** The state as plain data (blueprints with `merge` only). */
  partial?(): unknown;
  /** Folds in `partial()` of an accumulator of the same function fed the rows that come after this one's. */
  merge?(state: unknown): void;
}

export interface AggregationBlueprint {
  name: string;
  aliases?: string[];
  /** `count` alone counts events; the others need a field (or eval(...)). */
  fieldOptional?: boolean;
  /** True when the result depends on the order rows arrive in (first, last, list). */
  orderSensitive?: boolean;
  doc: string;
  create(): Accumulator;
  /** Its accumulators implement `partial` and `merge`; absent, a search aggregating with it runs on one thread. */
  merge?: true;
  /** A numerical statistic (of the numbers among the values): `allnum=true` gives none unless all are numbers. */
  numeric?: true;
}

/** Splunk caps list() at 100 values. */
export const LIST_LIMIT = 100;

const numberOf = (v: Scalar): number | null => (typeof v === 'number' ? v : toNumber(v));

class Count implements Accumulator {
  private n = 0;
  add(): void {
    this.n++;
  }
  result(): number {
    return this.n;
  }
  partial(): number {
    return this.n;
  }
  merge(n: number): void {
    this.n += n;
  }
}

/**
 * Distinct values as text: dc() reports how many, values() lists them in byte order. Most groups see one
 * value, kept alone: the Set (~150 B a group, promoted with it) comes with a second distinct value.
 */
class Distinct implements Accumulator {
  private one: string | null = null;
  private seen: Set<string> | null = null;
  constructor(private readonly list: boolean) {}
  add(v: Scalar): void {
    const t = typeof v === 'string' ? v : toText(v);
    if (this.seen !== null) this.seen.add(t);
    else if (this.one === null) this.one = t;
    else if (t !== this.one) this.seen = new Set([this.one, t]);
  }
  private texts(): string[] {
    return this.seen !== null ? [...this.seen] : this.one !== null ? [this.one] : [];
  }
  result(): FieldValue | null {
    const texts = this.texts();
    return this.list ? mv(sortTexts(texts)) : texts.length;
  }
  partial(): string[] {
    return this.texts();
  }
  merge(texts: string[]): void {
    for (const t of texts) this.add(t);
  }
}

/**
 * max()/min() "process values as numbers if possible": numeric values compare numerically and are kept as
 * numbers ("1", "1.0" and "01" are one value); every other text sorts after the numbers, lexicographically
 * (compareNumbersFirst, the order eval's max()/min() use too). So max of "9", "10", "100", "abc" is "abc".
 */
class MinMax implements Accumulator {
  private best: Scalar | null = null;
  constructor(private readonly sign: 1 | -1) {}
  add(v: Scalar): void {
    const val: Scalar = numberOf(v) ?? v;
    if (this.best === null || this.sign * compareNumbersFirst(val, this.best) > 0) this.best = val;
  }
  result(): Scalar | null {
    return this.best;
  }
  partial(): Scalar | null {
    return this.best;
  }
  merge(best: Scalar | null): void {
    if (best !== null) this.add(best);
  }
}

/**
 * sum(), sumsq() and avg(): the exact sum of the numeric values (of their squares for sumsq), rounded
 * once. Exact, so that partial sums of partitions add up to the same double as one pass does; it is also
 * the correctly rounded sum, where adding in order would round at every step.
 */
class Sum implements Accumulator {
  private readonly s = new ExactSum();
  private c = 0;
  constructor(private readonly what: 'sum' | 'sumsq' | 'avg') {}
  add(v: Scalar): void {
    const n = numberOf(v);
    if (n === null) return;
    if (this.what === 'sumsq') this.s.addProduct(n, n);
    else this.s.add(n);
    this.c++;
  }
  result(): number | null {
    if (this.c === 0) return null;
    // Past the largest double is null, as in eval: Splunk has no infinite values.
    return finite(this.what === 'avg' ? this.s.value() / this.c : this.s.value());
  }
  partial(): { s: ExactSumState; c: number } {
    return { s: this.s.state(), c: this.c };
  }
  merge(p: { s: ExactSumState; c: number }): void {
    this.s.merge(p.s);
    this.c += p.c;
  }
}

class Range implements Accumulator {
  private lo = Infinity;
  private hi = -Infinity;
  add(v: Scalar): void {
    const n = numberOf(v);
    if (n === null) return;
    this.lo = Math.min(this.lo, n);
    this.hi = Math.max(this.hi, n);
  }
  result(): number | null {
    return this.lo === Infinity ? null : finite(this.hi - this.lo);
  }
  partial(): [number, number] {
    return [this.lo, this.hi];
  }
  merge([lo, hi]: [number, number]): void {
    this.lo = Math.min(this.lo, lo);
    this.hi = Math.max(this.hi, hi);
  }
}

class List implements Accumulator {
  private readonly out: Scalar[] = [];
  add(v: Scalar): void {
    if (this.out.length < LIST_LIMIT) this.out.push(v);
  }
  result(): FieldValue | null {
    // A copy: streamstats writes a result per row and goes on adding to this list.
    return mv(this.out.slice());
  }
  partial(): Scalar[] {
    return this.out;
  }
  merge(vs: Scalar[]): void {
    for (const v of vs) this.add(v);
  }
}

class First implements Accumulator {
  private v: Scalar | null = null;
  add(v: Scalar): void {
    if (this.v === null) this.v = v;
  }
  result(): Scalar | null {
    return this.v;
  }
  partial(): Scalar | null {
    return this.v;
  }
  merge(v: Scalar | null): void {
    if (v !== null) this.add(v);
  }
}

class Last implements Accumulator {
  private v: Scalar | null = null;
  add(v: Scalar): void {
    this.v = v;
  }
  result(): Scalar | null {
    return this.v;
  }
  partial(): Scalar | null {
    return this.v;
  }
  merge(v: Scalar | null): void {
    if (v !== null) this.v = v;
  }
}

/**
 * earliest()/latest() (`value`: the value of the event with the best time) and earliest_time()/latest_time()
 * (the best time itself). A strictly better time wins, so of a multivalue the first value is kept.
 */
class ByTime implements Accumulator {
  private bestT: number | null = null;
  private v: Scalar | null = null;
  constructor(
    private readonly sign: 1 | -1,
    private readonly value: boolean,
  ) {}
  add(v: Scalar, t: number | null): void {
    if (t === null) return;
    if (this.bestT === null || this.sign * (t - this.bestT) > 0) {
      this.bestT = t;
      this.v = v;
    }
  }
  result(): Scalar | null {
    return this.value ? this.v : this.bestT;
  }
  partial(): [number | null, Scalar | null] {
    return [this.bestT, this.v];
  }
  merge([t, v]: [number | null, Scalar | null]): void {
    if (t !== null) this.add(v!, t);
  }
}

class Mode implements Accumulator {
  private readonly counts = new Map<string, { v: Scalar; n: number }>();
  add(v: Scalar): void {
    const k = toText(v);
    const e = this.counts.get(k);
    if (e) e.n++;
    else this.counts.set(k, { v, n: 1 });
  }
  result(): Scalar | null {
    let best: { v: Scalar; n: number } | null = null;
    for (const e of this.counts.values()) if (!best || e.n > best.n) best = e;
    return best ? best.v : null;
  }
  /** Values in first-seen order (ties go to the first seen), each with its count. */
  partial(): [Scalar, number][] {
    return [...this.counts.values()].map((e) => [e.v, e.n]);
  }
  merge(entries: [Scalar, number][]): void {
    for (const [v, n] of entries) {
      const k = toText(v);
      const e = this.counts.get(k);
      if (e) e.n += n;
      else this.counts.set(k, { v, n });
    }
  }
}

/** The `p`th percentile of ascending, non-empty `xs` by nearest rank (Percentile below); outlier's quartiles too. */
export function nearestRank(xs: readonly number[], p: number): number {
  return xs[Math.min(xs.length - 1, Math.floor((p * xs.length) / 100))]!;
}

/**
 * Percentiles by nearest rank, Splunk's default (limits.conf `perc_method = nearest-rank`): the value at
 * 0-based rank floor(p/100 × count) of the sorted numeric values (non-numbers are ignored). median() is the
 * 50th percentile, so of an even count it is "the higher of the two values" the docs describe (1..4 gives 3).
 * Splunk approximates perc/upperperc above 1000 distinct values; vigil always computes them exactly, as
 * exactperc does, so all four agree.
 */
class Percentile implements Accumulator {
  private readonly xs: number[] = [];
  constructor(private readonly p: number) {}
  add(v: Scalar): void {
    const n = numberOf(v);
    if (n !== null) this.xs.push(n);
  }
  result(): number | null {
    const xs = this.xs;
    if (!xs.length) return null;
    xs.sort((a, b) => a - b);
    return nearestRank(xs, this.p);
  }
  partial(): number[] {
    return this.xs;
  }
  merge(xs: number[]): void {
    for (const x of xs) this.xs.push(x);
  }
}

/** Whether a nonzero partial is smaller than `low` in magnitude, or past 2^995 (exact products stop there). */
function outside(partials: readonly number[], low: number): boolean {
  for (const x of partials) if (x !== 0 && (Math.abs(x) < low || Math.abs(x) >= 2 ** 995)) return true;
  return false;
}

/** The variance (or standard deviation) of n values from the exact sums of the values and of their squares (Variance). */
export function variance(n: number, s1: ExactSum, s2: ExactSum, sample: boolean, sqrt: boolean): number | null {
  if (n === 0) return null;
  // One value has no spread: the reference's examples give stdev and var 0.000000 for a group of one
  // (stats and mean() pages, magType MbLg), not the sample formula's 0/0.
  const denom = sample ? Math.max(n - 1, 1) : n;
  if (s1.nonFinite !== 0 || Number.isNaN(s1.nonFinite) || s2.nonFinite !== 0 || Number.isNaN(s2.nonFinite)) return null;
  const d = new ExactSum();
  for (const q of s2.partials) d.addProduct(n, q);
  const a = s1.partials;
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a.length; j++) d.addProduct(-a[i]!, a[j]!);
  let nd = d.value();
  // Near the largest double (a sum that overflowed; a partial past 2^995, whose product Dekker's split cannot take
  // exactly) or the smallest (a product of partials below 2^-900 loses bits: values near 1e-154): the same exact
  // n·Σx² − (Σx)² as integers of 2^-2148, so the result does not depend on which partials the values happened to
  // leave (one pass and merged partitions leave different ones).
  if (s1.overflowed || s2.overflowed || d.nonFinite !== 0 || d.overflowed || outside(a, 2 ** -450) || outside(s2.partials, 2 ** -900)) {
    const u = s1.units;
    nd = roundUnits(BigInt(n) * (s2.units << 1074n) - u * u, -2148);
  }
  const v = Math.max(0, nd) / (n * denom);
  return finite(sqrt ? Math.sqrt(v) : v);
}

/**
 * Variance from the exact sums of the values and of their squares: n·Σx² − (Σx)² is computed exactly (an
 * exact sum of exact products) and rounded once, then divided by n(n−1) (sample) or n² (population). No
 * cancellation (values near 1.7e9 with a spread of seconds keep their digits), and the same double whatever
 * the order of the values or how they were split into partitions.
 */
class Variance implements Accumulator {
  private n = 0;
  private readonly s1 = new ExactSum();
  private readonly s2 = new ExactSum();
  constructor(
    private readonly sample: boolean,
    private readonly sqrt: boolean,
  ) {}
  add(v: Scalar): void {
    const x = numberOf(v);
    if (x === null) return;
    this.n++;
    this.s1.add(x);
    this.s2.addProduct(x, x);
  }
  result(): number | null {
    return variance(this.n, this.s1, this.s2, this.sample, this.sqrt);
  }
  partial(): { n: number; s1: ExactSumState; s2: ExactSumState } {
    return { n: this.n, s1: this.s1.state(), s2: this.s2.state() };
  }
  merge(p: { n: number; s1: ExactSumState; s2: ExactSumState }): void {
    this.n += p.n;
    this.s1.merge(p.s1);
    this.s2.merge(p.s2);
  }
}

/**
 * A numerical statistic under `allnum=true` (stats, eventstats, streamstats): "computes numerical statistics on
 * each field if and only if all of the values of that field are numerical" (SPL reference; eventstats' example:
 * a city whose ages include "test" gets no avg(age)). One value that is not a number, an empty one included,
 * leaves the group without a result.
 */
export class AllNumbers implements Accumulator {
  private mixed = false;
  constructor(private readonly inner: Accumulator) {}
  add(v: Scalar, time: number | null): void {
    if (numberOf(v) === null) this.mixed = true;
    else if (!this.mixed) this.inner.add(v, time);
  }
  result(): FieldValue | null {
    return this.mixed ? null : this.inner.result();
  }
  partial(): { mixed: boolean; inner: unknown } {
    return { mixed: this.mixed, inner: this.inner.partial?.() };
  }
  merge(p: { mixed: boolean; inner: unknown }): void {
    if (p.mixed) this.mixed = true;
    else if (!this.mixed) this.inner.merge?.(p.inner);
  }
}

const blueprints: AggregationBlueprint[] = [
  {
    name: 'count',
    aliases: ['c'],
    fieldOptional: true,
    doc: 'count: number of events; count(X): number of values of X.',
    create: () => new Count(),
    merge: true,
  },
  {
    name: 'dc',
    aliases: ['distinct_count', 'estdc'],
    doc: 'dc(X): number of distinct values of X (compared as text).',
    create: () => new Distinct(false),
    merge: true,
  },
  {
    name: 'min',
    doc: 'min(X): smallest value: the smallest number if there is one, else the first text in byte order.',
    create: () => new MinMax(-1),
    merge: true,
  },
  {
    name: 'max',
    doc: 'max(X): largest value: the last text in byte order if there is one, else the largest number.',
    create: () => new MinMax(1),
    merge: true,
  },
  {
    name: 'sum',
    numeric: true,
    doc: 'sum(X): sum of the numeric values of X.',
    create: () => new Sum('sum'),
    merge: true,
  },
  {
    name: 'sumsq',
    numeric: true,
    doc: 'sumsq(X): sum of the squares of the numeric values of X.',
    create: () => new Sum('sumsq'),
    merge: true,
  },
  {
    name: 'avg',
    numeric: true,
    aliases: ['mean'],
    doc: 'avg(X): mean of the numeric values of X.',
    create: () => new Sum('avg'),
    merge: true,
  },
  {
    name: 'range',
    numeric: true,
    doc: 'range(X): max - min of the numeric values.',
    create: () => new Range(),
    merge: true,
  },
  {
    name: 'values',
    doc: 'values(X): distinct values of X in byte order (case-sensitive).',
    create: () => new Distinct(true),
    merge: true,
  },
  {
    name: 'list',
    orderSensitive: true,
    doc: `list(X): the values of X in event order, at most ${LIST_LIMIT}.`,
    create: () => new List(),
    merge: true,
  },
  {
    name: 'first',
    orderSensitive: true,
    doc: 'first(X): the first value seen (the newest event in search order).',
    create: () => new First(),
    merge: true,
  },
  {
    name: 'last',
    orderSensitive: true,
    doc: 'last(X): the last value seen (the oldest event in search order).',
    create: () => new Last(),
    merge: true,
  },
  {
    name: 'earliest',
    // Of events with the same _time the first seen wins: search order decides.
    orderSensitive: true,
    doc: 'earliest(X): the value of X in the event with the smallest _time.',
    create: () => new ByTime(-1, true),
    merge: true,
  },
  {
    name: 'latest',
    orderSensitive: true,
    doc: 'latest(X): the value of X in the event with the largest _time.',
    create: () => new ByTime(1, true),
    merge: true,
  },
  {
    name: 'earliest_time',
    doc: 'earliest_time(X): the smallest _time of an event that has X.',
    create: () => new ByTime(-1, false),
    merge: true,
  },
  {
    name: 'latest_time',
    doc: 'latest_time(X): the largest _time of an event that has X.',
    create: () => new ByTime(1, false),
    merge: true,
  },
  {
    name: 'mode',
    orderSensitive: true,
    doc: 'mode(X): the most frequent value (first seen wins ties).',
    create: () => new Mode(),
    merge: true,
  },
  {
    name: 'median',
    numeric: true,
    doc: 'median(X): the middle numeric value; of an even count the higher of the two middle values.',
    create: () => new Percentile(50),
    merge: true,
  },
  {
    name: 'stdev',
    numeric: true,
    doc: 'stdev(X): sample standard deviation.',
    create: () => new Variance(true, true),
    merge: true,
  },
  {
    name: 'stdevp',
    numeric: true,
    doc: 'stdevp(X): population standard deviation.',
    create: () => new Variance(false, true),
    merge: true,
  },
  {
    name: 'var',
    numeric: true,
    doc: 'var(X): sample variance.',
    create: () => new Variance(true, false),
    merge: true,
  },
  {
    name: 'varp',
    numeric: true,
    doc: 'varp(X): population variance.',
    create: () => new Variance(false, false),
    merge: true,
  },
];

export const AGGREGATIONS: ReadonlyMap<string, AggregationBlueprint> = (() => {
  const m = new Map<string, AggregationBlueprint>();
  for (const b of blueprints) {
    m.set(b.name, b);
    for (const a of b.aliases ?? []) m.set(a, b);
  }
  return m;
})();

/** perc<N>(X), pN(X), upperpercN, exactpercN: percentiles by name. */
export function aggregationFor(name: string): AggregationBlueprint | undefined {
  const direct = AGGREGATIONS.get(name);
  if (direct) return direct;
  const p = percentileOf(name);
  if (p !== null) {
    return { name, doc: `${name}(X): the ${p}th percentile (nearest rank).`, create: () => new Percentile(p), merge: true, numeric: true };
  }
  return undefined;
}

/** The percentile a perc<N>/pN/upperpercN/exactpercN function names (median: 50), or null. */
export function percentileOf(name: string): number | null {
  if (name === 'median') return 50;
  const m = /^(?:perc|p|exactperc|upperperc)(\d{1,2}(?:\.\d+)?|100)$/.exec(name);
  return m ? Number(m[1]) : null;
}
