import type { SearchExpr } from '../parse/ast.js';
import { compileSearch } from '../search/predicate.js';
import { defineCommand } from './types.js';

export interface SearchArgs {
  expr: SearchExpr | null;
}

/** `search <expression>`: keeps the results that match (also the implicit first command). */
export const searchCommand = defineCommand<SearchArgs>({
  name: 'search',
  doc: 'search <expression>: keep results matching field comparisons, terms and boolean operators (case-insensitive).',
  parse: (p) => ({ expr: p.searchExpr() }),
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => [],
  create: (args, ctx, next) => {
    const pred = compileSearch(args.expr, ctx.source);
    return {
      push: (row) => {
        if (pred(row)) next.push(row);
      },
      end: () => next.end(),
    };
  },
});
