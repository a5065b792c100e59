import { describe, expect, it } from 'vitest';
import { runsUpTo, tooManyRuns, type RunSource } from '../../src/schedule/runs.js';

/** A source every `every` seconds from 0 (times k * every), counting how often it is asked. */
function every(key: string, step: number, to: number) {
  const asked = { n: 0 };
  const source: RunSource<string> = {
    key,
    to,
    next: (after) => {
      asked.n++;
      return Math.floor(after / step) * step + step;
    },
  };
  return { source, asked };
}

describe('runsUpTo', () => {
  it('merges sources in time order, ties in source order, each up to its own end', () => {
    const a = every('a', 10, 40);
    const b = every('b', 15, 1000);
    const { runs, over } = runsUpTo([a.source, b.source], 0, 100);
    expect(over).toBeNull();
    // a: 10 20 30 40; b: 15 30 ... 990 (66 runs); 30 is both, a first.
    const expected = [...[10, 20, 30, 40].map((t) => ({ key: 'a', t })), ...Array.from({ length: 66 }, (_, k) => ({ key: 'b', t: 15 * (k + 1) }))].sort((x, y) => x.t - y.t || (x.key < y.key ? -1 : 1));
    expect(runs).toEqual(expected);
  });

  it('stops at the run past the limit, whatever the period, and estimates how many it holds', () => {
    // 3 sources over 10^12 seconds: 10^11 + 5 * 10^10 + 2.5 * 10^10 runs; enumerating them would not end.
    const sources = [every('a', 10, 1e12), every('b', 20, 1e12), every('c', 40, 1e12)];
    const { runs, over } = runsUpTo(
      sources.map((s) => s.source),
      0,
      7,
    );
    // In (0, 40]: a 10 20 30 40, b 20 40, c 40 (ties in source order); the 8th run, a at 50, is past the limit.
    expect(runs).toEqual([
      { key: 'a', t: 10 },
      { key: 'a', t: 20 },
      { key: 'b', t: 20 },
      { key: 'a', t: 30 },
      { key: 'a', t: 40 },
      { key: 'b', t: 40 },
      { key: 'c', t: 40 },
    ]);
    // Nothing is asked beyond the next time of each source after the last run listed.
    expect(sources.map((s) => s.asked.n)).toEqual([5, 3, 2]);
    expect(over).not.toBeNull();
    // The runs in (0, 50], a 5, b 2, c 1, at that pace up to 10^12: 8 * 10^12 / 50 (the true 1.75 * 10^11 is an average).
    expect(over).toEqual({ about: 1.6e11 });
    expect(tooManyRuns(7, over!)).toBe('more than 7 runs (about 160000000000)');
  });

  it('says only "more than N" when its estimate does not exceed N, and handles no source', () => {
    const one = every('a', 10, 30);
    const { runs, over } = runsUpTo([one.source], 0, 2);
    expect(runs.map((r) => r.t)).toEqual([10, 20]);
    expect(tooManyRuns(2, over!)).toBe('more than 2 runs (about 3)');
    expect(runsUpTo([], 0, 5)).toEqual({ runs: [], over: null });
  });
});
