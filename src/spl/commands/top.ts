import { Row, type Result } from '../../events/result.js';
import { compareText, toText, type Scalar } from '../../events/value.js';
import { describe, type ArgParser } from '../parse/parser.js';
import type { Span } from '../source.js';
import { aggregationFor } from '../stats/aggregations.js';
import { AggregationGroups, Aggregator, groupKey, mergeGroups } from '../stats/aggregator.js';
import type { AggregationSpec } from '../stats/parse.js';
import { defineCommand, type AnyCommand, type ExecContext, type Sink } from './types.js';

export interface TopArgs {
  fields: string[];
  by: string[];
  /** 0: every combination. */
  limit: number;
  countfield: string;
  percentfield: string;
  showcount: boolean;
  showperc: boolean;
  useother: boolean;
  otherstr: string;
  /** The count per combination of BY and listed fields, as stats counts it (its output name is internal). */
  counting: AggregationSpec;
  /** The command's name: where the maxresultrows warning points, on every thread (a split's merge has no command). */
  at: Span;
}

const OPTIONS = ['countfield', 'limit', 'otherstr', 'percentfield', 'showcount', 'showperc', 'useother'] as const;

/** Splunk's default `maxresultrows` of the `[top]` and `[rare]` stanzas of limits.conf. */
export const TOP_MAX_RESULTS = 50_000;

/**
 * `top` and `rare` (SPL reference, "top" and "rare": rare "operates identically to the top command, except
 * that the rare command finds the least frequent values"): one blueprint each from `topFamily`.
 *
 * The counting is stats' own (`stats count BY <by-fields> <fields>`: AggregationGroups, so a number and its
 * text are one value, rows missing a field are skipped, a multivalue field counts once per value, and the
 * count splits into partial states per partition and a merge for several threads). Its groups are then
 * ranked per combination of BY values: count descending for top, ties by the values' text in descending byte
 * order (the reference's `top limit=1 location by user` of Orlando, Dallas, Atlanta, one each, keeps "the
 * last lexicographical value", Orlando); rare is the same order reversed (count ascending, ties ascending).
 * The first `limit` are kept (0: all), each with `count` and `percent`, the count's share of the BY group's
 * total count, with six decimals as the reference's results show it (`33.333333`); `useother=true` adds a row
 * for the combinations cut off, its fields `otherstr` (default `OTHER`). BY groups come out in stats' order
 * of their values; at most TOP_MAX_RESULTS rows in all (Splunk's maxresultrows), with a warning past them.
 */
function topFamily(name: 'top' | 'rare'): AnyCommand {
  const ascending = name === 'rare';
  return defineCommand<TopArgs>({
    name,
    doc: `${name} [N] [limit=N] [countfield=] [percentfield=] [showcount=] [showperc=] [useother=] [otherstr=] <fields> [BY <fields>]: the ${ascending ? 'least' : 'most'} common values, with count and percent.`,
    parse: (p) => parseTop(p, name),
    kind: () => 'transforming',
    orderSensitive: () => false,
    ordersOutput: () => true,
    writes: () => '*',
    emitsOwnRows: () => true,
    outputFields: (a) => ({ fields: new Set([...a.by, ...a.fields, ...(a.showcount ? [a.countfield] : []), ...(a.showperc ? [a.percentfield] : [])]), open: false }),
    create: (args, ctx, next) => {
      const { groups, push } = grouping(args, ctx);
      const ranked = ranking(args, ascending, ctx, next);
      return {
        push,
        end: () => {
          groups.flush(ranked);
          ranked.end();
        },
      };
    },
    splits: (args) => ({
      partial: (ctx) => {
        const { groups, push } = grouping(args, ctx);
        return { push, end: () => {}, state: (plain) => (plain ? groups.partial() : groups), peek: () => groups.partial(true), groups: () => groups.size };
      },
      merge: (ctx, next) => mergeGroups(countingArgs(args))(ctx, ranking(args, ascending, ctx, next)),
    }),
  });
}

export const topCommand = topFamily('top');
export const rareCommand = topFamily('rare');

function parseTop(p: ArgParser, name: string): TopArgs {
  let limit = 10;
  let countfield = 'count';
  let percentfield = 'percent';
  let showcount = true;
  let showperc = true;
  let useother = false;
  let otherstr = 'OTHER';
  const fields: { name: string; span: Span }[] = [];
  const by: { name: string; span: Span }[] = [];
  const first = p.peek('search');
  // `top N`: "Specifying top limit=<int> is the same as specifying top N" (SPL reference, top).
  if (first.kind === 'word' && /^\d+$/.test(first.value)) {
    p.next('search');
    limit = p.parseInt(first.value, first.span);
  }
  for (;;) {
    const o = p.option(OPTIONS);
    if (o) {
      if (o.key === 'limit') {
        limit = p.parseInt(o.value, o.valueSpan);
        // rare: "Specifying a value larger than the maxresultrows produces an error" (SPL reference, rare).
        if (name === 'rare' && limit > TOP_MAX_RESULTS) throw p.error(`rare limit= is at most ${TOP_MAX_RESULTS} (maxresultrows)`, o.valueSpan, 'SPL_BAD_ARGUMENT');
      }
      else if (o.key === 'countfield' || o.key === 'percentfield' || o.key === 'otherstr') {
        if (o.value === '' && o.key !== 'otherstr') throw p.error(`${o.key}= needs a field name`, o.valueSpan, 'SPL_BAD_ARGUMENT');
        if (o.key === 'countfield') countfield = o.value;
        else if (o.key === 'percentfield') percentfield = o.value;
        else otherstr = o.value;
      } else {
        const b = p.parseBool(o.value, o.valueSpan);
        if (o.key === 'showcount') showcount = b;
        else if (o.key === 'showperc') showperc = b;
        else useother = b;
      }
      continue;
    }
    const byWord = p.acceptWord('by');
    if (byWord) {
      if (by.length) throw p.error(`${name} takes one BY clause`, byWord.span);
      const list = p.fieldList(['by']);
      if (list.length === 0) throw p.error('BY needs at least one field', p.peek('search').span);
      by.push(...list);
      continue;
    }
    const t = p.peek('search');
    if (t.kind === 'eof') break;
    const eq = p.peek2('search');
    if (t.kind === 'word' && eq.kind === 'op' && eq.value === '=') throw p.error(`${name} has no option ${t.value} (options: ${OPTIONS.join(', ')})`, t.span, 'SPL_BAD_ARGUMENT');
    if (by.length) throw p.error(`unexpected ${describe(t)} after the BY clause of ${name}`, t.span);
    const list = p.fieldList(['by']);
    if (list.length === 0) throw p.error(`unexpected ${describe(t)}`, t.span);
    fields.push(...list);
  }
  if (fields.length === 0) throw p.error(`${name} needs at least one field, e.g. ${name} process_name`, p.peek('search').span);
  // As stats' BY fields (SPL reference, stats: "you cannot specify | stats count BY source*").
  const wild = [...fields, ...by].find((f) => f.name.includes('*'));
  if (wild) throw p.error(`${name} fields cannot have wildcards (${wild.name})`, wild.span, 'SPL_BAD_ARGUMENT');
  const names = [...by, ...fields].map((f) => f.name);
  // The count's name in the groups' rows, distinct from every field's so that no value hides it.
  let as = ' count';
  while (names.includes(as)) as += ' ';
  const counting: AggregationSpec = { fnName: 'count', blueprint: aggregationFor('count')!, field: null, expr: null, as, span: fields[0]!.span };
  return { fields: fields.map((f) => f.name), by: by.map((f) => f.name), limit, countfield, percentfield, showcount, showperc, useother, otherstr, counting, at: p.nameSpan };
}

/** stats' arguments for the counting: BY the by-fields, then the listed fields. */
function countingArgs(args: TopArgs): { by: string[]; aggregations: AggregationSpec[] } {
  return { by: [...args.by, ...args.fields], aggregations: [args.counting] };
}

function grouping(args: TopArgs, ctx: ExecContext): { groups: AggregationGroups; push: (row: Result) => void } {
  const c = countingArgs(args);
  const groups = new AggregationGroups(new Aggregator(c.aggregations, ctx), c.by);
  return { groups, push: (row) => groups.add(row, row) };
}

/** One combination of the listed fields and its count. */
interface Entry {
  values: Scalar[];
  count: number;
}

/**
 * Takes the counting's rows (one per combination of BY and listed values, in stats' order) and, at their
 * end, emits each BY group's ranked combinations.
 */
function ranking(args: TopArgs, ascending: boolean, ctx: ExecContext, next: Sink): Sink {
  const groups = new Map<string, { by: Scalar[]; entries: Entry[]; total: number }>();
  return {
    push: (row) => {
      const by = args.by.map((f) => row.get(f) as Scalar);
      const key = groupKey(by.map(toText));
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { by, entries: [], total: 0 }));
      const count = row.get(args.counting.as) as number;
      g.entries.push({ values: args.fields.map((f) => row.get(f) as Scalar), count });
      g.total += count;
    },
    end: () => {
      let emitted = 0;
      const emit = (row: Row): boolean => {
        if (emitted === TOP_MAX_RESULTS) {
          ctx.warn(`${ascending ? 'rare' : 'top'} returned its first ${TOP_MAX_RESULTS} results (Splunk's maxresultrows)`, args.at);
          return false;
        }
        emitted++;
        next.push(row);
        return true;
      };
      const order = ascending ? 1 : -1;
      // Combinations are distinct by their texts (stats' groups): a total order, whatever the input order.
      const rank = (a: Entry, b: Entry): number => order * (a.count - b.count || compareTexts(a.values, b.values));
      out: for (const g of groups.values()) {
        const ranked = g.entries.sort(rank);
        const kept = args.limit > 0 ? ranked.slice(0, args.limit) : ranked;
        for (const e of kept) if (!emit(output(args, g.by, e.values, e.count, g.total))) break out;
        if (args.useother && kept.length < ranked.length) {
          let others = g.total;
          for (const e of kept) others -= e.count;
          if (!emit(output(args, g.by, args.fields.map(() => args.otherstr), others, g.total))) break;
        }
      }
      groups.clear();
      next.end();
    },
  };
}

/** Two combinations by their values' texts in byte order, first field first. */
function compareTexts(a: readonly Scalar[], b: readonly Scalar[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = compareText(toText(a[i]!), toText(b[i]!));
    if (d !== 0) return d;
  }
  return 0;
}

function output(args: TopArgs, by: readonly Scalar[], values: readonly Scalar[], count: number, total: number): Row {
  const row = new Row();
  args.by.forEach((f, i) => row.set(f, by[i]!));
  args.fields.forEach((f, i) => row.set(f, values[i]!));
  if (args.showcount) row.set(args.countfield, count);
  if (args.showperc) row.set(args.percentfield, ((100 * count) / total).toFixed(6));
  return row;
}
