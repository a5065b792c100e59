/**
 * Runs searches over partitions of their input on several threads (issue #13): the main thread and
 * `threads - 1` worker threads each take the next partition, run every search's parallel part over it
 * (spl/exec/partitions.ts), and the main thread merges what the partitions produce into the searches' final
 * parts, in partition order. The results are those of one thread (spl/plan/split.ts).
 */
import { stat } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { VigilError } from '../errors.js';
import type { EventSource, ScanProgress } from '../events/scan.js';
import type { FileSourceOptions, LineIssue } from '../sources/file.js';
import { filePartitions } from '../sources/file-partitions.js';
import type { FilterMemo } from '../sources/file.js';
import { buildFinalPart, buildParallelPart, PartitionMerger, runPartition, type FinalPart, type PartitionShare, type ShippedRow, type ShippedWarning } from '../spl/exec/partitions.js';
import { createContext, type ExecuteStats } from '../spl/exec/run.js';
import { unionRequest } from '../spl/exec/multi.js';
import type { IndexInfo } from '../store/types.js';
import type { StoreLocator } from '../cluster/locator.js';
import type { LookupDirSetup, LookupProvider } from '../spl/lookups.js';
import { splitPlan, type PlanSplit } from '../spl/plan/split.js';
import type { SearchPlan, Sink, TimeBound } from '../spl/index.js';
import { SplError, type Span } from '../spl/source.js';
import { workerEntry } from '../worker-entry.js';
import { SharedCounters, type PartitionedInput, type PartitionIssue, type PlainFileOptions, type WorkerMessage, type WorkerSetup } from './protocol.js';
import { fromWire } from './rows.js';
import { bytesRead, continues, fileRun, joinRest, NeedsOneThread, partitionSource, timeSlices } from './sources.js';

export interface ParallelOptions {
  /** Threads in all, this one included. */
  threads: number;
  /** Content directories besides the bundled content: the workers load the same lookups, data models and event types. */
  contentDirs: readonly string[];
  lookups: LookupProvider;
  /** The writable lookup directory the workers read too (its lookups override the content's), if any. */
  lookupDir?: LookupDirSetup | null;
  now: number;
  tz: string;
  /** What the plans were planned with: the workers plan the same searches the same way. */
  earliest: TimeBound;
  latest: TimeBound;
  defaultIndexes: readonly string[] | 'all';
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  onWarning?: (planIndex: number, message: string, at?: Span) => void;
  /** Inputs smaller than this stay on one thread (default MIN_PARALLEL_BYTES). */
  minBytes?: number;
  /** About how many bytes of a plain file a partition holds (default: from the input's size and the threads). */
  partitionBytes?: number;
  /**
   * When workers start: 'auto' (default) once this thread has measured that the rest of the input is worth
   * them, at most `autoWorkers(threads)` (none on 2 cores: the run stays on one thread); 'always': at once; 'only': at once, and this thread only merges (every partition on a worker);
   * 'none': never, this thread reads contiguous partitions in one go (the path of a busy machine).
   */
  workers?: 'auto' | 'always' | 'only' | 'none';
}

/** Files to search: the paths and the options of their FileSource (its callbacks get every line issue, in file order). */
export interface ParallelFiles {
  paths: readonly string[];
  options: FileSourceOptions;
}

/**
 * Below this much input a run stays on one thread: even the whole pack reads it in less time than a worker
 * needs to start.
 */
export const MIN_PARALLEL_BYTES = 8 << 20;
/**
 * A worker needs ~0.15-0.3 s to start (module loading and the content; more on a loaded machine) before it
 * reads its first event, and that start takes CPU from this thread where cores are shared: workers are
 * started only when this thread, alone, would still need more than three times that for the rest of the
 * input, at the speed it reads after its first WORK_SAMPLE_MS (measured over the next WORK_SAMPLE_MS). The seed detection reads ~0.7-1 GB/s and the pack
 * ~50-100 MB/s on one thread (bench/engine.mjs), so the same file may be worth workers for the pack and not
 * for the seed (515 MB: ~0.6 s alone).
 */
const WORKER_START_S = 0.3;

/**
 * The workers 'auto' may start on `threads` threads: one core is left to V8's background threads. Each isolate
 * warms the engine's code up with TurboFan there (~0.6 s of CPU for the pack, a deoptimization storm more when
 * cores are short); on this 2-vCPU VM a worker beside this thread ran the pack at x0.86-0.94 and the seed at
 * x0.86-0.90 of one thread (parallel/CONTEXT.md). With none to start, the run stays on today's one-thread path.
 */
export function autoWorkers(threads: number): number {
  return Math.max(0, Math.min(threads - 1, availableParallelism() - 2));
}
const WORK_SAMPLE_MS = 100;
/** Partitions per thread: small enough that a late-starting worker still finds work, large enough to be cheap. */
const PARTITIONS_PER_THREAD = 4;
const MIN_PARTITION_BYTES = 4 << 20;
const MAX_PARTITION_BYTES = 64 << 20;
/** Characters of rows a worker may send ahead of what this thread took (its memory, and this thread's). */
const FLOW_BUDGET = 8 << 20;
/** Give worker messages a turn at least this often while this thread runs a partition (ms). */
const TURN_MS = 10;
/** Rows this thread may have made ahead of the partitions before theirs (on workers) before it waits. */
const LOCAL_ROWS_AHEAD = 8192;

/**
 * Runs event searches (no generating search) over files on `opts.threads` threads, each search's rows to its
 * output. Null when the run should stay on one thread: one thread asked, stdin or an unreadable input, input
 * below `minBytes`, a single partition, or a time-less event whose time comes from another partition (then
 * nothing was output yet: the final parts of searches over files emit only at their end).
 */
export async function runFilesInParallel(plans: readonly SearchPlan[], outputs: readonly Sink[], files: ParallelFiles, opts: ParallelOptions): Promise<ExecuteStats[] | null> {
  if (opts.threads <= 1 || plans.length === 0 || noWorkers(opts)) return null;
  const splits = plans.map(splitPlan);
  if (splits.some((s) => s.serial !== null)) return null;
  let total = 0;
  try {
    for (const p of files.paths) total += p === '-' ? Infinity : (await stat(p)).size;
  } catch {
    return null; // the one-thread scan reports it
  }
  if (!(total >= (opts.minBytes ?? MIN_PARALLEL_BYTES)) || !Number.isFinite(total)) return null;
  const target = opts.partitionBytes ?? Math.min(MAX_PARTITION_BYTES, Math.max(MIN_PARTITION_BYTES, Math.ceil(total / (opts.threads * PARTITIONS_PER_THREAD))));
  const partitions = await filePartitions(files.paths, target);
  if (partitions === null || partitions.length < 2) return null;
  const { onMalformed, onWarning, stdin: _stdin, range: _range, timeBefore: _timeBefore, ...plain } = files.options;
  const input: PartitionedInput = { kind: 'files', options: plain satisfies PlainFileOptions, partitions };
  const run = new ParallelRun(plans, splits, outputs, input, opts, total, null);
  const stats = await run.start();
  if (stats === null) return null;
  // Line issues in file order, line numbers counted from the start of each file.
  let base = 0;
  partitions.forEach((p, i) => {
    if (i > 0 && partitions[i - 1]!.input !== p.input) base = 0;
    for (const x of run.issues[i] ?? []) {
      const issue: LineIssue = { file: p.path, line: base + x.line, reason: x.reason };
      if (x.kind === 'malformed') onMalformed?.(issue);
      else onWarning?.(issue);
    }
    base += run.lines[i] ?? 0;
  });
  return stats;
}

/** Whether the run could never start a worker ('auto' on a machine with no core to spare). */
function noWorkers(opts: ParallelOptions): boolean {
  return (opts.workers ?? 'auto') === 'auto' && autoWorkers(opts.threads) === 0;
}

/** The store, opened read-only on this thread, and where it is (each worker opens its own connection). */
export interface ParallelStore {
  store: EventSource & { indexes(): Promise<readonly IndexInfo[]> };
  locator: StoreLocator;
}

/** Time slices per thread of a store input (events are rarely spread evenly over time). */
const SLICES_PER_THREAD = 8;

/**
 * Runs event searches over the store on `opts.threads` threads: the time range the searches read (within the
 * store's events) cut into slices, newest first, each scanned by a worker with its own read-only connection.
 * Null when the run should stay on one thread (one thread asked, less than `minBytes` in the store, one slice).
 * Each slice is read in its own read transaction: while a server appends, a slice may see events that an
 * earlier one's snapshot did not.
 */
export async function runStoreInParallel(plans: readonly SearchPlan[], outputs: readonly Sink[], input: ParallelStore, opts: ParallelOptions): Promise<ExecuteStats[] | null> {
  if (opts.threads <= 1 || plans.length === 0 || noWorkers(opts)) return null;
  const splits = plans.map(splitPlan);
  if (splits.some((s) => s.serial !== null)) return null;
  let total = 0;
  let earliest = Infinity;
  let latest = -Infinity;
  for (const i of await input.store.indexes()) {
    total += i.bytes;
    if (i.earliest !== null) earliest = Math.min(earliest, i.earliest);
    if (i.latest !== null) latest = Math.max(latest, i.latest);
  }
  const request = plans.length === 1 ? plans[0]!.scan : unionRequest(plans.map((p) => p.scan));
  if (request.earliest !== null) earliest = Math.max(earliest, request.earliest);
  if (request.latest !== null) latest = Math.min(latest, request.latest);
  if (!(total >= (opts.minBytes ?? MIN_PARALLEL_BYTES)) || !(earliest <= latest)) return null;
  const slices = timeSlices(earliest, latest, opts.threads * SLICES_PER_THREAD);
  if (slices.length < 2) return null;
  return new ParallelRun(plans, splits, outputs, { kind: 'store', store: input.locator, partitions: slices }, opts, total, input.store).start();
}

/**
 * Idle time of all the machine's CPUs so far (ms): over an interval, the cores nobody used (this thread,
 * running, is not idle). On a machine whose cores other processes keep busy, a worker only takes time from
 * this thread (measured: two threads of plain JSON.parse no faster than one on 2 busy cores, bench/engine.mjs).
 */
function idleMs(): number {
  let idle = 0;
  for (const c of cpus()) idle += c.times.idle;
  return idle;
}

const SERIAL = Symbol('serial');

/** One parallel run: its workers, the merge, and how it ends. */
class ParallelRun {
  private readonly counters: SharedCounters;
  private readonly merger: PartitionMerger;
  private readonly finals: FinalPart[];
  private readonly stats: ExecuteStats[];
  private readonly workers: Worker[] = [];
  private readonly local = new AbortController();
  /** Progress of each thread (the workers', then this one's). */
  private readonly progress: { scanned: number; bytes: number }[];
  private readonly warned = new Set<string>();
  /** Warnings of partitions after the one being merged, raised ahead of it on other threads: said when it is their turn. */
  private readonly heldWarnings = new Map<number, [plan: number, message: string, at: Span | null][]>();
  readonly issues: PartitionIssue[][] = [];
  readonly lines: number[] = [];
  private emitted = false;
  private failure: { error: unknown } | null = null;
  private settle: { resolve: () => void; reject: (e: unknown) => void } | null = null;
  private mergedWaiters: (() => void)[] = [];
  private readonly window: number;
  /** Worker threads: all the threads but this one, or all of them with `workers: 'only'`. */
  private readonly workerCount: number;

  constructor(
    private readonly plans: readonly SearchPlan[],
    private readonly splits: readonly PlanSplit[],
    outputs: readonly Sink[],
    private readonly input: PartitionedInput,
    private readonly opts: ParallelOptions,
    /** The bytes of the input (progress, and whether workers are worth starting). */
    private readonly totalBytes: number,
    /** The store of a store input (this thread's connection). */
    private readonly store: EventSource | null,
  ) {
    this.workerCount = opts.workers === 'only' ? opts.threads : opts.threads - 1;
    this.counters = new SharedCounters(this.workerCount);
    this.window = Math.max(4, 2 * opts.threads);
    this.progress = Array.from({ length: this.workerCount + 1 }, () => ({ scanned: 0, bytes: 0 }));
    this.stats = plans.map(() => ({ eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0 }));
    // Every static error (types, regexes, lookups) is raised here, before any worker starts.
    this.finals = plans.map((plan, i) => {
      const ctx = createContext(plan, { now: opts.now, tz: opts.tz, lookups: opts.lookups, onWarning: (m, at) => this.warn(i, m, at ?? null) });
      const out = outputs[i]!;
      const counting: Sink = {
        push: (r) => {
          this.emitted = true;
          this.stats[i]!.results++;
          out.push(r);
        },
        end: () => out.end(),
      };
      try {
        buildParallelPart(plan, splits[i]!, ctx, 0, () => {});
        return buildFinalPart(plan, splits[i]!, ctx, counting);
      } catch (e) {
        if (e instanceof SplError) throw e.withSource(ctx.source);
        throw e;
      }
    });
    this.merger = new PartitionMerger(this.finals, input.partitions.length, (merged) => {
      this.counters.setMerged(this.merger.merged);
      // The next partition's rows now reach the final parts: its warnings come first, as one pass raises them.
      for (const [plan, message, at] of this.heldWarnings.get(merged + 1) ?? []) this.warn(plan, message, at);
      this.heldWarnings.delete(merged + 1);
      const w = this.mergedWaiters;
      this.mergedWaiters = [];
      for (const f of w) f();
    });
  }

  /** Runs to the end: the searches' stats, or null when the run must start over on one thread. */
  async start(): Promise<ExecuteStats[] | null> {
    const started = performance.now();
    const { signal } = this.opts;
    signal?.throwIfAborted();
    const onAbort = () => this.fail(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    try {
      if (this.opts.workers === 'only' || this.opts.workers === 'always') this.spawnWorkers();
      if (this.opts.workers === 'none') this.spawnWorkers(0);
      if (this.opts.workers !== 'only') this.runLocal().catch((e) => this.fail(e));
      await done;
    } catch (e) {
      if (e === SERIAL) return null;
      throw e;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.local.abort();
      await Promise.all(this.workers.map((w) => w.terminate().catch(() => undefined)));
    }
    const ms = performance.now() - started;
    return this.stats.map((s, i) => ({ ...s, eventsScanned: this.merger.stats[i]!.eventsScanned, eventsMatched: this.merger.stats[i]!.eventsMatched, durationMs: ms }));
  }

  /** Whether workers were started, or it was decided that this thread runs alone. */
  private decided = false;

  /** Starts `count` workers (at most one per worker slot). */
  private spawnWorkers(count = this.workerCount): void {
    if (this.decided || this.failure) return;
    this.decided = true;
    for (let w = 0; w < Math.min(count, this.workerCount); w++) this.spawn(w);
  }

  private spawn(slot: number): void {
    const setup: WorkerSetup = {
      searches: this.plans.map((p) => p.pipeline.source.text),
      plan: {
        now: this.opts.now,
        tz: this.opts.tz,
        earliest: this.opts.earliest,
        latest: this.opts.latest,
        defaultIndexes: this.opts.defaultIndexes,
        sourceNewestFirst: this.input.kind === 'store',
      },
      contentDirs: [...this.opts.contentDirs],
      lookupDir: this.opts.lookupDir ?? null,
      input: this.input,
      shared: this.counters.buffer,
      slot,
      flowBudget: FLOW_BUDGET,
      window: this.window,
    };
    const w = new Worker(workerEntry(import.meta.url, 'worker'), { workerData: setup });
    this.workers.push(w);
    w.on('message', (m: WorkerMessage) => {
      try {
        this.receive(slot, m);
      } catch (e) {
        this.fail(e);
      }
    });
    w.on('error', (err: Error & { code?: string }) =>
      this.fail(new VigilError(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'SPL_LIMIT_MEMORY' : 'SPL_RUNTIME', `search worker failed: ${err.message}`)),
    );
    w.on('exit', (code) => {
      if (code !== 0) this.fail(new VigilError('SPL_RUNTIME', `search worker exited (code ${code})`));
    });
  }

  private receive(slot: number, m: WorkerMessage): void {
    if (this.failure || this.ended) return;
    switch (m.type) {
      case 'rows': {
        const derived = this.plans[m.plan]!.knowledge?.derived ?? null;
        const rows = m.rows.map((w) => fromWire(w, derived));
        this.merger.rows(m.partition, m.plan, rows, () => this.counters.taken(slot, m.chars), m.warnings);
        return this.endIfHalted();
      }
      case 'done':
        return this.partitionDone(m.partition, m.shares, m.lines, m.issues);
      case 'progress':
        this.progress[slot] = { scanned: m.scanned, bytes: m.bytes };
        return this.reportProgress();
      case 'warning':
        return this.warn(m.plan, m.message, m.span, m.partition);
      case 'serial':
        return this.fail(SERIAL);
      case 'error': {
        const { code, message, span, plan } = m.error;
        if (code === null) return this.fail(new Error(message));
        return this.fail(span !== null && plan !== null ? new SplError(code, message, span, this.plans[plan]!.pipeline.source) : new VigilError(code, message));
      }
    }
  }

  /** This thread's share: partitions taken from the same counter as the workers'. */
  private async runLocal(): Promise<void> {
    const slot = this.workerCount;
    const filters: FilterMemo = new Map();
    let outstanding = 0;
    let drained: (() => void) | null = null;
    let turn = performance.now();
    const started = performance.now();
    const before = { scanned: 0, bytes: 0 };
    // Whether the rest of the input is worth workers, judged on this thread's speed over WORK_SAMPLE_MS
    // after a first WORK_SAMPLE_MS of warm-up (compiling, the first reads: up to 6x slower than later).
    // Over the same interval, how many cores the machine left idle: as many workers, at most.
    let mark: { ms: number; bytes: number; idle: number } | null = null;
    const judge = (bytes: number): void => {
      const ms = performance.now() - started;
      if (this.decided || ms < WORK_SAMPLE_MS) return;
      if (mark === null) {
        // At the warm-up's speed (slower than what follows), the rest would not even need three workers' start-ups:
        // alone for good without a second interval (a fast search's whole run is a few of them).
        if (bytes > 0 && ((this.totalBytes - bytes) / bytes) * (ms / 1000) <= 3 * WORKER_START_S) {
          this.decided = true;
          return;
        }
        mark = { ms, bytes, idle: idleMs() };
        return;
      }
      if (ms - mark.ms < WORK_SAMPLE_MS || bytes <= mark.bytes) return;
      const rest = ((this.totalBytes - bytes) / (bytes - mark.bytes)) * ((ms - mark.ms) / 1000);
      const idleCores = Math.round((idleMs() - mark.idle) / (ms - mark.ms));
      // One idle core is left to V8's background threads (autoWorkers).
      if (rest > 3 * WORKER_START_S) this.spawnWorkers(Math.min(idleCores - 1, autoWorkers(this.opts.threads)));
      else this.decided = true;
    };
    for (;;) {
      if (this.failure || this.ended) return;
      const p = this.counters.take();
      if (p >= this.input.partitions.length) return;
      while (p >= this.merger.merged + this.window) await new Promise<void>((r) => this.mergedWaiters.push(r));
      // Alone for good: the rest of a contiguous run in one go (one source, one state, no merge).
      let input = this.input;
      let last = p;
      if (this.decided && this.workers.length === 0) {
        ({ input, last } = joinRest(this.input, p));
        for (let q = p; q < last; q++) this.counters.take();
      }
      // A file partition grows into the next ones while this thread has no workers beside it (its source
      // goes on reading: no new source, state or merge), at most half the window ahead until it is alone for
      // good, so that workers started meanwhile find partitions to take.
      const more = (): number | null => {
        const files = this.input.kind === 'files' ? this.input : null;
        if (files === null || this.failure || this.ended || this.workers.length > 0) return null;
        if (!this.decided && last + 1 - p >= this.window / 2) return null;
        if (!continues(files, last)) return null;
        const q = this.counters.take();
        if (q !== last + 1) throw new Error(`parallel run: partition ${q} taken where ${last + 1} was expected`);
        last = q;
        input = fileRun(files, p, last);
        return files.partitions[last]!.end;
      };
      const issues: PartitionIssue[] = [];
      let lines = 0;
      let bytes = 0;
      const shares = await runPartition(
        this.plans,
        this.splits,
        partitionSource(input, p, (i) => issues.push(i), this.store, filters, more),
        p,
        {
          now: this.opts.now,
          tz: this.opts.tz,
          lookups: this.opts.lookups,
          signal: this.local.signal,
          onWarning: (i, m, at) => this.warn(i, m, at ?? null, p),
          // The workers' messages (their rows, their states) are handled between this thread's batches.
          afterBatch: async () => {
            if (performance.now() - turn < TURN_MS) return;
            await new Promise((r) => setImmediate(r));
            turn = performance.now();
          },
          onProgress: (pr) => {
            lines = pr.scanned;
            bytes = bytesRead(input, p, pr);
            this.progress[slot] = { scanned: before.scanned + pr.scanned, bytes: before.bytes + bytes };
            judge(this.progress[slot].bytes);
            this.reportProgress();
          },
        },
        async (plan: number, rows: ShippedRow[], warnings: ShippedWarning[]) => {
          outstanding += rows.length;
          this.merger.rows(
            p,
            plan,
            rows,
            () => {
              outstanding -= rows.length;
              if (drained && outstanding <= LOCAL_ROWS_AHEAD) {
                drained();
                drained = null;
              }
            },
            warnings,
          );
          this.endIfHalted();
          // Rows waiting for earlier partitions: pause until they are taken (those partitions are on workers).
          if (outstanding > LOCAL_ROWS_AHEAD) await new Promise<void>((r) => (drained = r));
        },
        false,
      );
      before.scanned += lines;
      before.bytes += bytes;
      this.partitionDone(p, shares, lines, issues);
      for (let q = p + 1; q <= last; q++) this.partitionDone(q, shares.map(() => ({ state: null, scanned: 0, matched: 0 })), 0, []);
    }
  }

  private partitionDone(p: number, shares: PartitionShare[], lines: number, issues: PartitionIssue[]): void {
    this.lines[p] = lines;
    this.issues[p] = issues;
    this.merger.done(p, shares);
    if (this.merger.complete) this.end();
    else this.endIfHalted();
  }

  private ended = false;

  private end(): void {
    if (this.ended || this.failure) return;
    this.ended = true;
    this.merger.end();
    this.settle?.resolve();
  }

  /**
   * Every final part has what it needs (`head` reached its count, rows in search order): the run ends, as one
   * thread stops reading, and the workers are stopped.
   */
  private endIfHalted(): void {
    if (this.merger.halted) this.end();
  }

  private reportProgress(): void {
    if (!this.opts.onProgress) return;
    let scanned = 0;
    let bytes = 0;
    for (const p of this.progress) {
      scanned += p.scanned;
      bytes += p.bytes;
    }
    this.opts.onProgress({ scanned, bytes, totalBytes: this.totalBytes });
  }

  /**
   * A warning once per search and place, as one pass says it: a partition's in partition order (one pass meets its
   * events in that order), so where a warning names what it met first (`match(x, field)`: the first pattern it could
   * not run), it is the first partition's; and none from partitions past the point where the search halted.
   */
  private warn(plan: number, message: string, at: Span | null, partition?: number): void {
    if (partition !== undefined && partition > this.merger.merged) {
      const held = this.heldWarnings.get(partition);
      if (held) held.push([plan, message, at]);
      else this.heldWarnings.set(partition, [[plan, message, at]]);
      return;
    }
    const key = at === null ? `${plan}\u0000${message}` : `${plan}\u0000${at.start}:${at.end}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.onWarning?.(plan, message, at ?? undefined);
  }

  private fail(error: unknown): void {
    if (this.failure || this.ended) return;
    if (error instanceof NeedsOneThread) error = SERIAL;
    // A search over files that fails starts over on one thread too: that pass prints the line issues it met before
    // the failure (this run reports them only at its end, in file order) and then fails as it does.
    if (this.input.kind === 'files' && !this.emitted && !this.opts.signal?.aborted) error = SERIAL;
    // Rows already printed cannot be taken back (never the case for files: see runFilesInParallel).
    if (error === SERIAL && this.emitted) error = new VigilError('SPL_RUNTIME', 'a parallel run had to start over on one thread after printing results');
    this.failure = { error };
    this.local.abort(error === SERIAL ? new NeedsOneThread() : error);
    for (const w of this.workers) void w.terminate().catch(() => undefined);
    this.settle?.reject(error);
  }
}
