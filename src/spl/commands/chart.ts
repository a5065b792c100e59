import { Row, type Result } from '../../events/result.js';
import { toText, type FieldValue, type Scalar } from '../../events/value.js';
import type { ArgParser } from '../parse/parser.js';
import { SplError, type Span } from '../source.js';
import { AggregationGroups, Aggregator, sortByValues, type GroupsPartial } from '../stats/aggregator.js';
import { parseAggregation } from '../stats/parse.js';
import { collectSeries, countingSpec, MAX_CHART_CELLS, MAX_CHART_COLUMNS, NULL_SERIES, otherCells, parseWhere, resultsOf, selectSeries, seriesColumns, seriesDefaults, seriesOption, SERIES_OPTIONS, type SeriesArgs } from './chart-series.js';
import { defineCommand, type ExecContext, type Sink } from './types.js';

export interface ChartArgs extends SeriesArgs {
  /** The row-split field (`OVER x`, or the first of `BY x [y]`), or null: one row. */
  over: string | null;
  /** Accepted for Splunk's syntax: it applies to binned row-splits, which vigil leaves to `bin` (docs/spl.md). */
  cont: boolean;
  dedupSplitvals: boolean;
}

const OPTIONS = [...SERIES_OPTIONS, 'cont', 'dedup_splitvals'] as const;
/** Bin options of a row-split (SPL reference, chart: `OVER <row-split> [<bin-options>]`): refused, bin first. */
const BIN_OPTIONS = ['bins', 'span', 'start', 'end', 'minspan', 'aligntime'] as const;

/** The row-split and column-split fields in the groups (internal names no input field has). */
const ROW = ' chart row';
const SERIES = ' chart series';

/**
 * `chart [options] <agg>... [OVER <row-split>] [BY <column-split>]` or `... BY <row-split> [<column-split>]` (SPL
 * reference, chart): timechart with a row-split field instead of `_time`. One row per row-split value (stats' order
 * of BY values; rows without it are dropped, as stats drops them), its first column the row-split field, then a
 * column per aggregation, or per aggregation and column-split value with the series options of timechart
 * (chart-series.ts: limit top10, OTHER, NULL). Without a row-split: one row of the aggregations, as stats without BY.
 * Aggregation is stats' own, split for several threads as timechart's. At most MAX_CHART_COLUMNS columns and
 * MAX_CHART_CELLS cells, else SPL_BAD_ARGUMENT.
 */
export const chartCommand = defineCommand<ChartArgs>({
  name: 'chart',
  doc: 'chart [limit=] [useother=] [usenull=] [otherstr=] [nullstr=] <fn>(<field>) [AS name]... [OVER <row-split>] [BY <column-split>] | ... BY <row-split> [<column-split>]: aggregations as a table of rows by columns.',
  parse: parseChart,
  kind: () => 'transforming',
  orderSensitive: (a) => a.aggregations.some((x) => x.blueprint.orderSensitive === true),
  ordersOutput: () => true,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a) => ({ fields: new Set([...(a.over === null ? [] : [a.over]), ...(a.by === null ? a.aggregations.map((x) => x.as) : [])]), open: a.by !== null }),
  create: (args, ctx, next) => {
    const table = new ChartTable(args, ctx);
    return {
      push: (row) => table.add(row),
      end: () => {
        table.emit(next);
        next.end();
      },
    };
  },
  splits: (args) => ({
    partial: (ctx) => {
      const table = new ChartTable(args, ctx);
      return { push: (row) => table.add(row), end: () => {}, state: () => table.groups.partial(), peek: () => table.groups.partial(true), groups: () => table.groups.size };
    },
    merge: (ctx, next) => {
      const table = new ChartTable(args, ctx);
      return {
        merge: (state) => table.groups.merge(state as GroupsPartial),
        end: () => {
          table.emit(next);
          next.end();
        },
      };
    },
  }),
});

function parseChart(p: ArgParser): ChartArgs {
  const args: ChartArgs = { ...seriesDefaults(), aggregations: [], by: null, over: null, cont: true, dedupSplitvals: false, counting: null as unknown as ChartArgs['counting'] };
  let first: Span | null = null;
  let byAt: Span | null = null;
  for (;;) {
    const bin = p.option(BIN_OPTIONS);
    if (bin) {
      throw new SplError('SPL_UNSUPPORTED_COMMAND', `chart ${bin.key}= is not supported: bin the row-split first, e.g. | bin x ${bin.key}=... | chart ... over x`, bin.span, p.source);
    }
    const o = p.option(OPTIONS);
    if (o) {
      if (!seriesOption(p, o, args)) {
        const b = p.parseBool(o.value, o.valueSpan);
        if (o.key === 'cont') args.cont = b;
        else args.dedupSplitvals = b;
      }
      continue;
    }
    const t = p.peek('search');
    if (t.kind === 'eof') break;
    if (p.accept('comma')) continue;
    const overWord = p.acceptWord('over');
    if (overWord) {
      if (args.over !== null) throw p.error('chart takes one OVER field (the row-split)', overWord.span);
      if (args.by !== null) throw p.error('OVER <row-split> comes before BY <column-split>', overWord.span);
      args.over = splitField(p, 'a row-split field after OVER');
      continue;
    }
    const byWord = p.acceptWord('by');
    if (byWord) {
      if (byAt !== null) throw p.error('chart takes one BY clause', byWord.span);
      byAt = byWord.span;
      const f = splitField(p, 'a split-by field after BY');
      // `BY a b` equals `OVER a BY b` (SPL reference, chart: "[ BY <row-split> <column-split> ] | [ OVER <row-split> ] [BY <column-split>]").
      if (args.over === null) {
        args.over = f;
        if (p.peek('search').kind === 'comma') p.next('search');
        const after = p.peek('search');
        // `BY a limit=5`: an option, not a column-split; `BY a WHERE ...` needs one.
        const isWhere = after.kind === 'word' && after.value.toLowerCase() === 'where';
        if ((after.kind === 'word' || after.kind === 'string') && !isWhere && p.peek2('search').kind !== 'op') args.by = splitField(p, 'a column-split field');
      } else args.by = f;
      // "The <where-clause> is part of the <column-split> argument" (SPL reference, chart): `BY a b WHERE max in top5`.
      const whereWord = p.acceptWord('where');
      if (whereWord) {
        if (args.by === null) throw p.error('a WHERE clause of chart selects columns: it comes after the column-split field (BY <row-split> <column-split> WHERE ...)', whereWord.span, 'SPL_BAD_ARGUMENT');
        args.where = parseWhere(p, whereWord.span);
      }
      const extra = p.peek('search');
      if (extra.kind !== 'eof' && !(extra.kind === 'word' && p.peek2('search').kind === 'op')) {
        throw p.error('chart splits by at most two fields: a row-split and a column-split (use stats for more)', extra.span, 'SPL_BAD_ARGUMENT');
      }
      continue;
    }
    if (args.over !== null) throw p.error('the aggregations of chart come before OVER and BY', t.span);
    if (t.kind === 'lparen' || (t.kind === 'word' && t.value.toLowerCase() === 'eval' && p.peek2('search').kind === 'lparen')) {
      // stats has no eval of aggregations (`eval(avg(x)*2)`): compute it after, e.g. | chart avg(x) AS a | eval y=a*2.
      throw new SplError('SPL_UNSUPPORTED_COMMAND', 'chart eval(<expression of aggregations>) is not supported: aggregate, then eval (| chart avg(x) AS a over h | eval y=a*2)', t.span, p.source);
    }
    if (t.kind !== 'word') throw p.error('expected a statistical function, e.g. chart count by host', t.span);
    const a = parseAggregation(p, true, false, true);
    first ??= a.span;
    args.aggregations.push(a);
  }
  if (args.aggregations.length === 0) throw p.error('chart needs a statistical function, e.g. chart count by host', p.peek('search').span);
  // A sparkline per row (Search Manual: "chart sparkline count by sourcetype"); per cell of a column-split it has no
  // documented meaning (and no score for limit=).
  const spark = args.aggregations.find((a) => a.sparkline);
  if (spark && args.by !== null) throw p.error('chart computes sparkline without a column-split only, e.g. chart sparkline count by host', spark.span, 'SPL_BAD_ARGUMENT');
  if (args.where !== null && args.aggregations.length > 1) throw p.error('a WHERE clause selects series of a single aggregation', first!, 'SPL_BAD_ARGUMENT');
  args.counting = countingSpec(p, args.aggregations, first!);
  return args;
}

function splitField(p: ArgParser, what: string): string {
  const f = p.fieldName(what);
  if (f.name.includes('*')) throw p.error(`a split field cannot have wildcards (${f.name})`, f.span, 'SPL_BAD_ARGUMENT');
  return f.name;
}

/** A chart's groups: stats groups by row-split and column-split value (each present when the command has it). */
class ChartTable {
  private readonly agg: Aggregator;
  readonly groups: AggregationGroups;
  private readonly key = new Row();

  constructor(
    private readonly args: ChartArgs,
    private readonly ctx: ExecContext,
  ) {
    this.agg = new Aggregator([...args.aggregations, args.counting], ctx);
    const names = args.over === null ? [] : args.by === null ? [ROW] : [ROW, SERIES];
    this.groups = new AggregationGroups(this.agg, names, args.dedupSplitvals);
  }

  add(row: Result): void {
    const { args } = this;
    if (args.over !== null) this.key.set(ROW, row.get(args.over));
    if (args.by !== null) {
      const v = row.get(args.by);
      if (v === null || (Array.isArray(v) && v.length === 0)) {
        if (!args.usenull) return;
        this.key.set(SERIES, NULL_SERIES);
      } else this.key.set(SERIES, v);
    }
    this.groups.add(this.key, row);
  }

  emit(next: Sink): void {
    const { args } = this;
    const parts = this.groups.partial();
    // Every row's sparkline on one axis: the cells' accumulators are made from these states.
    if (this.agg.sparklines) this.agg.shareSparklineStates(parts.states);
    if (args.over === null) {
      // One row, as stats without BY: the functions over nothing when no row came.
      const r = resultsOf(this.agg, parts.states[0]);
      const row = new Row();
      args.aggregations.forEach((a, j) => row.set(a.as, r[j]!));
      next.push(row);
      return;
    }
    // Rows in stats' order of BY values; cells keyed by the row value's text, as groups are.
    const rows = sortByValues(distinctRows(parts));
    const series = collectSeries(parts, args.by !== null, toText);
    const { kept, dropped } = selectSeries(args, this.agg, series, (_k, v) => v);
    const columns = seriesColumns(args, kept, dropped.length > 0 && args.useother);
    const at = args.counting.span;
    if (columns.length > MAX_CHART_COLUMNS) {
      throw new SplError('SPL_BAD_ARGUMENT', `chart would emit ${columns.length} columns, more than ${MAX_CHART_COLUMNS}: chart fewer series (limit=) or fewer aggregations`, at, this.ctx.source);
    }
    if (rows.length * columns.length > MAX_CHART_CELLS) {
      throw new SplError('SPL_BAD_ARGUMENT', `chart would emit ${rows.length} rows x ${columns.length} columns, more than ${MAX_CHART_CELLS} cells: chart fewer series (limit=) or a row-split with fewer values`, at, this.ctx.source);
    }
    const empty = resultsOf(this.agg, undefined);
    const other = args.useother ? otherCells(this.agg, dropped) : new Map<string, (FieldValue | null)[]>();
    // The table's columns, empty cells included (a row leaves them out of its fields): output headers follow them.
    const names = [args.over, ...columns.map((c) => c.name)];
    for (const { values, text } of rows) {
      const row = new Row();
      row.declareColumns(names);
      row.set(args.over, values[0]!);
      for (const c of columns) {
        const cells = c.series === null ? other.get(text) : c.series.cells.has(text) ? resultsOf(this.agg, c.series.cells.get(text)) : empty;
        row.set(c.name, (cells ?? empty)[c.agg]!);
      }
      // A column-split value equal to the row-split's name must not replace the row's label.
      row.set(args.over, values[0]!);
      next.push(row);
    }
  }
}

/** The distinct row-split values of the groups, first seen first (sortByValues keeps that order for equal values). */
function distinctRows(parts: GroupsPartial): { values: Scalar[]; text: string }[] {
  const seen = new Map<string, { values: Scalar[]; text: string }>();
  for (const v of parts.values) {
    const text = toText(v[0]!);
    if (!seen.has(text)) seen.set(text, { values: [v[0]!], text });
  }
  return [...seen.values()];
}
