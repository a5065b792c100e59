import { Row, rowLayout, SlotRow, type Result } from '../../events/result.js';
import { compareText, toNumber, toText, type Scalar } from '../../events/value.js';
import { compileEval } from '../eval/compile.js';
import type { AggregationSplit, CommandBlueprint, ExecContext, Sink } from '../commands/types.js';
import type { Accumulator } from './aggregations.js';
import type { AggregationSpec } from './parse.js';

/** Feeds one row's values of one aggregation to its accumulator. */
type Feeder = (acc: Accumulator, row: Result, time: number | null) => void;

/** Runs the aggregations of a stats-family command over rows, per group. */
export class Aggregator {
  private readonly feeders: Feeder[];

  constructor(
    readonly specs: readonly AggregationSpec[],
    ctx: ExecContext,
  ) {
    this.feeders = specs.map((s): Feeder => {
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
      const f = s.field;
      return (acc, row, t) => {
        const v = row.get(f);
        if (v === null) return;
        if (Array.isArray(v)) for (const x of v as readonly Scalar[]) acc.add(x, t);
        else acc.add(v as Scalar, t);
      };
    });
  }

  newState(): Accumulator[] {
    return this.specs.map((s) => s.blueprint.create());
  }

  feed(state: Accumulator[], row: Result): void {
    const tv = row.get('_time');
    const t = tv === null || Array.isArray(tv) ? null : toNumber(tv as Scalar);
    for (let i = 0; i < state.length; i++) this.feeders[i]!(state[i]!, row, t);
  }

  write(state: Accumulator[], row: Result): void {
    for (let i = 0; i < state.length; i++) row.set(this.specs[i]!.as, state[i]!.result());
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
    outputFields: (a) => ({ fields: new Set([...a.by, ...a.aggregations.map((x) => x.as)]), open: false }),
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
 * The groups of a stats-family command (stats, tstats): each key's aggregation state, in the order groups
 * were first seen, and its BY values. Tens of thousands of groups live to the end of a pass (Shell
 * Execution's by process_id) and each is promoted by the garbage collector, so a group is its state alone
 * when its key spells its values (`spelled`): its values are the key's texts again at the end.
 */
export class AggregationGroups {
  private readonly groups = new Map<string, Accumulator[]>();
  /** The values of the groups whose key does not spell them. */
  private readonly values = new Map<string, Scalar[]>();
  /** Per BY field, whether the values a key spells there are numbers: the kinds of the first group's values. */
  private numbers: boolean[] | null = null;

  constructor(
    private readonly agg: Aggregator,
    private readonly by: readonly string[],
  ) {}

  get size(): number {
    return this.groups.size;
  }

  /** Feeds `row` to the group of `key`; a thunk for `values` is called only for a new group (stats reuses scratch arrays). */
  feed(key: string, values: Scalar[] | (() => Scalar[]), row: Result): void {
    let state = this.groups.get(key);
    if (state === undefined) {
      this.groups.set(key, (state = this.agg.newState()));
      this.keep(key, typeof values === 'function' ? values() : values);
    }
    this.agg.feed(state, row);
  }

  /** Keeps a new group's values, unless its key spells them. */
  private keep(key: string, values: Scalar[]): void {
    if (!this.spelled(values)) this.values.set(key, values);
  }

  /**
   * Whether a group's key (its values as text, joined by NUL: groupKey) gives its values back: of the kinds the
   * first group had (a number and its text share a key: the first seen is kept), each number printed as the same
   * number again, and no text holding a NUL.
   */
  private spelled(values: readonly Scalar[]): boolean {
    const width = this.by.length;
    if (values.length !== width) return false;
    const numbers = (this.numbers ??= values.map((v) => typeof v === 'number'));
    for (let i = 0; i < width; i++) {
      const v = values[i]!;
      if (typeof v === 'number' ? !numbers[i] || !Object.is(Number(toText(v)), v) : numbers[i] || v.includes('\u0000')) return false;
    }
    return true;
  }

  private valuesOf(key: string): Scalar[] {
    const kept = this.values.size === 0 ? undefined : this.values.get(key);
    if (kept !== undefined) return kept;
    const width = this.by.length;
    const values: Scalar[] = width === 0 ? [] : width === 1 ? [key] : key.split('\u0000');
    const numbers = this.numbers;
    if (numbers !== null) for (let i = 0; i < width; i++) if (numbers[i]) values[i] = Number(values[i]);
    return values;
  }

  private clear(): void {
    this.groups.clear();
    this.values.clear();
  }

  /**
   * The groups as one partition's share (every function has `merge`), then forgets them unless `keep` (the
   * share may then hold the groups' own arrays: copy it before feeding them more).
   */
  partial(keep = false): GroupsPartial {
    const out: GroupsPartial = { values: [], states: [] };
    for (const [key, state] of this.groups) {
      out.values.push(this.valuesOf(key));
      out.states.push(state.map((a) => a.partial!()));
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
      for (const [key, state] of p.groups) {
        const mine = this.groups.get(key);
        if (mine === undefined) {
          this.groups.set(key, state);
          this.keep(key, p.valuesOf(key));
        } else for (let j = 0; j < state.length; j++) mine[j]!.merge!(state[j]!.partial!());
      }
      p.clear();
      return;
    }
    for (let i = 0; i < p.values.length; i++) {
      const values = p.values[i]!;
      const key = groupKey(values.map(toText));
      let state = this.groups.get(key);
      if (state === undefined) {
        this.groups.set(key, (state = this.agg.newState()));
        this.keep(key, values);
      }
      const states = p.states[i]!;
      for (let j = 0; j < states.length; j++) state[j]!.merge!(states[j]);
    }
  }

  /** Pushes one row per group (emitGroups), then forgets the groups. */
  flush(next: Sink): void {
    const all: { values: Scalar[]; state: Accumulator[] }[] = [];
    for (const [key, state] of this.groups) all.push({ values: this.valuesOf(key), state });
    this.clear();
    emitGroups(all, this.by, this.agg, next);
  }
}

/**
 * What a stats-family command emits from its groups (in the order they were first seen): one row per group,
 * sorted by the BY values, holding them and the aggregations; without BY, one row even for no input.
 * `ordered`: the groups are in that order already.
 */
export function emitGroups(groups: { values: Scalar[]; state: Accumulator[] }[], by: readonly string[], agg: Aggregator, next: Sink, ordered = false): void {
  if (by.length === 0 && groups.length === 0) groups = [{ values: [], state: agg.newState() }];
  // Distinct names: each row is its BY values and results in slots, no Map.
  const layout = rowLayout([...by, ...agg.specs.map((s) => s.as)]);
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
  // sort() without a comparator orders strings by UTF-16 code units: compareText's order, natively.
  const texts = [...seen.keys()].sort();
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
