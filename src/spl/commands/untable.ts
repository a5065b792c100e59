import { Row } from '../../events/result.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

export interface UntableArgs {
  x: string;
  yName: string;
  yData: string;
}

/**
 * `untable <x-field> <y-name-field> <y-data-field>` (SPL reference, untable: "Converts results from a tabular
 * format to a format similar to stats output. This command is the inverse of the xyseries command"): per result,
 * one row per field other than the x-field, in the result's field order: `<x-field>` its x value, `<y-name-field>`
 * the field's name, `<y-data-field>` its value. Streaming, as the reference says ("a distributable streaming command").
 * - *Decision:* fields that are null or empty give no row (Splunk's results cannot tell empty from missing), nor
 *   do internal fields (names starting with `_`, such as timechart's `_span`) other than the x-field; a result
 *   without the x-field still gives its rows, without an x value.
 * - Bounded by its input: a result gives at most one row per field it has.
 */
export const untableCommand = defineCommand<UntableArgs>({
  name: 'untable',
  doc: 'untable <x-field> <y-name-field> <y-data-field>: one row per field of each result, as (x, field name, value) (inverse of xyseries).',
  parse: (p) => {
    const start = p.peek('search').span;
    const fields: { name: string; span: Span }[] = [];
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (p.accept('comma')) continue;
      const f = p.fieldName('a field name');
      if (f.name.includes('*')) throw p.error(`untable takes field names, not wildcards (${f.name})`, f.span, 'SPL_BAD_ARGUMENT');
      if (fields.length === 3) throw p.error('untable takes three fields: <x-field> <y-name-field> <y-data-field>', f.span, 'SPL_BAD_ARGUMENT');
      fields.push(f);
    }
    if (fields.length < 3) throw p.error('untable needs <x-field> <y-name-field> <y-data-field>, e.g. untable _time host count', fields[fields.length - 1]?.span ?? start);
    return { x: fields[0]!.name, yName: fields[1]!.name, yData: fields[2]!.name };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a) => ({ fields: new Set([a.x, a.yName, a.yData]), open: false }),
  create: (args, _ctx, next) => ({
    push: (row) => {
      const x = row.get(args.x);
      for (const name of row.fieldNames()) {
        if (name === args.x || name.startsWith('_')) continue;
        const v = row.get(name);
        if (v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
        const out = new Row();
        out.set(args.x, x);
        out.set(args.yName, name);
        out.set(args.yData, v);
        next.push(out);
      }
    },
    end: () => next.end(),
  }),
});
