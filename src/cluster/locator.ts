/**
 * Where a node's events are, as plain data a worker thread receives (workerData): worker threads open their
 * own connection from it rather than share the main thread's.
 */
import type { ClickHouseStoreConfig } from '../config/config.js';
import type { ClickHouseStore } from '../store/clickhouse/store.js';
import { openStore, type SqliteStore } from '../store/sqlite-store.js';

export type StoreLocator = { type: 'sqlite'; dataDir: string } | { type: 'clickhouse'; clickhouse: ClickHouseStoreConfig };

/**
 * The events for searching: the SQLite store of the data dir read-only (never its writer lock; `scanThread`: whether
 * its full scans may run on its scan thread, default yes, `'prestart'`: and that thread starts now, for a reader that
 * runs many searches), or the
 * ClickHouse cluster (appends are never made through it). Rejects with the store's errors (STORE_IO: unreachable,
 * refused, a schema of another vigil version).
 */
export async function openEventReader(locator: StoreLocator, options: { scanThread?: boolean | 'prestart' } = {}): Promise<SqliteStore | ClickHouseStore> {
  // `scanThread: false` (`--threads 1`): full scans step SQLite on the calling thread, never on the store's scan thread.
  if (locator.type === 'sqlite') {
    const thread = options.scanThread === false ? { scanThreadMinEvents: Infinity } : options.scanThread === 'prestart' ? { prestartScanThread: true } : {};
    return openStore(locator.dataDir, { readonly: true, ...thread });
  }
  // Loaded only for a cluster: a worker of one machine never loads the ClickHouse client.
  const { openClickHouseStore } = await import('../store/clickhouse/store.js');
  // Read-only: a worker checks the schema a node made and creates nothing (no DDL on every replica per worker).
  return openClickHouseStore(locator.clickhouse, { readonly: true, requestTimeoutMs: locator.clickhouse.requestTimeoutMs });
}
