import { describe, it, expect } from 'vitest';
import { run, errorOf, at } from './helpers.js';


/** n=1..5, host alternating x/y/x/y/(missing), bytes 10·n. */
const BASE = '| makeresults count=5 | streamstats count as n | eval host=case(n=1, "x", n=2, "y", n=3, "x", n=4, "y"), bytes=n*10';

describe('eventstats', () => {
  it('writes the whole set aggregates onto every result, keeping order and fields', async () => {
    const rows = await run(`${BASE} | eventstats count, sum(bytes) as total, max(bytes) | table n bytes count total "max(bytes)"`);
    expect(rows).toEqual([1, 2, 3, 4, 5].map((n) => ({ n, bytes: n * 10, count: 5, total: 150, 'max(bytes)': 50 })));
  });

  // SPL reference, eventstats, "Using the allnum argument": the documented rows, verbatim search.
  it('allnum=true computes no numerical statistic for a group with a non-numeric value', async () => {
    const spl = (opt: string) =>
      '| makeresults count=4 | streamstats count | eval age = case(count=1, 25, count=2, 39, count=3, 31, count=4, "test") ' +
      `| eval city = case(count=1 OR count=3, "San Francisco", count=2 OR count=4, "Seattle") | eventstats ${opt} avg(age) BY city`;
    const avgs = async (opt: string) => (await run(spl(opt))).map((r) => r['avg(age)'] ?? null);
    expect(await avgs('')).toEqual([28, 39, 28, 39]);
    expect(await avgs('allnum=true')).toEqual([28, null, 28, null]);
    // Not numerical statistics: count and values are kept.
    const rows = await run(`${spl('allnum=true')} | stats allnum=true count(age) AS c values(age) AS v sum(age) AS s BY city`);
    expect(rows).toEqual([
      { city: 'San Francisco', c: 2, v: ['25', '31'], s: 56 },
      { city: 'Seattle', c: 2, v: ['39', 'test'] },
    ]);
    // streamstats: from the first text value on.
    const running = await run('| makeresults count=3 | streamstats count | eval v=case(count=2, "x", true(), count) | streamstats allnum=true sum(v) AS s');
    expect(running.map((r) => r.s ?? null)).toEqual([1, null, null]);
  });

  it('aggregates per group; results missing a BY field get nothing', async () => {
    const rows = await run(`${BASE} | eventstats avg(bytes) as avg, values(n) as ns by host | table n host avg ns`);
    expect(rows).toEqual([
      { n: 1, host: 'x', avg: 20, ns: ['1', '3'] },
      { n: 2, host: 'y', avg: 30, ns: ['2', '4'] },
      { n: 3, host: 'x', avg: 20, ns: ['1', '3'] },
      { n: 4, host: 'y', avg: 30, ns: ['2', '4'] },
      { n: 5 },
    ]);
  });

  it('supports the detection idiom avg/stdev then a where on every event', async () => {
    const rows = await run(`${BASE} | eventstats avg(bytes) as a, stdev(bytes) as s | where bytes > a + s | table n`);
    // avg 30, sample stdev ≈ 15.81: only 50 is above 45.81
    expect(rows).toEqual([{ n: 5 }]);
  });

  it('uses search order for first/last (order-sensitive functions)', async () => {
    const rows = await run(`${BASE} | eventstats first(n) as f, last(n) as l | table f l | head 1`);
    expect(rows).toEqual([{ f: 1, l: 5 }]);
  });

  it('can overwrite an input field it aggregates', async () => {
    const rows = await run(`${BASE} | eventstats max(bytes) as bytes by host | table n bytes`);
    expect(rows).toEqual([
      { n: 1, bytes: 30 },
      { n: 2, bytes: 40 },
      { n: 3, bytes: 30 },
      { n: 4, bytes: 40 },
      { n: 5, bytes: 50 },
    ]);
  });

  it('counts a result under each value of a multivalue BY field and gives it its first group', async () => {
    const rows = await run('| makeresults count=2 | streamstats count as n | eval g=if(n=1, split("a,b", ","), "b") | eventstats count by g | table n count');
    expect(rows).toEqual([
      { n: 1, count: 1 },
      { n: 2, count: 2 },
    ]);
  });

  it('emits nothing for no input and accepts allnum=', async () => {
    expect(await run('| makeresults count=0 | eventstats count')).toEqual([]);
    const rows = await run(`${BASE} | eventstats allnum=true count by host | table n count`);
    expect(rows.map((r) => r.count)).toEqual([2, 2, 2, 2, undefined]);
  });

  it('rejects bad arguments at their position', async () => {
    let spl = '| makeresults | eventstats';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.message).toMatch(/at least one statistical function/);

    spl = '| makeresults | eventstats bogus(x)';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'bogus'));

    spl = '| makeresults | eventstats allnum=maybe count';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'maybe'));

    spl = '| makeresults | eventstats count by';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.message).toMatch(/BY needs/);
  });
});
