import type { Dataset } from '../../datamodels/model.js';
import type { Result } from '../../events/result.js';
import type { AnyCommand, ExecContext, Sink } from '../commands/types.js';
import { compileEval } from '../eval/compile.js';
import { toFieldValue } from '../eval/value.js';
import type { CommandAst, EvalExpr, SearchExpr } from '../parse/ast.js';
import { compileSearch } from '../search/predicate.js';
import type { SourceText } from '../source.js';
import type { DatasetEvaluator, DatasetRunContext } from './types.js';

/** One dataset of a chain, parsed: how it selects events and what it calculates. */
export interface CompiledPart {
  dataset: Dataset;
  /** The text its selection was parsed from. */
  source: SourceText;
  /** Its constraint, or its base search's leading search, with event type terms expanded (null: everything). */
  expr: SearchExpr | null;
  /** The commands of a base search after its leading search (streaming only). */
  stages: { command: CommandAst; blueprint: AnyCommand }[];
  calculations: { field: string; expr: EvalExpr; source: SourceText }[];
}

/**
 * The evaluator of a dataset whose chain (root first) is `parts`: an event is a member when the root's
 * leading search matches; then, in order, the root's base search commands, the root's calculations, and for
 * each child its constraint and its calculations (a child's constraint sees its ancestors' calculated
 * fields, as in Splunk, where a child's search is its parent's with more appended). Each row is a copy of the
 * event, so evaluating never changes a row shared with other searches.
 */
export function datasetEvaluator(parts: readonly CompiledPart[], run: DatasetRunContext): DatasetEvaluator {
  const root = parts[0]!;
  let emit: (row: Result) => void = () => {};
  let head: Sink = { push: (row) => emit(row), end: () => {} };
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    const ctx = contextFor(part.source, run);
    head = calculating(part, ctx, head);
    if (i > 0) {
      const keep = compileSearch(part.expr, part.source);
      const next = head;
      head = { push: (row) => void (keep(row) && next.push(row)), end: () => next.end() };
    } else {
      for (let j = part.stages.length - 1; j >= 0; j--) {
        const s = part.stages[j]!;
        head = s.blueprint.create(s.command.args, ctx, head, s.command);
      }
    }
  }
  const lead = compileSearch(root.expr, root.source);
  const first = head;
  return {
    evaluate(event, out) {
      if (!lead(event)) return;
      emit = out;
      first.push(event.clone());
    },
  };
}

/** The calculations of a part, in order, then `next`. */
function calculating(part: CompiledPart, ctx: ExecContext, next: Sink): Sink {
  if (part.calculations.length === 0) return next;
  const calcs = part.calculations.map((c) => ({ field: c.field, fn: compileEval(c.expr, ctx, c.source) }));
  return {
    push: (row) => {
      for (const c of calcs) row.set(c.field, toFieldValue(c.fn(row)));
      next.push(row);
    },
    end: () => next.end(),
  };
}

/** What a base search's commands see: the run's clock and lookups, their own text for errors. */
function contextFor(source: SourceText, run: DatasetRunContext): ExecContext {
  return {
    now: run.now,
    tz: run.tz,
    source,
    lookups: run.lookups,
    earliest: null,
    latest: null,
    warn: (m) => run.warn?.(m),
    halt: () => {},
    halted: false,
  };
}
