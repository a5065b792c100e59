import type { Result } from '../../events/result.js';
import type { EventSource, ScanRequest } from '../../events/scan.js';
import type { SearchExpr } from '../parse/ast.js';
import type { SourceText } from '../source.js';
import type { CompiledDataset } from './types.js';

/**
 * Data model summaries as a search sees them (acceleration/ implements it; the engine only calls it): tstats
 * over an accelerated dataset reads the summarized rows from here and the raw events only where the summaries
 * do not reach.
 */
export interface DatasetSummaries {
  /** The summaries a search reading `scan` (its time range, metadata constraints, default indexes) may use. */
  forScan(scan: ScanRequest): SummaryScope;
}

export interface SummaryScope {
  /**
   * The summaries of `ds` for this search, or null when it has none (not accelerated, built with another
   * definition, or behind by more than the reader follows): the search then reads raw events only.
   * `summariesOnly` (tstats `summariesonly=true`): the summarized rows and nothing else. Summaries that
   * cannot be read (a damaged summaries.db) are null too, said through `warn`: raw events give the right rows.
   */
  read(ds: CompiledDataset, summariesOnly: boolean, warn: (message: string) => void): SummaryRead | null;
}

export interface SummaryRead {
  /**
   * Every summarized row of the dataset inside the search's scan that may pass `where` (tested once per
   * distinct value; the caller still tests each row it gets), as a result with the dataset's fields under
   * their plain names plus the base fields: exactly the evaluator's row for those fields. `names` maps the
   * names `where` uses (`Processes.dest`) to the rows' (`dest`). A row is valid only during `take`.
   */
  rows(where: SearchExpr | null, names: ReadonlyMap<string, string>, source: SourceText, take: (row: Result) => void): void;
  /** The raw events the summaries do not cover (each event either summarized or here, never both); null: none. */
  remainder: EventSource | null;
}
