/**
 * SqliteStore: the embedded event store (one SQLite file per data dir, WAL), and the scheduler/risk state
 * kept in the same file. Writes (appends, run commits, state updates) go through a worker thread that
 * group-commits; scans and state reads run on the calling thread over read-only connections, so they
 * never take the write lock and work while this or another process writes. See CONTEXT.md for the design.
 */
import { closeSync, fsyncSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { VigilError } from '../errors.js';
import { coreToSpare } from '../machine-load.js';
import { indexedFieldsText, type Event } from '../events/event.js';
import { emptyScanRequest, type EventSource, type ScanOptions, type ScanRequest, type SeqSubsetSource } from '../events/scan.js';
import { DataDirLock } from './dir-lock.js';
import { createPrivateDir, createPrivateFile, restrictIfExists } from './file-modes.js';
import { checkVersion, migrate, refuseForeign } from './migrations.js';
import type {
  FromWriter,
  RetentionPolicies,
  StateOp,
  ToWriter,
  WorkerInit,
  WriteOutcome,
  WriterConfig,
} from './protocol.js';
import { STRINGS_PER_EVENT } from './protocol.js';
import { storeWorkerUrl } from './worker-url.js';
import { NameCache, ReadPool, scanStore, sqliteReadError, type ScanLimits } from './reader.js';
import { ScanThread } from './scan-thread.js';
import { DEFAULT_BUCKET_SECONDS, fromMicros, microsAtOrAfter } from './schema.js';
import { checkEvent } from './validate.js';
import * as state from './state.js';
import {
  StoreError,
  type AppendReceipt,
  type BucketSpan,
  type EventStore,
  type FindingComment,
  type FindingQuery,
  type FindingRecord,
  type FindingStatus,
  type IndexInfo,
  type OutboxItem,
  type RetentionPolicy,
  type RetentionReport,
  type RunCommit,
  type RunQuery,
  type RunRecord,
  type StateStore,
} from './types.js';

export const STORE_FILE = 'vigil.db';
/** New databases use 16 KiB pages: ~1.5 KB events waste a third of a 4 KiB page; measured 2× the insert rate. */
const PAGE_SIZE = 16384;
/** Fewest ms between two passes of the checkpoint worker. */
const CHECKPOINT_INTERVAL_MS = 100;
/**
 * WAL size (frames of 16 KiB + 24 bytes) at which the checkpoint worker has the WAL started over: ~64 MB,
 * just under `journal_size_limit`, so the WAL file is reused in place rather than truncated and regrown.
 */
const WAL_RESTART_FRAMES = 4000;
/** Default `scanThreadMinEvents`: below, starting the thread (~30 ms once) and its messages cost more than it saves. */
const SCAN_THREAD_MIN_EVENTS = 50_000;

export interface StoreOptions {
  /** Open for searching only: no writer, no write lock, no migrations (the store must exist and be current). */
  readonly?: boolean;
  /** False: refuse a data dir without a store rather than create one (`vigil backfill`: it runs over stored events). Default true. */
  create?: boolean;
  /**
   * What this process is, for the error another writer gets while it holds the data dir (`vigil serve`).
   * Read-write opens take the data dir's lock (dir-lock.ts); default "a vigil process".
   */
  owner?: string;
  /** Retention per Splunk index name; indexes not listed use `defaultRetention` (none: keep forever). */
  retention?: Record<string, RetentionPolicy>;
  defaultRetention?: RetentionPolicy;
  /** Time span of a bucket, for a new store only (the first open fixes it). Default 3600. */
  bucketSeconds?: number;
  /**
   * Keep each event's process name in an index (indexed-fields.ts): searches selecting process names read only those
   * events, appends cost more (store/CONTEXT.md "Indexed fields"). Applies to the tables made from then on. Default true.
   */
  indexedFields?: boolean;
  /** Back-pressure: appends and run commits are rejected with STORE_BUSY while this many events are waiting. Default 100 000. */
  maxPendingEvents?: number;
  /** Back-pressure on the `_raw` and metadata characters waiting. Default 128 Mi. */
  maxPendingChars?: number;
  /** Most events in one commit; larger backlogs take several (bounds commit latency). Default 20 000. */
  maxGroupEvents?: number;
  /** Most `_raw` characters in one commit. Default 32 Mi. */
  maxGroupChars?: number;
  /** How long a connection waits for a lock held by another (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Most events per scan batch. Default 1000. */
  scanBatchSize?: number;
  /** Most `_raw` characters per scan batch. Default 512 Ki. */
  scanBatchChars?: number;
  /**
   * A shared scan, or one without a raw filter, whose time range holds at least this many events (by the bucket
   * catalog) runs on the scan thread (scan-thread.ts); others on the caller's thread. Default 50 000; Infinity:
   * never (for comparisons); 0: every full scan (tests).
   */
  scanThreadMinEvents?: number;
  /**
   * Start the scan thread as the store opens (unless scanThreadMinEvents is Infinity), not at the first scan
   * that needs it: for a store opened to run many searches (a scheduler's or the API's search worker). Default false:
   * a single search (`vigil search`) would often not use it.
   */
  prestartScanThread?: boolean;
  /** Caps the database at this many pages (PRAGMA max_page_count, ×16 KiB): appends beyond fail with STORE_FULL. */
  maxPageCount?: number;
  /** Test hook: the writer sleeps this long before each commit, like a stalled disk. */
  writerDelayMs?: number;
  /**
   * WAL checkpoints in their own thread (default true). false: SQLite's automatic checkpoints, which run
   * inside the commit that crosses 1000 WAL pages and make that group wait (for comparisons).
   */
  checkpointThread?: boolean;
  /** WAL size in pages at which the checkpoint worker has the WAL started over. Default 4000 (~64 MB); tests use small values. */
  walRestartPages?: number;
}

export interface StoreStats {
  /** Batches (appends, run commits, state updates) and their events accepted and not yet committed (or failed). */
  pendingBatches: number;
  pendingEvents: number;
  pendingChars: number;
  /** Since open. */
  committedBatches: number;
  committedEvents: number;
  /** Transactions the writer committed (group commit: fewer than batches under load). */
  commits: number;
  rejectedBusy: number;
  failedBatches: number;
}

type WriteOk = Extract<WriteOutcome, { ok: true }>;
/** What goes through the writer's queue: built once its batch id is known. */
type WriteMessage = Extract<ToWriter, { type: 'append' | 'run' | 'state' }>;

interface Pending {
  events: number;
  chars: number;
  resolve: (o: WriteOk) => void;
  reject: (e: Error) => void;
}

interface WriterHandle {
  worker: Worker;
  port: MessagePort;
  alive: boolean;
  ready: Promise<void>;
  closed: Promise<void>;
}

/**
 * Whether `dataDir` holds an event store: false when it or its database file does not exist; a store that cannot
 * be looked at (EACCES) is an error, not "no store".
 */
export function storeExists(dataDir: string): boolean {
  try {
    statSync(join(dataDir, STORE_FILE));
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw new StoreError('STORE_IO', `cannot read the event store in ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Opens (creating and migrating if needed) the store in `dataDir`. */
export async function openStore(dataDir: string, options: StoreOptions = {}): Promise<SqliteStore> {
  return SqliteStore.open(dataDir, options);
}

export class SqliteStore implements EventStore, StateStore, SeqSubsetSource {
  readonly newestFirst = true as const;
  readonly path: string;
  readonly readonly: boolean;

  private readonly pool: ReadPool;
  private readonly scanThread: ScanThread;
  /** Whether the latest full scan went to the scan thread. */
  private threaded = false;
  private readonly names = new NameCache();
  private readonly limits: ScanLimits;
  private policies: RetentionPolicies;
  private writer: WriterHandle | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly calls = new Map<number, { resolve: (r: RetentionReport) => void; reject: (e: Error) => void }>();
  private nextBatch = 0;
  private nextCall = 0;
  /** Names of existing indexes this process knows of (see `indexExists`); loaded on first use. */
  private knownIndexes: Set<string> | null = null;
  private readonly deletionListeners: ((index: string, before: number) => void)[] = [];
  private closing: Promise<void> | null = null;
  /** The data dir's writer lock, held while open read-write. */
  private lock: DataDirLock | null = null;
  private readonly counters: StoreStats = {
    pendingBatches: 0,
    pendingEvents: 0,
    pendingChars: 0,
    committedBatches: 0,
    committedEvents: 0,
    commits: 0,
    rejectedBusy: 0,
    failedBatches: 0,
  };

  private constructor(
    path: string,
    private readonly options: StoreOptions,
  ) {
    this.path = path;
    this.readonly = options.readonly ?? false;
    this.pool = new ReadPool(path, options.busyTimeoutMs ?? 5000);
    this.scanThread = new ScanThread(path, options.busyTimeoutMs ?? 5000);
    this.limits = { batchSize: options.scanBatchSize ?? 1000, batchChars: options.scanBatchChars ?? 512 * 1024 };
    this.policies = { byIndex: { ...(options.retention ?? {}) }, fallback: options.defaultRetention ?? null };
  }

  static async open(dataDir: string, options: StoreOptions = {}): Promise<SqliteStore> {
    const path = join(dataDir, STORE_FILE);
    let lock: DataDirLock | null = null;
    try {
      if (options.readonly || options.create === false) {
        if (!storeExists(dataDir)) throw new StoreError('STORE_IO', `no event store in ${dataDir} (${path} does not exist): vigil serve creates it; check --data-dir (or VIGIL_DATA_DIR, the config's dataDir)`);
      }
      if (options.readonly) {
        const db = new Database(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5000 });
        try {
          checkVersion(db);
        } finally {
          db.close();
        }
        return new SqliteStore(path, options).prestarted();
      }
      createPrivateDir(dataDir);
      lock = DataDirLock.acquire(dataDir, options.owner ?? 'a vigil process');
      prepareDatabase(path, options);
    } catch (err) {
      lock?.release();
      if (err instanceof VigilError) throw err;
      const why = err instanceof Error ? err.message : String(err);
      throw new StoreError('STORE_IO', `cannot open the event store ${path}: ${why}`, { cause: err });
    }
    const store = new SqliteStore(path, options);
    store.lock = lock;
    try {
      await store.startWriter().ready;
    } catch (err) {
      await store.close();
      throw err;
    }
    // The WAL file now exists; make its directory entry durable too.
    fsyncDir(dataDir);
    return store.prestarted();
  }

  /**
   * This store, its scan thread started when `prestartScanThread` asks and scans may use it. Not gated on the machine's
   * load as a scan is (onScanThread): the load at open says little about the load at the scan, and an unused thread
   * costs its start (~0.1 s of CPU) once, then sleeps.
   */
  private prestarted(): this {
    if (this.options.prestartScanThread === true && this.options.scanThreadMinEvents !== Infinity) this.scanThread.prestart();
    return this;
  }

  /** Whether the scan thread is running (started by a scan, or at open: `prestartScanThread`). */
  get scanThreadStarted(): boolean {
    return this.scanThread.started;
  }

  append(events: readonly Event[]): Promise<AppendReceipt> {
    const refused = this.refuseWrite();
    if (refused) return Promise.reject(refused);
    const n = events.length;
    if (n === 0) return Promise.resolve({ count: 0 });
    let packed: Packed;
    try {
      packed = pack(events);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.submit({
      message: { type: 'append', id: 0, times: packed.times, strings: packed.strings, ...(packed.fields !== undefined ? { fields: packed.fields } : {}) },
      transfer: [packed.times.buffer],
      events: n,
      chars: packed.chars,
      limited: true,
      result: (o) => ({ count: n, firstSeq: o.firstSeq! }),
    });
  }

  // --- StateStore: writes go through the writer's queue (durable when resolved) ---

  /**
   * Commits a run's ledger row, events, findings, outbox items and suppressions in one transaction (it may
   * share the commit with concurrent appends). Rejects with STORE_CONFLICT, storing nothing, when the run
   * is already in the ledger; with STORE_BUSY like `append` when the queue is full (retry later);
   * with INPUT_MALFORMED for an invalid event or row.
   */
  commitRun(commit: RunCommit): Promise<void> {
    const refused = this.refuseWrite();
    if (refused) return Promise.reject(refused);
    let rows: ReturnType<typeof state.normalizeRunCommit>;
    let packed: Packed;
    try {
      rows = state.normalizeRunCommit(commit);
      packed = pack(commit.events ?? []);
    } catch (err) {
      return Promise.reject(err);
    }
    let chars = packed.chars;
    for (const f of rows.findings) chars += f.detail.length;
    for (const o of rows.outbox) chars += o.payload.length;
    return this.submit({
      message: { type: 'run', id: 0, times: packed.times, strings: packed.strings, ...(packed.fields !== undefined ? { fields: packed.fields } : {}), ...rows },
      transfer: [packed.times.buffer],
      events: packed.times.length,
      chars,
      limited: true,
      result: () => undefined,
    });
  }

  /** Takes the run's lease for `node` (see StateStore.claimRun): a state update, durable when resolved. */
  claimRun(detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): Promise<boolean> {
    return this.leaseOp('claimRun', detectionId, scheduledTime, node, leaseMs, now);
  }

  /** Extends `node`'s lease; false when it was lost (see StateStore.renewRun). */
  renewRun(detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): Promise<boolean> {
    return this.leaseOp('renewRun', detectionId, scheduledTime, node, leaseMs, now);
  }

  private leaseOp(op: 'claimRun' | 'renewRun', detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): Promise<boolean> {
    return this.update(
      () => {
        const where = `${op} ${String(detectionId)}@${String(scheduledTime)}`;
        const ms = state.checkTime(leaseMs, where, 'leaseMs');
        if (ms < 0) throw new VigilError('INPUT_MALFORMED', `${where}: leaseMs must not be negative`);
        const at = state.checkTime(now, where, 'now');
        return {
          op,
          detectionId: state.checkString(detectionId, where, 'detectionId', true),
          scheduledTime: state.checkTime(scheduledTime, where, 'scheduledTime'),
          node: state.checkString(node, where, 'node', true),
          now: at,
          expiresAt: at + ms / 1000,
        };
      },
      (o) => o.held!,
    );
  }

  setCursor(detectionId: string, time: number): Promise<void> {
    return this.update(() => ({
      op: 'setCursor',
      detectionId: state.checkString(detectionId, 'setCursor', 'detectionId', true),
      time: state.checkTime(time, 'setCursor', 'time'),
    }));
  }

  /**
   * Sets status and/or owner (`owner: null` unassigns, undefined keeps), `updatedAt = at`, and records `by`
   * (column `updated_by`). Resolves with the updated record; rejects with VigilError('CONTENT_NOT_FOUND')
   * for an unknown id.
   */
  updateFinding(id: string, patch: { status?: FindingStatus; owner?: string | null }, by: string, at: number): Promise<FindingRecord> {
    return this.update(
      () => {
        const where = `finding ${String(id)}`;
        const op: StateOp = {
          op: 'updateFinding',
          findingId: state.checkString(id, where, 'id', true),
          by: state.checkString(by, where, 'by'),
          at: state.checkTime(at, where, 'at'),
        };
        if (patch.status !== undefined) op.status = state.checkFindingStatus(patch.status, where);
        if (patch.owner !== undefined) op.owner = patch.owner === null ? null : state.checkString(patch.owner, where, 'owner');
        return op;
      },
      (o) => o.finding!,
    );
  }

  /** Rejects with VigilError('CONTENT_NOT_FOUND') when the finding does not exist. */
  addComment(comment: FindingComment): Promise<void> {
    return this.update(() => {
      const where = `comment on finding ${String(comment.findingId)}`;
      return {
        op: 'addComment',
        comment: {
          findingId: state.checkString(comment.findingId, where, 'findingId', true),
          time: state.checkTime(comment.time, where, 'time'),
          author: state.checkString(comment.author, where, 'author'),
          text: state.checkString(comment.text, where, 'text'),
        },
      };
    });
  }

  /** Removes the item (delivered: nothing more is owed). An unknown id is not an error (already delivered). */
  outboxDelivered(id: string): Promise<void> {
    return this.update(() => ({ op: 'outboxDelivered', outboxId: state.checkString(id, 'outboxDelivered', 'id', true) }));
  }

  /** Counts a failed attempt and reschedules the item. An unknown id is not an error (already delivered). */
  outboxFailed(id: string, error: string, nextAttemptAt: number): Promise<void> {
    return this.update(() => ({
      op: 'outboxFailed',
      outboxId: state.checkString(id, 'outboxFailed', 'id', true),
      error: state.checkString(error, 'outboxFailed', 'error'),
      nextAttemptAt: state.checkTime(nextAttemptAt, 'outboxFailed', 'nextAttemptAt'),
    }));
  }

  /** Removes at most `limit` dead letters created before `createdBefore`; resolves with how many. */
  pruneDeadLetters(createdBefore: number, limit: number): Promise<number> {
    return this.update(
      () => ({
        op: 'pruneDeadLetters',
        createdBefore: state.checkTime(createdBefore, 'pruneDeadLetters', 'createdBefore'),
        limit: state.checkLimit(limit),
      }),
      (o) => o.pruned ?? 0,
    );
  }

  // --- StateStore: reads (a read-only connection: they see every commit, this process's or another's). They
  // run synchronously (a few µs) and resolve with the result: the interface is async for remote stores.

  hasRun(detectionId: string, scheduledTime: number): Promise<boolean> {
    return this.readAsync((db) => state.hasRun(db, detectionId, scheduledTime));
  }

  /** The run with the latest scheduled time. */
  lastRun(detectionId: string): Promise<RunRecord | null> {
    return this.readAsync((db) => state.lastRun(db, detectionId));
  }

  /** Newest scheduled time first; `since` inclusive, `until` exclusive; no limit by default. */
  runs(query: RunQuery = {}): Promise<RunRecord[]> {
    return this.readAsync((db) => state.queryRuns(db, query));
  }

  cursor(detectionId: string): Promise<number | null> {
    return this.readAsync((db) => state.cursor(db, detectionId));
  }

  /** Newest first (by `time`); `since` inclusive; no limit by default. */
  findings(query: FindingQuery = {}): Promise<FindingRecord[]> {
    return this.readAsync((db) => state.queryFindings(db, query));
  }

  /** The finding and its comments (oldest first), or null. */
  finding(id: string): Promise<{ finding: FindingRecord; comments: FindingComment[] } | null> {
    return this.readAsync((db) => state.findingWithComments(db, id));
  }

  /** A key is suppressed while now < until. */
  suppressed(keys: readonly string[], now: number): Promise<Set<string>> {
    return this.readAsync((db) => state.suppressed(db, keys, now));
  }

  /** Items with nextAttemptAt <= now, earliest nextAttemptAt first, except those of `excludeActions`. */
  dueOutbox(now: number, limit: number, excludeActions?: readonly string[]): Promise<OutboxItem[]> {
    return this.readAsync((db) => state.dueOutbox(db, now, limit, excludeActions));
  }

  /** `read` as a promise: errors reject rather than throw. */
  private readAsync<T>(fn: (db: Database.Database) => T): Promise<T> {
    try {
      return Promise.resolve(this.read(fn));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private read<T>(fn: (db: Database.Database) => T): T {
    const db = this.pool.acquire();
    try {
      return fn(db);
    } catch (err) {
      throw sqliteReadError(err, 'cannot read the event store');
    } finally {
      this.pool.release(db);
    }
  }

  /** The error a write gets on a closed or read-only store, or null. */
  private refuseWrite(): StoreError | null {
    if (this.closing) return new StoreError('STORE_CLOSED', 'the event store is closed');
    if (this.readonly) return new StoreError('STORE_IO', 'the event store is open read-only');
    return null;
  }

  /** A state update: validated by `build` (throws INPUT_MALFORMED), never refused as busy (tiny, and needed for progress). */
  private update<T = void>(build: () => StateOp, result?: (o: WriteOk) => T): Promise<T> {
    const refused = this.refuseWrite();
    if (refused) return Promise.reject(refused);
    let op: StateOp;
    try {
      op = build();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.submit({
      message: { type: 'state', id: 0, op },
      transfer: [],
      events: 0,
      chars: 0,
      limited: false,
      result: result ?? (() => undefined as T),
    });
  }

  /**
   * Queues a write for the worker (`message.id` is set here). `limited`: refused with STORE_BUSY if the
   * events or characters waiting would exceed the bounds (an empty queue always accepts one, so an
   * oversized batch is slow rather than impossible). Only `result` is kept until the outcome arrives: the
   * message (the batch's strings, which the worker received a copy of) must not stay reachable from here,
   * or every batch in flight would be retained, and promoted, by the main thread's heap.
   */
  private submit<T>(w: {
    message: WriteMessage;
    transfer: ArrayBuffer[];
    events: number;
    chars: number;
    limited: boolean;
    result: (o: WriteOk) => T;
  }): Promise<T> {
    const { events, chars } = w;
    const c = this.counters;
    const maxEvents = this.options.maxPendingEvents ?? 100_000;
    const maxChars = this.options.maxPendingChars ?? 128 * 1024 * 1024;
    if (w.limited && c.pendingBatches > 0 && (c.pendingEvents + events > maxEvents || c.pendingChars + chars > maxChars)) {
      c.rejectedBusy++;
      return Promise.reject(
        new StoreError('STORE_BUSY', `the event store is busy: ${c.pendingEvents} events are waiting to be written`),
      );
    }
    const h = this.writer !== null && this.writer.alive ? this.writer : this.startWriter();
    const id = ++this.nextBatch;
    const { message, transfer, result } = w;
    message.id = id;
    const settled = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { events, chars, resolve: (o) => resolve(result(o)), reject });
    });
    c.pendingBatches++;
    c.pendingEvents += events;
    c.pendingChars += chars;
    if (c.pendingBatches === 1) refWriter(h, true);
    try {
      h.port.postMessage(message satisfies ToWriter, transfer);
    } catch (err) {
      this.settle({ id, ok: false, reason: 'STORE_IO', message: `cannot queue the write: ${(err as Error)?.message ?? String(err)}` });
    }
    return settled;
  }

  scan(request: ScanRequest, options: ScanOptions = {}): AsyncGenerator<Event[]> {
    const here = (): AsyncGenerator<Event[]> => scanStore(this.pool, this.names, request, options, this.limits);
    this.threaded = this.onScanThread(request);
    return this.threaded ? this.scanThread.scan(this.names, this.pool, request, options, this.limits, here) : here();
  }

  /** Whether the latest full scan was given to the scan thread (it runs there unless the thread was taken meanwhile). */
  get scannedOnThread(): boolean {
    return this.threaded;
  }

  /**
   * Whether a scan runs on the scan thread: one that hands the searches most rows of a large range (a shared scan,
   * whose searches take most of their sourcetypes' rows, or one without a raw filter), so this thread has their
   * work to do meanwhile. A single search's raw filter is pushed into SQL and leaves few rows (the seed detection:
   * 322 of 109k): its thread would only wait for the worker, which adds its start and messages.
   */
  private onScanThread(request: ScanRequest): boolean {
    if (!this.scanThread.free) return false;
    // Its rows' fields would go unread: copying them to and from the thread was most of the work (1.0 -> 1.4 s).
    if (request.metadataOnly === true) return false;
    const min = this.options.scanThreadMinEvents ?? SCAN_THREAD_MIN_EVENTS;
    if (min === 0) return true;
    if (request.raw !== null && (request.alternatives?.length ?? 0) === 0) return false;
    if (!coreToSpare()) return false;
    return this.catalogEvents(request) >= min;
  }

  /**
   * Events of the buckets overlapping the request's time range (a bound on what the scan reads; ~20 µs). 0 when it
   * cannot read (a closed store): the scan on the calling thread then reports why.
   */
  private catalogEvents(request: ScanRequest): number {
    if (this.closing !== null) return 0;
    const lo = request.earliest === null || Number.isNaN(request.earliest) ? null : microsAtOrAfter(request.earliest);
    const hi = request.latest === null || Number.isNaN(request.latest) ? null : microsAtOrAfter(request.latest);
    return this.read((db) => db.prepare<[{ lo: number | null; hi: number | null }], number>('SELECT coalesce(sum(events), 0) FROM buckets WHERE (@lo IS NULL OR end_us > @lo) AND (@hi IS NULL OR start_us < @hi)').pluck().get({ lo, hi }) ?? 0);
  }

  /**
   * The seq of the last event committed (0 for an empty store): every `AppendReceipt.firstSeq` handed out is at
   * most this, before and after a restart (the counter commits with the events). The HEC answers acks with it.
   */
  lastSeq(): number {
    return this.read((db) => db.prepare<[], number>("SELECT value FROM counters WHERE name = 'seq'").pluck().get() ?? 0);
  }

  /** A view of only the events with these seqs (see `AppendReceipt.firstSeq`), newest first like `scan`. */
  subset(seqs: readonly number[]): EventSource {
    return {
      newestFirst: true,
      scan: (request, options = {}) => scanStore(this.pool, this.names, request, options, this.limits, seqs),
    };
  }

  /** A view of only the events with seqs `from`..`to` (both included), newest first: one range seek per table. */
  seqRange(from: number, to: number): EventSource {
    return {
      newestFirst: true,
      scan: (request, options = {}) => scanStore(this.pool, this.names, request, options, this.limits, { from, to }),
    };
  }

  /**
   * The events with seqs `from`..`to` (both included) in no time order (each bucket table's in seq order):
   * a follower that reads everything once (the summary builder) skips seqRange's sort of the whole range.
   */
  seqEvents(from: number, to: number): AsyncGenerator<Event[]> {
    return scanStore(this.pool, this.names, emptyScanRequest(), {}, this.limits, { from, to }, false);
  }

  /**
   * The buckets each index holds that overlap `[from, to)`, as time spans: an event deleted by retention or with
   * its index is in none of them (whole buckets go). Data model summaries, which keep rows of their own, leave
   * such rows out by it.
   */
  bucketSpans(from: number, to: number): BucketSpan[] {
    const lo = from === -Infinity || Number.isNaN(from) ? null : microsAtOrAfter(from);
    const hi = to === Infinity || Number.isNaN(to) ? null : microsAtOrAfter(to);
    return this.read((db) =>
      db
        .prepare<[{ lo: number | null; hi: number | null }], [string, number, number]>(
          'SELECT i.name, b.start_us, b.end_us FROM buckets b JOIN splunk_indexes i ON i.id = b.index_id WHERE i.removed = 0 AND (@lo IS NULL OR b.end_us > @lo) AND (@hi IS NULL OR b.start_us < @hi)',
        )
        .raw()
        .all({ lo, hi })
        .map(([index, start, end]) => ({ index, start: fromMicros(start), end: fromMicros(end) })),
    );
  }

  indexes(): Promise<IndexInfo[]> {
    return this.readAsync((db) =>
      db
        .prepare<[], [string, number, number, number | null, number | null]>(
          `SELECT i.name, coalesce(sum(b.events), 0), coalesce(sum(b.bytes), 0), min(b.min_us), max(b.max_us)
           FROM splunk_indexes i LEFT JOIN buckets b ON b.index_id = i.id WHERE i.removed = 0 GROUP BY i.id ORDER BY i.name`,
        )
        .raw()
        .all()
        .map(([name, events, bytes, lo, hi]) => ({
          name,
          events,
          bytes,
          earliest: lo === null ? null : fromMicros(lo),
          latest: hi === null ? null : fromMicros(hi),
        })),
    );
  }

  /**
   * Whether the index exists: from memory (what this process created, deleted or saw), else one indexed
   * lookup, which also finds indexes created since by an append or another process. Cheap enough for
   * every HEC request.
   */
  indexExists(name: string): boolean {
    const known = (this.knownIndexes ??= new Set(this.read((db) => db.prepare<[], string>('SELECT name FROM splunk_indexes WHERE removed = 0').pluck().all())));
    if (known.has(name)) return true;
    const found = this.read((db) => db.prepare<[string], number>('SELECT 1 FROM splunk_indexes WHERE name = ? AND removed = 0').pluck().get(name)) !== undefined;
    if (found) known.add(name);
    return found;
  }

  /** Creates an index (nothing happens if it exists); resolves, once durable, with whether it was created. */
  createIndex(name: string): Promise<boolean> {
    return this.update(
      () => ({ op: 'createIndex', name: state.checkString(name, 'createIndex', 'name', true) }),
      (o) => {
        this.knownIndexes?.add(name);
        return o.created!;
      },
    );
  }

  /**
   * Deletes an index: its events (whole buckets) and its name, in one transaction. Resolves with the number
   * of events deleted; rejects with VigilError('CONTENT_NOT_FOUND') when there is no such index. An append
   * to it afterwards creates it again.
   */
  deleteIndex(name: string): Promise<number> {
    // Told before too: nothing may count on these events while they go.
    this.deleted(name, Infinity);
    return this.update(
      () => ({ op: 'deleteIndex', name: state.checkString(name, 'deleteIndex', 'name', true) }),
      (o) => {
        this.knownIndexes?.delete(name);
        this.deleted(name, Infinity);
        return o.deletedEvents!;
      },
    );
  }

  /**
   * Calls `listener` when events are deleted: those of `index` older than `before` (Infinity: all of them), by
   * retention or a deleted index (what holds on to events of its own, such as the match index, must drop them).
   */
  onDeleted(listener: (index: string, before: number) => void): void {
    this.deletionListeners.push(listener);
  }

  private deleted(index: string, before: number): void {
    for (const l of this.deletionListeners) l(index, before);
  }

  private retained(report: RetentionReport): RetentionReport {
    for (const d of report.deleted) if (d.events > 0) this.deleted(d.index, d.before);
    return report;
  }

  /** Replaces the retention policies used by `applyRetention`. */
  setRetention(retention: Record<string, RetentionPolicy>, defaultRetention?: RetentionPolicy): void {
    this.policies = { byIndex: { ...retention }, fallback: defaultRetention ?? null };
  }

  /**
   * Drops whole buckets (see CONTEXT.md): the writer worker does it between two commits (a large bucket
   * takes a while: ~0.5 s for 1.2M events) while this thread goes on.
   */
  applyRetention(now: number): Promise<RetentionReport> {
    return this.retentionCall(now, this.policies).then((r) => this.retained(r));
  }

  private retentionCall(now: number, policies: RetentionPolicies): Promise<RetentionReport> {
    let w: WriterHandle;
    try {
      w = this.retentionWriter();
    } catch (err) {
      return Promise.reject(err);
    }
    const call = ++this.nextCall;
    return new Promise<RetentionReport>((resolve, reject) => {
      this.calls.set(call, { resolve, reject });
      refWriter(w, true);
      w.port.postMessage({ type: 'retention', call, now, policies } satisfies ToWriter);
    });
  }

  private retentionWriter(): WriterHandle {
    if (this.readonly) throw new StoreError('STORE_IO', 'the event store is open read-only');
    if (this.closing) throw new StoreError('STORE_CLOSED', 'the event store is closed');
    const w = this.writer;
    if (w === null || !w.alive) throw new StoreError('STORE_IO', 'the event store writer is not running');
    return w;
  }

  stats(): StoreStats {
    return { ...this.counters };
  }

  /** Waits for every accepted append to be committed (or fail), stops the writer and closes connections. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const w = this.writer;
      if (w !== null && w.alive) {
        refWriter(w, true);
        w.port.postMessage({ type: 'close' } satisfies ToWriter);
        await w.closed;
      }
      this.failAll(new StoreError('STORE_CLOSED', 'the event store was closed before the batch was written'));
      await this.scanThread.close();
      this.pool.close();
      this.lock?.release();
    })();
    return this.closing;
  }

  private writerConfig(): WriterConfig {
    const o = this.options;
    return {
      path: this.path,
      busyTimeoutMs: o.busyTimeoutMs ?? 5000,
      maxGroupEvents: o.maxGroupEvents ?? 20_000,
      maxGroupChars: o.maxGroupChars ?? 32 * 1024 * 1024,
      maxPageCount: o.maxPageCount ?? null,
      commitDelayMs: o.writerDelayMs ?? 0,
      indexedFields: o.indexedFields ?? true,
    };
  }

  private startWriter(): WriterHandle {
    const { port1, port2 } = new MessageChannel();
    const o = this.options;
    const checkpoint = (o.checkpointThread ?? true) ? { intervalMs: CHECKPOINT_INTERVAL_MS, restartFrames: Math.max(1, o.walRestartPages ?? WAL_RESTART_FRAMES) } : null;
    const init: WorkerInit = { config: this.writerConfig(), checkpoint, port: port2 };
    const worker = new Worker(storeWorkerUrl('writer-worker'), { workerData: init, transferList: [port2] });
    let ready!: () => void;
    let failed!: (e: Error) => void;
    let closed!: () => void;
    const h: WriterHandle = {
      worker,
      port: port1,
      alive: true,
      ready: new Promise<void>((res, rej) => {
        ready = res;
        failed = rej;
      }),
      closed: new Promise<void>((res) => (closed = res)),
    };
    h.ready.catch(() => {}); // observed by open(); later failures surface through the pending appends
    const die = (err: Error) => {
      if (!h.alive) return;
      h.alive = false;
      failed(err);
      this.failAll(err);
      closed();
      port1.close();
    };
    port1.on('message', (m: FromWriter) => {
      switch (m.type) {
        case 'ready':
          ready();
          this.maybeUnref(h);
          break;
        case 'done':
          this.counters.commits += m.commits;
          for (const o of m.outcomes) this.settle(o);
          this.maybeUnref(h);
          break;
        case 'retained': {
          const c = this.calls.get(m.reply.call);
          this.calls.delete(m.reply.call);
          if (m.reply.ok) c?.resolve(m.reply.report);
          else c?.reject(new StoreError(m.reply.reason, m.reply.message));
          this.maybeUnref(h);
          break;
        }
        case 'fatal':
          die(new StoreError('STORE_IO', `the event store writer failed: ${m.message}`));
          break;
        case 'closed':
          h.alive = false;
          closed();
          port1.close();
          break;
      }
    });
    worker.on('error', (err) => die(new StoreError('STORE_IO', `the event store writer failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => die(new StoreError('STORE_IO', `the event store writer exited (code ${code})`)));
    this.writer = h;
    return h;
  }

  private maybeUnref(h: WriterHandle): void {
    if (this.counters.pendingBatches === 0 && this.calls.size === 0 && !this.closing) refWriter(h, false);
  }

  private settle(o: WriteOutcome): void {
    const p = this.pending.get(o.id);
    if (!p) return;
    this.pending.delete(o.id);
    const c = this.counters;
    c.pendingBatches--;
    c.pendingEvents -= p.events;
    c.pendingChars -= p.chars;
    if (o.ok) {
      c.committedBatches++;
      c.committedEvents += p.events;
      p.resolve(o);
    } else {
      c.failedBatches++;
      p.reject(o.reason === 'NOT_FOUND' ? new VigilError('CONTENT_NOT_FOUND', o.message) : new StoreError(o.reason, o.message));
    }
  }

  private failAll(err: Error): void {
    for (const [call, c] of [...this.calls]) {
      this.calls.delete(call);
      c.reject(err);
    }
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      this.counters.failedBatches++;
      p.reject(err);
    }
    const c = this.counters;
    c.pendingBatches = 0;
    c.pendingEvents = 0;
    c.pendingChars = 0;
  }
}

/** The worker keeps the process alive only while writes are in flight (or it is starting/closing). */
function refWriter(w: WriterHandle, on: boolean): void {
  if (!w.alive) return;
  if (on) {
    w.worker.ref();
    w.port.ref();
  } else {
    w.worker.unref();
    w.port.unref();
  }
}

interface Packed {
  times: Float64Array<ArrayBuffer>;
  strings: string[];
  /** PackedBatch.fields: absent when no event has indexed fields (no array for the usual batch). */
  fields?: (string | null)[];
  chars: number;
}

/** Validates and packs a batch for the worker. Throws (so the whole batch is refused) on a bad event. */
function pack(events: readonly Event[]): Packed {
  const times = new Float64Array(events.length);
  const strings: string[] = new Array<string>(events.length * STRINGS_PER_EVENT);
  let fields: (string | null)[] | undefined;
  let chars = 0;
  for (let i = 0, j = 0; i < events.length; i++, j += STRINGS_PER_EVENT) {
    const e = events[i]!;
    chars += checkEvent(e, i);
    times[i] = e._time;
    strings[j] = e.index;
    strings[j + 1] = e.sourcetype;
    strings[j + 2] = e.source;
    strings[j + 3] = e.host;
    strings[j + 4] = e._raw;
    const text = indexedFieldsText(e.fields);
    if (text !== null) (fields ??= new Array<string | null>(events.length).fill(null))[i] = text;
  }
  return fields === undefined ? { times, strings, chars } : { times, strings, fields, chars };
}

/** Creates the file if needed (16 KiB pages, WAL), migrates, and fixes the bucket span of a new store. */
function prepareDatabase(path: string, options: StoreOptions): void {
  const span = options.bucketSeconds ?? DEFAULT_BUCKET_SECONDS;
  if (!(span > 0) || !Number.isFinite(span)) throw new VigilError('CONFIG', `bucketSeconds must be a positive number, not ${span}`);
  // Before anything touches an existing file (its mode, its journal mode): another program's database is refused.
  if (storeExists(dirname(path))) {
    const probe = new Database(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs ?? 5000 });
    try {
      refuseForeign(probe);
    } finally {
      probe.close();
    }
  }
  // 0600 before SQLite opens it: its -wal and -shm files take the database's mode.
  createPrivateFile(path);
  restrictIfExists(`${path}-wal`);
  restrictIfExists(`${path}-shm`);
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    if ((db.pragma('page_count', { simple: true }) as number) === 0) db.pragma(`page_size = ${PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    migrate(db);
    db.prepare("INSERT OR IGNORE INTO store_settings (key, value) VALUES ('bucket_seconds', ?)").run(span);
  } finally {
    db.close();
  }
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not every platform can fsync a directory; SQLite's own fsyncs still cover the data.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
