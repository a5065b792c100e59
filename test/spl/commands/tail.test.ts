import { describe, expect, it } from 'vitest';
import { run } from './helpers.js';

// SPL reference, tail: "Returns the last N number of specified results. The events are returned in reverse order,
// starting at the end of the result set. ... <N> ... Default: 10".
const ns = async (spl: string) => (await run(spl)).map((r) => r.n);

describe('tail', () => {
  it('returns the last N results in reverse order, 10 by default, all of them when fewer', async () => {
    const rows = (count: number) => `| makeresults count=${count} | streamstats count as n`;
    expect(await ns(`${rows(15)} | tail`)).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6]);
    expect(await ns(`${rows(5)} | tail 2`)).toEqual([5, 4]);
    expect(await ns(`${rows(3)} | tail 3`)).toEqual([3, 2, 1]);
    expect(await ns(`${rows(3)} | tail 7`)).toEqual([3, 2, 1]);
    expect(await ns(`${rows(3)} | tail 0`)).toEqual([]);
  });

  it('keeps a large N in a ring: the last 50,000 of 120,000 rows', async () => {
    // Found by an outside probe: each row moved every kept row (Array.shift), so `tail 100000` over 300,000 rows ran 30 s.
    const got = await ns('| makeresults count=120000 | streamstats count as n | tail 50000');
    expect(got).toHaveLength(50_000);
    expect(got).toEqual(Array.from({ length: 50_000 }, (_, i) => 120_000 - i));
  });
});
