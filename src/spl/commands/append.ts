import type { PipelineAst } from '../parse/ast.js';
import { defineCommand, subsearchRowsOf } from './types.js';

/** append's defaults (its maxout=, maxtime=): the subsearch's first 50,000 results, for 60 seconds. */
const APPEND_MAX_ROWS = 50_000;
const APPEND_MAX_SECONDS = 60;

export interface AppendArgs {
  maxRows: number;
  maxSeconds: number;
  subsearch: PipelineAst;
}

/**
 * `append [maxout=N] [maxtime=S] [timeout=S] [extendtimerange=bool] [ <subsearch> ]`: the results, then the
 * subsearch's (run first over the same events and default time range, exec/subsearch.ts). `timeout` and
 * `extendtimerange` are accepted without effect (the subsearch has run by the time its results are appended, over
 * the search's range).
 */
export const appendCommand = defineCommand<AppendArgs>({
  name: 'append',
  doc: 'append [maxout=N] [maxtime=S] [ <subsearch> ]: add the results of a subsearch after the current results.',
  parse: (p) => {
    let maxRows = APPEND_MAX_ROWS;
    let maxSeconds = APPEND_MAX_SECONDS;
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'lbracket') break;
      const o = p.option(['maxout', 'maxtime', 'timeout', 'extendtimerange']);
      if (!o) throw p.error(t.kind === 'eof' ? 'append needs a subsearch: append [ search ... ]' : `append: expected an option or a subsearch, found '${t.value}'`, t.span);
      if (o.key === 'maxout') maxRows = p.parseInt(o.value, o.valueSpan, 1);
      else if (o.key === 'maxtime') maxSeconds = p.parseInt(o.value, o.valueSpan, 1);
      else if (o.key === 'timeout') p.parseInt(o.value, o.valueSpan, 0);
      else p.parseBool(o.value, o.valueSpan);
    }
    const sub = p.subsearch();
    if (sub.kind !== 'subsearch') throw p.error('append needs a subsearch', sub.span);
    p.expectEnd();
    return { maxRows, maxSeconds, subsearch: sub.pipeline };
  },
  // Its rows wait for the subsearch's, which only the thread that ran the subsearch has: never per partition.
  kind: () => 'transforming',
  orderSensitive: () => false,
  writes: () => '*',
  subsearch: (a) => ({ pipeline: a.subsearch, maxRows: a.maxRows, maxSeconds: a.maxSeconds, limitNames: { rows: 'maxout', seconds: 'maxtime' } }),
  create: (_args, ctx, next, cmd) => {
    const appended = subsearchRowsOf(ctx, cmd);
    return {
      push: (row) => next.push(row),
      end: () => {
        for (const row of appended) next.push(row.clone());
        next.end();
      },
    };
  },
});
