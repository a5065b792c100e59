import { describe, expect, it } from 'vitest';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "contingency" (Splunk Cloud Platform 10.0.2503,
// https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/contingency): "a
// co-occurrence matrix for the values of two fields in your data. Each cell in the matrix displays the count of
// events in which both of the cross-tabulated field values exist ... the first row and column of this table is
// made up of values of the two fields"; syntax `contingency [<contingency-options>...] <field1> <field2>`, options
// maxrows, maxcols, mincolcover, minrowcover, usetotal, totalstr (default TOTAL); aliases counttable, ctable.
// Expected tables counted by hand.

// 6 results: (a,x) (a,x) (a,y) (b,x) (c,y) (a,z): field r counts a 4, b 1, c 1; field c counts x 3, y 2, z 1.
const DATA = '| makeresults count=6 | streamstats count as n | eval r=case(n<=3 OR n=6, "a", n=4, "b", true(), "c"), c=case(n<=2 OR n=4, "x", n=3 OR n=5, "y", true(), "z") | fields r c';

describe('contingency', () => {
  it('counts co-occurrences, rows and columns by count descending, with TOTAL row and column', async () => {
    const rows = await run(`${DATA} | contingency r c`);
    expect(rows).toEqual([
      { r: 'a', x: 2, y: 1, z: 1, TOTAL: 4 },
      { r: 'b', x: 1, y: 0, z: 0, TOTAL: 1 },
      { r: 'c', x: 0, y: 1, z: 0, TOTAL: 1 },
      { r: 'TOTAL', x: 3, y: 2, z: 1, TOTAL: 6 },
    ]);
    // "the first row and column of this table is made up of values of the two fields": field1's column first.
    expect(rows.map((r) => Object.keys(r))[0]).toEqual(['r', 'x', 'y', 'z', 'TOTAL']);
  });

  it('shows an empty value as EMPTY_STR, as a row and as a column', async () => {
    // The reference, "Empty values": "Values which are empty strings ("") will be represented in the results table
    // as EMPTY_STR." (review: vigil showed a row labelled "" and a column named "".)
    // 3 results: (r="", c="x") ("", "") ("a", ""): r counts EMPTY_STR 2, a 1; c counts EMPTY_STR 2, x 1.
    const rows = await run('| makeresults count=3 | streamstats count as n | eval r=if(n<3, "", "a"), c=if(n=1, "x", "") | contingency r c');
    expect(rows).toEqual([
      { r: 'EMPTY_STR', EMPTY_STR: 1, x: 1, TOTAL: 2 },
      { r: 'a', EMPTY_STR: 1, x: 0, TOTAL: 1 },
      { r: 'TOTAL', EMPTY_STR: 2, x: 1, TOTAL: 3 },
    ]);
  });

  it('usetotal=false, totalstr=, and the aliases ctable and counttable', async () => {
    const expected = [
      { r: 'a', x: 2, y: 1, z: 1 },
      { r: 'b', x: 1, y: 0, z: 0 },
      { r: 'c', x: 0, y: 1, z: 0 },
    ];
    expect(await run(`${DATA} | ctable usetotal=f r c`)).toEqual(expected);
    expect(await run(`${DATA} | counttable usetotal=false r c`)).toEqual(expected);
    const sums = await run(`${DATA} | contingency totalstr=ALL r c`);
    expect(sums[3]).toEqual({ r: 'ALL', x: 3, y: 2, z: 1, ALL: 6 });
  });

  it('maxrows/maxcols keep the most common values; the totals still count all', async () => {
    expect(await run(`${DATA} | contingency maxrows=1 maxcols=2 r c`)).toEqual([
      { r: 'a', x: 2, y: 1, TOTAL: 4 },
      { r: 'TOTAL', x: 3, y: 2, TOTAL: 6 },
    ]);
  });

  it('minrowcover/mincolcover stop adding values once they cover that share of the results', async () => {
    // Rows: a covers 4/6 (0.67) < 0.8, a+b 5/6 >= 0.8. Columns: x 3/6 = 0.5 >= 0.5.
    expect(await run(`${DATA} | contingency minrowcover=0.8 mincolcover=0.5 usetotal=f r c`)).toEqual([
      { r: 'a', x: 2 },
      { r: 'b', x: 1 },
    ]);
  });

  it('ties in stats\' order of the values; results without either field are not counted', async () => {
    const spl = '| makeresults count=4 | streamstats count as n | eval r=case(n=1, "q", n=2, "p", n=3, "p"), c=if(n=3, null(), 10) | contingency usetotal=f r c';
    expect(await run(spl)).toEqual([{ r: 'p', 10: 1 }, { r: 'q', 10: 1 }]);
  });

  it('refuses bad arguments at their place', async () => {
    for (const [spl, text] of [['| makeresults | contingency a', 'a'], ['| makeresults | contingency a b c', 'c'], ['| makeresults | contingency maxrows=-1 a b', '-1'], ['| makeresults | contingency mincolcover=2 a b', '2'], ['| makeresults | contingency a* b', 'a*']] as const) {
      const e = await errorOf(spl);
      expect(e.format(), spl).toContain(at(spl, text, spl.indexOf('contingency') + 11));
    }
  });

  it('bounds the distinct values and pairs it counts (SPL_RUNTIME at the fields)', async () => {
    const spl = '| makeresults count=100001 | streamstats count as n | contingency n n';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'n n'));
  }, 60_000);

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | contingency node_name process_name', '* | ctable maxcols=3 minrowcover=0.5 process_name node_name'], 13, NOW, 1);
  }, 120_000);
});
