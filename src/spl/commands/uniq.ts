import { resultKey } from './datasets.js';
import { defineCommand } from './types.js';

/**
 * `uniq`: "removes any search result if that result is an exact duplicate of the previous result. This command does
 * not take any arguments" (uniq reference). Exact: every field, internal ones included, as set compares results
 * (datasets.ts `resultKey`); only the previous result is kept, so memory is one result's key.
 */
export const uniqCommand = defineCommand<Record<string, never>>({
  name: 'uniq',
  doc: 'uniq: remove each result that is an exact duplicate of the previous one.',
  parse: (p) => {
    p.expectEnd();
    return {};
  },
  kind: () => 'streaming',
  // "the previous result": the search's order, so it runs where that order is set (plan/split.ts).
  orderSensitive: () => true,
  writes: () => [],
  create: (_a, _ctx, next) => {
    let previous: string | null = null;
    return {
      push: (row) => {
        const key = resultKey(row);
        if (key === previous) return;
        previous = key;
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
