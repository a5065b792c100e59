import type { EvalExpr } from '../parse/ast.js';
import { compileEval, evalTypeOf, tooLongError } from '../eval/compile.js';
import { toFieldValue } from '../eval/value.js';
import { SplError, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface EvalArgs {
  assignments: { field: string; fieldSpan: Span; expr: EvalExpr }[];
}

/** `eval a=<expr>, b=<expr>`: evaluated left to right; later assignments see earlier ones. */
export const evalCommand = defineCommand<EvalArgs>({
  name: 'eval',
  doc: 'eval field=<expression>[, field=<expression>]...: compute fields.',
  parse: (p) => {
    const assignments: EvalArgs['assignments'] = [];
    for (;;) {
      // The target is everything up to `=` (Splunk accepts names such as feature_-value), or a quoted name.
      const t = p.next('search');
      if (t.kind !== 'word' && t.kind !== 'string') {
        throw p.error(t.kind === 'eof' ? 'eval needs an assignment: eval field=<expression>' : `expected a field name to assign, found '${t.value}'`, t.span);
      }
      const name = t.kind === 'word' && t.value.length > 1 && t.value.startsWith("'") && t.value.endsWith("'") ? t.value.slice(1, -1) : t.value;
      const eq = p.next('search');
      if (eq.kind !== 'op' || eq.value !== '=') throw p.error(`expected = after ${t.value}`, eq.span);
      const expr = p.evalExpr();
      assignments.push({ field: name, fieldSpan: t.span, expr });
      if (p.accept('comma', 'eval')) continue;
      break;
    }
    return { assignments };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => a.assignments.map((x) => x.field),
  create: (args, ctx, next) => {
    const compiled = args.assignments.map((a) => {
      const t = evalTypeOf(a.expr, ctx, ctx.source);
      if (t === 'boolean') {
        throw new SplError('SPL_BAD_ARGUMENT', `the result of this expression is a boolean, which a field cannot hold: use if(<expr>, "true", "false")`, a.expr.span, ctx.source);
      }
      return { field: a.field, span: a.expr.span, c: compileEval(a.expr, ctx, ctx.source) };
    });
    return {
      push: (row) => {
        let i = 0;
        try {
          for (; i < compiled.length; i++) row.set(compiled[i]!.field, toFieldValue(compiled[i]!.c(row)));
        } catch (e) {
          throw tooLongError(e, compiled[i]!.span, ctx.source);
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
