import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { Env, Hono } from 'hono';
import type { HttpConfig } from '../config/config.js';
import { listenFailure, VigilError } from '../errors.js';
import { answerClientErrors, answerConnect, capConnections, hostHeaderProblem, nodeTimeouts, transferCodingProblem, pipelineGuard, type ClientErrorKind } from '../hec/index.js';
import { hostCheck, type HostCheck } from './allowed-hosts.js';

export interface HttpServer {
  url: string;
  /**
   * Stops listening and closes the connections: idle ones at once, the others once their reply has ended or after
   * `drainMs` (default 0: at once), so a reply that is ending (a search stream's last line) reaches its client.
   */
  close(drainMs?: number): Promise<void>;
}

/** An API error reply written before the app (or instead of it), the request's body drained; `close` ends the connection. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, close = true): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...(close ? { Connection: 'close' } : {}) });
  res.end(body);
  req.resume();
}

/**
 * Hands `listener` at most `max` requests per connection that still wait for their reply (`pipelineGuard`:
 * six connections pipelining the console's bundle thousands of times, unread, took the process past 2.5 GB in
 * 6 s; one more is answered 503 unhandled), and only those for a `Host` this port answers. The reply to a GET or HEAD with a body closes its
 * connection (see below).
 */
function guardConnections(listener: RequestListener, max: number, hostAllowed: HostCheck): RequestListener {
  // Past the limit: 503, not handled (the replies of the requests handled before it are sent first).
  const admit = pipelineGuard(max, (req, res) =>
    refuse(req, res, 503, 'UNAVAILABLE', `more than ${max} requests wait for their replies on this connection (http.maxPipelinedRequests): read the replies before sending more`, false),
  );
  return (req: IncomingMessage, res: ServerResponse) => {
    if (!admit(req, res)) return;
    // Node's own Host check is off (`requireHostHeader: false`): its reply was a bare 400 without a body.
    const hostProblem = hostHeaderProblem(req);
    if (hostProblem !== null) return refuse(req, res, 400, 'USAGE', `malformed HTTP request: ${hostProblem}`);
    const coding = transferCodingProblem(req);
    if (coding !== null) return refuse(req, res, 501, 'USAGE', `unsupported Transfer-Encoding ${JSON.stringify(coding)}: only chunked is read`);
    // RFC 9112 §3.2.2: the host of an absolute-form target (`GET http://name/path`) is the request's, not the Host
    // header's; the app builds its URL from it too. Both must be answered: the origin check reads the header.
    const target = absoluteTargetHost(req.url);
    for (const host of target === undefined ? [req.headers.host] : [target, req.headers.host]) {
      if (!hostAllowed(host)) return refuse(req, res, 403, 'HOST_NOT_ALLOWED', `this server does not answer for the host ${JSON.stringify(host)} (http.allowedHosts)`);
    }
    // No route reads the body of a GET or HEAD: its reply closes the connection, which node would otherwise keep
    // reading (and discarding) until the whole-request backstop, 71 s by default.
    if ((req.method === 'GET' || req.method === 'HEAD') && hasBody(req)) res.setHeader('Connection', 'close');
    listener(req, res);
  };
}

/**
 * The authority of an absolute-form request target (`http://name:port/path`), as a Host header would say it;
 * undefined for origin-form (`/path`) and asterisk-form (`*`) targets. A target with a scheme but no host (`a:b`)
 * is `''`, which no host check answers (the adapter refuses it anyway).
 */
function absoluteTargetHost(target: string | undefined): string | undefined {
  if (target === undefined || target.startsWith('/') || target === '*') return undefined;
  try {
    return new URL(target).host;
  } catch {
    return '';
  }
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/**
 * A request @hono/node-server cannot turn into a `Request` (a backslash in the path, `GET *`, a `Host` with a
 * port past 65535) was answered a bare 400 with no body; every API error is JSON (docs/api.md).
 */
function unreadableRequest(err: unknown): Response {
  const message = err instanceof RequestError ? `unreadable request: ${err.message}` : 'internal error';
  const status = err instanceof RequestError ? 400 : 500;
  return Response.json({ error: { code: status === 400 ? 'USAGE' : 'INTERNAL', message } }, { status, headers: { Connection: 'close' } });
}

/** The API's error for a request node refused before the app (docs/errors.md). */
function clientErrorJson(kind: ClientErrorKind, reason: string, config: HttpConfig): { code: string; message: string } {
  switch (kind) {
    case 'headers-too-large':
      return { code: 'HEADERS_TOO_LARGE', message: `the request line and headers are over the limit of ${config.maxHeaderBytes} bytes (http.maxHeaderBytes): send a long search in a POST body` };
    case 'headers-timeout':
      return { code: 'HEADERS_TIMEOUT', message: `the request line and headers were not complete after ${config.timeouts.headersMs / 1000} s (http.headersTimeout)` };
    case 'chunk-extensions-too-large':
      return { code: 'BODY_TOO_LARGE', message: 'a chunk-size line with extensions is over 16384 bytes' };
    case 'bad-request':
      return { code: 'USAGE', message: `malformed HTTP request: ${reason}` };
  }
}

/** Serves a Hono app on the API/console port, over TLS when the config has a certificate. */
export async function listenHttp<E extends Env>(app: Hono<E>, config: HttpConfig, warn: (message: string) => void = () => {}): Promise<HttpServer> {
  const tls = config.tls ? { cert: await readFile(config.tls.cert), key: await readFile(config.tls.key) } : null;
  const hosts = hostCheck(config.host, config.allowedHosts);
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new VigilError('CONFIG', `the API cannot listen on ${config.host}:${config.port}: ${listenFailure(err, '--port', 'http.port')}`, { cause: err }));
    const listener = guardConnections(getRequestListener(app.fetch, { hostname: config.host, errorHandler: unreadableRequest }), config.maxPipelinedRequests, hosts);
    // Request timeouts as the HEC's (slowloris on headers, node's whole-request backstop); bodies are timed by `bodyLimit`.
    const options = { ...tls, ...nodeTimeouts(config.timeouts), maxHeaderSize: config.maxHeaderBytes, requireHostHeader: false };
    // No keepHalfOpen (the HEC's): here the end of a client's input is how a closed console tab or an aborted
    // `fetch` cancels its search (SPL_CANCELLED, the worker stopped); kept half-open, the search ran on.
    const server = tls ? createHttpsServer(options, listener) : createHttpServer(options, listener);
    // What node refuses before the app runs is a JSON error like every other (it was a bare 431/400/408).
    answerClientErrors(server, (kind, status, reason) => ({ status, body: { error: clientErrorJson(kind, reason, config) } }));
    capConnections(server, config.maxConnections, (message) => warn(`API: ${message}`), 'http.maxConnections');
    server.listen(config.port, config.host, () => {
      server.off('error', onError);
      const info = server.address() as AddressInfo;
      const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `${tls ? 'https' : 'http'}://${host}:${info.port}`,
        close: (drainMs = 0) =>
          new Promise<void>((res) => {
            const cut = setTimeout(() => server.closeAllConnections(), drainMs);
            server.close(() => {
              clearTimeout(cut);
              res();
            });
            server.closeIdleConnections();
            if (drainMs <= 0) server.closeAllConnections();
          }),
      });
    });
    server.once('error', onError);
    // No automatic "100 Continue": `readBody` sends it once the request passed auth and its declared size, so a
    // client that waits for it (curl above 1 MiB) never sends a body the server refuses.
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
    // CONNECT (a proxy's method): node cut the connection without a reply; the API's 404 for a method no path takes.
    answerConnect(server, (req) => ({ status: 404, body: { error: { code: 'NOT_FOUND', message: `no such endpoint: CONNECT ${req.url ?? ''}` } } }));
    // Another `Expect` (RFC 9110 §10.1.1: a server may answer 417): node's own 417 had no body and kept the connection.
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) =>
      refuse(req, res, 417, 'USAGE', `unsupported expectation (Expect: ${JSON.stringify(req.headers.expect ?? '')}): only 100-continue is supported`),
    );
  });
}
