import { Worker } from 'node:worker_threads';
import { VigilError } from '../errors.js';
import type { EventSource } from '../events/scan.js';
import type { MacroLimits } from '../spl/macros/macros.js';
import { workerEntry } from '../worker-entry.js';
import type { FollowedStore } from './builder.js';
import { SummaryReader } from './reader.js';
import type { AccelerationSettings } from './settings.js';
import { openSummaryDb, type SummaryDb } from './summary-db.js';

/** Summaries are bucketed by hour (the store's default bucket): the unit of pruning and compaction. */
export const SUMMARY_BUCKET_SECONDS = 3600;

/** The summary worker thread's nice value: it gets the CPU the server's other threads leave. */
export const SUMMARY_WORKER_NICE = 10;

/** What `GET /api/datamodels` reports per dataset. */
export interface DatasetStatus {
  model: string;
  dataset: string;
  accelerated: boolean;
  /** Share of the store's events (by seq) the summary has processed, 0–100. */
  coveragePercent: number;
  /** Seconds since the summary last held every committed event (0: it does now). */
  lagSeconds: number;
  rows: number;
  sizeBytes: number;
  summaryRangeSeconds: number | null;
  definitionHash: string | null;
  lastError: string | null;
}

/** The content the summaries are built from (a ContentPack's parts). */
export interface AccelerationContent {
  dataModels: { names(): string[]; get(name: string): { datasets: { name: string }[] } | undefined };
  /** The directories it was loaded from, in order (the bundled one included): the worker loads them again. */
  dirs: readonly string[];
  macros: { limits: MacroLimits };
}

/** What the worker loads its content from, and the server's clock when it was asked to. */
export interface SummaryContent {
  dirs: string[];
  macroLimits: MacroLimits;
  now: number;
}

/** The summary worker's start (summary-worker.ts). */
export interface SummaryWorkerSetup {
  dataDir: string;
  settings: AccelerationSettings;
  tz: string;
  content: SummaryContent;
}

export type ToSummaryWorker = { type: 'catchUp'; id: number; now: number } | { type: 'content'; content: SummaryContent } | { type: 'close' };

export type FromSummaryWorker =
  | { type: 'loaded'; problems: string[] }
  | { type: 'caughtUp'; ids: number[]; read: number }
  | { type: 'failed'; ids: number[]; message: string }
  | { type: 'log'; level: 'warn' | 'error'; message: string }
  /** The error the worker dies of (workerErrorText), posted before it ends. */
  | { type: 'fatal'; message: string };

export interface AccelerationOptions {
  log?: (level: 'warn' | 'error', message: string) => void;
  /** How long `close()` lets the worker finish its current chunk before terminating it (default 1000 ms). */
  closeTimeoutMs?: number;
  /** A worker that dies is restarted after this delay, doubled per consecutive death (default 1000 ms)… */
  restartDelayMs?: number;
  /** …at most this many times in a row (a catch-up that completes resets the count; default 5). */
  maxRestarts?: number;
}

const MAX_RESTART_DELAY_MS = 60_000;

/**
 * What a summary worker's death is logged with: its error's message, led by its SQLite code (its own, or its cause's).
 * A better-sqlite3 error is no real Error: it crossed threads as `{ code }` alone, and the log said "exit code 1".
 */
export function workerErrorText(e: unknown): string {
  if (typeof e !== 'object' || e === null) return String(e);
  const { message, code, cause } = e as { message?: unknown; code?: unknown; cause?: unknown };
  const causeCode = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  const sqlite = [code, causeCode].find((c): c is string => typeof c === 'string' && c.startsWith('SQLITE_'));
  const text = typeof message === 'string' && message !== '' ? message : 'no message';
  return sqlite === undefined || text.includes(sqlite) ? text : `${sqlite}: ${text}`;
}

/**
 * The acceleration of `vigil serve`: a SummaryBuilder on its own worker thread (summary-worker.ts), asked
 * to catch up every `interval` with the server's clock, told of content reloads (a changed definition
 * rebuilds its summaries), and the status the API shows (read from `summaries.db`). A worker that dies is
 * logged and restarted (a bounded number of times): meanwhile tstats reads raw events, as it does for any
 * dataset that is behind.
 */
export class AccelerationService {
  private readonly db: SummaryDb;
  private worker: Worker | null = null;
  private content: AccelerationContent;
  private timer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Datasets of the content that have no summary (reported by the worker at each load). */
  private problems: string[] = [];
  /** Why the worker is not running any more (restarts exhausted). */
  private failure: string | null = null;
  private stopped = false;
  private deaths = 0;
  private nextId = 0;
  private readonly pending = new Map<number, { now: number; resolve: (read: number) => void; reject: (e: Error) => void }>();
  private readonly log: (level: 'warn' | 'error', message: string) => void;

  constructor(
    private readonly dataDir: string,
    private readonly store: Pick<FollowedStore, 'lastSeq'>,
    private readonly settings: AccelerationSettings,
    content: AccelerationContent,
    private readonly tz: string,
    private readonly now: () => number,
    log?: (level: 'warn' | 'error', message: string) => void,
    private readonly options: Omit<AccelerationOptions, 'log'> = {},
  ) {
    this.log = log ?? (() => {});
    // Created here, so the worker, the search workers and status() all find it from the start.
    this.db = openSummaryDb(dataDir, false)!;
    this.content = content;
    this.spawn();
  }

  /** New content (a reload): the worker stops its catch-up after the current chunk and reloads; datasets whose definition changed start over. */
  setContent(content: AccelerationContent): void {
    this.content = content;
    this.worker?.postMessage({ type: 'content', content: this.workerContent() } satisfies ToSummaryWorker);
  }

  start(): void {
    // The failure logged last: the same one again is not (a full disk failed every catch-up, a line a second), until one succeeds.
    let failing: string | null = null;
    const tick = () => {
      if (this.failure !== null) return; // logged once; nothing more to do until vigil serve restarts
      this.catchUp()
        .then(() => {
          if (failing !== null && !this.stopped) this.log('warn', `data model acceleration: catching up again (after: ${failing})`);
          failing = null;
        })
        .catch((e: Error) => {
          // Given up on (died() said so): not said a second time.
          if (!this.stopped && this.failure === null && e.message !== failing) this.log('error', `data model acceleration: ${e.message}`);
          failing = e.message;
        })
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.settings.intervalSeconds * 1000).unref();
        });
    };
    tick();
  }

  /** Resolves once everything committed so far is summarized (events read); rejects if the worker cannot. */
  catchUp(): Promise<number> {
    if (this.stopped) return Promise.reject(new VigilError('STORE', 'data model acceleration is stopped'));
    if (this.failure !== null) return Promise.reject(new VigilError('STORE', this.failure));
    const id = ++this.nextId;
    const now = this.now();
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { now, resolve, reject });
      this.worker?.ref(); // someone waits: the worker must keep the process alive
      this.worker?.postMessage({ type: 'catchUp', id, now } satisfies ToSummaryWorker);
    });
  }

  status(): DatasetStatus[] {
    const last = this.store.lastSeq();
    const now = this.now();
    const states = new Map(this.db.states().map((s) => [s.key, s]));
    const out: DatasetStatus[] = [];
    for (const model of this.content.dataModels.names()) {
      const range = this.settings.models.get(model);
      for (const d of this.content.dataModels.get(model)!.datasets) {
        const key = `${model}.${d.name}`;
        const s = range === undefined ? null : (states.get(key) ?? null);
        const size = s ? this.db.size(key) : { rows: 0, bytes: 0 };
        out.push({
          model,
          dataset: d.name,
          accelerated: s !== null,
          coveragePercent: s === null ? 0 : last === 0 ? 100 : Math.min(100, Math.floor((s.builtSeq / last) * 1000) / 10),
          lagSeconds: s === null || s.builtSeq >= last ? 0 : Math.max(0, now - s.caughtUpAt),
          rows: size.rows,
          sizeBytes: size.bytes,
          summaryRangeSeconds: range ?? null,
          definitionHash: s?.hash ?? null,
          lastError: (range === undefined ? null : this.failure) ?? s?.error ?? this.problems.find((p) => p.startsWith(`${key}:`)) ?? null,
        });
      }
    }
    return out;
  }

  /** Stops the worker: it ends after its current chunk, or is terminated after `closeTimeoutMs` (the catch-up resumes at the next start). */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.settleAll(new VigilError('STORE', 'data model acceleration stopped'));
    const w = this.worker;
    if (w) {
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.postMessage({ type: 'close' } satisfies ToSummaryWorker);
      let timeout: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((r) => (timeout = setTimeout(() => r(true), this.options.closeTimeoutMs ?? 1000)));
      if (await Promise.race([exited.then(() => false), late])) await w.terminate();
      clearTimeout(timeout);
    }
    this.db.close();
  }

  private workerContent(): SummaryContent {
    return { dirs: [...this.content.dirs], macroLimits: this.content.macros.limits, now: this.now() };
  }

  private spawn(): void {
    const setup: SummaryWorkerSetup = { dataDir: this.dataDir, settings: this.settings, tz: this.tz, content: this.workerContent() };
    const w = new Worker(workerEntry(import.meta.url, 'summary-worker'), { workerData: setup });
    this.worker = w;
    if (this.pending.size === 0) w.unref();
    // Catch-ups asked of a worker that died are asked again of the next one.
    for (const [id, p] of this.pending) w.postMessage({ type: 'catchUp', id, now: p.now } satisfies ToSummaryWorker);
    let error: unknown = null;
    let fatal: string | null = null;
    w.on('message', (m: FromSummaryWorker) => (m.type === 'fatal' ? (fatal = m.message) : this.received(m)));
    w.on('error', (e) => (error = e));
    w.on('exit', (code) => {
      this.worker = null;
      if (this.stopped) return;
      this.died(fatal ?? (error === null ? `exit code ${code}` : workerErrorText(error)));
    });
  }

  private received(m: Exclude<FromSummaryWorker, { type: 'fatal' }>): void {
    switch (m.type) {
      case 'loaded':
        this.problems = m.problems;
        for (const p of m.problems) this.log('warn', `data model acceleration: ${p}`);
        return;
      case 'log':
        this.log(m.level, `data model acceleration: ${m.message}`);
        return;
      case 'caughtUp':
      case 'failed':
        if (m.type === 'caughtUp') this.deaths = 0;
        for (const id of m.ids) {
          const p = this.pending.get(id);
          this.pending.delete(id);
          if (m.type === 'caughtUp') p?.resolve(m.read);
          else p?.reject(new VigilError('STORE', m.message));
        }
        if (this.pending.size === 0) this.worker?.unref();
        return;
    }
  }

  private died(why: string): void {
    const restarts = this.options.maxRestarts ?? 5;
    if (this.deaths >= restarts) {
      this.failure = `the summary worker died ${this.deaths + 1} times in a row (last: ${why}); summaries are no longer updated until vigil serve restarts`;
      this.log('error', `data model acceleration: ${this.failure}`);
      this.settleAll(new VigilError('STORE', this.failure));
      return;
    }
    const delay = Math.min(MAX_RESTART_DELAY_MS, (this.options.restartDelayMs ?? 1000) * 2 ** this.deaths);
    this.deaths++;
    this.log('error', `data model acceleration: the summary worker died (${why}); restarting it in ${delay} ms (tstats reads raw events meanwhile)`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopped) this.spawn();
    }, delay);
    if (this.pending.size === 0) this.restartTimer.unref();
  }

  private settleAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}

/**
 * The summaries a search worker reads (its own read-only connections), or null when the data dir has none
 * yet (searches then read raw events, with the same rows).
 */
export function openSummaryReader(dataDir: string, store: FollowedStore & EventSource, settings: Pick<AccelerationSettings, 'maxRemainderEvents' | 'maxCachedRows'>): SummaryReader | null {
  const db = openSummaryDb(dataDir, true);
  return db ? new SummaryReader({ db, store, bucketSeconds: SUMMARY_BUCKET_SECONDS, ...settings }) : null;
}
