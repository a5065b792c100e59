import { mv, toText, valuesOf, type FieldValue, type Scalar } from '../../events/value.js';
import { scalarOf, withinJsonDepth } from '../../normalize/json-fields.js';
import { defineCommand } from './types.js';

export interface FromjsonArgs {
  field: string;
  prefix: string;
}

/**
 * `fromjson <field> [prefix=<string>]`: the top-level keys of the JSON object in the field become fields (named with
 * the prefix), over fields of the same name: strings and numbers as they are, booleans and null as `true`, `false`,
 * `null` (as KV_MODE=json gives them, normalize/json-fields.ts), an array as a multivalue of its elements, an object
 * (or an array inside an array) as its compact JSON text. Text that is not a JSON object gives nothing; each value of
 * a multivalue is read in turn. Values nested deeper than MAX_JSON_DEPTH are left out (no stack overflow).
 */
export const fromjsonCommand = defineCommand<FromjsonArgs>({
  name: 'fromjson',
  doc: 'fromjson <field> [prefix=<string>]: turn the keys of a JSON object in a field into fields.',
  parse: (p) => {
    let prefix = '';
    let field: string | null = null;
    for (;;) {
      const o = p.option(['prefix']);
      if (o) {
        prefix = o.value;
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (field !== null) throw p.error(`fromjson takes one field; unexpected '${t.value}'`, t.span);
      field = p.fieldName().name;
    }
    if (field === null) throw p.error('fromjson needs a field, e.g. fromjson data', p.peek('search').span);
    return { field, prefix };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  create: (args, _ctx, next) => ({
    push: (row) => {
      for (const text of valuesOf(row.get(args.field))) {
        const obj = parseObject(toText(text));
        if (obj === null) continue;
        for (const [key, value] of Object.entries(obj)) {
          const v = fieldValueOf(value);
          if (v !== null) row.set(args.prefix + key, v);
        }
      }
      next.push(row);
    },
    end: () => next.end(),
  }),
});

function parseObject(text: string): Record<string, unknown> | null {
  if (!text.trimStart().startsWith('{')) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A top-level member's value as a field value (null: nothing to set, or nested too deep). */
function fieldValueOf(v: unknown): FieldValue | null {
  if (!withinJsonDepth(v, 2)) return null;
  if (Array.isArray(v)) return mv(v.map(elementOf));
  return elementOf(v);
}

function elementOf(v: unknown): Scalar {
  return scalarOf(v) ?? JSON.stringify(v);
}
