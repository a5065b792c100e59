#!/usr/bin/env node
// `npm run bench:cluster`: vigil on the local cluster of `npm run cluster:up` (2 ClickHouse shards x 2 replicas,
// ZooKeeper, PostgreSQL; see docs/scale-out.md). Needs `npm run build:server`.
//
// 1. Ingest through 1, 2 and 3 vigil nodes: three `vigil serve --config` nodes (configs derived from
//    .cluster/node-N.yml: a database and a control-plane schema of this run, free ports, no detections) take
//    realistic Tetragon lines (bench/generate.mjs) on HEC /raw in batches of 500 (~850 KB, an exporter's 1 MB batch) from a separate load process
//    (bench/cluster-load.mjs) spread over the first k nodes. Each phase prints accepted (quorum-durable) events/s
//    and CPU per event: the vigil nodes' own processes (/proc/<pid>/stat), the ClickHouse servers', ZooKeeper's,
//    the load generator's, and everything else on the machine ("other": another process's build or tests). The
//    orders alternate (1,2,3 then 3,2,1, ...) so a slow spell of this shared machine does not fall on one k.
// 2. The seed detection over N stored events (one hour): the same events appended to a SQLite store and to the
//    ClickHouse store, the seed run on each in alternating order; prints time, rows read (ClickHouse: read_rows
//    of the store's queries from system.query_log; SQLite: events its scan returned) and events that reached the
//    engine, and checks both give the same rows.
//
//   node bench/cluster.mjs [--events 1000000] [--ingest-events 200000] [--rounds 2] [--clients 16] [--batch 500]
//                          [--only ingest|scan] [--keep]
// --events: stored events of the scan part; --ingest-events: events per ingest phase; --rounds: how many times each
// node count runs (alternating orders); --keep: leave the bench's database and schema (to look at them).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { appendAsHecRaw, generate } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const bin = join(root, 'bin', 'vigil.js');
const clusterDir = join(root, '.cluster');
const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const scanEvents = Number(opt('events', '1000000'));
const ingestEvents = Number(opt('ingest-events', '200000'));
const rounds = Number(opt('rounds', '2'));
const clients = Number(opt('clients', '16'));
const batch = Number(opt('batch', '500'));
const only = opt('only', null);
const keep = args.includes('--keep');
const REPLICAS = { s1r1: 'http://127.0.0.1:18121', s1r2: 'http://127.0.0.1:18122', s2r1: 'http://127.0.0.1:18123', s2r2: 'http://127.0.0.1:18124' };
const say = (s) => process.stdout.write(s + '\n');
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/**
 * One statement over a replica's HTTP interface. Sent again once when the connection was closed under it
 * (ClickHouse closes idle keep-alive connections after 3 s; fetch may have picked one as it closed).
 */
async function ch(url, sql, again = true) {
  let r;
  try {
    r = await fetch(url, { method: 'POST', body: sql, signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    if (again && error instanceof TypeError) return ch(url, sql, false);
    throw error;
  }
  const text = await r.text();
  if (!r.ok) throw new Error(`ClickHouse ${url}: ${text.trim()}`);
  return text.trim();
}

async function dropDatabase(db) {
  for (const url of Object.values(REPLICAS)) await ch(url, `DROP DATABASE IF EXISTS ${db}`).catch((e) => say(`  (drop ${db}: ${e.message})`));
}

const runId = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
const work = mkdtempSync(join(tmpdir(), 'vigil-bench-cluster-'));
const node1 = parse(readFileSync(join(clusterDir, 'node-1.yml'), 'utf8'));
if (node1?.store?.type !== 'clickhouse') throw new Error('.cluster/node-1.yml has no clickhouse store: run npm run cluster:up first');

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting (Linux, clock ticks of 1/100 s)

const ticksOf = (pid) => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const p = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(p[11]) + Number(p[12]);
  } catch {
    return 0;
  }
};
const machineTicks = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
};
const clusterPids = JSON.parse(readFileSync(join(clusterDir, 'pids.json'), 'utf8'));
const pidsOf = (prefix) => Object.entries(clusterPids).filter(([k]) => k.startsWith(prefix)).map(([, v]) => v.pid);
/** Ticks of each group of processes now. */
const sample = (vigilPids) => {
  const sum = (pids) => pids.reduce((a, p) => a + ticksOf(p), 0);
  return { machine: machineTicks(), vigil: sum(vigilPids), clickhouse: sum(pidsOf('clickhouse-')), zookeeper: sum(pidsOf('zookeeper')), postgres: sum(pidsOf('postgres')) };
};

// ---------------------------------------------------------------------------------------------------------------
// 1. Ingest through 1, 2, 3 nodes

async function startNode(n, database, schema) {
  const base = parse(readFileSync(join(clusterDir, `node-${n}.yml`), 'utf8'));
  const dataDir = join(work, `node-${n}`);
  mkdirSync(dataDir, { recursive: true });
  const hecPort = 21000 + Math.floor(Math.random() * 2000) * 2;
  const config = {
    ...base,
    dataDir,
    node: { name: `bench-node-${n}` },
    hec: { ...base.hec, port: hecPort },
    http: { ...base.http, port: hecPort + 1 },
    store: {
      ...base.store,
      clickhouse: { ...base.store.clickhouse, database },
      postgres: { ...base.store.postgres, schema },
    },
    detections: { enable: [] },
  };
  const file = join(work, `node-${n}.yml`);
  writeFileSync(file, stringify(config));
  const proc = spawn(process.execPath, [bin, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (c) => (out += c));
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (c) => {
      out += c;
      if (out.includes('HEC:')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`vigil serve node-${n} exited (${code}): ${out.slice(-2000)}`)));
  });
  return { n, proc, url: `http://127.0.0.1:${hecPort}`, token: base.hec.tokens[0].token };
}

/** Inserts and inserted rows, summed over the replicas (system.events; failed quorum attempts write their rows too). */
async function insertCounters() {
  let queries = 0;
  let rows = 0;
  for (const url of Object.values(REPLICAS)) {
    const text = await ch(url, "SELECT event, value FROM system.events WHERE event IN ('InsertQuery', 'InsertedRows')");
    for (const [event, value] of text.split('\n').map((l) => l.split('\t'))) {
      if (event === 'InsertQuery') queries += Number(value);
      if (event === 'InsertedRows') rows += Number(value);
    }
  }
  return { queries, rows };
}

async function ingest() {
  const database = `vigilbench_${runId}`;
  const schema = `vigilbench_${runId}`;
  const file = join(here, 'out', `tetragon-${ingestEvents}.jsonl`);
  process.stderr.write(`generating ${fmt(ingestEvents)} Tetragon lines ...\n`);
  const meta = await generate(file, ingestEvents);
  const nodes = [];
  try {
    for (const n of [1, 2, 3]) nodes.push(await startNode(n, database, schema));
    const pids = nodes.map((x) => x.proc.pid);
    // Warm-up: the schema, connections, JIT, a first part per partition on each shard.
    runLoad(nodes, Math.min(20_000, ingestEvents), 'warmup');
    const orders = [];
    for (let r = 0; r < rounds; r++) orders.push(...(r % 2 === 0 ? [1, 2, 3] : [3, 2, 1]));
    const results = { 1: [], 2: [], 3: [] };
    for (const [i, k] of orders.entries()) {
      const inserts0 = await insertCounters();
      const before = sample(pids);
      const res = runLoad(nodes.slice(0, k), ingestEvents, `phase${i}-k${k}`);
      const after = sample(pids);
      const inserts1 = await insertCounters();
      const wall = res.seconds;
      const per = (g) => ((after[g] - before[g]) * 10_000) / res.accepted; // µs of CPU per event (ticks are 10 ms)
      const cores = (g) => (after[g] - before[g]) / 100 / wall;
      const r = {
        eps: res.accepted / wall,
        vigilUs: per('vigil'),
        clickhouseUs: per('clickhouse'),
        zookeeperUs: per('zookeeper'),
        loadUs: (res.cpuSeconds * 1e6) / res.accepted,
        other: Math.max(0, cores('machine') - cores('vigil') - cores('clickhouse') - cores('zookeeper') - cores('postgres') - res.cpuSeconds / wall),
        p50: res.p50,
        p99: res.p99,
        refused: res.refused,
        inserts: inserts1.queries - inserts0.queries,
        written: (inserts1.rows - inserts0.rows) / res.accepted,
      };
      results[k].push(r);
      say(
        `  ${k} node${k > 1 ? 's' : ' '}: ${fmt(r.eps)} events/s (${fmt(res.accepted)} in ${wall.toFixed(1)} s; request p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, ${r.refused} refused and resent); ` +
          `CPU per event: vigil ${r.vigilUs.toFixed(1)} µs, ClickHouse ${r.clickhouseUs.toFixed(1)} µs, ZooKeeper ${r.zookeeperUs.toFixed(1)} µs, load generator ${r.loadUs.toFixed(1)} µs; other load ${r.other.toFixed(2)} cores; ` +
          `${fmt(r.inserts)} inserts, ${r.written.toFixed(2)} rows written per event (above 1: quorum inserts refused as busy and redone)`,
      );
    }
    // Every accepted event is stored once (each phase's lines under its own source).
    const stored = await ch(REPLICAS.s1r1, `SELECT count() FROM ${database}.events FINAL`);
    const sent = Math.min(20_000, ingestEvents) + orders.length * ingestEvents;
    say(`  stored: ${fmt(Number(stored))} events (sent ${fmt(sent)}) ${Number(stored) === sent ? 'OK' : 'MISMATCH'}`);
    const best = (k) => results[k].reduce((a, r) => (r.eps > a.eps ? r : a));
    say(`ingest, best of ${rounds} per node count (~${Math.round(meta.bytes / ingestEvents)} B/event, ${clients} clients, batches of ${batch} on /raw, insertQuorum ${node1.store.clickhouse.insertQuorum}):`);
    for (const k of [1, 2, 3]) {
      const b = best(k);
      say(
        `  ${k} node(s): ${fmt(b.eps)} events/s, ratio to 1 node ${(b.eps / best(1).eps).toFixed(2)}; CPU per event: vigil ${b.vigilUs.toFixed(1)} µs, ClickHouse ${b.clickhouseUs.toFixed(1)} µs (4 replicas), ` +
          `ZooKeeper ${b.zookeeperUs.toFixed(1)} µs; ${b.written.toFixed(2)} rows written per event`,
      );
    }
  } finally {
    for (const x of nodes) x.proc.kill('SIGTERM');
    await Promise.all(nodes.map((x) => (x.proc.exitCode === null ? new Promise((r) => x.proc.once('exit', r)) : null)));
    if (!keep) {
      await dropDatabase(database);
      await dropSchema(schema);
    }
  }
}

function runLoad(nodes, count, source) {
  const file = join(here, 'out', `tetragon-${ingestEvents}.jsonl`);
  const r = spawnSync(
    process.execPath,
    [join(here, 'cluster-load.mjs'), '--urls', nodes.map((x) => x.url).join(','), '--token', nodes[0].token, '--file', file, '--count', String(count), '--clients', String(clients), '--batch', String(batch), '--source', `bench:${runId}:${source}`],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`load generator: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function dropSchema(schema) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: node1.store.postgres.url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 2. The seed detection over stored events, cluster vs SQLite

async function scan() {
  const { openClickHouseStore } = await import('../dist/bundle/store.clickhouse.store.js');
  const { openStore } = await import('../dist/bundle/store.sqlite-store.js');
  const { loadContent, findDetection } = await import('../dist/bundle/detections.content.js');
  const { runSearch } = await import('../dist/bundle/spl.index.js');
  const { parseRawBatch } = await import('../dist/bundle/hec.events.js');
  const { toObject } = await import('../dist/bundle/events.result.js');
  const database = `vigilbench_scan_${runId}`;
  const file = join(here, 'out', `tetragon-${scanEvents}.jsonl`);
  process.stderr.write(`generating ${fmt(scanEvents)} Tetragon lines ...\n`);
  await generate(file, scanEvents);
  const chStore = await openClickHouseStore({ ...node1.store.clickhouse, database });
  const sqliteDir = join(work, 'sqlite');
  const sqlite = await openStore(sqliteDir);
  // Every query the ClickHouse store sends is logged under an id of this bench (log_queries is off in the
  // cluster's profile): read_rows of the initial queries count the rows every shard read for them.
  let queryNo = 0;
  let phase = 'load';
  for (const r of chStore.replicas) {
    const query = r.client.query.bind(r.client);
    r.client.query = (p) => query({ ...p, query_id: `vigilbench-${runId}-${phase}-${queryNo++}`, clickhouse_settings: { ...p.clickhouse_settings, log_queries: 1 } });
  }
  try {
    // The same events in both: the lines as HEC /raw makes them (sourcetype routing, _time from `time`, host).
    const t = performance.now();
    const loaded = await appendAsHecRaw(file, parseRawBatch, [chStore, sqlite], 16);
    say(`scan: ${fmt(loaded)} events appended to both stores in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const [lo, hi, rawBytes] = (await ch(REPLICAS.s1r1, `SELECT min(t), max(t), sum(length(raw)) FROM ${database}.events`)).split('\t').map(Number);
    const times = [lo / 1e6, hi / 1e6];
    const earliest = Math.floor(times[0]);
    const latest = Math.ceil(times[1]) + 1;

    const pack = loadContent();
    const seed = findDetection(pack, 'Cisco Isovalent - Curl Execution With Insecure Flags');
    const runOn = async (name, store) => {
      phase = `${name}${queryNo}`;
      const p = phase;
      const t0 = performance.now();
      const { results, stats } = await runSearch(seed.search, { macros: pack.macros, source: store, now: latest, earliest, latest, defaultIndexes: ['main'] });
      const secs = (performance.now() - t0) / 1000;
      let readRows = null;
      if (name === 'clickhouse') {
        for (const url of Object.values(REPLICAS)) await ch(url, 'SYSTEM FLUSH LOGS');
        readRows = { rows: 0, bytes: 0, queries: 0 };
        for (const url of Object.values(REPLICAS)) {
          if ((await ch(url, 'EXISTS TABLE system.query_log')) !== '1') continue; // created by a replica's first logged query
          const v = await ch(url, `SELECT sum(read_rows), sum(read_bytes), count() FROM system.query_log WHERE type = 2 AND is_initial_query = 1 AND query_id LIKE 'vigilbench-${runId}-${p}-%'`);
          const [rows, bytes, queries] = v.split('\t').map(Number);
          readRows.rows += rows || 0;
          readRows.bytes += bytes || 0;
          readRows.queries += queries || 0;
        }
      }
      return { secs, rows: results.length, delivered: stats.eventsScanned, readRows, key: JSON.stringify(results.map(toObject)) };
    };
    const runs = { sqlite: [], clickhouse: [] };
    for (let r = 0; r < Math.max(2, rounds) * 2; r++) {
      for (const name of r % 2 === 0 ? ['sqlite', 'clickhouse'] : ['clickhouse', 'sqlite']) runs[name].push(await runOn(name, name === 'sqlite' ? sqlite : chStore));
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const s = runs.sqlite;
    const c = runs.clickhouse;
    const same = c.every((x) => x.key === s[0].key) && s.every((x) => x.key === s[0].key);
    say(`seed detection over ${fmt(loaded)} events (one hour), median of ${s.length} runs each, alternating order:`);
    say(`  SQLite:     ${median(s.map((x) => x.secs)).toFixed(2)} s, ${fmt(s[0].delivered)} events reached the engine after the store's prefilter, ${s[0].rows} rows`);
    say(
      `  ClickHouse: ${median(c.map((x) => x.secs)).toFixed(2)} s, ${c[0].readRows.queries} queries read ${fmt(c[0].readRows.rows)} rows (${(c[0].readRows.rows / loaded).toFixed(2)} per stored event: ` +
        `the census passes read the metadata columns of every event) and ${(c[0].readRows.bytes / 1e6).toFixed(0)} MB (stored _raw: ${(rawBytes / 1e6).toFixed(0)} MB) by system.query_log, ` +
        `${fmt(c[0].delivered)} events reached the engine, ${c[0].rows} rows`,
    );
    say(`  ratio ClickHouse / SQLite time: ${(median(c.map((x) => x.secs)) / median(s.map((x) => x.secs))).toFixed(2)}; same rows: ${same ? 'yes' : 'NO'}`);
    if (!same) process.exitCode = 1;
  } finally {
    await chStore.close();
    await sqlite.close();
    if (!keep) await dropDatabase(database);
  }
}

try {
  say(`bench:cluster on ${(await import('node:os')).availableParallelism()} cores, load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (only !== 'scan') await ingest();
  if (only !== 'ingest') await scan();
} finally {
  rmSync(work, { recursive: true, force: true });
}
