/**
 * The examples of Splunk's HEC reference pages, run one by one against the collector; every expected value is what
 * the page states, not what vigil's code does.
 */
import { describe, expect, it } from 'vitest';
import { ACK_TOKEN, auth, collectorForTests, send } from './helpers.js';

const hec = collectorForTests();
const SUCCESS = { text: 'Success', code: 0 };

// Getting Data In, "HTTP Event Collector examples"
// (https://docs.splunk.com/Documentation/Splunk/9.1.1/Data/HECExamples, examples 1-4).
describe('"HTTP Event Collector examples"', () => {
  it('example 1: one event with a sourcetype, posted to /services/collector', async () => {
    const r = await send(hec.url, '/services/collector', { headers: auth(), body: '{"event": "Hello, world!", "sourcetype": "manual"}' });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
    expect(hec.store.events).toHaveLength(1);
    expect(hec.store.events[0]).toMatchObject({ _raw: 'Hello, world!', sourcetype: 'manual' });
  });

  it('example 2: three envelopes back to back are three events; a key HEC does not know ("nested") is no error', async () => {
    const body =
      '{"event": "Pony 1 has left the barn"}{"event": "Pony 2 has left the barn"}' +
      '{"event": "Pony 3 has left the barn", "nested": {"key1": "value1"}}';
    const r = await send(hec.url, '/services/collector', { headers: auth(), body });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
    expect(hec.store.events.map((e) => e._raw)).toEqual(['Pony 1 has left the barn', 'Pony 2 has left the barn', 'Pony 3 has left the barn']);
  });

  it('example 3: raw text with the channel and sourcetype as query parameters', async () => {
    const path = '/services/collector/raw?channel=00872DC6-AC83-4EDE-8AFE-8413C3825C4C&sourcetype=mydata';
    const r = await send(hec.url, path, { headers: auth(), body: '1, 2, 3... Hello, world!' });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
    expect(hec.store.events).toHaveLength(1);
    expect(hec.store.events[0]).toMatchObject({ _raw: '1, 2, 3... Hello, world!', sourcetype: 'mydata' });
  });

  it('example 4: raw batching, splunkd_access lines into index main, one event a line', async () => {
    const lines = [
      '127.0.0.1 - admin [28/Sep/2016:09:05:26.875 -0700] "GET /servicesNS/admin/launcher/data/ui/views?count=-1 HTTP/1.0" 200 126721 - - - 6ms',
      '127.0.0.1 - admin [28/Sep/2016:09:05:26.917 -0700] "GET /servicesNS/admin/launcher/data/ui/nav/default HTTP/1.0" 200 4367 - - - 6ms',
    ];
    const path = '/services/collector/raw?channel=00872DC6-AC83-4EDE-8AFE-8413C3825C4C&sourcetype=splunkd_access&index=main';
    const r = await send(hec.url, path, { headers: auth(), body: lines.join('\n') });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
    expect(hec.store.events.map((e) => [e._raw, e.sourcetype, e.index])).toEqual(lines.map((l) => [l, 'splunkd_access', 'main']));
  });
});

// Getting Data In, "Format events for HTTP Event Collector", "Event metadata" and "Event data"
// (https://docs.splunk.com/Documentation/Splunk/latest/Data/FormateventsforHTTPEventCollector).
describe('"Format events for HTTP Event Collector"', () => {
  it('an object event with time, host and source: _time is the epoch seconds, the metadata as sent', async () => {
    const body = '{"time": 1437522387, "host": "dataserver992.example.com", "source": "testapp", "event": {"message": "Something happened", "severity": "INFO"}}';
    const r = await send(hec.url, '/services/collector/event', { headers: auth(), body });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
    expect(hec.store.events[0]).toMatchObject({
      _time: 1437522387,
      host: 'dataserver992.example.com',
      source: 'testapp',
      // The metadata table: sourcetype defaults to httpevent.
      sourcetype: 'httpevent',
      _raw: '{"message": "Something happened", "severity": "INFO"}',
    });
  });

  it('"<sec>.<ms>": 1433188255.500 is 500 ms after 1433188255 (the table\'s example, as a number)', async () => {
    const r = await send(hec.url, '/services/collector/event', { headers: auth(), body: '{"time": 1433188255.500, "event": "x"}' });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
    expect(hec.store.events[0]?._time).toBe(1433188255.5);
  });

  it('basic authentication: any user, the token as the password', async () => {
    const basic = `Basic ${Buffer.from(`anyone-at-all:${'11111111-2222-3333-4444-555555555555'}`).toString('base64')}`;
    const r = await send(hec.url, '/services/collector/event', { headers: { Authorization: basic }, body: '{"event": "basic"}' });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
  });
});

// Edge Processor, "Usage information and examples for supported HEC endpoints" (help.splunk.com): its
// services/collector example gives a `fields` string its value and a `fields` array a multivalue ("foo", "bar").
describe('indexed fields as the Edge Processor page shows them', () => {
  it('two envelopes, the second with a string and an array field', async () => {
    const body =
      '{"event": "Hello, world!", "sourcetype": "manual", "host": "host_1.splunk.com"}' +
      '{"event": "something happened", "sourcetype": "manual", "host": "host_1.splunk.com", "fields":{"severity":"INFO", "category":["foo","bar"]}}';
    const r = await send(hec.url, '/services/collector', { headers: auth(), body });
    expect([r.status, r.json]).toEqual([200, SUCCESS]);
    const [first, second] = hec.store.events;
    expect(first).toMatchObject({ _raw: 'Hello, world!', sourcetype: 'manual', host: 'host_1.splunk.com' });
    expect(first?.fields).toBeUndefined();
    expect(second).toMatchObject({ _raw: 'something happened', sourcetype: 'manual', host: 'host_1.splunk.com' });
    expect(second?.fields).toEqual({ severity: 'INFO', category: ['foo', 'bar'] });
  });
});

// Getting Data In, "About HTTP Event Collector Indexer Acknowledgment": the reply carries an ackId, and a
// query of ids on the same channel answers {"acks":{"<id>":true|false}}, ids as the object's keys.
describe('"About HTTP Event Collector Indexer Acknowledgment"', () => {
  it('an ackId in the reply, then /ack?channel= answers it by id', async () => {
    const channel = 'FE0ECFAD-13D5-401B-847D-77833BD77131';
    const r = await send(hec.url, `/services/collector/event?channel=${channel}`, { headers: auth(ACK_TOKEN), body: '{"event": "acked"}' });
    expect(r.status).toBe(200);
    const { ackId } = r.json as { ackId: number };
    expect(r.json).toEqual({ ...SUCCESS, ackId });
    const q = await send(hec.url, `/services/collector/ack?channel=${channel}`, { headers: auth(ACK_TOKEN), body: JSON.stringify({ acks: [ackId] }) });
    expect([q.status, q.json]).toEqual([200, { acks: { [String(ackId)]: true } }]);
  });

  it('a token with acknowledgment needs a channel: 400 code 10', async () => {
    const r = await send(hec.url, '/services/collector/event', { headers: auth(ACK_TOKEN), body: '{"event": "no channel"}' });
    expect([r.status, r.json]).toEqual([400, { text: 'Data channel is missing', code: 10 }]);
    expect(hec.store.events).toEqual([]);
  });
});
