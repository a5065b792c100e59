import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Search Reference, autoregress (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/9.3.2408/search-commands/autoregress):
// "autoregress <field> [AS <newfield>] [ p=<int> | p=<int>-<int> ]"; "For a single value, such as 3, the autoregress
// command copies field values from the third prior event into a new field ... if you specify a range such as p=2-4,
// then the field values from the second, third, and fourth prior events are copied into new fields. Default: 1";
// newfield is "Invalid if p is set to a range"; "If the newfield argument is not specified, the single or multiple
// values are copied into fields with the names <field>_p<num>"; "The first few events will lack the augmentation of
// prior values, since the prior values do not exist." Expectations are read off the inputs by hand.

/** Rows whose field `x` takes the given values in order ('' = missing); `n` numbers them from 1. */
const input = (xs: readonly string[], field = 'x') =>
  `| makeresults count=${xs.length} | streamstats count AS n | eval ${field}=mvindex(split("${xs.join(',')}", ","), n - 1) | eval ${field}=if(${field}="", null(), ${field})`;

describe('autoregress', () => {
  it('copies the previous value into <field>_p1 by default', async () => {
    const rows = await run(`${input(['a', 'b', 'c'])} | autoregress x | table x x_p1`);
    expect(rows).toEqual([{ x: 'a' }, { x: 'b', x_p1: 'a' }, { x: 'c', x_p1: 'b' }]);
  });

  // Example 1: "For each event, copy the 3rd previous value of the 'ip' field into the field 'old_ip'."
  it('copies the p-th prior value into the AS field (example 1)', async () => {
    const rows = await run(`${input(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'], 'ip')} | autoregress ip AS old_ip p=3 | table n old_ip`);
    expect(rows.map((r) => r.old_ip ?? null)).toEqual([null, null, null, '10.0.0.1', '10.0.0.2']);
  });

  // Example 2: "copy the 2nd, 3rd, 4th, and 5th previous values of the 'count' field ... into the fields 'count_p2',
  // 'count_p3', 'count_p4', and 'count_p5'."
  it('copies a range into one field per prior result (example 2)', async () => {
    const rows = await run(`${input(['1', '2', '3', '4', '5', '6'], 'count')} | autoregress count p=2-5 | fields - _time n`);
    expect(rows).toEqual([
      { count: '1' },
      { count: '2' },
      { count: '3', count_p2: '1' },
      { count: '4', count_p2: '2', count_p3: '1' },
      { count: '5', count_p2: '3', count_p3: '2', count_p4: '1' },
      { count: '6', count_p2: '4', count_p3: '3', count_p4: '2', count_p5: '1' },
    ]);
  });

  // Example 3: "Calculate a moving average of event size over the current event and the four prior events. This search
  // omits the moving_average for the initial events, where the field would be wrong, because addition with a null
  // field produces a null result." With sizes 1..6: (5+4+3+2+1)/5 = 3 and (6+5+4+3+2)/5 = 4.
  it('makes a moving average with eval (example 3)', async () => {
    const rows = await run(
      `${input(['1', '2', '3', '4', '5', '6'], 'rawlen')} | autoregress rawlen p=1-4 | eval moving_average=(rawlen + rawlen_p1 + rawlen_p2 + rawlen_p3 + rawlen_p4) / 5 | table moving_average`,
    );
    expect(rows.map((r) => r.moving_average ?? null)).toEqual([null, null, null, null, 3, 4]);
  });

  it('copies values as they are: numbers, multivalues; a prior result without the field gives none', async () => {
    const rows = await run(`${input(['7', '', 'u;v', 'w'])} | eval x=if(x="u;v", split(x, ";"), x) | eval x=if(n=1, 7, x) | autoregress x | table n x_p1`);
    expect(rows.map((r) => r.x_p1 ?? null)).toEqual([null, 7, null, ['u', 'v']]);
  });

  it('reads the field before writing, so AS may name it', async () => {
    expect((await run(`${input(['a', 'b', 'c'])} | autoregress x AS x | table x`)).map((r) => r.x)).toEqual(['a', 'a', 'b']);
  });

  it('copies in search order, newest first', async () => {
    const rows = await search('* | autoregress b | table b b_p1', jsonEvents([{ b: 1 }, { b: 2 }, { b: 3 }]));
    expect(rowsText(rows)).toEqual([{ b: '3' }, { b: '2', b_p1: '3' }, { b: '1', b_p1: '2' }]);
  });

  it('refuses AS with a range, a backwards range and p outside 1..10,000, at p= or AS', async () => {
    const cases = [
      ['| makeresults | autoregress x AS y p=2-3', 'AS names one field, so it cannot be used with a range p=<int>-<int>', 'y'],
      ['| makeresults | autoregress x p=4-2', 'p=4-2: the range must go from the nearer prior result to the farther, e.g. p=2-4', '4-2'],
      ['| makeresults | autoregress x p=0', 'expected an integer >= 1, found "0"', '0'],
      ['| makeresults | autoregress x p=1-10001', 'p=1-10001 reaches further back than 10000 results, the most autoregress copies from', '1-10001'],
      ['| makeresults | autoregress x p=99999999999999999999', 'p=99999999999999999999 reaches further back than 10000 results, the most autoregress copies from', '99999999999999999999'],
      ['| makeresults | autoregress x p=a-b', 'expected an integer >= 1, found "a-b"', 'a-b'],
    ] as const;
    for (const [spl, msg, where] of cases) {
      const e = await errorOf(spl);
      expect([e.code, e.message], spl).toEqual(['SPL_BAD_ARGUMENT', msg]);
      expect(e.format()).toContain(at(spl, where, spl.lastIndexOf(where)));
    }
    expect((await errorOf('| makeresults | autoregress')).code).toBe('SPL_SYNTAX');
  });

  // A range of 10,000 makes up to 10,000 fields a result and keeps 10,000 values: bounded, and done.
  it('takes the largest range on a few results', async () => {
    const rows = await run(`${input(['1', '2', '3'])} | autoregress x p=1-10000`);
    expect(rows.map((r) => Object.keys(r).filter((k) => k.startsWith('x_p')))).toEqual([[], ['x_p1'], ['x_p1', 'x_p2']]);
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | autoregress process_name p=1-3 | table _time process_name process_name_p1 process_name_p2 process_name_p3'], 6, NOW, 100);
  }, 120_000);
});
