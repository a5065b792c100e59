/** Bad inputs and load that must never crash the server nor make it buffer without bound. */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TOKEN, auth, busy, hecConfig, send, sleep, start, type Running } from './helpers.js';
import { StoreError, type AppendReceipt } from '../../src/store/types.js';
import type { Event } from '../../src/events/event.js';
import { createHecServer } from '../../src/hec/index.js';

const run = promisify(execFile);

let hec: Running;
let dir: string;
beforeAll(async () => {
  hec = await start();
  dir = await mkdtemp(join(tmpdir(), 'vigil-hec-'));
});
afterAll(async () => {
  await hec.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  hec.store.batches.length = 0;
});

async function healthy(url: string): Promise<void> {
  const r = await send(url, '/services/collector/event', { body: '{"event":"still alive"}', headers: auth() });
  expect(r.status).toBe(200);
}

/**
 * Streams `total` bytes, chunked or with a declared Content-Length, stopping when the server answers.
 * One 1 MiB buffer is reused, so the test process itself holds no 50 MB.
 */
function stream(url: string, path: string, total: number, declared = false): Promise<{ status: number | null; text: string; sent: number; error: string | null }> {
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  return new Promise((resolve) => {
    let sent = 0;
    let answered = false;
    let status: number | null = null;
    let text = '';
    let error: string | null = null;
    const req = request(new URL(path, url), { method: 'POST', headers: { ...auth(), ...(declared ? { 'Content-Length': total } : { 'Transfer-Encoding': 'chunked' }) }, agent: false }, (res) => {
      answered = true;
      status = res.statusCode ?? null;
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status, text, sent, error }));
      res.on('error', () => resolve({ status, text, sent, error }));
    });
    req.on('error', (e) => {
      error = (e as NodeJS.ErrnoException).code ?? e.message;
      if (!answered) resolve({ status, text, sent, error });
    });
    const pump = (): void => {
      while (!answered && sent < total && !req.destroyed) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && sent >= total) req.end();
    };
    pump();
  });
}

describe('oversized bodies', () => {
  it('a declared 50 MB body is refused with 413 before it is read (curl, as the docs use it)', async () => {
    const file = join(dir, 'big.bin');
    await writeFile(file, Buffer.alloc(50 * 1024 * 1024, 'x'));
    const { stdout } = await run('curl', ['-s', '-k', '-w', '\n%{http_code} %{size_upload}', `${hec.url}/services/collector/raw`, '-H', `Authorization: Splunk ${TOKEN}`, '--data-binary', `@${file}`], { maxBuffer: 1024 * 1024 });
    const [body, codeAndUpload] = stdout.split('\n');
    const [code, uploaded] = (codeAndUpload as string).split(' ');
    expect(code).toBe('413');
    // curl sends `Expect: 100-continue`; the refusal comes first, so the body is never sent.
    expect(Number(uploaded)).toBe(0);
    expect(JSON.parse(body as string)).toEqual({ text: 'Request entity too large (the limit is 1048576 bytes)', code: 413 });
    expect(hec.server.stats().inflightBytes).toBe(0);
    await healthy(hec.url);
  });

  it('a chunked 50 MB body is cut off at the limit, not buffered', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const r = await stream(hec.url, '/services/collector/event', 50 * 1024 * 1024);
    expect(r.status).toBe(413);
    expect(r.sent).toBeLessThan(50 * 1024 * 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * 1024 * 1024);
    expect(hec.server.stats().inflightBytes).toBe(0);
    expect(hec.store.events).toEqual([]);
    await healthy(hec.url);
  });

  it('a declared 50 MB body from a client that does not wait for 100-continue: 413, connection drained then closed', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const r = await stream(hec.url, '/services/collector/raw', 50 * 1024 * 1024, true);
    expect(r.status).toBe(413);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * 1024 * 1024);
    expect(hec.server.stats().inflightBytes).toBe(0);
    await healthy(hec.url);
  });

  it('a gzip bomb is stopped at the decompressed limit', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, '{'));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const r = await send(hec.url, '/services/collector/event', { body: bomb, headers: { ...auth(), 'Content-Encoding': 'gzip' } });
    expect(r.status).toBe(413);
    expect(hec.server.stats().inflightBytes).toBe(0);
    await healthy(hec.url);
  });

  it('a body exactly at the limit is accepted', async () => {
    const max = 1024 * 1024;
    const prefix = '{"event":"';
    const body = prefix + 'y'.repeat(max - prefix.length - 2) + '"}';
    expect(body.length).toBe(max);
    const r = await send(hec.url, '/services/collector/event', { body, headers: auth() });
    expect(r.status).toBe(200);
  });
});

describe('malformed content', () => {
  it('invalid UTF-8 on /event is refused with the number of the event it is in', async () => {
    const body = Buffer.concat([Buffer.from('{"event":"a"}\n{"event":"b'), Buffer.from([0xff, 0xfe]), Buffer.from('"}{"event":"c"}')]);
    const r = await send(hec.url, '/services/collector/event', { body, headers: auth() });
    expect(r.text).toBe('{"text":"Invalid data format","code":6,"invalid-event-number":1}');
    // Overlong encodings and lone surrogates are invalid too.
    for (const bad of [[0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      const b = Buffer.concat([Buffer.from('{"event":"'), Buffer.from(bad), Buffer.from('"}')]);
      const rr = await send(hec.url, '/services/collector/event', { body: b, headers: auth() });
      expect(rr.text).toBe('{"text":"Invalid data format","code":6,"invalid-event-number":0}');
    }
    expect(hec.store.events).toEqual([]);
  });

  it('10 000-level nested JSON is stored as sent, without crashing', async () => {
    const deepArray = '['.repeat(10_000) + ']'.repeat(10_000);
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const r = await send(hec.url, '/services/collector/event', { body: `{"event":${deepArray}}{"event":${deepObject},"sourcetype":"cisco:isovalent"}`, headers: auth() });
    expect(r.status).toBe(200);
    expect(hec.store.events.map((e) => e._raw)).toEqual([deepArray, deepObject]);
    const rr = await send(hec.url, '/services/collector/raw', { body: deepObject + '\n' + deepArray, headers: auth() });
    expect(rr.status).toBe(200);
    // Unclosed deep nesting is a truncated event.
    const bad = await send(hec.url, '/services/collector/event', { body: '{"event":' + '['.repeat(100_000), headers: auth() });
    expect(bad.text).toBe('{"text":"Invalid data format","code":6,"invalid-event-number":0}');
    // Deeper than hec.maxJsonDepth (16,384): refused before JSON.parse, whose time grows steeply with depth
    // (this 1 MB body took ~1 s of the thread answering HEC); the events before it are numbered as usual.
    const tooDeep = '['.repeat(500_000) + ']'.repeat(500_000);
    const deepBody = await send(hec.url, '/services/collector/event', { body: `{"event":"ok"}{"event":${tooDeep}}`, headers: auth() });
    expect(deepBody.text).toBe('{"text":"Invalid data format","code":6,"invalid-event-number":1}');
    const ack = await send(hec.url, '/services/collector/ack', { body: `{"acks":${tooDeep}}`, headers: { ...auth(), 'X-Splunk-Request-Channel': '0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba' } });
    expect(ack.status).toBe(400);
    await healthy(hec.url);
  });

  it('truncated and garbled JSON never crashes', async () => {
    const bodies = ['{', '{"', '{"event"', '{"event":', '{"event":"x', '{"event":"x\\', '{"event":"x\\"}', '}', ']]]]', '"event"', '{"event":"x"}}', '\u0000\u0001', '{"event":"x"}garbage', 'nul', '{"event":"\\uZZZZ"}'];
    for (const body of bodies) {
      const r = await send(hec.url, '/services/collector/event', { body, headers: auth() });
      expect(r.status, body).toBe(400);
      expect((r.json as { code: number }).code, body).toBe(6);
    }
    expect(hec.store.events).toEqual([]);
    await healthy(hec.url);
  });
});

describe('load and back-pressure', () => {
  it('concurrent clients: every event stored exactly once', async () => {
    const clients = 40;
    const perBatch = 50;
    const replies = await Promise.all(
      Array.from({ length: clients }, (_, c) =>
        send(hec.url, '/services/collector/event', {
          body: Array.from({ length: perBatch }, (_, i) => JSON.stringify({ event: `c${c}-e${i}` })).join('\n'),
          headers: auth(),
        }),
      ),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const raws = hec.store.events.map((e) => e._raw);
    expect(raws).toHaveLength(clients * perBatch);
    expect(new Set(raws).size).toBe(clients * perBatch);
    expect(hec.server.stats().inflightRequests).toBe(0);
  });

  it.each([
    ['STORE_BUSY', new StoreError('STORE_BUSY', 'writer behind')],
    ['STORE_FULL', new StoreError('STORE_FULL', 'disk full')],
    ['STORE_CLOSED', new StoreError('STORE_CLOSED', 'closing')],
  ])('503 code 9 when the store rejects with %s, numbering event 0 as Splunk does (nothing of the batch was taken)', async (_reason, err) => {
    // Splunk's busy reply to a batch, quoted in splunk-connect-for-kubernetes#555 and #474:
    // {"text":"Server is busy","code":9,"invalid-event-number":0}.
    const h = await start();
    try {
      h.store.failWith = err;
      for (const path of ['/services/collector/event', '/services/collector/raw']) {
        const r = await send(h.url, path, { body: '{"event":"x"}', headers: auth() });
        expect([r.status, r.text]).toEqual([503, '{"text":"Server is busy","code":9,"invalid-event-number":0}']);
      }
      h.store.failWith = null;
    } finally {
      await h.close();
    }
  });

  it('after busy/full, health reports code 18 and new requests get 503 for a moment, then recover', async () => {
    // The hold is timed by the clock: only Date is faked (sockets and timers stay real), so the moment
    // lasts exactly as long as the test says, however slow the machine.
    vi.useFakeTimers({ toFake: ['Date'] });
    const h = await start();
    try {
      h.store.failWith = busy();
      await send(h.url, '/services/collector/event', { body: '{"event":"x"}', headers: auth() });
      h.store.failWith = null;
      vi.advanceTimersByTime(999);
      const health = await send(h.url, '/services/collector/health', { method: 'GET' });
      expect([health.status, health.text]).toEqual([503, '{"text":"HEC is unhealthy, queues are full","code":18}']);
      const refused = await send(h.url, '/services/collector/event', { body: '{"event":"x"}', headers: auth() });
      expect(refused.status).toBe(503);
      vi.advanceTimersByTime(1);
      expect((await send(h.url, '/services/collector/health', { method: 'GET' })).status).toBe(200);
      await healthy(h.url);
    } finally {
      vi.useRealTimers();
      await h.close();
    }
  });

  it('the in-flight byte budget caps memory: beyond it, 503 code 9; health 18 while it is full', async () => {
    const h = await start({ config: hecConfig({ maxBodyBytes: 64 * 1024, maxInflightBytes: 64 * 1024 }) });
    try {
      h.store.hold = true;
      const big = JSON.stringify({ event: 'z'.repeat(64 * 1024 - 12) });
      expect(big.length).toBe(64 * 1024);
      const first = send(h.url, '/services/collector/event', { body: big, headers: auth() });
      // Until the held batch has reserved its bytes (a liveness bound, not a timing assertion).
      for (let t = 0; h.server.stats().inflightBytes < 64 * 1024 && t < 500; t++) await sleep(20);
      expect(h.server.stats().inflightBytes).toBe(64 * 1024);
      const second = await send(h.url, '/services/collector/event', { body: '{"event":"small"}', headers: auth() });
      expect([second.status, second.text]).toEqual([503, '{"text":"Server is busy","code":9,"invalid-event-number":0}']);
      const health = await send(h.url, '/services/collector/health', { method: 'GET' });
      expect((health.json as { code: number }).code).toBe(18);
      h.store.hold = false;
      h.store.release();
      expect((await first).status).toBe(200);
      expect(h.server.stats().inflightBytes).toBe(0);
      await healthy(h.url);
    } finally {
      await h.close();
    }
  });

  it('charges tiny events against the in-flight budget: a body of a million one-byte lines is refused, not held (it took 6 GB)', async () => {
    const h = await start({ config: hecConfig({ maxBodyBytes: 4 * 1024 * 1024, maxInflightBytes: 4 * 1024 * 1024 }) });
    try {
      const tiny = 'a\n'.repeat(1 << 20); // 2 MiB, 1M events of ~1 KiB of memory each
      const raw = await send(h.url, '/services/collector/raw', { body: tiny, headers: auth() });
      expect(raw.status).toBe(413);
      expect(raw.text).toMatch(/more than \d+ events: each holds 1024 bytes until committed/);
      const envelopes = '{"event":"a"}'.repeat(100_000); // 1.3 MB, 100k events
      expect((await send(h.url, '/services/collector/event', { body: envelopes, headers: auth() })).status).toBe(413);
      expect(h.store.appendCalls).toBe(0);
      expect(h.server.stats().inflightBytes).toBe(0);
      // What fits is taken: 4,000 tiny lines, and a full-size body of a few big events.
      expect((await send(h.url, '/services/collector/raw', { body: 'a\n'.repeat(4000), headers: auth() })).status).toBe(200);
      const big = Array.from({ length: 3 }, () => JSON.stringify({ event: 'z'.repeat(1024 * 1024) })).join('');
      expect((await send(h.url, '/services/collector/event', { body: big, headers: auth() })).status).toBe(200);
      expect(h.store.events).toHaveLength(4003);
      expect(h.server.stats().inflightBytes).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('a batch of tiny events over one client\'s share of the budget is 413 (split it), not a 503 it would retry forever', async () => {
    // Outside probe on a default vigil serve (64 MiB budget, 32 MiB a client): 40,000 one-key envelopes (440 KB) need
    // 40,000 KiB, over the share, under the budget: every try was 503 code 9, so an exporter retried that batch
    // forever; a million of them (1 GiB) was 503 too, the documented 413 being unreachable behind the share.
    const h = await start({ config: hecConfig({ maxBodyBytes: 1024 * 1024, maxInflightBytes: 4 * 1024 * 1024, maxInflightBytesPerClient: 2 * 1024 * 1024 }) });
    try {
      // 3,000 lines x 1 KiB = 3,000 KiB: over the 2,048 KiB share, under the 4,096 KiB budget, nothing else held.
      const r = await send(h.url, '/services/collector/raw', { body: 'a\n'.repeat(3000), headers: auth() });
      expect(r.status).toBe(413);
      expect(r.text).toMatch(/more than 2048 events: each holds 1024 bytes until committed/);
      expect(h.store.appendCalls).toBe(0);
      expect(h.server.stats().inflightBytes).toBe(0);
      // 2,048 lines fill the share exactly and are taken.
      expect((await send(h.url, '/services/collector/raw', { body: 'a\n'.repeat(2048), headers: auth() })).status).toBe(200);
      expect(h.store.events).toHaveLength(2048);
    } finally {
      await h.close();
    }
  });

  it('a batch of tiny events that would fit the budget but not now gets 503 code 9 (retry), and releases what it charged', async () => {
    const h = await start({ config: hecConfig({ maxBodyBytes: 1024 * 1024, maxInflightBytes: 4 * 1024 * 1024 }) });
    try {
      h.store.hold = true;
      const first = send(h.url, '/services/collector/raw', { body: 'a\n'.repeat(3000), headers: auth() }); // ~3 MB charged
      for (let t = 0; h.server.stats().inflightBytes < 3000 * 1024 && t < 500; t++) await sleep(20);
      const second = await send(h.url, '/services/collector/raw', { body: 'b\n'.repeat(2000), headers: auth() });
      expect([second.status, second.text]).toEqual([503, '{"text":"Server is busy","code":9,"invalid-event-number":0}']);
      expect(h.server.stats().inflightBytes).toBe(3000 * 1024);
      h.store.hold = false;
      h.store.release();
      expect((await first).status).toBe(200);
      expect(h.server.stats().inflightBytes).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('close() waits for held appends to settle', async () => {
    const h = await start();
    h.store.hold = true;
    const ack = send(h.url, '/services/collector/event', {
      body: '{"event":"x"}',
      headers: { Authorization: 'Splunk aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', 'X-Splunk-Request-Channel': '0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba' },
    });
    for (let i = 0; i < 200 && h.store.held.length === 0; i++) await sleep(5);
    let closed = false;
    const closing = h.close().then(() => (closed = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false);
    h.store.release();
    await closing;
    expect((await ack).status).toBe(200);
    expect(h.store.events).toHaveLength(1);
  });
});

describe('memory while batches wait for their commit', () => {
  it('keeps nothing of a request (body, text, events) reachable until its reply, only what the reply needs', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // A store that holds every batch until released, keeping only the count (the real store copies).
    const release: (() => void)[] = [];
    const store = {
      indexExists: () => true,
      append(events: readonly Event[]): Promise<AppendReceipt> {
        const count = events.length;
        return new Promise((resolve) => release.push(() => resolve({ count })));
      },
    };
    const server = createHecServer({ config: hecConfig({ maxBodyBytes: 4 << 20, maxInflightBytes: 256 << 20 }), store, now: () => 1_700_000_000_000, defaultHost: 'h' });
    const { url } = await server.listen();
    try {
      // ~2 MB bodies: a thousand object events of ~2 KB each (parsed, sliced, handed over with their JSON).
      const body = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ event: { process_exec: { i }, node_name: 'n', pad: 'x'.repeat(2000) } })).join('\n');
      const n = 16;
      gc();
      const before = process.memoryUsage().heapUsed;
      const replies = Array.from({ length: n }, () => send(url, '/services/collector/event', { body, headers: auth() }));
      for (let t = 0; release.length < n && t < 300; t++) await sleep(20);
      expect(release.length).toBe(n);
      gc();
      gc();
      const held = process.memoryUsage().heapUsed - before;
      for (const r of release) r();
      expect((await Promise.all(replies)).map((r) => r.status)).toEqual(Array.from({ length: n }, () => 200));
      // Retained, each waiting request would hold at least its 2 MB of text (32 MB here).
      expect(held).toBeLessThan((n * body.length) / 4);
    } finally {
      await server.close();
    }
  });
});

