import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Search Reference, mvcombine (https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/mvcombine):
// "Takes a group of events that are identical except for the specified field, which contains a single value, and
// combines those events into a single event. The specified field becomes a multivalue field that contains all of the
// single values from the combined events"; "mvcombine command does not apply to internal fields"; "mvcombine
// [delim=<string>] <field>"; delim "Defines the string to use as the delimiter for the values that get combined into
// the multivalue field ... Default: a single space"; "If you use the delim argument, you must use the nomv command
// immediately after the mvcombine command"; "The mvcombine command is a transforming command"; "finds groups of
// results where all field values are identical, except the specified field. All of these results are merged into a
// single result". Expected groups are worked out by hand.

/** Five results: (host, max, min) = (a,10,1) (b,10,1) (c,20,2) (d,10,1) (e,20,2). */
const input =
  '| makeresults count=5 | streamstats count AS n | eval host=mvindex(split("a,b,c,d,e", ","), n - 1), max=if(n=3 OR n=5, 20, 10), min=if(n=3 OR n=5, 2, 1) | fields - _time n';

describe('mvcombine', () => {
  it('combines results identical but for the field; groups in order of their first result, values in input order', async () => {
    const rows = await run(`${input} | mvcombine host`);
    expect(rows).toEqual([
      { max: 10, min: 1, host: ['a', 'b', 'd'] },
      { max: 20, min: 2, host: ['c', 'e'] },
    ]);
  });

  it('compares every other field, whatever their order; a lone value stays single', async () => {
    const rows = await run(`${input} | eval extra=if(host="b", "x", null()) | mvcombine host`);
    expect(rows.map((r) => r.host)).toEqual([['a', 'd'], 'b', ['c', 'e']]);
    // The same fields written in another order are the same result.
    const swapped = await run('| makeresults count=2 | streamstats count AS n | eval a=if(n=1, 1, null()), b=2, a=1 | fields - _time | mvcombine n');
    expect(swapped).toEqual([{ b: 2, a: 1, n: [1, 2] }]);
  });

  it('keeps duplicate values, adds each value of a multivalue, skips results without the field', async () => {
    const rows = await run('| makeresults count=4 | streamstats count AS n | eval k=1, v=case(n=1, "x", n=2, split("y;z", ";"), n=3, "x") | fields - _time n | mvcombine v');
    expect(rows).toEqual([{ k: 1, v: ['x', 'y', 'z', 'x'] }]);
  });

  it('delim= is what nomv right after joins the values with; without it nomv joins with a space', async () => {
    expect((await run(`${input} | mvcombine delim=";" host | nomv host`)).map((r) => r.host)).toEqual(['a;b;d', 'c;e']);
    expect((await run(`${input} | mvcombine host | nomv host`)).map((r) => r.host)).toEqual(['a b d', 'c e']);
    // A multivalue made anew (eval) is joined with nomv's newline again.
    expect((await run(`${input} | mvcombine delim=";" host | eval host=mvappend(host, "z") | nomv host`))[0]!.host).toBe('a\nb\nd\nz');
  });

  it('compares internal fields too: raw events differing in _raw or _time are not combined', async () => {
    const rows = await search('* | mvcombine a | table a', jsonEvents([{ a: 1 }, { a: 2 }]));
    expect(rowsText(rows)).toEqual([{ a: '2' }, { a: '1' }]);
    const reduced = await search('* | table b a | mvcombine a', jsonEvents([{ a: 1, b: 'x' }, { a: 2, b: 'x' }, { a: 3, b: 'y' }]));
    expect(rowsText(reduced)).toEqual([{ b: 'y', a: '3' }, { b: 'x', a: ['2', '1'] }]);
  });

  it('refuses a missing field, two fields, an internal field, a wildcard', async () => {
    expect((await errorOf('| makeresults | mvcombine')).code).toBe('SPL_SYNTAX');
    expect((await errorOf('| makeresults | mvcombine a b')).code).toBe('SPL_SYNTAX');
    const internal = '| makeresults | mvcombine _time';
    const e = await errorOf(internal);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(internal, '_time'));
    expect((await errorOf('| makeresults | mvcombine a*')).code).toBe('SPL_BAD_ARGUMENT');
  });

  it('runs after the order is set, and gives the one-thread results', async () => {
    const p = plan('* | table process_name | mvcombine process_name', { now: NOW, tz: 'UTC', sourceNewestFirst: true });
    expect(describeSplit(p, splitPlan(p))).toContain('final: rows in partition order, mvcombine');
    await expectPartitionedLikeOnePass(['* | eval k=len(process_name) % 3 | table k process_id | mvcombine process_id'], 6, NOW, 0);
  }, 120_000);
});
