/**
 * A JSON array of envelopes is a batch: Splunk 10.4.2 answers `[{"event":"a"},{"event":"b"}]` 200 Success
 * (mockdr's conformance probe `hec-event-array-body`, measured against a real Splunk).
 */
import { describe, expect, it } from 'vitest';
import { auth, collectorForTests, send } from './helpers.js';

const hec = collectorForTests();

const post = (body: string) => send(hec.url, '/services/collector/event', { body, headers: auth() });

describe('a JSON array body', () => {
  it('is a batch of its envelopes, each event kept as sent', async () => {
    const r = await post('[{"event":"a","sourcetype":"s1"}, {"event":{"n":12345678901234567890,"k":"v"},"time":1433188255.5}]');
    expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
    expect(hec.store.events.map(({ _raw, sourcetype, _time }) => ({ _raw, sourcetype, _time }))).toEqual([
      { _raw: 'a', sourcetype: 's1', _time: 1_700_000_000 },
      { _raw: '{"n":12345678901234567890,"k":"v"}', sourcetype: 'httpevent', _time: 1433188255.5 },
    ]);
  });

  it('mixes with envelopes; events are numbered across arrays for a bad one', async () => {
    expect((await post('{"event":"a"}[{"event":"b"},{"event":"c"}]\n{"event":"d"}')).status).toBe(200);
    expect(hec.store.events.map((e) => e._raw)).toEqual(['a', 'b', 'c', 'd']);
    hec.store.batches.length = 0;
    const cases: [string, string][] = [
      ['{"event":"a"}[{"event":"b"},{"event":""}]', '{"text":"Event field cannot be blank","code":13,"invalid-event-number":2}'],
      ['[{"event":"a"},{"event":"b"}]{"time":1}', '{"text":"Event field is required","code":12,"invalid-event-number":2}'],
      ['[{"event":"a"},"b"]', '{"text":"Invalid data format","code":6,"invalid-event-number":1}'],
      ['[{"event":"a"},]', '{"text":"Invalid data format","code":6,"invalid-event-number":0}'],
      ['[{"event":"a"}', '{"text":"Invalid data format","code":6,"invalid-event-number":0}'],
      ['[]', '{"text":"No data","code":5}'],
    ];
    for (const [body, reply] of cases) expect((await post(body)).text).toBe(reply);
    expect(hec.store.events).toEqual([]);
  });

  it('is held to hec.maxJsonDepth like a top-level envelope (the array level aside)', async () => {
    const deep = (n: number) => '{"a":'.repeat(n - 1) + '1' + '}'.repeat(n - 1);
    // An envelope nesting 16,384 levels (its own included) is allowed, one more is not: alone or in an array.
    for (const wrap of [(e: string) => e, (e: string) => `[${e}]`]) {
      expect((await post(wrap(`{"event":${deep(16_384)}}`))).status).toBe(200);
      expect((await post(wrap(`{"event":${deep(16_385)}}`))).text).toBe('{"text":"Invalid data format","code":6,"invalid-event-number":0}');
    }
  });
});
