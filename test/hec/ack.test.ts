import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACK_TOKEN, CHANNEL, auth, busy, send, sleep, start, type Running } from './helpers.js';

let hec: Running;
beforeAll(async () => {
  hec = await start();
});
afterAll(async () => {
  await hec.close();
});
beforeEach(() => {
  hec.store.release();
  hec.store.hold = false;
  hec.store.batches.length = 0;
});

const CHANNEL_2 = 'f3a2b6d4-1c2e-4b5a-9d8f-0123456789ab';

function ingest(path: string, body: string, channel: string | null, via: 'header' | 'query' = 'header') {
  const headers: Record<string, string> = auth(ACK_TOKEN);
  let p = path;
  if (channel !== null && via === 'header') headers['X-Splunk-Request-Channel'] = channel;
  if (channel !== null && via === 'query') p += (p.includes('?') ? '&' : '?') + `channel=${channel}`;
  return send(hec.url, p, { body, headers });
}

function query(ids: unknown, channel: string | null = CHANNEL, via: 'header' | 'query' = 'header') {
  const headers: Record<string, string> = auth(ACK_TOKEN);
  let p = '/services/collector/ack';
  if (channel !== null && via === 'header') headers['X-Splunk-Request-Channel'] = channel;
  if (channel !== null && via === 'query') p += `?channel=${channel}`;
  return send(hec.url, p, { body: typeof ids === 'string' ? ids : JSON.stringify(ids), headers });
}

describe('indexer acknowledgement', () => {
  it('answers after the commit with the batch\'s first seq as ackId; ids are true from then on, on every query', async () => {
    hec.store.hold = true;
    let settled = false;
    const pending = ingest('/services/collector/event', '{"event":"one"}{"event":"two"}', CHANNEL).then((r) => {
      settled = true;
      return r;
    });
    for (let i = 0; i < 200 && hec.store.held.length === 0; i++) await sleep(5);
    expect(settled).toBe(false); // no id for a batch that is not durable yet
    const before = hec.store.lastSeq();
    hec.store.hold = false;
    hec.store.release();
    const a = await pending;
    expect(a.json).toEqual({ text: 'Success', code: 0, ackId: before + 1 });
    const b = await ingest('/services/collector/raw?sourcetype=s', 'three\nfour', CHANNEL, 'query');
    const c = await ingest('/services/collector/event', '{"event":"other channel"}', CHANNEL_2);
    const [idA, idB, idC] = [a, b, c].map((r) => (r.json as { ackId: number }).ackId);
    // Unique: the batch of two events took two seqs.
    expect([idB, idC]).toEqual([idA! + 2, idA! + 4]);

    let r = await query({ acks: [idA, idB, idC! + 1] });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ acks: { [idA!]: true, [idB!]: true, [idC! + 1]: false } });
    // Channel via query string works for /ack too, and ids stay true on repeated queries.
    r = await query({ acks: [idB, idA] }, CHANNEL, 'query');
    expect(r.json).toEqual({ acks: { [idB!]: true, [idA!]: true } });
    r = await query({ acks: [idC] }, CHANNEL_2);
    expect(r.json).toEqual({ acks: { [idC!]: true } });
    expect(hec.store.events.map((e) => e._raw).sort()).toEqual(['four', 'one', 'other channel', 'three', 'two']);
  });

  it('a batch the store rejects is answered 503 code 9, with no ack id', async () => {
    hec.store.hold = true;
    const pending = ingest('/services/collector/event', '{"event":"lost"}', CHANNEL_2);
    for (let i = 0; i < 200 && hec.store.held.length === 0; i++) await sleep(5);
    hec.store.failHeld(busy());
    const r1 = await pending;
    expect([r1.status, r1.text]).toEqual([503, '{"text":"Server is busy","code":9,"invalid-event-number":0}']);
    expect(hec.server.stats().pendingAcks).toBe(0);
    // The store said busy: for a moment new requests are refused with 503 code 9.
    const r2 = await ingest('/services/collector/event', '{"event":"again"}', CHANNEL_2);
    expect([r2.status, r2.text]).toEqual([503, '{"text":"Server is busy","code":9,"invalid-event-number":0}']);
    await sleep(1100);
  });

  it('channels are case-insensitive GUIDs; ids never handed out read false', async () => {
    const up = await ingest('/services/collector/event', '{"event":"x"}', CHANNEL.toUpperCase());
    const id = (up.json as { ackId: number }).ackId;
    expect((await query({ acks: [id] }, CHANNEL)).json).toEqual({ acks: { [String(id)]: true } });
    expect((await query({ acks: [0, id + 1000] }, '99999999-9999-4999-8999-999999999999')).json).toEqual({ acks: { '0': false, [String(id + 1000)]: false } });
  });

  it('never forgets a committed ack, however many channels come after it (10 001 channels)', async () => {
    const channel = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    const first = await ingest('/services/collector/event', '{"event":"first"}', channel(0));
    const firstId = (first.json as { ackId: number }).ackId;
    const ids = new Set<number>([firstId]);
    for (let i = 1; i <= 10_000; i += 100) {
      const replies = await Promise.all(Array.from({ length: Math.min(100, 10_001 - i) }, (_, k) => ingest('/services/collector/event', `{"event":"${i + k}"}`, channel(i + k))));
      for (const r of replies) ids.add((r.json as { ackId: number }).ackId);
    }
    expect(ids.size).toBe(10_001); // never reused
    expect((await query({ acks: [firstId] }, channel(0))).json).toEqual({ acks: { [String(firstId)]: true } });
  }, 60_000);

  it('ack request errors', async () => {
    expect((await query({ acks: [0] }, null)).text).toBe('{"text":"Data channel is missing","code":10}');
    expect((await query({ acks: [0] }, 'nope')).text).toBe('{"text":"Invalid data channel","code":11}');
    expect((await query('')).text).toBe('{"text":"No data","code":5}');
    expect((await query('{"acks":')).text).toBe('{"text":"Invalid data format","code":6}');
    expect((await query({ acks: 'x' })).text).toBe('{"text":"Invalid data format","code":6}');
    expect((await query({ acks: [-1] })).text).toBe('{"text":"Invalid data format","code":6}');
    expect((await query({ acks: [1.5] })).status).toBe(400);
    const off = await send(hec.url, '/services/collector/ack', { body: '{"acks":[0]}', headers: { ...auth(), 'X-Splunk-Request-Channel': CHANNEL } });
    expect([off.status, off.text]).toEqual([400, '{"text":"ACK is disabled","code":14}']);
  });

  it('a token without ack answers after commit, with no ackId', async () => {
    hec.store.hold = true;
    let settled = false;
    const pending = send(hec.url, '/services/collector/event', { body: '{"event":"x"}', headers: auth() }).then((r) => {
      settled = true;
      return r;
    });
    await new Promise((res) => setTimeout(res, 100));
    expect(settled).toBe(false);
    hec.store.release();
    const r = await pending;
    expect(r.text).toBe('{"text":"Success","code":0}');
  });
});
