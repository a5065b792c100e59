import { finite, isMultivalue, toNumber, type FieldValue } from '../../events/value.js';
import type { ArgParser, ParsedOption } from '../parse/parser.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

export interface AccumArgs {
  field: string;
  as: string;
}

/**
 * `accum <field> [AS <newfield>]`: a running total of the field over the results, in search order (Search Reference:
 * "For each event where field is a number, the accum command calculates a running total or sum of the numbers. The
 * accumulated sum can be returned to either the same field, or a newfield that you specify"). A result whose field is
 * not a number (missing, text, a multivalue: *decision*) is left as it is and does not change the total; a total past
 * the largest double is no value (the field removed: vigil has no infinities).
 */
export const accumCommand = defineCommand<AccumArgs>({
  name: 'accum',
  doc: 'accum <field> [AS <newfield>]: running total of a numeric field.',
  parse: (p) => {
    const f = parseFieldAs(p, 'accum', [], () => {}, 'accum bytes AS total_bytes');
    return { field: f.field, as: f.as ?? f.field };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (a) => [a.as],
  create: (args, _ctx, next) => {
    let total = 0;
    return {
      push: (row) => {
        const n = numberValue(row.get(args.field));
        if (n !== null) {
          total += n;
          // Past the largest double there is no number (null, as eval gives for an overflow).
          row.set(args.as, finite(total));
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/**
 * A field's value as the number accum, delta and trendline read: a single value whose text is a number. A multivalue
 * is not one (*decision*: Splunk's trendline.py reads a field's text with float(), which fails on a multivalue).
 */
export function numberValue(v: FieldValue | null): number | null {
  return v === null || isMultivalue(v) ? null : toNumber(v);
}

/**
 * `<field> [AS <newfield>]` with options (`key=value`, on either side, each given to `onOption`), the arguments of
 * accum, delta and autoregress. The field must be one name, not a wildcard.
 */
export function parseFieldAs(
  p: ArgParser,
  command: string,
  keys: readonly string[],
  onOption: (o: ParsedOption) => void,
  example: string,
): { field: string; fieldSpan: Span; as: string | null; asSpan: Span | null } {
  let field: { name: string; span: Span } | null = null;
  let as: { name: string; span: Span } | null = null;
  for (;;) {
    const o = p.option(keys);
    if (o) {
      onOption(o);
      continue;
    }
    const t = p.peek('search');
    if (t.kind === 'eof') break;
    if (field && !as) {
      const kw = p.acceptWord('as');
      if (kw) {
        as = p.fieldName('a field name after AS');
        continue;
      }
    }
    if (field) throw p.error(`${command} takes one field${as ? ' and one AS name' : ''}; unexpected ${t.kind === 'string' ? `"${t.value}"` : `'${t.value}'`}`, t.span);
    field = p.fieldName();
  }
  if (!field) throw p.error(`${command} needs a field, e.g. ${example}`, p.peek('search').span);
  for (const f of [field, as]) {
    if (f?.name.includes('*')) throw p.error(`${command} takes one field name, not a wildcard`, f.span, 'SPL_BAD_ARGUMENT');
  }
  return { field: field.name, fieldSpan: field.span, as: as?.name ?? null, asSpan: as?.span ?? null };
}
