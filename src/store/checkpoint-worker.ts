/**
 * Checkpoint worker: copies the WAL into the database file (and fsyncs it) on its own connection, beside
 * the writer, so commits never wait for a checkpoint. Started and stopped by the writer worker; they
 * coordinate through a shared Int32Array (see CK_* in protocol.ts), never through the event loop: this
 * thread blocks in Atomics.wait between passes.
 *
 * Passes are PASSIVE checkpoints: they never wait for (nor block) the writer or readers, and copy every
 * frame that no reader still needs. A pass starts after a commit, at most every `intervalMs`. Once the
 * WAL holds `restartFrames` frames, passes run back to back until the part not yet copied is small, then
 * the writer is asked to copy that tail itself between two commits (CK_RESTART), after which its next
 * transaction starts the WAL over (it only can once the whole WAL is in the database).
 *
 * Durability is SQLite's own: a checkpoint fsyncs the WAL before copying frames and the database before it
 * records them as copied, which `synchronous` NORMAL or FULL on this connection guarantees.
 */
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { CheckpointerInit } from './protocol.js';
import { CK_BACKFILLED, CK_COMMITS, CK_LOG, CK_PASSES, CK_RESTART, CK_STOP } from './protocol.js';

const { path, busyTimeoutMs, state, intervalMs, restartFrames } = workerData as CheckpointerInit;

/** A pass that copied at most this many frames ends the convergence: the writer's tail will be as small. */
const SMALL_TAIL_FRAMES = 64;
/** Most back-to-back passes before asking for the restart anyway (the tail stops shrinking under heavy load). */
const MAX_CONVERGING_PASSES = 8;
/** After an error (disk full, I/O): wait this long before the next pass. */
const ERROR_BACKOFF_MS = 1000;

const stopped = (): boolean => Atomics.load(state, CK_STOP) === 1;
/** Sleeps up to `ms`, waking at once on stop. */
const sleep = (ms: number): void => {
  if (ms > 0) Atomics.wait(state, CK_STOP, 0, ms);
};

const db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs });
try {
  db.pragma('journal_mode = WAL');
  // The checkpoint's own fsyncs (WAL before copying, database after) depend on this connection's setting.
  db.pragma('synchronous = FULL');
  // Only this thread's passes checkpoint from here (it never writes, so SQLite's automatic ones never fire).
  db.pragma('wal_autocheckpoint = 0');
  run();
} finally {
  db.close();
}

function pass(): { busy: boolean; log: number; backfilled: number } {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
  // busy: another connection was checkpointing (the writer copying its tail); log/checkpointed are -1 then.
  const r = { busy: row!.busy !== 0 || row!.log < 0, log: Math.max(0, row!.log), backfilled: Math.max(0, row!.checkpointed) };
  Atomics.store(state, CK_LOG, r.log);
  Atomics.store(state, CK_BACKFILLED, r.backfilled);
  Atomics.add(state, CK_PASSES, 1);
  return r;
}

function run(): void {
  let seen = Atomics.load(state, CK_COMMITS);
  let lastPass = -Infinity;
  let prev = { log: 0, backfilled: 0 };
  let copiedBefore = Infinity;
  let converging = 0;
  while (!stopped()) {
    // Nothing to copy until the writer commits.
    Atomics.wait(state, CK_COMMITS, seen);
    if (stopped()) break;
    if (converging === 0) {
      sleep(lastPass + intervalMs - performance.now());
      if (stopped()) break;
    }
    seen = Atomics.load(state, CK_COMMITS);
    let r: ReturnType<typeof pass>;
    try {
      r = pass();
    } catch {
      // SQLITE_FULL, an I/O error: the frames stay in the WAL (still durable); try again later.
      converging = 0;
      sleep(ERROR_BACKOFF_MS);
      continue;
    } finally {
      lastPass = performance.now();
    }
    if (r.busy) continue;
    // A smaller WAL than last time: it was started over since, and everything in it is new.
    const copied = r.log >= prev.log ? r.backfilled - prev.backfilled : r.backfilled;
    prev = r;
    // Below the threshold, or a reader still uses frames that are left (a long scan, which also rules out
    // a restart): the normal pace.
    if (r.log < restartFrames || r.backfilled < r.log) {
      converging = 0;
      copiedBefore = Infinity;
      continue;
    }
    // What this pass copied was committed during the previous one: the writer's tail will be about as big.
    if (copied <= SMALL_TAIL_FRAMES || copied >= copiedBefore || converging >= MAX_CONVERGING_PASSES) {
      requestRestart();
      converging = 0;
      copiedBefore = Infinity;
    } else {
      converging++;
      copiedBefore = copied;
    }
  }
}

/** Asks the writer to checkpoint the tail (and so start the WAL over), and waits until it did. */
function requestRestart(): void {
  Atomics.store(state, CK_RESTART, 1);
  while (Atomics.load(state, CK_RESTART) === 1 && !stopped()) Atomics.wait(state, CK_RESTART, 1);
}
