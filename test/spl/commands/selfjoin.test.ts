import { describe, expect, it } from 'vitest';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "selfjoin" (Splunk Enterprise 9.4,
// https://help.splunk.com/en/splunk-enterprise/search/spl-search-reference/9.4/search-commands/selfjoin): "Join
// search result rows with other search result rows in the same result set"; max: "the maximum number of 'other'
// results to join with each main result. If max=0, there is no limit ... Default: 1"; keepsingle: "search results
// that have no other results to join with are kept in the output ... Default: false"; example 1: "Row 1 is joined
// with row 2 and returned as row 2 ... In field c, there is no value in row 2. The value somethingelse1 from row 1
// is returned", "Row 5 has no other row to join with. No additional results are returned."

// The reference's example 1, without _time (its values change each run); `.` concatenates as its `+` does there.
const EXAMPLE = '| makeresults count=5 | streamstats count as a | eval joiner="x" | eval b = if(a%2==0,"something".a,"nada".a), c = if(a%2==1,"somethingelse".a,null()) | fields - _time';

describe('selfjoin', () => {
  it('joins each result with the next one sharing the values, the later one taking precedence (the reference example 1)', async () => {
    expect(await run(`${EXAMPLE} | selfjoin joiner`)).toEqual([
      { a: 2, b: 'something2', c: 'somethingelse1', joiner: 'x' },
      { a: 3, b: 'nada3', c: 'somethingelse3', joiner: 'x' },
      { a: 4, b: 'something4', c: 'somethingelse3', joiner: 'x' },
      { a: 5, b: 'nada5', c: 'somethingelse5', joiner: 'x' },
    ]);
  });

  it('overwrite=false keeps the main result\'s values', async () => {
    // Row 1 (nada1, somethingelse1) joined with row 2 (something2, no c): main values stay, a from row 1.
    const rows = await run(`${EXAMPLE} | head 2 | selfjoin overwrite=false joiner`);
    expect(rows).toEqual([{ a: 1, b: 'nada1', c: 'somethingelse1', joiner: 'x' }]);
  });

  it('max=0 joins each result with all later ones, max=2 with two', async () => {
    // 3 results sharing x: pairs (1,2) (1,3) (2,3) with max=0; the same with max=2.
    const base = '| makeresults count=3 | streamstats count as a | eval k="x", first=a | fields - _time';
    const expected = [{ a: 2, first: 2, k: 'x' }, { a: 3, first: 3, k: 'x' }, { a: 3, first: 3, k: 'x' }];
    expect(await run(`${base} | selfjoin max=0 k`)).toEqual(expected);
    expect(await run(`${base} | selfjoin max=2 k`)).toEqual(expected);
    expect(await run(`${base} | eval m=if(a=1, "one", null()) | selfjoin max=0 k | table a m`)).toEqual([{ a: 2, m: 'one' }, { a: 3, m: 'one' }, { a: 3 }]);
  });

  it('keepsingle keeps results alone with their values; results missing a field are dropped', async () => {
    const base = '| makeresults count=4 | streamstats count as a | eval id=case(a<=2, 1, a=3, 2) | fields - _time';
    // id 1: rows 1, 2 -> one joined row; id 2: row 3 alone; row 4 has no id.
    expect(await run(`${base} | selfjoin id`)).toEqual([{ a: 2, id: 1 }]);
    expect(await run(`${base} | selfjoin keepsingle=true id`)).toEqual([{ a: 2, id: 1 }, { a: 3, id: 2 }]);
  });

  it('joins on several fields', async () => {
    const base = '| makeresults count=4 | streamstats count as a | eval p=a%2, q=1 | fields - _time';
    expect(await run(`${base} | selfjoin p q`)).toEqual([{ a: 3, p: 1, q: 1 }, { a: 4, p: 0, q: 1 }]);
  });

  it('bounds the joined rows and the results it holds (a field every result shares, max=0: quadratic)', async () => {
    const spl = '| makeresults count=2000 | eval k=1 | selfjoin max=0 k';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'k', spl.indexOf('selfjoin')));
    const many = '| makeresults count=100001 | eval k=1 | selfjoin k';
    expect((await errorOf(many)).code).toBe('SPL_RUNTIME');
  });

  it('refuses bad arguments at their place', async () => {
    const none = '| makeresults | selfjoin';
    expect((await errorOf(none)).format()).toContain(`at 1:${none.length + 1}`);
    for (const [spl, text] of [['| makeresults | selfjoin max=-1 x', '-1'], ['| makeresults | selfjoin overwrite=maybe x', 'maybe'], ['| makeresults | selfjoin x*', 'x*']] as const) {
      expect((await errorOf(spl)).format(), spl).toContain(at(spl, text));
    }
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | table node_name process_name | selfjoin node_name', '* | eval n=process_id % 3 | table n process_id | selfjoin max=2 keepsingle=t n'], 12, NOW, 1);
  }, 120_000);
});
