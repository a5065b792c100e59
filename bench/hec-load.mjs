// Load generator for bench/hec.mjs, run as a separate process: POSTs batches of 100 Tetragon events
// (~1.2 KB each, as /services/collector/event envelopes) to a HEC over keep-alive connections and reports
// accepted events/s and per-request latency.
//   node bench/hec-load.mjs --url URL --token T --seconds 10 [--clients 32] [--rate 25000] [--batch 100]
//
// Closed loop (no --rate): `clients` connections, each sends its next request as soon as the previous one
// is answered: measures the sustained rate. Latency is from send to the end of the reply.
//
// Open loop (--rate events/s): request k is due at start + k·batch/rate whatever the replies (a timer wakes
// up for each due time and sends everything due, so a late wake-up sends the overdue requests at once
// rather than dropping them). Latency is counted from the request's *intended* send time, not from when it
// actually left: a server (or this process) that stalls is charged for the whole wait of every request
// it delayed, instead of hiding it (coordinated omission). Requests beyond `clients` in flight wait in the
// agent for a free connection, and that wait counts too. `sendLag` reports how late the generator itself was.
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { processExec, rng } from '../scripts/tetragon-factory.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const url = new URL('/services/collector/event', opt('url'));
const token = opt('token');
const seconds = Number(opt('seconds', 10));
const clients = Number(opt('clients', 32));
const rate = Number(opt('rate', 0));
const batch = Number(opt('batch', 100));

// A pool of distinct bodies, built once (the generator is not what is measured).
const r = rng(7);
const bodies = [];
const t0 = Date.now() / 1000 - 1800;
for (let b = 0; b < 200; b++) {
  let body = '';
  for (let i = 0; i < batch; i++) {
    const n = b * batch + i;
    const ev = processExec({
      time: t0 + n / 1000,
      node: `node-${n % 5}`,
      cluster: 'bench',
      process: { binary: r() < 0.02 ? '/usr/bin/curl' : '/usr/local/bin/node', args: r() < 0.01 ? '-k https://x' : 'server.js --port 8080', pid: 10000 + n, start: t0, pod: { name: `pod-${n % 50}`, namespace: 'bench', image: 'docker.io/acme/app:1', containerId: 'c'.repeat(64), containerName: 'app', containerStart: '2026-11-20T09:00:00.000000000Z' } },
      parent: { binary: '/bin/sh', pid: 9000 + n, start: t0, pod: null },
    });
    body += JSON.stringify({ time: ev.time ? Date.parse(ev.time) / 1000 : t0, sourcetype: 'cisco:isovalent:processExec', event: ev }) + '\n';
  }
  bodies.push(Buffer.from(body));
}
const headersFor = (body) => ({ Authorization: `Splunk ${token}`, 'Content-Length': body.length });

const agent = new Agent({ keepAlive: true, maxSockets: clients });
const latencies = [];
let accepted = 0;
let failed = 0;
let bytes = 0;
let next = 0;
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

/** Sends one batch; resolves when its reply ended. `from`: the time latency is counted from (ms). */
const post = (from) =>
  new Promise((resolve) => {
    const body = bodies[next++ % bodies.length];
    const req = request(url, { method: 'POST', agent, headers: headersFor(body) }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(nowMs() - from);
        if (res.statusCode === 200) {
          accepted += batch;
          bytes += body.length;
        } else failed += batch;
        resolve();
      });
    });
    req.on('error', () => {
      failed += batch;
      resolve();
    });
    req.end(body);
  });

const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const cpu0 = process.cpuUsage();
const started = nowMs();
const deadline = started + seconds * 1000;
const sendLag = [];
if (rate > 0) {
  const interval = (batch / rate) * 1000;
  const total = Math.floor((seconds * 1000) / interval);
  const inflight = new Set();
  let k = 0;
  await new Promise((done) => {
    const tick = () => {
      const now = nowMs();
      while (k < total && started + k * interval <= now) {
        const due = started + k * interval;
        sendLag.push(now - due);
        const p = post(due).then(() => inflight.delete(p));
        inflight.add(p);
        k++;
      }
      if (k >= total) return done();
      setTimeout(tick, Math.max(0, started + k * interval - nowMs()));
    };
    tick();
  });
  await Promise.all(inflight);
} else {
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (nowMs() < deadline) await post(nowMs());
    }),
  );
}
const secs = (nowMs() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
loop.disable();
latencies.sort((a, b) => a - b);
sendLag.sort((a, b) => a - b);
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
process.stdout.write(
  JSON.stringify({
    accepted,
    failed,
    secs,
    eps: accepted / secs,
    mbps: bytes / 1e6 / secs,
    p50: pct(latencies, 50),
    p90: pct(latencies, 90),
    p99: pct(latencies, 99),
    max: latencies.at(-1) ?? 0,
    requests: latencies.length,
    avgEventBytes: Math.round(bodies[0].length / batch),
    // The generator itself: how late it sent (open loop), its event-loop delay and CPU (a 2-core machine
    // shares the cores with the server under test).
    sendLagP99: pct(sendLag, 99),
    loopDelayP99: loop.percentile(99) / 1e6,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  }),
);
agent.destroy();
