/**
 * The worker thread behind WorkerExecutor: opens the store read-only and the content once, then runs one
 * search per message and posts the rows back. Terminated by the parent when a search exceeds its time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadContent } from '../detections/content.js';
import { VigilError } from '../errors.js';
import { SplError } from '../spl/index.js';
import { openStore } from '../store/sqlite-store.js';
import { rowsToObjects, runRequest, type RunRequest, type WorkerSetup } from './executor.js';

const setup = workerData as WorkerSetup;
const storePromise = openStore(setup.dataDir, { readonly: true });
const pack = loadContent(setup.contentDirs);

parentPort!.on('message', (req: RunRequest) => {
  void (async () => {
    try {
      const store = await storePromise;
      const { results, stats } = await runRequest(req, store, pack.lookups);
      parentPort!.postMessage({ ok: true, rows: rowsToObjects(results), stats });
    } catch (e) {
      const code = e instanceof VigilError ? e.code : 'SPL_RUNTIME';
      const formatted = e instanceof SplError ? e.format() : '';
      parentPort!.postMessage({ ok: false, error: { code, message: (e as Error).message, formatted } });
    }
  })();
});
