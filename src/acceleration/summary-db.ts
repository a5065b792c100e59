import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createPrivateFile, restrictIfExists } from '../store/file-modes.js';
import { StoreError } from '../store/types.js';
import { decodeSegment, encodeSegment, type Segment } from './segment.js';

/** The summaries' own database beside the event store: its writer never waits on the store's. */
export const SUMMARY_DB_FILE = 'summaries.db';

/**
 * What is summarized of one dataset: the events with store seq <= `builtSeq` and `_time >= boundary` (the
 * start of the summary range, moved forward a bucket at a time), built with the definition `hash`.
 */
export interface DatasetState {
  /** `Model.Dataset`. */
  key: string;
  hash: string;
  builtSeq: number;
  boundary: number;
  /** When the builder last had every committed event (epoch seconds; 0: never). */
  caughtUpAt: number;
  error: string | null;
}

export interface SegmentInfo {
  id: number;
  bucket: number;
  rows: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS datasets (key TEXT PRIMARY KEY, hash TEXT NOT NULL, built_seq INTEGER NOT NULL,
  boundary REAL NOT NULL, caught_up_at REAL NOT NULL DEFAULT 0, error TEXT);
CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, bucket REAL NOT NULL,
  rows INTEGER NOT NULL, lex TEXT NOT NULL, cols BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS segments_key ON segments (key, bucket);
`;

type Db = Database.Database;

/** Opens (creating, 0600) the summaries database of a data dir; read-only opens never create it. */
export function openSummaryDb(dataDir: string, readonly: boolean): SummaryDb | null {
  const path = join(dataDir, SUMMARY_DB_FILE);
  if (readonly) {
    try {
      return new SummaryDb(new Database(path, { readonly: true, fileMustExist: true, timeout: 5000 }));
    } catch {
      return null;
    }
  }
  let db: Db | null = null;
  try {
    createPrivateFile(path);
    db = new Database(path, { timeout: 5000 });
    // Segments are blobs of megabytes: large pages mean short overflow chains (a new file only).
    db.pragma('page_size = 65536');
    db.pragma('journal_mode = WAL');
    // In pages: a checkpoint per ~16 MB of segments written.
    db.pragma('wal_autocheckpoint = 256');
    db.pragma('synchronous = NORMAL');
    restrictIfExists(`${path}-wal`);
    restrictIfExists(`${path}-shm`);
    db.exec(SCHEMA);
    return new SummaryDb(db);
  } catch (err) {
    db?.close();
    // A full disk is no damage (deleting the file is no cure): SQLite says SQLITE_FULL, or SQLITE_IOERR_SHMSIZE when the
    // shared-memory file cannot grow, and creating the file ENOSPC.
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_SHMSIZE' || code === 'ENOSPC') {
      throw new StoreError('STORE_FULL', `cannot open the data model summaries ${path}: the disk is full (${(err as Error).message})`, { cause: err });
    }
    // A damaged file stopped `vigil serve` with "internal error: file is not a database"; summaries are rebuilt from the events.
    throw new StoreError('STORE_IO', `cannot open the data model summaries ${path}: ${(err as Error).message}; delete the file and vigil serve rebuilds them from the events`, { cause: err });
  }
}

export class SummaryDb {
  constructor(private readonly db: Db) {}

  states(): DatasetState[] {
    return this.db
      .prepare<[], { key: string; hash: string; built_seq: number; boundary: number; caught_up_at: number; error: string | null }>('SELECT * FROM datasets ORDER BY key')
      .all()
      .map((r) => ({ key: r.key, hash: r.hash, builtSeq: r.built_seq, boundary: r.boundary, caughtUpAt: r.caught_up_at, error: r.error }));
  }

  state(key: string): DatasetState | null {
    return this.states().find((s) => s.key === key) ?? null;
  }

  /** Size (rows, bytes) of a dataset's summaries (octet_length: length() of a text would read and count it all). */
  size(key: string): { rows: number; bytes: number; segments: number } {
    const r = this.db
      .prepare<[string], { rows: number | null; bytes: number | null; n: number }>('SELECT sum(rows) AS rows, sum(octet_length(lex) + length(cols)) AS bytes, count(*) AS n FROM segments WHERE key = ?')
      .get(key)!;
    return { rows: r.rows ?? 0, bytes: r.bytes ?? 0, segments: r.n };
  }

  /** Segments of `key` whose bucket may hold times in [lo, hi). */
  segments(key: string, lo: number, hi: number, bucketSeconds: number): SegmentInfo[] {
    return this.db
      .prepare<[string, number, number], SegmentInfo>('SELECT id, bucket, rows FROM segments WHERE key = ? AND bucket > ? AND bucket < ? ORDER BY bucket DESC, id DESC')
      .all(key, lo === -Infinity ? -1e18 : lo - bucketSeconds, hi === Infinity ? 1e18 : hi);
  }

  load(id: number, rows: number): Segment {
    const r = this.db.prepare<[number], { lex: string; cols: Buffer }>('SELECT lex, cols FROM segments WHERE id = ?').get(id);
    if (!r) throw new Error(`summary segment ${id} is gone`);
    try {
      return decodeSegment(r, rows);
    } catch (e) {
      throw new Error(`summary segment ${id} is damaged: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Runs `fn` in one read transaction (a consistent snapshot of states and segments). */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** Runs `fn` in one write transaction. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  setState(s: DatasetState): void {
    this.db
      .prepare('INSERT OR REPLACE INTO datasets (key, hash, built_seq, boundary, caught_up_at, error) VALUES (?, ?, ?, ?, ?, ?)')
      .run(s.key, s.hash, s.builtSeq, s.boundary, s.caughtUpAt, s.error);
  }

  dropDataset(key: string): void {
    this.db.prepare('DELETE FROM segments WHERE key = ?').run(key);
    this.db.prepare('DELETE FROM datasets WHERE key = ?').run(key);
  }

  clearSegments(key: string): void {
    this.db.prepare('DELETE FROM segments WHERE key = ?').run(key);
  }

  dropBefore(key: string, boundary: number): void {
    this.db.prepare('DELETE FROM segments WHERE key = ? AND bucket < ?').run(key, boundary);
  }

  insert(key: string, bucket: number, seg: Segment): void {
    const e = encodeSegment(seg);
    this.db.prepare('INSERT INTO segments (key, bucket, rows, lex, cols) VALUES (?, ?, ?, ?, ?)').run(key, bucket, seg.times.length, e.lex, e.cols);
  }

  /** Segment ids and rows of one bucket, oldest first (compaction). */
  bucketSegments(key: string, bucket: number): SegmentInfo[] {
    return this.db.prepare<[string, number], SegmentInfo>('SELECT id, bucket, rows FROM segments WHERE key = ? AND bucket = ? ORDER BY id').all(key, bucket);
  }

  deleteSegments(ids: readonly number[]): void {
    const del = this.db.prepare('DELETE FROM segments WHERE id = ?');
    for (const id of ids) del.run(id);
  }

  close(): void {
    this.db.close();
  }
}
