#!/usr/bin/env node
// Scheduled run of the whole Cisco Isovalent pack over an hour holding 1M events (bench/generate.mjs: as hard
// as real exports): a full scan of the store per detection (what a plain scheduler does) against the
// incremental path (filter prefixes evaluated at ingest, the run aggregates only their matches). The
// incremental path's cost includes that ingest-time evaluation; the two paths run in alternating order over
// the rounds (a path run second finds the store's pages cached). Results must be identical.
//   npm run build && node bench/schedule.mjs [--events 1000000] [--rounds 2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tetragonEvents } from './generate.mjs';

const { openStore } = await import('../dist/bundle/store.sqlite-store.js');
const { loadContent } = await import('../dist/bundle/detections.content.js');
const { runSearch } = await import('../dist/bundle/spl.index.js');
const { toObject } = await import('../dist/bundle/events.result.js');
const { MatchIndex } = await import('../dist/bundle/schedule.incremental.js');
const { runMerged, runProjected } = await import('../dist/bundle/schedule.projection.js');
const { searchWindow } = await import('../dist/bundle/schedule.window.js');
const { expandMacros } = await import('../dist/bundle/spl.macros.macros.js');
const { tetragonSourcetype } = await import('../dist/bundle/sources.tetragon.js');

const args = process.argv.slice(2);
const EVENTS = Number(args.includes('--events') ? args[args.indexOf('--events') + 1] : 1_000_000);
const ROUNDS = Number(args.includes('--rounds') ? args[args.indexOf('--rounds') + 1] : 2);
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-schedule-'));
const pack = loadContent();
const detections = pack.detections.filter((d) => d.name.startsWith('Cisco Isovalent - '));
const T = Math.floor(Date.now() / 1000 / 3600) * 3600; // the scheduled time: the top of this hour
const from = T - 70 * 60;
const span = 60 * 60; // the seed window [-70m@m, -10m@m)

// Events as the collector stores them: the add-on's sourcetype for each kind, _raw the exported line.
const events = tetragonEvents(EVENTS, { seed: 11, t0: from, span });
function event(n) {
  const ev = events.next().value;
  const kind = Object.keys(ev)[0];
  return { _time: from + (n * span) / EVENTS, index: 'main', sourcetype: tetragonSourcetype(kind), source: 'bench', host: ev.node_name, _raw: JSON.stringify(ev) };
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
const observeS = observeMs / 1000;
process.stdout.write(`ingest: ${EVENTS.toLocaleString('en-US')} events into the store in ${ingestS.toFixed(1)} s; incremental prefix evaluation cost ${observeS.toFixed(2)} s (${Math.round(EVENTS / observeS).toLocaleString('en-US')} events/s), ${index.stats().matches.toLocaleString('en-US')} matches kept (${index.stats().projectedRows.toLocaleString('en-US')} rows of values)\n`);

async function runAll(incremental) {
  const all = [];
  let projected = 0;
  const t = performance.now();
  for (const d of detections) {
    const w = searchWindow(d.schedule, T, 'UTC');
    const search = expandMacros(d.search, pack.macros).text;
    const t1 = performance.now();
    const opts = { lookups: pack.lookups, knowledge: pack.knowledge, now: T, tz: 'UTC', earliest: w.earliest, latest: w.latest, defaultIndexes: ['main'] };
    // Incremental, as the scheduler runs it: the rows kept of the matches (projection.ts), else the matches
    // read back from the store by seq.
    const m = incremental ? await index.lookup(d.id, w.earliest, w.latest) : null;
    let results = [];
    const hold = { push: (r) => void results.push(r), end: () => {} };
    const stats = m?.partials ? runMerged(search, m.partials, opts, hold) : m?.projection ? runProjected(search, m.projection, opts, hold) : null;
    if (stats !== null) projected++;
    else results = (await runSearch(search, { ...opts, source: m ? store.subset(m.seqs) : store })).results;
    all.push(results);
    if (process.env.BENCH_DETAIL) process.stderr.write(`  ${incremental ? 'inc ' : 'full'} ${d.name}: ${((performance.now() - t1) / 1000).toFixed(2)} s, ${m ? `${m.seqs.length} matches${stats ? (m.partials ? ', from partial states' : ', from kept rows') : ''}, ` : ''}${results.length} rows\n`);
  }
  const secs = (performance.now() - t) / 1000;
  // Compared as JSON, outside the timed runs.
  return { secs, projected, rows: all.map((rs) => rs.map((r) => JSON.stringify(toObject(r)))) };
}
// Rounds alternate which path goes first; each path's time is its mean over the rounds.
const times = { full: [], inc: [] };
let full;
let inc;
for (let round = 0; round < ROUNDS; round++) {
  for (const incremental of round % 2 === 0 ? [false, true] : [true, false]) {
    const r = await runAll(incremental);
    times[incremental ? 'inc' : 'full'].push(r.secs);
    if (incremental) inc = r;
    else full = r;
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fullS = mean(times.full);
const incS = mean(times.inc);
const same = JSON.stringify(full.rows) === JSON.stringify(inc.rows);
const count = (x) => x.rows.reduce((a, b) => a + b.length, 0);
const list = (xs) => xs.map((t) => t.toFixed(2)).join(', ');
process.stdout.write(`scheduled run of the ${detections.length} detections, full scans:  ${fullS.toFixed(2)} s (rounds: ${list(times.full)}; ${count(full)} result rows)\n`);
process.stdout.write(`scheduled run of the ${detections.length} detections, incremental: ${incS.toFixed(2)} s (rounds: ${list(times.inc)}; ${count(inc)} result rows; ${inc.projected} served from kept rows or states), results ${same ? 'identical' : 'DIFFERENT'}\n`);
process.stdout.write(`incremental with its ingest-time evaluation: ${(incS + observeS).toFixed(2)} s — x${(fullS / (incS + observeS)).toFixed(1)} the full scans (x${(fullS / incS).toFixed(1)} counting the run alone)\n`);
process.stdout.write(`target: incremental scheduled run of the pack over 1M events in < 1 s\n`);
await store.close();
rmSync(dir, { recursive: true, force: true });
if (!same) process.exitCode = 1;
