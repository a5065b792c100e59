/**
 * Connections of the API port used as a hostile client would: pipelined requests that are never read. The
 * console's static files answer without credentials, so this is open to anyone who can reach the port.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type HttpConfig } from '../../src/config/index.js';
import { loadContent } from '../../src/detections/content.js';
import { createApi } from '../../src/web/api.js';
import type { ApiEnv } from '../../src/web/context.js';
import { listenHttp } from '../../src/web/http-server.js';
import { FakeStore, sleep } from '../hec/helpers.js';

const ASSET = '/assets/app-1234.js';

/** A raw connection to the server at `url`: what it received so far, and whether it was closed. */
async function client(url: string): Promise<{ socket: Socket; received: string; closed: boolean }> {
  const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
  const c = { socket, received: '', closed: false };
  socket.on('data', (b: Buffer) => (c.received += b.toString('latin1')));
  socket.on('close', () => (c.closed = true));
  socket.on('error', () => {});
  await new Promise((r) => socket.once('connect', r));
  return c;
}

describe('pipelined requests (http.maxPipelinedRequests)', () => {
  let url: string;
  let config: HttpConfig;
  let handled = 0;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-conn-'));
    const staticDir = join(dataDir, 'console');
    mkdirSync(join(staticDir, 'assets'), { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>vigil</title>');
    // The size of the console's bundle: the server used to copy it for every response it queued.
    writeFileSync(join(staticDir, ASSET), 'x'.repeat(320 * 1024));
    config = (await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } })).http;
    const pack = loadContent([], { bundled: false });
    const api = createApi({ store: new FakeStore(), content: () => pack, apiTokens: config.apiTokens, staticDir });
    // Counts the requests the app was given.
    const app = new Hono<ApiEnv>();
    app.use('*', async (_c, next) => {
      handled++;
      await next();
    });
    app.route('/', api);
    const server = await listenHttp(app, config);
    url = server.url;
    close = async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    };
  });
  afterAll(() => close());

  it('a client pipelining thousands of requests without reading the replies gets maxPipelinedRequests handled at a time, the rest 503, and every reply in order', async () => {
    expect(config.maxPipelinedRequests).toBe(16);
    const c = await client(url);
    c.socket.pause(); // reads nothing for a second
    handled = 0;
    c.socket.write(`GET ${ASSET} HTTP/1.1\r\nHost: localhost\r\n\r\n`.repeat(2000));
    await sleep(1000);
    // Before: every request of every chunk read went to the app (thousands), each with a 320 KB reply queued.
    expect(handled).toBeLessThanOrEqual(config.maxPipelinedRequests);
    c.socket.resume();
    const statuses = (): string[] => c.received.match(/HTTP\/1\.1 \d{3}/g) ?? [];
    for (let i = 0; i < 100 && statuses().length < 2000; i++) await sleep(100);
    expect(c.closed).toBe(false);
    c.socket.destroy();
    // Every request answered: the first 16 handled, then, as the client reads, those admitted again beside 503s for
    // the ones past the cap (not handled: the app saw only the 200s).
    expect(statuses()).toHaveLength(2000);
    expect(statuses().slice(0, 16)).toEqual(Array(16).fill('HTTP/1.1 200'));
    expect(statuses().filter((s) => s === 'HTTP/1.1 200')).toHaveLength(handled);
    expect(statuses().filter((s) => s !== 'HTTP/1.1 200').every((s) => s === 'HTTP/1.1 503')).toBe(true);
    expect(c.received).toMatch(/"code":"UNAVAILABLE","message":"more than 16 requests wait for their replies on this connection/);
    const other = await fetch(url + ASSET);
    expect(other.status).toBe(200);
    expect((await other.arrayBuffer()).byteLength).toBe(320 * 1024);
  });

  it('static files are served from one copy: 40 clients with 16 unread replies each hold no copies of the file', async () => {
    const { port } = new URL(url);
    const before = process.memoryUsage().arrayBuffers;
    const sockets = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const socket = connect({ host: '127.0.0.1', port: Number(port) });
        socket.pause();
        socket.on('error', () => {});
        await new Promise((r) => socket.once('connect', r));
        socket.write(`GET ${ASSET} HTTP/1.1\r\nHost: localhost\r\n\r\n`.repeat(config.maxPipelinedRequests));
        return socket;
      }),
    );
    await sleep(1000);
    const grown = process.memoryUsage().arrayBuffers - before;
    for (const s of sockets) s.destroy();
    // Before: a copy per reply, ~200 MB for these 640 replies (what the kernel's socket buffers did not take).
    expect(grown).toBeLessThan(20 * 1024 * 1024);
  });

  it('a GET whose body never ends is answered and its connection closed, not held until the whole-request backstop', async () => {
    for (const path of ['/', '/api/health']) {
      const c = await client(url);
      c.socket.write(`GET ${path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const drip = setInterval(() => c.socket.writable && c.socket.write('1\r\na\r\n'), 200);
      for (let i = 0; i < 30 && !c.closed; i++) await sleep(100);
      clearInterval(drip);
      c.socket.destroy();
      // Before: the reply came at once, then node read the body until http.headersTimeout + bodyTimeout + 1 s (71 s).
      expect(c.received).toMatch(/^HTTP\/1\.1 (200|401) /);
      expect(c.closed).toBe(true);
    }
  });

  it('a request the adapter cannot read (backslash in the path, GET *, a Host port past 65535) gets a JSON 400, not a bare one', async () => {
    for (const [target, host] of [['/a\\..\\b', 'localhost'], ['*', 'localhost'], ['/x', '127.0.0.1:99999']]) {
      const c = await client(url);
      c.socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      for (let i = 0; i < 30 && !c.closed; i++) await sleep(100);
      c.socket.destroy();
      const [head, body] = c.received.split('\r\n\r\n');
      expect(head, target).toMatch(/^HTTP\/1\.1 400 .*content-type: application\/json/is);
      expect(JSON.parse(body!), target).toEqual({ error: { code: 'USAGE', message: expect.stringMatching(/^unreadable request: /) } });
    }
  });

  it('a client pipelining maxPipelinedRequests requests and reading gets every reply, in order', async () => {
    const { port } = new URL(url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    await new Promise((r) => socket.once('connect', r));
    const paths = Array.from({ length: config.maxPipelinedRequests }, (_, i) => `/api/health?n=${i}`);
    socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: localhost\r\n\r\n`).join(''));
    for (let i = 0; i < 50 && (text.match(/HTTP\/1\.1 /g) ?? []).length < paths.length; i++) await sleep(100);
    expect(socket.destroyed).toBe(false);
    socket.destroy();
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(paths.map(() => 'HTTP/1.1 401'));
  });
});
