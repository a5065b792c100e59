import type { Result } from '../../events/result.js';
import { Row } from '../../events/result.js';
import type { PipelineAst } from '../parse/ast.js';
import { defineCommand, subsearchRowsOf } from './types.js';

/** appendcols' subsearch defaults (the reference: maxout 50000, maxtime 60). */
const APPENDCOLS_MAX_ROWS = 50_000;
const APPENDCOLS_MAX_SECONDS = 60;

export interface AppendcolsArgs {
  override: boolean;
  maxRows: number;
  maxSeconds: number;
  subsearch: PipelineAst;
}

/**
 * `appendcols [override=<bool>] [maxout=N] [maxtime=S] [timeout=S] [extendtimerange=bool] [ <subsearch> ]`
 * (SPL reference, appendcols: "the first subsearch result is merged with the first main result, the second
 * subsearch result is merged with the second main result, and so on"; internal fields `_*` are not merged): the
 * subsearch (run first, exec/subsearch.ts) gives its fields to the results in order; a field both have keeps the
 * main result's value unless `override=true`. *Decision:* subsearch results past the last main result are added
 * after it as results of their own (their internal fields left out too); main results past the subsearch's last
 * pass unchanged. Rows pass as they come, so nothing is held but the subsearch's rows (at most maxout).
 */
export const appendcolsCommand = defineCommand<AppendcolsArgs>({
  name: 'appendcols',
  doc: 'appendcols [override=<bool>] [maxout=N] [maxtime=S] [ <subsearch> ]: add the fields of the subsearch\'s results to the results, first to first, second to second...',
  parse: (p) => {
    let override = false;
    let maxRows = APPENDCOLS_MAX_ROWS;
    let maxSeconds = APPENDCOLS_MAX_SECONDS;
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'lbracket') break;
      const o = p.option(['override', 'maxout', 'maxtime', 'timeout', 'extendtimerange']);
      if (!o) throw p.error(t.kind === 'eof' ? 'appendcols needs a subsearch: appendcols [ search ... ]' : `appendcols: expected an option or a subsearch, found '${t.value}'`, t.span);
      if (o.key === 'override') override = p.parseBool(o.value, o.valueSpan);
      else if (o.key === 'maxout') maxRows = p.parseInt(o.value, o.valueSpan, 1);
      else if (o.key === 'maxtime') maxSeconds = p.parseInt(o.value, o.valueSpan, 1);
      else if (o.key === 'timeout') p.parseInt(o.value, o.valueSpan, 0);
      else p.parseBool(o.value, o.valueSpan);
    }
    const sub = p.subsearch();
    if (sub.kind !== 'subsearch') throw p.error('appendcols needs a subsearch', sub.span);
    p.expectEnd();
    return { override, maxRows, maxSeconds, subsearch: sub.pipeline };
  },
  // Pairs results by position, so it needs the search's order, and the subsearch's rows live on the thread that ran it.
  kind: () => 'transforming',
  orderSensitive: () => true,
  writes: () => '*',
  subsearch: (a) => ({ pipeline: a.subsearch, maxRows: a.maxRows, maxSeconds: a.maxSeconds, limitNames: { rows: 'maxout', seconds: 'maxtime' } }),
  create: (args, ctx, next, cmd) => {
    const columns = subsearchRowsOf(ctx, cmd);
    let i = 0;
    const merge = (row: Result, sub: Result): Result => {
      for (const f of sub.fieldNames()) {
        if (f.startsWith('_')) continue;
        const v = sub.get(f);
        if (v !== null && (args.override || row.get(f) === null)) row.set(f, v);
      }
      return row;
    };
    return {
      push: (row) => {
        const sub = columns[i];
        if (sub !== undefined) i++;
        next.push(sub === undefined ? row : merge(row, sub));
      },
      end: () => {
        for (; i < columns.length; i++) next.push(merge(new Row(), columns[i]!));
        next.end();
      },
    };
  },
});
