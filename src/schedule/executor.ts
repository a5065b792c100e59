import type { LookupDirSetup } from '../spl/lookups.js';
import { Worker } from 'node:worker_threads';
import type { StoreLocator } from '../cluster/locator.js';
import { workerEntry } from '../worker-entry.js';
import { watchThreadExit } from '../thread-exits.js';
import { DeclaredColumns, Row, toObject, type Result } from '../events/result.js';
import type { FieldValue } from '../events/value.js';
import type { EventSource, SeqSubsetSource } from '../events/scan.js';
import { VigilError, type ErrorCode } from '../errors.js';
import type { ContentPack } from '../detections/content.js';
import { resultToJsonText } from '../outputs/json.js';
import { detach } from '../normalize/tetragon-index.js';
import { streamSearch, type DatasetSummaries, type ExecuteStats, type Sink, type TimeBound } from '../spl/index.js';
import { SourceText, SplError, type Span } from '../spl/source.js';
import { runMerged, runProjected, type MatchProjection, type SlicedStates } from './projection.js';


/** One search: a scheduled run, a filter preview, an API or console search. */
export interface RunRequest {
  /** For messages. */
  name: string;
  /** The search with its macros already expanded (see expandedSearch), so workers need no macros. */
  search: string;
  /** Default time range (the search's own earliest=/latest= win): epoch seconds, a modifier, or null for none. */
  earliest: TimeBound;
  latest: TimeBound;
  /** The search's now (a run's scheduled time). */
  now: number;
  tz: string;
  defaultIndexes: readonly string[] | 'all';
  /**
   * Search only these events (store seqs: the match index's matches for the window) instead of the whole
   * window. Requires a source that numbers its events (`SeqSubsetSource`: the store).
   */
  eventSeqs?: readonly number[];
  /**
   * Those events' rows as the match index kept them (projection.ts): the run starts from them, after the
   * search's prefix, and falls back to reading `eventSeqs` when they cannot stand for the events.
   */
  projection?: MatchProjection;
  /** Or the partial states of its aggregation, per slice of time (projection.ts): merged, then the rest of the search. */
  partials?: SlicedStates;
}

/** The source a request searches: `source`, or its subset when the request names events. */
function requestSource(source: EventSource, req: RunRequest): EventSource {
  if (req.eventSeqs === undefined) return source;
  if (!('subset' in source) || typeof source.subset !== 'function') {
    throw new VigilError('STORE', `search "${req.name}" names events by seq, but its source does not number events`);
  }
  return (source as SeqSubsetSource).subset(req.eventSeqs);
}

/** What one search may return (the config's `search:` section); past either, it stops with SPL_LIMIT_RESULTS. */
export interface ResultLimits {
  maxResults: number;
  /** Size of the rows as JSON text, counted in characters. */
  maxResultBytes: number;
}

const UNLIMITED: ResultLimits = { maxResults: Infinity, maxResultBytes: Infinity };

/** How a search's rows come back, and when it stops early. */
export interface ExecuteOptions {
  /** Aborting cancels the search (its worker is terminated): the promise rejects with SearchCancelled. */
  signal?: AbortSignal;
  /** Stop, successfully, after this many rows (the API's `limit`). */
  limit?: number;
  /**
   * At the result limits (`maxResults`, `maxResultBytes`) stop successfully with the rows so far, `RunOutput.finalized`
   * saying why, as Splunk finalizes a scheduled search at `dispatch.max_count`; otherwise it fails with SPL_LIMIT_RESULTS.
   */
  finalize?: boolean;
  /**
   * Streams the rows as JSON text (`resultToJsonText` in the request's zone) instead of collecting them. A returned
   * promise holds the rows as not yet consumed until it settles: on a worker, the search pauses while more than
   * `maxBufferedChars` of its rows are not consumed (a slow client costs bounded memory, not its whole result).
   */
  onJson?: (rows: string[]) => unknown;
  /** Streams the rows instead of collecting them; a returned promise as for `onJson`. */
  onRows?: (rows: Result[]) => unknown;
  /** Events scanned so far, at most every `progressMs` (default 250; 0: never). */
  onProgress?: (scanned: number) => void;
  progressMs?: number;
  /**
   * The search's warnings (map past maxsearches, a row's pattern a regex function cannot run, a subsearch cut), as they come:
   * each distinct one once, at most `MAX_WARNINGS`, then one saying more were left out; each at most `MAX_WARNING_CHARS`
   * characters. `at` is in the request's text.
   */
  onWarning?: (message: string, at?: Span) => void;
}

/** Distinct warnings one search reports (`ExecuteOptions.onWarning`); past it, one more says they were left out. */
export const MAX_WARNINGS = 100;

/**
 * A warning's characters reported; a longer one is cut there (`… (N more characters)`). A warning may quote a row's
 * value (a regex function's pattern): 100 of them of megabytes each made the server's thread hold and send 259 MB.
 */
export const MAX_WARNING_CHARS = 2000;

/** `message` cut at MAX_WARNING_CHARS, not inside a surrogate pair. */
function boundedWarning(message: string): string {
  if (message.length <= MAX_WARNING_CHARS) return message;
  let end = MAX_WARNING_CHARS;
  const last = message.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  // Detached: a slice of a string of megabytes would keep all of it alive in the set of those warned.
  return `${detach(message.slice(0, end))}… (${message.length - end} more characters)`;
}

export interface RunOutput {
  /** The rows, unless they were streamed (`onRows`, `onJson`). */
  rows: Result[];
  stats: ExecuteStats;
  /**
   * The table's columns in order, empty cells included, when a chart, timechart or xyseries declared them
   * (Result.columns merged, at most MAX_DECLARED_COLUMNS): a row's JSON leaves its empty cells out.
   */
  columns?: readonly string[];
  /** Set when the search stopped at a result limit with `finalize`: which limit, and how many rows it kept. */
  finalized?: string;
}

/** Declared columns a search reports (RunOutput.columns); the rest are left out. */
export const MAX_DECLARED_COLUMNS = 10_000;

/** Runs searches: the scheduler's runs, and the API's and console's searches. */
export interface RunExecutor {
  /**
   * Rejects with RunTimeout when the search runs longer than `timeoutMs`, SearchCancelled when
   * `opts.signal` aborts, a `SPL_LIMIT_*` VigilError at a limit, the SplError/VigilError on failure.
   */
  execute(req: RunRequest, timeoutMs: number, opts?: ExecuteOptions): Promise<RunOutput>;
  close(): Promise<void>;
}

export class RunTimeout extends VigilError {
  constructor(name: string, ms: number) {
    super('SPL_LIMIT_TIME', `search "${name}" exceeded its ${Math.max(1, Math.round(ms / 1000))} s time limit and was stopped`);
    this.name = 'RunTimeout';
  }
}

/**
 * A search that never started because its worker thread could not: the thread failed before the search began
 * (`Worker initialization failure: EMFILE` when connections held every file descriptor, content files unreadable).
 * Not the search's fault: the scheduler tries such a run again, as after a store outage, instead of recording it
 * failed for good (clients holding ~20,000 connections made a scheduled run fail that way; hostile-client probes).
 */
export class SearchWorkerUnavailable extends VigilError {
  constructor(cause: string) {
    super('SPL_RUNTIME', `search worker failed: ${cause}`);
    this.name = 'SearchWorkerUnavailable';
  }
}

/** A search stopped because its client went away or the server is stopping: nobody wants its result. */
export class SearchCancelled extends VigilError {
  constructor(name: string, why: string) {
    super('SPL_CANCELLED', `search "${name}" was cancelled: ${why}`);
    this.name = 'SearchCancelled';
  }
}

function cancelled(req: RunRequest, signal: AbortSignal): SearchCancelled {
  return new SearchCancelled(req.name, typeof signal.reason === 'string' ? signal.reason : 'its client went away');
}

/** What the runner of a search needs of its options (sent to the worker with the request). */
interface StreamSpec extends ResultLimits {
  format: 'rows' | 'json';
  limit: number;
  progressMs: number;
  /** Whether the caller takes the search's warnings. */
  warnings: boolean;
  /** ExecuteOptions.finalize. */
  finalize: boolean;
  /** Flow control of a streamed search on a worker (`RowFlow`); absent in process and when rows are collected. */
  flow?: { shared: SharedArrayBuffer; maxBufferedChars: number };
}

/**
 * Flow control of one streamed search between its worker and the caller: characters of rows the worker sent
 * and the caller consumed (its callback's promise settled), in shared memory. The worker waits (`Atomics.wait`,
 * inside the sink's push: the whole pipeline pauses) while more than `maxBufferedChars` are outstanding.
 */
class RowFlow {
  readonly shared = new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
  private readonly counts = new BigInt64Array(this.shared);

  /** The caller is done with `chars` characters of rows. */
  consumed(chars: number): void {
    Atomics.add(this.counts, CONSUMED, BigInt(chars));
    Atomics.notify(this.counts, CONSUMED);
  }

  /** Characters of rows the worker sent that the caller has not consumed. */
  get buffered(): number {
    return Number(Atomics.load(this.counts, SENT) - Atomics.load(this.counts, CONSUMED));
  }
}

const SENT = 0;
const CONSUMED = 1;
/** A paused worker wakes this often anyway, so terminating it (time limit, cancel) never waits on a wait. */
const FLOW_WAIT_SLICE_MS = 50;

/** The worker's side of RowFlow: counts `chars` as sent, sends them, then waits while too much is outstanding. */
function sendWithin(flow: NonNullable<StreamSpec['flow']>, chars: number, send: () => void): void {
  const counts = new BigInt64Array(flow.shared);
  // Counted before it is sent, so the caller never consumes more than was counted.
  const sent = Atomics.add(counts, SENT, BigInt(chars)) + BigInt(chars);
  send();
  for (;;) {
    const consumed = Atomics.load(counts, CONSUMED);
    if (sent - consumed <= BigInt(flow.maxBufferedChars)) return;
    Atomics.wait(counts, CONSUMED, consumed, FLOW_WAIT_SLICE_MS);
  }
}

/** What a running search reports, from its worker or in process. `chars`: the rows' size, for flow control. */
type SearchMessage =
  | { type: 'started' }
  | { type: 'rows'; rows: Record<string, FieldValue>[]; chars: number }
  | { type: 'json'; rows: string[]; chars: number }
  | { type: 'progress'; scanned: number }
  | { type: 'warning'; message: string; span: Span | null }
  | { type: 'done'; stats: ExecuteStats; columns?: readonly string[]; finalized?: string; retire?: boolean }
  | { type: 'error'; error: { code: ErrorCode; message: string; span: Span | null }; retire?: boolean };

/** Rows are sent in chunks of about this many characters (and at every scanned batch). */
const CHUNK_CHARS = 1 << 16;

function specOf(opts: ExecuteOptions, limits: ResultLimits): StreamSpec {
  return {
    format: opts.onJson ? 'json' : 'rows',
    limit: opts.limit ?? Infinity,
    progressMs: opts.onProgress ? (opts.progressMs ?? 250) : 0,
    warnings: opts.onWarning !== undefined,
    finalize: opts.finalize === true,
    maxResults: limits.maxResults,
    maxResultBytes: limits.maxResultBytes,
  };
}

function errorMessage(e: unknown): SearchMessage {
  return {
    type: 'error',
    error: {
      code: e instanceof VigilError ? e.code : 'SPL_RUNTIME',
      message: (e as Error).message ?? String(e),
      span: e instanceof SplError ? e.span : null,
    },
  };
}

/**
 * What a search needs of the content, and the data model summaries tstats reads where they cover (a worker of
 * `vigil serve`; absent: raw events, same rows). The search text comes with its macros expanded; the macros are
 * for the searches a command makes as it runs (map's, per result: their quoted text is expanded then).
 */
export type SearchContent = Pick<ContentPack, 'lookups' | 'knowledge' | 'macros'> & { summaries?: DatasetSummaries | null };

/**
 * Runs a request over `source` and reports through `emit`: rows in chunks (flushed at every scanned
 * batch, so what a stopped search found is already out), progress, then done or error. The result
 * limits are enforced here, where the rows are made (both executors: here, and in the worker thread).
 * Its macros are already expanded; lookups, data models and event types (tstats, tag=) come from the content.
 */
async function runStreaming(req: RunRequest, source: EventSource | Promise<EventSource>, content: SearchContent, spec: StreamSpec, emit: (m: SearchMessage) => void, signal?: AbortSignal): Promise<void> {
  const enough = new AbortController(); // the caller's `limit` was reached
  let objects: Record<string, FieldValue>[] = [];
  let lines: string[] = [];
  let pendingChars = 0;
  let count = 0;
  let chars = 0;
  let lastProgress = -Infinity;
  const declared = new DeclaredColumns();
  let finalized: string | undefined;
  const done = (stats: ExecuteStats): SearchMessage => {
    const columns = declared.names(MAX_DECLARED_COLUMNS);
    return { type: 'done', stats, ...(columns.length ? { columns } : {}), ...(finalized !== undefined ? { finalized } : {}) };
  };
  // Bounded here, where they are raised: a warning per row must not flood the worker's port or the caller.
  const warned = new Set<string>();
  const onWarning = (raised: string, at?: Span) => {
    if (warned.size > MAX_WARNINGS) return;
    const message = boundedWarning(raised);
    const key = `${at?.start ?? ''}:${message}`;
    if (warned.has(key)) return;
    warned.add(key);
    if (warned.size <= MAX_WARNINGS) emit({ type: 'warning', message, span: at ?? null });
    else emit({ type: 'warning', message: `more warnings were left out (at most ${MAX_WARNINGS} are reported)`, span: null });
  };
  const flush = () => {
    if (!objects.length && !lines.length) return;
    const m: Extract<SearchMessage, { chars: number }> = objects.length ? { type: 'rows', rows: objects, chars: pendingChars } : { type: 'json', rows: lines, chars: pendingChars };
    objects = [];
    lines = [];
    pendingChars = 0;
    if (spec.flow) sendWithin(spec.flow, m.chars, () => emit(m));
    else emit(m);
  };
  const sink: Sink = {
    push: (r: Result) => {
      if (count >= spec.limit || finalized !== undefined) return;
      const line = spec.format === 'json' ? resultToJsonText(r, req.tz) : null;
      const o = line === null ? toObject(r) : null;
      const size = line !== null ? line.length : JSON.stringify(o).length;
      if (count >= spec.maxResults || chars + size > spec.maxResultBytes) {
        flush();
        const what = count >= spec.maxResults ? `more than ${spec.maxResults} results (search.maxResults)` : `more than ${spec.maxResultBytes} bytes of results (search.maxResultBytes)`;
        if (spec.finalize) {
          finalized = `finalized after ${count} results: the search returned ${what}; later results were not read`;
          enough.abort();
          return;
        }
        throw new VigilError('SPL_LIMIT_RESULTS', `search "${req.name}" returned ${what} and was stopped; the first ${count} were returned`);
      }
      if (line !== null) lines.push(line);
      else objects.push(o!);
      declared.add(r);
      count++;
      chars += size;
      pendingChars += size;
      if (count >= spec.limit) enough.abort();
      if (pendingChars >= CHUNK_CHARS) flush();
    },
    end: () => {},
  };
  try {
    if (req.projection !== undefined || req.partials !== undefined) {
      // The rows are held until the run is known to need no event (a miss drops them and reads the events).
      const held: Result[] = [];
      const opts = { lookups: content.lookups, knowledge: content.knowledge, now: req.now, tz: req.tz, earliest: req.earliest, latest: req.latest, defaultIndexes: req.defaultIndexes, ...(signal ? { signal } : {}) };
      const hold: Sink = { push: (r) => void held.push(r), end: () => {} };
      const stats = req.partials ? runMerged(req.search, req.partials, opts, hold) : runProjected(req.search, req.projection!, opts, hold);
      if (stats !== null) {
        emit({ type: 'started' });
        for (const r of held) sink.push(r);
        flush();
        emit(done(stats));
        return;
      }
    }
    const from = requestSource(await source, req);
    emit({ type: 'started' });
    const stats = await streamSearch(
      req.search,
      {
        macros: content.macros,
        lookups: content.lookups,
        knowledge: content.knowledge,
        ...(content.summaries ? { summaries: content.summaries } : {}),
        source: from,
        now: req.now,
        tz: req.tz,
        earliest: req.earliest,
        latest: req.latest,
        defaultIndexes: req.defaultIndexes,
        name: req.name,
        signal: signal ? AbortSignal.any([signal, enough.signal]) : enough.signal,
        ...(spec.warnings ? { onWarning } : {}),
        onProgress: (p) => {
          flush();
          if (spec.progressMs > 0 && performance.now() - lastProgress >= spec.progressMs) {
            lastProgress = performance.now();
            emit({ type: 'progress', scanned: p.scanned });
          }
        },
      },
      sink,
    );
    flush();
    emit(done(stats));
  } catch (e) {
    // Stopped at the caller's limit while the scan was between batches: a success.
    if (enough.signal.aborted && !signal?.aborted) {
      flush();
      emit(done({ eventsScanned: 0, eventsMatched: 0, results: count, durationMs: 0 }));
      return;
    }
    emit(errorMessage(e));
  }
}

/** The caller's side of one search: turns its messages into the options' callbacks and a RunOutput. */
class Job {
  private readonly rows: Result[] = [];
  private settled = false;
  /** Set while the search streams from a worker: consumed rows are reported to it. */
  flow: RowFlow | null = null;
  constructor(
    readonly req: RunRequest,
    readonly opts: ExecuteOptions,
    private readonly resolve: (out: RunOutput) => void,
    private readonly rejectWith: (e: unknown) => void,
  ) {}

  /** Handles one message; true when the search is over. */
  receive(m: SearchMessage): boolean {
    if (this.settled) return true;
    switch (m.type) {
      case 'started':
        return false;
      case 'rows': {
        const rows = m.rows.map((o) => new Row(o));
        if (this.opts.onRows) this.consume(m.chars, this.opts.onRows(rows));
        else for (const r of rows) this.rows.push(r);
        return false;
      }
      case 'json':
        this.consume(m.chars, this.opts.onJson?.(m.rows));
        return false;
      case 'progress':
        this.opts.onProgress?.(m.scanned);
        return false;
      case 'warning':
        this.opts.onWarning?.(m.message, m.span ?? undefined);
        return false;
      case 'done':
        this.settled = true;
        this.resolve({ rows: this.rows, stats: m.stats, ...(m.columns ? { columns: m.columns } : {}), ...(m.finalized !== undefined ? { finalized: m.finalized } : {}) });
        return true;
      case 'error': {
        const { code, message, span } = m.error;
        // Positions are offsets into the expanded search the runner parsed: the request's text.
        this.reject(span ? new SplError(code, message, span, new SourceText(this.req.search)) : new VigilError(code, message));
        return true;
      }
    }
  }

  /** Reports `chars` consumed once the callback's work is done (its promise settled, or at once). */
  private consume(chars: number, done: unknown): void {
    const flow = this.flow;
    if (!flow) return;
    if (done instanceof Promise) void done.then(() => flow.consumed(chars), () => flow.consumed(chars));
    else flow.consumed(chars);
  }

  reject(e: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectWith(e);
  }
}

/**
 * Runs searches on the calling thread. Cheap and deterministic (tests, `vigil backfill`), but a runaway
 * search (a catastrophic regex) blocks the thread: the time limit is only checked between batches, and
 * there is no memory limit.
 */
export class InProcessExecutor implements RunExecutor {
  constructor(
    private readonly source: EventSource,
    private readonly content: () => ContentPack,
    private readonly limits: ResultLimits = UNLIMITED,
  ) {}

  async execute(req: RunRequest, timeoutMs: number, opts: ExecuteOptions = {}): Promise<RunOutput> {
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(), timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timer.signal, opts.signal]) : timer.signal;
    // An abort stops the scan between batches, which may end the search "successfully" with part of its rows.
    const stopped = () => (timer.signal.aborted ? new RunTimeout(req.name, timeoutMs) : opts.signal?.aborted ? cancelled(req, opts.signal) : null);
    try {
      const out = await new Promise<RunOutput>((resolve, reject) => {
        const job = new Job(req, opts, resolve, reject);
        const receive = (m: SearchMessage) => {
          try {
            job.receive(m);
          } catch (e) {
            job.reject(e);
          }
        };
        void runStreaming(req, this.source, this.content(), specOf(opts, this.limits), receive, signal);
      });
      const e = stopped();
      if (e) throw e;
      return out;
    } catch (e) {
      throw stopped() ?? e;
    } finally {
      clearTimeout(handle);
    }
  }

  async close(): Promise<void> {}
}

/** What a worker needs to open the store and content on its own. */
export interface WorkerSetup {
  dataDir: string;
  /** Where the events are (a cluster's ClickHouse); absent: the SQLite store in `dataDir`. */
  store?: StoreLocator;
  contentDirs: readonly string[];
  /** Read `<dataDir>/summaries.db` (vigil serve's data model acceleration) for tstats, with these bounds. */
  summaries?: { maxRemainderEvents: number; maxCachedRows: number };
  /** The writable lookup directory (`<dataDir>/lookups`): read over the content's lookups; outputlookup writes there unless refused. */
  lookupDir?: LookupDirSetup;
}

export interface WorkerExecutorOptions extends Partial<ResultLimits> {
  /** Searches running at once, each on its own worker thread (default 1). */
  maxConcurrent?: number;
  /** Searches waiting for a worker; one more is refused with SPL_LIMIT_CONCURRENCY (default no limit). */
  maxQueued?: number;
  /** Heap of each worker, bytes (`resourceLimits.maxOldGenerationSizeMb`; default Node's). */
  maxMemoryBytes?: number;
  /**
   * Characters of a streamed search's rows sent by its worker and not yet consumed by the caller; beyond, the
   * search pauses (default `DEFAULT_MAX_BUFFERED_CHARS`).
   */
  maxBufferedChars?: number;
}

/** 1 Mi characters: 16 of the worker's chunks; a slow client holds at most this (plus a chunk) of a search's rows. */
export const DEFAULT_MAX_BUFFERED_CHARS = 1024 * 1024;

/** A search holding a worker. */
interface Running {
  job: Job;
  stop(e: VigilError): void;
}

interface Waiting {
  job: Job;
  timeoutMs: number;
  leave(): void;
}

/**
 * Runs each search in a worker thread with its own read-only store connection, so the server's event
 * loop never waits on a search. A search past its time limit, cancelled by its caller or the server, or
 * out of memory (the worker's heap limit) is stopped by terminating its worker: only that worker dies,
 * even inside a catastrophic regex. Up to `maxConcurrent` workers run at once and are kept warm; more
 * searches wait in order, up to `maxQueued`.
 */
export class WorkerExecutor implements RunExecutor {
  private readonly idle: Worker[] = [];
  private readonly running = new Set<Running>();
  private readonly waiting: Waiting[] = [];
  private readonly exiting = new Set<Promise<void>>();
  private readonly limits: ResultLimits;
  private closed = false;

  constructor(
    private readonly setup: WorkerSetup,
    private readonly opts: WorkerExecutorOptions = {},
  ) {
    this.limits = { maxResults: opts.maxResults ?? Infinity, maxResultBytes: opts.maxResultBytes ?? Infinity };
  }

  /**
   * Searches running and waiting, and `bufferedChars`: characters of streamed rows sent by the workers and not
   * yet consumed by their callers, all searches together (for tests and diagnostics).
   */
  get load(): { running: number; waiting: number; workers: number; bufferedChars: number } {
    let bufferedChars = 0;
    for (const r of this.running) bufferedChars += r.job.flow?.buffered ?? 0;
    return { running: this.running.size, waiting: this.waiting.length, workers: this.running.size + this.idle.length, bufferedChars };
  }

  private spawn(): Worker {
    const mb = this.opts.maxMemoryBytes;
    const w = new Worker(workerEntry(import.meta.url, 'run-worker'), {
      workerData: this.setup,
      ...(mb !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: Math.max(1, Math.floor(mb / (1024 * 1024))) } } : {}),
    });
    w.unref();
    // Terminated at a time limit or on cancel, it may hold a lookup's lock: its exit lets the next writer take it at once.
    watchThreadExit(w);
    // An idle worker that dies is not handed out again (a running one is handled by its search).
    w.on('error', () => {});
    w.once('exit', () => {
      const i = this.idle.indexOf(w);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return w;
  }

  private retire(w: Worker): void {
    const exit = w.terminate().then(
      () => undefined,
      () => undefined,
    );
    this.exiting.add(exit);
    void exit.then(() => this.exiting.delete(exit));
  }

  execute(req: RunRequest, timeoutMs: number, opts: ExecuteOptions = {}): Promise<RunOutput> {
    return new Promise<RunOutput>((resolve, reject) => {
      const job = new Job(req, opts, resolve, reject);
      if (this.closed) return job.reject(new SearchCancelled(req.name, 'the server is stopping'));
      if (opts.signal?.aborted) return job.reject(cancelled(req, opts.signal));
      if (this.running.size < (this.opts.maxConcurrent ?? 1)) return this.start(job, timeoutMs);
      if (this.waiting.length >= (this.opts.maxQueued ?? Infinity)) {
        return job.reject(
          new VigilError('SPL_LIMIT_CONCURRENCY', `search "${req.name}" was refused: ${this.running.size} searches are running and ${this.waiting.length} waiting (search.maxConcurrent, search.maxQueued); try again later`),
        );
      }
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        job.reject(cancelled(req, opts.signal!));
      };
      const entry: Waiting = { job, timeoutMs, leave: () => opts.signal?.removeEventListener('abort', onAbort) };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private next(): void {
    while (!this.closed && this.waiting.length && this.running.size < (this.opts.maxConcurrent ?? 1)) {
      const e = this.waiting.shift()!;
      e.leave();
      this.start(e.job, e.timeoutMs);
    }
  }

  private start(job: Job, timeoutMs: number): void {
    const { req, opts } = job;
    const w = this.idle.pop() ?? this.spawn();
    let over = false;
    // Whether the worker began this search: an error before that is the thread's (SearchWorkerUnavailable).
    let begun = false;
    const finish = (reuse: boolean) => {
      over = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
      this.running.delete(running);
      if (reuse && !this.closed) this.idle.push(w);
      else this.retire(w);
      this.next();
    };
    // The search may be stuck in a regex: only terminating the thread stops it.
    const stop = (e: VigilError) => {
      if (over) return;
      finish(false);
      job.reject(e);
    };
    const running: Running = { job, stop };
    // The time limit counts from the search's start: a fresh worker first opens the store and the content.
    let timer: NodeJS.Timeout | undefined;
    const startClock = () => (timer = setTimeout(() => stop(new RunTimeout(req.name, timeoutMs)), timeoutMs));
    const onAbort = () => stop(cancelled(req, opts.signal!));
    const onMessage = (m: SearchMessage) => {
      if (m.type === 'started') {
        begun = true;
        return void startClock();
      }
      let ended: boolean;
      try {
        ended = job.receive(m);
      } catch (e) {
        // A callback of the caller failed (its client went away mid-write): nobody takes the rest.
        return stop(e instanceof VigilError ? e : new VigilError('SPL_RUNTIME', (e as Error).message));
      }
      // A worker whose heap the search left full (heapSpent) is replaced: its next search would fail SPL_LIMIT_MEMORY.
      if (ended && !over) finish(!((m.type === 'done' || m.type === 'error') && m.retire));
    };
    const onError = (err: Error & { code?: string }) =>
      stop(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new VigilError(
              'SPL_LIMIT_MEMORY',
              this.opts.maxMemoryBytes === undefined
                ? `search "${req.name}" ran out of memory and was stopped`
                : `search "${req.name}" used more than ${Math.floor(this.opts.maxMemoryBytes / (1024 * 1024))} MB of memory (search.maxMemory) and was stopped`,
            )
          : begun
            ? new VigilError('SPL_RUNTIME', `search worker failed: ${err.message}`)
            : new SearchWorkerUnavailable(err.message),
      );
    const onExit = (code: number) => stop(begun ? new VigilError('SPL_RUNTIME', `search worker exited (code ${code})`) : new SearchWorkerUnavailable(`its thread exited (code ${code}) before the search began`));
    this.running.add(running);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    const spec = specOf(opts, this.limits);
    if (opts.onJson || opts.onRows) {
      job.flow = new RowFlow();
      spec.flow = { shared: job.flow.shared, maxBufferedChars: this.opts.maxBufferedChars ?? DEFAULT_MAX_BUFFERED_CHARS };
    }
    w.postMessage({ req, spec });
  }

  /** Cancels every search (waiting and running) and ends the workers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.waiting.splice(0)) {
      e.leave();
      e.job.reject(new SearchCancelled(e.job.req.name, 'the server is stopping'));
    }
    for (const r of [...this.running]) r.stop(new SearchCancelled(r.job.req.name, 'the server is stopping'));
    for (const w of this.idle.splice(0)) this.retire(w);
    await Promise.all([...this.exiting]);
  }
}

/** The worker thread's side (run-worker.ts): runs one request and posts its messages. */
export function serveRequest(msg: { req: RunRequest; spec: StreamSpec }, source: Promise<EventSource>, content: SearchContent, post: (m: SearchMessage) => void): Promise<void> {
  return runStreaming(msg.req, source, content, msg.spec, post).catch((e: unknown) => post(errorMessage(e)));
}
