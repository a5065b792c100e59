import { readField, Row, rowLayout, SlotRow, type FieldRef, type Result } from '../../events/result.js';
import { fieldRef } from '../../normalize/event-result.js';
import { compareText, sortTexts, toNumber, toText, type Scalar } from '../../events/value.js';
import { compileEval } from '../eval/compile.js';
import type { AggregationSplit, CommandBlueprint, ExecContext, Sink } from '../commands/types.js';
import { AllNumbers, type Accumulator } from './aggregations.js';
import type { AggregationSpec } from './parse.js';
import { Sparkline, sparklineFrame, type SparklineAxis, type SparklineFrame, type SparklineState } from './sparkline.js';
import { FieldAccumulators, WildcardFields } from './wildcard.js';

const TIME = fieldRef('_time');

/** Feeds one row's values of one aggregation to its accumulator. */
type Feeder = (acc: Accumulator, row: Result, time: number | null) => void;

/** Runs the aggregations of a stats-family command over rows, per group. */
export class Aggregator {
  private readonly feeders: Feeder[];
  /** Per aggregation, its fields when it has a field pattern (stats' `values(*) AS *`), else null. */
  private readonly wildcards: (WildcardFields | null)[];
  /** Whether an aggregation has a field pattern: its results are fields of their own (emitGroups' Row path). */
  readonly wild: boolean;
  /** The search's time zone and range, when an aggregation is a sparkline (their buckets' axis). */
  private readonly frame: SparklineFrame | null;
  readonly sparklines: boolean;
  /** Each sparkline aggregation's axis, once set from partial states (shareSparklineStates): what new accumulators draw on. */
  private readonly axes = new Map<AggregationSpec, SparklineAxis | null>();

  constructor(
    readonly specs: readonly AggregationSpec[],
    ctx: ExecContext,
  ) {
    this.wildcards = specs.map((s) => (s.wildcard ? new WildcardFields(s, ctx.source, () => this.accumulator(s)) : null));
    this.wild = this.wildcards.some((w) => w !== null);
    this.frame = specs.some((s) => s.sparkline) ? sparklineFrame(ctx) : null;
    this.sparklines = this.frame !== null;
    this.feeders = specs.map((s, i): Feeder => {
      const w = this.wildcards[i];
      if (w) return (acc, row, t) => w.feed(acc as FieldAccumulators, row, t);
      if (s.expr) {
        const c = compileEval(s.expr, ctx, ctx.source);
        return (acc, row, t) => {
          const v = c(row);
          // count(eval(cond)): a true condition counts once, false or null not at all.
          if (v === true) acc.add(1, t);
          else if (Array.isArray(v)) for (const x of v as readonly Scalar[]) acc.add(x, t);
          else if (v !== false && v !== null) acc.add(v as Scalar, t);
        };
      }
      if (s.field === null) return (acc, _row, t) => acc.add(1, t);
      const f = fieldRef(s.field);
      return (acc, row, t) => {
        const v = readField(row, f);
        if (v === null) return;
        if (Array.isArray(v)) for (const x of v as readonly Scalar[]) acc.add(x, t);
        else acc.add(v as Scalar, t);
      };
    });
  }

  newState(): Accumulator[] {
    if (this.wild) return this.specs.map((s, i) => (this.wildcards[i] ? new FieldAccumulators(this.wildcards[i]) : this.accumulator(s)));
    return this.specs.map((s) => this.accumulator(s));
  }

  private accumulator(s: AggregationSpec): Accumulator {
    if (s.sparkline) {
      const sp = new Sparkline(s.sparkline, this.frame!);
      const axis = this.axes.get(s);
      if (axis !== undefined) sp.share(axis);
      return sp;
    }
    return s.allnum === true && s.blueprint.numeric === true ? new AllNumbers(s.blueprint.create()) : s.blueprint.create();
  }

  feed(state: Accumulator[], row: Result): void {
    const tv = readField(row, TIME);
    const t = tv === null || Array.isArray(tv) ? null : toNumber(tv as Scalar);
    for (let i = 0; i < state.length; i++) this.feeders[i]!(state[i]!, row, t);
  }

  /**
   * Writes a group's results onto `row`: each under its name, a wildcard aggregation's under each of its fields'
   * names (in order of the names; a field without a result is not written, so it removes nothing).
   */
  write(state: Accumulator[], row: Result): void {
    for (let i = 0; i < state.length; i++) {
      if (this.wildcards[i]) for (const [name, v] of (state[i] as FieldAccumulators).results()) row.set(name, v);
      else row.set(this.specs[i]!.as, state[i]!.result());
    }
  }

  /** Puts each sparkline aggregation of the groups on one axis (the same buckets for every group), before their results are read. */
  shareSparklines(states: readonly Accumulator[][]): void {
    this.specs.forEach((s, i) => {
      if (!s.sparkline) return;
      const all = states.map((st) => st[i] as Sparkline);
      const axis = Sparkline.axis(all.map((sp) => sp.range), s.sparkline, this.frame!);
      for (const sp of all) sp.share(axis);
    });
  }

  /** As shareSparklines, from the groups' partial states: the accumulators this Aggregator creates from now on draw on that axis (chart's cells). */
  shareSparklineStates(states: readonly unknown[][]): void {
    this.specs.forEach((s, i) => {
      if (s.sparkline) this.axes.set(s, Sparkline.axis(states.map((st) => st[i] as SparklineState), s.sparkline, this.frame!));
    });
  }

  /** Throws when a wildcard aggregation has more than MAX_WILDCARD_FIELDS fields over the groups (merged partitions). */
  checkWildcards(states: readonly Accumulator[][]): void {
    this.wildcards.forEach((w, i) => w?.checkUnion(states.map((s) => s[i] as FieldAccumulators)));
  }
}

/**
 * What stats and tstats share as commands: they read all their input, then emit rows of their own (one per
 * group, ordered by the BY values) holding the BY fields and the aggregations.
 */
export function groupedStats<A extends { by: readonly string[]; aggregations: readonly AggregationSpec[] }>(): Required<
  Pick<CommandBlueprint<A>, 'kind' | 'orderSensitive' | 'ordersOutput' | 'writes' | 'emitsOwnRows' | 'outputFields'>
> {
  return {
    kind: () => 'transforming',
    orderSensitive: (a) => a.aggregations.some((x) => x.blueprint.orderSensitive === true),
    ordersOutput: () => true,
    writes: () => '*',
    emitsOwnRows: () => true,
    // A wildcard aggregation's fields are known when the rows are: the set is open then.
    outputFields: (a) => ({ fields: new Set([...a.by, ...a.aggregations.filter((x) => !x.wildcard).map((x) => x.as)]), open: a.aggregations.some((x) => x.wildcard) }),
  };
}

/**
 * One partition's groups as plain data (structured-clone-able): BY values and each function's partial
 * state, in the order the groups were first seen.
 */
export interface GroupsPartial {
  values: Scalar[][];
  states: unknown[][];
}

/** The final part of a split stats-family command: the partitions' groups merged in order, then flushed as one pass would. */
export function mergeGroups(args: { by: readonly string[]; aggregations: readonly AggregationSpec[] }): AggregationSplit['merge'] {
  return (ctx, next) => {
    const groups = new AggregationGroups(new Aggregator(args.aggregations, ctx), args.by);
    return {
      merge: (state) => groups.merge(state as GroupsPartial | AggregationGroups),
      end: () => {
        groups.flush(next);
        next.end();
      },
    };
  };
}

/**
 * The groups of a stats-family command (stats, tstats): each group's aggregation state, in the order groups
 * were first seen, and its BY values (those of the row that made it). A group is the texts of its BY values
 * (a number and its text are one group). Each BY column interns its values (`ColumnValues`: an id per
 * distinct value and per distinct text), and a group is found by its texts' ids in an open-addressing table
 * of typed arrays: a row costs one Map lookup per column and no allocation (a key string joined per row,
 * ~100 characters for Shell Execution's 6 columns, then hashed, was most of stats' time), and the tens of
 * thousands of groups a pass keeps to its end (Shell Execution's by process_id) are a few typed arrays and
 * their states for the garbage collector, not a key string each.
 */
export class AggregationGroups {
  private readonly columns: ColumnValues[];
  /** Each group's state, by group number (the order groups were first seen). */
  private states: Accumulator[][] = [];
  /** Group g's text ids and value ids of column c at [g * width + c]. */
  private textIds: Uint32Array = new Uint32Array(0);
  private valueIds: Uint32Array = new Uint32Array(0);
  /** Open addressing, linear probing: group number + 1 per slot, 0 for none; at most half full. */
  private slots = new Int32Array(0);
  /** The value ids of the values being looked up. */
  private readonly ids: Uint32Array;
  /** Where each group's hash starts: random per instance (see hashStep). */
  private readonly seed = (Math.random() * 0x100000000) | 0;
  private readonly scratch: Scalar[];
  private readonly by: readonly FieldRef[];

  constructor(
    private readonly agg: Aggregator,
    private readonly byNames: readonly string[],
    /** stats' `dedup_splitvals=true`: a multivalue BY field's repeated values give one group, not one each. */
    private readonly dedupSplitvals = false,
  ) {
    this.by = byNames.map((n) => fieldRef(n));
    this.columns = byNames.map(() => new ColumnValues());
    this.ids = new Uint32Array(byNames.length);
    this.scratch = byNames.map(() => '');
    this.clear();
  }

  get size(): number {
    return this.states.length;
  }

  /**
   * Feeds `row` to its groups by the BY values `byRow` holds (usually the row itself): none when a BY field
   * is missing (Splunk drops such rows), one per combination of values when BY fields are multivalued.
   */
  add(byRow: Result, row: Result): void {
    const { by, scratch } = this;
    for (let i = 0; i < by.length; i++) {
      const v = readField(byRow, by[i]!);
      if (v === null) return;
      if (Array.isArray(v)) {
        this.addCombinations(byRow, row);
        return;
      }
      scratch[i] = v as Scalar;
    }
    this.agg.feed(this.stateOf(scratch, null), row);
  }

  /** `add` for a row with a multivalue BY field: a group per combination, first field outermost. */
  private addCombinations(byRow: Result, row: Result): void {
    let combos: Scalar[][] = [[]];
    for (const f of this.by) {
      const v = readField(byRow, f);
      if (v === null) return;
      const vs: readonly Scalar[] = !Array.isArray(v) ? [v as Scalar] : this.dedupSplitvals ? distinctTexts(v as readonly Scalar[]) : v;
      const next: Scalar[][] = [];
      for (const c of combos) for (const x of vs) next.push([...c, x]);
      combos = next;
    }
    for (const values of combos) this.agg.feed(this.stateOf(values, null), row);
  }

  /** The state of the group of `values`; a new group gets `fresh` (or new accumulators). */
  private stateOf(values: readonly Scalar[], fresh: Accumulator[] | null): Accumulator[] {
    const { columns, ids } = this;
    const width = columns.length;
    let h = this.seed;
    for (let c = 0; c < width; c++) {
      const col = columns[c]!;
      const id = col.id(values[c]!);
      ids[c] = id;
      h = hashStep(h, col.textOf[id]!);
    }
    const { slots, textIds } = this;
    const mask = slots.length - 1;
    for (let s = mix(h) & mask; ; s = (s + 1) & mask) {
      const g = slots[s]! - 1;
      if (g < 0) {
        slots[s] = this.states.length + 1;
        break;
      }
      let c = 0;
      while (c < width && textIds[g * width + c] === columns[c]!.textOf[ids[c]!]) c++;
      if (c === width) return this.states[g]!;
    }
    return this.newGroup(fresh ?? this.agg.newState());
  }

  /** Adds the group of the ids just looked up (its slot is set). */
  private newGroup(state: Accumulator[]): Accumulator[] {
    const { columns, ids } = this;
    const width = columns.length;
    const g = this.states.length;
    this.states.push(state);
    if ((g + 1) * width > this.textIds.length) {
      this.textIds = grown(this.textIds, (g + 1) * width * 2);
      this.valueIds = grown(this.valueIds, (g + 1) * width * 2);
    }
    for (let c = 0; c < width; c++) {
      this.valueIds[g * width + c] = ids[c]!;
      this.textIds[g * width + c] = columns[c]!.textOf[ids[c]!]!;
    }
    if (2 * (g + 1) > this.slots.length) this.rehash(this.slots.length * 2);
    return state;
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const width = this.columns.length;
    const { textIds } = this;
    for (let g = 0; g < this.states.length; g++) {
      let h = this.seed;
      for (let c = 0; c < width; c++) h = hashStep(h, textIds[g * width + c]!);
      let s = mix(h) & (size - 1);
      while (slots[s] !== 0) s = (s + 1) & (size - 1);
      slots[s] = g + 1;
    }
    this.slots = slots;
  }

  /** Group g's BY values: those of the row (or merged group) that made it. */
  private valuesOf(g: number): Scalar[] {
    const width = this.columns.length;
    return this.columns.map((col, c) => col.values[this.valueIds[g * width + c]!]!);
  }

  private clear(): void {
    this.states = [];
    this.textIds = new Uint32Array(64 * this.columns.length);
    this.valueIds = new Uint32Array(64 * this.columns.length);
    this.slots = new Int32Array(128);
    for (let c = 0; c < this.columns.length; c++) this.columns[c] = new ColumnValues();
  }

  /**
   * The groups as one partition's share (every function has `merge`), then forgets them unless `keep` (the
   * share may then hold the groups' own arrays: copy it before feeding them more).
   */
  partial(keep = false): GroupsPartial {
    const out: GroupsPartial = { values: [], states: [] };
    for (let g = 0; g < this.states.length; g++) {
      out.values.push(this.valuesOf(g));
      out.states.push(this.states[g]!.map((a) => a.partial!()));
    }
    if (!keep) this.clear();
    return out;
  }

  /**
   * Folds in a partition's groups: its share as data, or, on the same thread, the groups themselves (a
   * group new here is taken over as it is, no copy). Merged in partition order, groups are first seen in
   * the order one pass sees them (which decides the order of BY values that compare equal, such as 1 and
   * 01), and each function's state is merged after the rows already fed.
   */
  merge(p: GroupsPartial | AggregationGroups): void {
    if (p instanceof AggregationGroups) {
      for (let g = 0; g < p.states.length; g++) {
        const state = p.states[g]!;
        const mine = this.stateOf(p.valuesOf(g), state);
        if (mine !== state) for (let j = 0; j < state.length; j++) mine[j]!.merge!(state[j]!.partial!());
      }
      p.clear();
      return;
    }
    for (let i = 0; i < p.values.length; i++) {
      const state = this.stateOf(p.values[i]!, null);
      const states = p.states[i]!;
      for (let j = 0; j < states.length; j++) state[j]!.merge!(states[j]);
    }
  }

  /** Pushes one row per group (emitGroups), then forgets the groups. */
  flush(next: Sink): void {
    const all: { values: Scalar[]; state: Accumulator[] }[] = [];
    const order = this.sortedGroups();
    for (const g of order ?? this.states.keys()) all.push({ values: this.valuesOf(g), state: this.states[g]! });
    this.clear();
    emitGroups(all, this.byNames, this.agg, next, order !== null);
  }

  /**
   * The group numbers in stats' order of BY values (sortByValues), from each column's distinct values rather
   * than each group's: a column whose values are all numeric is ranked by number, one of texts alone by text,
   * then a stable counting sort per column, last column first. Null when a column mixes numbers and texts
   * (or holds a number that is not finite): then sortByValues sorts the groups' values itself.
   */
  private sortedGroups(): Uint32Array | null {
    const n = this.states.length;
    const width = this.columns.length;
    if (n < 2) return Uint32Array.from({ length: n }, (_, g) => g);
    const ranks: Uint32Array[] = [];
    for (let c = 0; c < width; c++) {
      const col = this.columns[c]!;
      const m = col.values.length;
      const nums = new Float64Array(m);
      let numeric = 0;
      for (let id = 0; id < m; id++) {
        const x = toNumber(col.values[id]);
        if (x !== null) numeric++;
        nums[id] = x ?? NaN;
      }
      let rankOfId: Uint32Array;
      if (numeric === m) rankOfId = numberRanks(nums);
      else if (numeric === 0 && col.texts()) rankOfId = textIdRanks(col.texts()!);
      else return null;
      const r = new Uint32Array(n);
      for (let g = 0; g < n; g++) r[g] = rankOfId[this.valueIds[g * width + c]!]!;
      ranks.push(r);
    }
    let order: Uint32Array = Uint32Array.from({ length: n }, (_, g) => g);
    for (let c = width - 1; c >= 0; c--) order = countingSort(order, ranks[c]!);
    return order;
  }
}

/**
 * One column's text id into a group's hash (murmur3's block step). Text ids are numbered in the order values
 * first appear, which whoever sends the events decides: a linear combination (31 * h + id) let crafted pairs
 * (a, b) and (a + 1, b - 31) share a hash, so that n groups made of them probed n slots each (a stall in
 * `stats ... by a b`). Mixed per column from a random seed, colliding groups cannot be made on purpose.
 */
export function hashStep(h: number, id: number): number {
  let k = Math.imul(id, 0xcc9e2d51);
  k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** A hash of group text ids spread over all bits (murmur3's finalizer): table slots are its low bits. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function grown(a: Uint32Array, size: number): Uint32Array {
  const b = new Uint32Array(size);
  b.set(a);
  return b;
}

/**
 * One BY column's distinct values, each with an id (in order of first appearance), and the id of its text:
 * the id of the first value of the same text (toText), so that 5, "5" and 5.000000000000001 are one group
 * while each keeps the kind it came with. A row's value is found by one Map lookup (the number itself, or
 * the string, whose hash V8 caches: span values come from dictionaries); a new value's text is matched
 * without keeping every number's text: a number whose text reads back as itself is found from a string by
 * `Number(s)`, the others (0.1 + 0.2, -0, 1e21...) by their text in `oddTexts`.
 */
class ColumnValues {
  readonly values: Scalar[] = [];
  /** Per value id, the id of its text. */
  textOf: Uint32Array = new Uint32Array(16);
  private readonly strings = new Map<string, number>();
  /** Numbers by value, -0 apart (a Map key -0 is 0). */
  private readonly numbers = new NumberIds();
  private negativeZero = -1;
  /** The texts of numbers that do not read back as the number. */
  private readonly oddTexts = new Map<string, number>();

  id(v: Scalar): number {
    if (typeof v === 'string') return this.strings.get(v) ?? this.newString(v);
    if (v === 0 && 1 / v < 0) return this.negativeZero >= 0 ? this.negativeZero : (this.negativeZero = this.newNumber(v));
    return this.numbers.get(v) ?? this.newNumber(v);
  }

  /** The strings and their ids when every value is a string, else null. */
  texts(): ReadonlyMap<string, number> | null {
    return this.strings.size === this.values.length ? this.strings : null;
  }

  private newString(s: string): number {
    const id = this.values.length;
    this.strings.set(s, id);
    let text = this.oddTexts.get(s);
    if (text === undefined) {
      const same = this.numbers.get(Number(s));
      if (same !== undefined && toText(this.values[same]!) === s) text = this.textOf[same]!;
    }
    return this.push(s, text ?? id);
  }

  private newNumber(x: number): number {
    const id = this.values.length;
    // A safe integer (not -0) reads back from its text, which only a string or an odd text could share.
    if (this.strings.size === 0 && this.oddTexts.size === 0 && Number.isSafeInteger(x) && !Object.is(x, -0)) {
      this.numbers.set(x, id);
      return this.push(x, id);
    }
    const t = toText(x);
    const str = this.strings.get(t);
    let text = str !== undefined ? this.textOf[str]! : this.oddTexts.get(t);
    if (!Object.is(Number(t), x)) {
      if (text === undefined) {
        const same = this.numbers.get(Number(t));
        if (same !== undefined && toText(this.values[same]!) === t) text = this.textOf[same]!;
      }
      if (!this.oddTexts.has(t)) this.oddTexts.set(t, text ?? id);
    }
    if (!Object.is(x, -0)) this.numbers.set(x, id);
    return this.push(x, text ?? id);
  }

  private push(v: Scalar, text: number): number {
    const id = this.values.length;
    this.values.push(v);
    if (id === this.textOf.length) this.textOf = grown(this.textOf, id * 2);
    this.textOf[id] = text;
    return id;
  }
}

/**
 * Ids by number, kept so that whoever sends the events cannot make them collide. An int32 (-0 apart) is found in
 * an open-addressing table of typed arrays, its slot murmur3's mix of the int XOR a random seed (a bijection of
 * the int32s: chosen process ids land on slots as random ones do). V8's number Map keys are hashed without a
 * seed, and a Map of ~100k numbers cost ~0.4 us a lookup in cache misses and rehashing (Shell Execution's
 * process ids); the table costs about half. Any other number is keyed by its shortest round-trip text in a Map
 * (string hashes are seeded); the two kinds never meet.
 */
export class NumberIds {
  /** Linear probing, at most half full: the int at keys[s], its id + 1 at ids[s] (0: an empty slot). */
  private keys = new Int32Array(16);
  private ids = new Int32Array(16);
  private ints = 0;
  private readonly others = new Map<string, number>();
  private readonly seed = (Math.random() * 0x100000000) | 0;

  get(x: number): number | undefined {
    if (!isInt32(x)) return this.others.get(String(x));
    const { keys, ids } = this;
    const mask = keys.length - 1;
    for (let s = mix(x ^ this.seed) & mask; ; s = (s + 1) & mask) {
      const id = ids[s]!;
      if (id === 0) return undefined;
      if (keys[s] === x) return id - 1;
    }
  }

  set(x: number, id: number): void {
    if (!isInt32(x)) {
      this.others.set(String(x), id);
      return;
    }
    if (2 * (this.ints + 1) > this.keys.length) this.rehash(this.keys.length * 2);
    const { keys, ids } = this;
    const mask = keys.length - 1;
    let s = mix(x ^ this.seed) & mask;
    for (; ids[s] !== 0; s = (s + 1) & mask) {
      if (keys[s] === x) {
        ids[s] = id + 1;
        return;
      }
    }
    keys[s] = x;
    ids[s] = id + 1;
    this.ints++;
  }

  /** What `x` is hashed to: its slot's hash (an int32), or its text (the Map key of other numbers). */
  key(x: number): number | string {
    return isInt32(x) ? mix(x ^ this.seed) : String(x);
  }

  private rehash(size: number): void {
    const { keys, ids } = this;
    this.keys = new Int32Array(size);
    this.ids = new Int32Array(size);
    const mask = size - 1;
    for (let i = 0; i < keys.length; i++) {
      if (ids[i] === 0) continue;
      let s = mix(keys[i]! ^ this.seed) & mask;
      while (this.ids[s] !== 0) s = (s + 1) & mask;
      this.keys[s] = keys[i]!;
      this.ids[s] = ids[i]!;
    }
  }
}

function isInt32(x: number): boolean {
  return (x | 0) === x && !(x === 0 && 1 / x < 0);
}

/**
 * What a stats-family command emits from its groups (in the order they were first seen): one row per group,
 * sorted by the BY values, holding them and the aggregations; without BY, one row even for no input.
 * `ordered`: the groups are in that order already.
 */
export function emitGroups(groups: { values: Scalar[]; state: Accumulator[] }[], by: readonly string[], agg: Aggregator, next: Sink, ordered = false): void {
  if (by.length === 0 && groups.length === 0) groups = [{ values: [], state: agg.newState() }];
  if (agg.wild) agg.checkWildcards(groups.map((g) => g.state));
  if (agg.sparklines) agg.shareSparklines(groups.map((g) => g.state));
  // Distinct names: each row is its BY values and results in slots, no Map (a wildcard's names vary by group).
  const layout = agg.wild ? null : rowLayout([...by, ...agg.specs.map((s) => s.as)]);
  for (const g of ordered ? groups : sortByValues(groups)) {
    if (layout !== null) {
      next.push(new SlotRow(layout, g.values, g.state.map((a) => a.result())));
      continue;
    }
    const out = new Row();
    by.forEach((f, i) => out.set(f, g.values[i]!));
    agg.write(g.state, out);
    next.push(out);
  }
}

/**
 * A group's key from its BY values' texts, one key per list of texts: joined by NUL when none holds a NUL (n-1 NULs),
 * else n NULs then the texts' JSON (which writes NUL escaped). Joining alone would put `a\0b`,`c` and `a`,`b\0c`
 * in one group; the usual key stays one join.
 */
export function groupKey(texts: readonly string[]): string {
  for (let i = 0; i < texts.length; i++) if (texts[i]!.includes('\u0000')) return '\u0000'.repeat(texts.length) + JSON.stringify(texts);
  return texts.length === 1 ? texts[0]! : texts.join('\u0000');
}

/** One group of `BY f1 f2`: its key (groupKey of the values' texts) and the values themselves. */
export interface GroupOf {
  key: string;
  values: Scalar[];
}

/**
 * The groups of `BY f1 f2 ...` rows belong to: none when a by-field is missing (Splunk drops such rows),
 * one per combination of values when by-fields are multivalued. The usual row (every by-field a single
 * value) costs one string join and no other allocation: `key` fills scratch arrays, and the caller copies
 * the values (`values()`) only for a new group.
 */
export class GroupKeys {
  private readonly texts: string[];
  private readonly scratch: Scalar[];

  constructor(private readonly by: readonly string[]) {
    this.texts = by.map(() => '');
    this.scratch = by.map(() => '');
  }

  /**
   * The key of a row whose by-fields are all single values, or null when one is missing (no group) or
   * `undefined` when one is a multivalue (use `groups`). `values()` copies the values read.
   */
  key(row: Result): string | null | undefined {
    const { by, texts, scratch } = this;
    for (let i = 0; i < by.length; i++) {
      const v = row.get(by[i]!);
      if (v === null) return null;
      if (Array.isArray(v)) return undefined;
      scratch[i] = v as Scalar;
      texts[i] = typeof v === 'string' ? v : toText(v as Scalar);
    }
    return groupKey(texts);
  }

  /** A copy of the values the latest `key()` call read. */
  values(): Scalar[] {
    return this.scratch.slice();
  }

  /** Every group of the row, multivalues included (the general form of `key`). */
  groups(row: Result): GroupOf[] {
    let combos: { texts: string[]; values: Scalar[] }[] = [{ texts: [], values: [] }];
    for (const f of this.by) {
      const v = row.get(f);
      if (v === null) return [];
      const vs: readonly Scalar[] = Array.isArray(v) ? v : [v as Scalar];
      const next: { texts: string[]; values: Scalar[] }[] = [];
      for (const c of combos) for (const x of vs) next.push({ texts: [...c.texts, toText(x)], values: [...c.values, x] });
      combos = next;
    }
    return combos.map((c) => ({ key: groupKey(c.texts), values: c.values }));
  }

  /** The groups of a row, through `key` when it can. */
  all(row: Result): GroupOf[] {
    const k = this.key(row);
    if (k === null) return [];
    if (k === undefined) return this.groups(row);
    return [{ key: k, values: this.values() }];
  }
}

/**
 * Sorts groups by their BY values as stats orders its output: compareScalars on each value in turn
 * (numerically when both are numeric, else byte order); ties keep the input order. A column whose values
 * are all numbers, or all text, is a total order: its values are replaced by their rank among the column's
 * distinct values, and when every column is ranked the groups are ordered by a stable counting sort per
 * column, last column first. A column mixing numbers and text is not transitive under compareScalars
 * (10 < "5a" < 9 < 10), so then the groups are sorted by a comparator doing what compareScalars does.
 * Groups live scattered over a large heap: each group's values are read in one pass, each text hashed
 * once (a pass per column and step made ~100k groups cost 0.2 s of cache misses).
 */
export function sortByValues<G extends { values: readonly Scalar[] }>(groups: G[]): G[] {
  const n = groups.length;
  if (n < 2) return groups;
  const width = groups[0]!.values.length;
  // Column c of group g at [c * n + g]: its number (NaN when not numeric; numbers are finite) or the id
  // of its text in the column's `seen` map (ids in order of first appearance).
  const nums = new Float64Array(width * n);
  const ids = new Uint32Array(width * n);
  const seen = Array.from({ length: width }, () => new Map<string, number>());
  const numeric = new Array<number>(width).fill(0);
  for (let g = 0; g < n; g++) {
    const vs = groups[g]!.values;
    for (let c = 0; c < width; c++) {
      const v = vs[c]!;
      const x = toNumber(v);
      if (x !== null) {
        nums[c * n + g] = x;
        numeric[c]!++;
        continue;
      }
      nums[c * n + g] = NaN;
      const texts = seen[c]!;
      const t = textOf(v);
      let id = texts.get(t);
      if (id === undefined) texts.set(t, (id = texts.size));
      ids[c * n + g] = id;
    }
  }
  // ranks[c]: column c's ranks, or null for a mixed column, whose numbers and texts are in mixed[c].
  const ranks: (Uint32Array | null)[] = [];
  const mixed: { nums: (number | null)[]; texts: string[] }[] = [];
  for (let c = 0; c < width; c++) {
    if (numeric[c] === n) ranks.push(numberRanks(nums.subarray(c * n, (c + 1) * n)));
    else if (numeric[c] === 0) ranks.push(textRanks(ids.subarray(c * n, (c + 1) * n), seen[c]!));
    else {
      ranks.push(null);
      mixed[c] = { nums: groups.map((g) => toNumber(g.values[c])), texts: groups.map((g) => textOf(g.values[c]!)) };
    }
  }
  let order: Uint32Array = Uint32Array.from({ length: n }, (_, g) => g);
  if (ranks.every((r) => r !== null)) {
    for (let c = width - 1; c >= 0; c--) order = countingSort(order, ranks[c]!);
  } else {
    // Array.prototype.sort, as the definition (a non-transitive order's result depends on the algorithm).
    const plain = Array.from(order).sort((a, b) => {
      for (let c = 0; c < width; c++) {
        const r = ranks[c]!;
        let d: number;
        if (r !== null) d = r[a]! - r[b]!;
        else {
          const m = mixed[c]!;
          const x = m.nums[a]!;
          const y = m.nums[b]!;
          d = x !== null && y !== null ? (x < y ? -1 : x > y ? 1 : 0) : compareText(m.texts[a]!, m.texts[b]!);
        }
        if (d !== 0) return d;
      }
      return 0;
    });
    order = Uint32Array.from(plain);
  }
  return Array.from(order, (g) => groups[g]!);
}

function textOf(v: Scalar): string {
  return typeof v === 'number' ? toText(v) : v;
}

/** Each text's rank among the column's distinct texts, from its id in `seen` (text → id). */
function textRanks(ids: Uint32Array, seen: ReadonlyMap<string, number>): Uint32Array {
  const rankOfId = textIdRanks(seen);
  return ids.map((id) => rankOfId[id]!);
}

/** Each text id's rank among the distinct texts of `seen` (text → id), in stats' order of texts. */
export function textIdRanks(seen: ReadonlyMap<string, number>): Uint32Array {
  const texts = sortTexts([...seen.keys()]);
  const rankOfId = new Uint32Array(seen.size);
  for (let r = 0; r < texts.length; r++) rankOfId[seen.get(texts[r]!)!] = r;
  return rankOfId;
}

/**
 * Each number's rank: the position of its first equal in the sorted numbers (a typed array sorts without
 * a comparator; a binary search is cheaper than a Map of ~100k numbers). Equal numbers, -0 and 0
 * included, get one rank.
 */
export function numberRanks(values: Float64Array): Uint32Array {
  const packed = integerRanks(values);
  if (packed !== null) return packed;
  const sorted = values.slice().sort();
  const ranks = new Uint32Array(values.length);
  for (let g = 0; g < values.length; g++) {
    const v = values[g]!;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    ranks[g] = lo;
  }
  return ranks;
}

/** Positions below 2^21 beside integers below 2^32 fit a double's 53 bits exactly. */
const POSITION = 2 ** 21;

/**
 * numberRanks of integers spanning less than 2^32 (process ids, ports, binned times), fewer than 2^21 of
 * them: each packed with its position into one double, sorted natively, read back in order (no binary
 * search per value). Null for other values.
 */
function integerRanks(values: Float64Array): Uint32Array | null {
  const n = values.length;
  if (n >= POSITION) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (let g = 0; g < n; g++) {
    const v = values[g]!;
    if (!Number.isInteger(v)) return null;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi - lo < 2 ** 32)) return null;
  const keys = new Float64Array(n);
  for (let g = 0; g < n; g++) keys[g] = (values[g]! - lo) * POSITION + g;
  keys.sort();
  const ranks = new Uint32Array(n);
  let first = 0;
  let last = -1;
  for (let k = 0; k < n; k++) {
    const v = Math.floor(keys[k]! / POSITION);
    if (v !== last) {
      first = k;
      last = v;
    }
    ranks[keys[k]! - v * POSITION] = first;
  }
  return ranks;
}

/** `order` stably sorted by `ranks[g]` of its items `g` (a column of one value leaves it as it is). */
export function countingSort(order: Uint32Array, ranks: ArrayLike<number>): Uint32Array {
  let max = 0;
  for (const g of order) if (ranks[g]! > max) max = ranks[g]!;
  if (max === 0) return order;
  const starts = new Uint32Array(max + 2);
  for (const g of order) starts[ranks[g]! + 1]!++;
  for (let r = 1; r < starts.length; r++) starts[r]! += starts[r - 1]!;
  const out = new Uint32Array(order.length);
  for (const g of order) out[starts[ranks[g]!]!++] = g;
  return out;
}

/** The values of a multivalue of distinct texts (the first of each text), as a group is its BY values' texts. */
function distinctTexts(vs: readonly Scalar[]): Scalar[] {
  const seen = new Set<string>();
  const out: Scalar[] = [];
  for (const v of vs) {
    const t = toText(v);
    if (seen.has(t)) continue;
    seen.add(t);
    out.push(v);
  }
  return out;
}
