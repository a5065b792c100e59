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
}

export interface WorkerInit {
  config: WriterConfig;
  /** Appends, run commits and state updates in; outcomes out. */
  port: MessagePort;
  /** Synchronous calls (applyRetention): request in, reply out, then `flag` is set and notified. */
  syncPort: MessagePort;
  flag: Int32Array;
}

/** A run's outputs: its events packed like an append, plus the state rows committed with them. */
export interface RunMessage extends PackedBatch {
  type: 'run';
  run: RunRecord;
  findings: RunCommit['findings'];
  outbox: RunCommit['outbox'];
  suppressions: RunCommit['suppressions'];
}

/** A small scheduler/triage state update (no events). */
export type StateOp =
  | { op: 'setCursor'; detectionId: string; time: number }
  /** `owner` undefined: unchanged; null: unassigned. */
  | { op: 'updateFinding'; findingId: string; status?: FindingStatus; owner?: string | null; by: string; at: number }
  | { op: 'addComment'; comment: FindingComment }
  | { op: 'outboxDelivered'; outboxId: string }
  | { op: 'outboxFailed'; outboxId: string; error: string; nextAttemptAt: number };

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

export type ToWriter = ({ type: 'append' } & PackedBatch) | RunMessage | StateMessage | SyncRequest | { type: 'close' };

export interface SyncRequest {
  type: 'retention';
  call: number;
  now: number;
  policies: RetentionPolicies;
}

export type SyncReply =
  | { call: number; ok: true; report: RetentionReport }
  | { call: number; ok: false; reason: StoreErrorCode; message: string };

/** Why a write failed: a StoreError reason, or NOT_FOUND (a state update naming an unknown finding). */
export type WriteFailure = StoreErrorCode | 'NOT_FOUND';

export type WriteOutcome =
  /** `finding`: the updated record, for updateFinding. */
  | { id: number; ok: true; finding?: FindingRecord }
  | { id: number; ok: false; reason: WriteFailure; message: string };

export type FromWriter =
  | { type: 'ready' }
  /** `commits`: transactions this group took (1, or more when batches were retried one by one). */
  | { type: 'done'; outcomes: WriteOutcome[]; commits: number }
  | { type: 'retained'; reply: SyncReply }
  | { type: 'fatal'; message: string }
  | { type: 'closed' };
