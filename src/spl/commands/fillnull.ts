import type { Result } from '../../events/result.js';
import type { FieldValue } from '../../events/value.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

export interface FillnullArgs {
  value: string;
  /** Empty = every field seen in any result. */
  fields: string[];
  fieldSpans: Span[];
}

/** Splunk keeps results as text, where an empty value and a missing field are the same thing. */
function isNull(v: FieldValue | null): boolean {
  return v === null || v === '';
}

/**
 * `fillnull [value=<v>] [<field-list>]`: replaces null values with `value` (default `0`).
 *
 * - With a field list it streams: each listed field that is missing (or empty) is set, creating it
 *   ("If you specify a field that didn't previously exist, the field is created").
 * - Without a list it fills "all fields" — the fields present in at least one result of the current
 *   result set ("Null values are field values that are missing in a particular result but present in
 *   another result"). So it buffers every result, then emits them in their input order.
 * - Decision: an empty-string value counts as null (Splunk's results cannot tell them apart); the
 *   value is written as text; wildcards in the list are refused (the SPL reference shows plain names
 *   only) rather than creating a field literally named `a*`.
 */
export const fillnullCommand = defineCommand<FillnullArgs>({
  name: 'fillnull',
  doc: 'fillnull [value=<string>] [<fields>]: fill missing values (default 0), in every field or the listed ones.',
  parse: (p) => {
    let value = '0';
    const fields: string[] = [];
    const fieldSpans: Span[] = [];
    for (;;) {
      const o = p.option(['value']);
      if (o) {
        value = o.value;
        continue;
      }
      const list = p.fieldList();
      if (list.length === 0) {
        const t = p.peek('search');
        if (t.kind === 'eof') break;
        throw p.error(`unexpected ${t.kind === 'string' ? `"${t.value}"` : `'${t.value}'`}: fillnull takes value=<string> and field names`, t.span);
      }
      for (const f of list) {
        if (f.name.includes('*')) throw p.error('fillnull takes field names, not wildcards', f.span, 'SPL_BAD_ARGUMENT');
        fields.push(f.name);
        fieldSpans.push(f.span);
      }
    }
    return { value, fields, fieldSpans };
  },
  kind: (a) => (a.fields.length === 0 ? 'transforming' : 'streaming'),
  orderSensitive: () => false,
  writes: (a) => (a.fields.length === 0 ? '*' : a.fields),
  create: (args, _ctx, next) => {
    const { value, fields } = args;
    if (fields.length > 0) {
      return {
        push: (row) => {
          for (const f of fields) if (isNull(row.get(f))) row.set(f, value);
          next.push(row);
        },
        end: () => next.end(),
      };
    }
    const rows: Result[] = [];
    const seen = new Set<string>();
    return {
      push: (row) => {
        rows.push(row);
        for (const f of row.fieldNames()) seen.add(f);
      },
      end: () => {
        const all = [...seen];
        for (const row of rows) {
          for (const f of all) if (isNull(row.get(f))) row.set(f, value);
          next.push(row);
        }
        rows.length = 0;
        next.end();
      },
    };
  },
});
