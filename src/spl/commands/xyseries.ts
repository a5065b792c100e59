import { Row } from '../../events/result.js';
import { toText, type FieldValue, type Scalar } from '../../events/value.js';
import { SplError, type Span } from '../source.js';
import { MAX_CHART_CELLS, MAX_CHART_COLUMNS } from './chart-series.js';
import { sortByValues } from '../stats/aggregator.js';
import { defineCommand } from './types.js';

export interface XyseriesArgs {
  x: string;
  yName: string;
  yData: string[];
  grouped: boolean;
  sep: string;
  format: string | null;
  at: Span;
}

const OPTIONS = ['grouped', 'sep', 'format'] as const;

/** One output row: its x value and, per data field, the cells by y-name text. */
interface XRow {
  x: FieldValue;
  cells: Map<string, FieldValue>[];
}

/**
 * `xyseries [grouped=<bool>] [sep=] [format=] <x-field> <y-name-field> <y-data-field>...` (SPL reference,
 * xyseries: "Converts results into a tabular format that is suitable for graphing. This command is the inverse
 * of the untable command"): one row per x value, in the order x values first appear, its first column the x-field,
 * then a column per y-name value (in stats' order of values, as the reference's example), holding the y-data value of the result with that x and
 * name; several data fields name theirs `<data-field><sep><y-name>` (sep ":", the reference: "separates the field
 * name and field value by the default ":" ... looks like count(host):referrer_domain") or by `format=` (`$AGG$` the data
 * field, `$VAL$` the name), per data field in turn. A cell no result fills is empty.
 * - *Decision:* results without the x-field or the y-name field give nothing; of two results with the same x and
 *   name the later value is kept (the reference: duplicates "are removed"); a multivalue name is one name, its
 *   values joined by a space; `grouped=true` (the input is sorted by x) starts a new row whenever x changes.
 * - At most MAX_CHART_COLUMNS columns (checked as names come, so a hostile name field cannot grow memory) and
 *   MAX_CHART_CELLS cells, else SPL_BAD_ARGUMENT.
 */
export const xyseriesCommand = defineCommand<XyseriesArgs>({
  name: 'xyseries',
  doc: 'xyseries [grouped=<bool>] [sep=<string>] [format=<string>] <x-field> <y-name-field> <y-data-field>...: one row per x value, a column per y-name value (inverse of untable).',
  parse: (p) => {
    const start = p.peek('search').span;
    let grouped = false;
    let sep = ':';
    let format: string | null = null;
    const fields: { name: string; span: Span }[] = [];
    for (;;) {
      const o = p.option(OPTIONS);
      if (o) {
        if (o.key === 'grouped') grouped = p.parseBool(o.value, o.valueSpan);
        else if (o.key === 'sep') sep = o.value;
        else format = o.value;
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (p.accept('comma')) continue;
      const f = p.fieldName('a field name');
      if (f.name.includes('*')) throw p.error(`xyseries takes field names, not wildcards (${f.name})`, f.span, 'SPL_BAD_ARGUMENT');
      fields.push(f);
    }
    if (fields.length < 3) throw p.error('xyseries needs <x-field> <y-name-field> <y-data-field>, e.g. xyseries _time host count', fields[fields.length - 1]?.span ?? start);
    return { x: fields[0]!.name, yName: fields[1]!.name, yData: fields.slice(2).map((f) => f.name), grouped, sep, format, at: fields[1]!.span };
  },
  kind: () => 'transforming',
  // grouped=true starts rows where x changes in the input's order.
  orderSensitive: (a) => a.grouped,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a) => ({ fields: new Set([a.x]), open: true }),
  create: (args, ctx, next) => {
    const rows = new Map<string, XRow>();
    /** The y-name values in first appearance order. */
    const names = new Set<string>();
    let group = 0;
    let lastX: string | null = null;
    return {
      push: (row) => {
        const x = row.get(args.x);
        const name = row.get(args.yName);
        if (x === null || name === null) return;
        const xText = textOf(x);
        if (args.grouped && xText !== lastX) {
          group++;
          lastX = xText;
        }
        const key = args.grouped ? String(group) : xText;
        const n = textOf(name);
        if (!names.has(n)) {
          if ((names.size + 1) * args.yData.length > MAX_CHART_COLUMNS) {
            throw new SplError('SPL_BAD_ARGUMENT', `xyseries would make more than ${MAX_CHART_COLUMNS} columns (values of ${args.yName} x data fields): aggregate or filter first`, args.at, ctx.source);
          }
          names.add(n);
        }
        let r = rows.get(key);
        if (!r) rows.set(key, (r = { x, cells: args.yData.map(() => new Map()) }));
        args.yData.forEach((d, i) => {
          const v = row.get(d);
          if (v !== null) r.cells[i]!.set(n, v);
        });
      },
      end: () => {
        // Columns in stats' order of the names (numbers numerically, then texts): the reference's `top categoryId |
        // xyseries categoryId count percent` over counts 806, 493, ..., 138 gives columns 138, 245, ..., 806.
        const ordered = sortByValues([...names].map((n) => ({ values: [n], n }))).map((x) => x.n);
        const columns = args.yData.length * ordered.length;
        if (rows.size * columns > MAX_CHART_CELLS) {
          throw new SplError('SPL_BAD_ARGUMENT', `xyseries would emit ${rows.size} rows x ${columns} columns, more than ${MAX_CHART_CELLS} cells: aggregate or filter first`, args.at, ctx.source);
        }
        const label = (d: string, n: string) => (args.yData.length === 1 ? n : args.format !== null ? args.format.replace(/\$AGG\$/g, d).replace(/\$VAL\$/g, n) : `${d}${args.sep}${n}`);
        // The table's columns, empty cells included (a row leaves them out of its fields): output headers follow them.
        const header = [args.x, ...args.yData.flatMap((d) => ordered.map((n) => label(d, n)))];
        for (const r of rows.values()) {
          const out = new Row();
          out.declareColumns(header);
          out.set(args.x, r.x);
          args.yData.forEach((d, i) => {
            for (const n of ordered) out.set(label(d, n), r.cells[i]!.get(n) ?? null);
          });
          // A name equal to the x-field's must not replace the row's label.
          out.set(args.x, r.x);
          next.push(out);
        }
        next.end();
      },
    };
  },
});

function textOf(v: FieldValue): string {
  return Array.isArray(v) ? (v as readonly Scalar[]).map(toText).join(' ') : toText(v as Scalar);
}
