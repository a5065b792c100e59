import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { plan, runSearch } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Expectations are counted by hand from the inputs. Semantics from the SPL reference (Splunk Enterprise 9.4,
// Search Reference, "top": https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/top,
// and "rare": https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/rare).

/** Rows whose field `x` takes the given values in order ('' = missing); `n` numbers them from 1. */
const input = (xs: readonly string[], field = 'x') =>
  `| makeresults count=${xs.length} | streamstats count AS n | eval ${field}=mvindex(split("${xs.join(',')}", ","), n - 1) | eval ${field}=if(${field}="", null(), ${field})`;

describe('top', () => {
  it('counts each value, most common first, with its percent of the rows that have the field', async () => {
    // "Calculates a count and a percentage of the frequency the values occur in the events" (top, Description).
    expect(await run(`${input(['b', 'a', 'a', 'c', 'a', 'b'])} | top x`)).toEqual([
      { x: 'a', count: 3, percent: '50.000000' },
      { x: 'b', count: 2, percent: '33.333333' },
      { x: 'c', count: 1, percent: '16.666667' },
    ]);
    // Rows missing the field are not counted, in the counts or in the total (2 of 3 rows that have x).
    expect(await run(`${input(['a', '', 'b', 'a', ''])} | top x`)).toEqual([
      { x: 'a', count: 2, percent: '66.666667' },
      { x: 'b', count: 1, percent: '33.333333' },
    ]);
  });

  it('breaks ties by the last value in lexicographic order first', async () => {
    // top, "Lexicographic order of results": "only the last lexicographical value of the <field-list> is returned".
    // The reference's own search and results.
    const doc =
      '| makeresults | eval location="Orlando Dallas Atlanta" | makemv location | mvexpand location | eval user="Alex Kai Morgan" | makemv user | mvexpand user | top limit=1 location by user';
    expect(await run(doc)).toEqual([
      { user: 'Alex', location: 'Orlando', count: 1, percent: '33.333333' },
      { user: 'Kai', location: 'Orlando', count: 1, percent: '33.333333' },
      { user: 'Morgan', location: 'Orlando', count: 1, percent: '33.333333' },
    ]);
    expect(await run(`${input(['d', 'b', 'c', 'a', 'b', 'd', 'a'])} | top x showperc=f`)).toEqual([
      { x: 'd', count: 2 },
      { x: 'b', count: 2 },
      { x: 'a', count: 2 },
      { x: 'c', count: 1 },
    ]);
    // Lexicographic, numbers too: "9" > "100" > "10".
    expect(await run(`${input(['10', '9', '100', '9', '10', '100'])} | eval x=tonumber(x) | top x showperc=f`)).toEqual([
      { x: 9, count: 2 },
      { x: 100, count: 2 },
      { x: 10, count: 2 },
    ]);
  });

  it('returns 10 values by default, N or limit=N of them, every value with limit=0', async () => {
    // "Default: 10"; "Specifying top limit=<int> is the same as specifying top N"; "To return all values, specify zero".
    const twelve = input(['l', 'k', 'j', 'i', 'h', 'g', 'f', 'e', 'd', 'c', 'b', 'a', 'a']);
    const xs = async (spl: string) => (await run(spl)).map((r) => r.x);
    // a twice, the others once (ties: the last in lexicographic order first).
    expect(await xs(`${twelve} | top x`)).toEqual(['a', 'l', 'k', 'j', 'i', 'h', 'g', 'f', 'e', 'd']);
    expect(await xs(`${twelve} | top 3 x`)).toEqual(['a', 'l', 'k']);
    expect(await xs(`${twelve} | top limit=3 x`)).toEqual(['a', 'l', 'k']);
    expect(await xs(`${twelve} | top x limit=3`)).toEqual(['a', 'l', 'k']);
    expect(await xs(`${twelve} | top limit=0 x`)).toEqual(['a', 'l', 'k', 'j', 'i', 'h', 'g', 'f', 'e', 'd', 'c', 'b']);
    expect(await xs(`${twelve} | top 0 x`)).toHaveLength(12);
  });

  it('counts combinations of several fields, skipping rows missing any of them', async () => {
    const spl = `${input(['a', 'a', 'b', 'a', 'b'])} | eval y=case(n=1, "p", n=2, "p", n=3, "q", n=4, "q")`;
    // Row 5 has no y: 4 rows count. (a,p) 2, (a,q) 1, (b,q) 1.
    expect(await run(`${spl} | top x, y`)).toEqual([
      { x: 'a', y: 'p', count: 2, percent: '50.000000' },
      { x: 'b', y: 'q', count: 1, percent: '25.000000' },
      { x: 'a', y: 'q', count: 1, percent: '25.000000' },
    ]);
    expect(await run(`${spl} | top y x showperc=false`)).toEqual([
      { y: 'p', x: 'a', count: 2 },
      { y: 'q', x: 'b', count: 1 },
      { y: 'q', x: 'a', count: 1 },
    ]);
  });

  it('with BY ranks the values within each group (groups in order of their values), percent of the group', async () => {
    // "If the <by-clause> is included, the results are grouped by the field you specify".
    // g=10: a a b (3 rows); g=9: c b b b (4 rows); row 8 has no g.
    const spl = `${input(['a', 'c', 'a', 'b', 'b', 'b', 'b', 'a'])} | eval g=case(n<=1 OR n=3 OR n=4, 10, n<=7, 9)`;
    expect(await run(`${spl} | top x by g`)).toEqual([
      { g: 9, x: 'b', count: 3, percent: '75.000000' },
      { g: 9, x: 'c', count: 1, percent: '25.000000' },
      { g: 10, x: 'a', count: 2, percent: '66.666667' },
      { g: 10, x: 'b', count: 1, percent: '33.333333' },
    ]);
    // The limit applies per group: "top 1 productName by categoryId" gives the top product of each category.
    expect(await run(`${spl} | top 1 x by g showperc=f countfield=total`)).toEqual([
      { g: 9, x: 'b', total: 3 },
      { g: 10, x: 'a', total: 2 },
    ]);
  });

  it('counts each value of a multivalue field; a number and its text are one value', async () => {
    // Row 1 x=a,b; row 2 x=a: a 2, b 1 of 3 values.
    const mv = `| makeresults count=2 | streamstats count AS n | eval x=if(n=1, split("a,b", ","), "a")`;
    expect(await run(`${mv} | top x`)).toEqual([
      { x: 'a', count: 2, percent: '66.666667' },
      { x: 'b', count: 1, percent: '33.333333' },
    ]);
    // 1 (a number), "1" and "1" are one value (as stats BY groups them: by text), shown as first seen; "01" is another.
    const nums = `${input(['1', '1', '01', '1'])} | eval x=if(n=1, 1, x)`;
    expect(await run(`${nums} | top x`)).toEqual([
      { x: 1, count: 3, percent: '75.000000' },
      { x: '01', count: 1, percent: '25.000000' },
    ]);
  });

  it('names and hides the count and percent fields', async () => {
    const spl = input(['a', 'b', 'a']);
    expect(await run(`${spl} | top x countfield=c percentfield=p`)).toEqual([
      { x: 'a', c: 2, p: '66.666667' },
      { x: 'b', c: 1, p: '33.333333' },
    ]);
    expect(await run(`${spl} | top x showcount=f`)).toEqual([
      { x: 'a', percent: '66.666667' },
      { x: 'b', percent: '33.333333' },
    ]);
    expect(await run(`${spl} | top x showcount=false showperc=false`)).toEqual([{ x: 'a' }, { x: 'b' }]);
  });

  it('useother=true adds a row for the values cut off by the limit, named by otherstr', async () => {
    // "useother: ... add a row that represents all values not included due to the limit cutoff"; otherstr "Default: OTHER".
    const spl = input(['a', 'b', 'a', 'c', 'd', 'a', 'b']);
    expect(await run(`${spl} | top 2 x useother=t`)).toEqual([
      { x: 'a', count: 3, percent: '42.857143' },
      { x: 'b', count: 2, percent: '28.571429' },
      { x: 'OTHER', count: 2, percent: '28.571429' },
    ]);
    expect(await run(`${spl} | eval y="k" | top 1 x y useother=t otherstr="the rest" showperc=f`)).toEqual([
      { x: 'a', y: 'k', count: 3 },
      { x: 'the rest', y: 'the rest', count: 4 },
    ]);
    // Nothing cut off: no OTHER row.
    expect(await run(`${spl} | top 4 x useother=t showperc=f`)).toHaveLength(4);
    expect(await run(`${spl} | top 0 x useother=t showperc=f`)).toHaveLength(4);
    // Per BY group: g=0 is b, c, a (one each), g=1 is a, a, d, b.
    expect(await run(`${spl} | eval g=n%2 | top 1 x by g useother=t showperc=f`)).toEqual([
      { g: 0, x: 'c', count: 1 },
      { g: 0, x: 'OTHER', count: 2 },
      { g: 1, x: 'a', count: 2 },
      { g: 1, x: 'OTHER', count: 2 },
    ]);
  });

  it('returns at most 50,000 results (maxresultrows), with a warning', async () => {
    // top, "Default maximum number of results": "By default the top command returns a maximum of 50,000 results".
    const warnings: string[] = [];
    const { results } = await runSearch('| makeresults count=50002 | streamstats count AS x | top limit=0 x showperc=f', { now: NOW, onWarning: (m) => warnings.push(m) });
    expect(results).toHaveLength(50_000);
    // All counts 1: the last values in lexicographic order first ("9999" before "50002"... before "10000").
    expect(toObject(results[0]!)).toEqual({ x: 9999, count: 1 });
    expect(warnings).toEqual(['top returned its first 50000 results (Splunk\'s maxresultrows)']);
  });

  it('bad arguments are errors at their position', async () => {
    const cases: [string, string, string][] = [
      ['| makeresults | top', 'top needs at least one field', 'top'],
      ['| makeresults | top limit=5', 'top needs at least one field', 'top'],
      ['| makeresults | top x foo=1', 'top has no option foo', 'foo'],
      ['| makeresults | top limit=-1 x', 'expected an integer >= 0', '-1'],
      ['| makeresults | top limit=ten x', 'expected an integer >= 0', 'ten'],
      ['| makeresults | top x showperc=maybe', 'expected true or false', 'maybe'],
      ['| makeresults | top x* by y', 'cannot have wildcards', 'x*'],
      ['| makeresults | top x by', 'BY needs at least one field', 'by'],
      ['| makeresults | top x by y by z', 'takes one BY clause', 'by z'],
      ['| makeresults | rare x by y z w=3', 'rare has no option w', 'w=3'],
      ['| makeresults | top x countfield=""', 'countfield= needs a field name', '""'],
      // rare: "Specifying a value larger than the maxresultrows produces an error" (50,000 by default).
      ['| makeresults | rare limit=50001 x', 'rare limit= is at most 50000', '50001'],
    ];
    for (const [spl, message, where] of cases) {
      const e = await errorOf(spl);
      expect(e.message, spl).toContain(message);
      // 'top' and 'by': the error is at the end of the command, where a field should be.
      expect(e.format(), spl).toContain(where === 'top' || where === 'by' ? `at 1:${spl.length + 1}` : at(spl, where));
    }
    expect((await errorOf('| makeresults | top x foo=1')).code).toBe('SPL_BAD_ARGUMENT');
  });
});

describe('rare', () => {
  it('is top with the least common values first (ties: the first in lexicographic order first)', async () => {
    // "This command operates identically to the top command, except that the rare command finds the least
    // frequent values instead of the most frequent values" (rare, Description).
    const spl = input(['b', 'a', 'a', 'c', 'a', 'b', 'd']);
    expect(await run(`${spl} | rare x`)).toEqual([
      { x: 'c', count: 1, percent: '14.285714' },
      { x: 'd', count: 1, percent: '14.285714' },
      { x: 'b', count: 2, percent: '28.571429' },
      { x: 'a', count: 3, percent: '42.857143' },
    ]);
    expect(await run(`${spl} | rare limit=2 x showperc=f`)).toEqual([
      { x: 'c', count: 1 },
      { x: 'd', count: 1 },
    ]);
    expect(await run(`${spl} | eval g=if(n<=4, "p", "q") | rare 1 x by g countfield=k percentfield=pc`)).toEqual([
      { g: 'p', x: 'b', k: 1, pc: '25.000000' },
      { g: 'q', x: 'a', k: 1, pc: '33.333333' },
    ]);
  });
});

describe('top on several threads', () => {
  it('splits into a partial count per partition and a merge', () => {
    const p = plan('* | top process_name by node_name', { now: 1795200000, tz: 'UTC' });
    expect(describeSplit(p, splitPlan(p))).toBe('parallel: per partition: scan, leading search, top (partial state); final: merge top');
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass([
      '* | top process_name',
      '* | rare limit=5 process_name parent_process_name useother=t',
      '* | top 3 process_name by node_name showcount=f',
      '* | eval mv=if(process_id % 3 == 0, split(process_name, "s"), process_name) | top limit=0 mv by pod_name',
      '* | top 1 process_id useother=t otherstr=rest',
    ], 5, NOW);
  }, 120_000);
});
