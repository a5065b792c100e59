const cache = new Map<string, RegExp>();

/**
 * SQL-style LIKE pattern (`%` any run, `_` one character), anchored and case-sensitive, as Splunk's like().
 * Linear time: `^a[\s\S]*b[\s\S]*c$` backtracks once per `%` on a value that does not match (30 of them on a
 * few thousand characters never finish). Each `%` between two parts instead takes the part's leftmost
 * occurrence and keeps it (a lookahead is atomic; its capture is then consumed): a later occurrence would
 * only leave less room for the rest, so the verdict is the same. The last part is anchored at the end.
 */
export function likeToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  const parts = pattern.split('%').map(partSource);
  let src = '^' + parts[0]!;
  if (parts.length > 1) {
    let group = 0;
    for (let i = 1; i < parts.length - 1; i++) if (parts[i] !== '') src += `(?=([\\s\\S]*?${parts[i]}))\\${++group}`;
    src += '[\\s\\S]*' + parts[parts.length - 1]!;
  }
  // `u`: `_` is one character, a code point, as len() counts them ("👍" is one), not a UTF-16 unit.
  re = new RegExp(src + '$', 'su');
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** A part between two `%`: `_` is one character (a code point), the rest literal. */
function partSource(part: string): string {
  let src = '';
  for (const ch of part) src += ch === '_' ? '[\\s\\S]' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return src;
}
