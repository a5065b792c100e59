import { Row } from '../../events/result.js';
import { toNumber, toText, type FieldValue, type Scalar } from '../../events/value.js';
import { SplError, type Span } from '../source.js';
import { sortByValues } from '../stats/aggregator.js';
import { defineCommand } from './types.js';

/** limits.conf [ctable] maxvalues: the most rows or columns shown; maxrows/maxcols=0 and larger values mean it. */
export const CONTINGENCY_MAX_VALUES = 1000;
/** Distinct values of either field counted before the least common are dropped: past it, SPL_RUNTIME. */
export const CONTINGENCY_MAX_DISTINCT = 100_000;
/** Distinct (field1, field2) pairs counted: past it, SPL_RUNTIME. */
export const CONTINGENCY_MAX_PAIRS = 1_000_000;

export interface ContingencyArgs {
  row: string;
  col: string;
  maxRows: number;
  maxCols: number;
  minRowCover: number;
  minColCover: number;
  useTotal: boolean;
  totalStr: string;
  at: Span;
}

const OPTIONS = ['maxrows', 'maxcols', 'mincolcover', 'minrowcover', 'usetotal', 'totalstr'] as const;

/** A value of one field: its text, its count, its place in stats' order. */
interface Value {
  text: string;
  count: number;
}

/**
 * `contingency` (`counttable`, `ctable`) `[maxrows=N] [maxcols=N] [minrowcover=F] [mincolcover=F] [usetotal=<bool>]
 * [totalstr=<string>] <field1> <field2>` (SPL reference, contingency: "a co-occurrence matrix for the values of two
 * fields ... Each cell in the table contains a number that represents the count of events that contain the two
 * values"): one row per field1 value (the field1 column), one column per field2 value, its cells counts (0 where
 * none), rows and columns by count descending (*Decision:* ties in stats' order of the values, so any split of
 * the input gives the same table); at most maxrows/maxcols (default 1000, 0 the same, larger capped to it) and
 * only as many as cover minrowcover/mincolcover (default 1.0) of the counted results; with usetotal (default
 * true) a `TOTAL` (totalstr) column of each row's count and a TOTAL row of each column's and of all.
 * *Decision:* totals count all the results of a value, shown columns or not; a result without either field is not
 * counted; a multivalue is one value, its values joined by a space. Counts at most CONTINGENCY_MAX_DISTINCT values
 * per field and CONTINGENCY_MAX_PAIRS pairs (SPL_RUNTIME at the fields).
 */
export const contingencyCommand = defineCommand<ContingencyArgs>({
  name: 'contingency',
  aliases: ['counttable', 'ctable'],
  doc: 'contingency [maxrows=N] [maxcols=N] [minrowcover=F] [mincolcover=F] [usetotal=<bool>] [totalstr=<string>] <field1> <field2>: a co-occurrence matrix of two fields\' values.',
  parse: (p) => {
    const start = p.peek('search').span;
    const args: Omit<ContingencyArgs, 'row' | 'col' | 'at'> = { maxRows: CONTINGENCY_MAX_VALUES, maxCols: CONTINGENCY_MAX_VALUES, minRowCover: 1, minColCover: 1, useTotal: true, totalStr: 'TOTAL' };
    const fields: { name: string; span: Span }[] = [];
    for (;;) {
      const o = p.option(OPTIONS);
      if (o) {
        if (o.key === 'maxrows' || o.key === 'maxcols') {
          const n = p.parseInt(o.value, o.valueSpan, 0);
          const capped = n === 0 || n > CONTINGENCY_MAX_VALUES ? CONTINGENCY_MAX_VALUES : n;
          if (o.key === 'maxrows') args.maxRows = capped;
          else args.maxCols = capped;
        } else if (o.key === 'minrowcover' || o.key === 'mincolcover') {
          const f = toNumber(o.value);
          if (f === null || !(f >= 0 && f <= 1)) throw p.error(`${o.key} takes a number from 0 to 1, found "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          if (o.key === 'minrowcover') args.minRowCover = f;
          else args.minColCover = f;
        } else if (o.key === 'usetotal') args.useTotal = p.parseBool(o.value, o.valueSpan);
        else args.totalStr = o.value;
        continue;
      }
      if (p.atEnd('search')) break;
      const f = p.fieldName('a field name');
      if (f.name.includes('*')) throw p.error(`contingency takes field names, not wildcards (${f.name})`, f.span, 'SPL_BAD_ARGUMENT');
      fields.push(f);
    }
    if (fields.length !== 2) throw p.error('contingency needs two fields: contingency <field1> <field2>', fields[2]?.span ?? fields[fields.length - 1]?.span ?? start);
    return { ...args, row: fields[0]!.name, col: fields[1]!.name, at: { start: fields[0]!.span.start, end: fields[1]!.span.end } };
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a) => ({ fields: new Set([a.row]), open: true }),
  create: (args, ctx, next) => {
    const fail = (msg: string) => new SplError('SPL_RUNTIME', msg, args.at, ctx.source);
    const rowValues = new Map<string, Value>();
    const colValues = new Map<string, Value>();
    /** Cell counts by row text, then column text. */
    const cells = new Map<string, Map<string, number>>();
    let pairs = 0;
    let total = 0;
    const count = (values: Map<string, Value>, text: string, name: string): void => {
      const v = values.get(text);
      if (v) v.count++;
      else {
        if (values.size >= CONTINGENCY_MAX_DISTINCT) throw fail(`contingency counts at most ${CONTINGENCY_MAX_DISTINCT} distinct values of ${name}: filter or aggregate first`);
        values.set(text, { text, count: 1 });
      }
    };
    return {
      push: (row) => {
        const r = row.get(args.row);
        const c = row.get(args.col);
        if (r === null || c === null) return;
        const rt = textOf(r);
        const ct = textOf(c);
        count(rowValues, rt, args.row);
        count(colValues, ct, args.col);
        total++;
        let line = cells.get(rt);
        if (!line) cells.set(rt, (line = new Map()));
        const n = line.get(ct);
        if (n === undefined) {
          if (++pairs > CONTINGENCY_MAX_PAIRS) throw fail(`contingency counts at most ${CONTINGENCY_MAX_PAIRS} distinct pairs of ${args.row} and ${args.col} values: filter or aggregate first`);
          line.set(ct, 1);
        } else line.set(ct, n + 1);
      },
      end: () => {
        const shownRows = pick(rowValues, args.maxRows, args.minRowCover, total);
        const shownCols = pick(colValues, args.maxCols, args.minColCover, total);
        const header = [args.row, ...shownCols.map((c) => c.text), ...(args.useTotal ? [args.totalStr] : [])];
        const emit = (label: string, cell: (col: string) => number, rowTotal: number) => {
          const out = new Row();
          out.declareColumns(header);
          out.set(args.row, label);
          for (const c of shownCols) out.set(c.text, cell(c.text));
          if (args.useTotal) out.set(args.totalStr, rowTotal);
          // A column named like field1 must not replace the row's label.
          out.set(args.row, label);
          next.push(out);
        };
        for (const r of shownRows) {
          const line = cells.get(r.text)!;
          emit(r.text, (c) => line.get(c) ?? 0, r.count);
        }
        if (args.useTotal && total > 0) emit(args.totalStr, (c) => colValues.get(c)!.count, total);
        next.end();
      },
    };
  },
});

/** The values shown: by count descending (ties in stats' order), at most `max`, and only until they cover `cover` of `total`. */
function pick(values: Map<string, Value>, max: number, cover: number, total: number): Value[] {
  const ordered = sortByValues([...values.values()].map((v) => ({ values: [v.text] as Scalar[], v }))).map((x) => x.v);
  ordered.sort((a, b) => b.count - a.count);
  const out: Value[] = [];
  let covered = 0;
  for (const v of ordered) {
    if (out.length >= max || (out.length > 0 && covered >= cover * total)) break;
    out.push(v);
    covered += v.count;
  }
  return out;
}

/** The reference (contingency, "Empty values"): "Values which are empty strings ("") will be represented in the results table as EMPTY_STR." */
export const CONTINGENCY_EMPTY_STR = 'EMPTY_STR';

function textOf(v: FieldValue): string {
  const text = Array.isArray(v) ? (v as readonly Scalar[]).map(toText).join(' ') : toText(v as Scalar);
  return text === '' ? CONTINGENCY_EMPTY_STR : text;
}
