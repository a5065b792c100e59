import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../../src/events/event.js';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';
import { toEvent } from '../../src/sources/tetragon.js';
import type { EventSource, ScanRequest } from '../../src/events/scan.js';
import { MemorySource } from '../../src/sources/memory.js';
import type { Clock } from '../../src/schedule/scheduler.js';
import { StoreError, type FindingComment, type FindingQuery, type FindingRecord, type OutboxItem, type RunCommit, type RunQuery, type RunRecord, type StateStore } from '../../src/store/types.js';

/**
 * An in-memory event store + scheduler state with the same contract as the SQLite store (atomic
 * commitRun, ledger uniqueness), for driving the scheduler with a fake clock. `failNextCommit` simulates
 * a crash at commit time: nothing of that run is kept.
 */
export class MemoryStore implements EventSource, StateStore {
  readonly newestFirst = true;
  events: Event[] = [];
  runsById = new Map<string, RunRecord>();
  cursors = new Map<string, number>();
  findingsById = new Map<string, FindingRecord>();
  comments: FindingComment[] = [];
  outbox = new Map<string, OutboxItem>();
  suppressions = new Map<string, number>();
  failNextCommit = false;

  /** Each event's seq (the store's insertion sequence), parallel to `events`. */
  private readonly seqs: number[] = [];

  /** Returns the first event's seq, like `AppendReceipt.firstSeq`. */
  append(events: readonly Event[]): number {
    const first = this.seqs.length + 1;
    for (const e of events) {
      this.events.push(e);
      this.seqs.push(this.seqs.length + 1);
    }
    return first;
  }

  subset(seqs: readonly number[]): MemorySource {
    const wanted = new Set(seqs);
    return new MemorySource(this.events.filter((_, i) => wanted.has(this.seqs[i]!)));
  }

  indexes(): { name: string }[] {
    return [...new Set(['main', 'risk', 'notable', ...this.events.map((e) => e.index)])].map((name) => ({ name }));
  }

  scan(req: ScanRequest) {
    return new MemorySource(this.events).scan(req);
  }

  async commitRun(c: RunCommit): Promise<void> {
    const key = `${c.run.detectionId}@${c.run.scheduledTime}`;
    if (this.runsById.has(key)) throw new StoreError('STORE_CONFLICT', `run ${key} already committed`);
    if (this.failNextCommit) {
      this.failNextCommit = false;
      throw new Error('simulated crash during commit');
    }
    this.runsById.set(key, { ...c.run });
    this.append(c.events);
    for (const f of c.findings) if (!this.findingsById.has(f.id)) this.findingsById.set(f.id, { ...f });
    for (const o of c.outbox) if (!this.outbox.has(o.id)) this.outbox.set(o.id, { ...o, attempts: 0, lastError: null });
    for (const s of c.suppressions) this.suppressions.set(s.key, Math.max(s.until, this.suppressions.get(s.key) ?? 0));
  }
  hasRun(id: string, t: number): boolean {
    return this.runsById.has(`${id}@${t}`);
  }
  lastRun(id: string): RunRecord | null {
    return [...this.runsById.values()].filter((r) => r.detectionId === id).sort((a, b) => b.scheduledTime - a.scheduledTime)[0] ?? null;
  }
  runs(q: RunQuery = {}): RunRecord[] {
    return [...this.runsById.values()]
      .filter((r) => (!q.detectionId || r.detectionId === q.detectionId) && (!q.status || r.status === q.status))
      .sort((a, b) => a.scheduledTime - b.scheduledTime || (a.detectionName < b.detectionName ? -1 : 1));
  }
  cursor(id: string): number | null {
    return this.cursors.get(id) ?? null;
  }
  async setCursor(id: string, t: number): Promise<void> {
    this.cursors.set(id, t);
  }
  findings(q: FindingQuery = {}): FindingRecord[] {
    return [...this.findingsById.values()].filter((f) => !q.status || f.status === q.status);
  }
  finding(id: string) {
    const f = this.findingsById.get(id);
    return f ? { finding: f, comments: this.comments.filter((c) => c.findingId === id) } : null;
  }
  async updateFinding(id: string, patch: { status?: FindingRecord['status']; owner?: string | null }, _by: string, at: number): Promise<FindingRecord> {
    const f = this.findingsById.get(id)!;
    Object.assign(f, patch, { updatedAt: at });
    return f;
  }
  async addComment(c: FindingComment): Promise<void> {
    this.comments.push(c);
  }
  suppressed(keys: readonly string[], now: number): Set<string> {
    return new Set(keys.filter((k) => (this.suppressions.get(k) ?? -Infinity) > now));
  }
  dueOutbox(now: number, limit: number): OutboxItem[] {
    return [...this.outbox.values()].filter((o) => o.nextAttemptAt <= now).slice(0, limit);
  }
  async outboxDelivered(id: string): Promise<void> {
    this.outbox.delete(id);
  }
  async outboxFailed(id: string, error: string, next: number): Promise<void> {
    const o = this.outbox.get(id)!;
    o.attempts++;
    o.lastError = error;
    o.nextAttemptAt = next;
  }
}

/** A clock the test moves by hand; `wait` resolves immediately (the test drives time). */
export class FakeClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  async wait(): Promise<void> {}
}

/** The events of bundled datasets (attack_data paths), as the collector would store them. */
export function datasetEvents(...rels: string[]): Event[] {
  return rels.flatMap((rel) =>
    readFileSync(join(BUNDLED_DATASETS_DIR, rel), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => toEvent(line, { index: 'main', source: rel, defaultHost: 'h', fallbackTime: () => 0 }))
      .flatMap((r) => (r.ok ? [{ ...r.event, json: undefined }] : [])),
  );
}
