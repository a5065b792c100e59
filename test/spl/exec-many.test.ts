import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { MemorySource } from '../../src/sources/memory.js';
import { plan, runSearch } from '../../src/spl/index.js';
import { CollectSink } from '../../src/spl/exec/run.js';
import { executeMany } from '../../src/spl/exec/multi.js';
import { NO_LOOKUPS } from '../../src/spl/lookups.js';
import { rowsText } from '../helpers.js';
import { rng } from '../rng.js';

const NOW = 1_800_000_000;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

/** Events whose metadata changes from one to the next (sourcetypes, indexes, sources and hosts interleaved). */
function events(n: number): Event[] {
  const r = rng(11);
  return Array.from({ length: n }, (_, i) => {
    const raw = JSON.stringify({ n: i, name: pick(r, ['sh', 'curl', 'nc']) });
    return {
      _time: NOW - 3600 + i,
      _raw: raw,
      index: pick(r, ['main', 'main', 'other']),
      sourcetype: pick(r, ['cisco:isovalent:processExec', 'cisco:isovalent', 'json', 'CISCO:isovalent']),
      source: pick(r, ['a.log', 'b.log']),
      // A fresh string per event, as a reader makes them (equal text, another object).
      host: `node-${Math.floor(r() * 3)}`,
    };
  });
}

describe('a shared scan offers each event to the searches its metadata admits', () => {
  const same = async (searches: readonly string[]): Promise<void> => {
    const evs = events(3000);
    const opts = { now: NOW, tz: 'UTC' };
    const plans = searches.map((spl) => plan(spl, opts));
    const sinks = plans.map(() => new CollectSink());
    const stats = await executeMany(plans, sinks, { source: new MemorySource(evs), now: NOW, tz: 'UTC', lookups: NO_LOOKUPS });
    for (const [i, spl] of searches.entries()) {
      const alone = await runSearch(spl, { ...opts, source: new MemorySource(evs) });
      expect(alone.results.length, spl).toBeGreaterThan(0);
      expect(rowsText(sinks[i]!.rows), spl).toEqual(rowsText(alone.results));
      // A search that halted (head) got no event after it did.
      expect(stats[i]!.eventsMatched, spl).toBe(alone.stats.eventsMatched);
    }
  };

  it('gives each search what it gives alone, whatever the metadata of consecutive events', async () => {
    await same([
      'sourcetype=cisco:isovalent:processExec | stats count by name host',
      'sourcetype=cisco:isovalent | table n name',
      'index=other host=node-1 | stats count by sourcetype',
      'index=* source=b.log name=curl | table n host index',
      'index=main sourcetype=json* | head 5 | table n',
      'index=main | stats count by source',
      'host=NODE-2 | stats count',
    ]);
    // No search tests the host or the source: they do not tell the routes apart.
    await same(['sourcetype=cisco:isovalent:processExec | stats count by host', 'index=other | table n', 'sourcetype=json | head 3 | table n']);
  });
});
