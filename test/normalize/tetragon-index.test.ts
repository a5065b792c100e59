import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { extractAll } from '../../src/normalize/json-fields.js';
import { eventKind } from '../../src/normalize/tetragon-kind.js';
import { scanTetragonLine, scanTetragonText, type IndexedEvent } from '../../src/normalize/tetragon-index.js';
import { TETRAGON_CIM_FIELDS } from '../../src/normalize/tetragon.js';
import { toEvent, toEventFromSpans, type ToEventContext } from '../../src/sources/tetragon.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
function jsonlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? jsonlFiles(p) : /\.(log|jsonl)$/.test(n) ? [p] : [];
  });
}
/** Every real and realistic Tetragon line the repository holds. */
const LINES = [...jsonlFiles(join(ROOT, 'test/fixtures/tetragon')), ...jsonlFiles(join(ROOT, 'attack_data'))].flatMap((p) =>
  readFileSync(p, 'utf8').split('\n').filter((l) => l.trim() !== ''),
);

const ctx: ToEventContext = { index: 'main', source: 's', defaultHost: 'default-host', fallbackTime: () => 7 };

/** Deterministic pseudo-random numbers (the test must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Structural variations of a real event: the odd shapes the fast path must read exactly like the parse. */
function vary(line: string, r: () => number): string {
  const json = JSON.parse(line) as Record<string, unknown>;
  const kind = Object.keys(json).find((k) => k.startsWith('process_')) as string;
  const body = json[kind] as Record<string, unknown>;
  const proc = (body['process'] ?? {}) as Record<string, unknown>;
  const parent = (body['parent'] ?? {}) as Record<string, unknown>;
  const args = Array.isArray(body['args']) ? (body['args'] as unknown[]) : null;
  const edits: (() => void)[] = [
    // The members the CIM fields of every kind read (users, guids, file and network sources).
    () => (proc['user'] = pick(r, [{ name: 'root' }, { name: 'al"ice' }, { name: 7 }, {}, 'root', null, [{ name: 'x' }]])),
    () => (parent['user'] = pick(r, [{ name: 'bob' }, { name: null }, 'bob'])),
    () => (proc['uid'] = pick(r, [0, 1000, '1000', 1e21, 4294967295, -1, null, true])),
    () => (proc['exec_id'] = pick(r, [undefined, '', 'ZXhlYw==', 5, null])),
    () => (parent['exec_id'] = pick(r, [undefined, 'cGFyZW50', 3, null])),
    () => (proc['parent_exec_id'] = pick(r, [undefined, 'cHBpZA==', ['a'], null])),
    () => (body['function_name'] = pick(r, ['security_file_permission', 'security_mmap_file', 'tcp_connect', 'security_socket_connect', 'security_path_unlink', 'file_open', 'other', 9, null])),
    () => (body['action'] = pick(r, ['KPROBE_ACTION_SIGKILL', 'KPROBE_ACTION_POST', 'KPROBE_ACTION_OVERRIDE', 1, null])),
    () => (body['args'] = pick(r, [
      [{ file_arg: { path: 'etc/x', permission: '-rw-------' } }, { int_arg: 2 }],
      [{ path_arg: { mount: '/m', path: 'rel/p' } }, { uint_arg: 4 }, { int_arg: 2 }],
      [{ int_arg: 8 }, { file_arg: { path: '/a/b/', permission: 5 } }, { file_arg: { path: '/second' } }],
      [{ sock_arg: { saddr: '10.0.0.1', daddr: 'fe80::1', sport: 1, dport: '22', protocol: 'IPPROTO_UDP' } }],
      [{ sock_arg: { daddr: 7, protocol: 17 } }, { sock_arg: { daddr: '10.9.9.9' } }],
      [{ sock_arg: { saddr: '0.0.0.0', protocol: 'IPPROTO_TCP' } }, { sockaddr_arg: { addr: '192.0.2.1', port: 443 } }, { sockaddr_arg: { addr: 1 } }],
      [null, 'x', [{ file_arg: { path: '/nested' } }], { file_arg: 'flat' }, { file_arg: { path: null } }],
      [{ string_arg: 'one' }, { int_arg: 1 }, { string_arg: ['two', { string_arg: 'three' }] }, { 'a.string_arg': 'dotted' }],
      { file_arg: { path: '/not-an-array' } },
      [],
    ])),
    () => args?.reverse(),
    () => (body[pick(r, ['socket', 'sock_arg'])] = pick(r, [{ saddr: '1.1.1.1', dport: 53, protocol: 'UDP' }, { destination_ip: '2.2.2.2' }, 'flat', null])),
    () => (body[pick(r, ['source_ip', 'saddr', 'destination_ip', 'daddr', 'source_port', 'dport', 'protocol'])] = pick(r, ['10.1.1.1', '', 443, 'TCP', null, { x: 1 }])),
    () => (proc['binary'] = pick(r, ['/usr/bin/cu"rl', '/bin/\\sh', 'no-slash', '/trailing/', '', 'é/ü', 42, null])),
    () => (proc['arguments'] = pick(r, ['', ' "quoted" -x', 'tab\there', undefined, 7])),
    () => (proc['pid'] = pick(r, ['123', 1.5, -0, 1e21, true, null, { x: 1 }])),
    () => delete body['parent'],
    () => delete proc['pod'],
    () => (body['process'] = pick(r, [[proc], 'text', null])),
    () => (json['time'] = pick(r, [undefined, null, 12, 'bad', '2024-02-30T00:00:00Z', '2024-01-01T00:00:00.123456789+02:00', { t: 1 }])),
    () => (json['node_name'] = pick(r, [undefined, '', 'n\u00e9', 'quo"te', 5])),
    () => (json['cluster_name'] = pick(r, [undefined, 'c"1', null, ['a', 'b']])),
    () => (json['node_labels'] = { 'kubernetes.io/hostname': 'h', 'a.b': { c: 1 } }),
    () => (json[`${kind}.process`] = { start_time: 'dotted' }),
    () => (body['process.start_time'] = 'dotted'),
    () => (proc['pod.name'] = 'dotted'),
    () => (json['process_name'] = pick(r, ['top', 1, true])),
    () => (json['pod_name'] = 'top-level pod'),
    () => (json[pick(r, ['process_exit', 'process_kprobe', 'process_lsm'])] = pick(r, [{ process: { binary: '/x' } }, 'str'])),
    () => (json['x{}y'] = ['a', 'b']),
    // Untracked members under tracked objects, reached by parsing that object's span alone.
    () => (parent['pod'] = pick(r, [{ name: 'pp', container: { image: { name: ['i1', 'i2'] } } }, { name: [1, { x: 2 }, 'z'] }, [{ name: 'arr' }], 'flat', null])),
    () => (proc['flags'] = pick(r, ['execve clone', 3, null, { a: 1 }, ['x', 'y']])),
    () => (body['ancestors'] = pick(r, [[{ binary: '/a' }, { binary: '/b' }], [], { binary: '/c' }])),
    () => (proc['pod'] = { pod_labels: { app: pick(r, ['web', 1, null]), 'a.b': 'dotted below a tracked level' }, container: [{ id: 'c1' }] }),
  ];
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) pick(r, edits)();
  let text = JSON.stringify(json);
  // Escapes JSON.stringify never writes, and duplicate keys it cannot write.
  if (r() < 0.2) text = text.replace('"binary":"/', '"binary":"\\/');
  if (r() < 0.1) text = text.replace('"time":', '"ti\\u006de":');
  if (r() < 0.1) text = text.replace('{"binary":', '{"binary":"/first","binary":');
  if (r() < 0.1) text = text.replace(/}$/, ',"node_name":"second"}');
  if (r() < 0.5) text = text.replace('"string_arg"', '"string\\u005farg"');
  if (r() < 0.1) text = ' ' + text + '\t';
  return text;
}

const EXTRA_NAMES = [
  'time', 'node_name', 'cluster_name', 'node_labels', 'node_labels.kubernetes.io/hostname', 'x{}y', '', 'missing', 'a.b',
  'process_exec', 'process_exec.process', 'process_exec.process.pod', 'process_exec.process.start_time',
  'process_exec.process.pod.container.start_time', 'process_exec.parent.binary', 'process_exit.process.binary',
  'process_kprobe.process.start_time', 'process_connect.process.pod.name', 'process_exec.process.pod.name',
  'process_kprobe.function_name', 'process_kprobe.action', 'process_kprobe.args', 'process_kprobe.args{}.file_arg.path',
  'process_exec.process.user.name', 'process_exec.parent.user', 'process_exec.parent.exec_id', 'process_connect.socket.saddr',
  'process_connect.destination_ip', 'process_connect.sock_arg', 'process_exit.process.parent_exec_id',
  // Paths through tracked values answered by parsing a span alone (spansField with `parse`).
  'process_kprobe.args{}.string_arg', 'process_kprobe.args{}.file_arg.path', 'process_kprobe.args{}', 'process_kprobe.args{}{}', 'process_kprobe.args{}.a.string_arg',
  'process_kprobe.args{}.string_arg{}.string_arg', 'process_kprobe.args{}.int_arg',
  'process_kprobe.parent.pod.name', 'process_exec.parent.pod.container.image.name', 'process_exec.process.flags',
  'process_exec.process.pod.pod_labels.app', 'process_exec.process.pod.container{}.id', 'process_exec.process{}.binary',
  'process_exec.process.', 'process_exec.', 'process_exec{}', 'process_exec.ancestors{}.binary', 'node_labels.a.b.c',
  'node_labels{}', 'cluster_name.x', 'process_exec.process.binary.x', 'process_exec.a{b', 'process_exec.process.user.name.x',
  'process_kprobe.socket.saddr', 'process_connect.sock_arg.dport', 'missing.x', 'time{}', 'process_exit.x{}.y',
];

/** Compares the fast path with the parse path on one line; false when the fast path declined it. */
function same(line: string): boolean {
  const spans = scanTetragonLine(Buffer.from(line), 0, Buffer.byteLength(line));
  if (spans === null) return false;
  const fast = toEventFromSpans(line, spans, ctx);
  const slow = toEvent(line, ctx);
  if (fast === null) {
    // Declined (a time that is not a string or null): the reader then uses toEvent anyway.
    expect(typeof (JSON.parse(line) as Record<string, unknown>)['time']).not.toBe('string');
    return false;
  }
  if (!slow.ok || !fast.ok) {
    expect(fast, line).toEqual(slow);
    return true;
  }
  expect(fast.missingTime).toBe(slow.missingTime);
  expect(fast.badTime, line).toBe(slow.badTime);
  const { spans: _spans, ...fastEvent } = fast.event as IndexedEvent;
  const { json: _json, ...slowEvent } = slow.event;
  expect(fastEvent, line).toEqual(slowEvent);
  for (const sourcetype of [slow.event.sourcetype, 'json']) {
    const a = eventResult({ ...slow.event, sourcetype } as Event);
    const b = eventResult({ ...fast.event, sourcetype } as Event);
    // Neither spans nor a parse (an event read back from the store): scanned from its text on first use.
    const c = eventResult({ ...slowEvent, sourcetype } as Event);
    const names = [...TETRAGON_CIM_FIELDS, ...extractAll(JSON.parse(line)).keys(), ...EXTRA_NAMES];
    for (const f of names) {
      expect(b.get(f), `${f} of ${line}`).toEqual(a.get(f));
      expect(c.get(f), `${f} of ${line} (from text)`).toEqual(a.get(f));
    }
    expect(b.fieldNames()).toEqual(a.fieldNames());
    expect(c.fieldNames()).toEqual(a.fieldNames());
  }
  return true;
}

describe('the fast path (scan + spans) reads exactly what the parse path reads', () => {
  it('on every Tetragon line in the repository', () => {
    expect(LINES.length).toBeGreaterThan(60);
    // Lines of an uncommon kind (process_lsm) are declined by design: the reader parses them.
    const common = new Set(['process_exec', 'process_exit', 'process_kprobe', 'process_connect']);
    for (const line of LINES) expect(same(line), line).toBe(common.has(eventKind(JSON.parse(line)) ?? ''));
  });

  it('on structural variations of them', () => {
    const r = rng(3);
    let handled = 0;
    for (let i = 0; i < 1500; i++) if (same(vary(pick(r, LINES), r))) handled++;
    expect(handled).toBeGreaterThan(700);
  });

  it('declines lines it does not handle, leaving them to the parse', () => {
    const declined = (t: string): boolean => scanTetragonLine(Buffer.from(t), 0, Buffer.byteLength(t)) === null;
    expect(declined('{"process_exec":{},"time":"2024-01-01T00:00:00Z"}')).toBe(false);
    expect(declined('{"process_lsm":{},"time":"2024-01-01T00:00:00Z"}')).toBe(true); // an uncommon kind
    expect(declined('{"process_exec":{},"process_exit":{}}')).toBe(true); // two kinds
    expect(declined('{"process_exec":"x","process_exit":{}}')).toBe(true); // eventKind would skip the first
    expect(declined('{"time":"x"}')).toBe(true); // no kind
    expect(declined('{"process_exec":{"process":{"binary":"/bin/é"}}}')).toBe(true); // not ASCII
    // From text: a character above U+00FF whose low byte is a quote must not be read as one.
    expect(scanTetragonText('{"process_exec":{"process":{"binary":"\\u0122 is \u0122"}}}')).toBeNull();
    expect(scanTetragonText('{"process_exec":{"process":{"binary":"/bin/x"}}}')).not.toBeNull();
  });
});
