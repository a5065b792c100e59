import { INDEXED_FIELDS, metadataPredicate, narrowestIndexed, type EventSource, type IndexedFieldCondition, type MetadataConstraint, type RawFilter, type ScanProgress, type ScanRequest } from '../../events/scan.js';
import type { Event } from '../../events/event.js';
import { rowLayout, WrittenRow, type Result, type RowLayout } from '../../events/result.js';
import type { ExecContext, Sink } from '../commands/types.js';
import type { LookupProvider } from '../lookups.js';
import type { SearchPlan } from '../plan/plan.js';
import { compileSearch } from '../search/predicate.js';
import { checkHeap, collectionLimitError } from './heap-guard.js';
import { SplError, type Span } from '../source.js';
import { buildOperators, countingSink, createContext, eventRow, type ExecuteStats } from './run.js';

export interface ManyOptions {
  source: EventSource;
  now: number;
  tz: string;
  lookups: LookupProvider;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  onWarning?: (planIndex: number, message: string, at?: Span) => void;
}

/**
 * Runs several event searches in one pass over the source (a detection pack, or a scheduled run of
 * every detection over the same window): each event is read, parsed and normalized once, then offered
 * to every search whose time range, metadata and leading search it matches. The source gets the union of
 * the searches' pushdowns (a raw-text prefilter that any search could need).
 */
export async function executeMany(plans: readonly SearchPlan[], outputs: readonly Sink[], opts: ManyOptions): Promise<ExecuteStats[]> {
  const started = performance.now();
  const runs = plans.map((plan, i) => {
    if (plan.generating) throw new SplError('SPL_BAD_ARGUMENT', 'a generating search cannot share a scan', plan.generating.command.nameSpan, plan.pipeline.source);
    const ctx = createContext(plan, { now: opts.now, tz: opts.tz, lookups: opts.lookups, onWarning: (m, at) => opts.onWarning?.(i, m, at) });
    const stats: ExecuteStats = { eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0 };
    const counting = countingSink(outputs[i]!, stats);
    return searchRun(plan, ctx, stats, (c) => buildOperators(plan, c, counting));
  });
  await shareScan(plans, runs, opts.source, unionRequest(plans.map((p) => p.scan)), opts);
  runs.forEach((r, i) => {
    try {
      r.sink.end();
    } catch (e) {
      throw collectionLimitError(e, plans[i]!.pipeline.span, r.ctx.source);
    }
  });
  const ms = performance.now() - started;
  return runs.map((r) => ({ ...r.stats, durationMs: ms }));
}

/** One search of a shared scan: its operators and the tests an event must pass to reach them. */
export interface SearchRun {
  sink: Sink;
  lead: (row: Result) => boolean;
  meta: (e: Event) => boolean;
  lo: number;
  hi: number;
  ctx: ExecContext;
  stats: ExecuteStats;
}

/** A search's run over a shared scan, its operators made by `build` (static errors carry the search's text). */
export function searchRun(plan: SearchPlan, ctx: ExecContext, stats: ExecuteStats, build: (ctx: ExecContext) => Sink): SearchRun {
  try {
    return {
      sink: build(ctx),
      lead: compileSearch(plan.lead, ctx.source),
      meta: metadataPredicate(plan.scan),
      lo: plan.earliest ?? -Infinity,
      hi: plan.latest ?? Infinity,
      ctx,
      stats,
    };
  } catch (e) {
    if (e instanceof SplError) throw e.withSource(ctx.source);
    throw e;
  }
}

export interface ShareOptions {
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  /** Called after each batch of events the source delivered (a partition hands its rows on here). */
  afterBatch?: () => void | Promise<void>;
}

/**
 * Reads `source` once with `request` and offers each event to every run whose time range, metadata and
 * leading search it matches (runs that halted stop getting events). Does not end the runs' sinks.
 */
export async function shareScan(plans: readonly SearchPlan[], runs: readonly SearchRun[], source: EventSource, request: ScanRequest, opts: ShareOptions): Promise<void> {
  // Operators may write fields: a search whose operators could write to event rows gets its own overlay on
  // the shared extraction (a clone); the others, and a lone search, get the event row itself.
  const copy = runs.length > 1 ? plans.map(writesEventRows) : plans.map(() => false);
  const written = plans.map((p, i) => (copy[i] ? writtenLayout(p) : null));
  let active = runs.map((_, i) => i).filter((i) => !runs[i]!.ctx.halted);
  const routes = new MetadataRoutes(runs, plans);
  const sameKnowledge = plans.length > 0 && plans.every((p) => p.knowledge === plans[0]!.knowledge);
  // Events seen so far; a search's eventsScanned is this count while it was active.
  let seen = 0;
  // The search whose operators are running: a JavaScript size limit met there is that search's error.
  let current = 0;
  if (active.length > 0) {
    try {
      outer: for await (const batch of source.scan(request, { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) })) {
        for (const ev of batch) {
          seen++;
          const admitted = routes.of(ev, active);
          if (admitted.length === 0) continue;
          // One row per event shared by the searches, when they were planned with the same knowledge (its
          // eventtype/tag fields are part of the row); otherwise one each.
          const shared = sameKnowledge ? eventRow(ev, plans[0]!) : null;
          for (const i of admitted) {
            const r = runs[i]!;
            const row: Result = shared ?? eventRow(ev, plans[i]!);
            if (ev._time < r.lo || ev._time >= r.hi || !r.lead(row)) continue;
            r.stats.eventsMatched++;
            const w = written[i]!;
            current = i;
            r.sink.push(w !== null ? new WrittenRow(row, w) : copy[i] ? row.clone() : row);
            if (r.ctx.halted) {
              r.stats.eventsScanned += seen;
              active = active.filter((j) => j !== i);
              routes.clear();
              if (active.length === 0) break outer;
            }
          }
        }
        if (opts.afterBatch) await opts.afterBatch();
        if (opts.signal?.aborted) break;
        if (plans.length > 0) checkHeap(plans[0]!.pipeline.span, runs[0]!.ctx.source);
      }
    } catch (e) {
      throw collectionLimitError(e, plans[current]!.pipeline.span, runs[current]!.ctx.source);
    }
  }
  for (const i of active) runs[i]!.stats.eventsScanned += seen;
}

/** Distinct metadata combinations remembered before the routes are forgotten (events may carry any host). */
const MAX_ROUTES = 4096;

/**
 * Which active runs an event's metadata (index, sourcetype, source, host) admits, tested once per
 * combination instead of once per event and run: a pack's searches each test a sourcetype, and as the
 * events alternate between sourcetypes every test's one-value memo (events/scan.ts) missed.
 */
class MetadataRoutes {
  private readonly byIndex = new Map<string, Map<string, Map<string, Map<string, number[]>>>>();
  private size = 0;
  /**
   * Whether some search constrains the source, the host: a metadata predicate reads the fields its
   * request constrains and the index (default indexes). A host no search tests is not looked up (a
   * reader makes a new host string per event, hashed again on every lookup).
   */
  private readonly bySource: boolean;
  private readonly byHost: boolean;

  constructor(
    private readonly runs: readonly SearchRun[],
    plans: readonly SearchPlan[],
  ) {
    const constrains = (field: string): boolean => plans.some((p) => p.scan.metadata.some((m) => m.field === field));
    this.bySource = constrains('source');
    this.byHost = constrains('host');
  }

  /** The runs of `active` (in their order) whose metadata predicate admits `ev`. */
  of(ev: Event, active: readonly number[]): readonly number[] {
    if (this.size === MAX_ROUTES) this.clear();
    let bySourcetype = this.byIndex.get(ev.index);
    if (bySourcetype === undefined) this.byIndex.set(ev.index, (bySourcetype = new Map()));
    let bySource = bySourcetype.get(ev.sourcetype);
    if (bySource === undefined) bySourcetype.set(ev.sourcetype, (bySource = new Map()));
    const source = this.bySource ? ev.source : '';
    let byHost = bySource.get(source);
    if (byHost === undefined) bySource.set(source, (byHost = new Map()));
    const host = this.byHost ? ev.host : '';
    let admitted = byHost.get(host);
    if (admitted === undefined) {
      admitted = active.filter((i) => this.runs[i]!.meta(ev));
      byHost.set(host, admitted);
      this.size++;
    }
    return admitted;
  }

  /** Forgets every combination (the active runs changed, or too many combinations). */
  clear(): void {
    this.byIndex.clear();
    this.size = 0;
  }
}

/**
 * Whether the operators of a plan may write to the event rows they receive: true unless every stage up to
 * one that emits rows of its own (stats, table) writes no field. Rows that reach the output are the
 * caller's to change, so a plan without such a stage gets copies too.
 */
function writesEventRows(plan: SearchPlan): boolean {
  for (const s of plan.stages) {
    if (s.blueprint.emitsOwnRows?.(s.command.args)) return false;
    const w = s.blueprint.writes(s.command.args);
    if (w === '*' || w.length > 0) return true;
  }
  return true;
}

/**
 * The fields a plan's operators write to its event rows, when every stage before one that emits rows of its
 * own names them and those rows stay with the operators of this pass (streaming stages, none depending on
 * order, no sort, and an own-rows stage that streams or splits: what a partition runs before shipping rows):
 * its rows are then `WrittenRow`s over the shared one, their writes in slots rather than a copy's Map. Null
 * otherwise (a copy). A write the plan did not name still works, through a copy.
 */
function writtenLayout(plan: SearchPlan): RowLayout | null {
  const names = new Set<string>();
  for (const s of plan.stages) {
    const { blueprint: bp, command } = s;
    if (s.sortBefore) return null;
    if (bp.emitsOwnRows?.(command.args)) {
      const stays = bp.kind(command.args) === 'streaming' || (bp.splits?.(command.args) ?? null) !== null;
      return stays && names.size > 0 ? rowLayout([...names]) : null;
    }
    if (bp.kind(command.args) !== 'streaming' || bp.orderSensitive(command.args)) return null;
    const w = bp.writes(command.args);
    if (w === '*') return null;
    for (const n of w) names.add(n);
  }
  return null;
}

/** What every search of a shared scan could need: widest time range, union of sourcetypes, OR of raw filters. */
export function unionRequest(reqs: readonly ScanRequest[]): ScanRequest {
  const earliest = reqs.some((r) => r.earliest === null) ? null : Math.min(...reqs.map((r) => r.earliest as number));
  const latest = reqs.some((r) => r.latest === null) ? null : Math.max(...reqs.map((r) => r.latest as number));
  const raws = reqs.map((r) => r.raw);
  const raw: RawFilter | null = raws.some((r) => r === null) ? null : raws.length === 1 ? raws[0]! : { kind: 'or', items: raws as RawFilter[] };
  const metadata: MetadataConstraint[] = [];
  for (const field of ['index', 'sourcetype'] as const) {
    const per = reqs.map((r) => r.metadata.filter((m) => m.field === field));
    // Only when every search constrains the field can the union constrain the scan.
    if (per.every((ms) => ms.length > 0)) {
      metadata.push({ field, patterns: [...new Set(per.flatMap((ms) => ms[0]!.patterns))] });
    }
  }
  // A search that names its index must not lose events to the default-index rule of the others.
  const someNameIndex = reqs.some((r) => r.metadata.some((m) => m.field === 'index'));
  const defaults = someNameIndex ? 'all' : (reqs[0]?.defaultIndexes ?? 'all');
  const indexed = unionIndexed(reqs);
  return { earliest, latest, metadata, raw, defaultIndexes: defaults, alternatives: reqs.flatMap((r) => r.alternatives ?? [r]), ...(indexed.length > 0 ? { indexed } : {}) };
}

/** An indexed field every search constrains: an event any of them needs has one of their values. */
function unionIndexed(reqs: readonly ScanRequest[]): IndexedFieldCondition[] {
  const out: IndexedFieldCondition[] = [];
  for (const field of INDEXED_FIELDS) {
    const per = reqs.map((r) => narrowestIndexed(r.indexed, field));
    if (per.length > 0 && per.every((c) => c !== undefined)) out.push({ field, values: [...new Set(per.flatMap((c) => c!.values))] });
  }
  return out;
}
