/**
 * Projected matches: what the match index keeps of a detection's matches so that a run need not read and
 * parse their events again. At ingest, each row the detection's filter prefix passes (incremental.ts) is kept:
 * as the values of the fields the rest of the search reads from it, or whole when a table made it (its fields are
 * few and known). A run over a window pushes those rows straight into the rest of the search. A read of anything
 * not kept (a field the analysis missed, every field name, `_raw`) marks the run as missed: its rows are dropped
 * and it runs from the events themselves, by seq.
 */
import { Row, type Result } from '../events/result.js';
import { toNumber, toText, type FieldValue, type Scalar } from '../events/value.js';
import { statsCommand } from '../spl/commands/stats.js';
import type { ExecContext, Sink } from '../spl/commands/types.js';
import { buildOperators, buildStages, createContext, type ExecuteStats } from '../spl/exec/run.js';
import type { Accumulator } from '../spl/stats/aggregations.js';
import { Aggregator, countingSort, emitGroups, numberRanks, textIdRanks } from '../spl/stats/aggregator.js';
import type { StatsArgs } from '../spl/stats/parse.js';
import { plan as planSearch } from '../spl/index.js';
import type { PlannedStage, SearchPlan } from '../spl/plan/plan.js';
import type { Knowledge } from '../spl/datamodel/types.js';
import type { LookupProvider } from '../spl/lookups.js';

/** Commands that may belong to an incrementally evaluated prefix: per-event, order-free, no lookups. */
const PREFIX_COMMANDS = new Set(['search', 'where', 'eval', 'regex', 'rex', 'rename', 'fields', 'table', 'bin', 'convert', 'spath', 'mvexpand']);

/** The leading commands of a plan that form its filter prefix (see incremental.ts compilePrefix). */
export function prefixStages(p: SearchPlan): number {
  let n = 0;
  for (const s of p.stages) {
    if (!PREFIX_COMMANDS.has(s.command.name) || s.blueprint.kind(s.command.args) !== 'streaming' || s.blueprint.orderSensitive(s.command.args)) break;
    n++;
  }
  return n;
}

/** Argument keys whose strings name fields, in the commands' argument trees. */
const FIELD_KEYS = new Set(['field', 'fields', 'by', 'from', 'to', 'as']);
/** Most fields kept per row: past it, the rows are not kept (the run reads the events). */
const MAX_FIELDS = 64;

/**
 * The fields the commands `rest` read from the rows they are given, up to the first one that makes rows of its
 * own (stats, table): the names in their arguments (field options, BY lists, eval field references) and `_time`.
 * An over-estimate costs memory; a miss costs the run its shortcut (the read is noticed). Null when no command
 * makes rows of its own (the given rows are the results, whole) or there are more than MAX_FIELDS.
 */
export function restFields(rest: readonly PlannedStage[]): string[] | null {
  const out = new Set<string>(['_time']);
  for (const s of rest) {
    fieldNamesIn(s.command.args, (name, pattern) => {
      if (!pattern) out.add(name);
    });
    // `_raw` whole would cost more than reading the event.
    if (s.blueprint.emitsOwnRows?.(s.command.args)) return out.size > MAX_FIELDS || out.has('_raw') ? null : [...out];
  }
  return null;
}

/**
 * Calls `found` with each field name in a command's arguments (field options, BY lists, eval field references);
 * `pattern`: a field option's name holding `*` (an eval field reference is a name, whatever it holds).
 */
function fieldNamesIn(args: unknown, found: (name: string, pattern: boolean) => void): void {
  const walk = (v: unknown, key: string | null): void => {
    if (typeof v === 'string') {
      if (key !== null && FIELD_KEYS.has(key) && v !== '') found(v, v.includes('*'));
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
      return;
    }
    if (v === null || typeof v !== 'object' || Object.getPrototypeOf(v) !== Object.prototype) return;
    const o = v as Record<string, unknown>;
    // An eval expression's field reference.
    if (o['kind'] === 'field' && typeof o['name'] === 'string') found(o['name'], false);
    for (const [k, x] of Object.entries(o)) if (k !== 'blueprint') walk(x, k);
  };
  walk(args, null);
}

/**
 * Whether a command of `stages` names fields by a pattern (`table *`, `fields pod*`, `rename * AS x_*`): it lists
 * a row's field names, which at ingest lack the fields computed from event types (`tag`, `eventtype`).
 */
export function namesFieldPatterns(stages: readonly PlannedStage[]): boolean {
  let found = false;
  for (const s of stages) fieldNamesIn(s.command.args, (_name, pattern) => (found ||= pattern));
  return found;
}

/**
 * A window's projected rows, newest first (by event time, then store seq, then the prefix's order), as plain
 * data that crosses threads: each field's distinct values and a code per row (-1: no value).
 */
export interface MatchProjection {
  /** The prefix the rows come from (expanded search text up to its last command, and time zone). */
  prefix: string;
  /** The window the rows were taken for. */
  earliest: number;
  latest: number;
  fields: string[];
  /** Per row: its event's time (as the store keeps it: whole microseconds) and seq. */
  times: Float64Array;
  seqs: Float64Array;
  /** Per row: its event's index (a code into `indexes`), for the default-index rule of the run. */
  indexes: string[];
  indexCodes: Int32Array;
  columns: { values: FieldValue[]; codes: Int32Array }[];
  /** Rows kept whole: each row's field names in order (a code into `shapes`). Null: only `fields` were kept. */
  shapes: string[][] | null;
  shapeCodes: Int32Array | null;
}

/** The first of the first `n` ascending `times` that is at least `time` (`n` when none is). */
export function firstAtOrAfter(times: ArrayLike<number>, n: number, time: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((times[mid] as number) < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Values of one field, each distinct value kept once; a code per row, -1 for none. */
class Column {
  values: FieldValue[] = [];
  /** Strings and numbers by themselves (a Map tells `1` from `"1"`), multivalues by their JSON text. */
  private readonly ids = new Map<string | number, number>();
  private readonly multi = new Map<string, number>();
  codes: Int32Array;

  constructor(rows: number) {
    this.codes = new Int32Array(Math.max(1024, rows * 2)).fill(-1);
  }

  add(i: number, v: FieldValue | null): void {
    if (i >= this.codes.length) {
      const grown = new Int32Array(this.codes.length * 2).fill(-1);
      grown.set(this.codes);
      this.codes = grown;
    }
    if (v === null) {
      this.codes[i] = -1;
      return;
    }
    this.codes[i] = this.id(v);
  }

  private id(v: FieldValue): number {
    const map = Array.isArray(v) ? this.multi : this.ids;
    const key = Array.isArray(v) ? JSON.stringify(v) : (v as string | number);
    let id = map.get(key as string);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(v);
      map.set(key as string, id);
    }
    return id;
  }

  /** Keeps the rows `rows` (ascending) at the front, in order; values no kept row uses are dropped. */
  keep(rows: readonly number[]): void {
    const old = this.values;
    const renumber = new Int32Array(old.length).fill(-1);
    this.values = [];
    this.ids.clear();
    this.multi.clear();
    rows.forEach((i, n) => {
      const c = this.codes[i] as number;
      if (c < 0) {
        this.codes[n] = -1;
        return;
      }
      if ((renumber[c] as number) < 0) renumber[c] = this.id(old[c] as FieldValue);
      this.codes[n] = renumber[c] as number;
    });
    this.codes.fill(-1, rows.length);
  }

  /** The codes of `ids` (in that order), renumbered over the values they use. */
  pick(ids: Int32Array): { values: FieldValue[]; codes: Int32Array } {
    const codes = new Int32Array(ids.length);
    const used = new Int32Array(this.values.length).fill(-1);
    const values: FieldValue[] = [];
    const from = this.codes;
    for (let k = 0; k < ids.length; k++) {
      const code = from[ids[k] as number] as number;
      if (code < 0) {
        codes[k] = -1;
        continue;
      }
      let n = used[code] as number;
      if (n < 0) {
        n = used[code] = values.length;
        values.push(this.values[code] as FieldValue);
      }
      codes[k] = n;
    }
    return { values, codes };
  }
}

/** A detection's projected rows, in arrival order. */
export class ProjectionStore {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private readonly indexes = new Column(0);
  private readonly names: string[] = [];
  private readonly columns: Column[] = [];
  private readonly slots = new Map<string, number>();
  /** Rows kept whole: each row's field names, joined with NUL (the shape), then split again for a window. */
  private readonly shapes: Column | null;
  private count = 0;
  private cellCount = 0;
  /** Whether `times` never decrease (events arrive in time order): a window's rows are then one range. */
  private inOrder = true;

  constructor(
    readonly prefix: string,
    /** The fields kept of each row, or `all` of them. */
    readonly fields: readonly string[] | 'all',
  ) {
    this.shapes = fields === 'all' ? new Column(0) : null;
    if (fields !== 'all') for (const f of fields) this.column(f);
  }

  get rows(): number {
    return this.count;
  }

  /** Cells held (values and per-row codes), for the index's memory budget. */
  get cells(): number {
    return this.cellCount;
  }

  private column(name: string): Column {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.columns.length;
      this.slots.set(name, slot);
      this.names.push(name);
      this.columns.push(new Column(this.count));
    }
    return this.columns[slot] as Column;
  }

  /** Keeps a row the prefix passed: `time` its event's time as the store keeps it. */
  add(time: number, seq: number, index: string, row: Result): void {
    const i = this.count++;
    if (i >= this.times.length) {
      const times = new Float64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
      const seqs = new Float64Array(this.seqs.length * 2);
      seqs.set(this.seqs);
      this.seqs = seqs;
    }
    if (Number.isNaN(time) || (i > 0 && time < (this.times[i - 1] as number))) this.inOrder = false;
    this.times[i] = time;
    this.seqs[i] = seq;
    this.indexes.add(i, index);
    if (this.shapes === null) {
      for (let f = 0; f < this.columns.length; f++) (this.columns[f] as Column).add(i, row.get(this.names[f] as string));
      this.cellCount += this.columns.length + 3;
      return;
    }
    const names = row.fieldNames();
    // Joined by NUL; names the join would not give back (one holding a NUL, an empty one: [''] joins as []) are kept
    // as a multivalue instead (a Column keeps texts and multivalues apart).
    this.shapes.add(i, names.some((n) => n === '' || n.includes('\u0000')) ? names : names.join('\u0000'));
    for (const n of names) this.column(n).add(i, row.get(n));
    this.cellCount += names.length + 4;
  }

  /** The rows of events in [earliest, latest), newest first. */
  window(earliest: number, latest: number): MatchProjection {
    // Search order, as the store returns events: time, then seq, descending; an event's rows in the prefix's
    // order. Rows arrive in seq order, and usually in time order too: then the window is one range of rows, and
    // the newest event's rows come first by walking back one event (one seq) at a time, with no sort.
    const lo = this.inOrder ? firstAtOrAfter(this.times, this.count, earliest) : 0;
    const hi = this.inOrder ? Math.max(lo, firstAtOrAfter(this.times, this.count, latest)) : this.count;
    let ids = new Int32Array(hi - lo);
    let n = 0;
    let sorted = true;
    for (let end = hi; end > lo; ) {
      const seq = this.seqs[end - 1] as number;
      let start = end - 1;
      while (start > lo && this.seqs[start - 1] === seq) start--;
      const t = this.times[start] as number;
      if (t >= earliest && t < latest) {
        if (n > 0 && t > (this.times[ids[n - 1] as number] as number)) sorted = false;
        for (let i = start; i < end; i++) ids[n++] = i;
      }
      end = start;
    }
    ids = ids.subarray(0, n);
    // A stable sort keeps an event's rows in order.
    if (!sorted) ids = Int32Array.from(Array.from(ids).sort((a, b) => (this.times[b] as number) - (this.times[a] as number) || (this.seqs[b] as number) - (this.seqs[a] as number)));
    const indexes = this.indexes.pick(ids);
    const shapes = this.shapes?.pick(ids) ?? null;
    const times = new Float64Array(n);
    const seqs = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      times[k] = this.times[ids[k] as number] as number;
      seqs[k] = this.seqs[ids[k] as number] as number;
    }
    return {
      prefix: this.prefix,
      earliest,
      latest,
      fields: [...this.names],
      times,
      seqs,
      indexes: indexes.values as string[],
      indexCodes: indexes.codes,
      columns: this.columns.map((c) => c.pick(ids)),
      shapes: shapes === null ? null : shapes.values.map((v) => (Array.isArray(v) ? (v as string[]) : v === '' ? [] : (v as string).split('\u0000'))),
      shapeCodes: shapes?.codes ?? null,
    };
  }

  /** Whether some row's event matches `test`. */
  holds(test: (time: number, index: string) => boolean): boolean {
    for (let i = 0; i < this.count; i++) if (test(this.times[i] as number, this.indexes.values[this.indexes.codes[i] as number] as string)) return true;
    return false;
  }

  /** Keeps only the rows whose event `keep` accepts, in their order. */
  retain(keep: (time: number, index: string) => boolean): void {
    const rows: number[] = [];
    for (let i = 0; i < this.count; i++) if (keep(this.times[i] as number, this.indexes.values[this.indexes.codes[i] as number] as string)) rows.push(i);
    if (rows.length === this.count) return;
    const perRow = this.cellCount / Math.max(1, this.count);
    for (const c of [this.indexes, ...this.columns, ...(this.shapes ? [this.shapes] : [])]) c.keep(rows);
    rows.forEach((i, n) => {
      this.times[n] = this.times[i] as number;
      this.seqs[n] = this.seqs[i] as number;
    });
    this.count = rows.length;
    this.cellCount = Math.round(perRow * rows.length);
  }
}

/**
 * A projected row: the kept values, and a write overlay; reading anything else notes a miss. A row kept whole
 * (a table's) becomes a plain Row at its first write or copy, so its field order is exactly a Row's.
 */
class ProjectedRow implements Result {
  private row: Row | null = null;
  private overlay: Map<string, FieldValue | null> | null = null;

  constructor(
    private readonly p: MatchProjection,
    private readonly slot: ReadonlyMap<string, number>,
    private i: number,
    private readonly state: { missed: boolean },
  ) {}

  /** Moves this row, never written to, to row `i`: a reader of many rows (a stats' feed) needs no object per row. */
  at(i: number): this {
    this.i = i;
    return this;
  }

  private kept(field: string): FieldValue | null {
    const f = this.slot.get(field);
    if (f === undefined) {
      // A row kept whole has no such field; otherwise it was not kept.
      if (this.p.shapes === null) this.state.missed = true;
      return null;
    }
    const col = this.p.columns[f]!;
    const code = col.codes[this.i] as number;
    return code < 0 ? null : (col.values[code] as FieldValue);
  }

  private whole(): Row | null {
    if (this.row === null && this.p.shapes !== null) {
      const names = this.p.shapes[this.p.shapeCodes![this.i] as number]!;
      this.row = new Row(names.map((n) => [n, this.kept(n) as FieldValue] as const));
    }
    return this.row;
  }

  get(field: string): FieldValue | null {
    if (this.row !== null) return this.row.get(field);
    const o = this.overlay;
    if (o !== null && o.has(field)) return o.get(field) ?? null;
    return this.kept(field);
  }

  /** Indexed fields (`name::value`) are not kept: a miss, unless a table made the row (a table's rows have none). */
  indexed(): FieldValue | null {
    if (this.p.shapes === null) this.state.missed = true;
    return null;
  }

  set(field: string, value: FieldValue | null): void {
    const row = this.whole();
    if (row !== null) row.set(field, value);
    else (this.overlay ??= new Map()).set(field, value);
  }

  fieldNames(): string[] {
    const row = this.whole();
    if (row !== null) return row.fieldNames();
    this.state.missed = true;
    return [];
  }

  clone(): Result {
    const row = this.whole();
    if (row !== null) return row.clone();
    const copy = new ProjectedRow(this.p, this.slot, this.i, this.state);
    if (this.overlay !== null) copy.overlay = new Map(this.overlay);
    return copy;
  }
}

/** Seconds of event time per slice of partial states: scheduled windows start and end on whole minutes. */
export const SLICE_SECONDS = 60;

/** A partial aggregation that can report its share and go on, and count its groups (`AggregationSplit.partial` with `peek`, `groups`). */
export type PartialSink = Sink & { peek(): unknown; groups(): number };

/**
 * A window's partial states of the aggregation right after the prefix, per slice of event time and index,
 * newest slice first: plain data that crosses threads.
 */
export interface SlicedStates {
  prefix: string;
  /** The window the states were taken for. */
  earliest: number;
  latest: number;
  states: { index: string; state: unknown }[];
}

/** Merging a slice's groups costs about as much as feeding a few of its rows: states serve a run only when they are this many times fewer. */
export const ROWS_PER_GROUP = 4;

/**
 * The partial states of the aggregation that follows a detection's prefix (a stats whose functions merge and
 * do not depend on order), per minute of event time and per index: a run over whole minutes merges them
 * instead of feeding every row, when they are much fewer than the rows (few groups: a BY on pods, not on
 * processes). Rows arrive in any order within a slice: the functions do not care. A slice's share is copied
 * once after its last row (older minutes no longer change).
 */
export class SliceStore {
  private readonly slices = new Map<string, { start: number; index: string; sink: PartialSink; rows: number; share: unknown }>();

  constructor(
    readonly prefix: string,
    private readonly open: () => PartialSink,
    private readonly rowsPerGroup = ROWS_PER_GROUP,
  ) {}

  get count(): number {
    return this.slices.size;
  }

  add(time: number, index: string, row: Result): void {
    const start = Math.floor(time / SLICE_SECONDS) * SLICE_SECONDS;
    const key = `${start}\u0000${index}`;
    let s = this.slices.get(key);
    if (s === undefined) this.slices.set(key, (s = { start, index, sink: this.open(), rows: 0, share: null }));
    s.sink.push(row);
    s.rows++;
    s.share = null;
  }

  /**
   * The states of the slices in [earliest, latest), or null when the window does not start and end on slice
   * bounds, or the states are not much fewer than the rows.
   */
  window(earliest: number, latest: number): SlicedStates | null {
    if (!Number.isFinite(earliest) || !Number.isFinite(latest) || earliest % SLICE_SECONDS !== 0 || latest % SLICE_SECONDS !== 0) return null;
    const inside = [...this.slices.values()].filter((s) => s.start >= earliest && s.start < latest).sort((a, b) => b.start - a.start);
    let rows = 0;
    let groups = 0;
    for (const s of inside) {
      rows += s.rows;
      groups += s.sink.groups();
    }
    // Counted before any copy: states that do not serve the run are not copied.
    if (groups * this.rowsPerGroup > rows) return null;
    // A copy: the slice may go on aggregating, and `peek` may share its arrays.
    for (const s of inside) s.share ??= structuredClone(s.sink.peek());
    return { prefix: this.prefix, earliest, latest, states: inside.map((s) => ({ index: s.index, state: s.share })) };
  }

  /** Whether some slice's events match `test` (its start as their time: the slice may hold older events than any of its rows). */
  holds(test: (time: number, index: string) => boolean): boolean {
    for (const s of this.slices.values()) if (test(s.start, s.index)) return true;
    return false;
  }

  /** Drops slices that end at or before `floor`. */
  prune(floor: number): void {
    for (const [k, s] of this.slices) if (s.start + SLICE_SECONDS <= floor) this.slices.delete(k);
  }
}

export interface ProjectedRunOptions {
  lookups: LookupProvider;
  knowledge?: Knowledge | null;
  now: number;
  tz: string;
  earliest: number | string | null;
  latest: number | string | null;
  defaultIndexes: readonly string[] | 'all';
  signal?: AbortSignal;
}

/** The search's plan and where its prefix ends, when `prefix` (a window's kept data) is its prefix and covers its time range. */
function planAfterPrefix(search: string, kept: { prefix: string; earliest: number; latest: number }, opts: ProjectedRunOptions): { p: SearchPlan; k: number } | null {
  const p = planSearch(search, {
    lookups: opts.lookups,
    ...(opts.knowledge ? { knowledge: opts.knowledge } : {}),
    now: opts.now,
    tz: opts.tz,
    earliest: opts.earliest,
    latest: opts.latest,
    defaultIndexes: opts.defaultIndexes,
    // The store's order: no sort is planned.
    source: { newestFirst: true, scan: async function* () {} },
  });
  const k = prefixStages(p);
  const src = p.pipeline.source.text;
  const end = k > 0 ? p.stages[k - 1]!.command.span.end : (p.pipeline.commands[0]?.span.end ?? 0);
  // A subsearch (join) reads its own events: never served from kept rows (compilePrefix keeps none for it).
  if (p.generating || p.subsearches.length > 0 || `${src.slice(0, end)}\u0000${opts.tz}` !== kept.prefix) return null;
  // The search's own earliest=/latest= may reach past the window the data was taken for.
  if ((p.earliest ?? -Infinity) < kept.earliest || (p.latest ?? Infinity) > kept.latest) return null;
  return { p, k };
}

/** Whether the default-index rule lets an event of `index` into the search. */
function indexRule(p: SearchPlan, opts: ProjectedRunOptions): (index: string) => boolean {
  if (opts.defaultIndexes === 'all' || p.scan.metadata.some((m) => m.field === 'index')) return () => true;
  const allowed = new Set(opts.defaultIndexes.map((i) => i.toLowerCase()));
  return (index) => allowed.has(index.toLowerCase());
}

/**
 * Runs `search` over projected rows: the commands after its prefix only, the window and default indexes
 * applied to the rows' events. Null when the rows cannot stand for the events (another prefix, or the run read
 * something not kept): the caller then runs the search over the events, and must drop what `output` got.
 */
export function runProjected(search: string, projection: MatchProjection, opts: ProjectedRunOptions, output: Sink): ExecuteStats | null {
  const started = performance.now();
  const planned = planAfterPrefix(search, projection, opts);
  if (planned === null) return null;
  const { p, k } = planned;
  const stats: ExecuteStats = { eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0 };
  const ctx = createContext(p, { now: opts.now, tz: opts.tz, lookups: opts.lookups });
  const counted: Sink = {
    push: (r) => {
      stats.results++;
      output.push(r);
    },
    end: () => output.end(),
  };
  // The rows of the search's time range and indexes.
  const lo = p.earliest ?? -Infinity;
  const hi = p.latest ?? Infinity;
  const rule = indexRule(p, opts);
  const indexOk = projection.indexes.map(rule);
  const rows = new Int32Array(projection.times.length);
  let n = 0;
  for (let i = 0; i < projection.times.length; i++) {
    const t = projection.times[i] as number;
    if (t >= lo && t < hi && indexOk[projection.indexCodes[i] as number]) rows[n++] = i;
  }
  const slot = new Map(projection.fields.map((f, i) => [f, i]));
  const state = { missed: false };
  if (statsFromColumns(p, k, projection, slot, rows.subarray(0, n), state, ctx, counted, opts.signal)) {
    stats.eventsScanned = stats.eventsMatched = n;
  } else {
    const sink = buildOperators({ ...p, stages: p.stages.slice(k) }, ctx, counted);
    for (let r = 0; r < n; r++) {
      stats.eventsScanned++;
      stats.eventsMatched++;
      sink.push(new ProjectedRow(projection, slot, rows[r] as number, state));
      if (state.missed) return null;
      if (ctx.halted || opts.signal?.aborted) break;
    }
    sink.end();
  }
  if (state.missed) return null;
  stats.durationMs = performance.now() - started;
  return stats;
}

/**
 * A stats right after the prefix, fed from the columns as one pass over the rows would feed it: the rows are
 * grouped by their BY values' codes (no key text and no row object per row), each group's functions fed its
 * rows in order, and the groups emitted as stats emits them. False when that does not apply (another command,
 * rows kept whole, a BY field not kept, a multivalue BY value): the caller then pushes the rows one by one.
 */
function statsFromColumns(
  p: SearchPlan,
  k: number,
  proj: MatchProjection,
  slot: ReadonlyMap<string, number>,
  rows: Int32Array,
  state: { missed: boolean },
  ctx: ExecContext,
  output: Sink,
  signal: AbortSignal | undefined,
): boolean {
  const stage = p.stages[k];
  if (stage?.blueprint !== statsCommand || proj.shapes !== null || p.sortAtEnd || p.stages.slice(k).some((s) => s.sortBefore)) return false;
  const { by, aggregations } = stage.command.args as StatsArgs;
  const columns: { values: FieldValue[]; codes: Int32Array }[] = [];
  const ids: Int32Array[] = [];
  // Whether every BY field's ids are its texts' ranks in stats' output order: then grouping the rows by ids
  // orders the groups as stats emits them (no sort of the groups).
  let ordered = true;
  for (const f of by) {
    const c = slot.get(f);
    if (c === undefined) return false;
    const col = proj.columns[c]!;
    const texts = integerIds(col.values) ?? byText(col.values);
    if (texts === null) return false;
    // Distinct integers (`integerIds`) rank in their numeric order, as stats sorts numbers.
    const ranks = !ordered ? null : texts.texts === null ? numberRanks(Float64Array.from(col.values as number[])) : textRanks(col.values, texts.ids, texts.texts);
    if (ranks === null) ordered = false;
    else for (let v = 0; v < texts.ids.length; v++) texts.ids[v] = ranks[texts.ids[v] as number] as number;
    const rowIds = new Int32Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const code = col.codes[rows[r] as number] as number;
      rowIds[r] = code < 0 ? -1 : (texts.ids[code] as number);
    }
    columns.push(col);
    ids.push(rowIds);
  }
  // Ranks of an earlier field were taken before a later one turned out to have none: ids only group then.
  const { group, count } = groupRows(ids, rows.length, !ordered);
  const agg = new Aggregator(aggregations, ctx);
  const groups = new Array<{ values: Scalar[]; state: Accumulator[] }>(count);
  const row = new ProjectedRow(proj, slot, 0, state);
  for (let r = 0; r < rows.length; r++) {
    const g = group[r] as number;
    if (g < 0) continue;
    const i = rows[r] as number;
    // A group is first met at its first row: its BY values are that row's (as stats keeps them).
    let into = groups[g];
    if (into === undefined) {
      const values = new Array<Scalar>(columns.length);
      for (let c = 0; c < columns.length; c++) values[c] = columns[c]!.values[columns[c]!.codes[i] as number] as Scalar;
      into = groups[g] = { values, state: agg.newState() };
    }
    agg.feed(into.state, row.at(i));
    if (state.missed) return true;
    if (signal?.aborted) break;
  }
  const rest = buildOperators({ ...p, stages: p.stages.slice(k + 1) }, ctx, output);
  // Stopped early, some groups were never met.
  emitGroups(signal?.aborted ? groups.filter((g) => g !== undefined) : groups, by, agg, rest, ordered);
  rest.end();
  return true;
}

/** Text ids of the distinct values of a column, and each id's text (null: the ids of `integerIds`). */
interface TextIds {
  ids: Int32Array;
  texts: Map<string, number> | null;
}

/**
 * Integers (below 1e21) are written without loss (toText), so distinct ones have distinct texts: the values of a
 * column holding only them are their own text ids, with no text made. Null for any other column.
 */
function integerIds(values: readonly FieldValue[]): TextIds | null {
  for (const x of values) if (typeof x !== 'number' || !Number.isInteger(x) || Math.abs(x) >= 1e21) return null;
  const ids = new Int32Array(values.length);
  for (let v = 0; v < ids.length; v++) ids[v] = v;
  return { ids, texts: null };
}

/**
 * Each value's text id (stats groups values by their text: 1 and "1" are one group), or null when a value is a
 * multivalue: left to stats.
 */
function byText(values: readonly FieldValue[]): TextIds | null {
  const texts = new Map<string, number>();
  const ids = new Int32Array(values.length);
  for (let v = 0; v < values.length; v++) {
    const x = values[v]!;
    if (Array.isArray(x)) return null;
    const t = typeof x === 'string' ? x : toText(x as Scalar);
    let id = texts.get(t);
    if (id === undefined) texts.set(t, (id = texts.size));
    ids[v] = id;
  }
  return { ids, texts };
}

/**
 * Each text id's rank in stats' order of BY values (aggregator.ts sortByValues: numerically when every value
 * is a number, else by text), when that order tells every text apart; null when it does not (a field mixing
 * numbers and text, equal numbers written differently, one text for two numbers): the groups are then sorted.
 */
function textRanks(values: readonly FieldValue[], ids: Int32Array, texts: ReadonlyMap<string, number>): ArrayLike<number> | null {
  const size = texts.size;
  const nums = new Float64Array(size).fill(NaN);
  const seen = new Uint8Array(size);
  let numeric = 0;
  for (let v = 0; v < values.length; v++) {
    const id = ids[v] as number;
    const x = toNumber(values[v] as Scalar) ?? NaN;
    if (seen[id] === 0) {
      seen[id] = 1;
      nums[id] = x;
      if (!Number.isNaN(x)) numeric++;
    } else if (!Object.is(nums[id], x)) return null;
  }
  if (numeric === 0) return textIdRanks(texts);
  if (numeric < size) return null;
  const ranks = new Int32Array(size);
  const order = Int32Array.from({ length: size }, (_, i) => i).sort((a, b) => (nums[a] as number) - (nums[b] as number));
  for (let r = 0; r < size; r++) {
    if (r > 0 && nums[order[r] as number] === nums[order[r - 1] as number]) return null;
    ranks[order[r] as number] = r;
  }
  return ranks;
}

/**
 * Each row's group (rows whose ids are equal in every column share one), -1 for a row missing a column (stats
 * drops it). A stable counting sort per column, last first, puts each group's rows side by side, its first row
 * first, with no hashing; groups are numbered in that order (the ids' order), or, `firstSeen`, in the order
 * their first rows come.
 */
function groupRows(ids: readonly Int32Array[], n: number, firstSeen: boolean): { group: Int32Array; count: number } {
  const group = new Int32Array(n).fill(-1);
  let order: Uint32Array = new Uint32Array(n);
  let m = 0;
  rows: for (let r = 0; r < n; r++) {
    for (const col of ids) if ((col[r] as number) < 0) continue rows;
    order[m++] = r;
  }
  order = order.subarray(0, m);
  for (let c = ids.length - 1; c >= 0; c--) order = countingSort(order, ids[c]!);
  let count = 0;
  for (let j = 0; j < m; j++) {
    const r = order[j] as number;
    let same = j > 0;
    if (same) {
      const prev = order[j - 1] as number;
      for (const col of ids) if (col[r] !== col[prev]) same = false;
    }
    if (!same) count++;
    group[r] = count - 1;
  }
  if (!firstSeen) return { group, count };
  const renumber = new Int32Array(count).fill(-1);
  let next = 0;
  for (let r = 0; r < n; r++) {
    const g = group[r] as number;
    if (g < 0) continue;
    if ((renumber[g] as number) < 0) renumber[g] = next++;
    group[r] = renumber[g] as number;
  }
  return { group, count };
}

/**
 * Runs `search` from the partial states of the aggregation after its prefix (SliceStore): merged, then the
 * rest of the search. Null when they cannot stand for the events (another prefix, a time range they do not
 * cover exactly); the caller then runs otherwise.
 */
export function runMerged(search: string, sliced: SlicedStates, opts: ProjectedRunOptions, output: Sink): ExecuteStats | null {
  const started = performance.now();
  const planned = planAfterPrefix(search, sliced, opts);
  if (planned === null) return null;
  const { p, k } = planned;
  // Whole slices: the search must cover exactly the window they were taken for.
  if (p.earliest !== sliced.earliest || p.latest !== sliced.latest) return null;
  const stage = p.stages[k];
  const split = stage?.blueprint.splits?.(stage.command.args);
  if (!stage || !split || stage.blueprint.orderSensitive(stage.command.args)) return null;
  const stats: ExecuteStats = { eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0 };
  const ctx = createContext(p, { now: opts.now, tz: opts.tz, lookups: opts.lookups });
  const rest = buildStages(p, k + 1, p.stages.length, false, ctx, {
    push: (r) => {
      stats.results++;
      output.push(r);
    },
    end: () => output.end(),
  }, null);
  const merged = split.merge(ctx, rest);
  const rule = indexRule(p, opts);
  for (const s of sliced.states) if (rule(s.index)) merged.merge(s.state);
  merged.end();
  stats.durationMs = performance.now() - started;
  return stats;
}
