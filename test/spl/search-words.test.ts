import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { search } from '../helpers.js';
import { rng } from '../rng.js';

/**
 * An OR of many bare words is decided by one pass over _raw's words (predicate.ts `anyWord`), not a regex per word.
 * Each word alone still takes the regex (compileTerm): the OR must match exactly the events one of them matches.
 */
const PIECES = ['w1', 'W1', 'w12', 'abc', 'ABC1', 'x', 'X', 'key', 'stop', '1', 'é', 'wé1', '\u212Aey', 'ſtop', '😀', 'w1x', 'xw1', '_', '-', ' ', '.', '"', ':', '/', '=', '\t', '\\', '~', '^', '%', '%20', '%2b', '%25', '%2526', '20', '\v'];
const WORDS = ['w1', 'abc', 'key', 'stop', 'x', '1', 'w12', 'zz', 'q9', 'ABC1', 'Key', 'e', 'xw1', 'w1x', 'top'];

const timesOf = async (spl: string, events: Partial<Event>[]): Promise<number[]> =>
  (await search(spl, events)).map((r) => r.get('_time') as number).sort((a, b) => a - b);

describe('an OR of many bare words', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`matches the events one of its words alone matches (seed ${seed})`, async () => {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const events: Partial<Event>[] = Array.from({ length: 60 }, (_, i) => ({
        _time: 1_700_000_000 + i,
        sourcetype: 'text',
        _raw: Array.from({ length: 1 + Math.floor(r() * 8) }, () => pick(PIECES)).join(''),
      }));
      const words = Array.from({ length: 20 }, () => pick(WORDS));
      const expected = new Set<number>();
      for (const w of new Set(words)) for (const t of await timesOf(w, events)) expected.add(t);
      const got = await timesOf(words.map((w) => (r() < 0.5 ? `"${w}"` : w)).join(' OR '), events);
      expect(got).toEqual([...expected].sort((a, b) => a - b));
      expect(got.length).toBeGreaterThan(0);
    });
  }

  it('keeps its other items: phrases, wildcards and field comparisons', async () => {
    const events: Partial<Event>[] = [
      { _time: 1, sourcetype: 'text', _raw: 'nothing here' },
      { _time: 2, sourcetype: 'text', _raw: 'a curl -k call' },
      { _time: 3, sourcetype: 'text', _raw: 'prefix-wild123' },
      { _time: 4, sourcetype: 'text', _raw: 'Ω w7 Ω' },
    ];
    const words = Array.from({ length: 20 }, (_, i) => `w${i}`);
    const spl = `${words.join(' OR ')} OR "curl -k" OR wild* OR sourcetype=nope`;
    expect(await timesOf(spl, events)).toEqual([2, 3, 4]);
  });
});
