// Load generator for bench/hec.mjs, run as a separate process: POSTs batches of 100 Tetragon events
// (~1.4 KB each, as /services/collector/event envelopes) to a HEC over keep-alive connections and reports
// accepted events/s and per-request latency. Open loop with --rate (events/s), closed loop otherwise.
//   node bench/hec-load.mjs --url URL --token T --seconds 10 [--clients 32] [--rate 25000] [--batch 100]
import { Agent, request } from 'node:http';
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

const agent = new Agent({ keepAlive: true, maxSockets: clients });
const latencies = [];
let accepted = 0;
let failed = 0;
let bytes = 0;
let next = 0;
const post = () =>
  new Promise((resolve) => {
    const body = bodies[next++ % bodies.length];
    const start = process.hrtime.bigint();
    const req = request(url, { method: 'POST', agent, headers: { Authorization: `Splunk ${token}`, 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
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

const started = Date.now();
const deadline = started + seconds * 1000;
if (rate > 0) {
  // Open loop: start a request every batch/rate seconds regardless of responses (measures latency at a load).
  const interval = (batch / rate) * 1000;
  const inflight = new Set();
  let due = started;
  while (Date.now() < deadline) {
    const p = post().then(() => inflight.delete(p));
    inflight.add(p);
    due += interval;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
  await Promise.all(inflight);
} else {
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) await post();
    }),
  );
}
const secs = (Date.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
process.stdout.write(JSON.stringify({ accepted, failed, secs, eps: accepted / secs, mbps: bytes / 1e6 / secs, p50: pct(50), p99: pct(99), requests: latencies.length, avgEventBytes: Math.round(bodies[0].length / batch) }));
agent.destroy();
