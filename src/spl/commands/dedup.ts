import type { Result } from '../../events/result.js';
import { valuesKey, valuesOf, type Scalar } from '../../events/value.js';
import { parseSortKey, sortRows, type SortKey } from './sort.js';
import { defineCommand, type Sink } from './types.js';

export interface DedupArgs {
  count: number;
  fields: string[];
  keepempty: boolean;
  consecutive: boolean;
  keepevents: boolean;
  /** The sortby clause (empty: none). */
  sortby: SortKey[];
}

/**
 * `dedup [N] f1 f2 [keepempty=] [consecutive=] [keepevents=] [sortby (+|-)key ...]`: keeps the first N
 * results (in search order, newest first) of each combination of values. Results missing a field are
 * dropped unless keepempty=true; keepevents=true keeps the duplicates without the dedup fields.
 * `sortby` takes the keys of the sort command (`-bytes`, `+str(host)`, `ip(src)`; the sign may be left
 * out for ascending): all results are sorted first, which decides the ones kept ("you can sort the
 * fields, which determines which event is retained"), and come out in that order. Memory: without sortby
 * one entry per distinct combination; with sortby every result is held until the input ends.
 */
export const dedupCommand = defineCommand<DedupArgs>({
  name: 'dedup',
  doc: 'dedup [N] <fields> [keepempty=bool] [consecutive=bool] [keepevents=bool] [sortby (+|-)<field>...]: remove duplicate results.',
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
    const sortby: SortKey[] = [];
    for (;;) {
      const o = p.option(['keepempty', 'consecutive', 'keepevents']);
      if (o) {
        const b = p.parseBool(o.value, o.valueSpan);
        if (o.key === 'keepempty') keepempty = b;
        else if (o.key === 'consecutive') consecutive = b;
        else keepevents = b;
        continue;
      }
      const by = p.acceptWord('sortby');
      if (by) {
        for (;;) {
          if (p.accept('comma')) continue;
          const t = p.peek('search');
          if (t.kind === 'eof' || (t.kind === 'word' && p.peek2('search').kind === 'op')) break;
          sortby.push(parseSortKey(p));
        }
        if (sortby.length === 0) throw p.error('sortby needs at least one field to sort by', by.span);
        continue;
      }
      const list = p.fieldList(['sortby']);
      if (list.length === 0) break;
      fields.push(...list.map((f) => f.name));
    }
    if (fields.length === 0) throw p.error('dedup needs at least one field', p.peek('search').span);
    return { count, fields, keepempty, consecutive, keepevents, sortby };
  },
  kind: (a) => (a.sortby.length ? 'transforming' : 'streaming'),
  orderSensitive: () => true,
  ordersOutput: (a) => a.sortby.length > 0,
  writes: (a) => (a.keepevents ? a.fields : []),
  create: (args, _ctx, next) => {
    const dedup = deduplicate(args, next);
    if (!args.sortby.length) return dedup;
    const rows: Result[] = [];
    return {
      push: (row) => void rows.push(row),
      end: () => {
        const sorted = sortRows(rows, args.sortby);
        rows.length = 0;
        for (const r of sorted) dedup.push(r);
        dedup.end();
      },
    };
  },
});

/** The deduplication itself, over results in the order they arrive. */
function deduplicate(args: DedupArgs, next: Sink): Sink {
  const seen = new Map<string, number>();
  let lastKey: string | null = null;
  const keyOf = (row: Result): string | null => {
    const fields: (readonly Scalar[])[] = [];
    for (const f of args.fields) {
      const vs = valuesOf(row.get(f));
      if (vs.length === 0) return null;
      fields.push(vs);
    }
    return valuesKey(fields);
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
}
