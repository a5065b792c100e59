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
  {
    version: 2,
    name: 'scheduler and risk state: run ledger, cursors, findings, comments, outbox, suppressions',
    // Times are epoch seconds (REAL). Queries and their indexes: state.ts; design: CONTEXT.md.
    up(db) {
      db.exec(`
        CREATE TABLE runs (
          detection_id TEXT NOT NULL,
          scheduled_time REAL NOT NULL,
          detection_name TEXT NOT NULL,
          earliest REAL NOT NULL,
          latest REAL NOT NULL,
          started_at REAL NOT NULL,
          ended_at REAL NOT NULL,
          status TEXT NOT NULL,
          mode TEXT NOT NULL,
          result_count INTEGER NOT NULL,
          risk_event_count INTEGER NOT NULL,
          finding_count INTEGER NOT NULL,
          error TEXT,
          PRIMARY KEY (detection_id, scheduled_time)
        );
        CREATE INDEX runs_time ON runs (scheduled_time);
        CREATE INDEX runs_status ON runs (status, scheduled_time);
        CREATE TABLE scheduler_cursors (detection_id TEXT PRIMARY KEY, time REAL NOT NULL) WITHOUT ROWID;
        CREATE TABLE findings (
          id TEXT PRIMARY KEY,
          rule_id TEXT NOT NULL,
          rule_name TEXT NOT NULL,
          time REAL NOT NULL,
          risk_object TEXT NOT NULL,
          risk_object_type TEXT NOT NULL,
          risk_score REAL NOT NULL,
          detail TEXT NOT NULL,
          status TEXT NOT NULL,
          owner TEXT,
          updated_at REAL NOT NULL,
          updated_by TEXT
        );
        CREATE INDEX findings_time ON findings (time);
        CREATE INDEX findings_status ON findings (status, time);
        CREATE INDEX findings_owner ON findings (owner, time);
        CREATE INDEX findings_object ON findings (risk_object, time);
        CREATE TABLE finding_comments (
          id INTEGER PRIMARY KEY,
          finding_id TEXT NOT NULL REFERENCES findings (id),
          time REAL NOT NULL,
          author TEXT NOT NULL,
          text TEXT NOT NULL
        );
        CREATE INDEX finding_comments_finding ON finding_comments (finding_id, time);
        CREATE TABLE outbox (
          id TEXT PRIMARY KEY,
          action TEXT NOT NULL,
          payload TEXT NOT NULL,
          created_at REAL NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at REAL NOT NULL,
          last_error TEXT
        );
        CREATE INDEX outbox_due ON outbox (next_attempt_at);
        CREATE TABLE suppressions (key TEXT PRIMARY KEY, until REAL NOT NULL) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 3,
    name: 'indexes can be deleted: a deleted index keeps its row (and id) with removed = 1',
    // Rows are kept so ids are never reused: readers cache id → name (NameCache) and read only names of ids > max.
    up(db) {
      db.exec('ALTER TABLE splunk_indexes ADD COLUMN removed INTEGER NOT NULL DEFAULT 0');
    },
  },
  {
    version: 4,
    name: 'run leases: the node executing a run until expires_at (claimRun/renewRun), deleted when the run commits',
    up(db) {
      db.exec(`
        CREATE TABLE run_leases (
          detection_id TEXT NOT NULL,
          scheduled_time REAL NOT NULL,
          node TEXT NOT NULL,
          expires_at REAL NOT NULL,
          PRIMARY KEY (detection_id, scheduled_time)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 5,
    name: "a bucket's tables: one per sourcetype (b<id>_s<st>) beside its mixed table b<id> (st 0)",
    // Rows clustered by sourcetype: a scan reads only its sourcetypes' pages. Every bucket so far has only its
    // mixed table; their later rows (the current hour's) go to sourcetype tables beside it.
    up(db) {
      db.exec(`
        CREATE TABLE bucket_parts (bucket_id INTEGER NOT NULL, st INTEGER NOT NULL, PRIMARY KEY (bucket_id, st)) WITHOUT ROWID;
        INSERT INTO bucket_parts (bucket_id, st) SELECT id, 0 FROM buckets;
      `);
    },
  },
  {
    version: 6,
    name: "indexed fields: a bucket table's version of them (bucket_parts.fields; 0: none, the tables so far)",
    // New tables get the process name's key `pn` and its index (indexed-fields.ts); existing ones are left as they
    // are (no rewrite): scans read them whole, as before.
    up(db) {
      db.exec('ALTER TABLE bucket_parts ADD COLUMN fields INTEGER NOT NULL DEFAULT 0');
    },
  },
  {
    version: 7,
    name: "HEC indexed fields: a bucket table's column `f` (bucket_parts.has_f; 0: none, the tables so far)",
    // New tables get `f`; existing ones only when an event with indexed fields lands in one (the writer adds it
    // then): an ALTER of every table here reloads the schema once per table, 33 s for 2,000 tables.
    up(db) {
      db.exec('ALTER TABLE bucket_parts ADD COLUMN has_f INTEGER NOT NULL DEFAULT 0');
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

/**
 * Refuses another program's database before anything is written to it (not even the WAL mode): schema version 0 is
 * a new, empty file for vigil, so one holding tables is not vigil's, and migrating would write into it.
 */
export function refuseForeign(db: Db): void {
  if (userVersion(db) === 0 && db.prepare<[], number>("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").pluck().get()! > 0) {
    throw new VigilError('STORE', `${db.name} is not a vigil event store (it holds another program's tables)`);
  }
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
