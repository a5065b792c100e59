import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../helpers.js';

const events = jsonEvents([
  { g: 'b', v: 'Banana', n: 10 },
  { g: 'a', v: 'apple', n: 9 },
  { g: 'a', v: 'Apple', n: 100 },
  { g: 'a', v: 'apple', n: 'x' },
  { v: 'no group', n: 1 },
  { gs: ['m1', 'm2'], v: 'multi', n: 2 },
]);

describe('stats', () => {
  it('drops results whose BY field is missing, splits multivalue BY fields, sorts groups', async () => {
    const rows = rowsText(await search("* | eval g=coalesce(g, 'gs{}') | stats count by g", events));
    expect(rows).toEqual([
      { g: 'a', count: '3' },
      { g: 'b', count: '1' },
      { g: 'm1', count: '1' },
      { g: 'm2', count: '1' },
    ]);
  });

  it('values() is distinct, case-sensitive, in byte order (uppercase first)', async () => {
    const rows = rowsText(await search('* | stats values(v) as vs by g', events));
    expect(rows[0]).toEqual({ g: 'a', vs: ['Apple', 'apple'] });
  });

  it('count(x) counts values, dc counts distinct text, sum/avg ignore non-numbers', async () => {
    const rows = rowsText(await search('* g=a | stats count(n) as c dc(v) as d sum(n) as s avg(n) as m', events));
    expect(rows).toEqual([{ c: '3', d: '2', s: '109', m: '54.5' }]);
  });

  it('min/max compare numerically when values are numbers', async () => {
    const rows = rowsText(await search('* | stats min(n) as lo max(n) as hi', events));
    expect(rows).toEqual([{ lo: '1', hi: '100' }]);
  });

  it('without BY returns exactly one row, even for no input', async () => {
    expect(rowsText(await search('nomatch | stats count', events))).toEqual([{ count: '0' }]);
    expect(rowsText(await search('nomatch | stats values(v) as v, count', events))).toEqual([{ count: '0' }]);
  });

  it('first/last follow search order (newest first); earliest/latest follow _time', async () => {
    const rows = rowsText(await search('* g=a | stats first(n) as f last(n) as l earliest(n) as e latest(n) as t', events));
    // events of g=a are at +1 (9), +2 (100), +3 (x): newest first is x, 100, 9
    expect(rows).toEqual([{ f: 'x', l: '9', e: '9', t: 'x' }]);
  });

  it('list() keeps event order and duplicates', async () => {
    const rows = rowsText(await search('* g=a | stats list(v) as l', events));
    expect(rows).toEqual([{ l: ['apple', 'Apple', 'apple'] }]);
  });

  it('count(eval(...)) counts rows where the condition holds', async () => {
    const rows = rowsText(await search("* | stats count(eval(g=\"a\")) as big", events));
    expect(rows).toEqual([{ big: '3' }]);
  });

  it('eventstats adds group aggregates to every row, streamstats runs in order', async () => {
    const rows = rowsText(await search('* g=a | eventstats count as c by g | table v c', events));
    expect(rows.map((r) => r['c'])).toEqual(['3', '3', '3']);
  });
});
