/**
 * A file scan on a thread of its own (read-worker.ts): the reads, the line splitting, the prefilter, the byte
 * scan of each line and its time run there while this thread runs the searches; this thread only makes the
 * events from the batches' bytes (a latin1 or UTF-8 decode, the spans copied). The store's scan thread
 * (store/scan-thread.ts) does the same for SQLite's rows.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { VigilError, type ErrorCode } from '../errors.js';
import type { Event } from '../events/event.js';
import type { ScanOptions, ScanProgress, ScanRequest } from '../events/scan.js';
import { coreToSpare } from '../machine-load.js';
import { unpackSpans, type IndexedEvent } from '../normalize/tetragon-index.js';
import { workerEntry } from '../worker-entry.js';

/** Inputs below this many bytes in all stay on the calling thread: the thread's start (~40 ms) costs more than it saves. */
export const READ_THREAD_MIN_BYTES = 16 << 20;
/**
 * Searches a scan must be shared by to read on a thread. With fewer, the worker's reading (all of this thread's
 * reading, and the events' copy) outweighs their work: `vigil run` of detections over the 300k process_exec lines,
 * 2 runs each, 1 thread -> read thread: 2 detections 1.60-1.72 -> 1.74-1.75 s, 0.37-0.39 -> 0.40-0.43 s and 1.25-1.31
 * -> 1.33-1.37 s; 3 (mixed lines) 1.52-1.53 -> 1.45-1.55 s; 4 1.87-1.94 -> 1.74-1.89 s; the pack (10) ~x1.15.
 */
export const READ_THREAD_MIN_SEARCHES = 4;

/** What the worker's FileSource is given: the caller's options that cross threads (no callbacks, no stream). */
export interface ReadThreadOptions {
  sourcetype?: string;
  index?: string;
  source?: string;
  host?: string;
  defaultHost: string;
  now: number;
  batchSize?: number;
  batchChars?: number;
  chunkSize?: number;
  maxLineBytes?: number;
}

export interface ReadJob {
  paths: readonly string[];
  options: ReadThreadOptions;
  request: ScanRequest;
  /** An Int32Array's buffer: C_CONSUMED (messages this thread took), C_STOP (non-zero: stop). */
  control: SharedArrayBuffer;
}

/** A line issue as the worker's FileSource raised it: 0 malformed, 1 warning. */
export type WireIssue = [kind: 0 | 1, file: string, line: number, reason: string];

export type FromReadWorker =
  | {
      type: 'rows';
      rows: number;
      bytes: ArrayBuffer;
      meta: ArrayBuffer;
      spans: ArrayBuffer;
      strings: string[];
      issues: WireIssue[];
      /** For each batch of the message, how many of `issues` are reported before it is handed on (the rest after the last). */
      issuesBefore: number[];
      progress: ScanProgress | null;
    }
  | { type: 'issues'; issues: WireIssue[]; progress: ScanProgress | null }
  | { type: 'end'; issues: WireIssue[]; progress: ScanProgress | null }
  | { type: 'error'; code: ErrorCode | null; message: string };

export const C_CONSUMED = 0;
export const C_STOP = 1;
/** Messages the worker posts ahead of this thread (each up to POST_BYTES of lines, or 4096 line issues). */
export const READ_AHEAD = 4;
/** How long the worker sleeps between two looks at the control words while READ_AHEAD messages wait (ms). */
export const WAIT_MS = 2;
/** Bytes of lines per message: fewer, larger messages than the source's batches (each message costs ~20-50 µs). */
export const POST_BYTES = 1 << 20;

// An event's words in a message's `meta` (Float64Array, META_WORDS an event).
export const M_TIME = 0;
/** End of its bytes (the previous event's end is its start). */
export const M_END = 1;
/** F_UTF8, F_BATCH_END. */
export const M_FLAGS = 2;
/** Its bytes are UTF-8 (else latin1: the byte scan accepts ASCII only, so a spanned line is). */
export const F_UTF8 = 1;
/** It ends one of the source's batches: the batches are handed on as the source made them. */
export const F_BATCH_END = 2;
/** Where its spans start in `spans`, -1 when it has none. */
export const M_SPANS = 3;
export const M_SPAN_WORDS = 4;
/** Its index, sourcetype, source and host: positions in the message's `strings`. */
export const M_INDEX = 5;
export const M_SOURCETYPE = 6;
export const M_SOURCE = 7;
export const M_HOST = 8;
export const META_WORDS = 9;

/** Relays a line issue of the scan on the thread to its FileSource (which counts them: one call per issue). */
export type ReadThreadReport = (kind: 0 | 1, file: string, line: number, reason: string) => void;

/**
 * Whether a scan of these inputs is worth a read thread: plain files of READ_THREAD_MIN_BYTES or more, a scan shared
 * by READ_THREAD_MIN_SEARCHES searches or more (their work on this thread outweighs the reading the worker takes
 * over), and a core idle for it (unless the thread was `started` already). One search is not: its raw filter leaves
 * few lines (the seed detection's whole run is ~0.3 s), and without one, a cheap search leaves this thread waiting
 * for a worker that does all the reading and more (`vigil search 'index=* | stats count by sourcetype'` over the 300k
 * mixed lines: 0.94 s on one thread, 1.27 s reading on a second).
 */
export function readThreadWorth(request: ScanRequest, sizes: readonly (number | undefined)[], started = false): boolean {
  if (sizes.some((s) => s === undefined)) return false;
  if ((sizes as number[]).reduce((a, s) => a + s, 0) < READ_THREAD_MIN_BYTES) return false;
  if ((request.alternatives?.length ?? 0) < READ_THREAD_MIN_SEARCHES) return false;
  // A thread `started` earlier was given its idle core then (and now counts among the threads running).
  return started || coreToSpare();
}

/**
 * A read thread, started before its scan is known: the thread's start (~25 ms) and its loading of the engine (~30 ms)
 * then overlap this thread's own start (loading the engine and the content, planning) instead of delaying the first
 * events. It does not keep the process alive until a scan takes it; `close` ends it when none will.
 */
export class ReadThread {
  private worker: Worker | null;

  private constructor() {
    this.worker = new Worker(workerEntry(import.meta.url, 'read-worker'));
    this.worker.unref();
    // Until a scan takes it, a failure to start is the scan's to report (it then starts its own thread).
    this.worker.on('error', () => this.close());
  }

  /** A thread started now, for a scan to come. */
  static start(): ReadThread {
    return new ReadThread();
  }

  /**
   * A thread started now for a scan of `paths` that will likely read on one (a pack's shared scan): null unless they
   * are plain files of READ_THREAD_MIN_BYTES or more and a core is idle (what `readThreadWorth` checks again then).
   */
  static startFor(paths: readonly string[]): ReadThread | null {
    let bytes = 0;
    for (const p of paths) {
      if (p === '-') return null;
      try {
        const st = statSync(p);
        if (!st.isFile()) return null;
        bytes += st.size;
      } catch {
        return null; // the scan reports it
      }
    }
    return bytes >= READ_THREAD_MIN_BYTES && coreToSpare() ? new ReadThread() : null;
  }

  /** Whether it still waits for a scan (not taken, closed or failed). */
  get waiting(): boolean {
    return this.worker !== null;
  }

  /** The started worker, for one scan (null when it failed or was closed). */
  take(): Worker | null {
    const w = this.worker;
    this.worker = null;
    w?.removeAllListeners('error');
    return w;
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = null;
  }
}

/** Scans `job` on a read thread (`thread`'s when it has one, else a new one), yielding the batches its FileSource made. */
export async function* scanOnReadThread(job: Omit<ReadJob, 'control'>, options: ScanOptions, report: ReadThreadReport, thread: ReadThread | null = null): AsyncGenerator<Event[]> {
  const { signal, onProgress } = options;
  const control = new SharedArrayBuffer(8);
  const words = new Int32Array(control);
  const worker = thread?.take() ?? new Worker(workerEntry(import.meta.url, 'read-worker'));
  worker.ref();
  const queue: FromReadWorker[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', (m: FromReadWorker) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (err) => {
    failure = new VigilError('INPUT_IO', `the read thread failed: ${err.message}`);
    notify();
  });
  worker.on('exit', () => {
    failure ??= new VigilError('INPUT_IO', 'the read thread stopped before the end of the input');
    notify();
  });
  const onAbort = (): void => notify();
  signal?.addEventListener('abort', onAbort);
  try {
    worker.postMessage({ ...job, control } satisfies ReadJob);
    for (;;) {
      signal?.throwIfAborted();
      const m = queue.shift();
      if (m === undefined) {
        if (failure !== null) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (m.type === 'error') throw m.code !== null ? new VigilError(m.code, m.message) : new VigilError('INPUT_IO', m.message);
      // Each issue where one thread reports it: before the batch that follows its line (a message holds several).
      let reported = 0;
      const reportUpTo = (n: number): void => {
        for (; reported < n; reported++) {
          const [kind, file, line, reason] = m.issues[reported]!;
          report(kind, file, line, reason);
        }
      };
      if (m.type !== 'rows') reportUpTo(m.issues.length);
      if (m.progress !== null) onProgress?.(m.progress);
      if (m.type === 'end') return;
      Atomics.add(words, C_CONSUMED, 1);
      Atomics.notify(words, C_CONSUMED);
      if (m.type === 'issues') continue;
      let k = 0;
      for (const batch of batchesOf(m)) {
        reportUpTo(m.issuesBefore[k++]!);
        signal?.throwIfAborted(); // the consumer may have aborted while it held the last batch
        yield batch;
      }
      reportUpTo(m.issues.length);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    Atomics.store(words, C_STOP, 1);
    Atomics.notify(words, C_CONSUMED);
    worker.removeAllListeners('exit');
    await worker.terminate();
  }
}

/** A message's events, made a batch at a time just before it is handed on (young objects die young). */
function* batchesOf(m: Extract<FromReadWorker, { type: 'rows' }>): Generator<Event[]> {
  const bytes = Buffer.from(m.bytes);
  const meta = new Float64Array(m.meta);
  const spans = new Int32Array(m.spans);
  const { strings } = m;
  let batch: Event[] = [];
  let start = 0;
  for (let k = 0; k < m.rows; k++) {
    const o = k * META_WORDS;
    const end = meta[o + M_END] as number;
    const flags = meta[o + M_FLAGS] as number;
    const e: IndexedEvent = {
      _time: meta[o + M_TIME] as number,
      index: strings[meta[o + M_INDEX] as number] as string,
      sourcetype: strings[meta[o + M_SOURCETYPE] as number] as string,
      source: strings[meta[o + M_SOURCE] as number] as string,
      host: strings[meta[o + M_HOST] as number] as string,
      _raw: bytes.toString((flags & F_UTF8) !== 0 ? 'utf8' : 'latin1', start, end),
    };
    const s = meta[o + M_SPANS] as number;
    if (s >= 0) e.spans = unpackSpans(spans, s, meta[o + M_SPAN_WORDS] as number);
    start = end;
    batch.push(e);
    if ((flags & F_BATCH_END) !== 0) {
      yield batch;
      batch = [];
    }
  }
}
