import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACK_TOKEN, CHANNEL, auth, busy, send, start, type Running } from './helpers.js';

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
  it('hands out ack ids per channel from 0; an id is true only once its batch is committed', async () => {
    hec.store.hold = true;
    const a = await ingest('/services/collector/event', '{"event":"one"}', CHANNEL);
    const b = await ingest('/services/collector/raw?sourcetype=s', 'two\nthree', CHANNEL, 'query');
    const c = await ingest('/services/collector/event', '{"event":"other channel"}', CHANNEL_2);
    expect(a.text).toBe('{"text":"Success","code":0,"ackId":0}');
    expect(b.json).toEqual({ text: 'Success', code: 0, ackId: 1 });
    expect(c.json).toEqual({ text: 'Success', code: 0, ackId: 0 });

    // Nothing committed yet: all false (2 was never issued).
    let r = await query({ acks: [0, 1, 2] });
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"acks":{"0":false,"1":false,"2":false}}');
    expect(hec.store.events).toEqual([]);

    hec.store.release();
    await new Promise((res) => setImmediate(res));
    r = await query({ acks: [0, 1, 2] });
    expect(r.json).toEqual({ acks: { '0': true, '1': true, '2': false } });
    // Channel via query string works for /ack too, and ids stay true on repeated queries.
    r = await query({ acks: [1, 0] }, CHANNEL, 'query');
    expect(r.json).toEqual({ acks: { '1': true, '0': true } });
    r = await query({ acks: [0] }, CHANNEL_2);
    expect(r.json).toEqual({ acks: { '0': true } });
    expect(hec.store.events.map((e) => e._raw).sort()).toEqual(['one', 'other channel', 'three', 'two']);
  });

  it('a batch the store rejects keeps its ack false', async () => {
    hec.store.hold = true;
    const r1 = await ingest('/services/collector/event', '{"event":"lost"}', CHANNEL_2);
    const id = (r1.json as { ackId: number }).ackId;
    hec.store.failHeld(busy());
    await new Promise((res) => setImmediate(res));
    const r = await query({ acks: [id] }, CHANNEL_2);
    expect(r.json).toEqual({ acks: { [String(id)]: false } });
    // The store said busy: for a moment new requests are refused with 503 code 9.
    const r2 = await ingest('/services/collector/event', '{"event":"again"}', CHANNEL_2);
    expect([r2.status, r2.text]).toEqual([503, '{"text":"Server is busy","code":9}']);
    await new Promise((res) => setTimeout(res, 1100));
  });

  it('channels are case-insensitive GUIDs; unknown channels answer false', async () => {
    const up = await ingest('/services/collector/event', '{"event":"x"}', CHANNEL.toUpperCase());
    const id = (up.json as { ackId: number }).ackId;
    await new Promise((res) => setImmediate(res));
    expect((await query({ acks: [id] }, CHANNEL)).json).toEqual({ acks: { [String(id)]: true } });
    expect((await query({ acks: [0] }, '99999999-9999-4999-8999-999999999999')).json).toEqual({ acks: { '0': false } });
  });

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
