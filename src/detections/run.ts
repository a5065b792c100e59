import type { Result } from '../events/result.js';
import type { Sink } from '../spl/commands/types.js';
import type { EventSource, ScanProgress } from '../events/scan.js';
import { executeMany } from '../spl/exec/multi.js';
import { CollectSink } from '../spl/exec/run.js';
import { runSubsearches } from '../spl/exec/subsearch.js';
import { checkSearch, SplError, streamSearch, type ExecuteStats, type SearchPlan, type TimeBound } from '../spl/index.js';
import type { Span } from '../spl/source.js';
import type { Detection } from './detection.js';
import type { ContentPack } from './content.js';
import { callSite, searchPosition } from './search-position.js';

export interface DetectionRunOptions {
  source: EventSource;
  /** The search time, epoch seconds. */
  now: number;
  tz: string;
  earliest: TimeBound;
  latest: TimeBound;
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
  /**
   * Runs the searches that read events over several threads instead (src/parallel/, which the CLI wires in):
   * their stats, or null to run them on this thread.
   */
  parallel?: (plans: readonly SearchPlan[], outputs: readonly Sink[], onWarning: (planIndex: number, message: string, at?: Span) => void) => Promise<ExecuteStats[] | null>;
  /** The engine's warnings (a row's regex vigil cannot run, spath over XML...): the detection, and where in its search. */
  onWarning?: (detection: Detection, message: string, place: string | null) => void;
}

export interface DetectionResults {
  detection: Detection;
  results: Result[];
  stats: ExecuteStats;
  /** The search's time range, resolved (the run's bounds and the search's own earliest=/latest=). */
  window: SearchWindow;
}

/** A search's time range (epoch seconds; null: unbounded). */
export interface SearchWindow {
  earliest: number | null;
  latest: number | null;
}

/**
 * Plans a detection's search over the source with the content's macros, lookups and data models, and builds its
 * commands once (as `vigil validate` does) so that their static errors (an unknown eval function) are raised here too.
 * Errors name the detection and where they are in its YAML file (an ESCU search folded over lines is one line:
 * `1:478` alone was hard to find), at the call of the macro when the error is inside one.
 */
export function planDetection(pack: ContentPack, d: Detection, opts: DetectionRunOptions): SearchPlan {
  return planNamed(pack, d, opts, true);
}

/**
 * A detection's plan for `vigil run --explain`: checked as planDetection checks it, its errors named the same way, but
 * nothing the run would open is opened (an iplocation's GeoIP database: the plan does not need it), and over no event
 * source when none was given (`source: null`, as `vigil search --explain` plans).
 */
export function explainDetection(pack: ContentPack, d: Detection, opts: Omit<DetectionRunOptions, 'source'> & { source: EventSource | null }): SearchPlan {
  return planNamed(pack, d, opts, false);
}

function planNamed(pack: ContentPack, d: Detection, opts: Omit<DetectionRunOptions, 'source'> & { source: EventSource | null }, beforeRun: boolean): SearchPlan {
  try {
    return checkSearch(d.search, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, source: opts.source, now: opts.now, tz: opts.tz, earliest: opts.earliest, latest: opts.latest, name: `detection "${d.name}" (${d.file})`, beforeRun });
  } catch (e) {
    if (!(e instanceof SplError)) throw e;
    const at = searchPosition(d, callSite(e.location()));
    throw e.named(`detection "${d.name}" (${at.file}:${at.line}:${at.column})`);
  }
}

/**
 * Runs detections over one source in one pass: every search that reads events shares one scan (each event
 * is read, parsed and normalized once and offered to each search, spl/exec/multi.ts); a search that
 * generates its results (`| makeresults`, `| inputlookup`) runs on its own. Every search is planned before
 * any event is read, so an SPL error in any of them stops the run before it starts. Results come back in
 * the order of `detections`.
 */
export async function runDetections(pack: ContentPack, detections: readonly Detection[], opts: DetectionRunOptions): Promise<DetectionResults[]> {
  const plans = detections.map((d) => planDetection(pack, d, opts));
  const exec = {
    source: opts.source,
    now: opts.now,
    tz: opts.tz,
    lookups: pack.lookups,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
  const sinks = plans.map(() => new CollectSink());
  const stats: ExecuteStats[] = [];
  // A search running searches (map) needs the content's macros and a run of its own.
  const shared = plans.flatMap((p, i) => (p.generating || p.runsSearches ? [] : [i]));
  const warn = (i: number, message: string, at?: Span) => opts.onWarning?.(detections[i]!, message, at ? plans[i]!.pipeline.source.place(at) : null);
  // Subsearches (join) run first, each on its own scan, before the shared one.
  for (let i = 0; i < plans.length; i++) plans[i] = await runSubsearches(plans[i]!, { ...exec, onWarning: (message, at) => warn(i, message, at) });
  const sharedWarn = (k: number, message: string, at?: Span) => warn(shared[k]!, message, at);
  let many: ExecuteStats[] | null = null;
  if (shared.length > 0 && opts.parallel) {
    many = await opts.parallel(
      shared.map((i) => plans[i]!),
      shared.map((i) => sinks[i]!),
      sharedWarn,
    );
  }
  if (many === null && shared.length > 1) {
    many = await executeMany(
      shared.map((i) => plans[i]!),
      shared.map((i) => sinks[i]!),
      { ...exec, onWarning: sharedWarn },
    );
  }
  if (many !== null) shared.forEach((i, k) => (stats[i] = many[k]!));
  for (let i = 0; i < plans.length; i++) {
    if (stats[i]) continue;
    stats[i] = await streamSearch(plans[i]!, { ...exec, macros: pack.macros, onWarning: (message, at) => warn(i, message, at) }, sinks[i]!);
  }
  return detections.map((detection, i) => ({ detection, results: sinks[i]!.rows, stats: stats[i]!, window: { earliest: plans[i]!.earliest, latest: plans[i]!.latest } }));
}

/**
 * Names the detection a result row came from in `search_name`, the field Splunk gives alert results and risk
 * events. A row that already has a `search_name` of its own (a search over the risk index that groups by it)
 * keeps that value in `orig_search_name`, as Splunk's `collect` keeps fields it would overwrite.
 */
export function tagSearchName(row: Result, name: string): Result {
  const own = row.get('search_name');
  if (own !== null && own !== name) row.set('orig_search_name', own);
  row.set('search_name', name);
  return row;
}
