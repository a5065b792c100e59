/**
 * The read side of the SQLite store: a pool of read-only connections and the scan (pushdown planning,
 * one read transaction per scan, bucket-by-bucket merge newest first, bounded batches).
 */
import Database from 'better-sqlite3';
import { parseIndexedFields, type Event } from '../events/event.js';
import { GUARD_ESCAPE, GUARD_KELVIN, GUARD_LONG_S, GUARD_SLASH, compileRawFilter, literalGuards, samplePassCount, wildcardMatcher, type MetadataConstraint, type MetadataField, type RawFilter, type ScanOptions, type ScanRequest } from '../events/scan.js';
import { FLAG_INDEXED_FIELDS, FLAG_RAW_NUL, KIND_HOST, KIND_SOURCE, KIND_SOURCETYPE, MIXED_PART, fromMicros, microsAtOrAfter, partTable } from './schema.js';
import { INDEXED_FIELDS_VERSION, processNameKeys } from './indexed-fields.js';
import { StoreError } from './types.js';

export type Db = Database.Database;

export class ReadPool {
  private readonly idle: Db[] = [];
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    private readonly maxIdle = 4,
  ) {}

  acquire(): Db {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the event store is closed');
    return this.idle.pop() ?? this.open();
  }

  release(db: Db): void {
    if (db.inTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // a read transaction has nothing to undo
      }
    }
    if (this.closed || this.idle.length >= this.maxIdle) db.close();
    else this.idle.push(db);
  }

  close(): void {
    this.closed = true;
    for (const db of this.idle.splice(0)) db.close();
  }

  private open(): Db {
    try {
      return openReader(this.path, this.busyTimeoutMs);
    } catch (err) {
      // A damaged file (its header readable, its first page not) was `vigil search`'s "internal error".
      throw sqliteReadError(err, `cannot open the event store ${this.path}`);
    }
  }
}

/** A read connection (the pool's, the scan thread's): readonly never takes the write lock, so scans work while the writer (any process) commits. */
export function openReader(path: string, busyTimeoutMs: number): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  db.pragma('cache_size = -16384');
  return db;
}

/**
 * id → string for the metadata dictionary and the Splunk indexes. Rows there are never changed or
 * deleted and ids grow with each commit, so refreshing `id > max seen` inside a scan's read transaction
 * gives every id that snapshot can contain; the cache is shared by all connections.
 */
/**
 * Dictionary names (sourcetype, source, host) a reader keeps at most; past it the cache starts over. Every distinct
 * value is in the dictionary for good (retention never removes one), and readers used to load them all: with
 * 1,000,000 distinct sources a `vigil search --data-dir` started 4 s later and held ~550 MB more.
 */
export const NAME_CACHE_LIMIT = 65_536;
/** Dictionary ids read together on a miss (see `NameCache.name`). */
const NAME_WINDOW = 64;

/**
 * Index names (all of them, few) and the dictionary names of the ids a reader met (`NAME_CACHE_LIMIT` at most): each
 * id's name is read on its first use. Dictionary rows never change nor go away, so a name read in any snapshot later
 * than the one holding the id is its name.
 */
export class NameCache {
  private maxIndexId = 0;
  private readonly names = new Map<number, string>();
  private readonly statements = new WeakMap<Db, Database.Statement<[number, number], [number, string]>>();
  readonly indexes = new Map<number, string>();

  /** Reads the index names added since the last call (for a scan, its first read, which starts its snapshot). */
  refresh(db: Db): void {
    const idx = db
      .prepare<[number], [number, string]>('SELECT id, name FROM splunk_indexes WHERE id > ? ORDER BY id')
      .raw()
      .all(this.maxIndexId);
    for (const [id, name] of idx) {
      this.indexes.set(id, name);
      if (id > this.maxIndexId) this.maxIndexId = id;
    }
  }

  /** Dictionary names held now (at most NAME_CACHE_LIMIT). */
  get size(): number {
    return this.names.size;
  }

  /** The name of dictionary id `id` if this cache holds it. */
  cached(id: number): string | undefined {
    return this.names.get(id);
  }

  /**
   * The name of dictionary id `id` ('' when there is none), read from `db` on a miss (`db` must not be stepping a
   * query) with its neighbours: ids are handed out as values first arrive, so rows stored together mostly have ids
   * close together (1,000,000 distinct sources scanned: ~7 µs a row read one by one, ~1 µs in windows of 64).
   */
  name(id: number, db: Db): string {
    const known = this.names.get(id);
    if (known !== undefined) return known;
    let stmt = this.statements.get(db);
    if (stmt === undefined) {
      stmt = db.prepare<[number, number], [number, string]>('SELECT id, value FROM dict WHERE id BETWEEN ? AND ?').raw();
      this.statements.set(db, stmt);
    }
    const rows = stmt.all(id - NAME_WINDOW / 2 + 1, id + NAME_WINDOW / 2);
    if (this.names.size + rows.length > NAME_CACHE_LIMIT) this.names.clear();
    for (const [k, v] of rows) this.names.set(k, v);
    return this.names.get(id) ?? '';
  }

  /** Every id and name of a kind in `db`'s snapshot, read as iterated (nothing kept). */
  *entries(db: Db, kind: number): Generator<[number, string]> {
    yield* db.prepare<[number], [number, string]>('SELECT id, value FROM dict WHERE kind = ? ORDER BY id').raw().iterate(kind);
  }
}

/**
 * Dictionary names for a scan's rows: the cache, and on a miss a read on a connection of the pool, taken at the first
 * miss and kept until `release()` (the scan's own connection is stepping its query; one taken per miss cost ~7 µs).
 */
export class NameLookup {
  private db: Db | null = null;

  constructor(
    private readonly names: NameCache,
    private readonly pool: ReadPool,
  ) {}

  value(id: number): string {
    return this.names.cached(id) ?? this.names.name(id, (this.db ??= this.pool.acquire()));
  }

  release(): void {
    if (this.db !== null) this.pool.release(this.db);
    this.db = null;
  }
}

/** What a scan asks of SQL. Id lists are `null` when unconstrained. */
export interface ScanPlan {
  /** `t >= lo` (microseconds), or null. */
  lo: number | null;
  /** `t < hi`, or null. */
  hi: number | null;
  indexIds: number[] | null;
  sourcetypeIds: number[] | null;
  sourceIds: number[] | null;
  hostIds: number[] | null;
  raw: SqlCondition | null;
  /** The `pn` keys of the process names read (indexed-fields.ts), or null: every row. */
  processNames?: string[] | null;
}

export interface SqlCondition {
  sql: string;
  params: string[];
}

/** More sourcetype ids than this: one arm per table over the `(t)` index, filtering `st`, instead of one arm per id. */
const MAX_SOURCETYPE_ARMS = 8;
/** More process names than this (the always-read key included): the table is read over its `(t)` index. */
const MAX_PROCESS_NAME_ARMS = 16;
/** Larger id lists are not pushed down (the engine re-checks everything anyway). */
const MAX_IN_LIST = 1000;
/**
 * A search's filters with more literal tests than this are tested in JavaScript, not SQL: an OR of n terms is an
 * expression n deep, and SQLite refuses past 1000 (`process_name IN (<thousands of names>)` failed as an internal error).
 */
const MAX_SQL_TERMS = 400;

const FIELD_KIND: Record<Exclude<MetadataField, 'index'>, number> = {
  sourcetype: KIND_SOURCETYPE,
  source: KIND_SOURCE,
  host: KIND_HOST,
};

/**
 * Ids whose value passes every constraint on `field` (each: one of its patterns, case-insensitive, `*`
 * wildcards: exactly metadataPredicate's rule), or null when the field is unconstrained.
 */
function matchIds(entries: Iterable<readonly [number, string]>, constraints: readonly MetadataConstraint[], field: MetadataField): number[] | null {
  const cs = constraints.filter((c) => c.field === field);
  if (cs.length === 0) return null;
  const tests = cs.map((c) => c.patterns.map(wildcardMatcher));
  const ids: number[] = [];
  let all = 0;
  for (const [id, v] of entries) {
    all++;
    if (tests.every((ms) => ms.some((m) => m(v)))) ids.push(id);
  }
  return ids.length === all || ids.length > MAX_IN_LIST ? null : ids;
}

/** A row of the scan's first rows (`sampleRows`): its sourcetype id and `_raw`. */
export interface SampleRow {
  st: number;
  raw: string;
}

/**
 * The SQL of a request's time range and metadata (its raw filter: `planRaw`). Returns null when nothing can match
 * (an empty id set).
 */
export function planScan(db: Db, req: ScanRequest, names: NameCache): ScanPlan | null {
  const indexEntries = [...names.indexes];
  let indexIds = matchIds(indexEntries, req.metadata, 'index');
  if (!req.metadata.some((c) => c.field === 'index') && req.defaultIndexes !== 'all') {
    const allowed = new Set(req.defaultIndexes.map((i) => i.toLowerCase()));
    indexIds = indexEntries.filter(([, n]) => allowed.has(n.toLowerCase())).map(([id]) => id);
  }
  const ids = (f: Exclude<MetadataField, 'index'>) => matchIds(names.entries(db, FIELD_KIND[f]), req.metadata, f);
  const plan: ScanPlan = {
    // A NaN bound excludes nothing in the engine's comparison, so it is no bound here either.
    lo: req.earliest === null || Number.isNaN(req.earliest) ? null : microsAtOrAfter(req.earliest),
    hi: req.latest === null || Number.isNaN(req.latest) ? null : microsAtOrAfter(req.latest),
    indexIds,
    sourcetypeIds: ids('sourcetype'),
    sourceIds: ids('source'),
    hostIds: ids('host'),
    raw: null,
    processNames: processNameKeys(req.indexed),
  };
  for (const l of [plan.indexIds, plan.sourcetypeIds, plan.sourceIds, plan.hostIds]) if (l !== null && l.length === 0) return null;
  if (plan.lo !== null && plan.hi !== null && plan.lo >= plan.hi) return null;
  return plan;
}

/** A test of a row's `_raw`, by its sourcetype id: null, none. */
export type RowTest = (st: number) => ((raw: string) => boolean) | null;

/** How a raw filter is split: the SQL condition (null: none) and the test of the rows it returns (null: none). */
export interface RawPlan {
  sql: SqlCondition | null;
  test: RowTest | null;
}

/** Sample rows of a filter's sourcetypes needed for its pass rate to decide anything. */
const MIN_SAMPLE = 16;
/**
 * A filter passing at least this share of its sample is not searched in SQL: its sourcetypes' rows come whole (they
 * mostly would anyway) and JavaScript tests them (a pack's exec rows nearly all pass Kubernetes Pod's key names:
 * SQLite's GLOBs for them took ~0.15 s over 109k rows, restarting at every `"`; `includes` finds them at once).
 */
const MOSTLY_PASSES = 0.9;

/**
 * The raw filter of a scan, in SQL and in JavaScript. SQL tests what it can (ASCII literals and their other
 * spellings: rawCondition); JavaScript tests each row SQL returns against the part SQL cannot say (a regex, a
 * non-ASCII literal) before it becomes an event, with exactly the test FileSource and MemorySource give every line
 * (compileRawFilter: a necessary condition), so that a row the search would drop is neither decoded further nor
 * normalized (the seed detection's regex leaves 322 of the 10,341 rows its literals let through).
 *
 * For a scan shared by several searches (a pack): a row is needed when some search needs it, that is when it has
 * one of that search's sourcetypes and passes that search's raw filter. Narrower than the union request's own
 * (the union of the sourcetypes and of the filters): a pack reading process_exec, kprobe and connect events never
 * reads a process_exit, which shares the kprobes' sourcetype but none of Kprobe Spike's literals. Searches reading
 * the same sourcetypes share one arm (the OR of their filters); arms without a filter come first (SQLite stops at the
 * first true term of an OR, and each filter is a search through the row); within an arm, the filters passing most
 * `sample` rows come first. A row's JavaScript test is the OR of the filters of its sourcetype's searches.
 */
export function planRaw(db: Db, req: ScanRequest, names: NameCache, sample: readonly SampleRow[]): RawPlan {
  const shared = req.alternatives !== undefined && req.alternatives.length > 0;
  // Read once for all the searches (sourcetypes are few; not kept past the plan).
  const stored = shared ? [...names.entries(db, KIND_SOURCETYPE)] : [];
  // The searches by the sourcetypes they read (null: any), with their filters (null: one needs every row).
  const groups = new Map<string, { st: number[] | null; filters: RawFilter[] | null }>();
  for (const alt of shared ? (req.alternatives as readonly ScanRequest[]) : [req]) {
    // A single search's sourcetypes are the plan's own condition.
    const st = shared ? matchIds(stored, alt.metadata, 'sourcetype') : null;
    if (st !== null && st.length === 0) continue; // this search reads none of the stored sourcetypes
    const key = st === null ? '*' : st.join(',');
    const g = groups.get(key) ?? groups.set(key, { st, filters: [] }).get(key)!;
    if (alt.raw === null) g.filters = null;
    else g.filters?.push(alt.raw);
  }
  if (groups.size === 0) return { sql: { sql: '0', params: [] }, test: null };
  const freq = sample.length === 0 ? null : byteFrequencies(sample);
  const arms: { st: number[] | null; sql: SqlCondition | null }[] = [];
  // The filters JavaScript tests rows on: those of the searches reading any sourcetype, and by sourcetype id those of
  // the others; null where a search needs the rows untested.
  let any: Tested | null = { filters: [], undecided: false };
  const bySt = new Map<number, Tested | null>();
  for (const { st, filters } of groups.values()) {
    if (filters === null) {
      arms.push({ st, sql: null });
      if (st === null) any = null;
      else for (const id of st) bySt.set(id, null);
      continue;
    }
    const rows = st === null ? sample : sample.filter((r) => st.includes(r.st));
    const lines = rows.map((r) => r.raw);
    const passing = samplePassCount(filters.length === 1 ? (filters[0] as RawFilter) : { kind: 'or', items: filters }, lines);
    const sql = filters.map((f) => rawCondition(f, freq));
    const counts = filters.map((f) => samplePassCount(f, lines));
    const order = filters.map((_, i) => i).sort((x, y) => (counts[y] as number) - (counts[x] as number));
    const mostlyPasses = rows.length >= MIN_SAMPLE && passing >= MOSTLY_PASSES * rows.length;
    const tooLarge = sql.reduce((n, c) => n + (c?.params.length ?? 0), 0) > MAX_SQL_TERMS;
    arms.push({
      st,
      sql: mostlyPasses || tooLarge || sql.some((c) => c === null) ? null : { sql: order.map((i) => `(${(sql[i] as SqlCondition).sql})`).join(' OR '), params: order.flatMap((i) => (sql[i] as SqlCondition).params) },
    });
    // Unsearched in SQL, the filters are tested in JavaScript: its searches stop sooner, and the rows are decoded
    // anyway.
    const add = (have: Tested | undefined): Tested => ({ filters: [...(have?.filters ?? []), ...filters], undecided: (have?.undecided ?? false) || mostlyPasses || tooLarge });
    if (st === null) any = any === null ? null : add(any);
    else {
      for (const id of st) {
        const have = bySt.get(id); // undefined: no search so far
        if (have !== null) bySt.set(id, add(have));
      }
    }
  }
  return { sql: armsSql(arms, shared), test: any === null ? null : rowTests(any, bySt, sample, freq) };
}

/** Filters JavaScript tests rows on; `undecided`: some of them are not searched in SQL. */
interface Tested {
  filters: RawFilter[];
  undecided: boolean;
}

/** The OR of the arms (each: its sourcetypes AND its filters' condition), filterless arms first; null: every row. */
function armsSql(arms: readonly { st: number[] | null; sql: SqlCondition | null }[], shared: boolean): SqlCondition | null {
  if (arms.some((a) => a.st === null && a.sql === null)) return null;
  if (!shared) return (arms[0] as (typeof arms)[number]).sql;
  const parts = [...arms]
    .sort((a, b) => Number(a.sql !== null) - Number(b.sql !== null))
    .map(({ st, sql }) => [...(st === null ? [] : [{ sql: `st IN (${st.join(',')})`, params: [] }]), ...(sql === null ? [] : [sql])])
    .map((conds) => ({ sql: conds.map((c) => `(${c.sql})`).join(' AND '), params: conds.flatMap((c) => c.params) }));
  return { sql: `(${parts.map((a) => `(${a.sql})`).join(' OR ')})`, params: parts.flatMap((a) => a.params) };
}

/**
 * The JavaScript tests of rows: of each sourcetype id in `bySt`, its filters (none: null) with `any`'s; of the others,
 * `any`'s. Compiled on the sample; none where SQL decides them all.
 */
function rowTests(any: Tested, bySt: ReadonlyMap<number, Tested | null>, sample: readonly SampleRow[], freq: Float64Array | null): RowTest | null {
  const compile = ({ filters, undecided }: Tested, st: number | null): ((raw: string) => boolean) | null => {
    if (filters.length === 0 || (!undecided && filters.every((f) => decidedInSql(f, freq)))) return null;
    const lines = sample.filter((r) => st === null || r.st === st).map((r) => r.raw);
    return compileRawFilter(filters.length === 1 ? (filters[0] as RawFilter) : { kind: 'or', items: filters }, lines);
  };
  const others = compile(any, null);
  const tests = new Map<number, ((raw: string) => boolean) | null>();
  for (const [id, t] of bySt) tests.set(id, t === null ? null : compile({ filters: [...any.filters, ...t.filters], undecided: any.undecided || t.undecided }, id));
  if (others === null && [...tests.values()].every((t) => t === null)) return null;
  return tests.size === 0 ? () => others : (st) => (tests.has(st) ? (tests.get(st) as ((raw: string) => boolean) | null) : others);
}

const ASCII = /^[\x01-\x7f]*$/;

/**
 * Whether SQL leaves the filter's rows nearly decided: every literal pushed (ASCII) and searched whole, no regex.
 * (Its guards are a bit wider in SQL, `\\u` counting as an escape: a few more rows for the engine, never fewer.)
 */
function decidedInSql(f: RawFilter, freq: Float64Array | null): boolean {
  switch (f.kind) {
    case 'contains':
      return f.text !== '' && ASCII.test(f.text) && searchedPart(f.text, freq) === f.text;
    case 'regex':
      return false;
    default:
      return f.items.every((i) => decidedInSql(i, freq));
  }
}

/** Each byte's count in the sample's rows (+1: absent is rare, not impossible), ASCII letters counted as lower case. */
function byteFrequencies(sample: readonly SampleRow[]): Float64Array {
  const f = new Float64Array(256).fill(1);
  for (const { raw } of sample) {
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      const b = c >= 65 && c <= 90 ? c | 32 : c;
      if (b < 256) f[b] = (f[b] as number) + 1;
    }
  }
  return f;
}

/** The fewest characters of a literal SQL searches for (a shorter tail would find too many rows). */
const MIN_SEARCHED = 4;

/**
 * The part of a literal SQL searches for: SQLite's LIKE and GLOB find a pattern's first character with a library
 * search, then compare the rest at each one found, so a literal starting with `"` (everywhere in JSON: a key name)
 * is compared at every quote of the row; its tail from its rarest character in the sample is found ~6x faster
 * (`*kprobe*` against `*"process_kprobe*`). A necessary condition: JavaScript then tests the whole literal.
 */
function searchedPart(text: string, freq: Float64Array | null): string {
  if (freq === null || text.length <= MIN_SEARCHED) return text;
  const rarity = (i: number): number => {
    const c = text.charCodeAt(i);
    return freq[c >= 65 && c <= 90 ? c | 32 : c] as number;
  };
  let best = 0;
  for (let i = 1; i <= text.length - MIN_SEARCHED; i++) if (rarity(i) < rarity(best)) best = i;
  return text.slice(best);
}

/**
 * A RawFilter as SQL. `LIKE` folds case for ASCII only, exactly like the engine's `/…/i` (non-unicode) test
 * for an ASCII term, so only ASCII terms are pushed; others become "true" (the engine re-checks). A literal
 * also holds on rows holding another spelling of it (its guards: `GLOB`, case-sensitive). Rows whose
 * `_raw` contains NUL are always let through: LIKE and GLOB stop at a NUL; so are rows with indexed fields (HEC
 * `fields`): the filter's literals come from field conditions, and their values are not in `_raw`.
 */
export function rawCondition(f: RawFilter, freq: Float64Array | null = null): SqlCondition | null {
  const c = rawSql(f, freq);
  return c === null ? null : { sql: `(${c.sql} OR flags & ${FLAG_RAW_NUL | FLAG_INDEXED_FIELDS})`, params: c.params };
}

/** What each guard bit looks for in `_raw`. */
const GUARD_TEXTS: readonly [number, string][] = [
  [GUARD_ESCAPE, '\\u'],
  [GUARD_SLASH, '\\/'],
  [GUARD_KELVIN, '\u212a'],
  [GUARD_LONG_S, '\u017f'],
];

/**
 * The GLOB pattern of the texts holding `text` (case-sensitive, as `instr` but ~10x faster: SQLite's GLOB and LIKE
 * find a `%`/`*` pattern's first byte with a library search, `instr` counts characters one by one).
 * GLOB's specials `*`, `?`, `[` match themselves inside brackets.
 */
function globContaining(text: string): string {
  return `*${text.replace(/[*?[]/g, '[$&]')}*`;
}

function rawSql(f: RawFilter, freq: Float64Array | null): SqlCondition | null {
  switch (f.kind) {
    case 'contains': {
      if (f.text === '' || !ASCII.test(f.text)) return null;
      const text = searchedPart(f.text, freq);
      // A key name is case-sensitive: GLOB, not LIKE.
      const sql = [f.key === true ? 'raw GLOB ?' : "raw LIKE ? ESCAPE '\\'"];
      const params = [f.key === true ? globContaining(text) : `%${text.replace(/[\\%_]/g, '\\$&')}%`];
      const g = literalGuards(f);
      const other: string[] = [];
      for (const [bit, text] of GUARD_TEXTS) {
        if ((g & bit) === 0) continue;
        if (ASCII.test(text)) {
          sql.push('raw GLOB ?');
          params.push(globContaining(text));
        } else other.push(globContaining(text));
      }
      // A non-ASCII character is searched one decoded character at a time; a row of ASCII text (as many bytes as
      // characters; a NUL cuts `length` short) holds none, which counting its characters tells ~3x faster.
      if (other.length > 0) {
        sql.push(`(length(raw) < octet_length(raw) AND (${other.map(() => 'raw GLOB ?').join(' OR ')}))`);
        params.push(...other);
      }
      return { sql: sql.join(' OR '), params };
    }
    case 'regex':
      return null; // the engine tests it
    case 'and': {
      const parts = f.items.map((i) => rawSql(i, freq)).filter((p): p is SqlCondition => p !== null);
      if (parts.length === 0) return null;
      return { sql: parts.map((p) => `(${p.sql})`).join(' AND '), params: parts.flatMap((p) => p.params) };
    }
    case 'or': {
      if (f.items.length === 0) return { sql: '0', params: [] };
      const parts = f.items.map((i) => rawSql(i, freq));
      if (parts.some((p) => p === null)) return null;
      const ps = parts as SqlCondition[];
      return { sql: ps.map((p) => `(${p.sql})`).join(' OR '), params: ps.flatMap((p) => p.params) };
    }
  }
}

export interface BucketRef {
  id: number;
  indexId: number;
  start: number;
  end: number;
  /** Its tables (`bucket_parts.st`): sourcetype ids, MIXED_PART for the mixed table `b<id>`. */
  parts: number[];
  /** Those of its tables with the current indexed fields (their `pn` and its index, indexed-fields.ts). */
  indexed?: number[];
  /** Those of its tables with the column `f` (HEC indexed fields); the others' rows have none. */
  texts?: number[];
}

/** The buckets a plan touches, newest first. */
export function planBuckets(db: Db, plan: ScanPlan): BucketRef[] {
  const where: string[] = [];
  const params: number[] = [];
  if (plan.lo !== null) {
    where.push('end_us > ?');
    params.push(plan.lo);
  }
  if (plan.hi !== null) {
    where.push('start_us < ?');
    params.push(plan.hi);
  }
  if (plan.indexIds !== null) where.push(`index_id IN (${plan.indexIds.join(',')})`);
  const sql =
    'SELECT id, index_id, start_us, end_us, (SELECT group_concat(p.st) FROM bucket_parts p WHERE p.bucket_id = buckets.id),' +
    ` (SELECT group_concat(p.st) FROM bucket_parts p WHERE p.bucket_id = buckets.id AND p.fields = ${INDEXED_FIELDS_VERSION}),` +
    ' (SELECT group_concat(p.st) FROM bucket_parts p WHERE p.bucket_id = buckets.id AND p.has_f = 1) FROM buckets' +
    `${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY start_us DESC, id DESC`;
  const list = (ids: string | null): number[] => (ids === null ? [] : ids.split(',').map(Number));
  return db
    .prepare<number[], [number, number, number, number, string | null, string | null, string | null]>(sql)
    .raw()
    .all(...params)
    .map(([id, indexId, start, end, parts, indexed, texts]) => ({ id, indexId, start, end, parts: list(parts), indexed: list(indexed), texts: list(texts) }));
}

/** A bucket's tables a scan reads: the mixed table, and the tables of the plan's sourcetypes (all when unconstrained). */
function partsRead(b: BucketRef, plan: ScanPlan): number[] {
  const st = plan.sourcetypeIds;
  return st === null ? b.parts : b.parts.filter((p) => p === MIXED_PART || st.includes(p));
}

/** Groups time-overlapping buckets (same span, different indexes): each group is one merged query. */
export function groupBuckets(buckets: readonly BucketRef[]): BucketRef[][] {
  const groups: BucketRef[][] = [];
  let cur: BucketRef[] = [];
  let curStart = Infinity;
  for (const b of buckets) {
    if (cur.length > 0 && b.end <= curStart) {
      groups.push(cur);
      cur = [];
      curStart = Infinity;
    }
    cur.push(b);
    curStart = Math.min(curStart, b.start);
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/** Columns of every arm: t, seq, index id, st, src, host, raw, f (the indexed fields' text, null: none). */
export type Row = [number, number, number, number, number, number, string, string | null];

/** An arm's columns (Row) from a bucket's table `part`: `f` is NULL in a table without it. */
function armColumns(b: BucketRef, part: number): string {
  return `t, rowid, ${b.indexId}, st, src, host, raw, ${b.texts?.includes(part) === true ? 'f' : 'NULL'}`;
}

/**
 * One query for a group (null: it has no table to read): an arm per table (a sourcetype's table read only by scans
 * of its sourcetype; the mixed table's arm per sourcetype id when few), each reading an index in `t DESC, rowid DESC`
 * order; SQLite merges the arms of `UNION ALL … ORDER BY` without sorting, so the result streams newest first with
 * ties in reverse insertion order, across tables as across indexes.
 */
export function groupSql(group: readonly BucketRef[], plan: ScanPlan, seqs: SqlCondition | null = null, newestFirst = true): Query | null {
  if (seqs !== null) return subsetSql(group, plan, seqs, newestFirst);
  const arms: string[] = [];
  const raw = plan.raw === null ? null : numbered(plan.raw.sql, 1);
  const st = plan.sourcetypeIds;
  // Past a few names, one arm each costs more than reading the table (a list of a hundred tools); past a compound
  // SELECT's arms (many indexes in one span), nested arms take seconds to prepare (64 indexes, 16 names: 11 s).
  const keys = plan.processNames ?? null;
  const indexedReads = group.reduce((n, b) => n + partsRead(b, plan).filter((p) => b.indexed?.includes(p)).length, 0);
  const names = keys !== null && keys.length <= MAX_PROCESS_NAME_ARMS && keys.length * indexedReads <= MAX_COMPOUND_TERMS ? keys : null;
  for (const b of group) {
    const conds: string[] = [];
    if (plan.lo !== null && b.start < plan.lo) conds.push(`t >= ${plan.lo}`);
    if (plan.hi !== null && b.end > plan.hi) conds.push(`t < ${plan.hi}`);
    if (plan.sourceIds !== null) conds.push(`src IN (${plan.sourceIds.join(',')})`);
    if (plan.hostIds !== null) conds.push(`host IN (${plan.hostIds.join(',')})`);
    if (raw !== null) conds.push(raw);
    for (const part of partsRead(b, plan)) {
      const t = partTable(b.id, part);
      const arm = (t: string, index: string, where: readonly string[]): void => {
        arms.push(`SELECT ${armColumns(b, part)} FROM ${t} INDEXED BY ${t}_${index}${where.length ? ' WHERE ' + where.join(' AND ') : ''}`);
      };
      // The rows of each process name read, from the (pn, t) index, in time order like every other arm.
      if (names !== null && b.indexed?.includes(part)) {
        const st1 = part === MIXED_PART && st !== null ? [`+st IN (${st.join(',')})`] : [];
        names.forEach((_, k) => arm(t, 'pn', [`pn = @k${k + 1}`, ...st1, ...conds]));
      } else if (part !== MIXED_PART) arm(t, 't', conds);
      else if (st !== null && st.length <= MAX_SOURCETYPE_ARMS) for (const s of st) arm(t, 'st', [`st = ${s}`, ...conds]);
      // The unary + keeps the planner off the (st, t) index: an IN list there would need a sort.
      else arm(t, 't', st !== null ? [`+st IN (${st.join(',')})`, ...conds] : conds);
    }
  }
  if (arms.length === 0) return null;
  const sql = arms.length === 1 ? `${arms[0]} ORDER BY t DESC, rowid DESC` : unionAll(arms, NEWEST_FIRST);
  const params = named(plan.raw?.params ?? []);
  names?.forEach((key, k) => (params[`k${k + 1}`] = key));
  return { sql, params };
}

/** A query over a group's tables: its parameters by name (`@p1`, `@p2`…), each bound once whatever reads it. */
export interface Query {
  sql: string;
  params: Record<string, string>;
}

/**
 * `sql`'s placeholders (each `?` of a condition this file builds: none is inside a string literal) named `@p<n>` from
 * `from` on, so that every arm of a query reads the same parameters, bound once: bound per arm, a filter of 71
 * literals over 64 indexes × 9 tables passed SQLite's 32766 variables.
 */
function numbered(sql: string, from: number): string {
  let n = from;
  return sql.replace(/\?/g, () => `@p${n++}`);
}

/** The parameters `numbered` names, from `@p1` on. */
function named(params: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  params.forEach((v, i) => (out[`p${i + 1}`] = v));
  return out;
}

const NEWEST_FIRST = ' ORDER BY 1 DESC, 2 DESC';
/** SQLite's most terms in one compound SELECT (SQLITE_MAX_COMPOUND_SELECT). */
const MAX_COMPOUND_TERMS = 500;

/**
 * `arm UNION ALL arm …` then `order`. Past MAX_COMPOUND_TERMS arms (many indexes in one span, each bucket an arm per
 * table), they are nested by hundreds in subqueries each in the same order, which SQLite still merges without sorting.
 */
function unionAll(arms: readonly string[], order: string): string {
  if (arms.length <= MAX_COMPOUND_TERMS) return `${arms.join(' UNION ALL ')}${order}`;
  const nested: string[] = [];
  for (let i = 0; i < arms.length; i += MAX_COMPOUND_TERMS) nested.push(`SELECT * FROM (${unionAll(arms.slice(i, i + MAX_COMPOUND_TERMS), order)})`);
  return unionAll(nested, order);
}

/** Which events (rowids) a subset scan reads: a list of seqs, or every seq of a range (both ends included). */
export type SeqSelection = readonly number[] | { from: number; to: number };

/**
 * The rowid condition of a selection: a list is looked up seq by seq in each table; a range is one rowid
 * range seek per table (a follower reading everything since a seq: no per-seq lookups across every table).
 */
function seqCondition(seqs: SeqSelection): SqlCondition | null {
  if (!('from' in seqs)) return seqs.length === 0 ? null : { sql: 'rowid IN (SELECT value FROM json_each(?))', params: [JSON.stringify(seqs)] };
  const from = Math.max(1, Math.ceil(seqs.from));
  const to = Math.floor(seqs.to);
  // Inlined: integers only (a range past 2^53 selects nothing it could not).
  return from > to || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) ? null : { sql: `rowid BETWEEN ${from} AND ${to}`, params: [] };
}

/**
 * A subset scan (`seqs`: a rowid condition): rowid lookups or range seeks in each table, then one sort of
 * what they found (a subset is small next to its window: the match index's matches, a follower's chunk).
 * Not `newestFirst`: no sort, each table's rows in rowid (seq) order.
 */
function subsetSql(group: readonly BucketRef[], plan: ScanPlan, seqs: SqlCondition, newestFirst: boolean): Query | null {
  const arms: string[] = [];
  const raw = plan.raw === null ? null : numbered(plan.raw.sql, 1 + seqs.params.length);
  for (const b of group) {
    const conds = [numbered(seqs.sql, 1)];
    if (plan.lo !== null && b.start < plan.lo) conds.push(`t >= ${plan.lo}`);
    if (plan.hi !== null && b.end > plan.hi) conds.push(`t < ${plan.hi}`);
    if (plan.sourcetypeIds !== null) conds.push(`st IN (${plan.sourcetypeIds.join(',')})`);
    if (plan.sourceIds !== null) conds.push(`src IN (${plan.sourceIds.join(',')})`);
    if (plan.hostIds !== null) conds.push(`host IN (${plan.hostIds.join(',')})`);
    if (raw !== null) conds.push(raw);
    for (const part of partsRead(b, plan)) {
      // NOT INDEXED: rowid lookups only (left alone, the planner may prefer walking the (st, t) index).
      arms.push(`SELECT ${armColumns(b, part)} FROM ${partTable(b.id, part)} NOT INDEXED WHERE ${conds.join(' AND ')}`);
    }
  }
  if (arms.length === 0) return null;
  return { sql: unionAll(arms, newestFirst ? NEWEST_FIRST : ''), params: named([...seqs.params, ...(plan.raw?.params ?? [])]) };
}

/** Rows `sampleRows` reads: enough to rank a pack's filters (FileSource samples ~40 Tetragon lines), ~1 ms. */
const SAMPLE_ROWS = 64;

/**
 * The first rows of a group (newest first) whatever their raw text: what the filters are ordered on, as FileSource
 * samples its input's first 64 KiB.
 */
export function sampleRows(db: Db, group: readonly BucketRef[], plan: ScanPlan): SampleRow[] {
  const q = groupSql(group, { ...plan, raw: null });
  const rows: SampleRow[] = [];
  if (q === null) return rows;
  for (const r of db.prepare<[Record<string, string>], Row>(q.sql).raw().iterate(q.params)) {
    rows.push({ st: r[3], raw: r[6] });
    if (rows.length >= SAMPLE_ROWS) break;
  }
  return rows;
}

export interface ScanLimits {
  batchSize: number;
  batchChars: number;
}

/** Give the event loop a turn at least this often (ms) during a scan: HEC requests keep flowing. */
const YIELD_EVERY_MS = 20;
/** While rows are dropped by the row test, the clock is looked at every this many rows. */
const DROPPED_TURN_ROWS = 1024;

/** What a scan runs, planned inside its read transaction: each bucket group's query, newest group first, and the row test. */
export interface PreparedScan {
  queries: Query[];
  test: RowTest | null;
}

/**
 * Plans a scan in `db`'s open read transaction (null: nothing can match): the names it needs, the pushdowns, the
 * buckets, the sample ordering the raw filter, and each group's query. The scan on this thread and the scan thread's
 * (scan-worker.ts) run the same plan.
 */
export function prepareScan(db: Db, names: NameCache, req: ScanRequest, seqs: SeqSelection | null, newestFirst: boolean): PreparedScan | null {
  names.refresh(db); // the first read starts the snapshot
  const meta = planScan(db, req, names);
  const seqCond = seqs === null ? null : seqCondition(seqs);
  if (meta === null || (seqs !== null && seqCond === null)) return null;
  const groups = groupBuckets(planBuckets(db, meta));
  // A full scan with a raw filter samples its first rows (a subset is small: its filters go unordered).
  const sample = seqs === null && groups.length > 0 && (req.raw !== null || (req.alternatives?.length ?? 0) > 0) ? sampleRows(db, groups[0] as BucketRef[], meta) : [];
  const { sql: rawSqlCondition, test } = planRaw(db, req, names, sample);
  const plan: ScanPlan = { ...meta, raw: rawSqlCondition };
  const queries: Query[] = [];
  for (const group of groups) {
    const q = groupSql(group, plan, seqCond, newestFirst);
    if (q !== null) queries.push(q);
  }
  return { queries, test };
}

/**
 * Scans in one read transaction (a consistent snapshot, whatever commits meanwhile), bucket group by
 * bucket group newest first, in batches of at most `limits` events/characters.
 */
export async function* scanStore(
  pool: ReadPool,
  names: NameCache,
  req: ScanRequest,
  options: ScanOptions,
  limits: ScanLimits,
  /** Only these events (rowids): a `subset` or `seqRange` view. */
  seqs: SeqSelection | null = null,
  /** False (with `seqs` only): in seq order within each bucket table, no time order (no sort). */
  newestFirst = true,
): AsyncGenerator<Event[]> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const db = pool.acquire();
  const lookup = new NameLookup(names, pool);
  try {
    db.exec('BEGIN');
    const prepared = prepareScan(db, names, req, seqs, newestFirst);
    if (prepared === null) return;
    const { queries, test } = prepared;
    let batch: Event[] = [];
    let chars = 0;
    // Rows read (the test's drops included) and their characters.
    let scanned = 0;
    let bytes = 0;
    let lastTurn = performance.now();
    /** Reports progress and gives the event loop a turn when it waited long enough. */
    const turn = async (): Promise<void> => {
      onProgress?.({ scanned, bytes });
      if (performance.now() - lastTurn > YIELD_EVERY_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        lastTurn = performance.now();
      }
    };
    for (const q of queries) {
      const rows = db.prepare<[Record<string, string>], Row>(q.sql).raw().iterate(q.params);
      for (const r of rows) {
        const raw = r[6];
        scanned++;
        bytes += raw.length;
        // A row with indexed fields is the search's to decide (their values are not in `_raw`).
        const t = test === null || r[7] !== null ? null : test(r[3]);
        if (t !== null && !t(raw)) {
          // The test may drop most rows: turns do not wait for a batch to fill.
          if (scanned % DROPPED_TURN_ROWS === 0) await turn();
          continue;
        }
        const e: Event = {
          _time: fromMicros(r[0]),
          index: names.indexes.get(r[2]) ?? '',
          sourcetype: lookup.value(r[3]),
          source: lookup.value(r[4]),
          host: lookup.value(r[5]),
          _raw: raw,
        };
        if (r[7] !== null) withIndexedFields(e, r[7]);
        batch.push(e);
        chars += raw.length;
        if (batch.length >= limits.batchSize || chars >= limits.batchChars) {
          yield batch;
          batch = [];
          chars = 0;
          signal?.throwIfAborted(); // the consumer may have aborted while it held the batch
          await turn();
        }
      }
    }
    if (batch.length > 0) yield batch;
    if (scanned > 0) onProgress?.({ scanned, bytes });
  } catch (err) {
    throw sqliteReadError(err, 'cannot scan the event store');
  } finally {
    lookup.release();
    pool.release(db);
  }
}

/** Sets an event's indexed fields from their stored text (a damaged text that holds none leaves it without). */
export function withIndexedFields(e: Event, text: string): void {
  const fields = parseIndexedFields(text);
  if (fields !== undefined) e.fields = fields;
}

/**
 * A SQLite error of a read (a damaged page: SQLITE_CORRUPT, an I/O error) as the store's error, as the scan thread
 * reports it; other errors (an abort, a bug) as they are.
 */
export function sqliteReadError(err: unknown, what: string): unknown {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : '';
  return code.startsWith('SQLITE_') ? new StoreError('STORE_IO', `${what}: ${(err as Error).message}`, { cause: err }) : err;
}
