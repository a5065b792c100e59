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
  searchExpression: { of: (args) => args.expr, with: (args, expr) => ({ ...args, expr }) },
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

/** The subsearch nodes of a search expression (not those inside them). */
export function subsearchNodes(e: SearchExpr | null): Extract<SearchExpr, { kind: 'subsearch' }>[] {
  if (e === null) return [];
  switch (e.kind) {
    case 'subsearch':
      return [e];
    case 'and':
    case 'or':
      return e.items.flatMap(subsearchNodes);
    case 'not':
      return subsearchNodes(e.expr);
    default:
      return [];
  }
}
