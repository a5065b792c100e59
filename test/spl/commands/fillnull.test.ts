import { describe, it, expect } from 'vitest';
import { run, errorOf, at } from './helpers.js';


/** Three results: n=1 has a, n=2 has b, n=3 has a="" (empty). */
const BASE = '| makeresults count=3 | streamstats count as n | eval a=case(n=1, "x", n=3, ""), b=if(n=2, "y", null())';

describe('fillnull', () => {
  it('without a field list fills every field present in some result, with 0 by default', async () => {
    const rows = await run(`${BASE} | fillnull | table n a b`);
    expect(rows).toEqual([
      { n: 1, a: 'x', b: '0' },
      { n: 2, a: '0', b: 'y' },
      { n: 3, a: '0', b: '0' },
    ]);
  });

  it('does not invent fields no result has, and keeps the input order', async () => {
    const rows = await run(`${BASE} | fillnull value=NULL | fields - _time`);
    expect(rows.map((r) => Object.keys(r).sort())).toEqual([
      ['a', 'b', 'n'],
      ['a', 'b', 'n'],
      ['a', 'b', 'n'],
    ]);
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3]);
  });

  it('with a field list fills only those, creating missing fields', async () => {
    const rows = await run(`${BASE} | fillnull value="Unknown" b, c | table n a b c`);
    expect(rows).toEqual([
      { n: 1, a: 'x', b: 'Unknown', c: 'Unknown' },
      { n: 2, b: 'y', c: 'Unknown' },
      { n: 3, a: '', b: 'Unknown', c: 'Unknown' },
    ]);
  });

  it('accepts value= after the field list and space-separated fields', async () => {
    const rows = await run(`${BASE} | fillnull a c value=-1 | table n a c`);
    expect(rows).toEqual([
      { n: 1, a: 'x', c: '-1' },
      { n: 2, a: '-1', c: '-1' },
      { n: 3, a: '-1', c: '-1' },
    ]);
  });

  it('fills before stats so results missing a BY field are counted', async () => {
    const rows = await run(`${BASE} | fillnull value=NULL b | stats count by b`);
    expect(rows).toEqual([
      { b: 'NULL', count: 2 },
      { b: 'y', count: 1 },
    ]);
  });

  it('rejects bad arguments at their position', async () => {
    let spl = '| makeresults | fillnull a*';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'a*'));

    spl = '| makeresults | fillnull value=0 (a)';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, '('));
  });
});
