import { existsSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { toObject } from '../../src/events/result.js';
import { emptyScanRequest, type EventSource } from '../../src/events/scan.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { extractAll } from '../../src/normalize/json-fields.js';
import { scanTetragonLine, scanTetragonText, type IndexedEvent } from '../../src/normalize/tetragon-index.js';
import { TETRAGON_CIM_FIELDS } from '../../src/normalize/tetragon.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { filePartitions } from '../../src/sources/file-partitions.js';
import { FileSource, type FileSourceOptions, type LineIssue } from '../../src/sources/file.js';
import { toEvent, toEventFromSpans, type ToEventContext } from '../../src/sources/tetragon.js';
import { runSearch } from '../../src/spl/index.js';
import { MacroLibrary } from '../../src/spl/macros/macros.js';
import { rowsText } from '../helpers.js';
import { spellJson, type JsonSpelling } from '../json-spelling.js';
import { VERSION_LINES } from '../normalize/tetragon-versions.js';
import { rng } from '../rng.js';
import { scratchDir } from './helpers.js';

/**
 * Differential fuzzing of the ways vigil reads a Tetragon line: JSON.parse (toEvent, the reference), the byte scan
 * (scanTetragonLine + toEventFromSpans, spans into `_raw`), the scan of a decoded text (an event read back from the
 * store), a FileSource on this thread and on its read thread, and the line-scan prefilter. Real lines (the shared
 * datasets when present, the repository's fixtures) and generated ones of every Tetragon kind are re-spelled in the
 * ways JSON allows and producers differ in: `\uXXXX` and `\/` escapes in keys and values, non-ASCII text, lone
 * surrogates, duplicate keys (JSON.parse keeps the last; Splunk's docs do not say what KV_MODE=json does), other key
 * orders, unknown members, scalars of other types where a string is expected, huge numbers, deep nesting, white
 * space between tokens, CRLF line ends, missing times. Every path must give the same events, the same fields and
 * the same search results (the file with and without its prefilter, on a read thread, and copied into the store).
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHARED = '/work/shared/datasets';

function jsonl(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return jsonl(p);
    return /\.(jsonl|log)$/.test(d.name) ? readFileSync(p, 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
  });
}

/** Real lines: the shared datasets (skipped cleanly when absent), the repository's own samples, and hand-written exports of other Tetragon versions. */
const SHARED_LINES = jsonl(SHARED);
const REAL_LINES = [...SHARED_LINES, ...jsonl(join(ROOT, 'test/fixtures/tetragon')), ...jsonl(join(ROOT, 'attack_data')), ...Object.values(VERSION_LINES)];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const pickOf = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const BINARIES = ['/usr/bin/curl', '/bin/sh', '/usr/bin/nsenter', '/usr/bin/kubectl', '/opt/caf\u00e9/t\u00e9st', '/bin/\u017fh', '/usr/bin/\u212aubectl', 'no-slash', '/trailing/', '', '/usr/sbin/insmod'];
const ARGUMENTS = ['', '-k https://10.0.0.1/', '-c "curl -k http://x"', 'a\\b "c"\td', '-t 1 -m -u -n -i -p bash', '\u4e2d\u6587 \u{1f600}', 'x\u2028y', '--insecure'];
const PODS = ['web-7d9', 'db-0', 'caf\u00e9-1', 'k8s-agent'];

/** A Tetragon process (api/v1/tetragon/tetragon.proto Process, protojson names). */
function processOf(r: () => number, i: number, pod: boolean): Obj {
  const p: Obj = {
    exec_id: `ZXhlYzo${i}`,
    pid: 1000 + (i % 97),
    uid: pickOf(r, [0, 1000, 4294967295]),
    cwd: '/app',
    binary: pickOf(r, BINARIES),
    arguments: pickOf(r, ARGUMENTS),
    flags: 'execve clone',
    start_time: '2026-12-06T00:59:59.5Z',
    auid: 4294967295,
    parent_exec_id: `cGFyZW50${i}`,
    tid: 1000 + (i % 97),
  };
  if (r() < 0.3) p['user'] = { name: pickOf(r, ['root', 'nginx', 'al"ice']) };
  if (r() < 0.3) p['in_init_tree'] = false;
  // Members vigil reads nothing from (tetragon.proto Process): extra JSON paths only.
  if (r() < 0.2) p['docker'] = '3f2a0c1b9d8e7f6a5b4c3d2e1f0a9b8';
  if (r() < 0.2) p['cap'] = { permitted: ['CAP_SYS_ADMIN', 'CAP_NET_RAW'], effective: ['CAP_SYS_ADMIN'] };
  if (r() < 0.2) p['ns'] = { uts: { inum: 4026531838, is_host: true }, net: { inum: 4026532000 } };
  if (r() < 0.2) p['binary_properties'] = { setuid: 0, privileges_changed: ['PRIVILEGES_RAISED_EXEC_FILE_SETUID'], file: { inode: { number: '1234', links: 1 }, path: '/usr/bin/sudo' } };
  if (r() < 0.2) p['environment_variables'] = [{ Key: 'PATH', Value: '/usr/bin' }, { Key: 'HOME', Value: '/root' }];
  if (r() < 0.1) p['refcnt'] = 2;
  if (pod) {
    p['pod'] = {
      namespace: pickOf(r, ['ns1', 'kube-system']),
      name: pickOf(r, PODS),
      container: { id: 'containerd://3f2a', name: 'c', image: { id: 'sha256:1', name: pickOf(r, ['docker.io/library/nginx:1.27', 'quay.io/x/y:2']) }, start_time: '2026-12-06T00:00:00Z', pid: 5 },
      pod_labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
      workload: 'web',
      workload_kind: 'Deployment',
    };
    if (r() < 0.3) Object.assign(p['pod'] as Obj, { uid: '7a1e', pod_annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-01T00:00:00Z' } });
    if (r() < 0.3) Object.assign((p['pod'] as Obj)['container'] as Obj, { maybe_exec_probe: true, security_context: { privileged: true } });
  }
  return p;
}

/** An event of any kind Tetragon exports (api/v1/tetragon/events.proto GetEventsResponse's oneof). */
function generated(r: () => number, i: number): Obj {
  const process = processOf(r, i, r() < 0.7);
  const parent = processOf(r, i + 100000, false);
  const withParent = (o: Obj): Obj => (r() < 0.8 ? { process, parent, ...o } : { process, ...o });
  const kind = pickOf(r, ['process_exec', 'process_exec', 'process_exit', 'process_kprobe', 'process_kprobe', 'process_connect', 'process_lsm', 'process_tracepoint', 'process_uprobe', 'process_usdt', 'process_loader', 'rate_limit_info', 'process_throttle', 'test']);
  let body: Obj;
  switch (kind) {
    case 'process_exec':
      body = withParent(r() < 0.4 ? { ancestors: [{ ...parent }, { exec_id: 'bjE6MTox', pid: 1, binary: '/sbin/init' }] } : {});
      break;
    case 'process_exit':
      body = withParent({ signal: pickOf(r, ['SIGKILL', '']), status: pickOf(r, [0, 137]), time: '2026-12-06T01:00:01Z' });
      break;
    case 'process_kprobe':
      body = withParent({
        function_name: pickOf(r, ['security_file_permission', 'security_socket_connect', 'tcp_connect', 'security_path_unlink', '__x64_sys_write']),
        args: pickOf<Json>(r, [
          [{ file_arg: { path: '/etc/shadow', permission: '-rw-------' } }, { int_arg: 4 }],
          [{ sock_arg: { family: 'AF_INET', type: 'SOCK_STREAM', protocol: 'IPPROTO_TCP', saddr: '10.0.0.5', daddr: '192.0.2.7', sport: 40000, dport: 443 } }],
          [{ string_arg: '/tmp/x' }, { size_arg: '5' }],
          [],
        ]),
        return: { int_arg: 0 },
        action: pickOf(r, ['KPROBE_ACTION_POST', 'KPROBE_ACTION_SIGKILL', 'KPROBE_ACTION_OVERRIDE']),
        policy_name: 'p',
        return_action: 'KPROBE_ACTION_POST',
        ...(r() < 0.3 ? { tags: ['observability.filesystem'], message: 'file access', kernel_stack_trace: [{ address: '18446744072635809792', offset: '5', symbol: 'do_sys_open' }], data: { x: '1' } } : {}),
      });
      break;
    case 'process_connect':
      body = withParent({ source_ip: '10.0.0.5', source_port: 40000, destination_ip: '192.0.2.7', destination_port: 443, protocol: 'TCP' });
      break;
    case 'process_lsm':
      body = withParent({ function_name: 'file_open', policy_name: 'lsm', args: [{ file_arg: { path: '/etc/passwd' } }], action: 'KPROBE_ACTION_POST', ima_hash: 'sha256:00' });
      break;
    case 'process_tracepoint':
      body = withParent({ subsys: 'syscalls', event: 'sys_enter_write', args: [{ long_arg: '1' }, { size_arg: '5' }], action: 'KPROBE_ACTION_POST' });
      break;
    case 'process_uprobe':
      body = withParent({ path: '/bin/bash', symbol: 'readline' });
      break;
    case 'process_usdt':
      body = withParent({ path: '/usr/bin/python3', provider: 'python', name: 'function__entry', args: [{ string_arg: 'f' }] });
      break;
    case 'test':
      body = { arg0: '1', arg1: '2' };
      break;
    case 'process_loader':
      body = { process, path: '/lib/x86_64-linux-gnu/libc.so.6', buildid: 'AAEC' };
      break;
    case 'rate_limit_info':
      body = { number_of_dropped_process_events: '1235' };
      break;
    default:
      body = { type: 'THROTTLE_START', cgroup: '/kubepods/besteffort' };
  }
  const out: Obj = { [kind]: body, node_name: pickOf(r, ['n1', 'node-\u00e9', 'worker-2']), time: `2026-12-06T01:00:${String(i % 60).padStart(2, '0')}.${i % 1000}Z` };
  if (r() < 0.5) out['cluster_name'] = 'prod';
  if (r() < 0.3) out['node_labels'] = { 'kubernetes.io/hostname': 'n1' };
  if (r() < 0.2) out['aggregation_info'] = { count: '2' };
  return out;
}

/** Every object of a value with its path, the value itself included. */
function objects(v: Json, out: Obj[] = []): Obj[] {
  if (Array.isArray(v)) for (const x of v) objects(x, out);
  else if (v !== null && typeof v === 'object') {
    out.push(v);
    for (const x of Object.values(v)) objects(x, out);
  }
  return out;
}

/** A scalar or structure of another type where a string (or anything) was. */
function otherValue(r: () => number): Json {
  return pickOf<() => Json>(r, [
    () => null,
    () => true,
    () => false,
    () => 0,
    () => -0.5,
    () => 1e21,
    () => Number('12345678901234567890'),
    () => 4294967295,
    () => '',
    () => '\u00e9\u4e2d',
    () => [],
    () => ['a', 1, null],
    () => ({}),
    () => ({ name: 'nested', x: [1] }),
  ])();
}

/** Value-level edits of the parsed event: the shapes the byte scan and the parse must agree on. */
function mutate(ev: Obj, r: () => number): void {
  const all = objects(ev);
  const kind = Object.keys(ev).find((k) => k.startsWith('process_') || k === 'rate_limit_info');
  const body = kind === undefined ? null : ev[kind];
  const bodyObj = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : null;
  const edits: (() => void)[] = [
    () => {
      // Any member of any object gets a value of another type (the time excepted: that is a malformed line).
      const o = pickOf(r, all);
      const keys = Object.keys(o).filter((k) => o !== ev || k !== 'time');
      if (keys.length > 0) o[pickOf(r, keys)] = otherValue(r);
    },
    () => {
      const o = pickOf(r, all);
      o[pickOf(r, ['zz_unknown', 'future_member', 'binary_x', 'a.b', 'x{}y', ''])] = otherValue(r);
    },
    () => {
      // Keys in another order.
      const o = pickOf(r, all);
      const entries = Object.entries(o);
      for (const k of Object.keys(o)) delete o[k];
      for (const [k, v] of entries.sort(() => r() - 0.5)) o[k] = v;
    },
    () => bodyObj !== null && delete bodyObj['parent'],
    () => {
      const p = bodyObj?.['process'];
      if (p !== null && typeof p === 'object' && !Array.isArray(p)) delete p['pod'];
    },
    () => {
      const p = bodyObj?.['process'];
      if (p !== null && typeof p === 'object' && !Array.isArray(p)) p['arguments'] = '';
    },
    () => {
      // Deep nesting, beyond the byte scan's 64 levels and the extraction's 128.
      const o = pickOf(r, all);
      const depth = pickOf(r, [10, 63, 64, 70, 130]);
      let v: Json = 'deep';
      for (let d = 0; d < depth; d++) v = r() < 0.5 ? [v] : { n: v };
      o['nest'] = v;
    },
    () => (ev['time'] = pickOf(r, ['2026-12-06T01:00:00Z', '2026-12-06T03:00:00.123456789+02:00', '2026-12-06t01:00:00.5z', '2024-02-29T23:59:60Z'])),
    () => delete ev['node_name'],
    // No time (the previous event's, else the file's mtime) or a null one: not malformed.
    () => (r() < 0.5 ? delete ev['time'] : (ev['time'] = null)),
    () => {
      // Escapes JSON.stringify never writes, in a value: a lone surrogate, NUL, U+FFFD, a surrogate pair.
      const o = pickOf(r, all);
      const keys = Object.keys(o).filter((k) => typeof o[k] === 'string' && k !== 'time');
      if (keys.length > 0) o[pickOf(r, keys)] += pickOf(r, ['\ud800', '\u0000', '\ufffd', '\ud83d\ude00', '\u212a', '/x']);
    },
    () => (ev['node_name'] = pickOf(r, ['', 'n\u00e9', 'quo"te', 'a\\b'])),
  ];
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) pickOf(r, edits)();
}

function styleOf(r: () => number): JsonSpelling {
  const some = (p: number, x: number): number => (r() < p ? x : 0);
  return { escape: some(0.2, 0.05), slash: some(0.2, 0.5), space: some(0.2, 0.3), duplicate: some(0.2, 0.1), decoy: otherValue, numbers: r() < 0.2 };
}

/** One case: a real or generated event, edited, then spelled. */
function caseLine(r: () => number, i: number): string {
  const base = REAL_LINES.length > 0 && r() < 0.5 ? (JSON.parse(pickOf(r, REAL_LINES)) as Obj) : generated(r, i);
  mutate(base, r);
  let line = spellJson(base, r, styleOf(r));
  // Duplicate top-level members written around the event (JSON.parse keeps the last).
  if (r() < 0.05) line = line.replace(/^\{/, '{"node_name":"decoy",');
  if (r() < 0.03) line = line.replace(/^\{/, '{"process_exec":"decoy",');
  if (r() < 0.03) line = line.replace(/^\{/, '{"time":"1999-01-01T00:00:00Z",');
  if (r() < 0.05) line = ' ' + line + '\t';
  // Integers past 2^53 as a producer writes them (JSON.stringify cannot): both paths read the nearest double.
  if (r() < 0.05) line = line.replace(/("(?:pid|uid|auid|status|int_arg)":)(\d+)/, '$1$2123456789012345678901234567890');
  return line;
}

/** Field names besides the CIM fields and the line's own JSON paths: paths through tracked members, odd names. */
const EXTRA_NAMES = [
  'time', 'node_name', 'cluster_name', 'process_exec.process.binary', 'process_exec.parent.binary', 'process_exec.ancestors{}.binary',
  'process_kprobe.args{}.file_arg.path', 'process_kprobe.args{}.sock_arg.daddr', 'process_kprobe.parent.pod.name',
  'process_lsm.process.binary', 'process_tracepoint.args{}.size_arg', 'rate_limit_info.number_of_dropped_process_events',
  'process_exec.process.pod.pod_labels.app.kubernetes.io/name', 'process_exec.process.nest', 'nest', 'a.b', 'x{}y',
];

const ctx: ToEventContext = { index: 'main', source: 'fuzz', defaultHost: 'here', fallbackTime: () => 7 };

/** The fields a search sees of an event, by name (CIM fields, the line's JSON paths, EXTRA_NAMES), and its names. */
function fieldsOf(e: Event, names: readonly string[]): { values: Record<string, unknown>; names: string[] } {
  const res = eventResult(e);
  return { values: Object.fromEntries(names.map((f) => [f, res.get(f) ?? null])), names: res.fieldNames() };
}

function namesFor(line: string): string[] {
  return [...new Set([...TETRAGON_CIM_FIELDS, ...extractAll(JSON.parse(line)).keys(), ...EXTRA_NAMES])];
}

/** Reads one line every in-process way and compares each with the parse path; whether the byte scan indexed it. */
function sameEverywhere(line: string): { indexed: boolean } {
  const slow = toEvent(line, ctx);
  const bytes = Buffer.from(line);
  const spans = scanTetragonLine(bytes, 0, bytes.length);
  const fast = spans === null ? null : toEventFromSpans(line, spans, ctx);
  if (!slow.ok) {
    if (fast !== null) expect(fast, line).toEqual(slow);
    return { indexed: fast !== null };
  }
  const { json: _json, ...plain } = slow.event;
  const names = namesFor(line);
  const want = fieldsOf(slow.event, names);
  // An event without its parse (as stored): scanned from its text, or parsed, on first use.
  expect(fieldsOf(plain as Event, names), `from text: ${line}`).toEqual(want);
  const textSpans = scanTetragonText(line);
  if (spans !== null) expect(textSpans, `text scan vs byte scan: ${line}`).toEqual(spans);
  if (fast !== null) {
    expect(fast.ok, line).toBe(true);
    if (fast.ok) {
      const { spans: _s, ...fastEvent } = fast.event as IndexedEvent;
      expect(fastEvent, line).toEqual(plain);
      expect(fast.missingTime).toBe(slow.missingTime);
      expect(fieldsOf(fast.event, names), `spans: ${line}`).toEqual(want);
    }
  }
  return { indexed: fast !== null };
}

const CASES = 3000;
/** Other seeds explore further (`FUZZ_SEED=n npx vitest run <this file>`); the default one is what CI runs. */
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261207);

describe('Tetragon lines of every shape read the same on every path (differential fuzzing)', () => {
  it(`reads ${CASES} mutated real and generated lines alike: parse, byte scan, text scan`, () => {
    if (SHARED_LINES.length === 0) console.warn(`${SHARED} absent: fuzzing the repository's samples and generated lines only`);
    const r = rng(SEED);
    let indexed = 0;
    for (let i = 0; i < CASES; i++) {
      const line = caseLine(r, i);
      if (sameEverywhere(line).indexed) indexed++;
    }
    // The byte scan must actually be exercised, not declining everything.
    expect(indexed).toBeGreaterThan(CASES / 4);
  });

  const { write, at } = scratchDir('vigil-read-fuzz-');

  /** A file of cases: lines ending in LF or CRLF, blank lines, a BOM, a few malformed lines. */
  function fileOf(seed: number, n: number): { path: string; lines: string[] } {
    const r = rng(seed);
    const lines: string[] = [];
    let text = r() < 0.5 ? '\uFEFF' : '';
    for (let i = 0; i < n; i++) {
      const line = r() < 0.02 ? pickOf(r, ['{"process_exec":{', 'plain text', '[1]', '{"process_exec":{},"time":"bad"}', '{"process_exec":{},"time":5}']) : caseLine(r, i);
      if (r() < 0.02) {
        lines.push('');
        text += pickOf(r, ['\n', '  \r\n']);
      }
      lines.push(line);
      text += line + (r() < 0.3 ? '\r\n' : '\n');
    }
    // The last line without its line feed (a file still being written), sometimes with its CR.
    if (r() < 0.5) text = text.slice(0, -1);
    const path = write(`cases-${seed}.jsonl`, text);
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    return { path, lines };
  }

  /** What the parse path makes of a file's lines, as FileSource reports them. */
  function expected(lines: readonly string[]): { events: Record<string, unknown>[]; malformed: number[] } {
    const events: Record<string, unknown>[] = [];
    const malformed: number[] = [];
    let last = 1_700_000_000;
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const out = toEvent(line, { ...ctx, fallbackTime: () => last });
      if (!out.ok) {
        malformed.push(i + 1);
        return;
      }
      last = out.event._time;
      events.push({ raw: out.event._raw, time: out.event._time, host: out.event.host, sourcetype: out.event.sourcetype, fields: toObject(eventResult(out.event)) });
    });
    return { events, malformed };
  }

  async function scanned(path: string, opts: FileSourceOptions): Promise<{ events: Record<string, unknown>[]; malformed: number[] }> {
    const issues: LineIssue[] = [];
    const src = new FileSource([path], { defaultHost: 'here', source: 'fuzz', onMalformed: (m) => issues.push(m), ...opts });
    const events: Record<string, unknown>[] = [];
    for await (const b of src.scan(emptyScanRequest())) {
      for (const e of b) events.push({ raw: e._raw, time: e._time, host: e.host, sourcetype: e.sourcetype, fields: toObject(eventResult(e)) });
    }
    return { events, malformed: issues.map((m) => m.line) };
  }

  it('a FileSource (byte scan, chunks of any size, read thread, byte ranges) gives the parse path\'s events and fields', async () => {
    const { path, lines } = fileOf(SEED + 1, 600);
    const want = expected(lines);
    expect(want.events.length).toBeGreaterThan(500);
    for (const opts of [{}, { chunkSize: 777 }, { readThread: 'always' as const }, { readThread: 'always' as const, chunkSize: 4096 }]) {
      expect(await scanned(path, opts), JSON.stringify(opts)).toEqual(want);
    }
    // Cut into byte ranges as a run on several threads cuts it (whole lines; a time-less event at a range's start
    // takes the previous range's last time, which that run gets by starting over on one thread).
    const events: Record<string, unknown>[] = [];
    for (const p of (await filePartitions([path], 20_000))!) {
      const last = events.at(-1)?.['time'];
      const part = await scanned(path, { range: { start: p.start, end: p.end }, timeBefore: () => (typeof last === 'number' ? last : 1_700_000_000) });
      events.push(...part.events);
    }
    expect(events).toEqual(want.events);
  });

  it('a node_name holding a lone surrogate escape gives the host U+FFFD on every path (found by the fuzzing: the store gave three)', async () => {
    // Splunk keeps text as UTF-8 ("Configure character set encoding", help.splunk.com Get Data In), where a lone
    // surrogate has no form; its bytes written to the store (ED A0 80) came back as three U+FFFD.
    const line = '{"process_exec":{"process":{"pid":1,"binary":"/usr/bin/curl"}},"node_name":"worker-2\\ud800","time":"2026-12-06T01:00:00Z"}';
    const lines = [line, line.replace('"pid":1', '"pid":2').replace('/usr/bin/curl', '/usr/bin/\u00e9')];
    const path = write('surrogate.jsonl', lines.join('\n') + '\n');
    const hosts = async (source: EventSource): Promise<string[]> => {
      const out: string[] = [];
      for await (const b of source.scan(emptyScanRequest())) for (const e of b) out.push(e.host);
      return out;
    };
    const want = ['worker-2\uFFFD', 'worker-2\uFFFD'];
    expect(await hosts(new FileSource([path]))).toEqual(want);
    expect(await hosts(new FileSource([path], { readThread: 'always' }))).toEqual(want);
    const store = await openStore(at('surrogate-store'));
    try {
      for await (const b of new FileSource([path]).scan(emptyScanRequest())) await store.append(b.map(({ json: _json, ...e }): Event => e));
      expect((await hosts(store)).sort()).toEqual(want);
    } finally {
      await store.close();
    }
    // The field keeps what the JSON says (KV_MODE=json reads the text of `_raw`, which keeps the escape).
    expect(eventResult((toEvent(line, ctx) as { event: Event }).event).get('node_name')).toBe('worker-2\ud800');
  });

  it('a search finds the same rows with its raw prefilter (line scan) as after an unfiltered read', async () => {
    const { path, lines } = fileOf(SEED + 2, 600);
    // Values to search for, taken from what the parse path reads (so the searches match something).
    const r = rng(5);
    const values = new Map<string, Set<string>>();
    for (const line of lines) {
      const out = line.trim() === '' ? null : toEvent(line, ctx);
      if (out === null || !out.ok) continue;
      const res = eventResult(out.event);
      for (const f of ['process_name', 'process_path', 'pod_name', 'user', 'user_id', 'parent_process_name', 'process_id', 'file_path', 'dest_ip', 'process_exec.process.binary', 'process_kprobe.function_name', 'node_name', 'cluster_name', 'process_lsm.process.binary']) {
        for (const v of valuesOf(res.get(f) ?? null)) {
          const t = toText(v);
          if (t !== '' && !/["\\*]/.test(t)) (values.get(f) ?? values.set(f, new Set()).get(f)!).add(t);
        }
      }
    }
    const searches: string[] = [];
    for (const [f, vs] of values) {
      const list = [...vs];
      for (let k = 0; k < 2 && list.length > 0; k++) {
        const v = pickOf(r, list);
        searches.push(`${f}="${v}" | table _time ${f} process host`);
        const mid = v.slice(1, -1);
        if (k === 0 && mid.length >= 2) searches.push(`${f}="*${mid}*" | stats count by ${f}`);
        // Field values compare caselessly (Search Reference, search command: "field values are not case sensitive").
        if (k === 1) searches.push(`${f}="${v.toUpperCase()}" OR (${f}!="${v}" ${f}="*${v.slice(-2)}") | stats count by ${f}`);
      }
    }
    searches.push(
      'process="*-k*" | table _time process',
      '* | regex process="(?i)-k\\b" | table _time process',
      '* | regex parent_process="\\s-c\\s" | table _time parent_process',
      '* | regex process_name="^(?i)k" | table _time process_name',
      '* | regex process_path="caf.|\\x{212a}" | table _time process_path',
      'curl | table _time host',
      'process_kprobe.args{}.file_arg.path="/etc/*" | table _time file_path',
      'sourcetype="cisco:isovalent" process_name=* | stats count by process_name',
      'process_exec.process.arguments="*\\"*" | table _time process',
      // Time bounds over time-less events, which take the previous line's time, read or skipped by the prefilter.
      'earliest=1796518830 latest=1796518850 process_name=* | table _time process_name',
      'earliest=1796518830 latest=1796518850 | stats count by host',
    );
    expect(searches.length).toBeGreaterThan(30);
    if (process.env['FUZZ_STATS']) console.log(`${searches.length} searches`);
    const opts = { macros: new MacroLibrary(), now: 1_800_000_000, tz: 'UTC' };
    const unfiltered = (): EventSource => {
      const src = new FileSource([path], { defaultHost: 'here' });
      return { newestFirst: false, scan: (req, o) => src.scan({ ...req, raw: null }, o) };
    };
    // The same events appended to the store (as `vigil ingest` or HEC leave them), searched with its SQL prefilter.
    const store = await openStore(at('store'));
    for await (const b of new FileSource([path], { defaultHost: 'here' }).scan(emptyScanRequest())) await store.append(b.map(({ json: _json, ...e }): Event => e));
    // (Ties on `_time` come in the store's order: its rows are compared as sets.)
    const sorted = (rows: unknown[]): string[] => rows.map((x) => JSON.stringify(x)).sort();
    for (const [i, spl] of searches.entries()) {
      const want = rowsText((await runSearch(spl, { ...opts, source: unfiltered() })).results);
      expect(sorted(rowsText((await runSearch(spl, { ...opts, source: store })).results)), `${spl} (store)`).toEqual(sorted(want));
      // (A read thread per search costs a worker's start: every fifth search takes one.)
      for (const more of i % 5 === 0 ? [{}, { readThread: 'always' as const, chunkSize: 5000 }] : [{}]) {
        const got = rowsText((await runSearch(spl, { ...opts, source: new FileSource([path], { defaultHost: 'here', ...more }) })).results);
        expect(got, `${spl} ${JSON.stringify(more)}`).toEqual(want);
      }
    }
  }, 60_000);
});
