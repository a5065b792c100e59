import { compareText, toNumber, toText, mv, type FieldValue, type Scalar } from '../../events/value.js';
import { compareNumbersFirst } from '../eval/compare.js';

/**
 * Statistical functions shared by stats, eventstats and streamstats, as declarative blueprints in one
 * table. Each creates an accumulator that is fed the values of its field one at a time (every value of a
 * multivalue counts) together with the row's `_time`, and reports a result. Accumulators are small class
 * instances: one object per group and function, no per-row allocation.
 */
export interface Accumulator {
  add(value: Scalar, time: number | null): void;
  result(): FieldValue | null;
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
}

/** Distinct values as text: dc() reports how many, values() lists them in byte order. */
class Distinct implements Accumulator {
  private readonly seen = new Set<string>();
  constructor(private readonly list: boolean) {}
  add(v: Scalar): void {
    this.seen.add(typeof v === 'string' ? v : toText(v));
  }
  result(): FieldValue | null {
    return this.list ? mv([...this.seen].sort(compareText)) : this.seen.size;
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
}

class Sum implements Accumulator {
  private s = 0;
  private any = false;
  add(v: Scalar): void {
    const n = numberOf(v);
    if (n === null) return;
    this.s += n;
    this.any = true;
  }
  result(): number | null {
    return this.any ? this.s : null;
  }
}

class SumSq implements Accumulator {
  private s = 0;
  private any = false;
  add(v: Scalar): void {
    const n = numberOf(v);
    if (n === null) return;
    this.s += n * n;
    this.any = true;
  }
  result(): number | null {
    return this.any ? this.s : null;
  }
}

class Avg implements Accumulator {
  private s = 0;
  private c = 0;
  add(v: Scalar): void {
    const n = numberOf(v);
    if (n === null) return;
    this.s += n;
    this.c++;
  }
  result(): number | null {
    return this.c ? this.s / this.c : null;
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
    return this.lo === Infinity ? null : this.hi - this.lo;
  }
}

class List implements Accumulator {
  private readonly out: Scalar[] = [];
  add(v: Scalar): void {
    if (this.out.length < LIST_LIMIT) this.out.push(v);
  }
  result(): FieldValue | null {
    return mv(this.out);
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
}

class Last implements Accumulator {
  private v: Scalar | null = null;
  add(v: Scalar): void {
    this.v = v;
  }
  result(): Scalar | null {
    return this.v;
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
    return xs[Math.min(xs.length - 1, Math.floor((this.p * xs.length) / 100))]!;
  }
}

/** Welford's running variance. */
class Variance implements Accumulator {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  constructor(
    private readonly sample: boolean,
    private readonly sqrt: boolean,
  ) {}
  add(v: Scalar): void {
    const x = numberOf(v);
    if (x === null) return;
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  result(): number | null {
    const denom = this.sample ? this.n - 1 : this.n;
    if (denom <= 0) return null;
    const v = this.m2 / denom;
    return this.sqrt ? Math.sqrt(v) : v;
  }
}

const blueprints: AggregationBlueprint[] = [
  {
    name: 'count',
    aliases: ['c'],
    fieldOptional: true,
    doc: 'count: number of events; count(X): number of values of X.',
    create: () => new Count(),
  },
  {
    name: 'dc',
    aliases: ['distinct_count', 'estdc'],
    doc: 'dc(X): number of distinct values of X (compared as text).',
    create: () => new Distinct(false),
  },
  {
    name: 'min',
    doc: 'min(X): smallest value: the smallest number if there is one, else the first text in byte order.',
    create: () => new MinMax(-1),
  },
  {
    name: 'max',
    doc: 'max(X): largest value: the last text in byte order if there is one, else the largest number.',
    create: () => new MinMax(1),
  },
  {
    name: 'sum',
    doc: 'sum(X): sum of the numeric values of X.',
    create: () => new Sum(),
  },
  {
    name: 'sumsq',
    doc: 'sumsq(X): sum of the squares of the numeric values of X.',
    create: () => new SumSq(),
  },
  {
    name: 'avg',
    aliases: ['mean'],
    doc: 'avg(X): mean of the numeric values of X.',
    create: () => new Avg(),
  },
  {
    name: 'range',
    doc: 'range(X): max - min of the numeric values.',
    create: () => new Range(),
  },
  {
    name: 'values',
    doc: 'values(X): distinct values of X in byte order (case-sensitive).',
    create: () => new Distinct(true),
  },
  {
    name: 'list',
    orderSensitive: true,
    doc: `list(X): the values of X in event order, at most ${LIST_LIMIT}.`,
    create: () => new List(),
  },
  {
    name: 'first',
    orderSensitive: true,
    doc: 'first(X): the first value seen (the newest event in search order).',
    create: () => new First(),
  },
  {
    name: 'last',
    orderSensitive: true,
    doc: 'last(X): the last value seen (the oldest event in search order).',
    create: () => new Last(),
  },
  {
    name: 'earliest',
    // Of events with the same _time the first seen wins: search order decides.
    orderSensitive: true,
    doc: 'earliest(X): the value of X in the event with the smallest _time.',
    create: () => new ByTime(-1, true),
  },
  {
    name: 'latest',
    orderSensitive: true,
    doc: 'latest(X): the value of X in the event with the largest _time.',
    create: () => new ByTime(1, true),
  },
  {
    name: 'earliest_time',
    doc: 'earliest_time(X): the smallest _time of an event that has X.',
    create: () => new ByTime(-1, false),
  },
  {
    name: 'latest_time',
    doc: 'latest_time(X): the largest _time of an event that has X.',
    create: () => new ByTime(1, false),
  },
  {
    name: 'mode',
    orderSensitive: true,
    doc: 'mode(X): the most frequent value (first seen wins ties).',
    create: () => new Mode(),
  },
  {
    name: 'median',
    doc: 'median(X): the middle numeric value; of an even count the higher of the two middle values.',
    create: () => new Percentile(50),
  },
  {
    name: 'stdev',
    doc: 'stdev(X): sample standard deviation.',
    create: () => new Variance(true, true),
  },
  {
    name: 'stdevp',
    doc: 'stdevp(X): population standard deviation.',
    create: () => new Variance(false, true),
  },
  {
    name: 'var',
    doc: 'var(X): sample variance.',
    create: () => new Variance(true, false),
  },
  {
    name: 'varp',
    doc: 'varp(X): population variance.',
    create: () => new Variance(false, false),
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
  const m = /^(?:perc|p|exactperc|upperperc)(\d{1,2}(?:\.\d+)?|100)$/.exec(name);
  if (m) {
    const p = Number(m[1]);
    return { name, doc: `${name}(X): the ${p}th percentile (nearest rank).`, create: () => new Percentile(p) };
  }
  return undefined;
}
