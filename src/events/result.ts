import type { FieldValue } from './value.js';

/**
 * A search result: one row flowing between SPL operators. Raw events are results too (see
 * normalize/event-result.ts), whose fields are extracted lazily on first access.
 * `_time` is epoch seconds (fractional), `_raw` the original text.
 */
export interface Result {
  get(field: string): FieldValue | null;
  /**
   * `get(ref.name)`, for row types that read faster from a name resolved once (FieldRef); read a ref with
   * readField, which falls back to `get`.
   */
  read?(ref: FieldRef): FieldValue | null;
  /**
   * The value of an indexed field the event was stored with (HEC `fields`: what `name::value` searches), null when
   * none; rows not made from an event (stats' groups, `table`'s rows) have none and leave it out.
   */
  indexed?(name: string): FieldValue | null;
  /** Sets a field; null removes it. */
  set(field: string, value: FieldValue | null): void;
  /**
   * Moves field `from` (present, not `to`) to the name `to` in its place among fieldNames(), dropping any other
   * `to`: a table's column keeps its position when renamed. Use renameField, which falls back to set for row
   * types without it (the new name then comes last).
   */
  rename?(from: string, to: string): void;
  /** Every field present, in a stable order (materializes lazy extractions). */
  fieldNames(): string[];
  /**
   * The columns of the table this row belongs to, empty cells included, in order (chart, timechart, xyseries:
   * Row.declareColumns), or null: fieldNames() leaves an empty cell out, so a table or CSV header built from the
   * rows alone would put a column where it first has a value.
   */
  columns?(): readonly string[] | null;
  /** An independent copy (writes to the copy do not affect this result). */
  clone(): Result;
}

/**
 * A field name a search reads from every row (a search predicate, a BY column, an eval reference),
 * resolved once when the search is compiled: make one with fieldRef (normalize/event-result.ts), which
 * works out once what the name is to a raw event (a default field, a CIM field and its cache slot, ...).
 */
export interface FieldRef {
  readonly name: string;
}

/** The field `ref` names in `r`. */
export function readField(r: Result, ref: FieldRef): FieldValue | null {
  return r.read !== undefined ? r.read(ref) : r.get(ref.name);
}

/**
 * `rename from AS to` on one row: `from`'s value under the name `to` (in `from`'s place where the row keeps
 * places: Row, SlotRow), any other `to` dropped; when `from` is missing, `to` is removed (SPL reference,
 * rename: "If fieldB does exist, the result of the rename is that the data in fieldB is removed").
 * `fromRef`: `from` resolved once.
 */
export function renameField(r: Result, from: string, to: string, fromRef?: FieldRef): void {
  if (from === to) return;
  const v = fromRef !== undefined ? readField(r, fromRef) : r.get(from);
  if (v === null) {
    if (r.get(to) !== null) r.set(to, null);
    return;
  }
  if (r.rename !== undefined) {
    r.rename(from, to);
    return;
  }
  r.set(from, null);
  r.set(to, v);
}

/** A plain result backed by a Map, used for everything that is not a raw event. */
export class Row implements Result {
  private readonly fields: Map<string, FieldValue>;
  /** Result.columns: the table's columns in order, declared by the command that made the table. */
  private order: readonly string[] | null = null;

  constructor(init?: Iterable<readonly [string, FieldValue]> | Record<string, FieldValue | null | undefined>) {
    this.fields = new Map();
    if (!init) return;
    const entries: Iterable<readonly [string, FieldValue | null | undefined]> =
      Symbol.iterator in init
        ? (init as Iterable<readonly [string, FieldValue]>)
        : Object.entries(init as Record<string, FieldValue | null | undefined>);
    for (const [k, v] of entries) if (v !== null && v !== undefined) this.fields.set(k, v);
  }

  get(field: string): FieldValue | null {
    return this.fields.get(field) ?? null;
  }

  set(field: string, value: FieldValue | null): void {
    if (value === null) this.fields.delete(field);
    else this.fields.set(field, value);
  }

  fieldNames(): string[] {
    return [...this.fields.keys()];
  }

  /** Declares the table's columns in order, empty cells included (Result.columns); one array may serve every row. */
  declareColumns(names: readonly string[]): void {
    this.order = names;
  }

  columns(): readonly string[] | null {
    return this.order;
  }

  rename(from: string, to: string): void {
    const entries = [...this.fields];
    this.fields.clear();
    for (const [k, v] of entries) {
      if (k === to) continue;
      this.fields.set(k === from ? to : k, v);
    }
    if (this.order !== null) this.order = this.order.filter((c) => c !== to).map((c) => (c === from ? to : c));
  }

  clone(): Row {
    const r = new Row(this.fields);
    r.order = this.order;
    return r;
  }
}

/**
 * The rows' declared columns (Result.columns) merged into one order. One array serves most tables; a renamed column
 * gives its rows their own, and a column of a list not yet placed goes after the nearest column before it that is (a
 * renamed column takes its old place).
 */
export class DeclaredColumns {
  private readonly order: string[] = [];
  private readonly placed = new Set<string>();
  /** The fields the declaring rows hold: a name declared but held by none (renamed in every row) is not a column. */
  private readonly held = new Set<string>();
  private last: readonly string[] | null = null;

  add(r: Result): void {
    const list = r.columns?.() ?? null;
    if (list === null) return;
    for (const f of r.fieldNames()) this.held.add(f);
    // Merging a list again changes nothing: the same array as the previous row's is skipped.
    if (list === this.last) return;
    this.last = list;
    list.forEach((c, i) => {
      if (this.placed.has(c)) return;
      let j = i - 1;
      while (j >= 0 && !this.placed.has(list[j]!)) j--;
      if (j >= 0 && this.order[this.order.length - 1] === list[j]) this.order.push(c);
      else this.order.splice(j < 0 ? 0 : this.order.indexOf(list[j]!) + 1, 0, c);
      this.placed.add(c);
    });
  }

  has(name: string): boolean {
    return this.placed.has(name);
  }

  /** The merged order of the columns some row holds, at most `max`; empty when no row declared its columns. */
  names(max = Infinity): string[] {
    const out: string[] = [];
    for (const c of this.order) {
      if (out.length >= max) break;
      if (this.held.has(c)) out.push(c);
    }
    return out;
  }
}

/** Distinct field names in order, and each name's slot. */
export interface RowLayout {
  readonly names: readonly string[];
  readonly slots: ReadonlyMap<string, number>;
}

/** The layout of `names`, or null when a name repeats (a Row then decides which write wins). */
export function rowLayout(names: readonly string[]): RowLayout | null {
  const slots = new Map(names.map((n, i) => [n, i] as const));
  return slots.size === names.length ? { names, slots } : null;
}

/** Renamed layouts by layout and `from\0to`: a few per layout (a search's renames), at most RENAMED_PER_LAYOUT. */
const renamed = new WeakMap<RowLayout, Map<string, RowLayout>>();
const RENAMED_PER_LAYOUT = 64;

/** `layout` with `from` (one of its names) called `to` (none of them), in its place. */
function renamedLayout(layout: RowLayout, from: string, to: string): RowLayout {
  let byPair = renamed.get(layout);
  if (byPair === undefined) renamed.set(layout, (byPair = new Map()));
  const key = `${from}\u0000${to}`;
  let out = byPair.get(key);
  if (out === undefined) {
    const names = layout.names.map((n) => (n === from ? to : n));
    out = { names, slots: new Map(names.map((n, i) => [n, i] as const)) };
    budgets.set(out, budgetOf(layout));
    // Wildcard renames over ever-new names would grow it without end: past the cap, made again each time.
    if (byPair.size < RENAMED_PER_LAYOUT) byPair.set(key, out);
  }
  return out;
}

/**
 * The wider layouts (extendedLayout) left to a family of layouts: one that rows were made with (a stats', a table's)
 * and those made from it by renames and new fields. Per layout alone the caps multiplied: rows adding per-row names
 * in turn (`spath` of keys that differ) each made a layout per name, kept by the family (4,000 rows of 190 keys:
 * 4.3 GB, then out of memory; as Rows 77 MB).
 */
const budgets = new WeakMap<RowLayout, { left: number }>();
const EXTENDED_PER_FAMILY = 256;

function budgetOf(layout: RowLayout): { left: number } {
  let b = budgets.get(layout);
  if (b === undefined) budgets.set(layout, (b = { left: EXTENDED_PER_FAMILY }));
  return b;
}

/** Layouts with one more name, by layout and name: at most EXTENDED_PER_FAMILY from one family (budgetOf). */
const extended = new WeakMap<RowLayout, Map<string, RowLayout>>();

/**
 * `layout` and then `name` (none of its names), shared by the rows that add it; null when that would make more layouts
 * than a search's commands add (names made per row: `eval {x}=...`), so such rows become Rows as before.
 */
function extendedLayout(layout: RowLayout, name: string): RowLayout | null {
  let byName = extended.get(layout);
  if (byName === undefined) extended.set(layout, (byName = new Map()));
  let out = byName.get(name);
  if (out === undefined) {
    const budget = budgetOf(layout);
    if (budget.left === 0) return null;
    budget.left--;
    const names = [...layout.names, name];
    out = { names, slots: new Map(names.map((n, i) => [n, i] as const)) };
    budgets.set(out, budget);
    byName.set(name, out);
  }
  return out;
}

/**
 * A row of fixed fields whose values sit in slots, null for none: `shared` ones (read only: a stats group's
 * BY values) then its `own`. It holds what a Row set field by field in that order would, and acts as it:
 * writing a field present keeps its place, so it is written in place; a new field goes last, in a slot of a
 * wider layout (extendedLayout); any other write (a removal, a shared value, an absent field of the layout,
 * which a Row would put last) makes it that Row first. Rows kept to the end of a search (stats groups, `table`'s rows) are tens of thousands, and a Map
 * each cost ~500 B promoted by the garbage collector and ~2 µs.
 */
export class SlotRow implements Result {
  private row: Row | null = null;

  constructor(
    private layout: RowLayout,
    private readonly shared: readonly (FieldValue | null)[],
    private readonly own: (FieldValue | null)[],
  ) {}

  private value(i: number): FieldValue | null {
    return i < this.shared.length ? (this.shared[i] ?? null) : (this.own[i - this.shared.length] ?? null);
  }

  private plain(): Row {
    const row = new Row();
    this.layout.names.forEach((n, i) => row.set(n, this.value(i)));
    return row;
  }

  get(field: string): FieldValue | null {
    if (this.row !== null) return this.row.get(field);
    const i = this.layout.slots.get(field);
    return i === undefined ? null : this.value(i);
  }

  set(field: string, value: FieldValue | null): void {
    if (this.row === null && value !== null) {
      const i = this.layout.slots.get(field);
      const j = (i ?? -1) - this.shared.length;
      if (j >= 0 && (this.own[j] ?? null) !== null) {
        this.own[j] = value;
        return;
      }
      // A new field goes last, as in a Row: the rows of one layout that get it share the layout with it
      // (`stats ... | eval x=...`, the search_name `vigil run` adds), instead of a Map each.
      const wider = i === undefined ? extendedLayout(this.layout, field) : null;
      if (wider !== null) {
        this.layout = wider;
        this.own[wider.names.length - 1 - this.shared.length] = value;
        return;
      }
    }
    (this.row ??= this.plain()).set(field, value);
  }

  fieldNames(): string[] {
    if (this.row !== null) return this.row.fieldNames();
    return this.layout.names.filter((_, i) => this.value(i) !== null);
  }

  rename(from: string, to: string): void {
    // The rows of one stats or table share a layout: renamed, they share the renamed one (no Row each).
    if (this.row === null && !this.layout.slots.has(to)) {
      const i = this.layout.slots.get(from);
      if (i !== undefined && this.value(i) !== null) {
        this.layout = renamedLayout(this.layout, from, to);
        return;
      }
    }
    (this.row ??= this.plain()).rename(from, to);
  }

  clone(): Result {
    return this.row !== null ? this.row.clone() : new SlotRow(this.layout, this.shared, this.own.slice());
  }
}

/**
 * A copy of an event row (`base`, whose writes overlay its fields: normalize/event-result.ts) written
 * field by field, for a pipeline whose written names are known when it is planned (`layout`: a search of
 * a shared scan, exec/multi.ts): the writes sit in slots instead of a Map per row. Reads of other fields go
 * to `base`, which it never writes. A write outside the layout, or a listing of the fields, makes it that
 * copy first: `base`'s clone given the writes in the order first made, each with its value now (what the
 * overlay's Map holds after the same writes).
 */
export class WrittenRow implements Result {
  private row: Result | null = null;

  /**
   * `values`: by slot, undefined until written, null once removed; then, past the layout's width, the
   * `written` slots in the order first written (one array of twice the width per row).
   */
  constructor(
    private readonly base: Result,
    private readonly layout: RowLayout,
    private readonly values: (FieldValue | null | undefined)[] = new Array<undefined>(2 * layout.names.length).fill(undefined),
    private written = 0,
  ) {}

  get(field: string): FieldValue | null {
    if (this.row !== null) return this.row.get(field);
    const i = this.layout.slots.get(field);
    if (i !== undefined) {
      const v = this.values[i];
      if (v !== undefined) return v;
    }
    return this.base.get(field);
  }

  read(ref: FieldRef): FieldValue | null {
    if (this.row !== null) return readField(this.row, ref);
    const i = this.layout.slots.get(ref.name);
    if (i !== undefined) {
      const v = this.values[i];
      if (v !== undefined) return v;
    }
    return readField(this.base, ref);
  }

  indexed(name: string): FieldValue | null {
    const r = this.row ?? this.base;
    return r.indexed !== undefined ? r.indexed(name) : null;
  }

  set(field: string, value: FieldValue | null): void {
    if (this.row === null) {
      const i = this.layout.slots.get(field);
      if (i !== undefined) {
        if (this.values[i] === undefined) this.values[this.layout.names.length + this.written++] = i;
        this.values[i] = value;
        return;
      }
      this.row = this.copy();
    }
    this.row.set(field, value);
  }

  private copy(): Result {
    const row = this.base.clone();
    const { names } = this.layout;
    for (let k = 0; k < this.written; k++) {
      const i = this.values[names.length + k] as number;
      row.set(names[i]!, this.values[i]!);
    }
    return row;
  }

  fieldNames(): string[] {
    return (this.row ??= this.copy()).fieldNames();
  }

  clone(): Result {
    return this.row !== null ? this.row.clone() : new WrittenRow(this.base, this.layout, this.values.slice(), this.written);
  }
}

/** A plain JSON-friendly copy of a result: multivalues become arrays; a field named `__proto__` an own property. */
export function toObject(r: Result): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of r.fieldNames()) {
    const v = r.get(f);
    // `out.__proto__ = v` would set the prototype (eval {k}= can name any field), not keep the field.
    if (v === null) continue;
    if (f === '__proto__') Object.defineProperty(out, f, { value: v, enumerable: true, writable: true, configurable: true });
    else out[f] = v;
  }
  return out;
}
