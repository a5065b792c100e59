// HEC indexed fields (`Event.fields`) in the ClickHouse store, against the local cluster of `npm run cluster:up`:
// appended with and without fields and scanned back whole (every scan shape: time, metadata, raw filter, windows and
// batches, aggregates); an event with fields passes the raw-text pushdown (its fields are not in `_raw`) and is
// decided by the search; a database made before the `fields` column keeps working and keeps its rows. The batch-id
// test is pure. Each suite uses its own database and drops it on every replica afterwards.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, IndexedFields } from '../../src/events/event.js';
import { emptyScanRequest, type ScanRequest } from '../../src/events/scan.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { runSearch } from '../../src/spl/index.js';
import { encodeBatch, openClickHouseStore, type ClickHouseConfig, type ClickHouseStore, type ClickHouseStoreOptions } from '../../src/store/clickhouse/store.js';
import { CLUSTER_NAME, REPLICAS, clickhouse, skipWithoutCluster, uniqueName } from './local-cluster.js';
import { alive, restoreCluster, serverPid } from './nodes.js';

const skip = await skipWithoutCluster('test/cluster/clickhouse-fields.test.ts');
const URLS = REPLICAS.map((r) => r.url);
const T = 1_700_000_000;

function config(database: string): ClickHouseConfig {
  return { urls: URLS, cluster: CLUSTER_NAME, database, username: 'default', password: '', insertQuorum: 2 };
}

async function dropDatabase(database: string): Promise<void> {
  for (const r of REPLICAS) {
    await clickhouse(r, `DROP DATABASE IF EXISTS ${database}`).catch((err: unknown) => console.warn(`${database} not dropped on ${r.name}: ${String(err)}`));
  }
}

function ev(_time: number, _raw: string, fields?: IndexedFields, over: Partial<Event> = {}): Event {
  return { _time, index: 'main', sourcetype: 'st', source: 'src', host: 'h', _raw, ...(fields !== undefined ? { fields } : {}), ...over };
}

async function scan(store: ClickHouseStore, req: Partial<ScanRequest> = {}): Promise<Event[]> {
  const out: Event[] = [];
  for await (const b of store.scan({ ...emptyScanRequest(), ...req })) out.push(...b);
  return out;
}

/** Names and values that break naive escaping: TSV and JSON escapes, quotes, NUL, newlines, multi-byte. */
const HOSTILE: IndexedFields = {
  'k8s.pod.name': 'tab\there',
  'line\nname': 'a\r\nb',
  'back\\slash': '\\t is not a tab, \\\\ two',
  quote: `'single' "double" \`back\``,
  nul: 'x\u0000y',
  unicode: 'é 中文 😀 \u212a',
  empty: '',
  multi: ['one', 'two\ttabs', ''],
};

describe('ClickHouse batch ids with indexed fields (pure)', () => {
  it('a batch without fields keeps the id of the rows before the fields column; fields change the id', () => {
    const batch = [ev(1.5, 'a\tb'), ev(2, 'c')];
    const { id, lines } = encodeBatch(batch);
    // The lines before the column, hashed by hand: a retry across an upgrade keeps its id (and its shard).
    const before = createHash('sha256').update('0\t1500000\tmain\tst\tsrc\th\ta\\tb\n1\t2000000\tmain\tst\tsrc\th\tc\n').digest().readBigUInt64BE(0);
    expect(id).toBe(before);
    expect(lines).toEqual(['0\t1500000\tmain\tst\tsrc\th\ta\\tb\t\n', '1\t2000000\tmain\tst\tsrc\th\tc\t\n']);

    const withFields = encodeBatch([ev(1.5, 'a\tb', { 'k8s.pod.name': 'web\t1' }), ev(2, 'c')]);
    expect(withFields.lines[0]).toBe('0\t1500000\tmain\tst\tsrc\th\ta\\tb\t{"k8s.pod.name":"web\\\\t1"}\n');
    expect(withFields.lines[1]).toBe(lines[1]);
    expect(withFields.id).not.toBe(id);
    // No fields and an empty mapping are the same event (none stored).
    expect(encodeBatch([ev(1.5, 'a\tb', {}), ev(2, 'c')])).toEqual({ id, lines });
  });
});

describe.skipIf(skip)('indexed fields in the ClickHouse store', () => {
  const database = uniqueName('vigil_chf');
  let store: ClickHouseStore;
  let small: ClickHouseStore;
  // Times ascending; a scan gives them newest first.
  const plainA = ev(T + 1, 'GET /index.html from web-1');
  const podB = ev(T + 2, 'GET /cart', { 'k8s.pod.name': 'web-1', 'k8s.namespace.name': 'shop', tags: ['a', 'b'] });
  const curlC = ev(T + 3, 'exec of something', { process_name: 'curl' });
  const otherD = ev(T + 4, 'GET /other');
  const hostileE = ev(T + 5, 'raw\twith\ttabs\nand a newline', HOSTILE);
  const shopF = ev(T + 6, 'GET /shop', { 'k8s.pod.name': 'web-1' }, { index: 'shop', sourcetype: 'other', host: 'h2' });
  const all = [plainA, podB, curlC, otherD, hostileE, shopF];
  const newestFirst = (events: readonly Event[]) => [...events].reverse();

  beforeAll(async () => {
    store = await openClickHouseStore(config(database));
    await store.createIndex('shop');
    // Two appends: the events with and without fields in one batch, and again in batches of one.
    await store.append([plainA, podB, curlC]);
    await store.append([otherD]);
    await store.append([hostileE]);
    await store.append([shopF]);
    // Windows of 2 events and batches of 1: every row crosses window and batch edges.
    small = await openClickHouseStore(config(database), { readonly: true, scanWindowEvents: 2, scanBatchSize: 1 } satisfies ClickHouseStoreOptions);
  }, 120_000);

  afterAll(async () => {
    await small?.close();
    await store?.close();
    await dropDatabase(database);
  }, 120_000);

  it('scans every event back with its fields (none where it had none), newest first', async () => {
    const expected = newestFirst(all);
    for (const s of [store, small]) {
      const got = await scan(s, { defaultIndexes: 'all' });
      expect(got).toEqual(expected);
      expect(got.filter((e) => 'fields' in e).map((e) => e._time)).toEqual([T + 6, T + 5, T + 3, T + 2]);
    }
  });

  it('time and metadata conditions select as before; the events they keep keep their fields', async () => {
    for (const s of [store, small]) {
      expect(await scan(s, { earliest: T + 2, latest: T + 4, defaultIndexes: 'all' })).toEqual([curlC, podB]);
      expect(await scan(s, { defaultIndexes: ['main'] })).toEqual(newestFirst([plainA, podB, curlC, otherD, hostileE]));
      expect(await scan(s, { metadata: [{ field: 'index', patterns: ['shop'] }], defaultIndexes: ['main'] })).toEqual([shopF]);
      expect(await scan(s, { metadata: [{ field: 'host', patterns: ['H2'] }], defaultIndexes: 'all' })).toEqual([shopF]);
    }
  });

  it('an event with fields passes the raw-text filter (its fields are not in _raw); metadata still applies', async () => {
    const web1 = { kind: 'contains' as const, text: 'web-1', verbatim: true };
    for (const s of [store, small]) {
      // plainA holds the text; podB, curlC, hostileE have fields; otherD neither.
      expect(await scan(s, { raw: web1, defaultIndexes: ['main'] })).toEqual([hostileE, curlC, podB, plainA]);
      expect(await scan(s, { raw: web1, metadata: [{ field: 'index', patterns: ['shop'] }], defaultIndexes: 'all' })).toEqual([shopF]);
      expect(await scan(s, { raw: { kind: 'contains', text: 'curl', verbatim: true }, earliest: T + 4, defaultIndexes: 'all' })).toEqual([shopF, hostileE]);
      // An OR that the store cannot push (a regex): every event reaches the engine, as before.
      expect(await scan(s, { raw: { kind: 'or', items: [web1, { kind: 'regex', source: 'x', flags: 'i' }] }, defaultIndexes: ['main'] })).toHaveLength(5);
    }
  });

  it('aggregates count the events whatever their fields', async () => {
    const agg = await store.aggregate({ ...emptyScanRequest(), defaultIndexes: 'all' }, { columns: ['index'] });
    expect(agg.groups.map((g) => [g.values, g.count])).toEqual([
      [['shop'], 1],
      [['main'], 5],
    ]);
  });

  it("an index's size counts its events' fields text beside _raw (indexes(), as SQLite's)", async () => {
    const text = (e: Event) => Buffer.byteLength(e._raw) + (e.fields === undefined ? 0 : Buffer.byteLength(JSON.stringify(e.fields)));
    const sizes = Object.fromEntries((await store.indexes()).map((i) => [i.name, i.bytes]));
    expect(sizes['shop']).toBe(text(shopF));
    expect(sizes['main']).toBe([plainA, podB, curlC, otherD, hostileE].reduce((n, e) => n + text(e), 0));
  });

  it('a retried batch with fields is stored once', async () => {
    const retried = [ev(T + 10, 'retry me', { 'k8s.pod.name': 'web-9' })];
    await store.append(retried);
    await store.append(retried.map((e) => ({ ...e })));
    // The same event without fields is another event.
    await store.append([ev(T + 10, 'retry me')]);
    const got = await scan(store, { earliest: T + 10, defaultIndexes: 'all' });
    expect(got.map((e) => e.fields ?? null)).toEqual(expect.arrayContaining([{ 'k8s.pod.name': 'web-9' }, null]));
    expect(got).toHaveLength(2);
  });

  it('searches find an event by its indexed fields though _raw lacks them (k8s.pod.name=web-1, process_name=curl)', async () => {
    const raws = async (spl: string) =>
      (await runSearch(spl, { source: store, earliest: T, latest: T + 9 })).results.map((r) => valuesOf(r.get('_raw')).map(toText)[0]);
    expect(await raws('search index=main k8s.pod.name=web-1 | table _raw')).toEqual([podB._raw]);
    expect(await raws('search index=* k8s.pod.name=web-1 | table _raw')).toEqual([shopF._raw, podB._raw]);
    expect(await raws('search index=main process_name=curl | table _raw')).toEqual([curlC._raw]);
    expect(await raws('search index=main tags=b | table _raw')).toEqual([podB._raw]);
    // A field that only _raw holds is still found there; one that no event has, in neither.
    expect(await raws('search index=main "web-1" | table _raw')).toEqual([plainA._raw]);
    expect(await raws('search index=main k8s.pod.name=web-2 | table _raw')).toEqual([]);
  });
});

/** The schema of version 1 as vigil made it before indexed fields (schemaDdl then), on every replica, with its version row. */
async function previousSchema(database: string): Promise<void> {
  const zk = (table: string) => `'/clickhouse/vigil/${database}/tables/${table}'`;
  const previous = [
      `CREATE DATABASE IF NOT EXISTS ${database}`,
      `CREATE TABLE IF NOT EXISTS ${database}.events_local (
         batch UInt64, at Int64, n UInt32, t Int64, index String, sourcetype String, source String, host String, raw String,
         raw_bytes UInt32 MATERIALIZED length(raw)
       ) ENGINE = ReplicatedReplacingMergeTree(${zk('{shard}/events')}, '{replica}')
       PARTITION BY (index, (intDiv(t, 86400000000) - (t < 0 AND t % 86400000000 != 0)))
       ORDER BY (index, sourcetype, t, batch, n)`,
      `CREATE TABLE IF NOT EXISTS ${database}.events AS ${database}.events_local ENGINE = Distributed(${CLUSTER_NAME}, ${database}, events_local, batch)`,
      `CREATE TABLE IF NOT EXISTS ${database}.vigil_indexes (name String, removed UInt8, version UInt64)
       ENGINE = ReplicatedReplacingMergeTree(${zk('all/indexes')}, '{shard}_{replica}', version) ORDER BY name`,
      `CREATE TABLE IF NOT EXISTS ${database}.vigil_meta (key String, value String)
       ENGINE = ReplicatedReplacingMergeTree(${zk('all/meta')}, '{shard}_{replica}') ORDER BY key`,
  ];
  for (const r of REPLICAS) for (const ddl of previous) await clickhouse(r, ddl);
  await clickhouse(REPLICAS[0]!, `INSERT INTO ${database}.vigil_meta (key, value) FORMAT TabSeparated\nschema_version\t1\n`, { insert_quorum: '2' });
}

/** Per replica and table (events_local, events), whether it has the `fields` column: '1' or '0'. */
function hasFields(database: string, replicas = REPLICAS): Promise<string[]> {
  return Promise.all(
    replicas.flatMap((r) => ['events_local', 'events'].map((t) => clickhouse(r, `SELECT count() FROM system.columns WHERE database = '${database}' AND table = '${t}' AND name = 'fields'`))),
  );
}

describe.skipIf(skip)('a ClickHouse database made before the fields column', () => {
  const database = uniqueName('vigil_chold');
  const down = uniqueName('vigil_chdown');

  afterAll(async () => {
    await dropDatabase(database);
    await dropDatabase(down);
  }, 120_000);

  it('is read as before, gets the column at a read-write open on every replica, and keeps its rows', async () => {
    await previousSchema(database);
    const [s1r1, , s2r1] = REPLICAS;
    await clickhouse(s1r1!, `INSERT INTO ${database}.vigil_indexes (name, removed, version) FORMAT TabSeparated\nmain\t0\t1\n`, { insert_quorum: '2' });
    // An earlier vigil's rows on both shards (its columns: no `fields`).
    const columns = 'batch, at, n, t, index, sourcetype, source, host, raw';
    await clickhouse(s1r1!, `INSERT INTO ${database}.events_local (${columns}) FORMAT TabSeparated\n7\t1\t0\t${(T + 1) * 1e6}\tmain\tst\tsrc\th\told web-1 one\n`, { insert_quorum: '2' });
    await clickhouse(s2r1!, `INSERT INTO ${database}.events_local (${columns}) FORMAT TabSeparated\n8\t2\t0\t${(T + 2) * 1e6}\tmain\tst\tsrc\th\told two\n`, { insert_quorum: '2' });
    const old = [ev(T + 2, 'old two'), ev(T + 1, 'old web-1 one')];

    // Read-only (vigil search before any read-write open of this vigil): no column to read, nothing fails.
    const reader = await openClickHouseStore(config(database), { readonly: true });
    try {
      expect(await scan(reader)).toEqual(old);
      expect(await scan(reader, { raw: { kind: 'contains', text: 'web-1', verbatim: true } })).toEqual([old[1]]);
      expect(await hasFields(database)).toEqual(Array(8).fill('0'));

      // Two nodes opening read-write at once: both add the column (one of them finds it added), on every replica.
      const writers = await Promise.all([openClickHouseStore(config(database)), openClickHouseStore({ ...config(database), urls: [...URLS].reverse() })]);
      try {
        expect(await hasFields(database)).toEqual(Array(8).fill('1'));
        expect(await scan(writers[0])).toEqual(old);
        const added = ev(T + 3, 'new', { 'k8s.pod.name': 'web-1' });
        await writers[1].append([added]);
        expect(await scan(writers[0])).toEqual([added, ...old]);
        expect(await scan(writers[1], { raw: { kind: 'contains', text: 'web-1', verbatim: true } })).toEqual([added, old[1]]);
        // The reader opened before the column finds it at its next scan.
        expect(await scan(reader)).toEqual([added, ...old]);
      } finally {
        await Promise.all(writers.map((w) => w.close()));
      }
      // Opened again: nothing more to add, the same events.
      const again = await openClickHouseStore(config(database));
      try {
        expect(await scan(again)).toEqual([ev(T + 3, 'new', { 'k8s.pod.name': 'web-1' }), ...old]);
      } finally {
        await again.close();
      }
    } finally {
      await reader.close();
    }
  }, 120_000);

  it('a replica down when the column is added: the open works, and the replica has it once back', async () => {
    await previousSchema(down);
    const victim = REPLICAS[1]!; // s1r2: shard 01 keeps s1r1
    const pid = serverPid(`clickhouse-${victim.name}`);
    process.kill(pid, 'SIGTERM');
    try {
      for (const deadline = Date.now() + 30_000; alive(pid); await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() > deadline) throw new Error(`${victim.name} did not stop`);
      }
      // The replicated table's ALTER answers code 341 (a replica inactive: done on the others, on it later).
      const store = await openClickHouseStore({ ...config(down), insertQuorum: 1 });
      try {
        expect(store.unreachable).toEqual([victim.url]);
        const added = ev(T + 1, 'while s1r2 was down', { 'k8s.pod.name': 'web-1' });
        await store.append([added]);
        expect(await scan(store)).toEqual([added]);
      } finally {
        await store.close();
      }
    } finally {
      // Other tests share the cluster: the replica is restarted whatever happened here.
      await restoreCluster(victim);
    }
    // Back: its replicated table took the ALTER from ZooKeeper; its Distributed table gets it at the next open.
    for (const deadline = Date.now() + 30_000; (await hasFields(down, [victim]))[0] !== '1'; await new Promise((r) => setTimeout(r, 200))) {
      if (Date.now() > deadline) throw new Error(`${victim.name} did not take the ALTER`);
    }
    const again = await openClickHouseStore(config(down));
    try {
      expect(await hasFields(down)).toEqual(Array(8).fill('1'));
      expect((await scan(again)).map((e) => e.fields)).toEqual([{ 'k8s.pod.name': 'web-1' }]);
    } finally {
      await again.close();
    }
  }, 180_000);
});
