/**
 * A stats (or tstats) over metadata computed by the event source (spl/plan/pushdown.ts): the source's groups
 * become the partial state one partition holding every event would give, and the final part merges it exactly
 * as it merges partitions (exec/partitions.ts), then runs the rest of the pipeline.
 */
import type { AggregateSpec, MetadataAggregate, MetadataGroup } from '../../events/scan.js';
import type { Scalar } from '../../events/value.js';
import { timeBinner, type Span as BinSpan } from '../time/span.js';
import type { Sink } from '../commands/types.js';
import type { SearchPlan } from '../plan/plan.js';
import { statsPushdown, type StatsPushdown } from '../plan/pushdown.js';
import { SplError } from '../source.js';
import type { StatsArgs } from '../stats/parse.js';
import type { GroupsPartial } from '../stats/aggregator.js';
import { buildFinalPart } from './partitions.js';
import { countingSink, createContext, type ExecuteOptions, type ExecuteStats } from './run.js';

/**
 * Runs a plan whose first aggregation the source computes (ClickHouse: no events cross), or returns null when it
 * does not apply or the source's groups do not fit the time bins (nothing was emitted): the caller then runs the
 * plan as usual (executePlan).
 */
export async function executePushedStats(plan: SearchPlan, opts: ExecuteOptions, output: Sink): Promise<ExecuteStats | null> {
  const source = opts.source;
  if (plan.generating || !source?.aggregate) return null;
  const pushdown = statsPushdown(plan);
  if (typeof pushdown === 'string') return null;
  const started = performance.now();
  const ctx = createContext(plan, opts);
  const stats: ExecuteStats = { eventsScanned: 0, eventsMatched: 0, results: 0, durationMs: 0, pushedDown: true };
  const counting = countingSink(output, stats);
  try {
    // Static errors first, before anything is read.
    const final = buildFinalPart(plan, { serial: null, boundary: pushdown.stage, partial: true, inOrder: false, halts: false, stop: null }, ctx, counting);
    const bin = pushdown.time ? timeBinner(pushdown.time.span, ctx.tz, 0) : null;
    const grain = pushdown.time?.grouped ? timeGrain(pushdown.time.span, ctx.tz) : undefined;
    const spec: AggregateSpec = { columns: pushdown.columns, ...(grain !== undefined ? { timeGrain: grain } : {}) };
    const answer = await source.aggregate(plan.scan, spec, opts.signal ? { signal: opts.signal } : {});
    const aggregations = (plan.stages[pushdown.stage]!.command.args as Pick<StatsArgs, 'aggregations'>).aggregations;
    const state = groupsPartial(pushdown, aggregations, answer, bin);
    if (state === null) return null;
    final.merge(state);
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

/**
 * The source's time grain for BY `_time` (µs): the span itself when it is whole microseconds on the epoch grid
 * (seconds spans; days in UTC), else 15 minutes (local midnights and month starts are on it in every current
 * time zone). Each source group is then checked to fall in one bin (`groupsPartial`).
 */
function timeGrain(span: BinSpan, tz: string): number {
  const us =
    span.kind === 'number' ? span.size * 1e6 : span.kind === 'seconds' && (span.localDays === null || tz === 'UTC') ? span.seconds * 1e6 : GRAIN_15_MIN;
  return Number.isSafeInteger(us) && us >= 1 ? us : 1;
}

const GRAIN_15_MIN = 900e6;

/** A BY group: the source's groups of its BY values added up. */
interface ByGroup {
  values: Scalar[];
  count: number;
  earliest: number;
  latest: number;
  distinct: Set<string>[];
}

/**
 * The source's groups as the partial state of a stats over all the events: BY groups in the order the source's
 * groups come (a scan's order: the order one pass meets them, which decides the output order of BY values that
 * compare equal, such as `1` and `01`), each function fed from what its input reads. With `_time` binned (`bin`),
 * a BY `_time` is the bin of the group's events, and min/max(_time) are binned (bins are monotone: the bin of
 * the earliest is the earliest bin). Null when a source group spans two bins (its grain was not the bins'): the
 * caller then scans.
 */
export function groupsPartial(p: StatsPushdown, aggregations: StatsArgs['aggregations'], answer: MetadataAggregate, bin: ((t: number) => number) | null): GroupsPartial | null {
  const byKey = new Map<string, ByGroup>();
  for (const g of answer.groups) {
    let t: number | null = null;
    if (p.time?.grouped) {
      t = bin!(g.earliest);
      if (bin!(g.latest) !== t) return null;
    }
    add(byKey, p, g, t, p.time?.binned ? bin : null);
  }
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
        else for (const v of g.distinct[input.column - p.byColumns]!) acc.add(v, null);
        return acc.partial!();
      }),
    );
  }
  return out;
}

function add(byKey: Map<string, ByGroup>, p: StatsPushdown, g: MetadataGroup, t: number | null, bin: ((t: number) => number) | null): void {
  let c = 0;
  const values: Scalar[] = p.by.map((f) => (f === '_time' ? t! : g.values[c++]!));
  const key = JSON.stringify(values);
  const earliest = bin ? bin(g.earliest) : g.earliest;
  const latest = bin ? bin(g.latest) : g.latest;
  let b = byKey.get(key);
  if (!b) {
    b = { values, count: 0, earliest, latest, distinct: p.columns.slice(p.byColumns).map(() => new Set<string>()) };
    byKey.set(key, b);
  }
  b.count += g.count;
  if (earliest < b.earliest) b.earliest = earliest;
  if (latest > b.latest) b.latest = latest;
  for (let i = p.byColumns; i < p.columns.length; i++) b.distinct[i - p.byColumns]!.add(g.values[i]!);
}
