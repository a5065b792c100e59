import { describe, expect, it } from 'vitest';
import { run, errorOf, at } from './helpers.js';

// Search Reference, regex: "Removes results that match or do not match the specified regular expression";
// `<field>=<regex-expression>` keeps the matches, `<field>!=<regex-expression>` the others, the field defaulting to
// _raw; the expression is "An unanchored regular expression"; "Although != is valid within a regex command, NOT is not
// valid."
const ROWS = '| makeresults count=3 | streamstats count as n | eval _raw=case(n=1,"GET /index.html 200",n=2,"POST /a.php 500",n=3,"x"), s=case(n=1,"abc123",n=2,"ABC")';
const ns = async (spl: string) => (await run(`${ROWS} | ${spl} | table n`)).map((r) => r['n']);

describe('regex', () => {
  it('keeps the results whose field matches, unanchored; _raw by default', async () => {
    expect(await ns('regex s="^a"')).toEqual([1]);
    expect(await ns('regex s="\\d"')).toEqual([1]);
    expect(await ns('regex "\\d{3}"')).toEqual([1, 2]);
    expect(await ns('regex _raw="(?i)post"')).toEqual([2]);
  });

  it('!= keeps the results that do not match', async () => {
    expect(await ns('regex s!="^a"')).toEqual([2, 3]);
    expect(await ns('regex _raw!="\\d"')).toEqual([3]);
  });

  it('NOT is an error at it, naming != ("NOT is not valid")', async () => {
    for (const spl of [`${ROWS} | regex NOT s="x"`, `${ROWS} | regex NOT "x"`]) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe('SPL_SYNTAX');
      expect(e.message, spl).toMatch(/^regex does not take NOT: .*!=/);
      expect(e.format(), spl).toContain(at(spl, 'NOT'));
    }
    // A field that happens to be called NOT is still a field.
    expect(await run('| makeresults | eval NOT="yes" | regex NOT="^y" | table NOT')).toEqual([{ NOT: 'yes' }]);
  });
});
