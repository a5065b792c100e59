#!/usr/bin/env node
// `npm run bench:hec`: starts `vigil serve` (built) on a temporary data dir, drives its HEC from a separate
// load process on loopback (batches of 100 events of ~1.4 KB), and prints sustained accepted (durable)
// events/s, then p50/p99 latency at half that load; then appends 1M events for one hour and times the seed
// detection over that hourly window of the store.
//   node bench/hec.mjs [--seconds 15] [--clients 32] [--scan-events 1000000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-hec-'));
const token = 'bench-token-0000-0000-000000000000';
const port = 18000 + Math.floor(Math.random() * 1000);

const server = spawn(process.execPath, [bin, 'serve', '--data-dir', dir, '--hec-port', String(port), '--port', String(port + 1), '--hec-token', token], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (c) => {
    out += c;
    if (out.includes('HEC:')) resolve();
  });
  server.on('exit', (code) => reject(new Error(`vigil serve exited (${code})`)));
});
const load = (extra) => {
  const r = spawnSync(process.execPath, [join(here, 'hec-load.mjs'), '--url', `http://127.0.0.1:${port}`, '--token', token, '--seconds', seconds, '--clients', clients, ...extra], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};
try {
  const max = load([]);
  process.stdout.write(`HEC sustained (${clients} clients, ${seconds} s, ~${max.avgEventBytes} B/event): ${Math.round(max.eps).toLocaleString('en-US')} events/s accepted and durable (${max.mbps.toFixed(0)} MB/s), p50 ${max.p50.toFixed(1)} ms, p99 ${max.p99.toFixed(1)} ms, ${max.failed} refused\n`);
  const half = load(['--rate', String(Math.round(max.eps / 2))]);
  process.stdout.write(`HEC at half load (${Math.round(max.eps / 2).toLocaleString('en-US')} events/s offered): ${Math.round(half.eps).toLocaleString('en-US')} events/s, p50 ${half.p50.toFixed(1)} ms, p99 ${half.p99.toFixed(1)} ms\n`);
  process.stdout.write(`targets: >= 50,000 events/s sustained; p99 < 100 ms at half load\n`);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
}

// Scan: 1M events in one hour of the store, then the seed detection over exactly that hour.
const { openStore } = await import('../dist/store/sqlite-store.js');
const { loadContent, findDetection } = await import('../dist/detections/content.js');
const { runSearch } = await import('../dist/spl/index.js');
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
