import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Event } from '../../src/events/event.js';
import { toObject } from '../../src/events/result.js';
import { runFilesInParallel, type ParallelOptions } from '../../src/parallel/run.js';
import { FileSource } from '../../src/sources/file.js';
import { toEvent } from '../../src/sources/tetragon.js';
import { executeMany } from '../../src/spl/exec/multi.js';
import { CollectSink } from '../../src/spl/exec/run.js';
import { plan } from '../../src/spl/index.js';
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

/**
 * Runs `searches` over a file of 1500 generated events (`seed`) in one pass and split over two threads (workers
 * forced, ~200 kB partitions), and expects the same rows, each search giving more than `minRows`.
 */
export async function expectPartitionedLikeOnePass(searches: readonly string[], seed: number, now: number, minRows = 0): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-partitioned-'));
  try {
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, [...tetragonEvents(1500, { seed })].map((ev) => JSON.stringify(ev)).join('\n') + '\n');
    const pack = loadContent();
    // Planned as vigil search plans a search over files (events oldest first, the content's knowledge), as the
    // workers plan it: a plan for a newest-first source would put order-sensitive work where the workers do not.
    const plans = () => searches.map((s) => plan(s, { lookups: pack.lookups, now, tz: 'UTC', sourceNewestFirst: false, knowledge: pack.knowledge }));
    const one = searches.map(() => new CollectSink());
    await executeMany(plans(), one, { source: new FileSource([path], { now, defaultHost: 'h' }), now, tz: 'UTC', lookups: pack.lookups });
    const two = searches.map(() => new CollectSink());
    const stats = await runFilesInParallel(plans(), two, { paths: [path], options: { now, defaultHost: 'h' } }, parallelOptions(pack.lookups, now, { threads: 2, partitionBytes: 200_000, workers: 'always' }));
    expect(stats).not.toBeNull();
    for (let i = 0; i < searches.length; i++) {
      expect(one[i]!.rows.length, searches[i]).toBeGreaterThan(minRows);
      expect(two[i]!.rows.map(toObject), searches[i]).toEqual(one[i]!.rows.map(toObject));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
