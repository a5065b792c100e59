import type { EvalExpr } from '../../parse/ast.js';
import type { Result } from '../../../events/result.js';
import { toText } from '../../../events/value.js';
import { compilePcreInfo, RegexError, type CompiledPcre } from '../../regex/pcre.js';
import { scalarOf } from '../value.js';
import type { CompileHelpers } from './types.js';
import { SmallCache } from './helpers.js';

/**
 * Regex arguments of eval functions (match, replace, mvfind). A literal pattern is translated once
 * when the search is compiled and a bad one is reported at its position; a pattern computed per row
 * is translated per distinct value (cached) and an untranslatable one makes the function return null,
 * with a warning (once per call site) naming the construct: Splunk's PCRE would run it, so not silently.
 */

export interface RegexOptions {
  /** Adds the `g` flag (replace). */
  global: boolean;
  /** Whether capture values matter (replace); match()/mvfind() only test, which accepts more PCRE. */
  needCaptures: boolean;
}

/** Yields the compiled regex for a row, or null when the pattern is null or cannot be translated. */
export type RegexSource = (row: Result) => CompiledPcre | null;

const caches = new Map<string, SmallCache<CompiledPcre | RegexError>>();

function cacheFor(opts: RegexOptions): SmallCache<CompiledPcre | RegexError> {
  const key = `${opts.global ? 'g' : ''}${opts.needCaptures ? 'c' : ''}`;
  let c = caches.get(key);
  if (!c) {
    c = new SmallCache<CompiledPcre | RegexError>();
    caches.set(key, c);
  }
  return c;
}

function compileOrError(pattern: string, opts: RegexOptions): CompiledPcre | RegexError {
  return cacheFor(opts).get(pattern, (p) => {
    try {
      return compilePcreInfo(p, opts);
    } catch (err) {
      if (err instanceof RegexError) return err;
      throw err;
    }
  });
}

/** Raises a RegexError found in a string literal at the offending construct (or the whole literal). */
export function failInLiteral(fn: string, arg: EvalExpr, err: RegexError, h: CompileHelpers): never {
  // Offsets are into the pattern; they map onto the source only when the literal had no escapes.
  const inner = arg.span.end - arg.span.start - 2;
  const exact = arg.kind === 'string' && inner === arg.value.length && err.offset >= 0 && err.offset < inner;
  const start = arg.span.start + 1 + err.offset;
  const at = exact ? { start, end: Math.min(start + Math.max(1, err.construct.length), arg.span.end - 1) } : arg.span;
  return h.fail(`${fn}(): ${err.message}`, at, err.code === 'REGEX_UNSUPPORTED' ? 'REGEX_UNSUPPORTED' : 'REGEX_INVALID');
}

/** Translates a literal pattern, reporting a bad one at its position. */
export function literalRegex(fn: string, arg: EvalExpr & { kind: 'string' }, h: CompileHelpers, opts: RegexOptions): CompiledPcre {
  try {
    return compilePcreInfo(arg.value, opts);
  } catch (err) {
    if (err instanceof RegexError) failInLiteral(fn, arg, err, h);
    throw err;
  }
}

export function regexArgument(fn: string, arg: EvalExpr, h: CompileHelpers, opts: RegexOptions): RegexSource {
  if (arg.kind === 'string') {
    const compiled = literalRegex(fn, arg, h, opts);
    return () => {
      // A global RegExp is stateful (lastIndex): start every use from the beginning.
      compiled.regex.lastIndex = 0;
      return compiled;
    };
  }
  const c = h.compile(arg);
  let warned = false;
  return (row) => {
    const s = scalarOf(c(row));
    if (s === null || typeof s === 'boolean') return null;
    const compiled = compileOrError(toText(s), opts);
    if (compiled instanceof RegexError) {
      if (!warned) {
        warned = true;
        h.ctx.warn?.(`${fn}() is null where a row's pattern cannot be run (the first such pattern; later ones are not reported): ${compiled.message}`, arg.span);
      }
      return null;
    }
    compiled.regex.lastIndex = 0;
    return compiled;
  };
}
