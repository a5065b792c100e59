/**
 * Scheduler and risk state (issue 4) in the event store's database: the run ledger, scheduler cursors,
 * findings and their comments, the alert outbox and suppressions (tables from migration 2).
 * - `StateWriter` runs in the writer worker, inside the writer's transactions (so a run's rows commit
 *   with its events);
 * - the read functions run on the calling thread over a read-only pool connection;
 * - `normalizeRunCommit` / `checkFinding…` validate on the calling thread, before anything is queued.
 */
import type Database from 'better-sqlite3';
import { VigilError } from '../errors.js';
import type { IndexOp, RunMessage, StateOp, WriteOutcome } from './protocol.js';
import { DEAD_LETTER_AT } from './types.js';
import type {
  FindingComment,
  FindingQuery,
  FindingRecord,
  FindingStatus,
  OutboxItem,
  RunCommit,
  RunMode,
  RunQuery,
  RunRecord,
  RunStatus,
} from './types.js';

type Db = Database.Database;

export const RUN_STATUSES: readonly RunStatus[] = ['success', 'failed', 'timeout', 'skipped'];
export const RUN_MODES: readonly RunMode[] = ['scheduled', 'backfill', 'realtime'];
export const FINDING_STATUSES: readonly FindingStatus[] = ['new', 'in progress', 'resolved', 'closed'];

// ---------------------------------------------------------------------------------------------------
// Rows (tables: migration 2 in migrations.ts)

const RUN_COLS =
  'detection_id, scheduled_time, detection_name, earliest, latest, started_at, ended_at, status, mode, ' +
  'result_count, risk_event_count, finding_count, error';
type RunRow = [string, number, string, number, number, number, number, string, string, number, number, number, string | null];

function runOf(r: RunRow): RunRecord {
  return {
    detectionId: r[0],
    scheduledTime: r[1],
    detectionName: r[2],
    earliest: r[3],
    latest: r[4],
    startedAt: r[5],
    endedAt: r[6],
    status: r[7] as RunStatus,
    mode: r[8] as RunMode,
    resultCount: r[9],
    riskEventCount: r[10],
    findingCount: r[11],
    error: r[12],
  };
}

const FINDING_COLS = 'id, rule_id, rule_name, time, risk_object, risk_object_type, risk_score, detail, status, owner, updated_at';
type FindingRow = [string, string, string, number, string, string, number, string, string, string | null, number];

function findingOf(r: FindingRow): FindingRecord {
  return {
    id: r[0],
    ruleId: r[1],
    ruleName: r[2],
    time: r[3],
    riskObject: r[4],
    riskObjectType: r[5],
    riskScore: r[6],
    detail: r[7],
    status: r[8] as FindingStatus,
    owner: r[9],
    updatedAt: r[10],
  };
}

const OUTBOX_COLS = 'id, action, payload, created_at, attempts, next_attempt_at, last_error';
type OutboxRow = [string, string, string, number, number, number, string | null];

function outboxOf(r: OutboxRow): OutboxItem {
  return { id: r[0], action: r[1], payload: r[2], createdAt: r[3], attempts: r[4], nextAttemptAt: r[5], lastError: r[6] };
}

type Param = string | number | null;

/** Prepared statements per read connection, by SQL text (the reads are small and frequent). */
const statements = new WeakMap<Db, Map<string, Database.Statement<Param[]>>>();

function rows<R>(db: Db, sql: string, params: Param[]): R[] {
  let m = statements.get(db);
  if (m === undefined) {
    m = new Map();
    statements.set(db, m);
  }
  let st = m.get(sql);
  if (st === undefined) {
    st = db.prepare<Param[]>(sql).raw(true);
    m.set(sql, st);
  }
  return st.all(...params) as R[];
}

/** SQLite's "no limit" for undefined. */
function limitOf(limit: number | undefined): number {
  return limit === undefined ? -1 : checkLimit(limit);
}

/** A query's row limit: a non-negative integer (both backends validate the same way). */
export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) throw new VigilError('USAGE', `limit must be a non-negative integer, not ${limit}`);
  return limit;
}

// ---------------------------------------------------------------------------------------------------
// Reads (read-only connection, autocommit: each sees every commit made before it started, any process)

export function hasRun(db: Db, detectionId: string, scheduledTime: number): boolean {
  return rows(db, 'SELECT 1 FROM runs WHERE detection_id = ? AND scheduled_time = ?', [detectionId, scheduledTime]).length > 0;
}

/** The run with the latest scheduled time. */
export function lastRun(db: Db, detectionId: string): RunRecord | null {
  const r = rows<RunRow>(db, `SELECT ${RUN_COLS} FROM runs WHERE detection_id = ? ORDER BY scheduled_time DESC LIMIT 1`, [detectionId]);
  return r[0] ? runOf(r[0]) : null;
}

/** Newest scheduled time first (ties: latest committed first); `since` inclusive, `until` exclusive. */
export function queryRuns(db: Db, q: RunQuery): RunRecord[] {
  const w = new Where();
  w.add('detection_id = ?', q.detectionId);
  w.add('status = ?', q.status);
  w.add('scheduled_time >= ?', q.since);
  w.add('scheduled_time < ?', q.until);
  const sql = `SELECT ${RUN_COLS} FROM runs${w.sql()} ORDER BY scheduled_time DESC, rowid DESC LIMIT ?`;
  return rows<RunRow>(db, sql, [...w.params, limitOf(q.limit)]).map(runOf);
}

export function cursor(db: Db, detectionId: string): number | null {
  const r = rows<[number]>(db, 'SELECT time FROM scheduler_cursors WHERE detection_id = ?', [detectionId]);
  return r[0] ? r[0][0] : null;
}

/** Newest first (ties: latest raised first); `since` inclusive, on the finding's time; `before` a finding's id (a page's last). */
export function queryFindings(db: Db, q: FindingQuery): FindingRecord[] {
  const w = new Where();
  w.add('status = ?', q.status);
  w.add('owner = ?', q.owner);
  w.add('risk_object = ?', q.riskObject);
  w.add('time >= ?', q.since);
  // The list's order as a row value: an unknown id selects nothing (the API checks it exists).
  w.add('(time, rowid) < (SELECT time, rowid FROM findings WHERE id = ?)', q.before);
  const sql = `SELECT ${FINDING_COLS} FROM findings${w.sql()} ORDER BY time DESC, rowid DESC LIMIT ?`;
  return rows<FindingRow>(db, sql, [...w.params, limitOf(q.limit)]).map(findingOf);
}

/** A finding and its comments (oldest first), from one snapshot. */
export function findingWithComments(db: Db, id: string): { finding: FindingRecord; comments: FindingComment[] } | null {
  db.exec('BEGIN');
  try {
    const f = rows<FindingRow>(db, `SELECT ${FINDING_COLS} FROM findings WHERE id = ?`, [id])[0];
    if (!f) return null;
    const comments = rows<[string, number, string, string]>(
      db,
      'SELECT finding_id, time, author, text FROM finding_comments WHERE finding_id = ? ORDER BY time, id',
      [id],
    ).map(([findingId, time, author, text]) => ({ findingId, time, author, text }));
    return { finding: findingOf(f), comments };
  } finally {
    db.exec('COMMIT');
  }
}

/** The keys among `keys` suppressed at `now`: a suppression is active while now < until. */
export function suppressed(db: Db, keys: readonly string[], now: number): Set<string> {
  if (keys.length === 0) return new Set();
  // json_each: any number of keys in one statement (no bound-parameter limit, one cached statement).
  const r = rows<[string]>(db, 'SELECT key FROM suppressions WHERE key IN (SELECT value FROM json_each(?)) AND until > ?', [
    JSON.stringify(keys),
    now,
  ]);
  return new Set(r.map((x) => x[0]));
}

/** Items with nextAttemptAt <= now, earliest first (ties: oldest queued first), except those of `excludeActions`. */
export function dueOutbox(db: Db, now: number, limit: number, excludeActions: readonly string[] = []): OutboxItem[] {
  const sql = `SELECT ${OUTBOX_COLS} FROM outbox WHERE next_attempt_at <= ? AND action NOT IN (SELECT value FROM json_each(?)) ORDER BY next_attempt_at, rowid LIMIT ?`;
  return rows<OutboxRow>(db, sql, [now, JSON.stringify(excludeActions), limitOf(limit)]).map(outboxOf);
}

/** The conditions of a query; an undefined value means "no condition". */
class Where {
  private readonly conds: string[] = [];
  readonly params: Param[] = [];
  add(cond: string, value: string | number | undefined): void {
    if (value === undefined) return;
    this.conds.push(cond);
    this.params.push(value);
  }
  sql(): string {
    return this.conds.length ? ` WHERE ${this.conds.join(' AND ')}` : '';
  }
}

// ---------------------------------------------------------------------------------------------------
// Writes (the writer worker, inside the writer's transaction)

export class StateWriter {
  private readonly insertRun;
  private readonly insertFinding;
  private readonly insertOutbox;
  private readonly upsertSuppression;
  private readonly upsertCursor;
  private readonly patchFinding;
  private readonly findingExists;
  private readonly insertComment;
  private readonly deleteOutbox;
  private readonly failOutbox;
  private readonly pruneDead;
  private readonly runExists;
  private readonly leaseOf;
  private readonly upsertLease;
  private readonly deleteLease;

  constructor(db: Db) {
    this.insertRun = db.prepare<Param[]>(
      `INSERT INTO runs (${RUN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (detection_id, scheduled_time) DO NOTHING`,
    );
    // ON CONFLICT (id) DO NOTHING rather than INSERT OR IGNORE: OR IGNORE would also skip rows that
    // violate NOT NULL, silently losing data instead of failing.
    this.insertFinding = db.prepare<Param[]>(
      `INSERT INTO findings (${FINDING_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.insertOutbox = db.prepare<Param[]>(
      'INSERT INTO outbox (id, action, payload, created_at, attempts, next_attempt_at, last_error) VALUES (?, ?, ?, ?, 0, ?, NULL) ' +
        'ON CONFLICT (id) DO NOTHING',
    );
    this.upsertSuppression = db.prepare<Param[]>(
      'INSERT INTO suppressions (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = max(until, excluded.until)',
    );
    this.upsertCursor = db.prepare<Param[]>(
      'INSERT INTO scheduler_cursors (detection_id, time) VALUES (?, ?) ON CONFLICT (detection_id) DO UPDATE SET time = excluded.time',
    );
    this.patchFinding = db
      .prepare<Param[]>(
        'UPDATE findings SET status = coalesce(?, status), owner = iif(?, ?, owner), updated_at = ?, updated_by = ? ' +
          `WHERE id = ? RETURNING ${FINDING_COLS}`,
      )
      .raw(true);
    this.findingExists = db.prepare<Param[]>('SELECT 1 FROM findings WHERE id = ?').pluck();
    this.insertComment = db.prepare<Param[]>('INSERT INTO finding_comments (finding_id, time, author, text) VALUES (?, ?, ?, ?)');
    this.deleteOutbox = db.prepare<Param[]>('DELETE FROM outbox WHERE id = ?');
    this.failOutbox = db.prepare<Param[]>('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?');
    // Dead letters are the end of outbox_due; LIMIT through a subquery (SQLite's DELETE ... LIMIT is a compile option).
    this.pruneDead = db.prepare<Param[]>(
      'DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE next_attempt_at >= ? AND created_at < ? LIMIT ?)',
    );
    this.runExists = db.prepare<Param[]>('SELECT 1 FROM runs WHERE detection_id = ? AND scheduled_time = ?').pluck();
    this.leaseOf = db.prepare<Param[]>('SELECT node, expires_at FROM run_leases WHERE detection_id = ? AND scheduled_time = ?').raw(true);
    this.upsertLease = db.prepare<Param[]>(
      'INSERT INTO run_leases (detection_id, scheduled_time, node, expires_at) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT (detection_id, scheduled_time) DO UPDATE SET node = excluded.node, expires_at = excluded.expires_at',
    );
    this.deleteLease = db.prepare<Param[]>('DELETE FROM run_leases WHERE detection_id = ? AND scheduled_time = ?');
  }

  /** Another node's lease on the run that is live at `now` (its holder), or null. */
  leaseConflict(detectionId: string, scheduledTime: number, node: string, now: number): string | null {
    const l = this.leaseOf.get(detectionId, scheduledTime) as [string, number] | undefined;
    return l !== undefined && l[0] !== node && l[1] > now ? l[0] : null;
  }

  /** A committed run needs no lease any more: the ledger row keeps everyone off. */
  releaseLease(detectionId: string, scheduledTime: number): void {
    this.deleteLease.run(detectionId, scheduledTime);
  }

  /**
   * claimRun: the run is not in the ledger and no other node's lease is live (an expired one is taken over).
   * renewRun: not in the ledger and the lease is the node's. Then the lease becomes the node's until `expiresAt`.
   */
  private lease(op: Extract<StateOp, { op: 'claimRun' | 'renewRun' }>): boolean {
    if (this.runExists.get(op.detectionId, op.scheduledTime) !== undefined) return false;
    const l = this.leaseOf.get(op.detectionId, op.scheduledTime) as [string, number] | undefined;
    const held = op.op === 'claimRun' ? l === undefined || l[0] === op.node || l[1] <= op.now : l !== undefined && l[0] === op.node;
    if (held) this.upsertLease.run(op.detectionId, op.scheduledTime, op.node, op.expiresAt);
    return held;
  }

  /** Adds the ledger row; false (nothing written) when (detectionId, scheduledTime) is already there. */
  addLedgerRow(r: RunRecord): boolean {
    const res = this.insertRun.run(
      r.detectionId,
      r.scheduledTime,
      r.detectionName,
      r.earliest,
      r.latest,
      r.startedAt,
      r.endedAt,
      r.status,
      r.mode,
      r.resultCount,
      r.riskEventCount,
      r.findingCount,
      r.error,
    );
    return res.changes === 1;
  }

  /** A claimed run's findings (existing ids unchanged), outbox items (existing ids ignored) and suppressions. */
  insertOutputs(m: RunMessage): void {
    for (const f of m.findings) {
      this.insertFinding.run(f.id, f.ruleId, f.ruleName, f.time, f.riskObject, f.riskObjectType, f.riskScore, f.detail, f.status, f.owner, f.updatedAt);
    }
    for (const o of m.outbox) this.insertOutbox.run(o.id, o.action, o.payload, o.createdAt, o.nextAttemptAt);
    for (const s of m.suppressions) this.upsertSuppression.run(s.key, s.until);
  }

  /** Applies a state update; a logical failure (unknown finding) writes nothing and is returned, not thrown. */
  apply(id: number, op: Exclude<StateOp, IndexOp>): WriteOutcome {
    switch (op.op) {
      case 'setCursor':
        this.upsertCursor.run(op.detectionId, op.time);
        return { id, ok: true };
      case 'updateFinding': {
        const setOwner = op.owner !== undefined ? 1 : 0;
        const r = this.patchFinding.get(op.status ?? null, setOwner, op.owner ?? null, op.at, op.by, op.findingId) as FindingRow | undefined;
        return r ? { id, ok: true, finding: findingOf(r) } : notFound(id, op.findingId);
      }
      case 'addComment': {
        const c = op.comment;
        if (this.findingExists.get(c.findingId) === undefined) return notFound(id, c.findingId);
        this.insertComment.run(c.findingId, c.time, c.author, c.text);
        return { id, ok: true };
      }
      case 'outboxDelivered':
        this.deleteOutbox.run(op.outboxId);
        return { id, ok: true };
      case 'outboxFailed':
        this.failOutbox.run(op.error, op.nextAttemptAt, op.outboxId);
        return { id, ok: true };
      case 'pruneDeadLetters':
        return { id, ok: true, pruned: this.pruneDead.run(DEAD_LETTER_AT, op.createdBefore, op.limit).changes };
      case 'claimRun':
      case 'renewRun':
        return { id, ok: true, held: this.lease(op) };
    }
  }
}

function notFound(id: number, findingId: string): WriteOutcome {
  return { id, ok: false, reason: 'NOT_FOUND', message: `no finding with id "${findingId}"` };
}

// ---------------------------------------------------------------------------------------------------
// Validation (calling thread): a bad value is refused before it is queued, with where it is.

function malformed(where: string, why: string): VigilError {
  return new VigilError('INPUT_MALFORMED', `${where}: ${why}`);
}

function str(v: unknown, where: string, name: string, nonEmpty = false): string {
  if (typeof v !== 'string' || (nonEmpty && v === '')) throw malformed(where, `${name} must be a ${nonEmpty ? 'non-empty ' : ''}string`);
  return v;
}

function strOrNull(v: unknown, where: string, name: string): string | null {
  return v === null ? null : str(v, where, name);
}

function num(v: unknown, where: string, name: string): number {
  // NaN/Infinity would become NULL in SQLite (and break NOT NULL); refuse them here, clearly.
  if (typeof v !== 'number' || !Number.isFinite(v)) throw malformed(where, `${name} must be a finite number, not ${String(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string, name: string): T {
  if (!allowed.includes(v as T)) throw malformed(where, `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, not ${String(v)}`);
  return v as T;
}

export function checkFindingStatus(v: unknown, where: string): FindingStatus {
  return oneOf(v, FINDING_STATUSES, where, 'status');
}

export function checkString(v: unknown, where: string, name: string, nonEmpty = false): string {
  return str(v, where, name, nonEmpty);
}

export function checkTime(v: unknown, where: string, name: string): number {
  return num(v, where, name);
}

/** Validated plain copies of a run's rows (extra properties dropped, so nothing unexpected is cloned to the worker). */
export function normalizeRunCommit(c: RunCommit): Pick<RunMessage, 'run' | 'findings' | 'outbox' | 'suppressions' | 'lease'> {
  const r = c.run;
  if (typeof r !== 'object' || r === null) throw malformed('run commit', 'run must be an object');
  const where = `run ${String(r.detectionId)}@${String(r.scheduledTime)}`;
  const run: RunRecord = {
    detectionId: str(r.detectionId, where, 'detectionId', true),
    detectionName: str(r.detectionName, where, 'detectionName'),
    scheduledTime: num(r.scheduledTime, where, 'scheduledTime'),
    earliest: num(r.earliest, where, 'earliest'),
    latest: num(r.latest, where, 'latest'),
    startedAt: num(r.startedAt, where, 'startedAt'),
    endedAt: num(r.endedAt, where, 'endedAt'),
    status: oneOf(r.status, RUN_STATUSES, where, 'status'),
    mode: oneOf(r.mode, RUN_MODES, where, 'mode'),
    resultCount: num(r.resultCount, where, 'resultCount'),
    riskEventCount: num(r.riskEventCount, where, 'riskEventCount'),
    findingCount: num(r.findingCount, where, 'findingCount'),
    error: strOrNull(r.error, where, 'error'),
  };
  const findings = (c.findings ?? []).map((f, i): FindingRecord => {
    const w = `${where}, finding ${i}`;
    return {
      id: str(f.id, w, 'id', true),
      ruleId: str(f.ruleId, w, 'ruleId'),
      ruleName: str(f.ruleName, w, 'ruleName'),
      time: num(f.time, w, 'time'),
      riskObject: str(f.riskObject, w, 'riskObject'),
      riskObjectType: str(f.riskObjectType, w, 'riskObjectType'),
      riskScore: num(f.riskScore, w, 'riskScore'),
      detail: str(f.detail, w, 'detail'),
      status: checkFindingStatus(f.status, w),
      owner: strOrNull(f.owner, w, 'owner'),
      updatedAt: num(f.updatedAt, w, 'updatedAt'),
    };
  });
  const outbox = (c.outbox ?? []).map((o, i): RunCommit['outbox'][number] => {
    const w = `${where}, outbox item ${i}`;
    return {
      id: str(o.id, w, 'id', true),
      action: str(o.action, w, 'action'),
      payload: str(o.payload, w, 'payload'),
      createdAt: num(o.createdAt, w, 'createdAt'),
      nextAttemptAt: num(o.nextAttemptAt, w, 'nextAttemptAt'),
    };
  });
  const suppressions = (c.suppressions ?? []).map((s, i) => {
    const w = `${where}, suppression ${i}`;
    return { key: str(s.key, w, 'key'), until: num(s.until, w, 'until') };
  });
  // No lease: a commit from no node, checked against the wall clock.
  const lease = c.lease === undefined ? { node: '', now: Date.now() / 1000 } : { node: str(c.lease.node, where, 'lease.node', true), now: num(c.lease.now, where, 'lease.now') };
  return { run, findings, outbox, suppressions, lease };
}
