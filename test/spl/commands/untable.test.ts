import { describe, expect, it } from 'vitest';
import { at, errorOf, run } from './helpers.js';

// Semantics from the SPL reference, "untable" (Splunk Cloud Platform 10.0.2503,
// https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/untable): "Converts
// results from a tabular format to a format similar to stats output. This command is the inverse of the xyseries
// command." "<y-name-field>: ... All of the field names, other than <x-field>, are used as the values for the
// <y-name-field> field." "<y-data-field>: ... All of the values from the fields, other than <x-field>, are used as
// the values for the <y-data-field> field." Choices where it is silent: docs/spl.md *Decision:*s.

describe('untable', () => {
  it('gives one row per field other than the x-field, in each result\'s field order', async () => {
    // The SPL2 reference's example: stats count by host, status | untable host, label, data.
    const spl =
      '| makeresults count=2 | streamstats count AS n | eval host="www".n, status=200, count=40+n | fields host status count | untable host, label, data';
    expect(await run(spl)).toEqual([
      { host: 'www1', label: 'status', data: 200 },
      { host: 'www1', label: 'count', data: 41 },
      { host: 'www2', label: 'status', data: 200 },
      { host: 'www2', label: 'count', data: 42 },
    ]);
  });

  it('skips null and empty values and internal fields such as _span, keeps _time as the x-field', async () => {
    const spl = '| makeresults | eval _time=100, _span=60, a=1, b="", c=null(), d=split("x,y", ",") | untable _time name value';
    expect(await run(spl)).toEqual([
      { _time: 100, name: 'a', value: 1 },
      { _time: 100, name: 'd', value: ['x', 'y'] },
    ]);
  });

  it('a result without the x-field still gives its rows', async () => {
    expect(await run('| makeresults | eval a=1 | fields - _time | untable x name value')).toEqual([{ name: 'a', value: 1 }]);
  });

  it('takes exactly three field names', async () => {
    let spl = '| makeresults | untable a b';
    let e = await errorOf(spl);
    expect(e.format()).toContain(at(spl, 'b', spl.indexOf('a b')));
    spl = '| makeresults | untable a b c d';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'd'));
  });
});
