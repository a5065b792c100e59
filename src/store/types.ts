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
  /** Indexes with their sizes and time ranges. */
  indexes(): IndexInfo[];
  /** Applies retention (age and size per index) as of `now`; returns what was deleted. */
  applyRetention(now: number): RetentionReport;
  close(): Promise<void>;
}

export interface AppendReceipt {
  count: number;
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

/** The outcome of ingest back-pressure: callers map `busy` to HEC code 9 (503, Server is busy). */
export type StoreErrorCode = 'STORE_BUSY' | 'STORE_FULL' | 'STORE_IO' | 'STORE_CLOSED';

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
