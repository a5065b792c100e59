/**
 * The one HTTP POST vigil sends with (the network alert actions, `vigil replay`): node:http/https, a keep-alive
 * agent per client, a deadline for the whole exchange and/or an idle timeout, abortable, the reply's body read up to
 * a cap (for error messages and HEC replies), the connection cut beyond it or the rest drained.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { printable } from './printable.js';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most `MAX_REPLY_BYTES` of the body, as UTF-8. */
  body: string;
}

/**
 * No complete HTTP reply: the request may or may not have reached the receiver. `reason` says why: `tls` (the
 * receiver's certificate was refused: trying again changes nothing until the configuration does), `cut` (a reply
 * began, its status known, and the connection closed before its end), `network` (no reply: refused, reset, DNS),
 * `timeout`, `aborted`. The message is vigil's; `cause`, when set, is node's error.
 */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'network' | 'tls' | 'cut' | 'aborted',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpFailure';
  }
}

export interface HttpClientOptions {
  /** Verify the receiver's certificate (https). */
  verifyTls: boolean;
  /** PEM CA bundle to trust; replaces node's default CAs (node's `ca` semantics). */
  caFile?: string;
  maxSockets?: number;
}

export interface PostOptions {
  headers: Record<string, string>;
  /** Deadline of the whole exchange: connect, upload, the complete reply. */
  timeoutMs?: number;
  /** The socket silent this long fails the request (the exchange itself may take longer). */
  idleTimeoutMs?: number;
  /**
   * Deadline of the reply alone, from its first byte (status line) to its end: a receiver that keeps a reply going (a
   * few bytes at a time, so the socket is never idle), in its head or its body, fails the request instead of holding
   * it for ever. Set it with `drain`.
   */
  replyTimeoutMs?: number;
  /**
   * A reply longer than the cap is read to its end, the rest discarded, and counts only once complete (a cut is a
   * `cut` failure). Without it the connection is cut at the cap and the status counts at once.
   */
  drain?: boolean;
  signal?: AbortSignal;
}

/** Enough of a reply to report an error or read a HEC status; beyond it the reply is cut off or drained. */
const MAX_REPLY_BYTES = 64 * 1024;

/** Node's errors for a certificate it refused (self-signed, expired, unknown CA, wrong name...). */
function isTlsRefusal(e: NodeJS.ErrnoException): boolean {
  return e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT' || /certificate/i.test(e.message);
}

export class HttpClient {
  private readonly agent: HttpAgent | HttpsAgent;

  constructor(
    readonly url: URL,
    opts: HttpClientOptions,
  ) {
    const common = { keepAlive: true, maxSockets: opts.maxSockets ?? 4 };
    this.agent =
      url.protocol === 'https:'
        ? new HttpsAgent({ ...common, rejectUnauthorized: opts.verifyTls, ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}) })
        : new HttpAgent(common);
  }

  post(target: URL, body: string | Buffer, opts: PostOptions): Promise<HttpReply> {
    const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpReply>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new HttpFailure('aborted before sending', 'aborted'));
      let settled = false;
      let replyDeadline: NodeJS.Timeout | undefined;
      let stopWatching = (): void => {};
      const finish = (err: Error | null, reply?: HttpReply): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        clearTimeout(replyDeadline);
        stopWatching();
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(reply as HttpReply);
      };
      const options = { method: 'POST', agent: this.agent, headers: { ...opts.headers, 'Content-Length': String(data.length) }, ...(opts.idleTimeoutMs ? { timeout: opts.idleTimeoutMs } : {}) };
      // The reply's clock starts at its first byte, not at its parsed head: a status line and headers dripped a
      // byte at a time (the socket never idle) would otherwise hold the request until the header limit (16 KiB).
      const startReplyClock = (): void => {
        if (opts.replyTimeoutMs === undefined || settled || replyDeadline !== undefined) return;
        const ms = opts.replyTimeoutMs;
        replyDeadline = setTimeout(() => fail(new HttpFailure(`the reply did not end within ${ms} ms of its start`, 'timeout')), ms);
      };
      const req = make(target, options, (res) => {
        startReplyClock();
        const chunks: Buffer[] = [];
        let size = 0;
        const reply = (): HttpReply => ({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).subarray(0, MAX_REPLY_BYTES).toString('utf8') });
        res.on('data', (c: Buffer) => {
          if (size < MAX_REPLY_BYTES) chunks.push(c);
          size += c.length;
          // The status is known and the cap holds all we read: a reply without end must not hold the
          // delivery until the deadline (and turn a 2xx into a retry). The connection cannot be reused.
          if (size >= MAX_REPLY_BYTES && !opts.drain) {
            finish(null, reply());
            req.destroy();
          }
        });
        res.on('end', () => finish(null, reply()));
        res.on('error', (e) => finish(new HttpFailure(`reading the reply failed: ${e.message}`, 'cut', { cause: e })));
        // Closed before its end without an error event: no answer either (the promise must settle).
        res.on('close', () => {
          if (!res.complete) finish(new HttpFailure('reading the reply failed: the connection closed', 'cut'));
        });
      });
      const fail = (err: HttpFailure): void => {
        finish(err);
        req.destroy(err);
      };
      // The deadline covers connect, upload and the whole reply: a receiver that accepts and hangs is a failure.
      const deadline = opts.timeoutMs === undefined ? undefined : setTimeout(() => fail(new HttpFailure(`no complete reply within ${opts.timeoutMs} ms`, 'timeout')), opts.timeoutMs);
      const onAbort = (): void => fail(new HttpFailure('aborted (dispatcher stopping)', 'aborted'));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.replyTimeoutMs !== undefined) {
        req.once('socket', (socket) => {
          socket.once('data', startReplyClock);
          stopWatching = () => socket.removeListener('data', startReplyClock);
        });
      }
      req.on('timeout', () => fail(new HttpFailure(`no data for ${opts.idleTimeoutMs} ms`, 'timeout')));
      req.on('error', (e: NodeJS.ErrnoException) => finish(new HttpFailure(`${e.code ? `${e.code}: ` : ''}${e.message}`, isTlsRefusal(e) ? 'tls' : 'network', { cause: e })));
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * `Retry-After` as milliseconds from `nowSeconds`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowSeconds: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowSeconds * 1000);
}

/**
 * A receiver's text for a log line and the outbox's lastError: one line, bounded, and without control,
 * format (bidi) or lone surrogate characters, which could rewrite an operator's terminal.
 */
export function snippet(body: string, max = 200): string {
  const one = printable(body.replace(/\s+/g, ' ')).trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** A reply's body as JSON, or null when it is not (a proxy's HTML page, a reply cut at the cap). */
export function parseJsonReply(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return null;
  }
}
