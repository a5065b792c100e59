import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { at, errorOf, NOW, run } from './helpers.js';

describe('append', () => {
  it("adds the subsearch's results after the search's", async () => {
    expect(await run('| makeresults | eval a=1 | fields - _time | append [| makeresults count=2 | streamstats count as b | fields - _time]')).toEqual([{ a: 1 }, { b: 1 }, { b: 2 }]);
  });

  it('runs the subsearch over the same events; maxout= cuts its results, with a warning', async () => {
    const ev = (i: number, sourcetype: string) => ({ _time: NOW - i, _raw: JSON.stringify({ i }), index: 'main', sourcetype, source: 's', host: 'h' });
    const events = [ev(1, 'a'), ev(2, 'a'), ev(3, 'b'), ev(4, 'b'), ev(5, 'b')];
    const warnings: string[] = [];
    const { results } = await runSearch('sourcetype=a | stats count | append maxout=2 [search sourcetype=b | table i]', { now: NOW, source: new MemorySource(events), onWarning: (m) => warnings.push(m) });
    expect(results.map(toObject)).toEqual([{ count: 2 }, { i: 3 }, { i: 4 }]);
    expect(warnings).toEqual(["append: the subsearch's results were cut to their first 2 rows (maxout)"]);
  });

  it('rejects a missing subsearch and bad options where they are', async () => {
    expect((await errorOf('| makeresults | append')).message).toContain('append needs a subsearch');
    const spl = '| makeresults | append maxout=0 [| makeresults]';
    expect((await errorOf(spl)).format()).toContain(at(spl, '0 ['));
  });
});
