/**
 * Splunk's HEC as its real clients use it, beyond the envelope: `/event` reads `index`, `source`, `sourcetype`
 * and `host` from the query string as defaults (Splunk Stream's forwarder posts
 * `/services/collector/event?index=_internal&host=ubuntu&source=stream&sourcetype=stream:log`; Splunk Connect for
 * Syslog checks each index with `/services/collector/event?index=NAME` and its troubleshooting page shows
 * `{"text":"Incorrect index","code":7,"invalid-event-number":1}` for a missing one), and code 7 numbers its event
 * one higher than the other codes do (that same one-event reply; mockdr's probes of Splunk 10.4.2: `[ok, bad-index]` → 2).
 */
import { describe, expect, it } from 'vitest';
import { CHANNEL, TOKEN, auth, collectorForTests, execLine, hecConfig, send, token } from './helpers.js';

const hec = collectorForTests();

const post = (path: string, body: string, token?: string) => send(hec.url, path, { body, headers: auth(token) });

describe('/event query-string metadata', () => {
  it('is the default of envelopes that name none; an envelope key wins', async () => {
    const r = await post(
      '/services/collector/event?index=other&source=stream&sourcetype=stream:log&host=ubuntu',
      '{"event":"a"}{"event":"b","index":"main","source":"s2","sourcetype":"st2","host":"h2"}',
    );
    expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
    expect(hec.store.events.map(({ index, source, sourcetype, host, _raw }) => ({ index, source, sourcetype, host, _raw }))).toEqual([
      { index: 'other', source: 'stream', sourcetype: 'stream:log', host: 'ubuntu', _raw: 'a' },
      { index: 'main', source: 's2', sourcetype: 'st2', host: 'h2', _raw: 'b' },
    ]);
  });

  it('applies to /services/collector and /event/1.0 too, above the token defaults', async () => {
    // The limited token defaults to index tetragon and sourcetype cisco:isovalent.
    for (const path of ['/services/collector?index=other&sourcetype=x', '/services/collector/event/1.0?index=other&sourcetype=x']) {
      expect((await post(path, '{"event":"a"}', 'limited-token')).status).toBe(200);
    }
    expect(hec.store.events.map((e) => [e.index, e.sourcetype])).toEqual([
      ['other', 'x'],
      ['other', 'x'],
    ]);
  });

  it('an empty parameter is absent (the token default applies)', async () => {
    expect((await post('/services/collector/event?index=&sourcetype=', '{"event":"a"}', 'limited-token')).status).toBe(200);
    expect(hec.store.events.map((e) => [e.index, e.sourcetype])).toEqual([['tetragon', 'cisco:isovalent']]);
  });

  it('a query index that does not exist is code 7 for the first event, numbered 1 (SC4S index check)', async () => {
    const r = await post('/services/collector/event?index=email', '{"event": "HEC TEST EVENT", "sourcetype": "SC4S:PROBE"}');
    expect([r.status, r.text]).toEqual([400, '{"text":"Incorrect index","code":7,"invalid-event-number":1}']);
    const ok = await post('/services/collector/event?index=main', '{"event": "HEC TEST EVENT", "sourcetype": "SC4S:PROBE"}');
    expect([ok.status, ok.text]).toEqual([200, '{"text":"Success","code":0}']);
    // A query index the token may not write to is refused like an envelope one.
    const denied = await post('/services/collector/event?index=main', '{"event":"a"}', 'limited-token');
    expect(denied.text).toBe('{"text":"Incorrect index","code":7,"invalid-event-number":1}');
  });
});

describe('invalid-event-number of code 7', () => {
  it('is the position plus one, where the other codes give the position', async () => {
    const cases: [string, string][] = [
      ['{"event":"ok"}{"event":"p","index":"no_such"}', '{"text":"Incorrect index","code":7,"invalid-event-number":2}'],
      ['{"event":"ok"}{"event":"ok"}{"event":"p","index":"no_such"}', '{"text":"Incorrect index","code":7,"invalid-event-number":3}'],
      ['{"event":"ok"}{"event":""}', '{"text":"Event field cannot be blank","code":13,"invalid-event-number":1}'],
      ['{"event":"ok"}{not json', '{"text":"Invalid data format","code":6,"invalid-event-number":1}'],
    ];
    for (const [body, reply] of cases) expect((await post('/services/collector/event', body)).text).toBe(reply);
    expect(hec.store.events).toEqual([]);
  });
});

describe('?token= (query-string authentication)', () => {
  // Measured on Splunk 10.4.2 by mockdr's probes: the token is looked up before the form is refused.
  const QUERY_TOKEN = 'query-token-0123456789';
  const config = hecConfig();
  config.tokens.push(token({ name: 'query', token: QUERY_TOKEN, allowQueryStringAuth: true }), token({ name: 'query-off', token: 'query-off-0123456789', allowQueryStringAuth: true, disabled: true }));
  const q = collectorForTests({ config });

  const viaQuery = (t: string, headers: Record<string, string> = {}) =>
    send(q.url, `/services/collector/event?token=${encodeURIComponent(t)}`, { body: '{"event":"q"}', headers });

  it('an unknown token is 403 code 4, a known one 400 code 16 unless the token allows the form', async () => {
    expect((await viaQuery('no-such-token-000000')).text).toBe('{"text":"Invalid token","code":4}');
    expect((await viaQuery(TOKEN)).text).toBe('{"text":"Query string authorization is not enabled","code":16}');
    expect(q.store.events).toEqual([]);
    const ok = await viaQuery(QUERY_TOKEN);
    expect([ok.status, ok.text]).toEqual([200, '{"text":"Success","code":0}']);
    expect(q.store.events).toMatchObject([{ _raw: 'q', source: 'http:query' }]);
    expect((await viaQuery('query-off-0123456789')).text).toBe('{"text":"Token disabled","code":1}');
  });

  it('an empty ?token= is no token; the Authorization header wins over ?token=', async () => {
    expect((await viaQuery('')).text).toBe('{"text":"Token is required","code":2}');
    const both = await viaQuery('no-such-token-000000', auth(TOKEN));
    expect([both.status, both.text]).toEqual([200, '{"text":"Success","code":0}']);
  });
});

describe("a token's default source and host (Splunk's token `source` and `host`)", () => {
  const config = hecConfig();
  config.tokens.push(token({ name: 'shipper', token: 'shipper-token-0123456789', defaultSource: 'fluent-bit', defaultHost: 'node-7' }));
  const t = collectorForTests({ config });
  const as = (path: string, body: string) => send(t.url, path, { body, headers: auth('shipper-token-0123456789') });

  it('apply to events that name none, below the envelope and the query string', async () => {
    expect((await as('/services/collector/event', '{"event":"a"}{"event":"b","source":"s","host":"h"}')).status).toBe(200);
    expect((await as('/services/collector/event?source=qs&host=qh', '{"event":"c"}')).status).toBe(200);
    expect((await as('/services/collector/raw', 'd')).status).toBe(200);
    expect((await as('/services/collector/raw?source=qs&host=qh', 'e')).status).toBe(200);
    expect(t.store.events.map((e) => [e._raw, e.source, e.host])).toEqual([
      ['a', 'fluent-bit', 'node-7'],
      ['b', 's', 'h'],
      ['c', 'qs', 'qh'],
      ['d', 'fluent-bit', 'node-7'],
      ['e', 'qs', 'qh'],
    ]);
  });
});

describe('?time= (the request time, epoch seconds)', () => {
  // Splunk's own Kafka connector (splunk/kafka-connect-splunk, RawEventBatch.getMetadataParams) posts
  // `/services/collector/raw?index=…&sourcetype=…&source=…&host=…&time=<epoch s>`; Splunk's docs: "If time=xxx is
  // used in the /event URL, then auto_extract_timestamp is turned off".
  it('is the _time of every /raw line, above a Tetragon time', async () => {
    const r = await post(`/services/collector/raw?channel=${CHANNEL}&sourcetype=cisco:isovalent&time=1600000000.25`, 'a\n' + execLine(1));
    expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
    expect(hec.store.events.map((e) => e._time)).toEqual([1_600_000_000.25, 1_600_000_000.25]);
  });

  it('is the default of /event envelopes without a time; an envelope time wins', async () => {
    const r = await post('/services/collector/event?time=1600000000', '{"event":"a"}{"event":"b","time":1500000000.5}');
    expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
    expect(hec.store.events.map((e) => e._time)).toEqual([1_600_000_000, 1_500_000_000.5]);
  });

  it('an unusable one is refused like an unusable envelope time (code 15, nothing stored); empty is absent', async () => {
    for (const path of ['/services/collector/raw?time=yesterday', '/services/collector/event?time=-5']) {
      const r = await post(path, '{"event":"a"}');
      expect([r.status, r.text]).toEqual([400, '{"text":"Error in handling indexed fields","code":15,"invalid-event-number":0}']);
    }
    expect(hec.store.events).toEqual([]);
    expect((await post('/services/collector/raw?time=', 'a')).status).toBe(200);
    expect(hec.store.events.map((e) => e._time)).toEqual([1_700_000_000]);
  });
});
