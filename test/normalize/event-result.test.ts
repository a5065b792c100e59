import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { toObject } from '../../src/events/result.js';
import { EVENT_METADATA_FIELDS, eventResult } from '../../src/normalize/event-result.js';
import { extractAll } from '../../src/normalize/json-fields.js';

const FIX = new URL('../fixtures/tetragon/', import.meta.url);
const [exampleLine] = readFileSync(new URL('splunk-example.jsonl', FIX), 'utf8').split('\n') as [string];

function ev(raw: string, over: Partial<Event> = {}): Event {
  return { _time: 1755204167.459945, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 'src', host: 'h', _raw: raw, ...over };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('eventResult', () => {
  it('serves metadata from the Event', () => {
    const r = eventResult(ev(exampleLine));
    expect(EVENT_METADATA_FIELDS.map((f) => r.get(f))).toEqual([1755204167.459945, exampleLine, 'main', 'cisco:isovalent:processExec', 'src', 'h']);
  });

  it('parses _raw once, and not at all when the reader left the parse in e.json', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const r = eventResult(ev(exampleLine));
    expect(r.get('process_name')).toBe('grpc-health-probe');
    expect(r.get('pod_name')).toBe('aws-node-9twpn');
    expect(r.get('process_exec.process.cwd')).toBe('/app');
    r.fieldNames();
    r.clone().get('process_id');
    expect(parse).toHaveBeenCalledTimes(1);
    parse.mockClear();
    const json: unknown = JSON.parse(exampleLine);
    parse.mockClear();
    const r2 = eventResult(ev(exampleLine, { json }));
    expect(r2.get('process_name')).toBe('grpc-health-probe');
    r2.fieldNames();
    expect(parse).not.toHaveBeenCalled();
  });

  it('reads only a few properties for a CIM field (no flattening)', () => {
    let reads = 0;
    const count = <T extends object>(o: T): T =>
      new Proxy(o, {
        get(target, key, receiver) {
          reads++;
          const v: unknown = Reflect.get(target, key, receiver);
          return typeof v === 'object' && v !== null ? count(v) : v;
        },
      });
    const json = count(JSON.parse(exampleLine) as object);
    const r = eventResult(ev(exampleLine, { json }));
    expect(r.get('process_name')).toBe('grpc-health-probe');
    expect(reads).toBeLessThanOrEqual(8);
    reads = 0;
    expect(r.get('process_exec.process.pod.name')).toBe('aws-node-9twpn');
    expect(reads).toBeLessThanOrEqual(8);
    reads = 0;
    r.get('process_name'); // cached
    expect(reads).toBe(0);
  });

  it('lists metadata, CIM fields, JSON paths and overlay fields', () => {
    const r = eventResult(ev(exampleLine));
    const names = r.fieldNames();
    expect(names.slice(0, 6)).toEqual([...EVENT_METADATA_FIELDS]);
    for (const f of ['process_name', 'process', 'pod_name', 'vendor_product', 'cluster_name', 'process_exec.ancestors{}.binary', 'node_labels.kubernetes.io/os']) {
      expect(names).toContain(f);
    }
    // No connection, no file, no user name (Tetragon's --username-metadata was off): those fields are absent.
    for (const f of ['src_ip', 'dest_ip', 'file_path', 'user', 'parent_user']) expect(names).not.toContain(f);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(6 + new Set([...extractAll(JSON.parse(exampleLine)).keys(), 'action', 'dest', 'process', 'process_name', 'process_exec',
      'process_id', 'process_path', 'process_guid', 'process_current_directory', 'user_id', 'parent_process', 'parent_process_name',
      'parent_process_exec', 'parent_process_id', 'parent_process_path', 'parent_process_guid', 'pod_name', 'pod_namespace', 'pod_image_name',
      'container_id', 'os', 'vendor_product']).size);
    const obj = toObject(r);
    expect(obj['process_exec.process.pid']).toBe(3502914);
  });

  it('lets set() override and hide fields, extracted or metadata', () => {
    const r = eventResult(ev(exampleLine));
    r.set('pod_name', 'renamed');
    r.set('process_name', null);
    r.set('host', null);
    r.set('new_field', 7);
    expect(r.get('pod_name')).toBe('renamed');
    expect(r.get('process_name')).toBeNull();
    expect(r.get('host')).toBeNull();
    expect(r.get('new_field')).toBe(7);
    const names = r.fieldNames();
    expect(names).not.toContain('process_name');
    expect(names).not.toContain('host');
    expect(names).toContain('pod_name');
    expect(names.at(-1)).toBe('new_field');
    r.set('process_name', 'back');
    expect(r.get('process_name')).toBe('back');
  });

  it('clones with an independent overlay', () => {
    const r = eventResult(ev(exampleLine));
    r.set('a', 1);
    const c = r.clone();
    c.set('a', 2);
    c.set('pod_name', null);
    expect(r.get('a')).toBe(1);
    expect(r.get('pod_name')).toBe('aws-node-9twpn');
    expect(c.get('a')).toBe(2);
    expect(c.get('pod_name')).toBeNull();
    expect(c.get('process_name')).toBe('grpc-health-probe');
  });

  it('gives other sourcetypes only the JSON auto-extraction', () => {
    const r = eventResult(ev(exampleLine, { sourcetype: '_json' }));
    expect(r.get('process_name')).toBeNull();
    expect(r.get('vendor_product')).toBeNull();
    expect(r.get('process_exec.process.binary')).toBe('/app/grpc-health-probe');
    expect(r.get('cluster_name')).toBe('isovalent-2');
    expect(r.fieldNames()).not.toContain('process_name');
    const plain = eventResult(ev('{"process_name":"x","n":1}', { sourcetype: 'other' }));
    expect([plain.get('process_name'), plain.get('n')]).toEqual(['x', 1]);
  });

  it('falls back to the JSON path when a CIM source is absent', () => {
    const r = eventResult(ev('{"process_exec":{},"pod_name":"top-level"}'));
    expect(r.get('pod_name')).toBe('top-level');
    expect(r.fieldNames()).toContain('pod_name');
  });

  it('gives non-JSON events only their metadata', () => {
    for (const raw of ['plain text line', '[1,2]', '{not json', '']) {
      const r = eventResult(ev(raw));
      expect(r.get('process_name')).toBeNull();
      expect(r.get('vendor_product')).toBeNull();
      expect(r.fieldNames()).toEqual([...EVENT_METADATA_FIELDS]);
    }
  });
});
