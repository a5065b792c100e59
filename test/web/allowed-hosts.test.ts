/**
 * DNS rebinding: a web page whose name comes to resolve to 127.0.0.1 makes the visitor's browser talk to a console
 * on their machine as that page (Host: the page's name). The port answers only the hosts it may be called by.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadContent } from '../../src/detections/content.js';
import { hostCheck } from '../../src/web/allowed-hosts.js';
import { createApi } from '../../src/web/api.js';
import { listenHttp } from '../../src/web/http-server.js';
import { FakeStore } from '../hec/helpers.js';

describe('hostCheck', () => {
  it('on loopback (the default 127.0.0.1): addresses and localhost only, unless listed', () => {
    const ok = hostCheck('127.0.0.1', undefined);
    for (const h of [undefined, '127.0.0.1:8000', '10.1.2.3', '[::1]:8000', '[::1]', 'localhost', 'LOCALHOST:8000', 'localhost.', 'app.localhost:1']) expect(ok(h)).toBe(true);
    for (const h of ['evil.example', 'evil.example:8000', '127.0.0.1.nip.io', 'localhost.evil.example', '', 'a b', 'x:y', '[::1', '[evil]:80', 'host:123456']) expect(ok(h)).toBe(false);
    expect(hostCheck('::1', undefined)('evil.example')).toBe(false);
    expect(hostCheck('localhost', undefined)('evil.example')).toBe(false);
  });

  it('beyond loopback without a list: any name (the server cannot know its names)', () => {
    expect(hostCheck('0.0.0.0', undefined)('vigil.corp.example:8000')).toBe(true);
    expect(hostCheck('10.0.0.5', undefined)('anything')).toBe(true);
  });

  it('with a list: its names, `.domain` for the domain and its subdomains, `*` for any', () => {
    for (const listen of ['127.0.0.1', '0.0.0.0']) {
      const ok = hostCheck(listen, ['vigil.example', '.corp.example']);
      for (const h of ['vigil.example', 'VIGIL.example:443', 'corp.example', 'a.b.corp.example', '192.168.0.1', 'localhost']) expect(ok(h)).toBe(true);
      for (const h of ['other.example', 'badcorp.example', 'vigil.example.evil']) expect(ok(h)).toBe(false);
    }
    expect(hostCheck('127.0.0.1', ['*'])('anything.example')).toBe(true);
    expect(hostCheck('0.0.0.0', [])('anything.example')).toBe(false);
  });
});

describe('the API port refuses other hosts', () => {
  let port = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-hosts-'));
    const config = (await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } })).http;
    const pack = loadContent([], { bundled: false });
    const server = await listenHttp(createApi({ store: new FakeStore(), content: () => pack, apiTokens: config.apiTokens }), config);
    port = Number(new URL(server.url).port);
    close = async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(() => close());

  const get = (host: string): Promise<{ status: number; body: string; connection: string | undefined }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/health', headers: { Host: host } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers 403 HOST_NOT_ALLOWED, closing the connection, for a name it is not called by; its address and localhost reach the API', async () => {
    const refused = await get(`rebind.evil.example:${port}`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error.code).toBe('HOST_NOT_ALLOWED');
    expect(refused.connection).toBe('close');
    // Reaches the API, which asks for credentials.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) expect(JSON.parse((await get(host)).body).error.code).toBe('UNAUTHORIZED');
  });
});
