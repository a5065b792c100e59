/**
 * The API port's Host rules, on raw sockets.
 * - RFC 9112 §3.2 (https://www.rfc-editor.org/rfc/rfc9112#section-3.2): a server answers 400 to an HTTP/1.1 request
 *   without a Host header and to any request with more than one; node answered the first with a bare 400 (no
 *   body) and passed the second on. Now both are the API's JSON error (`USAGE`), connection closed.
 * - RFC 9112 §3.2.2 (https://www.rfc-editor.org/rfc/rfc9112#section-3.2.2): an origin server receiving an
 *   absolute-form target "MUST ignore the received Host header field (if any) and instead use the host
 *   information of the request-target". `GET http://evil.example/api/health` with `Host: 127.0.0.1` passed the
 *   DNS-rebinding check, which read only the header; its target's host is now checked too (docs/security.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadContent } from '../../src/detections/content.js';
import { createApi } from '../../src/web/api.js';
import { listenHttp } from '../../src/web/http-server.js';
import { FakeStore, rawConnection } from '../hec/helpers.js';

describe('the API port: Host header lines and absolute-form targets', () => {
  let url = '';
  let token = '';
  let close: () => Promise<void>;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-hosthdr-'));
    const config = (await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } })).http;
    const pack = loadContent([], { bundled: false });
    const server = await listenHttp(createApi({ store: new FakeStore(), content: () => pack, apiTokens: config.apiTokens }), config);
    url = server.url;
    token = config.apiTokens[0]!.token;
    close = async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(() => close());

  const raw = async (head: string) => {
    const c = await rawConnection(url, head);
    const r = await c.closed(10_000);
    return { ...r, headers: c.received().slice(0, c.received().indexOf('\r\n\r\n')) };
  };
  const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

  it('an HTTP/1.1 request without Host, or with two, is 400 USAGE as JSON, connection closed', async () => {
    const cases: [string, string][] = [
      [`GET /api/health HTTP/1.1\r\nAuthorization: Bearer ${token}\r\n\r\n`, 'malformed HTTP request: an HTTP/1.1 request without a Host header'],
      [`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nAuthorization: Bearer ${token}\r\n\r\n`, 'malformed HTTP request: more than one Host header'],
      [`POST /api/login HTTP/1.1\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n`, 'malformed HTTP request: an HTTP/1.1 request without a Host header'],
    ];
    for (const [head, message] of cases) {
      const r = await raw(head);
      expect([r.closed, r.status], head).toEqual([true, 400]);
      expect(errorOf(r.body), head).toEqual({ code: 'USAGE', message });
      expect(r.headers, head).toContain('\r\nContent-Type: application/json');
      expect(r.headers, head).not.toContain('100 Continue');
    }
    // HTTP/1.0 needs no Host; the request reaches the API.
    const old = await raw(`GET /api/health HTTP/1.0\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect(old.status).toBe(200);
  });

  it('an absolute-form target naming another host is 403 HOST_NOT_ALLOWED whatever the Host header says', async () => {
    const { port } = new URL(url);
    for (const target of [`http://evil.example:${port}/api/health`, 'http://evil.example/api/health', `http://127.0.0.1@evil.example:${port}/api/health`, `HTTP://EVIL.example:${port}/api/health`]) {
      const r = await raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      expect([r.closed, r.status], target).toEqual([true, 403]);
      expect(errorOf(r.body).code, target).toBe('HOST_NOT_ALLOWED');
    }
    // The target's host answered, the header's not: refused too (the API's origin check reads the header).
    const header = await raw(`GET http://127.0.0.1:${port}/api/health HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    expect([header.status, errorOf(header.body).code]).toEqual([403, 'HOST_NOT_ALLOWED']);
    // Both answered: served, as RFC 9112 asks of an origin server.
    const ok = await raw(`GET http://localhost:${port}/api/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    expect(ok.status).toBe(200);
  });

  // RFC 9110 §10.1.1 (https://www.rfc-editor.org/rfc/rfc9110#section-10.1.1): an Expect other than 100-continue MAY be
  // answered 417. Node's own 417 had no body.
  it('an Expect other than 100-continue is 417 USAGE as JSON, connection closed', async () => {
    const r = await raw(`POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    expect([r.closed, r.status]).toEqual([true, 417]);
    expect(errorOf(r.body)).toEqual({ code: 'USAGE', message: 'unsupported expectation (Expect: "200-ok"): only 100-continue is supported' });
  });

  // RFC 9110 §9.3.6: CONNECT asks a proxy for a tunnel. Node, with no `connect` listener, cut the connection without a
  // reply; the API answers 404 NOT_FOUND, its error for a method no path takes (docs/api.md, Errors).
  it('CONNECT is 404 NOT_FOUND as JSON, connection closed', async () => {
    const r = await raw('CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
    expect([r.closed, r.status]).toEqual([true, 404]);
    expect(errorOf(r.body)).toEqual({ code: 'NOT_FOUND', message: 'no such endpoint: CONNECT 127.0.0.1:22' });
  });

  // RFC 9112 §6.1: a transfer coding the server does not understand SHOULD be answered 501. Node decodes only chunked.
  it('Transfer-Encoding with a coding besides chunked is 501 USAGE as JSON', async () => {
    const r = await raw(`POST /api/search HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`);
    expect([r.closed, r.status]).toEqual([true, 501]);
    expect(errorOf(r.body)).toEqual({ code: 'USAGE', message: 'unsupported Transfer-Encoding "gzip, chunked": only chunked is read' });
  });
});
