/**
 * Messages between SqliteStore (main thread) and the writer worker. Batches travel packed: one
 * transferable Float64Array of times plus a flat string array (5 per event), which is cheaper to clone
 * than event objects and never drags a parsed `json` along.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FindingComment, FindingRecord, FindingStatus, RunCommit, RunRecord, RetentionPolicy, RetentionReport, StoreErrorCode } from './types.js';

/** Strings per event in `PackedBatch.strings`: index, sourcetype, source, host, _raw. */
export const STRINGS_PER_EVENT = 5;

export interface PackedBatch {
  id: number;
  times: Float64Array;
  strings: string[];
  /** Per event, its indexed fields' stored text (`indexedFieldsText`, null: none); absent when no event has any. */
  fields?: (string | null)[];
}

export interface RetentionPolicies {
  byIndex: Record<string, RetentionPolicy>;
  fallback: RetentionPolicy | null;
}

export interface WriterConfig {
  path: string;
  busyTimeoutMs: number;
  /** Most events / `_raw` characters committed in one transaction (bounds commit latency). */
  maxGroupEvents: number;
  maxGroupChars: number;
  /** PRAGMA max_page_count on the write connection (a size cap; tests use it for a real SQLITE_FULL). */
  maxPageCount: number | null;
  /** Test hook: sleep this long before each commit (a stalled disk). */
  commitDelayMs: number;
  /** New tables keep the indexed fields (StoreOptions.indexedFields). */
  indexedFields: boolean;
}

/**
 * WAL checkpoints run in their own thread (checkpoint-worker.ts, started by the writer worker) on their own
 * connection, so the writer never copies the WAL into the database and fsyncs it inside a commit. They
 * share this Int32Array (a SharedArrayBuffer, `CK_SLOTS` slots):
 */
export const CK_SLOTS = 8;
/** Commits so far: the writer adds 1 after each commit and notifies (wakes the checkpointer). */
export const CK_COMMITS = 0;
/** 1: stop (set by the writer when it closes; notified on every slot the checkpointer waits on). */
export const CK_STOP = 1;
/**
 * 1: the checkpointer has backfilled all but a small tail of a WAL past `restartFrames` and asks the
 * writer to checkpoint that tail itself, between two commits; then the writer's next transaction starts
 * the WAL over from its beginning (SQLite does so when the whole WAL is in the database and no reader still
 * uses it). The writer sets it back to 0 and notifies. Without this the WAL would never restart under
 * continuous writes: a checkpoint running beside the writer is always behind by the latest commits.
 */
export const CK_RESTART = 2;
/** The checkpointer's last pass (for tests and stats): frames in the WAL, frames backfilled, passes. */
export const CK_LOG = 3;
export const CK_BACKFILLED = 4;
export const CK_PASSES = 5;

export interface CheckpointSettings {
  /** Fewest milliseconds between two passes (while the WAL is below `restartFrames`). */
  intervalMs: number;
  /** WAL size (frames) beyond which the checkpointer converges and asks the writer for a restart. */
  restartFrames: number;
}

export interface CheckpointerInit extends CheckpointSettings {
  path: string;
  busyTimeoutMs: number;
  state: Int32Array;
}

export interface WorkerInit {
  config: WriterConfig;
  /** null: no checkpoint worker (SQLite's automatic checkpoints, inside commits). */
  checkpoint: CheckpointSettings | null;
  /** Appends, run commits, state updates and retention calls in; outcomes out. */
  port: MessagePort;
}

/** A run's outputs: its events packed like an append, plus the state rows committed with them. */
export interface RunMessage extends PackedBatch {
  type: 'run';
  run: RunRecord;
  findings: RunCommit['findings'];
  outbox: RunCommit['outbox'];
  suppressions: RunCommit['suppressions'];
  /** The committing node and its clock; node '' (no node) conflicts with every live lease. */
  lease: { node: string; now: number };
}

/** A small scheduler/triage state update (no events). */
export type StateOp =
  | { op: 'setCursor'; detectionId: string; time: number }
  /** `owner` undefined: unchanged; null: unassigned. */
  | { op: 'updateFinding'; findingId: string; status?: FindingStatus; owner?: string | null; by: string; at: number }
  | { op: 'addComment'; comment: FindingComment }
  | { op: 'outboxDelivered'; outboxId: string }
  | { op: 'outboxFailed'; outboxId: string; error: string; nextAttemptAt: number }
  | { op: 'pruneDeadLetters'; createdBefore: number; limit: number }
  /** claimRun/renewRun: `node` holds the run's lease until `expiresAt`, as seen at `now`. */
  | { op: 'claimRun' | 'renewRun'; detectionId: string; scheduledTime: number; node: string; now: number; expiresAt: number }
  | IndexOp;

/** Index catalog changes: applied by the Writer itself (it caches index ids and bucket tables). */
export type IndexOp = { op: 'createIndex'; name: string } | { op: 'deleteIndex'; name: string };

export interface StateMessage {
  type: 'state';
  id: number;
  op: StateOp;
}

/**
 * What the writer commits, in arrival order and grouped into transactions. A bare PackedBatch is an
 * append (Writer.commit accepts batches without `type`).
 */
export type WriteItem = (PackedBatch & { type?: 'append' }) | RunMessage | StateMessage;

export type ToWriter = ({ type: 'append' } & PackedBatch) | RunMessage | StateMessage | RetentionRequest | { type: 'close' };

/** applyRetention: run between two commits, answered with `retained`. */
export interface RetentionRequest {
  type: 'retention';
  call: number;
  now: number;
  policies: RetentionPolicies;
}

export type RetentionReply =
  | { call: number; ok: true; report: RetentionReport }
  | { call: number; ok: false; reason: StoreErrorCode; message: string };

/** Why a write failed: a StoreError reason, or NOT_FOUND (a state update naming an unknown finding or index). */
export type WriteFailure = StoreErrorCode | 'NOT_FOUND';

export type WriteOutcome =
  /**
   * `finding`: the updated record, for updateFinding; `firstSeq`: the seq of an append's first event;
   * `created`: whether createIndex created the index; `deletedEvents`: the events deleteIndex deleted;
   * `held`: whether claimRun/renewRun's node holds the lease; `pruned`: the dead letters pruneDeadLetters removed.
   */
  | { id: number; ok: true; finding?: FindingRecord; firstSeq?: number; created?: boolean; deletedEvents?: number; held?: boolean; pruned?: number }
  | { id: number; ok: false; reason: WriteFailure; message: string };

export type FromWriter =
  | { type: 'ready' }
  /** `commits`: transactions this group took (1, or more when batches were retried one by one). */
  | { type: 'done'; outcomes: WriteOutcome[]; commits: number }
  | { type: 'retained'; reply: RetentionReply }
  | { type: 'fatal'; message: string }
  | { type: 'closed' };
