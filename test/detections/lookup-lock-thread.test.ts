import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tableLockName, withLookupDir } from '../../src/detections/lookup-dir.js';
import { withLockFile } from '../../src/detections/lookup-lock.js';
import { runSearch, SplError } from '../../src/spl/index.js';
import { NO_LOOKUPS, type LookupDirSetup } from '../../src/spl/lookups.js';
import { threadExited, watchThreadExit } from '../../src/thread-exits.js';
import { workerEntry } from '../../src/worker-entry.js';

/**
 * A lookup lock held by a worker thread of this process (a `vigil serve` search) that is terminated while it holds it:
 * the process lives on, so its pid says "alive"; the thread's exit (thread-exits.ts) lets the next writer take the lock
 * at once instead of after LOOKUP_LOCK_STALE_MS (60 s), past every lock wait.
 */
let dir: string;
const setup = (over: Partial<LookupDirSetup> = {}): LookupDirSetup => ({ dir, refusal: null, maxRows: 1000, maxBytes: 100_000, maxFiles: 1000, lockWaitMs: 1000, ...over });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-lookup-lock-thread-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A watched worker (as WorkerExecutor's) holding the lock at `path`, once it says so. */
async function holder(path: string): Promise<Worker> {
  const w = new Worker(workerEntry(import.meta.url, 'lock-holder-worker'), { workerData: { path } });
  watchThreadExit(w);
  const [m] = (await once(w, 'message')) as [string];
  expect(m).toBe('holding');
  return w;
}

const append = (w: string) => runSearch(`| makeresults | eval w="${w}" | table w | outputlookup append=true t`, { now: 1700000000, lookups: withLookupDir(NO_LOOKUPS, setup()) });

describe('a lookup lock held by a worker thread of this process', () => {
  it('is respected while the worker lives, and taken at once (a 1 s wait) once it is terminated', async () => {
    const lock = join(dir, tableLockName('t.csv'));
    const w = await holder(lock);
    const id = w.threadId;
    // Alive: the writer waits its 1 s and fails, the worker's lock left in place.
    const e = await append('a').then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SplError);
    expect((e as SplError).code).toBe('SPL_LOOKUP_WRITE');
    expect(readdirSync(dir)).toEqual([tableLockName('t.csv')]);
    expect(threadExited(id)).toBe(false);

    await w.terminate();
    expect(threadExited(id)).toBe(true);
    // Same lock file, same pid (this process): now taken over within the 1 s wait, not after 60 s.
    await append('b');
    expect(readFileSync(join(dir, 't.csv'), 'utf8')).toBe('w\nb\n');
    expect(readdirSync(dir)).toEqual(['t.csv']);
  });

  it('a lock of an unwatched worker (its exit unknown) keeps the 60 s rule', async () => {
    const lock = join(dir, 'x.lock');
    const w = new Worker(workerEntry(import.meta.url, 'lock-holder-worker'), { workerData: { path: lock } });
    await once(w, 'message');
    await w.terminate();
    expect(() => withLockFile(lock, 200, () => new Error('timed out'), () => 'taken')).toThrow('timed out');
  });

  it('the main thread and unknown thread ids are never judged exited', () => {
    expect(threadExited(0)).toBe(false);
    expect(threadExited(-1)).toBe(false);
    expect(threadExited(2 ** 40)).toBe(false);
  });
});
