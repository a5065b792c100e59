import type { FieldValue } from '../../events/value.js';
import { parseFieldAs } from './accum.js';
import { MAX_PRIOR_RESULTS } from './delta.js';
import { defineCommand } from './types.js';

export interface AutoregressArgs {
  field: string;
  /** The prior results copied, from..to (1 = the previous one). */
  from: number;
  to: number;
  /** The field each copy goes to, for from..to in order. */
  names: string[];
}

/**
 * `autoregress <field> [AS <newfield>] [p=<int> | p=<int>-<int>]`: copies the field's value of prior results into each
 * result, in search order (Search Reference: "For a single value, such as 3, the autoregress command copies field
 * values from the third prior event into a new field ... if you specify a range such as p=2-4, then the field values
 * from the second, third, and fourth prior events are copied into new fields"; default p=1; without AS "the values are
 * copied into fields with the names <field>_p<num>"; AS is "Invalid if p is set to a range"). "The first few events
 * will lack the augmentation of prior values, since the prior values do not exist": their fields are not written, nor
 * are they where the prior result lacks the field (*decision*). Values are copied as they are (text, numbers,
 * multivalues), as they were when that result passed. p is at most MAX_PRIOR_RESULTS (the values kept).
 */
export const autoregressCommand = defineCommand<AutoregressArgs>({
  name: 'autoregress',
  doc: 'autoregress <field> [AS <newfield>] [p=<int>|p=<int>-<int>]: copies values of prior results into <field>_p<n>.',
  parse: (p) => {
    let from = 1;
    let to = 1;
    let range = false;
    const f = parseFieldAs(p, 'autoregress', ['p'], (o) => {
      const m = /^(\d+)-(\d+)$/.exec(o.value);
      range = m !== null;
      from = p.parseInt(m ? m[1]! : o.value, o.valueSpan, 1);
      to = m ? p.parseInt(m[2]!, o.valueSpan, 1) : from;
      if (from > to) throw p.error(`p=${o.value}: the range must go from the nearer prior result to the farther, e.g. p=2-4`, o.valueSpan, 'SPL_BAD_ARGUMENT');
      if (to > MAX_PRIOR_RESULTS) throw p.error(`p=${o.value} reaches further back than ${MAX_PRIOR_RESULTS} results, the most autoregress copies from`, o.valueSpan, 'SPL_BAD_ARGUMENT');
    }, 'autoregress count p=2-4');
    if (f.as !== null && range) throw p.error('AS names one field, so it cannot be used with a range p=<int>-<int>', f.asSpan!, 'SPL_BAD_ARGUMENT');
    const names = f.as !== null ? [f.as] : Array.from({ length: to - from + 1 }, (_, i) => `${f.field}_p${from + i}`);
    return { field: f.field, from, to, names };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (a) => a.names,
  create: (args, _ctx, next) => {
    // The field's value in each of the last `to` results (a ring: `seen` results so far).
    const ring: (FieldValue | null)[] = new Array<FieldValue | null>(args.to).fill(null);
    let seen = 0;
    return {
      push: (row) => {
        const v = row.get(args.field);
        for (let k = args.from; k <= args.to && k <= seen; k++) {
          const prior = ring[(seen - k) % args.to]!;
          if (prior !== null) row.set(args.names[k - args.from]!, prior);
        }
        ring[seen % args.to] = v;
        seen++;
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
