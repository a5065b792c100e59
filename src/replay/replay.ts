import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { fileErrorReason, VigilError, type ErrorCode } from '../errors.js';
import { MAX_EVENT_TIME } from '../hec/events.js';
import { HttpClient, HttpFailure, parseJsonReply } from '../outputs/http.js';
import { printable } from '../outputs/printable.js';
import { DEFAULT_MAX_LINE, streamChunks } from '../sources/file.js';
import type { ReplayInput } from './datasets.js';
import { lineTime, shiftLine } from './shift.js';

export interface ReplayOptions {
  url: string;
  token: string;
  endpoint: 'raw' | 'event';
  index?: string;
  sourcetype?: string;
  source?: string;
  host?: string;
  /** Move Tetragon time fields so the newest event lands at `now` (epoch seconds). */
  shiftTo?: number;
  /** Events per second at most. */
  rate?: number;
  /** Verify TLS certificates (default true). */
  verifyTls?: boolean;
  /**
   * Wait for indexer acknowledgement of every batch: `true` (`vigil replay --ack`) requires it (a 200 without an
   * ackId is an error: the token has no useAck); `'when-enabled'` waits for the batches that got an ackId and
   * takes a plain 200 as sent (live tests, whatever the token).
   */
  ack?: boolean | 'when-enabled';
  /** Events per request. Default 1000. */
  batchSize?: number;
  /**
   * Body bytes per request: a batch ends before an event would take it past this (a bigger event goes alone).
   * Default 4 MiB, a quarter of vigil serve's `maxBodyBytes`.
   */
  batchBytes?: number;
  /** Requests in flight at once. Default 4 (the collector group-commits concurrent batches). */
  concurrency?: number;
  /** Attempts for a batch answered 503 / network errors. Default 8. */
  maxAttempts?: number;
  onProgress?: (p: ReplayProgress) => void;
  /** With onProgress: read the inputs once more first, for `eventsTotal` (a progress bar). Default true. */
  countTotal?: boolean;
  /** Injectable sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
}

export interface ReplayProgress {
  eventsSent: number;
  bytesSent: number;
  eventsTotal: number;
}

export interface ReplaySummary {
  eventsSent: number;
  eventsFailed: number;
  bytesSent: number;
  requests: number;
  retries: number;
  seconds: number;
  /** What failed, a line each, ending with its code (`[HEC_REFUSED]`; docs/errors.md). */
  errors: string[];
  /** Ack ids acknowledged (when ack is on). */
  acked: number;
}

interface HecReply {
  status: number;
  body: { text?: string; code?: number; ackId?: number; acks?: Record<string, boolean> } | null;
  raw: string;
}

/**
 * Statuses retried with backoff: HEC's 503 (code 9, server busy) and 429, and the 502/504 a load balancer in front of
 * the HEC answers when the indexer did not (docs/spl.md has no say here: README "Replaying datasets", Decision).
 */
const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

/** Slowest --rate: its pause between events (1/rate s) must fit a timer (2^31 ms; past it Node fires at once). */
export const MIN_RATE = 0.001;

/** What to do about the refusals a first replay meets: HEC's answer names no remedy. */
const HEC_HINTS: Record<number, string> = {
  4: ': check --token',
  7: ': the index must exist on the receiving side and be allowed for the token (into vigil: vigil indexes create NAME, or POST /api/indexes)',
};

/**
 * What replay says of a request that got no complete answer, in its words (HttpClient's own are the alert actions'
 * lastError): node's message for a refused, reset or TLS-refused connection, a reply cut or a silent socket named.
 */
function noAnswer(e: unknown): string {
  if (!(e instanceof HttpFailure)) return (e as Error).message;
  if (e.reason === 'cut') return 'the connection closed before the reply was complete';
  if (e.reason === 'timeout') return 'request timed out';
  return e.cause instanceof Error ? e.cause.message : e.message;
}

/**
 * A line of `ReplaySummary.errors`: ended with its code (docs/errors.md), as every error vigil prints. The message
 * quotes what the receiver answered: made printable, so a hostile receiver cannot send escape sequences to a terminal.
 */
function failure(code: ErrorCode, message: string): string {
  return `${printable(message)} [${code}]`;
}

/**
 * An option's http(s) base URL. Text that is no URL at all ("127.0.0.1:8088", the scheme forgotten) is the same
 * usage error as another scheme, not a TypeError (`vigil test --url notaurl` was "internal error: Invalid URL").
 */
export function httpBaseUrl(text: string, option: string): URL {
  const url = URL.canParse(text) ? new URL(text) : null;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') throw new VigilError('USAGE', `${option} must be http(s)://host:port, not ${text}`);
  return url;
}

/**
 * Sends datasets to any Splunk HEC (vigil's or a real Splunk's) the way attack_data's replay.py and
 * contentctl do: the file's lines POSTed to `/services/collector/raw` with index/source/sourcetype/host
 * query parameters and an `X-Splunk-Request-Channel`, or as `/event` envelopes. 503 (Splunk code 9, server
 * busy) and network errors are retried with exponential backoff; other rejections count as lost events.
 */
export async function replay(inputs: readonly ReplayInput[], opts: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  const base = httpBaseUrl(opts.url, '--url');
  if (opts.rate !== undefined && !(opts.rate >= MIN_RATE)) throw new VigilError('USAGE', `--rate must be a number of events per second, at least ${MIN_RATE}`);
  // Every input is checked before the first batch: a missing second file ended the replay half sent, without its summary.
  for (const input of inputs) checkInput(input.path);
  const client = new HttpClient(base, { verifyTls: opts.verifyTls !== false });
  const channel = randomUUID();
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const batchSize = opts.batchSize ?? 1000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const summary: ReplaySummary = { eventsSent: 0, eventsFailed: 0, bytesSent: 0, requests: 0, retries: 0, seconds: 0, errors: [], acked: 0 };
  const pendingAcks: number[] = [];
  let unacked = 0; // batches answered 200 without an ackId while --ack was asked for

  // For --shift-time the newest event across all inputs must be known first.
  let delta = 0;
  if (opts.shiftTo !== undefined) {
    let newest = -Infinity;
    for (const input of inputs) for await (const line of lines(input.path, () => {})) {
      const t = lineTime(line);
      if (t !== null && t > newest) newest = t;
    }
    if (newest > -Infinity) delta = opts.shiftTo - newest;
  }
  let total = 0;
  if (opts.onProgress && opts.countTotal !== false) for (const input of inputs) for await (const _ of lines(input.path, () => {})) total++;

  // A reply past the cap is drained, not cut: a batch counts once its answer is complete (cut, it is sent again). The
  // socket silent 60 s fails the request; a big batch over a slow link may take longer than that in all, but its
  // reply (a HEC answers in a few dozen bytes) must end within 60 s of its first byte: one that never ends is no answer.
  const post = async (path: string, body: string, query: Record<string, string | undefined>): Promise<HecReply> => {
    const u = new URL(path, base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, v);
    const headers = {
      Authorization: `Splunk ${opts.token}`,
      'X-Splunk-Request-Channel': channel,
      'Content-Type': path.endsWith('/raw') ? 'text/plain; charset=utf-8' : 'application/json',
    };
    const reply = await client.post(u, body, { headers, idleTimeoutMs: 60_000, replyTimeoutMs: 60_000, drain: true });
    return { status: reply.status, body: parseJsonReply(reply.body) as HecReply['body'], raw: reply.body };
  };

  /** A line as the request carries it: itself on /raw, its envelope on /event. */
  const encode = (input: ReplayInput, line: string): string => {
    if (opts.endpoint === 'raw') return line;
    const index = opts.index ?? input.index;
    const sourcetype = opts.sourcetype ?? input.sourcetype;
    const source = opts.source ?? input.source;
    const host = opts.host ?? input.host;
    // A time the collector refuses (before 1970, past year 2255: code 15) would cost the whole batch; without
    // one the event is dated at arrival, as /raw does with such a line.
    const t = lineTime(line);
    const time = t !== null && t >= 0 && t <= MAX_EVENT_TIME ? { time: t } : {};
    return JSON.stringify({ ...time, ...(index ? { index } : {}), ...(sourcetype ? { sourcetype } : {}), ...(source ? { source } : {}), ...(host ? { host } : {}), event: line });
  };

  // Set when a batch gave up without any answer (connection refused, DNS, timeouts): the receiver is down, and each
  // further batch would spend its own ~20 s of retries on it (a 1M-line file: hours). They are counted as failed.
  let unreachable: string | null = null;
  let notSent = 0;
  // An error that ends the replay (a TLS certificate refused): raised once the batches in flight have settled, so
  // none of them rejects with no one awaiting it (an unhandled rejection crashed the process with a stack trace).
  let fatal: unknown = null;
  const send = async (input: ReplayInput, batch: string[]): Promise<void> => {
    const raw = opts.endpoint === 'raw';
    const path = raw ? '/services/collector/raw' : '/services/collector/event';
    const body = raw ? batch.join('\n') + '\n' : batch.join('\n');
    const query: Record<string, string | undefined> = raw
      ? { index: opts.index ?? input.index, sourcetype: opts.sourcetype ?? input.sourcetype, source: opts.source ?? input.source, host: opts.host ?? input.host }
      : {};
    for (let attempt = 1; ; attempt++) {
      if (unreachable !== null || fatal !== null) {
        summary.eventsFailed += batch.length;
        notSent++;
        return;
      }
      let error: string;
      let answered = false;
      try {
        summary.requests++;
        const reply = await post(path, body, query);
        answered = true;
        if (reply.status === 200) {
          summary.eventsSent += batch.length;
          summary.bytesSent += Buffer.byteLength(body);
          if (opts.ack) {
            if (typeof reply.body?.ackId === 'number') pendingAcks.push(reply.body.ackId);
            // Splunk gives no ackId when the token has no useACK: its 200 then only means "appears valid".
            else if (opts.ack === true) unacked++;
          }
          return;
        }
        error = `HTTP ${reply.status}: ${reply.body?.text ?? reply.raw.slice(0, 200)}${reply.body?.code !== undefined ? ` (code ${reply.body.code})` : ''}${HEC_HINTS[reply.body?.code ?? -1] ?? ''}`;
        if (!RETRIED_STATUSES.has(reply.status)) {
          summary.eventsFailed += batch.length;
          summary.errors.push(failure('HEC_REFUSED', error));
          return;
        }
      } catch (e) {
        error = noAnswer(e);
        if (e instanceof HttpFailure && e.reason === 'tls') {
          fatal ??= new VigilError(
            'USAGE',
            `TLS certificate of ${base.host} rejected (${error}); trust its CA with NODE_EXTRA_CA_CERTS=ca.pem, or pass --insecure only if you trust this server`,
          );
          summary.eventsFailed += batch.length;
          return;
        }
      }
      if (attempt >= maxAttempts) {
        summary.eventsFailed += batch.length;
        summary.errors.push(failure('HEC_UNAVAILABLE', `gave up after ${attempt} attempts: ${error}`));
        if (!answered) unreachable = error;
        return;
      }
      summary.retries++;
      await sleep(Math.min(30_000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
    }
  };

  const pace = async () => {
    if (!opts.rate) return;
    const due = (summary.eventsSent + summary.eventsFailed) / opts.rate;
    const elapsed = (Date.now() - started) / 1000;
    if (due > elapsed) await sleep((due - elapsed) * 1000);
  };

  // A few requests in flight keep the collector's group commit busy; pacing (--rate) sends one at a time.
  const concurrency = opts.rate ? 1 : Math.max(1, opts.concurrency ?? 4);
  const inFlight = new Set<Promise<void>>();
  const dispatch = async (input: ReplayInput, batch: string[]) => {
    const p = send(input, batch).catch((e: unknown) => void (fatal ??= e)).then(() => {
      inFlight.delete(p);
      opts.onProgress?.({ eventsSent: summary.eventsSent, bytesSent: summary.bytesSent, eventsTotal: total });
    });
    inFlight.add(p);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
    await pace();
  };
  const perBatch = opts.rate ? Math.max(1, Math.min(batchSize, Math.floor(opts.rate / 10))) : batchSize;
  const batchBytes = opts.batchBytes ?? 4 << 20;
  const tooLong = (path: string, line: number, bytes: number): void => {
    summary.eventsFailed++;
    summary.errors.push(failure('INPUT_MALFORMED', `${path}:${line}: line of ${bytes} bytes is longer than the limit (${DEFAULT_MAX_LINE} bytes): not sent`));
  };
  for (const input of inputs) {
    let batch: string[] = [];
    let bytes = 0;
    for await (const raw of lines(input.path, (line, n) => tooLong(input.path, line, n))) {
      if (fatal !== null) break;
      const item = encode(input, delta ? shiftLine(raw, delta) : raw);
      const size = Buffer.byteLength(item) + 1;
      if (batch.length > 0 && bytes + size > batchBytes) {
        await dispatch(input, batch);
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += size;
      if (batch.length >= perBatch) {
        await dispatch(input, batch);
        batch = [];
        bytes = 0;
      }
    }
    if (batch.length) await dispatch(input, batch);
  }
  await Promise.all(inFlight);
  if (fatal !== null) {
    client.close();
    throw fatal;
  }
  if (notSent) summary.errors.push(failure('HEC_UNAVAILABLE', `${notSent} more batch(es) failed without further attempts: the receiver was unreachable (${unreachable})`));

  if (opts.ack && pendingAcks.length) {
    const deadline = Date.now() + 120_000;
    let waiting = [...pendingAcks];
    let lost = 0; // polls in a row that got no answer
    while (waiting.length && Date.now() < deadline) {
      let reply: HecReply;
      try {
        reply = await post('/services/collector/ack', JSON.stringify({ acks: waiting }), {});
        lost = 0;
      } catch (e) {
        // No answer to a poll (connection closed, timeout) was an internal error that lost the summary: polled again
        // as a batch is sent again, then reported.
        if (++lost >= maxAttempts) {
          summary.errors.push(failure('HEC_UNAVAILABLE', `ack query got no answer after ${lost} attempts: ${noAnswer(e)}`));
          break;
        }
        await sleep(Math.min(30_000, 250 * 2 ** (lost - 1)));
        continue;
      }
      // 503 (code 9, server busy) and 429 are "retry later", as for the batches: poll again, do not give up.
      if (reply.status === 503 || reply.status === 429) {
        await sleep(1000);
        continue;
      }
      if (reply.status !== 200 || !reply.body?.acks) {
        summary.errors.push(failure('HEC_REFUSED', `ack query failed: HTTP ${reply.status} ${reply.raw.slice(0, 200)}`));
        break;
      }
      const acks = reply.body.acks;
      summary.acked += waiting.filter((id) => acks[String(id)] === true).length;
      waiting = waiting.filter((id) => acks[String(id)] !== true);
      if (waiting.length) await sleep(500);
    }
    if (waiting.length) summary.errors.push(failure('HEC_ACK', `${waiting.length} batch(es) never acknowledged`));
  }
  if (unacked) summary.errors.push(failure('HEC_ACK', `${unacked} batch(es) answered without an ackId (does the token have useAck?): not acknowledged`));
  client.close();
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/** An input that cannot be read is refused before anything is sent; a URL is said to be one (nothing is downloaded). */
function checkInput(path: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) throw new VigilError('INPUT_IO', `cannot read ${path}: vigil replay reads local files and downloads nothing; download it first`);
  // `-` is stdin to the other commands (--events -); a replay reads its inputs more than once (--shift-time, the count).
  if (path === '-') throw new VigilError('INPUT_IO', 'cannot read -: vigil replay reads files, not stdin (it reads each input more than once); save it to a file first');
  try {
    statSync(path);
  } catch (e) {
    throw new VigilError('INPUT_IO', `cannot read ${path}: ${fileErrorReason(e)}`);
  }
}

/**
 * The non-blank lines of a file as `--events` reads them (sources/file.ts): gzip (by its magic bytes) inflated,
 * split on LF only, a trailing CR and line 1's BOM dropped, a line longer than DEFAULT_MAX_LINE skipped
 * (`onLong(line number, bytes)`) without holding it. A truncated or corrupt gzip is INPUT_IO.
 */
export async function* lines(path: string, onLong: (line: number, bytes: number) => void): AsyncGenerator<string> {
  try {
    // One open, as a stream (a FIFO cannot be opened twice for one writer), gzip told by its first bytes.
    const input = streamChunks(createReadStream(path), path, undefined);
    let parts: Buffer[] = []; // the current line's bytes so far, across chunks
    let held = 0;
    let long = 0; // bytes of a line past the limit, only counted
    let lineNo = 0;
    const end = (last: Buffer): string | null => {
      lineNo++;
      const bytes = (long > 0 ? long : held) + last.length;
      if (long > 0 || bytes > DEFAULT_MAX_LINE) {
        onLong(lineNo, bytes);
        parts = [];
        held = 0;
        long = 0;
        return null;
      }
      const whole = parts.length === 0 ? last : Buffer.concat([...parts, last]);
      parts = [];
      held = 0;
      let line = whole.toString('utf8', 0, whole.length > 0 && whole[whole.length - 1] === 13 ? whole.length - 1 : whole.length);
      if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      return line.trim() === '' ? null : line;
    };
    const keep = (piece: Buffer): void => {
      if (long > 0 || held + piece.length > DEFAULT_MAX_LINE) {
        long = long > 0 ? long + piece.length : held + piece.length;
        parts = [];
        held = 0;
        return;
      }
      parts.push(Buffer.from(piece)); // stream chunks may be reused
      held += piece.length;
    };
    for await (const { data } of input) {
      const chunk = data as Buffer; // a stream without an encoding gives Buffers
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const line = end(chunk.subarray(start, nl));
        start = nl + 1;
        if (line !== null) yield line;
      }
      if (start < chunk.length) keep(chunk.subarray(start));
    }
    if (held > 0 || long > 0) {
      const line = end(Buffer.alloc(0));
      if (line !== null) yield line;
    }
  } catch (e) {
    if (e instanceof VigilError) throw e;
    throw new VigilError('INPUT_IO', `cannot read ${path}: ${(e as Error).message}`);
  }
}

