/**
 * Delivers the outbox: polls `state.dueOutbox`, sends through each item's action, then marks the item
 * delivered or failed with its next attempt time. At-least-once: an item leaves the outbox only after its
 * receiver confirmed it; a crash (or an aborted stop) between send and mark leaves it due, and it is sent
 * again with the same idempotency key. See CONTEXT.md for the retry policy.
 */
import { hostname as osHostname } from 'node:os';
import { DEAD_LETTER_AT, type OutboxItem, type StateStore } from '../store/types.js';
import { ACTION_DEFAULTS, type AlertAction, type AlertActionType, type BackoffPolicy } from './actions.js';
import { FileTransport } from './file-action.js';
import { SplunkHecTransport } from './splunk-hec.js';
import type { DeliveryOutcome, Transport } from './transport.js';
import { WebhookTransport } from './webhook.js';

export { DEAD_LETTER_AT };

export function isDeadLettered(item: Pick<OutboxItem, 'nextAttemptAt'>): boolean {
  return item.nextAttemptAt >= DEAD_LETTER_AT;
}

/** How often dead letters past their retention are looked for (seconds). */
const PRUNE_EVERY_S = 3600;
/** Dead letters removed per store call: a large backlog goes in several polls, none holding a long write. */
const PRUNE_BATCH = 10_000;

/** How long an item whose action is no longer configured waits before being looked at again. */
const UNKNOWN_ACTION_RETRY_S = 3600;
/** A Retry-After beyond this is clamped: a receiver must not park alerts for days. */
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type DispatcherLogLevel = 'info' | 'warn' | 'error';
export type DispatcherLog = (level: DispatcherLogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface AlertDispatcherOptions {
  /** Only the outbox methods are used; the caller owns the store. */
  state: Pick<StateStore, 'dueOutbox' | 'outboxDelivered' | 'outboxFailed' | 'pruneDeadLetters'>;
  actions: readonly AlertAction[];
  /** Clock, epoch seconds (default wall clock). Backoff and due times are computed with it. */
  now?: () => number;
  /** Poll timers (default global setTimeout). Request timeouts always use real time. */
  timers?: Timers;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
  /** Poll period when idle (default 1000 ms); a finished delivery polls again at once. */
  pollIntervalMs?: number;
  /** Deliveries (requests / batches) in flight at once, all actions together (default 8). */
  concurrency?: number;
  /** Deliveries in flight at once per action (default 2), so one hanging receiver cannot take every slot. */
  perActionConcurrency?: number;
  log?: DispatcherLog;
  /** Host of HEC envelopes whose action names none (default os.hostname()). */
  hostname?: string;
  /** Transport factory override (tests, or an embedding that adds action types). */
  createTransport?: (action: AlertAction) => Transport;
  /**
   * Dead letters older than this (seconds since their alert was raised) are removed from the outbox, checked
   * every hour (default ACTION_DEFAULTS.deadLetterRetentionS, 7 days; Infinity keeps them).
   */
  deadLetterRetentionS?: number;
}

export interface ActionStats {
  type: AlertActionType;
  delivered: number;
  /** Failed attempts that will be retried. */
  failed: number;
  /** Items given up on (permanent refusal or attempts exhausted), left in the outbox. */
  deadLettered: number;
  inFlight: number;
  /** Items of this action that were due at the last poll but waiting for a free slot. */
  pending: number;
  lastError: { at: number; id: string; message: string } | null;
  lastDeliveredAt: number | null;
}

export interface DispatcherStats {
  running: boolean;
  delivered: number;
  failed: number;
  deadLettered: number;
  inFlight: number;
  pending: number;
  actions: Record<string, ActionStats>;
}

export function createTransport(action: AlertAction, hostname: string): Transport {
  switch (action.type) {
    case 'webhook':
      return new WebhookTransport(action);
    case 'splunk_hec':
      return new SplunkHecTransport(action, hostname);
    case 'file':
      return new FileTransport(action);
  }
}

/**
 * Delay before attempt `attempt + 1` after `attempt` failed (1-based): min(maxMs, initialMs·factor^(attempt−1)),
 * times a uniform factor in [1−jitter, 1+jitter], capped at maxMs.
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt - 1));
  const spread = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.min(policy.maxMs, Math.round(base * spread));
}

interface ActionState {
  action: AlertAction;
  transport: Transport;
  stats: ActionStats;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

function defaultLog(level: DispatcherLogLevel, message: string, fields?: Record<string, unknown>): void {
  if (level === 'info') return;
  process.stderr.write(`vigil alerts ${level}: ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
}

export class AlertDispatcher {
  private readonly state: AlertDispatcherOptions['state'];
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly pollIntervalMs: number;
  private readonly concurrency: number;
  private readonly perAction: number;
  private readonly log: DispatcherLog;
  private readonly byName = new Map<string, ActionState>();
  /** The last poll's error message, while polls fail (logged when it changes). */
  private pollError: string | null = null;
  /** The poll in progress (see pump). */
  private polling: Promise<unknown> = Promise.resolve();
  /** Ids being delivered: dueOutbox keeps returning them until they are marked. */
  private readonly inFlightIds = new Set<string>();
  private readonly deliveries = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  /** Items whose outcome could not be recorded: not retried here before this time (no hot loop on a sick store). */
  private readonly cooling = new Map<string, number>();
  private timer: unknown = null;
  private running = false;
  private stopped = false;
  private readonly retentionS: number;
  /** When dead letters were last pruned (-Infinity: not yet; a full batch leaves it, so the next poll goes on). */
  private prunedAt = -Infinity;

  constructor(opts: AlertDispatcherOptions) {
    this.state = opts.state;
    this.now = opts.now ?? (() => Date.now() / 1000);
    this.timers = opts.timers ?? realTimers;
    this.random = opts.random ?? Math.random;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.perAction = Math.max(1, opts.perActionConcurrency ?? 2);
    this.log = opts.log ?? defaultLog;
    this.retentionS = opts.deadLetterRetentionS ?? ACTION_DEFAULTS.deadLetterRetentionS;
    const host = opts.hostname ?? osHostname();
    const make = opts.createTransport ?? ((a: AlertAction) => createTransport(a, host));
    for (const action of opts.actions) {
      this.byName.set(action.name, {
        action,
        transport: make(action),
        stats: { type: action.type, delivered: 0, failed: 0, deadLettered: 0, inFlight: 0, pending: 0, lastError: null, lastDeliveredAt: null },
      });
    }
  }

  /** Starts polling. A stopped dispatcher cannot be restarted (its transports are closed): make a new one. */
  start(): void {
    if (this.stopped) throw new Error('AlertDispatcher: start() after stop()');
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Polls now instead of at the next tick (e.g. right after a run committed new outbox items). */
  kick(): void {
    if (!this.running) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.schedule(0);
  }

  /**
   * One poll: starts deliveries for what is due (within the concurrency limits) and waits for them.
   * Returns how many items it attempted. For tests and for `vigil backfill`, which deliver without start().
   */
  async pollOnce(): Promise<number> {
    const started = await this.pump();
    await Promise.allSettled(started.promises);
    return started.items;
  }

  /**
   * Stops polling and waits for in-flight deliveries (each bounded by its action's timeout). With
   * `abortAfterMs`, deliveries still running then are aborted and their items left untouched in the
   * outbox: the next dispatcher sends them again, same idempotency key.
   */
  async stop(opts: { abortAfterMs?: number } = {}): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    let abortTimer: unknown = null;
    if (opts.abortAfterMs !== undefined) {
      const abortAll = (): void => this.controllers.forEach((c) => c.abort());
      if (opts.abortAfterMs <= 0) abortAll();
      else abortTimer = this.timers.setTimeout(abortAll, opts.abortAfterMs);
    }
    await this.polling; // a poll reading the outbox starts nothing once it sees `stopped`
    await Promise.allSettled([...this.deliveries]);
    if (abortTimer !== null) this.timers.clearTimeout(abortTimer);
    await Promise.allSettled([...this.byName.values()].map((s) => s.transport.close()));
  }

  stats(): DispatcherStats {
    const actions: Record<string, ActionStats> = {};
    const total = { delivered: 0, failed: 0, deadLettered: 0, inFlight: 0, pending: 0 };
    for (const [name, s] of this.byName) {
      actions[name] = { ...s.stats, lastError: s.stats.lastError ? { ...s.stats.lastError } : null };
      total.delivered += s.stats.delivered;
      total.failed += s.stats.failed;
      total.deadLettered += s.stats.deadLettered;
      total.inFlight += s.stats.inFlight;
      total.pending += s.stats.pending;
    }
    return { running: this.running, ...total, actions };
  }

  // -------------------------------------------------------------------------------------------------

  private schedule(ms: number): void {
    if (!this.running || this.timer !== null) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.pump()
        .then(() => {
          if (this.pollError !== null) this.log('info', 'alert outbox poll works again');
          this.pollError = null;
        })
        .catch((e: Error) => {
          // Once per outage, not every poll: a control plane down for a minute logged ~60 identical lines per node.
          if (e.message !== this.pollError) this.log('error', `alert outbox poll failed: ${e.message} (said again only when the error changes)`);
          this.pollError = e.message;
        })
        .then(() => this.schedule(this.pollIntervalMs));
    }, ms);
  }

  /**
   * Starts deliveries for due items; resolves once they are started. Polls run one after another: a poll
   * reading the outbox while another starts deliveries would get items that one may have delivered since.
   */
  private pump(): Promise<{ items: number; promises: Promise<void>[] }> {
    const p = this.polling.then(() => this.pumpNow());
    this.polling = p.catch(() => undefined);
    return p;
  }

  private async pumpNow(): Promise<{ items: number; promises: Promise<void>[] }> {
    const promises: Promise<void>[] = [];
    if (this.stopped || this.concurrency - this.deliveries.size <= 0) return { items: 0, promises };
    const now = this.now();
    await this.pruneDeadLetters(now);
    for (const [id, until] of this.cooling) if (until <= now) this.cooling.delete(id);
    const maxBatch = Math.max(1, ...[...this.byName.values()].map((s) => s.transport.batchSize));
    // Ask for enough to fill every free slot even though in-flight and cooling items come back too.
    const limit = Math.min(10_000, (this.concurrency - this.deliveries.size) * maxBatch + this.inFlightIds.size + this.cooling.size);
    // Actions with no free slot are left out: a backlog of theirs would fill the list and starve the others.
    const busy = [...this.byName].filter(([, s]) => s.stats.inFlight >= this.perAction).map(([name]) => name);
    const listed = await this.state.dueOutbox(now, limit, busy);
    // Deliveries may have ended (freeing slots) or stop() been called during the read.
    let free = this.concurrency - this.deliveries.size;
    if (this.stopped || free <= 0) return { items: 0, promises };
    const due = listed.filter((it) => !this.inFlightIds.has(it.id) && !this.cooling.has(it.id));

    const groups = new Map<string, OutboxItem[]>();
    for (const it of due) {
      const g = groups.get(it.action);
      if (g) g.push(it);
      else groups.set(it.action, [it]);
    }
    // A busy action's items were not listed: its pending count stays the last one seen.
    for (const [name, s] of this.byName) if (!busy.includes(name)) s.stats.pending = 0;

    let items = 0;
    for (const [name, group] of groups) {
      const s = this.byName.get(name);
      if (!s) {
        for (const it of group) promises.push(this.track([it], this.parkUnknown(it)));
        continue;
      }
      let offset = 0;
      while (offset < group.length && free > 0 && s.stats.inFlight < this.perAction) {
        const batch = group.slice(offset, offset + s.transport.batchSize);
        offset += batch.length;
        free--;
        items += batch.length;
        promises.push(this.track(batch, this.deliver(s, batch), s));
      }
      s.stats.pending = group.length - offset;
    }
    return { items, promises };
  }

  /**
   * Removes dead letters past their retention, at most every PRUNE_EVERY_S (a batch at a time: a full one
   * goes on at the next poll). A failure is logged: the outbox is delivered all the same.
   */
  private async pruneDeadLetters(now: number): Promise<void> {
    if (this.retentionS === Infinity || now - this.prunedAt < PRUNE_EVERY_S) return;
    try {
      const removed = await this.state.pruneDeadLetters(now - this.retentionS, PRUNE_BATCH);
      if (removed < PRUNE_BATCH) this.prunedAt = now;
      if (removed > 0) this.log('info', `removed ${removed} dead letter(s) raised more than ${this.retentionS} s ago`);
    } catch (e) {
      this.prunedAt = now;
      this.log('warn', `dead letters not pruned: ${(e as Error).message}`);
    }
  }

  /** Registers a delivery so stop() waits for it, and polls again when it ends (there may be more). */
  private track(batch: OutboxItem[], work: Promise<void>, s?: ActionState): Promise<void> {
    for (const it of batch) this.inFlightIds.add(it.id);
    if (s) s.stats.inFlight++;
    const p = work.finally(() => {
      for (const it of batch) this.inFlightIds.delete(it.id);
      if (s) s.stats.inFlight--;
      this.deliveries.delete(p);
      this.kick();
    });
    this.deliveries.add(p);
    return p;
  }

  private async deliver(s: ActionState, batch: OutboxItem[]): Promise<void> {
    const controller = new AbortController();
    this.controllers.add(controller);
    let outcomes: DeliveryOutcome[];
    try {
      outcomes = await s.transport.deliver(batch, { signal: controller.signal, now: this.now });
      if (outcomes.length !== batch.length) throw new Error(`transport returned ${outcomes.length} outcomes for ${batch.length} items`);
    } catch (e) {
      outcomes = batch.map(() => ({ status: 'retry', error: `delivery failed: ${(e as Error).message}` }));
    } finally {
      this.controllers.delete(controller);
    }
    await Promise.all(batch.map((item, i) => this.record(s, item, outcomes[i]!, controller.signal.aborted)));
  }

  private async record(s: ActionState, item: OutboxItem, outcome: DeliveryOutcome, aborted: boolean): Promise<void> {
    const { action, stats } = s;
    const now = this.now();
    if (outcome.status === 'delivered') {
      try {
        await this.state.outboxDelivered(item.id);
        stats.delivered++;
        stats.lastDeliveredAt = now;
      } catch (e) {
        // Delivered but not recorded: it will be sent again (same key); that is the at-least-once trade.
        this.markFailedToRecord(item, now, e);
      }
      return;
    }
    // Stopping without waiting: the receiver's answer is unknown, so the item stays as it was.
    if (aborted) {
      this.log('info', `alert delivery aborted by stop; item stays in the outbox`, { action: action.name, id: item.id });
      return;
    }
    const attempt = item.attempts + 1;
    let nextAttemptAt: number;
    let error: string;
    if (outcome.status === 'permanent' || attempt >= action.maxAttempts) {
      nextAttemptAt = DEAD_LETTER_AT;
      error = outcome.status === 'permanent' ? `permanent failure: ${outcome.error}` : `gave up after ${attempt} attempts: ${outcome.error}`;
      stats.deadLettered++;
      this.log('error', `alert action "${action.name}" gave up on an item: ${error}`, { action: action.name, type: action.type, id: item.id, attempts: attempt });
    } else {
      const delayMs = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS) : backoffDelayMs(action.backoff, attempt, this.random);
      nextAttemptAt = now + delayMs / 1000;
      error = outcome.error;
      stats.failed++;
      this.log('warn', `alert action "${action.name}" attempt ${attempt} failed, retrying in ${(delayMs / 1000).toFixed(1)} s: ${error}`, { action: action.name, id: item.id, attempt });
    }
    stats.lastError = { at: now, id: item.id, message: error };
    try {
      await this.state.outboxFailed(item.id, error, nextAttemptAt);
    } catch (e) {
      this.markFailedToRecord(item, now, e);
    }
  }

  /** An item whose action is not configured (renamed or removed): kept, looked at again later. */
  private async parkUnknown(item: OutboxItem): Promise<void> {
    const now = this.now();
    const error = `no alert action named "${item.action}" is configured (renamed or removed?); kept in the outbox`;
    this.log('warn', error, { id: item.id });
    try {
      await this.state.outboxFailed(item.id, error, now + UNKNOWN_ACTION_RETRY_S);
    } catch (e) {
      this.markFailedToRecord(item, now, e);
    }
  }

  private markFailedToRecord(item: OutboxItem, now: number, e: unknown): void {
    this.cooling.set(item.id, now + Math.max(1, this.pollIntervalMs / 1000) * 10);
    this.log('error', `could not record the outcome of alert delivery ${item.id}: ${(e as Error).message}`, { action: item.action, id: item.id });
  }
}
