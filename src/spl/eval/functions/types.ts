import type { EvalExpr } from '../../parse/ast.js';
import type { Result } from '../../../events/result.js';
import type { EvalType, EvalValue } from '../value.js';
import type { SourceText, Span } from '../../source.js';

/** What functions may read besides their arguments. `now` is the search's start time (epoch seconds). */
export interface EvalContext {
  now: number;
  tz: string;
  /** Reports, without stopping the search, what a row made an expression do unlike Splunk (a pattern that cannot be used). */
  warn?: (message: string, at?: Span) => void;
}

/** A compiled expression: evaluates against one result. */
export type Compiled = (row: Result) => EvalValue;

export interface CompileHelpers {
  /** Compiles a child expression. */
  compile(expr: EvalExpr): Compiled;
  /** Static type of a child expression. */
  typeOf(expr: EvalExpr): EvalType;
  /** Raises an SPL error at a span (bad argument, bad regex, unreadable literal time modifier or format...). */
  fail(
    message: string,
    at: Span,
    code?: 'SPL_BAD_ARGUMENT' | 'SPL_UNSUPPORTED_FUNCTION' | 'REGEX_UNSUPPORTED' | 'REGEX_INVALID' | 'TIME_MODIFIER' | 'TIME_FORMAT',
  ): never;
  /** Raises an SPL error at `expr` when its static type is known and not boolean (`what` names the place). */
  requireBoolean(expr: EvalExpr, what: string): void;
  ctx: EvalContext;
  /** The text the expression was parsed from (spans refer to it). */
  source: SourceText;
}

/**
 * An eval function as a declarative blueprint, registered in one table (functions/index.ts).
 * Most functions only need `call` (arguments evaluated left to right). Functions that must not
 * evaluate every argument (if, case, coalesce, mvfilter) or that precompile a literal argument
 * (a regex, a time format) provide `compile` instead.
 */
export interface EvalFunction {
  name: string;
  minArgs: number;
  maxArgs: number;
  returns: EvalType | ((args: EvalExpr[], h: CompileHelpers) => EvalType);
  call?: (args: EvalValue[], ctx: EvalContext) => EvalValue;
  compile?: (args: EvalExpr[], h: CompileHelpers) => Compiled;
  /** One line for docs and errors. */
  doc: string;
}
