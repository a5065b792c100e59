import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Search Reference, trendline (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/9.3.2408/search-commands/trendline):
// "trendline ( <trendtype><period>"("<field>")" [AS <newfield>] )..."; trendtype "sma | ema | wma"; period "an
// integer between 2 and 10000"; newfield "Default: <trendtype><period>(<field>)"; "SMA and WMA both compute a sum over
// the period of most recent values. WMA puts more weight on recent values rather than past values"; "alpha =
// 2/(period + 1)". Where the page is silent (the first results, values that are not numbers) and where its EMA formula
// swaps the weights, vigil follows Splunk's own trendline.py (splunk.Intersplunk): the window holds the last `period`
// numeric values; no value until it is full; once full every result gets one; ema starts at the value that fills the
// window, then `alpha * value + (1 - alpha) * previous`. Expectations are worked out by hand below.

/** Rows whose field `x` takes the given values in order ('' = missing); `n` numbers them from 1. */
const input = (xs: readonly string[], field = 'x') =>
  `| makeresults count=${xs.length} | streamstats count AS n | eval ${field}=mvindex(split("${xs.join(',')}", ","), n - 1) | eval ${field}=if(${field}="", null(), ${field})`;
const col = async (spl: string, field: string) => (await run(`${spl} | table n ${field}`)).map((r) => r[field] ?? null);

describe('trendline', () => {
  // Example 1: "... | trendline sma5(foo) AS smoothed_foo ema10(bar)": "Because no AS clause is specified, writes the
  // result to the field 'ema10(bar)'". foo = 1..12: sma5 is (n-4 + ... + n)/5 = n-2 from the 5th result. bar = 0 ten
  // times, then 11, 11: ema10 starts at 0 (the 10th value); alpha = 2/11: 2/11*11 + 9/11*0 = 2, then 2 + 9/11*2 = 40/11.
  it('computes the reference example: sma5 AS a name, ema10 under its own', async () => {
    const base = `| makeresults count=12 | streamstats count AS n | eval foo=n, bar=if(n<=10, 0, 11)`;
    const rows = await run(`${base} | trendline sma5(foo) AS smoothed_foo ema10(bar) | table n smoothed_foo ema10(bar)`);
    expect(rows.map((r) => r.smoothed_foo ?? null)).toEqual([null, null, null, null, 3, 4, 5, 6, 7, 8, 9, 10]);
    const ema = rows.map((r) => (r['ema10(bar)'] ?? null) as number | null);
    expect(ema.slice(0, 10)).toEqual([null, null, null, null, null, null, null, null, null, 0]);
    expect(ema[10]).toBeCloseTo(2, 12);
    expect(ema[11]).toBeCloseTo(40 / 11, 12);
  });

  // Example 2: "stats count BY date_month | trendline sma2(count) AS trend": the mean of each count and the one before.
  it('overlays sma2 on counts (example 2)', async () => {
    const spl = `${input(['a', 'a', 'b', 'b', 'b', 'b', 'c', 'd', 'd'], 'date_month')} | stats count BY date_month | trendline sma2(count) AS trend`;
    expect((await run(spl)).map((r) => [r.date_month, r.count, r.trend ?? null])).toEqual([
      ['a', 2, null],
      ['b', 4, 3],
      ['c', 1, 2.5],
      ['d', 2, 1.5],
    ]);
  });

  // wma3 of 1, 2, 3: (1*1 + 2*2 + 3*3) / 6 = 14/6; of 2, 3, 4: (2 + 6 + 12) / 6 = 20/6; of 3, 4, 10: (3 + 8 + 30)/6.
  it('weights the newest value most in wma', async () => {
    const w = await col(`${input(['1', '2', '3', '4', '10'])} | trendline wma3(x)`, 'wma3(x)');
    expect(w.slice(0, 2)).toEqual([null, null]);
    expect(w[2]).toBeCloseTo(14 / 6, 12);
    expect(w[3]).toBeCloseTo(20 / 6, 12);
    expect(w[4]).toBeCloseTo(41 / 6, 12);
  });

  // trendline.py: non-numeric values are skipped ("ignore non-numeric values"); a full window gives every result a value.
  // sma2 over 1, a, 3, -, 5: windows [1] [1] [1,3] [1,3] [3,5]. ema2 (alpha 2/3): 3 when [1,3] fills it; then the last
  // number 3 again: 2/3*3 + 1/3*3 = 3; then 2/3*5 + 1/3*3 = 13/3.
  it('skips values that are not numbers: text, missing, multivalues', async () => {
    const spl = `${input(['1', 'a', '3', '', '5', 'u;v'])} | eval x=if(x="u;v", split(x, ";"), x)`;
    expect(await col(`${spl} | trendline sma2(x)`, 'sma2(x)')).toEqual([null, null, 2, 2, 4, 4]);
    const e = await col(`${spl} | trendline ema2(x)`, 'ema2(x)');
    expect(e.slice(0, 4)).toEqual([null, null, 3, 3]);
    expect(e[4]).toBeCloseTo(13 / 3, 12);
    expect(e[5]).toBeCloseTo((2 / 3) * 5 + (1 / 3) * (13 / 3), 12);
  });

  it('runs its trends in order on each result: a later one reads what an earlier one wrote', async () => {
    // y = sma2(x) of 1, 2, 3, 4: -, 1.5, 2.5, 3.5; sma2(y): -, -, 2, 3.
    expect(await col(`${input(['1', '2', '3', '4'])} | trendline sma2(x) AS y sma2(y)`, 'sma2(y)')).toEqual([null, null, 2, 3]);
  });

  it('averages in search order, newest first', async () => {
    const rows = await search('* | trendline sma2(b) | table b sma2(b)', jsonEvents([{ b: 1 }, { b: 2 }, { b: 4 }]));
    expect(rowsText(rows)).toEqual([{ b: '4' }, { b: '2', 'sma2(b)': '3' }, { b: '1', 'sma2(b)': '1.5' }]);
  });

  // x = n: sma_k at n is n - (k-1)/2 and wma_k is n - (k-1)/3 (Σ i(n-k+i) / (k(k+1)/2)). With k = 10,000 and 12,000
  // results: the last gives 12000 - 4999.5 = 7000.5 and 12000 - 3333 = 8667; the window slides in O(1) a result.
  it('takes the largest period and slides it exactly', async () => {
    const rows = await run('| makeresults count=12000 | streamstats count AS x | trendline sma10000(x) wma10000(x) | tail 2 | table x sma10000(x) wma10000(x)');
    expect(rows).toEqual([
      { x: 12000, 'sma10000(x)': 7000.5, 'wma10000(x)': 8667 },
      { x: 11999, 'sma10000(x)': 6999.5, 'wma10000(x)': 8666 },
    ]);
  });

  it('refuses periods outside 2..10000, unknown types and empty fields, at the trend', async () => {
    const cases = [
      ['sma1(x)', 'SPL_BAD_ARGUMENT', 'the period of sma1(x) must be an integer between 2 and 10000'],
      ['ema10001(x)', 'SPL_BAD_ARGUMENT', 'the period of ema10001(x) must be an integer between 2 and 10000'],
      ['wma99999999999999999999(x)', 'SPL_BAD_ARGUMENT', 'the period of wma99999999999999999999(x) must be an integer between 2 and 10000'],
      ['sma(x)', 'SPL_BAD_ARGUMENT', 'the period of sma(x) must be an integer between 2 and 10000'],
      ['avg5(x)', 'SPL_BAD_ARGUMENT', 'unknown trend type "avg": use sma, ema or wma'],
      ['SMA5(x)', 'SPL_BAD_ARGUMENT', 'unknown trend type "SMA": use sma, ema or wma'],
      ['sma5()', 'SPL_BAD_ARGUMENT', 'invalid or empty field "" in sma5()'],
      ['sma5(__x)', 'SPL_BAD_ARGUMENT', 'invalid or empty field "__x" in sma5(__x)'],
      ['sma5', 'SPL_SYNTAX', 'expected a trend such as sma5(bytes), ema10(bytes) or wma3(bytes), found "sma5"'],
      // trendline.py splits its arguments at spaces: "Invalid argument 'sma5(a'" (it was a trend of a field "a b").
      ['sma5(a b)', 'SPL_SYNTAX', 'invalid argument "sma5(a b)": a trend is one word, such as sma5(bytes)'],
    ] as const;
    for (const [trend, code, msg] of cases) {
      const spl = `| makeresults | trendline ${trend}`;
      const e = await errorOf(spl);
      expect([e.code, e.message], spl).toEqual([code, msg]);
      expect(e.format()).toContain(at(spl, trend, spl.indexOf('trendline')));
    }
    expect((await errorOf('| makeresults | trendline')).message).toBe('trendline needs a trend such as sma5(bytes)');
    // 100 trends of the largest period keep 1,000,000 values (8 MB); one more is refused, at it.
    const many = Array.from({ length: 101 }, (_, i) => `sma10000(f${i})`).join(' ');
    const e = await errorOf(`| makeresults | trendline ${many}`);
    expect([e.code, e.message]).toEqual(['SPL_BAD_ARGUMENT', 'the periods of one trendline add up to more than 1000000 values kept; split it']);
    expect(e.format()).toContain(at(`| makeresults | trendline ${many}`, 'sma10000(f100)'));
    expect(await run(`| makeresults | trendline ${many.slice(0, many.lastIndexOf(' '))}`)).toHaveLength(1);
    expect((await errorOf('| makeresults | trendline sma2(x) AS')).code).toBe('SPL_SYNTAX');
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | trendline sma3(process_id) ema4(process_id) AS e wma5(process_id) | table _time process_id sma3(process_id) e wma5(process_id)'], 7, NOW, 100);
  }, 120_000);
});
