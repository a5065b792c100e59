// The PostgreSQL control plane (src/control-plane) against the local cluster's PostgreSQL (npm run cluster:up):
// opening errors, schema versions, run leases across three nodes (three pools), the run events' way to the
// event store, hostile strings, a connection lost mid-life. Each test uses its own schema, dropped afterwards.
// Skips when PostgreSQL does not answer, unless VIGIL_CLUSTER_TESTS=1.
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openControlPlane, type ControlPlaneOptions } from '../../src/control-plane/control-plane.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/control-plane/schema.js';
import type { PostgresStateStore } from '../../src/control-plane/state-store.js';
import type { Event } from '../../src/events/event.js';
import { StoreError } from '../../src/store/types.js';
import { join } from 'node:path';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { checkRuns, makeRun } from '../store/fixtures/runs.js';
import { cleanupDirs, collect, exited, onLines, plain, spawnTs, tempDir } from '../store/helpers.js';
import type { EventSource } from '../../src/events/scan.js';
import type { StateStore } from '../../src/store/types.js';
import { failure, reason, stateContract, type ContractStore } from '../store/state-contract.js';
import { openClickHouseStore } from '../../src/store/clickhouse/store.js';
import { loadConfig } from '../../src/config/index.js';
import { loadContent } from '../../src/detections/content.js';
import { createApi } from '../../src/web/api.js';
import { listenHttp } from '../../src/web/http-server.js';
import { SharedSessions } from '../../src/web/sessions.js';
import { DetectionToggles } from '../../src/schedule/toggles.js';
import { FakeStore } from '../hec/helpers.js';
import { CLUSTER_NAME, POSTGRES_PORT, POSTGRES_URL, REPLICAS, clickhouse, clusterRequired, skipWithoutCluster, uniqueName } from './local-cluster.js';

const T = 1_700_000_000;
const HOUR = 3600;

async function postgresUnreachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await postgresUnreachable();
if (unreachable !== null && !clusterRequired) {
  console.warn(`test/cluster/control-plane.test.ts: skipped, PostgreSQL ${POSTGRES_URL} does not answer (${unreachable}); start it with npm run cluster:up`);
}
const skip = unreachable !== null && !clusterRequired;

/** An admin connection for setting up and dropping test schemas. */
const admin = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
admin.on('error', () => undefined);
const schemas: string[] = [];

const sinks = new Map<ContractStore, SqliteStore>();

afterAll(async () => {
  if (!skip) for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
  for (const sink of sinks.values()) await sink.close();
  cleanupDirs();
});

/** Batches the event store received. */
class Sink {
  batches: Event[][] = [];
  /** While set, append fails with it (before storing: `appendThenFail` stores, then fails). */
  failure: Error | null = null;
  appendThenFail = false;
  async append(events: readonly Event[]): Promise<void> {
    if (this.failure && !this.appendThenFail) throw this.failure;
    this.batches.push(events.map((e) => ({ ...e })));
    if (this.failure) throw this.failure;
  }
}

function newSchema(): string {
  const s = uniqueName('vigil_cp');
  schemas.push(s);
  return s;
}

async function open(schema: string, over: Partial<ControlPlaneOptions> = {}): Promise<{ s: PostgresStateStore; sink: Sink }> {
  const sink = new Sink();
  const s = await openControlPlane({ url: POSTGRES_URL, schema, events: sink, eventRetryMs: 0, ...over });
  return { s, sink };
}

// The SQLite store's suite, on PostgreSQL, with a SQLite event store receiving the runs' events.
stateContract({
  name: 'PostgreSQL control plane',
  skip,
  async fresh() {
    const sink = await openStore(tempDir());
    const s = await openControlPlane({ url: POSTGRES_URL, schema: newSchema(), events: sink, eventRetryMs: 0 });
    sinks.set(s, sink);
    return s;
  },
  events: async (s) => plain(await collect(sinks.get(s)!, { metadata: [{ field: 'index', patterns: ['risk', 'notable', 'main'] }] })),
});

describe.skipIf(skip)('control plane: opening', () => {
  it('creates the schema when missing, and opens it again (also three nodes at once)', async () => {
    const schema = newSchema();
    const nodes = await Promise.all([1, 2, 3].map(() => open(schema)));
    await nodes[0]!.s.commitRun(makeRun('d', T));
    expect(await nodes[2]!.s.hasRun('d', T)).toBe(true);
    await Promise.all(nodes.map((n) => n.s.close()));
    const again = await open(schema);
    expect(await again.s.lastRun('d')).toEqual(makeRun('d', T).run);
    await again.s.close();
    const versions = await admin.query(`SELECT version FROM "${schema}".vigil_schema ORDER BY version`);
    expect(versions.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
  });

  it('migrates a schema of an older vigil forward, keeping its data', async () => {
    const schema = newSchema();
    const S = `"${schema}"`;
    await admin.query(`CREATE SCHEMA ${S}; CREATE TABLE ${S}.vigil_schema (version integer PRIMARY KEY, name text NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now())`);
    await admin.query(MIGRATIONS[0]!.up(S));
    await admin.query(`INSERT INTO ${S}.vigil_schema (version, name) VALUES (1, 'v1')`);
    await admin.query(`INSERT INTO ${S}.scheduler_cursors VALUES ('d', ${T})`);
    const { s } = await open(schema);
    expect(await s.cursor('d')).toBe(T);
    await s.consoleState.setToggle('d', false, 'alice', T); // a table of version 2
    expect(await s.consoleState.toggles()).toEqual({ enable: [], disable: ['d'] });
    await s.close();
    expect((await admin.query(`SELECT max(version)::int AS v FROM ${S}.vigil_schema`)).rows[0].v).toBe(SCHEMA_VERSION);
  });

  it('refuses an unreachable server, an unknown user, a missing database, naming the url without its password', async () => {
    const closedPort = await freePort();
    let err = await failure(openControlPlane({ url: `postgresql://vigil:sekrit@127.0.0.1:${closedPort}/vigil`, events: new Sink(), connectTimeoutMs: 2000 }));
    expect(err).toBeInstanceOf(StoreError);
    expect(reason(err)).toBe('STORE_IO');
    expect(err.message).toContain(`cannot reach PostgreSQL at postgresql://vigil:***@127.0.0.1:${closedPort}/vigil`);
    expect(err.message).not.toContain('sekrit');

    err = await failure(openControlPlane({ url: `postgresql://vigil@127.0.0.1:${closedPort}/vigil?password=sekrit&sslmode=disable`, events: new Sink(), connectTimeoutMs: 2000 }));
    expect(err.message).toContain(`127.0.0.1:${closedPort}/vigil?password=***&sslmode=disable`);
    expect(err.message).not.toContain('sekrit');

    err = await failure(openControlPlane({ url: `postgresql://nobody_${Date.now()}:sekrit@127.0.0.1:${POSTGRES_PORT}/vigil`, events: new Sink() }));
    expect(reason(err)).toBe('STORE_IO');
    expect(err.message).toMatch(/refused the credentials: .*nobody_/);
    expect(err.message).not.toContain('sekrit');

    err = await failure(openControlPlane({ url: `postgresql://vigil@127.0.0.1:${POSTGRES_PORT}/no_such_db_${Date.now()}`, events: new Sink() }));
    expect(reason(err)).toBe('STORE_IO');
    expect(err.message).toMatch(/the database does not exist/);

    err = await failure(openControlPlane({ url: 'mysql://x@y/z', events: new Sink() }));
    expect(reason(err)).toBe('CONFIG');
    err = await failure(openControlPlane({ url: POSTGRES_URL, schema: 'a"; DROP SCHEMA public; --', events: new Sink() }));
    expect(reason(err)).toBe('CONFIG');
  });

  it('refuses a schema of a newer vigil, one older than any it migrates, and one that is not vigil’s; and keeps them intact', async () => {
    const newer = newSchema();
    (await open(newer)).s.close();
    await admin.query(`INSERT INTO "${newer}".vigil_schema (version, name) VALUES (99, 'from the future')`);
    let err = await failure(open(newer));
    expect(reason(err)).toBe('STORE_IO');
    expect(err.message).toMatch(new RegExp(`schema "${newer}" is at version 99, newer than this vigil \\(${SCHEMA_VERSION}\\)`));

    const older = newSchema();
    await admin.query(`CREATE SCHEMA "${older}"; CREATE TABLE "${older}".vigil_schema (version integer PRIMARY KEY, name text NOT NULL); INSERT INTO "${older}".vigil_schema VALUES (0, 'pre-release')`);
    err = await failure(open(older));
    expect(err.message).toMatch(/is at version 0, older than any this vigil migrates/);

    const foreign = newSchema();
    await admin.query(`CREATE SCHEMA "${foreign}"; CREATE TABLE "${foreign}".accounts (id int)`);
    err = await failure(open(foreign));
    expect(err.message).toMatch(/holds tables \(accounts\) but no vigil_schema/);
    const tables = await admin.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [foreign]);
    expect(tables.rows[0].n).toBe(1);
  });
});

describe.skipIf(skip)('control plane: run leases across nodes', () => {
  it('three nodes claiming the same 50 runs concurrently: each claimed once, committed once; a dead node’s runs are taken over', async () => {
    const schema = newSchema();
    const nodes = await Promise.all(['n1', 'n2', 'n3'].map(async (name) => ({ name, ...(await open(schema, { maxConnections: 4 })) })));
    const pairs = Array.from({ length: 50 }, (_, i) => ({ d: `det-${i % 7}`, t: T + Math.floor(i / 7) * HOUR }));
    const now = T + 10;
    const claims = await Promise.all(
      nodes.flatMap((n) => pairs.map(async (p) => ({ node: n.name, key: `${p.d}@${p.t}`, won: await n.s.claimRun(p.d, p.t, n.name, 60_000, now) }))),
    );
    const winners = new Map<string, string[]>();
    for (const c of claims) if (c.won) winners.set(c.key, [...(winners.get(c.key) ?? []), c.node]);
    expect(winners.size).toBe(50);
    expect([...winners.values()].every((w) => w.length === 1)).toBe(true);

    // Node n1 dies (stops renewing); the others renew theirs and commit; n1's runs wait for its lease to expire.
    const byNode = (name: string) => pairs.filter((p) => winners.get(`${p.d}@${p.t}`)![0] === name);
    const dead = byNode('n1');
    expect(dead.length).toBeGreaterThan(0);
    for (const n of nodes.slice(1)) {
      for (const p of byNode(n.name)) {
        expect(await n.s.renewRun(p.d, p.t, n.name, 60_000, now + 30)).toBe(true);
        await n.s.commitRun({ ...makeRun(p.d, p.t, { risk: 1 }), lease: { node: n.name, now: now + 31 } });
      }
    }
    const [, n2, n3] = nodes;
    for (const p of dead) expect(await n2!.s.claimRun(p.d, p.t, 'n2', 60_000, now + 59)).toBe(false);
    // After expiry, n2 and n3 race for them: each goes to one of them, and both try to commit it concurrently.
    const takeovers = await Promise.all(
      dead.flatMap((p) =>
        [n2!, n3!].map(async (n) => {
          if (!(await n.s.claimRun(p.d, p.t, n.name, 60_000, now + 61))) return 'lost';
          return n.s.commitRun({ ...makeRun(p.d, p.t, { risk: 1 }), lease: { node: n.name, now: now + 62 } }).then(
            () => 'committed',
            (e: Error) => reason(e),
          );
        }),
      ),
    );
    expect(takeovers.filter((x) => x === 'committed')).toHaveLength(dead.length);
    expect(takeovers.filter((x) => x === 'lost')).toHaveLength(dead.length);
    // n1 comes back late: its commits are refused.
    for (const p of dead) expect(reason(await failure(nodes[0]!.s.commitRun({ ...makeRun(p.d, p.t), lease: { node: 'n1', now: now + 63 } })))).toBe('STORE_CONFLICT');
    const runs = await nodes[0]!.s.runs();
    expect(runs).toHaveLength(50);
    expect(new Set(runs.map((r) => `${r.detectionId}@${r.scheduledTime}`)).size).toBe(50);
    // Every run's events reached the event store once, over all nodes.
    const delivered = nodes.flatMap((n) => n.sink.batches).flat();
    expect(delivered).toHaveLength(50);
    await Promise.all(nodes.map((n) => n.s.close()));
  });

  it('the same commit from two nodes at once: one succeeds, the other is STORE_CONFLICT, nothing doubled', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    for (let i = 0; i < 20; i++) {
      const results = await Promise.all(
        [a, b].map((n) =>
          n.s.commitRun(makeRun('d', T + i * HOUR, { risk: 2, findings: 2, outbox: 2 })).then(
            () => 'ok',
            (e: Error) => reason(e),
          ),
        ),
      );
      expect(results.sort()).toEqual(['STORE_CONFLICT', 'ok']);
    }
    expect(await a.s.runs()).toHaveLength(20);
    const all = await a.s.findings();
    expect(all).toHaveLength(40);
    // Paging by a finding's id (`before`), each run's two findings at one time: the pages are the list, in order.
    const paged = [];
    for (let page = await b.s.findings({ limit: 3 }); page.length > 0 && paged.length <= 40; page = await b.s.findings({ limit: 3, before: page.at(-1)!.id })) paged.push(...page);
    expect(paged).toEqual(all);
    expect(await a.s.dueOutbox(1e12, 1000)).toHaveLength(40);
    expect([...a.sink.batches, ...b.sink.batches]).toHaveLength(20);
    await Promise.all([a.s.close(), b.s.close()]);
  });
});

describe.skipIf(skip)('control plane: shared locks (one quorum insert per ClickHouse shard at a time)', () => {
  it('one holder at a time across nodes; a bounded wait gives null; a closed node’s lock is freed', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    const name = `shard 01 ${schema}`;
    const releaseA = await a.s.sharedLock(name, 1000);
    expect(releaseA).not.toBeNull();
    // Held by a: b waits its bound and goes without.
    const t0 = Date.now();
    expect(await b.s.sharedLock(name, 300)).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    // Another name is not blocked.
    const other = await b.s.sharedLock(`${name} other`, 300);
    expect(other).not.toBeNull();
    await other!();
    // Released by a: b has it at once, and a waits in turn; b's waiter gets it when b lets go.
    await releaseA!();
    const releaseB = await b.s.sharedLock(name, 1000);
    expect(releaseB).not.toBeNull();
    const waiting = a.s.sharedLock(name, 5000);
    await new Promise((r) => setTimeout(r, 100));
    await releaseB!();
    const again = await waiting;
    expect(again).not.toBeNull();
    // A node that dies while holding it (its connection ends: the backend terminated) frees it for the others.
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = (hashtext($1)::bigint & x'ffffffffffffffff'::bigint)`,
      [`vigil lock ${name}`],
    );
    await admin.end();
    expect(killed.rows).toEqual([{ ok: true }]);
    const afterDeath = await b.s.sharedLock(name, 5000);
    expect(afterDeath).not.toBeNull();
    await afterDeath!();
    await again!(); // its connection is gone: released by dropping it, without an error
    await Promise.all([a.s.close(), b.s.close()]);
  });
});

describe.skipIf(skip)('control plane: a shared lock whose holder stops without dying', () => {
  it('is freed by the server holdMs after it was taken (a SIGSTOPped node held it until it came back)', async () => {
    const schema = newSchema();
    const [a, b] = await Promise.all([open(schema), open(schema)]);
    const name = `shard 01 stopped holder ${schema}`;
    // a takes it and never lets go: what a stopped node does (its connection stays open, nothing is sent on it).
    const held = await a.s.sharedLock(name, 1000, 1500);
    expect(held).not.toBeNull();
    const t0 = Date.now();
    expect(await b.s.sharedLock(name, 500)).toBeNull(); // still held: b goes without it
    const taken = await b.s.sharedLock(name, 5000);
    const waited = Date.now() - t0;
    expect(taken).not.toBeNull();
    expect(waited).toBeGreaterThanOrEqual(1200);
    expect(waited).toBeLessThan(4000);
    // The server ended a's session: a's late release is quiet, and a's pool hands out working connections again.
    await held!();
    await taken!();
    const again = await a.s.sharedLock(name, 1000, 1500);
    expect(again).not.toBeNull();
    await again!();
    expect(await a.s.hasRun('nothing', T)).toBe(false);
    await Promise.all([a.s.close(), b.s.close()]);
  });
});

describe.skipIf(skip)('control plane: a node stopped while it appends a run\'s events', () => {
  it('keeps the other nodes\' sweeps off the block for eventHoldMs at most, and the block is delivered', async () => {
    const schema = newSchema();
    // A's append never answers until released: what a node stopped mid-append looks like to the server (its
    // transaction open, idle, holding the block's row lock).
    let release: () => void = () => undefined;
    const stalled = new Promise<void>((r) => (release = r));
    const aBatches: Event[][] = [];
    const warnings: string[] = [];
    const a = await openControlPlane({
      url: POSTGRES_URL,
      schema,
      eventRetryMs: 0,
      eventHoldMs: 1500,
      log: (_level, message) => warnings.push(message),
      events: {
        append: async (events: readonly Event[]) => {
          await stalled;
          aBatches.push([...events]);
        },
      },
    });
    const b = await open(schema);
    const committing = a.commitRun(makeRun('d', T, { risk: 3 }));
    // The run is committed (its ledger row) before its events are appended.
    for (const deadline = Date.now() + 10_000; !(await b.s.hasRun('d', T)); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error('run not committed');
    }
    expect(await b.s.deliverPendingEvents()).toBe(0); // A holds the block
    await new Promise((r) => setTimeout(r, 2500)); // past A's hold: the server ended A's session
    expect(await b.s.deliverPendingEvents()).toBe(1);
    expect(b.sink.batches.map((x) => x.length)).toEqual([3]);
    // A resumes: its append goes through (the event store keeps the identical block once), its delete does not;
    // the commit resolves, the failure logged, and nothing is left pending.
    release();
    await committing;
    expect(warnings.join('\n')).toMatch(/events kept for a retry/);
    expect(await b.s.deliverPendingEvents()).toBe(0);
    expect(await a.deliverPendingEvents()).toBe(0);
    expect(aBatches).toEqual(b.sink.batches);
    await Promise.all([a.close(), b.s.close()]);
  });
});

describe.skipIf(skip)('control plane: run events and the event store', () => {
  it('keeps a run’s events when the event store fails, and delivers the identical block later, once', async () => {
    const schema = newSchema();
    const { s, sink } = await open(schema);
    const c = makeRun('d', T, { risk: 3, notable: 1 });
    c.events[0]!._raw = 'nul \u0000, lone surrogate \ud800, emoji 🙂';
    sink.failure = new Error('ClickHouse: connection refused');
    await s.commitRun(c); // durable: the ledger row and the events, here
    expect(await s.hasRun('d', T)).toBe(true);
    expect(sink.batches).toEqual([]);
    expect(await s.deliverPendingEvents()).toBe(0); // still failing
    const pending = await admin.query(`SELECT attempts, last_error FROM "${schema}".run_events`);
    expect(pending.rows).toEqual([{ attempts: 2, last_error: 'ClickHouse: connection refused' }]);

    // Stored but not acknowledged (a timeout after the insert): the retry sends the same block again, which
    // ClickHouse deduplicates.
    sink.appendThenFail = true;
    expect(await s.deliverPendingEvents()).toBe(0);
    sink.failure = null;
    expect(await s.deliverPendingEvents()).toBe(1);
    expect(sink.batches).toHaveLength(2);
    expect(sink.batches[0]).toEqual(c.events);
    expect(JSON.stringify(sink.batches[1])).toBe(JSON.stringify(sink.batches[0]));
    expect(await s.deliverPendingEvents()).toBe(0);
    expect((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".run_events`)).rows[0].n).toBe(0);
    await s.close();
  });

  it('keeps the indexed fields of a run’s events, delivered at once and from the pending block', async () => {
    const schema = newSchema();
    const { s, sink } = await open(schema);
    const fields = { 'k8s.pod.name': 'web-1', tags: ['a', 'b\t"c"'] };
    const now = makeRun('d', T, { risk: 2 });
    now.events[0] = { ...now.events[0]!, fields };
    await s.commitRun(now);
    expect(sink.batches[0]![0]!.fields).toEqual(fields);
    expect(sink.batches[0]![1]!.fields).toBeUndefined();
    const later = makeRun('d', T + HOUR, { risk: 2 });
    later.events[1] = { ...later.events[1]!, fields };
    sink.failure = new Error('down');
    await s.commitRun(later); // kept in PostgreSQL as JSON text, read back by the sweep
    sink.failure = null;
    expect(await s.deliverPendingEvents()).toBe(1);
    expect(sink.batches[1]![0]!.fields).toBeUndefined();
    expect(sink.batches[1]![1]!.fields).toEqual(fields);
    await s.close();
  });

  it('delivers pending blocks once when three nodes sweep at the same time', async () => {
    const schema = newSchema();
    const nodes = await Promise.all([1, 2, 3].map(() => open(schema)));
    nodes[0]!.sink.failure = new Error('down');
    for (let i = 0; i < 30; i++) await nodes[0]!.s.commitRun(makeRun(`d${i}`, T, { risk: 2 }));
    nodes[0]!.sink.failure = null;
    const counts = await Promise.all(nodes.map((n) => n.s.deliverPendingEvents()));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(30);
    expect(nodes.flatMap((n) => n.sink.batches)).toHaveLength(30);
    await Promise.all(nodes.map((n) => n.s.close()));
  });

  it('refuses a run with a bad event before anything is stored', async () => {
    const { s, sink } = await open(newSchema());
    const c = makeRun('d', T);
    c.events[1] = { ...c.events[1]!, index: '' };
    const err = await failure(s.commitRun(c));
    expect(reason(err)).toBe('INPUT_MALFORMED');
    expect(err.message).toMatch(/event 1 of the batch: index must be a non-empty string/);
    expect(await s.hasRun('d', T)).toBe(false);
    expect(sink.batches).toEqual([]);
    await s.close();
  });
});

const skipClickHouse = await skipWithoutCluster('test/cluster/control-plane.test.ts (with ClickHouse)');

describe.skipIf(skipClickHouse)('control plane: run events into the ClickHouse store', () => {
  it('a block appended but not acknowledged, retried by another node: the run’s events are stored once', async () => {
    const database = uniqueName('vigil_cp_ch');
    const ch = await openClickHouseStore({ urls: REPLICAS.map((r) => r.url), cluster: CLUSTER_NAME, database, username: 'default', password: '', insertQuorum: 2 });
    try {
      const schema = newSchema();
      // Node A's event store stores the block, then the acknowledgement is lost (A dies before deleting it).
      let lostAck = true;
      const a = await openControlPlane({
        url: POSTGRES_URL,
        schema,
        eventRetryMs: 0,
        events: {
          append: async (events) => {
            await ch.append(events);
            if (lostAck) throw new Error('socket hang up');
          },
        },
      });
      const b = await openControlPlane({ url: POSTGRES_URL, schema, eventRetryMs: 0, events: ch });
      const c = makeRun('d', T, { risk: 5, notable: 2 });
      await a.commitRun({ ...c, lease: { node: 'A', now: T } });
      const risk = async () => plain(await collect(ch, { metadata: [{ field: 'index', patterns: ['risk', 'notable'] }] }));
      expect(await risk()).toHaveLength(7); // stored by A's attempt
      lostAck = false;
      expect(await b.deliverPendingEvents()).toBe(1); // B's sweep sends the pending block again
      expect(await a.deliverPendingEvents()).toBe(0);
      const stored = await risk();
      expect(stored.sort((x, y) => x._raw.localeCompare(y._raw))).toEqual(c.events.map((e) => ({ ...e })).sort((x, y) => x._raw.localeCompare(y._raw)));
      const merged = await Promise.all(REPLICAS.map(async (r) => Number(await clickhouse(r, `SELECT count() FROM ${database}.events_local FINAL`))));
      expect(merged[0]! + merged[2]!).toBe(7);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await ch.close();
      for (const r of REPLICAS) await clickhouse(r, `DROP DATABASE IF EXISTS ${database}`);
    }
  }, 120_000);
});

describe.skipIf(skipClickHouse)('control plane: a node killed while committing runs', () => {
  it('after SIGKILL and a sweep, every run is whole or absent, its events in ClickHouse exactly once', async () => {
    const schema = newSchema();
    const database = uniqueName('vigil_cp_kill');
    const ch = await openClickHouseStore({ urls: REPLICAS.map((r) => r.url), cluster: CLUSTER_NAME, database, username: 'default', password: '', insertQuorum: 2 });
    try {
      const ackedAll = new Set<number>();
      let redelivered = 0;
      for (let round = 0; round < 3; round++) {
        const first = round * 100_000;
        const child = spawnTs(join(import.meta.dirname, 'fixtures', 'control-plane-child.ts'), [schema, database, '4', String(first)]);
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const acked = new Set<number>();
        await new Promise<void>((resolve) => {
          onLines(child, (line) => {
            const m = /^ack (\d+)$/.exec(line);
            if (m) acked.add(Number(m[1]));
            if (acked.size >= 15 + round * 10) resolve();
          });
          child.once('exit', () => resolve());
        });
        child.kill('SIGKILL'); // 4 runs in flight: in their transaction, appending, or deleting their block
        const { signal } = await exited(child);
        expect(signal, stderr).toBe('SIGKILL');
        for (const k of acked) ackedAll.add(k);

        // PostgreSQL rolls the dead node's open transactions back once it sees their connections closed, a few
        // ms after the kill: until then a block it was delivering stays locked, and the sweep (SKIP LOCKED) rightly
        // leaves it. Wait for that first, as a node's next timer tick would.
        await deadSessionsGone(schema);
        // Another node's sweep delivers what the dead one committed but did not deliver.
        const { s } = await open(schema, { events: ch });
        redelivered += await s.deliverPendingEvents();
        expect((await admin.query(`SELECT count(*)::int AS n FROM "${schema}".run_events`)).rows[0].n).toBe(0);
        const both = {
          scan: (r: Parameters<EventSource['scan']>[0]) => ch.scan(r),
          runs: (q?: Parameters<StateStore['runs']>[0]) => s.runs(q),
          findings: (q?: Parameters<StateStore['findings']>[0]) => s.findings(q),
          dueOutbox: (now: number, limit: number) => s.dueOutbox(now, limit),
        } as unknown as StateStore & EventSource;
        expect(await checkRuns(both)).toEqual([]); // no orphans; each run's events, findings, outbox: exactly its own
        const present = new Set((await s.runs()).map((r) => (r.scheduledTime - T) / 60));
        for (const k of ackedAll) expect(present.has(k), `acknowledged run ${k} is missing`).toBe(true);
        await s.close();
      }
      // The kills did land after COMMITs, before the blocks were delivered and deleted (2-3 per round measured:
      // the ClickHouse quorum insert is most of a commit's time).
      expect(redelivered).toBeGreaterThan(0);
    } finally {
      await ch.close();
      for (const r of REPLICAS) await clickhouse(r, `DROP DATABASE IF EXISTS ${database}`);
    }
  }, 180_000);
});

describe.skipIf(skip)('control plane: hostile strings', () => {
  const HOSTILE = [
    "'; DROP TABLE runs; --",
    "' OR '1'='1",
    '$1',
    '"; DROP SCHEMA public CASCADE; --',
    'back\\slash \\x00 E\'\\047\'',
    'nul \u0000 inside',
    '\u0001\u0002\u0003 escape characters',
    '\u0001\u0000\u0001',
    'emoji 🙂 and ünïcödé',
    '',
  ];

  it('stores and finds every string exactly, through every statement, and the tables stay intact', async () => {
    const schema = newSchema();
    const { s, sink } = await open(schema);
    for (const [i, h] of HOSTILE.entries()) {
      const id = h === '' ? 'empty' : h; // ids must be non-empty
      const t = T + i * HOUR;
      const c = makeRun(id, t, { risk: 1, findings: 1, outbox: 1, suppressions: 0 });
      c.run.detectionName = h;
      c.run.error = h;
      c.findings[0] = { ...c.findings[0]!, id: `f ${id}`, ruleName: h, riskObject: h, riskObjectType: h, detail: h, owner: h };
      c.outbox[0] = { ...c.outbox[0]!, id: `o ${id}`, action: h, payload: h };
      c.suppressions = [{ key: h, until: T + 1e6 }];
      c.events[0]!._raw = h;
      expect(await s.claimRun(id, t, id, 60_000, T)).toBe(true);
      await s.commitRun({ ...c, lease: { node: id, now: T } });
      expect(await s.hasRun(id, t)).toBe(true);
      expect(await s.lastRun(id)).toEqual(c.run);
      expect(await s.runs({ detectionId: id })).toEqual([c.run]);
      await s.setCursor(id, t);
      expect(await s.cursor(id)).toBe(t);
      expect(await s.findings({ owner: h, riskObject: h })).toEqual([c.findings[0]]);
      const updated = await s.updateFinding(`f ${id}`, { owner: h }, h, t + 1);
      expect(updated.owner).toBe(h);
      await s.addComment({ findingId: `f ${id}`, time: t, author: h, text: h });
      expect((await s.finding(`f ${id}`))?.comments).toEqual([{ findingId: `f ${id}`, time: t, author: h, text: h }]);
      expect(await s.suppressed([h, `${h}x`], T)).toEqual(new Set([h]));
      await s.outboxFailed(`o ${id}`, h, 0);
      expect((await s.dueOutbox(0, 100)).find((o) => o.id === `o ${id}`)).toMatchObject({ action: h, payload: h, lastError: h });
      await s.outboxDelivered(`o ${id}`);
      expect(sink.batches.at(-1)![0]!._raw).toBe(h);
      // The console state's statements too.
      const limits = { idleMs: 1e9, maxAgeMs: 1e9, maxSessions: 100 };
      await s.consoleState.createSession(`s ${id}`, { user: id, csrf: id, createdAt: 0, lastSeen: 0 }, limits);
      expect(await s.consoleState.session(`s ${id}`, 60_000, limits)).toEqual({ user: id, csrf: id, createdAt: 0, lastSeen: 60_000 }); // a minute on: written
      await s.consoleState.setToggle(id, i % 2 === 0, h, t);
      await s.consoleState.saveMacroEdit({ name: id, definition: h, description: h, updatedAt: t, updatedBy: h });
    }
    expect((await s.consoleState.macroEdits()).map((m) => m.definition).sort()).toEqual([...HOSTILE].sort());
    const toggles = await s.consoleState.toggles();
    expect([...toggles.enable, ...toggles.disable].sort()).toEqual(HOSTILE.map((h) => (h === '' ? 'empty' : h)).sort());
    // Near misses find nothing: '\u0000' and its escape are different strings.
    expect(await s.hasRun('nul \u0001\u0003 inside', T + 5 * HOUR)).toBe(false);
    expect(await s.suppressed(['\u0001\u0003', '\u0000\u0001'], T)).toEqual(new Set());
    expect(await s.runs()).toHaveLength(HOSTILE.length);
    const tables = await admin.query('SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1', [schema]);
    expect(tables.rows[0].n).toBe(12);
    expect((await admin.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'public'`)).rows[0].n).toBe(1);
    await s.close();
  });
});

describe.skipIf(skip)('control plane: console state shared by the nodes', () => {
  const limits = { idleMs: 1000, maxAgeMs: 5000, maxSessions: 3 };

  it('sessions: seen from every node, refreshed when used, ended when idle or too old, least recently used dropped', async () => {
    const schema = newSchema();
    const [{ s: a }, { s: b }] = await Promise.all([open(schema), open(schema)]);
    const session = (user: string, t: number) => ({ user, csrf: `csrf-${user}`, createdAt: t, lastSeen: t });
    await a.consoleState.createSession('h1', session('alice', 0), limits);
    expect(await b.consoleState.session('h1', 900, limits)).toEqual({ user: 'alice', csrf: 'csrf-alice', createdAt: 0, lastSeen: 900 });
    expect(await a.consoleState.session('h1', 1800, limits)).toMatchObject({ lastSeen: 1800 }); // 900 idle: refreshed at 900
    expect(await a.consoleState.session('h1', 2801, limits)).toBeNull(); // idle 1001 ms
    expect(await b.consoleState.session('h1', 2802, limits)).toBeNull(); // deleted
    // The maximum age holds however often it is used.
    await a.consoleState.createSession('h2', session('bob', 0), limits);
    for (let t = 900; t <= 5000; t += 900) expect(await b.consoleState.session('h2', t, limits)).not.toBeNull();
    expect(await b.consoleState.session('h2', 5001, limits)).toBeNull();
    // A use writes lastSeen again only once it is a tenth of the idle limit old (100 ms here): no commit per request.
    await a.consoleState.createSession('h3', session('carol', 0), limits);
    const stored = async () => (await admin.query(`SELECT last_seen FROM "${schema}".sessions WHERE id_hash = 'h3'`)).rows[0].last_seen as number;
    expect(await b.consoleState.session('h3', 99, limits)).toMatchObject({ lastSeen: 0 });
    expect(await stored()).toBe(0);
    expect(await b.consoleState.session('h3', 100, limits)).toMatchObject({ lastSeen: 100 });
    expect(await stored()).toBe(100);
    expect(await a.consoleState.session('h3', 1099, limits)).toMatchObject({ lastSeen: 1099 }); // idle 999 ms from the stored 100
    expect(await a.consoleState.session('h3', 1150, limits)).toMatchObject({ lastSeen: 1099 });
    expect(await stored()).toBe(1099);
    expect(await a.consoleState.session('nobody', 1150, limits)).toBeNull();
    // Beyond maxSessions the least recently used go.
    for (const [i, h] of ['x1', 'x2', 'x3', 'x4'].entries()) await a.consoleState.createSession(h, session(h, 10_000 + i), limits);
    expect(await b.consoleState.session('x1', 10_010, limits)).toBeNull();
    expect(await b.consoleState.session('x2', 10_010, limits)).not.toBeNull();
    await b.consoleState.deleteSession('x2'); // logout on another node
    expect(await a.consoleState.session('x2', 10_011, limits)).toBeNull();
    await Promise.all([a.close(), b.close()]);
  });

  it('detection toggles as a cluster node applies them: set on one node, applied on another after its refresh', async () => {
    const schema = newSchema();
    const [{ s: a }, { s: b }] = await Promise.all([open(schema), open(schema)]);
    // What vigil serve does on a cluster: a DetectionToggles without a file, replaced from the control plane.
    const onA = new DetectionToggles(null);
    const onB = new DetectionToggles(null);
    const setOn = async (node: PostgresStateStore, toggles: DetectionToggles, id: string, enabled: boolean) => {
      await node.consoleState.setToggle(id, enabled, 'alice', T);
      toggles.set(id, enabled);
    };
    const base = { overrides: { d0: true } } as unknown as Parameters<typeof onA.apply>[0];
    await setOn(a, onA, 'd1', false);
    expect(onA.apply(base).overrides).toEqual({ d0: true, d1: false }); // at once on the node that set it
    expect(onB.apply(base).overrides).toEqual({ d0: true }); // the other: at its next refresh
    onB.replace(await b.consoleState.toggles());
    expect(onB.apply(base).overrides).toEqual({ d0: true, d1: false });
    await setOn(b, onB, 'd0', false);
    onA.replace(await a.consoleState.toggles());
    expect(onA.apply(base).overrides).toEqual({ d0: false, d1: false });
    await Promise.all([a.close(), b.close()]);
  });

  it('detection toggles and macro edits: set on one node, read on another; hostile strings stay exact', async () => {
    const schema = newSchema();
    const [{ s: a }, { s: b }] = await Promise.all([open(schema), open(schema)]);
    const odd = "x'; DROP TABLE macro_edits; -- \u0000";
    await a.consoleState.setToggle('d1', false, 'alice', T);
    await a.consoleState.setToggle(odd, true, 'alice', T);
    await b.consoleState.setToggle('d1', true, 'bob', T + 1);
    await b.consoleState.setToggle('d0', false, 'bob', T + 1);
    expect(await a.consoleState.toggles()).toEqual({ enable: [odd, 'd1'].sort(), disable: ['d0'] });
    await a.consoleState.saveMacroEdit({ name: 'm_filter', definition: 'search *', description: null, updatedAt: T, updatedBy: 'alice' });
    await b.consoleState.saveMacroEdit({ name: 'm_filter', definition: `search NOT user="${odd}"`, description: odd, updatedAt: T + 5, updatedBy: odd });
    expect(await a.consoleState.macroEdits()).toEqual([{ name: 'm_filter', definition: `search NOT user="${odd}"`, description: odd, updatedAt: T + 5, updatedBy: odd }]);
    expect(reason(await failure(a.consoleState.setToggle('', true, 'x', T)))).toBe('INPUT_MALFORMED');
    expect(reason(await failure(a.consoleState.saveMacroEdit({ name: 'm', definition: 'x', description: null, updatedAt: Number.NaN, updatedBy: 'x' })))).toBe('INPUT_MALFORMED');
    await a.close();
    expect(reason(await failure(a.consoleState.toggles()))).toBe('STORE_CLOSED');
    await b.close();
  });
});

describe.skipIf(skip)('control plane: one login valid on every node (vigil serve API with SharedSessions)', () => {
  it('logs in on node A, is recognised on node B, logs out on B, is refused on A', async () => {
    const schema = newSchema();
    const pack = loadContent([], { bundled: false });
    const { http: base } = await loadConfig({ env: {}, flags: { dataDir: tempDir(), port: 0, hecPort: 0 } });
    const token = base.apiTokens[0]!.token;
    const nodes = await Promise.all(
      [1, 2].map(async () => {
        const { s } = await open(schema);
        const http = { ...base, apiTokens: [{ name: 'ops', token }] };
        const app = createApi({ store: new FakeStore(), content: () => pack, apiTokens: http.apiTokens, requestLimits: http }, { sessionStore: new SharedSessions(s.consoleState) });
        return { s, server: await listenHttp(app, http) };
      }),
    );
    try {
      const [a, b] = nodes;
      const login = await fetch(`${a!.server.url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const { csrf } = (await login.json()) as { csrf: string };
      const onB = await fetch(`${b!.server.url}/api/session`, { headers: { cookie } });
      expect(onB.status).toBe(200);
      expect(await onB.json()).toMatchObject({ user: 'token:ops', kind: 'session', csrf });
      expect((await fetch(`${b!.server.url}/api/logout`, { method: 'POST', headers: { cookie, 'X-CSRF-Token': csrf } })).status).toBe(200);
      expect((await fetch(`${a!.server.url}/api/session`, { headers: { cookie } })).status).toBe(401);
    } finally {
      for (const n of nodes) {
        await n.server.close();
        await n.s.close();
      }
    }
  });
});

describe.skipIf(skip)('control plane: connection loss', () => {
  it('rejects with STORE_IO while the server is unreachable, without an unhandled error, and recovers', async () => {
    const proxy = await tcpProxy(POSTGRES_PORT);
    const logged: string[] = [];
    const { s } = await open(newSchema(), { url: `postgresql://vigil@127.0.0.1:${proxy.port}/vigil`, connectTimeoutMs: 1000, log: (_, m) => logged.push(m) });
    await s.commitRun(makeRun('d', T));
    // Drop every connection, idle ones included (pg emits 'error' on idle clients), and refuse new ones.
    proxy.cut(true);
    await new Promise((r) => setTimeout(r, 100));
    for (const call of [() => s.hasRun('d', T), () => s.commitRun(makeRun('d', T + HOUR)), () => s.claimRun('d', T + HOUR, 'A', 1000, T), () => s.finding('x')]) {
      const err = await failure(call());
      expect(err).toBeInstanceOf(StoreError);
      expect(reason(err)).toBe('STORE_IO');
    }
    expect(logged.some((m) => /idle connection failed/.test(m))).toBe(true);
    proxy.cut(false);
    expect(await s.hasRun('d', T)).toBe(true);
    await s.commitRun(makeRun('d', T + HOUR));
    expect(await s.runs()).toHaveLength(2);
    await s.close();
    proxy.server.close();
    expect(reason(await failure(s.hasRun('d', T)))).toBe('STORE_CLOSED');
    expect(reason(await failure(s.commitRun(makeRun('d', T + 2 * HOUR))))).toBe('STORE_CLOSED');
  });

  it('a shared lock asked of a server that stopped answering gives null within its bound, not the query timeout', async () => {
    const proxy = await tcpProxy(POSTGRES_PORT);
    const { s } = await open(newSchema(), { url: `postgresql://vigil@127.0.0.1:${proxy.port}/vigil`, queryTimeoutMs: 30_000 });
    const name = `shard 01 stalled ${Date.now()}`;
    // Two connections: one back in the pool, idle; the other holding a lock.
    const [idle, held] = await Promise.all([s.sharedLock(`${name} idle`, 1000), s.sharedLock(name, 1000)]);
    await idle!();
    proxy.stall(true);
    // Releasing (the holder's next insert waits for it) and asking again both end within their bounds.
    let started = Date.now();
    await held!();
    expect(Date.now() - started).toBeLessThan(5000);
    started = Date.now();
    expect(await s.sharedLock(`${name} again`, 500)).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
    proxy.stall(false);
    proxy.cut(true);
    proxy.cut(false);
    await s.close();
    proxy.server.close();
  }, 60_000);

  it('rejects with STORE_IO when the server stops answering (no reset), then works again', async () => {
    const proxy = await tcpProxy(POSTGRES_PORT);
    const { s } = await open(newSchema(), { url: `postgresql://vigil@127.0.0.1:${proxy.port}/vigil`, queryTimeoutMs: 500 });
    await s.commitRun(makeRun('d', T));
    proxy.stall(true);
    const started = Date.now();
    const err = await failure(s.commitRun(makeRun('d', T + HOUR)));
    expect(reason(err)).toBe('STORE_IO');
    expect(err.message).toMatch(/timeout/i);
    expect(Date.now() - started).toBeLessThan(10_000);
    proxy.stall(false);
    proxy.cut(true); // the stalled connections are gone; new ones pass
    proxy.cut(false);
    expect(await s.hasRun('d', T + HOUR)).toBe(false); // nothing of the timed-out commit (its transaction never committed)
    await s.commitRun(makeRun('d', T + HOUR));
    expect(await s.runs()).toHaveLength(2);
    await s.close();
    proxy.server.close();
  });
});

/** Waits until no session holds a lock on the schema's `run_events` (a killed node's transactions are rolled back). */
async function deadSessionsGone(schema: string): Promise<void> {
  const held = async (): Promise<number> =>
    (
      await admin.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace ns ON ns.oid = c.relnamespace
          WHERE ns.nspname = $1 AND c.relname = 'run_events' AND l.pid <> pg_backend_pid()`,
        [schema],
      )
    ).rows[0].n as number;
  for (let waited = 0; (await held()) > 0; waited += 20) {
    if (waited > 10_000) throw new Error(`a session still holds ${schema}.run_events 10 s after the kill`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A TCP forwarder to PostgreSQL that a test can break: cut(true) destroys every connection and refuses new ones;
 * stall(true) stops forwarding client bytes (a server behind a partition: no answer, no reset).
 */
async function tcpProxy(target: number): Promise<{ server: Server; port: number; cut(on: boolean): void; stall(on: boolean): void }> {
  const sockets = new Set<Socket>();
  let down = false;
  let stalled = false;
  const server = createServer((client) => {
    if (down) return client.destroy();
    const upstream = connect(target, '127.0.0.1');
    for (const sock of [client, upstream]) {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      if (!stalled) upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server,
    port: (server.address() as { port: number }).port,
    cut(on) {
      down = on;
      if (on) for (const sock of sockets) sock.destroy();
    },
    stall(on) {
      stalled = on;
    },
  };
}
