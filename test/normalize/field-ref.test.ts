import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { readField, Row, rowLayout, WrittenRow } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import { eventResult, fieldRef, type DerivedFields } from '../../src/normalize/event-result.js';

const [line] = readFileSync(new URL('../fixtures/tetragon/splunk-example.jsonl', import.meta.url), 'utf8').split('\n') as [string];
const ev: Event = { _time: 1755204167.459945, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 'src', host: 'h', _raw: line };
const tags: DerivedFields = { names: new Set(['tag', 'pod_name']), compute: () => new Map<string, FieldValue>([['tag', 'process']]) };
const NAMES = ['_time', '_raw', 'index', 'sourcetype', 'source', 'host', 'process_name', 'process', 'process_id', 'pod_name', 'process_exec.process.cwd', 'tag', 'nope'];

describe('fieldRef / readField', () => {
  it('reads what get reads, from a raw event: metadata, CIM fields, JSON paths, derived fields', () => {
    const expected = NAMES.map((n) => eventResult(ev, tags).get(n));
    const r = eventResult(ev, tags);
    expect(NAMES.map((n) => readField(r, fieldRef(n)))).toEqual(expected);
    expect(expected.slice(6)).toEqual(['grpc-health-probe', '/app/grpc-health-probe -addr=:50051 -connect-timeout=5s -rpc-timeout=5s', 3502914, 'aws-node-9twpn', '/app', 'process', null]);
    // A ref not made by fieldRef is read by its name.
    expect(readField(r, { name: 'process_name' })).toBe('grpc-health-probe');
    expect(fieldRef('process_name')).toBe(fieldRef('process_name'));
  });

  it('sees writes, and a field hidden by a null write', () => {
    const r = eventResult(ev);
    r.set('process_name', 'x');
    r.set('pod_name', null);
    r.set('_time', 1);
    expect(['process_name', 'pod_name', '_time'].map((n) => readField(r, fieldRef(n)))).toEqual(['x', null, 1]);
  });

  it('reads a WrittenRow: its slots, else its base; after a write outside its layout, its copy', () => {
    const w = new WrittenRow(eventResult(ev), rowLayout(['a', 'process_name'])!);
    const name = fieldRef('process_name');
    expect(readField(w, name)).toBe('grpc-health-probe');
    w.set('process_name', 'y');
    expect([readField(w, name), readField(w, fieldRef('a')), readField(w, fieldRef('pod_name'))]).toEqual(['y', null, 'aws-node-9twpn']);
    w.set('other', 1);
    expect([readField(w, name), readField(w, fieldRef('other'))]).toEqual(['y', 1]);
  });

  it('reads a row type without read() by name', () => {
    expect(readField(new Row({ process_name: 'z' }), fieldRef('process_name'))).toBe('z');
  });
});
