import { describe, it, expect } from 'vitest';
import { run, errorOf, at } from './helpers.js';

// Expected values: SPL reference, makemv (docs.splunk.com/Documentation/Splunk/latest/SearchReference/Makemv):
// delim "splits the values in field on every occurrence of this delimiter" (default a single space);
// tokenizer "for each match, the first capturing group is used as a value"; allowempty: "if delim=","
// and field="a,,b", by default does not produce any value for the empty string".
describe('makemv', () => {
  it('splits on a single space by default and on a multicharacter delim', async () => {
    expect(await run('| makeresults | eval Scope="a b c" | makemv Scope | table Scope')).toEqual([{ Scope: ['a', 'b', 'c'] }]);
    expect(await run('| makeresults | eval s="x::y::z" | makemv delim="::" s | table s')).toEqual([{ s: ['x', 'y', 'z'] }]);
  });

  it('drops empty values unless allowempty=true', async () => {
    expect(await run('| makeresults | eval s="a,,b" | makemv delim="," s | table s')).toEqual([{ s: ['a', 'b'] }]);
    expect(await run('| makeresults | eval s="a,,b" | makemv delim="," allowempty=true s | table s')).toEqual([{ s: ['a', '', 'b'] }]);
  });

  it('tokenizer takes the first capturing group of every match (ESCU potentially_malicious_code_on_cmdline_tokenize_score)', async () => {
    const rows = await run('| makeresults | eval process="iex (new-object net.webclient)" | makemv tokenizer="([\\w\\d\\-]+)" process | table process');
    expect(rows).toEqual([{ process: ['iex', 'new-object', 'net', 'webclient'] }]);
    expect(await run('| makeresults | eval s="k=1;k=22" | makemv tokenizer="k=(\\d+)" s | table s')).toEqual([{ s: ['1', '22'] }]);
  });

  it('a single piece stays a single value; a missing field stays missing', async () => {
    expect(await run('| makeresults | eval s="one" | makemv delim="," s | table s')).toEqual([{ s: 'one' }]);
    expect(await run('| makeresults | eval t=1 | makemv s | table s t')).toEqual([{ t: 1 }]);
  });

  it('refuses what it cannot do, at the argument', async () => {
    const both = '| makeresults | makemv delim="," tokenizer="(a)" s';
    expect((await errorOf(both)).format()).toContain(at(both, 'delim'));
    const internal = '| makeresults | makemv _raw';
    expect((await errorOf(internal)).format()).toContain(at(internal, '_raw'));
    const noGroup = '| makeresults | eval s="a" | makemv tokenizer="\\w+" s';
    const e = await errorOf(noGroup);
    expect(e.message).toContain('capturing group');
    expect(e.format()).toContain(at(noGroup, '"\\w+"'));
    expect((await errorOf('| makeresults | makemv setsv=true s')).message).toContain('setsv');
  });
});
