/** API request bodies (issue #14 items 2 and 4): size limits enforced while reading, idle/total timeouts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig, type HttpConfig } from '../../src/config/index.js';
import { loadContent } from '../../src/detections/content.js';
import { createApi } from '../../src/web/api.js';
import { listenHttp } from '../../src/web/http-server.js';
import { FakeStore, rawConnection, send, sleep, slowHeaders } from '../hec/helpers.js';

const KiB = 1024;

interface Api {
  url: string;
  token: string;
  close(): Promise<void>;
}

async function startApi(overrides: Partial<Pick<HttpConfig, 'maxBodyBytes' | 'maxLoginBodyBytes' | 'maxInflightBytes' | 'timeouts'>> = {}): Promise<Api> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-body-'));
  const config = await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
  const http: HttpConfig = { ...config.http, ...overrides };
  const pack = loadContent([], { bundled: false });
  const app = createApi({ store: new FakeStore(), content: () => pack, apiTokens: http.apiTokens, requestLimits: http });
  const server = await listenHttp(app, http);
  return {
    url: server.url,
    token: http.apiTokens[0]!.token,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function head(path: string, headers: Record<string, string | number>): string {
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

/**
 * Sends a chunked body of `total` bytes, 1 KiB at a time, until the server answers or closes. Returns the
 * reply and how many bytes were written: an upper bound of what the server read.
 */
async function trickleChunked(url: string, path: string, headers: Record<string, string>, total: number): Promise<{ status: number | null; body: string; sent: number }> {
  const c = await rawConnection(url, head(path, { ...headers, 'Transfer-Encoding': 'chunked' }));
  const chunk = `400\r\n${'['.repeat(KiB)}\r\n`;
  let sent = 0;
  while (sent < total && c.received() === '' && !c.socket.destroyed) {
    if (!c.socket.write(chunk)) await new Promise((r) => c.socket.once('drain', r));
    sent += KiB;
    await sleep(1);
  }
  if (sent >= total) c.socket.write('0\r\n\r\n');
  const r = await c.closed(10_000);
  c.socket.destroy();
  return { status: r.status, body: r.body, sent };
}

function errorOf(body: string): { code: string; message: string } {
  return (JSON.parse(body) as { error: { code: string; message: string } }).error;
}

describe('request body limits', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi({ maxBodyBytes: 64 * KiB });
  });
  afterAll(() => api.close());

  it('a login declaring a body over http.maxLoginBodyBytes gets 413 at once, before sending any of it', async () => {
    const c = await rawConnection(api.url, head('/api/login', { 'Content-Type': 'application/json', 'Content-Length': 1024 * 1024 * 1024 }));
    const r = await c.closed(10_000);
    c.socket.destroy();
    expect(r.status).toBe(413);
    expect(errorOf(r.body)).toEqual({ code: 'BODY_TOO_LARGE', message: `the request body is over the limit of ${DEFAULTS.httpMaxLoginBodyBytes} bytes` });
  });

  it('a chunked login body is cut at the limit: 413 having read a few KiB of 8 MiB', async () => {
    const r = await trickleChunked(api.url, '/api/login', { 'Content-Type': 'application/json' }, 8 * 1024 * KiB);
    expect(r.status).toBe(413);
    expect(errorOf(r.body).code).toBe('BODY_TOO_LARGE');
    expect(r.sent).toBeLessThan(1024 * KiB);
  });

  it('an authenticated route: a chunked body over http.maxBodyBytes gets 413 while it is read', async () => {
    const r = await trickleChunked(api.url, '/api/search', { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' }, 8 * 1024 * KiB);
    expect(r.status).toBe(413);
    expect(errorOf(r.body)).toEqual({ code: 'BODY_TOO_LARGE', message: 'the request body is over the limit of 65536 bytes' });
    expect(r.sent).toBeLessThan(1024 * KiB);
  });

  it('an unauthenticated request is refused without its body being read', async () => {
    const c = await rawConnection(api.url, head('/api/search', { 'Content-Type': 'application/json', 'Content-Length': 32 * KiB }));
    const r = await c.closed(10_000);
    c.socket.destroy();
    expect(r.status).toBe(401);
  });

  it('Expect: 100-continue is answered only for a body that will be read: never before a 401 or a 413', async () => {
    const expect100 = { 'Content-Type': 'application/json', Expect: '100-continue' };
    const refused = [
      ['/api/search', { ...expect100, 'Content-Length': 32 * KiB }, 401],
      ['/api/search', { ...expect100, Authorization: `Bearer ${api.token}`, 'Content-Length': 8 * 1024 * KiB }, 413],
      ['/api/login', { ...expect100, 'Content-Length': 1024 * 1024 * KiB }, 413],
    ] as const;
    for (const [path, headers, status] of refused) {
      const c = await rawConnection(api.url, head(path, headers));
      await c.closed(10_000);
      c.socket.destroy();
      // Before: node's automatic "100 Continue" came first, inviting the client to send what was then refused.
      expect(c.received().split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Payload Too Large'}`);
    }
    const body = JSON.stringify({ search: ' ' });
    const c = await rawConnection(api.url, head('/api/search', { ...expect100, Authorization: `Bearer ${api.token}`, 'Content-Length': body.length }));
    for (let i = 0; i < 100 && !c.received().includes('\r\n\r\n'); i++) await sleep(20);
    expect(c.received()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    c.socket.write(body);
    for (let i = 0; i < 100 && !c.received().includes('required'); i++) await sleep(20);
    c.socket.destroy();
    expect(c.received()).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 400 Bad Request\r\n[^]*\(SPL text\) is required/);
  });

  it('a body refused while it is sent closes its connection (Connection: close): a client that reuses connections gets its next request answered', async () => {
    const headers = { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' };
    for (let i = 0; i < 10; i++) {
      const refused = await fetch(`${api.url}/api/search`, { method: 'POST', headers, body: 'x'.repeat(1024 * KiB) });
      expect(refused.status).toBe(413);
      expect(refused.headers.get('connection')).toBe('close');
      await refused.text();
      // Before: the 413 said keep-alive, and the server closed the connection after draining: fetch sent this
      // request on it and failed with "other side closed".
      const next = await fetch(`${api.url}/api/search`, { method: 'POST', headers, body: JSON.stringify({ search: ' ' }) });
      expect(next.status).toBe(400);
    }
  });

  it('bodies within the limits reach the handlers', async () => {
    const auth = { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' };
    const search = await send(api.url, '/api/search', { headers: auth, body: JSON.stringify({ search: '   ', pad: 'x'.repeat(60 * KiB) }) });
    expect([search.status, (search.json as { error: { message: string } }).error.message]).toEqual([400, '"search" (SPL text) is required']);
    const login = await send(api.url, '/api/login', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: api.token }) });
    expect(login.status).toBe(200);
  });

  it('a body nesting JSON deeper than 64 levels is 400 USAGE before any parse (JSON.parse of 1 MiB of [[[[ held both ports ~0.3 s)', async () => {
    const auth = { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' };
    const deep = (n: number) => JSON.stringify({ search: '| makeresults', pad: '"[{' }).slice(0, -1) + `,"x":${'['.repeat(n)}${']'.repeat(n)}}`;
    const r = await send(api.url, '/api/search', { headers: auth, body: deep(20 * KiB) });
    expect([r.status, (r.json as { error: { code: string; message: string } }).error]).toEqual([400, { code: 'USAGE', message: 'the request body nests JSON arrays and objects deeper than 64 levels' }]);
    // 63 arrays inside the body's object: 64 levels, read as before (brackets inside strings do not count).
    const ok = await send(api.url, '/api/search', { headers: auth, body: deep(63) });
    expect(ok.status).toBe(200);
    const login = await send(api.url, '/api/login', { headers: { 'Content-Type': 'application/json' }, body: `{"token":${'['.repeat(5000)}${']'.repeat(5000)}}` });
    expect([login.status, (login.json as { error: { code: string } }).error.code]).toEqual([400, 'USAGE']);
  });

  it('16 KB of whitespace in Authorization is an invalid token (401); a token padded with whitespace is accepted', async () => {
    const pad = ' '.repeat(15 * KiB);
    for (const header of [`Bearer a${pad}b`, `Bearer${pad}`, `${pad}x`]) {
      const r = await send(api.url, '/api/health', { method: 'GET', headers: { Authorization: header } });
      expect(r.status, header.trim()).toBe(401);
    }
    const half = ' '.repeat(7 * KiB); // node refuses more than 16 KiB of headers in all (431)
    const ok = await send(api.url, '/api/health', { method: 'GET', headers: { Authorization: `Bearer${half}${api.token}${half}` } });
    expect(ok.status).toBe(200);
  });

  it('failed login bodies (malformed JSON, too large, wrong shape) count as failed logins', async () => {
    const other = await startApi();
    try {
      const bodies = ['{"username": "a", "pass', 'x'.repeat(20 * KiB), '{"user": "a"}'];
      let status = 0;
      for (let i = 0; i < 60 && status !== 429; i++) {
        status = (await send(other.url, '/api/login', { headers: { 'Content-Type': 'application/json' }, body: bodies[i % bodies.length]! })).status;
        expect([400, 413, 429]).toContain(status);
      }
      expect(status).toBe(429);
    } finally {
      await other.close();
    }
  });
});

describe('request timeouts', () => {
  it('bodies in progress hold at most http.maxInflightBytes across requests: past it 503 SERVER_BUSY, freed as they end', async () => {
    // 1,500 connections sending all but the last bytes of a 1 MiB body held 1.5 GB before (an API token holder).
    const api = await startApi({ maxBodyBytes: 64 * KiB, maxInflightBytes: 256 * KiB });
    const held: Awaited<ReturnType<typeof rawConnection>>[] = [];
    const auth = { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json' };
    try {
      // Four bodies of 64 KiB, sent but for their last bytes: the whole budget.
      for (let i = 0; i < 4; i++) {
        const c = await rawConnection(api.url, head('/api/search', { ...auth, 'Content-Length': 64 * KiB }));
        c.socket.write('{"search":"' + 'x'.repeat(64 * KiB - 20));
        held.push(c);
      }
      await sleep(300);
      // Declared, it does not fit: refused before it is read; chunked, it is refused as its bytes come.
      const declared = await send(api.url, '/api/search', { headers: auth, body: JSON.stringify({ search: '| makeresults', pad: 'p'.repeat(KiB) }) });
      expect([declared.status, (declared.json as { error: { code: string } }).error.code]).toEqual([503, 'SERVER_BUSY']);
      const chunked = await trickleChunked(api.url, '/api/search', auth, 8 * KiB);
      expect([chunked.status, errorOf(chunked.body).code]).toEqual([503, 'SERVER_BUSY']);
      // The login shares it.
      const login = await send(api.url, '/api/login', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: api.token, pad: 'p'.repeat(KiB) }) });
      expect(login.status).toBe(503);
      for (const c of held) c.socket.destroy();
      await sleep(300);
      const after = await send(api.url, '/api/search', { headers: auth, body: JSON.stringify({ search: '   ' }) });
      expect(after.status).toBe(400); // read and handled: a missing search
    } finally {
      for (const c of held) c.socket.destroy();
      await api.close();
    }
  });

  it('a body that stops arriving is cut after http.bodyIdleTimeout (408), on login and on authenticated routes', async () => {
    const api = await startApi({ timeouts: { ...DEFAULTS.httpTimeouts, bodyIdleMs: 300 } });
    try {
      for (const [path, headers] of [
        ['/api/login', {}],
        ['/api/search', { Authorization: `Bearer ${api.token}` }],
      ] as const) {
        const c = await rawConnection(api.url, head(path, { ...headers, 'Content-Type': 'application/json', 'Content-Length': 100 }));
        c.socket.write('{"token":');
        const r = await c.closed(10_000);
        c.socket.destroy();
        expect(r.status, path).toBe(408);
        expect(errorOf(r.body), path).toEqual({ code: 'BODY_TIMEOUT', message: 'the request body timed out (no data for 0.3 s)' });
      }
    } finally {
      await api.close();
    }
  });

  it('a body trickled faster than the idle timeout is cut after http.bodyTimeout', async () => {
    const api = await startApi({ timeouts: { ...DEFAULTS.httpTimeouts, bodyIdleMs: 1000, bodyMs: 1500 } });
    try {
      const c = await rawConnection(api.url, head('/api/search', { Authorization: `Bearer ${api.token}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }));
      const drip = setInterval(() => c.socket.writable && c.socket.write('1\r\n \r\n'), 100);
      const r = await c.closed(10_000);
      clearInterval(drip);
      c.socket.destroy();
      expect(r.status).toBe(408);
      expect(errorOf(r.body).message).toBe('the request body timed out (not complete after 1.5 s)');
    } finally {
      await api.close();
    }
  });

  it('headers sent slowly (slowloris) are cut after http.headersTimeout', async () => {
    const api = await startApi({ timeouts: { ...DEFAULTS.httpTimeouts, headersMs: 500 } });
    try {
      const r = await slowHeaders(api.url, 'GET /api/health HTTP/1.1\r\nHost: localhost\r\n');
      expect(r.closed).toBe(true);
      expect(r.status).toBe(408);
    } finally {
      await api.close();
    }
  });
});
