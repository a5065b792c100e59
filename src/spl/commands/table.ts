import { readField, Row, rowLayout, SlotRow } from '../../events/result.js';
import { fieldRef } from '../../normalize/event-result.js';
import type { FieldValue } from '../../events/value.js';
import { expandFieldPatterns } from '../fields.js';
import { defineCommand } from './types.js';

export interface TableArgs {
  fields: string[];
}

/** `table f1 f2 p*`: only the listed fields, in that order (internal fields too only when listed). */
export const tableCommand = defineCommand<TableArgs>({
  name: 'table',
  doc: 'table <field-list>: keep only these fields, in this order (wildcards allowed).',
  parse: (p) => {
    const fields = p.fieldList().map((f) => f.name);
    if (fields.length === 0) throw p.error('table needs at least one field', p.peek('search').span);
    return { fields };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a, input) => {
    if (!a.fields.some((f) => f.includes('*'))) return { fields: new Set(a.fields), open: false };
    return { fields: new Set(expandFieldPatterns(a.fields, [...input.fields])), open: input.open };
  },
  create: (args, _ctx, next) => {
    const wild = args.fields.some((f) => f.includes('*'));
    // Fixed, distinct names: each row is its values in slots (rows a search keeps to its end, no Map each).
    const layout = wild ? null : rowLayout(args.fields);
    const shared: readonly FieldValue[] = [];
    const refs = layout === null ? [] : layout.names.map((n) => fieldRef(n));
    return {
      push: (row) => {
        if (layout !== null) {
          next.push(new SlotRow(layout, shared, refs.map((f) => readField(row, f))));
          return;
        }
        const names = wild ? expandFieldPatterns(args.fields, row.fieldNames()) : args.fields;
        const out = new Row();
        for (const n of names) out.set(n, row.get(n));
        next.push(out);
      },
      end: () => next.end(),
    };
  },
});
