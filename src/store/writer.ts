/**
 * The write side of the SQLite store: owns the one write connection (in the writer worker) and commits
 * groups of batches in one transaction. Synchronous on purpose: it runs off the main thread, and a
 * transaction must not interleave with anything else on its connection.
 */
import Database from 'better-sqlite3';
import type { PackedBatch, RetentionPolicies, WriteItem, WriteOutcome, WriterConfig } from './protocol.js';
import { STRINGS_PER_EVENT } from './protocol.js';
import {
  FLAG_INDEXED_FIELDS,
  FLAG_RAW_NUL,
  KIND_HOST,
  KIND_SOURCE,
  KIND_SOURCETYPE,
  MAX_SOURCETYPE_TABLES,
  MICROS,
  MIXED_PART,
  createPartSql,
  fromMicros,
  microsAtOrAfter,
  partTable,
  toMicros,
} from './schema.js';
import { INDEXED_FIELDS_VERSION, ALWAYS_READ, processNameKey } from './indexed-fields.js';
import { StateWriter } from './state.js';
import type { RetentionReport, StoreErrorCode } from './types.js';

type Db = Database.Database;
/**
 * An insert into a bucket table; `fields`: the version of the indexed fields the table was made with (0: no `pn`
 * column; else one more parameter, indexed-fields.ts); `text`: whether it has the column `f` (one more parameter).
 */
interface InsertRow {
  stmt: Database.Statement<(number | string | null)[]>;
  fields: number;
  text: boolean;
}

/** A bucket table's columns beyond the first ones: `bucket_parts.fields` and `has_f`. */
interface PartColumns {
  fields: number;
  text: boolean;
}

interface BucketHandle {
  id: number;
  /** Its tables (`bucket_parts.st`: sourcetype ids, MIXED_PART) and their columns. */
  parts: Map<number, PartColumns>;
  /** By sourcetype id: the insert into its own table. */
  inserts: Map<number, InsertRow>;
  /** The insert into the mixed table, shared by the sourcetypes past the bucket's most tables (prepared once). */
  mixed: InsertRow | null;
}

interface Acc {
  events: number;
  bytes: number;
  min: number;
  max: number;
}

interface BucketRow {
  id: number;
  end_us: number;
  events: number;
  bytes: number;
  max_us: number;
}

/** Caches are cleared past this many entries (a client sending unique hosts must not grow memory forever). */
const CACHE_LIMIT = 100_000;

/** SQLite's default `wal_autocheckpoint` (pages): checkpoints inside commits, when no checkpoint worker runs. */
const AUTO_CHECKPOINT_PAGES = 1000;
/**
 * With a checkpoint worker, the write connection still checkpoints by itself past this many WAL pages
 * (256 MiB): a safety net bounding the WAL should that worker stall; it normally restarts the WAL long before.
 */
const FALLBACK_CHECKPOINT_PAGES = 16384;

/** Maps a SQLite error to the store's error reasons (SQLite reports ENOSPC as SQLITE_FULL). */
export function classifyError(err: unknown): { reason: StoreErrorCode; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
  if (code === 'SQLITE_FULL') return { reason: 'STORE_FULL', message: `the event store is full: ${message}` };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return { reason: 'STORE_BUSY', message: `the event store is locked by another writer: ${message}` };
  }
  return { reason: 'STORE_IO', message: `cannot write to the event store: ${message}` };
}

export class Writer {
  private readonly db: Db;
  private readonly spanUs: number;
  /** Committed transactions so far (group commit: usually far fewer than batches). */
  commits = 0;

  private readonly indexIds = new Map<string, number>();
  private readonly dictIds = new Map<number, Map<string, number>>([
    [KIND_SOURCETYPE, new Map()],
    [KIND_SOURCE, new Map()],
    [KIND_HOST, new Map()],
  ]);
  private readonly buckets = new Map<number, Map<number, BucketHandle>>();
  private bucketCount = 0;
  /** `PRAGMA schema_version` when the bucket cache was last valid (another connection may drop tables). */
  private knownSchema = -1;

  private readonly getSeq;
  private readonly setSeq;
  private readonly findIndex;
  private readonly addIndex;
  private readonly removeIndex;
  private readonly findDict;
  private readonly addDict;
  private readonly findBucket;
  private readonly addBucket;
  private readonly updateBucket;
  private readonly listIndexes;
  private readonly bucketsOf;
  private readonly deleteBucket;
  private readonly partsOf;
  private readonly addPart;
  private readonly deleteParts;
  private readonly markText;
  private readonly state: StateWriter;
  /** The indexed fields' version new tables get (0: none, StoreOptions.indexedFields off). */
  private readonly newFields: number;

  constructor(config: WriterConfig) {
    const db = new Database(config.path, { fileMustExist: true, timeout: config.busyTimeoutMs });
    this.db = db;
    db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so a resolved append survives power loss, not only a crash.
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -32768');
    // Readers can pin old snapshots and let the WAL grow; cap what stays on disk once it is reset.
    db.pragma('journal_size_limit = 67108864');
    db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    if (config.maxPageCount !== null) db.pragma(`max_page_count = ${Math.floor(config.maxPageCount)}`);

    const span = db.prepare("SELECT value FROM store_settings WHERE key = 'bucket_seconds'").pluck().get();
    if (typeof span !== 'number' || !(span > 0)) throw new Error('store_settings.bucket_seconds is missing');
    this.spanUs = Math.round(span * MICROS);
    this.newFields = config.indexedFields ? INDEXED_FIELDS_VERSION : 0;

    this.getSeq = db.prepare<[], number>("SELECT value FROM counters WHERE name = 'seq'").pluck();
    this.setSeq = db.prepare<[number]>("UPDATE counters SET value = ? WHERE name = 'seq'");
    this.findIndex = db.prepare<[string], number>('SELECT id FROM splunk_indexes WHERE name = ? AND removed = 0').pluck();
    // An append creates its index, or brings a deleted one back (same id).
    this.addIndex = db
      .prepare<[string], number>('INSERT INTO splunk_indexes (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET removed = 0 RETURNING id')
      .pluck();
    this.removeIndex = db.prepare<[number]>('UPDATE splunk_indexes SET removed = 1 WHERE id = ?');
    this.findDict = db.prepare<[number, string], number>('SELECT id FROM dict WHERE kind = ? AND value = ?').pluck();
    this.addDict = db.prepare<[number, string], number>('INSERT INTO dict (kind, value) VALUES (?, ?) RETURNING id').pluck();
    this.findBucket = db.prepare<[number, number], number>('SELECT id FROM buckets WHERE index_id = ? AND start_us = ?').pluck();
    this.addBucket = db
      .prepare<[number, number, number], number>('INSERT INTO buckets (index_id, start_us, end_us) VALUES (?, ?, ?) RETURNING id')
      .pluck();
    this.updateBucket = db.prepare<[number, number, number, number, number, number, number]>(
      'UPDATE buckets SET events = events + ?, bytes = bytes + ?, min_us = min(coalesce(min_us, ?), ?), ' +
        'max_us = max(coalesce(max_us, ?), ?) WHERE id = ?',
    );
    this.listIndexes = db.prepare<[], { id: number; name: string }>('SELECT id, name FROM splunk_indexes ORDER BY id');
    this.bucketsOf = db.prepare<[number], BucketRow>(
      'SELECT id, end_us, events, bytes, max_us FROM buckets WHERE index_id = ? ORDER BY start_us',
    );
    this.deleteBucket = db.prepare<[number]>('DELETE FROM buckets WHERE id = ?');
    this.partsOf = db.prepare<[number], { st: number; fields: number; has_f: number }>('SELECT st, fields, has_f FROM bucket_parts WHERE bucket_id = ?');
    this.addPart = db.prepare<[number, number, number]>('INSERT INTO bucket_parts (bucket_id, st, fields, has_f) VALUES (?, ?, ?, 1)');
    this.deleteParts = db.prepare<[number]>('DELETE FROM bucket_parts WHERE bucket_id = ?');
    this.markText = db.prepare<[number, number]>('UPDATE bucket_parts SET has_f = 1 WHERE bucket_id = ? AND st = ?');
    this.state = new StateWriter(db);
  }

  /**
   * Commits the items (append batches, run commits, state updates) in one transaction (one fsync). If
   * that fails, each item is retried alone so one bad item (or a nearly full disk) fails only itself; an
   * item is never partially stored. Logical refusals (a run already in the ledger, an unknown finding)
   * are detected before the item writes anything, so they fail only that item without a retry.
   */
  commit(items: readonly WriteItem[]): WriteOutcome[] {
    try {
      return this.write(items);
    } catch (err) {
      this.abort();
      const failure = classifyError(err);
      // Locked by another writer: retrying item by item would wait busy_timeout once per item.
      if (items.length === 1 || failure.reason === 'STORE_BUSY') return items.map((b) => ({ id: b.id, ok: false, ...failure }));
    }
    return items.map((b): WriteOutcome => {
      try {
        return this.write([b])[0]!;
      } catch (err) {
        this.abort();
        return { id: b.id, ok: false, ...classifyError(err) };
      }
    });
  }

  /**
   * One transaction for events and other rows that must commit with them (`extra`): all or nothing;
   * rolls back and rethrows on failure. Run commits go through `commit` (a `run` item) instead, so they
   * share group commits with appends.
   */
  writeAtomically(batches: readonly PackedBatch[], extra: (db: Db) => void): void {
    try {
      this.write(batches, extra);
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Leaves the transaction open when it throws: callers roll back (`abort`). */
  private write(items: readonly WriteItem[], extra?: (db: Db) => void): WriteOutcome[] {
    const db = this.db;
    db.exec('BEGIN IMMEDIATE');
    this.syncSchema();
    let seq = this.getSeq.get() ?? 0;
    const touched = new Map<BucketHandle, Acc>();
    let lastIid = -1;
    let lastKey = Number.NaN;
    let last: BucketHandle | null = null;
    let lastAcc: Acc | null = null;
    const outcomes: WriteOutcome[] = [];
    for (const b of items) {
      if (b.type === 'state') {
        const op = b.op;
        if (op.op === 'createIndex' || op.op === 'deleteIndex') {
          // Earlier appends of this transaction counted in the catalog first: a delete reports their events.
          this.updateBuckets(touched);
          touched.clear();
          outcomes.push(op.op === 'createIndex' ? this.createIndex(b.id, op.name) : this.deleteIndex(b.id, op.name));
          last = null; // the bucket handles may be gone
        } else {
          outcomes.push(this.state.apply(b.id, op));
        }
        continue;
      }
      // The lease, then the ledger row: if another node runs it or it ran, nothing of this item is written.
      if (b.type === 'run') {
        const r = b.run;
        const holder = this.state.leaseConflict(r.detectionId, r.scheduledTime, b.lease.node, b.lease.now);
        if (holder !== null) {
          outcomes.push({ id: b.id, ok: false, reason: 'STORE_CONFLICT', message: `the run of ${r.detectionId} at ${r.scheduledTime} is leased to node ${holder}` });
          continue;
        }
        if (!this.state.addLedgerRow(r)) {
          outcomes.push({ id: b.id, ok: false, reason: 'STORE_CONFLICT', message: `the run of ${r.detectionId} at ${r.scheduledTime} is already in the ledger` });
          continue;
        }
        this.state.releaseLease(r.detectionId, r.scheduledTime);
      }
      const { times, strings, fields } = b;
      const firstSeq = seq + 1;
      for (let i = 0, j = 0; i < times.length; i++, j += STRINGS_PER_EVENT) {
        const us = toMicros(times[i]!);
        const iid = this.indexId(strings[j]!);
        const key = Math.floor(us / this.spanUs);
        if (last === null || iid !== lastIid || key !== lastKey) {
          last = this.bucket(iid, key);
          lastIid = iid;
          lastKey = key;
          lastAcc = touched.get(last) ?? null;
          if (lastAcc === null) {
            lastAcc = { events: 0, bytes: 0, min: us, max: us };
            touched.set(last, lastAcc);
          }
        }
        const raw = strings[j + 4]!;
        const text = fields?.[i] ?? null;
        const st = this.dictId(KIND_SOURCETYPE, strings[j + 1]!);
        let insert = last.inserts.get(st) ?? this.part(last, st);
        if (text !== null && !insert.text) insert = this.addText(last, st, insert);
        const src = this.dictId(KIND_SOURCE, strings[j + 2]!);
        const host = this.dictId(KIND_HOST, strings[j + 3]!);
        const flags = (raw.includes('\0') ? FLAG_RAW_NUL : 0) | (text !== null ? FLAG_INDEXED_FIELDS : 0) || null;
        const values: (number | string | null)[] = [++seq, us, st, src, host, raw, flags];
        if (insert.fields === INDEXED_FIELDS_VERSION) {
          // Indexed fields may hold a process name `_raw` lacks: the row is read by every process-name scan.
          const e = { _time: times[i]!, index: strings[j]!, sourcetype: strings[j + 1]!, source: strings[j + 2]!, host: strings[j + 3]!, _raw: raw };
          values.push(text !== null ? ALWAYS_READ : processNameKey(e));
        } else if (insert.fields > 0) {
          // A table of another version of the rule (a build with another one made it): a build of that version
          // trusts its keys, so this rule's key could hide the row from it; `*` is read by every version.
          values.push(ALWAYS_READ);
        }
        if (insert.text) values.push(text);
        insert.stmt.run(...values);
        const acc = lastAcc!;
        acc.events++;
        // An index's size (retention's maxSize, indexes()) counts what the event holds: `_raw` and its indexed fields.
        acc.bytes += Buffer.byteLength(raw, 'utf8') + (text !== null ? Buffer.byteLength(text, 'utf8') : 0);
        if (us < acc.min) acc.min = us;
        if (us > acc.max) acc.max = us;
      }
      if (b.type === 'run') this.state.insertOutputs(b);
      outcomes.push({ id: b.id, ok: true, firstSeq });
    }
    this.updateBuckets(touched);
    this.setSeq.run(seq);
    extra?.(db);
    this.knownSchema = this.schemaVersion();
    db.exec('COMMIT');
    this.commits++;
    return outcomes;
  }

  /** Drops whole buckets per index: first those entirely older than maxAge, then the oldest while over maxBytes. */
  applyRetention(now: number, policies: RetentionPolicies): RetentionReport {
    const db = this.db;
    const deleted: RetentionReport['deleted'] = [];
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const { id: iid, name } of this.listIndexes.all()) {
        const p = policies.byIndex[name] ?? policies.byIndex[name.toLowerCase()] ?? policies.fallback;
        if (!p) continue;
        const rows = this.bucketsOf.all(iid);
        let drop = 0;
        if (p.maxAgeSeconds !== undefined) {
          const cutoff = microsAtOrAfter(now - p.maxAgeSeconds);
          while (drop < rows.length && rows[drop]!.max_us < cutoff) drop++;
        }
        if (p.maxBytes !== undefined) {
          let total = 0;
          for (let i = drop; i < rows.length; i++) total += rows[i]!.bytes;
          // The newest bucket is kept (it is being written): an index may exceed maxBytes by one bucket.
          while (total > p.maxBytes && drop < rows.length - 1) total -= rows[drop++]!.bytes;
        }
        if (drop === 0) continue;
        let events = 0;
        for (let i = 0; i < drop; i++) {
          const r = rows[i]!;
          this.dropBucket(r.id);
          events += r.events;
        }
        deleted.push({ index: name, events, before: fromMicros(rows[drop - 1]!.end_us) });
      }
      db.exec('COMMIT');
    } catch (err) {
      this.abort();
      throw err;
    }
    this.clearBuckets();
    return { deleted };
  }

  /**
   * `true`: a checkpoint worker copies the WAL into the database, so this connection's own automatic
   * checkpoints (which run inside COMMIT, fsyncing the database while the group waits) are pushed back
   * to a safety limit. `false`: back to SQLite's default.
   */
  checkpointElsewhere(on: boolean): void {
    this.db.pragma(`wal_autocheckpoint = ${on ? FALLBACK_CHECKPOINT_PAGES : AUTO_CHECKPOINT_PAGES}`);
  }

  /**
   * Copies what the checkpoint worker has not yet copied (a PASSIVE checkpoint between two transactions,
   * normally a small tail), so that the next transaction can start the WAL over from its beginning.
   * Failures (a full disk) are left to the next attempt: the WAL keeps every frame meanwhile.
   */
  checkpointTail(): void {
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // The frames stay in the WAL, durable; the checkpoint worker asks again later.
    }
  }

  close(): void {
    this.abort();
    this.db.close();
  }

  private schemaVersion(): number {
    return this.db.pragma('schema_version', { simple: true }) as number;
  }

  private syncSchema(): void {
    const v = this.schemaVersion();
    if (v !== this.knownSchema) {
      this.clearBuckets();
      // Another connection dropped tables: it may have deleted an index too.
      this.indexIds.clear();
      this.knownSchema = v;
    }
  }

  private clearBuckets(): void {
    this.buckets.clear();
    this.bucketCount = 0;
  }

  /** After a failed transaction: roll back and forget every id learnt inside it (they were rolled back too). */
  private abort(): void {
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } catch {
      // SQLite may already have rolled back on SQLITE_FULL/IOERR; nothing else to undo.
    }
    this.indexIds.clear();
    for (const m of this.dictIds.values()) m.clear();
    this.clearBuckets();
    this.knownSchema = -1;
  }

  private indexId(name: string): number {
    let id = this.indexIds.get(name);
    if (id === undefined) {
      id = this.findIndex.get(name) ?? this.addIndex.get(name)!;
      this.indexIds.set(name, id);
    }
    return id;
  }

  private updateBuckets(touched: Map<BucketHandle, Acc>): void {
    for (const [h, a] of touched) this.updateBucket.run(a.events, a.bytes, a.min, a.min, a.max, a.max, h.id);
  }

  private createIndex(id: number, name: string): WriteOutcome {
    const created = this.findIndex.get(name) === undefined;
    this.indexId(name);
    return { id, ok: true, created };
  }

  /** Drops the index's buckets and marks it removed, inside the current transaction. */
  private deleteIndex(id: number, name: string): WriteOutcome {
    const iid = this.findIndex.get(name);
    if (iid === undefined) return { id, ok: false, reason: 'NOT_FOUND', message: `no index named "${name}"` };
    let events = 0;
    for (const r of this.bucketsOf.all(iid)) {
      this.dropBucket(r.id);
      events += r.events;
    }
    this.removeIndex.run(iid);
    this.indexIds.delete(name);
    this.clearBuckets();
    return { id, ok: true, deletedEvents: events };
  }

  private dictId(kind: number, value: string): number {
    const m = this.dictIds.get(kind)!;
    let id = m.get(value);
    if (id === undefined) {
      id = this.findDict.get(kind, value) ?? this.addDict.get(kind, value)!;
      if (m.size >= CACHE_LIMIT) m.clear();
      m.set(value, id);
    }
    return id;
  }

  private bucket(iid: number, key: number): BucketHandle {
    const cached = this.buckets.get(iid)?.get(key);
    if (cached !== undefined) return cached;
    const start = key * this.spanUs;
    let id = this.findBucket.get(iid, start);
    if (id === undefined) id = this.addBucket.get(iid, start, start + this.spanUs)!;
    const h: BucketHandle = { id, parts: new Map(this.partsOf.all(id).map((p) => [p.st, { fields: p.fields, text: p.has_f === 1 }])), inserts: new Map(), mixed: null };
    if (this.bucketCount >= 1000) this.clearBuckets();
    let perIndex = this.buckets.get(iid);
    if (perIndex === undefined) {
      perIndex = new Map();
      this.buckets.set(iid, perIndex);
    }
    perIndex.set(key, h);
    this.bucketCount++;
    return h;
  }

  /**
   * The insert for a sourcetype's rows in a bucket: into its own table (created with its first row), or into the
   * bucket's mixed table once the bucket has MAX_SOURCETYPE_TABLES of them. That one is prepared once for all the
   * sourcetypes sharing it: a statement each would let a client sending many sourcetypes fill the memory.
   */
  private part(h: BucketHandle, st: number): InsertRow {
    if (!h.parts.has(st) && h.parts.size - (h.parts.has(MIXED_PART) ? 1 : 0) >= MAX_SOURCETYPE_TABLES) {
      return (h.mixed ??= this.insertInto(h, MIXED_PART));
    }
    const insert = this.insertInto(h, st);
    h.inserts.set(st, insert);
    return insert;
  }

  /**
   * The insert for sourcetype `st`'s rows once its table (`insert`'s, made before migration 7) has the column `f`,
   * added now, in this transaction, for its first event with indexed fields: one ALTER (a schema reload) per old
   * table that ever gets one, instead of every table's at the migration.
   */
  private addText(h: BucketHandle, st: number, insert: InsertRow): InsertRow {
    const table = insert === h.mixed ? MIXED_PART : st;
    this.db.exec(`ALTER TABLE ${partTable(h.id, table)} ADD COLUMN f TEXT`);
    this.markText.run(h.id, table);
    h.parts.get(table)!.text = true;
    const next = this.insertInto(h, table);
    if (table === MIXED_PART) h.mixed = next;
    if (h.inserts.get(st) === insert) h.inserts.set(st, next);
    return next;
  }

  /**
   * An insert into one of a bucket's tables, created (and listed in bucket_parts) when it is new, with the indexed
   * fields unless they are off. A table made before them (the current bucket of an upgraded store), or while they
   * were off, goes on as it was made.
   */
  private insertInto(h: BucketHandle, table: number): InsertRow {
    let part = h.parts.get(table);
    if (part === undefined) {
      part = { fields: this.newFields, text: true };
      this.db.exec(createPartSql(h.id, table, part.fields, true));
      this.addPart.run(h.id, table, part.fields);
      h.parts.set(table, part);
    }
    const { fields, text } = part;
    const columns = `rowid, t, st, src, host, raw, flags${fields > 0 ? ', pn' : ''}${text ? ', f' : ''}`;
    const stmt = this.db.prepare<(number | string | null)[]>(`INSERT INTO ${partTable(h.id, table)} (${columns}) VALUES (${columns.split(',').map(() => '?').join(', ')})`);
    return { stmt, fields, text };
  }

  /** Drops a bucket: each of its tables, and its catalog rows. */
  private dropBucket(id: number): void {
    for (const { st } of this.partsOf.all(id)) this.db.exec(`DROP TABLE ${partTable(id, st)}`);
    this.deleteParts.run(id);
    this.deleteBucket.run(id);
  }
}
