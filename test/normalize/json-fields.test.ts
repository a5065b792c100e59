import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractAll, extractPath } from '../../src/normalize/json-fields.js';

const FIX = new URL('../fixtures/tetragon/', import.meta.url);
const parsed = (name: string): unknown[] =>
  readFileSync(new URL(name, FIX), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
const upstream = parsed('upstream-samples.jsonl');
const example = parsed('splunk-example.jsonl')[0];
const synthetic = parsed('synthetic.jsonl');

describe('extractAll', () => {
  it('flattens the Splunk example like KV_MODE=json', () => {
    const f = extractAll(example);
    expect(f.get('process_exec.process.binary')).toBe('/app/grpc-health-probe');
    expect(f.get('process_exec.process.pid')).toBe(3502914);
    expect(f.get('process_exec.process.in_init_tree')).toBe('false');
    expect(f.get('process_exec.process.pod.container.maybe_exec_probe')).toBe('true');
    expect(f.get('process_exec.process.pod.container.start_time')).toBe('2025-07-28T22:21:44Z');
    expect(f.get('process_exec.process.pod.pod_labels.app.kubernetes.io/name')).toBe('aws-node');
    expect(f.get('node_labels.kubernetes.io/hostname')).toBe('ip-10-0-10-253.us-west-2.compute.internal');
    expect(f.get('cluster_name')).toBe('isovalent-2');
    expect(f.get('time')).toBe('2025-08-14T20:42:47.459945318Z');
    // Arrays of objects: one multivalue per leaf, in array order.
    expect(f.get('process_exec.ancestors{}.binary')).toEqual(['/usr/bin/containerd-shim-runc-v2', '/usr/lib/systemd/systemd']);
    expect(f.get('process_exec.ancestors{}.pid')).toEqual([3059, 1]);
    // The empty object security_context produces nothing.
    expect([...f.keys()].some((k) => k.includes('security_context'))).toBe(false);
    // No object-valued names.
    expect(f.has('process_exec')).toBe(false);
    expect(f.has('process_exec.process')).toBe(false);
  });

  it('names array elements with {} (kprobe args, tags, nested arrays)', () => {
    const mod = extractAll(upstream[7]);
    expect(mod.get('process_kprobe.args{}.module_arg.name')).toBe('kernel_module_hello');
    expect(mod.get('process_kprobe.args{}.module_arg.tainted{}')).toEqual(['TAINT_OUT_OF_TREE_MODULE', 'TAINT_UNSIGNED_MODULE']);
    const write = extractAll(upstream[13]);
    expect(write.get('process_kprobe.args{}.file_arg.path')).toBe('etc/passwd');
    expect(write.get('process_kprobe.args{}.size_arg')).toBe('627');
    expect(write.get('process_kprobe.process.pod.name')).toBe('elasticsearch-56f8fc6988-sh8rm');
    const syn = extractAll(synthetic[4]);
    expect(syn.get('process_kprobe.args{}.string_arg')).toEqual(['first', 'second']);
    expect(syn.get('process_kprobe.args{}.sock_arg.dport')).toBe(443);
    expect(syn.get('process_kprobe.tags{}')).toEqual(['network', 'egress']);
    const nested = extractAll({ a: [[1, 2], [3]], b: [{ c: [true, null] }] });
    expect(nested.get('a{}{}')).toEqual([1, 2, 3]);
    expect(nested.get('b{}.c{}')).toEqual(['true', 'null']);
  });

  it('maps scalars: numbers stay numbers, booleans and null become text, empties vanish', () => {
    const f = extractAll({ n: 1.5, z: 0, t: true, f: false, u: null, s: '', e: [], o: {}, one: ['x'], nest: { e: {} } });
    expect(Object.fromEntries(f)).toEqual({ n: 1.5, z: 0, t: 'true', f: 'false', u: 'null', s: '', 'one{}': 'x' });
  });

  it('extracts nothing from non-objects', () => {
    expect(extractAll([{ a: 1 }]).size).toBe(0);
    expect(extractAll('text').size).toBe(0);
    expect(extractAll(null).size).toBe(0);
  });

  it('merges a dotted key with the same nested path, in document order', () => {
    expect(extractAll({ a: { b: 1 }, 'a.b': 2 }).get('a.b')).toEqual([1, 2]);
    expect(extractAll({ 'a.b': 2, a: { b: 1 } }).get('a.b')).toEqual([2, 1]);
  });
});

describe('extractPath', () => {
  it('equals extractAll for every field of every sample', () => {
    for (const json of [...upstream, example, ...synthetic]) {
      for (const [name, value] of extractAll(json)) expect(extractPath(json, name), name).toEqual(value);
    }
  });

  it('finds keys containing dots, and key collisions in document order', () => {
    expect(extractPath(example, 'node_labels.topology.kubernetes.io/zone')).toBe('us-west-2c');
    expect(extractPath({ a: { b: 1 }, 'a.b': 2 }, 'a.b')).toEqual([1, 2]);
    expect(extractPath({ 'a.b': 2, a: { b: 1 } }, 'a.b')).toEqual([2, 1]);
    expect(extractPath({ 'x{}': 1 }, 'x{}')).toBe(1);
  });

  it('returns null for absent, object-valued or malformed paths', () => {
    for (const p of ['', 'nope', 'process_exec', 'process_exec.process', 'process_exec.ancestors.binary', 'process_exec.ancestors{}',
      'process_exec.process.binary.x', 'process_exec..process', '.process_exec', 'process_exec.', 'node_labels.kubernetes']) {
      expect(extractPath(example, p), p).toBeNull();
    }
    expect(extractPath([1], '{}')).toBeNull();
    expect(extractPath('x', 'a')).toBeNull();
  });
});
