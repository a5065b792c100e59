const cache = new Map<string, RegExp>();

/** SQL-style LIKE pattern (`%` any run, `_` one character), anchored and case-sensitive, as Splunk's like(). */
export function likeToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  let src = '^';
  for (const ch of pattern) {
    if (ch === '%') src += '[\\s\\S]*';
    else if (ch === '_') src += '[\\s\\S]';
    else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  re = new RegExp(src + '$', 's');
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}
