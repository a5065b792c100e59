import { describe, expect, it } from 'vitest';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { at, errorOf, run, sharedScanSame } from './helpers.js';

// Splunk Search Reference, "replace" (help.splunk.com .../spl-search-reference/9.3.2408/search-commands/replace):
// `replace (<wc-string> WITH <wc-string>)... [IN <field-list>]`; "If you do not specify a field, the value is
// replaced in all non-generated fields"; "To replace values on _internal fields, you must specify the field name
// with the IN <fieldname> clause"; "Non-wildcard replacement values specified later take precedence over those
// replacements specified earlier. For a wildcard replacement, fuller matches take precedence over lesser
// matches"; "When using wildcard replacements, the result must have the same number of wildcards, or none at all".

const HOSTS = '| makeresults count=4 | streamstats count AS n | eval host=case(n=1, "mail.localhost", n=2, "127.0.0.1", n=3, "web localhost", n=4, "LOCALHOST"), other=host';

describe('replace', () => {
  it('replaces whole values matching a wildcard pattern in the IN field only (docs: replace *localhost WITH localhost IN host)', async () => {
    const rows = await run(`${HOSTS} | replace *localhost WITH localhost IN host | table n host other`);
    expect(rows).toEqual([
      { n: 1, host: 'localhost', other: 'mail.localhost' },
      { n: 2, host: '127.0.0.1', other: '127.0.0.1' },
      { n: 3, host: 'localhost', other: 'web localhost' },
      // Case-sensitive: LOCALHOST does not end with "localhost".
      { n: 4, host: 'LOCALHOST', other: 'LOCALHOST' },
    ]);
  });

  it('without IN replaces in every field (docs: "Replace a value in all fields")', async () => {
    const rows = await run(`${HOSTS} | replace *localhost WITH localhost | table n host other`);
    expect(rows.map((r) => [r.host, r.other])).toEqual([
      ['localhost', 'localhost'],
      ['127.0.0.1', '127.0.0.1'],
      ['localhost', 'localhost'],
      ['LOCALHOST', 'LOCALHOST'],
    ]);
  });

  it('matches whole values, not substrings (docs: replace 127.0.0.1 WITH localhost IN host)', async () => {
    const rows = await run('| makeresults count=2 | streamstats count AS n | eval host=if(n=1, "127.0.0.1", "127.0.0.10") | replace 127.0.0.1 WITH localhost IN host | table host');
    expect(rows).toEqual([{ host: 'localhost' }, { host: '127.0.0.10' }]);
  });

  it('carries what the wildcard matched into the replacement (docs: replace "* localhost" WITH "localhost *" IN host)', async () => {
    const rows = await run(`${HOSTS} | replace "* localhost" WITH "localhost *" IN host | table host`);
    expect(rows.map((r) => r.host)).toEqual(['mail.localhost', '127.0.0.1', 'localhost web', 'LOCALHOST']);
  });

  it('carries several wildcards in order, an empty match included', async () => {
    const rows = await run('| makeresults count=2 | streamstats count AS n | eval v=if(n=1, "a-b-c", "-x-") | replace "*-*-*" WITH "*+*+*" IN v | table v');
    // Each * takes the shortest run that lets the rest match: a|b|c and ""|x|"".
    expect(rows).toEqual([{ v: 'a+b+c' }, { v: '+x+' }]);
  });

  it('several pairs in one command, lowercase with/in and a bare * replacement (ESCU: replace "::ffff:*" with * in src)', async () => {
    const rows = await run('| makeresults count=3 | streamstats count AS n | eval src=case(n=1, "::ffff:10.1.2.3", n=2, "%%14674", n=3, "%%14675") | replace "::ffff:*" with *, "%%14674" with "Value Added", "%%14675" with "Value Deleted" in src | table src');
    expect(rows).toEqual([{ src: '10.1.2.3' }, { src: 'Value Added' }, { src: 'Value Deleted' }]);
  });

  it('pairs apply once per value, not one after another (aug WITH August, August WITH Aug: aug becomes August)', async () => {
    const rows = await run('| makeresults | eval start_month="aug", end_month="August" | replace aug WITH August, August WITH Aug IN start_month, end_month | table start_month end_month');
    expect(rows).toEqual([{ start_month: 'August', end_month: 'Aug' }]);
  });

  it('a later exact pair beats an earlier one; an exact pair beats a wildcard; the fuller wildcard match wins', async () => {
    const rows = await run('| makeresults count=3 | streamstats count AS n | eval v=case(n=1, "abc", n=2, "abd", n=3, "xbd") | replace abc WITH first, abc WITH second, * WITH any, "a*" WITH a_star, "ab*" WITH ab_star IN v | table v');
    expect(rows).toEqual([{ v: 'second' }, { v: 'ab_star' }, { v: 'any' }]);
  });

  it('leaves values that match no pair, and missing fields, alone', async () => {
    const rows = await run('| makeresults | eval a="keep" | replace nothing WITH x IN a, b | fields - _time');
    expect(rows).toEqual([{ a: 'keep' }]);
  });

  it('replaces empty values (docs: replace "" WITH "None" IN errmsg), not missing ones', async () => {
    const rows = await run('| makeresults count=2 | streamstats count AS n | eval errmsg=if(n=1, "", null()) | replace "" WITH "None" IN errmsg | table n errmsg');
    expect(rows).toEqual([{ n: 1, errmsg: 'None' }, { n: 2 }]);
  });

  it('matches numbers by their text and leaves unmatched numbers numbers (docs: replace 0 WITH Critical, 1 WITH Error IN msg_level)', async () => {
    const rows = await run('| makeresults count=3 | streamstats count AS n | eval msg_level=n-1 | replace 0 WITH Critical, 1 WITH Error IN msg_level | table msg_level');
    expect(rows).toEqual([{ msg_level: 'Critical' }, { msg_level: 'Error' }, { msg_level: 2 }]);
  });

  it('matches many wildcards in linear time (a backtracking regex would not end on 20,000 characters)', async () => {
    const start = Date.now();
    const rows = await run('| makeresults | eval v=printf("%020000d", 0), w=v . "b" | replace "*0*0*0*0*0*0*b" WITH "*|*|*|*|*|*|*" IN v, w | eval v=len(v), w=substr(w, 1, 12)');
    // v has no "b": unchanged. w: the first six * match nothing (each 0 at its leftmost place), the last the rest.
    expect(rows.map((r) => [r.v, r.w])).toEqual([[20000, '||||||000000']]);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('replaces each value of a multivalue field', async () => {
    const rows = await run('| makeresults | eval h=split("a.localhost,b,c.localhost", ",") | replace *.localhost WITH * IN h | table h');
    expect(rows).toEqual([{ h: ['a', 'b', 'c'] }]);
  });

  it('never touches internal fields without IN, does with IN _raw', async () => {
    const events = jsonEvents([{ user: 'x' }]);
    const all = rowsText(await search('* | eval _extra="x" | replace x WITH y', events), ['user', '_extra']);
    expect(all).toEqual([{ user: 'y', _extra: 'x' }]);
    const raw = rowsText(await search('* | replace "{*}" WITH "<*>" IN _raw', events), ['_raw']);
    expect(raw).toEqual([{ _raw: '<"user":"x">' }]);
  });

  it('a later search sees the replaced values (no raw-text prefilter on a field replace writes)', async () => {
    const events = jsonEvents([{ user: 'ax' }, { user: 'b' }]);
    expect(rowsText(await search('* | replace *x WITH yes IN user | search user=yes', events), ['user'])).toEqual([{ user: 'yes' }]);
    expect(rowsText(await search('* | replace *x WITH yes | search user=yes', events), ['user'])).toEqual([{ user: 'yes' }]);
  });

  it('takes wildcard field names after IN', async () => {
    const rows = await run('| makeresults | eval src_ip="-", dest_ip="-", user="-" | replace "-" WITH unknown IN *_ip | table src_ip dest_ip user');
    expect(rows).toEqual([{ src_ip: 'unknown', dest_ip: 'unknown', user: '-' }]);
  });

  it('reads IN as a value when WITH follows it', async () => {
    const rows = await run('| makeresults | eval d="in" | replace x WITH y, in WITH out IN d | table d');
    expect(rows).toEqual([{ d: 'out' }]);
  });

  it('refuses a replacement whose wildcards do not correspond, at the replacement', async () => {
    const spl = '| makeresults | replace "*.*" WITH "*" IN host';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, '"*" IN'));
    const spl2 = '| makeresults | replace a WITH "b*" IN host';
    expect((await errorOf(spl2)).format()).toContain(at(spl2, '"b*"'));
  });

  it('refuses a missing WITH, a missing replacement, an empty command and an empty IN list, with positions', async () => {
    const cases: [string, string][] = [
      ['| makeresults | replace a b', 'b'],
      ['| makeresults | replace a WITH', ''],
      ['| makeresults | replace', ''],
      ['| makeresults | replace a WITH b IN', 'IN'],
      ['| makeresults | replace a WITH b IN host extra=1', 'extra'],
    ];
    for (const [spl, text] of cases) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe('SPL_SYNTAX');
      expect(e.format(), spl).toContain(text === '' ? `at 1:${spl.length + 1}` : at(spl, text, spl.indexOf('replace')));
    }
  });
  it('shares a scan with other searches without changing their rows', async () => {
    await sharedScanSame(['* | replace sh WITH shell, c* WITH C* | table n name k', '* | replace nc WITH netcat IN name | table n name', '* | table n name', '* | stats count by name']);
  });
});
