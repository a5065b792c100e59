/** HEC indexed fields (`Event.fields`) on the hand-packed paths outside the store: rows shipped between threads, MemorySource. */
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { fromWire, toWire } from '../../src/parallel/rows.js';
import { MemorySource } from '../../src/sources/memory.js';
import { runSearch } from '../../src/spl/index.js';

const pod: Event = { _time: 10, index: 'main', sourcetype: 'app', source: 's', host: 'h', _raw: 'GET /health 200', fields: { 'k8s.pod.name': 'web-1', tags: ['a', 'b'] } };
const named: Event = { _time: 11, index: 'main', sourcetype: 'app', source: 's', host: 'h', _raw: 'GET /web-1/x 200' };
const other: Event = { _time: 12, index: 'main', sourcetype: 'app', source: 's', host: 'h', _raw: 'GET /other 200' };

describe('rows shipped to the final part', () => {
  it('keep the event indexed fields, counted in the characters sent', () => {
    const plain = toWire({ row: eventResult({ ...pod, fields: undefined }), t: 10, s: 0 });
    const sent = toWire({ row: eventResult(pod), t: 10, s: 0 });
    // 'k8s.pod.name' 12 + 'web-1' 5 + 'tags' 4 + 'a' 1 + 'b' 1
    expect(sent.chars - plain.chars).toBe(23);
    const back = fromWire(structuredClone(sent.wire), null).row;
    expect(back.get('k8s.pod.name')).toBe('web-1');
    expect(back.get('tags')).toEqual(['a', 'b']);
    expect(back.indexed?.('k8s.pod.name')).toBe('web-1');
    expect('fields' in (structuredClone(plain.wire) as { e: Event }).e).toBe(false);
  });
});

describe('MemorySource', () => {
  it('lets events with indexed fields through its raw filter: the search decides', async () => {
    const src = new MemorySource([pod, named, other]);
    const got: Event[] = [];
    for await (const b of src.scan({ ...emptyScanRequest(), raw: { kind: 'contains', text: 'web-1' } })) got.push(...b);
    expect(got.map((e) => e._time)).toEqual([11, 10]);
    const rows = (await runSearch('k8s.pod.name=web-1 | table _raw', { source: src, now: 100 })).results.map((r) => r.get('_raw'));
    expect(rows).toEqual(['GET /health 200']);
  });
});
