// The servers of `npm run cluster:up` do what the ClickHouse store and the control plane rely on: the `vigil`
// cluster of 2 shards x 2 replicas, replication between the replicas of a shard, quorum inserts, deduplication of a
// retried block, distributed DDL and queries, and PostgreSQL. Skips when the cluster is not running (see
// local-cluster.ts); VIGIL_CLUSTER_TESTS=1 makes an unreachable server a failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { CLUSTER_NAME, REPLICAS, clickhouse, postgres, skipWithoutCluster, uniqueName, type Replica } from './local-cluster.js';

const skip = await skipWithoutCluster('test/cluster/servers.test.ts');

const shardReplicas = (shard: Replica['shard']): [Replica, Replica] => {
  const [r1, r2] = REPLICAS.filter((r) => r.shard === shard);
  return [r1!, r2!];
};

describe.skipIf(skip)('local cluster: ClickHouse', () => {
  const database = uniqueName('vigil_test');
  const [s1r1] = REPLICAS;

  beforeAll(async () => {
    await clickhouse(s1r1!, `CREATE DATABASE ${database} ON CLUSTER ${CLUSTER_NAME}`);
    await clickhouse(
      s1r1!,
      `CREATE TABLE ${database}.events ON CLUSTER ${CLUSTER_NAME} (t DateTime, n UInt32, raw String)
       ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/events', '{replica}')
       PARTITION BY toYYYYMMDD(t) ORDER BY (t, n)`,
    );
    await clickhouse(
      s1r1!,
      `CREATE TABLE ${database}.events_all ON CLUSTER ${CLUSTER_NAME} AS ${database}.events
       ENGINE = Distributed(${CLUSTER_NAME}, ${database}, events, n)`,
    );
  }, 120_000);

  afterAll(async () => {
    await clickhouse(s1r1!, `DROP DATABASE IF EXISTS ${database} ON CLUSTER ${CLUSTER_NAME}`);
  }, 120_000);

  it('every replica sees the vigil cluster as 2 shards x 2 replicas, with its own macros', async () => {
    for (const replica of REPLICAS) {
      const rows = await clickhouse(replica, `SELECT shard_num, replica_num, port FROM system.clusters WHERE cluster = '${CLUSTER_NAME}' ORDER BY shard_num, replica_num FORMAT CSV`);
      expect(rows.split('\n')).toEqual(['1,1,19001', '1,2,19002', '2,1,19003', '2,2,19004']);
      const macros = await clickhouse(replica, 'SELECT macro, substitution FROM system.macros ORDER BY macro FORMAT CSV');
      expect(macros.split('\n')).toEqual([`"replica","${replica.replica}"`, `"shard","${replica.shard}"`]);
      // The server's time zone is UTC (reported as Etc/UTC): DateTime text is UTC whatever the machine's zone.
      expect(await clickhouse(replica, 'SELECT toString(toDateTime(1700000000))')).toBe('2023-11-14 22:13:20');
    }
  });

  it('a quorum insert (insert_quorum=2) on one replica is on the other replica of its shard when acknowledged', async () => {
    for (const shard of ['01', '02'] as const) {
      const [writer, reader] = shardReplicas(shard);
      const n = Number(shard);
      await clickhouse(writer, `INSERT INTO ${database}.events VALUES ('2026-01-01 00:00:0${n}', ${n}, 'shard ${shard}')`, { insert_quorum: '2' });
      expect(await clickhouse(reader, `SELECT n, raw FROM ${database}.events FORMAT TSV`)).toBe(`${n}\tshard ${shard}`);
    }
    // The shards hold different rows; the Distributed table reads both.
    expect(await clickhouse(s1r1!, `SELECT groupArray(n) FROM (SELECT n FROM ${database}.events_all ORDER BY n)`)).toBe('[1,2]');
  });

  it('a byte-identical block sent again, to either replica, is stored once (a retried HEC batch)', async () => {
    const [r1, r2] = shardReplicas('01');
    const block = `INSERT INTO ${database}.events VALUES ('2026-01-02 00:00:00', 10, 'retry'), ('2026-01-02 00:00:01', 11, 'retry')`;
    await clickhouse(r1, block, { insert_quorum: '2' });
    await clickhouse(r1, block, { insert_quorum: '2' });
    await clickhouse(r2, block, { insert_quorum: '2' });
    for (const replica of [r1, r2]) {
      expect(await clickhouse(replica, `SELECT count() FROM ${database}.events WHERE raw = 'retry'`)).toBe('2');
    }
  });
});

describe.skipIf(skip)('local cluster: PostgreSQL', () => {
  const schema = uniqueName('vigil_test');
  let client: pg.Client;
  beforeAll(async () => {
    client = await postgres();
  });
  afterAll(async () => {
    await client?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client?.end();
  });

  it('answers as user vigil in database vigil, in UTC, and keeps what it is given', async () => {
    const who = await client.query("select current_user, current_database(), current_setting('TimeZone') as tz, current_setting('server_version_num')::int as version");
    expect(who.rows[0]).toMatchObject({ current_user: 'vigil', current_database: 'vigil', tz: 'UTC' });
    expect(who.rows[0].version).toBeGreaterThanOrEqual(150000);
    await client.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.t (k text PRIMARY KEY, v int); INSERT INTO ${schema}.t VALUES ('a', 1)`);
    const again = await client.query(`INSERT INTO ${schema}.t VALUES ('a', 2) ON CONFLICT (k) DO NOTHING RETURNING k`);
    expect(again.rowCount).toBe(0);
    expect((await client.query(`SELECT k, v FROM ${schema}.t`)).rows).toEqual([{ k: 'a', v: 1 }]);
  });
});
