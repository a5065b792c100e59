import { Worker } from 'node:worker_threads';
import type { Event, IndexedFields } from '../events/event.js';
import { expandMacros } from '../spl/macros/macros.js';
import { workerEntry } from '../worker-entry.js';
import type { MatchLookup, Matches, PrefixContent, PrefixSource } from './incremental.js';

/** Per event: index, sourcetype, source, host, _raw. */
export const MATCH_STRINGS_PER_EVENT = 5;

export interface MatchWorkerSetup {
  startedAfter: number;
  horizonSeconds: number;
}

export type ToMatchWorker =
  /** `fields`: per event, its indexed fields (null: none); absent when no event has any. */
  | { type: 'observe'; times: Float64Array; strings: string[]; fields?: (IndexedFields | null)[]; firstSeq: number }
  | { type: 'gap'; upTo: number }
  | { type: 'detections'; detections: PrefixSource[]; tz: string; runsDerive: boolean }
  | { type: 'prune' }
  | { type: 'forget'; index: string; before: number }
  | { type: 'lookup'; id: number; detectionId: string; earliest: number; latest: number }
  | { type: 'stats'; id: number };

export type FromMatchWorker =
  | { type: 'observed' }
  | { type: 'lookup'; id: number; matches: Matches | null }
  | { type: 'stats'; id: number; stats: MatchStats };

export interface MatchStats {
  detections: number;
  matches: number;
  /** Rows kept as the values the runs read (projection.ts). */
  projectedRows: number;
}

export interface MatchThreadOptions extends MatchWorkerSetup {
  /**
   * Most `_raw` characters posted and not yet evaluated (default 64 Mi: the worker's copy of waiting
   * batches is what grows; an idle worker always takes one batch). Past it a batch is skipped (its windows
   * fall back to scans) instead of queueing without bound: the server never waits for the index.
   */
  maxQueuedChars?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
  /**
   * A worker that died is started again at the next need (a batch, a lookup) once this delay has passed, doubled per
   * failed start in a row, at most `MAX_RESTART_DELAY_MS` (default 1000 ms).
   */
  restartDelayMs?: number;
  /** Starts the worker (tests: one that fails as `new Worker` does out of file descriptors). */
  startWorker?: (setup: MatchWorkerSetup) => Worker;
}

/** The longest wait between two starts of a worker that keeps failing (a file-descriptor shortage that lasts). */
export const MAX_RESTART_DELAY_MS = 60_000;

/** The real worker (match-worker.ts). */
export const startMatchWorker = (setup: MatchWorkerSetup): Worker => new Worker(workerEntry(import.meta.url, 'match-worker'), { workerData: setup });

/**
 * A MatchIndex on its own worker thread (match-worker.ts): the collector posts each committed batch and
 * goes on; prefix evaluation (~10 µs an event) no longer shares the thread that answers HEC requests.
 * If the worker falls behind by more than `maxQueuedChars`, batches are skipped and reported as a gap;
 * if it dies, every lookup answers "not covered" until it is started again at a later need (a batch, a lookup),
 * with a back-off: a new, empty index, covering windows after the newest event it was shown before. Either way
 * runs scan instead: slower, never wrong.
 */
export class MatchIndexThread implements MatchLookup {
  private worker: Worker | null = null;
  private readonly maxQueued: number;
  /** Characters of `_raw` posted and not yet evaluated, and each such batch's share, oldest first. */
  private queued = 0;
  private inFlight: number[] = [];
  /** close() was called: never started again. */
  private closed = false;
  /** The detections message last sent (a restarted worker gets it first), and its key. */
  private detections: Extract<ToMatchWorker, { type: 'detections' }> | null = null;
  private lastDetections = '';
  private nextId = 0;
  private readonly waiting = new Map<number, (m: FromMatchWorker) => void>();
  /** Batches skipped since the last report (for one log line per episode). */
  private skipped = 0;
  /** The newest event time shown to the index (started, or skipped): a restarted index covers windows after it. */
  private newestShown: number;
  /** Failed starts in a row (a worker that answered once resets it) and when the next start may be tried. */
  private failedStarts = 0;
  private restartAt = 0;

  constructor(private readonly options: MatchThreadOptions) {
    this.maxQueued = options.maxQueuedChars ?? 64 * 1024 * 1024;
    this.newestShown = options.startedAfter;
    this.start();
  }

  private start(): void {
    const setup: MatchWorkerSetup = { startedAfter: this.newestShown, horizonSeconds: this.options.horizonSeconds };
    let w: Worker;
    try {
      w = (this.options.startWorker ?? startMatchWorker)(setup);
    } catch (e) {
      // Out of file descriptors, `new Worker` may throw instead of emitting 'error'.
      this.died(e instanceof Error ? e.message : String(e));
      return;
    }
    this.worker = w;
    w.unref();
    let why: string | null = null;
    w.on('message', (m: FromMatchWorker) => {
      // A worker that answers has started: the next death is a new episode (logged again).
      if (this.failedStarts > 0) {
        this.failedStarts = 0;
        this.options.log?.('info', 'match index worker started again: scheduled runs over windows after it are served from it');
      }
      if (m.type === 'observed') this.queued -= this.inFlight.shift() ?? 0;
      else this.waiting.get(m.id)?.(m);
    });
    w.on('error', (e) => (why = e.message));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.queued = 0;
      this.inFlight = [];
      for (const [id, settle] of this.waiting) settle({ type: 'lookup', id, matches: null });
      if (!this.closed) this.died(why ?? `exit code ${code}`);
    });
    if (this.detections) w.postMessage(this.detections);
  }

  /** A worker died or could not start: the next start waits (doubling per failed start in a row); said once an episode. */
  private died(why: string): void {
    const first = this.failedStarts === 0;
    const delay = Math.min(MAX_RESTART_DELAY_MS, (this.options.restartDelayMs ?? 1000) * 2 ** Math.min(this.failedStarts, 30));
    this.failedStarts++;
    this.restartAt = Date.now() + delay;
    if (first) this.options.log?.('warn', `match index worker failed (${why}): scheduled runs scan their windows; it is started again at the next need, after ${delay} ms (then up to every ${MAX_RESTART_DELAY_MS / 1000} s while it fails)`);
  }

  /** The worker, started again when it died and its back-off has passed; null meanwhile (runs scan). */
  private running(): Worker | null {
    if (this.worker === null && !this.closed && Date.now() >= this.restartAt) this.start();
    return this.worker;
  }

  /** Shows a committed batch to the index; its events are the store's seqs `firstSeq`, `firstSeq + 1`, …. */
  observe(events: readonly Event[], firstSeq: number): void {
    if (events.length === 0) return;
    let chars = 0;
    let upTo = -Infinity;
    for (const e of events) {
      chars += e._raw.length;
      if (e._time > upTo) upTo = e._time;
    }
    // Started (again) before this batch is counted: a restarted index must see it, and cover nothing before it.
    const running = this.running();
    if (upTo > this.newestShown) this.newestShown = upTo;
    if (running === null) return;
    if (this.queued > 0 && this.queued + chars > this.maxQueued) {
      this.post({ type: 'gap', upTo });
      if (this.skipped++ === 0) this.options.log?.('warn', `match index is behind by ${this.queued} characters of events: skipping batches; runs over their windows will scan`);
      return;
    }
    if (this.skipped > 0) this.skipped = 0;
    const times = new Float64Array(events.length);
    const strings = new Array<string>(events.length * MATCH_STRINGS_PER_EVENT);
    let fields: (IndexedFields | null)[] | undefined;
    for (let i = 0, j = 0; i < events.length; i++, j += MATCH_STRINGS_PER_EVENT) {
      const e = events[i]!;
      times[i] = e._time;
      strings[j] = e.index;
      strings[j + 1] = e.sourcetype;
      strings[j + 2] = e.source;
      strings[j + 3] = e.host;
      strings[j + 4] = e._raw;
      if (e.fields !== undefined) (fields ??= new Array<IndexedFields | null>(events.length).fill(null))[i] = e.fields;
    }
    this.queued += chars;
    this.inFlight.push(chars);
    this.post({ type: 'observe', times, strings, ...(fields !== undefined ? { fields } : {}), firstSeq }, [times.buffer]);
  }

  setDetections(detections: readonly PrefixSource[], content: PrefixContent, tz: string): void {
    const list: PrefixSource[] = [];
    for (const d of detections) {
      try {
        list.push({ id: d.id, name: d.name, search: expandMacros(d.search, content.macros).text });
      } catch {
        // A search whose macros do not expand has no prefix: its runs scan (and report the error).
      }
    }
    // The worker compiles without the knowledge: it is told whether the runs compute tag/eventtype.
    const runsDerive = (content.knowledge?.derived ?? null) !== null;
    const key = JSON.stringify([tz, runsDerive, list]);
    if (key === this.lastDetections) return;
    this.lastDetections = key;
    this.detections = { type: 'detections', detections: list, tz, runsDerive };
    const before = this.worker;
    // A worker started just now was given them.
    if (this.running() === before) this.post(this.detections);
  }

  prune(): void {
    this.post({ type: 'prune' });
  }

  /** Events of `index` older than `before` were deleted from the store (see MatchIndex.forget). */
  forget(index: string, before: number): void {
    this.post({ type: 'forget', index, before });
  }

  lookup(detectionId: string, earliest: number, latest: number): Promise<Matches | null> {
    return this.ask({ type: 'lookup', id: 0, detectionId, earliest, latest }).then((m) => (m.type === 'lookup' ? m.matches : null));
  }

  stats(): Promise<MatchStats | null> {
    return this.ask({ type: 'stats', id: 0 }).then((m) => (m.type === 'stats' ? m.stats : null));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private ask(m: Extract<ToMatchWorker, { id: number }>): Promise<FromMatchWorker> {
    const w = this.running();
    if (w === null) return Promise.resolve({ type: 'lookup', id: 0, matches: null });
    const id = ++this.nextId;
    // Referenced while someone waits for an answer (idle, the worker must not keep the process alive).
    if (this.waiting.size === 0) w.ref();
    return new Promise((resolve) => {
      this.waiting.set(id, (reply) => {
        this.waiting.delete(id);
        if (this.waiting.size === 0) w.unref();
        resolve(reply);
      });
      this.post({ ...m, id });
    });
  }

  private post(m: ToMatchWorker, transfer: ArrayBuffer[] = []): void {
    this.worker?.postMessage(m, transfer);
  }
}
