/**
 * Subsearches (`join ... [ ... ]`): as in Splunk, each runs to its end before the search that holds it reads an
 * event, over the same source and default time range, and its results (bounded by the command's limits) are what
 * the command's operator gets (ExecContext.subsearchRows). Nested subsearches run first, depth first.
 */
import type { Result } from '../../events/result.js';
import type { CommandAst } from '../parse/ast.js';
import type { Sink } from '../commands/types.js';
import type { PlannedSubsearch, SearchPlan } from '../plan/plan.js';
import { executePushedStats } from './pushdown.js';
import { executePlan, type ExecuteOptions, type ExecuteStats } from './run.js';

/**
 * Runs a plan: its subsearches first, then the first stats in the event source where it can (ClickHouse), else
 * a scan.
 */
export async function executeSearch(plan: SearchPlan, opts: ExecuteOptions, output: Sink): Promise<ExecuteStats> {
  const bound = await runSubsearches(plan, opts);
  return (await executePushedStats(bound, opts, output)) ?? executePlan(bound, opts, output);
}

/** `plan` with the results of its subsearches (the plan itself when it has none, or they already ran). */
export async function runSubsearches(plan: SearchPlan, opts: ExecuteOptions): Promise<SearchPlan> {
  if (plan.subsearches.length === 0 || plan.subsearchRows) return plan;
  const rows = new Map<CommandAst, readonly Result[]>();
  for (const s of plan.subsearches) rows.set(s.command, await collect(s, opts));
  return { ...plan, subsearchRows: rows };
}

/** One subsearch's results: at most `maxRows` (the rest dropped), finalized after `maxSeconds`, with a warning each. */
async function collect(s: PlannedSubsearch, opts: ExecuteOptions): Promise<Result[]> {
  const { spec, command } = s;
  const stop = new AbortController();
  const outer = opts.signal;
  const onOuterAbort = (): void => stop.abort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, spec.maxSeconds * 1000);
  timer.unref?.();
  const rows: Result[] = [];
  let dropped = false;
  const sink: Sink = {
    push: (r) => {
      if (rows.length < spec.maxRows) rows.push(r);
      else if (!dropped) {
        dropped = true;
        stop.abort();
      }
    },
    end: () => {},
  };
  try {
    await executeSearch(s.plan, { ...opts, signal: stop.signal }, sink);
  } catch (e) {
    // Stopped by its own limits: what it found so far stands, as a finalized Splunk subsearch's does.
    if (!(stop.signal.aborted && !outer?.aborted)) throw e;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
  const name = command.name;
  if (dropped) opts.onWarning?.(`${name}: the subsearch's results were cut to their first ${spec.maxRows} rows (${spec.limitNames.rows})`, command.nameSpan);
  if (timedOut) opts.onWarning?.(`${name}: the subsearch was stopped after ${spec.maxSeconds} s (${spec.limitNames.seconds}); its results so far are used`, command.nameSpan);
  return rows;
}
