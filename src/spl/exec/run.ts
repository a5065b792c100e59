import type { EventSource, ScanProgress } from '../../events/scan.js';
import { checkHeap, collectionLimitError } from './heap-guard.js';
import type { Result } from '../../events/result.js';
import type { Event } from '../../events/event.js';
import { eventResult } from '../../normalize/event-result.js';
import type { ExecContext, Sink } from '../commands/types.js';
import type { LookupProvider } from '../lookups.js';
import { compileSearch } from '../search/predicate.js';
import { tooLongError } from '../eval/compile.js';
import { SplError, type Span } from '../source.js';
import type { SearchPlan } from '../plan/plan.js';
import { statsPushdown } from '../plan/pushdown.js';
import { NewestFirst, Retrieval } from './newest-first.js';
import type { DatasetSummaries } from '../datamodel/summaries.js';
import type { MacroLibrary } from '../macros/macros.js';

export interface ExecuteOptions {
  source: EventSource | null;
  now: number;
  tz: string;
  lookups: LookupProvider;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  onWarning?: (message: string, at?: Span) => void;
  /** Data model summaries (vigil serve's acceleration): tstats reads them where they cover. */
  summaries?: DatasetSummaries;
  /** See `SearchOptions.ready`. */
  ready?: () => Promise<void> | null;
  /** Macros for the searches a command runs (map's: their text is expanded when it is filled in). */
  macros?: MacroLibrary;
  /** See `ExecContext.runSearch` (set by exec/subsearch.ts `executeSearch` for a plan that runs searches). */
  runSearch?: ExecContext['runSearch'];
}

export interface ExecuteStats {
  /** Events delivered by the source (after its pushdowns). */
  eventsScanned: number;
  /** Events that matched the leading search. */
  eventsMatched: number;
  results: number;
  durationMs: number;
  /** The first stats was computed by the source (plan/pushdown.ts): the events were counted, not read. */
  pushedDown?: boolean;
  /** Rows the source reports it read for the search (a store that says: ClickHouse's summary), when known. */
  rowsRead?: number;
}

/**
 * Runs a plan: builds the operator chain (raising static errors before any data is read), then pushes
 * events from the source (or a generating command) through it. Output rows go to `output`.
 */
export async function executePlan(plan: SearchPlan, opts: ExecuteOptions, output: Sink): Promise<ExecuteStats> {
  const started = performance.now();
  const ctx = createContext(plan, opts);
  // An event-reading command may narrow what is scanned (tstats answering from summaries).
  let source = opts.source;
  if (opts.summaries && !plan.generating) {
    ctx.summaries = opts.summaries.forScan(plan.scan);
    ctx.readFrom = (s) => {
      source = s;
    };
  }
  const stats: ExecuteStats = { eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0 };
  const counting = countingSink(output, stats);
  // What operators started at their end (map's searches): the search is done when they are.
  const deferred: Promise<void>[] = [];
  ctx.defer = (work) => {
    const p = work();
    // Awaited below in order; a later one failing first must not be an unhandled rejection meanwhile.
    p.catch(() => {});
    deferred.push(p);
  };
  try {
    const sink = buildOperators(plan, ctx, counting);
    if (plan.generating) {
      const g = plan.generating;
      const gen = g.blueprint.generate;
      if (!gen) throw new SplError('SPL_UNSUPPORTED_COMMAND', `${g.command.name} cannot generate results`, g.command.nameSpan, ctx.source);
      // A generating command's rows are looked at as the scan's batches are: `| makeresults count=100000000 | eventstats
      // count` held them all and V8 aborted the process (signal 6, every result lost).
      await gen(g.command.args, ctx, heapChecked(sink, plan.pipeline.span, ctx), g.command);
      sink.end();
    } else {
      if (!opts.source) throw new SplError('SPL_BAD_ARGUMENT', 'this search reads events but no event source was given', plan.pipeline.span, ctx.source);
      const lead = compileSearch(plan.lead, ctx.source);
      const lo = plan.earliest ?? -Infinity;
      const hi = plan.latest ?? Infinity;
      // A search reading nothing of an event but its time and metadata (a stats a source could count) says so: the
      // store then does not copy every row to another thread for fields nobody reads (store/CONTEXT.md, "Reads").
      const request = typeof statsPushdown(plan) === 'string' ? plan.scan : { ...plan.scan, metadataOnly: true };
      const it = (source ?? EMPTY_SOURCE).scan(request, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
      outer: for await (const batch of it) {
        for (const ev of batch) {
          stats.eventsScanned++;
          if (ev._time < lo || ev._time >= hi) continue;
          const row = eventRow(ev, plan);
          if (!lead(row)) continue;
          stats.eventsMatched++;
          sink.push(row);
          if (ctx.halted) break outer;
        }
        if (opts.signal?.aborted) break;
        checkHeap(plan.pipeline.span, ctx.source);
        const backedUp = opts.ready?.();
        if (backedUp) await backedUp;
      }
      sink.end();
    }
    for (let i = 0; i < deferred.length; i++) await deferred[i];
  } catch (e) {
    if (e instanceof SplError) throw e.withSource(ctx.source);
    // eval and where place such an error at their expression; from any other command it is the search's.
    throw collectionLimitError(tooLongError(e, plan.pipeline.span, ctx.source), plan.pipeline.span, ctx.source);
  }
  stats.durationMs = performance.now() - started;
  return stats;
}

const EMPTY_SOURCE: EventSource = {
  newestFirst: true,
  async *scan() {},
};

/** A raw event as a row of `plan`: lazily extracted fields, and the `eventtype`/`tag` of its knowledge. */
/** `output`, counting in `stats.results` the rows pushed to it. */
export function countingSink(output: Sink, stats: ExecuteStats): Sink {
  return {
    push: (r) => {
      stats.results++;
      output.push(r);
    },
    end: () => output.end(),
  };
}

export function eventRow(e: Event, plan: SearchPlan): Result {
  return eventResult(e, plan.knowledge?.derived ?? null);
}

/** The context operators of one run of `plan` see. */
export function createContext(plan: SearchPlan, opts: Pick<ExecuteOptions, 'now' | 'tz' | 'lookups' | 'onWarning' | 'ready' | 'signal' | 'runSearch'>): ExecContext {
  let halted = false;
  return {
    ...(opts.ready ? { ready: opts.ready } : {}),
    ...(opts.runSearch ? { runSearch: opts.runSearch } : {}),
    now: opts.now,
    tz: opts.tz,
    source: plan.pipeline.source,
    lookups: opts.lookups,
    earliest: plan.earliest,
    latest: plan.latest,
    ...(plan.subsearchRows ? { subsearchRows: plan.subsearchRows } : {}),
    warn: (m, at) => opts.onWarning?.(m, at),
    halt: () => {
      halted = true;
    },
    // An aborted search stops its generating commands too (a subsearch past its limits: exec/subsearch.ts).
    get halted() {
      return halted || opts.signal?.aborted === true;
    },
    get aborted() {
      return opts.signal?.aborted === true;
    },
  };
}

/**
 * Builds the operator chain of a plan in front of `output`, inserting newest-first sorts where the plan
 * asks for them (behind a first operator that notes each event's original time). Every static check of
 * every command (types, regexes, lookups) happens here.
 */
export function buildOperators(plan: SearchPlan, ctx: ExecContext, output: Sink): Sink {
  const retrieval = plan.sortAtEnd || plan.stages.some((s) => s.sortBefore) ? new Retrieval() : null;
  const sink = buildStages(plan, 0, plan.stages.length, plan.sortAtEnd, ctx, output, retrieval);
  if (plan.generating) plan.generating.blueprint.create(plan.generating.command.args, ctx, sink, plan.generating.command);
  else compileSearch(plan.lead, ctx.source);
  return retrieval ? retrieval.tap(sink) : sink;
}

/**
 * The operators of stages [from, to) in front of `output`, with the plan's newest-first sorts before a
 * stage (and at the end with `sortAtEnd`) reading each row's event from `retrieval`.
 */
export function buildStages(plan: SearchPlan, from: number, to: number, sortAtEnd: boolean, ctx: ExecContext, output: Sink, retrieval: Retrieval | null): Sink {
  const checked = (next: Sink): Sink => heapChecked(next, plan.pipeline.span, ctx);
  let sink: Sink = sortAtEnd ? new NewestFirst(checked(output), retrieval!) : output;
  for (let i = to - 1; i >= from; i--) {
    const s = plan.stages[i]!;
    sink = s.blueprint.create(s.command.args, ctx, s.blueprint.kind(s.command.args) === 'streaming' ? sink : checked(sink), s.command);
    // In front of `head N`/`tail N`, the sort holds only what they can read, not every event's rows.
    if (s.sortBefore) sink = new NewestFirst(checked(sink), retrieval!, s.blueprint.readsAtMost?.(s.command.args) ?? null);
  }
  return sink;
}

/** Rows between two looks at the heap while a stage that held its input releases it. */
const HEAP_CHECK_ROWS = 256;

/**
 * `next` with the heap looked at every HEAP_CHECK_ROWS rows: behind a stage that holds its input (a newest-first
 * sort, sort, eventstats...), whose rows all flow at its end, after the scan's per-batch look (`| autoregress x
 * p=1-10000` behind the sort of 20k events made rows of 10,000 fields there: V8 aborted at 4 GB, no error).
 */
function heapChecked(next: Sink, at: Span, ctx: ExecContext): Sink {
  let rows = 0;
  return {
    push: (r) => {
      if (++rows === HEAP_CHECK_ROWS) {
        rows = 0;
        checkHeap(at, ctx.source);
      }
      next.push(r);
    },
    end: () => next.end(),
  };
}

/** Collects results into an array. */
export class CollectSink implements Sink {
  readonly rows: Result[] = [];
  push(r: Result): void {
    this.rows.push(r);
  }
  end(): void {}
}
