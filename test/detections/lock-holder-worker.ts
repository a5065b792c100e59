/**
 * A worker thread that takes a lookup lock and holds it until it is terminated (lookup-lock-thread.test.ts), as a
 * `vigil serve` search worker killed at its time limit in the middle of an outputlookup write: no `finally` runs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { withLockFile } from '../../src/detections/lookup-lock.js';

const { path } = workerData as { path: string };
withLockFile(path, 0, () => new Error(`lock-holder-worker: ${path} is held`), () => {
  parentPort!.postMessage('holding');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
});
