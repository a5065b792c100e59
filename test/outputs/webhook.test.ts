import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookAction } from '../../src/outputs/actions.js';
import { AlertDispatcher, backoffDelayMs, DEAD_LETTER_AT, isDeadLettered, type AlertDispatcherOptions } from '../../src/outputs/dispatcher.js';
import { closedPort, DETECTION, enqueue, logCollector, MemoryOutbox, scriptedServer, type Reply, type ScriptedServer } from './helpers.js';

function webhookAction(url: string, overrides: Partial<WebhookAction> = {}): WebhookAction {
  return {
    name: 'soc',
    type: 'webhook',
    url,
    headers: { Authorization: 'Bearer s3cret' },
    timeoutMs: 2000,
    insecure: false,
    maxAttempts: 10,
    backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 },
    ...overrides,
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(replies: Reply[]): Promise<ScriptedServer> {
  const s = await scriptedServer(replies);
  cleanup.push(() => s.close());
  return s;
}

/** A dispatcher on a manual clock (epoch seconds) with jitter neutralized (random 0.5 → factor 1). */
function dispatcher(outbox: MemoryOutbox, actions: WebhookAction[], clock: { now: number }, extra: Partial<AlertDispatcherOptions> = {}) {
  const logs = logCollector();
  const d = new AlertDispatcher({ state: outbox, actions, now: () => clock.now, random: () => 0.5, log: logs.log, hostname: 'vigil-test', ...extra });
  cleanup.push(() => d.stop({ abortAfterMs: 0 }));
  return { d, logs: logs.lines };
}

describe('webhook delivery against a server that fails on purpose', () => {
  it('500 twice then 200: delivered once, same Idempotency-Key on every attempt, backoff by the injected clock', async () => {
    const srv = await server([{ status: 500, body: 'boom' }, { status: 503 }, { status: 200 }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const clock = { now: 1000 };
    const { d } = dispatcher(outbox, [webhookAction(srv.url)], clock);

    expect(await d.pollOnce()).toBe(1);
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1001, lastError: 'HTTP 500: boom' });

    clock.now = 1000.999; // not due yet: nothing is sent
    expect(await d.pollOnce()).toBe(0);
    expect(srv.requests).toHaveLength(1);

    clock.now = 1001;
    await d.pollOnce();
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 2, nextAttemptAt: 1003 }); // 1 s, then 2 s

    clock.now = 1003;
    await d.pollOnce();
    expect(outbox.items.size).toBe(0);
    expect(outbox.delivered).toEqual([item!.id]);

    expect(srv.requests.map((r) => r.headers['idempotency-key'])).toEqual([item!.id, item!.id, item!.id]);
    expect(srv.requests.map((r) => r.headers['x-vigil-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(srv.requests.map((r) => r.body)).size).toBe(1); // byte-identical bodies
    const first = srv.requests[0]!;
    expect(first.method).toBe('POST');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['authorization']).toBe('Bearer s3cret');
    expect(JSON.parse(first.body)).toEqual({
      idempotency_key: item!.id,
      schema_version: 1,
      kind: 'risk_event',
      detection: DETECTION,
      scheduled_time: 1_718_000_400,
      time: 1_718_000_000,
      data: expect.objectContaining({ risk_object: 'web-1', risk_score: 45, _time: '2024-06-10T06:13:20.000000+00:00' }),
    });
    expect(d.stats()).toMatchObject({ delivered: 1, failed: 2, deadLettered: 0, inFlight: 0, actions: { soc: { delivered: 1, failed: 2, lastError: { message: 'HTTP 503' } } } });
  });

  it('backoff grows by factor, is capped at maxMs and jittered within ±jitter', () => {
    const p = { initialMs: 1000, maxMs: 10_000, factor: 3, jitter: 0.2 };
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(p, n, () => 0.5))).toEqual([1000, 3000, 9000, 10_000]);
    expect(backoffDelayMs(p, 2, () => 0)).toBe(2400);
    expect(backoffDelayMs(p, 2, () => 0.999999)).toBe(3600);
    expect(backoffDelayMs(p, 9, () => 0.999999)).toBe(10_000);
  });

  it('429 with Retry-After waits what the receiver asked (seconds or HTTP-date)', async () => {
    const srv = await server([
      { status: 429, headers: { 'Retry-After': '7' } },
      { status: 503, headers: { 'Retry-After': new Date((1010 + 30) * 1000).toUTCString() } },
      { status: 204 },
    ]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const clock = { now: 1000 };
    const { d } = dispatcher(outbox, [webhookAction(srv.url)], clock);
    await d.pollOnce();
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1007 });
    clock.now = 1010;
    await d.pollOnce();
    expect(outbox.get(item!.id).nextAttemptAt).toBe(1040);
    clock.now = 1040;
    await d.pollOnce();
    expect(outbox.delivered).toEqual([item!.id]);
  });

  it('a permanent 400 stops retrying: dead-lettered with its error, logged', async () => {
    const srv = await server([{ status: 400, body: '{"error":"unknown field"}' }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const clock = { now: 1000 };
    const { d, logs } = dispatcher(outbox, [webhookAction(srv.url)], clock);
    await d.pollOnce();
    const it = outbox.get(item!.id);
    expect(it).toMatchObject({ attempts: 1, nextAttemptAt: DEAD_LETTER_AT, lastError: 'permanent failure: HTTP 400: {"error":"unknown field"}' });
    expect(isDeadLettered(it)).toBe(true);
    clock.now = 10_000_000;
    expect(await d.pollOnce()).toBe(0);
    expect(srv.requests).toHaveLength(1);
    expect(logs).toContainEqual({ level: 'error', message: expect.stringContaining('alert action "soc" gave up on an item: permanent failure: HTTP 400') });
    expect(d.stats()).toMatchObject({ deadLettered: 1, failed: 0, delivered: 0 });
  });

  it('a dead letter is removed once its retention has passed (looked for hourly), not before; `forever` keeps it', async () => {
    const srv = await server([{ status: 400 }, { status: 400 }]);
    const DAY = 86_400;
    for (const retention of [7 * DAY, Infinity]) {
      const outbox = new MemoryOutbox();
      const [item] = enqueue(outbox, 'soc', [`web-${retention}`], 1000);
      const clock = { now: 1000 };
      const { d, logs } = dispatcher(outbox, [webhookAction(srv.url)], clock, { deadLetterRetentionS: retention });
      await d.pollOnce();
      expect(isDeadLettered(outbox.get(item!.id))).toBe(true);
      clock.now = 1000 + 7 * DAY - 1; // one second short of its retention
      await d.pollOnce();
      expect(outbox.items.has(item!.id)).toBe(true);
      clock.now = 1000 + 7 * DAY + 1; // past it, but looked at less than an hour ago
      await d.pollOnce();
      expect(outbox.items.has(item!.id)).toBe(true);
      clock.now = 1000 + 7 * DAY + 3600;
      await d.pollOnce();
      expect(outbox.items.has(item!.id)).toBe(retention === Infinity);
      if (retention !== Infinity) expect(logs).toContainEqual({ level: 'info', message: expect.stringMatching(/removed 1 dead letter/) });
    }
    expect(srv.requests).toHaveLength(2); // one attempt each, never retried
  });

  it('pruning goes on at the next poll after a full batch, and a store failure to prune does not stop deliveries', async () => {
    const outbox = new MemoryOutbox();
    for (let i = 0; i < 10_001; i++) outbox.items.set(`dead-${i}`, { id: `dead-${i}`, action: 'soc', payload: '{}', createdAt: 0, attempts: 10, nextAttemptAt: DEAD_LETTER_AT, lastError: 'x' });
    const clock = { now: 30 * 86_400 };
    const { d } = dispatcher(outbox, [webhookAction('http://127.0.0.1:9/')], clock);
    await d.pollOnce();
    expect(outbox.items.size).toBe(1); // a batch of 10,000
    await d.pollOnce(); // the same second: the full batch left the work unfinished
    expect(outbox.items.size).toBe(0);

    const srv = await server([{ status: 200 }]);
    const failing = new MemoryOutbox();
    failing.pruneDeadLetters = () => Promise.reject(new Error('disk I/O error'));
    const [item] = enqueue(failing, 'soc', ['web-1'], clock.now);
    const { d: d2, logs } = dispatcher(failing, [webhookAction(srv.url)], clock);
    await d2.pollOnce();
    expect(failing.delivered).toEqual([item!.id]);
    expect(logs).toContainEqual({ level: 'warn', message: 'dead letters not pruned: disk I/O error' });
  });

  it('a redirect is not followed and is permanent', async () => {
    const srv = await server([{ status: 301, headers: { Location: 'https://elsewhere/' } }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1']);
    const { d } = dispatcher(outbox, [webhookAction(srv.url)], { now: 1000 });
    await d.pollOnce();
    expect(outbox.get(item!.id).lastError).toContain('redirects are not followed');
  });

  it('gives up after maxAttempts transient failures', async () => {
    const srv = await server([{ status: 502 }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const clock = { now: 1000 };
    const { d } = dispatcher(outbox, [webhookAction(srv.url, { maxAttempts: 3 })], clock);
    for (let i = 0; i < 5; i++) {
      await d.pollOnce();
      clock.now += 3600;
    }
    expect(srv.requests).toHaveLength(3);
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 3, nextAttemptAt: DEAD_LETTER_AT, lastError: 'gave up after 3 attempts: HTTP 502' });
  });

  it('a receiver that hangs hits the request timeout and is retried', async () => {
    const srv = await server(['hang', { status: 200 }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const clock = { now: 1000 };
    const { d } = dispatcher(outbox, [webhookAction(srv.url, { timeoutMs: 150 })], clock);
    await d.pollOnce();
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1001, lastError: 'no complete reply within 150 ms' });
    clock.now = 1001;
    await d.pollOnce();
    expect(outbox.delivered).toEqual([item!.id]);
  });

  it('connection refused and dropped connections are retried', async () => {
    const port = await closedPort();
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const clock = { now: 1000 };
    const { d } = dispatcher(outbox, [webhookAction(`http://127.0.0.1:${port}/hook`)], clock);
    await d.pollOnce();
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1001 });
    expect(outbox.get(item!.id).lastError).toContain('ECONNREFUSED');

    const srv = await server(['destroy', { status: 200 }]);
    const outbox2 = new MemoryOutbox();
    const [item2] = enqueue(outbox2, 'soc', ['web-2'], 1000);
    const { d: d2 } = dispatcher(outbox2, [webhookAction(srv.url)], clock);
    await d2.pollOnce();
    expect(outbox2.get(item2!.id).lastError).toMatch(/ECONNRESET|socket hang up/);
    clock.now = 1001;
    await d2.pollOnce();
    expect(outbox2.delivered).toEqual([item2!.id]);
  });

  it('a restart mid-delivery redelivers the item with the same key', async () => {
    const srv = await server(['hang', { status: 200 }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const clock = { now: 1000 };
    const first = dispatcher(outbox, [webhookAction(srv.url, { timeoutMs: 30_000 })], clock).d;
    const polling = first.pollOnce();
    await srv.received(1);
    await first.stop({ abortAfterMs: 0 }); // the process goes away while the receiver holds the request
    await polling;
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 0, nextAttemptAt: 1000, lastError: null });

    const second = dispatcher(outbox, [webhookAction(srv.url)], clock).d;
    await second.pollOnce();
    expect(outbox.delivered).toEqual([item!.id]);
    expect(srv.requests.map((r) => r.headers['idempotency-key'])).toEqual([item!.id, item!.id]);
  });

  it('a crash between the 2xx and the outbox update redelivers with the same key', async () => {
    const srv = await server([{ status: 200 }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    outbox.failDelivered = true;
    const clock = { now: 1000 };
    const { d, logs } = dispatcher(outbox, [webhookAction(srv.url)], clock);
    await d.pollOnce();
    expect(outbox.items.has(item!.id)).toBe(true);
    expect(logs.some((l) => l.level === 'error' && l.message.includes('could not record'))).toBe(true);
    expect(await d.pollOnce()).toBe(0); // not hammered while the store is sick

    outbox.failDelivered = false;
    const { d: restarted } = dispatcher(outbox, [webhookAction(srv.url)], clock);
    await restarted.pollOnce();
    expect(outbox.delivered).toEqual([item!.id]);
    expect(srv.requests.map((r) => r.headers['idempotency-key'])).toEqual([item!.id, item!.id]);
  });

  it('stop() waits for in-flight deliveries', async () => {
    const srv = await server(['hang']);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 1000);
    const { d } = dispatcher(outbox, [webhookAction(srv.url)], { now: 1000 });
    void d.pollOnce();
    await srv.received(1);
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(stopped).toBe(false);
    srv.release({ status: 200 });
    await stopping;
    expect(outbox.delivered).toEqual([item!.id]);
  });

  it('bounds concurrency per action', async () => {
    const srv = await server(['hang']);
    const outbox = new MemoryOutbox();
    enqueue(outbox, 'soc', ['a', 'b', 'c', 'd', 'e'], 1000);
    const { d } = dispatcher(outbox, [webhookAction(srv.url)], { now: 1000 }, { perActionConcurrency: 2, concurrency: 8 });
    const polling = d.pollOnce();
    await srv.received(2);
    expect(d.stats()).toMatchObject({ inFlight: 2, pending: 3 });
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.requests).toHaveLength(2);
    expect(await d.pollOnce()).toBe(0); // slots full: nothing more starts
    srv.release({ status: 200 });
    await polling;
    expect(outbox.delivered).toHaveLength(2);
    expect(d.stats().actions['soc']!.pending).toBe(3);
  });

  it('keeps items of an action that is no longer configured', async () => {
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'removed', ['web-1'], 1000);
    const { d, logs } = dispatcher(outbox, [], { now: 1000 });
    await d.pollOnce();
    expect(outbox.get(item!.id)).toMatchObject({ nextAttemptAt: 4600, lastError: expect.stringContaining('no alert action named "removed"') });
    expect(logs[0]!.level).toBe('warn');
  });

  it('start() logs a failing outbox once per outage, not every poll, and says when polls work again', async () => {
    let down = true;
    const state = {
      dueOutbox: async () => (down ? Promise.reject(new Error('PostgreSQL: dueOutbox: connect ECONNREFUSED')) : []),
      outboxDelivered: async () => {},
      outboxFailed: async () => {},
      pruneDeadLetters: async () => 0,
    };
    const lines: string[] = [];
    const d = new AlertDispatcher({ state, actions: [], pollIntervalMs: 5, log: (level, message) => lines.push(`${level}: ${message}`) });
    cleanup.push(() => d.stop());
    d.start();
    await new Promise((r) => setTimeout(r, 100)); // ~20 failed polls
    down = false;
    await new Promise((r) => setTimeout(r, 50));
    await d.stop();
    expect(lines).toEqual(['error: alert outbox poll failed: PostgreSQL: dueOutbox: connect ECONNREFUSED (said again only when the error changes)', 'info: alert outbox poll works again']);
  });

  it('start() delivers in the background and retries on its own', async () => {
    const srv = await server([{ status: 500 }, { status: 200 }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'soc', ['web-1'], 0);
    const d = new AlertDispatcher({ state: outbox, actions: [webhookAction(srv.url, { backoff: { initialMs: 20, maxMs: 100, factor: 2, jitter: 0 } })], pollIntervalMs: 10, log: () => {} });
    cleanup.push(() => d.stop());
    d.start();
    const deadline = Date.now() + 5000;
    while (outbox.items.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(outbox.delivered).toEqual([item!.id]);
    expect(srv.requests).toHaveLength(2);
    await d.stop();
    expect(d.stats().running).toBe(false);
    expect(() => d.start()).toThrow(/after stop/);
  });
});
