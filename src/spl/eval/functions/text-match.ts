import type { EvalFunction } from './types.js';
import { toText } from '../../../events/value.js';
import { compareScalars } from '../compare.js';
import { likeMatcher } from '../like.js';
import { truthy } from '../truthy.js';
import { isMv, textOf, type EvalValue } from '../value.js';
import { compileAll } from './helpers.js';
import { regexArgument } from './regex.js';
import { parseSearchSource } from '../../parse/parser.js';
import { compileSearch } from '../../search/predicate.js';

/**
 * Matching and comparison functions (Search Reference, "Comparison and Conditional functions"):
 * match, like, in, validate, searchmatch.
 *
 * Multivalue subjects: match() and like() hold when any value matches, the same "any value" rule
 * the comparison operators follow (Splunk does not document it). A null subject gives null, so
 * `where match(missing, "x")` drops the row and `NOT match(...)` stays unknown.
 */

function anyText(v: EvalValue, test: (s: string) => boolean): boolean | null {
  if (v === null) return null;
  if (isMv(v)) return v.some((x) => test(toText(x)));
  const t = textOf(v);
  return t === null ? null : test(t);
}

export const matchFunctions: EvalFunction[] = [
  {
    name: 'match',
    minArgs: 2,
    maxArgs: 2,
    doc: 'match(x, regex): true when the PCRE regex matches any part of x (unanchored; use ^ and $ for a full match).',
    returns: 'boolean',
    compile: (args, h) => {
      const subject = h.compile(args[0]!);
      const regex = regexArgument('match', args[1]!, h, { global: false, needCaptures: false });
      return (row) => {
        const v = subject(row);
        const compiled = regex(row);
        if (compiled === null) return null;
        const re = compiled.regex;
        return anyText(v, (s) => re.test(s));
      };
    },
  },
  {
    name: 'like',
    minArgs: 2,
    maxArgs: 2,
    doc: 'like(x, pattern): true when x matches the SQL pattern as a whole (% any run of characters, _ one character), case-sensitively.',
    returns: 'boolean',
    call: ([v, p]) => {
      const pattern = textOf(p ?? null);
      if (pattern === null) return null;
      const test = likeMatcher(pattern);
      return anyText(v ?? null, test);
    },
  },
  {
    name: 'in',
    minArgs: 2,
    maxArgs: Infinity,
    // Same comparison as the `x IN (...)` operator and `=`: numeric when both sides are numeric,
    // otherwise case-sensitive text; a multivalue field matches when any of its values does.
    doc: 'in(x, v1, v2, ...): true when x equals one of the values (case-sensitive; numbers compare numerically); null when x is null.',
    returns: 'boolean',
    call: (args) => {
      const v = args[0] ?? null;
      if (v === null) return null;
      const xs = isMv(v) ? v : [v];
      for (let i = 1; i < args.length; i++) {
        const item = args[i] ?? null;
        if (item === null) continue;
        const ys = isMv(item) ? item : [item];
        for (const x of xs) for (const y of ys) if (compareScalars(x, y) === 0) return true;
      }
      return false;
    },
  },
  {
    name: 'searchmatch',
    minArgs: 1,
    maxArgs: 1,
    doc: 'searchmatch("<search>"): true when the result matches the search string, by the search command\'s rules (case-insensitive values, wildcards, bare terms in _raw).',
    returns: 'boolean',
    compile: (args, h) => {
      const arg = args[0]!;
      // The search is parsed once, so it must be written in the expression, as Splunk requires.
      if (arg.kind !== 'string') return h.fail('searchmatch() needs a literal search string in double quotes', arg.span);
      const source = h.source.embedded(arg.value, [{ from: 0, at: arg.span.start + 1 }]);
      return compileSearch(parseSearchSource(source), source);
    },
  },
  {
    name: 'validate',
    minArgs: 2,
    maxArgs: Infinity,
    doc: 'validate(cond1, value1, cond2, value2, ...): the value paired with the first condition that is not true (false or null); null when all hold.',
    returns: 'any',
    compile: (args, h) => {
      if (args.length % 2 !== 0) h.fail('validate() takes condition/value pairs: the number of arguments must be even', args[args.length - 1]!.span);
      for (let i = 0; i < args.length; i += 2) h.requireBoolean(args[i]!, 'validate()');
      const cs = compileAll(args, h);
      return (row) => {
        for (let i = 0; i < cs.length; i += 2) {
          // Evaluated lazily, in order: the first failing check wins.
          if (!truthy(cs[i]!(row))) return cs[i + 1]!(row);
        }
        return null;
      };
    },
  },
];
