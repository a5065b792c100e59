/** Field-name patterns (`table process*`, `rename process.* AS p_*`): `*` matches any run, case-sensitive. */
export function fieldPattern(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (n) => n === pattern;
  const re = fieldPatternRegExp(pattern);
  return (n) => re.test(n);
}

export function fieldPatternRegExp(pattern: string): RegExp {
  const src = pattern
    .split('*')
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('(.*?)');
  return new RegExp(`^${src}$`, 's');
}

/** Expands field patterns against the fields present, keeping pattern order then field order, without duplicates. */
export function expandFieldPatterns(patterns: readonly string[], present: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of patterns) {
    if (!p.includes('*')) {
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
      }
      continue;
    }
    const m = fieldPattern(p);
    for (const f of present) {
      if (m(f) && !seen.has(f)) {
        seen.add(f);
        out.push(f);
      }
    }
  }
  return out;
}

/** Internal fields start with an underscore (`_raw`, `_time`). */
export function isInternalField(name: string): boolean {
  return name.startsWith('_');
}
