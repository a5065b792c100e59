import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../helpers.js';
import { errorOf, run } from './commands/helpers.js';

const events = jsonEvents([
  { g: 'b', v: 'Banana', n: 10 },
  { g: 'a', v: 'apple', n: 9 },
  { g: 'a', v: 'Apple', n: 100 },
  { g: 'a', v: 'apple', n: 'x' },
  { v: 'no group', n: 1 },
  { gs: ['m1', 'm2'], v: 'multi', n: 2 },
]);

describe('stats', () => {
  it('drops results whose BY field is missing, splits multivalue BY fields, sorts groups', async () => {
    const rows = rowsText(await search("* | eval g=coalesce(g, 'gs{}') | stats count by g", events));
    expect(rows).toEqual([
      { g: 'a', count: '3' },
      { g: 'b', count: '1' },
      { g: 'm1', count: '1' },
      { g: 'm2', count: '1' },
    ]);
  });

  // SPL reference, stats: "dedup_splitvals: Specifies whether to remove duplicate values in multivalued BY
  // clause fields. Default: false".
  it('counts a row once per value of a multivalue BY field, once per distinct value with dedup_splitvals=true', async () => {
    const spl = (opt: string) => `| makeresults | eval a=split("x,x,y", ","), b=split("1,1", ",") | stats ${opt} count by a b`;
    expect(await run(spl(''))).toEqual([
      { a: 'x', b: '1', count: 4 },
      { a: 'y', b: '1', count: 2 },
    ]);
    expect(await run(spl('dedup_splitvals=true'))).toEqual([
      { a: 'x', b: '1', count: 1 },
      { a: 'y', b: '1', count: 1 },
    ]);
    expect(await run(`| makeresults | eval a=split("x,x", ",") | stats count by a dedup_splitvals=t`)).toEqual([{ a: 'x', count: 1 }]);
  });

  // SPL reference, stats: "you cannot specify | stats count BY source*". A wildcard inside a function is stats'
  // and eventstats' (test/spl/stats-wildcard.test.ts); streamstats and timechart refuse it rather than aggregate a
  // field literally named `*`.
  it('refuses wildcards in BY fields, and in function fields outside stats, at the field', async () => {
    let e = await errorOf('| makeresults | eval source1=1 | stats count BY host, source*');
    expect(e.message).toMatch(/BY fields cannot have wildcards \(source\*\)/);
    expect(e.format()).toContain('at 1:55');
    e = await errorOf('| makeresults | eval x=1 | streamstats values(*) AS * BY x');
    expect(e.message).toMatch(/wildcard field in values\(\*\) is supported by stats and eventstats only/);
    expect(e.format()).toContain('at 1:47');
    expect((await errorOf('| makeresults | eval delay=1 | timechart avg(*lay)')).code).toBe('SPL_BAD_ARGUMENT');
  });

  it('emits rows that read, write and copy as rows set field by field: a null result is no field, a write keeps the order', async () => {
    const rows = await search('* | stats count max(n) as top min(n) as low by g | eval count=count*10, extra=1 | eval low=null()', events.slice(0, 2));
    expect(rows.map((r) => r.fieldNames())).toEqual([
      ['g', 'count', 'top', 'extra'],
      ['g', 'count', 'top', 'extra'],
    ]);
    expect(rowsText(rows)).toEqual([
      { g: 'a', count: '10', top: '9', extra: '1' },
      { g: 'b', count: '10', top: '10', extra: '1' },
    ]);
    const plain = await search('* | stats count max(x) as none by g', events.slice(0, 2));
    expect(plain.map((r) => r.fieldNames())).toEqual([
      ['g', 'count'],
      ['g', 'count'],
    ]);
    const copy = plain[0]!.clone();
    copy.set('count', 5);
    expect([copy.get('count'), plain[0]!.get('count'), copy.fieldNames()]).toEqual([5, 1, ['g', 'count']]);
  });

  it('values() is distinct, case-sensitive, in byte order (uppercase first)', async () => {
    const rows = rowsText(await search('* | stats values(v) as vs by g', events));
    expect(rows[0]).toEqual({ g: 'a', vs: ['Apple', 'apple'] });
  });

  // Byte order is UTF-8's: a character above U+FFFF (4 bytes from F0) sorts after U+E000-U+FFFF (3 bytes from EE),
  // where JavaScript's UTF-16 comparison puts its surrogates (D800-DFFF) first.
  it('orders text by its UTF-8 bytes past the BMP: values(), BY groups, sort, mvsort', async () => {
    const mk = '| makeresults count=3 | streamstats count as i | eval v=case(i=1, "\u{1F600}", i=2, "\u{FF21}", i=3, "z")';
    const order = ['z', '\u{FF21}', '\u{1F600}'];
    expect(await run(`${mk} | stats values(v) as vs`)).toEqual([{ vs: order }]);
    expect((await run(`${mk} | stats count by v`)).map((r) => r.v)).toEqual(order);
    expect((await run(`${mk} | sort str(v) | fields v`)).map((r) => r.v)).toEqual(order);
    expect((await run(`| makeresults | eval m=mvsort(mvappend("\u{1F600}", "\u{FF21}", "z"))`)).map((r) => r.m)).toEqual([order]);
  });

  it('count(x) counts values, dc counts distinct text, sum/avg ignore non-numbers', async () => {
    const rows = rowsText(await search('* g=a | stats count(n) as c dc(v) as d sum(n) as s avg(n) as m', events));
    expect(rows).toEqual([{ c: '3', d: '2', s: '109', m: '54.5' }]);
  });

  it('min/max compare numbers numerically, and text sorts after every number', async () => {
    const rows = rowsText(await search('* | stats min(n) as lo max(n) as hi', events));
    expect(rows).toEqual([{ lo: '1', hi: 'x' }]);
    expect(rowsText(await search('* n!=x | stats min(n) as lo max(n) as hi', events))).toEqual([{ lo: '1', hi: '100' }]);
  });

  it('without BY returns exactly one row, even for no input', async () => {
    expect(rowsText(await search('nomatch | stats count', events))).toEqual([{ count: '0' }]);
    expect(rowsText(await search('nomatch | stats values(v) as v, count', events))).toEqual([{ count: '0' }]);
  });

  it('first/last follow search order (newest first); earliest/latest follow _time', async () => {
    const rows = rowsText(await search('* g=a | stats first(n) as f last(n) as l earliest(n) as e latest(n) as t', events));
    // events of g=a are at +1 (9), +2 (100), +3 (x): newest first is x, 100, 9
    expect(rows).toEqual([{ f: 'x', l: '9', e: '9', t: 'x' }]);
  });

  // SPL reference, "Event order functions": its table of six results in this order, 2020-04-28 00:15:05,
  // 2020-05-01 00:15:04, 2020-04-30 00:15:02, 2020-04-28 00:15:01, 2020-05-01 00:15:05, 2020-04-27 00:15:01:
  // first is the 1st, last the 6th, latest the 5th, earliest the 6th ("both the chronologically earliest event
  // and the last event"). earliest_time/latest_time ("Time functions") are those results' UNIX times.
  it('first, last, earliest and latest pick the results of the reference table, in stats, chart and eventstats', async () => {
    const times = ['2020-04-28 00:15:05', '2020-05-01 00:15:04', '2020-04-30 00:15:02', '2020-04-28 00:15:01', '2020-05-01 00:15:05', '2020-04-27 00:15:01'];
    const table = `| makeresults count=6 | streamstats count as n | eval _time=strptime(case(${times.map((t, i) => `n=${i + 1}, "${t}"`).join(', ')}), "%Y-%m-%d %H:%M:%S")`;
    const fns = 'first(n) as f last(n) as l earliest(n) as e latest(n) as t';
    const want = { f: 1, l: 6, e: 6, t: 5 };
    expect(await run(`${table} | stats ${fns} earliest_time(n) as et latest_time(n) as lt`)).toEqual([{ ...want, et: 1587946501, lt: 1588292105 }]);
    expect(await run(`${table} | chart ${fns}`)).toEqual([want]);
    const each = await run(`${table} | eventstats ${fns} | table f l e t`);
    expect(each).toEqual(Array.from({ length: 6 }, () => want));
  });

  it('list() keeps event order and duplicates', async () => {
    const rows = rowsText(await search('* g=a | stats list(v) as l', events));
    expect(rows).toEqual([{ l: ['apple', 'Apple', 'apple'] }]);
  });

  it('count(eval(...)) counts rows where the condition holds', async () => {
    const rows = rowsText(await search("* | stats count(eval(g=\"a\")) as big", events));
    expect(rows).toEqual([{ big: '3' }]);
  });

  it('count(eval(...)) without AS is an error at the call, as in Splunk (its text is no usable field name)', async () => {
    const e = await errorOf('| makeresults | stats count  count(eval(x="a")) by x');
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain('needs a name: add AS <field>');
    expect(e.format()).toContain('1:30');
    expect((await errorOf('| makeresults | eventstats sum(eval(1))')).code).toBe('SPL_BAD_ARGUMENT');
  });

  it('eventstats adds group aggregates to every row, streamstats runs in order', async () => {
    const rows = rowsText(await search('* g=a | eventstats count as c by g | table v c', events));
    expect(rows.map((r) => r['c'])).toEqual(['3', '3', '3']);
  });
});

describe('stats functions on documented examples', () => {
  /** One result per value (an `eval` of a comma list then mvexpand), so stats sees them as separate events. */
  const values = (list: string) => `| makeresults | eval v=split("${list}", ",") | mvexpand v`;
  const one = async (spl: string) => rowsText(await search(spl))[0];

  // Aggregate functions reference, sumsq(): temperatures 65, 42, 40, 31, 47, 53, 64 give mean 48.857142857142854,
  // sumsq 17664, stdev 12.615183595289349 (vigil's exact variance: ...334, the same to 15 digits, docs/spl.md).
  // The stats and mean() pages: a group of one value (magType MbLg, count 1) has stdev and var 0.000000.
  it('mean, sumsq and stdev of the documented temperatures; stdev and var of one value are 0', async () => {
    const rows = await run(`${values('65,42,40,31,47,53,64')} | stats mean(v) AS m, sumsq(v) AS q, stdev(v) AS sd`);
    expect(rows[0]!.m).toBe(48.857142857142854);
    expect(rows[0]!.q).toBe(17664);
    expect(Number((rows[0]!.sd as number).toPrecision(15))).toBe(12.6151835952893);
    expect(await run(`${values('0')} | stats count, stdev(v) AS sd, var(v) AS var, stdevp(v) AS sdp, varp(v) AS varp`)).toEqual([
      { count: 1, sd: 0, var: 0, sdp: 0, varp: 0 },
    ]);
    expect(await run(`${values('x')} | stats stdev(v) AS sd, var(v) AS var`)).toEqual([{}]);
  });

  it('median of an even count is the higher of the two middle values; of an odd count the middle one', async () => {
    expect(await one(`${values('1,2,3,4')} | stats median(v) as m`)).toEqual({ m: '3' });
    expect(await one(`${values('4,1,3,2')} | stats median(v) as m`)).toEqual({ m: '3' });
    expect(await one(`${values('5,1,4,2,3')} | stats median(v) as m`)).toEqual({ m: '3' });
    expect(await one(`${values('10,9,8,7,6,5,4,3,2,1')} | stats median(v) as m`)).toEqual({ m: '6' });
    // Non-numbers are ignored; no numbers, no value.
    expect(await one(`${values('1,x,2')} | stats median(v) as m`)).toEqual({ m: '2' });
    expect(await one(`${values('x,y')} | stats median(v) as m count`)).toEqual({ count: '2' });
  });

  it('perc, p, exactperc and upperperc use the same nearest rank as median (0-based rank floor(p/100 × count))', async () => {
    const spl = `${values('1,2,3,4')} | stats perc50(v) as a p50(v) as b exactperc50(v) as c upperperc50(v) as d perc25(v) as e p100(v) as f`;
    expect(await one(spl)).toEqual({ a: '3', b: '3', c: '3', d: '3', e: '2', f: '4' });
    expect(await one(`${values('10,9,8,7,6,5,4,3,2,1')} | stats perc95(v) as a perc90(v) as b perc5(v) as c p99.5(v) as d`)).toEqual({ a: '10', b: '10', c: '1', d: '10' });
    // The rank is computed without binary rounding: 29% of 100 values is rank 29 (0.29 × 100 is 28.999…).
    const hundred = '| makeresults count=100 | streamstats count as v';
    expect(await one(`${hundred} | stats perc29(v) as a perc50(v) as b median(v) as c`)).toEqual({ a: '30', b: '51', c: '51' });
  });

  it('sumsq, range, stdev and var of the numeric values', async () => {
    expect(await one(`${values('1,2,3,x')} | stats sumsq(v) as q range(v) as r var(v) as s2 varp(v) as p2`)).toEqual({ q: '14', r: '2', s2: '1', p2: '0.666666666666667' });
  });

  it('max and min order numbers before strings, strings lexicographically', async () => {
    expect(await one(`${values('9,10,100,abc')} | stats max(v) as hi min(v) as lo`)).toEqual({ hi: 'abc', lo: '9' });
    expect(await one(`${values('9,10,100')} | stats max(v) as hi min(v) as lo`)).toEqual({ hi: '100', lo: '9' });
    expect(await one(`${values('abc,Abd,b')} | stats max(v) as hi min(v) as lo`)).toEqual({ hi: 'b', lo: 'Abd' });
    // "1", "1.0" and "01" are one numeric value for max/min.
    expect(await one(`${values('01,1.0,1')} | stats max(v) as hi min(v) as lo dc(v) as d`)).toEqual({ hi: '1', lo: '1', d: '3' });
  });

  it('eventstats and streamstats share the functions of stats', async () => {
    const ev = rowsText(await search(`${values('9,10,100,abc')} | eventstats max(v) as hi median(v) as m | table v hi m`));
    expect(ev.map((r) => [r['hi'], r['m']])).toEqual(Array(4).fill(['abc', '10']));
    const st = rowsText(await search(`${values('9,10,100,abc')} | streamstats max(v) as hi min(v) as lo median(v) as m | table v hi lo m`));
    expect(st.map((r) => [r['hi'], r['lo'], r['m']])).toEqual([
      ['9', '9', '9'],
      ['10', '9', '10'],
      ['100', '9', '10'],
      ['abc', '9', '10'],
    ]);
  });
});

describe('aggregations past the largest double', () => {
  it('are null, not Infinity or NaN (printing them as _time threw a RangeError in strftime)', async () => {
    const big = '| makeresults count=3 | streamstats count as n | eval x=1e308, y=if(n=1, 1e308, -1e308)';
    expect(await run(`${big} | stats sum(x) as s avg(x) as a sumsq(x) as q var(x) as v stdev(x) as d range(x) as r0 range(y) as r max(x) as m`)).toEqual([
      { r0: 0, m: 1e308 },
    ]);
    expect(await run(`${big} | stats sum(x) as _time | table _time`)).toEqual([{}]);
    expect((await run(`${big} | eventstats sum(x) as _time | table _time`)).length).toBe(3);
    expect((await run(`${big} | streamstats sum(x) as t | table t`)).map((r) => r['t'])).toEqual([1e308, undefined, undefined]);
  });
});
