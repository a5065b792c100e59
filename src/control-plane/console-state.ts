/**
 * What the console changes at run time, shared by every node of a cluster (a single `vigil serve` keeps it in
 * memory or in its data dir): login sessions (src/web/sessions.ts), detection toggles (src/schedule/toggles.ts,
 * `<dataDir>/detections.yml`) and filter macro edits (`<dataDir>/content/macros/*.yml`). Same semantics as those;
 * CONTEXT.md says how vigil serve switches to them.
 */
import type pg from 'pg';
import { VigilError } from '../errors.js';
import { checkString, checkTime } from '../store/state.js';
import { StoreError } from '../store/types.js';
import { guarded } from './connection.js';
import { fromPg, fromPgOrNull, toPg } from './text.js';

/** A login session; times in ms (Date.now), as src/web/sessions.ts. */
export interface SessionRecord {
  user: string;
  csrf: string;
  createdAt: number;
  lastSeen: number;
}

export interface SessionLimits {
  /** A session unused this long ends (ms). */
  idleMs: number;
  /** A session ends this long after login whatever its use (ms). */
  maxAgeMs: number;
  /** Most live sessions; the least recently used are dropped beyond. */
  maxSessions: number;
}

/** A filter macro saved from the console (security_content's macro fields). */
export interface MacroEdit {
  name: string;
  definition: string;
  description: string | null;
  updatedAt: number;
  updatedBy: string;
}

/** How stale a session's recorded `lastSeen` may get before a use writes it again: a tenth of the idle limit, at most a minute. */
export function touchMs(limits: SessionLimits): number {
  return Math.min(60_000, limits.idleMs / 10);
}

export class PostgresConsoleState {
  constructor(
    private readonly pool: pg.Pool,
    /** Quoted schema name. */
    private readonly S: string,
    private readonly isClosed: () => boolean,
  ) {}

  // --- sessions: keyed by the SHA-256 of the cookie's id (the caller hashes, as SessionStore does) ---------

  /** Records a new session, then drops the least recently used beyond `maxSessions`. */
  async createSession(idHash: string, s: SessionRecord, limits: SessionLimits): Promise<void> {
    const where = 'session';
    const params = [toPg(checkString(idHash, where, 'idHash', true)), toPg(checkString(s.user, where, 'user', true)), toPg(checkString(s.csrf, where, 'csrf', true)), checkTime(s.createdAt, where, 'createdAt'), checkTime(s.lastSeen, where, 'lastSeen')];
    await this.run('create session', async () => {
      await this.pool.query(`INSERT INTO ${this.S}.sessions (id_hash, username, csrf, created_at, last_seen) VALUES ($1, $2, $3, $4, $5)`, params);
      await this.pool.query(
        `DELETE FROM ${this.S}.sessions WHERE id_hash IN (SELECT id_hash FROM ${this.S}.sessions ORDER BY last_seen DESC, created_at DESC OFFSET $1)`,
        [limits.maxSessions],
      );
    });
  }

  /**
   * The live session, or null; an expired one (idle longer than `idleMs`, or older than `maxAgeMs`) is deleted.
   * Its `lastSeen` is moved to `now` once it is `touchMs(limits)` old: every API request of a signed-in console
   * carries the cookie, and an UPDATE each was a commit (WAL and fsync) per request; a session may then end up to
   * that much before its idle limit.
   */
  async session(idHash: string, now: number, limits: SessionLimits): Promise<SessionRecord | null> {
    const key = toPg(String(idHash));
    return this.run('read session', async () => {
      const found = await this.pool.query<{ username: string; csrf: string; created_at: number; last_seen: number }>(
        `SELECT username, csrf, created_at, last_seen FROM ${this.S}.sessions WHERE id_hash = $1`,
        [key],
      );
      const r = found.rows[0];
      if (r === undefined) return null;
      if (now - r.last_seen > limits.idleMs || now - r.created_at > limits.maxAgeMs) {
        await this.pool.query(`DELETE FROM ${this.S}.sessions WHERE id_hash = $1`, [key]);
        return null;
      }
      let lastSeen = r.last_seen;
      if (now - lastSeen >= touchMs(limits)) {
        // GREATEST: another node may have moved it further meanwhile.
        await this.pool.query(`UPDATE ${this.S}.sessions SET last_seen = GREATEST(last_seen, $2) WHERE id_hash = $1`, [key, now]);
        lastSeen = now;
      }
      return { user: fromPg(r.username), csrf: fromPg(r.csrf), createdAt: r.created_at, lastSeen };
    });
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.run('delete session', () => this.pool.query(`DELETE FROM ${this.S}.sessions WHERE id_hash = $1`, [toPg(String(idHash))]));
  }

  // --- detection toggles -------------------------------------------------------------------------------

  /** Detections enabled or disabled at run time, sorted (what DetectionToggles layers over the config). */
  async toggles(): Promise<{ enable: string[]; disable: string[] }> {
    const res = await this.run('read detection toggles', () =>
      this.pool.query<{ detection_id: string; enabled: boolean }>(`SELECT detection_id, enabled FROM ${this.S}.detection_toggles`),
    );
    const ids = (enabled: boolean) =>
      res.rows
        .filter((r) => r.enabled === enabled)
        .map((r) => fromPg(r.detection_id))
        .sort();
    return { enable: ids(true), disable: ids(false) };
  }

  async setToggle(detectionId: string, enabled: boolean, by: string, at: number): Promise<void> {
    const where = `toggle ${String(detectionId)}`;
    if (typeof enabled !== 'boolean') throw new VigilError('INPUT_MALFORMED', `${where}: enabled must be a boolean`);
    const params = [toPg(checkString(detectionId, where, 'detectionId', true)), enabled, checkTime(at, where, 'at'), toPg(checkString(by, where, 'by'))];
    await this.run('set detection toggle', () =>
      this.pool.query(
        `INSERT INTO ${this.S}.detection_toggles (detection_id, enabled, updated_at, updated_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (detection_id) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        params,
      ),
    );
  }

  // --- filter macro edits ------------------------------------------------------------------------------

  /** Every saved macro, by name. */
  async macroEdits(): Promise<MacroEdit[]> {
    const res = await this.run('read macro edits', () =>
      this.pool.query<{ name: string; definition: string; description: string | null; updated_at: number; updated_by: string }>(
        `SELECT name, definition, description, updated_at, updated_by FROM ${this.S}.macro_edits ORDER BY name`,
      ),
    );
    return res.rows.map((r) => ({
      name: fromPg(r.name),
      definition: fromPg(r.definition),
      description: fromPgOrNull(r.description),
      updatedAt: r.updated_at,
      updatedBy: fromPg(r.updated_by),
    }));
  }

  /** Saves (replaces) a macro's definition; the caller validated it against the detections that use it. */
  async saveMacroEdit(edit: MacroEdit): Promise<void> {
    const where = `macro ${String(edit.name)}`;
    const params = [
      toPg(checkString(edit.name, where, 'name', true)),
      toPg(checkString(edit.definition, where, 'definition')),
      edit.description === null ? null : toPg(checkString(edit.description, where, 'description')),
      checkTime(edit.updatedAt, where, 'updatedAt'),
      toPg(checkString(edit.updatedBy, where, 'updatedBy')),
    ];
    await this.run('save macro edit', () =>
      this.pool.query(
        `INSERT INTO ${this.S}.macro_edits (name, definition, description, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, description = excluded.description,
           updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
        params,
      ),
    );
  }

  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.isClosed()) return Promise.reject(new StoreError('STORE_CLOSED', 'the control plane is closed'));
    return guarded(what, fn);
  }
}
