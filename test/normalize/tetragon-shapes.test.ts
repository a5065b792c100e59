import { describe, expect, it } from 'vitest';
import { toEvent } from '../../src/sources/tetragon.js';
import { ctx, pick, read } from './tetragon-read.js';

/**
 * Hand-written lines in the shape of Tetragon's JSON export (api/v1 tetragon.proto, events.proto; protojson
 * names): the odd but real shapes the bundled samples lack. Expected values follow the mapping table in
 * src/normalize/CONTEXT.md (isovalent-content.md §3); every line must also read the same through the parse
 * path, the fast path (spans) and from its text alone (an event read back from the store).
 */

const POD = '"pod":{"namespace":"ns1","name":"web-7d9","container":{"id":"containerd://3f2a","name":"c","image":{"id":"docker.io/library/nginx@sha256:1","name":"docker.io/library/nginx:1.27"},"start_time":"2026-12-06T00:00:00Z","pid":5},"pod_labels":{"app":"web","app.kubernetes.io/name":"web"},"workload":"web","workload_kind":"Deployment"}';
const PARENT = '"parent":{"exec_id":"bjE6MTA6MTAwMA==","pid":1000,"uid":0,"cwd":"/","binary":"/bin/bash","arguments":"-c \\"nginx\\"","flags":"execve","start_time":"2026-12-06T00:59:00Z","auid":4294967295,"parent_exec_id":"bjE6MTox","tid":1000}';
const proc = (extra: string): string =>
  `"process":{"exec_id":"bjE6MTE6MTIzNA==","pid":1234,"uid":101,"cwd":"/","binary":"/usr/sbin/nginx","arguments":"-g daemon off;","flags":"execve clone","start_time":"2026-12-06T00:59:59.5Z","auid":4294967295,${POD},"parent_exec_id":"bjE6MTA6MTAwMA==","tid":1234${extra}}`;
const tail = (time = '2026-12-06T01:00:00.123456789Z'): string => `"node_name":"n1","time":"${time}","cluster_name":"prod"`;

const LINES = {
  // A host process (no pod), no parent, no uid, pid 0; arguments with \" \\ \u00e9 \u2028 and a tab.
  host: '{"process_exec":{"process":{"exec_id":"bjE6OTox","pid":0,"cwd":"/root","binary":"/usr/bin/echo","arguments":"\\"a\\\\\\"b\\" c\\\\\\\\d \\u00e9\\u2028x\\ty","flags":"procFS"}},"node_name":"n1","time":"2026-12-06T01:00:00Z"}',
  // The binary in raw UTF-8 (protojson writes non-ASCII as is): the fast path declines the line.
  unicode: `{"process_exec":{"process":{"exec_id":"bjE6Mjox","pid":7,"uid":0,"binary":"/opt/café/tést","arguments":"ü ü"},${PARENT}},${tail('2026-12-06T03:00:00.5+02:00')}}`,
  // Newer Tetragon members (ancestors, in_init_tree, process_credentials, namespaces, user), an unknown
  // member, aggregation_info and node_labels: extra JSON paths, the CIM fields unchanged.
  newer: `{"process_exec":{${proc(',"in_init_tree":false,"user":{"name":"nginx"},"process_credentials":{"uid":101,"euid":0,"caps":{"permitted":["CAP_SYS_ADMIN"]}},"namespaces":{"uts":{"inum":4026531838,"is_host":true}},"future_member":{"x":[1,2]}')},${PARENT},"ancestors":[${PARENT.slice(9)},{"exec_id":"bjE6MTox","pid":1,"binary":"/sbin/init"}]},${tail()},"node_labels":{"kubernetes.io/hostname":"n1"},"aggregation_info":{"count":"2"}}`,
  // Numbers as strings (a non-protojson producer), a parent without arguments.
  strings: '{"process_exec":{"process":{"binary":"/bin/sh","pid":"4321","uid":"0"},"parent":{"binary":"/sbin/init","pid":"1"}},"node_name":"n1","time":"2026-12-06T01:00:00Z"}',
  // An exit with signal and status.
  exit: `{"process_exit":{${proc('')},${PARENT},"signal":"SIGKILL","status":137,"time":"2026-12-06T01:00:01Z"},${tail()}}`,
  // Kinds vigil has no CIM meaning for: process fields where they have a process, nothing else.
  tracepoint: `{"process_tracepoint":{${proc('')},${PARENT},"subsys":"syscalls","event":"sys_enter_write","args":[{"long_arg":"1"},{"size_arg":"5"}],"action":"KPROBE_ACTION_POST"},${tail()}}`,
  uprobe: `{"process_uprobe":{${proc('')},"path":"/bin/bash","symbol":"readline"},${tail()}}`,
  loader: `{"process_loader":{${proc('')},"path":"/lib/x86_64-linux-gnu/libc.so.6","buildid":"AAEC"},${tail()}}`,
  throttle: `{"process_throttle":{"type":"THROTTLE_START","cgroup":"/kubepods/besteffort"},${tail()}}`,
  rateLimit: '{"rate_limit_info":{"number_of_dropped_process_events":"1235"},"node_name":"n1","time":"2026-12-06T01:00:00Z"}',
  // security_socket_connect on a Unix socket, as Tetragon writes it: a family it does not name is its number
  // (AF_UNIX = 1), the addresses of a family without IP are a nil net.IP's text (pkg/reader/network).
  unixConnect: `{"process_kprobe":{${proc('')},${PARENT},"function_name":"security_socket_connect","args":[{"sock_arg":{"family":"1","type":"SOCK_STREAM","protocol":"IPPROTO_IP","saddr":"<nil>","daddr":"<nil>","state":"TCP_CLOSE"}},{"sockaddr_arg":{"family":"1","addr":"<nil>"}}],"action":"KPROBE_ACTION_POST","policy_name":"connect"},${tail()}}`,
  // The same key twice (JSON.parse keeps the last): whichever value, every path must agree.
  duplicate: '{"process_exec":{"process":{"binary":"/bin/a","binary":"/bin/b","pid":1,"pid":2,"flags":"f1","flags":"f2"}},"node_name":"n1","node_name":"n2","time":"2026-12-06T01:00:00Z"}',
  // Nesting deeper than the fast path's 64 levels, below the CIM sources.
  deep: `{"process_exec":{"process":{"binary":"/bin/deep","pid":9,"x":${'{"n":'.repeat(100)}1${'}'.repeat(100)}}},"node_name":"n1","time":"2026-12-06T01:00:00Z"}`,
} as const;

const PROCESS = ['process', 'process_name', 'process_path', 'process_id', 'user', 'user_id', 'parent_process', 'parent_process_name', 'parent_process_id'] as const;
const POD_FIELDS = ['pod_name', 'pod_namespace', 'pod_image_name', 'container_id', 'cluster_name', 'node_name', 'dest', 'action'] as const;

describe('Tetragon export shapes: CIM fields, and the same answer on every read path', () => {
  it('a host process with escapes in its arguments, pid 0, no uid, no pod, no parent', () => {
    const m = read(LINES.host);
    expect(pick(m, [...PROCESS, ...POD_FIELDS])).toEqual({
      process: '/usr/bin/echo "a\\"b" c\\\\d \u00e9\u2028x\ty',
      process_name: 'echo',
      process_path: '/usr/bin/echo',
      process_id: 0,
      user: null,
      user_id: null,
      parent_process: null,
      parent_process_name: null,
      parent_process_id: null,
      pod_name: null,
      pod_namespace: null,
      pod_image_name: null,
      container_id: null,
      cluster_name: null,
      node_name: 'n1',
      dest: 'n1',
      action: 'allowed',
    });
  });

  it('a binary in UTF-8 and a time with a zone offset', () => {
    const m = read(LINES.unicode);
    expect(pick(m, ['process', 'process_name', 'process_path', 'parent_process', 'user_id'])).toEqual({
      process: '/opt/café/tést ü ü',
      process_name: 'tést',
      process_path: '/opt/café/tést',
      parent_process: '/bin/bash -c "nginx"',
      user_id: '0',
    });
    expect(toEvent(LINES.unicode, ctx)).toMatchObject({ ok: true, event: { _time: Date.UTC(2026, 11, 6, 1, 0, 0, 500) / 1000 } });
  });

  it('newer members add JSON paths and change no CIM field', () => {
    const m = read(LINES.newer);
    expect(pick(m, [...PROCESS, ...POD_FIELDS])).toEqual({
      process: '/usr/sbin/nginx -g daemon off;',
      process_name: 'nginx',
      process_path: '/usr/sbin/nginx',
      process_id: 1234,
      user: 'nginx',
      user_id: '101', // process.uid, not process_credentials.euid
      parent_process: '/bin/bash -c "nginx"',
      parent_process_name: 'bash', // the parent only, not the ancestors
      parent_process_id: 1000,
      pod_name: 'web-7d9',
      pod_namespace: 'ns1',
      pod_image_name: 'docker.io/library/nginx:1.27',
      container_id: 'containerd://3f2a',
      cluster_name: 'prod',
      node_name: 'n1',
      dest: 'n1',
      action: 'allowed',
    });
    expect(pick(m, ['process_exec.ancestors{}.binary', 'process_exec.process.in_init_tree', 'process_exec.process.process_credentials.caps.permitted{}', 'process_exec.process.pod.pod_labels.app.kubernetes.io/name', 'aggregation_info.count'])).toEqual({
      'process_exec.ancestors{}.binary': ['/bin/bash', '/sbin/init'],
      'process_exec.process.in_init_tree': 'false',
      'process_exec.process.process_credentials.caps.permitted{}': 'CAP_SYS_ADMIN',
      'process_exec.process.pod.pod_labels.app.kubernetes.io/name': 'web',
      'aggregation_info.count': '2',
    });
  });

  it('numbers written as strings stay values of their fields', () => {
    expect(pick(read(LINES.strings), ['process_id', 'user_id', 'parent_process', 'parent_process_id'])).toEqual({
      process_id: '4321',
      user_id: '0',
      parent_process: '/sbin/init',
      parent_process_id: '1',
    });
  });

  it('an exit has the process fields and no action', () => {
    const m = read(LINES.exit);
    expect(pick(m, ['process_name', 'pod_name', 'action', 'dest', 'process_exit.signal', 'process_exit.status'])).toEqual({
      process_name: 'nginx',
      pod_name: 'web-7d9',
      action: null,
      dest: 'n1',
      'process_exit.signal': 'SIGKILL',
      'process_exit.status': 137,
    });
  });

  it('kinds without a CIM meaning are neither file accesses nor connections', () => {
    for (const kind of ['tracepoint', 'uprobe', 'loader'] as const) {
      const m = read(LINES[kind]);
      expect(pick(m, ['process_name', 'pod_name', 'action', 'file_path', 'direction', 'dest_ip']), kind).toEqual({
        process_name: 'nginx',
        pod_name: 'web-7d9',
        action: null,
        file_path: null,
        direction: null,
        dest_ip: null,
      });
    }
    for (const kind of ['throttle', 'rateLimit'] as const) {
      const m = read(LINES[kind]);
      expect(pick(m, ['process', 'process_name', 'pod_name', 'action', 'user_id']), kind).toEqual({ process: null, process_name: null, pod_name: null, action: null, user_id: null });
    }
    expect(read(LINES.rateLimit).get('rate_limit_info.number_of_dropped_process_events')).toBe('1235');
    expect(toEvent(LINES.throttle, ctx)).toMatchObject({ ok: true, event: { sourcetype: 'cisco:isovalent' } });
  });

  it('a connect on a Unix socket is no network traffic: no "<nil>" addresses, no direction (CIM Network_Traffic)', () => {
    expect(pick(read(LINES.unixConnect), ['action', 'direction', 'src_ip', 'dest_ip', 'dest_port', 'transport', 'protocol', 'dest', 'dvc'])).toEqual({
      action: null,
      direction: null,
      src_ip: null,
      dest_ip: null,
      dest_port: null,
      transport: null,
      protocol: null,
      dest: 'n1', // the node, as for any event that is not a connection
      dvc: null,
    });
    // The same event on an IPv4 socket is a connection.
    const inet = LINES.unixConnect.replaceAll('"family":"1"', '"family":"AF_INET"').replace('"protocol":"IPPROTO_IP","saddr":"<nil>","daddr":"<nil>"', '"protocol":"IPPROTO_TCP","saddr":"10.0.0.5","daddr":"0.0.0.0"').replace('"addr":"<nil>"', '"addr":"192.0.2.7","port":443');
    expect(pick(read(inet), ['action', 'direction', 'src_ip', 'dest_ip', 'dest_port', 'transport'])).toEqual({
      action: 'allowed',
      direction: 'outbound',
      src_ip: '10.0.0.5',
      dest_ip: '192.0.2.7',
      dest_port: 443,
      transport: 'tcp',
    });
  });

  it('duplicate keys and deep nesting read alike on every path', () => {
    expect(read(LINES.duplicate).get('process_name')).toBeDefined();
    expect(pick(read(LINES.deep), ['process_name', 'process_id'])).toEqual({ process_name: 'deep', process_id: 9 });
  });
});
