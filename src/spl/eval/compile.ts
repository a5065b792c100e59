import { readField } from '../../events/result.js';
import { finite } from '../../events/value.js';
import { fieldRef } from '../../normalize/event-result.js';
import type { EvalExpr } from '../parse/ast.js';
import { SplError, type SourceText, type Span } from '../source.js';
import { EVAL_FUNCTIONS } from './functions/index.js';
import type { CompileHelpers, Compiled, EvalContext } from './functions/types.js';
import { isMv, numberOf, textOf, type EvalType, type EvalValue } from './value.js';
import { likeMatcher } from './like.js';
import { compareScalars } from './compare.js';
import { truthy } from './truthy.js';

/**
 * Compiles an eval expression to a closure. Semantics (docs/spl.md has the details):
 * - `=`/`==`/`!=`/`<`... compare numerically when both sides are numeric, else as case-sensitive text;
 *   with a multivalue operand the comparison holds when it holds for any value.
 * - A comparison, arithmetic or concatenation involving null is null; `where` keeps a row only when
 *   its expression is true, so null drops the row. AND/OR/NOT use three-valued logic (null = unknown).
 * - `+` adds numbers and concatenates two non-numeric strings; `.` concatenates text.
 */
export function compileEval(expr: EvalExpr, ctx: EvalContext, source: SourceText): Compiled {
  return compileNode(expr, compileHelpers(ctx, source));
}

/**
 * A value too long for JavaScript (V8 strings stop at 2^29 - 24 characters; arrays at 2^32 - 1 values) raises a
 * RangeError wherever it is made: as an error at `at`, the expression that made it. Any other error is returned as is.
 */
export function tooLongError(e: unknown, at: Span, source: SourceText): unknown {
  if (!isTooLong(e)) return e;
  return new SplError('SPL_RUNTIME', 'this expression made a value longer than vigil can hold (texts up to about 536 million characters)', at, source);
}

/** Whether `e` is JavaScript refusing a string or an array that long. */
export function isTooLong(e: unknown): boolean {
  return e instanceof RangeError && /^Invalid (string|array|typed array) length/.test(e.message);
}

/**
 * A condition of a command (`where`, `head`, streamstats' `reset_before`/`reset_after`) compiled: it must be a
 * boolean, or a value known only at run time (a field), else SPL_BAD_ARGUMENT at it, named by `what`.
 */
export function compileCondition(expr: EvalExpr, ctx: EvalContext, source: SourceText, what: string): Compiled {
  const t = evalTypeOf(expr, ctx, source);
  if (t !== 'boolean' && t !== 'any') throw new SplError('SPL_BAD_ARGUMENT', `${what} needs a boolean expression; this one is a ${t}`, expr.span, source);
  return compileEval(expr, ctx, source);
}

/** The static type of an expression (boolean, number, ...), for checks such as `where` needing a boolean. */
export function evalTypeOf(expr: EvalExpr, ctx: EvalContext, source: SourceText): EvalType {
  return typeOfExpr(expr, compileHelpers(ctx, source));
}

function compileHelpers(ctx: EvalContext, source: SourceText): CompileHelpers {
  const helpers: CompileHelpers = {
    compile: (e) => compileNode(e, helpers),
    typeOf: (e) => typeOfExpr(e, helpers),
    fail: (message, at, code = 'SPL_BAD_ARGUMENT') => {
      throw new SplError(code, message, at, source);
    },
    requireBoolean: (e, what) => requireBoolean(e, helpers, what),
    ctx,
    source,
  };
  return helpers;
}

function typeOfExpr(e: EvalExpr, h: CompileHelpers): EvalType {
  switch (e.kind) {
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'field':
      return 'any';
    case 'in':
      return 'boolean';
    case 'unary':
      return e.op === 'NOT' ? 'boolean' : 'number';
    case 'binary':
      switch (e.op) {
        case 'OR':
        case 'XOR':
        case 'AND':
        case '=':
        case '==':
        case '!=':
        case '<':
        case '<=':
        case '>':
        case '>=':
        case 'LIKE':
          return 'boolean';
        case '.':
          return 'string';
        case '+':
          return 'any';
        default:
          return 'number';
      }
    case 'call': {
      const fn = EVAL_FUNCTIONS.get(e.name);
      // A call with the wrong number of arguments has no type: compiling it reports the error at the call.
      if (!fn || e.args.length < fn.minArgs || e.args.length > fn.maxArgs) return 'any';
      return typeof fn.returns === 'function' ? fn.returns(e.args, h) : fn.returns;
    }
  }
}

function compileNode(e: EvalExpr, h: CompileHelpers): Compiled {
  switch (e.kind) {
    case 'number': {
      const v = e.value;
      return () => v;
    }
    case 'string': {
      const v = e.value;
      return () => v;
    }
    case 'field': {
      const field = fieldRef(e.name);
      return (row) => readField(row, field);
    }
    case 'unary': {
      const operand = h.compile(e.operand);
      if (e.op === 'NOT') {
        requireBoolean(e.operand, h, 'NOT');
        return (row) => {
          const v = operand(row);
          return v === null ? null : !truthy(v);
        };
      }
      const sign = e.op === '-' ? -1 : 1;
      return (row) => {
        const n = numberOf(operand(row));
        return n === null ? null : sign * n;
      };
    }
    case 'in': {
      const value = h.compile(e.value);
      const list = e.list.map((x) => h.compile(x));
      return (row) => {
        const v = value(row);
        if (v === null) return null;
        return list.some((item) => compareValues(v, item(row), (c) => c === 0) === true);
      };
    }
    case 'binary':
      return compileBinary(e, h);
    case 'call': {
      const fn = EVAL_FUNCTIONS.get(e.name);
      if (!fn) h.fail(`unsupported eval function ${e.name}()`, e.nameSpan, 'SPL_UNSUPPORTED_FUNCTION');
      if (e.args.length < fn.minArgs || e.args.length > fn.maxArgs) {
        const want = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : fn.maxArgs === Infinity ? `at least ${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
        h.fail(`${e.name}() takes ${want} argument(s), got ${e.args.length}`, e.span);
      }
      if (fn.compile) return fn.compile(e.args, h);
      const call = fn.call!;  // every blueprint has call or compile (checked in functions/index.ts)
      const args = e.args.map((a) => h.compile(a));
      const ctx = h.ctx;
      switch (args.length) {
        case 0:
          return () => call([], ctx);
        case 1: {
          const a0 = args[0]!;
          return (row) => call([a0(row)], ctx);
        }
        case 2: {
          const a0 = args[0]!;
          const a1 = args[1]!;
          return (row) => call([a0(row), a1(row)], ctx);
        }
        default:
          return (row) => call(args.map((a) => a(row)), ctx);
      }
    }
  }
}

function requireBoolean(e: EvalExpr, h: CompileHelpers, what: string): void {
  const t = h.typeOf(e);
  if (t !== 'boolean' && t !== 'any') h.fail(`${what} needs a boolean expression, this is a ${t}`, e.span);
}

function compileBinary(e: Extract<EvalExpr, { kind: 'binary' }>, h: CompileHelpers): Compiled {
  const l = h.compile(e.left);
  const r = h.compile(e.right);
  switch (e.op) {
    case 'AND':
      requireBoolean(e.left, h, 'AND');
      requireBoolean(e.right, h, 'AND');
      return (row) => {
        const a = l(row);
        if (a === false) return false;
        const b = r(row);
        if (b === false) return false;
        if (a === null || b === null) return null;
        return truthy(a) && truthy(b);
      };
    case 'OR':
      requireBoolean(e.left, h, 'OR');
      requireBoolean(e.right, h, 'OR');
      return (row) => {
        const a = l(row);
        if (a === true) return true;
        const b = r(row);
        if (b === true) return true;
        if (a === null || b === null) return null;
        return false;
      };
    case 'XOR':
      return (row) => {
        const a = l(row);
        const b = r(row);
        if (a === null || b === null) return null;
        return truthy(a) !== truthy(b);
      };
    case '=':
    case '==':
      return (row) => compareValues(l(row), r(row), (c) => c === 0);
    case '!=':
      return (row) => compareValues(l(row), r(row), (c) => c !== 0);
    case '<':
      return (row) => compareValues(l(row), r(row), (c) => c < 0);
    case '<=':
      return (row) => compareValues(l(row), r(row), (c) => c <= 0);
    case '>':
      return (row) => compareValues(l(row), r(row), (c) => c > 0);
    case '>=':
      return (row) => compareValues(l(row), r(row), (c) => c >= 0);
    case 'LIKE': {
      return (row) => {
        const a = textOf(l(row));
        const b = textOf(r(row));
        if (a === null || b === null) return null;
        return likeMatcher(b)(a);
      };
    }
    case '.':
      return (row) => {
        const a = textOf(l(row));
        const b = textOf(r(row));
        if (a === null || b === null) return null;
        return a + b;
      };
    case '+':
      return (row) => {
        const a = l(row);
        const b = r(row);
        const x = numberOf(a);
        const y = numberOf(b);
        if (x !== null && y !== null) return finite(x + y);
        if (typeof a === 'string' && typeof b === 'string') return a + b;
        return null;
      };
    case '-':
      return arith(l, r, (x, y) => x - y);
    case '*':
      return arith(l, r, (x, y) => x * y);
    case '/':
      return arith(l, r, (x, y) => (y === 0 ? null : x / y));
    case '%':
      return arith(l, r, (x, y) => (y === 0 ? null : x % y));
  }
}

function arith(l: Compiled, r: Compiled, f: (x: number, y: number) => number | null): Compiled {
  return (row) => {
    const x = numberOf(l(row));
    const y = numberOf(r(row));
    if (x === null || y === null) return null;
    const v = f(x, y);
    return v === null ? null : finite(v);
  };
}


function compareValues(a: EvalValue, b: EvalValue, test: (c: number) => boolean): boolean | null {
  if (a === null || b === null) return null;
  if (!isMv(a) && !isMv(b)) return test(compareScalars(a, b)); // the common case, without lists
  const as = isMv(a) ? a : [a];
  const bs = isMv(b) ? b : [b];
  for (const x of as) for (const y of bs) if (test(compareScalars(x, y))) return true;
  return false;
}
