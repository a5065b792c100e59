/**
 * The worker thread behind WorkerExecutor: opens the store read-only and the content once, then runs one
 * search per message, posting its rows, progress and end back. Terminated by the parent when a search
 * exceeds its time, is cancelled, or runs out of heap.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadContent } from '../detections/content.js';
import { openStore } from '../store/sqlite-store.js';
import { serveRequest, type WorkerSetup } from './executor.js';

const setup = workerData as WorkerSetup;
const storePromise = openStore(setup.dataDir, { readonly: true });
// A failed open is reported by each search; this keeps it from being an unhandled rejection meanwhile.
storePromise.catch(() => undefined);
const pack = loadContent(setup.contentDirs);

parentPort!.on('message', (msg: Parameters<typeof serveRequest>[0]) => {
  void serveRequest(msg, storePromise, pack, (m) => parentPort!.postMessage(m));
});
