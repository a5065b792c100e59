import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Result } from '../../src/events/result.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { FileSource, type LineIssue } from '../../src/sources/file.js';
import { toEvent } from '../../src/sources/tetragon.js';
import { runSearch } from '../../src/spl/index.js';
import { scratchDir } from '../sources/helpers.js';
import { ctx, indexed, pick, read } from './tetragon-read.js';
import { htmlEscaped, spaced, VERSION_LINES as LINES } from './tetragon-versions.js';

/**
 * Tetragon exports of other versions and of every event kind and argument type (tetragon-versions.ts). Expected
 * CIM values follow src/normalize/CONTEXT.md's mapping (isovalent-content.md §3, data-models.md §4.3-4.5); each
 * line must also read the same on the parse path, the fast path and from its text, in the spellings real
 * exporters wrote.
 */

describe('Tetragon exports of every version and kind', () => {
  it('every line reads, gets the add-on sourcetype and host, and reads alike on every path in every spelling', () => {
    const sourcetypes: Record<string, string> = {};
    for (const [name, l] of Object.entries(LINES)) {
      const out = toEvent(l, ctx);
      expect(out.ok, name).toBe(true);
      if (!out.ok) continue;
      sourcetypes[name] = out.event.sourcetype;
      expect(out.event.host, name).toBe(name.startsWith('v08') ? 'minikube' : 'k8s-node');
      const m = read(l);
      for (const other of [spaced(l), htmlEscaped(l)]) expect(Object.fromEntries(read(other)), name).toEqual(Object.fromEntries(m));
      // The space protojson may add does not send a line off the fast path.
      expect(indexed(spaced(l)), name).toBe(indexed(l));
    }
    // isovalent-content.md §3: process_exec gets its own sourcetype, every other kind stays cisco:isovalent.
    expect(sourcetypes).toEqual(Object.fromEntries(Object.keys(LINES).map((k) => [k, k === 'exec' || k === 'v08exec' || k === 'aggregated' ? 'cisco:isovalent:processExec' : 'cisco:isovalent'])));
  });

  it('a v1.5+ exec: the mapping of process, parent, pod and envelope fields', () => {
    expect(pick(read(LINES.exec), ['process', 'process_name', 'process_exec', 'process_path', 'process_id', 'process_guid', 'user', 'user_id', 'parent_process', 'parent_process_name', 'parent_process_id', 'parent_process_guid', 'pod_name', 'pod_namespace', 'pod_image_name', 'container_id', 'cluster_name', 'node_name', 'dest', 'action'])).toEqual({
      process: '/usr/bin/curl -sk https://169.254.169.254/latest/meta-data/',
      process_name: 'curl',
      process_exec: 'curl',
      process_path: '/usr/bin/curl',
      process_id: 4421,
      process_guid: 'azhzLW5vZGU6MTIzNDU2Nzg5OjQ0MjE=',
      user: 'root',
      user_id: '0',
      parent_process: '/bin/bash -c "curl -sk https://169.254.169.254/ && ps aux > /tmp/p"',
      parent_process_name: 'bash',
      parent_process_id: 4400,
      parent_process_guid: 'azhzLW5vZGU6MTIzNDUwMDAwOjQ0MDA=',
      pod_name: 'web-5c7f9',
      pod_namespace: 'shop',
      pod_image_name: 'docker.io/library/nginx:1.27',
      container_id: 'containerd://9e1c0a',
      cluster_name: 'prod',
      node_name: 'k8s-node',
      dest: 'k8s-node',
      action: 'allowed',
    });
  });

  it('a v0.8 exec: the same fields from the old shape; no cluster_name (added to the envelope in v1.3)', () => {
    const m = read(LINES.v08exec);
    expect(pick(m, ['process', 'process_name', 'parent_process', 'parent_process_name', 'pod_name', 'pod_image_name', 'container_id', 'cluster_name', 'node_name', 'process_exec.process.pod.labels{}'])).toEqual({
      process: '/usr/bin/nsenter -t 1 -m -u -n -i -p bash',
      process_name: 'nsenter',
      parent_process: '/bin/sh', // no arguments: just the binary
      parent_process_name: 'sh',
      pod_name: 'web-5c7f9',
      pod_image_name: 'nginx:latest',
      container_id: 'docker://9e1c0a',
      cluster_name: null,
      node_name: 'minikube',
      'process_exec.process.pod.labels{}': ['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop'],
    });
    expect(pick(read(LINES.v08dns), ['process', 'pod_name', 'parent_process', 'action', 'process_dns.dns.names{}'])).toEqual({
      process: '/usr/bin/curl cilium.io',
      pod_name: 'web-5c7f9',
      parent_process: null,
      action: null,
      'process_dns.dns.names{}': 'cilium.io',
    });
  });

  it('a kprobe with every argument type: the file fields from the first file_arg, the others as JSON paths (uint64 as text)', () => {
    const m = read(LINES.kprobe);
    expect(pick(m, ['action', 'file_path', 'file_name', 'file_acl', 'file_access_time', 'file_modify_time', 'direction', 'dest'])).toEqual({
      action: 'read', // security_file_permission, mask = the first int argument = 4 (MAY_READ)
      file_path: '/etc/shadow',
      file_name: 'shadow',
      file_acl: '-rw-r-----',
      file_access_time: (toEvent(LINES.kprobe, ctx) as { event: { _time: number } }).event._time, // _time, the action being read
      file_modify_time: null,
      direction: null,
      dest: 'k8s-node',
    });
    expect(pick(m, ['process_kprobe.args{}.size_arg', 'process_kprobe.args{}.bytes_arg', 'process_kprobe.args{}.long_arg', 'process_kprobe.args{}.label', 'process_kprobe.args{}.module_arg.tainted{}', 'process_kprobe.return.int_arg', 'process_kprobe.kernel_stack_trace{}.symbol', 'process_kprobe.tags{}', 'process_kprobe.return_action'])).toEqual({
      'process_kprobe.args{}.size_arg': '4096',
      'process_kprobe.args{}.bytes_arg': 'aGVsbG8=',
      'process_kprobe.args{}.long_arg': '-9223372036854775808',
      'process_kprobe.args{}.label': 'file',
      'process_kprobe.args{}.module_arg.tainted{}': ['TAINT_UNSIGNED_MODULE', 'TAINT_OUT_OF_TREE_MODULE'],
      'process_kprobe.return.int_arg': 0,
      'process_kprobe.kernel_stack_trace{}.symbol': ['security_file_permission', 'vfs_read'],
      'process_kprobe.tags{}': ['observability.filesystem', 'MITRE:T1003'],
      'process_kprobe.return_action': 'KPROBE_ACTION_POST',
    });
  });

  it('a connect notified to the enforcer is blocked under either name of KprobeAction 13', () => {
    // tetragon.proto v1.0.0: KPROBE_ACTION_NOTIFYKILLER = 13; v1.1.0: KPROBE_ACTION_NOTIFYENFORCER = 13.
    const NET = ['action', 'direction', 'src_ip', 'src_port', 'dest', 'dest_ip', 'dest_port', 'transport'];
    const want = { direction: 'outbound', src_ip: '10.0.0.5', src_port: 41234, dest: '169.254.169.254', dest_ip: '169.254.169.254', dest_port: 80, transport: 'tcp' };
    expect(pick(read(LINES.notifyKiller), NET)).toEqual({ action: 'blocked', ...want });
    expect(pick(read(LINES.notifyEnforcer), NET)).toEqual({ action: 'blocked', ...want });
    expect(pick(read(LINES.post), NET)).toEqual({ action: 'allowed', ...want });
  });

  it('a protocol Tetragon has no name for is its number as text: ICMPv6 ("58") is transport icmp', () => {
    // pkg/reader/network InetProtocol: numbers missing from its table are written with strconv.FormatUint.
    expect(pick(read(LINES.icmp6), ['action', 'direction', 'dest_ip', 'dest_port', 'transport', 'protocol'])).toEqual({
      action: 'allowed',
      direction: 'outbound',
      dest_ip: '2001:db8::53',
      dest_port: null, // port 0 is omitted by protojson
      transport: 'icmp',
      protocol: 'ip',
    });
    expect(read(LINES.icmp6).get('process_kprobe.args{}.sock_arg.protocol')).toBe('58');
  });

  it('a connect on a Unix socket is no connection in any version\'s spelling of its family and addresses', () => {
    // pkg/reader/network: v1.0 names AF_UNIX (inet.go inetFamily); v1.7 prints a zero netip.Addr as "invalid IP".
    for (const name of ['unixV10', 'unixV17'] as const) {
      expect(pick(read(LINES[name]), ['action', 'direction', 'src_ip', 'dest_ip', 'transport', 'protocol', 'dest']), name).toEqual({ action: null, direction: null, src_ip: null, dest_ip: null, transport: null, protocol: null, dest: 'k8s-node' });
    }
  });

  it('kinds and hooks outside the Filesystem and Network tables keep only the process fields', () => {
    for (const name of ['lsmBprm', 'tracepoint', 'uprobe', 'usdt', 'loader', 'exit'] as const) {
      const m = read(LINES[name]);
      expect(pick(m, ['action', 'file_path', 'direction', 'dest_ip', 'dest', 'pod_name', 'cluster_name']), name).toEqual({ action: null, file_path: null, direction: null, dest_ip: null, dest: 'k8s-node', pod_name: 'web-5c7f9', cluster_name: 'prod' });
      expect(m.get('process_id'), name).toBe(4421);
    }
    // The exit's parent is absent: its guid still comes from process.parent_exec_id.
    expect(pick(read(LINES.exit), ['parent_process', 'parent_process_guid', 'process_exit.ancestors{}.binary'])).toEqual({ parent_process: null, parent_process_guid: 'azhzLW5vZGU6MTIzNDUwMDAwOjQ0MDA=', 'process_exit.ancestors{}.binary': ['/bin/bash', '/sbin/init'] });
    expect(read(LINES.lsmBprm).get('process_lsm.args{}.linux_binprm_arg.path')).toBe('/usr/bin/grep');
    expect(pick(read(LINES.test), ['process', 'dest', 'cluster_name', 'node_name'])).toEqual({ process: null, dest: 'k8s-node', cluster_name: 'prod', node_name: 'k8s-node' });
  });

  describe('every bundled detection over these exports', () => {
    const { write } = scratchDir('vigil-tetragon-versions-');
    const pack = loadContent();
    const detections = pack.detections.filter((d) => d.type !== 'Correlation');
    const text = (rs: readonly Result[]): Record<string, string | string[]>[] =>
      rs.map((r) => Object.fromEntries(r.fieldNames().map((f) => [f, valuesOf(r.get(f)).map(toText)]).map(([f, vs]) => [f, (vs as string[]).length === 1 ? (vs as string[])[0] as string : vs]))) as Record<string, string | string[]>[];

    async function runAll(file: string): Promise<{ results: Record<string, Record<string, string | string[]>[]>; issues: LineIssue[] }> {
      const issues: LineIssue[] = [];
      const results: Record<string, Record<string, string | string[]>[]> = {};
      for (const d of detections) {
        const source = new FileSource([file], { onMalformed: (m) => issues.push(m) });
        const out = await runSearch(d.search, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, source, now: Date.UTC(2026, 11, 6, 2) / 1000 });
        results[d.name] = text(out.results);
      }
      return { results, issues };
    }

    it('run without error or malformed line, and give the same results whichever way the export was spelled', async () => {
      const lines = Object.values(LINES);
      const compact = await runAll(write('compact.jsonl', lines.join('\n') + '\n'));
      expect(compact.issues).toEqual([]);
      // The curl -k exec of a pod (the seed detection): its row from the mapped fields.
      expect(compact.results['Cisco Isovalent - Curl Execution With Insecure Flags']).toEqual([
        { cluster_name: 'prod', pod_name: 'web-5c7f9', parent_process_name: 'bash', process_name: 'curl', process_exec: 'curl', process_id: '4421', node_name: 'k8s-node', count: '1', firstTime: '2026-12-06T01:00:01', lastTime: '2026-12-06T01:00:01', process: '/usr/bin/curl -sk https://169.254.169.254/latest/meta-data/' },
      ]);
      for (const spelling of [spaced, htmlEscaped]) {
        const other = await runAll(write(`${spelling.name}.jsonl`, lines.map(spelling).join('\r\n') + '\r\n'));
        expect(other.issues).toEqual([]);
        expect(other.results, spelling.name).toEqual(compact.results);
      }
    });
  });
});
