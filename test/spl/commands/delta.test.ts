import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Search Reference, delta (https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/delta):
// "delta <field> [AS <newfield>] [p=int]"; newfield "Default: delta(<field>)"; p "Specifies how many results prior
// to the current result to use for the comparison ... If p=2, compares the current result value against the value in
// the result that is two results prior to the current result ... Default: 1"; "If <field> is not a numeric field, no
// output field is generated" (6.6 wording: "If field is not a number in either of the two values, no output field is
// generated"); "the events for historical searches are in reverse time order ... Values ascending over time show
// negative deltas". Expected differences are worked out by hand.

/** Rows whose field `x` takes the given values in order ('' = missing); `n` numbers them from 1. */
const input = (xs: readonly string[]) =>
  `| makeresults count=${xs.length} | streamstats count AS n | eval x=mvindex(split("${xs.join(',')}", ","), n - 1) | eval x=if(x="", null(), x)`;
const deltas = async (spl: string, field = 'delta(x)') => (await run(`${spl} | table n ${field}`)).map((r) => r[field] ?? null);

describe('delta', () => {
  it('writes the difference from the previous result into delta(<field>); the first gets none', async () => {
    expect(await deltas(`${input(['10', '13', '9', '9'])} | delta x`)).toEqual([null, 3, -4, 0]);
  });

  it('p=2 compares with the result two before; AS names the field', async () => {
    expect(await deltas(`${input(['1', '2', '4', '8', '16'])} | delta x AS d p=2`, 'd')).toEqual([null, null, 3, 6, 12]);
    // Options may come first, as other commands take them.
    expect(await deltas(`${input(['1', '2', '4', '8', '16'])} | delta p=3 x AS d`, 'd')).toEqual([null, null, null, 7, 14]);
  });

  // Results count whether or not they hold a number: with p=1 the value right before, whatever it is.
  it('gives no value when either value is not a number: missing, text, a multivalue', async () => {
    expect(await deltas(`${input(['5', 'abc', '7', '9', '', '2', 'a;b', '4'])} | eval x=if(x="a;b", split(x, ";"), x) | delta x`)).toEqual([
      null, null, null, 2, null, null, null, null,
    ]);
    expect(await deltas(`${input(['1', 'x', '4', '10'])} | delta x p=2`)).toEqual([null, null, 3, null]);
  });

  it('leaves an existing output field alone where it gives no value, removes it on an overflow', async () => {
    const rows = await run(`${input(['1', 'z', '1e308', '-1e308'])} | eval d="old" | delta x AS d | table d`);
    expect(rows.map((r) => r.d ?? null)).toEqual(['old', 'old', 'old', null]);
  });

  it('can replace the field itself, reading it before writing', async () => {
    expect((await run(`${input(['3', '5', '10'])} | delta x AS x | table x`)).map((r) => r.x)).toEqual(['3', 2, 5]);
  });

  it('runs in search order: values ascending over time show negative deltas', async () => {
    const rows = await search('* | delta b | delta _time AS gap | table b delta(b) gap', jsonEvents([{ b: 1 }, { b: 10 }, { b: 100 }]));
    expect(rowsText(rows)).toEqual([{ b: '100' }, { b: '10', 'delta(b)': '-90', gap: '-1' }, { b: '1', 'delta(b)': '-9', gap: '-1' }]);
  });

  it('bounds p: 1 to 10,000 (a p larger than the input gives no value)', async () => {
    expect(await deltas(`${input(['1', '2', '3'])} | delta x p=10000`)).toEqual([null, null, null]);
    for (const p of ['0', '10001', '99999999999999999999', 'abc', '-1', '1.5']) {
      const spl = `| makeresults | delta x p=${p}`;
      const e = await errorOf(spl);
      expect(e.code, p).toBe('SPL_BAD_ARGUMENT');
      expect(e.format()).toContain(at(spl, p, spl.indexOf('p=')));
    }
    expect((await errorOf('| makeresults | delta x p=10001')).message).toBe('p=10001 is larger than 10000, the most results delta looks back');
    expect((await errorOf('| makeresults | delta')).code).toBe('SPL_SYNTAX');
  });

  it('keeps the final part of a split from delta on, and gives the one-thread results', async () => {
    const p = plan('* | eval k=1 | delta process_id', { now: NOW, tz: 'UTC', sourceNewestFirst: false });
    expect(describeSplit(p, splitPlan(p))).toBe(
      'parallel: per partition: scan, leading search, eval; final: newest-first sort, delta (order matters from delta on: the final part sorts the rows newest first)',
    );
    const store = plan('* | delta process_id', { now: NOW, tz: 'UTC', sourceNewestFirst: true });
    expect(describeSplit(store, splitPlan(store))).toBe(
      'parallel: per partition: scan, leading search; final: rows in partition order, delta (delta depends on the order of its input: the final part takes the rows partition after partition)',
    );
    await expectPartitionedLikeOnePass(['* | delta process_id AS d p=3 | table _time process_id d'], 4, NOW, 100);
  }, 120_000);
});
