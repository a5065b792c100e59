/**
 * The worker thread behind WorkerExecutor: opens the store read-only and the content once, then runs one
 * search per message, posting its rows, progress and end back. Terminated by the parent when a search
 * exceeds its time, is cancelled, or runs out of heap.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSummaryReader } from '../acceleration/service.js';
import type { SummaryReader } from '../acceleration/reader.js';
import { openEventReader } from '../cluster/locator.js';
import { loadContent } from '../detections/content.js';
import { withLookupDir } from '../detections/lookup-dir.js';
import { heapSpent } from '../spl/exec/heap-guard.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { serveRequest, type WorkerSetup } from './executor.js';

const setup = workerData as WorkerSetup;
// Its scan thread starts now, beside the loading of the content: the first scheduled pack does not wait for it.
const storePromise = openEventReader(setup.store ?? { type: 'sqlite', dataDir: setup.dataDir }, { scanThread: 'prestart' });
// A failed open is reported by each search; this keeps it from being an unhandled rejection meanwhile.
storePromise.catch(() => undefined);
const content = loadContent(setup.contentDirs);
const pack = setup.lookupDir ? { ...content, lookups: withLookupDir(content.lookups, setup.lookupDir) } : content;
// Opened at the first search that finds summaries.db (the server creates it; until then tstats reads raw
// events), then kept: its decoded segments are cached between searches.
let summaries: SummaryReader | null = null;
async function summaryReader(): Promise<SummaryReader | null> {
  if (!setup.summaries || summaries) return summaries;
  // Summaries follow the SQLite store's seq; a cluster's workers are given no `summaries`.
  const store = await storePromise;
  return store instanceof SqliteStore ? (summaries = openSummaryReader(setup.dataDir, store, setup.summaries)) : null;
}

parentPort!.on('message', (msg: Parameters<typeof serveRequest>[0]) => {
  void summaryReader()
    .catch(() => null) // a store that failed to open is reported by the search itself
    .then((s) =>
      // The last message says whether this worker's heap is too full to take another search (the executor retires it).
      serveRequest(msg, storePromise, { ...pack, summaries: s }, (m) => parentPort!.postMessage(m.type === 'done' || m.type === 'error' ? { ...m, retire: heapSpent() } : m)),
    );
});
