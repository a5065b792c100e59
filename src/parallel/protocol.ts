/**
 * What the main thread and the partition workers of a parallel run share: the worker's setup, its
 * messages, and counters in shared memory (which partition is next, how many were merged, the rows each
 * worker sent and the main thread took).
 */
import type { LookupDirSetup } from '../spl/lookups.js';
import type { StoreLocator } from '../cluster/locator.js';
import type { ErrorCode } from '../errors.js';
import type { FileSourceOptions } from '../sources/file.js';
import type { FilePartition } from '../sources/file-partitions.js';
import type { PartitionShare, ShippedWarning } from '../spl/exec/partitions.js';
import type { TimeBound } from '../spl/index.js';
import type { Span } from '../spl/source.js';
import type { WireRow } from './rows.js';

/** The file options a worker can be given (no callbacks, no stream). */
export type PlainFileOptions = Omit<FileSourceOptions, 'onMalformed' | 'onWarning' | 'stdin' | 'range' | 'timeBefore'>;

/**
 * Where the partitions' events come from: byte ranges of files, or time slices of the store (newest first,
 * each [lo, hi) in epoch seconds, null for no bound), which every worker opens read-only.
 */
export type PartitionedInput =
  | { kind: 'files'; options: PlainFileOptions; partitions: FilePartition[] }
  | { kind: 'store'; store: StoreLocator; partitions: TimeSlice[] };

export interface TimeSlice {
  lo: number | null;
  hi: number | null;
}

/** What a worker thread is started with. */
export interface WorkerSetup {
  /** The searches, macros expanded (the text each plan was parsed from: same pipeline, same offsets). */
  searches: string[];
  plan: { now: number; tz: string; earliest: TimeBound; latest: TimeBound; defaultIndexes: readonly string[] | 'all'; sourceNewestFirst: boolean };
  /** Content directories besides the bundled content (lookups, data models, event types). */
  contentDirs: string[];
  /** The run's writable lookup directory, read over the content's lookups (a worker never writes: outputlookup runs in the final part). */
  lookupDir: LookupDirSetup | null;
  input: PartitionedInput;
  shared: SharedArrayBuffer;
  /** This worker's slot in the flow counters. */
  slot: number;
  /** Characters of rows a worker may have sent that the main thread has not taken; beyond, it waits. */
  flowBudget: number;
  /** How many partitions past the last merged one a worker may start (bounds the states held for merging). */
  window: number;
}

/** A line the reader reported: malformed (skipped) or a warning; `line` counts from the partition's start. */
export interface PartitionIssue {
  kind: 'malformed' | 'warning';
  line: number;
  reason: string;
}

export type WorkerMessage =
  /** `warnings`: those of a search whose final part takes rows in search order, at their place among the rows. */
  | { type: 'rows'; partition: number; plan: number; rows: WireRow[]; chars: number; warnings: ShippedWarning[] }
  | { type: 'done'; partition: number; shares: PartitionShare[]; lines: number; issues: PartitionIssue[] }
  | { type: 'progress'; scanned: number; bytes: number }
  | { type: 'warning'; partition: number; plan: number; message: string; span: Span | null }
  | { type: 'serial' }
  | { type: 'error'; error: { code: ErrorCode | null; message: string; span: Span | null; plan: number | null } };

const NEXT = 0;
const MERGED = 1;
/** A waiting worker wakes this often anyway, so terminating it never waits on a wait. */
const WAIT_SLICE_MS = 50;

/** The shared counters, seen from either side. */
export class SharedCounters {
  readonly buffer: SharedArrayBuffer;
  private readonly partitions: Int32Array;
  private readonly flow: BigInt64Array;

  constructor(bufferOrWorkers: SharedArrayBuffer | number) {
    this.buffer = typeof bufferOrWorkers === 'number' ? new SharedArrayBuffer(8 + 16 * Math.max(1, bufferOrWorkers)) : bufferOrWorkers;
    this.partitions = new Int32Array(this.buffer, 0, 2);
    this.flow = new BigInt64Array(this.buffer, 8);
  }

  /** Takes the next partition (every thread draws from one counter: partitions are started in order). */
  take(): number {
    return Atomics.add(this.partitions, NEXT, 1);
  }

  get merged(): number {
    return Atomics.load(this.partitions, MERGED);
  }

  /** Main thread: partitions [0, n) are merged. */
  setMerged(n: number): void {
    Atomics.store(this.partitions, MERGED, n);
    Atomics.notify(this.partitions, MERGED);
  }

  /** Worker: waits until `partition` is within `window` of the merged ones. */
  waitWindow(partition: number, window: number): void {
    for (;;) {
      const m = Atomics.load(this.partitions, MERGED);
      if (partition < m + window) return;
      Atomics.wait(this.partitions, MERGED, m, WAIT_SLICE_MS);
    }
  }

  /** Worker: counts `chars` as sent, sends them, then waits while more than `budget` are not taken. */
  sendWithin(slot: number, chars: number, budget: number, send: () => void): void {
    // Counted before it is sent, so the main thread never takes more than was counted.
    const sent = Atomics.add(this.flow, 2 * slot, BigInt(chars)) + BigInt(chars);
    send();
    for (;;) {
      const taken = Atomics.load(this.flow, 2 * slot + 1);
      if (sent - taken <= BigInt(budget)) return;
      Atomics.wait(this.flow, 2 * slot + 1, taken, WAIT_SLICE_MS);
    }
  }

  /** Main thread: the rows of `chars` characters sent by worker `slot` were taken. */
  taken(slot: number, chars: number): void {
    Atomics.add(this.flow, 2 * slot + 1, BigInt(chars));
    Atomics.notify(this.flow, 2 * slot + 1);
  }
}
