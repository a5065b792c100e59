import type { EvalExpr } from '../../parse/ast.js';
import type { Result } from '../../../events/result.js';
import { toText } from '../../../events/value.js';
import { compilePcre, RegexError } from '../../regex/pcre.js';
import { scalarOf } from '../value.js';
import type { CompileHelpers } from './types.js';
import { SmallCache } from './helpers.js';

/**
 * Regex arguments of eval functions (match, replace, mvfind). A literal pattern is translated once
 * when the search is compiled and a bad one is reported at its position; a pattern computed per row
 * is translated per distinct value (cached) and an untranslatable one makes the function return null.
 */

/** Yields the regex for a row: a RegExp, or null when the pattern is null or invalid. */
export type RegexSource = (row: Result) => RegExp | null;

const caches = {
  plain: new SmallCache<RegExp | null>(),
  global: new SmallCache<RegExp | null>(),
};

function compileOrNull(pattern: string, global: boolean): RegExp | null {
  return (global ? caches.global : caches.plain).get(pattern, (p) => {
    try {
      return compilePcre(p, { global });
    } catch (err) {
      if (err instanceof RegexError) return null;
      throw err;
    }
  });
}

export function regexArgument(fn: string, arg: EvalExpr, h: CompileHelpers, global: boolean): RegexSource {
  if (arg.kind === 'string') {
    let re: RegExp;
    try {
      re = compilePcre(arg.value, { global });
    } catch (err) {
      if (err instanceof RegexError) {
        // Point into the literal when its source text is the pattern verbatim (no escapes).
        const inner = arg.span.end - arg.span.start - 2;
        const at =
          inner === arg.value.length && err.offset >= 0 && err.offset < inner
            ? { start: arg.span.start + 1 + err.offset, end: Math.min(arg.span.start + 1 + err.offset + Math.max(1, err.construct.length), arg.span.end - 1) }
            : arg.span;
        h.fail(`${fn}(): ${err.message}`, at, err.code);
      }
      throw err;
    }
    return () => {
      // A global RegExp is stateful (lastIndex); callers that use it reset it, but be safe.
      re.lastIndex = 0;
      return re;
    };
  }
  const c = h.compile(arg);
  return (row) => {
    const s = scalarOf(c(row));
    if (s === null || typeof s === 'boolean') return null;
    const re = compileOrNull(toText(s), global);
    if (re) re.lastIndex = 0;
    return re;
  };
}
