/** One detection's scheduled times: `next(after)` is the first one strictly after `after`, up to `to` inclusive. */
export interface RunSource<T> {
  key: T;
  next(after: number): number | null;
  to: number;
}

export interface RunsUpTo<T> {
  /** Oldest first; at equal times in the order of the sources. */
  runs: { key: T; t: number }[];
  /**
   * Null when the period holds at most `limit` runs; else about how many it holds: each source's runs found by
   * the time the limit was passed, extrapolated to the end of its period (counting them all could take years).
   */
  over: { about: number } | null;
}

/** "more than N runs (about M)", M to two significant digits when it says more than N. */
export function tooManyRuns(limit: number, over: { about: number }): string {
  const about = Number(over.about.toPrecision(2));
  return `more than ${limit} runs${about > limit ? ` (about ${about})` : ''}`;
}

/**
 * The runs of several sources in (from, source.to], merged in time order, at most `limit`: enumeration stops at
 * the run past the limit, so a period of millennia costs no more than `limit` steps (`vigil schedule`, backfill).
 */
export function runsUpTo<T>(sources: readonly RunSource<T>[], from: number, limit: number): RunsUpTo<T> {
  // A binary min-heap of each source's next time (ties by source index): ESCU enables thousands of detections.
  const heap: { t: number; i: number }[] = [];
  const before = (a: { t: number; i: number }, b: { t: number; i: number }) => a.t < b.t || (a.t === b.t && a.i < b.i);
  const push = (i: number, after: number) => {
    const t = sources[i]!.next(after);
    if (t === null || t > sources[i]!.to) return;
    heap.push({ t, i });
    for (let c = heap.length - 1; c > 0; ) {
      const p = (c - 1) >> 1;
      if (!before(heap[c]!, heap[p]!)) break;
      [heap[c], heap[p]] = [heap[p]!, heap[c]!];
      c = p;
    }
  };
  const pop = () => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let p = 0; ; ) {
        const l = 2 * p + 1;
        const m = l + 1 < heap.length && before(heap[l + 1]!, heap[l]!) ? l + 1 : l;
        if (l >= heap.length || !before(heap[m]!, heap[p]!)) break;
        [heap[m], heap[p]] = [heap[p]!, heap[m]!];
        p = m;
      }
    }
    return top;
  };
  sources.forEach((_, i) => push(i, from));
  const runs: { key: T; t: number }[] = [];
  const counts = sources.map(() => 0);
  while (heap.length) {
    const { t, i } = pop();
    counts[i]!++;
    if (runs.length === limit) {
      // Sources still in the heap have runs past t; the others ended within (from, t].
      const pending = new Set(heap.map((h) => h.i));
      pending.add(i);
      const about = counts.reduce((sum, n, k) => sum + (pending.has(k) ? (n * (sources[k]!.to - from)) / (t - from) : n), 0);
      return { runs, over: { about } };
    }
    runs.push({ key: sources[i]!.key, t });
    push(i, t);
  }
  return { runs, over: null };
}
