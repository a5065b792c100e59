/**
 * The HTTP Event Collector: Splunk's HEC protocol on node:http(s), in front of an EventStore.
 * A request is answered 200 only once `store.append` resolved (or, for useAck tokens, its ack id turns true
 * only then). Memory is bounded by `maxBodyBytes` per request and `maxInflightBytes` across requests.
 * CONTEXT.md lists every status code and the deliberate deviations from Splunk.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import type { AddressInfo, Socket } from 'node:net';
import type { HecConfig, HecTokenConfig, RequestTimeouts } from '../config/config.js';
import type { Event } from '../events/event.js';
import type { AppendReceipt, EventStore } from '../store/types.js';
import { StoreError } from '../store/types.js';
import { listenFailure, VigilError } from '../errors.js';
import { AckIds } from './ack.js';
import { answerClientErrors, answerConnect, capConnections, hostHeaderProblem, keepHalfOpen, transferCodingProblem } from './client-errors.js';
import { TokenRegistry } from './auth.js';
import { AuthThrottle, ClientIdentity } from '../config/auth-throttle.js';
import { ByteBudget, ClientGone, ClientShares, contentEncoding, decodeUtf8, readBody, type Body, type InflightBudget } from './body.js';
import { eventNumberAt, parseEventBatch, parseRawBatch, queryTime, type BatchContext } from './events.js';
import { HEC, HecFailure, NOT_FOUND_TEXT, failure, hecReply, httpReply, type Reply } from './protocol.js';
import { StatsCollector, type HecStats } from './stats.js';
import { isJsonSpace, nestsDeeperThan } from './json-stream.js';

export type HecLogLevel = 'info' | 'warn' | 'error';
export type HecLog = (level: HecLogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface HecServerOptions {
  config: HecConfig;
  /**
   * `append`, and `indexExists` unless `config.autoCreateIndexes`. `lastSeq` (the seq of the last committed
   * event, as `SqliteStore` has): ack ids are the batches' first seqs (append's receipts carry `firstSeq`) and
   * ids handed out before a restart read true; without it (ClickHouse) ack ids are this process's own and only
   * its own read true (see ack.ts).
   */
  store: Pick<EventStore, 'append' | 'indexExists'> & { lastSeq?(): number };
  /** Clock for the default `_time` of events, epoch milliseconds (default Date.now). */
  now?: () => number;
  log?: HecLog;
  /** Host of events that name none (default: this machine's hostname). */
  defaultHost?: string;
}

export interface HecServer {
  /** Starts listening; resolves with the base URL (`http://127.0.0.1:8088`). */
  listen(): Promise<{ url: string }>;
  /**
   * Stops accepting (503 code 9), lets in-flight requests finish for `graceMs` (default 5 s), then cuts the
   * connections still open (those clients got no reply: nothing they sent counts as acknowledged), and waits
   * for the appends already handed to the store to settle. Does not close the store.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
  stats(): HecStats;
}

type Route = 'event' | 'raw' | 'health' | 'ack';

const ROUTES: Record<string, Route> = {
  '/services/collector': 'event',
  '/services/collector/event': 'event',
  '/services/collector/event/1.0': 'event',
  '/services/collector/raw': 'raw',
  '/services/collector/raw/1.0': 'raw',
  '/services/collector/health': 'health',
  '/services/collector/health/1.0': 'health',
  '/services/collector/ack': 'ack',
};

/** A batch handed to the store: what the reply still needs once it settles (see `accept`). */
interface Accepted {
  appended: Promise<AppendReceipt>;
  count: number;
  /** In-flight budget bytes to release when the batch settles, and the client's share they were charged to. */
  reserved: number;
  budget: InflightBudget;
  wireBytes: number;
}

const CHANNEL_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** After the store says busy/full, new requests get 503 code 9 (and health code 18) for this long. */
const BUSY_HOLD_MS = 1000;
/** An early reply (body not read) keeps draining the connection this long before closing it, so the client reads the reply. */
const LINGER_MS = 2000;
/** close() waits this long by default for in-flight requests before cutting connections. */
const CLOSE_GRACE_MS = 5000;
/** /ack bodies are a list of ids: no reason to accept more than this. */
const MAX_ACK_BODY = 1024 * 1024;

/**
 * Memory an accepted event holds until its batch is committed, charged against `hec.maxInflightBytes` beyond its
 * request's own bytes (measured: 16 MB of one-byte /raw lines, 8M events, peaked at 6.1 GB; 1.15M tiny /event
 * envelopes at 1.1 GB: ~760-950 bytes an event).
 */
const EVENT_BYTES = 1024;

/** A batch whose events alone need more than one client may ever hold: it could never be taken. */
function eventsTooMany(made: number): HecFailure {
  return new HecFailure(httpReply(413, `Request entity too large (more than ${made - 1} events: each holds ${EVENT_BYTES} bytes until committed, and hec.maxInflightBytesPerClient bounds them)`));
}

/**
 * The HEC's reply to a request node refused before any handler (`answerClientErrors`): splunkd words these itself,
 * not in HEC's code table, so the code is the HTTP status, as for the HEC's other 413 and 408 replies.
 */
function hecClientErrorReply(status: number, reason: string, config: HecConfig): Reply {
  switch (status) {
    case 431:
      return httpReply(431, `Request header fields too large (the limit is ${config.maxHeaderBytes} bytes of request line and headers, hec.maxHeaderBytes)`);
    case 408:
      return httpReply(408, `Request headers timed out (not complete after ${config.timeouts.headersMs / 1000} s)`);
    case 413:
      return httpReply(413, 'Request entity too large (a chunk-size line with extensions over 16384 bytes)');
    default:
      return httpReply(400, `Bad request (malformed HTTP: ${reason})`);
  }
}

/**
 * node:http(s) options for a server's request timeouts (the API's uses them too). The header limit is node's
 * own (answers 408, closes), checked every second rather than node's default 30 s, so a slow-headers client
 * (slowloris) is cut close to the limit. Bodies are timed by their reader (`readBody`, the API's body
 * middleware); node's whole-request limit is only a backstop above both, for bodies no handler reads.
 * `handshakeTimeout` (TLS servers; plain ones ignore it): the headers timeout starts once the handshake is
 * done, so a connection that never finished one was held for node's default 120 s.
 */
export function nodeTimeouts(t: RequestTimeouts): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number; handshakeTimeout: number } {
  return { headersTimeout: t.headersMs, requestTimeout: t.headersMs + t.bodyMs + 1000, connectionsCheckingInterval: 1000, handshakeTimeout: t.headersMs };
}

/**
 * Admits at most `max` requests per connection still waiting for their replies (both ports: `hec.` and
 * `http.maxPipelinedRequests`); one more is handed to `refuse`, which answers it at once (503) without handling it.
 * Node parses every request of a chunk it reads before an asynchronous handler answers any, so without this one
 * connection pipelining thousands of requests had them all handled at once: on the HEC each was an append queued
 * ahead of every other client's (60 connections 2,000 deep held a normal post 27 s), on the API each reply queued.
 * Every request gets its reply, in order: the connection used to be cut at the one past the limit, so the replies of
 * the requests taken were lost and a HEC client sent again batches that had been stored (duplicates). A refusal
 * is a small reply written at once, so a client that reads none of them fills the connection's queue and node stops
 * reading it (at most one chunk read, ~2,400 requests of 64 KiB, is refused ahead).
 */
export function pipelineGuard(max: number, refuse: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  const waiting = new WeakMap<Socket, number>();
  return (req, res) => {
    const socket = req.socket;
    const n = (waiting.get(socket) ?? 0) + 1;
    if (n > max) {
      refuse(req, res);
      return false;
    }
    waiting.set(socket, n);
    res.once('close', () => waiting.set(socket, (waiting.get(socket) ?? 1) - 1));
    return true;
  };
}

/**
 * A wrong method on a HEC path: splunkd answers 405 with its not-found body (`"code":404`), as measured on
 * Splunk 10.4.2 by mockdr's conformance probes (`GET /services/collector`). `Allow` is ours (HTTP requires it).
 */
function wrongMethod(allow: string): Reply {
  return { status: 405, body: { text: NOT_FOUND_TEXT, code: 404 }, headers: { Allow: allow } };
}

export function routeOf(pathname: string): Route | null {
  // Trailing slashes dropped by a scan: an unanchored /\/+$/ is quadratic in a path of many slashes.
  let end = pathname.length;
  while (end > 1 && pathname.charCodeAt(end - 1) === 0x2f) end--;
  return ROUTES[pathname.slice(0, end)] ?? null;
}

/**
 * 503 code 9 to an ingest request. Splunk numbers the first event of the batch it did not take (its busy reply
 * quoted in splunk-connect-for-kubernetes#555: `{"text":"Server is busy","code":9,"invalid-event-number":0}`);
 * vigil takes none of a refused batch, so it is always 0.
 */
function busyBatch(): Reply {
  return hecReply(HEC.SERVER_BUSY, { invalidEventNumber: 0 });
}

/**
 * Whether a request carries a body (HTTP/1.1: a `Transfer-Encoding`, or a `Content-Length` above 0). Node marks a
 * request complete only once its end is read, after the handler ran: without this, every bodiless GET (a health
 * poller's) counted as answered early and lost its connection.
 */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isBlankText(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (!isJsonSpace(text.charCodeAt(i))) return false;
  return true;
}

export function createHecServer(options: HecServerOptions): HecServer {
  const { config, store } = options;
  const clock = options.now ?? Date.now;
  const log: HecLog = options.log ?? (() => {});
  const defaultHost = options.defaultHost ?? osHostname();
  // Events for an index the store does not have are refused (code 7), unless indexes are created on demand.
  const indexCheck = config.autoCreateIndexes ? {} : { indexExists: (name: string) => store.indexExists(name) };
  const registry = new TokenRegistry(config.tokens);
  const clients = new ClientIdentity(config);
  const throttle = new AuthThrottle(config.authThrottle.maxFailures, config.authThrottle.windowMs, config.authThrottle.maxTracked);
  const acks = new AckIds(store.lastSeq ? () => store.lastSeq!() : undefined);
  /** Batches of ack tokens waiting for their commit (their reply carries the ack id). */
  let pendingAcks = 0;
  const budget = new ByteBudget(config.maxInflightBytes);
  const shares = new ClientShares(budget, config.maxInflightBytesPerClient);
  const stats = new StatsCollector(Date.now);
  const pending = new Set<Promise<void>>();
  let busyUntil = 0;
  let inflightRequests = 0;
  let closing = false;
  let server: Server | null = null;

  const storeBusy = (): boolean => Date.now() < busyUntil;

  /** Maps an append failure to its reply; busy/full start the back-off window. */
  function storeFailure(err: unknown, token: HecTokenConfig): Reply {
    if (err instanceof StoreError) {
      if (err.reason === 'STORE_BUSY' || err.reason === 'STORE_FULL') {
        busyUntil = Date.now() + BUSY_HOLD_MS;
        log('warn', `store rejected a batch: ${err.message}`, { reason: err.reason, token: token.name });
        return busyBatch();
      }
      // Closing for shutdown: retryable elsewhere or later, like busy.
      if (err.reason === 'STORE_CLOSED') return busyBatch();
    }
    log('error', `store append failed: ${(err as Error)?.message ?? String(err)}`, { token: token.name });
    return hecReply(HEC.INTERNAL_ERROR);
  }

  function send(req: IncomingMessage, res: ServerResponse, reply: Reply, token: HecTokenConfig | null): void {
    if (res.headersSent || res.destroyed) return;
    const body = JSON.stringify(reply.body);
    const early = !req.complete && hasBody(req);
    const headers: Record<string, string | number> = {
      'Content-Type': 'application/json; charset=UTF-8',
      'Content-Length': Buffer.byteLength(body),
      'X-Content-Type-Options': 'nosniff',
      ...reply.headers,
    };
    if (early) headers['Connection'] = 'close';
    res.writeHead(reply.status, headers);
    res.end(body);
    const code = typeof reply.body['code'] === 'number' ? reply.body['code'] : reply.status;
    stats.reply(code, token?.name ?? null, reply.status >= 400);
    if (early) {
      // Lingering close: discard (never buffer) what the client still sends, then cut the connection, counted from
      // when this reply went out: pipelined behind a post still being stored, it waits in node's queue, and cut 2 s
      // after it was made, that post's reply was lost though the batch was stored. (A reply that never goes out: the
      // unfinished request meets node's request timeout.)
      req.resume();
      const socket = req.socket;
      res.once('finish', () => {
        const timer = setTimeout(() => socket.destroy(), LINGER_MS);
        timer.unref();
        socket.once('close', () => clearTimeout(timer));
      });
    }
  }

  /**
   * OPTIONS on a HEC path: 200 with no body and no token needed. Docker's `splunk` logging driver (moby
   * daemon/logger/splunk, `verifySplunkConnection`, on by default) sends `OPTIONS /services/collector/event/1.0`
   * at container start and refuses to start the container on anything but 200, so Splunk answers it so.
   */
  function answerOptions(req: IncomingMessage, res: ServerResponse, allow: string): void {
    stats.request(null);
    const headers: Record<string, string | number> = { Allow: allow, 'Content-Length': 0 };
    if (!req.complete && hasBody(req)) headers['Connection'] = 'close';
    res.writeHead(200, headers);
    res.end();
    stats.reply(200, null, false);
    req.resume();
  }

  function channelOf(req: IncomingMessage, query: URLSearchParams): string | null {
    const h = header(req, 'x-splunk-request-channel')?.trim();
    if (h) return h;
    const q = query.get('channel')?.trim();
    return q ? q : null;
  }

  async function readAndDecode(req: IncomingMessage, res: ServerResponse, route: 'event' | 'raw' | 'ack', maxBytes: number, expectContinue: boolean, share: InflightBudget): Promise<{ body: Body; text: string }> {
    const encoding = contentEncoding(header(req, 'content-encoding'));
    // `Expect: 100-continue` is answered only once the size and budget checks passed.
    const body = await readBody(req, {
      encoding,
      maxBytes,
      budget: share,
      idleTimeoutMs: config.timeouts.bodyIdleMs,
      timeoutMs: config.timeouts.bodyMs,
      beforeRead: expectContinue ? () => res.writeContinue() : undefined,
    });
    const decoded = decodeUtf8(body.data);
    if ('invalidAt' in decoded) {
      share.release(body.reserved);
      const prefix = body.data.subarray(0, decoded.invalidAt).toString('utf8');
      throw failure(HEC.INVALID_DATA_FORMAT, route === 'ack' ? undefined : eventNumberAt(prefix, route));
    }
    return { body, text: decoded.text };
  }

  async function handleAck(req: IncomingMessage, res: ServerResponse, token: HecTokenConfig, channel: string, expectContinue: boolean, share: InflightBudget): Promise<void> {
    const { body, text } = await readAndDecode(req, res, 'ack', Math.min(MAX_ACK_BODY, config.maxBodyBytes), expectContinue, share);
    share.release(body.reserved);
    if (isBlankText(text)) throw failure(HEC.NO_DATA);
    // `{"acks": [1, 2]}` nests 2 deep: anything deeper is not an ack request (and slow to parse).
    if (nestsDeeperThan(text, 2)) throw failure(HEC.INVALID_DATA_FORMAT);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw failure(HEC.INVALID_DATA_FORMAT);
    }
    const ids = (parsed as { acks?: unknown } | null)?.acks;
    if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id) && (id as number) >= 0)) {
      throw failure(HEC.INVALID_DATA_FORMAT);
    }
    send(req, res, { status: 200, body: { acks: acks.query(ids as number[]) } }, token);
  }

  async function handleIngest(
    req: IncomingMessage,
    res: ServerResponse,
    route: 'event' | 'raw',
    query: URLSearchParams,
    token: HecTokenConfig,
    channel: string | null,
    expectContinue: boolean,
    share: InflightBudget,
  ): Promise<void> {
    if (closing || storeBusy()) throw failure(HEC.SERVER_BUSY);
    const input = await readAndDecode(req, res, route, config.maxBodyBytes, expectContinue, share);
    return answerIngest(req, res, token, channel, accept(input, route, query, token, share));
  }

  /**
   * Parses the body and hands the batch to the store (which copies it). Synchronous, so that only the
   * returned numbers outlive it: the body, its text and the events must not stay reachable while the batch
   * waits for its commit. Kept alive, they survive young-generation GCs and get promoted, and old-space
   * collections then grow with the number of requests in flight (latency feeding GC feeding latency).
   */
  function accept(input: { body: Body; text: string }, route: 'event' | 'raw', query: URLSearchParams, token: HecTokenConfig, share: InflightBudget): Accepted {
    const { body, text } = input;
    const { wireBytes } = body;
    // Each event is charged EVENT_BYTES against the in-flight budget beyond what its body already reserved: a
    // body of 1.6 KB Tetragon events costs nothing more, one of 8M one-byte lines (16 MB) took the server to 6 GB.
    // What never fits is the client's share, not the whole budget: between the two every try was a 503, which
    // HEC clients retry forever.
    const ceiling = Math.min(config.maxInflightBytes, config.maxInflightBytesPerClient);
    let reserved = body.reserved;
    let made = 0;
    const admit = (): void => {
      const extra = ++made * EVENT_BYTES - reserved;
      if (extra <= 0) return;
      if (reserved + extra > ceiling) throw eventsTooMany(made);
      if (!share.tryReserve(extra)) throw failure(HEC.SERVER_BUSY);
      reserved += extra;
    };
    let events: Event[];
    try {
      if (isBlankText(text)) throw failure(HEC.NO_DATA);
      const ctx: BatchContext = { token, now: clock() / 1000, defaultHost, maxJsonDepth: config.maxJsonDepth, admit, ...indexCheck };
      const meta = { index: q(query, 'index'), source: q(query, 'source'), sourcetype: q(query, 'sourcetype'), host: q(query, 'host'), time: queryTime(q(query, 'time')) };
      events =
        route === 'event'
          ? parseEventBatch(text, ctx, { autoExtractTimestamp: query.get('auto_extract_timestamp') === 'true' && !query.has('time'), defaults: meta })
          : parseRawBatch(text, meta, ctx);
    } catch (err) {
      share.release(reserved);
      throw err;
    }
    inflightRequests++;
    let appended: Promise<AppendReceipt>;
    try {
      appended = store.append(events);
    } catch (err) {
      // An append that throws synchronously is handled like a rejection.
      appended = Promise.reject(err);
    }
    return { appended, count: events.length, reserved, budget: share, wireBytes };
  }

  async function answerIngest(req: IncomingMessage, res: ServerResponse, token: HecTokenConfig, channel: string | null, batch: Accepted): Promise<void> {
    const { appended, count, reserved, wireBytes } = batch;
    const settle = (): void => {
      batch.budget.release(reserved);
      inflightRequests--;
    };

    // With ack too, the reply waits for the commit: its ackId is the batch's first seq (see ack.ts), so no
    // client ever holds the id of a batch that is not durable, and a refused batch is answered 503/500 at once.
    const acked = token.useAck && channel !== null;
    if (acked) pendingAcks++;
    const outcome = appended.then(
      (receipt) => ({ receipt }),
      (err: unknown) => ({ err }),
    );
    const done = outcome.then(() => undefined);
    pending.add(done);
    const result = await outcome;
    pending.delete(done);
    settle();
    if (acked) pendingAcks--;
    if ('err' in result) {
      send(req, res, storeFailure(result.err, token), token);
      return;
    }
    stats.accepted(token.name, count, wireBytes);
    send(req, res, acked ? hecReply(HEC.SUCCESS, { ackId: acks.of(result.receipt) }) : hecReply(HEC.SUCCESS), token);
  }

  function q(query: URLSearchParams, name: string): string | undefined {
    const v = query.get(name);
    return v === null || v === '' ? undefined : v;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, expectContinue: boolean): Promise<void> {
    // Node's own Host check is off (`requireHostHeader: false`): its reply was a bare 400; this one is the HEC's.
    const hostProblem = hostHeaderProblem(req);
    if (hostProblem !== null) {
      stats.request(null);
      return send(req, res, httpReply(400, `Bad request (malformed HTTP: ${hostProblem})`, { Connection: 'close' }), null);
    }
    const coding = transferCodingProblem(req);
    if (coding !== null) {
      stats.request(null);
      return send(req, res, httpReply(501, `Not implemented (Transfer-Encoding ${JSON.stringify(coding)}: only chunked is read; send gzip as Content-Encoding)`), null);
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://hec.invalid');
    } catch {
      return send(req, res, httpReply(404, NOT_FOUND_TEXT), null);
    }
    const route = routeOf(url.pathname);
    if (route === null) return send(req, res, httpReply(404, NOT_FOUND_TEXT), null);
    if (req.method === 'OPTIONS') return answerOptions(req, res, route === 'health' ? 'GET, HEAD, OPTIONS' : 'POST, OPTIONS');

    if (route === 'health') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(req, res, wrongMethod('GET, HEAD, OPTIONS'), null);
      stats.request(null);
      return send(req, res, hecReply(budget.full || storeBusy() ? HEC.UNHEALTHY_QUEUES_FULL : HEC.HEALTHY), null);
    }
    if (req.method !== 'POST') return send(req, res, wrongMethod('POST, OPTIONS'), null);

    // Token guesses (code 4) are throttled per client. A locked-out client's token is not even checked (a valid
    // one must not answer differently), and it gets 503 code 9 with Retry-After, which every HEC client retries.
    const client = clients.keyOf(req.socket.remoteAddress, header(req, clients.header));
    const gate = throttle.attempt(client);
    if (!gate.ok) {
      // Once per client and window: a line per refused request would let a guesser fill the disk.
      if (gate.firstRefusal) log('warn', `authentication throttled: client ${client} is refused for ${gate.retryAfterSeconds} s after too many wrong tokens (hec.authThrottle)`, { client });
      stats.request(null);
      return send(req, res, { ...hecReply(HEC.SERVER_BUSY), headers: { 'Retry-After': String(gate.retryAfterSeconds) } }, null);
    }
    const auth = registry.authenticate(req.headers, url.searchParams);
    if (auth.ok || auth.failure.reply.body['code'] !== HEC.INVALID_TOKEN) gate.attempt.succeeded();
    if (!auth.ok) {
      stats.request(null);
      return send(req, res, auth.failure.reply, null);
    }
    const token = auth.token;
    stats.request(token.name);
    try {
      if (route === 'ack' && !token.useAck) throw failure(HEC.ACK_DISABLED);
      const channel = channelOf(req, url.searchParams);
      if (channel !== null && !CHANNEL_GUID.test(channel)) throw failure(HEC.INVALID_CHANNEL);
      if (channel === null && (token.useAck || route === 'ack')) throw failure(HEC.CHANNEL_MISSING);
      const share = shares.of(client);
      if (route === 'ack') await handleAck(req, res, token, channel as string, expectContinue, share);
      else await handleIngest(req, res, route, url.searchParams, token, channel, expectContinue, share);
    } catch (err) {
      if (err instanceof HecFailure) return send(req, res, route !== 'ack' && err.reply.body['code'] === HEC.SERVER_BUSY ? busyBatch() : err.reply, token);
      if (err instanceof ClientGone) return;
      log('error', `HEC request failed: ${(err as Error)?.stack ?? String(err)}`, { token: token.name });
      return send(req, res, hecReply(HEC.INTERNAL_ERROR), token);
    }
  }

  // Refused past maxPipelinedRequests: busy, as for any request the server cannot take now (the client sends it again).
  // Not through `send`: its lingering close would cut the connection before the replies queued ahead of this one.
  const admitPipelined = pipelineGuard(config.maxPipelinedRequests, (req, res) => {
    const body = JSON.stringify((req.url ?? '').startsWith('/services/collector/ack') ? hecReply(HEC.SERVER_BUSY).body : busyBatch().body);
    res.writeHead(503, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
    stats.request(null);
    stats.reply(HEC.SERVER_BUSY, null, true);
    req.resume();
  });

  /**
   * An `Expect` other than 100-continue: RFC 9110 §10.1.1 lets a server answer 417. Node's own 417 had no body and
   * kept the connection; this one is a HEC reply, and a body sent anyway is drained (`send`'s lingering close).
   */
  function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
    if (!admitPipelined(req, res)) return;
    stats.request(null);
    send(req, res, httpReply(417, `Expectation failed (Expect: ${JSON.stringify(header(req, 'expect') ?? '')}; only 100-continue is supported)`), null);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse, expectContinue = false): void {
    if (!admitPipelined(req, res)) return;
    handle(req, res, expectContinue).catch((err: unknown) => {
      log('error', `HEC handler crashed: ${(err as Error)?.stack ?? String(err)}`);
      try {
        send(req, res, hecReply(HEC.INTERNAL_ERROR), null);
      } catch {
        res.destroy();
      }
    });
  }

  return {
    async listen() {
      if (server) throw new VigilError('USAGE', 'HEC server already listening');
      if (config.tls) {
        let cert: Buffer;
        let key: Buffer;
        try {
          [cert, key] = await Promise.all([readFile(config.tls.cert), readFile(config.tls.key)]);
        } catch (err) {
          throw new VigilError('CONFIG', `cannot read HEC TLS certificate/key: ${(err as Error).message}`, { cause: err });
        }
        server = createHttpsServer({ cert, key, ...nodeTimeouts(config.timeouts), maxHeaderSize: config.maxHeaderBytes, requireHostHeader: false }, (req, res) => onRequest(req, res));
      } else {
        server = createHttpServer({ ...nodeTimeouts(config.timeouts), maxHeaderSize: config.maxHeaderBytes, requireHostHeader: false }, (req, res) => onRequest(req, res));
      }
      keepHalfOpen(server);
      capConnections(server, config.maxConnections, (message) => log('warn', `HEC: ${message}`), 'hec.maxConnections');
      // What node refuses before a handler runs gets a HEC reply too (it was a bare 431/400/408), counted as a request.
      answerClientErrors(server, (_kind, status, reason) => hecClientErrorReply(status, reason, config), (status, handled) => {
        if (!handled) stats.request(null);
        stats.reply(status, null, true);
      });
      // Answer `Expect: 100-continue` (curl sends it for large bodies) only after auth and size checks pass,
      // so a refused body is never sent at all.
      server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
      server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => refuseExpectation(req, res));
      // CONNECT names no path: splunkd's not-found reply, as for any path the HEC does not serve (node cut the connection).
      answerConnect(server, () => httpReply(404, NOT_FOUND_TEXT), (status) => {
        stats.request(null);
        stats.reply(status, null, true);
      });
      const s = server;
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => {
          reject(new VigilError('CONFIG', `HEC cannot listen on ${config.host}:${config.port}: ${listenFailure(err, '--hec-port', 'hec.port')}`, { cause: err }));
        };
        s.once('error', onError);
        s.listen(config.port, config.host, () => {
          s.off('error', onError);
          resolve();
        });
      });
      s.on('error', (err) => log('error', `HEC server error: ${err.message}`));
      const addr = s.address() as AddressInfo;
      const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
      return { url: `${config.tls ? 'https' : 'http'}://${host}:${addr.port}` };
    },

    async close({ graceMs = CLOSE_GRACE_MS } = {}) {
      closing = true;
      const s = server;
      if (s) {
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => s.closeAllConnections(), graceMs);
          force.unref();
          s.close(() => {
            clearTimeout(force);
            resolve();
          });
          s.closeIdleConnections();
        });
      }
      await Promise.allSettled([...pending]);
    },

    stats() {
      return stats.snapshot({ inflightBytes: budget.inUse, inflightRequests, pendingAcks });
    },
  };
}
