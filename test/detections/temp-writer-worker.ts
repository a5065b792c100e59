/**
 * A worker thread that writes an outputlookup temporary file and stops before its rename until it is terminated
 * (lookup-leftovers.test.ts), as a `vigil serve` search worker killed at its time limit between the write and the
 * rename: no `finally` runs, the file stays.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { tempFileName } from '../../src/detections/lookup-dir.js';

const { dir } = workerData as { dir: string };
const name = tempFileName();
writeFileSync(join(dir, name), 'w\nhalf\n', { flag: 'wx' });
parentPort!.postMessage(name);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
