/**
 * Names, DDL and conversions shared by the writer (worker thread) and the readers (main thread).
 * The fixed tables live in migrations.ts; the per-bucket event tables are created on demand from here.
 */

/** Microseconds per second: `_time` is stored as an integer count of microseconds (exact, unlike REAL). */
export const MICROS = 1_000_000;

/**
 * Largest accepted |_time| in seconds (year 2255): beyond it microseconds are no longer exact in a double.
 * Appends outside this range are rejected; query bounds are clamped to it.
 */
export const MAX_ABS_TIME = 9_000_000_000;

/** `dict.kind` values: interned metadata strings. */
export const KIND_SOURCETYPE = 1;
export const KIND_SOURCE = 2;
export const KIND_HOST = 3;

/** Seconds per bucket for a new store (persisted in `store_settings.bucket_seconds`; fixed for the store's life). */
export const DEFAULT_BUCKET_SECONDS = 3600;

/** Event time in seconds → stored microseconds (rounded: n/1e6 round-trips exactly). */
export function toMicros(t: number): number {
  return Math.round(t * MICROS);
}

/** Stored microseconds → `_time` (the double nearest the exact value, like the file reader computes it). */
export function fromMicros(us: number): number {
  return us / MICROS;
}

/**
 * The least integer n with n/1e6 >= x: `_time >= x` ⇔ `t >= microsAtOrAfter(x)` exactly, so SQL bounds
 * agree with the engine's own comparison on the double, including at the edges.
 */
export function microsAtOrAfter(x: number): number {
  const c = Math.max(-MAX_ABS_TIME - 1, Math.min(MAX_ABS_TIME + 1, x));
  let n = Math.ceil(c * MICROS);
  while ((n - 1) / MICROS >= c) n--;
  while (n / MICROS < c) n++;
  return n;
}

/** `flags` bit: `_raw` contains U+0000 (the raw-filter pushdown lets such rows through unfiltered). */
export const FLAG_RAW_NUL = 1;
/**
 * `flags` bit: the row has indexed fields (`f` not NULL). Their values are not in `_raw`, so the raw-filter pushdown
 * lets such rows through for the search to decide; a bit of `flags`, which every table has, where `f` is missing
 * from tables made before migration 7.
 */
export const FLAG_INDEXED_FIELDS = 2;

/** `bucket_parts.st` of a bucket's mixed table `b<id>` (every sourcetype; dictionary ids start at 1). */
export const MIXED_PART = 0;

/**
 * Sourcetypes of a bucket with a table of their own (the first ones to arrive); the bucket's later sourcetypes share
 * its mixed table. Bounds the tables a client sending many sourcetypes can create (every connection parses the
 * whole schema) and the arms of a scan's query (SQLite allows 500 per compound SELECT).
 */
export const MAX_SOURCETYPE_TABLES = 8;

/** A bucket's mixed table: every sourcetype interleaved (the only table of a bucket written before migration 5). */
export function bucketTable(id: number): string {
  return `b${id}`;
}

/** A bucket's table (`bucket_parts` row): one sourcetype's (`b<id>_s<st>`) or the mixed one. */
export function partTable(id: number, st: number): string {
  return st === MIXED_PART ? bucketTable(id) : `b${id}_s${st}`;
}

/**
 * An event table of one bucket (one Splunk index × one time span): its mixed table (`st` MIXED_PART) or one
 * sourcetype's. The rowid is the store-wide insertion sequence, so ties on `t` order by arrival across tables too.
 * Indexes: `(t)` serves scans in time order; the mixed table's `(st, t)` serves "one sourcetype over a time range,
 * newest first". Both end in the rowid implicitly, which gives `ORDER BY t DESC, rowid DESC` straight from the index.
 * A sourcetype's table keeps the `st` column (one byte a row) so every condition of a scan reads the same on every
 * table. `flags` bit 0 (FLAG_RAW_NUL): `_raw` contains a NUL character, which SQL's LIKE cannot see past.
 * `fields` > 0 (the indexed fields' version, indexed-fields.ts): the process name's key `pn` and its index `(pn, t)`,
 * which serves "these process names, newest first". `text`: the column `f`, a HEC event's indexed fields
 * (`indexedFieldsText`, NULL for none: nothing stored for the events without); every table made since migration 7.
 */
export function createPartSql(id: number, st: number, fields: number, text: boolean): string {
  const t = partTable(id, st);
  return (
    `CREATE TABLE ${t} (t INTEGER NOT NULL, st INTEGER NOT NULL, src INTEGER NOT NULL, host INTEGER NOT NULL, raw TEXT NOT NULL, flags INTEGER${fields > 0 ? ', pn TEXT' : ''}${text ? ', f TEXT' : ''});` +
    (st === MIXED_PART ? `CREATE INDEX ${t}_st ON ${t} (st, t);` : '') +
    `CREATE INDEX ${t}_t ON ${t} (t);` +
    (fields > 0 ? `CREATE INDEX ${t}_pn ON ${t} (pn, t);` : '')
  );
}
