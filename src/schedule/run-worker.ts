/**
 * The worker thread behind WorkerExecutor: opens the store read-only and the content once, then runs one
 * search per message and posts the rows back. Terminated by the parent when a search exceeds its time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadContent } from '../detections/content.js';
import { VigilError } from '../errors.js';
import { MacroLibrary, runSearch, SplError } from '../spl/index.js';
import { openStore } from '../store/sqlite-store.js';
import { requestSource, rowsToObjects, type RunRequest, type WorkerSetup } from './executor.js';

const setup = workerData as WorkerSetup;
const storePromise = openStore(setup.dataDir, { readonly: true });
const pack = loadContent(setup.contentDirs);
const NO_MACROS = new MacroLibrary();

parentPort!.on('message', (req: RunRequest) => {
  void (async () => {
    try {
      const store = await storePromise;
      const { results, stats } = await runSearch(req.search, {
        // The scheduler sends searches with macros already expanded (content may change while we run).
        macros: NO_MACROS,
        lookups: pack.lookups,
        source: requestSource(store, req),
        now: req.now,
        tz: req.tz,
        earliest: req.earliest,
        latest: req.latest,
        defaultIndexes: req.defaultIndexes,
        name: req.name,
      });
      parentPort!.postMessage({ ok: true, rows: rowsToObjects(results), stats });
    } catch (e) {
      const code = e instanceof VigilError ? e.code : 'SPL_RUNTIME';
      const formatted = e instanceof SplError ? e.format() : '';
      parentPort!.postMessage({ ok: false, error: { code, message: (e as Error).message, formatted } });
    }
  })();
});
