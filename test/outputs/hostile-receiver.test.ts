import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../src/outputs/dispatcher.js';
import { classifyHecReply } from '../../src/outputs/splunk-hec.js';
import { classifyWebhookReply, WebhookTransport } from '../../src/outputs/webhook.js';
import { enqueue, MemoryOutbox, scriptedServer } from './helpers.js';

// A receiver's reply text reaches the log (stderr) and the outbox's lastError, shown by the API and console.
describe("a hostile receiver's reply text in errors", () => {
  const hostile = 'bad\u001b[2K\r\nvigil alerts info: all delivered\u0000\u202e';

  it('webhook: one line, no control characters', () => {
    const o = classifyWebhookReply({ status: 500, headers: {}, body: hostile }, 1000);
    expect(o).toEqual({ status: 'retry', error: 'HTTP 500: bad\ufffd[2K vigil alerts info: all delivered\ufffd\ufffd' });
  });

  it("HEC: the reply's text field is bounded to one short line too", () => {
    const { outcomes } = classifyHecReply({ status: 400, headers: {}, body: JSON.stringify({ code: 6, text: hostile + 'x'.repeat(10_000) }) }, 1, 1000);
    const error = (outcomes[0] as { error: string }).error;
    expect(error).toMatch(/^HEC HTTP 400 code 6: bad\ufffd\[2K vigil alerts info: all delivered\ufffd\ufffdx+…$/);
    expect(error.length).toBeLessThan(300);
  });
});

describe('a receiver whose reply never ends', () => {
  it('is read up to the 64 KiB cap, then cut: its status counts, no wait for the timeout, no duplicate', async () => {
    const sockets = new Set<Socket>();
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 97);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    server.on('connection', (c: Socket) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const t = new WebhookTransport({ name: 'soc', type: 'webhook', url: `http://127.0.0.1:${port}/`, headers: {}, timeoutMs: 10_000, insecure: false, maxAttempts: 3, backoff: { initialMs: 1000, maxMs: 1000, factor: 1, jitter: 0 } });
    try {
      const started = Date.now();
      const outcome = await t.deliver(enqueue(new MemoryOutbox(), 'soc', ['a']), { signal: new AbortController().signal, now: () => 1000 });
      expect(outcome).toEqual([{ status: 'delivered' }]);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await t.close();
      for (const c of sockets) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('a hanging receiver with a backlog', () => {
  it('does not starve the other actions: their items are listed while its slots are full', async () => {
    const hang = await scriptedServer(['hang']);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-hol-'));
    const outbox = new MemoryOutbox();
    // An outage's backlog, older than anything else due.
    enqueue(outbox, 'soc', Array.from({ length: 3000 }, (_, i) => `pod-${i}`), 1000);
    enqueue(outbox, 'archive', ['late'], 1500);
    const backoff = { initialMs: 1000, maxMs: 1000, factor: 1, jitter: 0 };
    const d = new AlertDispatcher({
      state: outbox,
      actions: [
        { name: 'soc', type: 'webhook', url: hang.url, headers: {}, timeoutMs: 30_000, insecure: false, maxAttempts: 3, backoff },
        { name: 'archive', type: 'file', path: join(dir, 'alerts.jsonl'), maxAttempts: 3, backoff },
      ],
      now: () => 2000,
      log: () => {},
    });
    try {
      d.start();
      const until = Date.now() + 3000;
      while (Date.now() < until && d.stats().actions['archive']!.delivered === 0) await new Promise((r) => setTimeout(r, 20));
      expect(d.stats().actions['archive']!.delivered).toBe(1);
      expect(readFileSync(join(dir, 'alerts.jsonl'), 'utf8')).toContain('"late"');
    } finally {
      await d.stop({ abortAfterMs: 0 });
      await hang.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
