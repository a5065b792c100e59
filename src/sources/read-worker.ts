/**
 * The read thread (see read-thread.ts): runs the caller's file scan with its FileSource here, unchanged, and posts
 * the events it yields as bytes (each `_raw`), their fields and their spans, in messages of about POST_BYTES.
 */
import { parentPort } from 'node:worker_threads';
import { isVigilError } from '../errors.js';
import type { Event } from '../events/event.js';
import type { ScanProgress } from '../events/scan.js';
import { PackedSpans, type IndexedEvent } from '../normalize/tetragon-index.js';
import { FileSource } from './file.js';
import {
  C_CONSUMED,
  C_STOP,
  M_END,
  M_HOST,
  M_INDEX,
  M_SOURCE,
  M_SOURCETYPE,
  M_SPAN_WORDS,
  M_SPANS,
  M_TIME,
  M_FLAGS,
  F_BATCH_END,
  F_UTF8,
  META_WORDS,
  POST_BYTES,
  READ_AHEAD,
  WAIT_MS,
  type FromReadWorker,
  type ReadJob,
  type WireIssue,
} from './read-thread.js';

if (parentPort === null) throw new Error('read-worker.ts runs as a worker thread');
const port = parentPort;

/** The events of one message: their bytes, META_WORDS numbers each, their spans, the strings their fields name. */
class Message {
  private bytes: Buffer;
  private used = 0;
  private meta: Float64Array;
  private readonly spans: PackedSpans;
  rows = 0;
  /** For each batch, how many of the message's issues come before it (one thread reports them before it hands it on). */
  private readonly issuesBefore: number[] = [];
  private readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();

  /** `limit`: the bytes of lines at which it is posted (the first message goes with the first batch: the searches wait for it). */
  constructor(
    events: number,
    private readonly limit = POST_BYTES,
  ) {
    this.bytes = Buffer.allocUnsafeSlow(POST_BYTES + (64 << 10));
    this.meta = new Float64Array(Math.max(events, 256) * META_WORDS);
    this.spans = new PackedSpans(Math.max(events, 256) * 128);
  }

  get full(): boolean {
    return this.used >= this.limit;
  }

  /**
   * Whether `batch` fits the bytes this message has left. A message is posted before a batch that does not: posted
   * once full only, the batch that filled it made it grow (a copy into fresh memory), which cost the read thread ~0.34 s
   * of the pack's ~2 s over the bench's 515 MB (a scan with a line scan hands on batches of any size, at each chunk).
   */
  fits(batch: readonly Event[]): boolean {
    let need = this.used;
    for (const e of batch) need += (e as IndexedEvent).spans !== undefined ? e._raw.length : Buffer.byteLength(e._raw, 'utf8');
    return need <= this.bytes.length;
  }

  add(e: IndexedEvent): void {
    const spans = e.spans;
    // A spanned line is ASCII (the byte scan accepts nothing else): latin1 is its bytes; anything else as UTF-8, which
    // gives back the same string (it was decoded from UTF-8, so it holds no lone surrogate).
    const utf8 = spans === undefined;
    const need = utf8 ? Buffer.byteLength(e._raw, 'utf8') : e._raw.length;
    if (this.used + need > this.bytes.length) this.bytes = grownBuffer(this.bytes, this.used, this.used + need);
    this.used += this.bytes.write(e._raw, this.used, need, utf8 ? 'utf8' : 'latin1');
    if ((this.rows + 1) * META_WORDS > this.meta.length) this.meta = grownFloats(this.meta, 2 * this.meta.length);
    const m = this.rows * META_WORDS;
    const meta = this.meta;
    meta[m + M_TIME] = e._time;
    meta[m + M_END] = this.used;
    meta[m + M_FLAGS] = utf8 ? F_UTF8 : 0;
    meta[m + M_SPANS] = -1;
    meta[m + M_INDEX] = this.id(e.index);
    meta[m + M_SOURCETYPE] = this.id(e.sourcetype);
    meta[m + M_SOURCE] = this.id(e.source);
    meta[m + M_HOST] = this.id(e.host);
    if (spans !== undefined) {
      meta[m + M_SPANS] = this.spans.add(spans);
      meta[m + M_SPAN_WORDS] = spans.length;
    }
    this.rows++;
  }

  /** Marks the last event added as the end of a batch of the source, which came after `issues` of the message's issues. */
  endBatch(issues: number): void {
    const at = (this.rows - 1) * META_WORDS + M_FLAGS;
    this.meta[at] = (this.meta[at] as number) | F_BATCH_END;
    this.issuesBefore.push(issues);
  }

  post(issues: WireIssue[], progress: ScanProgress | null): void {
    const bytes = this.bytes.buffer as ArrayBuffer;
    const meta = this.meta.buffer as ArrayBuffer;
    const spans = this.spans.words.buffer as ArrayBuffer;
    port.postMessage({ type: 'rows', rows: this.rows, bytes, meta, spans, strings: this.strings, issues, issuesBefore: this.issuesBefore, progress } satisfies FromReadWorker, [bytes, meta, spans]);
  }

  private id(s: string): number {
    let k = this.ids.get(s);
    if (k === undefined) {
      k = this.strings.length;
      this.ids.set(s, k);
      this.strings.push(s);
    }
    return k;
  }
}

function grownBuffer(b: Buffer, used: number, need: number): Buffer {
  const out = Buffer.allocUnsafeSlow(Math.max(2 * b.length, need));
  b.copy(out, 0, 0, used);
  return out;
}

function grownFloats(a: Float64Array, size: number): Float64Array {
  const out = new Float64Array(size);
  out.set(a);
  return out;
}

/** Whether this thread may go on: waits while READ_AHEAD messages are not taken; false once told to stop. */
function mayGoOn(control: Int32Array, posted: number): boolean {
  for (;;) {
    if (Atomics.load(control, C_STOP) !== 0) return false;
    const consumed = Atomics.load(control, C_CONSUMED);
    if (posted - consumed < READ_AHEAD) return true;
    Atomics.wait(control, C_CONSUMED, consumed, WAIT_MS);
  }
}

/** Line issues held at most before they are posted on their own (an input of garbage makes one per line, no event). */
const MAX_ISSUES = 4096;

/** Thrown out of the scan when this thread is told to stop while posting issues. */
class Stopped extends Error {}

/** The scan of `job` (the first message: the thread may start before its scan is known). */
async function run(job: ReadJob): Promise<void> {
  const control = new Int32Array(job.control);
  let issues: WireIssue[] = [];
  let progress: ScanProgress | null = null;
  let posted = 0;
  let message = new Message(0, 0);
  /** Posts what is held: the message's events, if any, with the issues met before, among and after its batches. */
  const flush = (): void => {
    if (message.rows > 0) {
      message.post(issues, progress);
      message = new Message(message.rows);
    } else port.postMessage({ type: 'issues', issues, progress } satisfies FromReadWorker);
    issues = [];
    progress = null;
  };
  const issue = (i: WireIssue): void => {
    issues.push(i);
    if (issues.length < MAX_ISSUES) return;
    // With the events held: posted on their own, these issues would be reported before those events' batches.
    flush();
    if (!mayGoOn(control, ++posted)) throw new Stopped();
  };
  const source = new FileSource(job.paths, {
    ...job.options,
    onMalformed: (m) => issue([0, m.file, m.line, m.reason]),
    onWarning: (w) => issue([1, w.file, w.line, w.reason]),
  });
  try {
    for await (const batch of source.scan(job.request, { onProgress: (p) => (progress = p) })) {
      if (batch.length === 0) continue;
      if (message.rows > 0 && !message.fits(batch)) {
        flush();
        if (!mayGoOn(control, ++posted)) return;
      }
      for (const e of batch) message.add(e);
      message.endBatch(issues.length);
      if (message.full) {
        flush();
        if (!mayGoOn(control, ++posted)) return;
      }
    }
  } catch (err) {
    // What the scan yielded and reported before it failed (a corrupt .gz) reaches the caller before the error, as on
    // one thread: the searches see those events, and the skipped lines are printed before the error.
    if (!(err instanceof Stopped) && (message.rows > 0 || issues.length > 0)) flush();
    throw err;
  }
  if (message.rows > 0) flush();
  port.postMessage({ type: 'end', issues, progress } satisfies FromReadWorker);
}

port.once('message', (job: ReadJob) => {
  run(job).catch((err: unknown) => {
    if (err instanceof Stopped) return;
    port.postMessage({ type: 'error', code: isVigilError(err) ? err.code : null, message: err instanceof Error ? err.message : String(err) } satisfies FromReadWorker);
  });
});
