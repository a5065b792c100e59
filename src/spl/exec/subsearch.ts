/**
 * Subsearches: as in Splunk, each runs to its end before the search that holds it reads an event, over the same
 * source and default time range, its results bounded by its limits. A command's (`join ... [ ... ]`) are what its
 * operator gets (ExecContext.subsearchRows); one in a search expression (`search x [ ... ]`, tstats' WHERE) is replaced by its
 * results as Splunk's `format` writes them, and the search is planned again with them (so they are pushed down).
 * Nested subsearches run first, depth first.
 */
import type { Result } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import type { CommandAst, PipelineAst, SearchExpr } from '../parse/ast.js';
import { parsePipeline, parseSearchSource } from '../parse/parser.js';
import { COMMAND_PARSERS } from '../commands/index.js';
import { MAX_SEARCH_TEXT_CHARS } from '../commands/format.js';
import { expandMacros, MacroLibrary } from '../macros/macros.js';
import type { Sink } from '../commands/types.js';
import { planSearch, searchExpressionOf, withSearchExpression, type PlannedSubsearch, type SearchPlan } from '../plan/plan.js';
import { SourceText, SplError, type Span } from '../source.js';
import { executePushedStats } from './pushdown.js';
import { executePlan, type ExecuteOptions, type ExecuteStats } from './run.js';

/**
 * Runs a plan: its subsearches first, then the first stats in the event source where it can (ClickHouse), else
 * a scan.
 */
export async function executeSearch(plan: SearchPlan, opts: ExecuteOptions, output: Sink): Promise<ExecuteStats> {
  const bound = await runSubsearches(plan, opts);
  // A search running searches (map) ends after them, which a pushed-down stats' final part does not wait for.
  if (plan.runsSearches) return executePlan(bound, { ...opts, runSearch: searchRunner(plan, opts) }, output);
  return (await executePushedStats(bound, opts, output)) ?? executePlan(bound, opts, output);
}

/**
 * How `plan`'s commands run a search of their own (map's, per result: ExecContext.runSearch): its text expanded with
 * the search's macros, planned as its subsearches are (its options: the same events, the default time range), run
 * with its options under `signal` (stopped with the search too). A search that itself runs searches is refused: a map
 * in map's search would multiply the scans.
 */
function searchRunner(plan: SearchPlan, opts: ExecuteOptions): NonNullable<ExecuteOptions['runSearch']> {
  const macros = opts.macros ?? new MacroLibrary();
  return async (text, output, signal) => {
    const source = expandMacros(text, macros, { kind: 'search', text, name: 'map search' });
    const inner = planSearch(parsePipeline(source, COMMAND_PARSERS, 0, source.text.length), plan.options);
    const nested = inner.stages.find((s) => s.blueprint.runsSearches?.(s.command.args));
    if (nested) throw new SplError('SPL_UNSUPPORTED_COMMAND', `a search run by map cannot run searches itself ("${nested.command.name}")`, nested.command.nameSpan, source);
    const outer = opts.signal;
    await executeSearch(inner, { ...opts, signal: outer ? AbortSignal.any([outer, signal]) : signal }, output);
  };
}

/** `plan` with the results of its subsearches (the plan itself when it has none, or they already ran). */
export async function runSubsearches(plan: SearchPlan, opts: ExecuteOptions): Promise<SearchPlan> {
  if (plan.subsearches.length === 0 || plan.subsearchRows) return plan;
  const rows = new Map<CommandAst, Result[][]>();
  const formatted = new Map<SearchExpr, SearchExpr>();
  for (const s of plan.subsearches) {
    const found = await collect(s, opts);
    if (s.expr) formatted.set(s.expr, formatResults(found, s.expr.span, plan.pipeline.source));
    else rows.set(s.command, [...(rows.get(s.command) ?? []), found]);
  }
  return { ...withSearchSubsearches(plan, formatted), subsearchRows: rows };
}

/**
 * `plan` planned again with the subsearches of its search expressions replaced (`formatted`: by node); its
 * commands' subsearches stay (the same command objects, which their results are keyed by).
 */
export function withSearchSubsearches(plan: SearchPlan, formatted: ReadonlyMap<SearchExpr, SearchExpr>): SearchPlan {
  if (formatted.size === 0) return plan;
  const replace = (e: SearchExpr): SearchExpr => {
    const f = formatted.get(e);
    if (f !== undefined) return f;
    if (e.kind === 'and' || e.kind === 'or') return { ...e, items: e.items.map(replace) };
    if (e.kind === 'not') return { ...e, expr: replace(e.expr) };
    return e;
  };
  const commands = plan.pipeline.commands.map((c) => {
    const expr = searchExpressionOf(c);
    return expr === null ? c : withSearchExpression(c, replace(expr));
  });
  const pipeline: PipelineAst = { ...plan.pipeline, commands };
  return planSearch(pipeline, plan.options);
}

/**
 * A subsearch's results as the search expression Splunk's `format` gives them: each result the AND of its fields'
 * values (a multivalue as an OR of them; internal `_` fields left out; a `search` field's first value read as
 * search text, as `format` and `return` write it, an empty one no condition; a `query` field's values as quoted
 * terms), the results OR-ed: no result, an OR of nothing, matches no event.
 */
function formatResults(rows: readonly Result[], at: Span, source: SourceText): SearchExpr {
  const items: SearchExpr[] = [];
  // The search texts parsed here are bounded as format's and return's are: a row's field can be megabytes.
  let textChars = 0;
  for (const r of rows) {
    const terms: SearchExpr[] = [];
    for (const field of r.fieldNames()) {
      if (field.startsWith('_')) continue;
      // "When you use "search", the first value of the field is used as the actual search term" (Search Manual).
      const values = valuesOf(r.get(field)).map(toText);
      if (field === 'search') values.splice(1);
      const parts = values.flatMap((value): SearchExpr[] => {
        if (field === 'search') {
          textChars += value.length;
          if (textChars > MAX_SEARCH_TEXT_CHARS) {
            throw new SplError('SPL_RUNTIME', `a subsearch's "search" fields hold more than ${MAX_SEARCH_TEXT_CHARS.toLocaleString('en-US')} characters of search text`, at, source);
          }
          let e: SearchExpr | null;
          try {
            e = parseSearchSource(new SourceText(value));
          } catch (err) {
            // The text came from the data: the error is the subsearch's, at it, quoting the text.
            if (!(err instanceof SplError)) throw err;
            throw new SplError(err.code, `a subsearch's "search" field is not a search (${err.message}): ${value.length > 200 ? value.slice(0, 200) + '...' : value}`, at, source);
          }
          // An empty text (`return` over no result) is no condition, as `()`: "If index=A test_errror returns 0
          // events, the subsearch returns an empty string. The final result of the full search is all events from
          // index=B" (return reference).
          return [e ?? { kind: 'and', items: [], span: at }];
        }
        const v = { value, quoted: true, span: at };
        if (field === 'query') return [{ kind: 'term', value: v, caseSensitive: false, exactTerm: false, span: at }];
        // format's text `earliest="..."` is a time modifier to the search that reads it, as the parser reads it.
        const time = field.toLowerCase();
        if (time === 'earliest' || time === 'latest') return [{ kind: 'time', which: time, value: v, span: at }];
        return [{ kind: 'compare', field, fieldSpan: at, op: '=', value: v, caseSensitive: false, span: at }];
      });
      if (parts.length > 0) terms.push(parts.length === 1 ? parts[0]! : { kind: 'or', items: parts, span: at });
    }
    if (terms.length > 0) items.push(terms.length === 1 ? terms[0]! : { kind: 'and', items: terms, span: at });
  }
  // One result is its terms themselves, as Splunk's text is: `[... | return earliest]` gives `earliest="..."`, a time
  // modifier of the search (under an OR of one it would be refused as inside OR).
  return items.length === 1 ? items[0]! : { kind: 'or', items, span: at };
}

/** One subsearch's results: at most `maxRows` (the rest dropped), finalized after `maxSeconds`, with a warning each. */
async function collect(s: PlannedSubsearch, opts: ExecuteOptions): Promise<Result[]> {
  const { spec, command } = s;
  const stop = new AbortController();
  const outer = opts.signal;
  const onOuterAbort = (): void => stop.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, spec.maxSeconds * 1000);
  timer.unref?.();
  const rows: Result[] = [];
  let dropped = false;
  let pushed = 0;
  const started = performance.now();
  const sink: Sink = {
    push: (r) => {
      if (rows.length < spec.maxRows) rows.push(r);
      else if (!dropped) {
        dropped = true;
        stop.abort();
      }
      // A command producing rows without yielding (makeresults) never lets the timer run: the time is read here too.
      if (++pushed % 1024 === 0 && !timedOut && performance.now() - started > spec.maxSeconds * 1000) {
        timedOut = true;
        stop.abort();
      }
    },
    end: () => {},
  };
  try {
    await executeSearch(s.plan, { ...opts, signal: stop.signal }, sink);
  } catch (e) {
    // Stopped by its own limits: what it found so far stands, as a finalized Splunk subsearch's does.
    if (!(stop.signal.aborted && !outer?.aborted)) throw e;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
  const name = command.name;
  if (dropped) opts.onWarning?.(`${name}: the subsearch's results were cut to their first ${spec.maxRows} rows (${spec.limitNames.rows})`, command.nameSpan);
  if (timedOut) opts.onWarning?.(`${name}: the subsearch was stopped after ${spec.maxSeconds} s (${spec.limitNames.seconds}); its results so far are used`, command.nameSpan);
  return rows;
}
