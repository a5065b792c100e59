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
    const ring: Result[] = [];
    return {
      push: (row) => {
        if (args.limit === 0) return;
        ring.push(row);
        if (ring.length > args.limit) ring.shift();
      },
      end: () => {
        for (let i = ring.length - 1; i >= 0; i--) next.push(ring[i]!);
        next.end();
      },
    };
  },
});
