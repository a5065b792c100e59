/**
 * FileSource: Tetragon JSON lines from files (plain or gzip) and stdin, as an EventSource.
 *
 * Hot path per line: CR strip → blank check → raw prefilter (no parse) → JSON.parse → time bounds →
 * metadata predicate. The prefilter is a necessary condition derived from the search, so lines it
 * rejects could never be results; see CONTEXT.md "Prefilter and malformed lines" for what that means
 * for malformed-line reporting.
 */
import { closeSync, constants as fsConstants, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { isAscii } from 'node:buffer';
import type { Readable } from 'node:stream';
import { fileErrorReason, VigilError } from '../errors.js';
import type { Event } from '../events/event.js';
import { DEFAULT_INDEX } from '../events/event.js';
import {
  compileRawFilter,
  keyedRegexes,
  metadataPredicate,
  rawAnchors,
  trimRawFilter,
  type EventSource,
  type RawAnchors,
  type RawFilter,
  type ScanOptions,
  type ScanRequest,
} from '../events/scan.js';
import {
  SOURCETYPE_ISOVALENT,
  SOURCETYPE_PROCESS_CONNECT,
  SOURCETYPE_PROCESS_EXEC,
  parseJsonLine,
  parseTetragonTime,
  toEvent,
  toEventFromSpans,
  type ToEventContext,
} from './tetragon.js';
import { scanTetragonLine } from '../normalize/tetragon-index.js';
import { isJsonObject } from '../normalize/tetragon-kind.js';
import { KeyedRegexes, LineScanner, anchorsFit, scanGroups, type ScanGroups } from './line-scan/line-scan.js';
import { ReadThread, readThreadWorth, scanOnReadThread, type ReadThreadOptions } from './read-thread.js';

/** A problem with one input line. `line` is 1-based; `file` is the path as given (`stdin` for `-`). */
export interface LineIssue {
  file: string;
  line: number;
  reason: string;
}

export interface FileSourceOptions {
  /** Overrides the add-on's sourcetype assignment for every event. */
  sourcetype?: string;
  /** Default `main`. */
  index?: string;
  /** Default: the file path as given; `stdin` for `-`. */
  source?: string;
  /** Overrides `node_name`. */
  host?: string;
  /** Host of events without `node_name` (and no `host` override). Default: this machine's hostname, like a Splunk file input. */
  defaultHost?: string;
  /** Epoch seconds used as the fallback time of time-less stdin events. Default: the time the scan starts. */
  now?: number;
  onMalformed?: (m: LineIssue) => void;
  /** Non-fatal oddities, e.g. an event without `time` (it gets the previous event's time). */
  onWarning?: (w: LineIssue) => void;
  /** The stream `-` reads (tests inject one). Default: process.stdin. */
  stdin?: Readable;
  /** Most events per yielded batch. Default 1000. */
  batchSize?: number;
  /**
   * Most `_raw` characters per batch (a batch ends at whichever limit comes first). Default 512 Ki:
   * a batch of big events and their parsed JSON then dies young; 1000 × 4 KB events measured 2× slower.
   */
  batchChars?: number;
  /** Bytes per read. Default 1 MiB. */
  chunkSize?: number;
  /**
   * A read of a plain file made on this thread (`readSync`) that takes longer than this many milliseconds waited for
   * the disk: the next reads go to the pool threads, ahead of the scan (see fileChunks). Default 4.
   */
  syncReadMs?: number;
  /**
   * Longest line carried across reads, in bytes: a longer one is reported malformed and skipped, its bytes past
   * the limit never held. Lines inside one read are bounded by the read (1 MiB for files). Default 64 MiB.
   */
  maxLineBytes?: number;
  /**
   * Read only bytes [start, end) of the one (plain) file: a partition of a parallel scan
   * (file-partitions.ts), cut at line boundaries. Line numbers count from the range's start.
   */
  range?: FileRange;
  /**
   * The time a time-less event gets when no line of the range before it gives one (the previous event is
   * before the range). Default: the file's mtime, which is right for a range starting the file.
   */
  timeBefore?: () => number;
  /** Filters compiled by an earlier source of the same run on this thread (see FilterMemo). */
  filterMemo?: FilterMemo;
  /**
   * Whether a scan may read on a thread of its own (read-thread.ts: the reads, prefilter and byte scan there, the
   * searches here) when it is worth it (`readThreadWorth`: plain files of 16 MiB or more, a scan handing on most
   * lines, an idle core); `always`: whenever the inputs are files (tests); a `ReadThread` started earlier: that thread,
   * when worth it (else it is closed). Default false: this thread only (`--threads 1`).
   */
  readThread?: boolean | 'always' | ReadThread;
}

/**
 * What a FileSource decides from a raw filter and its input's first window: the test, the line scan's patterns,
 * and which found lines are tested and scanned (see `compileFilter`).
 */
export interface CompiledFilter {
  rawTest: ((raw: string) => boolean) | null;
  /** Null: no line scan (no anchors every passing line holds, or too many for the scanner). */
  groups: ScanGroups | null;
  parseFound: boolean;
  testFound: boolean;
  keyed: KeyedRegexes | null;
}

/**
 * Compiled filters by their file and JSON, kept across the sources a thread reads one after another: a parallel
 * run's partitions (src/parallel) each compiled the same filter on their own sample, ~45 ms for the pack's (~70 ms
 * on a loaded machine) per partition. Every range of a file compiles it on the file's first window, the sample of
 * one pass (it orders tests and decides which lines are parsed, never results). Tied to one run.
 */
export type FilterMemo = Map<string, CompiledFilter>;

/** Compiles `raw` on `sample` (the input's first window, latin1), which orders its literals rarest first. */
function compileFilter(whole: RawFilter | null, sample: string): CompiledFilter {
  const sampleLines = sample.split('\n');
  // The sample's complete lines (the last may be cut): what they show (nearly) always true is not tested.
  const complete = sampleLines.slice(0, -1);
  const raw = trimRawFilter(whole, complete);
  const rawTest = compileRawFilter(raw, complete);
  const anchors = rawAnchors(raw, sample, { keys: true, fits: anchorsFit });
  if (anchors === null) return { rawTest: worthTesting(rawTest, complete), groups: null, parseFound: false, testFound: true, keyed: null };
  const parseFound = anchors.weak;
  // Key anchors find the lines of the event kinds the searches read, which a pack's filter nearly all passes:
  // its test (~1 us a line) is then skipped, the searches rejecting the few others as events. The filter is
  // only a necessary condition: results do not change, only which lines become events.
  const testFound = !parseFound || !passesMostFound(sampleLines, anchors, rawTest as (raw: string) => boolean);
  const regexes = testFound ? keyedRegexes(raw) : [];
  let keyed = regexes.length === 0 ? null : new KeyedRegexes(regexes);
  // The keyed regexes' patterns before the scan's other conjuncts (key names: every line of a kind holds them).
  let groups = scanGroups(anchors, keyed?.patterns.length);
  if (groups === null && keyed !== null) {
    keyed = null;
    groups = scanGroups(anchors);
  }
  return { rawTest: groups === null ? worthTesting(rawTest, complete) : rawTest, groups, parseFound, testFound, keyed };
}

/** Sample lines a filter must pass, at least this share of at least MIN_FOUND_SAMPLE, to be left out (worthTesting). */
const MOSTLY_PASSING = 0.6;

/**
 * A filter that would run on every line (no line scan: no anchors, or too many for the scanner), or null when it
 * passes most of the sample: testing a line (~1-2 us for a pack's alternation of 100+ literals, and its text
 * decoded twice) then costs more than the events it spares, which the searches reject as well. Shell Execution
 * alone over process_exec lines (75% pass) took 1.44 s with its test, 1.18 s without, and the pack less the search with no filter 2.7 s, 2.08 s; results do not change.
 */
function worthTesting(test: ((raw: string) => boolean) | null, lines: readonly string[]): ((raw: string) => boolean) | null {
  if (test === null || lines.length < MIN_FOUND_SAMPLE) return test;
  let passed = 0;
  for (const line of lines) if (test(line)) passed++;
  return passed >= MOSTLY_PASSING * lines.length ? null : test;
}

/** Bytes [start, end) of a file, cut at line boundaries. */
export interface FileRange {
  start: number;
  end: number;
  /**
   * Asked once the reads reach `end`: a later line boundary to read on to (the range then grows, in the same
   * scan: one source, no new start-up), or null to end there. A parallel run's thread left alone takes the
   * partitions after its own this way.
   */
  more?: () => number | null;
}

interface Input {
  path: string;
  /** The path as given, or `stdin`. */
  label: string;
  isStdin: boolean;
  /** Not a regular file (a FIFO such as a shell's `<(…)`, a device): read as a stream, as stdin is. */
  stream?: boolean;
  size?: number;
  /** mtime in epoch seconds (files only). */
  mtime?: number;
}

interface Chunk {
  data: Buffer | string;
  /** Bytes consumed from the input so far (compressed bytes for gzip). */
  bytes: number;
}

const DEFAULT_BATCH = 1000;
const DEFAULT_BATCH_CHARS = 512 * 1024;
const DEFAULT_CHUNK = 1 << 20;
/**
 * An input with no line feed for gigabytes (a gzip bomb of zeros, /dev/zero, a corrupt file) was one line carried
 * whole: 10 GB of zeros took 6.4 GB of memory and ended in an internal error. Tetragon events are kilobytes; a
 * 10 MB line still parses.
 */
export const DEFAULT_MAX_LINE = 64 << 20;
/** Lines the prefilter skipped, remembered to give a later time-less event its predecessor's time. */
const SKIPPED_RING = 16;
/** Chunks read ahead of the consumer: 4 reads of 1 MiB in flight took 515 MB from the page cache in 0.057 s against 0.077 s for 2 (the kernel copies on both cores). */
const READ_AHEAD = 4;
/**
 * A `readSync` of a chunk taking longer than this waited for the disk (the page cache gives 1 MiB in ~0.1-0.3 ms): the
 * next reads go to the pool threads, READ_AHEAD ahead, so that the disk works while this thread scans. Reads from the
 * page cache are made on this thread: each async read costs it ~40-120 us (waking a pool thread and being woken back;
 * on a VM, a cross-CPU wake goes through the hypervisor), more than the copy (CONTEXT.md, "Reading").
 */
const SYNC_READ_MS = 4;
/** Async reads after which one is made on this thread again, to see whether the page cache now holds the file. */
const PROBE_READS = 32;
/** Bytes of lines prefiltered at once without a line scan; the sample that orders the filter's literals. */
const WINDOW = 1 << 16;
/**
 * Lines a line scan found that are JSON.parsed before the rest take the byte scan: the scan beats JSON.parse
 * once optimized, not in its first thousand calls, so a filter that finds few lines (the seed: ~100-300 of
 * 300k) parses them, and one whose literals most lines hold (`process_name="sh"`: a third of process_exec
 * lines hold "sh") scans them (JSON.parse was ~60% of such a search's time).
 */
const SCAN_AFTER_FOUND = 1024;

export class FileSource implements EventSource {
  readonly newestFirst = false;
  private readonly paths: readonly string[];
  private readonly opts: FileSourceOptions;
  private malformed = 0;
  private warnings = 0;
  private threaded = false;
  private stdinConsumed = false;
  /** Stream inputs (FIFOs) read by an earlier scan: opening one again would wait for a writer that is gone. */
  private readonly streamsRead = new Set<string>();

  constructor(paths: readonly string[], options: FileSourceOptions = {}) {
    this.paths = [...paths];
    this.opts = options;
  }

  /** Malformed lines seen by the latest scan (a lower bound when the scan had a raw prefilter; see CONTEXT.md). */
  get malformedCount(): number {
    return this.malformed;
  }

  /** Warnings raised by the latest scan. */
  get warningCount(): number {
    return this.warnings;
  }

  /** Whether the latest scan read on a thread of its own (`readThread`). */
  get readOnThread(): boolean {
    return this.threaded;
  }

  async *scan(request: ScanRequest, options: ScanOptions = {}): AsyncGenerator<Event[]> {
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    this.malformed = 0;
    this.warnings = 0;
    this.threaded = false;
    const started = this.opts.readThread instanceof ReadThread ? this.opts.readThread : null;
    // Fail fast: every input must be readable before the first event is yielded.
    const inputs = await Promise.all(this.paths.map((p) => this.prepare(p))).catch((err: unknown) => {
      started?.close();
      throw err;
    });
    const totalBytes = inputs.every((i) => i.size !== undefined)
      ? inputs.reduce((s, i) => s + (i.size ?? 0), 0)
      : undefined;
    const metaPass = metadataPredicate(request);
    const batchSize = Math.max(1, this.opts.batchSize ?? DEFAULT_BATCH);
    const batchChars = Math.max(1, this.opts.batchChars ?? DEFAULT_BATCH_CHARS);
    const maxLine = this.opts.maxLineBytes ?? DEFAULT_MAX_LINE;
    const startedAt = this.opts.now ?? Date.now() / 1000;
    if (this.opts.readThread !== undefined && this.opts.readThread !== false && this.onReadThread(request, inputs)) {
      this.threaded = true;
      yield* this.scanOnThread(request, options, startedAt, batchSize, batchChars, started);
      return;
    }
    started?.close();
    let bytesBefore = 0;
    let scanned = 0;

    for (const input of inputs) {
      const plan = this.planInput(request, input);
      if (plan === null) {
        bytesBefore += input.size ?? 0;
        onProgress?.({ scanned, bytes: bytesBefore, totalBytes });
        continue;
      }
      // Compiled at the first chunk, whose first window is the sample that orders the literals rarest first.
      let rawTest = null as ((raw: string) => boolean) | null; // (`as`: assigned in `compile`, which narrowing does not follow)
      // The line scan of a filter with anchors (literals one of which every passing line holds): lines without
      // one are skipped in WebAssembly, unread.
      let scanner = null as LineScanner | null;
      // Whether the lines the line scan finds take the byte scan rather than JSON.parse (see `handle`): with key
      // anchors, most lines are found; otherwise once SCAN_AFTER_FOUND lines were found (`found`).
      let parseFound = false;
      let found = 0;
      // Whether a line the line scan finds is tested with the filter before it becomes an event (see `compile`).
      let testFound = true;
      // The filter's keyed regexes, tested on the bytes of the lines the line scan finds before they are decoded.
      let keyed = null as KeyedRegexes | null;
      let compiled = plan.raw === null;
      const fileTime = input.mtime ?? startedAt;
      const { earliest, latest } = request;

      // Time fallback state: last parsed event's time, and the lines the prefilter skipped since then.
      let lastTime: number | null = null;
      const skipped = new SkippedLines();
      // What the last time-less event got, for its warning: no earlier event dates line 1 (or a line after garbage).
      let fallbackUsed = '';
      const ctx: ToEventContext = {
        index: this.opts.index ?? DEFAULT_INDEX,
        source: this.opts.source ?? input.label,
        defaultHost: this.opts.defaultHost ?? hostname(),
        fallbackTime: () => {
          const previous = skipped.time() ?? lastTime ?? this.opts.timeBefore?.() ?? null;
          fallbackUsed = previous !== null ? "the previous event's time" : input.mtime !== undefined ? "the file's modification time" : 'the current time (--now)';
          return previous ?? fileTime;
        },
      };
      if (this.opts.sourcetype !== undefined) ctx.sourcetype = this.opts.sourcetype;
      if (this.opts.host !== undefined) ctx.host = this.opts.host;

      let batch: Event[] = [];
      let batchLen = 0;
      let lineNo = 0;
      /** Adds an event to the batch; true when the batch is full. */
      const add = (e: Event | null): boolean => {
        if (e === null) return false;
        batch.push(e);
        batchLen += e._raw.length;
        return batch.length >= batchSize || batchLen >= batchChars;
      };
      const flush = (): Event[] => {
        const full = batch;
        batch = [];
        batchLen = 0;
        return full;
      };

      /** A line the prefilter rejected, decoded: skipped unparsed, but reported if not even object-shaped. */
      const rejected = (line: string): void => {
        // Object-shaped lines with bad insides go unnoticed (documented); truncated writes and garbage do not.
        if (!looksLikeObject(line)) this.reportMalformed(input.label, lineNo, malformedReason(line));
        else skipped.add(line);
      };

      // One line → the event to keep, or null. Lines are split on the bytes (0x0A never occurs inside a
      // UTF-8 sequence) and decoded one by one: much faster than decoding chunks and splitting strings.
      // With `scan`, the line's bytes are scanned (validated, values located) instead of parsed; lines the
      // scan does not handle take the JSON.parse path (toEvent). The window search passes `scan` false:
      // the few lines it finds are parsed, as the scan beats JSON.parse once optimized but not in its
      // first thousand calls (the seed detection ran 10% faster so).
      // `tested`: the prefilter already passed the line's text (or is not tested on it: `testFound`); a string: that text, decoded on its own (the line
      // scan's), which is the line's whole text (no CR) and is not decoded again.
      const handle = (buf: Buffer, start: number, end: number, scan: boolean, tested: boolean | string = false): Event | null => {
        lineNo++;
        if (end > start && buf[end - 1] === 13) end--; // CRLF
        if (end === start) return null;
        const filter = tested !== false ? null : rawTest;
        const text = typeof tested === 'string' ? tested : null;
        let spans = scan && filter === null ? scanTetragonLine(buf, start, end) : null;
        let line: string;
        if (spans !== null) {
          line = text ?? buf.toString('latin1', start, end); // the scan accepts ASCII only
        } else {
          line = text ?? buf.toString('utf8', start, end);
          if (lineNo === 1 && !this.opts.range?.start && line.charCodeAt(0) === 0xfeff) line = line.slice(1); // UTF-8 BOM
          if (line.length === 0 || (isSpace(line.charCodeAt(0)) && line.trim() === '')) return null;
          if (filter !== null) {
            if (!filter(line)) {
              rejected(line);
              return null;
            }
            if (scan) spans = scanTetragonLine(buf, start, end);
          }
        }
        const out = (spans !== null ? toEventFromSpans(line, spans, ctx) : null) ?? toEvent(line, ctx);
        if (!out.ok) {
          this.reportMalformed(input.label, lineNo, out.reason);
          return null;
        }
        if (out.missingTime) {
          this.reportWarning(input.label, lineNo, `${out.badTime === undefined ? 'no "time"' : `bad time ${out.badTime}`}: using ${fallbackUsed}`);
        }
        const t = out.event._time;
        lastTime = t;
        skipped.clear();
        if (earliest !== null && t < earliest) return null;
        if (latest !== null && t >= latest) return null;
        return metaPass(out.event) ? out.event : null;
      };

      /** Skips the line that ends the overlong one, `bytes` long with its CR if any. */
      const tooLong = (bytes: number): null => {
        lineNo++;
        overlong = 0;
        this.reportMalformed(input.label, lineNo, `line of ${bytes} bytes is longer than the limit (${maxLine} bytes): skipped`);
        return null;
      };

      // A line of a searched window without an anchor, so the prefilter rejects it: handled as `rejected`
      // does, without decoding it when it is object-shaped (the usual case). `text[s, e)` is the line in
      // the window's latin1 text (one character per byte), which starts at `buf[textStart]`.
      const skip = (buf: Buffer, text: string, textStart: number, s: number, e: number): void => {
        lineNo++;
        if (e > s && text.charCodeAt(e - 1) === 13) e--; // CRLF
        if (e === s) return;
        let i = s;
        let j = e - 1;
        while (i <= j && isJsonSpace(text.charCodeAt(i))) i++;
        while (j >= i && isJsonSpace(text.charCodeAt(j))) j--;
        if (i < j && text.charCodeAt(i) === 123 && text.charCodeAt(j) === 125) {
          skipped.addLatin1(text, s, e);
          return;
        }
        const line = buf.toString('utf8', textStart + s, textStart + e);
        if (!(isSpace(line.charCodeAt(0)) && line.trim() === '')) rejected(line);
      };

      // The start of a line that continues in the next chunk (copied: chunk buffers are reused). A line past
      // `maxLine` is only counted (`overlong`: its bytes so far), then reported where it ends.
      let partial = Buffer.alloc(0);
      let partialLen = 0;
      let overlong = 0;
      const keepPartial = (buf: Buffer, start: number, end: number): void => {
        const need = partialLen + end - start;
        if (overlong > 0 || need > maxLine) {
          overlong = overlong > 0 ? overlong + end - start : need;
          partialLen = 0;
          partial = Buffer.alloc(0);
          return;
        }
        if (need > partial.length) {
          const grown = Buffer.allocUnsafe(Math.max(need, partial.length * 2, 1 << 16));
          partial.copy(grown, 0, 0, partialLen);
          partial = grown;
        }
        buf.copy(partial, partialLen, start, end);
        partialLen = need;
      };

      /**
       * Compiles the filter at the input's first chunk, whose first window is the sample that orders its literals
       * rarest first. With a line scan and `readSize`, a file's later chunks are read straight into the scanner's
       * memory: the buffers for them, `readSize` bytes each, are returned.
       */
      const compile = (first: Buffer, readSize?: number): Buffer[] | null => {
        compiled = true;
        const memo = this.opts.filterMemo;
        const key = memo === undefined ? '' : `${input.path}\u0000${JSON.stringify(plan.raw)}`;
        let c = memo?.get(key);
        if (c === undefined) {
          // A range's sample is its file's first window, as one pass over the file takes: what the sample shows
          // decides which lines are tested or parsed, hence which lines without a match are reported.
          const sample = this.opts.range?.start ? fileHead(input.path, WINDOW) : first.subarray(0, Math.min(first.length, WINDOW));
          c = compileFilter(plan.raw, sample.toString('latin1'));
          memo?.set(key, c);
        }
        ({ rawTest, parseFound, testFound, keyed } = c);
        if (c.groups === null) return null;
        scanner = new LineScanner(c.groups, first.subarray(0, Math.min(first.length, WINDOW)), keyed?.patterns);
        return readSize === undefined ? null : scanner.reserve(READ_AHEAD + 1, readSize);
      };

      const chunks = input.isStdin
        ? this.stdinChunks(signal)
        : input.stream
          ? streamChunks(createReadStream(input.path), input.path, signal, () => this.streamsRead.add(input.path))
          : fileChunks(input, this.opts.chunkSize ?? DEFAULT_CHUNK, signal, this.opts.range, compiled ? undefined : compile, this.opts.syncReadMs ?? SYNC_READ_MS);
      for await (const chunk of chunks) {
        signal?.throwIfAborted();
        const buf = typeof chunk.data === 'string' ? Buffer.from(chunk.data, 'utf8') : chunk.data;
        if (!compiled) compile(buf); // stdin, gzip: chunks come in buffers of their own
        let start = 0;
        const last = buf.lastIndexOf(10); // lines in [start, last] are complete
        if (last === -1) {
          keepPartial(buf, 0, buf.length);
          onProgress?.({ scanned: scanned + lineNo, bytes: bytesBefore + chunk.bytes, totalBytes });
          continue;
        }
        // The line carried over from the previous chunk, and the input's first line (its BOM), one by one.
        while (start <= last && (partialLen > 0 || overlong > 0 || lineNo === 0)) {
          const nl = buf.indexOf(10, start);
          let e: Event | null;
          if (overlong > 0) {
            e = tooLong(overlong + nl - start);
          } else if (partialLen > 0) {
            keepPartial(buf, start, nl);
            e = handle(partial, 0, partialLen, scanner === null);
            partialLen = 0;
            if (partial.length > 1 << 23) partial = Buffer.alloc(0); // do not keep a huge line's buffer
          } else {
            e = handle(buf, start, nl, scanner === null);
          }
          start = nl + 1;
          if (add(e)) {
            yield flush();
            signal?.throwIfAborted(); // the consumer may have aborted while it held the batch
          }
        }
        if (scanner !== null && rawTest !== null) {
          // The line scan walks the chunk's complete lines in WebAssembly and stops at those the filter must see
          // (a line holding an anchor or another spelling of one) or that are not object-shaped (reported as
          // malformed when the filter rejects them); the lines it walks past are rejected unread.
          const at0 = scanner.load(buf, start, last + 1);
          const shift = at0 - start; // a line at buf[i] is at scanner.memory[i + shift]
          while (start <= last) {
            const at = scanner.next(start + shift, last + 1 + shift) - shift;
            if (scanner.linesPassed > 0) {
              lineNo += scanner.linesPassed;
              skipped.addSpan(scanner.memory, start + shift, at + shift);
            }
            if (at > last) {
              start = last + 1;
              break;
            }
            const nl = buf.indexOf(10, at);
            start = nl + 1;
            let text: string | true = true; // not tested: decoded by `handle`, as the scan tells (latin1 when it accepts the line)
            if (testFound) {
              const lineEnd = nl > at && buf[nl - 1] === 13 ? nl - 1 : nl; // `_raw` has no CR
              if (keyed !== null && buf[at] === 123 && buf[lineEnd - 1] === 125 && !keyed.test(scanner, at + shift, lineEnd + shift)) {
                // An object-shaped line the filter rejects: skipped unread, as the lines the scan walks past.
                lineNo++;
                skipped.addSpan(scanner.memory, at + shift, nl + 1 + shift);
                continue;
              }
              text = isAscii(buf.subarray(at, lineEnd)) ? buf.toString('latin1', at, lineEnd) : buf.toString('utf8', at, lineEnd);
              if (!rawTest(text)) {
                lineNo++;
                if (!(isSpace(text.charCodeAt(0)) && text.trim() === '')) rejected(text);
                continue;
              }
            }
            if (add(handle(buf, at, nl, parseFound || ++found > SCAN_AFTER_FOUND, text))) {
              yield flush();
              signal?.throwIfAborted();
            }
          }
          skipped.detach();
        } else if (rawTest !== null) {
          // Prefiltered without anchors, a window of lines at a time (~64 KiB: its latin1 text then dies young; a
          // 1 MiB string made the search 1.5x slower). An ASCII window's latin1 text is its UTF-8 text, one
          // character per byte: the filter runs on each line's slice of it, and only lines it passes are decoded.
          while (start <= last) {
            const cut = start + WINDOW >= last ? last : buf.lastIndexOf(10, start + WINDOW);
            const windowEnd = cut >= start ? cut : buf.indexOf(10, start + WINDOW); // a line longer than the window
            if (!isAscii(buf.subarray(start, windowEnd + 1))) {
              // Non-ASCII bytes: each line decoded and tested.
              while (start <= windowEnd) {
                const nl = buf.indexOf(10, start);
                const e = handle(buf, start, nl, true);
                start = nl + 1;
                if (add(e)) {
                  yield flush();
                  signal?.throwIfAborted();
                }
              }
              continue;
            }
            // The window's lines, each with its \n; positions in the text are byte offsets from `start`.
            const text = buf.toString('latin1', start, windowEnd + 1);
            const textStart = start;
            let p = 0;
            while (p < text.length) {
              const lineStart = p;
              const nl = text.indexOf('\n', lineStart);
              p = nl + 1;
              const lineEnd = nl > lineStart && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // `_raw` has no CR
              if (!rawTest(text.slice(lineStart, lineEnd))) {
                skip(buf, text, textStart, lineStart, nl);
                continue;
              }
              const e = handle(buf, textStart + lineStart, textStart + nl, true, true);
              if (add(e)) {
                yield flush();
                signal?.throwIfAborted();
              }
            }
            start = windowEnd + 1;
          }
        } else {
          while (start <= last) {
            const nl = buf.indexOf(10, start);
            const e = handle(buf, start, nl, true);
            start = nl + 1;
            if (add(e)) {
              yield flush();
              signal?.throwIfAborted();
            }
          }
        }
        if (start < buf.length) keepPartial(buf, start, buf.length);
        onProgress?.({ scanned: scanned + lineNo, bytes: bytesBefore + chunk.bytes, totalBytes });
        if (scanner !== null && batch.length > 0) {
          // A prefiltered batch fills slowly: handing it over per chunk lets its events die young
          // instead of being copied through the young generation while the next chunks are searched.
          yield flush();
          signal?.throwIfAborted();
        }
      }
      if (overlong > 0) tooLong(overlong);
      else if (partialLen > 0) add(handle(partial, 0, partialLen, scanner === null));
      if (batch.length > 0) yield flush();
      scanned += lineNo;
      bytesBefore += input.size ?? 0;
      onProgress?.({ scanned, bytes: bytesBefore, totalBytes });
    }
  }

  /** Whether this scan reads on a thread (see `readThread`): not for a partition, stdin or streams. */
  private onReadThread(request: ScanRequest, inputs: readonly Input[]): boolean {
    const o = this.opts;
    if (o.range !== undefined || o.timeBefore !== undefined || o.filterMemo !== undefined) return false;
    const sizes = inputs.map((i) => (i.isStdin || i.stream === true ? undefined : i.size));
    if (o.readThread === 'always') return sizes.every((s) => s !== undefined);
    return readThreadWorth(request, sizes, o.readThread instanceof ReadThread && o.readThread.waiting);
  }

  /** The scan, run by a FileSource of the same options on the read thread; its line issues relayed here. */
  private scanOnThread(request: ScanRequest, options: ScanOptions, now: number, batchSize: number, batchChars: number, started: ReadThread | null): AsyncGenerator<Event[]> {
    const o = this.opts;
    const crossing: ReadThreadOptions = {
      ...(o.sourcetype !== undefined ? { sourcetype: o.sourcetype } : {}),
      ...(o.index !== undefined ? { index: o.index } : {}),
      ...(o.source !== undefined ? { source: o.source } : {}),
      ...(o.host !== undefined ? { host: o.host } : {}),
      defaultHost: o.defaultHost ?? hostname(),
      now,
      batchSize,
      batchChars,
      ...(o.chunkSize !== undefined ? { chunkSize: o.chunkSize } : {}),
      ...(o.maxLineBytes !== undefined ? { maxLineBytes: o.maxLineBytes } : {}),
    };
    const report = (kind: 0 | 1, file: string, line: number, reason: string): void =>
      kind === 0 ? this.reportMalformed(file, line, reason) : this.reportWarning(file, line, reason);
    return scanOnReadThread({ paths: this.paths, options: crossing, request }, options, report, started);
  }

  private reportMalformed(file: string, line: number, reason: string): void {
    this.malformed++;
    this.opts.onMalformed?.({ file, line, reason });
  }

  private reportWarning(file: string, line: number, reason: string): void {
    this.warnings++;
    this.opts.onWarning?.({ file, line, reason });
  }

  /** Checks an input is readable, without opening it yet (no descriptor is held per pending file). */
  private async prepare(path: string): Promise<Input> {
    if (path === '-') {
      if (this.stdinConsumed) {
        throw new VigilError('INPUT_IO', 'cannot read stdin: it was already read by an earlier scan (save it to a file to search it several times)');
      }
      // `< dir`: Node's stdin ends at once without an error, and the run went on as over no events (exit 0), where
      // `cat < dir` fails with EISDIR.
      if (this.opts.stdin === undefined && fstatSync(0).isDirectory()) throw ioError('stdin', Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
      return { path, label: 'stdin', isStdin: true };
    }
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      await access(path, fsConstants.R_OK);
      if (!st.isFile()) {
        if (this.streamsRead.has(path)) throw new Error('a pipe is read once, by an earlier scan (save it to a file to search it several times)');
        return { path, label: path, isStdin: false, stream: true };
      }
      return { path, label: path, isStdin: false, size: st.size, mtime: st.mtimeMs / 1000 };
    } catch (err) {
      throw ioError(path, err);
    }
  }

  /**
   * Which of this input's events can pass the metadata constraints, decided once per input:
   * null when none can (skip the file), else the raw prefilter to use: the request's, plus the
   * top-level key when only processExec/processConnect events can match (necessary conditions only;
   * every parsed event is still checked with the full metadata predicate). A scan shared by several
   * searches needs a line when one of them does: the OR of each search's own filter and keys.
   */
  private planInput(request: ScanRequest, input: Input): { raw: RawFilter | null } | null {
    const whole = this.planOne(request, input);
    if (whole === null) return null;
    const all = (items: RawFilter[]): RawFilter | null => (items.length === 0 ? null : items.length === 1 ? (items[0] as RawFilter) : { kind: 'and', items });
    if (request.alternatives === undefined || request.alternatives.length === 0) return { raw: all([whole.raw, whole.keys].filter((x) => x !== null)) };
    // Searches grouped by the event kinds they read: a line's kind is tested once, then its searches' filters.
    const groups = new Map<string, { keys: RawFilter | null; raws: RawFilter[] | null }>();
    for (const alt of request.alternatives) {
      const p = this.planOne(alt, input);
      if (p === null) continue; // this search reads nothing of this input
      const id = JSON.stringify(p.keys);
      const g = groups.get(id) ?? groups.set(id, { keys: p.keys, raws: [] }).get(id)!;
      if (p.raw === null) g.raws = null;
      else g.raws?.push(p.raw);
    }
    if (groups.size === 0) return null;
    const branches: RawFilter[] = [];
    for (const g of groups.values()) {
      const inner = g.raws === null ? null : g.raws.length === 1 ? (g.raws[0] as RawFilter) : { kind: 'or' as const, items: g.raws };
      const branch = all([g.keys, inner].filter((x) => x !== null));
      if (branch === null) return { raw: all([whole.raw, whole.keys].filter((x) => x !== null)) }; // some search needs every line
      branches.push(branch);
    }
    return { raw: branches.length === 1 ? (branches[0] as RawFilter) : { kind: 'or', items: branches } };
  }

  /** One request's raw filter and the top-level keys its sourcetypes allow (null: nothing to require). */
  private planOne(request: ScanRequest, input: Input): { raw: RawFilter | null; keys: RawFilter | null } | null {
    const hostFixed = this.opts.host !== undefined;
    // Host comes from each event's node_name unless overridden, so it cannot be judged per input.
    const probeReq = hostFixed ? request : { ...request, metadata: request.metadata.filter((c) => c.field !== 'host') };
    const probePass = metadataPredicate(probeReq);
    const candidates =
      this.opts.sourcetype !== undefined
        ? [this.opts.sourcetype]
        : [SOURCETYPE_PROCESS_EXEC, SOURCETYPE_PROCESS_CONNECT, SOURCETYPE_ISOVALENT];
    const allowed = candidates.filter((sourcetype) =>
      probePass({
        _time: 0,
        index: this.opts.index ?? DEFAULT_INDEX,
        sourcetype,
        source: this.opts.source ?? input.label,
        host: this.opts.host ?? '',
        _raw: '',
      }),
    );
    if (allowed.length === 0) return null;
    if (this.opts.sourcetype !== undefined || allowed.includes(SOURCETYPE_ISOVALENT)) return { raw: request.raw, keys: null };
    const keys = allowed.map((st): RawFilter => ({
      kind: 'contains',
      text: st === SOURCETYPE_PROCESS_EXEC ? '"process_exec"' : '"process_connect"',
      key: true,
    }));
    return { raw: request.raw, keys: keys.length === 1 ? (keys[0] as RawFilter) : { kind: 'or', items: keys } };
  }

  private stdinChunks(signal: AbortSignal | undefined): AsyncGenerator<Chunk> {
    this.stdinConsumed = true;
    return streamChunks(this.opts.stdin ?? process.stdin, 'stdin', signal);
  }
}

/**
 * Reads a file in big chunks; gzip (detected by its magic bytes, whatever the extension) is inflated.
 * Reads are made on this thread (`readSync`) while each takes less than `syncReadMs` (the page cache); a slower one
 * waited for the disk, and the next run ahead of the consumer on the pool threads (READ_AHEAD chunks in flight, each
 * into its own buffer), as a stream's read-ahead does, until one of every PROBE_READS made here again is fast.
 */
async function* fileChunks(
  input: Input,
  chunkSize: number,
  signal: AbortSignal | undefined,
  range?: FileRange,
  onFirst?: (first: Buffer, readSize: number) => Buffer[] | null,
  syncReadMs = SYNC_READ_MS,
): AsyncGenerator<Chunk> {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  // In-flight reads, oldest first: each fills `len` bytes of its own buffer at its own position.
  let ahead: { buf: Buffer; pos: number; len: number; done: Promise<{ bytesRead: number }> }[] = [];
  // Whether the next read is made on this thread (`readSync`), and the async reads made since the last such read.
  let sync = true;
  let pooled = 0;
  let end = range?.end ?? Infinity;
  try {
    fh = await open(input.path, 'r');
    // A small file needs no big buffers (a file growing meanwhile is still read whole, in more reads).
    const first = Buffer.allocUnsafe(Math.max(Math.min(chunkSize, (input.size ?? chunkSize) + 1), 2));
    const head = await fh.read(first, 0, 2, 0);
    if (head.bytesRead === 2 && first[0] === 0x1f && first[1] === 0x8b) {
      await fh.close();
      fh = undefined;
      yield* gzipChunks(input.path, chunkSize, signal);
      return;
    }
    const file = fh;
    let free: Buffer[] = [first, ...Array.from({ length: READ_AHEAD }, () => Buffer.allocUnsafe(first.length))];
    // With `onFirst`, the first chunk is read alone: the buffers it may give replace these for the next ones.
    let asking = onFirst !== undefined;
    let given: Buffer[] | null = null;
    let next = range?.start ?? 0; // where the next read starts
    let more = range?.more;
    const fill = (): void => {
      for (;;) {
        while (ahead.length < (asking || sync ? 1 : READ_AHEAD) && next < end) {
          const buf = free.pop() as Buffer;
          const len = Math.min(buf.length, end - next);
          if (sync) {
            const t = performance.now();
            ahead.push({ buf, pos: next, len, done: Promise.resolve({ bytesRead: readSync(file.fd, buf, 0, len, next) }) });
            // It waited for the disk (or paged in fresh memory): the next reads go to the pool threads, ahead.
            if (performance.now() - t > syncReadMs) sync = false;
          } else {
            ahead.push({ buf, pos: next, len, done: file.read(buf, 0, len, next) });
            // Now and then, one on this thread again, to see whether the page cache holds the rest.
            if (++pooled % PROBE_READS === 0) sync = true;
          }
          next += len;
        }
        if (next < end || more === undefined || ahead.length >= (asking || sync ? 1 : READ_AHEAD)) return;
        // Reads reached the range's end with room for more: it may grow (once null, it stays where it is).
        const grown = more();
        if (grown === null || grown <= end) {
          more = undefined;
          return;
        }
        end = grown;
      }
    };
    fill();
    while (ahead.length > 0) {
      const { buf, pos, len, done } = ahead.shift() as (typeof ahead)[number];
      const { bytesRead } = await done;
      if (bytesRead === 0) break;
      if (bytesRead < len) {
        // A short read (the end of the file for now): the reads after it started at guessed positions.
        await Promise.allSettled(ahead.map((r) => r.done));
        free.push(...ahead.map((r) => r.buf));
        ahead = [];
        next = pos + bytesRead;
      }
      if (asking) {
        asking = false;
        given = (onFirst as NonNullable<typeof onFirst>)(buf.subarray(0, bytesRead), buf.length);
        if (given !== null) free = [...given];
      }
      fill();
      // The consumer decodes each chunk before asking for the next one, so its buffer can be refilled then.
      yield { data: buf.subarray(0, bytesRead), bytes: pos + bytesRead };
      if (given === null || given.includes(buf)) free.push(buf);
      // Nothing left in flight: the range may have been let grow while the consumer had this chunk.
      if (ahead.length === 0) fill();
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (err instanceof VigilError) throw err;
    throw ioError(input.path, err);
  } finally {
    await Promise.allSettled(ahead.map((r) => r.done)); // reads ahead must end before the handle closes
    await fh?.close();
  }
}

/**
 * A stream's bytes (stdin, a FIFO; replay's inputs), inflated when its first two bytes say gzip, as files are;
 * a read or gzip error is INPUT_IO naming `label`.
 */
export async function* streamChunks(stream: Readable, label: string, signal: AbortSignal | undefined, onStart?: () => void): AsyncGenerator<Chunk> {
  onStart?.();
  // node:stream and node:zlib are loaded by the inputs that use them (~10 ms of start-up a file run does not pay).
  const { Readable: ReadableFrom, addAbortSignal, pipeline } = await import('node:stream');
  if (signal) addAbortSignal(signal, stream);
  let bytes = 0; // read from the stream (compressed bytes for gzip)
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  try {
    // Gzip is told by its first two bytes, as for files: read until there are two (a chunk may hold one).
    const head: (Buffer | string)[] = [];
    let headBytes = 0;
    while (headBytes < 2) {
      const r = await it.next();
      if (r.done) break;
      head.push(r.value);
      headBytes += typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length;
      if (typeof r.value === 'string') break;
    }
    const first = head.length > 0 && typeof head[0] !== 'string' ? Buffer.concat(head as Buffer[]) : null;
    const rest = async function* (): AsyncGenerator<Buffer | string> {
      yield* head;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    };
    if (first !== null && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
      const { createGunzip } = await import('node:zlib');
      const counted = async function* (): AsyncGenerator<Buffer> {
        for await (const data of rest()) {
          bytes += (data as Buffer).length;
          yield data as Buffer;
        }
      };
      const gunzip = pipeline(ReadableFrom.from(counted()), createGunzip(), () => {});
      for await (const data of gunzip as AsyncIterable<Buffer>) yield { data, bytes };
      return;
    }
    for await (const data of rest()) {
      bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      yield { data, bytes };
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw ioError(label, err);
  } finally {
    await it.return?.(); // a consumer that stops early: the stream is destroyed, as a for-await over it does
  }
}

async function* gzipChunks(path: string, chunkSize: number, signal: AbortSignal | undefined): AsyncGenerator<Chunk> {
  const [{ addAbortSignal, pipeline }, { createGunzip }] = await Promise.all([import('node:stream'), import('node:zlib')]);
  const src = createReadStream(path, { highWaterMark: chunkSize });
  const gunzip = createGunzip({ chunkSize: Math.min(chunkSize, 1 << 18) });
  // pipeline forwards a read error from `src` to `gunzip`, which makes the iteration below throw.
  pipeline(src, gunzip, () => {});
  if (signal) addAbortSignal(signal, gunzip);
  try {
    for await (const data of gunzip as AsyncIterable<Buffer>) yield { data, bytes: src.bytesRead };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw ioError(path, err);
  } finally {
    src.destroy();
    gunzip.destroy();
  }
}

/** The first `bytes` of a plain file (fewer when it is shorter). */
function fileHead(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

function ioError(path: string, err: unknown): VigilError {
  return new VigilError('INPUT_IO', `cannot read ${path}: ${fileErrorReason(err)}`, { cause: err });
}

/**
 * The lines the prefilter skipped since the last parsed event (the newest SKIPPED_RING of them), to give a later
 * time-less event its predecessor's time. Kept as they came and decoded only if needed: decoded lines, lines of a
 * window's latin1 text, and spans of whole lines the line scan walked past (in its memory, which `detach` copies
 * out of before the scanner takes the next chunk). Blank lines in spans do not count: the other paths drop them.
 */
class SkippedLines {
  /** Newest last; at most SKIPPED_RING entries, each at least one line. */
  private entries: SkippedEntry[] = [];
  /** Where `detach` copies lines: [0] holds those kept by the latest detach, [1] is written by the next. */
  private copies: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];

  add(line: string): void {
    this.push({ text: line, start: 0, end: -1 });
  }

  addLatin1(text: string, start: number, end: number): void {
    this.push({ text, start, end });
  }

  /** The lines of `bytes[start, end)`, each ending in a line feed. */
  addSpan(bytes: Buffer, start: number, end: number): void {
    this.push({ bytes, start, end });
  }

  /** An event was parsed: earlier skipped lines no longer matter. */
  clear(): void {
    this.entries.length = 0;
  }

  /**
   * Copies the newest lines of spans out of the line scanner's memory, which it reuses. They go to one of two
   * buffers kept for it, with the older kept lines the other one holds: a fresh buffer each chunk (~27 KB) cost the
   * seed detection ~14 ms of its ~0.4 s in allocation, for lines almost never read.
   */
  detach(): void {
    let keep = SKIPPED_RING;
    let k = this.entries.length - 1;
    // The newest lines' spans: [entry, from] of each entry holding bytes, newest first.
    const spans: [number, number][] = [];
    let bytes = 0;
    for (; k >= 0 && keep > 0; k--) {
      const entry = this.entries[k] as SkippedEntry;
      if (!('bytes' in entry)) {
        keep--;
        continue;
      }
      let from = entry.end;
      for (const [s] of spanLines(entry.bytes, entry.start, entry.end)) {
        from = s;
        if (--keep === 0) break;
      }
      spans.push([k, from]);
      bytes += entry.end - from;
    }
    this.entries.splice(0, k + 1); // older than the newest SKIPPED_RING lines
    const removed = k + 1;
    if (bytes > this.copies[1].length) this.copies[1] = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * this.copies[1].length, 1 << 15));
    const into = this.copies[1];
    let at = 0;
    for (const [i, from] of spans) {
      const entry = this.entries[i - removed] as SkippedEntry & { bytes: Buffer };
      entry.bytes.copy(into, at, from, entry.end);
      this.entries[i - removed] = { bytes: into, start: at, end: at + entry.end - from };
      at += entry.end - from;
    }
    this.copies.reverse(); // the lines kept now are in copies[0]; the next detach writes the other
  }

  /** The newest valid `time` among the newest SKIPPED_RING skipped lines, or null. */
  time(): number | null {
    let left = SKIPPED_RING;
    for (let k = this.entries.length - 1; k >= 0 && left > 0; k--) {
      const entry = this.entries[k] as SkippedEntry;
      if ('bytes' in entry) {
        for (const [s, e] of spanLines(entry.bytes, entry.start, entry.end)) {
          const t = timeOfLine(entry.bytes.toString('utf8', s, e));
          if (t !== null) return t;
          if (--left === 0) break;
        }
        continue;
      }
      // latin1 → bytes → UTF-8: exactly the line as the per-line path decodes it.
      const t = timeOfLine(entry.end < 0 ? entry.text : Buffer.from(entry.text.slice(entry.start, entry.end), 'latin1').toString('utf8'));
      if (t !== null) return t;
      left--;
    }
    return null;
  }

  private push(entry: SkippedEntry): void {
    if (this.entries.length === SKIPPED_RING) this.entries.shift();
    this.entries.push(entry);
  }
}

type SkippedEntry = { text: string; start: number; end: number } | { bytes: Buffer; start: number; end: number };

/** The non-blank lines of `bytes[start, end)` (whole lines, each ending in a line feed), newest first, without their CR. */
function* spanLines(bytes: Buffer, start: number, end: number): Generator<[number, number]> {
  let e = end - 1; // the line feed of the newest line
  while (e >= start) {
    const s = e > start ? Math.max(start, bytes.lastIndexOf(10, e - 1) + 1) : start;
    let i = s;
    let j = e;
    while (i < j && isJsonSpace(bytes[i] as number)) i++;
    while (j > i && isJsonSpace(bytes[j - 1] as number)) j--;
    if (i < j) yield [s, e > s && bytes[e - 1] === 13 ? e - 1 : e];
    e = s - 1;
  }
}

/** Cheap gate before `trim()`: could this character start a whitespace-only line? */
function isSpace(c: number): boolean {
  return c <= 32 || c > 126;
}

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Found lines the sample must hold, at least, for passesMostFound to judge. */
const MIN_FOUND_SAMPLE = 20;

/**
 * Whether `test` passes at least MOSTLY_PASSING of the sample lines the line scan would stop at (holding an anchor
 * and one literal of each other conjunct, in either ASCII case), given at least MIN_FOUND_SAMPLE of them. At 90%,
 * the pack less Non Allowlisted Image Use over the bench's mixed lines (84% of found lines pass) tested each found
 * line with its 146-literal alternation: 2.55-2.74 s of CPU, 2.24-2.38 s at 60%.
 */
function passesMostFound(lines: readonly string[], anchors: RawAnchors, test: (raw: string) => boolean): boolean {
  let found = 0;
  let passed = 0;
  for (const line of lines) {
    const lower = line.toLowerCase();
    if (!anchors.texts.some((t) => lower.includes(t))) continue;
    if (!anchors.conjuncts.every((c) => c.texts.some((t) => lower.includes(t)))) continue;
    found++;
    if (test(line)) passed++;
  }
  return found >= MIN_FOUND_SAMPLE && passed >= MOSTLY_PASSING * found;
}

/** First and last non-whitespace characters are `{` and `}`: what every JSON object line satisfies. */
function looksLikeObject(line: string): boolean {
  let i = 0;
  let j = line.length - 1;
  while (i <= j && isJsonSpace(line.charCodeAt(i))) i++;
  while (j >= i && isJsonSpace(line.charCodeAt(j))) j--;
  return i < j && line.charCodeAt(i) === 123 && line.charCodeAt(j) === 125;
}

function malformedReason(line: string): string {
  // Only reached for lines that are not object-shaped: valid JSON here is an array, string, …
  const parsed = parseJsonLine(line);
  return typeof parsed === 'string' ? parsed : 'not a JSON object';
}

/** The valid `time` of a line, or null (used only to resolve a later time-less event's time). */
function timeOfLine(line: string): number | null {
  const parsed = parseJsonLine(line);
  if (typeof parsed === 'string' || !isJsonObject(parsed.json)) return null;
  const t = parsed.json['time'];
  return typeof t === 'string' ? parseTetragonTime(t) : null;
}
