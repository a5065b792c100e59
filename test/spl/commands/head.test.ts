import { describe, expect, it } from 'vitest';
import { at, errorOf, run } from './helpers.js';

// SPL reference, head (Search Reference, search commands): "head [<N> | (<eval-expression>)] [limit=<int>]
// [null=<bool>] [keeplast=<bool>]"; with an expression, results are returned until it evaluates to false or
// NULL (keeplast keeps that last one); null= says whether a NULL result counts as true (default false); "If
// both a numeric limit and an eval expression are used, the smaller of the two constraints applies", and
// N together with limit= is an error.
const five = '| makeresults count=5 | streamstats count as n';
const ns = async (spl: string) => (await run(spl)).map((r) => r.n);

describe('head', () => {
  it('returns the first N, 10 by default', async () => {
    expect(await ns('| makeresults count=15 | streamstats count as n | head')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await ns(`${five} | head 2`)).toEqual([1, 2]);
    expect(await ns(`${five} | head limit=3`)).toEqual([1, 2, 3]);
  });

  it('with an expression alone has no count limit', async () => {
    expect(await ns('| makeresults count=15 | streamstats count as n | head (n<13)')).toHaveLength(12);
  });

  it('applies the smaller of a count and an expression', async () => {
    expect(await ns(`${five} | head limit=2 (1==1)`)).toEqual([1, 2]);
    expect(await ns(`${five} | head 4 (n<3)`)).toEqual([1, 2]);
    expect(await ns(`${five} | head limit=10 (0==1)`)).toEqual([]);
  });

  it('stops at a null result unless null=true', async () => {
    const spl = `${five} | eval x=if(n==2, null(), 1) | head (x==1)`;
    expect(await ns(spl)).toEqual([1]);
    expect(await ns(`${spl} null=false`)).toEqual([1]);
    expect(await ns(`${spl} null=true`)).toEqual([1, 2, 3, 4, 5]);
    expect(await ns(`${spl} keeplast=true`)).toEqual([1, 2]);
  });

  it('keeps the result that stopped it with keeplast=true', async () => {
    expect(await ns(`${five} | head (n<3) keeplast=true`)).toEqual([1, 2, 3]);
  });

  // The reference's example 1 ("Using the keeplast and null arguments"), verbatim: no parentheses.
  it('gives the documented rows for keeplast and null', async () => {
    const spl = (nullArg: boolean) =>
      `| makeresults count=7 | streamstats count | eval count=if(count=3,null(), count) | head count<5 keeplast=true null=${nullArg} | table count`;
    expect((await run(spl(true))).map((r) => r.count ?? null)).toEqual([1, 2, null, 4, 5]);
    expect((await run(spl(false))).map((r) => r.count ?? null)).toEqual([1, 2, null]);
  });

  // "<eval-expression> ... A valid <eval-expression> that evaluates to a Boolean": like where, an expression that
  // cannot be one is an error at it. `head -1` and `head 1.5` read as numeric expressions and returned nothing.
  it('refuses an expression that is not a boolean', async () => {
    for (const [arg, type] of [['-1', 'number'], ['1.5', 'number'], ['(n*2)', 'number'], ['("abc")', 'string']] as const) {
      const spl = `${five} | head ${arg}`;
      const e = await errorOf(spl);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toBe(`head needs a boolean expression; this one is a ${type}`);
      expect(e.format()).toContain(at(spl, arg));
    }
    // A field alone may hold anything until run time, as in where: kept while it is true.
    expect(await ns(`${five} | eval ok=if(n<3, "x", null()) | head (ok)`)).toEqual([]);
  });

  it('refuses N together with limit=', async () => {
    expect((await errorOf(`${five} | head 2 limit=3`)).code).toBe('SPL_SYNTAX');
    expect((await errorOf(`${five} | head (n<3) (n<2)`)).message).toMatch(/one expression/);
  });
});
