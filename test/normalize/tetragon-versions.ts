/**
 * Tetragon exports of other versions and of every event kind and argument type, written by hand after
 * cilium/tetragon's api/v1/tetragon/{events,tetragon}.proto and their history (protojson names; uint64 values as
 * strings, wrappers emitted when set, empty strings and zero scalars omitted). Values are invented. Read by
 * tetragon-versions.test.ts (the CIM mapping) and test/sources/read-paths-fuzz.test.ts (as real-shaped lines).
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

export const VERSION_LINES = {
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
  // A connect on a Unix socket as v1.0+ writes it (the family by name) and as v1.7+ does (a zero netip.Addr's text).
  unixV10: line('process_kprobe', { process: process(), parent: PARENT, function_name: 'security_socket_connect', args: [{ sock_arg: { family: 'AF_UNIX', type: 'SOCK_STREAM', protocol: 'IPPROTO_IP', saddr: '<nil>', daddr: '<nil>', state: 'TCP_CLOSE' } }, { sockaddrun_arg: { family: 'AF_UNIX', path: '/run/containerd/containerd.sock' } }], action: 'KPROBE_ACTION_POST', policy_name: 'connect' }, 10),
  unixV17: line('process_kprobe', { process: process(), parent: PARENT, function_name: 'security_socket_connect', args: [{ sock_arg: { family: 'AF_UNIX', type: 'SOCK_STREAM', protocol: 'IPPROTO_IP', saddr: 'invalid IP', daddr: 'invalid IP', state: 'TCP_CLOSE' } }, { sockaddrun_arg: { family: 'AF_UNIX', path: '/run/containerd/containerd.sock' } }], action: 'KPROBE_ACTION_POST', policy_name: 'connect' }, 10),
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
export function spaced(l: string): string {
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
export const htmlEscaped = (l: string): string => l.replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');
