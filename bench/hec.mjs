#!/usr/bin/env node
// `npm run bench:hec`: starts `vigil serve` (built) on a temporary data dir, drives its HEC from a separate
// load process on loopback (batches of 100 events of ~1.2 KB), and prints sustained accepted (durable)
// events/s (closed loop), then latency at half that load (open loop, counted from each request's intended
// send time: see hec-load.mjs); then appends 1M events for one hour and times the seed detection over that
// hourly window of the store.
//   node bench/hec.mjs [--seconds 15] [--clients 32] [--scan-events 1000000] [--rates 5000,15000] [--config FILE]
// --rates: extra open-loop points (events/s) after the half-load one. --config: a vigil config file for the
// server (e.g. `schedule: { incremental: false }` to measure without the scheduler's match index).
// The load is process_exec events, so the server summarizes them for Endpoint.Processes as they arrive (Endpoint
// acceleration is on by default); --no-accelerate turns it off (a config file with `datamodels: { Endpoint:
// { acceleration: false } }`) to measure ingest without it.
// Each phase also prints the CPU it used (cores): the server, the load generator, and everything else on
// the machine ("other": on a shared 2-core machine, another process's build or tests skew the numbers; read
// a phase with other > ~0.2 cores as noisy), and the server's resident memory after it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'bin', 'vigil.js');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const seconds = opt('seconds', '15');
const clients = opt('clients', '32');
const scanEvents = Number(opt('scan-events', '1000000'));
const rates = opt('rates', '').split(',').filter(Boolean).map(Number);
const accelerate = !args.includes('--no-accelerate');
if (!accelerate && opt('config', null)) throw new Error('--no-accelerate and --config: put `datamodels: { Endpoint: { acceleration: false } }` in the config file instead');
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-hec-'));
let config = opt('config', null);
if (!accelerate) writeFileSync((config = join(dir, 'vigil.yml')), 'datamodels:\n  Endpoint:\n    acceleration: false\n');
const token = 'bench-token-0000-0000-000000000000';
const port = 18000 + Math.floor(Math.random() * 1000);

const server = spawn(process.execPath, [bin, 'serve', ...(config ? ['--config', config] : []), '--data-dir', dir, '--hec-port', String(port), '--port', String(port + 1), '--hec-token', token], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c) => {
    out += c;
    if (out.includes('HEC:')) resolve();
  });
  server.on('exit', (code) => reject(new Error(`vigil serve exited (${code})`)));
});

/** Linux CPU accounting (clock ticks, 100/s): the whole machine, and one process (all its threads). */
const procStat = () => {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const s = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
    const p = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const rss = readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
    return { machine: f[0] + f[1] + f[2] + f[5] + f[6] + f[7], server: Number(p[11]) + Number(p[12]), rssMB: rss ? Number(rss[1]) / 1024 : null };
  } catch {
    return null;
  }
};
const load = (extra) => {
  const before = procStat();
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(here, 'hec-load.mjs'), '--url', `http://127.0.0.1:${port}`, '--token', token, '--seconds', seconds, '--clients', clients, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const res = JSON.parse(r.stdout);
  const after = procStat();
  const wall = (Date.now() - t0) / 1000;
  if (before && after) {
    const machine = (after.machine - before.machine) / 100 / wall;
    const srv = (after.server - before.server) / 100 / wall;
    const gen = res.cpuSeconds / wall;
    res.cpu = `cores: server ${srv.toFixed(2)}, load generator ${gen.toFixed(2)}, other ${Math.max(0, machine - srv - gen).toFixed(2)}; server RSS ${after.rssMB?.toFixed(0)} MB`;
  }
  return res;
};
const ms = (x) => x.toFixed(1);
const latency = (r) => `p50 ${ms(r.p50)} ms, p90 ${ms(r.p90)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms`;
const openLoop = (label, rate) => {
  const r = load(['--rate', String(rate)]);
  process.stdout.write(`HEC ${label} (${rate.toLocaleString('en-US')} events/s offered, open loop): ${Math.round(r.eps).toLocaleString('en-US')} events/s, ${latency(r)}, ${r.failed} refused (generator late by up to ${ms(r.sendLagP99)} ms at p99)\n`);
  if (r.cpu) process.stdout.write(`  ${r.cpu}\n`);
};
try {
  const max = load([]);
  process.stdout.write(`Endpoint acceleration ${accelerate ? 'on (summaries built as events arrive)' : 'off'}\n`);
  process.stdout.write(`HEC sustained (${clients} clients, ${seconds} s, ~${max.avgEventBytes} B/event): ${Math.round(max.eps).toLocaleString('en-US')} events/s accepted and durable (${max.mbps.toFixed(0)} MB/s), ${latency(max)}, ${max.failed} refused\n`);
  if (max.cpu) process.stdout.write(`  ${max.cpu}\n`);
  openLoop('at half load', Math.round(max.eps / 2));
  for (const rate of rates) openLoop('at', rate);
  process.stdout.write(`targets: >= 50,000 events/s sustained; p99 < 100 ms at half load\n`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
}

// Scan: 1M events in one hour of the store, then the seed detection over exactly that hour.
const { openStore } = await import('../dist/bundle/store.sqlite-store.js');
const { loadContent, findDetection } = await import('../dist/bundle/detections.content.js');
const { runSearch } = await import('../dist/bundle/spl.index.js');
const { processExec, rng } = await import('../scripts/tetragon-factory.mjs');
const store = await openStore(join(dir, 'scan'));
const r = rng(3);
const hourStart = Math.floor(Date.now() / 1000 / 3600) * 3600 - 7200;
let pending = [];
let appended = 0;
const flush = async () => {
  await Promise.all(pending);
  pending = [];
};
for (let i = 0; i < scanEvents; i += 1000) {
  const batch = [];
  for (let j = 0; j < 1000 && i + j < scanEvents; j++) {
    const n = i + j;
    const curl = r() < 0.02;
    const ev = processExec({
      time: hourStart + (n * 3600) / scanEvents,
      node: `node-${n % 5}`,
      cluster: 'bench',
      process: { binary: curl ? '/usr/bin/curl' : '/usr/local/bin/node', args: curl && r() < 0.5 ? '-sk https://x' : 'server.js --port 8080', pid: 10000 + n, start: hourStart, pod: { name: `pod-${n % 50}`, namespace: 'bench', image: 'docker.io/acme/app:1', containerId: 'c'.repeat(64), containerName: 'app', containerStart: '2026-11-20T09:00:00.000000000Z' } },
      parent: { binary: '/bin/sh', pid: 9000 + n, start: hourStart, pod: null },
    });
    batch.push({ _time: hourStart + (n * 3600) / scanEvents, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 'bench', host: 'node', _raw: JSON.stringify(ev) });
  }
  pending.push(store.append(batch));
  appended += batch.length;
  if (pending.length >= 16) await flush();
}
await flush();
const pack = loadContent();
const seed = findDetection(pack, 'Cisco Isovalent - Curl Execution With Insecure Flags');
const t = performance.now();
const { results, stats } = await runSearch(seed.search, { macros: pack.macros, source: store, now: hourStart + 3600, earliest: hourStart, latest: hourStart + 3600, defaultIndexes: ['main'] });
const secs = (performance.now() - t) / 1000;
process.stdout.write(`store scan: ${appended.toLocaleString('en-US')} events in one hour; seed detection over that window: ${secs.toFixed(2)} s (${Math.round(appended / secs).toLocaleString('en-US')} events/s), ${stats.eventsScanned} events read after pushdown, ${results.length} rows\n`);
process.stdout.write(`target: hourly window of 1M events scanned and evaluated by the seed detection in < 5 s\n`);
await store.close();
rmSync(dir, { recursive: true, force: true });
