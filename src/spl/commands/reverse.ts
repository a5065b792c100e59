import type { Result } from '../../events/result.js';
import { defineCommand } from './types.js';

/**
 * `reverse`: the results in the opposite order (Search Reference: "Reverses the order of the results"; a dataset
 * processing command, so it holds every result until its input ends, bounded as sort's are: `search.maxMemory`).
 * Over files the planner sorts its input newest first before it, so the output is oldest first, as in Splunk.
 */
export const reverseCommand = defineCommand<null>({
  name: 'reverse',
  doc: 'reverse: the results in the opposite order.',
  parse: (p) => {
    p.expectEnd();
    return null;
  },
  kind: () => 'transforming',
  orderSensitive: () => true,
  // Its output order is final: no newest-first sort may come after it (it would undo the reversal).
  ordersOutput: () => true,
  writes: () => [],
  create: (_args, _ctx, next) => {
    const rows: Result[] = [];
    return {
      push: (row) => void rows.push(row),
      end: () => {
        for (let i = rows.length - 1; i >= 0; i--) next.push(rows[i]!);
        rows.length = 0;
        next.end();
      },
    };
  },
});
