/**
 * The one HTTP POST the network actions need: node:http/https, keep-alive agent per action, a deadline for
 * the whole exchange, abortable, response body read up to a cap (for error messages and HEC replies), the
 * connection cut beyond it.
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { printable } from './printable.js';

export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** No HTTP reply at all: the request may or may not have reached the receiver. Always retryable. */
export class HttpFailure extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'network' | 'aborted',
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
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Enough of a reply to report an error or read a HEC status; beyond it the reply is cut off. */
const MAX_REPLY_BYTES = 64 * 1024;

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
      const finish = (err: Error | null, reply?: HttpReply): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        opts.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(reply as HttpReply);
      };
      const req = make(target, { method: 'POST', agent: this.agent, headers: { ...opts.headers, 'Content-Length': String(data.length) } }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const reply = (): HttpReply => ({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_REPLY_BYTES) });
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          size += c.length;
          // The status is known and the cap holds all we read: a reply without end must not hold the
          // delivery until the deadline (and turn a 2xx into a retry). The connection cannot be reused.
          if (size >= MAX_REPLY_BYTES) {
            finish(null, reply());
            req.destroy();
          }
        });
        res.on('end', () => finish(null, reply()));
        res.on('error', (e) => finish(new HttpFailure(`reading the reply failed: ${e.message}`, 'network', { cause: e })));
      });
      // The deadline covers connect, upload and the whole reply: a receiver that accepts and hangs is a failure.
      const deadline = setTimeout(() => {
        const err = new HttpFailure(`no complete reply within ${opts.timeoutMs} ms`, 'timeout');
        finish(err);
        req.destroy(err);
      }, opts.timeoutMs);
      const onAbort = (): void => {
        const err = new HttpFailure('aborted (dispatcher stopping)', 'aborted');
        finish(err);
        req.destroy(err);
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) => finish(new HttpFailure(`${e.code ? `${e.code}: ` : ''}${e.message}`, 'network', { cause: e })));
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
