/**
 * Requests node's HTTP parser refuses before the API runs (oversized request line and headers, a malformed
 * request, headers too slow), sent by hand on raw sockets: each gets the API's JSON error (docs/errors.md) where
 * node answered a bare 431/400/408; the connection is closed and the server keeps serving.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type HttpConfig } from '../../src/config/index.js';
import { loadContent } from '../../src/detections/content.js';
import { createApi } from '../../src/web/api.js';
import { listenHttp } from '../../src/web/http-server.js';
import { FakeStore, rawConnection, send, slowHeaders } from '../hec/helpers.js';

async function startApi(overrides: Partial<HttpConfig> = {}): Promise<{ url: string; token: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-clienterr-'));
  const config = await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
  const http: HttpConfig = { ...config.http, ...overrides };
  const pack = loadContent([], { bundled: false });
  const server = await listenHttp(createApi({ store: new FakeStore(), content: () => pack, apiTokens: http.apiTokens, requestLimits: http }), http);
  return {
    url: server.url,
    token: http.apiTokens[0]!.token,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

describe('API requests refused before the app runs (clientError)', () => {
  it('a query string over 16 KiB is 431 HEADERS_TOO_LARGE as JSON, the connection closed; a shorter one is served', async () => {
    const api = await startApi();
    try {
      const c = await rawConnection(api.url, `GET /api/findings?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${api.token}\r\n\r\n`);
      const r = await c.closed(10_000);
      expect([r.closed, r.status]).toEqual([true, 431]);
      expect(errorOf(r.body)).toEqual({
        code: 'HEADERS_TOO_LARGE',
        message: 'the request line and headers are over the limit of 16384 bytes (http.maxHeaderBytes): send a long search in a POST body',
      });
      expect(c.received()).toContain('\r\nContent-Type: application/json; charset=UTF-8\r\n');
      expect((await send(api.url, `/api/health?x=${'a'.repeat(15_000)}`, { method: 'GET', headers: { Authorization: `Bearer ${api.token}` } })).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('http.maxHeaderBytes sets the limit', async () => {
    const api = await startApi({ maxHeaderBytes: 64 * 1024 });
    try {
      // 40 KB of query: over node's default, within the configured 64 KiB.
      expect((await send(api.url, `/api/health?x=${'a'.repeat(40_000)}`, { method: 'GET', headers: { Authorization: `Bearer ${api.token}` } })).status).toBe(200);
      const r = await (await rawConnection(api.url, `GET /api/health?x=${'a'.repeat(70_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`)).closed(10_000);
      expect(r.status).toBe(431);
      expect(errorOf(r.body).message).toContain('over the limit of 65536 bytes');
    } finally {
      await api.close();
    }
  });

  it('a malformed request is 400 USAGE as JSON; headers too slow are 408 HEADERS_TIMEOUT', async () => {
    const api = await startApi({ timeouts: { headersMs: 500, bodyIdleMs: 30_000, bodyMs: 60_000 } });
    try {
      for (const head of ['GARBAGE\r\n\r\n', 'GET /api/health HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n']) {
        const r = await (await rawConnection(api.url, head)).closed(10_000);
        expect([r.closed, r.status], head).toEqual([true, 400]);
        expect(errorOf(r.body).code, head).toBe('USAGE');
        expect(errorOf(r.body).message, head).toMatch(/^malformed HTTP request: .+/);
      }
      const slow = await slowHeaders(api.url, 'GET /api/health HTTP/1.1\r\nHost: localhost\r\n');
      expect([slow.closed, slow.status]).toEqual([true, 408]);
      expect(errorOf(slow.body)).toEqual({ code: 'HEADERS_TIMEOUT', message: 'the request line and headers were not complete after 0.5 s (http.headersTimeout)' });
      expect((await send(api.url, '/api/health', { method: 'GET', headers: { Authorization: `Bearer ${api.token}` } })).status).toBe(200);
    } finally {
      await api.close();
    }
  });

  it('a malformed chunked body of a request the app is reading is 400 USAGE / 413 BODY_TOO_LARGE as JSON (node answered them), the connection closed', async () => {
    const api = await startApi();
    try {
      const head = `POST /api/search HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${api.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      const bad = await (await rawConnection(api.url, `${head}zz\r\nabc\r\n0\r\n\r\n`)).closed(10_000);
      expect([bad.closed, bad.status]).toEqual([true, 400]);
      expect(errorOf(bad.body)).toEqual({ code: 'USAGE', message: 'malformed HTTP request: Invalid character in chunk size' });
      const ext = await (await rawConnection(api.url, `${head}5;${'e'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`)).closed(10_000);
      expect([ext.closed, ext.status]).toEqual([true, 413]);
      expect(errorOf(ext.body)).toEqual({ code: 'BODY_TOO_LARGE', message: 'a chunk-size line with extensions is over 16384 bytes' });
      expect((await send(api.url, '/api/health', { method: 'GET', headers: { Authorization: `Bearer ${api.token}` } })).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});
