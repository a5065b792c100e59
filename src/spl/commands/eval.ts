import type { EvalExpr } from '../parse/ast.js';
import { compileEval, evalTypeOf, tooLongError } from '../eval/compile.js';
import { toFieldValue } from '../eval/value.js';
import type { Result } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import { SplError, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface EvalArgs {
  /** `nameFrom`: the target is `{nameFrom}`, named in each row by that field's value. */
  assignments: { field: string; fieldSpan: Span; expr: EvalExpr; nameFrom: string | null }[];
}

/**
 * The longest field name `eval {x}=` takes from a row's value: a longer one is not set (a warning says so once).
 * A value can be megabytes; names are kept in rows, schemas and output headers.
 */
export const MAX_DYNAMIC_FIELD_NAME_CHARS = 1024;

/**
 * The field a `{x}` target names in `row`: x's (first) value, or null when x is missing, empty or too long.
 * Decisions (docs/spl.md): a multivalue names its first value's field; a missing or empty one sets nothing.
 */
function dynamicName(row: Result, from: string, tooLong: () => void): string | null {
  const values = valuesOf(row.get(from));
  if (values.length === 0) return null;
  const name = toText(values[0]!);
  if (name === '') return null;
  if (name.length > MAX_DYNAMIC_FIELD_NAME_CHARS) {
    tooLong();
    return null;
  }
  return name;
}

/**
 * `eval a=<expr>, b=<expr>`: evaluated left to right; later assignments see earlier ones. A target written
 * `{x}` is the field named by x's value in that row (SPL reference, eval: "use the value of another field as the
 * name of the destination field" with curly brackets, `eval {aName}=aValue`); only a whole `{x}` is, as the
 * reference shows it.
 */
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
      const dynamic = t.kind === 'word' ? /^\{([^{}]+)\}$/.exec(t.value) : null;
      assignments.push({ field: name, fieldSpan: t.span, expr, nameFrom: dynamic ? dynamic[1]! : null });
      if (p.accept('comma', 'eval')) continue;
      break;
    }
    return { assignments };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  // A `{x}` target can be any field: later filters must not be derived from events' own fields.
  writes: (a) => (a.assignments.some((x) => x.nameFrom !== null) ? '*' : a.assignments.map((x) => x.field)),
  create: (args, ctx, next) => {
    const compiled = args.assignments.map((a) => {
      const t = evalTypeOf(a.expr, ctx, ctx.source);
      if (t === 'boolean') {
        throw new SplError('SPL_BAD_ARGUMENT', `the result of this expression is a boolean, which a field cannot hold: use if(<expr>, "true", "false")`, a.expr.span, ctx.source);
      }
      return { field: a.field, fieldSpan: a.fieldSpan, nameFrom: a.nameFrom, span: a.expr.span, c: compileEval(a.expr, ctx, ctx.source) };
    });
    let warned = false;
    const tooLong = (at: Span): void => {
      if (warned) return;
      warned = true;
      ctx.warn(`eval: a field name from a {field} target longer than ${MAX_DYNAMIC_FIELD_NAME_CHARS} characters was not set`, at);
    };
    return {
      push: (row) => {
        let i = 0;
        try {
          for (; i < compiled.length; i++) {
            const a = compiled[i]!;
            const field = a.nameFrom === null ? a.field : dynamicName(row, a.nameFrom, () => tooLong(a.fieldSpan));
            if (field !== null) row.set(field, toFieldValue(a.c(row)));
          }
        } catch (e) {
          throw tooLongError(e, compiled[i]!.span, ctx.source);
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
