import type { ParallelOptions } from '../../src/parallel/run.js';
import type { LookupProvider } from '../../src/spl/lookups.js';

/** A parallel run over everything (no time range, every index), workers started whatever the input's size. */
export function parallelOptions(lookups: LookupProvider, now: number, overrides: Partial<ParallelOptions> = {}): ParallelOptions {
  return { threads: 2, workers: 'always', contentDirs: [], lookups, now, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all', minBytes: 0, ...overrides };
}
