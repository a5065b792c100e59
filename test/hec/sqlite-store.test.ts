/** HEC in front of the real SQLite store: acks mean durable, rejected batches leave nothing, back-pressure is 503. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { openStore, type StoreOptions } from '../../src/store/sqlite-store.js';
import type { EventStore } from '../../src/store/types.js';
import { createHecServer, type HecServer } from '../../src/hec/index.js';
import { ACK_TOKEN, CHANNEL, auth, execLine, hecConfig, send } from './helpers.js';

async function collect(store: EventStore): Promise<Event[]> {
  const out: Event[] = [];
  for await (const batch of store.scan(emptyScanRequest())) out.push(...batch);
  return out;
}

describe('HEC with the SQLite store', () => {
  let dir: string;
  let store: EventStore | null = null;
  let hec: HecServer | null = null;

  async function boot(options: StoreOptions = {}): Promise<{ url: string; store: EventStore }> {
    store = await openStore(dir, options);
    hec = createHecServer({ config: hecConfig(), store, now: () => 1_700_000_000_000, defaultHost: 'h' });
    const { url } = await hec.listen();
    return { url, store };
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-hec-sqlite-'));
  });
  afterEach(async () => {
    await hec?.close();
    await store?.close();
    hec = null;
    store = null;
    await rm(dir, { recursive: true, force: true });
  });

  it('stores what it acknowledges, and nothing of a rejected batch', async () => {
    const { url, store } = await boot();
    expect((await send(url, '/services/collector/event', { body: '{"event":"a","time":10}{"event":{"b":1},"time":20}', headers: auth() })).status).toBe(200);
    expect((await send(url, '/services/collector/event', { body: '{"event":"never","time":30}{"time":1}', headers: auth() })).status).toBe(400);
    const r = await send(url, '/services/collector/raw?sourcetype=cisco:isovalent', {
      body: [execLine(1), execLine(2)].join('\r\n'),
      headers: { ...auth(ACK_TOKEN), 'X-Splunk-Request-Channel': CHANNEL },
    });
    const { ackId } = r.json as { ackId: number };
    let acked = false;
    for (let i = 0; i < 200 && !acked; i++) {
      const a = await send(url, '/services/collector/ack', { body: JSON.stringify({ acks: [ackId] }), headers: { ...auth(ACK_TOKEN), 'X-Splunk-Request-Channel': CHANNEL } });
      acked = (a.json as { acks: Record<string, boolean> }).acks[String(ackId)] === true;
      if (!acked) await new Promise((res) => setTimeout(res, 20));
    }
    expect(acked).toBe(true);
    const events = await collect(store);
    expect(events.map((e) => e._raw).sort()).toEqual(['a', '{"b":1}', execLine(1), execLine(2)].sort());
    expect(events.find((e) => e._raw === 'a')).toMatchObject({ _time: 10, index: 'main', sourcetype: 'httpevent', source: 'http:test', host: 'h' });
    expect(events.filter((e) => e.sourcetype === 'cisco:isovalent:processExec')).toHaveLength(2);
  });

  it('ack ids survive a restart: new ones never repeat old ones, and old committed ones still read true', async () => {
    const headers = { ...auth(ACK_TOKEN), 'X-Splunk-Request-Channel': CHANNEL };
    const post = async (url: string, body: string) => ((await send(url, '/services/collector/event', { body, headers })).json as { ackId: number }).ackId;
    const acks = async (url: string, ids: number[]) =>
      ((await send(url, '/services/collector/ack', { body: JSON.stringify({ acks: ids }), headers })).json as { acks: Record<string, boolean> }).acks;
    let { url } = await boot();
    const before = [await post(url, '{"event":"a"}{"event":"b"}'), await post(url, '{"event":"c"}')];
    await hec!.close();
    await store!.close();
    ({ url } = await boot());
    const after = await post(url, '{"event":"d"}');
    expect(after).toBeGreaterThan(Math.max(...before));
    expect(await acks(url, [...before, after, after + 1])).toEqual({ [before[0]!]: true, [before[1]!]: true, [after]: true, [after + 1]: false });
  });

  it('a full database answers 503 code 9, and stores nothing of that batch', async () => {
    const { url, store } = await boot({ maxPageCount: 64 });
    const big = (i: number) => JSON.stringify({ event: `${i} ` + 'x'.repeat(200_000) });
    let status = 200;
    let accepted = 0;
    for (let i = 0; i < 40 && status === 200; i++) {
      const r = await send(url, '/services/collector/event', { body: big(i), headers: auth() });
      status = r.status;
      if (r.status === 200) accepted++;
      else expect(r.text).toBe('{"text":"Server is busy","code":9,"invalid-event-number":0}');
    }
    expect(status).toBe(503);
    expect(await collect(store)).toHaveLength(accepted);
  });

  it('a stalled writer makes the store refuse: 503 code 9, never unbounded memory', async () => {
    const { url } = await boot({ writerDelayMs: 300, maxPendingEvents: 150 });
    const body = Array.from({ length: 100 }, (_, i) => JSON.stringify({ event: `e${i}` })).join('');
    const replies = await Promise.all(Array.from({ length: 6 }, () => send(url, '/services/collector/event', { body, headers: auth() })));
    const statuses = replies.map((r) => r.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(503);
    for (const r of replies) if (r.status === 503) expect(r.json).toEqual({ text: 'Server is busy', code: 9, 'invalid-event-number': 0 });
  });
});
