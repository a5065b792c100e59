import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../../src/events/event.js';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';
import { toEvent } from '../../src/sources/tetragon.js';
import type { EventSource, ScanRequest } from '../../src/events/scan.js';
import { MemorySource } from '../../src/sources/memory.js';
import type { ContentPack } from '../../src/detections/content.js';
import { InProcessExecutor } from '../../src/schedule/executor.js';
import { Scheduler, type Clock } from '../../src/schedule/scheduler.js';
import type { ScheduleSettings } from '../../src/schedule/settings.js';
import { DEAD_LETTER_AT, StoreError, type FindingComment, type FindingQuery, type FindingRecord, type OutboxItem, type RunCommit, type RunQuery, type RunRecord, type StateStore } from '../../src/store/types.js';

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
  /** Run leases: `detectionId@scheduledTime` → holder and expiry (epoch seconds). */
  leases = new Map<string, { node: string; expiresAt: number }>();
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

  async indexes(): Promise<{ name: string }[]> {
    return [...new Set(['main', 'risk', 'notable', ...this.events.map((e) => e.index)])].map((name) => ({ name }));
  }

  scan(req: ScanRequest) {
    return new MemorySource(this.events).scan(req);
  }

  async commitRun(c: RunCommit): Promise<void> {
    const key = `${c.run.detectionId}@${c.run.scheduledTime}`;
    const lease = this.leases.get(key);
    const node = c.lease?.node ?? '';
    if (lease && lease.node !== node && lease.expiresAt > (c.lease?.now ?? Date.now() / 1000)) throw new StoreError('STORE_CONFLICT', `run ${key} is leased to ${lease.node}`);
    if (this.runsById.has(key)) throw new StoreError('STORE_CONFLICT', `run ${key} already committed`);
    if (this.failNextCommit) {
      this.failNextCommit = false;
      throw new Error('simulated crash during commit');
    }
    this.runsById.set(key, { ...c.run });
    this.leases.delete(key);
    this.append(c.events);
    for (const f of c.findings) if (!this.findingsById.has(f.id)) this.findingsById.set(f.id, { ...f });
    for (const o of c.outbox) if (!this.outbox.has(o.id)) this.outbox.set(o.id, { ...o, attempts: 0, lastError: null });
    for (const s of c.suppressions) this.suppressions.set(s.key, Math.max(s.until, this.suppressions.get(s.key) ?? 0));
  }
  async claimRun(id: string, t: number, node: string, leaseMs: number, now: number): Promise<boolean> {
    const key = `${id}@${t}`;
    const l = this.leases.get(key);
    if (this.runsById.has(key) || (l && l.node !== node && l.expiresAt > now)) return false;
    this.leases.set(key, { node, expiresAt: now + leaseMs / 1000 });
    return true;
  }
  async renewRun(id: string, t: number, node: string, leaseMs: number, now: number): Promise<boolean> {
    const key = `${id}@${t}`;
    if (this.runsById.has(key) || this.leases.get(key)?.node !== node) return false;
    this.leases.set(key, { node, expiresAt: now + leaseMs / 1000 });
    return true;
  }
  async hasRun(id: string, t: number): Promise<boolean> {
    return this.runsById.has(`${id}@${t}`);
  }
  async lastRun(id: string): Promise<RunRecord | null> {
    return [...this.runsById.values()].filter((r) => r.detectionId === id).sort((a, b) => b.scheduledTime - a.scheduledTime)[0] ?? null;
  }
  async runs(q: RunQuery = {}): Promise<RunRecord[]> {
    return [...this.runsById.values()]
      .filter((r) => (!q.detectionId || r.detectionId === q.detectionId) && (!q.status || r.status === q.status))
      .sort((a, b) => a.scheduledTime - b.scheduledTime || (a.detectionName < b.detectionName ? -1 : 1));
  }
  async cursor(id: string): Promise<number | null> {
    return this.cursors.get(id) ?? null;
  }
  async setCursor(id: string, t: number): Promise<void> {
    this.cursors.set(id, t);
  }
  async findings(q: FindingQuery = {}): Promise<FindingRecord[]> {
    return [...this.findingsById.values()].filter((f) => !q.status || f.status === q.status);
  }
  async finding(id: string) {
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
  async suppressed(keys: readonly string[], now: number): Promise<Set<string>> {
    return new Set(keys.filter((k) => (this.suppressions.get(k) ?? -Infinity) > now));
  }
  async dueOutbox(now: number, limit: number): Promise<OutboxItem[]> {
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
  async pruneDeadLetters(createdBefore: number, limit: number): Promise<number> {
    const dead = [...this.outbox.values()].filter((o) => o.nextAttemptAt >= DEAD_LETTER_AT && o.createdAt < createdBefore).slice(0, limit);
    for (const o of dead) this.outbox.delete(o.id);
    return dead.length;
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

/** A scheduler over `pack` whose runs execute in process over a MemoryStore, its clock at `now`: no alerts. */
export function inProcessScheduler(pack: ContentPack, settings: ScheduleSettings, now: number): { store: MemoryStore; clock: FakeClock; scheduler: Scheduler } {
  const store = new MemoryStore();
  const clock = new FakeClock(now);
  const scheduler = new Scheduler({
    content: () => pack,
    state: store,
    defaultIndexes: () => ['main'],
    executor: new InProcessExecutor(store, () => pack),
    clock,
    settings,
    alerts: null,
  });
  return { store, clock, scheduler };
}
