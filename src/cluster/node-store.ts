/**
 * What a vigil node stores into, opened from its config: the embedded SQLite store of its data dir (events and
 * scheduler state in one file, the single-machine default), or a cluster's ClickHouse (events, risk and notable
 * events) with the PostgreSQL control plane (run ledger and leases, findings, outbox, suppressions, console
 * state), the control plane's committed runs' events appended to ClickHouse (control-plane CONTEXT.md). See CONTEXT.md.
 */
import type { VigilConfig } from '../config/config.js';
import type { PostgresConsoleState } from '../control-plane/console-state.js';
import { openStore, type SqliteStore } from '../store/sqlite-store.js';
import type { EventStore, StateStore } from '../store/types.js';
import type { StoreLocator } from './locator.js';

export interface NodeStore {
  /** Events (and the risk/notable indexes). */
  events: EventStore;
  /** Scheduler and risk state. */
  state: StateStore;
  /**
   * The SQLite store when the node keeps everything in its data dir: what numbers events (seq), which data
   * model acceleration, the match index and acks across restarts need. Null on a cluster.
   */
  sqlite: SqliteStore | null;
  /** Sessions, detection toggles and macro edits every node shares (null: SQLite, kept by this process and its data dir). */
  console: PostgresConsoleState | null;
  /** Where worker threads find the events. */
  locator: StoreLocator;
  /** For logs: where the data is, without passwords. */
  description: string;
  close(): Promise<void>;
}

export interface NodeStoreOptions {
  /** Open the SQLite store read-only (CLI reads), else take its writer lock as `owner`. */
  readonly?: boolean;
  /** False: a SQLite data dir without a store is an error (StoreOptions.create). */
  create?: boolean;
  /** Named in the lock-refusal message of a SQLite data dir ('vigil serve', 'vigil backfill'). */
  owner?: string;
  /**
   * How often the control plane offers committed runs' events it still holds to ClickHouse again (ms; 0 never,
   * for a short-lived command). Default the control plane's (5 s).
   */
  eventRetryMs?: number;
  log?: (level: 'warn' | 'error', message: string) => void;
}

type StoreSettings = Pick<VigilConfig, 'store' | 'dataDir' | 'indexes'>;

/**
 * Opens what the config names. A cluster's servers are checked at once: ClickHouse unreachable (every url),
 * a shard with no replica answering, refused credentials, a schema of an older or newer vigil, PostgreSQL
 * unreachable or refusing → StoreError('STORE_IO') naming the server (never its password), each bounded by
 * the request/connect timeouts; nothing stays open after a failure.
 */
export async function openNodeStore(config: StoreSettings, opts: NodeStoreOptions = {}): Promise<NodeStore> {
  const retention = Object.fromEntries(Object.entries(config.indexes).map(([name, ix]) => [name, ix.retention]));
  if (config.store.type === 'sqlite') {
    const store = await openStore(config.dataDir, { retention, indexedFields: config.store.indexedFields, ...(opts.readonly ? { readonly: true } : {}), ...(opts.create === false ? { create: false } : {}), ...(opts.owner ? { owner: opts.owner } : {}) });
    return {
      events: store,
      state: store,
      sqlite: store,
      console: null,
      locator: { type: 'sqlite', dataDir: config.dataDir },
      description: `SQLite in ${config.dataDir}`,
      close: once(() => store.close()),
    };
  }
  const { clickhouse, postgres } = config.store;
  // Loaded only for a cluster: one machine never loads the ClickHouse and PostgreSQL clients.
  const [{ openClickHouseStore }, { openControlPlane }, { redactUrl }] = await Promise.all([
    import('../store/clickhouse/store.js'),
    import('../control-plane/control-plane.js'),
    import('../control-plane/connection.js'),
  ]);
  // Bound once the control plane is open: a shard's quorum inserts one node at a time (ClickHouseStoreOptions.shardLock).
  let shardLock: ((shard: string) => Promise<(() => Promise<void>) | null>) | null = null;
  const events = await openClickHouseStore(clickhouse, {
    retention,
    requestTimeoutMs: clickhouse.requestTimeoutMs,
    shardLock: (shard) => shardLock?.(shard) ?? Promise.resolve(null),
  });
  let state;
  try {
    state = await openControlPlane({
      url: postgres.url,
      ...(postgres.schema !== undefined ? { schema: postgres.schema } : {}),
      events,
      ...(opts.eventRetryMs !== undefined ? { eventRetryMs: opts.eventRetryMs } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } catch (err) {
    await events.close();
    throw err;
  }
  if (events.unreachable.length > 0) opts.log?.('warn', `ClickHouse replicas not answering at start (not used by this node until they answer; asked again every 10 s): ${events.unreachable.join(', ')}`);
  const control = state;
  // Waits at most as long as an insert would retry a busy shard (insertRetryMs, 10 s). Held at most 15 s: an insert
  // takes well under a second; a holder still in it then is stopped (SIGSTOP, a frozen VM) or stuck on a hung replica,
  // and every other node's insert into the shard would wait 10 s for it, again and again, until it came back.
  shardLock = (shard) => control.sharedLock(`clickhouse insert ${clickhouse.database} ${shard}`, 10_000, 15_000);
  return {
    events,
    state: control,
    sqlite: null,
    console: control.consoleState,
    locator: { type: 'clickhouse', clickhouse },
    description: `ClickHouse cluster "${clickhouse.cluster}" database ${clickhouse.database} (${clickhouse.urls.join(', ')}), control plane ${redactUrl(postgres.url)}`,
    // The control plane first: it may still hand runs' events to ClickHouse (its sweep), which closes after.
    close: once(async () => {
      try {
        await control.close();
      } finally {
        await events.close();
      }
    }),
  };
}

/** A close that runs once; later calls get the same promise (a failed start and its caller may both close). */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => (closing ??= close());
}
