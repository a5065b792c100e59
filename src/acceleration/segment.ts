import type { Result } from '../events/result.js';
import type { FieldValue } from '../events/value.js';

/**
 * A summary segment: the rows of one dataset for a run of store seqs inside one time bucket, as columns
 * (tsidx-like). Each field has a lexicon (its distinct values, in first-seen order) and a column of value
 * ids (0 = null, i + 1 = lexicon[i]); `_time` has its own Float64 column. A row's value of a field is
 * exactly what the dataset evaluator wrote on the row (numbers stay numbers, multivalues stay multivalues).
 */
export interface Segment {
  fields: readonly string[];
  lexicons: readonly FieldValue[][];
  ids: readonly IdColumn[];
  times: Float64Array;
}

type IdColumn = Uint8Array | Uint16Array | Uint32Array;

/** Accumulates rows of one (dataset, bucket) until they are written. */
export class SegmentBuilder {
  private readonly columns: ColumnBuilder[];
  private times: Float64Array;
  private n = 0;

  /** `capacity`: the rows expected (the columns grow past it; sized right, they are allocated once). */
  constructor(
    readonly fields: readonly string[],
    capacity = 256,
  ) {
    this.times = new Float64Array(Math.max(1, capacity));
    this.columns = fields.map(() => new ColumnBuilder(Math.max(1, capacity)));
  }

  get rows(): number {
    return this.n;
  }

  add(row: Result): void {
    const r = this.row();
    const t = row.get('_time');
    this.times[r] = typeof t === 'number' ? t : NaN;
    const cols = this.columns;
    for (let i = 0; i < cols.length; i++) cols[i]!.add(r, row.get(this.fields[i]!));
  }

  /**
   * Appends every row of a decoded segment (compaction): each of its lexicon values is looked up once, its
   * rows' ids are then translated (a field the segment lacks is null).
   */
  addSegment(s: Segment): void {
    const rows = s.times.length;
    const at = this.n;
    this.reserveRows(at + rows);
    this.times.set(s.times, at);
    for (let i = 0; i < this.columns.length; i++) {
      const j = s.fields.indexOf(this.fields[i]!);
      if (j >= 0) this.columns[i]!.addIds(at, s.lexicons[j]!, s.ids[j]!);
      else this.columns[i]!.reserve(at + rows); // ids stay 0: null
    }
    this.n += rows;
  }

  build(): Segment {
    return {
      fields: this.fields,
      lexicons: this.columns.map((c) => c.lexicon),
      ids: this.columns.map((c) => c.build(this.n)),
      times: this.times.slice(0, this.n),
    };
  }

  /** The next row's index, growing the time column. */
  private row(): number {
    this.reserveRows(this.n + 1);
    return this.n++;
  }

  private reserveRows(rows: number): void {
    if (rows <= this.times.length) return;
    const grown = new Float64Array(Math.max(rows, this.times.length * 2));
    grown.set(this.times);
    this.times = grown;
  }
}

/**
 * One field's lexicon and ids while a segment is built. A value equal to the previous row's is its id
 * again without a lookup (runs are common: constants, `"unknown"` fills, one host's events in a row).
 * Strings and numbers are found through an open-addressing table over typed arrays (hash, id), the value
 * itself being the lexicon's: V8's Maps get slow past a few thousand entries, and a segment's unique
 * values (guids, pids, command lines) number in the tens of thousands. Multivalues (rare) are keyed by
 * their text with types kept.
 */
class ColumnBuilder {
  readonly lexicon: FieldValue[] = [];
  private hashes = new Int32Array(16);
  /** Per slot, the id of the value there (0: empty). */
  private slots = new Int32Array(16);
  private multivalues: Map<string, number> | null = null;
  private ids: Uint32Array;
  private last: FieldValue | null = null;
  private lastId = 0;

  constructor(capacity: number) {
    this.ids = new Uint32Array(capacity);
  }

  add(r: number, v: FieldValue | null): void {
    if (r >= this.ids.length) this.reserve(r + 1);
    this.ids[r] = v === null ? 0 : this.idOf(v);
  }

  reserve(rows: number): void {
    if (rows <= this.ids.length) return;
    const grown = new Uint32Array(Math.max(rows, this.ids.length * 2));
    grown.set(this.ids);
    this.ids = grown;
  }

  /** Rows `at`… with the ids of another segment's column: each of its values is looked up once. */
  addIds(at: number, lexicon: readonly FieldValue[], ids: ArrayLike<number>): void {
    this.reserve(at + ids.length);
    const ours = new Uint32Array(lexicon.length + 1);
    for (let k = 0; k < lexicon.length; k++) ours[k + 1] = this.idOf(lexicon[k]!);
    for (let r = 0; r < ids.length; r++) this.ids[at + r] = ours[ids[r]!]!;
  }

  /** The ids at the narrowest width that holds the lexicon. */
  build(rows: number): IdColumn {
    const ids = this.ids.subarray(0, rows);
    const size = this.lexicon.length;
    return size < 0xff ? Uint8Array.from(ids) : size < 0xffff ? Uint16Array.from(ids) : ids.slice();
  }

  private idOf(v: FieldValue): number {
    const last = this.last;
    if (v === last) return this.lastId;
    let id: number;
    if (typeof v === 'string') id = this.scalarId(v, stringHash(v));
    else if (typeof v === 'number') id = this.scalarId(v, numberHash(v));
    else {
      if (typeof last === 'object' && last !== null && sameItems(v, last)) return this.lastId;
      const key = multivalueKey(v);
      const known = (this.multivalues ??= new Map()).get(key);
      if (known === undefined) this.multivalues.set(key, (id = this.append(v)));
      else id = known;
    }
    this.last = v;
    this.lastId = id;
    return id;
  }

  /** The id of a string or number (`1` and `"1"` are different values; so are 0 and -0 not, as in a Map). */
  private scalarId(v: string | number, h: number): number {
    const mask = this.slots.length - 1;
    let i = h & mask;
    for (let id = this.slots[i]!; id !== 0; id = this.slots[i]!) {
      if (this.hashes[i] === h) {
        const x = this.lexicon[id - 1]!;
        if (x === v || (x !== x && v !== v)) return id; // NaN is itself
      }
      i = (i + 1) & mask;
    }
    const id = this.append(v);
    this.hashes[i] = h;
    this.slots[i] = id;
    if (id * 2 > mask) this.grow();
    return id;
  }

  private append(v: FieldValue): number {
    this.lexicon.push(v);
    return this.lexicon.length;
  }

  /** Twice the slots, at most half full. */
  private grow(): void {
    const hashes = this.hashes;
    const slots = this.slots;
    this.hashes = new Int32Array(slots.length * 2);
    this.slots = new Int32Array(slots.length * 2);
    const mask = this.slots.length - 1;
    for (let j = 0; j < slots.length; j++) {
      if (slots[j] === 0) continue;
      let i = hashes[j]! & mask;
      while (this.slots[i] !== 0) i = (i + 1) & mask;
      this.hashes[i] = hashes[j]!;
      this.slots[i] = slots[j]!;
    }
  }
}

/** FNV-1a over the UTF-16 units. */
function stringHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

const FLOAT = new Float64Array(1);
const FLOAT_WORDS = new Int32Array(FLOAT.buffer);

/** A hash of a number: equal numbers (0 and -0, every NaN) hash alike. */
function numberHash(v: number): number {
  if ((v | 0) === v) return mix(v);
  if (v !== v) return 0x7ff80000;
  FLOAT[0] = v;
  return mix(FLOAT_WORDS[0]! ^ mix(FLOAT_WORDS[1]!));
}

function mix(x: number): number {
  const h = Math.imul(x, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** Two multivalues with the same items, types kept (`Object.is`: NaN is itself). */
function sameItems(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A multivalue's identity: its items' types count (the number 1 and the text "1" are different values). */
function multivalueKey(v: Exclude<FieldValue, string | number>): string {
  return JSON.stringify(v.map((x) => (typeof x === 'number' ? { n: String(x) } : x)));
}

/** The stored form: lexicons as JSON text, columns as one blob (times, then each field's ids at its width). */
export interface EncodedSegment {
  lex: string;
  cols: Buffer;
}

export function encodeSegment(s: Segment): EncodedSegment {
  const widths = s.ids.map((c) => c.BYTES_PER_ELEMENT);
  const lex = JSON.stringify({ fields: s.fields, widths, lexicons: s.lexicons.map((l) => l.map(encodeValue)) });
  const parts = [Buffer.from(s.times.buffer, s.times.byteOffset, s.times.byteLength), ...s.ids.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))];
  return { lex, cols: Buffer.concat(parts) };
}

/**
 * A segment from its stored form; a stored form that does not fit `rows` (a damaged or edited summaries.db)
 * throws rather than reading zeros as nulls and times 0: a wrong count would be silent.
 */
export function decodeSegment(e: EncodedSegment, rows: number): Segment {
  const head = JSON.parse(e.lex) as { fields?: unknown; widths?: unknown; lexicons?: unknown };
  const { fields, widths, lexicons } = head;
  if (!Array.isArray(fields) || !Array.isArray(widths) || !Array.isArray(lexicons) || widths.length !== fields.length || lexicons.length !== fields.length || !lexicons.every((l) => Array.isArray(l)) || !widths.every((w) => w === 1 || w === 2 || w === 4)) {
    throw new Error('its lexicons are not those of a segment');
  }
  const size = rows * 8 + (widths as number[]).reduce((a, w) => a + rows * w, 0);
  if (e.cols.length !== size) throw new Error(`its columns hold ${e.cols.length} bytes, not the ${size} of ${rows} rows`);
  let at = 0;
  // Copies: a Buffer from SQLite need not be aligned for a typed-array view.
  const slice = (bytes: number) => {
    const b = new Uint8Array(bytes);
    b.set(e.cols.subarray(at, at + bytes));
    at += bytes;
    return b.buffer;
  };
  const times = new Float64Array(slice(rows * 8));
  const ids = (widths as number[]).map((w, f) => {
    const buf = slice(rows * w);
    const col = w === 1 ? new Uint8Array(buf) : w === 2 ? new Uint16Array(buf) : new Uint32Array(buf);
    if (maxId(col) > (lexicons[f] as unknown[]).length) throw new Error(`field ${String(fields[f])} has a value id past its lexicon`);
    return col;
  });
  return { fields: fields as string[], lexicons: (lexicons as unknown[][]).map((l) => l.map(decodeValue)), ids, times };
}

/**
 * The largest id of a column. An indexed loop: `for...of` over a typed array, in a function that runs once per
 * segment (not optimized by then), took ~0.8 s for the 1M-row hour of `npm run bench:tstats`, cold.
 */
function maxId(col: Uint8Array | Uint16Array | Uint32Array): number {
  let max = 0;
  for (let i = 0; i < col.length; i++) if (col[i]! > max) max = col[i]!;
  return max;
}

/** JSON keeps strings and finite numbers apart; other numbers (NaN, ±Infinity) are tagged. */
function encodeValue(v: FieldValue): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : { n: String(v) };
  if (typeof v === 'string') return v;
  return v.map((x) => encodeValue(x));
}

function decodeValue(v: unknown): FieldValue {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (Array.isArray(v)) return v.map((x) => decodeValue(x) as string | number);
  return Number((v as { n: string }).n);
}

/** One row of a segment as a result (a cursor: `at` moves it). */
export class SegmentRow implements Result {
  at = 0;
  private readonly index = new Map<string, number>();

  constructor(private readonly seg: Segment) {
    seg.fields.forEach((f, i) => this.index.set(f, i));
  }

  get(field: string): FieldValue | null {
    if (field === '_time') {
      const t = this.seg.times[this.at]!;
      return Number.isNaN(t) ? null : t;
    }
    const i = this.index.get(field);
    if (i === undefined) return null;
    const id = this.seg.ids[i]![this.at]!;
    return id === 0 ? null : this.seg.lexicons[i]![id - 1]!;
  }

  set(): void {
    throw new Error('a summary row is read-only');
  }

  fieldNames(): string[] {
    return ['_time', ...this.seg.fields].filter((f) => this.get(f) !== null);
  }

  clone(): Result {
    const copy = new SegmentRow(this.seg);
    copy.at = this.at;
    return copy;
  }
}
