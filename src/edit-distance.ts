/** The known name a mistyped setting most likely meant: the same in another case, else one within two edits. */
export function settingHint(known: readonly string[], key: string): string | undefined {
  const k = key.toLowerCase();
  return known.find((a) => a.toLowerCase() === k) ?? known.find((a) => editDistance(a.toLowerCase(), k) <= 2);
}

/** Levenshtein distance, for "did you mean" hints (setting names, detection names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
