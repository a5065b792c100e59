import type { EvalExpr } from '../parse/ast.js';
import type { ArgParser } from '../parse/parser.js';
import { wildcardCount } from '../fields.js';
import { cover, type SourceText, type Span } from '../source.js';
import { spanOption } from '../commands/bin.js';
import { aggregationFor, type AggregationBlueprint } from './aggregations.js';
import { SPARKLINE_FUNCTIONS, sparklineBlueprint, type SparklineSpec } from './sparkline.js';

/** One aggregation of a stats-family command: `values(process) AS process`. */
export interface AggregationSpec {
  fnName: string;
  blueprint: AggregationBlueprint;
  /** The field aggregated, or null for plain `count`. */
  field: string | null;
  /** `count(eval(x>5))`: an expression evaluated per row instead of a field. */
  expr: EvalExpr | null;
  /** The output field name (Splunk's default is the call text, e.g. `values(process)`). */
  as: string;
  span: Span;
  /** `allnum=true` of stats/eventstats/streamstats: a numerical statistic only over values that are all numbers. */
  allnum?: boolean;
  /**
   * stats' and eventstats' `values(*) AS *`, `avg(x*)`: `field` and `as` are patterns with as many `*` each, and the function is
   * computed per matching field (stats/wildcard.ts). `by`: the BY fields, never aggregated by it; `named`: the
   * other aggregations' names, which it never writes.
   */
  wildcard?: { by: string[]; named: string[] };
  /** `sparkline(<fn>(<field>), <span>)` (stats and chart): `field` is the inner function's, `blueprint` sparklineBlueprint's. */
  sparkline?: SparklineSpec;
}

export interface StatsOption {
  value: string;
  span: Span;
  /** The value of an expression option as a source of its own to parse (ArgParser.gluedValue). */
  source?: SourceText | undefined;
}

export interface StatsArgs {
  options: Map<string, StatsOption>;
  aggregations: AggregationSpec[];
  by: string[];
}

/**
 * Parses `[options] agg [AS name] (, agg ...)* [BY field, ...]` shared by stats/eventstats/streamstats.
 * Options in `exprKeys` hold an expression, read as ArgParser.gluedValue reads it. `wildcards`: a function of a
 * field pattern (`values(*) AS *`) is allowed (stats', eventstats'); else it is an error at the pattern.
 */
export function parseStatsArgs(p: ArgParser, optionKeys: readonly string[], exprKeys: readonly string[] = [], wildcards = false, sparklines = false): StatsArgs {
  const options = new Map<string, StatsOption>();
  const aggregations: AggregationSpec[] = [];
  let by: string[] = [];
  for (;;) {
    const o = p.option(optionKeys, exprKeys);
    if (!o) break;
    options.set(o.key, { value: o.value, span: o.valueSpan, source: o.source });
  }
  for (;;) {
    const t = p.peek('search');
    if (t.kind === 'comma') {
      p.next('search');
      continue;
    }
    if (t.kind !== 'word') break;
    const lower = t.value.toLowerCase();
    if (lower === 'by') break;
    const opt = p.option(optionKeys, exprKeys);
    if (opt) {
      options.set(opt.key, { value: opt.value, span: opt.valueSpan, source: opt.source });
      continue;
    }
    aggregations.push(parseAggregation(p, true, wildcards, sparklines));
  }
  if (p.acceptWord('by')) {
    const list = p.fieldList();
    if (list.length === 0) throw p.error('BY needs at least one field', p.peek('search').span);
    // SPL reference, stats: "you cannot specify | stats count BY source*".
    const wild = list.find((f) => f.name.includes('*'));
    if (wild) throw p.error(`BY fields cannot have wildcards (${wild.name})`, wild.span, 'SPL_BAD_ARGUMENT');
    by = list.map((f) => f.name);
  }
  for (;;) {
    const o = p.option(optionKeys, exprKeys);
    if (!o) break;
    options.set(o.key, { value: o.value, span: o.valueSpan, source: o.source });
  }
  const allnum = options.get('allnum');
  if (allnum && p.parseBool(allnum.value, allnum.span)) for (const a of aggregations) a.allnum = true;
  const named = aggregations.filter((a) => !a.wildcard).map((a) => a.as);
  for (const a of aggregations) if (a.wildcard) a.wildcard = { by, named };
  return { options, aggregations, by };
}

/**
 * One aggregation at the parser's position: `fn`, `fn(field)`, `fn(eval(expr))`, each with an optional `AS name`
 * (required after `eval(...)` with `evalNeedsName`: the stats family's rule; tstats refuses eval(...) itself).
 * `wildcards`: `fn(pattern) [AS pattern]` is allowed (its `wildcard` is filled in by parseStatsArgs).
 * `sparklines`: `sparkline[(<fn>[(<field>)][, <span>])]` is allowed (stats', chart's).
 */
export function parseAggregation(p: ArgParser, evalNeedsName = false, wildcards = false, sparklines = false): AggregationSpec {
  const t = p.next('search');
  const lower = t.value.toLowerCase();
  let sparkline: SparklineSpec | undefined;
  let bp = aggregationFor(lower);
  let field: string | null = null;
  let expr: EvalExpr | null = null;
  let end = t.span;
  if (lower === 'sparkline') {
    if (!sparklines) throw p.error('vigil computes sparkline in stats and chart only', t.span, 'SPL_BAD_ARGUMENT');
    ({ sparkline, field, end } = parseSparkline(p, t.span));
    bp = sparklineBlueprint(sparkline.inner);
  } else if (!bp) throw p.error(`unknown statistical function "${t.value}"`, t.span, 'SPL_BAD_ARGUMENT');
  else if (p.peek('search').kind === 'lparen') {
    const open = p.next('search');
    if (p.isWord('eval') && p.peek2('eval').kind === 'lparen') {
      p.next('search');
      p.next('eval');
      expr = p.evalExpr();
      p.expect('rparen', '`)` to close eval(', 'eval');
    } else {
      const f = p.peek('search');
      if (f.kind !== 'word' && f.kind !== 'string') throw p.error(`expected a field name inside ${t.value}( )`, f.span);
      // `values(*) AS *`, `avg(*delay)` elsewhere than in stats and eventstats: an error rather than a silent
      // aggregation of a field literally named `*`.
      if (!wildcards && f.value.includes('*')) throw p.error(`a wildcard field in ${t.value}(${f.value}) is supported by stats and eventstats only: name the fields`, f.span, 'SPL_BAD_ARGUMENT');
      p.next('search');
      field = f.value;
    }
    const close = p.peek('search');
    if (close.kind !== 'rparen') throw p.error(`missing \`)\` to close ${t.value}(`, open.span);
    p.next('search');
    end = close.span;
  } else if (!bp.fieldOptional) {
    // SPL reference, stats, "Statistical functions that are not applied to specific fields": but for count, a
    // function without a field is read as applied to every field (`stats avg` is `stats avg(*)`; deprecated there,
    // still documented). Only where patterns are allowed (stats, eventstats).
    if (!wildcards) throw p.error(`${t.value} needs a field: ${t.value}(field)`, t.span, 'SPL_BAD_ARGUMENT');
    field = '*';
  }
  const callText = p.source.text.slice(t.span.start, end.end);
  const pattern = field !== null && field.includes('*') ? field : null;
  // A wildcard's output names: `values(*)` gives values(<field>) for each field, as a named field's default.
  let as = pattern !== null ? `${t.value}(${pattern})` : callText.replace(/\s+/g, ' ');
  if (p.isWord('as')) {
    p.next('search');
    // `AS aceFlags(inheritance)`: fieldName keeps a parenthesised suffix glued to the name.
    const name = p.fieldName('a name after AS');
    // The matched parts of a field's name carried into its output name, as rename's `a* AS b*` does.
    if (pattern !== null && wildcardCount(name.name) !== wildcardCount(pattern)) {
      throw p.error(`the AS name of ${t.value}(${pattern}) needs as many wildcards as its field (${wildcardCount(pattern)})`, name.span, 'SPL_BAD_ARGUMENT');
    }
    as = name.name;
    end = name.span;
  } else if (expr !== null && evalNeedsName) {
    // Splunk refuses it too ("You must specify a rename for the aggregation specifier on the dynamically
    // evaluated field"): the expression's text is no field name a later command could use.
    throw p.error(`${t.value}(eval(...)) needs a name: add AS <field>`, cover(t.span, end), 'SPL_BAD_ARGUMENT');
  }
  const spec: AggregationSpec = { fnName: lower, blueprint: bp, field, expr, as, span: cover(t.span, end) };
  if (pattern !== null) spec.wildcard = { by: [], named: [] };
  if (sparkline) spec.sparkline = sparkline;
  return spec;
}

/**
 * After `sparkline`: nothing (`count` of events), or `(<fn>[(<field>)][, <span>])` with `fn` one of SPARKLINE_FUNCTIONS
 * (Search Reference, stats: "sparkline (count(<wc-field>), <span-length>)"; `sparkline(count)`, `sparkline(c, 1h)`).
 */
function parseSparkline(p: ArgParser, at: Span): { sparkline: SparklineSpec; field: string | null; end: Span } {
  const sparkline: SparklineSpec = { inner: aggregationFor('count')!, span: null };
  if (p.peek('search').kind !== 'lparen') return { sparkline, field: null, end: at };
  const open = p.next('search');
  const f = p.next('search');
  const fn = f.value.toLowerCase();
  if (f.kind !== 'word' || !SPARKLINE_FUNCTIONS.has(fn)) {
    throw p.error(`sparkline aggregates with one of ${[...SPARKLINE_FUNCTIONS].join(', ')}; found "${f.value}"`, f.span, 'SPL_BAD_ARGUMENT');
  }
  sparkline.inner = aggregationFor(fn)!;
  let field: string | null = null;
  if (p.peek('search').kind === 'lparen') {
    p.next('search');
    const x = p.next('search');
    if (x.kind !== 'word' && x.kind !== 'string') throw p.error(`expected a field name inside ${f.value}( )`, x.span);
    if (x.value.includes('*')) throw p.error(`a sparkline aggregates one field, not a pattern (${x.value})`, x.span, 'SPL_BAD_ARGUMENT');
    field = x.value;
    p.expect('rparen', `\`)\` to close ${f.value}(`);
  } else if (!sparkline.inner.fieldOptional) throw p.error(`${f.value} needs a field: sparkline(${f.value}(field))`, f.span, 'SPL_BAD_ARGUMENT');
  if (p.peek('search').kind === 'comma') {
    p.next('search');
    const s = p.next('search');
    sparkline.span = spanOption(p, s.value, s.span);
    if (sparkline.span.kind === 'log') throw p.error('a sparkline needs a time span such as 5m, not a log span', s.span, 'SPL_BAD_ARGUMENT');
  }
  const close = p.peek('search');
  if (close.kind !== 'rparen') throw p.error('missing `)` to close sparkline(', open.span);
  p.next('search');
  return { sparkline, field, end: close.span };
}
