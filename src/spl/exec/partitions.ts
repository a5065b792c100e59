/**
 * Running searches split over partitions of their events (spl/plan/split.ts): the parallel part of every
 * search over one partition (`runPartition`, on any thread), and the final part that merges what the
 * partitions produce, in partition order (`PartitionMerger`, on one thread). No threads here: src/parallel/
 * runs partitions on worker threads and carries their output across.
 */
import type { EventSource } from '../../events/scan.js';
import type { Result } from '../../events/result.js';
import type { ExecContext, Sink } from '../commands/types.js';
import type { SearchPlan } from '../plan/plan.js';
import type { PlanSplit } from '../plan/split.js';
import type { Span } from '../source.js';
import { searchRun, shareScan, unionRequest, type ManyOptions } from './multi.js';
import { Retrieval } from './newest-first.js';
import { buildStages, createContext, type ExecuteStats } from './run.js';

/** A row leaving a partition for the final part, with its event's place in search order (exec/newest-first.ts). */
export interface ShippedRow {
  row: Result;
  /** The event's original `_time`. */
  t: number;
  /** The event's arrival number, counted from the partition's base: numbers grow in source order. */
  s: number;
}

/**
 * A warning of a partition's part of a search whose final part takes its rows in search order: said by the final
 * part just before it takes row `at` of the batch (or after the batch's rows), unless the search halted before
 * (`head` had its rows): one pass read no event past that point, so it never met what the warning names.
 */
export interface ShippedWarning {
  at: number;
  message: string;
  span: Span | null;
}

/** Arrival numbers of partition p start at p × 2^32: a partition holds fewer events, and 2^20 partitions stay exact doubles. */
export const PARTITION_SEQ_STRIDE = 2 ** 32;

/** What one partition produced for one search. */
export interface PartitionShare {
  /** The partial state of the split aggregation (null: the search's rows were sent instead). */
  state: unknown;
  /** Events the partition's source delivered, and those the search's leading search matched. */
  scanned: number;
  matched: number;
}

/** executeMany's options without its source (the partition's is given apart). */
export interface PartitionOptions extends Omit<ManyOptions, 'source'> {
  /** Called after each batch of events (and its rows) was handled. */
  afterBatch?: () => void | Promise<void>;
}

/**
 * Runs the parallel part of every search over one partition's events (one shared scan, as exec/multi.ts).
 * Rows for final parts go to `rows` after each batch the source delivered (a returned promise pauses the
 * scan: back-pressure); partial states come back at the end, as plain data when `plain` (for another
 * thread), else live (merged on this thread without a copy).
 */
export async function runPartition(
  plans: readonly SearchPlan[],
  splits: readonly PlanSplit[],
  source: EventSource,
  partition: number,
  opts: PartitionOptions,
  rows: (planIndex: number, rows: ShippedRow[], warnings: ShippedWarning[]) => void | Promise<void>,
  plain = true,
): Promise<PartitionShare[]> {
  const base = partition * PARTITION_SEQ_STRIDE;
  let pending: ShippedRow[][] = plans.map(() => []);
  let warnings: ShippedWarning[][] = plans.map(() => []);
  const states: ((plain: boolean) => unknown)[] = [];
  const runs = plans.map((plan, i) => {
    // Rows in search order to a final part that may halt: its warnings go with its rows, at their place among them.
    const withRows = splits[i]!.halts;
    const onWarning = (m: string, at?: Span): void => {
      if (withRows) warnings[i]!.push({ at: pending[i]!.length, message: m, span: at ?? null });
      else opts.onWarning?.(i, m, at);
    };
    const ctx = createContext(plan, { now: opts.now, tz: opts.tz, lookups: opts.lookups, onWarning });
    const stats: ExecuteStats = { eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0 };
    return searchRun(plan, ctx, stats, (c) => {
      const part = buildParallelPart(plan, splits[i]!, c, base, (row, t, s) => pending[i]!.push({ row, t, s }));
      states[i] = part.state;
      return part.sink;
    });
  });
  const flush = async (): Promise<void> => {
    const out = pending;
    const said = warnings;
    pending = plans.map(() => []);
    warnings = plans.map(() => []);
    for (let i = 0; i < out.length; i++) if (out[i]!.length > 0 || said[i]!.length > 0) await rows(i, out[i]!, said[i]!);
    if (opts.afterBatch) await opts.afterBatch();
  };
  const request = plans.length === 1 ? plans[0]!.scan : unionRequest(plans.map((p) => p.scan));
  await shareScan(plans, runs, source, request, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    afterBatch: flush,
  });
  opts.signal?.throwIfAborted();
  for (const r of runs) r.sink.end();
  await flush();
  return runs.map((r, i) => ({ state: states[i]!(plain), scanned: r.stats.eventsScanned, matched: r.stats.eventsMatched }));
}

/**
 * The operators of a search's parallel part: stages [0, boundary), then the partial aggregation of stage
 * `boundary` or `ship` for each row (with its event's original time and arrival number when the final part
 * sorts). Never halts: order-sensitive commands are in the final part.
 */
export function buildParallelPart(plan: SearchPlan, split: PlanSplit, ctx: ExecContext, base: number, ship: (row: Result, t: number, s: number) => void): { sink: Sink; state: (plain: boolean) => unknown } {
  const b = split.boundary;
  let sink: Sink;
  let state: (plain: boolean) => unknown = () => null;
  let retrieval: Retrieval | null = null;
  if (split.partial) {
    const s = plan.stages[b]!;
    const partial = s.blueprint.splits!(s.command.args)!.partial(ctx);
    sink = partial;
    state = (plain) => partial.state(plain);
  } else {
    const sorted = b < plan.stages.length ? plan.stages[b]!.sortBefore : plan.sortAtEnd;
    const r = sorted ? new Retrieval(base) : null;
    retrieval = r;
    sink = r ? { push: (row) => ship(row, r.time, r.seq), end: () => {} } : { push: (row) => ship(row, 0, 0), end: () => {} };
  }
  sink = buildStages(plan, 0, b, false, ctx, sink, null);
  return { sink: retrieval ? retrieval.tap(sink) : sink, state };
}

/** A search's final part: takes rows or merges partial states, then runs the rest of the pipeline into its output. */
export interface FinalPart {
  readonly ctx: ExecContext;
  readonly inOrder: boolean;
  /** Takes rows; `warnings` (of an in-order part) are said at their place among them while the search has not halted. */
  push(rows: readonly ShippedRow[], warnings?: readonly ShippedWarning[]): void;
  merge(state: unknown): void;
  end(): void;
}

/** Builds a search's final part in front of `output` (static errors are raised here). */
export function buildFinalPart(plan: SearchPlan, split: PlanSplit, ctx: ExecContext, output: Sink): FinalPart {
  const b = split.boundary;
  const n = plan.stages.length;
  if (split.partial) {
    const s = plan.stages[b]!;
    // Nothing after an aggregation sorts (it sets the order), so the rest needs no retrieval.
    const rest = buildStages(plan, b + 1, n, false, ctx, output, null);
    const merged = s.blueprint.splits!(s.command.args)!.merge(ctx, rest);
    return {
      ctx,
      inOrder: false,
      push: () => {
        throw new Error('a split aggregation takes partial states, not rows');
      },
      merge: (state) => merged.merge(state),
      end: () => merged.end(),
    };
  }
  const retrieval = new Retrieval();
  const chain = buildStages(plan, b, n, plan.sortAtEnd, ctx, output, retrieval);
  return {
    ctx,
    inOrder: split.inOrder,
    push: (rows, warnings = []) => {
      let w = 0;
      for (let k = 0; k < rows.length; k++) {
        for (; w < warnings.length && warnings[w]!.at <= k; w++) if (!ctx.halted) ctx.warn(warnings[w]!.message, warnings[w]!.span ?? undefined);
        if (ctx.halted) return;
        const x = rows[k]!;
        retrieval.time = x.t;
        retrieval.seq = x.s;
        chain.push(x.row);
      }
      for (; w < warnings.length; w++) if (!ctx.halted) ctx.warn(warnings[w]!.message, warnings[w]!.span ?? undefined);
    },
    merge: () => {},
    end: () => chain.end(),
  };
}

/**
 * Feeds the final parts of searches split over `partitions` partitions (numbered in source order) with
 * what the partitions produce, in whatever order they finish: partial states are merged in partition order;
 * rows go on at once to a final part that sorts them, else they wait for the partitions before theirs
 * (`ack` is called once rows are taken: the producer's back-pressure).
 */
export class PartitionMerger {
  private next = 0;
  private readonly finished = new Map<number, PartitionShare[]>();
  private readonly held = new Map<number, { plan: number; rows: readonly ShippedRow[]; warnings: readonly ShippedWarning[]; ack: () => void }[]>();
  readonly stats: ExecuteStats[];

  constructor(
    private readonly finals: readonly FinalPart[],
    private readonly partitions: number,
    /** Called when a partition has been merged (all partitions before it were). */
    private readonly onMerged: (partition: number) => void = () => {},
  ) {
    this.stats = finals.map(() => ({ eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0 }));
  }

  /** Partitions merged so far (all of those numbered below). */
  get merged(): number {
    return this.next;
  }

  get complete(): boolean {
    return this.next >= this.partitions;
  }

  /** Whether every final part needs no more input (head reached its count). */
  get halted(): boolean {
    return this.finals.every((f) => f.ctx.halted);
  }

  rows(partition: number, plan: number, rows: readonly ShippedRow[], ack: () => void, warnings: readonly ShippedWarning[] = []): void {
    const f = this.finals[plan]!;
    if (!f.inOrder || partition === this.next) {
      f.push(rows, warnings);
      ack();
      return;
    }
    const h = this.held.get(partition);
    if (h) h.push({ plan, rows, warnings, ack });
    else this.held.set(partition, [{ plan, rows, warnings, ack }]);
  }

  /** A partition is done: its shares (one per search) and every row it sent were handed over. */
  done(partition: number, shares: PartitionShare[]): void {
    this.finished.set(partition, shares);
    for (;;) {
      const h = this.held.get(this.next);
      if (h) {
        this.held.delete(this.next);
        for (const x of h) {
          this.finals[x.plan]!.push(x.rows, x.warnings);
          x.ack();
        }
      }
      const shares = this.finished.get(this.next);
      if (!shares) return;
      this.finished.delete(this.next);
      shares.forEach((s, i) => {
        if (s.state !== null) this.finals[i]!.merge(s.state);
        this.stats[i]!.eventsScanned += s.scanned;
        this.stats[i]!.eventsMatched += s.matched;
      });
      this.onMerged(this.next);
      this.next++;
    }
  }

  /** Every partition was merged: the final parts emit what they hold. */
  end(): void {
    for (const f of this.finals) f.end();
  }
}
