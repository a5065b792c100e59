const cache = new Map<string, (text: string) => boolean>();

/**
 * Patterns longer than this are matched without a regex: V8 refuses to compile one of ~32,000 characters or more
 * ("Regular expression too large", when first run: a SyntaxError in the middle of a search).
 */
const LONG_LIKE_CHARS = 4096;
/** Texts longer than this are matched without the regex too (see likeMatcher). */
const LONG_LIKE_TEXT = 1 << 20;

/**
 * SQL-style LIKE pattern (`%` any run, `_` one character), anchored and case-sensitive, as Splunk's like(): a test
 * of a whole text. Remembers the last 1,000 patterns (a pattern may come from each row).
 */
export function likeMatcher(pattern: string): (text: string) => boolean {
  let test = cache.get(pattern);
  if (test) return test;
  if (pattern.length > LONG_LIKE_CHARS) test = longLike(pattern);
  else {
    const re = likeToRegExp(pattern);
    let long: ((text: string) => boolean) | null = null;
    // A `%` before a part is a lazy loop whose backtrack entries grow with the text: an 8.6 MB value (a Tetragon
    // line's arguments) overflowed V8's regex stack, "Maximum call stack size exceeded" ending the search.
    test = (text) => (text.length > LONG_LIKE_TEXT ? (long ??= longLike(pattern))(text) : re.test(text));
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, test);
  return test;
}

/**
 * Linear time: `^a[\s\S]*b[\s\S]*c$` backtracks once per `%` on a value that does not match (30 of them on a
 * few thousand characters never finish). Each `%` between two parts instead takes the part's leftmost
 * occurrence and keeps it (a lookahead is atomic; its capture is then consumed): a later occurrence would
 * only leave less room for the rest, so the verdict is the same. The last part is anchored at the end.
 */
function likeToRegExp(pattern: string): RegExp {
  const parts = pattern.split('%').map(partSource);
  let src = '^' + parts[0]!;
  if (parts.length > 1) {
    let group = 0;
    for (let i = 1; i < parts.length - 1; i++) if (parts[i] !== '') src += `(?=([\\s\\S]*?${parts[i]}))\\${++group}`;
    src += '[\\s\\S]*' + parts[parts.length - 1]!;
  }
  // `u`: `_` is one character, a code point, as len() counts them ("👍" is one), not a UTF-16 unit.
  return new RegExp(src + '$', 'su');
}

/** The same test as likeToRegExp's regex, by code points: the first part at the start, each middle one leftmost, the last at the end. */
function longLike(pattern: string): (text: string) => boolean {
  const parts = pattern.split('%').map((p) => Array.from(p));
  const width = (s: string, i: number): number => (s.codePointAt(i)! > 0xffff ? 2 : 1);
  /** Where `part` ends when it starts at `i` of `s`, or -1. */
  const endOf = (s: string, i: number, part: readonly string[]): number => {
    let j = i;
    for (const ch of part) {
      if (j >= s.length) return -1;
      const w = width(s, j);
      if (ch !== '_' && s.slice(j, j + w) !== ch) return -1;
      j += w;
    }
    return j;
  };
  return (s) => {
    let pos = endOf(s, 0, parts[0]!);
    if (pos < 0) return false;
    if (parts.length === 1) return pos === s.length;
    for (let k = 1; k < parts.length - 1; k++) {
      const part = parts[k]!;
      let found = -1;
      for (let i = pos; found < 0 && i + part.length <= s.length; i += width(s, i)) found = endOf(s, i, part);
      if (found < 0) return false;
      pos = found;
    }
    // The last part's code points counted back from the end (a surrogate pair is one).
    const last = parts[parts.length - 1]!;
    let start = s.length;
    for (let n = 0; n < last.length; n++) {
      const pair = start >= 2 && /[\udc00-\udfff]/.test(s[start - 1]!) && /[\ud800-\udbff]/.test(s[start - 2]!);
      start -= pair ? 2 : 1;
      if (start < pos) return false;
    }
    return endOf(s, start, last) === s.length;
  };
}

/** A part between two `%`: `_` is one character (a code point), the rest literal. */
function partSource(part: string): string {
  let src = '';
  for (const ch of part) src += ch === '_' ? '[\\s\\S]' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return src;
}
