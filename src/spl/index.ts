/**
 * The SPL engine's public surface: parse (with macro expansion), plan, run.
 *
 *   const results = await runSearch('`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name',
 *                                   { macros, source, now });
 */
import type { EventSource, ScanProgress } from '../events/scan.js';
import type { Result } from '../events/result.js';
import { COMMAND_PARSERS, commandBlueprint } from './commands/index.js';
import { unknownTstatsFields, type TstatsArgs } from './commands/tstats.js';
import type { ExecContext, Sink } from './commands/types.js';
import { CollectSink, createContext, type ExecuteOptions, type ExecuteStats } from './exec/run.js';
import { executeSearch, withSearchSubsearches } from './exec/subsearch.js';
import { NO_LOOKUPS, type LookupProvider } from './lookups.js';
import { compileSearch } from './search/predicate.js';
import { expandMacros, MacroLibrary } from './macros/macros.js';
import type { CommandAst, PipelineAst, SearchExpr } from './parse/ast.js';
import { parsePipeline, type ParseOptions } from './parse/parser.js';
import { planSearch, type SearchPlan, type TimeBound } from './plan/plan.js';
import { explainPlan } from './plan/explain.js';
import { SourceText, type Origin, type Span } from './source.js';
import type { Knowledge } from './datamodel/types.js';
import type { DatasetSummaries } from './datamodel/summaries.js';

export { MacroLibrary, type MacroDefinition } from './macros/macros.js';
export { SplError, type Span } from './source.js';
import { SplError } from './source.js';
export type { PipelineAst } from './parse/ast.js';
export type { SearchPlan, TimeBound } from './plan/plan.js';
export type { ExecuteStats } from './exec/run.js';
export type { LookupProvider, LookupTable } from './lookups.js';
export type { Sink } from './commands/types.js';
export type { Knowledge } from './datamodel/types.js';
export type { DatasetSummaries, SummaryScope, SummaryRead } from './datamodel/summaries.js';
export { explainPlan };
export { statsPushdown } from './plan/pushdown.js';

export interface SearchOptions {
  macros?: MacroLibrary;
  source?: EventSource | null;
  /** The search's now, epoch seconds (default: the clock). */
  now?: number;
  /** Time zone for rendering and snapping (default UTC). */
  tz?: string;
  /** Default time range; the search's own earliest=/latest= win. Default: all time. */
  earliest?: TimeBound;
  latest?: TimeBound;
  defaultIndexes?: readonly string[] | 'all';
  lookups?: LookupProvider;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  onWarning?: (message: string, at?: Span) => void;
  /** Names the search in error messages (e.g. a detection name). */
  name?: string;
  /** For planning without a source: whether events will arrive newest first (default true). */
  sourceNewestFirst?: boolean;
  /** Data models and event types (`ContentPack.knowledge`): tstats, datamodel, from, tag=, eventtype=. */
  knowledge?: Knowledge;
  /** Data model summaries (acceleration): tstats over an accelerated dataset reads them. */
  summaries?: DatasetSummaries;
  /**
   * Resolves when the output can take more rows (null: it can now). The scan waits for it after each batch of
   * events and a generating command between chunks of rows, so rows do not pile up ahead of a slow reader
   * (`vigil search ... | less`: stdout to a pipe is asynchronous, and `| makeresults count=1000000000` filled the heap).
   */
  ready?: () => Promise<void> | null;
  /**
   * checkSearch: the search runs next (vigil run, vigil test), so commands also open what the run needs (iplocation's
   * GeoIP database) and their errors come with the check's, naming the detection. Absent: a check alone (vigil
   * validate), which needs no such resource.
   */
  beforeRun?: boolean;
}

/** Expands macros and parses a search. Throws SplError (with line:column) on any problem. */
export function parseSearch(spl: string, macros: MacroLibrary = new MacroLibrary(), name?: string, opts: ParseOptions = {}): PipelineAst {
  const root: Origin = name ? { kind: 'search', text: spl, name } : { kind: 'search', text: spl };
  const source = expandMacros(spl, macros, root);
  return parsePipeline(source, COMMAND_PARSERS, 0, source.text.length, opts);
}

/**
 * Parses the text of a plan's source (`plan.pipeline.source.text`: macros already expanded) into the same
 * pipeline, offsets included: how another thread gets the plans of a search it was sent.
 */
export function parseExpandedSearch(text: string): PipelineAst {
  return parsePipeline(new SourceText(text), COMMAND_PARSERS, 0, text.length);
}

export function plan(spl: string | PipelineAst, opts: SearchOptions = {}): SearchPlan {
  const ast = typeof spl === 'string' ? parseSearch(spl, opts.macros, opts.name) : spl;
  return planSearch(ast, {
    now: opts.now ?? Date.now() / 1000,
    tz: opts.tz ?? 'UTC',
    earliest: opts.earliest ?? null,
    latest: opts.latest ?? null,
    defaultIndexes: opts.defaultIndexes ?? 'all',
    sourceNewestFirst: opts.source?.newestFirst ?? opts.sourceNewestFirst ?? true,
    knowledge: opts.knowledge ?? null,
  });
}

/** Runs a search, streaming result rows to `output`. */
export async function streamSearch(spl: string | PipelineAst | SearchPlan, opts: SearchOptions, output: Sink): Promise<ExecuteStats> {
  const now = opts.now ?? Date.now() / 1000;
  const p = isPlan(spl) ? spl : plan(spl, { ...opts, now });
  const exec: ExecuteOptions = {
    source: opts.source ?? null,
    now,
    tz: opts.tz ?? 'UTC',
    lookups: opts.lookups ?? NO_LOOKUPS,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
    ...(opts.summaries ? { summaries: opts.summaries } : {}),
    ...(opts.ready ? { ready: opts.ready } : {}),
    ...(opts.macros ? { macros: opts.macros } : {}),
  };
  return executeSearch(p, exec, output);
}

/** Runs a search and collects its results. */
export async function runSearch(spl: string | PipelineAst | SearchPlan, opts: SearchOptions = {}): Promise<{ results: Result[]; stats: ExecuteStats }> {
  const sink = new CollectSink();
  const stats = await streamSearch(spl, opts, sink);
  return { results: sink.rows, stats };
}

/**
 * Fields a search's tstats names that its data model dataset does not have (they have no value, as in
 * Splunk), each with the dataset field it most likely meant: for lints such as `vigil validate`. Empty for
 * other searches.
 */
export function unknownDatasetFields(p: SearchPlan): { name: string; hint: string | null }[] {
  const first = p.stages[0];
  return first?.command.name === 'tstats' ? unknownTstatsFields(first.command.args as TstatsArgs) : [];
}

/** Whether a search starts with a generating command (`| makeresults`, `| inputlookup`): it reads no events. */
export function isGeneratingSearch(pipeline: PipelineAst): boolean {
  const first = pipeline.commands[0];
  const bp = first === undefined ? undefined : commandBlueprint(first.name);
  return bp !== undefined && bp.kind(first!.args) === 'generating' && bp.readsEvents?.(first!.args) !== true;
}

function isPlan(x: string | PipelineAst | SearchPlan): x is SearchPlan {
  return typeof x === 'object' && 'scan' in x;
}

/**
 * Checks a search without running it: macros expand, it parses, every command is supported and every
 * static argument is valid (eval types, regexes, lookups, time formats). Throws the first SplError.
 */
export function checkSearch(spl: string | PipelineAst, opts: SearchOptions = {}): SearchPlan {
  const now = opts.now ?? Date.now() / 1000;
  const p = plan(spl, { ...opts, now });
  checkOperators(p, { now, tz: opts.tz ?? 'UTC', lookups: opts.lookups ?? NO_LOOKUPS, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) }, opts.beforeRun !== true);
  return p;
}

/**
 * Builds the operators of a plan and of its subsearches (as if they returned nothing), raising their static errors:
 * one command at a time in the pipeline's order, a subsearch at its command, so that the error raised is the first
 * (chained as a search runs them, from the last command back, the last one was: `eval x=f1(1) | eval y=f2(1)` said f2).
 */
function checkOperators(planned: SearchPlan, opts: Pick<ExecuteOptions, 'now' | 'tz' | 'lookups' | 'onWarning'>, checking: boolean): void {
  // A search expression's subsearches first (they run first), then the search with each replaced by no result.
  const empty: [SearchExpr, SearchExpr][] = [];
  for (const sub of planned.subsearches) {
    if (sub.expr === null) continue;
    checkOperators(sub.plan, opts, checking);
    empty.push([sub.expr, { kind: 'or', items: [], span: sub.expr.span }]);
  }
  const p = withSearchSubsearches(planned, new Map(empty));
  const ctx: ExecContext = Object.assign(createContext({ ...p, subsearchRows: new Map(p.subsearches.map((s) => [s.command, []])) }, opts), { checking });
  const checkSubsearchesOf = (command: CommandAst): void => {
    for (const sub of p.subsearches) if (sub.expr === null && sub.command === command) checkOperators(sub.plan, opts, checking);
  };
  const none: Sink = { push: () => {}, end: () => {} };
  try {
    if (p.generating) {
      checkSubsearchesOf(p.generating.command);
      p.generating.blueprint.create(p.generating.command.args, ctx, none, p.generating.command);
    } else compileSearch(p.lead, ctx.source);
    for (const s of p.stages) {
      checkSubsearchesOf(s.command);
      s.blueprint.create(s.command.args, ctx, none, s.command);
    }
  } catch (e) {
    if (e instanceof SplError) throw e.withSource(p.pipeline.source);
    throw e;
  }
}
