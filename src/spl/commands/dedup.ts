import type { Result } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import { defineCommand } from './types.js';

export interface DedupArgs {
  count: number;
  fields: string[];
  keepempty: boolean;
  consecutive: boolean;
  keepevents: boolean;
}

/**
 * `dedup [N] f1 f2 [keepempty=] [consecutive=] [keepevents=]`: keeps the first N results (in search order,
 * newest first) of each combination of values. Results missing a field are dropped unless keepempty=true.
 * `sortby` is not supported (an error), use `| sort` after dedup.
 */
export const dedupCommand = defineCommand<DedupArgs>({
  name: 'dedup',
  doc: 'dedup [N] <fields> [keepempty=bool] [consecutive=bool] [keepevents=bool]: remove duplicate results.',
  parse: (p) => {
    let count = 1;
    let keepempty = false;
    let consecutive = false;
    let keepevents = false;
    const t = p.peek('search');
    if (t.kind === 'word' && /^\d+$/.test(t.value)) {
      p.next('search');
      count = p.parseInt(t.value, t.span, 1);
    }
    const fields: string[] = [];
    for (;;) {
      const o = p.option(['keepempty', 'consecutive', 'keepevents']);
      if (o) {
        const b = p.parseBool(o.value, o.valueSpan);
        if (o.key === 'keepempty') keepempty = b;
        else if (o.key === 'consecutive') consecutive = b;
        else keepevents = b;
        continue;
      }
      if (p.isWord('sortby')) throw p.error('dedup sortby is not supported; use | sort after dedup', p.peek('search').span, 'SPL_BAD_ARGUMENT');
      const list = p.fieldList(['sortby']);
      if (list.length === 0) break;
      fields.push(...list.map((f) => f.name));
    }
    if (fields.length === 0) throw p.error('dedup needs at least one field', p.peek('search').span);
    return { count, fields, keepempty, consecutive, keepevents };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (a) => (a.keepevents ? a.fields : []),
  create: (args, _ctx, next) => {
    const seen = new Map<string, number>();
    let lastKey: string | null = null;
    const keyOf = (row: Result): string | null => {
      let k = '';
      for (const f of args.fields) {
        const vs = valuesOf(row.get(f));
        if (vs.length === 0) return null;
        k += vs.map(toText).join('\u0001') + '\u0000';
      }
      return k;
    };
    return {
      push: (row) => {
        const k = keyOf(row);
        if (k === null) {
          if (args.keepempty) next.push(row);
          return;
        }
        if (args.consecutive) {
          if (k === lastKey) {
            if (args.keepevents) {
              for (const f of args.fields) row.set(f, null);
              next.push(row);
            }
            return;
          }
          lastKey = k;
          next.push(row);
          return;
        }
        const n = seen.get(k) ?? 0;
        if (n < args.count) {
          seen.set(k, n + 1);
          next.push(row);
        } else if (args.keepevents) {
          for (const f of args.fields) row.set(f, null);
          next.push(row);
        }
      },
      end: () => next.end(),
    };
  },
});
