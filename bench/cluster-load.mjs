// Load generator for bench/cluster.mjs, run as a separate process (its CPU is not the nodes'): POSTs a file of
// Tetragon lines (bench/generate.mjs) to the HEC of one or more vigil nodes, `--batch` lines per request on
// /services/collector/raw, from `--clients` keep-alive connections spread over the nodes, each sending its next
// batch once the previous one is answered (closed loop). A refused batch (503 code 9, a cut connection) is sent
// again byte for byte, to the next node. Prints JSON: accepted events, seconds, refusals, request latencies.
//   node bench/cluster-load.mjs --urls URL[,URL...] --token T --file F [--count N] [--batch 100] [--clients 16] [--source S]
import { Agent, request } from 'node:http';
import { lineBatches } from './generate.mjs';

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const urls = opt('urls').split(',');
const token = opt('token');
const batch = Number(opt('batch', 100));
const clients = Number(opt('clients', 16));
const source = opt('source', 'bench');

// Batches built before the clock starts (the generator is not what is measured).
const count = Number(opt('count', Infinity));
const bodies = [];
let read = 0;
for await (const part of lineBatches(opt('file'), batch)) {
  const lines = part.slice(0, count - read);
  bodies.push({ buf: Buffer.from(lines.join('\n') + '\n'), events: lines.length });
  read += lines.length;
  if (read >= count) break;
}

// `source` makes each run's batches distinct from another run's over the same lines (the store keeps a batch
// retried byte for byte once: the same lines under the same metadata would collapse into the first run's).
const path = `/services/collector/raw?sourcetype=cisco:isovalent&source=${encodeURIComponent(source)}`;
const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: clients }));
const latencies = [];
let accepted = 0;
let refused = 0;
let next = 0;

const post = (u, body) =>
  new Promise((resolve) => {
    const req = request(new URL(path, urls[u]), { method: 'POST', agent: agents[u], headers: { Authorization: `Splunk ${token}`, 'Content-Length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });

const t0 = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(
  Array.from({ length: clients }, async (_, c) => {
    let u = c % urls.length;
    for (let b = next++; b < bodies.length; b = next++) {
      for (;;) {
        const sent = performance.now();
        const status = await post(u, bodies[b].buf);
        latencies.push(performance.now() - sent);
        if (status === 200) break;
        refused++;
        u = (u + 1) % urls.length; // retried, byte for byte, on the next node
        if (status === 503 || status === 0) await new Promise((r) => setTimeout(r, 50));
        else throw new Error(`HEC answered ${status} to a valid batch`);
      }
      accepted += bodies[b].events;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
process.stdout.write(JSON.stringify({ accepted, seconds, refused, p50: q(0.5), p99: q(0.99), cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
