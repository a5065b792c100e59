import type { Result } from '../../events/result.js';
import { toNumber, toText, valuesOf, type Scalar } from '../../events/value.js';
import { compileEval } from '../eval/compile.js';
import type { Compiled } from '../eval/functions/types.js';
import type { ExecContext } from '../commands/types.js';
import type { Accumulator } from './aggregations.js';
import type { AggregationSpec } from './parse.js';

/** Runs the aggregations of a stats-family command over rows, per group. */
export class Aggregator {
  private readonly inputs: ((row: Result) => readonly Scalar[])[];

  constructor(readonly specs: readonly AggregationSpec[], ctx: ExecContext) {
    this.inputs = specs.map((s) => {
      if (s.expr) {
        const c: Compiled = compileEval(s.expr, ctx, ctx.source);
        return (row) => {
          const v = c(row);
          // count(eval(cond)): a true condition counts once, false or null not at all.
          if (v === true) return [1];
          if (v === false || v === null) return [];
          return Array.isArray(v) ? v : [v as Scalar];
        };
      }
      if (s.field === null) return () => ONE;
      const f = s.field;
      return (row) => valuesOf(row.get(f));
    });
  }

  newState(): Accumulator[] {
    return this.specs.map((s) => s.blueprint.create());
  }

  feed(state: Accumulator[], row: Result): void {
    const t = toNumber(timeOf(row));
    for (let i = 0; i < state.length; i++) state[i]!.add(this.inputs[i]!(row), t);
  }

  write(state: Accumulator[], row: Result): void {
    for (let i = 0; i < state.length; i++) row.set(this.specs[i]!.as, state[i]!.result());
  }
}

const ONE: readonly Scalar[] = [1];

function timeOf(row: Result): Scalar | null {
  const t = row.get('_time');
  return t === null || Array.isArray(t) ? null : (t as Scalar);
}

/**
 * The groups a row belongs to for `BY f1 f2`: none when a by-field is missing (Splunk drops such rows),
 * one per combination of values when by-fields are multivalued.
 */
export function groupsOf(row: Result, by: readonly string[]): { key: string; values: Scalar[] }[] {
  let combos: { key: string; values: Scalar[] }[] = [{ key: '', values: [] }];
  for (const f of by) {
    const vs = valuesOf(row.get(f));
    if (vs.length === 0) return [];
    if (vs.length === 1) {
      const v = vs[0]!;
      const k = toText(v);
      for (const c of combos) {
        c.key += k + '\u0000';
        c.values.push(v);
      }
      continue;
    }
    const next: { key: string; values: Scalar[] }[] = [];
    for (const c of combos) for (const v of vs) next.push({ key: c.key + toText(v) + '\u0000', values: [...c.values, v] });
    combos = next;
  }
  return combos;
}
