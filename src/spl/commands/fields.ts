import { Row } from '../../events/result.js';
import { expandFieldPatterns, fieldPattern, isInternalField } from '../fields.js';
import { defineCommand } from './types.js';

export interface FieldsArgs {
  mode: '+' | '-';
  fields: string[];
}

/**
 * `fields [+|-] f1 f2`: keep (default) or remove fields. Keeping never drops internal fields; removing drops one
 * only when named or matched by a pattern that begins with `_` (reference: "The fields command does not remove
 * these internal fields unless you explicitly specify ... to remove all internal fields, you specify fields - _*"):
 * `fields - *` removed `_time` and `_raw`.
 */
export const fieldsCommand = defineCommand<FieldsArgs>({
  name: 'fields',
  doc: 'fields [+|-] <field-list>: keep or remove fields.',
  parse: (p) => {
    let mode: '+' | '-' = '+';
    const t = p.peek('search');
    if (t.kind === 'word' && (t.value === '+' || t.value === '-')) {
      mode = t.value;
      p.next('search');
    } else if (t.kind === 'word' && (t.value.startsWith('-') || t.value.startsWith('+')) && t.value.length > 1) {
      // `fields -_raw` / `fields +a`
      mode = t.value[0] as '+' | '-';
    }
    const fields = p.fieldList().map((f, i) => (i === 0 && (f.name.startsWith('-') || f.name.startsWith('+')) && f.name.length > 1 ? f.name.slice(1) : f.name));
    if (fields.length === 0) throw p.error('fields needs at least one field', p.peek('search').span);
    return { mode, fields };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  outputFields: (a, input) => {
    if (a.mode === '-') {
      const ms = a.fields.map(removalPattern);
      return { fields: new Set([...input.fields].filter((f) => !ms.some((m) => m(f)))), open: input.open };
    }
    const kept = expandFieldPatterns(a.fields, [...input.fields]);
    return { fields: new Set([...kept, ...[...input.fields].filter(isInternalField)]), open: input.open && a.fields.some((f) => f.includes('*')) };
  },
  create: (args, _ctx, next) => {
    if (args.mode === '-') {
      const ms = args.fields.map(removalPattern);
      const wild = args.fields.some((f) => f.includes('*'));
      return {
        push: (row) => {
          const names = wild ? row.fieldNames() : args.fields;
          for (const n of names) if (ms.some((m) => m(n))) row.set(n, null);
          next.push(row);
        },
        end: () => next.end(),
      };
    }
    return {
      push: (row) => {
        const present = row.fieldNames();
        const keep = expandFieldPatterns(args.fields, present);
        const out = new Row();
        for (const n of keep) out.set(n, row.get(n));
        for (const n of present) if (isInternalField(n) && out.get(n) === null) out.set(n, row.get(n));
        next.push(out);
      },
      end: () => next.end(),
    };
  },
});

/** The fields `fields -` removes for one list item: internal ones only when named or the pattern begins with `_`. */
function removalPattern(pattern: string): (name: string) => boolean {
  const m = fieldPattern(pattern);
  if (!pattern.includes('*') || pattern.startsWith('_')) return m;
  return (n) => !isInternalField(n) && m(n);
}
