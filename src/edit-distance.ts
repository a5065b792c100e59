/**
 * The known name a mistyped setting most likely meant: the same in another case, else the nearest within two
 * edits (the first of those as near). Not merely the first within two: `Processes.usr` meant `Processes.user`
 * (one edit), not `Processes.os` (two), which comes first in the dataset.
 */
export function settingHint(known: readonly string[], key: string): string | undefined {
  const k = key.toLowerCase();
  const same = known.find((a) => a.toLowerCase() === k);
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = 3;
  for (const a of known) {
    // The distance is at least the lengths' difference: a far longer name (a user's, up to thousands of characters)
    // is not compared character by character with each known one.
    const al = a.toLowerCase();
    if (Math.abs(al.length - k.length) >= bestDistance) continue;
    const d = editDistance(al, k);
    if (d < bestDistance) {
      best = a;
      bestDistance = d;
    }
  }
  return best;
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
