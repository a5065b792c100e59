import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import { Row, toObject, type Result } from '../events/result.js';
import type { FieldValue } from '../events/value.js';
import type { EventSource, SeqSubsetSource } from '../events/scan.js';
import { VigilError } from '../errors.js';
import type { ContentPack } from '../detections/content.js';
import { MacroLibrary, runSearch, type ExecuteStats } from '../spl/index.js';
import type { LookupProvider } from '../spl/lookups.js';

const NO_MACROS = new MacroLibrary();

/** One search of a scheduled run. */
export interface RunRequest {
  /** For messages. */
  name: string;
  /** The search with its macros already expanded (see expandedSearch), so workers need no macros. */
  search: string;
  earliest: number;
  latest: number;
  /** The scheduled time: the search's now. */
  now: number;
  tz: string;
  defaultIndexes: readonly string[] | 'all';
  /**
   * Search only these events (store seqs: the match index's matches for the window) instead of the whole
   * window. Requires a source that numbers its events (`SeqSubsetSource`: the store).
   */
  eventSeqs?: readonly number[];
}

/** The source a request searches: `source`, or its subset when the request names events. */
function requestSource(source: EventSource, req: RunRequest): EventSource {
  if (req.eventSeqs === undefined) return source;
  if (!('subset' in source) || typeof source.subset !== 'function') {
    throw new VigilError('STORE', `search "${req.name}" names events by seq, but its source does not number events`);
  }
  return (source as SeqSubsetSource).subset(req.eventSeqs);
}

/**
 * Runs a request's search over `source` (both executors: here, and in the worker thread). Its macros are
 * already expanded; lookups come from the current content.
 */
export function runRequest(req: RunRequest, source: EventSource, lookups: LookupProvider, signal?: AbortSignal) {
  return runSearch(req.search, {
    macros: NO_MACROS,
    lookups,
    source: requestSource(source, req),
    now: req.now,
    tz: req.tz,
    earliest: req.earliest,
    latest: req.latest,
    defaultIndexes: req.defaultIndexes,
    name: req.name,
    ...(signal ? { signal } : {}),
  });
}

export interface RunOutput {
  rows: Result[];
  stats: ExecuteStats;
}

/** Runs searches for the scheduler. */
export interface RunExecutor {
  /** Rejects with RunTimeout when the search exceeds `timeoutMs`, with the SplError/VigilError on failure. */
  execute(req: RunRequest, timeoutMs: number): Promise<RunOutput>;
  close(): Promise<void>;
}

export class RunTimeout extends VigilError {
  constructor(name: string, ms: number) {
    super('SPL_RUNTIME', `search "${name}" exceeded its ${Math.round(ms / 1000)} s time limit and was stopped`);
    this.name = 'RunTimeout';
  }
}

/**
 * Runs searches on the calling thread. Cheap and deterministic (tests, `vigil backfill`), but a runaway
 * search (a catastrophic regex) blocks the thread: the timeout is only checked between batches.
 */
export class InProcessExecutor implements RunExecutor {
  constructor(
    private readonly source: EventSource,
    private readonly content: () => ContentPack,
  ) {}

  async execute(req: RunRequest, timeoutMs: number): Promise<RunOutput> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const { results, stats } = await runRequest(req, this.source, this.content().lookups, abort.signal);
      if (abort.signal.aborted) throw new RunTimeout(req.name, timeoutMs);
      return { rows: results, stats };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {}
}

/** What a worker needs to open the store and content on its own. */
export interface WorkerSetup {
  dataDir: string;
  contentDirs: readonly string[];
}

type WorkerReply = { ok: true; rows: Record<string, FieldValue>[]; stats: ExecuteStats } | { ok: false; error: { code: string; message: string; formatted: string } };

/**
 * Runs each search in a worker thread with its own read-only store connection, so the server's event
 * loop never waits on a search and a runaway search is stopped by terminating its worker when the
 * per-run timeout expires. One worker is kept warm and replaced after a timeout.
 */
export class WorkerExecutor implements RunExecutor {
  private worker: Worker | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly setup: WorkerSetup) {}

  private spawn(): Worker {
    const w = new Worker(workerEntry(import.meta.url, 'run-worker'), { workerData: this.setup });
    w.unref();
    return w;
  }

  execute(req: RunRequest, timeoutMs: number): Promise<RunOutput> {
    // One search at a time per executor: runs are sequential per scheduler, like Splunk's per-search concurrency of 1.
    const run = this.queue.then(() => this.run(req, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private run(req: RunRequest, timeoutMs: number): Promise<RunOutput> {
    const w = (this.worker ??= this.spawn());
    return new Promise<RunOutput>((resolve, reject) => {
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
        fn();
      };
      const timer = setTimeout(() => {
        done(() => reject(new RunTimeout(req.name, timeoutMs)));
        // The search may be stuck in a regex: only terminating the thread stops it.
        this.worker = null;
        void w.terminate();
      }, timeoutMs);
      const onMessage = (reply: WorkerReply) =>
        done(() => {
          if (reply.ok) resolve({ rows: reply.rows.map((r) => new Row(r)), stats: reply.stats });
          else {
            const e = new VigilError(reply.error.code as VigilError['code'], reply.error.formatted || reply.error.message);
            reject(e);
          }
        });
      const onError = (err: Error) =>
        done(() => {
          this.worker = null;
          reject(err);
        });
      const onExit = (code: number) =>
        done(() => {
          this.worker = null;
          reject(new VigilError('SPL_RUNTIME', `search worker exited (code ${code})`));
        });
      w.on('message', onMessage);
      w.once('error', onError);
      w.once('exit', onExit);
      w.postMessage(req);
    });
  }

  async close(): Promise<void> {
    await this.queue;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** Rows as structured-clone-able objects (for worker messages). */
export function rowsToObjects(rows: readonly Result[]): Record<string, FieldValue>[] {
  return rows.map(toObject);
}
