import { compilePcre, RegexError } from './regex/pcre.js';
import { SplError, span, type SourceText, type Span } from './source.js';

/**
 * Compiles a PCRE given as a literal in a search, turning translation errors into SPL errors that
 * point into the literal (offset inside the pattern → offset inside the quoted string, approximately
 * when escapes were unescaped).
 */
export function compileRegexArgument(pattern: string, at: Span, source: SourceText, opts?: { global?: boolean }): RegExp {
  try {
    return compilePcre(pattern, opts);
  } catch (e) {
    if (e instanceof RegexError) {
      const start = Math.min(at.start + 1 + e.offset, at.end - 1);
      throw new SplError(e.code, `${e.message}`, span(start, Math.min(start + Math.max(1, e.construct.length), at.end)), source);
    }
    throw e;
  }
}
