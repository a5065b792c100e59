/**
 * Requests node's HTTP parser refuses before a handler runs (oversized request line and headers, a malformed
 * request, headers too slow), sent by hand on raw sockets: each gets a HEC reply, `{"text": ..., "code": ...}`,
 * where node answered a bare 431/400/408; the connection is closed and the server keeps serving.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config/config.js';
import { TOKEN, hecConfig, rawConnection, send, slowHeaders, start } from './helpers.js';

/** The HEC reply node's limit used to answer without a body; 16384 is node's default, kept as `hec.maxHeaderBytes`'. */
const TOO_LARGE = (limit: number) => `{"text":"Request header fields too large (the limit is ${limit} bytes of request line and headers, hec.maxHeaderBytes)","code":431}`;

describe('requests refused before a handler runs (clientError)', () => {
  it('a query string over 16 KiB is 431 with a HEC body, the connection closed, and counted', async () => {
    const h = await start();
    try {
      expect(DEFAULTS.maxHeaderBytes).toBe(16 * 1024);
      const c = await rawConnection(h.url, `POST /services/collector/event?host=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: hec\r\nContent-Length: 0\r\n\r\n`);
      const r = await c.closed(10_000);
      expect(r).toEqual({ closed: true, status: 431, body: TOO_LARGE(16384) });
      expect(c.received()).toContain('\r\nContent-Type: application/json; charset=UTF-8\r\n');
      expect(c.received()).toContain('\r\nConnection: close\r\n');
      expect(h.server.stats().codes['431']).toBe(1);
      // Just under the limit is an ordinary request (the query's host is the event's).
      const ok = await send(h.url, `/services/collector/health?x=${'a'.repeat(15_000)}`, { method: 'GET' });
      expect(ok.status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('hec.maxHeaderBytes sets the limit: request line and headers together', async () => {
    const h = await start({ config: hecConfig({ maxHeaderBytes: 2048 }) });
    try {
      const r = await (await rawConnection(h.url, `GET /services/collector/health HTTP/1.1\r\nHost: hec\r\nX-Pad: ${'p'.repeat(3000)}\r\n\r\n`)).closed(10_000);
      expect(r).toEqual({ closed: true, status: 431, body: TOO_LARGE(2048) });
      expect((await send(h.url, `/services/collector/health?x=${'a'.repeat(1000)}`, { method: 'GET' })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('an oversized second request on a kept-alive connection is answered too, after the first reply', async () => {
    const h = await start();
    try {
      const first = 'GET /services/collector/health HTTP/1.1\r\nHost: hec\r\n\r\n';
      const c = await rawConnection(h.url, first);
      for (let i = 0; i < 100 && !c.received().includes('"code":17}'); i++) await new Promise((r) => setTimeout(r, 20));
      c.socket.write(`GET /services/collector/health?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: hec\r\n\r\n`);
      await c.closed(10_000);
      const replies = c.received().match(/HTTP\/1\.1 \d{3}/g);
      expect(replies).toEqual(['HTTP/1.1 200', 'HTTP/1.1 431']);
      expect(c.received().endsWith(TOO_LARGE(16384))).toBe(true);
    } finally {
      await h.close();
    }
  });

  it('an oversized request pipelined behind one still waiting for its reply gets none (it would read as that one\'s); the waiting one gets its reply, then the connection closes', async () => {
    const h = await start();
    try {
      h.store.hold = true;
      const event = '{"event":"x"}';
      const c = await rawConnection(h.url, `POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk ${TOKEN}\r\nContent-Length: ${event.length}\r\n\r\n${event}`);
      for (let i = 0; i < 100 && h.store.held.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(h.store.held.length).toBe(1);
      c.socket.write(`GET /services/collector/health?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: hec\r\n\r\n`);
      // The post was taken: cut now, its reply was lost though the batch was stored (the client sent it again).
      expect(await c.closed(300)).toEqual({ closed: false, status: null, body: '' });
      h.store.release();
      const r = await c.closed(10_000);
      expect(r).toEqual({ closed: true, status: 200, body: '{"text":"Success","code":0}' });
      expect(c.received().match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200']);
    } finally {
      await h.close();
    }
  });

  it('a malformed chunked body of a request a handler is reading is answered (node answered 400/413 there), counted once', async () => {
    const h = await start();
    try {
      const head = `POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`;
      // A chunk size that is not hex, then chunk extensions over node's 16 KiB limit.
      const bad = await (await rawConnection(h.url, `${head}zz\r\nabc\r\n0\r\n\r\n`)).closed(10_000);
      expect([bad.closed, bad.status]).toEqual([true, 400]);
      expect(JSON.parse(bad.body)).toEqual({ text: 'Bad request (malformed HTTP: Invalid character in chunk size)', code: 400 });
      const ext = await (await rawConnection(h.url, `${head}5;${'e'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`)).closed(10_000);
      expect([ext.closed, ext.status]).toEqual([true, 413]);
      expect(JSON.parse(ext.body)).toEqual({ text: 'Request entity too large (a chunk-size line with extensions over 16384 bytes)', code: 413 });
      // Each request reached the handler, which counted it: the reply adds no second request.
      const stats = h.server.stats();
      expect([stats.requests, stats.codes['400'], stats.codes['413']]).toEqual([2, 1, 1]);
      expect(h.store.events.length).toBe(0);
      expect((await send(h.url, '/services/collector/health', { method: 'GET' })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('a malformed request line or header is 400 with a HEC body, and the connection closed', async () => {
    const h = await start();
    try {
      for (const head of ['GARBAGE\r\n\r\n', 'GET / HTTP/9\r\n\r\n', 'POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nBad Header: x\r\n\r\n', 'POST /services/collector/event HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n']) {
        const r = await (await rawConnection(h.url, head)).closed(10_000);
        expect(r.closed, head).toBe(true);
        expect(r.status, head).toBe(400);
        const body = JSON.parse(r.body) as { text: string; code: number };
        expect(body.code, head).toBe(400);
        expect(body.text, head).toMatch(/^Bad request \(malformed HTTP: .+\)$/);
      }
      expect((await send(h.url, '/services/collector/health', { method: 'GET' })).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('headers not complete within hec.headersTimeout are 408 with a HEC body', async () => {
    const h = await start({ config: hecConfig({ timeouts: { ...DEFAULTS.hecTimeouts, headersMs: 500 } }) });
    try {
      const r = await slowHeaders(h.url, 'POST /services/collector/event HTTP/1.1\r\nHost: hec\r\n');
      expect(r).toEqual({ closed: true, status: 408, body: '{"text":"Request headers timed out (not complete after 0.5 s)","code":408}' });
    } finally {
      await h.close();
    }
  });

  it('hostile clients: endless header bytes after the reply, many at once, never reading; all are cut and the server answers others', async () => {
    const h = await start();
    try {
      const { hostname, port } = new URL(h.url);
      const sockets = Array.from({ length: 40 }, () => connect({ host: hostname, port: Number(port) }));
      const closed = sockets.map((s) => new Promise<void>((r) => s.on('close', () => r())));
      const pumps = sockets.map((s, i) => {
        s.on('error', () => {});
        // Half never read what the server sends; all keep sending header bytes until cut.
        if (i % 2 === 0) s.pause();
        s.write(`GET /services/collector/health HTTP/1.1\r\nHost: hec\r\nX-A: `);
        return setInterval(() => s.writable && s.write('x'.repeat(8192)), 10);
      });
      const all = Promise.all(closed).then(() => true);
      const cut = await Promise.race([all, new Promise<false>((r) => setTimeout(() => r(false), 15_000))]);
      for (const p of pumps) clearInterval(p);
      for (const s of sockets) s.destroy();
      expect(cut).toBe(true);
      expect(h.server.stats().codes['431']).toBe(40);
      expect((await send(h.url, '/services/collector/health', { method: 'GET' })).status).toBe(200);
    } finally {
      await h.close();
    }
  }, 30_000);
});
