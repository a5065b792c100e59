import { Row, type Result } from '../../events/result.js';
import { toNumber, type FieldValue, type Scalar } from '../../events/value.js';
import { settingHint } from '../../edit-distance.js';
import { VigilError } from '../../errors.js';
import { chainOf } from '../../datamodels/library.js';
import type { CompiledDataset } from '../datamodel/types.js';
import { DatasetView, resolveDataset, tstatsFieldNames } from '../datamodel/view.js';
import { respan } from '../datamodel/eventtypes.js';
import type { SearchExpr } from '../parse/ast.js';
import type { ArgParser } from '../parse/parser.js';
import { compileSearch, valueMatcher } from '../search/predicate.js';
import { SplError, cover, type SourceText, type Span } from '../source.js';
import { AggregationGroups, Aggregator, groupedStats, mergeGroups } from '../stats/aggregator.js';
import { parseAggregation, type AggregationSpec } from '../stats/parse.js';
import { autoTimeSpan, DEFAULT_BINS, parseSpan, timeBinner, type Span as BinSpan } from '../time/span.js';
import { defineCommand, type EventQuery, type EventQueryEnv, type ExecContext, type Sink } from './types.js';

export interface TstatsArgs {
  /** `fillnull_value=`: the value of a null BY field; null drops such rows (the default). */
  fillnull: string | null;
  /** `summariesonly=`: with summaries (vigil serve's acceleration), read them only, no raw events. */
  summariesOnly: boolean;
  /**
   * `prestats=true`: no statistics here; each dataset row that passes WHERE goes on, holding the BY fields
   * (filled, binned) and the fields the functions read, for a later stats/chart/timechart to aggregate.
   */
  prestats: boolean;
  aggregations: AggregationSpec[];
  from: { model: string; dataset: string | null; span: Span } | null;
  /** `nodename=` in the WHERE: the dataset path (child datasets), taken out of the predicate. */
  nodename: { path: string; span: Span } | null;
  where: SearchExpr | null;
  by: string[];
  /** `span=` of `_time` in the BY clause; null: chosen from the data as `bin` does. */
  span: BinSpan | null;
  /** What the plan resolved (eventQuery): the dataset of `from`, null for tstats over index data. */
  dataset: CompiledDataset | null;
  /**
   * Datasets below `dataset` whose own fields the search names (`All_Changes.Instance_Changes.image_id` over
   * `datamodel=Change`), resolved by the plan: as in Splunk, such a field has its value on the events of that
   * dataset and none on the others.
   */
  descendants: { dataset: CompiledDataset; fields: { name: string; field: string }[] }[];
}

/** Options that change nothing here: every row comes from the events themselves (see docs/spl.md). */
const NO_OP_OPTIONS = ['allow_old_summaries', 'local', 'include_reduced_buckets', 'use_summary_index_values'] as const;
const OPTIONS = [...NO_OP_OPTIONS, 'summariesonly', 'fillnull_value', 'prestats', 'append', 'chunk_size'] as const;
const CLAUSES = ['from', 'where', 'by'];
/** The fields of index data tstats can read without a data model ("indexed fields"). */
const INDEX_FIELDS = ['_time', 'index', 'host', 'source', 'sourcetype'];
const METADATA = new Set(['index', 'host', 'source', 'sourcetype']);

/**
 * `| tstats [options] <fn>(<field>) [AS name]... [FROM datamodel=<Model>[.<Dataset>]] [WHERE <search>]
 * [BY <fields> [span=<span>]]`: statistics over a data model's dataset (each event projected through the
 * dataset's constraints and calculated fields, fields named `<Root>.<field>`) or, without FROM, over the
 * events' indexed fields (`_time`, `index`, `host`, `source`, `sourcetype`, and those a HEC client sent: `fields`).
 *
 * - WHERE is the search language (search/predicate.ts) on the projected rows: implicit AND, OR before AND,
 *   `NOT x=v` vs `x!=v`, IN with wildcards, case-insensitive values, CIDR. `earliest=`/`latest=` set the time
 *   range (as in a search); `nodename=<Root>.<Child>` selects a child dataset. A field outside the dataset
 *   has no value.
 * - BY: a row whose BY field is null is dropped unless `fillnull_value` is given (then that text is the
 *   group's value); a multivalue BY field counts the row once per value; `_time` is binned by `span=`
 *   (anywhere in the BY list), or without one by the `bin` command's automatic rule over the data's range.
 * - Output: one row per group sorted as stats sorts them, BY fields under the names written
 *   (`Processes.dest`), then the aggregations (`count`, `min(_time)`, or the AS name).
 * - Without summaries rows come from the events, and `summariesonly` changes nothing; with summaries
 *   (`vigil serve`'s acceleration, acceleration/) `summariesonly=true` reads them only, `false` adds the raw
 *   events they do not cover (the same rows once they cover everything). `allow_old_summaries` and the
 *   tsidx options change nothing; `append=true` is refused.
 * - `prestats=true` ("output the answer in prestats format" for stats, chart or timechart): one row per dataset
 *   row instead of the groups, with the BY fields (null ones filled, or the row dropped; `_time` binned by
 *   `span=`), `_time`, and the fields the functions read; AS names are ignored ("You can also rename the result
 *   using the AS keyword, unless you are in prestats mode", Search Reference). Splunk's rows carry partial
 *   states instead: a stats, chart or timechart after it computes the same results from either.
 */
export const tstatsCommand = defineCommand<TstatsArgs>({
  name: 'tstats',
  doc: 'tstats [fillnull_value=<v>] [prestats=<bool>] <fn>(<field>) [AS name]... [FROM datamodel=<Model>.<Dataset>] [WHERE <search>] [BY <fields> [span=<span>]]: statistics over a data model or indexed fields.',
  parse: parseTstats,
  // emitsOwnRows: the dataset evaluator works on copies, so the events it reads are never written.
  ...groupedStats<TstatsArgs>(),
  // prestats rows are the dataset's rows, one by one: a streaming command (Splunk: "a report-generating command, except when prestats=true").
  kind: (args) => (args.prestats ? 'streaming' : 'transforming'),
  ordersOutput: (args) => !args.prestats,
  outputFields: (args) =>
    args.prestats
      ? { fields: new Set([...args.by, '_time', ...args.aggregations.flatMap((a) => (a.field ? [a.field] : []))]), open: false }
      : { fields: new Set([...args.by, ...args.aggregations.map((x) => x.as)]), open: false },
  readsEvents: () => true,
  eventQuery: tstatsQuery,
  // WHERE is a search ("in much the same ways as you use it with the search command", Search Reference): its
  // subsearches run first and their results, as `format` writes them, take their place.
  searchExpression: { of: (args) => args.where, with: (args, where) => ({ ...args, where }) },
  create: (args, ctx, next) => {
    if (args.prestats) return prestatsRows(args, ctx, next);
    const t = tstatsGroups(args, ctx);
    return {
      push: t.push,
      end: () => {
        t.finish().flush(next);
        next.end();
      },
    };
  },
  // Splits like stats, except `by _time` without span=: the span depends on the range of all the data.
  splits: (args) =>
    !args.prestats && args.aggregations.every((a) => a.blueprint.merge === true) && !(args.by.includes('_time') && !args.span)
      ? {
          partial: (ctx) => {
            const t = tstatsGroups(args, ctx);
            return {
              push: t.push,
              end: () => {},
              state: (plain) => (plain ? t.finish().partial() : t.finish()),
            };
          },
          merge: mergeGroups(args),
        }
      : null,
});

/**
 * The groups of a tstats run and how an event feeds them; `finish()` counts the rows held for an automatic
 * `_time` span and returns the groups.
 */
function tstatsGroups(args: TstatsArgs, ctx: ExecContext): { push: (row: Result) => void; finish: () => AggregationGroups } {
  const by = args.by;
  const timeAt = by.indexOf('_time');
  const fill: FieldValue | null = args.fillnull;
  // The row being counted: the view of an evaluated event, or a held copy (below).
  let current: Result = new Row();
  // Its BY values: null fields filled (or the row dropped), _time binned.
  let bin: ((t: number) => number) | null = args.span ? timeBinner(args.span, ctx.tz, 0) : null;
  const keyRow: Result = {
    get: (f) => {
      const v = current.get(f);
      if (v === null) return fill;
      if (f === '_time' && bin) {
        const t = toNumber(v as Scalar);
        return t === null ? v : bin(t);
      }
      return v;
    },
    set: () => {},
    fieldNames: () => by,
    clone: () => keyRow,
  };
  const groups = new AggregationGroups(new Aggregator(args.aggregations, ctx), by);
  const count = () => groups.add(keyRow, current);
  // `by _time` without span=: the span depends on the range of the data, so rows wait (a copy of the
  // fields the statistics read) until it is known.
  const held: Result[] | null = timeAt >= 0 && !bin ? [] : null;
  const needed = [...new Set([...by, ...args.aggregations.flatMap((a) => (a.field ? [a.field] : [])), '_time'])];
  const input = tstatsInput(args, ctx, (view) => {
    if (held === null) {
      current = view;
      count();
    } else held.push(new Row(needed.map((f) => [f, view.get(f)] as const).filter((x): x is readonly [string, FieldValue] => x[1] !== null)));
  });
  input.summarized();
  return {
    push: input.push,
    finish: () => {
      if (held !== null) {
        let lo = Infinity;
        let hi = -Infinity;
        for (const r of held) {
          const t = toNumber(r.get('_time') as Scalar | null);
          if (t === null) continue;
          if (t < lo) lo = t;
          if (t > hi) hi = t;
        }
        if (lo <= hi) bin = timeBinner(autoTimeSpan(lo, hi, DEFAULT_BINS, null, ctx.tz, 0), ctx.tz, 0);
        // Held rows passed WHERE already.
        for (const r of held) {
          current = r;
          count();
        }
        held.length = 0;
      }
      return groups;
    },
  };
}

/**
 * prestats=true: each dataset row that passes WHERE goes on as a row of its own (module doc). Summarized rows
 * follow the events, at the end: their order does not matter to the stats, chart or timechart that reads them.
 */
function prestatsRows(args: TstatsArgs, ctx: ExecContext, next: Sink): Sink {
  const bin = args.span ? timeBinner(args.span, ctx.tz, 0) : null;
  // _time too (timechart bins it), unless BY holds it binned.
  const read = [...new Set(['_time', ...args.aggregations.flatMap((a) => (a.field ? [a.field] : []))])].filter((f) => !args.by.includes(f));
  const input = tstatsInput(args, ctx, (view) => {
    const out = new Row();
    for (const f of args.by) {
      let v = view.get(f) ?? args.fillnull;
      if (v === null) return;
      if (f === '_time' && bin) {
        const t = toNumber(v as Scalar);
        if (t !== null) v = bin(t);
      }
      out.set(f, v);
    }
    for (const f of read) {
      const v = view.get(f);
      if (v !== null) out.set(f, v);
    }
    next.push(out);
  });
  return {
    push: input.push,
    end: () => {
      input.summarized();
      next.end();
    },
  };
}

/**
 * Where a tstats' rows come from: `push` evaluates an event into the dataset's rows (or takes it as is over
 * index data) and hands those passing WHERE to `take` (a view, valid during the call); `summarized` hands the
 * summaries' rows (acceleration/) once, when the search reads any.
 */
function tstatsInput(args: TstatsArgs, ctx: ExecContext, take: (view: Result) => void): { push: (row: Result) => void; summarized: () => void } {
  const ds = args.dataset;
  if (args.from && !ds) throw new SplError('SPL_BAD_ARGUMENT', 'tstats was not planned: its data model is unresolved', args.from.span, ctx.source);
  const evaluator = ds ? ds.evaluator({ now: ctx.now, tz: ctx.tz, lookups: ctx.lookups, warn: (m) => ctx.warn(m) }) : null;
  const names = new Map(ds ? tstatsFieldNames(ds.resolved) : INDEX_FIELDS.map((f) => [f, f] as const));
  // A descendant's field is written on the dataset's row (a copy of the event) under its own name.
  const below = args.descendants.map((d) => ({ evaluator: d.dataset.evaluator({ now: ctx.now, tz: ctx.tz, lookups: ctx.lookups, warn: (m) => ctx.warn(m) }), fields: d.fields }));
  for (const d of args.descendants) for (const f of d.fields) names.set(f.name, f.name);
  // Over index data, the other names it reads are the events' indexed fields (HEC `fields`).
  const view = new DatasetView(names, new Row(), ds ? null : new Set([...namedFields(args)].filter((f) => !names.has(f))));
  const where = compileSearch(args.where, ctx.source);
  const pass = (row: Result) => {
    view.of(row);
    if (where(view)) take(view);
  };
  // Accelerated (acceleration/): summarized rows come from the summaries, and the executor reads only the
  // raw events they do not cover. Order-sensitive functions (first, last, earliest/latest on equal times) read raw
  // events in search order, unless summariesonly=true: "returns results only from summarized data" (Search
  // Reference), so not the events before the summary range or not summarized yet (in the summaries' order).
  // A descendant's fields are not in the dataset's summary: such a search reads the raw events.
  const ordered = !args.summariesOnly && args.aggregations.some((x) => x.blueprint.orderSensitive === true);
  const summary = ds && ctx.summaries && below.length === 0 && !ordered ? ctx.summaries.read(ds, args.summariesOnly, (m) => ctx.warn(m)) : null;
  if (summary) ctx.readFrom?.(summary.remainder);
  return {
    summarized: () => summary?.rows(args.where, names, ctx.source, pass),
    push: (row) => {
      if (!evaluator) pass(row);
      else if (below.length === 0) evaluator.evaluate(row, pass);
      else {
        // The event's row in each descendant (its first: a constraint chain makes at most one), then the dataset's rows.
        const values: [string, FieldValue | null][] = [];
        for (const d of below) {
          let member: Result | null = null;
          d.evaluator.evaluate(row, (r) => void (member ??= r));
          for (const f of d.fields) values.push([f.name, member === null ? null : (member as Result).get(f.field)]);
        }
        evaluator.evaluate(row, (r) => {
          for (const [name, v] of values) if (v !== null) r.set(name, v);
          pass(r);
        });
      }
    },
  };
}

/** The functions that read the events' `_time`, which prestats rows binned by `span=` no longer hold. */
const TIME_FUNCTIONS = new Set(['earliest', 'latest', 'earliest_time', 'latest_time']);

function parseTstats(p: ArgParser): TstatsArgs {
  const args: TstatsArgs = { fillnull: null, summariesOnly: false, prestats: false, aggregations: [], from: null, nodename: null, where: null, by: [], span: null, dataset: null, descendants: [] };
  // Options and statistical functions, up to FROM / WHERE / BY.
  for (;;) {
    const t = p.peek('search');
    if (t.kind === 'comma') {
      p.next('search');
      continue;
    }
    if (t.kind !== 'word' || CLAUSES.includes(t.value.toLowerCase())) break;
    const o = p.option(OPTIONS);
    if (o) {
      option(p, args, o.key, o.value, o.valueSpan);
      continue;
    }
    const eq = p.peek2('search');
    if (eq.kind === 'op' && eq.value === '=') throw p.error(`unknown tstats option "${t.value}" (options: ${OPTIONS.join(', ')})`, t.span, 'SPL_BAD_ARGUMENT');
    // `sum(PREFIX(kb=))`: say so at PREFIX, not "missing )" after it.
    const prefix = /^([A-Za-z_]\w*\(\s*)PREFIX\s*\(/i.exec(p.source.text.slice(t.span.start));
    if (prefix) {
      const at = t.span.start + prefix[1]!.length;
      throw p.error('PREFIX() is not supported', { start: at, end: at + 6 }, 'SPL_BAD_ARGUMENT');
    }
    const a = parseAggregation(p);
    if (a.fnName === 'list') throw new SplError('SPL_UNSUPPORTED_FUNCTION', 'tstats does not support list(): use values()', a.span, p.source);
    if (a.expr) throw new SplError('SPL_UNSUPPORTED_FUNCTION', 'tstats does not support eval() inside its functions: filter in WHERE, or use stats after tstats', a.span, p.source);
    if (a.field !== null && a.field.includes('*')) throw p.error(`tstats functions take one field, not a wildcard: ${a.field}`, a.span, 'SPL_BAD_ARGUMENT');
    args.aggregations.push(a);
  }
  if (args.aggregations.length === 0) throw p.error('tstats needs at least one statistical function, e.g. tstats count', p.peek('search').span);
  const from = p.acceptWord('from');
  if (from) {
    const dm = p.option(['datamodel']);
    if (!dm) {
      const t = p.peek('search');
      throw p.error('tstats FROM takes datamodel=<Model>[.<Dataset>] (tscollect namespaces and sid= are not supported)', t.kind === 'eof' ? from.span : t.span, 'SPL_BAD_ARGUMENT');
    }
    const dot = dm.value.indexOf('.');
    const model = dot < 0 ? dm.value : dm.value.slice(0, dot);
    if (model === '') throw p.error('expected a data model name after datamodel=', dm.valueSpan, 'SPL_BAD_ARGUMENT');
    args.from = { model, dataset: dot < 0 ? null : dm.value.slice(dot + 1), span: cover(from.span, dm.span) };
  }
  const where = p.acceptWord('where');
  if (where) {
    const e = p.searchExprUntil(['by']);
    if (!e) throw p.error('WHERE needs a search, e.g. WHERE Processes.process_name=curl', p.peek('search').span);
    args.where = takeNodename(p, args, e);
    checkWhere(p.source, args.where, true);
  }
  let spanAt: Span | null = null;
  if (p.acceptWord('by')) {
    for (;;) {
      // A FROM or WHERE after BY is a misplaced clause (an error below), not a field to group by.
      const fields = p.fieldList(CLAUSES);
      for (const f of fields) {
        if (f.name.includes('*')) throw p.error('tstats BY takes field names, not wildcards', f.span, 'SPL_BAD_ARGUMENT');
        // `by PREFIX(kb=)` reads as one name (as `count(x)` does elsewhere); grouped by it, every row would drop.
        if (/^PREFIX\(/i.test(f.name)) throw p.error('PREFIX() is not supported', { start: f.span.start, end: f.span.start + 6 }, 'SPL_BAD_ARGUMENT');
        args.by.push(f.name);
      }
      if (p.peek('search').kind === 'lparen' && fields.at(-1)?.name.toUpperCase() === 'PREFIX') throw p.error('PREFIX() is not supported', fields.at(-1)!.span, 'SPL_BAD_ARGUMENT');
      const o = p.option(['span']);
      if (o) {
        args.span = spanOf(p, o.value, o.valueSpan);
        spanAt = o.span;
        continue;
      }
      if (p.accept('comma')) continue;
      break;
    }
    if (args.by.length === 0) throw p.error('BY needs at least one field', p.peek('search').span);
  }
  if (args.nodename && !args.from) throw p.error('nodename= selects a dataset of FROM datamodel=<Model>: add the FROM clause', args.nodename.span, 'SPL_BAD_ARGUMENT');
  if (spanAt && !args.by.includes('_time')) throw p.error('span= bins _time: add _time to the BY fields', spanAt, 'SPL_BAD_ARGUMENT');
  // prestats rows carry one _time, binned by span=: a function reading the events' times (earliest(x), min(_time))
  // would read the bins.
  const timed = args.prestats && args.span ? args.aggregations.find((a) => TIME_FUNCTIONS.has(a.fnName) || a.field === '_time') : undefined;
  if (timed) throw p.error(`tstats prestats=true cannot pass the event times ${timed.fnName}(${timed.field ?? ''}) reads when BY _time has span=: leave prestats off, or drop span= and bin in the command after it`, timed.span, 'SPL_BAD_ARGUMENT');
  // A BY field is passed filled with fillnull_value, where tstats' functions read it null: the stats after it would count the fill.
  const filled = args.prestats && args.fillnull !== null ? args.aggregations.find((a) => a.field !== null && a.field !== '_time' && args.by.includes(a.field)) : undefined;
  if (filled) throw p.error(`tstats prestats=true cannot pass ${filled.field} both filled with fillnull_value (a BY field) and null (what ${filled.fnName}() reads): leave prestats or fillnull_value off`, filled.span, 'SPL_BAD_ARGUMENT');
  const rest = p.peek('search');
  if (rest.kind === 'word' && CLAUSES.includes(rest.value.toLowerCase())) throw p.error(`tstats clauses come in the order FROM, WHERE, BY: unexpected ${rest.value.toUpperCase()} here`, rest.span);
  return args;
}

function option(p: ArgParser, args: TstatsArgs, key: string, value: string, at: Span): void {
  switch (key) {
    case 'fillnull_value':
      args.fillnull = value;
      return;
    case 'summariesonly':
      args.summariesOnly = p.parseBool(value, at);
      return;
    case 'prestats':
      args.prestats = p.parseBool(value, at);
      return;
    case 'append':
      if (p.parseBool(value, at)) throw p.error('tstats append=true is not supported (tstats starts the search): add rows with append [| tstats prestats=t ...] instead', at, 'SPL_BAD_ARGUMENT');
      return;
    case 'chunk_size':
      p.parseInt(value, at, 1);
      return;
    default:
      p.parseBool(value, at);
  }
}

function spanOf(p: ArgParser, text: string, at: Span): BinSpan | null {
  if (text.toLowerCase() === 'auto') return null;
  let s: BinSpan;
  try {
    s = parseSpan(text);
  } catch (e) {
    if (e instanceof VigilError) throw p.error(e.message, at, 'SPL_BAD_ARGUMENT');
    throw e;
  }
  if (s.kind === 'log') throw p.error('a log span cannot bin _time', at, 'SPL_BAD_ARGUMENT');
  // A unitless span is seconds on _time: `span=0.5` is as subsecond as `span=500ms`.
  if ((s.kind === 'seconds' && !Number.isInteger(s.seconds)) || (s.kind === 'number' && !Number.isInteger(s.size))) throw p.error('tstats spans do not support subseconds', at, 'SPL_BAD_ARGUMENT');
  return s;
}

/** Takes `nodename=<path>` out of the WHERE (a top-level term only): it selects the dataset, it matches nothing. */
function takeNodename(p: ArgParser, args: TstatsArgs, e: SearchExpr): SearchExpr | null {
  const isNode = (x: SearchExpr) => x.kind === 'compare' && x.field.toLowerCase() === 'nodename';
  const items = e.kind === 'and' ? e.items : [e];
  const kept: SearchExpr[] = [];
  for (const x of items) {
    if (!isNode(x)) {
      kept.push(x);
      continue;
    }
    const c = x as Extract<SearchExpr, { kind: 'compare' }>;
    if (c.op !== '=') throw p.error('nodename takes = and a dataset path', c.span, 'SPL_BAD_ARGUMENT');
    if (args.nodename) throw p.error('nodename is given twice', c.span, 'SPL_BAD_ARGUMENT');
    args.nodename = { path: c.value.value, span: c.span };
  }
  if (kept.length === 0) return null;
  return kept.length === 1 ? kept[0]! : { ...e, items: kept } as SearchExpr;
}

/**
 * A WHERE matches field values: `nodename` only as a top-level term, `earliest=`/`latest=` only as top-level
 * terms (anywhere else they have no meaning), and no bare terms but `*` (tstats cannot search raw text).
 * Subsearches pass: they run first, and the WHERE holding their results is checked again at plan time.
 */
function checkWhere(source: SourceText, e: SearchExpr | null, top: boolean): void {
  if (e === null) return;
  switch (e.kind) {
    case 'and':
      e.items.forEach((i) => checkWhere(source, i, top));
      return;
    case 'or':
      e.items.forEach((i) => checkWhere(source, i, false));
      return;
    case 'not':
      checkWhere(source, e.expr, false);
      return;
    case 'time':
      if (!top) throw new SplError('SPL_BAD_ARGUMENT', `${e.which}= must not be inside OR or NOT`, e.span, source);
      return;
    case 'compare':
      if (e.field.toLowerCase() === 'nodename') throw new SplError('SPL_BAD_ARGUMENT', 'nodename must be a term of its own, not inside OR or NOT', e.span, source);
      return;
    case 'term':
      // `WHERE *` selects everything (ESCU writes it).
      if (e.value.value === '*' && !e.value.quoted) return;
      // `where x=1 from datamodel=...`: a clause out of order, not a raw-text term named "from".
      if (!e.value.quoted && CLAUSES.includes(e.value.value.toLowerCase())) throw new SplError('SPL_SYNTAX', `tstats clauses come in the order FROM, WHERE, BY: unexpected ${e.value.value.toUpperCase()} here`, e.span, source);
      throw new SplError('SPL_BAD_ARGUMENT', `tstats WHERE compares fields; ${rawTerm(e)} would search raw text, which tstats cannot: write ${fieldHint(e)}`, e.span, source);
    case 'subsearch':
      // Run first; their results take their place and are checked then (tstatsQuery).
      return;
    default:
      return;
  }
}

/** A raw-text term as written: `"x"`, `TERM(x)`, `CASE(x)`. */
function rawTerm(e: Extract<SearchExpr, { kind: 'term' }>): string {
  const v = e.value.quoted ? `"${e.value.value}"` : e.value.value;
  return e.exactTerm ? `TERM(${v})` : e.caseSensitive ? `CASE(${v})` : `"${e.value.value}"`;
}

/** The comparison a raw-text term likely meant: `CASE(a=B)` (a term with `=` inside) is `a=CASE(B)`. */
function fieldHint(e: Extract<SearchExpr, { kind: 'term' }>): string {
  const v = e.value.value;
  const eq = e.value.quoted ? -1 : v.indexOf('=');
  const [field, value] = eq > 0 ? [v.slice(0, eq), v.slice(eq + 1)] : ['<field>', e.value.quoted ? `"${v}"` : v];
  return `${field}=${e.caseSensitive ? `CASE(${value})` : value}`;
}

/**
 * Plan time: resolves the dataset and says which events to read — the dataset's leading search (its
 * constraint, with event types expanded into their searches, so `tag=process` becomes `sourcetype=...` and is
 * pushed into the scan) — and a prefilter from the WHERE: its time bounds, its conditions on the events'
 * metadata, and its conditions on dataset fields that equal the event's own fields (CompiledDataset.rawFields).
 */
function tstatsQuery(args: TstatsArgs, env: EventQueryEnv): EventQuery<TstatsArgs> {
  // A subsearch's results (in place of it once it ran) obey the rules of the WHERE they are in: no raw-text terms.
  checkWhere(env.source, args.where, true);
  if (!args.from) return { args, lead: null, prefilter: eventConditions(args.where, null) };
  const { model, dataset } = args.from;
  // A dataset path in nodename= names the dataset; errors about it point there.
  const at = args.nodename && env.knowledge?.dataModelNames().includes(model) ? args.nodename.span : args.from.span;
  const ds = resolveDataset(env, model, args.nodename?.path ?? dataset, at);
  if (args.nodename && dataset !== null && !ds.resolved.chain.some((d) => d.name === dataset)) {
    throw new SplError('SPL_UNKNOWN_DATAMODEL', `nodename=${args.nodename.path} is not under dataset ${dataset} of data model ${model}`, args.nodename.span, env.source);
  }
  const below = descendantFields(ds.resolved);
  const named = new Map<string, { name: string; field: string }[]>();
  for (const name of namedFields(args)) {
    const path = below.get(name);
    if (path !== undefined) named.set(path, [...(named.get(path) ?? []), { name, field: name.slice(path.length + 1) }]);
  }
  const descendants = [...named].map(([path, fields]) => ({ dataset: resolveDataset(env, model, path, at), fields }));
  return {
    args: { ...args, dataset: ds, descendants },
    lead: ds.lead ? respan(ds.lead, args.from.span) : null,
    prefilter: eventConditions(args.where, ds),
  };
}

/** Every field a tstats names: in its WHERE, its BY and its functions. */
function namedFields(args: TstatsArgs): Set<string> {
  const out = new Set<string>();
  const walk = (e: SearchExpr | null): void => {
    if (e === null) return;
    if (e.kind === 'and' || e.kind === 'or') e.items.forEach(walk);
    else if (e.kind === 'not') walk(e.expr);
    else if (e.kind === 'compare' || e.kind === 'in') out.add(e.field);
  };
  walk(args.where);
  args.by.forEach((f) => out.add(f));
  for (const a of args.aggregations) if (a.field !== null) out.add(a.field);
  return out;
}

/**
 * The part of a WHERE that is a condition on the events themselves, for pushdowns only: time bounds and
 * metadata terms as written, and terms on dataset fields whose row value is the event's field (renamed to it).
 * A term on a filled field (`"unknown"` when absent) says something only when its values cannot match the
 * fill. What cannot be said becomes "everything" (a conjunct dropped; an OR or a NOT as a whole).
 */
function eventConditions(where: SearchExpr | null, ds: CompiledDataset | null): SearchExpr | null {
  const everything = (at: Span): SearchExpr => ({ kind: 'and', items: [], span: at });
  const names = ds ? tstatsFieldNames(ds.resolved) : null;
  const rawField = (name: string): { field: string; fill: string | null } | null => {
    if (METADATA.has(name)) return { field: name, fill: null };
    const f = names?.get(name);
    if (f === undefined || f === name) return null;
    const fill = ds!.rawFields.get(f);
    return fill === undefined ? null : { field: f, fill };
  };
  const map = (e: SearchExpr): SearchExpr | null => {
    switch (e.kind) {
      case 'and': {
        const items = e.items.map(map).filter((x): x is SearchExpr => x !== null);
        return { ...e, items };
      }
      case 'or': {
        const items = e.items.map(map);
        return items.some((x) => x === null) ? null : { ...e, items: items as SearchExpr[] };
      }
      case 'time':
        return e;
      case 'compare': {
        const r = rawField(e.field);
        if (!r) return null;
        if (r.fill !== null && (e.op !== '=' || valueMatcher(e.value, e.caseSensitive)(r.fill))) return null;
        return { ...e, field: r.field };
      }
      case 'in': {
        const r = rawField(e.field);
        if (!r) return null;
        if (r.fill !== null && e.values.some((v) => valueMatcher(v, false)(r.fill!))) return null;
        return { ...e, field: r.field };
      }
      default:
        return null;
    }
  };
  if (where === null) return null;
  return map(where) ?? everything(where.span);
}

/**
 * The fields a planned tstats names (WHERE, BY, functions) that its dataset does not have: in Splunk they
 * have no value, so the search silently matches nothing or drops its rows. For `vigil validate` to warn about,
 * with the dataset's field it most likely meant (`hint`): the name with the dataset's prefix
 * (`parent_process_name` for `Processes.parent_process_name`), the one name ending with it
 * (`All_Changes.Account_Management.src_user` for `Account_Management.src_user`), in another case, or within
 * two edits. A descendant dataset's own field (`All_Changes.Instance_Changes.image_id` over `datamodel=Change`)
 * is the dataset's too.
 */
export function unknownTstatsFields(args: TstatsArgs): { name: string; hint: string | null }[] {
  // Over index data any other name may be an indexed field a HEC client sends: nothing to warn about.
  if (!args.dataset) return [];
  const below = descendantFields(args.dataset.resolved);
  const known = new Set([...tstatsFieldNames(args.dataset.resolved).keys(), ...below.keys()]);
  const qualified = args.dataset.resolved.names;
  const unknown = new Map<string, string | null>();
  for (const f of namedFields(args)) {
    if (known.has(f)) continue;
    const prefixed = qualified.get(f);
    const ending = [...known].filter((k) => k.endsWith(`.${f}`));
    unknown.set(f, (prefixed !== undefined && known.has(prefixed) ? prefixed : ending.length === 1 ? ending[0]! : settingHint([...known], f)) ?? null);
  }
  return [...unknown].map(([name, hint]) => ({ name, hint }));
}

/**
 * The fields the datasets below `ds`'s target declare, under their tstats names (the path to the declaring
 * dataset, then the field), each with that dataset's path (`All_Changes.Instance_Changes`).
 */
function descendantFields(ds: CompiledDataset['resolved']): Map<string, string> {
  const target = ds.chain[ds.chain.length - 1]!;
  const out = new Map<string, string>();
  for (const d of ds.model.datasets) {
    const chain = chainOf(ds.model, d);
    if (d === target || !chain.some((x) => x.name === target.name)) continue;
    const at = chain.map((x) => x.name).join('.');
    for (const f of [...d.fields, ...d.calculations.map((c) => c.output)]) if (!out.has(`${at}.${f.name}`)) out.set(`${at}.${f.name}`, at);
  }
  return out;
}
