import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, auth, heldFor, hecConfig, send, start } from './helpers.js';
import { createHecServer } from '../../src/hec/index.js';
import { FakeStore } from './helpers.js';

const run = promisify(execFile);
let dir: string;
let cert: string;
let key: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-tls-'));
  cert = join(dir, 'cert.pem');
  key = join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('TLS', () => {
  it('serves HEC over https with the configured certificate', async () => {
    const h = await start({ config: hecConfig({ tls: { cert, key } }) });
    try {
      expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const r = await send(h.url, '/services/collector/event', { body: '{"event":"secure"}', headers: auth(), insecure: true });
      expect(r.text).toBe('{"text":"Success","code":0}');
      const { stdout } = await run('curl', ['-s', '-k', `${h.url}/services/collector/event`, '-H', `Authorization: Splunk ${TOKEN}`, '-d', '{"event":"curl -k"}']);
      expect(stdout).toBe('{"text":"Success","code":0}');
      expect(h.store.events.map((e) => e._raw)).toEqual(['secure', 'curl -k']);
    } finally {
      await h.close();
    }
  });

  it('a connection that never completes the TLS handshake is closed after hec.headersTimeout (was node\'s 120 s)', async () => {
    const h = await start({ config: hecConfig({ tls: { cert, key }, timeouts: { headersMs: 1000, bodyIdleMs: 30_000, bodyMs: 120_000 } }) });
    try {
      expect(await heldFor(h.url, 8000)).toBeLessThan(4000);
    } finally {
      await h.close();
    }
  });

  it('a missing certificate file fails listen() with a CONFIG error', async () => {
    const s = createHecServer({ config: hecConfig({ tls: { cert: join(dir, 'nope.pem'), key } }), store: new FakeStore() });
    await expect(s.listen()).rejects.toMatchObject({ code: 'CONFIG' });
  });

  it('a port in use fails listen() with a CONFIG error', async () => {
    const a = await start();
    try {
      const port = Number(new URL(a.url).port);
      const b = createHecServer({ config: hecConfig({ port }), store: new FakeStore() });
      await expect(b.listen()).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    } finally {
      await a.close();
    }
  });
});

/**
 * Over TLS too, a client that half-closes once its request is sent (RFC 9293 §3.6) reads its reply: the TLS server's
 * sockets ended their side with the client's (net's `allowHalfOpen` false), so a stored batch's reply was lost.
 */
describe('TLS: a client that half-closes after its request', () => {
  it('gets its reply', async () => {
    const h = await start({ config: hecConfig({ tls: { cert, key } }) });
    try {
      h.store.hold = true;
      const s = tlsConnect({ host: '127.0.0.1', port: Number(new URL(h.url).port), rejectUnauthorized: false });
      await new Promise((r) => s.once('secureConnect', r));
      let text = '';
      s.on('data', (c: Buffer) => (text += c.toString()));
      const closed = new Promise((r) => s.once('close', r));
      const e = '{"event":"tls"}';
      s.end(`POST /services/collector/event HTTP/1.1\r\nHost: hec\r\nAuthorization: Splunk ${TOKEN}\r\nContent-Length: ${e.length}\r\n\r\n${e}`);
      for (let i = 0; i < 100 && h.store.held.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      h.store.release();
      await closed;
      expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
      expect(text.endsWith('\r\n\r\n{"text":"Success","code":0}')).toBe(true);
      expect(h.store.events.map((ev) => ev._raw)).toEqual(['tls']);
    } finally {
      await h.close();
    }
  });
});
