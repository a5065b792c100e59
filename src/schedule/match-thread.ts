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
  log?: (level: 'warn', message: string) => void;
}

/**
 * A MatchIndex on its own worker thread (match-worker.ts): the collector posts each committed batch and
 * goes on; prefix evaluation (~10 µs an event) no longer shares the thread that answers HEC requests.
 * If the worker falls behind by more than `maxQueuedChars`, batches are skipped and reported as a gap;
 * if it dies, every lookup answers "not covered". Either way runs scan instead: slower, never wrong.
 */
export class MatchIndexThread implements MatchLookup {
  private readonly worker: Worker;
  private readonly maxQueued: number;
  /** Characters of `_raw` posted and not yet evaluated, and each such batch's share, oldest first. */
  private queued = 0;
  private readonly inFlight: number[] = [];
  private dead = false;
  private lastDetections = '';
  private nextId = 0;
  private readonly waiting = new Map<number, (m: FromMatchWorker) => void>();
  /** Batches skipped since the last report (for one log line per episode). */
  private skipped = 0;

  constructor(private readonly options: MatchThreadOptions) {
    this.maxQueued = options.maxQueuedChars ?? 64 * 1024 * 1024;
    const setup: MatchWorkerSetup = { startedAfter: options.startedAfter, horizonSeconds: options.horizonSeconds };
    this.worker = new Worker(workerEntry(import.meta.url, 'match-worker'), { workerData: setup });
    this.worker.unref();
    this.worker.on('message', (m: FromMatchWorker) => {
      if (m.type === 'observed') this.queued -= this.inFlight.shift() ?? 0;
      else this.waiting.get(m.id)?.(m);
    });
    this.worker.on('error', (e) => options.log?.('warn', `match index worker failed (${e.message}): scheduled runs scan their windows`));
    this.worker.on('exit', () => {
      this.dead = true;
      for (const [id, settle] of this.waiting) settle({ type: 'lookup', id, matches: null });
    });
  }

  /** Shows a committed batch to the index; its events are the store's seqs `firstSeq`, `firstSeq + 1`, …. */
  observe(events: readonly Event[], firstSeq: number): void {
    if (this.dead || events.length === 0) return;
    let chars = 0;
    for (const e of events) chars += e._raw.length;
    if (this.queued > 0 && this.queued + chars > this.maxQueued) {
      let upTo = -Infinity;
      for (const e of events) if (e._time > upTo) upTo = e._time;
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
    this.post({ type: 'detections', detections: list, tz, runsDerive });
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
    await this.worker.terminate();
  }

  private ask(m: Extract<ToMatchWorker, { id: number }>): Promise<FromMatchWorker> {
    if (this.dead) return Promise.resolve({ type: 'lookup', id: 0, matches: null });
    const id = ++this.nextId;
    // Referenced while someone waits for an answer (idle, the worker must not keep the process alive).
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise((resolve) => {
      this.waiting.set(id, (reply) => {
        this.waiting.delete(id);
        if (this.waiting.size === 0) this.worker.unref();
        resolve(reply);
      });
      this.post({ ...m, id });
    });
  }

  private post(m: ToMatchWorker, transfer: ArrayBuffer[] = []): void {
    if (this.dead) return;
    this.worker.postMessage(m, transfer);
  }
}
