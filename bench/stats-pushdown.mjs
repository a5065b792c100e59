#!/usr/bin/env node
// The stats pushdown (issue #11 item 2) on the local cluster of `npm run cluster:up`: N events (one hour, 40 hosts,
// two sourcetypes, ~1.1 KB of _raw) appended to a fresh ClickHouse database and to a SQLite store, then stats over
// metadata run through the engine three ways: ClickHouse aggregating (pushed down), ClickHouse scanned (the same
// store without its `aggregate`: what the search cost before), SQLite. Prints the best and worst of the rounds and
// the rows ClickHouse read for the pushed query (system.query_log on 18.16); checks the three give the same rows.
//
//   node bench/stats-pushdown.mjs [--events 200000] [--rounds 3] [--keep]
//
// Runs the TypeScript sources (no build needed). --keep: leaves the database (its name is printed).
import { mkdtempSync, rmSync } from 'node:fs';
import { register } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

register('../src/store/dev/ts-hooks.mjs', import.meta.url);

const args = process.argv.slice(2);
const opt = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const count = Number(opt('events', '200000'));
const rounds = Number(opt('rounds', '3'));
const keep = args.includes('--keep');
const REPLICAS = ['http://127.0.0.1:18121', 'http://127.0.0.1:18122', 'http://127.0.0.1:18123', 'http://127.0.0.1:18124'];
const say = (s) => process.stdout.write(s + '\n');

const { runSearch } = await import('../src/spl/index.ts');
const { openClickHouseStore } = await import('../src/store/clickhouse/store.ts');
const { openStore } = await import('../src/store/sqlite-store.ts');

const database = `vigil_bench_push_${Date.now().toString(36)}`;
const work = mkdtempSync(join(tmpdir(), 'vigil-push-'));
const ch = await openClickHouseStore(
  { urls: REPLICAS, cluster: 'vigil', database, username: 'default', password: '', insertQuorum: 2 },
  { measureRowsRead: true },
);
const lite = await openStore(join(work, 'sqlite'));
try {
  const T0 = 1_790_000_000;
  const raw = JSON.stringify({ process_exec: { process: { binary: '/usr/bin/curl', arguments: `-k https://example.com/${'x'.repeat(1000)}` } } });
  const t = performance.now();
  let pending = [];
  for (let b = 0; b < count / 1000; b++) {
    const batch = [];
    for (let i = 0; i < 1000; i++) {
      const k = b * 1000 + i;
      batch.push({ _time: T0 + (k * 3600) / count, index: 'main', sourcetype: k % 50 === 0 ? 'cisco:isovalent' : 'cisco:isovalent:processExec', source: 'tetragon', host: `node-${k % 40}`, _raw: `${raw}${k}` });
    }
    pending.push(ch.append(batch), lite.append(batch));
    if (pending.length >= 32) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  say(`bench/stats-pushdown on ${availableParallelism()} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  say(`${count.toLocaleString('en-US')} events appended to ClickHouse (${database}) and SQLite in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const scanned = { newestFirst: true, scan: (r, o) => ch.scan(r, o) };
  const searches = [
    'index=main | stats count by sourcetype',
    'index=main | stats count min(_time) max(_time) dc(host) values(sourcetype) by index',
    '| tstats count where index=main by host',
    'index=main | bin _time span=5m | stats count by _time, sourcetype',
  ];
  for (const spl of searches) {
    say(`\n${spl}`);
    let reference = null;
    for (const [label, source] of [['clickhouse, pushed down', ch], ['clickhouse, scanned', scanned], ['sqlite', lite]]) {
      const times = [];
      let last = null;
      for (let r = 0; r < rounds; r++) {
        const start = performance.now();
        last = await runSearch(spl, { source, now: T0 + 86_400 });
        times.push((performance.now() - start) / 1000);
      }
      const rows = JSON.stringify(last.results.map((x) => x.fieldNames().map((f) => x.get(f))));
      if (reference === null) reference = rows;
      else if (rows !== reference) throw new Error(`${label}: other rows than ClickHouse pushed down for ${spl}`);
      const read = last.stats.rowsRead === undefined ? '' : `, ClickHouse read ${last.stats.rowsRead.toLocaleString('en-US')} rows`;
      say(`  ${label.padEnd(24)} ${Math.min(...times).toFixed(2)}-${Math.max(...times).toFixed(2)} s, ${last.results.length} rows, ${last.stats.eventsScanned.toLocaleString('en-US')} events ${last.stats.pushedDown ? 'counted' : 'read'}${read}`);
    }
  }
  say('\nsame rows on all three');
} finally {
  await ch.close();
  await lite.close();
  rmSync(work, { recursive: true, force: true });
  if (!keep) for (const u of REPLICAS) await fetch(u, { method: 'POST', body: `DROP DATABASE IF EXISTS ${database}` }).catch(() => undefined);
}
