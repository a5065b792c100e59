/**
 * Schema migrations: an ordered list, applied in order, each in its own IMMEDIATE transaction together
 * with the `PRAGMA user_version` bump, so a crash leaves the store at a whole version. To add one, append
 * `{ version: <last + 1>, name, up }` to MIGRATIONS (never edit a released one); see CONTEXT.md.
 */
import type Database from 'better-sqlite3';
import { VigilError } from '../errors.js';
import { DEFAULT_INDEX, NOTABLE_INDEX, RISK_INDEX } from '../events/event.js';

type Db = Database.Database;

export interface Migration {
  /** 1, 2, 3, … with no gaps: the value `PRAGMA user_version` holds once this migration is applied. */
  version: number;
  name: string;
  /** Runs inside the migration's transaction; throw to abort (the store stays at the previous version). */
  up(db: Db): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events: Splunk indexes, metadata dictionary, bucket catalog',
    up(db) {
      db.exec(`
        CREATE TABLE store_settings (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
        CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO counters (name, value) VALUES ('seq', 0);
        CREATE TABLE splunk_indexes (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE dict (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, value TEXT NOT NULL, UNIQUE (kind, value));
        CREATE TABLE buckets (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          index_id INTEGER NOT NULL REFERENCES splunk_indexes (id),
          start_us INTEGER NOT NULL,
          end_us INTEGER NOT NULL,
          events INTEGER NOT NULL DEFAULT 0,
          bytes INTEGER NOT NULL DEFAULT 0,
          min_us INTEGER,
          max_us INTEGER,
          UNIQUE (index_id, start_us)
        );
        CREATE INDEX buckets_start ON buckets (start_us);
      `);
      const add = db.prepare('INSERT INTO splunk_indexes (name) VALUES (?)');
      for (const name of [DEFAULT_INDEX, RISK_INDEX, NOTABLE_INDEX]) add.run(name);
    },
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = latestVersion(MIGRATIONS);

function latestVersion(list: readonly Migration[]): number {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  return list.length;
}

export function userVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tooNew(found: number, known: number, path: string): VigilError {
  return new VigilError(
    'STORE',
    `the event store ${path} has schema version ${found}, but this vigil only knows up to version ${known}: ` +
      'it was written by a newer vigil; upgrade vigil (or use another --data-dir)',
  );
}

/**
 * Brings the database up to the newest migration. Safe against another process migrating at the same
 * time: each step re-reads the version inside its write transaction. Returns the versions before/after.
 */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const latest = latestVersion(migrations);
  const from = userVersion(db);
  if (from > latest) throw tooNew(from, latest, db.name);
  for (const m of migrations) {
    if (m.version <= from) continue;
    db.transaction(() => {
      const now = userVersion(db);
      if (now >= m.version) return;
      if (now !== m.version - 1) throw tooNew(now, latest, db.name);
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: userVersion(db) };
}

/** For read-only opens, which cannot migrate: the store must be exactly at this build's version. */
export function checkVersion(db: Db, migrations: readonly Migration[] = MIGRATIONS): void {
  const latest = latestVersion(migrations);
  const v = userVersion(db);
  if (v > latest) throw tooNew(v, latest, db.name);
  if (v === 0) throw new VigilError('STORE', `${db.name} is not a vigil event store (no schema)`);
  if (v < latest) {
    throw new VigilError(
      'STORE',
      `the event store ${db.name} has schema version ${v} and needs upgrading to ${latest}: open it read-write once (vigil serve)`,
    );
  }
}
