/**
 * ClickHouseStore: the event store on a ClickHouse cluster (issue #11). Events go to one shard per batch (chosen
 * from the batch's content), in group inserts acknowledged by a replica quorum; scans read newest first in time
 * windows (each from one replica of every shard at once), with the request's conditions as SQL. See CONTEXT.md.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { VigilError } from '../../errors.js';
import { DEFAULT_INDEX, NOTABLE_INDEX, RISK_INDEX, indexedFieldsText, type Event } from '../../events/event.js';
import type { AggregateSpec, MetadataAggregate, ScanOptions, ScanRequest } from '../../events/scan.js';
import { fromMicros, toMicros } from '../schema.js';
import { StoreError, type AppendReceipt, type EventStore, type IndexInfo, type RetentionPolicy, type RetentionReport } from '../types.js';
import { checkEvent } from '../validate.js';
import { clickhouseCode, firstLine, isTransient, isUnreachable, storeError } from './errors.js';
import { ADDED_COLUMNS, DAY_US, EVENTS, EVENTS_LOCAL, FIELDS, INDEXES, INSERT_COLUMNS, META, SCHEMA_VERSION, floorDivSql, schemaDdl } from './schema.js';
import { aggregateClickHouse, rowsReadOf } from './aggregate.js';
import { scanClickHouse, type ScanContext } from './scan.js';
import { ident, isIdent, quote } from './sql.js';
import { tsvField, tsvValue } from './tsv.js';

/** The `store.clickhouse` section of a node's config. */
export interface ClickHouseConfig {
  /** HTTP URLs of the replicas this node talks to, its own first (tried in this order). */
  urls: string[];
  /** The `remote_servers` cluster the Distributed table spans. */
  cluster: string;
  database: string;
  username: string;
  password: string;
  /** Replicas of a shard that must hold a batch before an append resolves (1: the replica written to). */
  insertQuorum: number;
}

export interface ClickHouseStoreOptions {
  /**
   * Search only (`vigil search`, run workers): creates nothing, needs the schema a read-write open made (else
   * STORE_IO), and refuses appends, index changes and retention with STORE_IO, like a read-only SQLite store.
   */
  readonly?: boolean;
  /** Back-pressure bounds (accepted, not yet acknowledged) → STORE_BUSY. Defaults 100 000 events, 128 Mi chars. */
  maxPendingEvents?: number;
  maxPendingChars?: number;
  /** Most per insert (one insert per shard at a time carries every batch queued for it). Defaults 20 000, 32 Mi. */
  maxGroupEvents?: number;
  maxGroupChars?: number;
  /** How long an append keeps retrying a busy shard (another node's quorum insert, a replica failing over). Default 10 000 ms. */
  insertRetryMs?: number;
  /**
   * Serializes a shard's event inserts across the nodes (a cluster node passes the control plane's advisory lock):
   * 18.16 runs one quorum insert per table at a time and refuses another (code 286) only after reading its rows, so
   * nodes inserting into one shard at once redo each other's work and ingest fell as nodes were added. Held for one
   * insert; resolves null when the lock cannot be had (then inserts go ahead and 286 is retried as without it).
   */
  shardLock?: (shard: string) => Promise<(() => Promise<void>) | null>;
  /** HTTP request timeout. Default 60 000 ms. */
  requestTimeoutMs?: number;
  /** How stale `indexExists` may be about indexes other nodes created or deleted. Default 5000 ms. */
  indexRefreshMs?: number;
  /** How often replicas that did not answer at open are asked again (on appends and scans). Default 10 000 ms. */
  reprobeMs?: number;
  /** Events per scan window (read whole, then sorted here: bounds a scan's memory). Default 20 000. */
  scanWindowEvents?: number;
  scanBatchSize?: number;
  scanBatchChars?: number;
  /**
   * Benchmarks: aggregates (the stats pushdown) report the rows ClickHouse read on 18.16 too, from
   * `system.query_log` (a `SYSTEM FLUSH LOGS` and a query more per aggregate); newer servers report them anyway.
   */
  measureRowsRead?: boolean;
  retention?: Record<string, RetentionPolicy>;
  defaultRetention?: RetentionPolicy;
}

const RESERVED_INDEXES = [DEFAULT_INDEX, RISK_INDEX, NOTABLE_INDEX];

/** One replica: its client and its `{shard}` macro (null until it answered). */
interface Replica {
  url: string;
  client: ClickHouseClient;
  shard: string | null;
}

/** A batch waiting for its shard's next insert. */
interface Pending {
  id: bigint;
  lines: string[];
  events: number;
  chars: number;
  resolve: (r: AppendReceipt) => void;
  reject: (e: unknown) => void;
}

interface ShardQueue {
  name: string;
  replicas: Replica[];
  queue: Pending[];
  running: boolean;
}

/** How long a replica that did not answer has to answer `SELECT 1` to be tried first again. */
const SUSPECT_PROBE_MS = 5000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Opens (creating the schema where it is missing, on every replica that answers) and checks the schema version. */
export async function openClickHouseStore(config: ClickHouseConfig, options: ClickHouseStoreOptions = {}): Promise<ClickHouseStore> {
  if (!isIdent(config.database)) throw new VigilError('CONFIG', `store.clickhouse.database "${config.database}": letters, digits and _ only`);
  if (!isIdent(config.cluster)) throw new VigilError('CONFIG', `store.clickhouse.cluster "${config.cluster}": letters, digits and _ only`);
  if (config.urls.length === 0) throw new VigilError('CONFIG', 'store.clickhouse.urls is empty');
  const replicas: Replica[] = config.urls.map((url) => ({
    url,
    shard: null,
    client: createClient({
      url,
      username: config.username,
      password: config.password,
      request_timeout: options.requestTimeoutMs ?? 60_000,
      log: { level: ClickHouseLogLevel.OFF },
      clickhouse_settings: {},
    }),
  }));
  const store = new ClickHouseStore(config, options, replicas);
  try {
    await store.prepare();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

export class ClickHouseStore implements EventStore {
  readonly newestFirst = true as const;
  /** Replicas that did not answer at open and not since (asked again every `reprobeMs`; reads reach them through the Distributed table). */
  readonly unreachable: string[] = [];
  private readonly shards: ShardQueue[] = [];
  private readonly db: string;
  private readonly readonly: boolean;
  /** Shards of the cluster (system.clusters): each needs a reachable replica among the urls. */
  private clusterShards = 0;
  /** The last `at` (microseconds) given to a batch. */
  private lastAt = 0;
  private probing: Promise<void> | null = null;
  private probedAt = Date.now();
  /**
   * Whether scans read the `fields` column: false for a read-only store over a database whose tables lack it on some
   * replica (made by an earlier vigil, no read-write open since): its events have no indexed fields. Asked again at
   * each scan until every replica has it (a read-write open of this vigil adds it meanwhile).
   */
  private fieldsColumn = true;
  private pendingEvents = 0;
  private pendingChars = 0;
  private closed = false;
  private known = new Set<string>(RESERVED_INDEXES);
  private knownAt = 0;
  private refreshing: Promise<void> | null = null;
  private readonly registering = new Map<string, Promise<void>>();
  /**
   * Replicas that did not answer (refused, cut, timed out): requests try them after the others until a short
   * `SELECT 1` (every `reprobeMs`) or a request answers again. A hung replica (stopped, not dead: its port still
   * takes connections) costs a request the whole request timeout, and every request, in `urls` order, went to it first.
   */
  private readonly suspect = new Set<Replica>();
  private policies: { byIndex: Record<string, RetentionPolicy>; fallback: RetentionPolicy | null };
  private readonly limits: Required<Pick<ClickHouseStoreOptions, 'maxPendingEvents' | 'maxPendingChars' | 'maxGroupEvents' | 'maxGroupChars' | 'insertRetryMs' | 'indexRefreshMs' | 'reprobeMs'>>;

  constructor(
    private readonly config: ClickHouseConfig,
    private readonly options: ClickHouseStoreOptions,
    private readonly replicas: Replica[],
  ) {
    this.db = ident(config.database);
    this.readonly = options.readonly === true;
    this.policies = { byIndex: { ...(options.retention ?? {}) }, fallback: options.defaultRetention ?? null };
    this.limits = {
      maxPendingEvents: options.maxPendingEvents ?? 100_000,
      maxPendingChars: options.maxPendingChars ?? 128 * 1024 * 1024,
      maxGroupEvents: options.maxGroupEvents ?? 20_000,
      maxGroupChars: options.maxGroupChars ?? 32 * 1024 * 1024,
      insertRetryMs: options.insertRetryMs ?? 10_000,
      indexRefreshMs: options.indexRefreshMs ?? 5000,
      reprobeMs: options.reprobeMs ?? 10_000,
    };
  }

  /** One replica: its shard (macro), the cluster's shard count, and the schema created (unless read-only). */
  private async probe(r: Replica): Promise<void> {
    const macros = await this.text(r, 'SELECT macro, substitution FROM system.macros');
    const shard = macros
      .split('\n')
      .map((l) => l.split('\t'))
      .find(([m]) => m === 'shard')?.[1];
    if (shard === undefined) throw new StoreError('STORE_IO', `${r.url} has no {shard} macro: it is not a replica of a sharded cluster`);
    const shards = await this.text(r, `SELECT count(DISTINCT shard_num) FROM system.clusters WHERE cluster = ${quote(this.config.cluster)}`);
    if (shards === '0') throw new StoreError('STORE_IO', `${r.url} does not know the cluster "${this.config.cluster}" (remote_servers)`);
    if (!this.readonly) {
      for (const ddl of schemaDdl({ database: this.config.database, cluster: this.config.cluster })) await r.client.command({ query: ddl });
      await this.addColumns(r);
    } else if (!(await this.hasColumn(r, EVENTS_LOCAL, FIELDS))) {
      // A database no read-write vigil of this version opened yet: it holds no indexed fields to read.
      this.fieldsColumn = false;
    }
    r.shard = tsvValue(shard);
    this.clusterShards = Number(shards);
  }

  /** Whether the replica's `table` has the column (system.columns: 18.16 has no `ADD COLUMN IF NOT EXISTS`). */
  private async hasColumn(r: Replica, table: string, name: string): Promise<boolean> {
    const n = await this.text(r, `SELECT count() FROM system.columns WHERE database = ${quote(this.config.database)} AND table = ${quote(table)} AND name = ${quote(name)}`);
    return n !== '0';
  }

  /**
   * Adds ADDED_COLUMNS where the replica's tables lack them (a database made by an earlier vigil keeps its rows; they
   * read the column's default). Another opener adding it first (code 44, the column exists) is no failure; an ALTER of
   * the replicated table reaches its other replicas through ZooKeeper, so their check usually finds it there, and one
   * down now gets it when it is back (code 341: done here, "asynchronously" there).
   */
  private async addColumns(r: Replica): Promise<void> {
    for (const c of ADDED_COLUMNS) {
      if (await this.hasColumn(r, c.table, c.name)) continue;
      try {
        await r.client.command({ query: `ALTER TABLE ${this.db}.${ident(c.table)} ADD COLUMN ${ident(c.name)} ${c.type}` });
      } catch (err) {
        const code = clickhouseCode(err);
        if (code !== 44 && code !== 341) throw err;
      }
    }
  }

  /**
   * Replicas that did not answer at open are asked again, in the background, at most every `reprobeMs`: one that
   * answers gets the schema and serves its shard's inserts (in `urls` order) and this store's reads again.
   */
  private reprobe(): void {
    if (this.unreachable.length === 0 || this.probing !== null || this.closed || Date.now() - this.probedAt < this.limits.reprobeMs) return;
    this.probedAt = Date.now();
    this.probing = (async () => {
      for (const r of this.replicas) {
        if (r.shard !== null || !this.unreachable.includes(r.url)) continue;
        try {
          await this.probe(r);
        } catch {
          continue; // still down (or refusing): asked again later
        }
        const shard = this.shards.find((s) => s.name === r.shard);
        if (shard === undefined) continue; // a shard that was not there at open: this store's shard count stays
        shard.replicas = this.replicas.filter((x) => x.shard === shard.name);
        this.unreachable.splice(this.unreachable.indexOf(r.url), 1);
      }
    })().finally(() => (this.probing = null));
  }

  /** Learns each replica's shard, creates the schema on each, checks the version, loads the index names. */
  async prepare(): Promise<void> {
    const failures: string[] = [];
    for (const r of this.replicas) {
      try {
        await this.probe(r);
      } catch (err) {
        if (err instanceof StoreError && err.reason !== 'STORE_BUSY') throw err;
        if (!isUnreachable(err)) throw storeError(`ClickHouse ${r.url}: opening the event store`, err, 'STORE_IO');
        failures.push(`${r.url} (${firstLine(err)})`);
        this.unreachable.push(r.url);
      }
    }
    const up = this.replicas.filter((r) => r.shard !== null);
    if (up.length === 0) throw new StoreError('STORE_IO', `ClickHouse is unreachable: ${failures.join('; ')}`);
    const names = [...new Set(up.map((r) => r.shard as string))].sort();
    if (names.length < this.clusterShards) {
      throw new StoreError(
        'STORE_IO',
        `the cluster "${this.config.cluster}" has ${this.clusterShards} shards but only shard(s) ${names.join(', ')} answered among store.clickhouse.urls` +
          (failures.length ? ` (unreachable: ${failures.join('; ')})` : ''),
      );
    }
    for (const name of names) this.shards.push({ name, replicas: up.filter((r) => r.shard === name), queue: [], running: false });
    await this.checkVersion();
    if (!this.readonly) await this.reserveIndexes();
    await this.refreshIndexes();
  }

  /** The schema version row: written once (concurrent openers write the identical block, stored once), else compared. */
  private async checkVersion(): Promise<void> {
    const sql = `SELECT value FROM ${this.db}.${META} FINAL WHERE key = 'schema_version'`;
    const read = async () => {
      try {
        return (await this.query(sql)).split('\n').filter((l) => l !== '');
      } catch (err) {
        // 81 unknown database, 60 unknown table: only a read-only open can get here (others created them).
        const code = clickhouseCode(err);
        if (code !== 81 && code !== 60) throw err;
        return [];
      }
    };
    /**
     * The version as any reachable replica has it. A replica that has not fetched another node's identical version
     * block (ours was deduplicated against it) catches up only when ClickHouse's replication queue next wakes: ~10 s
     * after `SYSTEM START FETCHES` on the test cluster, which is the whole wait; any replica holding it will do.
     */
    const readAny = async () => {
      for (const r of this.readers()) {
        const versions = await this.text(r, sql).then(
          (t) => t.split('\n').filter((l) => l !== ''),
          () => [],
        );
        if (versions.length > 0) return versions;
      }
      return [];
    };
    let versions = await read();
    if (versions.length === 0 && this.readonly) {
      throw new StoreError('STORE_IO', `the ClickHouse database ${this.config.database} holds no vigil schema (a read-write open, such as vigil serve, creates it)`);
    }
    if (versions.length === 0) {
      await this.insertOnAny(META, ['key', 'value'], `schema_version\t${SCHEMA_VERSION}\n`);
      // A node opening at the same time may have written the identical block first through another replica: ours
      // is then deduplicated (nothing written here), and the replica read shows the row once it fetched theirs.
      const deadline = Date.now() + this.limits.insertRetryMs;
      while ((versions = await readAny()).length === 0 && Date.now() < deadline) await sleep(100);
      if (versions.length === 0) {
        throw new StoreError('STORE_IO', `the ClickHouse database ${this.config.database}: the schema version written at open cannot be read back (replication stalled?)`);
      }
    }
    const v = Number(versions[0]);
    if (v !== SCHEMA_VERSION) {
      const why = v > SCHEMA_VERSION ? 'a newer vigil: upgrade this node' : 'an older vigil, and this build has no migration for it';
      throw new StoreError('STORE_IO', `the ClickHouse database ${this.config.database} has schema version ${versions[0]}, made by ${why} (this build uses ${SCHEMA_VERSION})`);
    }
  }

  /**
   * The reserved indexes exist from the start (as the SQLite store's first migration makes them) and can be deleted
   * and created again like any other: a reserved name the catalog never mentioned gets its row.
   */
  private async reserveIndexes(): Promise<void> {
    const listed = await this.query(`SELECT DISTINCT name FROM ${this.db}.${INDEXES} WHERE name IN (${RESERVED_INDEXES.map(quote).join(', ')})`);
    const missing = RESERVED_INDEXES.filter((n) => !listed.split('\n').includes(n));
    const at = Date.now() * 1000;
    if (missing.length > 0) await this.insertOnAny(INDEXES, ['name', 'removed', 'version'], missing.map((n) => `${n}\t0\t${at}\n`).join(''));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Appends

  /**
   * Validates the batch (INPUT_MALFORMED as the SQLite store), registers new index names, and queues the batch for
   * its shard: resolved once the insert carrying it is acknowledged by `insertQuorum` replicas. See CONTEXT.md
   * "Appends" for atomicity and "Exactly once" for retries.
   */
  async append(events: readonly Event[]): Promise<AppendReceipt> {
    this.writable();
    this.reprobe();
    let chars = 0;
    for (let i = 0; i < events.length; i++) chars += checkEvent(events[i]!, i);
    if (events.length === 0) return { count: 0 };
    const busy = this.pendingEvents > 0 && (this.pendingEvents + events.length > this.limits.maxPendingEvents || this.pendingChars + chars > this.limits.maxPendingChars);
    if (busy) throw new StoreError('STORE_BUSY', `the event store is busy (${this.pendingEvents} events waiting for ClickHouse)`);
    this.pendingEvents += events.length;
    this.pendingChars += chars;
    try {
      await this.registerIndexes(events);
      const { id, lines } = encodeBatch(events);
      const shard = this.shards[Number(id % BigInt(this.shards.length))]!;
      return await new Promise<AppendReceipt>((resolve, reject) => {
        shard.queue.push({ id, lines, events: events.length, chars, resolve, reject });
        void this.drain(shard);
      });
    } finally {
      this.pendingEvents -= events.length;
      this.pendingChars -= chars;
    }
  }

  /** One insert at a time per shard (18.16 runs one quorum insert per table at a time), carrying what queued meanwhile. */
  private async drain(shard: ShardQueue): Promise<void> {
    if (shard.running) return;
    shard.running = true;
    try {
      while (shard.queue.length > 0) {
        // The group is formed once the lock is held: batches queued while waiting for it go in the same insert.
        const release = this.options.shardLock ? await this.options.shardLock(shard.name).catch(() => null) : null;
        try {
          await this.insertGroup(shard);
        } finally {
          await release?.().catch(() => undefined);
        }
      }
    } finally {
      shard.running = false;
    }
  }

  /** One insert of the batches at the head of the shard's queue (up to maxGroupEvents/maxGroupChars); settles them. */
  private async insertGroup(shard: ShardQueue): Promise<void> {
    const group: Pending[] = [];
    let events = 0;
    let chars = 0;
    while (shard.queue.length > 0) {
      const p = shard.queue[0]!;
      if (group.length > 0 && (events + p.events > this.limits.maxGroupEvents || chars + p.chars > this.limits.maxGroupChars)) break;
      group.push(shard.queue.shift()!);
      events += p.events;
      chars += p.chars;
    }
    // Arrival order: each batch of the group a later `at` than the one before, and than any before it.
    const at = Math.max(Date.now() * 1000, this.lastAt + 1);
    this.lastAt = at + group.length - 1;
    const rows = group.map((p, k) => {
      const prefix = `${p.id}\t${at + k}\t`;
      return prefix + p.lines.join(prefix);
    });
    try {
      await this.insert(shard.replicas, EVENTS_LOCAL, INSERT_COLUMNS, rows.join(''));
      for (const p of group) p.resolve({ count: p.events });
    } catch (err) {
      const e = storeError(`appending to ClickHouse shard ${shard.name}`, err);
      for (const p of group) p.reject(e);
    }
  }

  /**
   * Inserts rows into `table` on the first of `replicas` that takes them, with the quorum; on an unreachable replica
   * tries the next, on a busy table (another node's quorum insert, code 286) retries after a short random wait, until
   * `insertRetryMs`. Retrying is safe: event rows are identified by (batch, n), so a copy stored by a failed attempt
   * collapses; catalog rows are idempotent.
   */
  private async insert(replicas: readonly Replica[], table: string, columns: readonly string[], rows: string): Promise<void> {
    const deadline = Date.now() + this.limits.insertRetryMs;
    const settings: Record<string, string> = {};
    if (this.config.insertQuorum > 1) {
      settings['insert_quorum'] = String(this.config.insertQuorum);
      settings['insert_quorum_timeout'] = String(Math.max(1000, this.limits.insertRetryMs));
    }
    let last: unknown = new Error('no replica to insert into');
    for (let attempt = 0; ; attempt++) {
      for (const r of this.byAnswer(replicas)) {
        try {
          await r.client.insert({
            table: `${this.db}.${table}`,
            columns: columns as [string, ...string[]],
            values: Readable.from([Buffer.from(rows)], { objectMode: false }),
            format: 'TabSeparated',
            clickhouse_settings: settings,
          });
          this.suspect.delete(r);
          return;
        } catch (err) {
          last = err;
          this.noAnswer(r, err);
          if (!isTransient(err)) throw err;
          if (clickhouseCode(err) === 286) break; // the table is busy, not this replica: wait, then start over
        }
      }
      if (Date.now() + 50 > deadline) throw last;
      await sleep(Math.min(20 * 2 ** Math.min(attempt, 4), 200) * (0.5 + Math.random()));
    }
  }

  /** Adds the batch's index names this store has not seen to the catalog (quorum insert) before its events go in. */
  private async registerIndexes(events: readonly Event[]): Promise<void> {
    const fresh = new Set<string>();
    for (const e of events) if (!this.known.has(e.index)) fresh.add(e.index);
    for (const name of fresh) {
      let p = this.registering.get(name);
      if (p === undefined) {
        p = this.writeIndexRow(name, 0).finally(() => this.registering.delete(name));
        this.registering.set(name, p);
      }
      await p;
    }
  }

  private async writeIndexRow(name: string, removed: 0 | 1): Promise<void> {
    await this.insertOnAny(INDEXES, ['name', 'removed', 'version'], `${tsvField(name)}\t${removed}\t${Date.now() * 1000}\n`);
    if (removed) this.known.delete(name);
    else this.known.add(name);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Scans

  /** Newest first (see scan.ts); a closed store fails at the first batch asked for, as the SQLite store's scans do. */
  async *scan(request: ScanRequest, options: ScanOptions = {}): AsyncGenerator<Event[]> {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the event store is closed');
    this.reprobe();
    if (!this.fieldsColumn) {
      const has = await Promise.all(this.readers().map((r) => this.hasColumn(r, EVENTS_LOCAL, FIELDS).catch(() => false)));
      this.fieldsColumn = has.every((h) => h);
    }
    const ctx: ScanContext = {
      events: `${this.db}.${EVENTS}`,
      local: `${this.db}.${EVENTS_LOCAL}`,
      shards: this.shards.length,
      fields: this.fieldsColumn,
      read: (shard, sql, signal, chunk) => this.readShard(this.shards[shard]!, sql, signal, chunk),
      query: (sql) => this.query(sql),
      windowEvents: this.options.scanWindowEvents ?? 20_000,
      batchSize: this.options.scanBatchSize ?? 1000,
      batchChars: this.options.scanBatchChars ?? 512 * 1024,
    };
    yield* scanClickHouse(ctx, request, options);
  }

  /** The events a scan of `request` returns, counted per combination of the spec's columns by the shards (see aggregate.ts). */
  async aggregate(request: ScanRequest, spec: AggregateSpec, options: ScanOptions = {}): Promise<MetadataAggregate> {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the event store is closed');
    this.reprobe();
    const query = async (sql: string, signal?: AbortSignal): Promise<{ text: string; rowsRead?: number }> => {
      const logged = this.options.measureRowsRead === true;
      const queryId = logged ? randomUUID() : undefined;
      let replica: Replica | null = null;
      const rs = await this.firstReachable(this.readers(), 'querying ClickHouse', (r) => {
        replica = r;
        return r.client.query({ query: sql, format: 'TabSeparated', abort_signal: signal, ...(logged ? { query_id: queryId, clickhouse_settings: { log_queries: 1 } } : {}) });
      }).catch((err: unknown) => {
        signal?.throwIfAborted();
        throw err;
      });
      const text = await rs.text().catch((err: unknown) => {
        signal?.throwIfAborted();
        throw storeError('reading from ClickHouse', err);
      });
      let read = rowsReadOf(rs.response_headers['x-clickhouse-summary']);
      if (read === null && logged && replica !== null) {
        // The initiator's entry counts what every shard read (their progress is added to it).
        const r: Replica = replica;
        await r.client.command({ query: 'SYSTEM FLUSH LOGS' });
        const logText = await this.text(r, `SELECT read_rows FROM system.query_log WHERE query_id = ${quote(queryId!)} AND type = 2`);
        read = logText === '' ? null : Number(logText.split('\n')[0]);
      }
      return { text, ...(read !== null ? { rowsRead: read } : {}) };
    };
    return aggregateClickHouse({ events: `${this.db}.${EVENTS}`, query }, request, spec, options);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Indexes and retention

  /**
   * What an index's size counts (indexes(), maxBytes): `_raw` and its indexed fields' text, as the SQLite store's
   * `bytes`; `_raw` alone on a database read-only before a read-write vigil of this version added the column.
   */
  private bytesSql(): string {
    return this.fieldsColumn ? `sum(raw_bytes) + sum(length(${FIELDS}))` : 'sum(raw_bytes)';
  }

  async indexes(): Promise<IndexInfo[]> {
    await this.refreshIndexes();
    const stats = new Map<string, IndexInfo>();
    const rows = await this.query(`SELECT index, count(), ${this.bytesSql()}, min(t), max(t) FROM ${this.db}.${EVENTS} GROUP BY index`);
    for (const line of rows.split('\n')) {
      if (line === '') continue;
      const [name, events, bytes, lo, hi] = line.split('\t') as [string, string, string, string, string];
      const n = tsvValue(name);
      stats.set(n, { name: n, events: Number(events), bytes: Number(bytes), earliest: fromMicros(Number(lo)), latest: fromMicros(Number(hi)) });
    }
    return [...this.known]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((name) => stats.get(name) ?? { name, events: 0, bytes: 0, earliest: null, latest: null });
  }

  /**
   * From the names in memory: this store's own creations, deletions and appends at once; other nodes' changes
   * after at most `indexRefreshMs` (a refresh starts in the background when the set is older).
   */
  indexExists(name: string): boolean {
    if (Date.now() - this.knownAt > this.limits.indexRefreshMs && this.refreshing === null && !this.closed) {
      this.refreshing = this.refreshIndexes()
        .catch(() => undefined) // the names in memory stay; the next call tries again
        .finally(() => (this.refreshing = null));
    }
    return this.known.has(name);
  }

  private async refreshIndexes(): Promise<void> {
    const rows = await this.query(`SELECT name FROM ${this.db}.${INDEXES} GROUP BY name HAVING argMax(removed, version) = 0`);
    const names = new Set<string>();
    for (const line of rows.split('\n')) if (line !== '') names.add(tsvValue(line));
    this.known = names;
    this.knownAt = Date.now();
  }

  async createIndex(name: string): Promise<boolean> {
    this.writable();
    checkName(name, 'createIndex');
    await this.refreshIndexes();
    if (this.known.has(name)) return false;
    await this.writeIndexRow(name, 0);
    return true;
  }

  /** Marks the name removed, then drops every partition of the index on each shard; resolves with the events dropped. */
  async deleteIndex(name: string): Promise<number> {
    this.writable();
    checkName(name, 'deleteIndex');
    await this.refreshIndexes();
    if (!this.known.has(name)) throw new VigilError('CONTENT_NOT_FOUND', `no index named "${name}"`);
    await this.writeIndexRow(name, 1);
    let deleted = 0;
    for (const shard of this.shards) {
      const days = await this.partitions(shard, name);
      for (const d of days) {
        await this.dropPartition(shard, name, d.day);
        deleted += d.events;
      }
    }
    return deleted;
  }

  setRetention(retention: Record<string, RetentionPolicy>, defaultRetention?: RetentionPolicy): void {
    this.policies = { byIndex: { ...retention }, fallback: defaultRetention ?? null };
  }

  /**
   * Drops whole day partitions, per index: those whose newest event is older than `now - maxAgeSeconds`, then,
   * while the index's bytes (`_raw` and indexed fields) exceed `maxBytes`, its oldest day (on every shard) but never its newest.
   */
  async applyRetention(now: number): Promise<RetentionReport> {
    this.writable();
    await this.refreshIndexes();
    const report: RetentionReport = { deleted: [] };
    for (const index of [...this.known].sort()) {
      const policy = this.policies.byIndex[index] ?? this.policies.fallback;
      if (!policy || (policy.maxAgeSeconds === undefined && policy.maxBytes === undefined)) continue;
      // Day → per shard stats; a day is dropped on every shard together.
      const days = new Map<number, { maxT: number; events: number; bytes: number }>();
      const perShard = new Map<ShardQueue, Map<number, number>>();
      for (const shard of this.shards) {
        const parts = await this.partitions(shard, index);
        perShard.set(shard, new Map(parts.map((p) => [p.day, p.events])));
        for (const p of parts) {
          const d = days.get(p.day) ?? { maxT: -Infinity, events: 0, bytes: 0 };
          d.maxT = Math.max(d.maxT, p.maxT);
          d.events += p.events;
          d.bytes += p.bytes;
          days.set(p.day, d);
        }
      }
      const order = [...days.keys()].sort((a, b) => a - b);
      const drop: number[] = [];
      if (policy.maxAgeSeconds !== undefined) {
        const cutoff = toMicros(now - policy.maxAgeSeconds);
        for (const day of order) if (days.get(day)!.maxT < cutoff) drop.push(day);
      }
      if (policy.maxBytes !== undefined) {
        let bytes = 0;
        for (const day of order) if (!drop.includes(day)) bytes += days.get(day)!.bytes;
        for (const day of order.slice(0, -1)) {
          if (bytes <= policy.maxBytes) break;
          if (drop.includes(day)) continue;
          drop.push(day);
          bytes -= days.get(day)!.bytes;
        }
      }
      if (drop.length === 0) continue;
      let events = 0;
      for (const shard of this.shards) {
        for (const day of drop) {
          if (!perShard.get(shard)!.has(day)) continue;
          await this.dropPartition(shard, index, day);
          events += perShard.get(shard)!.get(day)!;
        }
      }
      report.deleted.push({ index, events, before: fromMicros((Math.max(...drop) + 1) * DAY_US) });
    }
    return report;
  }

  /** The index's day partitions on one shard (read on one of its replicas), with their rows, bytes and newest time. */
  private async partitions(shard: ShardQueue, index: string): Promise<{ day: number; events: number; bytes: number; maxT: number }[]> {
    const sql = `SELECT ${floorDivSql('t', DAY_US)} AS day, count(), ${this.bytesSql()}, max(t) FROM ${this.db}.${EVENTS_LOCAL} WHERE index = ${quote(index)} GROUP BY day ORDER BY day`;
    const text = await this.onShard(shard, (r) => this.text(r, sql));
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => {
        const [day, events, bytes, maxT] = l.split('\t').map(Number) as [number, number, number, number];
        return { day, events, bytes, maxT };
      });
  }

  /** DROP PARTITION on one replica of the shard: ClickHouse replicates it to the others. */
  private async dropPartition(shard: ShardQueue, index: string, day: number): Promise<void> {
    await this.onShard(shard, (r) => r.client.command({ query: `ALTER TABLE ${this.db}.${EVENTS_LOCAL} DROP PARTITION (${quote(index)}, ${quote(day)})` }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Accepted batches are inserted (or fail) before the clients go.
    while (this.shards.some((s) => s.running || s.queue.length > 0)) await sleep(5);
    await this.refreshing;
    await this.probing;
    await Promise.all(this.replicas.map((r) => r.client.close()));
  }

  private writable(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the event store is closed');
    if (this.readonly) throw new StoreError('STORE_IO', 'the event store is open read-only');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Requests

  private async text(r: Replica, sql: string): Promise<string> {
    const rs = await r.client.query({ query: sql, format: 'TabSeparated' });
    const text = await rs.text();
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  }

  /** Runs `f` on the first reachable replica among `replicas` (own first); other errors are not retried. */
  private async firstReachable<T>(replicas: readonly Replica[], what: string, f: (r: Replica) => Promise<T>): Promise<T> {
    let last: unknown = null;
    for (const r of this.byAnswer(replicas)) {
      try {
        const answer = await f(r);
        this.suspect.delete(r);
        return answer;
      } catch (err) {
        if (!isUnreachable(err)) throw storeError(what, err);
        this.noAnswer(r, err);
        last = err;
      }
    }
    throw storeError(what, last ?? new Error('no replica'));
  }

  /** `replicas` in their order, those that did not answer (and have not since) after the others. */
  private byAnswer(replicas: readonly Replica[]): readonly Replica[] {
    if (this.suspect.size === 0) return replicas;
    const late = replicas.filter((r) => this.suspect.has(r));
    return late.length === 0 ? replicas : [...replicas.filter((r) => !this.suspect.has(r)), ...late];
  }

  private noAnswer(r: Replica, err: unknown): void {
    if (!isUnreachable(err) || this.suspect.has(r)) return;
    this.suspect.add(r);
    void this.watch(r);
  }

  /** Asks a replica that did not answer `SELECT 1` every `reprobeMs` (bounded: it may hang) until it answers. */
  private async watch(r: Replica): Promise<void> {
    while (!this.closed && this.suspect.has(r)) {
      // Unref'd: a command's process ends with its work, not after this wait.
      await new Promise<void>((resolve) => setTimeout(resolve, Math.max(100, this.limits.reprobeMs)).unref());
      if (this.closed || !this.suspect.has(r)) return;
      const answered = await r.client
        .query({ query: 'SELECT 1', format: 'TabSeparated', abort_signal: AbortSignal.timeout(SUSPECT_PROBE_MS) })
        .then((rs) => rs.text())
        .then(
          () => true,
          () => false,
        );
      if (answered) this.suspect.delete(r);
    }
  }

  private onShard<T>(shard: ShardQueue, f: (r: Replica) => Promise<T>): Promise<T> {
    return this.firstReachable(shard.replicas, `ClickHouse shard ${shard.name}`, f);
  }

  private readers(): Replica[] {
    return this.replicas.filter((r) => r.shard !== null);
  }

  /** A query's whole TabSeparated answer (small answers only: catalogs, counts). */
  private query(sql: string): Promise<string> {
    return this.firstReachable(this.readers(), 'querying ClickHouse', (r) => this.text(r, sql));
  }

  /**
   * Passes a query's TabSeparated answer from one replica of the shard (own first) to `chunk` as it arrives (the
   * scan's windows). 'data' events, not the stream's async iterator: that one copies whatever is buffered into one
   * new Buffer at each step.
   */
  private async readShard(shard: ShardQueue, sql: string, signal: AbortSignal, chunk: (bytes: Buffer) => void): Promise<void> {
    // An aborted search ends with the signal's reason (what the engine reports as cancelled), not a store error.
    const { stream } = await this.onShard(shard, (r) => r.client.exec({ query: `${sql} FORMAT TabSeparated`, abort_signal: signal })).catch((err: unknown) => {
      signal.throwIfAborted();
      throw err;
    });
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (bytes: Buffer) => {
          try {
            chunk(bytes);
          } catch (err) {
            reject(err);
            stream.destroy();
          }
        });
        stream.once('end', resolve);
        const fail = (err: unknown) => reject(signal.aborted ? signal.reason : storeError('reading from ClickHouse', err));
        stream.once('error', fail);
        // After 'end' this changes nothing; before it, the answer was cut short.
        stream.once('close', () => fail(new Error('the answer ended early')));
      });
    } finally {
      stream.destroy();
    }
  }

  /** A small insert (catalog, version), with the quorum and the retries of `insert`. */
  private async insertOnAny(table: string, columns: string[], rows: string): Promise<void> {
    try {
      await this.insert(this.readers(), table, columns, rows);
    } catch (err) {
      throw storeError(`writing ${table}`, err);
    }
  }
}

function checkName(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || name === '') throw new VigilError('INPUT_MALFORMED', `${where}: name must be a non-empty string`);
}

/**
 * The batch's rows as TabSeparated lines (without the `batch` and `at` columns), and its id: the first 8 bytes of
 * the SHA-256 of those lines. A byte-identical retry, to any node, gets the same id and rows, hence the same shard.
 * An event without indexed fields is hashed as its line was before the `fields` column (without its empty field),
 * so a batch sent to an earlier vigil and retried to this one keeps its id (and is stored once).
 */
export function encodeBatch(events: readonly Event[]): { id: bigint; lines: string[] } {
  const lines: string[] = new Array<string>(events.length);
  const hash = createHash('sha256');
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const row = `${i}\t${toMicros(e._time)}\t${tsvField(e.index)}\t${tsvField(e.sourcetype)}\t${tsvField(e.source)}\t${tsvField(e.host)}\t${tsvField(e._raw)}`;
    const fields = indexedFieldsText(e.fields);
    if (fields === null) {
      hash.update(`${row}\n`);
      lines[i] = `${row}\t\n`;
    } else {
      const line = `${row}\t${tsvField(fields)}\n`;
      lines[i] = line;
      hash.update(line);
    }
  }
  return { id: hash.digest().readBigUInt64BE(0), lines };
}
