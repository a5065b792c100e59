import { Row, type Result } from '../../events/result.js';
import { toNumber, type FieldValue, type Scalar } from '../../events/value.js';
import type { ArgParser } from '../parse/parser.js';
import { cover, SplError, type Span } from '../source.js';
import { aggregationFor } from '../stats/aggregations.js';
import { AggregationGroups, Aggregator, type GroupsPartial } from '../stats/aggregator.js';
import { parseAggregation, type AggregationSpec } from '../stats/parse.js';
import { autoTimeSpan, DEFAULT_BINS, isEpochAligned, spanSeconds, timeBinner, timeBinsBetween, type Span as BinSpan } from '../time/span.js';
import { alignOption, alignOrigin, spanOption, type AlignTime } from './bin.js';
import { collectSeries, countingSpec, MAX_CHART_CELLS, NULL_SERIES, otherCells, parseWhere, resultsOf, selectSeries, seriesColumns, seriesDefaults, seriesOption, SERIES_OPTIONS, type SeriesArgs } from './chart-series.js';
import { defineCommand, type ExecContext, type Sink } from './types.js';

/**
 * Most time buckets a timechart makes, Splunk's default `maxbins` of limits.conf `[discretize]` (the maximum
 * number of bins to discretize into; 50,000, searchresults' maxresultrows): a span that needs more over the
 * range charted is an error, not millions of rows.
 */
export const TIMECHART_MAX_BINS = 50_000;

/** Most cells (buckets x columns) a timechart emits (chart's bound). */
export const TIMECHART_MAX_CELLS = MAX_CHART_CELLS;

/** The series options (limit=, useother=, ...: chart-series.ts) and the time buckets'. */
export interface TimechartArgs extends SeriesArgs {
  /** Per aggregation: the seconds of `per_second`/`per_minute`/`per_hour`/`per_day` (a sum per that time), or null. */
  rates: (number | null)[];
  span: BinSpan | null;
  spanAt: Span | null;
  bins: number;
  minspan: BinSpan | null;
  start: number | null;
  end: number | null;
  aligntime: AlignTime | null;
  cont: boolean;
  partial: boolean;
  fixedrange: boolean;
  dedupSplitvals: boolean;
}

const OPTIONS = [...SERIES_OPTIONS, 'partial', 'cont', 'fixedrange', 'span', 'bins', 'minspan', 'start', 'end', 'aligntime', 'dedup_splitvals'] as const;

/** The bucket field and the split-by field in the groups (internal names no input field has). */
const BUCKET = ' timechart _time';
const SERIES = ' timechart series';

/**
 * `timechart [options] <agg>... [BY <field> [WHERE <fn> (in|notin) (top|bottom)<N> | WHERE <fn> (<|>) <num>]]`
 * (SPL reference, timechart): the stats aggregations per time bucket, one column per aggregation, or per
 * aggregation and split-by value, one row per bucket with `_time` (its start) and `_span` (its length in seconds).
 *
 * - The span: `span=`, else the smallest of the ladder in time/span.ts (`bin`'s) giving at most `bins=` (100)
 *   buckets over the search's time range (earliest to latest, or now): the reference's defaults (last 24 hours:
 *   30 minutes, last 7 days: 1 day, previous year: 1 month). Over all time it follows the data's range as it
 *   grows: the groups are re-bucketed to the coarser span, each old bucket inside one new one (ladder spans nest).
 * - Aggregation is stats' own (`AggregationGroups` by bucket and series), and splits into partial states per
 *   partition and a merge for several threads; series beyond `limit=` (or not selected by WHERE) are merged into
 *   `OTHER` per bucket from those states.
 * - Buckets: with a search time range, every bucket of it (`cont=true`; `partial=false` drops a first or last
 *   bucket the range covers in part), and buckets of data outside it; over all time, from the first bucket of data
 *   to the last; `cont=false`: only buckets with data. A series without data in a bucket has the value of its
 *   function over nothing: 0 for count and dc, empty for the others.
 * - At most TIMECHART_MAX_BINS buckets and TIMECHART_MAX_CELLS cells, else SPL_BAD_ARGUMENT.
 */
export const timechartCommand = defineCommand<TimechartArgs>({
  name: 'timechart',
  doc: 'timechart [span=|bins=|minspan=] [limit=] [useother=] [usenull=] [cont=] [partial=] <fn>(<field>) [AS name]... [BY <field> [WHERE <fn> in top<N>]]: aggregations per time bucket.',
  parse: parseTimechart,
  kind: () => 'transforming',
  orderSensitive: (a) => a.aggregations.some((x) => x.blueprint.orderSensitive === true),
  ordersOutput: () => true,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a) => ({ fields: new Set(['_time', '_span', ...(a.by === null ? a.aggregations.map((x) => x.as) : [])]), open: a.by !== null }),
  create: (args, ctx, next) => {
    const chart = new Chart(args, ctx);
    return {
      push: (row) => chart.add(row),
      end: () => {
        chart.emit(next);
        next.end();
      },
    };
  },
  splits: (args) => ({
    partial: (ctx) => {
      const chart = new Chart(args, ctx);
      return { push: (row) => chart.add(row), end: () => {}, state: () => chart.state(), peek: () => chart.state(true), groups: () => chart.size };
    },
    merge: (ctx, next) => {
      const chart = new Chart(args, ctx);
      return {
        merge: (state) => chart.merge(state as ChartState),
        end: () => {
          chart.emit(next);
          next.end();
        },
      };
    },
  }),
});

function parseTimechart(p: ArgParser): TimechartArgs {
  const args: TimechartArgs = {
    ...seriesDefaults(),
    aggregations: [],
    rates: [],
    by: null,
    span: null,
    spanAt: null,
    bins: DEFAULT_BINS,
    minspan: null,
    start: null,
    end: null,
    aligntime: null,
    cont: true,
    partial: true,
    fixedrange: true,
    dedupSplitvals: false,
    counting: null as unknown as AggregationSpec,
  };
  let first: Span | null = null;
  for (;;) {
    const o = p.option(OPTIONS);
    if (o && seriesOption(p, o, args)) continue;
    if (o) {
      switch (o.key) {
        case 'span':
          args.span = spanOption(p, o.value, o.valueSpan);
          args.spanAt = o.valueSpan;
          if (args.span.kind === 'log') throw p.error('a log span cannot bin _time', o.valueSpan, 'SPL_BAD_ARGUMENT');
          break;
        case 'minspan':
          args.minspan = spanOption(p, o.value, o.valueSpan);
          if (args.minspan.kind === 'log') throw p.error('minspan= needs a span length such as 5m, not a log span', o.valueSpan, 'SPL_BAD_ARGUMENT');
          break;
        case 'bins':
          args.bins = p.parseInt(o.value, o.valueSpan, 1);
          if (args.bins > TIMECHART_MAX_BINS) throw p.error(`bins= is at most ${TIMECHART_MAX_BINS} (maxbins)`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          break;
        case 'start':
        case 'end': {
          const n = toNumber(o.value);
          if (n === null) throw p.error(`${o.key}= needs a time in epoch seconds, found "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          args[o.key] = n;
          break;
        }
        case 'aligntime':
          args.aligntime = alignOption(p, o.value, o.valueSpan);
          break;
        default: {
          const b = p.parseBool(o.value, o.valueSpan);
          if (o.key === 'cont') args.cont = b;
          else if (o.key === 'partial') args.partial = b;
          else if (o.key === 'fixedrange') args.fixedrange = b;
          else args.dedupSplitvals = b;
        }
      }
      continue;
    }
    const t = p.peek('search');
    if (t.kind === 'eof') break;
    if (p.accept('comma')) continue;
    const byWord = p.acceptWord('by');
    if (byWord) {
      if (args.by !== null) throw p.error('timechart takes one BY clause', byWord.span);
      const f = p.fieldName('a split-by field after BY');
      if (f.name.includes('*')) throw p.error(`the split-by field cannot have wildcards (${f.name})`, f.span, 'SPL_BAD_ARGUMENT');
      args.by = f.name;
      // `BY a b`: chart's row and column split; timechart has one split-by field.
      const after = p.peek('search');
      if (after.kind === 'word' && after.value.toLowerCase() !== 'where' && p.peek2('search').kind !== 'op') {
        throw p.error('timechart splits by one field (use chart or stats for more)', after.span, 'SPL_BAD_ARGUMENT');
      }
      const whereWord = p.acceptWord('where');
      if (whereWord) args.where = parseWhere(p, whereWord.span);
      continue;
    }
    if (p.isWord('where')) throw p.error('a WHERE clause of timechart comes after BY <split-by-field>', t.span, 'SPL_BAD_ARGUMENT');
    if (args.by !== null) throw p.error('the aggregations of timechart come before BY', t.span);
    if (t.kind !== 'word') throw p.error(`expected a statistical function, e.g. timechart count`, t.span);
    if (t.value.toLowerCase() === 'eval' && p.peek2('search').kind === 'lparen') {
      throw p.error('timechart eval(<expression>) BY ... is not supported: compute the value with stats functions, e.g. count(eval(x>5)) AS n', t.span, 'SPL_BAD_ARGUMENT');
    }
    const rate = RATES[t.value.toLowerCase()];
    const a = rate !== undefined && p.peek2('search').kind === 'lparen' ? parseRate(p) : parseAggregation(p, true);
    first ??= a.span;
    args.aggregations.push(a);
    args.rates.push(rate ?? null);
  }
  if (args.aggregations.length === 0) throw p.error('timechart needs a statistical function, e.g. timechart count', p.peek('search').span);
  if (args.where !== null && args.aggregations.length > 1) throw p.error('a WHERE clause selects series of a single aggregation', first!, 'SPL_BAD_ARGUMENT');
  args.counting = countingSpec(p, args.aggregations, first!);
  return args;
}

/** timechart's own functions: the sum of a field per second, minute, hour or day of each bucket. */
const RATES: Readonly<Record<string, number>> = { per_second: 1, per_minute: 60, per_hour: 3600, per_day: 86400 };

/** `per_second(<field>) [AS name]`: a sum, scaled per bucket by the caller. */
function parseRate(p: ArgParser): AggregationSpec {
  const t = p.next('search');
  p.next('search');
  const f = p.peek('search');
  if (f.kind !== 'word' && f.kind !== 'string') throw p.error(`expected a field name inside ${t.value}( )`, f.span);
  if (f.value.toLowerCase() === 'eval' && p.peek2('search').kind === 'lparen') throw p.error(`${t.value}(eval(...)) is not supported: compute the field with eval first`, f.span, 'SPL_BAD_ARGUMENT');
  if (f.value.includes('*')) throw p.error(`a wildcard field in ${t.value}(${f.value}) is not supported: name the fields`, f.span, 'SPL_BAD_ARGUMENT');
  p.next('search');
  let end = p.expect('rparen', `\`)\` to close ${t.value}(`).span;
  let as = p.source.text.slice(t.span.start, end.end).replace(/\s+/g, ' ');
  if (p.acceptWord('as')) {
    const name = p.fieldName('a name after AS');
    as = name.name;
    end = name.span;
  }
  return { fnName: t.value.toLowerCase(), blueprint: aggregationFor('sum')!, field: f.value, expr: null, as, span: cover(t.span, end) };
}

/** One partition's buckets (`splits`): plain data, as stats' partial states. */
export interface ChartState {
  span: BinSpan | null;
  loBin: number;
  hiBin: number;
  groups: GroupsPartial;
}

/** A timechart's buckets: stats groups by bucket start and series, on a span that may grow with the data. */
class Chart {
  private readonly agg: Aggregator;
  private groups: AggregationGroups;
  private readonly byNames: string[];
  private readonly key = new Row();
  /** The bucket span; null until the first row when it follows the data (all time, no span=). */
  private span: BinSpan | null = null;
  private bin: (t: number) => number = (t) => t;
  /** The span is chosen from the data's range (and coarsened as it grows). */
  private readonly auto: boolean;
  /** The search's time range [lo, latest) when it has an earliest time; hi is its last instant. */
  private readonly range: { lo: number; hi: number; latest: number } | null;
  private readonly origin: number;
  /** The first and last bucket starts of the data. */
  private loBin = Infinity;
  private hiBin = -Infinity;

  constructor(
    private readonly args: TimechartArgs,
    private readonly ctx: ExecContext,
  ) {
    this.agg = new Aggregator([...args.aggregations, args.counting], ctx);
    this.byNames = args.by === null ? [BUCKET] : [BUCKET, SERIES];
    this.groups = new AggregationGroups(this.agg, this.byNames, args.dedupSplitvals);
    this.origin = args.aligntime ? alignOrigin(args.aligntime, ctx) : 0;
    if (ctx.earliest !== null) {
      const latest = Math.max(ctx.earliest, ctx.latest ?? ctx.now);
      this.range = { lo: ctx.earliest, hi: latest > ctx.earliest ? latest - 1e-6 : latest, latest };
    } else this.range = null;
    this.auto = args.span === null && this.range === null;
    if (args.span) this.setSpan(args.span);
    else if (this.range) {
      const lo = Math.min(this.range.lo, args.start ?? Infinity);
      const hi = Math.max(this.range.hi, args.end ?? -Infinity);
      this.setSpan(autoTimeSpan(lo, hi, args.bins, args.minspan, ctx.tz, this.origin));
    }
    // A span too fine for the search's range fails before any event is read.
    if (this.range && this.span) this.checkBins(this.bin(this.range.lo), this.bin(this.range.hi));
  }

  get size(): number {
    return this.groups.size;
  }

  add(row: Result): void {
    const tv = row.get('_time');
    const t = typeof tv === 'number' ? tv : tv === null || Array.isArray(tv) ? null : toNumber(tv as Scalar);
    if (t === null || !Number.isFinite(t)) return;
    if (this.args.by !== null) {
      const v = row.get(this.args.by);
      if (v === null || (Array.isArray(v) && v.length === 0)) {
        if (!this.args.usenull) return;
        this.key.set(SERIES, NULL_SERIES);
      } else this.key.set(SERIES, v);
    }
    if (this.span === null) {
      // Over all time the first span is the finest that puts start=/end= and this row in `bins` buckets.
      const lo = Math.min(t, this.args.start ?? Infinity);
      const hi = Math.max(t, this.args.end ?? -Infinity);
      this.setSpan(autoTimeSpan(lo, hi, this.args.bins, this.args.minspan, this.ctx.tz, this.origin));
      this.widen(this.bin(lo), this.bin(hi));
    }
    let b = this.bin(t);
    if (b < this.loBin || b > this.hiBin) {
      this.widen(b, b);
      b = this.bin(t);
    }
    this.key.set(BUCKET, b);
    this.groups.add(this.key, row);
  }

  /** The partition's share (ChartState); `keep`: go on aggregating after it (copy before feeding more). */
  state(keep = false): ChartState {
    return { span: this.span, loBin: this.loBin, hiBin: this.hiBin, groups: this.groups.partial(keep) };
  }

  /** Folds in a partition's share: both on the coarser span, the buckets of the finer one inside its buckets. */
  merge(s: ChartState): void {
    if (s.span === null || s.groups.values.length === 0) return;
    if (this.span === null) this.setSpan(s.span);
    else if (spanSeconds(s.span) > spanSeconds(this.span)) this.rebin(s.span);
    for (const v of s.groups.values) v[0] = this.bin(v[0] as number);
    this.groups.merge(s.groups);
    this.widen(this.bin(s.loBin), this.bin(s.hiBin));
  }

  private setSpan(span: BinSpan): void {
    this.span = span;
    this.bin = timeBinner(span, this.ctx.tz, isEpochAligned(span) ? this.origin : 0);
  }

  /** Takes buckets lo and hi in; over all time, coarsens the span when they no longer fit in `bins` buckets. */
  private widen(lo: number, hi: number): void {
    this.loBin = Math.min(this.loBin, lo);
    this.hiBin = Math.max(this.hiBin, hi);
    if (this.auto && this.count(this.loBin, this.hiBin) > this.args.bins) {
      this.rebin(autoTimeSpan(this.loBin, this.hiBin, this.args.bins, this.args.minspan, this.ctx.tz, this.origin));
    }
    this.checkBins(this.loBin, this.hiBin, true);
  }

  /** Moves every group to the bucket of `span` holding its bucket's start. */
  private rebin(span: BinSpan): void {
    if (this.span !== null && spanSeconds(span) <= spanSeconds(this.span)) return;
    const old = this.groups.partial();
    this.setSpan(span);
    for (const v of old.values) v[0] = this.bin(v[0] as number);
    this.groups = new AggregationGroups(this.agg, this.byNames, this.args.dedupSplitvals);
    this.groups.merge(old);
    if (this.loBin <= this.hiBin) {
      this.loBin = this.bin(this.loBin);
      this.hiBin = this.bin(this.hiBin);
    }
  }

  private count(lo: number, hi: number): number {
    const span = this.span!;
    return timeBinsBetween(lo, hi, span, this.ctx.tz, isEpochAligned(span) ? this.origin : 0);
  }

  /**
   * The number of buckets from lo to hi (0 when lo > hi); more than TIMECHART_MAX_BINS is an error. `partial`: lo..hi
   * are the events read so far, whose count depends on the order they came in (a file's, the store's newest first):
   * the message leaves it out, so a search says the same over both.
   */
  private checkBins(lo: number, hi: number, partial = false): number {
    if (lo > hi) return 0;
    const n = this.count(lo, hi);
    if (n > TIMECHART_MAX_BINS) {
      const made = partial ? `more than ${TIMECHART_MAX_BINS} time buckets` : `${n} time buckets, more than ${TIMECHART_MAX_BINS}`;
      throw new SplError('SPL_BAD_ARGUMENT', `timechart: the span would make ${made} (maxbins): use a larger span= or a shorter time range`, this.args.spanAt ?? this.args.counting.span, this.ctx.source);
    }
    return n;
  }

  /** The next bucket's start: 1.5 spans on floors into the next bucket whatever its length (DST days, months). */
  private next(b: number): number {
    return this.bin(b + 1.5 * spanSeconds(this.span!));
  }

  emit(next: Sink): void {
    if (this.span === null || this.groups.size === 0) return;
    const { args } = this;
    const parts = this.groups.partial();
    const series = collectSeries(parts, args.by !== null, (v) => v as number);
    const { kept, dropped } = selectSeries(args, this.agg, series, (b, v) => this.rated(0, v, this.length(b)));
    const buckets = this.buckets(parts);
    const columns = seriesColumns(args, kept, dropped.length > 0 && args.useother);
    if (buckets.length * columns.length > TIMECHART_MAX_CELLS) {
      throw new SplError('SPL_BAD_ARGUMENT', `timechart would emit ${buckets.length} buckets x ${columns.length} columns, more than ${TIMECHART_MAX_CELLS} cells: chart fewer series (limit=, WHERE) or use a larger span=`, args.by === null ? args.counting.span : args.spanAt ?? args.counting.span, this.ctx.source);
    }
    const empty = this.agg.newState().map((a) => a.result());
    const other = args.useother ? otherCells(this.agg, dropped) : new Map<number, (FieldValue | null)[]>();
    // The table's columns, empty cells included (a row leaves them out of its fields): output headers follow them.
    const names = ['_time', ...columns.map((c) => c.name), '_span'];
    for (const b of buckets) {
      const row = new Row();
      row.declareColumns(names);
      const len = this.length(b);
      row.set('_time', b);
      for (const c of columns) {
        const cells = c.series === null ? other.get(b) : resultsOf(this.agg, c.series.cells.get(b));
        row.set(c.name, this.rated(c.agg, (cells ?? empty)[c.agg]!, len));
      }
      // A split-by value named _time (a process can be named so) must not move the bucket: set again, in place.
      row.set('_time', b);
      row.set('_span', len);
      next.push(row);
    }
  }

  /** Bucket b's length in seconds (a day or month bucket's own: DST days, months). */
  private length(b: number): number {
    return isEpochAligned(this.span!) ? spanSeconds(this.span!) : this.next(b) - b;
  }

  /** Aggregation j's value in a bucket of `len` seconds: per_second(x) and co. are its sum per their unit. */
  private rated(j: number, v: FieldValue | null, len: number): FieldValue | null {
    const unit = this.args.rates[j];
    return unit === null || unit === undefined || typeof v !== 'number' ? v : (v * unit) / len;
  }

  /** Bucket starts to emit, ascending. */
  private buckets(parts: GroupsPartial): number[] {
    const { args, range } = this;
    let out: number[];
    if (args.cont) {
      let lo = this.loBin;
      let hi = this.hiBin;
      if (range && args.fixedrange) {
        lo = Math.min(lo, this.bin(range.lo));
        hi = Math.max(hi, this.bin(range.hi));
      }
      const n = this.checkBins(lo, hi);
      out = [];
      for (let b = lo; b <= hi; ) {
        out.push(b);
        const after = this.next(b);
        // A sub-second span over times so large that a double cannot tell its buckets apart (10us in year 9999,
        // 1ms near 1e15) makes no next bucket: an error, not an endless loop.
        if (!(after > b) || out.length > 2 * n + 2) {
          throw new SplError('SPL_BAD_ARGUMENT', `timechart: the span is finer than _time can be told apart near ${b} (a double holds about 16 digits): use a larger span=`, args.spanAt ?? args.counting.span, this.ctx.source);
        }
        b = after;
      }
    } else out = [...new Set(parts.values.map((v) => v[0] as number))].sort((x, y) => x - y);
    if (!args.partial && range && out.length) {
      if (out[0]! < range.lo) out.shift();
      if (out.length && this.next(out[out.length - 1]!) > range.latest) out.pop();
    }
    return out;
  }
}
