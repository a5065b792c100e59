import type { ResolvedDataset } from '../../datamodels/library.js';
import type { Result } from '../../events/result.js';
import type { DerivedFields } from '../../normalize/event-result.js';
import type { EvalContext } from '../eval/functions/types.js';
import type { LookupProvider } from '../lookups.js';
import type { SearchExpr } from '../parse/ast.js';

/**
 * Data models and event types as the engine sees them (knowledge.ts builds them from content): what a
 * search needs at plan time (event type expansion, datasets) and at run time (the `tag`/`eventtype` fields).
 */
export interface Knowledge {
  /** A dataset (`Model`, `Model.Dataset`, `Model.Root.Child`), compiled. */
  dataset(model: string, path: string | null): DatasetLookup;
  /** Every data model's name (for messages and `| datamodel`). */
  dataModelNames(): string[];
  /** A search expression with `tag=`/`eventtype=` terms replaced by the event types' searches (eventtypes.ts). */
  expand(e: SearchExpr | null): SearchExpr | null;
  /** `eventtype` and `tag` of raw events, or null without event types. */
  readonly derived: DerivedFields | null;
}

export type DatasetLookup =
  | { ok: true; dataset: CompiledDataset }
  | { ok: false; code: 'SPL_UNKNOWN_DATAMODEL' | 'DATAMODEL_INVALID'; message: string };

/** What evaluating a dataset needs of the search running it. */
export interface DatasetRunContext extends EvalContext {
  lookups: LookupProvider;
  /** Non-fatal problems of the base search's commands. */
  warn?(message: string): void;
}

/**
 * A dataset ready to evaluate: its constraint chain and calculated fields compiled. This is the module a
 * summary builder calls too: `evaluator(run).evaluate(event, emit)` projects one event into the dataset's
 * rows with the calculated fields evaluated once.
 */
export interface CompiledDataset {
  resolved: ResolvedDataset;
  /**
   * The root's leading search (its constraint, or the first command of its base search), with event type
   * terms expanded: events outside it are never members. A planner pushes it into the scan.
   */
  lead: SearchExpr | null;
  /**
   * Dataset fields whose value on a row is the raw event's field of the same name, so a condition on the
   * row's field implies one on the event (raw-text prefilters): `null` when always (declared fields no
   * command or calculation writes), else the text a fill calculation (`if(isnull(f) OR f="","unknown",f)`)
   * puts in its place, when a condition on the row says nothing about the event.
   */
  rawFields: ReadonlyMap<string, string | null>;
  evaluator(run: DatasetRunContext): DatasetEvaluator;
}

export interface DatasetEvaluator {
  /**
   * The dataset's rows for one event, each a copy of the event with the calculated fields written (unprefixed
   * names): none when the event is not a member, several when the base search expands it (`mvexpand`).
   */
  evaluate(event: Result, emit: (row: Result) => void): void;
}
