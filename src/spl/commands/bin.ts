import { mv, toNumber, toText, type Scalar } from '../../events/value.js';
import { binNumberRange, binTime, parseSpan, type Span as BinSpan } from '../time/span.js';
import { VigilError } from '../../errors.js';
import { SplError, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface BinArgs {
  field: string;
  as: string | null;
  span: BinSpan;
}

/**
 * `bin [span=<span>] <field> [AS <new>]` (alias `bucket`, `discretize`): floors `_time` to the start of
 * its time bin (aligned in the search's time zone), or a numeric field to a "start-end" range label.
 * Only explicit spans are supported (bins=/minspan= are rejected with an error).
 */
export const binCommand = defineCommand<BinArgs>({
  name: 'bin',
  aliases: ['bucket', 'discretize'],
  doc: 'bin span=<span> <field> [AS <new>]: put values into bins (time or numeric).',
  parse: (p) => {
    let span: BinSpan | null = null;
    let field: { name: string; span: Span } | null = null;
    let as: string | null = null;
    for (;;) {
      const o = p.option(['span', 'bins', 'minspan', 'start', 'end', 'aligntime']);
      if (o) {
        if (o.key !== 'span') throw p.error(`bin ${o.key}= is not supported; use span=`, o.span, 'SPL_BAD_ARGUMENT');
        try {
          span = parseSpan(o.value);
        } catch (e) {
          if (e instanceof VigilError) throw p.error(e.message, o.valueSpan, 'SPL_BAD_ARGUMENT');
          throw e;
        }
        continue;
      }
      if (p.acceptWord('as')) {
        as = p.fieldName('a name after AS').name;
        continue;
      }
      if (p.atEnd()) break;
      if (field) throw p.error('bin takes one field', p.peek('search').span);
      field = p.fieldName();
    }
    if (!field) throw p.error('bin needs a field, e.g. bin _time span=5m', p.peek('search').span);
    if (!span) throw p.error('bin needs span=, e.g. span=5m (automatic bins are not supported)', field.span, 'SPL_BAD_ARGUMENT');
    return { field: field.name, as, span };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => [a.as ?? a.field],
  create: (args, ctx, next) => {
    const isTime = args.field === '_time';
    if (isTime && args.span.kind === 'log') throw new SplError('SPL_BAD_ARGUMENT', 'a log span cannot bin _time', { start: 0, end: 0 }, ctx.source);
    const one = (v: Scalar): Scalar | null => {
      const n = toNumber(v);
      if (n === null) return null;
      if (isTime) return binTime(n, args.span, ctx.tz);
      const r = binNumberRange(n, args.span);
      return r === null ? null : `${toText(r.start)}-${toText(r.end)}`;
    };
    const target = args.as ?? args.field;
    return {
      push: (row) => {
        const v = row.get(args.field);
        if (Array.isArray(v)) {
          if (v.length) row.set(target, mv((v as readonly Scalar[]).map(one).filter((x): x is Scalar => x !== null)));
        } else if (v !== null) row.set(target, one(v as Scalar));
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
