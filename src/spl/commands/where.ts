import type { EvalExpr } from '../parse/ast.js';
import { compileCondition, tooLongError } from '../eval/compile.js';
import { defineCommand } from './types.js';

export interface WhereArgs {
  expr: EvalExpr;
}

/** `where <eval-expression>`: keeps results for which the expression is true (case-sensitive, unlike search). */
export const whereCommand = defineCommand<WhereArgs>({
  name: 'where',
  doc: 'where <eval-expression>: keep results for which the expression is true.',
  parse: (p) => {
    if (p.atEnd('eval')) throw p.error('where needs an expression', p.peek('eval').span);
    return { expr: p.evalExpr() };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => [],
  create: (args, ctx, next) => {
    const c = compileCondition(args.expr, ctx, ctx.source, 'where');
    return {
      push: (row) => {
        let keep: boolean;
        try {
          keep = c(row) === true;
        } catch (e) {
          throw tooLongError(e, args.expr.span, ctx.source);
        }
        if (keep) next.push(row);
      },
      end: () => next.end(),
    };
  },
});
