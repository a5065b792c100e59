import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { checkSearch, explainPlan, plan, runSearch, SplError } from '../../../src/spl/index.js';
import { JOIN_SUBSEARCH_MAX_ROWS } from '../../../src/spl/commands/join.js';
import { at, errorOf, NOW, run } from './helpers.js';

/** Main rows: n=1..4 with k = a, b, c, (none for n=4) and v = "main<n>". */
const MAIN = '| makeresults count=4 | streamstats count as n | eval k=case(n=1, "a", n=2, "b", n=3, "c"), v="main".n | fields - _time';
/** Subsearch rows: k = a, a, b, A with w = s1..s4 and v = "sub<m>". */
const SUB = '| makeresults count=4 | streamstats count as m | eval k=case(m<=2, "a", m=3, "b", m=4, "A"), w="s".m, v="sub".m | fields - _time, m';

describe('join', () => {
  it('inner join on a field: the first match in the subsearch order, its fields over the main ones', async () => {
    const rows = await run(`${MAIN} | join k [${SUB}]`);
    expect(rows).toEqual([
      { n: 1, k: 'a', v: 'sub1', w: 's1' },
      { n: 2, k: 'b', v: 'sub3', w: 's3' },
    ]);
  });

  it('type=left and type=outer keep the main results without a match (or without the field) unchanged', async () => {
    const expected = [
      { n: 1, k: 'a', v: 'sub1', w: 's1' },
      { n: 2, k: 'b', v: 'sub3', w: 's3' },
      { n: 3, k: 'c', v: 'main3' },
      { n: 4, v: 'main4' },
    ];
    expect(await run(`${MAIN} | join type=left k [${SUB}]`)).toEqual(expected);
    expect(await run(`${MAIN} | join type=outer k [${SUB}]`)).toEqual(expected);
  });

  it('overwrite=false keeps the main values of fields both sides have', async () => {
    expect(await run(`${MAIN} | join overwrite=false k [${SUB}]`)).toEqual([
      { n: 1, k: 'a', v: 'main1', w: 's1' },
      { n: 2, k: 'b', v: 'main2', w: 's3' },
    ]);
  });

  it('max=0 joins every match (one row each, subsearch order); max=N at most N', async () => {
    const all = [
      { n: 1, k: 'a', v: 'sub1', w: 's1' },
      { n: 1, k: 'a', v: 'sub2', w: 's2' },
      { n: 2, k: 'b', v: 'sub3', w: 's3' },
    ];
    expect(await run(`${MAIN} | join max=0 k [${SUB}]`)).toEqual(all);
    expect(await run(`${MAIN} | join max=2 k [${SUB}]`)).toEqual(all);
    expect(await run(`${MAIN} | join max=1 k [${SUB}]`)).toEqual([all[0], all[2]]);
  });

  it('values match as text, case-sensitively, on every field listed', async () => {
    // A number and its text are one value; "A" is not "a".
    const rows = await run('| makeresults | eval id=7, k="A" | fields - _time | join id, k [| makeresults count=3 | streamstats count as m | eval id="7", k=if(m=3, "A", "a"), hit=m | fields - _time, m]');
    expect(rows).toEqual([{ id: '7', k: 'A', hit: 3 }]);
  });

  it('without fields, joins on the fields both result sets have (internal fields excepted)', async () => {
    const rows = await run(`| makeresults count=2 | streamstats count as n | eval k=if(n=1, "a", "b"), j=n | join [| makeresults | eval k="b", j=2, extra="x"]`);
    expect(rows.map((r) => ({ k: r['k'], j: r['j'], extra: r['extra'] }))).toEqual([{ k: 'b', j: 2, extra: 'x' }]);
  });

  it('usetime=true matches subsearch results no later (earlier=true) or no earlier (earlier=false) than the main result', async () => {
    const main = `| makeresults | eval _time=${NOW}, k="a"`;
    const sub = `[| makeresults count=3 | streamstats count as m | eval _time=${NOW} + (m - 2) * 60, k="a", which=m | fields - m]`;
    const which = async (opts: string) => (await run(`${main} | join ${opts} k ${sub}`)).map((r) => r['which']);
    expect(await which('usetime=true max=0')).toEqual([1, 2]);
    expect(await which('usetime=true earlier=false max=0')).toEqual([2, 3]);
    expect(await which('max=0')).toEqual([1, 2, 3]);
  });

  it('runs the subsearch over the same events and time range as the search', async () => {
    const events = [
      { _time: NOW - 30, _raw: '{"user":"alice","action":"login"}', index: 'main', sourcetype: 'json', source: 's', host: 'h' },
      { _time: NOW - 20, _raw: '{"user":"bob","action":"login"}', index: 'main', sourcetype: 'json', source: 's', host: 'h' },
      { _time: NOW - 10, _raw: '{"user":"alice","action":"sudo"}', index: 'main', sourcetype: 'json', source: 's', host: 'h' },
      // Outside the search's range (earliest): neither the search nor its subsearch sees it.
      { _time: NOW - 1000, _raw: '{"user":"bob","action":"sudo"}', index: 'main', sourcetype: 'json', source: 's', host: 'h' },
    ];
    const { results } = await runSearch('action=login | table user | join user [search action=sudo | stats count as sudos by user]', {
      now: NOW,
      earliest: NOW - 100,
      source: new MemorySource(events),
    });
    expect(results.map(toObject)).toEqual([{ user: 'alice', sudos: 1 }]);
  });

  it(`cuts the subsearch's results at ${JOIN_SUBSEARCH_MAX_ROWS} rows with a warning (limits.conf subsearch_maxout)`, async () => {
    const warnings: string[] = [];
    const spl = `| makeresults | eval k=${JOIN_SUBSEARCH_MAX_ROWS + 5} | join type=left k [| makeresults count=${JOIN_SUBSEARCH_MAX_ROWS + 10} | streamstats count as k | eval hit="yes"]`;
    const { results } = await runSearch(spl, { now: NOW, onWarning: (m) => warnings.push(m) });
    // Row k=50005 of the subsearch was past the limit: no match.
    expect(results.map(toObject)[0]!['hit']).toBeUndefined();
    expect(warnings).toEqual([`join: the subsearch's results were cut to their first ${JOIN_SUBSEARCH_MAX_ROWS} rows (subsearch_maxout)`]);
    const below = await run(`| makeresults | eval k=${JOIN_SUBSEARCH_MAX_ROWS} | join k [| makeresults count=${JOIN_SUBSEARCH_MAX_ROWS + 10} | streamstats count as k | eval hit="yes"]`);
    expect(below.map((r) => r['hit'])).toEqual(['yes']);
  });

  it('stops a generating subsearch at the limit instead of making every row (count=100000000 ran 25 s)', async () => {
    const warnings: string[] = [];
    const { results } = await runSearch('| makeresults | eval k=1 | join type=left k [| makeresults count=100000000 | eval k=2]', { now: NOW, onWarning: (m) => warnings.push(m) });
    expect(results.map(toObject)).toEqual([{ _time: NOW, k: 1 }]);
    expect(warnings).toEqual([`join: the subsearch's results were cut to their first ${JOIN_SUBSEARCH_MAX_ROWS} rows (subsearch_maxout)`]);
  });

  it('rejects bad arguments where they are', async () => {
    const noSub = '| makeresults | join k';
    const e1 = await errorOf(noSub);
    expect(e1.code).toBe('SPL_SYNTAX');
    expect(e1.message).toContain('join needs a subsearch');
    const badType = '| makeresults | join type=full k [| makeresults]';
    const e2 = await errorOf(badType);
    expect(e2.code).toBe('SPL_BAD_ARGUMENT');
    expect(e2.format()).toContain(at(badType, 'full'));
    const aliases = '| makeresults | join left=L right=R where L.k=R.k [| makeresults]';
    const e3 = await errorOf(aliases);
    expect(e3.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e3.format()).toContain(at(aliases, 'left=L'));
    const badMax = '| makeresults | join max=-1 k [| makeresults]';
    expect((await errorOf(badMax)).format()).toContain(at(badMax, '-1'));
  });

  it('errors inside the subsearch point into it, when checked and when run', async () => {
    const spl = '| makeresults | join k [| makeresults | eval x=nosuchfunction(1)]';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_UNSUPPORTED_FUNCTION');
    expect(e.format()).toContain(at(spl, 'nosuchfunction'));
    expect(() => checkSearch(spl, { now: NOW })).toThrow(SplError);
    try {
      checkSearch(spl, { now: NOW });
    } catch (c) {
      expect((c as SplError).format()).toBe(e.format());
    }
    expect(() => checkSearch('| makeresults | join k [| makeresults | eval x=1]', { now: NOW })).not.toThrow();
  });

  it('--explain says a search with a subsearch runs on one thread', () => {
    const text = explainPlan(plan('index=main | join user [search index=other | stats count by user]', { now: NOW, sourceNewestFirst: false }));
    expect(text).toContain('parallel: none, one thread: "join" has a subsearch, which runs first');
  });
});
