/** Field-name patterns (`table process*`, `rename process.* AS p_*`): `*` matches any run, case-sensitive. */
export function fieldPattern(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (n) => n === pattern;
  const captures = fieldPatternCaptures(pattern);
  return (n) => captures(n) !== null;
}

/** How many `*` a field pattern holds: rename, replace and stats' AS patterns need as many on both sides. */
export function wildcardCount(pattern: string): number {
  return pattern.split('*').length - 1;
}

/**
 * What each `*` of a field pattern matched in `name` (null when it does not match), the shortest runs first, as the
 * lazy `^a(.*?)b(.*?)c$` regex this replaces: each middle part at its leftmost occurrence, the last at the end. Plain
 * string searches: a regex of a 40,000-character name was one V8 refuses to compile ("Regular expression too large").
 */
export function fieldPatternCaptures(pattern: string): (name: string) => string[] | null {
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (parts.length === 1) return (n) => (n === pattern ? [] : null);
  return (n) => {
    if (n.length < first.length + last.length || !n.startsWith(first) || !n.endsWith(last)) return null;
    const end = n.length - last.length;
    const out: string[] = [];
    let pos = first.length;
    for (let i = 1; i < parts.length - 1; i++) {
      const at = n.indexOf(parts[i]!, pos);
      if (at < 0 || at + parts[i]!.length > end) return null;
      out.push(n.slice(pos, at));
      pos = at + parts[i]!.length;
    }
    out.push(n.slice(pos, end));
    return out;
  };
}

/**
 * `rename from AS to` of one name, both holding as many `*`: each `*` of `to` takes what the same `*` of `from`
 * matched (`process.* AS p_*`: process.pid → p_pid); null when `from` does not match. Rows share their field
 * names, so each name is worked out once (up to 10,000 names remembered: ever-new names must not grow it).
 */
export function fieldPatternRenamer(from: string, to: string): (name: string) => string | null {
  const captures = fieldPatternCaptures(from);
  const parts = to.split('*');
  const targets = new Map<string, string | null>();
  return (name) => {
    let target = targets.get(name);
    if (target !== undefined) return target;
    const m = captures(name);
    if (m) {
      target = parts[0]!;
      for (let i = 1; i < parts.length; i++) target += (m[i - 1] ?? '') + parts[i];
    } else target = null;
    if (targets.size < 10_000) targets.set(name, target);
    return target;
  };
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
