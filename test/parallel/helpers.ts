import type { Event } from '../../src/events/event.js';
import type { ParallelOptions } from '../../src/parallel/run.js';
import { toEvent } from '../../src/sources/tetragon.js';
import type { LookupProvider } from '../../src/spl/lookups.js';

// The benchmark's generator: Tetragon exports as hard as real ones (a module without types).
const GENERATOR = '../../bench/generate.mjs';
const { tetragonEvents } = (await import(GENERATOR)) as { tetragonEvents: (count: number, o: { seed: number }) => Iterable<Record<string, unknown>> };

/** A parallel run over everything (no time range, every index), workers started whatever the input's size. */
export function parallelOptions(lookups: LookupProvider, now: number, overrides: Partial<ParallelOptions> = {}): ParallelOptions {
  return { threads: 2, workers: 'always', contentDirs: [], lookups, now, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all', minBytes: 0, ...overrides };
}

/**
 * Events for a store (about `count`, from the generator): a seventh in index `other`, spread over ten hours in no
 * time order, many of one time (ties then go by the store's insertion order).
 */
export function storeEvents(count: number, now: number): Event[] {
  const events: Event[] = [];
  let i = 0;
  for (const ev of tetragonEvents(count, { seed: 11 })) {
    const out = toEvent(JSON.stringify(ev), { index: i % 7 === 0 ? 'other' : 'main', source: 'gen', defaultHost: 'h', fallbackTime: () => now });
    if (!out.ok) continue;
    const e = out.event;
    e._time = i % 11 === 0 ? 1795150000 : e._time - (i % 10) * 3600;
    delete e.json;
    events.push(e);
    i++;
  }
  return events;
}
