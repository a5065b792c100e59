import type { Result } from '../../events/result.js';
import type { CommandAst, PipelineAst } from '../parse/ast.js';
import type { ArgParser } from '../parse/parser.js';
import { SplError, type SourceText, type Span } from '../source.js';
import type { EvalContext } from '../eval/functions/types.js';
import type { LookupProvider } from '../lookups.js';
import type { SearchExpr } from '../parse/ast.js';
import type { Knowledge } from '../datamodel/types.js';
import type { EventSource } from '../../events/scan.js';
import type { SummaryScope } from '../datamodel/summaries.js';

/** Where rows go: the next operator, or the search's output. */
export interface Sink {
  push(row: Result): void;
  /** No more input. Transforming operators emit their output here. */
  end(): void;
}

/** What a running search gives its operators. */
export interface ExecContext extends EvalContext {
  source: SourceText;
  lookups: LookupProvider;
  /** The search's time range after all modifiers (epoch seconds; null = unbounded). */
  earliest: number | null;
  latest: number | null;
  /** Non-fatal problems worth telling the user (e.g. a value limit was hit). */
  warn(message: string, at?: Span): void;
  /** Operators that need no more input call this (head); the executor stops reading. */
  halt(): void;
  readonly halted: boolean;
  /**
   * The search was stopped from outside (cancelled, past its time limit: its signal aborted). Unlike `halted`, a `head`
   * does not set it: an operator running work after its input ended (map) tells the two apart. Absent: never.
   */
  readonly aborted?: boolean;
  /** Resolves when the output can take more rows (null: it can now); a generating command waits for it between chunks. */
  ready?(): Promise<void> | null;
  /**
   * The operators are built only to raise the search's static errors (checkSearch without `beforeRun`: `vigil validate`): no row will
   * come, so a command does not open what only a run needs (iplocation's GeoIP database). Absent: a run.
   */
  readonly checking?: boolean;
  /** Data model summaries this search may read (tstats), when the caller has them. */
  summaries?: SummaryScope;
  /**
   * An event-reading command that answers part of its input from elsewhere (tstats from summaries) sets the
   * events the executor still reads: the remainder, or null for none. Called while operators are built.
   */
  readFrom?(source: EventSource | null): void;
  /**
   * The results of the subsearches of this search's commands (`join ... [ ... ]`; one list per subsearch, in the
   * command's order: `union [ ... ] [ ... ]`), run before its events are read (exec/subsearch.ts `runSubsearches`).
   * Absent on a path that does not run them: such a command then fails.
   */
  subsearchRows?: ReadonlyMap<CommandAst, readonly (readonly Result[])[]>;
  /**
   * Runs a search of its own (map's, once per result; exec/subsearch.ts `searchRunner`): its text macro-expanded,
   * planned as this search's subsearches are (same events, default time range), its rows pushed to `output` (not
   * ended). Absent on a path that cannot run one (a shared scan, a partition).
   */
  runSearch?(text: string, output: Sink, signal: AbortSignal): Promise<void>;
  /**
   * Asynchronous work an operator starts at its `end()` (map's searches), which must then end its next operator
   * itself: the executor awaits it before the search is done. Absent where nothing awaits it.
   */
  defer?(work: () => Promise<void>): void;
}

/** A command's subsearch: run first, its results (at most `maxRows`, for at most `maxSeconds`) given to the command. */
export interface SubsearchSpec {
  pipeline: PipelineAst;
  maxRows: number;
  maxSeconds: number;
  /** What the limits are called in warnings (Splunk's limits.conf names). */
  limitNames: { rows: string; seconds: string };
}

/**
 * - `generating`: produces rows and must come first (`| makeresults`, `| inputlookup`).
 * - `streaming`: handles each row on its own, in any order (eval, where, rename...).
 * - `transforming`: needs all its input before it can emit (stats, sort, eventstats...).
 */
export type CommandKind = 'generating' | 'streaming' | 'transforming';

/** A bound on the rows a command reads of its input (`readsAtMost`). */
export interface ReadBound {
  rows: number;
  from: 'start' | 'end';
}

/**
 * An SPL command as a blueprint: how to parse its arguments and how to run it. One file per
 * command under spl/commands/, registered in spl/commands/index.ts.
 */
export interface CommandBlueprint<A> {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** One line for `vigil validate` and docs. */
  readonly doc: string;
  parse(p: ArgParser): A;
  kind(args: A): CommandKind;
  /** True when the output depends on the order of the input (first/last/list/dedup/head/streamstats). */
  orderSensitive(args: A): boolean;
  /** True when the output order is set by the command whatever the input order (stats, sort, generators). */
  ordersOutput?(args: A): boolean;
  /**
   * The most rows of its input the command can read, counted from the start (`head N`) or the end (`tail N`) of
   * that input: a newest-first sort in front of it (files) keeps only those instead of every event's rows. Absent
   * or null: any.
   */
  readsAtMost?(args: A): ReadBound | null;
  /**
   * Fields this command may create or change: the optimizer only derives early filters from fields no
   * earlier command touched. `'*'` means "any field".
   */
  writes(args: A): readonly string[] | '*';
  /**
   * True when the command only reads the rows it receives and emits rows of its own (stats, table): a
   * scan shared by several searches can then hand it the same event row as the others (exec/multi.ts).
   */
  emitsOwnRows?(args: A): boolean;
  /**
   * The fields of the output given those of the input, for commands whose output is not simply their
   * input plus `writes` (stats, table, fields, rename). Used by `vigil validate` lints.
   */
  outputFields?(args: A, input: FieldSchema): FieldSchema;
  /** Builds the operator. Static problems (bad regex, type errors) must be raised here, before data flows. */
  create(args: A, ctx: ExecContext, next: Sink, cmd: CommandAst): Sink;
  /**
   * For a command that aggregates (stats): how its work splits into a partial state per partition and a
   * merge of those states, so that a search can run over partitions on several threads (spl/plan/split.ts);
   * null when these arguments do not split (a function without merge). Absent: never.
   */
  splits?(args: A): AggregationSplit | null;
  /**
   * True for a command that runs searches while the search runs (map, or appendpipe holding one: ExecContext.runSearch):
   * the search then runs on one thread, on its own (not from a shared scan), without pushdown of its stats.
   */
  runsSearches?(args: A): boolean;
  /** A command with a subsearch (`join`): the planner plans it with the search, the executor runs it first. */
  subsearch?(args: A): SubsearchSpec;
  /** A command with several subsearches (`union`, `multisearch`, `set`): as `subsearch`, each run in turn. */
  subsearches?(args: A): readonly SubsearchSpec[];
  /**
   * A command holding a search expression (`search`, tstats' WHERE): its subsearches (`[ ... ]`) run first and
   * are replaced by their results as `format` writes them (exec/subsearch.ts), then the search is planned again.
   * `of` gives the expression, `with` the arguments holding another one.
   */
  searchExpression?: { of(args: A): SearchExpr | null; with(args: A, expr: SearchExpr | null): A };
  /** Generating commands produce their rows here. */
  generate?(args: A, ctx: ExecContext, next: Sink, cmd: CommandAst): Promise<void> | void;
  /**
   * True for a command that starts a search and reads events itself (tstats, `datamodel ... search`,
   * `from datamodel`): it is first in the search like a generating command, but the engine scans events for
   * it, with the pushdowns of `eventQuery`, and pushes them into its operator (`create`).
   */
  readsEvents?(args: A): boolean;
  /** The events such a command reads, resolved against the data models and event types (plan time). */
  eventQuery?(args: A, env: EventQueryEnv): EventQuery<A>;
}

/** The two halves of a split aggregation (`CommandBlueprint.splits`). Static errors are raised by `create`. */
export interface AggregationSplit {
  /**
   * Aggregates one partition's rows; after `end()`, `state(true)` is its share as plain data
   * (structured-clone-able, for another thread), `state(false)` may be the live state (merged on this thread).
   * `peek()`, when given, is the share so far, as `state(true)`, and the partial goes on (the match index's time slices);
   * it may hold the live arrays: copy it before pushing more. `groups()` (given with it) is how many groups it holds.
   */
  partial(ctx: ExecContext): Sink & { state(plain: boolean): unknown; peek?(): unknown; groups?(): number };
  /** Merges the partitions' states in partition order; `end()` emits what the command emits at its end. */
  merge(ctx: ExecContext, next: Sink): { merge(state: unknown): void; end(): void };
}

export interface EventQueryEnv {
  knowledge: Knowledge | null;
  /** The search's text (for errors). */
  source: SourceText;
}

export interface EventQuery<A> {
  /** The arguments bound to what was resolved (a compiled dataset): the operator is created from these. */
  args: A;
  /** Events the command reads match this: the engine checks it (and pushes it down) before the command sees an event. */
  lead: SearchExpr | null;
  /**
   * A necessary condition on the events' own fields, for pushdowns only (metadata, raw-text prefilter, and
   * its top-level `earliest=`/`latest=`, which set the search's time range); never evaluated.
   */
  prefilter: SearchExpr | null;
}

/** What is statically known about the fields of results: `open` means other fields may exist too. */
export interface FieldSchema {
  fields: ReadonlySet<string>;
  open: boolean;
}

/** The type-erased form kept in the command table. */
export type AnyCommand = CommandBlueprint<unknown>;

export function defineCommand<A>(bp: CommandBlueprint<A>): AnyCommand {
  return bp as unknown as AnyCommand;
}

/** The results of `cmd`'s subsearch (run before the search: ExecContext.subsearchRows), or an error where none ran. */
export function subsearchRowsOf(ctx: ExecContext, cmd: CommandAst): readonly Result[] {
  return subsearchResultsOf(ctx, cmd)[0] ?? [];
}

/** The results of each of `cmd`'s subsearches, in its order (`CommandBlueprint.subsearches`), or an error where none ran. */
export function subsearchResultsOf(ctx: ExecContext, cmd: CommandAst): readonly (readonly Result[])[] {
  const rows = ctx.subsearchRows?.get(cmd);
  if (rows === undefined) {
    throw new SplError('SPL_UNSUPPORTED_COMMAND', `${cmd.name}: its subsearch cannot run on this path (a search with a subsearch runs on one thread, not incrementally)`, cmd.nameSpan, ctx.source);
  }
  return rows;
}
