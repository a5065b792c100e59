import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { rowLayout, WrittenRow, type Result } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import { EventResult } from '../../src/normalize/event-result.js';
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

describe('a search writing to the event rows of a shared scan', () => {
  it('gets what it gets alone, writes in slots or past them, and leaves the shared row to the others', async () => {
    const evs = events(2000);
    const searches = [
      // Written names known at plan time (rename, eval, convert before table or stats): WrittenRows.
      'name=sh | rename n AS m | eval k=m*2, name=upper(name) | where k > 10 | table m k name host',
      'name=sh | eval n=n+1 | rename name AS what | convert ctime(n) | stats count by what',
      // A command writing names it did not declare at plan time would take a copy (here: rex's group).
      'name=* | rename name AS nm | rex field=nm "(?<first>.)" | eval f=first . nm | table f nm n',
      // Reads the fields the others write: the shared row must be unchanged.
      'name=* | table n name m k what',
    ];
    const opts = { now: NOW, tz: 'UTC' };
    const plans = searches.map((spl) => plan(spl, opts));
    const sinks = plans.map(() => new CollectSink());
    await executeMany(plans, sinks, { source: new MemorySource(evs), now: NOW, tz: 'UTC', lookups: NO_LOOKUPS });
    for (const [i, spl] of searches.entries()) {
      const alone = await runSearch(spl, { ...opts, source: new MemorySource(evs) });
      expect(alone.results.length, spl).toBeGreaterThan(0);
      expect(rowsText(sinks[i]!.rows), spl).toEqual(rowsText(alone.results));
    }
  });
});

describe('WrittenRow', () => {
  const POOL: (FieldValue | null)[] = [null, 'a', '', 0, 1.5, '1', ['x', 'y']];
  const NAMES = ['_time', 'n', 'name', 'p', 'q'];
  const fieldsOf = (r: Result): [string, FieldValue | null][] => r.fieldNames().map((f) => [f, r.get(f)]);

  // A WrittenRow over an event row and that row's clone take the same writes (fields in and out of the
  // layout, over the event's own fields or new ones, nulls, clones between writes): they read the same.
  for (let seed = 1; seed <= 40; seed++) {
    it(`reads as the event row's clone written field by field (seed ${seed})`, () => {
      const r = rng(seed);
      const base = new EventResult({ _time: NOW, _raw: JSON.stringify({ n: 1, name: 'sh', p: 'x' }), index: 'main', sourcetype: 'json', source: 's', host: 'h' });
      const layout = rowLayout(NAMES.filter(() => r() < 0.6))!;
      const pairs: [Result, Result][] = [[new WrittenRow(base, layout), base.clone()]];
      for (let step = 0; step < 12; step++) {
        const [a, b] = pick(r, pairs);
        if (r() < 0.15) {
          pairs.push([a.clone(), b.clone()]);
          continue;
        }
        const field = pick(r, [...NAMES, 'u']);
        const value = pick(r, POOL);
        a.set(field, value);
        b.set(field, value);
        if (r() < 0.1) expect(fieldsOf(a)).toEqual(fieldsOf(b));
      }
      for (const [a, b] of pairs) {
        for (const f of [...NAMES, 'u']) expect(a.get(f)).toEqual(b.get(f));
        expect(fieldsOf(a)).toEqual(fieldsOf(b));
      }
      // The event row is never written.
      expect(fieldsOf(base)).toEqual(fieldsOf(new EventResult(base.event)));
    });
  }
});
