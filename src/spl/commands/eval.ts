import type { EvalExpr } from '../parse/ast.js';
import { compileEval, evalTypeOf, tooLongError } from '../eval/compile.js';
import { toFieldValue } from '../eval/value.js';
import type { Result } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import { SplError, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface EvalArgs {
  /** `dynamic`: the target holds `{x}` parts (`{x}`, `v_{x}`), each replaced in each row by x's value. */
  assignments: { field: string; fieldSpan: Span; expr: EvalExpr; dynamic: boolean }[];
}

/**
 * The longest field name `eval {x}=` takes from a row's value: a longer one is not set (a warning says so once).
 * A value can be megabytes; names are kept in rows, schemas and output headers.
 */
export const MAX_DYNAMIC_FIELD_NAME_CHARS = 1024;

/**
 * The most rounds of `{x}` replacement in one target name: a value holding `{...}` is replaced again ("{p}
 * replaces the value of p in the fieldname, so v_{p} becomes v_{p} over and over again"). Past it the search
 * stops with SPL_RUNTIME, as Splunk's does ("generate errors and do not complete").
 */
export const MAX_DYNAMIC_NAME_ROUNDS = 100;

/** A `{x}` part of a target name: x is any text without braces (`a{}.b` has none). */
const BRACED = /\{([^{}]+)\}/g;
const HAS_BRACED = /\{[^{}]+\}/;

/**
 * The field a target with `{x}` parts names in `row`: each `{x}` replaced by x's (first) value, again while the
 * name holds `{x}` parts; null when some x is missing or empty, or the name is too long (`tooLong` warns).
 * Decisions (docs/spl.md): a multivalue gives its first value; a missing or empty one sets nothing.
 */
function dynamicName(row: Result, template: string, tooLong: () => void, unbounded: () => never): string | null {
  let name = template;
  for (let round = 0; round < MAX_DYNAMIC_NAME_ROUNDS; round++) {
    let missing = false;
    name = name.replace(BRACED, (_m, from: string) => {
      const values = valuesOf(row.get(from));
      const v = values.length === 0 ? '' : toText(values[0]!);
      if (v === '') missing = true;
      return v;
    });
    if (missing) return null;
    if (name.length > MAX_DYNAMIC_FIELD_NAME_CHARS) {
      tooLong();
      return null;
    }
    if (!HAS_BRACED.test(name)) return name;
  }
  return unbounded();
}

/**
 * `eval a=<expr>, b=<expr>`: evaluated left to right; later assignments see earlier ones. A target with `{x}`
 * parts names its field by x's value in that row (SPL reference, eval, "Dynamic field name creation": `eval
 * {aName}=aValue` gives `counter=1234`; "{p} replaces the value of p in the fieldname, so v_{p} becomes v_{p}
 * over and over again": a part of a longer name is replaced too, and a replaced value's own `{y}` parts again).
 */
export const evalCommand = defineCommand<EvalArgs>({
  name: 'eval',
  doc: 'eval field=<expression>[, field=<expression>]...: compute fields.',
  parse: (p) => {
    const assignments: EvalArgs['assignments'] = [];
    for (;;) {
      // The target is everything up to `=` (Splunk accepts names such as feature_-value), or a quoted name. A
      // single-quoted one is read as an expression reads it, spaces included ('Account ID'): a search-mode word ends
      // at the space.
      const first = p.peek('search');
      const t = first.kind === 'word' && first.value.startsWith("'") ? p.next('eval') : p.next('search');
      if (t.kind !== 'word' && t.kind !== 'string' && t.kind !== 'field') {
        throw p.error(t.kind === 'eof' ? 'eval needs an assignment: eval field=<expression>' : `expected a field name to assign, found '${t.value}'`, t.span);
      }
      const name = t.value;
      const eq = p.next('search');
      if (eq.kind !== 'op' || eq.value !== '=') throw p.error(`expected = after ${t.value}`, eq.span);
      const expr = p.evalExpr();
      // A quoted target ('{y}', "{y}") is the name as written.
      const dynamic = t.kind === 'word' && HAS_BRACED.test(t.value);
      assignments.push({ field: name, fieldSpan: t.span, expr, dynamic });
      if (p.accept('comma', 'eval')) continue;
      break;
    }
    return { assignments };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  // A `{x}` target can be any field: later filters must not be derived from events' own fields.
  writes: (a) => (a.assignments.some((x) => x.dynamic) ? '*' : a.assignments.map((x) => x.field)),
  create: (args, ctx, next) => {
    const compiled = args.assignments.map((a) => {
      const t = evalTypeOf(a.expr, ctx, ctx.source);
      if (t === 'boolean') {
        throw new SplError('SPL_BAD_ARGUMENT', `the result of this expression is a boolean, which a field cannot hold: use if(<expr>, "true", "false")`, a.expr.span, ctx.source);
      }
      return { field: a.field, fieldSpan: a.fieldSpan, dynamic: a.dynamic, span: a.expr.span, c: compileEval(a.expr, ctx, ctx.source) };
    });
    let warned = false;
    const tooLong = (at: Span): void => {
      if (warned) return;
      warned = true;
      ctx.warn(`eval: a field name from a {field} target longer than ${MAX_DYNAMIC_FIELD_NAME_CHARS} characters was not set`, at);
    };
    const unbounded = (target: string, at: Span): never => {
      throw new SplError('SPL_RUNTIME', `eval: the field name ${target} still holds {field} parts after ${MAX_DYNAMIC_NAME_ROUNDS} rounds of replacement (a value names itself, such as p="{p}")`, at, ctx.source);
    };
    return {
      push: (row) => {
        let i = 0;
        try {
          for (; i < compiled.length; i++) {
            const a = compiled[i]!;
            const field = a.dynamic ? dynamicName(row, a.field, () => tooLong(a.fieldSpan), () => unbounded(a.field, a.fieldSpan)) : a.field;
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
