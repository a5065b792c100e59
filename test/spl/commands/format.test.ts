import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { MAX_SEARCH_TEXT_CHARS } from '../../../src/spl/commands/format.js';
import { runSearch } from '../../../src/spl/index.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// SPL reference, format: "This command takes the results of a subsearch, formats the results into a single result
// and places that result into a new field called search." "By default, when you do not specify any of the optional
// row and column arguments, the output of the format command defaults to: "(" "(" "AND" ")" "OR" ")"."
// Search Manual, "Change the format of subsearch results": a table of field1/field2 rows gives
// "(field1=val1_1 AND field2=val1_2) OR (field1=val2_1 AND field2=val2_2)".
// Its examples (a stored copy of the 9.x page): results of source/sourcetype/host, "... | head 2 | fields source,
// sourcetype, host | format" gives "( ( host="mylaptop" AND source="syslog.log" AND sourcetype="syslog" ) OR (
// host="bobslaptop" AND source="bob-syslog.log" AND sourcetype="syslog" ) )"; with "format "[" "[" "&&" "]" "||"
// "]"" the same data gives "[ [ host="mylaptop" && source="syslog.log" && sourcetype="syslog" ] || [ ... ] ]";
// "eval foo="eventtype,log_level" | makemv delim="," foo | fields foo | format mvsep="mvseparator" "{" "[" "AND" "]"
// "AND" "}"" gives "{ [ ( foo="eventtype" mvseparator foo="log_level" ) ] }".
const search = async (spl: string) => (await run(spl)).map((r) => r['search']);

describe('format', () => {
  it('writes each result as the AND of its fields, the results OR-ed, in parentheses', async () => {
    expect(await search('| makeresults count=2 | streamstats count AS field1 | eval field2="v".field1 | fields - _time | format')).toEqual([
      '( ( field1="1" AND field2="v1" ) OR ( field1="2" AND field2="v2" ) )',
    ]);
    // One result, one field: still both levels of parentheses.
    expect(await search('| makeresults | eval user="bob" | fields user | format')).toEqual(['( ( user="bob" ) )']);
  });

  it('gives the reference examples\' text: fields in name order, the row and column strings, mvsep', async () => {
    const data =
      '| makeresults count=3 | streamstats count AS n | eval source=mvindex(split("syslog.log,bob-syslog.log,laura-syslog.log", ","), n - 1), sourcetype="syslog", host=mvindex(split("mylaptop,bobslaptop,lauraslaptop", ","), n - 1) | table source sourcetype host';
    expect(await search(`${data} | head 2 | fields source, sourcetype, host | format`)).toEqual([
      '( ( host="mylaptop" AND source="syslog.log" AND sourcetype="syslog" ) OR ( host="bobslaptop" AND source="bob-syslog.log" AND sourcetype="syslog" ) )',
    ]);
    expect(await search(`${data} | head 2 | fields source, sourcetype, host | format "[" "[" "&&" "]" "||" "]"`)).toEqual([
      '[ [ host="mylaptop" && source="syslog.log" && sourcetype="syslog" ] || [ host="bobslaptop" && source="bob-syslog.log" && sourcetype="syslog" ] ]',
    ]);
    expect(await search('| makeresults | eval foo="eventtype,log_level" | makemv delim="," foo | fields foo | format mvsep="mvseparator" "{" "[" "AND" "]" "AND" "}"')).toEqual([
      '{ [ ( foo="eventtype" mvseparator foo="log_level" ) ] }',
    ]);
  });

  it('replaces the results with the one search result', async () => {
    expect(await run('| makeresults count=3 | eval a=1 | format')).toEqual([{ search: '( ( a="1" ) OR ( a="1" ) OR ( a="1" ) )' }]);
  });

  it('leaves internal fields out, and gives NOT( ) when nothing but internal fields is left', async () => {
    // "emptystr: The value that the format command outputs instead of the default empty string NOT( ) if the results
    // generated up to that point are empty and no fields or values other than internal fields are returned."
    expect(await search('| makeresults | format')).toEqual(['NOT( )']);
    expect(await search('| makeresults | where 1=2 | format')).toEqual(['NOT( )']);
    expect(await search('| makeresults | format emptystr="nothing"')).toEqual(['nothing']);
  });

  it('takes the six row and column strings, all or none', async () => {
    // "If you want to specify a row or column options, you must specify all of the row and column options."
    expect(await search('| makeresults count=2 | streamstats count AS a | eval b="x" | fields - _time | format "[" "[" "&&" "]" "||" "]"')).toEqual([
      '[ [ a="1" && b="x" ] || [ a="2" && b="x" ] ]',
    ]);
    const spl = '| makeresults | format "[" "[" "&&"';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, '"&&"'));
    expect((await errorOf('| makeresults | format "1" "2" "3" "4" "5" "6" "7"')).message).toContain('not more');
    expect((await errorOf('| makeresults | format bogus')).code).toBe('SPL_SYNTAX');
  });

  it('writes a multivalue field as its values joined by mvsep (default OR)', async () => {
    // "mvsep: The separator to use for multivalue fields. Default: OR"
    expect(await search('| makeresults | eval a=split("1,2", ",") | fields - _time | format')).toEqual(['( ( ( a="1" OR a="2" ) ) )']);
    expect(await search('| makeresults | eval a=split("1,2", ","), b="x" | fields - _time | format mvsep="||"')).toEqual(['( ( ( a="1" || a="2" ) AND b="x" ) )']);
  });

  it('formats at most maxresults results (0: all)', async () => {
    // "maxresults: The maximum results to return. Default: 0, which means no limitation"
    expect(await search('| makeresults count=5 | streamstats count AS n | fields n | format maxresults=2')).toEqual(['( ( n="1" ) OR ( n="2" ) )']);
    expect(await search('| makeresults count=3 | streamstats count AS n | fields n | format maxresults=0')).toEqual(['( ( n="1" ) OR ( n="2" ) OR ( n="3" ) )']);
    expect((await errorOf('| makeresults | format maxresults=-1')).code).toBe('SPL_BAD_ARGUMENT');
  });

  it('escapes quotes and backslashes, and quotes names that are not one word', async () => {
    // Decision (docs/spl.md): the values written so that a search reads them back.
    expect(await search('| makeresults | eval v="say \\"hi\\" c:\\\\x" | fields v | format')).toEqual(['( ( v="say \\"hi\\" c:\\\\x" ) )']);
    expect(await search('| makeresults | eval "a b"=1 | fields "a b" | format')).toEqual(['( ( "a b"="1" ) )']);
  });

  it('writes a search field as it is and a query field quoted without its name', async () => {
    // Search Manual: "the "search" and "query" fields have their values rendered directly in the reformatted search string."
    expect(await search('| makeresults | eval search="a=1 OR b=2", c=3 | fields search c | format')).toEqual(['( ( c="3" AND a=1 OR b=2 ) )']);
    expect(await search('| makeresults | eval query="x y" | fields query | format')).toEqual(['( ( "x y" ) )']);
  });

  it('bounds its text: past MAX_SEARCH_TEXT_CHARS the search stops at format', async () => {
    const big = Math.ceil(MAX_SEARCH_TEXT_CHARS / 1000);
    const spl = `| makeresults count=${big + 10} | eval v=printf("%1000s", "x") | fields v | format`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'format'));
  });
});

// A subsearch whose results hold a `search` field: "When you use "search", the first value of the field is used as
// the actual search term" (Search Manual, "Change the format of subsearch results").
describe('format and the search field in subsearches', () => {
  const ev = (i: number, o: Record<string, unknown>) => ({ _time: NOW - 100 + i, _raw: JSON.stringify(o), index: 'main', sourcetype: 'logins', source: 's', host: 'h' });
  const EVENTS = [ev(1, { user: 'alice', src: '10.0.0.1' }), ev(2, { user: 'bob', src: '10.0.0.2' }), ev(3, { user: 'carol', src: '10.0.0.3' })];
  const users = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource(EVENTS) })).results.map((r) => toObject(r)['user']);

  it('inserts format\'s text, the same as the implicit format', async () => {
    const sub = '| makeresults count=2 | streamstats count AS n | eval user=if(n=1, "alice", "carol") | fields user';
    expect(await users(`sourcetype=logins [${sub} | format] | sort user`)).toEqual(['alice', 'carol']);
    expect(await users(`sourcetype=logins [${sub}] | sort user`)).toEqual(['alice', 'carol']);
    expect(await users(`sourcetype=logins NOT [${sub} | format]`)).toEqual(['bob']);
  });

  it('matches nothing for NOT( ), everything for NOT NOT( )', async () => {
    expect(await users('sourcetype=logins [| makeresults | where 1=2 | format]')).toEqual([]);
    expect(await users('sourcetype=logins NOT [| makeresults | where 1=2 | format] | sort user')).toEqual(['alice', 'bob', 'carol']);
  });

  it('reads values with quotes and backslashes back as they were', async () => {
    const evs = [ev(1, { user: 'a"b\\c' }), ev(2, { user: 'a"b' })];
    const r = await runSearch('sourcetype=logins [| makeresults | eval user="a\\"b\\\\c" | fields user | format]', { now: NOW, source: new MemorySource(evs) });
    expect(r.results.map((x) => x.get('user'))).toEqual(['a"b\\c']);
  });

  it('uses only the first value of a multivalue search field', async () => {
    expect(await users('sourcetype=logins [| makeresults | eval search=split("user=bob|user=carol", "|") | fields search]')).toEqual(['bob']);
  });

  it('reads a query field as quoted terms, without the field name', async () => {
    // "Query" is for the values "but not in these exact fields": "10.0.0.2" is found in the raw text.
    expect(await users('sourcetype=logins [| makeresults | eval query="10.0.0.2" | fields query]')).toEqual(['bob']);
  });
});

describe('search fields of a subsearch are bounded', () => {
  it('stops at the subsearch when its search texts pass MAX_SEARCH_TEXT_CHARS', async () => {
    const n = Math.ceil(MAX_SEARCH_TEXT_CHARS / 1_000_000) + 1;
    const spl = `| makeresults | search [| makeresults count=${n} | eval search="x=" . printf("%999990s", "y") | fields search]`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.message).toContain('"search" fields hold more than');
    expect(e.format()).toContain(at(spl, '['));
  });
});

describe('format over partitions', () => {
  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | stats count by process_name | format', '* | fields process_name node_name | format maxresults=50'], 3, 1700000000, 0);
  }, 120_000);
});
