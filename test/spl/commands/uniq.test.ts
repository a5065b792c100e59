import { describe, expect, it } from 'vitest';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "uniq" (Splunk Enterprise 9.0,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.0/search-commands/uniq): "This command removes any
// search result if that result is an exact duplicate of the previous result. This command does not take any
// arguments." Expected rows worked out by hand.

describe('uniq', () => {
  it('removes a result equal to the previous one only', async () => {
    // x per row: 1 1 2 1 1 -> 1 2 1
    const spl = '| makeresults count=5 | streamstats count | eval x=case(count=3, 2, true(), 1) | fields x | fields - _time | uniq';
    expect(await run(spl)).toEqual([{ x: 1 }, { x: 2 }, { x: 1 }]);
  });

  it('compares every field: internal ones, multivalues, and the fields a result lacks', async () => {
    expect(await run('| makeresults count=3 | streamstats count | eval _t=count, x=1 | fields - _time count | uniq')).toEqual([{ _t: 1, x: 1 }, { _t: 2, x: 1 }, { _t: 3, x: 1 }]);
    expect(await run('| makeresults count=2 | eval m=split("a,b", ",") | fields - _time | uniq')).toEqual([{ m: ['a', 'b'] }]);
    expect(await run('| makeresults count=2 | streamstats count | eval y=if(count=2, 1, null()), x=1 | fields - _time count | uniq')).toEqual([{ x: 1 }, { x: 1, y: 1 }]);
  });

  it('takes no argument', async () => {
    const spl = '| makeresults | uniq x';
    expect((await errorOf(spl)).format()).toContain(at(spl, 'x'));
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | table node_name | uniq', '* | eval n=process_id % 2 | table n | uniq'], 11, NOW, 1);
  }, 120_000);
});
