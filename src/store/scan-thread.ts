/**
 * Full scans on a thread of their own (scan-worker.ts): SQLite's stepping through the rows, the strings it makes
 * of them and the Tetragon index scan of each line run there while this thread runs the searches, as FileSource
 * reads ahead of them. This thread only decodes the rows that passed the row test from the batches' bytes (latin1
 * when ASCII, a copy) and makes their events, with their spans.
 */
import { Worker } from 'node:worker_threads';
import type { Event } from '../events/event.js';
import type { ScanOptions, ScanRequest } from '../events/scan.js';
import { unpackSpans, type IndexedEvent } from '../normalize/tetragon-index.js';
import { NameLookup, withIndexedFields, type NameCache, type ReadPool, type ScanLimits } from './reader.js';
import { fromMicros } from './schema.js';
import { StoreError } from './types.js';
import { storeWorkerUrl } from './worker-url.js';

/** A scan for the worker: it opens `path` itself and plans the request in its own read transaction. */
export interface ScanJob {
  path: string;
  busyTimeoutMs: number;
  request: ScanRequest;
  limits: ScanLimits;
  /** An Int32Array's buffer: C_CONSUMED (batches this thread took), C_STOP (non-zero: stop). */
  control: SharedArrayBuffer;
}

/** What the worker opens as it starts (its first job reopens it when that failed, and reports why). */
export interface ScanWorkerData {
  path: string;
  busyTimeoutMs: number;
}

export type FromScanWorker =
  /** `fields`: the indexed fields' texts of the rows that have them (M_FIELDS), empty for most batches. */
  | { type: 'rows'; rows: number; scanned: number; bytes: number; buffer: ArrayBuffer; meta: ArrayBuffer; spans: ArrayBuffer; fields: string[] }
  | { type: 'progress'; scanned: number; bytes: number }
  | { type: 'end'; scanned: number; bytes: number }
  | { type: 'error'; message: string };

export const C_CONSUMED = 0;
export const C_STOP = 1;
/** Batches the worker posts ahead of this thread: it steps the next ones while the searches take these. */
export const SCAN_AHEAD = 4;
/** How long the worker sleeps between two looks at C_CONSUMED and C_STOP when it is SCAN_AHEAD batches ahead (ms). */
export const WAIT_MS = 2;

// A row's fields in a batch's `meta` (Float64Array, META_WORDS a row).
export const M_TIME = 0;
export const M_INDEX = 1;
export const M_SOURCETYPE = 2;
export const M_SOURCE = 3;
export const M_HOST = 4;
/** End of its bytes (the previous row's end is its start). */
export const M_END = 5;
/** 1: its bytes are ASCII. */
export const M_ASCII = 6;
/** Where its spans start in `spans`, -1 when it has none. */
export const M_SPANS = 7;
/** How many numbers its spans are. */
export const M_SPAN_WORDS = 8;
/** Where its indexed fields' text is in the batch's `fields`, -1 when it has none. */
export const M_FIELDS = 9;
export const META_WORDS = 10;

/**
 * The store's scan thread, started on the first scan that needs it; one scan at a time (a scan arriving meanwhile
 * runs on its caller's thread). It keeps the process alive only during a scan.
 */
export class ScanThread {
  private worker: Worker | null = null;
  private busy = false;
  private closed = false;
  /** The current scan's message handler. */
  private listener: ((m: FromScanWorker | Error) => void) | null = null;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {}

  /** Whether the worker is running. */
  get started(): boolean {
    return this.worker !== null;
  }

  /** Whether a scan can start on the thread now. */
  get free(): boolean {
    return !this.busy;
  }

  /** Stops the thread (a scan in progress fails with STORE_CLOSED). */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.closed = true;
    if (w !== null) await w.terminate();
    this.listener?.(new StoreError('STORE_CLOSED', 'the event store was closed during the scan'));
  }

  /**
   * Starts the worker now, its code and its connection loading beside whatever this thread does next, so that the
   * first scan does not wait for them (~150 ms: the pack over the store sat idle that long). Idle, it keeps nothing
   * alive; a scan that arrives first starts it as before.
   */
  prestart(): void {
    if (!this.closed) this.worker ??= this.start();
  }

  /** A worker; its events reach the scan only while it is the thread's (a failed one is replaced at the next scan). */
  private start(): Worker {
    const w = new Worker(storeWorkerUrl('scan-worker'), { workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs } satisfies ScanWorkerData });
    w.unref();
    w.on('message', (m: FromScanWorker) => {
      if (this.worker === w) this.listener?.(m);
    });
    const failed = (err: Error): void => {
      if (this.worker !== w) return;
      this.worker = null;
      this.listener?.(err);
    };
    w.on('error', failed);
    w.on('exit', (code) => failed(new Error(`the scan thread exited (code ${code})`)));
    return w;
  }

  /**
   * A full scan (newest first) on the thread, as `scanStore` would run it on this one; `here` when another scan took the
   * thread since this one was asked for (a generator starts at its first `next()`).
   */
  async *scan(names: NameCache, pool: ReadPool, request: ScanRequest, options: ScanOptions, limits: ScanLimits, here: () => AsyncGenerator<Event[]>): AsyncGenerator<Event[]> {
    if (this.busy || this.closed) return yield* here();
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    this.busy = true;
    const w = (this.worker ??= this.start());
    const control = new SharedArrayBuffer(8);
    const flags = new Int32Array(control);
    const inbox: (FromScanWorker | Error)[] = [];
    let wake: (() => void) | null = null;
    this.listener = (m) => {
      inbox.push(m);
      wake?.();
    };
    let ended = false;
    const next = async (): Promise<Exclude<FromScanWorker, { type: 'error' }>> => {
      while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const m = inbox.shift() as FromScanWorker | Error;
      if (m instanceof Error) {
        ended = true;
        throw m instanceof StoreError ? m : new StoreError('STORE_IO', `the scan thread failed: ${m.message}`, { cause: m });
      }
      if (m.type === 'end' || m.type === 'error') ended = true;
      if (m.type === 'error') throw new StoreError('STORE_IO', `cannot scan the event store: ${m.message}`);
      return m;
    };
    w.ref();
    try {
      w.postMessage({ path: this.path, busyTimeoutMs: this.busyTimeoutMs, request, limits, control } satisfies ScanJob);
      for (;;) {
        const m = await next();
        signal?.throwIfAborted();
        if (m.type === 'progress') {
          onProgress?.({ scanned: m.scanned, bytes: m.bytes });
          continue;
        }
        if (m.type === 'end') {
          if (m.scanned > 0) onProgress?.({ scanned: m.scanned, bytes: m.bytes });
          return;
        }
        const batch = events(m, names, pool);
        // The worker may step the next batch while the searches take this one (it looks every WAIT_MS: a notify per
        // batch cost this thread ~2 ms each on a loaded machine, the woken worker taking its core).
        Atomics.add(flags, C_CONSUMED, 1);
        onProgress?.({ scanned: m.scanned, bytes: m.bytes });
        yield batch;
        signal?.throwIfAborted();
      }
    } finally {
      if (!ended) {
        // Stopped early (a consumer's break, an abort): the worker ends its read transaction, then says so.
        Atomics.store(flags, C_STOP, 1);
        Atomics.notify(flags, C_CONSUMED);
        try {
          while (!ended) await next();
        } catch {
          // it is stopping: its error is not this scan's outcome
        }
      }
      this.listener = null;
      if (this.worker === w) w.unref();
      this.busy = false;
    }
  }
}

/** A batch's events: its rows decoded (latin1 is exact for ASCII bytes, and a plain copy), with their spans. */
function events(m: Extract<FromScanWorker, { type: 'rows' }>, names: NameCache, pool: ReadPool): Event[] {
  const bytes = Buffer.from(m.buffer);
  const meta = new Float64Array(m.meta);
  const spans = new Int32Array(m.spans);
  const out: Event[] = [];
  // The worker's snapshot may hold ids this thread's cache has not seen yet: a read here (a later snapshot) has them,
  // since those rows never change.
  const lookup = new NameLookup(names, pool);
  try {
    let start = 0;
    for (let k = 0; k < m.rows; k++) {
      const o = k * META_WORDS;
      const end = meta[o + M_END] as number;
      const e: IndexedEvent = {
        _time: fromMicros(meta[o + M_TIME] as number),
        index: indexName(names, pool, meta[o + M_INDEX] as number),
        sourcetype: lookup.value(meta[o + M_SOURCETYPE] as number),
        source: lookup.value(meta[o + M_SOURCE] as number),
        host: lookup.value(meta[o + M_HOST] as number),
        _raw: bytes.toString(meta[o + M_ASCII] === 1 ? 'latin1' : 'utf8', start, end),
      };
      const s = meta[o + M_SPANS] as number;
      if (s >= 0) e.spans = unpackSpans(spans, s, meta[o + M_SPAN_WORDS] as number);
      const f = meta[o + M_FIELDS] as number;
      if (f >= 0) withIndexedFields(e, m.fields[f] as string);
      out.push(e);
      start = end;
    }
  } finally {
    lookup.release();
  }
  return out;
}

/** The name of an index id, read again here when the worker's snapshot had an index this thread's cache lacks. */
function indexName(names: NameCache, pool: ReadPool, id: number): string {
  const v = names.indexes.get(id);
  if (v !== undefined) return v;
  refresh(names, pool);
  return names.indexes.get(id) ?? '';
}

function refresh(names: NameCache, pool: ReadPool): void {
  const db = pool.acquire();
  try {
    names.refresh(db);
  } finally {
    pool.release(db);
  }
}
