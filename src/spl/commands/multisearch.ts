import { SplError } from '../source.js';
import { interleaveByTime, nonStreamingCommand, parseSubsearchList, pushAll, subsearchSpecs, type Datasets } from './datasets.js';
import { defineCommand, subsearchResultsOf } from './types.js';

/**
 * Each subsearch's results are held until all have run (Splunk streams them): at most union's defaults, 50,000 rows
 * and 60 s each, with a warning when cut (exec/subsearch.ts).
 */
const MULTISEARCH_MAX_ROWS = 50_000;
const MULTISEARCH_MAX_SECONDS = 60;

export interface MultisearchArgs {
  datasets: Datasets;
}

/**
 * `| multisearch [search ...] [search ...]...`: "a generating command that runs multiple streaming searches at the same
 * time. This command requires at least two subsearches and allows only streaming operations in each subsearch"
 * (multisearch reference). Their results are interleaved by `_time`, newest first, as one search's.
 */
export const multisearchCommand = defineCommand<MultisearchArgs>({
  name: 'multisearch',
  doc: '| multisearch [search ...] [search ...]...: run several streaming searches as one, their results interleaved by _time.',
  parse: (p) => {
    const start = p.peek('search').span;
    const datasets = parseSubsearchList(p, 'multisearch', false);
    if (datasets.pipelines.length < 2) throw p.error('multisearch needs at least two subsearches: | multisearch [search ...] [search ...]', datasets.spans[0] ?? start);
    for (const [i, pipeline] of datasets.pipelines.entries()) {
      const bad = nonStreamingCommand(pipeline);
      if (bad) {
        const what = bad === pipeline.commands[0] ? `starts with "${bad.name}", not a search` : `has "${bad.name}", which is not a streaming command`;
        throw new SplError('SPL_BAD_ARGUMENT', `multisearch allows only streaming searches: its subsearch ${i + 1} ${what} (search, eval, where, fields, rex...)`, bad.nameSpan.start === bad.nameSpan.end ? bad.span : bad.nameSpan, pipeline.source);
      }
    }
    return { datasets };
  },
  kind: () => 'generating',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => '*',
  subsearches: (a) => subsearchSpecs(a.datasets, MULTISEARCH_MAX_ROWS, MULTISEARCH_MAX_SECONDS),
  create: (_a, _ctx, next) => next,
  generate: async (_args, ctx, next, cmd) => {
    await pushAll(interleaveByTime(subsearchResultsOf(ctx, cmd)), ctx, next);
  },
});
