import { finite } from '../../events/value.js';
import { numberValue, parseFieldAs } from './accum.js';
import { defineCommand } from './types.js';

/**
 * The largest `p=` of delta and autoregress (*decision*: the reference gives none; 10,000 is the bound Splunk sets on
 * the windows of its other streaming commands, trendline's period and streamstats' max_stream_window). Each keeps the
 * last p values, so p bounds their memory.
 */
export const MAX_PRIOR_RESULTS = 10_000;

export interface DeltaArgs {
  field: string;
  as: string;
  p: number;
}

/**
 * `delta <field> [AS <newfield>] [p=<int>]`: the difference between the field's value in this result and in the result
 * p results before it, in search order (Search Reference: "If p=2, compares the current result value against the
 * value in the result that is two results prior to the current result"; default name `delta(<field>)`, default p=1).
 * "If field is not a number in either of the two values, no output field is generated": such a result, and the first
 * p results, are left as they are. Results count whether or not they have the field (*decision*, as the reference's
 * "the result that is two results prior" reads).
 */
export const deltaCommand = defineCommand<DeltaArgs>({
  name: 'delta',
  doc: 'delta <field> [AS <newfield>] [p=<int>]: difference from the value p results before (default p=1).',
  parse: (p) => {
    let prior = 1;
    const f = parseFieldAs(p, 'delta', ['p'], (o) => {
      prior = p.parseInt(o.value, o.valueSpan, 1);
      if (prior > MAX_PRIOR_RESULTS) throw p.error(`p=${o.value} is larger than ${MAX_PRIOR_RESULTS}, the most results delta looks back`, o.valueSpan, 'SPL_BAD_ARGUMENT');
    }, 'delta count AS count_change');
    return { field: f.field, as: f.as ?? `delta(${f.field})`, p: prior };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (a) => [a.as],
  create: (args, _ctx, next) => {
    // The field's number in each of the last p results (a ring: `seen` results so far).
    const ring: (number | null)[] = new Array<number | null>(args.p).fill(null);
    let seen = 0;
    return {
      push: (row) => {
        const n = numberValue(row.get(args.field));
        const slot = seen % args.p;
        const before = seen >= args.p ? ring[slot]! : null;
        ring[slot] = n;
        seen++;
        // A difference past the largest double is no value (null removes the field, as eval's overflow gives).
        if (n !== null && before !== null) row.set(args.as, finite(n - before));
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
