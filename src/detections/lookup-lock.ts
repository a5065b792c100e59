import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { threadId } from 'node:worker_threads';
import { VigilError } from '../errors.js';
import { threadExited } from '../thread-exits.js';

/**
 * A lock older than this is taken over, whoever holds it. It is held only around one table's read, write and rename
 * (at most the byte limit of a file, 100 MiB by default: seconds), so an older one was left by a holder that stopped
 * mid-way without its process ending and whose end this process did not see (thread-exits.ts: a worker of another
 * process, or one its parent does not watch).
 */
export const LOOKUP_LOCK_STALE_MS = 60_000;

/** A breaker file (below) is held for microseconds; one this old was left by a process killed then. */
const BREAKER_STALE_MS = 10_000;

/** The longest pause between two tries: short next to a write, so waiters do not stand idle long after a release. */
const MAX_PAUSE_MS = 50;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `work` while holding the lock file `path`, created with O_EXCL (exclusive between the searches of one thread,
 * of several threads and of several processes on the directory). Waits at most `waitMs` for it, in pauses that block
 * the calling thread (outputlookup writes at a command's end, synchronously; in `vigil serve` that is a search's
 * worker thread); then `timedOut()` is thrown and `work` never ran. A lock whose owner process is gone (same host), whose
 * owner thread of this process has exited (thread-exits.ts: a worker terminated while it held the lock runs no
 * `finally`), or older than LOOKUP_LOCK_STALE_MS, is taken over.
 */
export function withLockFile<T>(path: string, waitMs: number, timedOut: () => Error, work: () => T): T {
  const token = `${process.pid} ${threadId} ${hostname()} ${randomBytes(8).toString('hex')}\n`;
  const deadline = Date.now() + waitMs;
  let pause = 1;
  for (;;) {
    if (tryCreate(path, token)) break;
    // A stale lock removed: tried again at once (a wait of 0 still takes a dead writer's lock over).
    if (takeOverStale(path) && tryCreate(path, token)) break;
    const left = deadline - Date.now();
    if (left <= 0) throw timedOut();
    // Jittered, so waiters that saw one release do not all retry at the same instant.
    Atomics.wait(sleeper, 0, 0, Math.min(left, pause * (0.5 + Math.random())));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
  try {
    return work();
  } finally {
    // Taken over meanwhile (this holder was past the stale bound): that lock is its new owner's, left alone.
    if (readLock(path)?.text === token) unlinkQuietly(path);
  }
}

/** Creates the lock holding `token`; false when it exists. */
function tryCreate(path: string, token: string): boolean {
  let fd: number;
  try {
    // 'wx' is O_CREAT | O_EXCL: of concurrent creators exactly one succeeds, and a link at the path is not followed.
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new VigilError('SPL_LOOKUP_WRITE', `outputlookup: cannot create the lock ${path}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, token);
  } catch (e) {
    closeSync(fd);
    unlinkSync(path);
    throw new VigilError('SPL_LOOKUP_WRITE', `outputlookup: cannot write the lock ${path}: ${(e as Error).message}`);
  }
  closeSync(fd);
  return true;
}

/** The lock file's text, inode and age; null when there is none (or it is no regular file). */
function readLock(path: string): { text: string; ino: number; ageMs: number } | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return null;
    // A token is under 100 bytes; a larger file is not one of ours, and is not read whole.
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { text: buf.subarray(0, n).toString('utf8'), ino: st.ino, ageMs: Date.now() - st.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the lock's owner cannot release it: its process is gone (known only on this host), its thread of this
 * process has exited (a `vigil serve` search worker terminated while it held the lock), or it is too old.
 */
function isStale(lock: { text: string; ageMs: number }): boolean {
  if (lock.ageMs > LOOKUP_LOCK_STALE_MS) return true;
  const [pid, thread, host] = lock.text.split(' ');
  // An empty lock is one being written (created, token not yet in it): only its age tells.
  if (host !== hostname() || !/^\d+$/.test(pid ?? '')) return false;
  return ownerGone(Number(pid), /^\d+$/.test(thread ?? '') ? Number(thread) : null);
}

/**
 * Whether the writer thread `thread` (null: unknown) of process `pid` on this host is known to be gone: another
 * process that no longer exists, or a thread of this process that has exited (thread-exits.ts). Shared by the locks and
 * by the lookup directory's sweep of temporary files (lookup-dir.ts), whose names carry the same owner.
 */
export function ownerGone(pid: number, thread: number | null): boolean {
  if (pid === process.pid) return thread !== null && threadExited(thread);
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    // EPERM: the process exists (another user's).
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes the lock when it is stale; true when the caller should try to create it at once (removed, or gone).
 * Takers are serialized by a breaker file (O_EXCL too), and the lock is removed only when it is still the one judged
 * stale (same inode and text): without it, a second taker that judged the same dead lock would remove the lock the
 * first had just created, and both would write.
 */
function takeOverStale(path: string): boolean {
  const seen = readLock(path);
  if (seen === null) return true;
  if (!isStale(seen)) return false;
  const breaker = `${path}-break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
    const left = readLock(breaker);
    if (left !== null && left.ageMs > BREAKER_STALE_MS) unlinkQuietly(breaker);
    return false;
  }
  closeSync(fd);
  try {
    const now = readLock(path);
    if (now !== null && now.ino === seen.ino && now.text === seen.text) unlinkQuietly(path);
  } finally {
    unlinkQuietly(breaker);
  }
  return true;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
