/**
 * The worker thread behind AccelerationService (service.ts): opens the store read-only, `summaries.db` for
 * writing and the content from its directories, and runs the SummaryBuilder when the server asks (each
 * request brings the server's clock), off the thread that answers HEC requests. One catch-up at a time;
 * requests that arrive during one are answered together by the next. A content reload or `close` aborts
 * the catch-up in progress after its current chunk (chunks commit with their seq: nothing is lost).
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadContent } from '../detections/content.js';
import { openStore } from '../store/sqlite-store.js';
import { SummaryBuilder } from './builder.js';
import { acceleratedDatasets } from './datasets.js';
import { SUMMARY_BUCKET_SECONDS, SUMMARY_WORKER_NICE, type FromSummaryWorker, type SummaryContent, type SummaryWorkerSetup, type ToSummaryWorker, workerErrorText } from './service.js';
import { openSummaryDb } from './summary-db.js';

const setup = workerData as SummaryWorkerSetup;
/**
 * This thread yields the CPU to HEC ingest and searches when they want it (Linux: a thread's nice value is
 * its own); summaries catch up with what is left. Where that cannot be set, it runs at normal priority.
 */
try {
  setPriority(0, SUMMARY_WORKER_NICE);
} catch {
  // not permitted or not supported
}
const port = parentPort!;
const reply = (m: FromSummaryWorker) => port.postMessage(m);
// The error this thread dies of reaches the server with its SQLite code and message (a better-sqlite3 error crossed as
// `{ code }` alone: "exit code 1"); an unhandled rejection comes here too. Messages posted are delivered before the exit.
process.on('uncaughtException', (e) => {
  reply({ type: 'fatal', message: workerErrorText(e) });
  process.exit(1);
});
const storePromise = openStore(setup.dataDir, { readonly: true });
const db = openSummaryDb(setup.dataDir, false)!;
/** The server's clock as of the last request (summary-range boundaries, lag). */
let now = setup.content.now;
let builder: SummaryBuilder | null = null;
let reload: SummaryContent | null = setup.content;
const waiting: { id: number; now: number }[] = [];
let run = new AbortController();
let closing = false;
let closed = false;
let busy = false;

port.on('message', (m: ToSummaryWorker) => {
  if (m.type === 'catchUp') waiting.push(m);
  else {
    if (m.type === 'content') reload = m.content;
    else closing = true;
    run.abort();
  }
  void pump();
});
void pump();

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    while (!closing) {
      if (reload) {
        const c = reload;
        reload = null;
        try {
          builder = await load(c);
        } catch (e) {
          // The builder's first write failed (SQLITE_FULL: a full disk). Uncaught, it killed the worker (as "exit code 1":
          // a SqliteError crosses threads without its message) at every restart, and after five summaries stopped until
          // vigil serve restarted. The catch-ups waiting are told; the next one loads again.
          if (!isSqliteError(e)) throw e;
          reload = c;
          const batch = waiting.splice(0);
          reply({ type: 'failed', ids: batch.map((b) => b.id), message: (e as Error).message });
          break;
        }
        continue;
      }
      if (waiting.length === 0 || !builder) break;
      const batch = waiting.splice(0);
      now = Math.max(now, ...batch.map((b) => b.now));
      run = new AbortController();
      try {
        const read = await builder.catchUp(run.signal);
        reply({ type: 'caughtUp', ids: batch.map((b) => b.id), read });
      } catch (e) {
        // Aborted by a reload (redone with the new content) or by close (abandoned: the server stops).
        if (run.signal.aborted) waiting.unshift(...batch);
        else reply({ type: 'failed', ids: batch.map((b) => b.id), message: (e as Error).message });
      }
    }
  } finally {
    busy = false;
  }
  if (closing && !closed) {
    closed = true;
    db.close();
    await (await storePromise.catch(() => null))?.close();
    port.close();
  }
}

async function load(c: SummaryContent): Promise<SummaryBuilder> {
  const store = await storePromise;
  now = Math.max(now, c.now);
  const pack = loadContent(c.dirs, { bundled: false });
  pack.macros.limits = c.macroLimits;
  const problems: string[] = [];
  const datasets = acceleratedDatasets(
    pack.knowledge,
    [...setup.settings.models.keys()].filter((m) => pack.dataModels.names().includes(m)),
    (m) => pack.dataModels.get(m)!.datasets.map((d) => d.name),
    (p) => problems.push(p),
  );
  const b = new SummaryBuilder({
    db,
    store,
    datasets,
    ranges: setup.settings.models,
    derived: pack.knowledge.derived,
    lookups: pack.lookups,
    tz: setup.tz,
    bucketSeconds: SUMMARY_BUCKET_SECONDS,
    chunkEvents: setup.settings.chunkEvents,
    maxSegmentsPerBucket: setup.settings.maxSegmentsPerBucket,
    now: () => now,
    log: (level, message) => reply({ type: 'log', level, message }),
  });
  reply({ type: 'loaded', problems });
  return b;
}

function isSqliteError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('SQLITE_');
}
