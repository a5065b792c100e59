import { Row, type Result } from '../../events/result.js';
import { toText, valuesOf, type FieldValue } from '../../events/value.js';
import { SplError } from '../source.js';
import { defineCommand } from './types.js';

/**
 * The most results one transpose turns into columns (*decision*: the reference gives no maximum). `transpose <n>` past
 * it is SPL_BAD_ARGUMENT at n; `transpose 0` (every result) stops with SPL_RUNTIME at the command on the result past it.
 */
export const MAX_TRANSPOSE_ROWS = 10_000;
/** The most cells (fields x results) one transpose holds; past it the search stops with SPL_RUNTIME at the command. */
export const MAX_TRANSPOSE_CELLS = 5_000_000;

export interface TransposeArgs {
  /** How many results become columns; 0: all of them (at most MAX_TRANSPOSE_ROWS). */
  rows: number;
  columnName: string;
  headerField: string | null;
  includeEmpty: boolean;
}

const isEmpty = (v: FieldValue | null): boolean => v === null || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * `transpose [int] [column_name=<string>] [header_field=<field>] [include_empty=<bool>]` (Search Reference: "Returns
 * the specified number of rows (search results) as columns (list of field values), such that each search row becomes
 * a column"; int "Limit the number of rows to transpose. To transpose all rows, specify | transpose 0, which
 * indicates that the number of rows to transpose is unlimited. Default: 5"; column_name "The name of the first column
 * that you want to use for the transposed rows. This column contains the names of the fields. Default: column";
 * header_field "The field in your results to use for the names of the columns (other than the first column) in the
 * transposed data. Default: row 1, row 2, row 3, and so on"; include_empty "Specify whether to include (true) or not include (false) fields that contain empty values.
 * Default: true").
 * - One output row per field of the first `int` results, in the order the fields are first met; `column_name` holds
 *   the field's name, `row <i>` (or the i-th result's header_field value) its value in the i-th result.
 * - *Decision:* internal fields (names starting with `_`) are left out but `_time`, as Splunk's tables show them; the
 *   header_field itself gives no row; a result without a header value keeps `row <i>`; include_empty=false drops a
 *   field empty in every transposed result.
 * - Order-sensitive (the first results); reads only the first `int` results and ignores the rest (at most
 *   MAX_TRANSPOSE_ROWS, and MAX_TRANSPOSE_CELLS cells); `transpose 0` reads them all, at most MAX_TRANSPOSE_ROWS.
 */
export const transposeCommand = defineCommand<TransposeArgs>({
  name: 'transpose',
  doc: 'transpose [int] [column_name=<string>] [header_field=<field>] [include_empty=<bool>]: the first results (default 5) as columns.',
  parse: (p) => {
    const args: TransposeArgs = { rows: 5, columnName: 'column', headerField: null, includeEmpty: true };
    for (;;) {
      const o = p.option(['column_name', 'header_field', 'include_empty']);
      if (o) {
        if (o.key === 'column_name') args.columnName = o.value;
        else if (o.key === 'header_field') args.headerField = o.value;
        else args.includeEmpty = p.parseBool(o.value, o.valueSpan);
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (t.kind === 'word' && /^\d+$/.test(t.value)) {
        p.next('search');
        args.rows = p.parseInt(t.value, t.span, 0);
        if (args.rows > MAX_TRANSPOSE_ROWS) throw p.error(`transpose ${t.value}: at most ${MAX_TRANSPOSE_ROWS} results become columns`, t.span, 'SPL_BAD_ARGUMENT');
        continue;
      }
      throw p.error('transpose takes a number of results, column_name=, header_field= and include_empty=', t.span);
    }
    if (args.columnName === '') throw p.error('column_name= must not be empty', p.peek('search').span, 'SPL_BAD_ARGUMENT');
    return args;
  },
  kind: () => 'transforming',
  orderSensitive: () => true,
  writes: () => '*',
  emitsOwnRows: () => true,
  create: (args, ctx, next, cmd) => {
    const kept: Result[] = [];
    const fields = new Set<string>();
    return {
      push: (row) => {
        if (args.rows === 0 && kept.length >= MAX_TRANSPOSE_ROWS) {
          throw new SplError('SPL_RUNTIME', `transpose 0: more than ${MAX_TRANSPOSE_ROWS.toLocaleString('en-US')} results to turn into columns (give a number of results, or reduce them first)`, cmd.nameSpan, ctx.source);
        }
        if (args.rows !== 0 && kept.length >= args.rows) return;
        for (const name of row.fieldNames()) {
          if (name === args.headerField || (name.startsWith('_') && name !== '_time') || fields.has(name)) continue;
          fields.add(name);
        }
        kept.push(row);
        if (fields.size * kept.length > MAX_TRANSPOSE_CELLS) {
          throw new SplError('SPL_RUNTIME', `transpose: ${fields.size} fields of ${kept.length} results are more than ${MAX_TRANSPOSE_CELLS.toLocaleString('en-US')} cells (keep fewer fields)`, cmd.nameSpan, ctx.source);
        }
      },
      end: () => {
        const headers = kept.map((r, i) => {
          const h = args.headerField === null ? [] : valuesOf(r.get(args.headerField));
          return h.length === 0 || h[0] === '' ? `row ${i + 1}` : toText(h[0]!);
        });
        for (const name of fields) {
          const values = kept.map((r) => r.get(name));
          if (!args.includeEmpty && values.every(isEmpty)) continue;
          const out = new Row();
          out.set(args.columnName, name);
          values.forEach((v, i) => {
            if (!isEmpty(v)) out.set(headers[i]!, v);
          });
          next.push(out);
        }
        kept.length = 0;
        next.end();
      },
    };
  },
});
