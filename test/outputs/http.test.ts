import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, HttpFailure } from '../../src/outputs/http.js';
import { WebhookTransport } from '../../src/outputs/webhook.js';
import { enqueue, MemoryOutbox } from './helpers.js';

// The one HTTP client of the alert actions and `vigil replay` (which had its own request code until it moved onto
// this one). What each caller relies on: a reply cut mid-body told from a complete one, the cap (cut or drained), a
// refused certificate told from other network failures, an idle timeout beside the whole-exchange deadline.

const MiB = 1 << 20;
const CAP = 64 * 1024;

interface Receiver {
  url: URL;
  /** Bytes of reply body the handler managed to write (a cut connection stops it). */
  written: () => number;
  close: () => Promise<void>;
}

async function receiver(handler: (req: IncomingMessage, res: ServerResponse, count: (n: number) => void) => void, https?: { key: Buffer; cert: Buffer }): Promise<Receiver> {
  let written = 0;
  const count = (n: number): void => void (written += n);
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    req.on('end', () => handler(req, res, count));
  };
  const server = https ? createHttpsServer(https, onRequest) : createServer(onRequest);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: new URL(`${https ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}/`),
    written: () => written,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A 200 whose body is `mib` MiB of 'a', written as fast as the client reads. */
function bigReply(mib: number) {
  return (_req: IncomingMessage, res: ServerResponse, count: (n: number) => void): void => {
    const chunk = Buffer.alloc(MiB, 0x61);
    res.writeHead(200);
    let n = 0;
    const pump = (): void => {
      while (!res.destroyed && n < mib) {
        n++;
        count(chunk.length);
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    res.on('close', () => res.off('drain', pump));
    pump();
  };
}

const failureOf = async (p: Promise<unknown>): Promise<HttpFailure> => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HttpFailure);
  return e as HttpFailure;
};

describe('HttpClient', () => {
  it('tells a reply cut mid-body (the connection closed) from a complete one, in both cap modes', async () => {
    // Content-Length 100, 11 bytes sent, then the socket is destroyed: node's response emits 'aborted'.
    const r = await receiver((req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('{"text":"Su');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const client = new HttpClient(r.url, { verifyTls: true });
    try {
      for (const drain of [false, true]) {
        const e = await failureOf(client.post(r.url, 'x', { headers: {}, timeoutMs: 10_000, drain }));
        expect(e.reason).toBe('cut');
        expect(e.message).toBe('reading the reply failed: aborted');
      }
    } finally {
      client.close();
      await r.close();
    }
  });

  it('cuts a 600 MiB reply at the 64 KiB cap: its status counts, the rest is never read', async () => {
    const r = await receiver(bigReply(600));
    const client = new HttpClient(r.url, { verifyTls: true });
    try {
      const reply = await client.post(r.url, 'x', { headers: {}, timeoutMs: 60_000 });
      expect(reply.status).toBe(200);
      expect(reply.body).toBe('a'.repeat(CAP));
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Socket buffers hold a few MiB at most: the receiver could not write the 600 MiB.
      expect(r.written()).toBeLessThan(100 * MiB);
    } finally {
      client.close();
      await r.close();
    }
  });

  it('drains a reply past the cap to its end when asked, keeping 64 KiB of it; cut past the cap, it is no answer', async () => {
    const whole = await receiver(bigReply(32));
    // 1 MiB of a promised 2: past the cap, then the connection closes.
    const cut = await receiver((req, res) => {
      res.writeHead(200, { 'Content-Length': String(2 * MiB) });
      res.write(Buffer.alloc(MiB, 0x61), () => setTimeout(() => req.socket.destroy(), 20));
    });
    const client = new HttpClient(whole.url, { verifyTls: true });
    try {
      const reply = await client.post(whole.url, 'x', { headers: {}, idleTimeoutMs: 10_000, drain: true });
      expect(reply).toMatchObject({ status: 200, body: 'a'.repeat(CAP) });
      expect(whole.written()).toBe(32 * MiB);
      expect((await failureOf(client.post(cut.url, 'x', { headers: {}, idleTimeoutMs: 10_000, drain: true }))).reason).toBe('cut');
      // Without drain the same reply counts: its status came with the first 64 KiB.
      expect((await client.post(cut.url, 'x', { headers: {}, timeoutMs: 10_000 })).status).toBe(200);
    } finally {
      client.close();
      await whole.close();
      await cut.close();
    }
  });

  it('fails a drained reply that does not end within replyTimeoutMs of its start, though its socket is never idle', async () => {
    // A 200 whose body comes a byte every 10 ms for ever: the idle timeout never fires, the drain never ends.
    let timer: NodeJS.Timeout | undefined;
    const r = await receiver((_req, res) => {
      res.writeHead(200);
      timer = setInterval(() => res.write('a'), 10);
      res.on('close', () => clearInterval(timer));
    });
    const client = new HttpClient(r.url, { verifyTls: true });
    try {
      const e = await failureOf(client.post(r.url, 'x', { headers: {}, idleTimeoutMs: 10_000, replyTimeoutMs: 300, drain: true }));
      expect(e).toMatchObject({ reason: 'timeout', message: 'the reply did not end within 300 ms of its start' });
      // A reply that ends in time is unaffected by the same deadline.
      const ok = await receiver((_req, res) => res.end('{"text":"Success","code":0}'));
      try {
        expect(await client.post(ok.url, 'x', { headers: {}, idleTimeoutMs: 10_000, replyTimeoutMs: 300, drain: true })).toMatchObject({ status: 200, body: '{"text":"Success","code":0}' });
      } finally {
        await ok.close();
      }
    } finally {
      clearInterval(timer);
      client.close();
      await r.close();
    }
  });

  it('counts replyTimeoutMs from the first byte of the reply: a status line and headers dripped a byte at a time fail too', async () => {
    // A raw socket: 'HTTP/1.1 200 OK' then a header name a byte every 10 ms (node's parser waits for the head up to
    // its 16 KiB limit, the socket never idle), so no response event comes before the drip ends.
    const { createServer: createTcpServer } = await import('node:net');
    const timers: NodeJS.Timeout[] = [];
    const server = createTcpServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\n');
        timers.push(setInterval(() => socket.destroyed || socket.write('X'), 10));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const client = new HttpClient(url, { verifyTls: true });
    try {
      const e = await failureOf(client.post(url, 'x', { headers: {}, idleTimeoutMs: 10_000, replyTimeoutMs: 300, drain: true }));
      expect(e).toMatchObject({ reason: 'timeout', message: 'the reply did not end within 300 ms of its start' });
    } finally {
      for (const t of timers) clearInterval(t);
      client.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('fails a request whose socket stays silent past idleTimeoutMs', async () => {
    const r = await receiver(() => {}); // accepts, reads the request, never answers
    const client = new HttpClient(r.url, { verifyTls: true });
    try {
      const e = await failureOf(client.post(r.url, 'x', { headers: {}, idleTimeoutMs: 100 }));
      expect(e).toMatchObject({ reason: 'timeout', message: 'no data for 100 ms' });
    } finally {
      client.close();
      await r.close();
    }
  });
});

describe('HttpClient over TLS with a self-signed certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-http-tls-'));
  let tls: { key: Buffer; cert: Buffer };
  beforeAll(async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
    tls = { key: readFileSync(key), cert: readFileSync(cert) };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says the certificate was refused (reason tls, node error kept); verifyTls false sends', async () => {
    let requests = 0;
    const r = await receiver((_req, res) => {
      requests++;
      res.writeHead(200).end('{}');
    }, tls);
    const strict = new HttpClient(r.url, { verifyTls: true });
    const insecure = new HttpClient(r.url, { verifyTls: false });
    try {
      const e = await failureOf(strict.post(r.url, 'x', { headers: {}, timeoutMs: 10_000 }));
      expect(e).toMatchObject({ reason: 'tls', message: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate' });
      expect((e.cause as Error).message).toBe('self-signed certificate');
      expect(requests).toBe(0);
      expect((await insecure.post(r.url, 'x', { headers: {}, timeoutMs: 10_000 })).status).toBe(200);
      expect(requests).toBe(1);
    } finally {
      strict.close();
      insecure.close();
      await r.close();
    }
  });

  it('a webhook refused for its certificate is still retried, with the same error text', async () => {
    const r = await receiver((_req, res) => res.writeHead(200).end(), tls);
    const t = new WebhookTransport({ name: 'soc', type: 'webhook', url: r.url.href, headers: {}, timeoutMs: 10_000, insecure: false, maxAttempts: 3, backoff: { initialMs: 1000, maxMs: 1000, factor: 1, jitter: 0 } });
    try {
      const outcome = await t.deliver(enqueue(new MemoryOutbox(), 'soc', ['a']), { signal: new AbortController().signal, now: () => 1000 });
      expect(outcome).toEqual([{ status: 'retry', error: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate' }]);
    } finally {
      await t.close();
      await r.close();
    }
  });
});
