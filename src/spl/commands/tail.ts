import type { Result } from '../../events/result.js';
import { defineCommand } from './types.js';

export interface TailArgs {
  limit: number;
}

/** `tail [N]`: the last N results (default 10), returned in reverse order as Splunk does. */
export const tailCommand = defineCommand<TailArgs>({
  name: 'tail',
  doc: 'tail [N]: last N results (default 10), in reverse order.',
  parse: (p) => {
    const t = p.peek('search');
    if (t.kind === 'word' && /^\d+$/.test(t.value)) {
      p.next('search');
      return { limit: Number(t.value) };
    }
    return { limit: 10 };
  },
  kind: () => 'transforming',
  readsAtMost: (a) => ({ rows: a.limit, from: 'end' }),
  orderSensitive: () => true,
  ordersOutput: () => true,
  writes: () => [],
  create: (args, _ctx, next) => {
    // The last N rows in a ring: Array.shift moved every row kept on each push (`tail 100000` over 300k rows: 30 s).
    const ring: Result[] = [];
    /** The oldest row's slot once the ring is full. */
    let oldest = 0;
    return {
      push: (row) => {
        if (args.limit === 0) return;
        if (ring.length < args.limit) ring.push(row);
        else {
          ring[oldest] = row;
          oldest = (oldest + 1) % args.limit;
        }
      },
      end: () => {
        for (let k = ring.length - 1; k >= 0; k--) next.push(ring[(oldest + k) % ring.length]!);
        next.end();
      },
    };
  },
});
