import { toNumber, toText, valuesOf, type FieldValue, type Scalar } from '../../events/value.js';
import type { ArgParser } from '../parse/parser.js';
import { cover, type Span } from '../source.js';
import { aggregationFor, type Accumulator, type AggregationBlueprint } from '../stats/aggregations.js';
import { sortByValues, type Aggregator, type GroupsPartial } from '../stats/aggregator.js';
import type { AggregationSpec } from '../stats/parse.js';
import { compareNumbersFirst } from '../eval/compare.js';

/**
 * The series of `timechart` and `chart` (SPL reference, chart-options: limit, agg, useother, otherstr, usenull,
 * nullstr, sep, format): one series per value of the split-by (column-split) field, the top `limit` kept and the
 * others merged into OTHER, cells keyed by a time bucket (timechart) or a row-split value (chart).
 */

/** Most cells (rows x columns) a chart or timechart emits: `limit=0` over 1e6 split-by values is an error, not 5e7 cells. */
export const MAX_CHART_CELLS = 5_000_000;

/**
 * Most columns a chart or xyseries makes: hostile data can have millions of distinct column-split values. Splunk
 * charts at most 10 series by default (limit=top10); 10,000 is far past any chart that can still be read.
 */
export const MAX_CHART_COLUMNS = 10_000;

/** `where <fn> in top5`, `where <fn> notin bottom3`, `where <fn> > 10`: which series are charted (timechart, chart). */
export type WhereClause =
  | { fn: AggregationBlueprint; kind: 'rank'; keep: boolean; top: boolean; n: number }
  | { fn: AggregationBlueprint; kind: 'threshold'; greater: boolean; value: number };

export interface SeriesArgs {
  aggregations: AggregationSpec[];
  /** The split-by (column-split) field, or null for one series per aggregation. */
  by: string | null;
  where: WhereClause | null;
  /** 0: every series. */
  limit: number;
  bottom: boolean;
  /** The function scoring series for `limit=` (`agg=`, default sum). */
  agg: AggregationBlueprint;
  useother: boolean;
  otherstr: string;
  usenull: boolean;
  nullstr: string;
  sep: string;
  format: string | null;
  /** Events per cell and series (internal name, aggregated after `aggregations`): the score of series when several aggregations are charted. */
  counting: AggregationSpec;
}

/** Options every chart-family command takes, parsed by `seriesOption`. */
export const SERIES_OPTIONS = ['sep', 'format', 'limit', 'agg', 'useother', 'otherstr', 'usenull', 'nullstr'] as const;

/** The defaults of the series options (SPL reference: limit top10, useother and usenull true, OTHER, NULL, sep ": "). */
export function seriesDefaults(): Omit<SeriesArgs, 'aggregations' | 'by' | 'counting'> {
  return { where: null, limit: 10, bottom: false, agg: aggregationFor('sum')!, useother: true, otherstr: 'OTHER', usenull: true, nullstr: 'NULL', sep: ': ', format: null };
}

/** Applies one of SERIES_OPTIONS; false when `key` is another command option. */
export function seriesOption(p: ArgParser, o: { key: string; value: string; valueSpan: Span; quoted?: boolean }, args: SeriesArgs): boolean {
  switch (o.key) {
    case 'limit': {
      // limit=<int> | top<int> | bottom<int> (SPL reference, timechart and chart: chart-limit-opt).
      const m = /^(top|bottom)?(\d+)$/i.exec(o.value);
      if (!m) throw p.error(`limit= needs a number, top<N> or bottom<N>, found "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
      args.bottom = m[1]?.toLowerCase() === 'bottom';
      args.limit = p.parseInt(m[2]!, o.valueSpan);
      return true;
    }
    case 'agg': {
      // `agg=<stats-agg-term>` (SPL reference, timechart and chart): the call's parenthesised field is glued to the
      // function name, read here as the value's rest (`agg=max(x)`), not left to the aggregations.
      const call = o.quoted ? { name: o.value, span: o.valueSpan } : p.withCall(o.value, o.valueSpan);
      args.agg = scoreFunction(p, call.name, call.span);
      return true;
    }
    case 'sep':
    case 'format':
    case 'otherstr':
    case 'nullstr':
      args[o.key] = o.value;
      return true;
    case 'useother':
    case 'usenull':
      args[o.key] = p.parseBool(o.value, o.valueSpan);
      return true;
    default:
      return false;
  }
}

export function scoreFunction(p: ArgParser, name: string, at: Span): AggregationBlueprint {
  // `agg=max`, or `agg=max(x)`: the function applies to each series' values over the cells, whatever its field.
  const fn = aggregationFor(name.replace(/\(.*\)$/s, '').toLowerCase());
  if (!fn) throw p.error(`unknown statistical function "${name}"`, at, 'SPL_BAD_ARGUMENT');
  return fn;
}

/**
 * `<fn> (in|notin) (top|bottom)<N>` or `<fn> (<|>) <number>` (SPL reference, timechart and chart: where-clause, "part
 * of the <column-split> argument").
 */
export function parseWhere(p: ArgParser, whereAt: Span): WhereClause {
  const t = p.next('search');
  if (t.kind !== 'word') throw p.error('WHERE needs a statistical function, e.g. WHERE max in top5', t.span);
  let name = t.value;
  let end = t.span;
  if (p.peek('search').kind === 'lparen') {
    p.next('search');
    while (p.peek('search').kind !== 'rparen' && p.peek('search').kind !== 'eof') p.next('search');
    end = p.expect('rparen', '`)`').span;
    name = p.source.text.slice(t.span.start, end.end);
  }
  const fn = scoreFunction(p, name, cover(t.span, end));
  const c = p.next('search');
  const word = c.kind === 'word' ? c.value.toLowerCase() : '';
  if (word === 'in' || word === 'notin') {
    const r = p.next('search');
    const m = r.kind === 'word' ? /^(top|bottom)(\d+)$/i.exec(r.value) : null;
    if (!m) throw p.error('expected top<N> or bottom<N>, e.g. WHERE max in top5', r.span, 'SPL_BAD_ARGUMENT');
    return { fn, kind: 'rank', keep: word === 'in', top: m[1]!.toLowerCase() === 'top', n: p.parseInt(m[2]!, r.span) };
  }
  if (c.kind === 'op' && (c.value === '<' || c.value === '>')) {
    const v = p.next('search');
    const n = toNumber(v.value);
    if (n === null || (v.kind !== 'word' && v.kind !== 'number')) throw p.error(`expected a number after ${c.value}`, v.span, 'SPL_BAD_ARGUMENT');
    return { fn, kind: 'threshold', greater: c.value === '>', value: n };
  }
  throw p.error('expected in, notin, < or > after the function of WHERE, e.g. WHERE max in top5 or WHERE count > 10', c.kind === 'eof' ? whereAt : c.span, 'SPL_BAD_ARGUMENT');
}

/** Refuses two aggregations of one name and returns the internal event count that scores series (`SeriesArgs.counting`). */
export function countingSpec(p: ArgParser, aggregations: readonly AggregationSpec[], span: Span): AggregationSpec {
  const dup = aggregations.find((a, i) => aggregations.findIndex((b) => b.as === a.as) !== i);
  if (dup) throw p.error(`two aggregations are named ${dup.as}: name one with AS`, dup.span, 'SPL_BAD_ARGUMENT');
  const names = new Set(aggregations.map((a) => a.as));
  let as = ' chart count';
  while (names.has(as)) as += ' ';
  return { fnName: 'count', blueprint: aggregationFor('count')!, field: null, expr: null, as, span };
}

/** The key of rows without the split-by field (usenull=true): no input value has it, and it sorts last. */
export const NULL_SERIES = '\u0000chart null';

/** One series (a split-by value, or the only one without BY): its aggregations' states per cell key. */
export interface Series<K> {
  value: Scalar;
  cells: Map<K, unknown[]>;
  score: number | null;
}

/** The series of groups by (cell key, series value): `values[0]` is the cell, `values[1]` the series (with BY). */
export function collectSeries<K>(parts: GroupsPartial, byField: boolean, cellKey: (v: Scalar) => K): Series<K>[] {
  const series = new Map<string, Series<K>>();
  for (let i = 0; i < parts.values.length; i++) {
    const value = byField ? parts.values[i]![1]! : '';
    const k = toText(value);
    let s = series.get(k);
    if (!s) series.set(k, (s = { value, cells: new Map(), score: null }));
    s.cells.set(cellKey(parts.values[i]![0]!), parts.states[i]!);
  }
  return [...series.values()];
}

/**
 * The series charted and those merged into OTHER. An explicit WHERE overrides limit= (SPL reference, timechart:
 * "These options are ignored if you specify an explicit where-clause"); limit=0 keeps every series. `cellValue`:
 * the first aggregation's value in a cell (timechart scales its rates per bucket length).
 */
export function selectSeries<K>(args: SeriesArgs, agg: Aggregator, all: Series<K>[], cellValue: (key: K, r: FieldValue | null) => FieldValue | null): { kept: Series<K>[]; dropped: Series<K>[] } {
  const { kept, dropped } = rankSeries(args, agg, withNullValue(args, agg, all), cellValue);
  if (!args.useother || dropped.length === 0) return { kept, dropped };
  // Columns are named by value: a kept series spelled like `otherstr` would share OTHER's column, so it is merged into OTHER.
  const isOther = (s: Series<K>) => seriesLabel(args, s) === args.otherstr;
  return { kept: kept.filter((s) => !isOther(s)), dropped: [...dropped, ...kept.filter(isOther)] };
}

/**
 * Columns are named by value, so with usenull=true a value spelled like `nullstr` is the NULL series: the two are
 * merged, cell by cell, into one series that competes for `limit=` once (docs/spl.md, timechart, *Decision:*).
 */
function withNullValue<K>(args: SeriesArgs, agg: Aggregator, all: Series<K>[]): Series<K>[] {
  if (args.by === null || !args.usenull) return all;
  const named = all.find((s) => s.value !== NULL_SERIES && toText(s.value) === args.nullstr);
  if (named === undefined) return all;
  const nulls = all.find((s) => s.value === NULL_SERIES);
  const cells = new Map(nulls?.cells);
  for (const [k, states] of named.cells) {
    const had = cells.get(k);
    cells.set(k, had === undefined ? states : mergedStates(agg, had, states));
  }
  return [...all.filter((s) => s !== named && s !== nulls), { value: NULL_SERIES, cells, score: null }];
}

/** Two groups' partial states as one (every stats function merges). */
function mergedStates(agg: Aggregator, a: unknown[], b: unknown[]): unknown[] {
  return agg.newState().map((acc, j) => {
    acc.merge!(a[j]);
    acc.merge!(b[j]);
    return acc.partial!();
  });
}

function rankSeries<K>(args: SeriesArgs, agg: Aggregator, all: Series<K>[], cellValue: (key: K, r: FieldValue | null) => FieldValue | null): { kept: Series<K>[]; dropped: Series<K>[] } {
  const w = args.where;
  if (args.by === null || (w === null && args.limit === 0)) return { kept: all, dropped: [] };
  const single = args.aggregations.length === 1;
  // The score: the function over the series' values in its cells with data; with several aggregations,
  // limit= ranks by the series' number of events (the reference: "the score is based on the frequency").
  const fn = w ? w.fn : single ? args.agg : null;
  for (const s of all) {
    const acc = fn ? fn.create() : null;
    let events = 0;
    for (const [k, states] of s.cells) {
      const r = resultsOf(agg, states);
      if (acc) for (const v of valuesOf(cellValue(k, r[0]!))) acc.add(v, null);
      else events += r[args.aggregations.length] as number;
    }
    s.score = acc ? toNumber(firstScalar(acc.result())) : events;
  }
  if (w?.kind === 'threshold') {
    const pass = (s: Series<K>) => s.score !== null && (w.greater ? s.score > w.value : s.score < w.value);
    return { kept: all.filter(pass), dropped: all.filter((s) => !pass(s)) };
  }
  const top = w ? w.top : !args.bottom;
  const n = w ? w.n : args.limit;
  // Ties "are broken lexicographically, based on the value of the split-by field ... 'BBB' takes precedence
  // over 'AAA', and 10 takes precedence over 9" (SPL reference, timechart, limit); bottom<N> is the reverse order.
  const dir = top ? -1 : 1;
  const ranked = [...all].sort((a, b) => {
    if (a.score === null || b.score === null) return a.score === b.score ? dir * compareNumbersFirst(a.value, b.value) : a.score === null ? 1 : -1;
    return dir * (a.score - b.score || compareNumbersFirst(a.value, b.value));
  });
  const first = new Set(ranked.slice(0, n));
  const keep = w?.kind === 'rank' && !w.keep ? (s: Series<K>) => !first.has(s) : (s: Series<K>) => first.has(s);
  return { kept: all.filter(keep), dropped: all.filter((s) => !keep(s)) };
}

/** The OTHER series: each cell's dropped series merged (every stats function merges). */
export function otherCells<K>(agg: Aggregator, dropped: Series<K>[]): Map<K, (FieldValue | null)[]> {
  const merged = new Map<K, Accumulator[]>();
  for (const s of dropped) {
    for (const [k, states] of s.cells) {
      let acc = merged.get(k);
      if (!acc) merged.set(k, (acc = agg.newState()));
      for (let j = 0; j < acc.length; j++) acc[j]!.merge!(states[j]);
    }
  }
  return new Map([...merged].map(([k, acc]) => [k, acc.map((a) => a.result())]));
}

export interface SeriesColumn<K> {
  name: string;
  /** null: OTHER. */
  series: Series<K> | null;
  agg: number;
}

/**
 * The output columns: per aggregation without BY (its name); with BY, per kept series in the split-by values'
 * order (stats' order of BY values), then NULL, then OTHER; several aggregations name theirs `<agg><sep><value>`
 * (sep default ": ") or by `format=` with `$AGG$` and `$VAL$`.
 */
export function seriesColumns<K>(args: SeriesArgs, kept: Series<K>[], withOther: boolean): SeriesColumn<K>[] {
  if (args.by === null) return args.aggregations.map((a, j) => ({ name: a.as, series: kept[0] ?? null, agg: j }));
  const values = kept.filter((s) => s.value !== NULL_SERIES);
  const ordered: (Series<K> | null)[] = sortByValues(values.map((s) => ({ values: [s.value], s }))).map((x) => x.s);
  const nulls = kept.find((s) => s.value === NULL_SERIES);
  if (nulls) ordered.push(nulls);
  if (withOther) ordered.push(null);
  const label = (s: Series<K> | null) => (s === null ? args.otherstr : seriesLabel(args, s));
  const out: SeriesColumn<K>[] = [];
  args.aggregations.forEach((a, j) => {
    for (const s of ordered) {
      const v = label(s);
      const name = args.aggregations.length === 1 ? v : args.format !== null ? args.format.replace(/\$AGG\$/g, a.as).replace(/\$VAL\$/g, v) : `${a.as}${args.sep}${v}`;
      out.push({ name, series: s, agg: j });
    }
  });
  return out;
}

/** The name a series' columns carry: its value's text, `nullstr` for the NULL series. */
function seriesLabel<K>(args: SeriesArgs, s: Series<K>): string {
  return s.value === NULL_SERIES ? args.nullstr : toText(s.value);
}

/** The results of one group's partial states (undefined: none, the functions over nothing). */
export function resultsOf(agg: Aggregator, states: unknown[] | undefined): (FieldValue | null)[] {
  const acc = agg.newState();
  if (states !== undefined) for (let j = 0; j < acc.length; j++) acc[j]!.merge!(states[j]);
  return acc.map((a) => a.result());
}

function firstScalar(v: FieldValue | null): Scalar | null {
  return v === null ? null : Array.isArray(v) ? ((v as readonly Scalar[])[0] ?? null) : (v as Scalar);
}
