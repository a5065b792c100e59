import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** What node's parser refused before any handler saw a request (`clientError`). */
export type ClientErrorKind = 'headers-too-large' | 'headers-timeout' | 'chunk-extensions-too-large' | 'bad-request';

/** The reply's status and JSON body (each port words its own: HEC's `{"text","code"}`, the API's `{"error"}`). */
export type ClientErrorReply = (kind: ClientErrorKind, status: number, reason: string) => { status: number; body: unknown };

/** An answered connection is read and dropped this long so the client reads the reply (not a reset), then cut. */
const LINGER_MS = 2000;

/** Node's status for each parser failure (its own default replies, which had no body). */
function kindOf(code: string | undefined): { kind: ClientErrorKind; status: number } {
  if (code === 'HPE_HEADER_OVERFLOW') return { kind: 'headers-too-large', status: 431 };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { kind: 'headers-timeout', status: 408 };
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return { kind: 'chunk-extensions-too-large', status: 413 };
  return { kind: 'bad-request', status: 400 };
}

/**
 * Answers what node's HTTP parser refuses (request line and headers over `maxHeaderSize`, a malformed request line
 * or header, headers not complete in `headersTimeout`) with a JSON body in the port's format, instead of node's
 * bare `431`/`400`/`408` that told a client nothing; then closes the connection. Node's rule for when a reply may
 * be written is kept: not when the connection is no longer writable or a reply's headers already went out (the
 * bytes would land inside it); with a reply still pending, for an error in that request's own body (a malformed
 * chunked body: the handler never sees the rest of it, and would never answer) and for a whole-request timeout of a
 * handler that never answered (written, then the connection cut at once, as node does); `onAnswer`'s `handled`
 * says the request already reached a handler (counted there). Otherwise the connection ends after the
 * reply and what the client still sends is dropped for LINGER_MS: cut right away, the unread request bytes made
 * the kernel send a reset, which can discard the reply before the client reads it.
 */
export function answerClientErrors(server: Server, reply: ClientErrorReply, onAnswer?: (status: number, handled: boolean) => void): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: Duplex) => {
    // The parser keeps reporting the data that follows on the connection: answered once.
    if (answered.has(socket)) return;
    // `_httpMessage`: the reply node attached to the connection (what its own default reply checks).
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
    // A parse error with a reply pending belongs to that request while its body is still being read (a bad chunk
    // size, chunk extensions over node's limit: node's own reply was a 400/413 then) and is answered; else to a
    // later, pipelined request: a reply now would read as the pending one's, so it gets none, but the requests
    // taken before it get theirs, then the connection closes. A timeout with one pending is that request's (node's 408).
    const ownBody = pending !== null && pending.req?.complete === false;
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (pending !== null && !ownBody && err.code !== 'ERR_HTTP_REQUEST_TIMEOUT') {
      answered.add(socket);
      afterReplies(socket, () => endLingering(socket, ''));
      return;
    }
    if (pending?.headersSent) {
      socket.destroy();
      return;
    }
    answered.add(socket);
    const { kind, status } = kindOf(err.code);
    const r = reply(kind, status, err.reason ?? err.code ?? 'malformed request');
    onAnswer?.(r.status, pending !== null);
    if (pending !== null && (!ownBody || err.code === 'ERR_HTTP_REQUEST_TIMEOUT')) {
      socket.write(rawReply(r.status, r.body));
      socket.destroy();
      return;
    }
    endLingering(socket, rawReply(r.status, r.body));
  });
}

/** How long the replies of requests taken before a malformed pipelined one are awaited before the connection is cut. */
const REPLIES_WAIT_MS = 30_000;

/**
 * Stops reading a connection whose next request cannot be parsed (or is not served: CONNECT), lets the replies of
 * the requests already handed to handlers go out (in order, as node writes them), then runs `then` (which closes
 * it). Cut at once, those replies were lost though their work was done: a HEC post stored, its client never told,
 * sending it again (a duplicate); written at once, a reply of `then` read as theirs.
 */
function afterReplies(socket: Duplex, then: () => void): void {
  (socket as Socket).pause();
  const cap = setTimeout(() => socket.destroy(), REPLIES_WAIT_MS);
  cap.unref();
  socket.once('close', () => clearTimeout(cap));
  const next = (): void => {
    // Node attaches the next queued reply when one finishes (its own 'finish' listener runs before this one).
    const reply = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
    if (reply === null || reply.writableFinished) {
      clearTimeout(cap);
      then();
    } else if (!reply.writableEnded && reply.req?.complete === false) {
      // The request whose body ran into the error: the rest never comes, and its handler would wait for it in vain.
      socket.destroy();
    } else {
      reply.once('finish', () => setImmediate(next));
    }
  };
  next();
}

/** A whole reply written on the socket itself (node's response object is not used or not there), closing. */
function rawReply(status: number, json: unknown): string {
  const body = JSON.stringify(json);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`;
}

/** Ends the connection after `reply`, dropping what the client still sends for LINGER_MS (not a reset), then cuts it. */
function endLingering(socket: Duplex, reply: string): void {
  socket.end(reply);
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  (socket as Socket).resume();
}

/**
 * CONNECT (a proxy's method, `CONNECT host:port`): node hands it to `connect` listeners and, with none, cut the
 * connection without a word. Neither port is a proxy: `reply` words the port's refusal, then the connection closes.
 */
export function answerConnect(server: Server, reply: (req: IncomingMessage) => { status: number; body: unknown }, onAnswer?: (status: number) => void): void {
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const r = reply(req);
    onAnswer?.(r.status);
    // Pipelined behind requests still waiting: after their replies (written now, it read as the first one's).
    afterReplies(socket, () => endLingering(socket, rawReply(r.status, r.body)));
  });
}

/**
 * What is wrong with a request's `Host` header lines, or null. RFC 9112 §3.2: a server answers 400 to an HTTP/1.1
 * request without a `Host` and to any request with more than one. Node's own check (`requireHostHeader`, which
 * both ports turn off so the reply is the port's JSON) answered a bare 400 without a body and let a second `Host`
 * through (node keeps the first: the API's host check saw one name, a proxy in front may have used the other).
 */
export function hostHeaderProblem(req: IncomingMessage): string | null {
  let n = 0;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).length === 4 && (raw[i] as string).toLowerCase() === 'host') n++;
  if (n > 1) return 'more than one Host header';
  if (n === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return `an HTTP/${req.httpVersion} request without a Host header`;
  return null;
}

/**
 * A transfer coding the request's body uses besides `chunked` (`Transfer-Encoding: gzip, chunked`), or null. Node
 * decodes only chunked and hands the rest over still coded, so such a body was read as if plain (a gzip body as bytes
 * that are not UTF-8, a plain one claiming gzip stored as is). RFC 9112 §6.1: a server that receives a transfer coding
 * it does not understand SHOULD answer 501. (Node itself refuses a request whose last coding is not chunked.)
 */
export function transferCodingProblem(req: IncomingMessage): string | null {
  const te = req.headers['transfer-encoding'];
  if (te === undefined) return null;
  for (const coding of te.split(',')) if (coding.trim().toLowerCase() !== 'chunked') return te;
  return null;
}

/**
 * Lets a client half-close its side once its requests are sent (`shutdown(SHUT_WR)`, `printf … | nc -N`) and still
 * read the replies. Node's default (`httpAllowHalfOpen` false) answered that end of input by aborting the requests
 * still waiting and ending the connection: a HEC post being stored then was stored, its reply lost, and its client
 * sent it again. With it node closes the connection after the last reply instead. `httpAllowHalfOpen` is node's own
 * switch (set in http.Server's constructor, read at every end of input), not a documented option; `allowHalfOpen`
 * (net.Server's, read for each connection) is already true for plain HTTP and false for TLS, whose sockets then
 * ended their side with the client's.
 */
export function keepHalfOpen(server: Server): void {
  const s = server as Server & { httpAllowHalfOpen: boolean; allowHalfOpen: boolean };
  s.httpAllowHalfOpen = true;
  s.allowHalfOpen = true;
}

/** A port at its connection cap says so at most this often (a flood would log every connection it refuses). */
const CAP_LOG_MS = 60_000;

/**
 * A port's `maxConnections` (`hec.maxConnections`, `http.maxConnections`): node closes each connection past it at
 * once, unread and unanswered (a client retries as after any network error), so idle connections cannot take the
 * descriptors the store, the search workers and the other port need (those failed with EMFILE instead). `warn` is
 * called at the first refusal, then at most once a minute. Unset: no cap.
 */
export function capConnections(server: Server, max: number | undefined, warn: (message: string) => void, setting: string): void {
  if (max === undefined) return;
  server.maxConnections = max;
  let refused = 0;
  let loggedAt = -Infinity;
  server.on('drop', () => {
    refused++;
    const now = Date.now();
    if (now - loggedAt < CAP_LOG_MS) return;
    loggedAt = now;
    warn(`${max} connections are open (${setting}): new ones are closed unanswered (${refused} since the last report)`);
    refused = 0;
  });
}
