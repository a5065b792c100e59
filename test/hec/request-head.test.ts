/**
 * The Host header, sent by hand on raw sockets. RFC 9112 §3.2 (https://www.rfc-editor.org/rfc/rfc9112#section-3.2):
 * "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request message that lacks a Host
 * header field and to any request message that contains more than one Host header field line". Node's own check
 * answered the first with a bare 400 (no body) and let the second through; the HEC answers both with its JSON, as
 * every other malformed request (`{"text":"Bad request (malformed HTTP: …)","code":400}`), and closes the connection.
 * HTTP/1.0 has no Host requirement: such a request is served.
 */
import { describe, expect, it } from 'vitest';
import { TOKEN, rawConnection, send, start } from './helpers.js';

/** A HEC post of `event` with the test token, as raw request text. */
const post = (event: string) => `POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk ${TOKEN}\r\nContent-Length: ${event.length}\r\n\r\n${event}`;

/** Waits (up to 2 s) until the held store holds `n` batches. */
async function held(h: { store: { held: unknown[] } }, n: number): Promise<void> {
  for (let i = 0; i < 100 && h.store.held.length < n; i++) await new Promise((r) => setTimeout(r, 20));
}

describe('HEC: Host header lines', () => {
  it('an HTTP/1.1 request without Host, or with two, is 400 with a HEC body, the connection closed, nothing stored', async () => {
    const h = await start();
    try {
      const event = '{"event":"hello"}';
      const cases: [string, string][] = [
        [`POST /services/collector/event HTTP/1.1\r\nAuthorization: Splunk ${TOKEN}\r\nContent-Length: ${event.length}\r\n\r\n${event}`, 'an HTTP/1.1 request without a Host header'],
        ['GET /services/collector/health HTTP/1.1\r\n\r\n', 'an HTTP/1.1 request without a Host header'],
        [`POST /services/collector/event HTTP/1.1\r\nHost: a\r\nHost: b\r\nAuthorization: Splunk ${TOKEN}\r\nContent-Length: ${event.length}\r\n\r\n${event}`, 'more than one Host header'],
        // Expect: 100-continue takes node's other path (checkContinue): the same answer, and no 100 first.
        [`POST /services/collector/event HTTP/1.1\r\nAuthorization: Splunk ${TOKEN}\r\nExpect: 100-continue\r\nContent-Length: ${event.length}\r\n\r\n`, 'an HTTP/1.1 request without a Host header'],
      ];
      for (const [head, reason] of cases) {
        const c = await rawConnection(h.url, head);
        const r = await c.closed(10_000);
        expect([r.closed, r.status], head).toEqual([true, 400]);
        expect(r.body, head).toBe(`{"text":"Bad request (malformed HTTP: ${reason})","code":400}`);
        expect(c.received(), head).toContain('\r\nContent-Type: application/json; charset=UTF-8\r\n');
      }
      expect(h.store.batches).toHaveLength(0);
      expect(h.server.stats().codes['400']).toBe(cases.length);
      // HTTP/1.0 does not require Host.
      const old = await (await rawConnection(h.url, `POST /services/collector/event HTTP/1.0\r\nAuthorization: Splunk ${TOKEN}\r\nContent-Length: ${event.length}\r\n\r\n${event}`)).closed(10_000);
      expect([old.status, old.body]).toEqual([200, '{"text":"Success","code":0}']);
      expect((await send(h.url, '/services/collector/health', { method: 'GET' })).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

/**
 * RFC 9110 §10.1.1 (https://www.rfc-editor.org/rfc/rfc9110#section-10.1.1): "A server that receives an Expect field
 * value containing a member other than 100-continue MAY respond with a 417 (Expectation Failed)". Node's own 417
 * had no body; the HEC's has its JSON, and a body sent along is not stored.
 */
describe('HEC: Expect other than 100-continue', () => {
  it('is 417 with a HEC body; the body is drained, the server keeps serving', async () => {
    const h = await start();
    try {
      const event = '{"event":"hello"}';
      const c = await rawConnection(h.url, `POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk ${TOKEN}\r\nExpect: 200-ok\r\nContent-Length: ${event.length}\r\nConnection: close\r\n\r\n${event}`);
      const r = await c.closed(10_000);
      expect(r.status).toBe(417);
      expect(r.body).toBe('{"text":"Expectation failed (Expect: \\"200-ok\\"; only 100-continue is supported)","code":417}');
      expect(c.received()).toContain('\r\nContent-Type: application/json; charset=UTF-8\r\n');
      expect(h.store.batches).toHaveLength(0);
      // 100-continue in any case is still answered the usual way.
      const ok = await send(h.url, '/services/collector/event', { headers: { Authorization: `Splunk ${TOKEN}`, Expect: '100-Continue' }, body: event });
      expect(ok.text).toBe('{"text":"Success","code":0}');
    } finally {
      await h.close();
    }
  });
});

/**
 * CONNECT (RFC 9110 §9.3.6) asks a proxy for a tunnel; the HEC is none. Node, with no `connect` listener, cut the
 * connection without any reply; the HEC answers as for any target it does not serve: 404 with splunkd's not-found
 * body (the one documented in src/hec/CONTEXT.md), then closes.
 */
describe('HEC: CONNECT', () => {
  it('is 404 with the HEC not-found body, the connection closed, counted', async () => {
    const h = await start();
    try {
      const c = await rawConnection(h.url, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
      const r = await c.closed(10_000);
      expect([r.closed, r.status]).toEqual([true, 404]);
      expect(r.body).toBe('{"text":"The requested URL was not found on this server.","code":404}');
      expect(h.server.stats().codes['404']).toBe(1);
      expect((await send(h.url, '/services/collector/health', { method: 'GET' })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('pipelined behind a post still waiting, its 404 comes after that post\'s reply (first, it read as the post\'s)', async () => {
    const h = await start();
    try {
      h.store.hold = true;
      const c = await rawConnection(h.url, `${post('{"event":"x"}')}CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`);
      await held(h, 1);
      expect(await c.closed(200)).toEqual({ closed: false, status: null, body: '' });
      h.store.release();
      const r = await c.closed(5_000);
      expect([r.closed, r.status]).toEqual([true, 200]);
      expect(c.received().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 404']);
      expect(c.received().endsWith('{"text":"Success","code":0}HTTP/1.1 404 Not Found\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: 69\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n{"text":"The requested URL was not found on this server.","code":404}')).toBe(true);
    } finally {
      await h.close();
    }
  });
});

/**
 * Pipelining (RFC 9112 §9.3.2, https://www.rfc-editor.org/rfc/rfc9112#section-9.3.2: a server "MUST send the
 * corresponding responses in the same order that the requests were received"): a request that cannot be parsed
 * behind others still waiting for their replies gets none (it would read as theirs), but the others get theirs
 * before the connection closes. It used to be cut at once: a post stored, its reply lost, its client sending it again.
 */
describe('HEC: a malformed request pipelined behind posts still waiting', () => {
  it('the waiting posts get their replies, in order, then the connection closes', async () => {
    const h = await start();
    try {
      h.store.hold = true;
      const kept = post('{"event":"kept"}');
      // The third request's chunked body runs into a request line: a bad chunk size (a parse error) behind two posts.
      const broken = `POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\nGET /services/collector/health HTTP/1.1\r\nHost: hec\r\n\r\n`;
      const c = await rawConnection(h.url, kept + kept + broken);
      await held(h, 2);
      expect(h.store.held.length).toBe(2);
      h.store.release();
      const r = await c.closed(5_000);
      expect(r.closed).toBe(true);
      // The broken one reached its handler, which reads a body that never comes: it gets no reply.
      expect(c.received().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
      expect(c.received().split('{"text":"Success","code":0}').length).toBe(3);
      expect(h.store.events.map((e) => e._raw)).toEqual(['kept', 'kept']);
    } finally {
      await h.close();
    }
  });
});

/**
 * A client that half-closes once its requests are sent (RFC 9293 §3.6: a TCP half-close ends only the sender's
 * direction; the other still carries data) reads its replies. Node's default aborted the waiting requests at the end
 * of input and ended the connection: the batch was stored, its reply lost, and the client sent it again.
 */
describe('HEC: a client that half-closes after its requests', () => {
  it('gets every reply, in order, then the connection closes', async () => {
    const h = await start();
    try {
      h.store.hold = true;
      const c = await rawConnection(h.url, post('{"event":"one"}') + post('{"event":"two"}'));
      c.socket.end();
      await held(h, 2);
      h.store.release();
      const r = await c.closed(5_000);
      expect(r.closed).toBe(true);
      expect(c.received().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
      expect(c.received().split('{"text":"Success","code":0}').length).toBe(3);
      expect(h.store.events.map((e) => e._raw)).toEqual(['one', 'two']);
    } finally {
      await h.close();
    }
  });
});

/**
 * RFC 9112 §6.1 (https://www.rfc-editor.org/rfc/rfc9112#section-6.1): "A server that receives a request message with
 * a transfer coding it does not understand SHOULD respond with 501 (Not Implemented)." Node decodes only chunked:
 * `Transfer-Encoding: gzip, chunked` reached the HEC still gzip-coded and was read as if plain.
 */
describe('HEC: a transfer coding besides chunked', () => {
  it('is 501 with a HEC body, nothing stored; chunked alone (any case) is read', async () => {
    const h = await start();
    try {
      const chunked = (te: string) =>
        `POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk ${TOKEN}\r\nTransfer-Encoding: ${te}\r\nConnection: close\r\n\r\ne\r\n{"event":"te"}\r\n0\r\n\r\n`;
      for (const te of ['gzip, chunked', 'identity, chunked']) {
        const r = await (await rawConnection(h.url, chunked(te))).closed(10_000);
        expect(r.status, te).toBe(501);
        expect(r.body, te).toBe(`{"text":"Not implemented (Transfer-Encoding \\"${te}\\": only chunked is read; send gzip as Content-Encoding)","code":501}`);
      }
      expect(h.store.batches).toHaveLength(0);
      const ok = await (await rawConnection(h.url, chunked('Chunked'))).closed(10_000);
      expect([ok.status, ok.body]).toEqual([200, '{"text":"Success","code":0}']);
    } finally {
      await h.close();
    }
  });
});

/**
 * RFC 9112 §9.3.2: replies go out in the order of the requests. A request answered before its body was read (here a
 * wrong token) closes its connection a while after its reply; that while counted from when the reply was made, so
 * behind a post stored for longer than it (2 s), the connection was cut first and the stored post's reply lost.
 */
describe('HEC: an early reply pipelined behind a slow post', () => {
  it('closes the connection only after both replies went out', async () => {
    const h = await start();
    try {
      h.store.hold = true;
      const c = await rawConnection(h.url, `${post('{"event":"slow"}')}POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk wrong\r\nContent-Length: 100\r\n\r\nabc`);
      await held(h, 1);
      expect(await c.closed(2_500)).toEqual({ closed: false, status: null, body: '' });
      h.store.release();
      await c.closed(5_000);
      expect(c.received().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 403']);
      expect(c.received()).toContain('{"text":"Success","code":0}HTTP/1.1 403 Forbidden\r\n');
      expect(c.received().endsWith('{"text":"Invalid token","code":4}')).toBe(true);
      expect(h.store.events.map((ev) => ev._raw)).toEqual(['slow']);
    } finally {
      await h.close();
    }
  });
});
