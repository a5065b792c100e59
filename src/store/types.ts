import type { Event } from '../events/event.js';
import type { EventSource } from '../events/scan.js';
import { VigilError } from '../errors.js';

/**
 * The event store behind `vigil serve`, `vigil search --data-dir` and the scheduler. The SPL engine only
 * sees it as an EventSource (scan with pushdowns, newest first); the collector appends batches. A
 * distributed backend implements the same interface without touching the engine.
 */
export interface EventStore extends EventSource {
  /** Always true: scans return events newest first, Splunk's search order. */
  readonly newestFirst: true;
  /**
   * Appends a batch atomically: either every event is stored or none is. The promise resolves only once
   * the batch is durable (committed to disk); rejects with a StoreError (e.g. reason 'STORE_FULL' when the
   * disk is full or the writer is overloaded) without storing anything.
   */
  append(events: readonly Event[]): Promise<AppendReceipt>;
  /** Existing indexes with their sizes and time ranges, by name. */
  indexes(): Promise<IndexInfo[]>;
  /**
   * Whether an index exists: reserved (main, risk, notable), created with `createIndex`, or by an append
   * to it, and not deleted since. Synchronous and cheap: the HEC collector asks for every request, so a
   * distributed store answers from a cache of names it refreshes (an index another node created since may
   * be reported missing until the refresh).
   */
  indexExists(name: string): boolean;
  /** Creates an index (nothing happens if it exists); resolves, once durable, with whether it was created. */
  createIndex(name: string): Promise<boolean>;
  /**
   * Deletes an index and all its events; resolves with how many events were deleted, rejects with
   * VigilError('CONTENT_NOT_FOUND') when there is no such index.
   */
  deleteIndex(name: string): Promise<number>;
  /** Applies retention (age and size per index) as of `now`; resolves with what was deleted. */
  applyRetention(now: number): Promise<RetentionReport>;
  close(): Promise<void>;
}

export interface AppendReceipt {
  count: number;
  /**
   * When the store numbers events (its insertion sequence, see `SeqSubsetSource`): the batch's events are
   * `firstSeq`, `firstSeq + 1`, … in batch order.
   */
  firstSeq?: number;
}

/** The time span (seconds, `start` included, `end` not) of one event bucket an index holds. */
export interface BucketSpan {
  index: string;
  start: number;
  end: number;
}

export interface IndexInfo {
  name: string;
  events: number;
  bytes: number;
  earliest: number | null;
  latest: number | null;
}

export interface RetentionPolicy {
  /** Events older than this many seconds are deleted. */
  maxAgeSeconds?: number;
  /** When the index's raw data exceeds this, the oldest time ranges are deleted. */
  maxBytes?: number;
}

export interface RetentionReport {
  deleted: { index: string; events: number; before: number }[];
}

/**
 * Why a store operation failed. BUSY and FULL are ingest back-pressure (collectors map them to HEC code 9,
 * 503 Server is busy); CONFLICT: `commitRun` of a run already in the ledger, or whose lease another live node
 * holds; LOCKED: opening read-write a data dir another process writes to (dir-lock.ts).
 */
export type StoreErrorCode = 'STORE_BUSY' | 'STORE_FULL' | 'STORE_IO' | 'STORE_CLOSED' | 'STORE_CONFLICT' | 'STORE_LOCKED';

export class StoreError extends VigilError {
  constructor(
    readonly reason: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('STORE', message, options);
    this.name = 'StoreError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Scheduler and risk state (issue 4): kept in the same database as the events so that a run's outputs
// (risk/notable events, findings, alert deliveries) commit atomically with its ledger row.

export type RunStatus = 'success' | 'failed' | 'timeout' | 'skipped';
export type RunMode = 'scheduled' | 'backfill' | 'realtime';

/** One row of the run ledger: a detection (or incident rule) run for one scheduled time. */
export interface RunRecord {
  detectionId: string;
  detectionName: string;
  /** The cron time this run belongs to (epoch seconds). (detectionId, scheduledTime) is unique. */
  scheduledTime: number;
  /** The search window, resolved against scheduledTime. */
  earliest: number;
  latest: number;
  startedAt: number;
  endedAt: number;
  status: RunStatus;
  mode: RunMode;
  resultCount: number;
  riskEventCount: number;
  findingCount: number;
  error: string | null;
}

export type FindingStatus = 'new' | 'in progress' | 'resolved' | 'closed';
/** A finding's owner and a comment, trimmed (characters), as the API and `vigil findings update` accept them. */
export const MAX_FINDING_OWNER_CHARS = 128;
export const MAX_FINDING_COMMENT_CHARS = 10_000;

/** A finding (notable) raised by a risk incident rule, with its mutable triage state. */
export interface FindingRecord {
  /** Deterministic: rule id + risk object + scheduled time, so re-running a window adds nothing. */
  id: string;
  ruleId: string;
  ruleName: string;
  /** When it was raised (the run's scheduled time). */
  time: number;
  riskObject: string;
  riskObjectType: string;
  riskScore: number;
  /** The rule's result row, as JSON text (risk_score, tactics, sources, contributing events...). */
  detail: string;
  status: FindingStatus;
  owner: string | null;
  updatedAt: number;
}

export interface FindingComment {
  findingId: string;
  time: number;
  author: string;
  text: string;
}

/**
 * `nextAttemptAt` of an outbox item given up on (permanent refusal, or attempts exhausted): 9999-12-31, so it
 * stays as a dead letter with its lastError, never due again, until `pruneDeadLetters` removes it.
 */
export const DEAD_LETTER_AT = 253_402_300_799;

/** A delivery an alert action still owes (at-least-once: removed only once delivered). */
export interface OutboxItem {
  /** Idempotency key sent to the receiver; unique. */
  id: string;
  /** Name of the alert action (from the config). */
  action: string;
  /** JSON text of what to deliver. */
  payload: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
}

/** What one run commits, all or nothing. */
export interface RunCommit {
  run: RunRecord;
  /** Risk events (index `risk`) and notable events (index `notable`) to append. */
  events: Event[];
  findings: FindingRecord[];
  outbox: Omit<OutboxItem, 'attempts' | 'lastError'>[];
  /** Suppression keys to remember (alert.suppress): key → until (epoch seconds). */
  suppressions: { key: string; until: number }[];
  /**
   * The node committing and its clock (epoch seconds), for the lease check (see `claimRun`). Absent: a
   * commit from no node (a local backfill, a test), refused too while any node holds a live lease on the run.
   */
  lease?: { node: string; now: number };
}

export interface RunQuery {
  detectionId?: string;
  since?: number;
  until?: number;
  status?: RunStatus;
  limit?: number;
}

export interface FindingQuery {
  status?: FindingStatus;
  owner?: string;
  riskObject?: string;
  since?: number;
  /** A finding's id: only the findings after it in the list's order (older, or as old and raised before it). */
  before?: string;
  limit?: number;
}

/**
 * Durable scheduler/risk state. `commitRun` is atomic with the events it appends; it rejects with
 * StoreError('STORE_CONFLICT') when (detectionId, scheduledTime) is already in the ledger, so a scheduled
 * time is never run twice even if two schedulers race. Schedulers on several nodes sharing one StateStore
 * also take a lease on a run before executing it (`claimRun`, `renewRun`), so a run is executed by one
 * node at a time and taken over once the lease of a dead node expires.
 * Writes resolve once durable; reads resolve with a state that includes every write that resolved before
 * they were called (in any process, on any node). Invalid arguments reject with VigilError('INPUT_MALFORMED');
 * a read-only store rejects writes with StoreError('STORE_IO').
 */
export interface StateStore {
  /**
   * Ledger row + events + findings (an existing id is left unchanged) + outbox items (an existing id is
   * ignored) + suppressions (the later `until` wins), all or nothing, and the run's lease is released. May
   * reject with STORE_BUSY under ingest back-pressure (retry), STORE_CONFLICT (already run, or another node
   * than `commit.lease.node` holds a lease on it that is live at `commit.lease.now`: nothing stored).
   */
  commitRun(commit: RunCommit): Promise<void>;
  /**
   * Takes the lease on a run for `node` until `now + leaseMs / 1000` (times in epoch seconds, as everywhere;
   * durable when resolved). True when `node` now holds it: the run is not in the ledger and no other node
   * holds a lease live at `now` (an expired one is taken over; `node`'s own is extended). False otherwise.
   */
  claimRun(detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): Promise<boolean>;
  /**
   * Extends `node`'s lease to `now + leaseMs / 1000`. False when the lease was lost: another node holds it
   * (it expired and was taken over), or the run is in the ledger, or there is no lease. A lease that expired
   * but that no other node took is still `node`'s and is extended. `leaseMs` 0 releases it (it expires at
   * `now`): a scheduler stopping mid-run lets the next one take the run over at once.
   */
  renewRun(detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): Promise<boolean>;
  hasRun(detectionId: string, scheduledTime: number): Promise<boolean>;
  /** The run with the latest scheduledTime. */
  lastRun(detectionId: string): Promise<RunRecord | null>;
  /** Newest scheduledTime first; `since` inclusive, `until` exclusive; every run when `limit` is absent. */
  runs(query?: RunQuery): Promise<RunRecord[]>;
  /** The scheduler's cursor per detection: scheduled times up to it have been considered. */
  cursor(detectionId: string): Promise<number | null>;
  setCursor(detectionId: string, time: number): Promise<void>;
  /** Newest `time` first; `since` inclusive; every match when `limit` is absent. */
  findings(query?: FindingQuery): Promise<FindingRecord[]>;
  /** With its comments, oldest first (one consistent read). */
  finding(id: string): Promise<{ finding: FindingRecord; comments: FindingComment[] } | null>;
  /**
   * `owner: null` unassigns, an absent field is kept; sets updatedAt = at and records `by`. Resolves with
   * the updated record; an unknown id rejects with VigilError('CONTENT_NOT_FOUND').
   */
  updateFinding(id: string, patch: { status?: FindingStatus; owner?: string | null }, by: string, at: number): Promise<FindingRecord>;
  /** An unknown finding rejects with VigilError('CONTENT_NOT_FOUND'). */
  addComment(comment: FindingComment): Promise<void>;
  /** Active suppressions among `keys` at `now`: a key is suppressed while now < until. */
  suppressed(keys: readonly string[], now: number): Promise<Set<string>>;
  /**
   * Items with nextAttemptAt <= now, earliest nextAttemptAt first, except those of `excludeActions` (the
   * dispatcher's busy actions: their backlog must not fill the list and starve the others).
   */
  dueOutbox(now: number, limit: number, excludeActions?: readonly string[]): Promise<OutboxItem[]>;
  /** Removes the item. An unknown id is not an error (already delivered). */
  outboxDelivered(id: string): Promise<void>;
  /** attempts + 1, lastError, nextAttemptAt. An unknown id is not an error (already delivered). */
  outboxFailed(id: string, error: string, nextAttemptAt: number): Promise<void>;
  /**
   * Removes at most `limit` dead letters (nextAttemptAt >= DEAD_LETTER_AT) created before `createdBefore`
   * (any of them, in no particular order); resolves with how many it removed.
   */
  pruneDeadLetters(createdBefore: number, limit: number): Promise<number>;
}
