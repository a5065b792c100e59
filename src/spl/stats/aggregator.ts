import type { Result } from '../../events/result.js';
import { compareText, toNumber, toText, type Scalar } from '../../events/value.js';
import { compileEval } from '../eval/compile.js';
import type { ExecContext } from '../commands/types.js';
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

/** One group of `BY f1 f2`: its key (the values as text) and the values themselves. */
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
    return texts.join('\u0000');
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
    return combos.map((c) => ({ key: c.texts.join('\u0000'), values: c.values }));
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
 * (numerically when both are numeric, else byte order). A column whose values are all numbers is compared
 * by number, and one whose values are all text by rank in the column's sorted distinct texts: the same
 * comparisons, computed once per group instead of once per comparison, and kept in one flat array (no
 * per-group objects: ~100k groups made the sort mostly allocation and GC). Only a column mixing both
 * compares as compareScalars does. Ties keep the input order.
 */
export function sortByValues<G extends { values: readonly Scalar[] }>(groups: G[]): G[] {
  const n = groups.length;
  if (n < 2) return groups;
  const width = groups[0]!.values.length;
  // keys[c * n + g]: column c's number or rank for group g; mixed[c]: a mixed column's numbers and texts.
  const keys = new Float64Array(width * n);
  const mixed: ({ nums: (number | null)[]; texts: string[] } | null)[] = [];
  for (let c = 0; c < width; c++) {
    const nums = groups.map((g) => toNumber(g.values[c]));
    let numeric = 0;
    for (const x of nums) if (x !== null) numeric++;
    if (numeric === n) {
      for (let g = 0; g < n; g++) keys[c * n + g] = nums[g]!;
      mixed.push(null);
      continue;
    }
    const texts = groups.map((g) => textOf(g.values[c]!));
    if (numeric === 0) {
      const ranks = new Map([...new Set(texts)].sort(compareText).map((t, r) => [t, r]));
      for (let g = 0; g < n; g++) keys[c * n + g] = ranks.get(texts[g]!)!;
      mixed.push(null);
    } else {
      mixed.push({ nums, texts });
    }
  }
  const order = Array.from({ length: n }, (_, g) => g);
  order.sort((a, b) => {
    for (let c = 0; c < width; c++) {
      const m = mixed[c]!;
      let d: number;
      if (m === null) {
        const p = keys[c * n + a]!;
        const q = keys[c * n + b]!;
        d = p < q ? -1 : p > q ? 1 : 0;
      } else {
        const x = m.nums[a]!;
        const y = m.nums[b]!;
        d = x !== null && y !== null ? (x < y ? -1 : x > y ? 1 : 0) : compareText(m.texts[a]!, m.texts[b]!);
      }
      if (d !== 0) return d;
    }
    return a - b;
  });
  return order.map((g) => groups[g]!);
}

function textOf(v: Scalar): string {
  return typeof v === 'number' ? toText(v) : v;
}
