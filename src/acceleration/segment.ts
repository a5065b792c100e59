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
  /** Per field, the ids of its values, by type: a string or a number is its own key (no key string built per row). */
  private readonly strings: Map<string, number>[];
  private readonly numbers: Map<number, number>[];
  private readonly keys: Map<string, number>[];
  private readonly lexicons: FieldValue[][];
  private readonly cols: number[][];
  private readonly times: number[] = [];

  constructor(readonly fields: readonly string[]) {
    this.strings = fields.map(() => new Map());
    this.numbers = fields.map(() => new Map());
    this.keys = fields.map(() => new Map());
    this.lexicons = fields.map(() => []);
    this.cols = fields.map(() => []);
  }

  get rows(): number {
    return this.times.length;
  }

  add(row: Result): void {
    const t = row.get('_time');
    this.times.push(typeof t === 'number' ? t : NaN);
    for (let i = 0; i < this.fields.length; i++) this.cols[i]!.push(this.idOf(i, row.get(this.fields[i]!)));
  }

  /** Appends every row of a decoded segment with the same fields (compaction). */
  addSegment(s: Segment): void {
    for (let r = 0; r < s.times.length; r++) {
      this.times.push(s.times[r]!);
      for (let i = 0; i < this.fields.length; i++) {
        const id = s.ids[i]![r]!;
        this.cols[i]!.push(this.idOf(i, id === 0 ? null : s.lexicons[i]![id - 1]!));
      }
    }
  }

  build(): Segment {
    return {
      fields: this.fields,
      lexicons: this.lexicons,
      ids: this.cols.map((c, i) => idColumn(this.lexicons[i]!.length, c)),
      times: Float64Array.from(this.times),
    };
  }

  private idOf(i: number, v: FieldValue | null): number {
    if (v === null) return 0;
    if (typeof v === 'string') return this.idIn(this.strings[i]!, v, i, v);
    if (typeof v === 'number') return this.idIn(this.numbers[i]!, v, i, v);
    return this.idIn(this.keys[i]!, multivalueKey(v), i, v);
  }

  private idIn<K>(keys: Map<K, number>, k: K, i: number, v: FieldValue): number {
    let id = keys.get(k);
    if (id === undefined) {
      this.lexicons[i]!.push(v);
      keys.set(k, (id = this.lexicons[i]!.length));
    }
    return id;
  }
}

/** A multivalue's identity: its items' types count (the number 1 and the text "1" are different values). */
function multivalueKey(v: Exclude<FieldValue, string | number>): string {
  return JSON.stringify(v.map((x) => (typeof x === 'number' ? { n: String(x) } : x)));
}

function idColumn(lexiconSize: number, ids: number[]): IdColumn {
  if (lexiconSize < 0xff) return Uint8Array.from(ids);
  if (lexiconSize < 0xffff) return Uint16Array.from(ids);
  return Uint32Array.from(ids);
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

export function decodeSegment(e: EncodedSegment, rows: number): Segment {
  const head = JSON.parse(e.lex) as { fields: string[]; widths: number[]; lexicons: unknown[][] };
  let at = 0;
  // Copies: a Buffer from SQLite need not be aligned for a typed-array view.
  const slice = (bytes: number) => {
    const b = new Uint8Array(bytes);
    b.set(e.cols.subarray(at, at + bytes));
    at += bytes;
    return b.buffer;
  };
  const times = new Float64Array(slice(rows * 8));
  const ids = head.widths.map((w) => {
    const buf = slice(rows * w);
    return w === 1 ? new Uint8Array(buf) : w === 2 ? new Uint16Array(buf) : new Uint32Array(buf);
  });
  return { fields: head.fields, lexicons: head.lexicons.map((l) => l.map(decodeValue)), ids, times };
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
