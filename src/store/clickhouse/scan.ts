/**
 * Scans of the ClickHouse store: the request's conditions as SQL (each exact or weaker than the engine's own test,
 * never stronger), then the matching events newest first, one time window at a time (see CONTEXT.md "Scans").
 */
import { parseIndexedFields, type Event } from '../../events/event.js';
import {
  GUARD_ESCAPE,
  GUARD_KELVIN,
  GUARD_LONG_S,
  GUARD_SLASH,
  literalGuards,
  metadataPredicate,
  wildcardMatcher,
  type MetadataField,
  type RawFilter,
  type ScanOptions,
  type ScanRequest,
} from '../../events/scan.js';
import { fromMicros, microsAtOrAfter } from '../schema.js';
import { StoreError } from '../types.js';
import { FIELDS, HOUR_US, floorDivSql } from './schema.js';
import { likeLiteral, quote } from './sql.js';
import { TsvLines, tsvInt, tsvText, tsvValue } from './tsv.js';

export interface ScanContext {
  /** The Distributed table, qualified (the census). */
  events: string;
  /** The shards' own table, qualified (the windows: read on one replica of each shard, all shards at once). */
  local: string;
  /** How many shards `read` serves (0 … shards-1). */
  shards: number;
  /** Whether the tables have the `fields` column (indexed fields); without it every event has none. */
  fields: boolean;
  /** Passes a query's TabSeparated answer from one replica of the shard to `chunk` as it arrives; resolves at its end. */
  read(shard: number, sql: string, signal: AbortSignal, chunk: (bytes: Buffer) => void): Promise<void>;
  query(sql: string): Promise<string>;
  windowEvents: number;
  batchSize: number;
  batchChars: number;
}

/** Longer IN lists are not pushed down (the engine re-checks everything anyway). */
const MAX_IN_LIST = 1000;

/** Printable and control ASCII without NUL: positionCaseInsensitive folds exactly these letters as `/…/i` does. */
const ASCII = /^[\x01-\x7f]+$/;

/** What each guard bit looks for in `_raw` (see RawFilter). */
const GUARD_TEXTS: readonly [number, string][] = [
  [GUARD_ESCAPE, '\\u'],
  [GUARD_SLASH, '\\/'],
  [GUARD_KELVIN, '\u212a'],
  [GUARD_LONG_S, '\u017f'],
];

/**
 * A RawFilter as a ClickHouse condition on `raw`: an ASCII literal is `positionCaseInsensitive` (ASCII case folding
 * on bytes, exactly the engine's non-unicode `/…/i` for an ASCII term, which never matches a non-ASCII character),
 * a key literal `position` (case-sensitive), each OR'ed with the literal's guards (its other spellings). A non-ASCII
 * literal or a regex is no condition (the engine tests it), and an OR holding one is none either.
 */
export function rawSql(f: RawFilter): string | null {
  const sql = conditionOf(f);
  // Past this, the engine tests the filter: ClickHouse refuses a query over max_query_size (256 KiB by default), as
  // `process_name IN (<thousands of names>)` would make.
  return sql !== null && sql.length > MAX_RAW_SQL_CHARS ? null : sql;
}

/** The longest raw condition sent to ClickHouse (characters). */
const MAX_RAW_SQL_CHARS = 64 * 1024;

function conditionOf(f: RawFilter): string | null {
  switch (f.kind) {
    case 'contains': {
      if (!ASCII.test(f.text)) return null;
      const parts = [`${f.key === true ? 'position' : 'positionCaseInsensitive'}(raw, ${quote(f.text)}) > 0`];
      const g = literalGuards(f);
      for (const [bit, text] of GUARD_TEXTS) if ((g & bit) !== 0) parts.push(`position(raw, ${quote(text)}) > 0`);
      return parts.join(' OR ');
    }
    case 'regex':
      return null;
    case 'and': {
      const parts = f.items.map(conditionOf).filter((p): p is string => p !== null);
      return parts.length === 0 ? null : parts.map((p) => `(${p})`).join(' AND ');
    }
    case 'or': {
      if (f.items.length === 0) return '0';
      const parts = f.items.map(conditionOf);
      if (parts.some((p) => p === null)) return null;
      return parts.map((p) => `(${p})`).join(' OR ');
    }
  }
}

/**
 * A metadata constraint on `source` or `host` as SQL. For an ASCII value, `lower()` (ASCII only) is exactly the
 * engine's folding (`toLowerCase` without `*`, RegExp `i` with it), so `lower(f) = p` / `lower(f) LIKE p` decide it;
 * a value with any non-ASCII character is let through (the engine decides: `toLowerCase` and `i` fold more than
 * ASCII, e.g. the Kelvin sign to `k`). A non-ASCII pattern can match only such values. Null: no condition.
 */
export function patternSql(column: string, patterns: readonly string[]): string | null {
  const arms = [`lengthUTF8(${column}) != length(${column})`];
  for (const p of patterns) {
    if (p.replace(/\*/g, '') === '' && p !== '') return null; // `*`: every value
    const lower = p.toLowerCase();
    if (!/^[\x00-\x7f]*$/.test(lower)) continue;
    arms.push(lower.includes('*') ? `lower(${column}) LIKE ${likeLiteral(lower)}` : `lower(${column}) = ${quote(lower)}`);
  }
  return arms.join(' OR ');
}

/** The engine's test of the request's index and sourcetype constraints (metadataPredicate's rule), per value. */
function valueTest(req: ScanRequest, field: 'index' | 'sourcetype'): ((v: string) => boolean) | null {
  const cs = req.metadata.filter((c) => c.field === field);
  const tests = cs.map((c) => c.patterns.map(wildcardMatcher));
  if (field === 'index' && cs.length === 0 && req.defaultIndexes !== 'all') {
    const allowed = new Set(req.defaultIndexes.map((i) => i.toLowerCase()));
    tests.push([(v) => allowed.has(v.toLowerCase())]);
  }
  if (tests.length === 0) return null;
  const memo = new Map<string, boolean>();
  return (v) => {
    let r = memo.get(v);
    if (r === undefined) {
      r = tests.every((ms) => ms.some((m) => m(v)));
      memo.set(v, r);
    }
    return r;
  };
}

/** A window of the scan: `t >= lo AND t < hi` (microseconds), newest windows first; `count`: its census count. */
interface Window {
  lo: number;
  hi: number;
  count: number;
}

/** How many times more census events than `windowEvents` a window may span when the raw filter keeps few. */
const MAX_GROWTH = 64;

/** Microseconds per second: the finest census unit (an hour holding more than a window is counted by second). */
const SECOND_US = 1_000_000;

/**
 * Scans newest first. First a census (events per hour, index and sourcetype under the request's time and
 * source/host conditions: metadata columns only, no `_raw`) decides which index and sourcetype values pass the
 * request (tested in JS exactly as the engine does, then pushed as IN lists, which the sorting key serves) and cuts
 * the time range into windows of at most `windowEvents` events (an hour holding more is counted again by second);
 * then each window's rows are read from every shard at once (unsorted: sorting whole rows in ClickHouse 18.16 cost
 * 4x the read), sorted here and yielded in batches, the next window read meanwhile. Memory: two windows' answers
 * (Buffers) and their rows' columns (see CONTEXT.md "Scans").
 */
export async function* scanClickHouse(ctx: ScanContext, req: ScanRequest, options: ScanOptions): AsyncGenerator<Event[]> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  // A NaN bound excludes nothing in the engine's comparison, so it is no bound here either (as in the SQLite store).
  const lo = req.earliest === null || Number.isNaN(req.earliest) ? null : microsAtOrAfter(req.earliest);
  const hi = req.latest === null || Number.isNaN(req.latest) ? null : microsAtOrAfter(req.latest);
  if (lo !== null && hi !== null && lo >= hi) return;
  const where: string[] = [];
  if (lo !== null) where.push(`t >= ${quote(lo)}`);
  if (hi !== null) where.push(`t < ${quote(hi)}`);
  for (const field of ['source', 'host'] as const satisfies readonly MetadataField[]) {
    for (const c of req.metadata.filter((x) => x.field === field)) {
      const sql = patternSql(field, c.patterns);
      if (sql !== null) where.push(`(${sql})`);
    }
  }
  const indexTest = valueTest(req, 'index');
  const sourcetypeTest = valueTest(req, 'sourcetype');

  const census = await ctx.query(
    `SELECT ${floorDivSql('t', HOUR_US)} AS h, index, sourcetype, count() FROM ${ctx.events}` +
      `${where.length ? ' WHERE ' + where.join(' AND ') : ''} GROUP BY h, index, sourcetype ORDER BY h DESC`,
  );
  const hours: [number, number][] = [];
  const indexes = new Set<string>();
  const sourcetypes = new Set<string>();
  for (const line of census.split('\n')) {
    if (line === '') continue;
    const f = fields(line, 4);
    const index = tsvValue(f[1]!);
    const sourcetype = tsvValue(f[2]!);
    if ((indexTest !== null && !indexTest(index)) || (sourcetypeTest !== null && !sourcetypeTest(sourcetype))) continue;
    indexes.add(index);
    sourcetypes.add(sourcetype);
    const h = Number(f[0]);
    const n = Number(f[3]);
    const last = hours[hours.length - 1];
    if (last !== undefined && last[0] === h) last[1] += n;
    else hours.push([h, n]);
  }
  if (hours.length === 0) return;
  if (indexTest !== null && indexes.size <= MAX_IN_LIST) where.push(`index IN (${[...indexes].map(quote).join(', ')})`);
  if (sourcetypeTest !== null && sourcetypes.size <= MAX_IN_LIST) where.push(`sourcetype IN (${[...sourcetypes].map(quote).join(', ')})`);

  /** Events per second in one hour, newest first, under the scan's metadata conditions. */
  const seconds = async (hour: number): Promise<[number, number][]> => {
    const text = await ctx.query(
      `SELECT ${floorDivSql('t', SECOND_US)} AS s, count() FROM ${ctx.events} WHERE ${[...where, `t >= ${quote(hour * HOUR_US)}`, `t < ${quote((hour + 1) * HOUR_US)}`].join(' AND ')}` +
        ' GROUP BY s ORDER BY s DESC',
    );
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => fields(l, 2).map(Number) as [number, number]);
  };

  const raw = req.raw === null ? null : rawSql(req.raw);
  // An event with indexed fields passes the raw filter: the filter's literals come from field conditions assumed to
  // be in `_raw`, and an indexed field's value is not; the engine decides it.
  const rawWhere = raw === null ? '' : ctx.fields ? ` WHERE (${raw}) OR ${FIELDS} != ''` : ` WHERE ${raw}`;
  // SQL lets through source/host values it cannot decide (non-ASCII): the engine's own test settles them here, so a
  // scan returns exactly the events the SQLite store's does for metadata (cheap: remembered per value).
  const metadata = metadataPredicate(req);
  let scanned = 0;
  let bytes = 0;
  // Census counts ignore the raw filter: once windows show what share of their counted events it passes, the next
  // windows count that many more (up to MAX_GROWTH times), so a selective filter reads in few queries, not one per
  // `windowEvents` counted, while the rows a window holds stay about `windowEvents`.
  let counted = 0;
  let kept = 0;
  const budget = () => (counted === 0 ? ctx.windowEvents : ctx.windowEvents / Math.max(kept / counted, 1 / MAX_GROWTH));
  // The next window is read while this one is yielded (ClickHouse works while the consumer does): two windows in
  // memory at most. `reading` stops a read ahead that the scan no longer wants (it ended early, or failed).
  const reading = new AbortController();
  const onAbort = () => reading.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const ahead = windows(hours, seconds, lo, hi, budget);
  const readNext = async (): Promise<{ w: Window; rows: WindowRows } | null> => {
    const next = await ahead.next();
    if (next.done === true) return null;
    const w = next.value;
    // PREWHERE: the metadata and time columns are read first, `raw` only for the granules they leave.
    const sql =
      `SELECT t, at, batch, n, index, sourcetype, source, host, raw, ${ctx.fields ? FIELDS : "''"} FROM ${ctx.local}` +
      ` PREWHERE ${[...where, `t >= ${quote(w.lo)}`, `t < ${quote(w.hi)}`].join(' AND ')}${rawWhere}`;
    return { w, rows: await readWindow(ctx, sql, metadata, reading.signal) };
  };
  let pending = readNext();
  try {
    for (let read = await pending; read !== null; read = await pending) {
      const { w, rows } = read;
      counted += w.count;
      kept += rows.length;
      pending = readNext();
      pending.catch(() => undefined); // awaited at the next turn, unless the scan ends first
      const order = rows.newestFirst();
      // A retried batch's copy not yet merged away has the same (t, batch, n): skipped among the rows of its t.
      let tieT = Number.NaN;
      const tie = new Set<string>();
      let batch: Event[] = [];
      let chars = 0;
      for (let k = 0; k < order.length; k++) {
        const i = order[k]!;
        const t = rows.t[i]!;
        if (t !== tieT) {
          tieT = t;
          tie.clear();
          if (k + 1 < order.length && rows.t[order[k + 1]!] === t) tie.add(rows.id(i));
        } else {
          const id = rows.id(i);
          if (tie.has(id)) continue;
          tie.add(id);
        }
        const event = rows.event(i);
        batch.push(event);
        chars += event._raw.length;
        if (batch.length >= ctx.batchSize || chars >= ctx.batchChars) {
          scanned += batch.length;
          bytes += chars;
          yield batch;
          batch = [];
          chars = 0;
          signal?.throwIfAborted();
          onProgress?.({ scanned, bytes });
        }
      }
      if (batch.length > 0) {
        scanned += batch.length;
        bytes += chars;
        yield batch;
        signal?.throwIfAborted();
        onProgress?.({ scanned, bytes });
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reading.abort(new Error('the scan ended'));
  }
}

/**
 * A window's rows (those passing `metadata`), read from every shard at once: each shard's replica sends its own
 * rows (through the Distributed table, one server would receive the other shard's rows and send them on: measured
 * at twice the time). A shard failing stops the others.
 */
async function readWindow(ctx: ScanContext, sql: string, metadata: (e: Event) => boolean, signal: AbortSignal | undefined): Promise<WindowRows> {
  signal?.throwIfAborted(); // a read ahead asked for after the scan ended
  const rows = new WindowRows();
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(
      Array.from({ length: ctx.shards }, async (_, shard) => {
        const lines = new TsvLines();
        const decode = [new FieldDecoder(), new FieldDecoder(), new FieldDecoder(), new FieldDecoder()] as const;
        // The metadata test reads only the metadata fields: one Event, refilled for each row.
        const probe: Event = { _time: 0, index: '', sourcetype: '', source: '', host: '', _raw: '' };
        const row = (buf: Buffer, start: number, end: number) => rows.add(buf, start, end, decode, probe, metadata);
        try {
          await ctx.read(shard, sql, stop.signal, (chunk) => lines.push(chunk, row));
          if (lines.pending) throw new StoreError('STORE_IO', 'unexpected answer from ClickHouse: its last row is cut short');
        } catch (err) {
          stop.abort(err);
          throw err;
        }
      }),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return rows;
}

/** Tab positions of the row being parsed (scratch: parsing is synchronous). */
const TABS = new Int32Array(9);

/** Offsets kept per row in WindowRows.offsets: batch, raw and fields, each [start, end). */
const STRIDE = 6;

/**
 * A window's rows, column by column: the sort key, the metadata (decoded: a few values, shared) and where `batch`,
 * `_raw` and the indexed fields are in the answer's bytes. No object per row while the window is read and sorted,
 * and its text stays in the answer's Buffers (outside the JS heap) until a row is yielded: the garbage collector has
 * nothing to copy around (with an object and a string per row, its scavenges took half of a scan's CPU).
 */
class WindowRows {
  length = 0;
  t = new Float64Array(1024);
  at = new Float64Array(1024);
  n = new Float64Array(1024);
  /** batch: [start, end) in the row's Buffer; raw: [start, end); fields: [start, end) (empty: none). */
  offsets = new Int32Array(STRIDE * 1024);
  bufs: Buffer[] = [];
  index: string[] = [];
  sourcetype: string[] = [];
  source: string[] = [];
  host: string[] = [];

  /**
   * Parses the line `t, at, batch, n, index, sourcetype, source, host, raw, fields` and keeps it when it passes
   * `metadata`. A line of another shape (an error ClickHouse wrote into the answer after its first rows: its text is
   * no row of integers and 9 tabs) is STORE_IO.
   */
  add(buf: Buffer, start: number, end: number, decode: readonly [FieldDecoder, FieldDecoder, FieldDecoder, FieldDecoder], probe: Event, metadata: (e: Event) => boolean): void {
    let p = start;
    for (let k = 0; k < 9; k++) {
      const tab = buf.indexOf(9, p);
      if (tab < 0 || tab >= end) throw unexpected(buf, start, end);
      TABS[k] = tab;
      p = tab + 1;
    }
    const extra = buf.indexOf(9, p);
    const t = tsvInt(buf, start, TABS[0]!);
    const at = tsvInt(buf, TABS[0]! + 1, TABS[1]!);
    const n = tsvInt(buf, TABS[2]! + 1, TABS[3]!);
    if ((extra >= 0 && extra < end) || Number.isNaN(t) || Number.isNaN(at) || Number.isNaN(n) || Number.isNaN(tsvInt(buf, TABS[1]! + 1, TABS[2]!))) {
      throw unexpected(buf, start, end);
    }
    probe.index = decode[0].text(buf, TABS[3]! + 1, TABS[4]!);
    probe.sourcetype = decode[1].text(buf, TABS[4]! + 1, TABS[5]!);
    probe.source = decode[2].text(buf, TABS[5]! + 1, TABS[6]!);
    probe.host = decode[3].text(buf, TABS[6]! + 1, TABS[7]!);
    if (!metadata(probe)) return;
    const i = this.length++;
    if (i === this.t.length) this.grow();
    this.t[i] = t;
    this.at[i] = at;
    this.n[i] = n;
    const o = this.offsets;
    const k = STRIDE * i;
    o[k] = TABS[1]! + 1;
    o[k + 1] = TABS[2]!;
    o[k + 2] = TABS[7]! + 1;
    o[k + 3] = TABS[8]!;
    o[k + 4] = TABS[8]! + 1;
    o[k + 5] = end;
    this.bufs.push(buf);
    this.index.push(probe.index);
    this.sourcetype.push(probe.sourcetype);
    this.source.push(probe.source);
    this.host.push(probe.host);
  }

  private grow(): void {
    const more = <T extends Float64Array | Int32Array>(a: T, size: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    const size = 2 * this.t.length;
    this.t = more(this.t, size);
    this.at = more(this.at, size);
    this.n = more(this.n, size);
    this.offsets = more(this.offsets, STRIDE * size);
  }

  /** Row numbers newest first; ties on t by latest arrival (`at`), then batch, then reverse position in the batch (the SQLite seq order). */
  newestFirst(): number[] {
    const order = Array.from({ length: this.length }, (_, i) => i);
    const { t, at, n } = this;
    return order.sort((a, b) => t[b]! - t[a]! || at[b]! - at[a]! || this.compareBatch(b, a) || n[b]! - n[a]!);
  }

  /** Batch ids (UInt64 in decimal) compared as numbers: by length, then digits. */
  private compareBatch(a: number, b: number): number {
    const o = this.offsets;
    const la = o[STRIDE * a + 1]! - o[STRIDE * a]!;
    const lb = o[STRIDE * b + 1]! - o[STRIDE * b]!;
    if (la !== lb) return la - lb;
    return this.bufs[a]!.compare(this.bufs[b]!, o[STRIDE * b]!, o[STRIDE * b + 1]!, o[STRIDE * a]!, o[STRIDE * a + 1]!);
  }

  /** The row's event identity `(batch, n)`, as a string. */
  id(i: number): string {
    return `${this.bufs[i]!.toString('latin1', this.offsets[STRIDE * i]!, this.offsets[STRIDE * i + 1]!)}\t${this.n[i]}`;
  }

  /** The row's Event (`_raw` and indexed fields decoded now); the row lets go of its Buffer. */
  event(i: number): Event {
    const buf = this.bufs[i]!;
    this.bufs[i] = EMPTY;
    const o = this.offsets;
    const k = STRIDE * i;
    const event: Event = {
      _time: fromMicros(this.t[i]!),
      index: this.index[i]!,
      sourcetype: this.sourcetype[i]!,
      source: this.source[i]!,
      host: this.host[i]!,
      _raw: tsvText(buf, o[k + 2]!, o[k + 3]!),
    };
    if (o[k + 5]! > o[k + 4]!) {
      const fields = parseIndexedFields(tsvText(buf, o[k + 4]!, o[k + 5]!));
      if (fields !== undefined) event.fields = fields;
    }
    return event;
  }
}

const EMPTY = Buffer.alloc(0);

function unexpected(buf: Buffer, start: number, end: number): StoreError {
  return new StoreError('STORE_IO', `unexpected answer from ClickHouse: ${buf.toString('utf8', start, Math.min(end, start + 200))}`);
}

/** A metadata column's values: the previous row's string again when the bytes are the same (consecutive rows mostly share them). */
class FieldDecoder {
  private buf: Buffer | null = null;
  private start = 0;
  private end = 0;
  private value = '';

  text(buf: Buffer, start: number, end: number): string {
    if (this.buf !== null && end - start === this.end - this.start) {
      // A loop, not Buffer.compare: these values are short, and the native call's checks cost more than the bytes.
      let k = 0;
      while (start + k < end && buf[start + k] === this.buf[this.start + k]) k++;
      if (start + k === end) return this.value;
    }
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.value = tsvText(buf, start, end);
    return this.value;
  }
}

/** A TabSeparated line's fields; a line of another shape (an error ClickHouse wrote into the stream) is STORE_IO. */
function fields(line: string, count: number): string[] {
  const f = line.split('\t');
  if (f.length !== count) throw new StoreError('STORE_IO', `unexpected answer from ClickHouse: ${line.slice(0, 200)}`);
  return f;
}

/**
 * Consecutive census hours (newest first) grouped into windows of at most `max()` events (asked again for each
 * window), clipped to the request's bounds; an hour holding more is cut by its seconds (a second holding more is one
 * window: the finest unit). Windows never overlap, so their concatenation is newest first.
 */
async function* windows(
  hours: readonly [number, number][],
  seconds: (hour: number) => Promise<[number, number][]>,
  lo: number | null,
  hi: number | null,
  max: () => number,
): AsyncGenerator<Window> {
  const clip = (w: Window): Window => ({ lo: lo === null ? w.lo : Math.max(lo, w.lo), hi: hi === null ? w.hi : Math.min(hi, w.hi), count: w.count });
  let top: number | null = null;
  let bottom = 0;
  let count = 0;
  const add = function* (start: number, end: number, n: number): Generator<Window> {
    if (top !== null && count + n > max()) {
      yield clip({ lo: bottom, hi: top, count });
      top = null;
      count = 0;
    }
    if (top === null) top = end;
    bottom = start;
    count += n;
  };
  for (const [h, n] of hours) {
    if (n <= max()) {
      yield* add(h * HOUR_US, (h + 1) * HOUR_US, n);
      continue;
    }
    for (const [s, k] of await seconds(h)) yield* add(s * SECOND_US, (s + 1) * SECOND_US, k);
  }
  if (top !== null) yield clip({ lo: bottom, hi: top, count });
}
