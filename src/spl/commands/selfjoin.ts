import type { Result } from '../../events/result.js';
import { SplError, cover, type Span } from '../source.js';
import { keyOf } from './join.js';
import { defineCommand } from './types.js';

/** The reference: "The maximum number of main results is 100,000." More results reaching selfjoin: SPL_RUNTIME. */
export const SELFJOIN_MAX_RESULTS = 100_000;
/** At most this many joined rows (max=0 over one value every result shares is quadratic): SPL_RUNTIME, before any is made. */
export const SELFJOIN_MAX_OUTPUT = 1_000_000;

export interface SelfjoinArgs {
  overwrite: boolean;
  /** 'Other' results joined with each main result (0: all). */
  max: number;
  keepsingle: boolean;
  fields: string[];
  at: Span;
}

/**
 * `selfjoin [overwrite=<bool>] [max=<int>] [keepsingle=<bool>] <field-list>` (SPL reference, selfjoin, example 1:
 * five results sharing `joiner` give four, "Row 1 is joined with row 2 and returned as row 2", "Row 5 has no
 * other row to join with"): each result (the main one) is joined with the next `max` results (default 1; 0: all)
 * with the same values of the fields, in search order; each pair is one output row, the main result's fields with
 * the other's written over them (`overwrite=true`, default: "the last result row ... takes precedence"; false:
 * only where the main result has none). A result alone with its values is dropped unless `keepsingle=true`; a
 * result missing a field is dropped. Output: main after main, each one's pairs in order. Holds its input: at most
 * SELFJOIN_MAX_RESULTS results and SELFJOIN_MAX_OUTPUT joined rows, else SPL_RUNTIME at the command.
 */
export const selfjoinCommand = defineCommand<SelfjoinArgs>({
  name: 'selfjoin',
  doc: 'selfjoin [overwrite=<bool>] [max=<int>] [keepsingle=<bool>] <field-list>: join each result with the next results that share the values of the fields.',
  parse: (p) => {
    const start = p.peek('search').span;
    const args: Omit<SelfjoinArgs, 'fields' | 'at'> = { overwrite: true, max: 1, keepsingle: false };
    const fields: { name: string; span: Span }[] = [];
    for (;;) {
      const o = p.option(['overwrite', 'max', 'keepsingle']);
      if (o) {
        if (o.key === 'max') args.max = p.parseInt(o.value, o.valueSpan, 0);
        else args[o.key as 'overwrite' | 'keepsingle'] = p.parseBool(o.value, o.valueSpan);
        continue;
      }
      const list = p.fieldList();
      if (list.length === 0) break;
      for (const f of list) {
        if (f.name.includes('*')) throw p.error(`selfjoin takes field names, not wildcards (${f.name})`, f.span, 'SPL_BAD_ARGUMENT');
        fields.push(f);
      }
    }
    p.expectEnd();
    if (fields.length === 0) throw p.error('selfjoin needs the fields to join on, e.g. selfjoin id', start);
    return { ...args, fields: fields.map((f) => f.name), at: cover(fields[0]!.span, fields[fields.length - 1]!.span) };
  },
  kind: () => 'transforming',
  orderSensitive: () => true,
  writes: () => '*',
  create: (args, ctx, next) => {
    const fail = (msg: string) => new SplError('SPL_RUNTIME', msg, args.at, ctx.source);
    const rows: Result[] = [];
    /** Per row, its group's index in `groups`; a group lists its rows' positions. */
    const groupOf: number[] = [];
    const groups: number[][] = [];
    const byKey = new Map<string, number>();
    return {
      push: (row) => {
        const k = keyOf(row, args.fields);
        if (k === null) return;
        if (rows.length >= SELFJOIN_MAX_RESULTS) throw fail(`selfjoin holds at most ${SELFJOIN_MAX_RESULTS} results (the reference's limit of main results): filter or aggregate first`);
        let g = byKey.get(k);
        if (g === undefined) {
          byKey.set(k, (g = groups.length));
          groups.push([]);
        }
        groups[g]!.push(rows.length);
        groupOf.push(g);
        rows.push(row);
      },
      end: () => {
        // Each main result's pairs: min(max, rows after it in its group); counted before any is made.
        let total = 0;
        for (const members of groups) {
          const n = members.length;
          if (n === 1) total += args.keepsingle ? 1 : 0;
          else for (let j = 0; j < n; j++) total += args.max === 0 ? n - 1 - j : Math.min(args.max, n - 1 - j);
          if (total > SELFJOIN_MAX_OUTPUT) throw fail(`selfjoin would make more than ${SELFJOIN_MAX_OUTPUT} joined results (max=${args.max}): lower max= or join on more fields`);
        }
        const place = new Int32Array(rows.length);
        for (const members of groups) members.forEach((r, j) => (place[r] = j));
        for (let r = 0; r < rows.length; r++) {
          const members = groups[groupOf[r]!]!;
          if (members.length === 1) {
            if (args.keepsingle) next.push(rows[r]!);
            continue;
          }
          const from = place[r]! + 1;
          const to = args.max === 0 ? members.length : Math.min(members.length, from + args.max);
          for (let j = from; j < to; j++) next.push(merge(rows[r]!.clone(), rows[members[j]!]!, args.overwrite));
        }
        next.end();
      },
    };
  },
});

function merge(main: Result, other: Result, overwrite: boolean): Result {
  for (const f of other.fieldNames()) {
    const v = other.get(f);
    if (v !== null && (overwrite || main.get(f) === null)) main.set(f, v);
  }
  return main;
}
