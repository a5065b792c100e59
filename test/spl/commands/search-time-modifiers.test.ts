import { describe, expect, it } from 'vitest';
import { NOW, run, errorOf, at } from './helpers.js';

// Results one hour apart before NOW: n=1 at NOW-1h, n=2 at NOW-2h, n=3 at NOW-3h.
const HOURS = `| makeresults count=3 | streamstats count as n | eval _time=${NOW}-n*3600`;
const ns = async (spl: string) => (await run(`${HOURS} | ${spl} | table n`)).map((r) => r['n']);

/**
 * A later `search` command's earliest=/latest=. The Search Reference's search page lists time modifiers in the
 * command's syntax (`<time-opts>`) and says the command, used "later in the search pipeline", filters "the results
 * from the previous command"; its Time modifiers page: they find "every event with a timestamp beginning, ending, or
 * between the specified timestamps", earliest inclusive, latest exclusive. They were ignored there, a malformed one
 * too, and under NOT they dropped every result.
 */
describe('search: earliest=/latest= after the first command', () => {
  it('keep the results whose _time is in the range', async () => {
    expect(await ns('search earliest=-2h')).toEqual([1, 2]); // NOW-2h itself is in: earliest is inclusive
    expect(await ns('search latest=-2h')).toEqual([3]); // latest is exclusive
    expect(await ns('search earliest=-150m latest=-90m')).toEqual([2]);
    expect(await ns(`search earliest=${NOW - 7200}`)).toEqual([1, 2]);
    expect(await ns('search n>1 earliest=-150m')).toEqual([2]);
  });

  it('an earliest= alone is a lower bound only: the result makeresults makes at now is kept', async () => {
    expect(await run(`| makeresults | search earliest=-1h | eval t=_time | table t`)).toEqual([{ t: NOW }]);
    expect(await run(`| makeresults | eval _time=${NOW}+10 | search earliest=-1h | eval t=_time | table t`)).toEqual([{ t: NOW + 10 }]);
    expect(await run(`| makeresults | search earliest=-1h OR x=1 | eval t=_time | table t`)).toEqual([{ t: NOW }]);
  });

  it('under OR each alternative keeps its own window, as in the first search', async () => {
    expect(await ns('search (earliest=-150m latest=-90m) OR (earliest=-190m latest=-170m)')).toEqual([2, 3]);
    expect(await ns('search earliest=-90m OR n=3')).toEqual([1, 3]);
  });

  it('a malformed modifier is an error at it; one under NOT is an error, as in the first search', async () => {
    const bad = `${HOURS} | search earliest=garbage`;
    const e = await errorOf(bad);
    expect(e.code).toBe('TIME_MODIFIER');
    expect(e.format()).toContain(at(bad, 'garbage'));
    const not = `${HOURS} | search NOT earliest=-2h`;
    const n = await errorOf(not);
    expect(n.code).toBe('SPL_BAD_ARGUMENT');
    expect(n.format()).toContain(at(not, 'earliest=-2h'));
  });

  it("so do those of a search in appendpipe's subpipeline (its commands are later commands too)", async () => {
    const kept = await run(`${HOURS} | appendpipe [search earliest=-150m | stats count as c] | table n c`);
    expect(kept).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { c: 2 }]);
    const bad = `${HOURS} | appendpipe [search earliest=garbage]`;
    expect((await errorOf(bad)).format()).toContain(at(bad, 'garbage'));
  });

  it('a later search without time modifiers is unchanged', async () => {
    expect(await ns('search n!=2')).toEqual([1, 3]);
  });
});
