import { afterEach, describe, expect, it } from 'vitest';
import type { SplunkHecAction } from '../../src/outputs/actions.js';
import { AlertDispatcher, DEAD_LETTER_AT, type AlertDispatcherOptions } from '../../src/outputs/dispatcher.js';
import type { HecEnvelope } from '../../src/outputs/splunk-hec.js';
import { ACK_TOKEN, start as startVigilHec } from '../hec/helpers.js';
import { DETECTION, enqueue, logCollector, MemoryOutbox, scriptedServer, type ScriptedServer } from './helpers.js';

const SUCCESS = { status: 200, body: '{"text":"Success","code":0}' };
const BUSY = { status: 503, body: '{"text":"Server is busy","code":9}' };

function hecAction(url: string, overrides: Partial<SplunkHecAction> = {}): SplunkHecAction {
  return {
    name: 'splunk',
    type: 'splunk_hec',
    url: `${url}/services/collector/event`,
    token: 'hec-token-1',
    index: 'risk',
    verifyTls: true,
    batchSize: 10,
    timeoutMs: 2000,
    useAck: false,
    ackPollMs: 20,
    ackTimeoutMs: 2000,
    maxAttempts: 10,
    backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 },
    ...overrides,
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function fakeHec(replies: Parameters<typeof scriptedServer>[0]): Promise<ScriptedServer> {
  const s = await scriptedServer(replies);
  cleanup.push(() => s.close());
  return s;
}

function dispatcher(outbox: MemoryOutbox, action: SplunkHecAction, clock: { now: number }, extra: Partial<AlertDispatcherOptions> = {}) {
  const d = new AlertDispatcher({ state: outbox, actions: [action], now: () => clock.now, random: () => 0.5, log: logCollector().log, hostname: 'vigil-test', ...extra });
  cleanup.push(() => d.stop({ abortAfterMs: 0 }));
  return d;
}

function envelopes(body: string): HecEnvelope[] {
  return body.split('\n').map((l) => JSON.parse(l) as HecEnvelope);
}

describe('splunk_hec forwarding', () => {
  it('sends a batch of envelopes with the token; code 0 is delivered', async () => {
    const hec = await fakeHec([SUCCESS]);
    const outbox = new MemoryOutbox();
    const items = enqueue(outbox, 'splunk', ['web-1', 'web-2', 'web-3'], 1000);
    const d = dispatcher(outbox, hecAction(hec.url), { now: 1000 });
    expect(await d.pollOnce()).toBe(3);
    expect(outbox.delivered).toEqual(items.map((i) => i.id));
    expect(hec.requests).toHaveLength(1);
    const req = hec.requests[0]!;
    expect(req.url).toBe('/services/collector/event');
    expect(req.headers['authorization']).toBe('Splunk hec-token-1');
    expect(req.headers['x-splunk-request-channel']).toMatch(/^[0-9a-f-]{36}$/);
    const envs = envelopes(req.body);
    expect(envs).toHaveLength(3);
    expect(envs[0]).toEqual({
      time: 1_718_000_000,
      host: 'vigil-test',
      source: DETECTION.name,
      sourcetype: 'vigil:risk',
      index: 'risk',
      event: {
        risk_object: 'web-1',
        risk_object_type: 'other',
        risk_score: 45,
        risk_message: 'Shell execution in pod web-1',
        search_name: DETECTION.name,
        detection_id: DETECTION.id,
        pod_name: 'web-1',
      },
      fields: { vigil_id: items[0]!.id, vigil_kind: 'risk_event', vigil_detection_id: DETECTION.id },
    });
  });

  it('503 code 9 (Server is busy) is retried with backoff', async () => {
    const hec = await fakeHec([BUSY, SUCCESS]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'splunk', ['web-1'], 1000);
    const clock = { now: 1000 };
    const d = dispatcher(outbox, hecAction(hec.url), clock);
    await d.pollOnce();
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1001, lastError: 'HEC HTTP 503 code 9: Server is busy' });
    clock.now = 1001;
    await d.pollOnce();
    expect(outbox.delivered).toEqual([item!.id]);
    expect(hec.requests[0]!.body).toBe(hec.requests[1]!.body);
  });

  it.each([
    [{ status: 400, body: '{"text":"Incorrect index","code":7}' }, 'HEC HTTP 400 code 7: Incorrect index'],
    [{ status: 403, body: '{"text":"Invalid token","code":4}' }, 'HEC HTTP 403 code 4: Invalid token'],
    [{ status: 401, body: '{"text":"Token is required","code":2}' }, 'HEC HTTP 401 code 2: Token is required'],
  ])('%j is permanent for the whole batch', async (reply, error) => {
    const hec = await fakeHec([reply]);
    const outbox = new MemoryOutbox();
    const items = enqueue(outbox, 'splunk', ['a', 'b'], 1000);
    const d = dispatcher(outbox, hecAction(hec.url), { now: 1000 });
    await d.pollOnce();
    for (const it of items) expect(outbox.get(it.id)).toMatchObject({ nextAttemptAt: DEAD_LETTER_AT, lastError: `permanent failure: ${error}` });
  });

  it('invalid-event-number refuses that event and retries the rest of the batch', async () => {
    const hec = await fakeHec([{ status: 400, body: '{"text":"Event field cannot be blank","code":13,"invalid-event-number":1}' }, SUCCESS]);
    const outbox = new MemoryOutbox();
    const [a, b, c] = enqueue(outbox, 'splunk', ['a', 'b', 'c'], 1000);
    const clock = { now: 1000 };
    const d = dispatcher(outbox, hecAction(hec.url), clock);
    await d.pollOnce();
    expect(outbox.get(b!.id).nextAttemptAt).toBe(DEAD_LETTER_AT);
    expect(outbox.get(a!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1001 });
    clock.now = 1001;
    await d.pollOnce();
    expect(outbox.delivered).toEqual([a!.id, c!.id]);
    expect(envelopes(hec.requests[1]!.body).map((e) => e.fields.vigil_id)).toEqual([a!.id, c!.id]);
  });

  it('a non-JSON 502 from a proxy in front of Splunk is retried', async () => {
    const hec = await fakeHec([{ status: 502, body: '<html>Bad Gateway</html>' }]);
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'splunk', ['a'], 1000);
    const d = dispatcher(outbox, hecAction(hec.url), { now: 1000 });
    await d.pollOnce();
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1001, lastError: 'HEC HTTP 502: <html>Bad Gateway</html>' });
  });

  it('splits the outbox into batches of batchSize', async () => {
    const hec = await fakeHec([SUCCESS]);
    const outbox = new MemoryOutbox();
    enqueue(outbox, 'splunk', ['a', 'b', 'c', 'd', 'e'], 1000);
    const d = dispatcher(outbox, hecAction(hec.url, { batchSize: 2, sourcetype: 'stash', source: 'vigil' }), { now: 1000 });
    while ((await d.pollOnce()) > 0);
    expect(hec.requests.map((r) => envelopes(r.body).length)).toEqual([2, 2, 1]);
    expect(envelopes(hec.requests[0]!.body)[0]).toMatchObject({ sourcetype: 'stash', source: 'vigil' });
    expect(outbox.delivered).toHaveLength(5);
  });

  it("into vigil's own HEC with indexer acknowledgement: delivered only once the batch is committed", async () => {
    const hec = await startVigilHec();
    cleanup.push(() => hec.close());
    hec.store.hold = true;
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'splunk', ['web-1'], 1000);
    const d = dispatcher(outbox, hecAction(hec.url, { token: ACK_TOKEN, useAck: true }), { now: 1000 });
    const polling = d.pollOnce();
    while (hec.store.held.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 60)); // a few /ack polls answer false
    expect(outbox.items.has(item!.id)).toBe(true);
    hec.store.release();
    await polling;
    expect(outbox.delivered).toEqual([item!.id]);
    const [ev] = hec.store.events;
    expect(ev).toMatchObject({ _time: 1_718_000_000, index: 'risk', sourcetype: 'vigil:risk', source: DETECTION.name, host: 'vigil-test' });
    expect(JSON.parse(ev!._raw)).toMatchObject({ risk_object: 'web-1', risk_score: 45 });
  });

  it('an acknowledgement that never comes is a retry (the batch may be sent twice)', async () => {
    // Splunk answers with an ackId at once and the ack may stay false (a lost indexer); vigil's own HEC replies only
    // after the commit, so a scripted Splunk plays that part.
    const hec = await fakeHec((req) =>
      req.url.startsWith('/services/collector/ack') ? { status: 200, body: '{"acks":{"0":false}}' } : { status: 200, body: '{"text":"Success","code":0,"ackId":0}' },
    );
    const outbox = new MemoryOutbox();
    const [item] = enqueue(outbox, 'splunk', ['web-1'], 1000);
    const d = dispatcher(outbox, hecAction(hec.url, { token: ACK_TOKEN, useAck: true, ackTimeoutMs: 100 }), { now: 1000 });
    await d.pollOnce();
    expect(hec.requests.some((r) => r.url.startsWith('/services/collector/ack'))).toBe(true);
    expect(outbox.get(item!.id)).toMatchObject({ attempts: 1, nextAttemptAt: 1001 });
    expect(outbox.get(item!.id).lastError).toMatch(/^batch ackId 0 not acknowledged within 100 ms/);
  });
});
