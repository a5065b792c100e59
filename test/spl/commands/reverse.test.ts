import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { errorOf, NOW, run } from './helpers.js';

// Search Reference, reverse (https://help.splunk.com/splunk-enterprise/spl-search-reference/9.0/search-commands/reverse):
// "Reverses the order of the results. The reverse command does not affect which results are returned by the search,
// only the order in which the results are displayed"; syntax "reverse"; "a dataset processing command".

describe('reverse', () => {
  // The SPL2 page's example: "stats count, max(mag), ... BY magType" is sorted by magType; "If you add the reverse
  // command to the end of the search the rows of the results are reversed."
  it('reverses the rows of a stats (the reference example)', async () => {
    const spl = '| makeresults count=4 | streamstats count AS n | eval magType=case(n=1, "Md", n=2, "H", n=3, "Me", n=4, "MbLg") | stats count BY magType';
    expect((await run(spl)).map((r) => r.magType)).toEqual(['H', 'MbLg', 'Md', 'Me']);
    expect((await run(`${spl} | reverse`)).map((r) => r.magType)).toEqual(['Me', 'Md', 'MbLg', 'H']);
  });

  // Events come newest first; reversed, oldest first (the reason accum's users put reverse before it).
  it('gives events oldest first, and head after it the oldest', async () => {
    const events = jsonEvents([{ b: 1 }, { b: 2 }, { b: 3 }]);
    expect(rowsText(await search('* | table b', events))).toEqual([{ b: '3' }, { b: '2' }, { b: '1' }]);
    expect(rowsText(await search('* | reverse | table b', events))).toEqual([{ b: '1' }, { b: '2' }, { b: '3' }]);
    expect(rowsText(await search('* | reverse | head 1 | table b', events))).toEqual([{ b: '1' }]);
    expect(rowsText(await search('* | reverse | reverse | table b', events))).toEqual([{ b: '3' }, { b: '2' }, { b: '1' }]);
    expect(rowsText(await search('* | reverse | accum b AS t | table t', events))).toEqual([{ t: '1' }, { t: '3' }, { t: '6' }]);
  });

  it('keeps every result, none, or one', async () => {
    expect(await run('| makeresults count=3 | streamstats count AS n | where n>5 | reverse')).toEqual([]);
    expect((await run('| makeresults count=1000 | streamstats count AS n | reverse | table n')).map((r) => r.n)).toEqual(
      Array.from({ length: 1000 }, (_, i) => 1000 - i),
    );
  });

  it('takes no arguments', async () => {
    const e = await errorOf('| makeresults | reverse 10');
    expect([e.code, e.message]).toEqual(['SPL_SYNTAX', "unexpected '10'"]);
  });

  it('sorts its input newest first when the source is unordered, and nothing after it', async () => {
    const p = plan('* | reverse | eval k=1', { now: NOW, tz: 'UTC', sourceNewestFirst: false });
    expect(p.stages.map((s) => s.sortBefore)).toEqual([true, false]);
    expect(p.sortAtEnd).toBe(false);
    expect(describeSplit(p, splitPlan(p))).toBe(
      'parallel: per partition: scan, leading search; final: newest-first sort, reverse, eval (order matters from reverse on: the final part sorts the rows newest first)',
    );
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | reverse | table _time process_id', '* | eval k=process_id % 5 | reverse | dedup k'], 8, NOW, 3);
  }, 120_000);
});
