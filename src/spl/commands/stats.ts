import type { Result } from '../../events/result.js';
import { AggregationGroups, Aggregator, groupedStats, mergeGroups } from '../stats/aggregator.js';
import { parseStatsArgs, type StatsArgs } from '../stats/parse.js';
import { defineCommand, type ExecContext } from './types.js';

const OPTIONS = ['allnum', 'delim', 'partitions', 'dedup_splitvals'] as const;

/** stats' arguments: `dedup_splitvals=true` counts a row once per distinct value of a multivalue BY field. */
export interface StatsCommandArgs extends StatsArgs {
  dedupSplitvals: boolean;
}

/**
 * `stats <aggregations> [BY fields]`: one row per group (rows missing a BY field are dropped), sorted
 * by the BY values; without BY, exactly one row even for no input. Memory is per group, not per event.
 */
export const statsCommand = defineCommand<StatsCommandArgs>({
  name: 'stats',
  doc: 'stats <fn>(<field>) [AS name]... [BY <fields>]: aggregate results per group (a field pattern: `values(*) AS *`).',
  parse: (p) => {
    const args = parseStatsArgs(p, OPTIONS, [], true, true);
    if (args.aggregations.length === 0) throw p.error('stats needs at least one statistical function, e.g. stats count', p.peek('search').span);
    const dedup = args.options.get('dedup_splitvals');
    return { ...args, dedupSplitvals: dedup !== undefined && p.parseBool(dedup.value, dedup.span) };
  },
  ...groupedStats<StatsCommandArgs>(),
  create: (args, ctx, next) => {
    const { groups, push } = grouping(args, ctx);
    return {
      push,
      end: () => {
        groups.flush(next);
        next.end();
      },
    };
  },
  splits: (args) =>
    args.aggregations.every((a) => a.blueprint.merge === true)
      ? {
          partial: (ctx) => {
            const { groups, push } = grouping(args, ctx);
            return { push, end: () => {}, state: (plain) => (plain ? groups.partial() : groups), peek: () => groups.partial(true), groups: () => groups.size };
          },
          merge: mergeGroups(args),
        }
      : null,
});

/** The groups of a stats command and how a row feeds them. */
function grouping(args: StatsCommandArgs, ctx: ExecContext): { groups: AggregationGroups; push: (row: Result) => void } {
  const groups = new AggregationGroups(new Aggregator(args.aggregations, ctx), args.by, args.dedupSplitvals);
  return { groups, push: (row) => groups.add(row, row) };
}
