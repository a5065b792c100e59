import { describe, it, expect } from 'vitest';
import { run, errorOf, at } from './helpers.js';

/** The data of Splunk's streamstats/dedup examples: host x y x x y x, bytes 100 200 400 50 150 100. */
const DOC =
  '| makeresults count=6 | streamstats count as n | eval host=case(n=2 OR n=5, "y", true(), "x"), bytes=case(n=1, 100, n=2, 200, n=3, 400, n=4, 50, n=5, 150, n=6, 100)';
const ns = async (spl: string) => (await run(`${spl} | table n`)).map((r) => r.n);

describe('dedup', () => {
  it('keeps the first result of each value in search order, or the first N', async () => {
    expect(await ns(`${DOC} | dedup host`)).toEqual([1, 2]);
    expect(await ns(`${DOC} | dedup 2 host`)).toEqual([1, 2, 3, 5]);
    expect(await ns(`${DOC} | dedup host bytes`)).toEqual([1, 2, 3, 4, 5]);
  });

  it('sortby sorts first, which decides the result kept, and outputs in that order', async () => {
    expect(await ns(`${DOC} | dedup host sortby -bytes`)).toEqual([3, 2]);
    expect(await ns(`${DOC} | dedup host sortby +bytes`)).toEqual([4, 5]);
    expect(await ns(`${DOC} | dedup 2 host sortby +bytes`)).toEqual([4, 1, 5, 2]);
    // Several keys, the sort options of the sort command, and ties keeping search order.
    expect(await ns(`${DOC} | dedup bytes sortby +str(host), -num(n)`)).toEqual([6, 4, 3, 5, 2]);
    expect(await ns(`${DOC} | eval ip=case(n=1, "10.0.0.10", n=2, "9.1.1.1", true(), "10.0.0.9") | dedup host sortby +ip(ip)`)).toEqual([2, 3]);
  });

  it('keepevents keeps duplicates without the dedup fields; keepempty keeps results missing a field', async () => {
    const kept = await run(`${DOC} | dedup host keepevents=true | table n host`);
    expect(kept).toEqual([{ n: 1, host: 'x' }, { n: 2, host: 'y' }, { n: 3 }, { n: 4 }, { n: 5 }, { n: 6 }]);
    const spl = `${DOC} | eval host=if(n=3, null(), host)`;
    expect(await ns(`${spl} | dedup host`)).toEqual([1, 2]);
    expect(await ns(`${spl} | dedup host keepempty=true`)).toEqual([1, 2, 3]);
  });

  it('consecutive=true removes only runs of the same values', async () => {
    expect(await ns(`${DOC} | dedup host consecutive=true`)).toEqual([1, 2, 3, 5, 6]);
  });

  it('rejects sortby without keys, and a key without a field', async () => {
    const spl = `| makeresults | dedup host sortby`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, 'sortby'));
    const spl2 = `| makeresults | dedup host sortby -`;
    expect((await errorOf(spl2)).code).toBe('SPL_SYNTAX');
  });
});
