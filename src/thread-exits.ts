import { getEnvironmentData, isMainThread, setEnvironmentData, type Worker } from 'node:worker_threads';

/**
 * The worker threads of this process known to have exited, shared by all its threads: a thread that holds a lock
 * file records its pid and thread id, and a worker terminated while holding one (at a search's time limit: it runs no
 * `finally`) shares the pid of a process that is alive. Thread ids are never reused within a process, so an id found
 * here is gone for good.
 *
 * One SharedArrayBuffer, made by the main thread when this module loads there and handed to every worker started
 * after that through the environment data (which a worker passes on to the workers it starts): word 0 counts the
 * exits recorded, then a ring of the last EXITS_KEPT exited ids (+1: 0 is an empty slot). A worker started before the
 * main thread loaded this module has no ring: it records and sees nothing, and its callers keep their other rules.
 */
const KEY = 'vigil:exited-threads';

/** Exits remembered: an older one is forgotten (its locks then wait for their age, LOOKUP_LOCK_STALE_MS). */
export const EXITS_KEPT = 4096;

const ring = sharedRing();

function sharedRing(): Int32Array | null {
  const shared: unknown = getEnvironmentData(KEY);
  if (shared instanceof SharedArrayBuffer) return new Int32Array(shared);
  if (!isMainThread) return null;
  const buffer = new SharedArrayBuffer(4 * (1 + EXITS_KEPT));
  setEnvironmentData(KEY, buffer);
  return new Int32Array(buffer);
}

/** Records `worker`'s thread id when it exits, however it ends (terminate(), a crash, its heap limit). */
export function watchThreadExit(worker: Worker): void {
  // Read now: once the thread is gone, worker.threadId is -1.
  const id = worker.threadId;
  if (ring === null || !(id > 0 && id < 0x7fff_ffff)) return;
  worker.once('exit', () => {
    const n = Atomics.add(ring, 0, 1);
    Atomics.store(ring, 1 + ((n >>> 0) % EXITS_KEPT), id + 1);
  });
}

/** Whether thread `id` of this process is known to have exited (false when unknown: the caller assumes it alive). */
export function threadExited(id: number): boolean {
  if (ring === null || !(id > 0 && id < 0x7fff_ffff)) return false;
  for (let i = 1; i <= EXITS_KEPT; i++) if (Atomics.load(ring, i) === id + 1) return true;
  return false;
}
