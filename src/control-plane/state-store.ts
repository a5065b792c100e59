/**
 * The scheduler/risk state (StateStore) on PostgreSQL, shared by every vigil node of a cluster: the run ledger
 * and its leases, cursors, findings and comments, the alert outbox and suppressions. Same semantics as the
 * SQLite implementation (src/store/state.ts); what differs — run leases as rows that a commit marks done, a
 * run's events kept here until the event store holds them — is in CONTEXT.md.
 * Every value reaches SQL as a bound parameter ($1…); the only text spliced into statements is the schema
 * name, checked against SCHEMA_NAME when opening.
 */
import type pg from 'pg';
import type { Event } from '../events/event.js';
import { VigilError } from '../errors.js';
import { checkEvent } from '../store/validate.js';
import * as state from '../store/state.js';
import {
  DEAD_LETTER_AT,
  StoreError,
  type FindingComment,
  type FindingQuery,
  type FindingRecord,
  type FindingStatus,
  type OutboxItem,
  type RunCommit,
  type RunMode,
  type RunQuery,
  type RunRecord,
  type RunStatus,
  type StateStore,
} from '../store/types.js';
import { guarded, transaction } from './connection.js';
import { PostgresConsoleState } from './console-state.js';
import { fromPg, fromPgOrNull, toPg } from './text.js';

/** Where a committed run's risk/notable events go: the event store (ClickHouse in a cluster). */
export interface RunEventSink {
  /** Stores the batch atomically; a retried identical batch must be stored once (ClickHouse block deduplication). */
  append(events: readonly Event[]): Promise<unknown>;
}

export interface StateStoreOptions {
  /** Where committed runs' events go. */
  events: RunEventSink;
  /** How often runs' events still here are offered to the event store again (ms). Default 5000; 0: never by timer. */
  eventRetryMs?: number;
  /**
   * How long a node may hold a pending block's row lock while it appends the block (ms; default 120 000: above
   * the event store's own bounds on an append). The server ends a session idle in that transaction longer, so a
   * node stopped mid-append (SIGSTOP, a frozen VM) does not keep every other node's sweep off the block until it
   * comes back; an append that was slower is offered again, and the store keeps the identical block once.
   */
  eventHoldMs?: number;
  log?: (level: 'warn' | 'error', message: string) => void;
}

const RUN_COLS =
  'detection_id, scheduled_time, detection_name, earliest, latest, started_at, ended_at, status, mode, ' +
  'result_count, risk_event_count, finding_count, error';

interface RunRow {
  detection_id: string;
  scheduled_time: number;
  detection_name: string;
  earliest: number;
  latest: number;
  started_at: number;
  ended_at: number;
  status: string;
  mode: string;
  result_count: number;
  risk_event_count: number;
  finding_count: number;
  error: string | null;
}

function runOf(r: RunRow): RunRecord {
  return {
    detectionId: fromPg(r.detection_id),
    scheduledTime: r.scheduled_time,
    detectionName: fromPg(r.detection_name),
    earliest: r.earliest,
    latest: r.latest,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    status: r.status as RunStatus,
    mode: r.mode as RunMode,
    resultCount: r.result_count,
    riskEventCount: r.risk_event_count,
    findingCount: r.finding_count,
    error: fromPgOrNull(r.error),
  };
}

const FINDING_COLS = 'id, rule_id, rule_name, time, risk_object, risk_object_type, risk_score, detail, status, owner, updated_at';

interface FindingRow {
  id: string;
  rule_id: string;
  rule_name: string;
  time: number;
  risk_object: string;
  risk_object_type: string;
  risk_score: number;
  detail: string;
  status: string;
  owner: string | null;
  updated_at: number;
}

function findingOf(r: FindingRow): FindingRecord {
  return {
    id: fromPg(r.id),
    ruleId: fromPg(r.rule_id),
    ruleName: fromPg(r.rule_name),
    time: r.time,
    riskObject: fromPg(r.risk_object),
    riskObjectType: fromPg(r.risk_object_type),
    riskScore: r.risk_score,
    detail: fromPg(r.detail),
    status: r.status as FindingStatus,
    owner: fromPgOrNull(r.owner),
    updatedAt: r.updated_at,
  };
}

const OUTBOX_COLS = 'id, action, payload, created_at, attempts, next_attempt_at, last_error';

interface OutboxRow {
  id: string;
  action: string;
  payload: string;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
}

function outboxOf(r: OutboxRow): OutboxItem {
  return {
    id: fromPg(r.id),
    action: fromPg(r.action),
    payload: fromPg(r.payload),
    createdAt: r.created_at,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: fromPgOrNull(r.last_error),
  };
}

/** null: no limit (PostgreSQL's LIMIT NULL). The same validation as SQLite's store. */
function limitOf(limit: number | undefined): number | null {
  return limit === undefined ? null : state.checkLimit(limit);
}

/** The conditions of a query with their $n parameters; an undefined value means "no condition". */
class Where {
  private readonly conds: string[] = [];
  readonly params: unknown[] = [];
  add(cond: (p: string) => string, value: string | number | undefined): void {
    if (value === undefined) return;
    this.params.push(typeof value === 'string' ? toPg(value) : value);
    this.conds.push(cond(`$${this.params.length}`));
  }
  sql(): string {
    return this.conds.length ? ` WHERE ${this.conds.join(' AND ')}` : '';
  }
  /** The next parameter's placeholder, after those of the conditions. */
  next(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}

/** First occurrence of each key wins (SQLite inserts one by one: a later duplicate hits ON CONFLICT DO NOTHING). */
function firstById<T extends { id: string }>(rows: readonly T[]): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.id) && (seen.add(r.id), true));
}

export class PostgresStateStore implements StateStore {
  /** Sessions, detection toggles and macro edits, on the same pool. */
  readonly consoleState: PostgresConsoleState;
  private closed = false;
  private readonly timer: NodeJS.Timeout | undefined;
  /** The sweep in progress, so close() waits for it and two sweeps of this process never overlap. */
  private sweeping: Promise<number> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    /** Quoted schema name. */
    private readonly S: string,
    private readonly opts: StateStoreOptions,
  ) {
    this.consoleState = new PostgresConsoleState(pool, S, () => this.closed);
    const every = opts.eventRetryMs ?? 5000;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.deliverPendingEvents().catch((err: Error) => opts.log?.('warn', `run events not yet delivered to the event store: ${err.message}`));
      }, every);
      this.timer.unref();
    }
  }

  // --- writes -----------------------------------------------------------------------------------------

  /**
   * One transaction: the run's lease row marked done (refused with STORE_CONFLICT when the run is done already
   * or another node's lease is live at `commit.lease.now`), the ledger row, findings (existing ids unchanged),
   * outbox items (existing ids ignored), suppressions (later `until` wins) and the run's events as one pending
   * block. After COMMIT the block goes to the event store and is deleted from here; if the event store fails,
   * it stays and `deliverPendingEvents` (a timer, on every node) retries it. Resolves once the commit is
   * durable (the events included, here or in the event store).
   */
  async commitRun(commit: RunCommit): Promise<void> {
    this.refuseClosed();
    const rows = state.normalizeRunCommit(commit);
    const events = commit.events ?? [];
    events.forEach(checkEvent);
    const where = `run ${rows.run.detectionId}@${rows.run.scheduledTime}`;
    // No lease: a commit from no node (a backfill, a test), checked against this machine's clock.
    const lease =
      commit.lease === undefined
        ? { node: '', now: Date.now() / 1000 }
        : { node: state.checkString(commit.lease.node, where, 'lease.node', true), now: state.checkTime(commit.lease.now, where, 'lease.now') };
    const r = rows.run;
    const key = [toPg(r.detectionId), r.scheduledTime];
    const S = this.S;
    await this.guard(`commit ${where}`, () =>
      transaction(this.pool, async (q) => {
        const taken = await q.query(
          `INSERT INTO ${S}.run_leases AS l (detection_id, scheduled_time, node, expires_at, done) VALUES ($1, $2, $3, $4, true)
           ON CONFLICT (detection_id, scheduled_time) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at, done = true
           WHERE NOT l.done AND (l.node = excluded.node OR l.expires_at <= $4) RETURNING 1`,
          [...key, toPg(lease.node), lease.now],
        );
        if (taken.rowCount === 0) {
          // The row is locked by the statement above: this reads what refused the commit.
          const l = (await q.query<{ node: string; done: boolean }>(`SELECT node, done FROM ${S}.run_leases WHERE detection_id = $1 AND scheduled_time = $2`, key)).rows[0];
          throw new StoreError(
            'STORE_CONFLICT',
            l?.done === false ? `the run of ${r.detectionId} at ${r.scheduledTime} is leased to node ${fromPg(l.node)}` : `the run of ${r.detectionId} at ${r.scheduledTime} is already in the ledger`,
          );
        }
        const added = await q.query(
          `INSERT INTO ${S}.runs (${RUN_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (detection_id, scheduled_time) DO NOTHING RETURNING 1`,
          [...key, toPg(r.detectionName), r.earliest, r.latest, r.startedAt, r.endedAt, r.status, r.mode, r.resultCount, r.riskEventCount, r.findingCount, r.error === null ? null : toPg(r.error)],
        );
        if (added.rowCount === 0) throw new StoreError('STORE_CONFLICT', `the run of ${r.detectionId} at ${r.scheduledTime} is already in the ledger`);
        const findings = firstById(rows.findings);
        if (findings.length) {
          const col = <K extends keyof FindingRecord>(k: K) => findings.map((f) => (typeof f[k] === 'string' ? toPg(f[k] as string) : f[k]));
          await q.query(
            `INSERT INTO ${S}.findings (${FINDING_COLS})
             SELECT ${FINDING_COLS}
             FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::text[], $6::text[], $7::float8[], $8::text[], $9::text[], $10::text[], $11::float8[]) WITH ORDINALITY
               AS t(id, rule_id, rule_name, time, risk_object, risk_object_type, risk_score, detail, status, owner, updated_at, ord)
             ORDER BY ord ON CONFLICT (id) DO NOTHING`,
            [col('id'), col('ruleId'), col('ruleName'), col('time'), col('riskObject'), col('riskObjectType'), col('riskScore'), col('detail'), col('status'), col('owner'), col('updatedAt')],
          );
        }
        const outbox = firstById(rows.outbox);
        if (outbox.length) {
          await q.query(
            `INSERT INTO ${S}.outbox (id, action, payload, created_at, next_attempt_at)
             SELECT id, action, payload, created_at, next_attempt_at
             FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[]) WITH ORDINALITY AS t(id, action, payload, created_at, next_attempt_at, ord)
             ORDER BY ord ON CONFLICT (id) DO NOTHING`,
            [outbox.map((o) => toPg(o.id)), outbox.map((o) => toPg(o.action)), outbox.map((o) => toPg(o.payload)), outbox.map((o) => o.createdAt), outbox.map((o) => o.nextAttemptAt)],
          );
        }
        // One row per key (an upsert may not touch a row twice in one statement): the later until wins.
        const until = new Map<string, number>();
        for (const s of rows.suppressions) until.set(s.key, Math.max(s.until, until.get(s.key) ?? -Infinity));
        if (until.size) {
          await q.query(
            `INSERT INTO ${S}.suppressions (key, until) SELECT * FROM unnest($1::text[], $2::float8[])
             ON CONFLICT (key) DO UPDATE SET until = greatest(${S}.suppressions.until, excluded.until)`,
            [[...until.keys()].map(toPg), [...until.values()]],
          );
        }
        // JSON text: it holds any JS string exactly (U+0000 and lone surrogates are escaped), so the block a
        // retry sends is the one committed.
        if (events.length) await q.query(`INSERT INTO ${S}.run_events (detection_id, scheduled_time, events) VALUES ($1, $2, $3)`, [...key, JSON.stringify(events.map(plainEvent))]);
      }),
    );
    if (events.length === 0) return;
    // The run is committed: a failure here only delays its events (kept here, retried by the sweep).
    const outcome = await this.deliverRunEvents(r.detectionId, r.scheduledTime).catch((err: Error) => err);
    if (outcome instanceof Error) this.opts.log?.('warn', `${where}: events kept for a retry: ${outcome.message}`);
  }

  /**
   * Offers pending runs' events to the event store again, oldest first, until it fails (it is likely down:
   * the rest waits for the next sweep); resolves with how many runs' events were delivered. Every node runs it
   * on a timer; `FOR UPDATE SKIP LOCKED` keeps two nodes off the same block at the same time.
   */
  deliverPendingEvents(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    this.sweeping ??= (async () => {
      try {
        const pending = await this.read('list pending run events', (p) =>
          p.query<{ detection_id: string; scheduled_time: number }>(`SELECT detection_id, scheduled_time FROM ${this.S}.run_events ORDER BY committed_at LIMIT 1000`),
        );
        let delivered = 0;
        for (const row of pending.rows) {
          if (this.closed) break;
          const outcome = await this.deliverRunEvents(fromPg(row.detection_id), row.scheduled_time);
          if (outcome instanceof Error) {
            this.opts.log?.('warn', `run events not yet delivered to the event store: ${outcome.message}`);
            break;
          }
          if (outcome) delivered++;
        }
        return delivered;
      } finally {
        this.sweeping = null;
      }
    })();
    return this.sweeping;
  }

  /**
   * Appends one run's pending block while holding its row lock, then deletes it. True when delivered, false
   * when there is none (delivered already, or another node has it), the event store's error when it failed
   * (counted on the row).
   */
  private async deliverRunEvents(detectionId: string, scheduledTime: number): Promise<boolean | Error> {
    const key = [toPg(detectionId), scheduledTime];
    const S = this.S;
    return this.guard(`deliver the events of run ${detectionId}@${scheduledTime}`, () =>
      transaction(this.pool, async (q) => {
        // The row lock below is held while the event store appends: bounded by the server (eventHoldMs).
        await q.query("SELECT set_config('idle_in_transaction_session_timeout', $1, true)", [`${Math.max(1, Math.floor(this.opts.eventHoldMs ?? 120_000))}ms`]);
        const row = (
          await q.query<{ events: string }>(`SELECT events FROM ${S}.run_events WHERE detection_id = $1 AND scheduled_time = $2 FOR UPDATE SKIP LOCKED`, key)
        ).rows[0];
        if (row === undefined) return false;
        try {
          await this.opts.events.append(JSON.parse(row.events) as Event[]);
        } catch (err) {
          const failure = err instanceof Error ? err : new Error(String(err));
          await q.query(`UPDATE ${S}.run_events SET attempts = attempts + 1, last_error = $3 WHERE detection_id = $1 AND scheduled_time = $2`, [
            ...key,
            toPg(failure.message),
          ]);
          return failure;
        }
        await q.query(`DELETE FROM ${S}.run_events WHERE detection_id = $1 AND scheduled_time = $2`, key);
        return true;
      }),
    );
  }

  async claimRun(detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): Promise<boolean> {
    const op = this.leaseOp('claimRun', detectionId, scheduledTime, node, leaseMs, now);
    // One statement: taken when there is no lease, or it is this node's, or it expired — never once done.
    const res = await this.guard(`claim run ${op.where}`, () =>
      this.pool.query(
        `INSERT INTO ${this.S}.run_leases AS l (detection_id, scheduled_time, node, expires_at, done) VALUES ($1, $2, $3, $4, false)
         ON CONFLICT (detection_id, scheduled_time) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at
         WHERE NOT l.done AND (l.node = excluded.node OR l.expires_at <= $5) RETURNING 1`,
        [...op.params, now],
      ),
    );
    return res.rowCount === 1;
  }

  async renewRun(detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): Promise<boolean> {
    const op = this.leaseOp('renewRun', detectionId, scheduledTime, node, leaseMs, now);
    const res = await this.guard(`renew run ${op.where}`, () =>
      this.pool.query(
        `UPDATE ${this.S}.run_leases SET expires_at = $4 WHERE detection_id = $1 AND scheduled_time = $2 AND node = $3 AND NOT done RETURNING 1`,
        op.params,
      ),
    );
    return res.rowCount === 1;
  }

  /** Validated lease parameters: detection id, scheduled time, node, expiry (same checks as SQLite's store). */
  private leaseOp(op: string, detectionId: string, scheduledTime: number, node: string, leaseMs: number, now: number): { where: string; params: unknown[] } {
    this.refuseClosed();
    const where = `${op} ${String(detectionId)}@${String(scheduledTime)}`;
    const ms = state.checkTime(leaseMs, where, 'leaseMs');
    if (ms < 0) throw new VigilError('INPUT_MALFORMED', `${where}: leaseMs must not be negative`);
    const at = state.checkTime(now, where, 'now');
    return {
      where: `${detectionId}@${scheduledTime}`,
      params: [
        toPg(state.checkString(detectionId, where, 'detectionId', true)),
        state.checkTime(scheduledTime, where, 'scheduledTime'),
        toPg(state.checkString(node, where, 'node', true)),
        at + ms / 1000,
      ],
    };
  }

  async setCursor(detectionId: string, time: number): Promise<void> {
    this.refuseClosed();
    const id = state.checkString(detectionId, 'setCursor', 'detectionId', true);
    const t = state.checkTime(time, 'setCursor', 'time');
    await this.guard('set cursor', () =>
      this.pool.query(
        `INSERT INTO ${this.S}.scheduler_cursors (detection_id, time) VALUES ($1, $2) ON CONFLICT (detection_id) DO UPDATE SET time = excluded.time`,
        [toPg(id), t],
      ),
    );
  }

  async updateFinding(id: string, patch: { status?: FindingStatus; owner?: string | null }, by: string, at: number): Promise<FindingRecord> {
    this.refuseClosed();
    const where = `finding ${String(id)}`;
    const findingId = state.checkString(id, where, 'id', true);
    const who = state.checkString(by, where, 'by');
    const when = state.checkTime(at, where, 'at');
    const status = patch.status === undefined ? null : state.checkFindingStatus(patch.status, where);
    const setOwner = patch.owner !== undefined;
    const owner = patch.owner === undefined || patch.owner === null ? null : state.checkString(patch.owner, where, 'owner');
    const res = await this.guard(`update ${where}`, () =>
      this.pool.query<FindingRow>(
        `UPDATE ${this.S}.findings SET status = coalesce($1::text, status), owner = CASE WHEN $2::boolean THEN $3::text ELSE owner END,
           updated_at = $4, updated_by = $5 WHERE id = $6 RETURNING ${FINDING_COLS}`,
        [status, setOwner, owner === null ? null : toPg(owner), when, toPg(who), toPg(findingId)],
      ),
    );
    const row = res.rows[0];
    if (row === undefined) throw notFound(findingId);
    return findingOf(row);
  }

  async addComment(comment: FindingComment): Promise<void> {
    this.refuseClosed();
    const where = `comment on finding ${String(comment.findingId)}`;
    const findingId = state.checkString(comment.findingId, where, 'findingId', true);
    const time = state.checkTime(comment.time, where, 'time');
    const author = state.checkString(comment.author, where, 'author');
    const text = state.checkString(comment.text, where, 'text');
    const res = await this.guard(`add ${where}`, () =>
      this.pool.query(
        `INSERT INTO ${this.S}.finding_comments (finding_id, time, author, text)
         SELECT id, $2, $3, $4 FROM ${this.S}.findings WHERE id = $1 FOR KEY SHARE`,
        [toPg(findingId), time, toPg(author), toPg(text)],
      ),
    );
    if (res.rowCount === 0) throw notFound(findingId);
  }

  async outboxDelivered(id: string): Promise<void> {
    this.refuseClosed();
    const outboxId = state.checkString(id, 'outboxDelivered', 'id', true);
    await this.guard('outbox delivered', () => this.pool.query(`DELETE FROM ${this.S}.outbox WHERE id = $1`, [toPg(outboxId)]));
  }

  async outboxFailed(id: string, error: string, nextAttemptAt: number): Promise<void> {
    this.refuseClosed();
    const outboxId = state.checkString(id, 'outboxFailed', 'id', true);
    const message = state.checkString(error, 'outboxFailed', 'error');
    const next = state.checkTime(nextAttemptAt, 'outboxFailed', 'nextAttemptAt');
    await this.guard('outbox failed', () =>
      this.pool.query(`UPDATE ${this.S}.outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2 WHERE id = $3`, [toPg(message), next, toPg(outboxId)]),
    );
  }

  async pruneDeadLetters(createdBefore: number, limit: number): Promise<number> {
    this.refuseClosed();
    const before = state.checkTime(createdBefore, 'pruneDeadLetters', 'createdBefore');
    const n = state.checkLimit(limit);
    const res = await this.guard('prune dead letters', () =>
      this.pool.query(
        `DELETE FROM ${this.S}.outbox WHERE id IN (SELECT id FROM ${this.S}.outbox WHERE next_attempt_at >= $1 AND created_at < $2 LIMIT $3)`,
        [DEAD_LETTER_AT, before, n],
      ),
    );
    return res.rowCount ?? 0;
  }

  // --- reads (each one statement, or one REPEATABLE READ transaction: a read sees every commit that
  // finished before it started, on any node) -------------------------------------------------------------

  async hasRun(detectionId: string, scheduledTime: number): Promise<boolean> {
    const res = await this.read('hasRun', (p) =>
      p.query(`SELECT 1 FROM ${this.S}.runs WHERE detection_id = $1 AND scheduled_time = $2`, [toPg(String(detectionId)), scheduledTime]),
    );
    return res.rowCount === 1;
  }

  async lastRun(detectionId: string): Promise<RunRecord | null> {
    const res = await this.read('lastRun', (p) =>
      p.query<RunRow>(`SELECT ${RUN_COLS} FROM ${this.S}.runs WHERE detection_id = $1 ORDER BY scheduled_time DESC LIMIT 1`, [toPg(String(detectionId))]),
    );
    return res.rows[0] ? runOf(res.rows[0]) : null;
  }

  /** Newest scheduled time first (ties: latest committed first); `since` inclusive, `until` exclusive. */
  async runs(query: RunQuery = {}): Promise<RunRecord[]> {
    const w = new Where();
    w.add((p) => `detection_id = ${p}`, query.detectionId);
    w.add((p) => `status = ${p}`, query.status);
    w.add((p) => `scheduled_time >= ${p}`, query.since);
    w.add((p) => `scheduled_time < ${p}`, query.until);
    const sql = `SELECT ${RUN_COLS} FROM ${this.S}.runs${w.sql()} ORDER BY scheduled_time DESC, seq DESC LIMIT ${w.next(limitOf(query.limit))}`;
    const res = await this.read('runs', (p) => p.query<RunRow>(sql, w.params));
    return res.rows.map(runOf);
  }

  async cursor(detectionId: string): Promise<number | null> {
    const res = await this.read('cursor', (p) =>
      p.query<{ time: number }>(`SELECT time FROM ${this.S}.scheduler_cursors WHERE detection_id = $1`, [toPg(String(detectionId))]),
    );
    return res.rows[0]?.time ?? null;
  }

  /** Newest first (ties: latest raised first); `since` inclusive, on the finding's time; `before` a finding's id (a page's last). */
  async findings(query: FindingQuery = {}): Promise<FindingRecord[]> {
    const w = new Where();
    w.add((p) => `status = ${p}`, query.status);
    w.add((p) => `owner = ${p}`, query.owner);
    w.add((p) => `risk_object = ${p}`, query.riskObject);
    w.add((p) => `time >= ${p}`, query.since);
    // The list's order as a row value: an unknown id selects nothing (the API checks it exists).
    w.add((p) => `(time, seq) < (SELECT time, seq FROM ${this.S}.findings WHERE id = ${p})`, query.before);
    const sql = `SELECT ${FINDING_COLS} FROM ${this.S}.findings${w.sql()} ORDER BY time DESC, seq DESC LIMIT ${w.next(limitOf(query.limit))}`;
    const res = await this.read('findings', (p) => p.query<FindingRow>(sql, w.params));
    return res.rows.map(findingOf);
  }

  /** A finding and its comments (oldest first), from one snapshot. */
  async finding(id: string): Promise<{ finding: FindingRecord; comments: FindingComment[] } | null> {
    this.refuseClosed();
    const key = [toPg(String(id))];
    return this.guard('finding', () =>
      transaction(
        this.pool,
        async (q) => {
          const f = (await q.query<FindingRow>(`SELECT ${FINDING_COLS} FROM ${this.S}.findings WHERE id = $1`, key)).rows[0];
          if (f === undefined) return null;
          const comments = (
            await q.query<{ finding_id: string; time: number; author: string; text: string }>(
              `SELECT finding_id, time, author, text FROM ${this.S}.finding_comments WHERE finding_id = $1 ORDER BY time, id`,
              key,
            )
          ).rows.map((c) => ({ findingId: fromPg(c.finding_id), time: c.time, author: fromPg(c.author), text: fromPg(c.text) }));
          return { finding: findingOf(f), comments };
        },
        'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      ),
    );
  }

  /** The keys among `keys` suppressed at `now`: a suppression is active while now < until. */
  async suppressed(keys: readonly string[], now: number): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const res = await this.read('suppressed', (p) =>
      p.query<{ key: string }>(`SELECT key FROM ${this.S}.suppressions WHERE key = ANY($1::text[]) AND until > $2`, [keys.map((k) => toPg(String(k))), now]),
    );
    return new Set(res.rows.map((r) => fromPg(r.key)));
  }

  /** Items with nextAttemptAt <= now, earliest first (ties: oldest queued first), except those of `excludeActions`. */
  async dueOutbox(now: number, limit: number, excludeActions: readonly string[] = []): Promise<OutboxItem[]> {
    const n = limitOf(limit);
    const res = await this.read('dueOutbox', (p) =>
      p.query<OutboxRow>(
        `SELECT ${OUTBOX_COLS} FROM ${this.S}.outbox WHERE next_attempt_at <= $1 AND NOT (action = ANY($3::text[])) ORDER BY next_attempt_at, seq LIMIT $2`,
        [now, n, excludeActions.map(toPg)],
      ),
    );
    return res.rows.map(outboxOf);
  }

  /**
   * A lock shared by every node on this control plane, named `name` (a transaction advisory lock on its own pooled
   * connection): resolves with its release once held, or null when it was not had within `waitMs` or the server
   * failed (the caller goes ahead without it). A node that dies mid-hold loses its connection, and the lock with it;
   * one that stops without dying (SIGSTOP, a frozen VM, a partition that leaves its TCP connection open) loses it
   * `holdMs` after taking it: the server ends a session idle in its transaction that long
   * (`idle_in_transaction_session_timeout`), where a session lock was held until the node came back — every other
   * node's insert into that shard waited `waitMs` for it meanwhile. The ClickHouse store serializes each shard's
   * quorum inserts across the nodes with it (node-store.ts).
   */
  async sharedLock(name: string, waitMs: number, holdMs = DEFAULT_HOLD_MS): Promise<(() => Promise<void>) | null> {
    if (this.closed) return null;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch {
      return null;
    }
    // pg-pool does not listen for a checked-out client's 'error' (its connection dropping while the lock is held, or
    // the server ending it past holdMs), which would crash the process: listened to here, and such a client is
    // dropped at release (see `transaction`).
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    const drop = (err?: Error) => {
      client.removeListener('error', onError);
      client.release(err ?? broken ?? true);
    };
    try {
      // lock_timeout bounds the wait (an advisory lock is a heavyweight lock), idle_in_transaction_session_timeout the
      // hold; both are local to the transaction, so the connection goes back to the pool with its defaults.
      // query_timeout too: a server that stopped answering enforces no lock_timeout, and an append waits for this
      // (a hung PostgreSQL held HEC replies for the pool's 60 s query timeout).
      const wait = Math.max(1, Math.floor(waitMs));
      const hold = Math.max(1, Math.floor(holdMs));
      await client.query(timedQuery('BEGIN', [], wait + 1000));
      await client.query(
        timedQuery("SELECT set_config('lock_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $2, true)", [`${wait}ms`, `${hold}ms`], wait + 1000),
      );
      await client.query(timedQuery('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil lock ${name}`], wait + 1000));
    } catch (err) {
      drop(err as Error); // dropped: its open transaction, and any lock half-had, go with it
      return null;
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        // Bounded as well: the holder's next insert waits for this (a hung server: the connection is dropped instead,
        // which frees the lock once the server notices). Past holdMs the server ended the session: COMMIT fails and
        // the connection is dropped.
        if (broken) throw broken;
        await client.query(timedQuery('COMMIT', [], RELEASE_TIMEOUT_MS));
        client.removeListener('error', onError);
        client.release(broken);
      } catch (err) {
        drop(err as Error);
      }
    };
  }

  /** Stops the retry timer, waits for a sweep in progress, closes the pool. Later calls reject with STORE_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    await this.sweeping?.catch(() => undefined);
    this.closed = true;
    await this.pool.end();
  }

  // --- plumbing ---------------------------------------------------------------------------------------

  private refuseClosed(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the control plane is closed');
  }

  private read<T>(what: string, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
    this.refuseClosed();
    return this.guard(what, () => fn(this.pool));
  }

  private guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.refuseClosed();
    return guarded(what, fn);
  }
}

function notFound(findingId: string): VigilError {
  return new VigilError('CONTENT_NOT_FOUND', `no finding with id "${findingId}"`);
}

/** The stored fields only, indexed fields included (a reader's parsed `json` is not stored). */
function plainEvent(e: Event): Event {
  const plain: Event = { _time: e._time, index: e.index, sourcetype: e.sourcetype, source: e.source, host: e.host, _raw: e._raw };
  if (e.fields !== undefined) plain.fields = e.fields;
  return plain;
}

/** How long releasing a shared lock may take before its connection is dropped instead. */
const RELEASE_TIMEOUT_MS = 2000;
/** How long a shared lock is held at most when its caller names no bound (the server ends the session past it). */
const DEFAULT_HOLD_MS = 60_000;

/** A query with its own client-side timeout: pg reads `query_timeout` per query too (its types list it only for the client). */
function timedQuery(text: string, values: string[], ms: number): pg.QueryConfig<string[]> {
  const query: pg.QueryConfig<string[]> & { query_timeout: number } = { text, values, query_timeout: ms };
  return query;
}
