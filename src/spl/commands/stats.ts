import { Row } from '../../events/result.js';
import type { Scalar } from '../../events/value.js';
import { compareScalars } from '../eval/compare.js';
import type { Accumulator } from '../stats/aggregations.js';
import { Aggregator, groupsOf } from '../stats/aggregator.js';
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
  kind: () => 'transforming',
  orderSensitive: (a) => a.aggregations.some((x) => x.blueprint.orderSensitive === true),
  ordersOutput: () => true,
  writes: () => '*',
  outputFields: (a) => ({ fields: new Set([...a.by, ...a.aggregations.map((x) => x.as)]), open: false }),
  create: (args, ctx, next) => {
    const agg = new Aggregator(args.aggregations, ctx);
    const groups = new Map<string, { values: Scalar[]; state: Accumulator[] }>();
    const by = args.by;
    return {
      push: (row) => {
        if (by.length === 0) {
          let g = groups.get('');
          if (!g) groups.set('', (g = { values: [], state: agg.newState() }));
          agg.feed(g.state, row);
          return;
        }
        for (const { key, values } of groupsOf(row, by)) {
          let g = groups.get(key);
          if (!g) groups.set(key, (g = { values, state: agg.newState() }));
          agg.feed(g.state, row);
        }
      },
      end: () => {
        if (by.length === 0 && groups.size === 0) groups.set('', { values: [], state: agg.newState() });
        const all = [...groups.values()];
        if (by.length > 0) all.sort((a, b) => compareGroups(a.values, b.values));
        for (const g of all) {
          const out = new Row();
          by.forEach((f, i) => out.set(f, g.values[i]!));
          agg.write(g.state, out);
          next.push(out);
        }
        next.end();
      },
    };
  },
});

function compareGroups(a: readonly Scalar[], b: readonly Scalar[]): number {
  for (let i = 0; i < a.length; i++) {
    const c = compareScalars(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return 0;
}
