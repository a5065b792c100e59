import { compareText, toNumber, toText, mv, type FieldValue, type Scalar } from '../../events/value.js';
import { compareScalars } from '../eval/compare.js';

/**
 * Statistical functions shared by stats, eventstats and streamstats, as declarative blueprints in one
 * table. Each creates an accumulator that is fed the values of its field (every value of a multivalue
 * counts) together with the row's `_time`, and reports a result.
 */
export interface Accumulator {
  add(values: readonly Scalar[], time: number | null): void;
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

const numeric = (values: readonly Scalar[], f: (n: number) => void) => {
  for (const v of values) {
    const n = typeof v === 'number' ? v : toNumber(v);
    if (n !== null) f(n);
  }
};

const blueprints: AggregationBlueprint[] = [
  {
    name: 'count',
    aliases: ['c'],
    fieldOptional: true,
    doc: 'count: number of events; count(X): number of values of X.',
    create: () => {
      let n = 0;
      return { add: (vs) => void (n += vs.length), result: () => n };
    },
  },
  {
    name: 'dc',
    aliases: ['distinct_count', 'estdc'],
    doc: 'dc(X): number of distinct values of X (compared as text).',
    create: () => {
      const seen = new Set<string>();
      return { add: (vs) => vs.forEach((v) => seen.add(toText(v))), result: () => seen.size };
    },
  },
  {
    name: 'min',
    doc: 'min(X): smallest value, numeric when the values are numbers, else in byte order.',
    create: () => minMax(-1),
  },
  {
    name: 'max',
    doc: 'max(X): largest value, numeric when the values are numbers, else in byte order.',
    create: () => minMax(1),
  },
  {
    name: 'sum',
    doc: 'sum(X): sum of the numeric values of X.',
    create: () => {
      let s = 0;
      let any = false;
      return {
        add: (vs) =>
          numeric(vs, (n) => {
            s += n;
            any = true;
          }),
        result: () => (any ? s : null),
      };
    },
  },
  {
    name: 'avg',
    aliases: ['mean'],
    doc: 'avg(X): mean of the numeric values of X.',
    create: () => {
      let s = 0;
      let c = 0;
      return {
        add: (vs) =>
          numeric(vs, (n) => {
            s += n;
            c++;
          }),
        result: () => (c ? s / c : null),
      };
    },
  },
  {
    name: 'range',
    doc: 'range(X): max - min of the numeric values.',
    create: () => {
      let lo = Infinity;
      let hi = -Infinity;
      return {
        add: (vs) =>
          numeric(vs, (n) => {
            lo = Math.min(lo, n);
            hi = Math.max(hi, n);
          }),
        result: () => (lo === Infinity ? null : hi - lo),
      };
    },
  },
  {
    name: 'values',
    doc: 'values(X): distinct values of X in byte order (case-sensitive).',
    create: () => {
      const seen = new Set<string>();
      return {
        add: (vs) => vs.forEach((v) => seen.add(toText(v))),
        result: () => mv([...seen].sort(compareText)),
      };
    },
  },
  {
    name: 'list',
    orderSensitive: true,
    doc: `list(X): the values of X in event order, at most ${LIST_LIMIT}.`,
    create: () => {
      const out: Scalar[] = [];
      return {
        add: (vs) => {
          for (const v of vs) if (out.length < LIST_LIMIT) out.push(v);
        },
        result: () => mv(out),
      };
    },
  },
  {
    name: 'first',
    orderSensitive: true,
    doc: 'first(X): the first value seen (the newest event in search order).',
    create: () => {
      let v: Scalar | null = null;
      return {
        add: (vs) => {
          if (v === null && vs.length) v = vs[0]!;
        },
        result: () => v,
      };
    },
  },
  {
    name: 'last',
    orderSensitive: true,
    doc: 'last(X): the last value seen (the oldest event in search order).',
    create: () => {
      let v: Scalar | null = null;
      return {
        add: (vs) => {
          if (vs.length) v = vs[vs.length - 1]!;
        },
        result: () => v,
      };
    },
  },
  {
    name: 'earliest',
    doc: 'earliest(X): the value of X in the event with the smallest _time.',
    create: () => byTime((t, best) => t < best),
  },
  {
    name: 'latest',
    doc: 'latest(X): the value of X in the event with the largest _time.',
    create: () => byTime((t, best) => t > best),
  },
  {
    name: 'earliest_time',
    doc: 'earliest_time(X): the smallest _time of an event that has X.',
    create: () => timeOf((t, best) => t < best),
  },
  {
    name: 'latest_time',
    doc: 'latest_time(X): the largest _time of an event that has X.',
    create: () => timeOf((t, best) => t > best),
  },
  {
    name: 'mode',
    doc: 'mode(X): the most frequent value (first seen wins ties).',
    create: () => {
      const counts = new Map<string, { v: Scalar; n: number }>();
      return {
        add: (vs) =>
          vs.forEach((v) => {
            const k = toText(v);
            const e = counts.get(k);
            if (e) e.n++;
            else counts.set(k, { v, n: 1 });
          }),
        result: () => {
          let best: { v: Scalar; n: number } | null = null;
          for (const e of counts.values()) if (!best || e.n > best.n) best = e;
          return best ? best.v : null;
        },
      };
    },
  },
  {
    name: 'median',
    doc: 'median(X): the middle numeric value (nearest-rank, as Splunk).',
    create: () => percentile(50),
  },
  {
    name: 'stdev',
    doc: 'stdev(X): sample standard deviation.',
    create: () => variance(true, true),
  },
  {
    name: 'stdevp',
    doc: 'stdevp(X): population standard deviation.',
    create: () => variance(false, true),
  },
  {
    name: 'var',
    doc: 'var(X): sample variance.',
    create: () => variance(true, false),
  },
  {
    name: 'varp',
    doc: 'varp(X): population variance.',
    create: () => variance(false, false),
  },
];

function minMax(sign: 1 | -1): Accumulator {
  // Splunk: min/max compare numerically when possible; a numeric value beats text for min/max (numbers sort first).
  let best: Scalar | null = null;
  return {
    add: (vs) => {
      for (const v of vs) {
        const val: Scalar = typeof v === 'string' && toNumber(v) !== null ? (toNumber(v) as number) : v;
        if (best === null) best = val;
        else {
          const bn = typeof best === 'number';
          const vn = typeof val === 'number';
          if (bn !== vn) {
            // Numbers win over text whichever way we compare (Splunk processes values as numbers if possible).
            if (vn) best = val;
            continue;
          }
          if (sign * compareScalars(val, best) > 0) best = val;
        }
      }
    },
    result: () => best,
  };
}

function byTime(better: (t: number, best: number) => boolean): Accumulator {
  let bestT: number | null = null;
  let v: Scalar | null = null;
  return {
    add: (vs, t) => {
      if (!vs.length || t === null) return;
      if (bestT === null || better(t, bestT)) {
        bestT = t;
        v = vs[0]!;
      }
    },
    result: () => v,
  };
}

function timeOf(better: (t: number, best: number) => boolean): Accumulator {
  let bestT: number | null = null;
  return {
    add: (vs, t) => {
      if (!vs.length || t === null) return;
      if (bestT === null || better(t, bestT)) bestT = t;
    },
    result: () => bestT,
  };
}

function percentile(p: number): Accumulator {
  const xs: number[] = [];
  return {
    add: (vs) => numeric(vs, (n) => xs.push(n)),
    result: () => {
      if (!xs.length) return null;
      xs.sort((a, b) => a - b);
      const rank = Math.max(1, Math.ceil((p / 100) * xs.length));
      return xs[rank - 1]!;
    },
  };
}

function variance(sample: boolean, sqrt: boolean): Accumulator {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  return {
    add: (vs) =>
      numeric(vs, (x) => {
        n++;
        const d = x - mean;
        mean += d / n;
        m2 += d * (x - mean);
      }),
    result: () => {
      const denom = sample ? n - 1 : n;
      if (denom <= 0) return null;
      const v = m2 / denom;
      return sqrt ? Math.sqrt(v) : v;
    },
  };
}

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
    return { name, doc: `${name}(X): the ${p}th percentile.`, create: () => percentile(p) };
  }
  return undefined;
}
