import { describe, expect, it } from 'vitest';
import { at, errorOf, run } from './helpers.js';

/**
 * outlier, Search Reference: "Filtering is based on the inter-quartile range (IQR), which is computed from the
 * difference between the 25th percentile and 75th percentile values of the numeric fields. If the value of a field in
 * an event is less than (25th percentile) - param*IQR or greater than (75th percentile) + param*IQR, that field is
 * transformed or that event is removed based on the action parameter." param "Default: 2.5"; uselower "Controls
 * whether to look for outliers for values below the median in addition to above. Default: false".
 * Percentiles by nearest rank, Splunk's perc (0-based rank floor(p/100 * n) of the sorted values).
 */

// v = 1..10 and 100 (i = 11). Sorted: 1 2 3 4 5 6 7 8 9 10 100; n = 11: p25 = xs[floor(2.75)] = xs[2] = 3,
// p75 = xs[floor(8.25)] = xs[8] = 9, IQR = 6; upper bound 9 + 2.5*6 = 24, lower 3 - 15 = -12.
// (numpy's default linear percentile would give 3.5 and 9.5 instead.)
const ELEVEN = '| makeresults count=11 | streamstats count AS i | eval v=if(i=11, 100, i), s="text", w=5';

describe('outlier', () => {
  it('transforms (the default) an outlying value to the threshold: 100 becomes 24', async () => {
    // "The transform option truncates the outlying values to the threshold for outliers."
    const rows = await run(`${ELEVEN} | outlier v | table i v`);
    expect(rows).toEqual([...Array.from({ length: 10 }, (_, k) => ({ i: k + 1, v: k + 1 })), { i: 11, v: 24 }]);
  });

  it('mark=true prefixes the truncated value with "000"', async () => {
    // "If action=transform and mark=true, prefixes the outlying values with "000"."
    const rows = await run(`${ELEVEN} | outlier mark=true v | where i>=10 | table i v`);
    expect(rows).toEqual([{ i: 10, v: 10 }, { i: 11, v: '00024' }]);
  });

  it('action=remove (rm, RM as ESCU writes it) drops the event; mark has no effect then', async () => {
    // "The remove action can be shorted to rm. The transform action can be shorted to tf."
    const expected = Array.from({ length: 10 }, (_, k) => ({ i: k + 1 }));
    expect(await run(`${ELEVEN} | outlier action=remove v | table i`)).toEqual(expected);
    expect(await run(`${ELEVEN} | outlier action=RM mark=true v | table i`)).toEqual(expected);
    expect((await run(`${ELEVEN} | outlier action=tf v | table v`)).at(-1)).toEqual({ v: 24 });
  });

  it('param sets the multiple of the IQR: param=1 makes the bound 9 + 6 = 15', async () => {
    expect((await run(`${ELEVEN} | outlier param=1 v | table v`)).at(-1)).toEqual({ v: 15 });
    // param=20: 9 + 120 = 129, 100 is inside.
    expect((await run(`${ELEVEN} | outlier param=20 v | table v`)).at(-1)).toEqual({ v: 100 });
  });

  it('looks below only with uselower=true', async () => {
    // v = -20 (i=1), 2..10, 100: sorted -20 2 3 ... 10 100, n = 11: p25 = xs[2] = 3, p75 = xs[8] = 9; lower -12.
    const spl = '| makeresults count=11 | streamstats count AS i | eval v=case(i=1, -20, i=11, 100, true(), i)';
    expect((await run(`${spl} | outlier v | table v`))[0]).toEqual({ v: -20 });
    const rows = await run(`${spl} | outlier uselower=true v | table v`);
    expect(rows[0]).toEqual({ v: -12 });
    expect(rows.at(-1)).toEqual({ v: 24 });
    expect(await run(`${spl} | outlier uselower=t action=rm v | stats count`)).toEqual([{ count: 9 }]);
  });

  it('without fields examines every field but the internal ones; text values are left alone', async () => {
    // "If no fields are specified, then the outlier command attempts to process all fields." i = 1..11 has no
    // outlier (p25 3, p75 9, bound 24), w = 5 everywhere (IQR 0: nothing outside 5..5), s is text.
    const rows = await run(`${ELEVEN} | outlier | table i v s w`);
    expect(rows.at(-1)).toEqual({ i: 11, v: 24, s: 'text', w: 5 });
    expect(rows[0]).toEqual({ i: 1, v: 1, s: 'text', w: 5 });
  });

  it('counts only number values: missing, text and multivalue ones neither count nor change', async () => {
    // x: 1, 2, 3, 4 and 1000 as numbers, plus "n/a" and a multivalue. Sorted 1 2 3 4 1000 (n = 5): p25 = xs[1] = 2,
    // p75 = xs[3] = 4, IQR 2, bound 4 + 5 = 9: 1000 becomes 9.
    const spl = '| makeresults count=7 | streamstats count AS i | eval x=case(i<=4, i, i=5, 1000, i=6, "n/a", i=7, split("5000,6000", ",")) | outlier x | table i x';
    expect(await run(spl)).toEqual([
      { i: 1, x: 1 },
      { i: 2, x: 2 },
      { i: 3, x: 3 },
      { i: 4, x: 4 },
      { i: 5, x: 9 },
      { i: 6, x: 'n/a' },
      { i: 7, x: ['5000', '6000'] },
    ]);
  });

  it('ESCU "Potential password in username": its tail (| outlier action=RM count) on rows as its map gives them', async () => {
    // The search ends `... | where user!=incorrect_cred | outlier action=RM count`. Rows by hand: counts 1, 1, 2, 2,
    // 3 and 40. Sorted 1 1 2 2 3 40 (n = 6): p25 = xs[1] = 1, p75 = xs[4] = 3, IQR 2, bound 3 + 5 = 8: the row of
    // 40 is removed; the row whose user equals incorrect_cred is filtered before.
    const spl =
      '| makeresults count=7 | streamstats count AS i | eval user="u".i, incorrect_cred=if(i=7, "u7", "pw".i), count=case(i<=2, 1, i<=4, 2, i=5, 3, i=6, 40, i=7, 1) | where user!=incorrect_cred | outlier action=RM count | table user count';
    expect(await run(spl)).toEqual([
      { user: 'u1', count: 1 },
      { user: 'u2', count: 1 },
      { user: 'u3', count: 2 },
      { user: 'u4', count: 2 },
      { user: 'u5', count: 3 },
    ]);
  });

  it('refuses bad options and wildcards at their place', async () => {
    for (const [spl, bad, msg] of [
      ['| makeresults | outlier action=drop x', 'drop', 'remove (rm) or transform (tf)'],
      ['| makeresults | outlier param=-1 x', '-1', 'param must be a number >= 0'],
      ['| makeresults | outlier param=abc x', 'abc', 'param must be a number >= 0'],
      ['| makeresults | outlier mark=maybe x', 'maybe', 'true or false'],
      ['| makeresults | outlier x*', 'x*', 'not wildcards'],
    ] as const) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe('SPL_BAD_ARGUMENT');
      expect(e.message, spl).toContain(msg);
      expect(e.format(), spl).toContain(at(spl, bad));
    }
  });

  it('bounds the fields it examines without a list (1,000), and handles many rows and huge values', async () => {
    const many = Array.from({ length: 1001 }, (_, k) => `f${k}=${k}`).join(', ');
    const spl = `| makeresults | eval ${many} | outlier`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain('more than 1000 fields');
    expect(e.format()).toContain(at(spl, 'outlier'));
    // 20,000 rows; v = i, and 1e308 once: sorted 1..19999 and 1e308 (n = 20000): p25 = xs[5000] = 5001,
    // p75 = xs[15000] = 15001, bound 15001 + 25000 = 40001.
    const rows = await run('| makeresults count=20000 | streamstats count AS i | eval v=if(i=20000, 1e308, i) | outlier v | stats max(v) AS m count');
    expect(rows).toEqual([{ m: 40001, count: 20000 }]);
  });
});
