/**
 * The data dir's writer lock: one process at a time opens the store read-write (`vigil serve`, or `vigil
 * backfill` / `vigil findings update` run directly). Two writers would each run a scheduler and a match
 * index over the same events.
 *
 * The lock is SQLite's own file lock on `<dataDir>/vigil.lock`, a small database whose write lock (RESERVED)
 * the holder keeps in an open transaction for as long as the store is open. The operating system drops it
 * when the process ends, however it ends (SIGKILL, OOM kill, power loss), so there are no stale locks to
 * detect and no pids to trust (a container's server is pid 1 on every start). Before taking it for good the
 * holder records who it is in the same file; a refused process reads that row (RESERVED does not block
 * readers) to name the holder. Read-only users (`vigil search --data-dir`, the run workers) never touch it.
 * Like SQLite itself, it relies on POSIX advisory locks: reliable on local disks, not on every network share.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile } from './file-modes.js';
import { StoreError } from './types.js';

export const LOCK_FILE = 'vigil.lock';

/** Who holds a data dir. */
export interface LockOwner {
  pid: number;
  host: string;
  /** What the holder runs (`vigil serve`). */
  command: string;
  /** ISO 8601. */
  since: string;
}

/** How long a writer waits for SQLite's short locks around recording the owner (never for the lock itself). */
const RECORD_TIMEOUT_MS = 5000;

export class DataDirLock {
  private constructor(private db: Database.Database | null) {}

  /**
   * Takes the lock of `dataDir` (which must exist) for `command`, or throws StoreError('STORE_LOCKED') naming the
   * process that holds it.
   */
  static acquire(dataDir: string, command: string): DataDirLock {
    const path = join(dataDir, LOCK_FILE);
    let db: Database.Database;
    try {
      createPrivateFile(path);
      db = new Database(path, { timeout: 0 });
    } catch (err) {
      throw new StoreError('STORE_IO', `cannot open the lock file ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      db.exec('BEGIN IMMEDIATE'); // SQLITE_BUSY at once when another process holds it
      db.pragma(`busy_timeout = ${RECORD_TIMEOUT_MS}`); // a reader of the owner row may hold up the COMMIT briefly
      db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL, host TEXT NOT NULL, command TEXT NOT NULL, since TEXT NOT NULL)');
      db.exec('DELETE FROM owner');
      db.prepare('INSERT INTO owner VALUES (?, ?, ?, ?)').run(process.pid, hostname(), command, new Date().toISOString());
      db.exec('COMMIT');
      // Held from here on. A process that took the lock between the COMMIT and this BEGIN wrote its own row
      // first, so the error below names it.
      db.exec('BEGIN IMMEDIATE');
      return new DataDirLock(db);
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY') throw lockedError(dataDir, readOwner(path));
      // Not repaired here: a process holding a lock on the damaged file would keep it on the old file, and a
      // new one beside it would let two writers in. The file holds only the holder's name, so removing it is safe.
      const damaged = code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT'
        ? ` (it holds no events, only the name of the process writing to the data dir: remove it, once no vigil process uses ${dataDir}, and start again)`
        : '';
      throw new StoreError('STORE_IO', `cannot lock ${path}: ${(err as Error).message}${damaged}`, { cause: err });
    }
  }

  release(): void {
    const db = this.db;
    this.db = null;
    if (db === null) return;
    db.exec('ROLLBACK');
    db.close();
  }
}

/** The recorded holder of a lock file, or null when there is none (or it cannot be read). */
function readOwner(path: string): LockOwner | null {
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: RECORD_TIMEOUT_MS });
    return (db.prepare('SELECT pid, host, command, since FROM owner').get() as LockOwner | undefined) ?? null;
  } catch {
    return null; // the holder is still creating the file: it will have a row once it holds the lock
  } finally {
    db?.close();
  }
}

function lockedError(dataDir: string, owner: LockOwner | null): StoreError {
  const who = owner ? `${owner.command} (pid ${owner.pid} on ${owner.host}, since ${owner.since})` : 'another vigil process';
  // A server makes the same changes (indexes, findings) through its API: the way to go on without stopping it.
  const api = owner?.command === 'vigil serve' ? ', or make the change through its API (docs/api.md)' : '';
  return new StoreError(
    'STORE_LOCKED',
    `the data dir ${dataDir} is in use by ${who}: only one process may write to it. Stop that process first${api}; ` +
      `read-only commands (vigil search --data-dir, vigil runs, vigil findings) work while it runs`,
  );
}
