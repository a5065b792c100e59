/**
 * Request bodies of the API, read within limits: a size cap enforced while reading (a declared
 * Content-Length over it is refused before anything is read; chunked bodies are cut at the first byte over),
 * an idle timeout (no byte for a while) and a total one. What a refused request still sends is discarded by
 * @hono/node-server (at most 64 MiB for 500 ms, then the connection is closed), never buffered.
 */
import { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { DEFAULTS } from '../config/config.js';
import { ByteBudget, nestsDeeperThan } from '../hec/index.js';
import { fail, type ApiDeps } from './context.js';

export interface BodyLimits {
  maxBytes: number;
  /**
   * Body bytes held at once by all API requests (`http.maxInflightBytes`), charged as they arrive and released when
   * the request is answered: 1,500 connections sending 1 MiB bodies each held 1.5 GB before.
   */
  budget: ByteBudget;
  /** No body byte for this long → 408. */
  idleMs: number;
  /** The whole body not received this long after reading began → 408. */
  totalMs: number;
}

/** Each server's budget (one per ApiDeps: the API's routes and its login share it). */
const BUDGETS = new WeakMap<object, ByteBudget>();

/** The limits of API routes (`http.maxBodyBytes`) and of the login (`http.maxLoginBodyBytes`); default the config's defaults. */
export function apiBodyLimits(deps: Pick<ApiDeps, 'requestLimits'>): { api: BodyLimits; login: BodyLimits } {
  const http = deps.requestLimits ?? { maxBodyBytes: DEFAULTS.httpMaxBodyBytes, maxLoginBodyBytes: DEFAULTS.httpMaxLoginBodyBytes, maxInflightBytes: DEFAULTS.httpMaxInflightBytes, timeouts: DEFAULTS.httpTimeouts };
  let budget = BUDGETS.get(deps);
  if (budget === undefined) BUDGETS.set(deps, (budget = new ByteBudget(http.maxInflightBytes)));
  const idleMs = http.timeouts.bodyIdleMs;
  const totalMs = http.timeouts.bodyMs;
  return { api: { maxBytes: http.maxBodyBytes, budget, idleMs, totalMs }, login: { maxBytes: http.maxLoginBodyBytes, budget, idleMs, totalMs } };
}

/**
 * A body refused while reading: 413 `BODY_TOO_LARGE`, 408 `BODY_TIMEOUT`, 503 `SERVER_BUSY` (the budget is full), or
 * 400 `USAGE` (JSON nested deeper than MAX_BODY_DEPTH).
 */
export class BodyRefused extends Error {
  constructor(
    readonly status: 400 | 408 | 413 | 503,
    readonly code: 'BODY_TOO_LARGE' | 'BODY_TIMEOUT' | 'SERVER_BUSY' | 'USAGE',
    message: string,
  ) {
    super(message);
    this.name = 'BodyRefused';
  }
}

function tooLarge(max: number): BodyRefused {
  return new BodyRefused(413, 'BODY_TOO_LARGE', `the request body is over the limit of ${max} bytes`);
}

function busy(budget: ByteBudget): BodyRefused {
  return new BodyRefused(503, 'SERVER_BUSY', `request bodies in progress hold the limit of ${budget.max} bytes (http.maxInflightBytes): retry shortly`);
}

const TIMED_OUT = Symbol('timed out');

function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms))));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Reads the whole request body within `limits`, its bytes reserved from the budget as they arrive (the caller
 * releases `reserved` once the request is answered); throws `BodyRefused`, having released them.
 */
export async function readBody(c: Context, limits: BodyLimits): Promise<{ body: Uint8Array; reserved: number }> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > limits.maxBytes) throw tooLarge(limits.maxBytes);
  // Charged by bytes received, not declared (a declared size that does not fit now is refused before reading).
  if (declared !== undefined && !limits.budget.fits(Number(declared))) throw busy(limits.budget);
  const stream = c.req.raw.body;
  if (stream === null) return { body: new Uint8Array(0), reserved: 0 };
  // The server sends no automatic 100 (http-server.ts): a client that waits for it sends only what is read.
  const outgoing: unknown = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  if (outgoing instanceof ServerResponse && c.req.header('expect')?.toLowerCase() === '100-continue') outgoing.writeContinue();
  const reader = stream.getReader();
  const deadline = Date.now() + limits.totalMs;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let reserved = 0;
  try {
    for (;;) {
      const total = deadline - Date.now();
      const next = await within(reader.read(), Math.min(limits.idleMs, total));
      if (next === TIMED_OUT) {
        const why = total <= limits.idleMs ? `not complete after ${limits.totalMs / 1000} s` : `no data for ${limits.idleMs / 1000} s`;
        throw new BodyRefused(408, 'BODY_TIMEOUT', `the request body timed out (${why})`);
      }
      if (next.done) break;
      size += next.value.byteLength;
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
      if (!limits.budget.tryReserve(next.value.byteLength)) throw busy(limits.budget);
      reserved += next.value.byteLength;
      chunks.push(next.value);
    }
  } catch (e) {
    limits.budget.release(reserved);
    // Stop pulling from the connection; the server discards the rest after the reply.
    reader.cancel().catch(() => {});
    throw e;
  }
  return { body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), reserved };
}

/**
 * Arrays and objects one API body may nest (no route takes more than a few). Handlers parse bodies with JSON.parse on
 * the thread that answers both ports, whose time grows with depth: 1 MiB of `[[[[…` took ~0.3 s, and sixty such
 * bodies at once held the API ~7 s (hostile-client probes). Checked by one linear scan before any parse.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * Reads the body within `limits` and makes it the request's body, so handlers read it as usual (`c.req.json()`);
 * returns the budget bytes to release once the request is answered. A body nested deeper than MAX_BODY_DEPTH is
 * refused (400 `USAGE`) before anything parses it.
 */
export async function bufferBody(c: Context, limits: BodyLimits): Promise<number> {
  const { body, reserved } = await readBody(c, limits);
  // latin1 keeps the structure: quotes, brackets and backslashes are ASCII, and UTF-8's other bytes never are.
  if (nestsDeeperThan(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'), MAX_BODY_DEPTH)) {
    limits.budget.release(reserved);
    throw new BodyRefused(400, 'USAGE', `the request body nests JSON arrays and objects deeper than ${MAX_BODY_DEPTH} levels`);
  }
  c.req.raw = new Request(c.req.raw, { body });
  return reserved;
}

export function refuse(c: Context, e: BodyRefused): Response {
  // The rest of the body is not read: a client told keep-alive would send its next request on a connection
  // the server closes once it has drained it ("other side closed").
  c.header('Connection', 'close');
  return fail(c, e.status, e.code, e.message);
}

/** Middleware: every request body within `limits`, read before the handler runs and held until it answered. */
export function bodyLimit(limits: BodyLimits): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.raw.body === null) return next();
    let reserved: number;
    try {
      reserved = await bufferBody(c, limits);
    } catch (e) {
      if (e instanceof BodyRefused) return refuse(c, e);
      throw e;
    }
    try {
      return await next();
    } finally {
      limits.budget.release(reserved);
    }
  };
}
