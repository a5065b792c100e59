import { AggregationGroups, Aggregator, GroupKeys, groupedStats } from '../stats/aggregator.js';
import { parseStatsArgs, type StatsArgs } from '../stats/parse.js';
import { defineCommand } from './types.js';

const OPTIONS = ['allnum', 'delim', 'partitions', 'dedup_splitvals'] as const;

/**
 * `stats <aggregations> [BY fields]`: one row per group (rows missing a BY field are dropped), sorted
 * by the BY values; without BY, exactly one row even for no input. Memory is per group, not per event.
 */
export const statsCommand = defineCommand<StatsArgs>({
  name: 'stats',
  doc: 'stats <fn>(<field>) [AS name]... [BY <fields>]: aggregate results per group.',
  parse: (p) => {
    const args = parseStatsArgs(p, OPTIONS);
    if (args.aggregations.length === 0) throw p.error('stats needs at least one statistical function, e.g. stats count', p.peek('search').span);
    return args;
  },
  ...groupedStats<StatsArgs>(),
  create: (args, ctx, next) => {
    const groups = new AggregationGroups(new Aggregator(args.aggregations, ctx), args.by);
    const keys = new GroupKeys(args.by);
    const scratch = () => keys.values();
    return {
      push: (row) => {
        const k = keys.key(row);
        if (k === null) return;
        if (k !== undefined) groups.feed(k, scratch, row);
        else for (const g of keys.groups(row)) groups.feed(g.key, g.values, row);
      },
      end: () => {
        groups.flush(next);
        next.end();
      },
    };
  },
});
