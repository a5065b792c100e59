/**
 * The control plane's tables in one PostgreSQL schema (default `vigil`), created when missing and versioned in
 * `vigil_schema`. Times are epoch seconds as `double precision` (a JS number round-trips exactly: PostgreSQL 12+
 * prints float8 in its shortest exact form); counts too, as SQLite's dynamically typed columns keep any finite
 * number. `seq` columns are insertion order, the tie-breaker SQLite's rowid is.
 */

/** A schema name vigil accepts: a plain lower-case identifier, so it never needs more than double quotes. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface Migration {
  version: number;
  name: string;
  /** DDL; `S` stands for the quoted schema name. */
  up(S: string): string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'run ledger, run leases, pending run events, cursors, findings, comments, outbox, suppressions',
    up: (S) => `
      CREATE TABLE ${S}.runs (
        seq bigserial NOT NULL,
        detection_id text NOT NULL,
        scheduled_time double precision NOT NULL,
        detection_name text NOT NULL,
        earliest double precision NOT NULL,
        latest double precision NOT NULL,
        started_at double precision NOT NULL,
        ended_at double precision NOT NULL,
        status text NOT NULL,
        mode text NOT NULL,
        result_count double precision NOT NULL,
        risk_event_count double precision NOT NULL,
        finding_count double precision NOT NULL,
        error text,
        PRIMARY KEY (detection_id, scheduled_time)
      );
      CREATE INDEX runs_time ON ${S}.runs (scheduled_time, seq);
      CREATE INDEX runs_status ON ${S}.runs (status, scheduled_time);
      -- One row per run a node leased or committed: 'done' once the run is in the ledger (commitRun sets it in
      -- the same transaction), so claims and commits serialize on this row's lock.
      CREATE TABLE ${S}.run_leases (
        detection_id text NOT NULL,
        scheduled_time double precision NOT NULL,
        node text NOT NULL,
        expires_at double precision NOT NULL,
        done boolean NOT NULL,
        PRIMARY KEY (detection_id, scheduled_time)
      );
      -- A committed run's risk/notable events (JSON text) until the event store holds them.
      CREATE TABLE ${S}.run_events (
        detection_id text NOT NULL,
        scheduled_time double precision NOT NULL,
        events text NOT NULL,
        committed_at timestamptz NOT NULL DEFAULT now(),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        PRIMARY KEY (detection_id, scheduled_time)
      );
      CREATE TABLE ${S}.scheduler_cursors (detection_id text PRIMARY KEY, time double precision NOT NULL);
      CREATE TABLE ${S}.findings (
        seq bigserial NOT NULL,
        id text PRIMARY KEY,
        rule_id text NOT NULL,
        rule_name text NOT NULL,
        time double precision NOT NULL,
        risk_object text NOT NULL,
        risk_object_type text NOT NULL,
        risk_score double precision NOT NULL,
        detail text NOT NULL,
        status text NOT NULL,
        owner text,
        updated_at double precision NOT NULL,
        updated_by text
      );
      CREATE INDEX findings_time ON ${S}.findings (time, seq);
      CREATE INDEX findings_status ON ${S}.findings (status, time);
      CREATE INDEX findings_owner ON ${S}.findings (owner, time);
      CREATE INDEX findings_object ON ${S}.findings (risk_object, time);
      CREATE TABLE ${S}.finding_comments (
        id bigserial PRIMARY KEY,
        finding_id text NOT NULL REFERENCES ${S}.findings (id),
        time double precision NOT NULL,
        author text NOT NULL,
        text text NOT NULL
      );
      CREATE INDEX finding_comments_finding ON ${S}.finding_comments (finding_id, time);
      CREATE TABLE ${S}.outbox (
        seq bigserial NOT NULL,
        id text PRIMARY KEY,
        action text NOT NULL,
        payload text NOT NULL,
        created_at double precision NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at double precision NOT NULL,
        last_error text
      );
      CREATE INDEX outbox_due ON ${S}.outbox (next_attempt_at, seq);
      CREATE TABLE ${S}.suppressions (key text PRIMARY KEY, until double precision NOT NULL);
    `,
  },
  {
    version: 2,
    name: 'console state shared by the nodes: sessions, detection toggles, filter macro edits',
    up: (S) => `
      -- Keyed by the SHA-256 of the cookie's id: a dump of this table logs nobody in. Times in ms (Date.now).
      CREATE TABLE ${S}.sessions (
        id_hash text PRIMARY KEY,
        username text NOT NULL,
        csrf text NOT NULL,
        created_at double precision NOT NULL,
        last_seen double precision NOT NULL
      );
      CREATE INDEX sessions_last_seen ON ${S}.sessions (last_seen);
      CREATE TABLE ${S}.detection_toggles (
        detection_id text PRIMARY KEY,
        enabled boolean NOT NULL,
        updated_at double precision NOT NULL,
        updated_by text NOT NULL
      );
      CREATE TABLE ${S}.macro_edits (
        name text PRIMARY KEY,
        definition text NOT NULL,
        description text,
        updated_at double precision NOT NULL,
        updated_by text NOT NULL
      );
    `,
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
