/**
 * The scan thread (see scan-thread.ts): runs a full scan on its own read-only connection, in its own read
 * transaction (the scan's snapshot), planned as on the main thread (`prepareScan`), and posts the rows that pass
 * the row test in batches of bytes: SQLite's stepping, its strings and the line's index scan run here, beside the
 * searches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PackedSpans, scanTetragonLine } from '../normalize/tetragon-index.js';
import { isIsovalentSourcetype } from '../normalize/tetragon.js';
import { NameCache, openReader, prepareScan, type Db, type Row } from './reader.js';
import { C_CONSUMED, C_STOP, M_ASCII, M_END, M_FIELDS, M_HOST, M_INDEX, M_SOURCE, M_SOURCETYPE, M_SPAN_WORDS, M_SPANS, M_TIME, META_WORDS, SCAN_AHEAD, WAIT_MS, type FromScanWorker, type ScanJob, type ScanWorkerData } from './scan-thread.js';

if (parentPort === null) throw new Error('scan-worker.ts runs as a worker thread');
const port = parentPort;

let db: Db | null = null;
try {
  // Opened before the first job arrives (a prestarted thread: scan-thread.ts).
  const at = workerData as ScanWorkerData | null;
  if (at !== null && typeof at === 'object') db = openReader(at.path, at.busyTimeoutMs);
} catch {
  // the first job opens it again and reports why it cannot
}
const names = new NameCache();
/** Reads the names the cache lacks: the scan's connection is stepping its query meanwhile. */
let lookup: Db | null = null;
/** Rows dropped by the row test between two progress messages (the main thread reports progress from them). */
const PROGRESS_ROWS = 16384;
/** Lines longer than this (characters) get no spans here (scanTetragonText leaves them to JSON.parse too). */
const MAX_SPANNED = 1 << 20;

port.on('message', (job: ScanJob) => {
  try {
    run(job);
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) } satisfies FromScanWorker);
  }
});

/** A batch being filled: the rows' UTF-8 bytes, their fields (META_WORDS each) and their spans. */
class Batch {
  bytes: Buffer;
  used = 0;
  meta: Float64Array;
  readonly spans: PackedSpans;
  /** The indexed fields' texts of its rows that have them (M_FIELDS). */
  readonly fields: string[] = [];
  rows = 0;
  chars = 0;

  constructor(
    private readonly limits: ScanJob['limits'],
    minBytes: number,
  ) {
    // Whole characters up to the character cap, 3 bytes each at most, so most batches never grow.
    this.bytes = Buffer.allocUnsafeSlow(Math.max(minBytes, 3 * limits.batchChars + 4096));
    this.meta = new Float64Array(limits.batchSize * META_WORDS);
    this.spans = new PackedSpans(limits.batchSize * 64);
  }

  fits(raw: string): boolean {
    return this.used + 3 * raw.length <= this.bytes.length && this.rows < this.limits.batchSize;
  }

  full(): boolean {
    return this.rows >= this.limits.batchSize || this.chars >= this.limits.batchChars;
  }

  add(r: Row, spanned: boolean): void {
    const raw = r[6];
    const start = this.used;
    this.used += this.bytes.write(raw, start, 'utf8');
    const m = this.rows * META_WORDS;
    const meta = this.meta;
    meta[m + M_TIME] = r[0];
    meta[m + M_INDEX] = r[2];
    meta[m + M_SOURCETYPE] = r[3];
    meta[m + M_SOURCE] = r[4];
    meta[m + M_HOST] = r[5];
    meta[m + M_END] = this.used;
    // As many bytes as characters: ASCII (any other character, lone surrogates included, takes more).
    meta[m + M_ASCII] = this.used - start === raw.length ? 1 : 0;
    meta[m + M_SPANS] = -1;
    const f = r[7];
    meta[m + M_FIELDS] = f === null ? -1 : this.fields.push(f) - 1;
    // What EventResult would compute for this event (scanTetragonText: the same bytes scanned), computed here.
    const spans = spanned && raw.length <= MAX_SPANNED ? scanTetragonLine(this.bytes, start, this.used) : null;
    if (spans !== null) {
      meta[m + M_SPANS] = this.spans.add(spans);
      meta[m + M_SPAN_WORDS] = spans.length;
    }
    this.rows++;
    this.chars += raw.length;
  }
}

function run(job: ScanJob): void {
  const control = new Int32Array(job.control);
  db ??= openReader(job.path, job.busyTimeoutMs);
  const conn = db;
  conn.exec('BEGIN');
  try {
    const prepared = prepareScan(conn, names, job.request, null, true);
    let scanned = 0;
    let bytes = 0;
    let posted = 0;
    /** Sourcetype id → whether its events are Tetragon's (spanned); names never change for an id. */
    const spanned = new Map<number, boolean>();
    let batch = new Batch(job.limits, 0);
    /** Posts the batch and waits while SCAN_AHEAD batches are not consumed; false: the scan was stopped. */
    const post = (): boolean => {
      const b = batch;
      port.postMessage(
        { type: 'rows', rows: b.rows, scanned, bytes, buffer: b.bytes.buffer as ArrayBuffer, meta: b.meta.buffer as ArrayBuffer, spans: b.spans.words.buffer as ArrayBuffer, fields: b.fields } satisfies FromScanWorker,
        [b.bytes.buffer as ArrayBuffer, b.meta.buffer as ArrayBuffer, b.spans.words.buffer as ArrayBuffer],
      );
      posted++;
      for (;;) {
        if (Atomics.load(control, C_STOP) !== 0) return false;
        const consumed = Atomics.load(control, C_CONSUMED);
        if (posted - consumed < SCAN_AHEAD) return true;
        Atomics.wait(control, C_CONSUMED, consumed, WAIT_MS);
      }
    };
    scan: for (const q of prepared?.queries ?? []) {
      for (const r of conn.prepare<[Record<string, string>], Row>(q.sql).raw().iterate(q.params)) {
        const raw = r[6];
        scanned++;
        bytes += raw.length;
        // A row with indexed fields is the search's to decide (their values are not in `_raw`).
        const t = r[7] !== null ? null : (prepared?.test?.(r[3]) ?? null);
        if (t !== null && !t(raw)) {
          if (scanned % PROGRESS_ROWS === 0) {
            if (Atomics.load(control, C_STOP) !== 0) break scan;
            port.postMessage({ type: 'progress', scanned, bytes } satisfies FromScanWorker);
          }
          continue;
        }
        if (!batch.fits(raw)) {
          if (batch.rows > 0 && !post()) break scan;
          batch = new Batch(job.limits, 3 * raw.length);
        }
        let isovalent = spanned.get(r[3]);
        if (isovalent === undefined) spanned.set(r[3], (isovalent = isIsovalentSourcetype(names.cached(r[3]) ?? names.name(r[3], (lookup ??= openReader(job.path, job.busyTimeoutMs))))));
        // While the searches have taken every batch posted (they wait for this one), its lines go unscanned: the
        // searches' thread scans them when it reads their fields (EventResult), the two threads sharing the work.
        batch.add(r, isovalent && (posted === 0 || Atomics.load(control, C_CONSUMED) < posted));
        if (batch.full()) {
          if (!post()) break scan;
          batch = new Batch(job.limits, 0);
        }
      }
    }
    if (Atomics.load(control, C_STOP) === 0 && batch.rows > 0) post();
    port.postMessage({ type: 'end', scanned, bytes } satisfies FromScanWorker);
  } finally {
    // As ReadPool.release: SQLite may have ended the transaction on an error, and a failing ROLLBACK would replace it.
    if (conn.inTransaction) conn.exec('ROLLBACK');
  }
}
