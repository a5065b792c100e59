import type { EvalExpr } from '../parse/ast.js';
import { compileEval } from '../eval/compile.js';
import { defineCommand } from './types.js';

export interface HeadArgs {
  limit: number;
  expr: EvalExpr | null;
  keeplast: boolean;
}

/** `head [N|limit=N|(<expr>)]`: the first N results (default 10), or results while the expression is true. */
export const headCommand = defineCommand<HeadArgs>({
  name: 'head',
  doc: 'head [N] | head (<eval-expression>): first N results (default 10) or while the expression holds.',
  parse: (p) => {
    let limit = 10;
    let expr: EvalExpr | null = null;
    let keeplast = false;
    for (;;) {
      const o = p.option(['limit', 'keeplast', 'null']);
      if (o) {
        if (o.key === 'limit') limit = p.parseInt(o.value, o.valueSpan);
        else if (o.key === 'keeplast') keeplast = p.parseBool(o.value, o.valueSpan);
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'word' && /^\d+$/.test(t.value)) {
        p.next('search');
        limit = Number(t.value);
        continue;
      }
      if (t.kind === 'lparen') {
        p.next('eval');
        expr = p.evalExpr();
        p.expect('rparen', '`)`', 'eval');
        continue;
      }
      break;
    }
    return { limit, expr, keeplast };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: () => [],
  create: (args, ctx, next) => {
    let n = 0;
    let done = false;
    const cond = args.expr ? compileEval(args.expr, ctx, ctx.source) : null;
    return {
      push: (row) => {
        if (done) return;
        if (cond) {
          if (cond(row) === true) {
            next.push(row);
            return;
          }
          if (args.keeplast) next.push(row);
          done = true;
          ctx.halt();
          return;
        }
        if (n < args.limit) {
          next.push(row);
          n++;
        }
        if (n >= args.limit) {
          done = true;
          ctx.halt();
        }
      },
      end: () => next.end(),
    };
  },
});
