import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Search Reference, accum (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/9.3.2408/search-commands/accum):
// "For each event where field is a number, the accum command calculates a running total or sum of the numbers. The
// accumulated sum can be returned to either the same field, or a newfield that you specify." Syntax:
// "accum <field> [AS <newfield>]". Expected totals are added up by hand.

/** Rows whose field `x` takes the given values in order ('' = missing); `n` numbers them from 1. */
const input = (xs: readonly string[]) =>
  `| makeresults count=${xs.length} | streamstats count AS n | eval x=mvindex(split("${xs.join(',')}", ","), n - 1) | eval x=if(x="", null(), x)`;

describe('accum', () => {
  // The reference's basic example: "chart count AS views by productId" gives DB-SG-G01 1796, DC-SG-G02 1642,
  // FS-SG-G03 1482, PZ-SG-G05 1300, then "accum views AS TotalViews": 1796, 1796+1642, +1482, +1300.
  it('writes the running total into a new field (the reference example)', async () => {
    const rows = await run(`${input(['1796', '1642', '1482', '1300'])} | rename x AS views | accum views AS TotalViews | table views TotalViews`);
    expect(rows).toEqual([
      { views: '1796', TotalViews: 1796 },
      { views: '1642', TotalViews: 3438 },
      { views: '1482', TotalViews: 4920 },
      { views: '1300', TotalViews: 6220 },
    ]);
  });

  it('without AS replaces the field with the total', async () => {
    expect((await run(`${input(['1', '2', '3.5'])} | accum x | table x`)).map((r) => r.x)).toEqual([1, 3, 6.5]);
  });

  // "For each event where field is a number": other results get nothing and leave the total as it was.
  it('skips results whose field is not a number: missing, text, a multivalue', async () => {
    const spl = `${input(['5', 'abc', '', '-2', 'x;y', '3', ' 4 '])} | eval x=if(x="x;y", split(x, ";"), x) | accum x AS t | table n t`;
    expect((await run(spl)).map((r) => r.t ?? null)).toEqual([5, null, null, 3, null, 6, 10]);
  });

  it('keeps the previous value of AS on a skipped result (the row is left as it is)', async () => {
    const rows = await run(`${input(['1', 'z'])} | eval t="old" | accum x AS t | table t`);
    expect(rows.map((r) => r.t)).toEqual([1, 'old']);
  });

  it('removes the field when the total passes the largest double (no infinities)', async () => {
    const rows = await run(`${input(['1e308', '1e308', '1'])} | accum x AS t | table n t`);
    expect(rows.map((r) => r.t ?? null)).toEqual([1e308, null, null]);
  });

  // Events come newest first ("By default, the events for historical searches are in reverse time order", as delta's
  // page says): over events read oldest first, the planner sorts before accum, so the total starts at the newest.
  it('accumulates in search order, newest first', async () => {
    const events = jsonEvents([{ b: 1 }, { b: 10 }, { b: 100 }]);
    const rows = await search('* | accum b AS t | table b t', events);
    expect(rowsText(rows)).toEqual([
      { b: '100', t: '100' },
      { b: '10', t: '110' },
      { b: '1', t: '111' },
    ]);
  });

  it('refuses a missing field, a second field, a wildcard and a dangling AS, at their place', async () => {
    for (const [spl, code, msg, where] of [
      ['| makeresults | accum', 'SPL_SYNTAX', 'accum needs a field', null],
      ['| makeresults | accum x y', 'SPL_SYNTAX', "accum takes one field; unexpected 'y'", 'y'],
      ['| makeresults | accum x*', 'SPL_BAD_ARGUMENT', 'accum takes one field name, not a wildcard', 'x*'],
      ['| makeresults | accum x AS', 'SPL_SYNTAX', 'expected a field name after AS', null],
      ['| makeresults | accum x AS t u', 'SPL_SYNTAX', "accum takes one field and one AS name; unexpected 'u'", 'u'],
    ] as const) {
      const e = await errorOf(spl);
      expect([e.code, e.message.startsWith(msg)], spl).toEqual([code, true]);
      if (where) expect(e.format()).toContain(at(spl, where, spl.lastIndexOf(where)));
    }
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | accum process_id AS total | table _time process_id total'], 3, NOW, 100);
  }, 120_000);
});
