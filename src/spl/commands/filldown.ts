import type { FieldValue } from '../../events/value.js';
import { SplError } from '../source.js';
import { fieldPattern } from '../fields.js';
import { defineCommand } from './types.js';

/**
 * The most distinct fields one filldown remembers a last value of (*decision*: the reference gives none). Each is one
 * value kept, so this bounds its memory; a search writing ever-new field names (`eval {x}=`) stops with SPL_RUNTIME.
 */
export const MAX_FILLDOWN_FIELDS = 1_000;

export interface FilldownArgs {
  /** Field names or `*` patterns; empty: every field. */
  fields: string[];
}

/** A missing field; an empty value counts too, as fillnull counts it (Splunk's results cannot tell them apart). */
function isNull(v: FieldValue | null): boolean {
  return v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * `filldown [<wc-field-list>]` (Search Reference: "Replaces null values with the last non-null value for a field or
 * set of fields. If no list of fields is given, the filldown command will be applied to all fields. If there are not
 * any previous values for a field, it is left blank (NULL)"; `value*` patterns allowed). Streaming in search order:
 * "last" is the result before it in the order the results come, so it is order-sensitive. A field is "all fields"
 * once some earlier result had a value for it.
 */
export const filldownCommand = defineCommand<FilldownArgs>({
  name: 'filldown',
  doc: 'filldown [<wc-field-list>]: fill each missing value with the last value of the field before it (all fields by default).',
  parse: (p) => {
    const fields = p.fieldList().map((f) => f.name);
    p.expectEnd();
    return { fields };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (a) => (a.fields.length === 0 || a.fields.some((f) => f.includes('*')) ? '*' : a.fields),
  create: (args, ctx, next, cmd) => {
    const tests = args.fields.map(fieldPattern);
    const wanted = new Map<string, boolean>();
    const applies = (name: string): boolean => {
      if (tests.length === 0) return true;
      let w = wanted.get(name);
      if (w === undefined) {
        w = tests.some((t) => t(name));
        // Names are remembered as `last` is: both are bounded by MAX_FILLDOWN_FIELDS.
        if (wanted.size < MAX_FILLDOWN_FIELDS) wanted.set(name, w);
      }
      return w;
    };
    const last = new Map<string, FieldValue>();
    return {
      push: (row) => {
        for (const name of row.fieldNames()) {
          const v = row.get(name);
          if (isNull(v) || !applies(name)) continue;
          if (!last.has(name) && last.size >= MAX_FILLDOWN_FIELDS) {
            throw new SplError('SPL_RUNTIME', `filldown: more than ${MAX_FILLDOWN_FIELDS} distinct fields to fill (name the fields to fill)`, cmd.nameSpan, ctx.source);
          }
          last.set(name, v!);
        }
        for (const [name, v] of last) if (isNull(row.get(name))) row.set(name, v);
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
