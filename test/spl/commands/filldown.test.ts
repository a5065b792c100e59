import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { MAX_FILLDOWN_FIELDS } from '../../../src/spl/commands/filldown.js';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { errorOf, NOW, run } from './helpers.js';

// Search Reference, filldown (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/9.3.2408/search-commands/filldown):
// "Replaces null values with the last non-null value for a field or set of fields. If no list of fields is given, the
// filldown command will be applied to all fields. If there are not any previous values for a field, it is left blank
// (NULL)"; "filldown <wc-field-list>"; "You can use the asterisk ( * ) as a wildcard ... value*"; examples
// "... | filldown", "... | filldown count", "... | filldown count score*". Expected values are worked out by hand.

/** Four results: count 10, -, -, 40; score1 -, 7, -, -; score2 1, -, -, -; other -, a, -, -. */
const input =
  '| makeresults count=4 | streamstats count AS n | eval count=case(n=1, 10, n=4, 40), score1=if(n=2, 7, null()), score2=if(n=1, 1, null()), other=if(n=2, "a", null()) | fields - _time';
const col = (rows: Record<string, unknown>[], f: string) => rows.map((r) => r[f] ?? null);

describe('filldown', () => {
  it('without fields fills every field from the last result that had it; none before leaves it null', async () => {
    const rows = await run(`${input} | filldown`);
    expect(col(rows, 'count')).toEqual([10, 10, 10, 40]);
    expect(col(rows, 'score1')).toEqual([null, 7, 7, 7]);
    expect(col(rows, 'score2')).toEqual([1, 1, 1, 1]);
    expect(col(rows, 'other')).toEqual([null, 'a', 'a', 'a']);
  });

  it('filldown count fills count only', async () => {
    const rows = await run(`${input} | filldown count`);
    expect(col(rows, 'count')).toEqual([10, 10, 10, 40]);
    expect(col(rows, 'score1')).toEqual([null, 7, null, null]);
    expect(col(rows, 'other')).toEqual([null, 'a', null, null]);
  });

  it('filldown count score* fills count and the fields starting with score', async () => {
    const rows = await run(`${input} | filldown count score*`);
    expect(col(rows, 'count')).toEqual([10, 10, 10, 40]);
    expect(col(rows, 'score1')).toEqual([null, 7, 7, 7]);
    expect(col(rows, 'score2')).toEqual([1, 1, 1, 1]);
    expect(col(rows, 'other')).toEqual([null, 'a', null, null]);
  });

  it('counts an empty value as null (fillnull does) and carries a multivalue whole', async () => {
    const rows = await run('| makeresults count=3 | streamstats count AS n | eval m=case(n=1, split("x,y", ","), n=2, "") | filldown m');
    expect(col(rows, 'm')).toEqual([['x', 'y'], ['x', 'y'], ['x', 'y']]);
  });

  it('runs in search order (newest first over events)', async () => {
    const rows = await search('* | filldown b | table a b', jsonEvents([{ a: 1 }, { a: 2, b: 'old' }, { a: 3 }, { a: 4, b: 'new' }]));
    expect(rowsText(rows)).toEqual([{ a: '4', b: 'new' }, { a: '3', b: 'new' }, { a: '2', b: 'old' }, { a: '1', b: 'old' }]);
  });

  it(`remembers at most ${MAX_FILLDOWN_FIELDS} fields, then stops with SPL_RUNTIME`, async () => {
    const e = await errorOf(`| makeresults count=${MAX_FILLDOWN_FIELDS + 1} | streamstats count AS n | eval k="f".n | eval {k}=1 | fields - n k _time | filldown`);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain('more than 1000 distinct fields');
    // A named field is one field, whatever the rows hold.
    expect((await run(`| makeresults count=${MAX_FILLDOWN_FIELDS + 1} | streamstats count AS n | eval k="f".n | eval {k}=1 | filldown f1`)).length).toBe(1001);
  });

  it('keeps the final part of a split from filldown on, and gives the one-thread results', async () => {
    const p = plan('* | filldown process_id', { now: NOW, tz: 'UTC', sourceNewestFirst: true });
    expect(describeSplit(p, splitPlan(p))).toBe(
      'parallel: per partition: scan, leading search; final: rows in partition order, filldown (filldown depends on the order of its input: the final part takes the rows partition after partition)',
    );
    await expectPartitionedLikeOnePass(['* | eval p=if(process_id % 3 = 0, process_id, null()) | filldown p | table _time process_id p'], 5, NOW, 100);
  }, 120_000);
});
