import { Row, type Result } from '../../events/result.js';
import type { Accumulator } from '../stats/aggregations.js';
import { Aggregator, GroupKeys } from '../stats/aggregator.js';
import { parseStatsArgs, type StatsArgs } from '../stats/parse.js';
import { defineCommand } from './types.js';

const OPTIONS = ['allnum'] as const;

/**
 * `eventstats <aggregations> [BY fields]`: the same aggregations as stats, computed over the whole result
 * set and written onto every result of the group, which keeps its fields and its place in the order.
 *
 * Decisions (the reference notes mark these UNVERIFIED):
 * - A result missing a BY field belongs to no group: it passes through unchanged, like stats drops it.
 * - A multivalue BY field puts the result in one group per value (as stats does); it receives the
 *   aggregates of its first group (first value of each BY field).
 * - An aggregate with no value (avg of no numbers) removes a same-named field from the result.
 * - A field pattern (`values(*) AS *`) works as in stats (stats/wildcard.ts): a result receives the fields its group
 *   has, and keeps its other fields.
 * Memory: every result is held until the input ends.
 */
export const eventstatsCommand = defineCommand<StatsArgs>({
  name: 'eventstats',
  doc: 'eventstats <fn>(<field>) [AS name]... [BY <fields>]: add group aggregates to every result.',
  parse: (p) => {
    const args = parseStatsArgs(p, OPTIONS, [], true);
    if (args.aggregations.length === 0) throw p.error('eventstats needs at least one statistical function, e.g. eventstats count', p.peek('search').span);
    return args;
  },
  kind: () => 'transforming',
  orderSensitive: (a) => a.aggregations.some((x) => x.blueprint.orderSensitive === true),
  writes: (a) => (a.aggregations.some((x) => x.wildcard) ? '*' : a.aggregations.map((x) => x.as)),
  create: (args, ctx, next) => {
    const agg = new Aggregator(args.aggregations, ctx);
    const keys = new GroupKeys(args.by);
    const groups = new Map<string, Accumulator[]>();
    // Each buffered result with the group whose aggregates it receives (null: none).
    const rows: { row: Result; key: string | null }[] = [];
    return {
      push: (row) => {
        // Without BY, every result is in the one group whose key is ''.
        const gs = keys.all(row);
        for (const { key } of gs) {
          let g = groups.get(key);
          if (!g) groups.set(key, (g = agg.newState()));
          agg.feed(g, row);
        }
        rows.push({ row, key: gs.length ? gs[0]!.key : null });
      },
      end: () => {
        // Each group's aggregates are computed once, then copied onto its results.
        if (agg.wild) agg.checkWildcards([...groups.values()]);
        const results = new Map<string, Row>();
        for (const [key, state] of groups) {
          const r = new Row();
          agg.write(state, r);
          results.set(key, r);
        }
        const named = args.aggregations.filter((x) => !x.wildcard).map((x) => x.as);
        for (const { row, key } of rows) {
          const r = key === null ? undefined : results.get(key);
          if (r) {
            // The named results (a missing one removes the field), then a pattern's fields the group has.
            for (const n of named) row.set(n, r.get(n));
            if (agg.wild) for (const n of r.fieldNames()) row.set(n, r.get(n));
          }
          next.push(row);
        }
        rows.length = 0;
        next.end();
      },
    };
  },
});
