import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { MAX_SEARCH_TEXT_CHARS } from '../../../src/spl/commands/format.js';
import { runSearch } from '../../../src/spl/index.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// SPL reference, return: "The command replaces the incoming events with one event, with one attribute: "search"."
// "By default, the return command uses only the first row of results. Use the count argument to specify the number
// of results to use." Usage: "Field name: return source", "Alias=value: return ip=srcip", "Value: return $srcip";
// "You can specify multiple rows, for example 'return 2 ip'. Each row is viewed as an OR clause".
const ROWS = '| makeresults count=3 | streamstats count AS n | eval srcip="10.0.0." . n, source="s" . n';
const search = async (spl: string) => (await run(spl)).map((r) => r['search']);

describe('return', () => {
  it('returns the first row by default, as field="value"', async () => {
    expect(await run(`${ROWS} | return source`)).toEqual([{ search: 'source="s1"' }]);
  });

  it('renames with alias=field and gives the value alone with $field', async () => {
    expect(await search(`${ROWS} | return ip=srcip`)).toEqual(['ip="10.0.0.1"']);
    expect(await search(`${ROWS} | return $srcip`)).toEqual(['10.0.0.1']);
    // Several items of one row: an implied AND (Decision, docs/spl.md).
    expect(await search(`${ROWS} | return ip=srcip source $n`)).toEqual(['ip="10.0.0.1" source="s1" 1']);
  });

  it('ORs count rows, each in parentheses', async () => {
    expect(await search(`${ROWS} | return 2 srcip`)).toEqual(['(srcip="10.0.0.1") OR (srcip="10.0.0.2")']);
    expect(await search(`${ROWS} | return 10 n`)).toEqual(['(n="1") OR (n="2") OR (n="3")']);
  });

  it('leaves out missing fields and rows without any; none at all gives an empty text', async () => {
    expect(await search(`${ROWS} | eval x=if(n=2, "b", null()) | return 3 x`)).toEqual(['x="b"']);
    expect(await search(`${ROWS} | return nosuch`)).toEqual(['']);
  });

  it('quotes values without escaping them; a multivalue is an OR of its values', async () => {
    // "The return command does not escape quotation marks that are in the fields that are returned. You must use an
    // eval command to escape the quotation marks before you use the return command."
    expect(await search('| makeresults | eval v="a\\"b" | return v')).toEqual(['v="a"b"']);
    expect(await search('| makeresults | eval v="a\\\\\\"b" | return v')).toEqual(['v="a\\"b"']);
    expect(await search('| makeresults | eval v=split("a,b", ",") | return v $v')).toEqual(['( v="a" OR v="b" ) a']);
  });

  it('refuses bad arguments at their place', async () => {
    let spl = `${ROWS} | return`;
    expect((await errorOf(spl)).code).toBe('SPL_BAD_ARGUMENT');
    spl = `${ROWS} | return 0 n`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, '0 n'));
    expect((await errorOf(`${ROWS} | return $`)).message).toContain('$ needs a field name');
    expect((await errorOf(`${ROWS} | return (n)`)).code).toBe('SPL_SYNTAX');
  });

  it('bounds its text', async () => {
    const n = Math.ceil(MAX_SEARCH_TEXT_CHARS / 1_000_000) + 1;
    const spl = `| makeresults count=${n} | eval v=printf("%999990s", "y") | return ${n} v`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'return'));
  });

  it('passes values up from a subsearch', async () => {
    // Reference example: "error [ search user=boss | return ip ]"; and "return 2 user" for (user=user1 OR user=user2).
    const ev = (i: number, o: Record<string, unknown>) => ({ _time: NOW - 100 + i, _raw: JSON.stringify(o), index: 'main', sourcetype: 'logins', source: 's', host: 'h' });
    const evs = [ev(1, { user: 'boss', ip: '10.0.0.7' }), ev(2, { user: 'bob', ip: '10.0.0.7', msg: 'error' }), ev(3, { user: 'eve', ip: '10.0.0.8', msg: 'error' })];
    const users = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource(evs) })).results.map((r) => toObject(r)['user']).sort();
    expect(await users('error [ search user=boss | return ip ]')).toEqual(['bob']);
    expect(await users('error [ search msg=error | return 2 user ]')).toEqual(['bob', 'eve']);
    // "When the input to the return command is 0 events ... If index=A test_errror returns 0 events, the subsearch
    // returns an empty string. The final result of the full search is all events from index=B."
    expect(await users('error [ search user=nobody | return ip ]')).toEqual(['bob', 'eve']);
    expect(await users('error NOT [ search user=nobody | return ip ]')).toEqual([]);
  });

  it('gives one result as its terms, so a returned earliest= is the search\'s time modifier', async () => {
    const ev = (i: number, o: Record<string, unknown>) => ({ _time: NOW - 100 + i, _raw: JSON.stringify(o), index: 'main', sourcetype: 'logins', source: 's', host: 'h' });
    const evs = [ev(1, { user: 'boss' }), ev(2, { user: 'bob' }), ev(3, { user: 'eve' })];
    const users = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource(evs) })).results.map((r) => toObject(r)['user']).sort();
    // `earliest="<NOW-98.5>"` as Splunk's text: events at NOW-98 and NOW-97 (it was refused as inside an OR of one).
    expect(await users(`sourcetype=logins [| makeresults | eval earliest=${NOW - 98.5} | return earliest]`)).toEqual(['bob', 'eve']);
    expect(await users(`sourcetype=logins [| makeresults | eval search="earliest=${NOW - 98.5}" | fields search]`)).toEqual(['bob', 'eve']);
  });

  it('results with earliest and latest fields are time windows, one per result', async () => {
    // format writes each result as `( earliest="..." latest="..." )`, OR-ed; the search reads earliest=/latest= as
    // time modifiers, and under OR as windows (Search Reference, "Time modifiers", example 5).
    const ev = (i: number, o: Record<string, unknown>) => ({ _time: NOW - 100 + i, _raw: JSON.stringify(o), index: 'main', sourcetype: 'logins', source: 's', host: 'h' });
    const evs = [ev(1, { user: 'boss' }), ev(2, { user: 'bob' }), ev(3, { user: 'eve' })];
    const users = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource(evs) })).results.map((r) => toObject(r)['user']).sort();
    const windows = `| makeresults count=2 | streamstats count AS n | eval earliest=if(n=1, ${NOW - 99}, ${NOW - 97}), latest=earliest+1`;
    expect(await users(`sourcetype=logins [${windows} | fields earliest latest]`)).toEqual(['boss', 'eve']);
    expect(await users(`sourcetype=logins [${windows} | return 2 earliest latest]`)).toEqual(['boss', 'eve']);
    expect(await users(`sourcetype=logins [${windows} | head 1 | fields earliest latest]`)).toEqual(['boss']);
  });

  it('reads back a value whose quotes the search escaped first, as the reference tells', async () => {
    const ev = (i: number, o: Record<string, unknown>) => ({ _time: NOW - 100 + i, _raw: JSON.stringify(o), index: 'main', sourcetype: 'logins', source: 's', host: 'h' });
    const evs = [ev(1, { user: 'say "hi"' }), ev(2, { user: 'say' })];
    const users = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource(evs) })).results.map((r) => toObject(r)['user']);
    // The value escaped by eval (`\"` for each quote) is written as it is and read back as `say "hi"`.
    expect(await users('sourcetype=logins [| makeresults | eval user="say \\\\\\"hi\\\\\\"" | return user]')).toEqual(['say "hi"']);
  });
});

describe('return over partitions', () => {
  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | return 5 process_name pid=process_id', '* | stats count by node_name | return 3 $node_name'], 3, 1700000000, 0);
  }, 120_000);
});
