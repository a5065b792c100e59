import type { EvalExpr } from '../parse/ast.js';
import { compileCondition } from '../eval/compile.js';
import { defineCommand } from './types.js';

export interface HeadArgs {
  /** The count limit; null: none given (10 without an expression, no limit with one). */
  limit: number | null;
  expr: EvalExpr | null;
  keeplast: boolean;
  /** `null=`: whether an expression evaluating to null counts as true (default false). */
  nullTrue: boolean;
}

/**
 * `head [N|limit=N] [(<expr>)|<expr>] [null=<bool>] [keeplast=<bool>]`: the first N results (default 10), or results
 * until the expression is false (or null, unless null=true); with both, the smaller constraint applies
 * (SPL reference, head: "head limit=10 (1==1)" returns up to 10 results). N and limit= together are an error,
 * as documented, and so is an expression that cannot be a boolean ("evaluates to a Boolean"): `head -1` or
 * `head 1.5` would otherwise read as a number and return nothing.
 */
export const headCommand = defineCommand<HeadArgs>({
  name: 'head',
  doc: 'head [N] | head (<eval-expression>): first N results (default 10) or while the expression holds.',
  parse: (p) => {
    let limit: number | null = null;
    let expr: EvalExpr | null = null;
    let keeplast = false;
    let nullTrue = false;
    for (;;) {
      const o = p.option(['limit', 'keeplast', 'null']);
      if (o) {
        if (o.key === 'limit') {
          if (limit !== null) throw p.error('head takes one count: N or limit=, not both', o.valueSpan);
          limit = p.parseInt(o.value, o.valueSpan);
        } else if (o.key === 'keeplast') keeplast = p.parseBool(o.value, o.valueSpan);
        else nullTrue = p.parseBool(o.value, o.valueSpan);
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'word' && /^\d+$/.test(t.value)) {
        if (limit !== null) throw p.error('head takes one count: N or limit=, not both', t.span);
        p.next('search');
        limit = Number(t.value);
        continue;
      }
      if (t.kind === 'eof') break;
      if (expr !== null) throw p.error('head takes one expression', t.span);
      // The reference's own examples leave the parentheses out: `head count<5 keeplast=true null=true`.
      expr = p.evalExpr();
    }
    return { limit: limit ?? (expr ? null : 10), expr, keeplast, nullTrue };
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  // Past the first N rows it only stops (with an expression too: it is evaluated on those rows only).
  readsAtMost: (a) => (a.limit === null ? null : { rows: a.limit, from: 'start' }),
  writes: () => [],
  create: (args, ctx, next) => {
    let n = 0;
    let done = false;
    const cond = args.expr ? compileCondition(args.expr, ctx, ctx.source, 'head') : null;
    const limit = args.limit ?? Infinity;
    const stop = (): void => {
      done = true;
      ctx.halt();
    };
    return {
      push: (row) => {
        if (done) return;
        if (n >= limit) return stop();
        if (cond) {
          const v = cond(row);
          if (!(v === true || (v === null && args.nullTrue))) {
            if (args.keeplast) next.push(row);
            return stop();
          }
        }
        next.push(row);
        if (++n >= limit) stop();
      },
      end: () => next.end(),
    };
  },
});
