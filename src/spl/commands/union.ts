import { SplError } from '../source.js';
import { interleaveByTime, nonStreamingCommand, parseSubsearchList, pushAll, subsearchSpecs, type Datasets } from './datasets.js';
import { defineCommand, subsearchResultsOf } from './types.js';

/** union's subsearch options' defaults: "maxtime ... The default is 60 seconds", "maxout ... The default is 50000 results". */
const UNION_MAX_ROWS = 50_000;
const UNION_MAX_SECONDS = 60;

export interface UnionArgs {
  /** First in its pipeline: it generates its results from the datasets; later, the incoming results are one more. */
  leading: boolean;
  maxRows: number;
  maxSeconds: number;
  datasets: Datasets;
  /** Every dataset is a streaming search: their results are interleaved by `_time` (as multisearch), else appended. */
  interleave: boolean;
}

/**
 * `union [maxtime=S] [maxout=N] [timeout=S] <dataset> [, <dataset>]...`: the results of the datasets (subsearches, run
 * first: exec/subsearch.ts) as one. First in a search it generates them; later, its input comes first and the datasets'
 * results follow (as append). A named dataset (`datamodel:x`, `savedsearch:x`, `inputlookup:x`) is not resolved: an
 * error at it.
 */
export const unionCommand = defineCommand<UnionArgs>({
  name: 'union',
  doc: 'union [maxout=N] [maxtime=S] [ <subsearch> ]...: the results of several datasets as one (interleaved by _time when all are streaming searches).',
  parse: (p) => {
    let maxRows = UNION_MAX_ROWS;
    let maxSeconds = UNION_MAX_SECONDS;
    for (;;) {
      const o = p.option(['maxout', 'maxtime', 'timeout']);
      if (!o) break;
      if (o.key === 'maxout') maxRows = p.parseInt(o.value, o.valueSpan, 1);
      else if (o.key === 'maxtime') maxSeconds = p.parseInt(o.value, o.valueSpan, 1);
      else p.parseInt(o.value, o.valueSpan, 0);
    }
    const start = p.peek('search').span;
    const datasets = parseSubsearchList(p, 'union', true, (word, at) => {
      throw new SplError(
        'SPL_UNSUPPORTED_COMMAND',
        `union: the named dataset "${word}" cannot be resolved (vigil runs subsearches only: write it as a subsearch, e.g. [| inputlookup <table>] or [| datamodel <model> <dataset> search])`,
        at,
        p.source,
      );
    });
    // "Merges the results from two or more datasets into one dataset. One of the datasets can be a result set that is
    // then piped into the union command."
    const needed = p.leading ? 2 : 1;
    if (datasets.pipelines.length < needed) {
      throw p.error(`union needs ${needed === 2 ? 'at least two datasets' : 'a dataset'}: union [search ...]${needed === 2 ? ' [search ...]' : ''}`, datasets.spans.at(-1) ?? start);
    }
    return { leading: p.leading, maxRows, maxSeconds, datasets, interleave: datasets.pipelines.every((pl) => nonStreamingCommand(pl) === null) };
  },
  // Later in a search its rows wait for the subsearches', which only the thread that ran them has: never per partition.
  kind: (a) => (a.leading ? 'generating' : 'transforming'),
  orderSensitive: () => false,
  ordersOutput: (a) => a.leading,
  writes: () => '*',
  subsearches: (a) => subsearchSpecs(a.datasets, a.maxRows, a.maxSeconds),
  create: (args, ctx, next, cmd) => {
    if (args.leading) return next;
    const lists = subsearchResultsOf(ctx, cmd);
    return {
      push: (row) => next.push(row),
      end: () => {
        for (const list of lists) for (const row of list) next.push(row.clone());
        next.end();
      },
    };
  },
  generate: async (args, ctx, next, cmd) => {
    const lists = subsearchResultsOf(ctx, cmd);
    const rows = args.interleave ? interleaveByTime(lists) : lists.flat();
    await pushAll(rows, ctx, next);
  },
});
