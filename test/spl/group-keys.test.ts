import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../helpers.js';

/**
 * Groups are told apart by their values, whatever the values hold: a key built by joining texts with a separator
 * (NUL, \u0001) must not let values holding that separator fall into another group.
 */
const NUL = '\u0000';
const ONE = '\u0001';
// Joined by NUL, both pairs spell a\0b\0c.
const split = jsonEvents([
  { n: 1, a: `a${NUL}b`, b: 'c' },
  { n: 2, a: 'a', b: `b${NUL}c` },
]);

describe('group keys of values holding the separators', () => {
  it('stats BY: two groups, each its own values', async () => {
    const rows = rowsText(await search('* | stats count by a b', split));
    expect(rows).toEqual([
      { a: 'a', b: `b${NUL}c`, count: '1' },
      { a: `a${NUL}b`, b: 'c', count: '1' },
    ]);
  });

  it('stats BY one field: a value holding NUL is its own group, given back as it is', async () => {
    const ev = jsonEvents([{ a: `x${NUL}` }, { a: 'x' }, { a: `x${NUL}` }]);
    expect(rowsText(await search('* | stats count by a', ev))).toEqual([
      { a: 'x', count: '1' },
      { a: `x${NUL}`, count: '2' },
    ]);
  });

  it('eventstats BY: each result counted in its own group', async () => {
    const rows = rowsText(await search('* | sort n | eventstats count as c by a b | table n c', split));
    expect(rows).toEqual([
      { n: '1', c: '1' },
      { n: '2', c: '1' },
    ]);
  });

  it('streamstats BY and reset_on_change', async () => {
    expect(rowsText(await search('* | sort n | streamstats count as c by a b | table n c', split))).toEqual([
      { n: '1', c: '1' },
      { n: '2', c: '1' },
    ]);
    // one value holding the \u0001 a key list was joined by, then a multivalue of its two halves, then it again:
    // each a change of BY values, so the count starts over each time
    const ev = jsonEvents([
      { n: 1, a: `x${ONE}y` },
      { n: 2, a: ['x', 'y'] },
      { n: 3, a: `x${ONE}y` },
    ]);
    const rows = rowsText(await search("* | sort n | eval a=coalesce(a, 'a{}') | streamstats reset_on_change=true count as c by a | table n c", ev));
    expect(rows.map((r) => r['c'])).toEqual(['1', '1', '1']);
  });

  it('dedup: values holding NUL or \\u0001 against multivalues and other fields', async () => {
    expect(rowsText(await search('* | sort n | dedup a b | table n', split))).toEqual([{ n: '1' }, { n: '2' }]);
    const ev = jsonEvents([
      { n: 1, a: ['x', 'y'] },
      { n: 2, a: `x${ONE}y` },
    ]);
    expect(rowsText(await search("* | sort n | eval a=coalesce(a, 'a{}') | dedup a | table n", ev))).toEqual([{ n: '1' }, { n: '2' }]);
    const fields = jsonEvents([
      { n: 1, a: `x${NUL}y`, b: 'z' },
      { n: 2, a: 'x', b: `y${NUL}z` },
    ]);
    expect(rowsText(await search('* | sort n | dedup a b | table n', fields))).toEqual([{ n: '1' }, { n: '2' }]);
  });
});
