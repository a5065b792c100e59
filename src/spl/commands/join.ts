import type { Result } from '../../events/result.js';
import { toNumber, valuesKey, valuesOf, type Scalar } from '../../events/value.js';
import type { PipelineAst } from '../parse/ast.js';
import { SplError } from '../source.js';
import { defineCommand, subsearchRowsOf, type Sink } from './types.js';

/** limits.conf [join] subsearch_maxout: the subsearch's rows past this many are dropped (with a warning). */
export const JOIN_SUBSEARCH_MAX_ROWS = 50_000;
/** limits.conf [join] subsearch_maxtime: the subsearch is finalized after this many seconds (with a warning). */
export const JOIN_SUBSEARCH_MAX_SECONDS = 60;

export interface JoinArgs {
  /** `type=inner` (default), or `left`/`outer`: main results without a match are kept as they are. */
  type: 'inner' | 'left';
  usetime: boolean;
  earlier: boolean;
  overwrite: boolean;
  /** Subsearch results each main result joins with at most (0: all). */
  max: number;
  /** The fields to join on; empty: the fields common to both result sets. */
  fields: string[];
  subsearch: PipelineAst;
}

/**
 * `join [type=inner|outer|left] [usetime=bool] [earlier=bool] [overwrite=bool] [max=N] [<fields>] [ <subsearch> ]`:
 * each main result is combined with the subsearch results whose join fields have the same values (compared as
 * text, case-sensitively; a multivalue as all its values in order), the first `max` of them in the subsearch's
 * order (one output row each), their fields written over the main result's (`overwrite=false`: only where the
 * main result has none). A main result missing a join field, or without a match, is dropped (`type=inner`) or kept
 * unchanged (`left`/`outer`). `usetime=true` matches only subsearch results no later (`earlier=true`) or no earlier
 * than the main result. Without fields the join is on the fields both result sets have (internal fields `_*`
 * excepted), known once the main search has ended. The subsearch runs first (exec/subsearch.ts), over the same
 * events and time range, at most JOIN_SUBSEARCH_MAX_ROWS rows and JOIN_SUBSEARCH_MAX_SECONDS seconds.
 */
export const joinCommand = defineCommand<JoinArgs>({
  name: 'join',
  doc: 'join [type=inner|outer|left] [usetime=bool] [earlier=bool] [overwrite=bool] [max=N] [<fields>] [<subsearch>]: combine results with a subsearch\'s by field values.',
  parse: (p) => {
    const args: Omit<JoinArgs, 'subsearch'> = { type: 'inner', usetime: false, earlier: true, overwrite: true, max: 1, fields: [] };
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'lbracket') break;
      if (t.kind === 'eof') throw p.error('join needs a subsearch: join <fields> [ search ... ]', t.span);
      const o = p.option(['type', 'usetime', 'earlier', 'overwrite', 'max', 'left', 'right']);
      if (o) {
        if (o.key === 'type') {
          const v = o.value.toLowerCase();
          if (v !== 'inner' && v !== 'outer' && v !== 'left') throw p.error(`join type must be inner, outer or left, found "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          args.type = v === 'inner' ? 'inner' : 'left';
        } else if (o.key === 'max') args.max = p.parseInt(o.value, o.valueSpan, 0);
        else if (o.key === 'left' || o.key === 'right') throw new SplError('SPL_UNSUPPORTED_COMMAND', ALIASES_UNSUPPORTED, o.span, p.source);
        else args[o.key as 'usetime' | 'earlier' | 'overwrite'] = p.parseBool(o.value, o.valueSpan);
        continue;
      }
      if (t.kind === 'word' && t.value.toLowerCase() === 'where') throw new SplError('SPL_UNSUPPORTED_COMMAND', ALIASES_UNSUPPORTED, t.span, p.source);
      const list = p.fieldList();
      if (list.length === 0) throw p.error(`join: expected a field, an option or a subsearch, found ${t.kind === 'string' || t.kind === 'word' ? `"${t.value}"` : `'${t.value}'`}`, t.span);
      for (const f of list) {
        if (f.name.includes('*')) throw p.error('join takes field names, not wildcards', f.span, 'SPL_BAD_ARGUMENT');
        if (!args.fields.includes(f.name)) args.fields.push(f.name);
      }
    }
    const sub = p.subsearch();
    if (sub.kind !== 'subsearch') throw p.error('join needs a subsearch', sub.span);
    p.expectEnd();
    return { ...args, subsearch: sub.pipeline };
  },
  // Its rows wait for the subsearch's results, which only the thread that ran the subsearch has: never per partition.
  kind: () => 'transforming',
  orderSensitive: () => false,
  writes: () => '*',
  subsearch: (a) => ({ pipeline: a.subsearch, maxRows: JOIN_SUBSEARCH_MAX_ROWS, maxSeconds: JOIN_SUBSEARCH_MAX_SECONDS, limitNames: { rows: 'subsearch_maxout', seconds: 'subsearch_maxtime' } }),
  create: (args, ctx, next, cmd) => {
    const right = subsearchRowsOf(ctx, cmd);
    if (args.fields.length > 0) return joiner(args, args.fields, right, next);
    // No fields: the fields both result sets have are known at the end of the main search.
    const left: Result[] = [];
    return {
      push: (row) => void left.push(row),
      end: () => {
        const fields = commonFields(left, right);
        const sink = joiner(args, fields, fields.length > 0 ? right : [], next);
        for (const row of left) sink.push(row);
        left.length = 0;
        sink.end();
      },
    };
  },
});

const ALIASES_UNSUPPORTED = 'join left=/right=/where is not supported yet: rename the fields to the same names and join on them (join <fields> [ ... ])';

/** The fields (not internal ones) some row of each side has, in the main results' order. */
function commonFields(left: readonly Result[], right: readonly Result[]): string[] {
  const rightNames = new Set<string>();
  for (const r of right) for (const f of r.fieldNames()) rightNames.add(f);
  const out = new Set<string>();
  for (const r of left) for (const f of r.fieldNames()) if (!f.startsWith('_') && rightNames.has(f)) out.add(f);
  return [...out];
}

/** The join key of a row: its values of `fields` as text, or null when one is missing. */
export function keyOf(row: Result, fields: readonly string[]): string | null {
  const values: (readonly Scalar[])[] = [];
  for (const f of fields) {
    const vs = valuesOf(row.get(f));
    if (vs.length === 0) return null;
    values.push(vs);
  }
  return valuesKey(values);
}

function timeOf(row: Result): number | null {
  const t = row.get('_time');
  return t === null || Array.isArray(t) ? null : toNumber(t as Scalar);
}

/** The operator joining each pushed row on `fields` with the rows of `right`. */
function joiner(args: JoinArgs, fields: readonly string[], right: readonly Result[], next: Sink): Sink {
  const byKey = new Map<string, Result[]>();
  for (const r of right) {
    const k = keyOf(r, fields);
    if (k === null) continue;
    const same = byKey.get(k);
    if (same) same.push(r);
    else byKey.set(k, [r]);
  }
  const merge = (row: Result, sub: Result): Result => {
    for (const f of sub.fieldNames()) {
      const v = sub.get(f);
      if (v !== null && (args.overwrite || row.get(f) === null)) row.set(f, v);
    }
    return row;
  };
  return {
    push: (row) => {
      const k = keyOf(row, fields);
      let matches = k === null ? undefined : byKey.get(k);
      if (matches !== undefined && args.usetime) {
        const t = timeOf(row);
        matches = matches.filter((m) => {
          const s = timeOf(m);
          return t !== null && s !== null && (args.earlier ? s <= t : s >= t);
        });
      }
      if (matches === undefined || matches.length === 0) {
        if (args.type === 'left') next.push(row);
        return;
      }
      const n = args.max === 0 ? matches.length : Math.min(args.max, matches.length);
      if (n === 1) {
        next.push(merge(row, matches[0]!));
        return;
      }
      for (let i = 0; i < n; i++) next.push(merge(row.clone(), matches[i]!));
    },
    end: () => next.end(),
  };
}
