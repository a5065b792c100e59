import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Result } from '../../src/events/result.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { FileSource, type LineIssue } from '../../src/sources/file.js';
import { toEvent } from '../../src/sources/tetragon.js';
import { runSearch } from '../../src/spl/index.js';
import { scratchDir } from '../sources/helpers.js';
import { ctx, indexed, pick, read } from './tetragon-read.js';

/**
 * Tetragon exports of other versions and of every event kind and argument type, written by hand after
 * cilium/tetragon's api/v1/tetragon/{events,tetragon}.proto and their history (protojson names; uint64 values as
 * strings, wrappers emitted when set, empty strings and zero scalars omitted). Expected CIM values follow
 * src/normalize/CONTEXT.md's mapping (isovalent-content.md §3, data-models.md §4.3-4.5); each line must also read
 * the same on the parse path, the fast path and from its text, in the spellings real exporters wrote.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const POD: Obj = {
  namespace: 'shop',
  name: 'web-5c7f9',
  uid: '1b6d',
  container: { id: 'containerd://9e1c0a', name: 'web', image: { id: 'docker.io/library/nginx@sha256:ab12', name: 'docker.io/library/nginx:1.27' }, start_time: '2026-12-06T00:50:00Z', pid: 7, security_context: { privileged: true } },
  pod_labels: { app: 'web', 'app.kubernetes.io/name': 'web' },
  workload: 'web',
  workload_kind: 'Deployment',
  pod_annotations: { 'kubectl.kubernetes.io/default-container': 'web' },
};
/** v0.8 (2022): `labels` was a list of `k8s:` strings (replaced by the pod_labels map in v0.8.1, removed in 2023). */
const OLD_POD: Obj = {
  namespace: 'shop',
  name: 'web-5c7f9',
  labels: ['k8s:app=web', 'k8s:io.kubernetes.pod.namespace=shop'],
  container: { id: 'docker://9e1c0a', name: 'web', image: { id: 'docker-pullable://nginx@sha256:ab12', name: 'nginx:latest' }, start_time: '2022-05-10T09:00:00Z', pid: 7 },
};
const process = (o: Obj = {}): Obj => ({
  exec_id: 'azhzLW5vZGU6MTIzNDU2Nzg5OjQ0MjE=',
  pid: 4421,
  uid: 0,
  cwd: '/',
  binary: '/usr/bin/curl',
  arguments: '-sk https://169.254.169.254/latest/meta-data/',
  flags: 'execve clone',
  start_time: '2026-12-06T01:00:00.120Z',
  auid: 4294967295,
  pod: POD,
  docker: '9e1c0a',
  parent_exec_id: 'azhzLW5vZGU6MTIzNDUwMDAwOjQ0MDA=',
  tid: 4421,
  in_init_tree: false,
  ...o,
});
const PARENT: Obj = { exec_id: 'azhzLW5vZGU6MTIzNDUwMDAwOjQ0MDA=', pid: 4400, uid: 0, cwd: '/', binary: '/bin/bash', arguments: '-c "curl -sk https://169.254.169.254/ && ps aux > /tmp/p"', flags: 'execve clone', start_time: '2026-12-06T00:59:00Z', auid: 4294967295, pod: POD, parent_exec_id: 'azhzLW5vZGU6MTAwOjE=', tid: 4400 };
const INIT: Obj = { exec_id: 'azhzLW5vZGU6MTAwOjE=', pid: 1, uid: 0, cwd: '/', binary: '/sbin/init', flags: 'procFS auid rootcwd', start_time: '2026-12-05T00:00:00Z', auid: 4294967295, tid: 1 };
const line = (kind: string, body: Obj, second: number, extra: Obj = {}): string =>
  JSON.stringify({ [kind]: body, node_name: 'k8s-node', time: `2026-12-06T01:00:${String(second).padStart(2, '0')}.123456789Z`, cluster_name: 'prod', ...extra });

/** One of each KprobeArgument oneof member (tetragon.proto), with a `label`, and an empty argument. */
const EVERY_ARG: Json[] = [
  { file_arg: { mount: '', path: '/etc/shadow', flags: '', permission: '-rw-r-----' }, label: 'file' },
  { int_arg: 4 },
  { string_arg: '/etc/shadow' },
  { skb_arg: { hash: 7, len: 60, saddr: '10.0.0.5', daddr: '10.0.0.9', sport: 4242, dport: 80, proto: 6, protocol: 'IPPROTO_TCP', family: 'AF_INET' } },
  { size_arg: '4096' },
  { bytes_arg: 'aGVsbG8=' },
  { path_arg: { path: '/etc', permission: 'drwxr-xr-x' } },
  { truncated_bytes_arg: { bytes_arg: 'AAEC', orig_size: '9000' } },
  { sock_arg: { family: 'AF_INET', type: 'SOCK_STREAM', protocol: 'IPPROTO_TCP', saddr: '10.0.0.5', daddr: '10.0.0.9', sport: 4242, dport: 80, cookie: '18446623924387620928', state: 'TCP_SYN_SENT' } },
  { cred_arg: { permitted: ['CAP_NET_RAW'] } },
  { long_arg: '-9223372036854775808' },
  { bpf_attr_arg: { ProgType: 'BPF_PROG_TYPE_KPROBE', InsnCnt: 20, ProgName: 'p' } },
  { perf_event_arg: { KprobeFunc: 'x', Type: 'PERF_TYPE_TRACEPOINT', Config: '1', ProbeOffset: '0' } },
  { bpf_map_arg: { MapType: 'BPF_MAP_TYPE_HASH', KeySize: 4, ValueSize: 8, MaxEntries: 1024, MapName: 'm' } },
  { uint_arg: 2 },
  { user_namespace_arg: { level: 0, owner: 0, group: 0, ns: { inum: 4026531837, is_host: true } } },
  { capability_arg: { value: 21, name: 'CAP_SYS_ADMIN' } },
  { process_credentials_arg: { uid: 1000, gid: 1000, euid: 0, egid: 0, caps: { permitted: ['CAP_SETUID'] } } },
  { user_ns_arg: { level: 1, uid: 0, gid: 0, ns: { inum: 4026532500 } } },
  { module_arg: { name: 'evil', signature_ok: false, tainted: ['TAINT_UNSIGNED_MODULE', 'TAINT_OUT_OF_TREE_MODULE'] } },
  { kernel_cap_t_arg: '000001ffffffffff' },
  { cap_inheritable_arg: '0000000000000000' },
  { cap_permitted_arg: '000001ffffffffff' },
  { cap_effective_arg: '000001ffffffffff' },
  { linux_binprm_arg: { path: '/tmp/x', permission: '-rwxr-xr-x' } },
  { net_dev_arg: { name: 'eth0' } },
  { bpf_cmd_arg: 'BPF_PROG_LOAD' },
  { syscall_id: { id: 59, abi: 'x64' } },
  { sockaddr_arg: { family: 'AF_INET', addr: '10.0.0.9', port: 80 } },
  { bpf_prog_arg: { ProgType: 'BPF_PROG_TYPE_XDP', InsnCnt: 2, ProgName: 'x' } },
  { error_arg: { Message: 'failed to read' } },
  { sockaddrun_arg: { family: 'AF_UNIX', path: '/run/containerd/containerd.sock' } },
  {},
];
const STACK: Json[] = [{ address: '18446744072635809792', offset: '5', symbol: 'security_file_permission' }, { address: '18446744072636000000', symbol: 'vfs_read' }];
const connect = (action: string): string =>
  line('process_kprobe', { process: process(), parent: PARENT, function_name: 'tcp_connect', args: [{ sock_arg: { family: 'AF_INET', type: 'SOCK_STREAM', protocol: 'IPPROTO_TCP', saddr: '10.0.0.5', daddr: '169.254.169.254', sport: 41234, dport: 80, cookie: '1', state: 'TCP_SYN_SENT' } }], action, policy_name: 'connect' }, 7);

const LINES = {
  // v1.5+: ancestors, in_init_tree, user (--username-metadata), process_credentials, binary_properties, node_labels.
  exec: line('process_exec', { process: process({ user: { name: 'root' }, process_credentials: { uid: 0, euid: 0, caps: { permitted: ['CAP_CHOWN'] } }, binary_properties: { setuid: 0, privileges_changed: ['PRIVILEGES_RAISED_EXEC_FILE_SETUID'], file: { inode: { number: '1835021', links: 1 }, path: '/usr/bin/curl' } }, environment_variables: [{ Key: 'HOME', Value: '/root' }] }), parent: PARENT, ancestors: [PARENT, INIT] }, 1, { node_labels: { 'kubernetes.io/hostname': 'k8s-node' } }),
  // v0.8: no cluster_name, no tid, pod.labels as a list, refcnt/cap/ns, a parent without arguments (omitted when empty).
  v08exec: JSON.stringify({ process_exec: { process: { exec_id: 'bWluaWt1YmU6MTAwMDAwOjUwMA==', pid: 500, uid: 0, cwd: '/', binary: '/usr/bin/nsenter', arguments: '-t 1 -m -u -n -i -p bash', flags: 'execve clone', start_time: '2022-05-10T09:01:00.000000000Z', auid: 4294967295, pod: OLD_POD, docker: '9e1c0a', parent_exec_id: 'bWluaWt1YmU6OTk5OTk6NDk5', refcnt: 1, cap: { permitted: ['CAP_SYS_ADMIN'], effective: ['CAP_SYS_ADMIN'] }, ns: { mnt: { inum: 4026531840, is_host: true } } }, parent: { exec_id: 'bWluaWt1YmU6OTk5OTk6NDk5', pid: 499, uid: 0, cwd: '/', binary: '/bin/sh', flags: 'execve', start_time: '2022-05-10T09:00:59Z', auid: 4294967295, pod: OLD_POD, parent_exec_id: 'bWluaWt1YmU6MTox', refcnt: 1 } }, node_name: 'minikube', time: '2022-05-10T09:01:00.000000000Z' }),
  // v0.8's process_dns (events.proto's oneof had it until 2022-07): a process, no parent.
  v08dns: JSON.stringify({ process_dns: { process: { exec_id: 'bWluaWt1YmU6MTAwMDAwOjUwMA==', pid: 500, uid: 0, binary: '/usr/bin/curl', arguments: 'cilium.io', pod: OLD_POD }, dns: { query: 'cilium.io.', names: ['cilium.io'], ips: ['104.198.14.52'], response: true, question_types: [1], answer_types: [1] }, destination_names: ['cilium.io'] }, node_name: 'minikube', time: '2022-05-10T09:02:00Z' }),
  // v1.1+: an exit with ancestors and no parent; signal and status.
  exit: line('process_exit', { process: process(), signal: 'SIGKILL', status: 137, time: '2026-12-06T01:00:03Z', ancestors: [PARENT, INIT] }, 3),
  // Every argument type, return, both stack traces, tags, message, data, ancestors (v1.5+).
  kprobe: line('process_kprobe', { process: process({ binary: '/bin/cat', arguments: '/etc/shadow' }), parent: PARENT, function_name: 'security_file_permission', args: EVERY_ARG, return: { int_arg: 0 }, action: 'KPROBE_ACTION_POST', kernel_stack_trace: STACK, policy_name: 'file-monitoring', return_action: 'KPROBE_ACTION_POST', message: 'sensitive file read', tags: ['observability.filesystem', 'MITRE:T1003'], user_stack_trace: [{ address: '140', offset: '12', symbol: 'read', module: '/lib/libc.so.6' }], ancestors: [PARENT, INIT], data: [{ string_arg: 'x' }] }, 5),
  // v1.0 named KprobeAction 13 NOTIFYKILLER; v1.1 renamed it NOTIFYENFORCER (same number, same meaning).
  notifyKiller: connect('KPROBE_ACTION_NOTIFYKILLER'),
  notifyEnforcer: connect('KPROBE_ACTION_NOTIFYENFORCER'),
  post: connect('KPROBE_ACTION_POST'),
  // A ping socket's connect: Tetragon has no name for IPPROTO_ICMPV6 and writes its number as text.
  icmp6: line('process_kprobe', { process: process({ binary: '/bin/ping', arguments: '-6 2001:db8::53' }), parent: PARENT, function_name: 'security_socket_connect', args: [{ sock_arg: { family: 'AF_INET6', type: 'SOCK_DGRAM', protocol: '58', saddr: '::', daddr: '::', state: 'TCP_CLOSE' } }, { sockaddr_arg: { family: 'AF_INET6', addr: '2001:db8::53' } }], action: 'KPROBE_ACTION_POST', policy_name: 'connect' }, 8),
  // An LSM hook whose argument is the program being executed (linux_binprm_arg), with an IMA hash (v1.2+).
  lsmBprm: line('process_lsm', { process: process({ binary: '/usr/bin/bash', arguments: '' }), parent: PARENT, function_name: 'bprm_check_security', policy_name: 'file-integrity-monitoring', args: [{ linux_binprm_arg: { path: '/usr/bin/grep', permission: '-rwxr-xr-x' } }], action: 'KPROBE_ACTION_POST', ima_hash: 'sha256:73ab' }, 9),
  tracepoint: line('process_tracepoint', { process: process(), parent: PARENT, subsys: 'syscalls', event: 'sys_enter_openat', args: [{ long_arg: '-100' }, { string_arg: '/etc/passwd' }, { int_arg: 0 }], policy_name: 'tp', action: 'KPROBE_ACTION_POST', tags: ['t'], ancestors: [PARENT] }, 11),
  uprobe: line('process_uprobe', { process: process({ binary: '/bin/bash' }), parent: PARENT, path: '/bin/bash', symbol: 'readline', policy_name: 'up', args: [{ string_arg: 'ls' }], offset: '4096', action: 'KPROBE_ACTION_POST', data: [{ int_arg: 1 }] }, 12),
  usdt: line('process_usdt', { process: process({ binary: '/usr/bin/python3', arguments: 'app.py' }), parent: PARENT, path: '/usr/bin/python3', provider: 'python', name: 'function__entry', policy_name: 'usdt', args: [{ string_arg: 'app.py' }, { int_arg: 3 }], action: 'KPROBE_ACTION_POST' }, 13),
  loader: line('process_loader', { process: process(), path: '/usr/lib/x86_64-linux-gnu/libc.so.6', buildid: 'qEHNNsXsUE9+8tpn5hQKjY0YcyE=', parent: PARENT, ancestors: [PARENT] }, 15),
  test: line('test', {}, 18),
  aggregated: line('process_exec', { process: process({ binary: '/bin/ls', arguments: '-la' }), parent: PARENT }, 20, { aggregation_info: { count: '4' } }),
} as const;

/**
 * How exporters of other versions spell the same event. protojson's single-line output adds a space after each
 * comma for some builds (its `detrand`, fixed per binary); Tetragon before v1.0 (June 2023) exported through Go's
 * encoding/json over protojson, which HTML-escapes `<`, `>` and `&` inside strings.
 */
function spaced(l: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < l.length; i++) {
    const c = l[i] as string;
    out += c;
    if (inString) {
      if (c === '\\') out += l[++i] as string;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === ',') out += ' ';
  }
  return out;
}
const htmlEscaped = (l: string): string => l.replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');

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
