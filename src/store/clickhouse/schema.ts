/**
 * The ClickHouse schema of the event store: names, DDL and the time arithmetic SQL shares with JS. See CONTEXT.md
 * ("Schema") for why each choice.
 */
import { ident, quote } from './sql.js';

/**
 * Bumped by a change of any table below that an older vigil cannot work with; a database holding another version is
 * refused at open. Columns added since (ADDED_COLUMNS) need no bump: every statement names its columns, so an older
 * vigil reads and writes such a table unchanged.
 */
export const SCHEMA_VERSION = 1;

/** Microseconds per day: the partition unit. */
export const DAY_US = 86_400_000_000;
/** Microseconds per hour: the census unit a scan sizes its windows with. */
export const HOUR_US = 3_600_000_000;

/** `floor(t / unit)` in exact integer arithmetic (intDiv truncates toward zero; times before 1970 are negative). */
export function floorDivSql(column: string, unit: number): string {
  return `(intDiv(${column}, ${unit}) - (${column} < 0 AND ${column} % ${unit} != 0))`;
}

export const EVENTS_LOCAL = 'events_local';
export const EVENTS = 'events';
export const INDEXES = 'vigil_indexes';
export const META = 'vigil_meta';

/**
 * An event's indexed fields (HEC `fields`): `indexedFieldsText`, '' for none (an empty String costs a byte a row
 * before compression, and nothing to decode on read).
 */
export const FIELDS = 'fields';
const FIELDS_TYPE = "String DEFAULT ''";

/** Columns of an inserted row, in the order of the TabSeparated lines the store writes. */
export const INSERT_COLUMNS = ['batch', 'at', 'n', 't', 'index', 'sourcetype', 'source', 'host', 'raw', FIELDS];

/**
 * Columns added to version 1's tables after they were first made: a read-write open adds each where it is missing
 * (18.16 has no `ADD COLUMN IF NOT EXISTS`: system.columns is asked first), the replicated table once for its
 * replicas, the Distributed table on each server.
 */
export const ADDED_COLUMNS: readonly { table: string; name: string; type: string }[] = [
  { table: EVENTS_LOCAL, name: FIELDS, type: FIELDS_TYPE },
  { table: EVENTS, name: FIELDS, type: FIELDS_TYPE },
];

export interface SchemaNames {
  database: string;
  cluster: string;
}

/** The statements that create the schema on one replica (each `IF NOT EXISTS`: running them again changes nothing). */
export function schemaDdl({ database, cluster }: SchemaNames): string[] {
  const db = ident(database);
  const zk = (table: string) => quote(`/clickhouse/vigil/${database}/tables/${table}`);
  return [
    `CREATE DATABASE IF NOT EXISTS ${db}`,
    // Events, one table per shard replicated between its replicas. Replacing on the whole sorting key: a
    // batch's event is (batch, n); a retried batch's copy collapses into it when parts merge, and scans
    // skip copies before that (see CONTEXT.md "Exactly once"). `at` orders ties on t as arrival does.
    // `raw_bytes`: what sizes count (indexes(), maxBytes) without reading `raw`.
    `CREATE TABLE IF NOT EXISTS ${db}.${EVENTS_LOCAL} (
       batch UInt64, at Int64, n UInt32, t Int64, index String, sourcetype String, source String, host String, raw String,
       raw_bytes UInt32 MATERIALIZED length(raw), ${FIELDS} ${FIELDS_TYPE}
     ) ENGINE = ReplicatedReplacingMergeTree(${zk('{shard}/events')}, '{replica}')
     PARTITION BY (index, ${floorDivSql('t', DAY_US)})
     ORDER BY (index, sourcetype, t, batch, n)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${EVENTS} AS ${db}.${EVENTS_LOCAL}
     ENGINE = Distributed(${ident(cluster)}, ${db}, ${EVENTS_LOCAL}, batch)`,
    // The index catalog and the schema version: one table replicated on every replica of every shard.
    `CREATE TABLE IF NOT EXISTS ${db}.${INDEXES} (name String, removed UInt8, version UInt64)
     ENGINE = ReplicatedReplacingMergeTree(${zk('all/indexes')}, '{shard}_{replica}', version) ORDER BY name`,
    `CREATE TABLE IF NOT EXISTS ${db}.${META} (key String, value String)
     ENGINE = ReplicatedReplacingMergeTree(${zk('all/meta')}, '{shard}_{replica}') ORDER BY key`,
  ];
}
