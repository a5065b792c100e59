import { toObject } from '../../../src/events/result.js';
import { expect } from 'vitest';
import { MemorySource } from '../../../src/sources/memory.js';
import { executeMany } from '../../../src/spl/exec/multi.js';
import { CollectSink } from '../../../src/spl/exec/run.js';
import { plan, runSearch, SplError } from '../../../src/spl/index.js';
import { NO_LOOKUPS } from '../../../src/spl/lookups.js';
import { rowsText } from '../../helpers.js';

export const NOW = 1700000000;

/** Runs a search (no event source: generating commands) and returns plain result objects. */
export const run = async (spl: string) => (await runSearch(spl, { now: NOW })).results.map(toObject);

/** The SplError a search raises (fails the test if it raises none). */
export async function errorOf(spl: string): Promise<SplError> {
  try {
    await runSearch(spl, { now: NOW });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${spl}`);
}

/** The `at 1:<column>` an error message gives for the first occurrence of `text` in `spl`. */
export const at = (spl: string, text: string, from = 0) => `at 1:${spl.indexOf(text, from) + 1}`;

/** Each search run over one shared scan (exec/multi.ts) gives what it gives alone: no search sees another's writes. */
export async function sharedScanSame(searches: readonly string[]): Promise<void> {
  const now = 1_700_000_100;
  const evs = Array.from({ length: 50 }, (_, i) => ({ _time: now - 100 + i, _raw: JSON.stringify({ n: i, name: ['sh', 'curl', 'nc'][i % 3], k: i % 4 }), index: 'main', sourcetype: 'json', source: 's', host: 'h' }));
  const plans = searches.map((spl) => plan(spl, { now }));
  const sinks = plans.map(() => new CollectSink());
  await executeMany(plans, sinks, { source: new MemorySource(evs), now, tz: 'UTC', lookups: NO_LOOKUPS });
  for (const [i, spl] of searches.entries()) {
    const alone = await runSearch(spl, { now, source: new MemorySource(evs) });
    expect(rowsText(sinks[i]!.rows), spl).toEqual(rowsText(alone.results));
  }
}
