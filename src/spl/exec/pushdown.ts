/**
 * A stats (or tstats) over metadata computed by the event source (spl/plan/pushdown.ts): the source's groups
 * become the partial state one partition holding every event would give, and the final part merges it exactly
 * as it merges partitions (exec/partitions.ts), then runs the rest of the pipeline.
 */
import type { MetadataAggregate, MetadataGroup } from '../../events/scan.js';
import type { Sink } from '../commands/types.js';
import type { SearchPlan } from '../plan/plan.js';
import { statsPushdown, type StatsPushdown } from '../plan/pushdown.js';
import { SplError } from '../source.js';
import type { StatsArgs } from '../stats/parse.js';
import type { GroupsPartial } from '../stats/aggregator.js';
import { buildFinalPart } from './partitions.js';
import { createContext, type ExecuteOptions, type ExecuteStats } from './run.js';

/**
 * Runs a plan whose first stage the source computes (ClickHouse: no events cross), or returns null when it does not
 * apply (nothing was run): the caller then runs the plan as usual (executePlan).
 */
export async function executePushedStats(plan: SearchPlan, opts: ExecuteOptions, output: Sink): Promise<ExecuteStats | null> {
  const source = opts.source;
  if (plan.generating || !source?.aggregate) return null;
  const pushdown = statsPushdown(plan);
  if (typeof pushdown === 'string') return null;
  const started = performance.now();
  const ctx = createContext(plan, opts);
  const stats: ExecuteStats = { eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0, pushedDown: true };
  const counting: Sink = {
    push: (r) => {
      stats.results++;
      output.push(r);
    },
    end: () => output.end(),
  };
  try {
    // Static errors first, before anything is read.
    const final = buildFinalPart(plan, { serial: null, boundary: 0, partial: true, inOrder: false, stop: null }, ctx, counting);
    const answer = await source.aggregate(plan.scan, pushdown.columns, opts.signal ? { signal: opts.signal } : {});
    final.merge(groupsPartial(pushdown, (plan.stages[0]!.command.args as Pick<StatsArgs, 'aggregations'>).aggregations, answer));
    final.end();
    for (const g of answer.groups) stats.eventsScanned += g.count;
    stats.eventsMatched = stats.eventsScanned;
    if (answer.rowsRead !== undefined) stats.rowsRead = answer.rowsRead;
  } catch (e) {
    if (e instanceof SplError) throw e.withSource(ctx.source);
    throw e;
  }
  stats.durationMs = performance.now() - started;
  return stats;
}

/** A BY group: the source's groups of its BY values added up. */
interface ByGroup {
  values: string[];
  count: number;
  earliest: number;
  latest: number;
  distinct: Set<string>[];
}

/**
 * The source's groups as the partial state of a stats over all the events: BY groups in the order the source's
 * groups come (a scan's order: the order one pass meets them, which decides the output order of BY values that
 * compare equal, such as `1` and `01`), each function fed from what its input reads.
 */
export function groupsPartial(p: StatsPushdown, aggregations: StatsArgs['aggregations'], answer: MetadataAggregate): GroupsPartial {
  const byKey = new Map<string, ByGroup>();
  for (const g of answer.groups) add(byKey, p, g);
  const out: GroupsPartial = { values: [], states: [] };
  for (const g of byKey.values()) {
    out.values.push(g.values);
    out.states.push(
      aggregations.map((a, i) => {
        const acc = a.blueprint.create();
        const input = p.inputs[i]!;
        if (input.kind === 'count') acc.merge!(g.count);
        else if (input.kind === 'earliest') acc.add(g.earliest, null);
        else if (input.kind === 'latest') acc.add(g.latest, null);
        else for (const v of g.distinct[input.column - p.by]!) acc.add(v, null);
        return acc.partial!();
      }),
    );
  }
  return out;
}

function add(byKey: Map<string, ByGroup>, p: StatsPushdown, g: MetadataGroup): void {
  const values = g.values.slice(0, p.by);
  const key = JSON.stringify(values);
  let b = byKey.get(key);
  if (!b) {
    b = { values, count: 0, earliest: g.earliest, latest: g.latest, distinct: p.columns.slice(p.by).map(() => new Set<string>()) };
    byKey.set(key, b);
  }
  b.count += g.count;
  if (g.earliest < b.earliest) b.earliest = g.earliest;
  if (g.latest > b.latest) b.latest = g.latest;
  for (let c = p.by; c < p.columns.length; c++) b.distinct[c - p.by]!.add(g.values[c]!);
}
