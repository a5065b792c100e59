#!/usr/bin/env node
// Scan speed of the ClickHouse store against the SQLite store, on the local cluster of `npm run cluster:up`:
// N generated Tetragon events (bench/generate.mjs, one hour) appended to a fresh database and to a SQLite store,
// then, in rounds with the stores' order rotating (this machine is shared: a slow spell should not fall on one),
// a full scan (no filter: every event, newest first) and the seed detection on each store. Prints per store the
// best of the rounds: wall time, events/s and MB/s of `_raw` (UTF-16 code units, as the stores count bytes), this
// process's CPU, and for ClickHouse the queries sent and the rows and bytes the servers read (system.query_log of
// every replica). Checks that every store returns the same events in the same order and the same seed rows.
//
//   node bench/clickhouse-scan.mjs [--events 100000] [--rounds 3] [--baseline <git revision>] [--keep]
//
// Runs the TypeScript sources (no build needed). --baseline: also measures the ClickHouse store of that revision
// (its src/ extracted into bench/out/), over the same database, interleaved: before/after figures in one run.
// --keep: leaves the database (its name is printed).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { appendAsHecRaw, generate } from './generate.mjs';

register('../src/store/dev/ts-hooks.mjs', import.meta.url);

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const count = Number(opt('events', '100000'));
const rounds = Number(opt('rounds', '3'));
const baseline = opt('baseline', null);
const keep = args.includes('--keep');
const REPLICAS = ['http://127.0.0.1:18121', 'http://127.0.0.1:18122', 'http://127.0.0.1:18123', 'http://127.0.0.1:18124'];
const say = (s) => process.stdout.write(s + '\n');
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function ch(url, sql) {
  const r = await fetch(url, { method: 'POST', body: sql, signal: AbortSignal.timeout(120_000) });
  const text = await r.text();
  if (!r.ok) throw new Error(`ClickHouse ${url}: ${text.trim()}`);
  return text.trim();
}

/** The ClickHouse store module of `rev`: its src/ extracted under bench/out (inside the repository: node_modules resolve). */
function storeModuleAt(rev) {
  const sha = execFileSync('git', ['rev-parse', '--short', rev], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(here, 'out', `src-${sha}`);
  if (!existsSync(join(dir, 'src'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} src | tar -x -C ${dir}`], { cwd: root });
  }
  return { label: `clickhouse@${sha}`, url: pathToFileURL(join(dir, 'src/store/clickhouse/store.ts')).href };
}

const node1 = parse(readFileSync(join(root, '.cluster', 'node-1.yml'), 'utf8'));
if (node1?.store?.type !== 'clickhouse') throw new Error('.cluster/node-1.yml has no clickhouse store: run npm run cluster:up first');
const runId = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
const database = `vigilscan_${runId}`;
const work = mkdtempSync(join(tmpdir(), 'vigil-bench-chscan-'));

const { openStore } = await import('../src/store/sqlite-store.ts');
const { parseRawBatch } = await import('../src/hec/events.ts');
const { loadContent, findDetection } = await import('../src/detections/content.ts');
const { runSearch } = await import('../src/spl/index.ts');
const { toObject } = await import('../src/events/result.ts');

/** Every request of the store's clients gets a query id of this bench and `log_queries` (off in the cluster's profile). */
let phase = 'load';
let queryNo = 0;
function tagQueries(store) {
  for (const r of store.replicas) {
    for (const m of ['query', 'exec', 'command']) {
      const f = r.client[m].bind(r.client);
      r.client[m] = (p) => f({ ...p, query_id: `chscan-${runId}-${phase}-${queryNo++}`, clickhouse_settings: { ...p.clickhouse_settings, log_queries: 1 } });
    }
  }
}

/** Queries, rows and bytes read by the initial queries of a phase, over every replica. */
async function readStats(p) {
  for (const url of REPLICAS) await ch(url, 'SYSTEM FLUSH LOGS');
  const s = { queries: 0, rows: 0, bytes: 0 };
  for (const url of REPLICAS) {
    if ((await ch(url, 'EXISTS TABLE system.query_log')) !== '1') continue;
    const v = await ch(url, `SELECT count(), sum(read_rows), sum(read_bytes) FROM system.query_log WHERE type = 2 AND is_initial_query = 1 AND query_id LIKE 'chscan-${runId}-${p}-%'`);
    const [q, rows, bytes] = v.split('\t').map(Number);
    s.queries += q || 0;
    s.rows += rows || 0;
    s.bytes += bytes || 0;
  }
  return s;
}

const stores = [];
try {
  const file = join(here, 'out', `tetragon-${count}.jsonl`);
  process.stderr.write(`generating ${fmt(count)} Tetragon lines ...\n`);
  await generate(file, count);
  const current = { label: 'clickhouse', url: new URL('../src/store/clickhouse/store.ts', import.meta.url).href };
  for (const m of baseline ? [current, storeModuleAt(baseline)] : [current]) {
    const { openClickHouseStore } = await import(m.url);
    const store = await openClickHouseStore({ ...node1.store.clickhouse, database });
    tagQueries(store);
    stores.push({ label: m.label, store, clickhouse: true });
  }
  const sqlite = await openStore(join(work, 'sqlite'));
  stores.push({ label: 'sqlite', store: sqlite, clickhouse: false });

  // The same events in both kinds of store, as HEC /raw makes them from the lines.
  const t = performance.now();
  const loaded = await appendAsHecRaw(file, parseRawBatch, [stores[0].store, sqlite], 8);
  const [lo, hi, rawBytes] = (await ch(REPLICAS[0], `SELECT min(t), max(t), sum(length(raw)) FROM ${database}.events`)).split('\t').map(Number);
  say(`bench/clickhouse-scan on ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  say(`${fmt(loaded)} events (${(rawBytes / 1e6).toFixed(0)} MB of _raw) appended to ClickHouse (${database}) and SQLite in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const earliest = Math.floor(lo / 1e6);
  const latest = Math.ceil(hi / 1e6) + 1;
  const pack = loadContent();
  const seed = findDetection(pack, 'Cisco Isovalent - Curl Execution With Insecure Flags');

  const tests = {
    /** Every event, newest first: the store's raw reading speed. */
    scan: async (store) => {
      const hash = createHash('sha256');
      let events = 0;
      let chars = 0;
      for await (const batch of store.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' })) {
        events += batch.length;
        for (const e of batch) {
          chars += e._raw.length;
          hash.update(`${e._time}\t${e.index}\t${e.sourcetype}\t${e.source}\t${e.host}\t${e._raw}\n`);
        }
      }
      return { events, chars, key: hash.digest('hex') };
    },
    /** The seed detection over the stored hour (pushdown: sourcetype, raw literals). */
    seed: async (store) => {
      const { results, stats } = await runSearch(seed.search, { macros: pack.macros, source: store, now: latest, earliest, latest, defaultIndexes: ['main'] });
      return { events: stats.eventsScanned, chars: 0, rows: results.length, key: JSON.stringify(results.map(toObject)) };
    },
  };
  const results = {};
  for (let r = 0; r < rounds; r++) {
    const order = stores.map((_, i) => stores[(i + r) % stores.length]);
    for (const [name, test] of Object.entries(tests)) {
      for (const s of order) {
        phase = `${name}${r}${s.label.replace(/\W/g, '')}`;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const out = await test(s.store);
        const secs = (performance.now() - t0) / 1000;
        const c = process.cpuUsage(cpu0);
        const read = s.clickhouse ? await readStats(phase) : null;
        ((results[name] ??= {})[s.label] ??= []).push({ secs, cpu: (c.user + c.system) / 1e6, read, ...out });
      }
    }
  }
  let same = true;
  for (const [name, byStore] of Object.entries(results)) {
    const keys = new Set(Object.values(byStore).flatMap((runs) => runs.map((x) => x.key)));
    same &&= keys.size === 1;
    say(`${name} (best of ${rounds}, order rotating; same result on every store and round: ${keys.size === 1 ? 'yes' : 'NO'}):`);
    for (const [label, runs] of Object.entries(byStore)) {
      const b = runs.reduce((a, x) => (x.secs < a.secs ? x : a));
      const all = runs.map((x) => x.secs.toFixed(2)).join(', ');
      const read = b.read ? `; ClickHouse read ${fmt(b.read.rows)} rows, ${(b.read.bytes / 1e6).toFixed(0)} MB in ${b.read.queries} queries` : '';
      const speed = name === 'scan' ? `${fmt(b.events / b.secs)} events/s, ${(b.chars / 1e6 / b.secs).toFixed(1)} MB/s` : `${fmt(b.events)} events reached the engine, ${b.rows} rows`;
      say(`  ${label.padEnd(20)} ${b.secs.toFixed(2)} s (runs: ${all}), ${speed}, CPU of this process ${b.cpu.toFixed(2)} s${read}`);
    }
  }
  if (!same) process.exitCode = 1;
} finally {
  for (const s of stores) await s.store.close();
  if (!keep) for (const url of REPLICAS) await ch(url, `DROP DATABASE IF EXISTS ${database}`).catch((e) => say(`(drop ${database}: ${e.message})`));
  else say(`kept database ${database}`);
  rmSync(work, { recursive: true, force: true });
}
