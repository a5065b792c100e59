import { describe, expect, it } from 'vitest';
import { MAX_RANGEMAP_RANGES } from '../../../src/spl/commands/rangemap.js';
import { at, errorOf, run } from './helpers.js';

// Search Reference, rangemap (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/rangemap):
// "The command adds in a new field called range to each event"; "Set the range field to the names of any
// attribute_name that the value of the input field is within. If no range is matched, the range value is set to the
// default value"; "The ranges that you set can overlap. If you have overlapping values, the range field is created as
// a multivalue field containing all the values that apply. For example, if low=1-10, elevated=5-15, and the input field
// value is 10, range=low and code=elevated"; "rangemap field=<string> [<attribute_name>=<numeric_range>]...
// [default=<string>]"; numeric_range "<num>-<num> ... The values can be integers or floating point numbers. The first
// value must be lower than the second. The <numeric_range> can include negative values. Example: Dislike=-5--1
// DontCare=0-0 Like=1-5". Expected ranges are worked out by hand.

/** Results whose field `v` takes the given values ('' = missing). */
const input = (vs: readonly string[]) =>
  `| makeresults count=${vs.length} | streamstats count AS n | eval v=mvindex(split("${vs.join(',')}", ","), n - 1) | eval v=if(v="", null(), v)`;
const ranges = async (spl: string) => (await run(`${spl} | table n range`)).map((r) => r.range ?? null);

describe('rangemap', () => {
  it('names the range a value is in, both ends included; negative and decimal ranges (the reference example)', async () => {
    expect(await ranges(`${input(['-5', '-1', '0', '1', '5', '-0.5', '2.5'])} | rangemap field=v Dislike=-5--1 DontCare=0-0 Like=1-5`)).toEqual([
      'Dislike', 'Dislike', 'DontCare', 'Like', 'Like', 'None', 'Like',
    ]);
  });

  it('gives every range an overlapping value is in, as a multivalue in the order written', async () => {
    expect(await ranges(`${input(['10', '3', '15', '16'])} | rangemap field=v low=1-10 elevated=5-15`)).toEqual([['low', 'elevated'], 'low', 'elevated', 'None']);
  });

  it('sets default= where no range matches, a missing field, a value that is not a number', async () => {
    expect(await ranges(`${input(['0', '50', '500', '', 'abc'])} | rangemap field=v low=0-0 elevated=1-100 default=severe`)).toEqual([
      'low', 'elevated', 'severe', 'severe', 'severe',
    ]);
    // Without default=, None.
    expect(await ranges(`${input(['', 'abc'])} | rangemap field=v low=0-10`)).toEqual(['None', 'None']);
  });

  it('reads each value of a multivalue field', async () => {
    expect(await ranges('| makeresults | eval n=1, v=split("2,50", ",") | rangemap field=v low=0-10 mid=11-60 high=61-100')).toEqual([['low', 'mid']]);
  });

  it('refuses a missing field=, a bad range, a reversed range, a repeated name', async () => {
    expect((await errorOf('| makeresults | rangemap low=1-2')).code).toBe('SPL_SYNTAX');
    for (const r of ['1..2', 'a-b', '5-1', '1-', '-']) {
      const spl = `| makeresults | rangemap field=v x=${r}`;
      const e = await errorOf(spl);
      expect(e.code, r).toBe('SPL_BAD_ARGUMENT');
      expect(e.format()).toContain(at(spl, r, spl.indexOf('x=')));
    }
    expect((await errorOf('| makeresults | rangemap field=v a=1-2 a=3-4')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | rangemap field=v lonely')).code).toBe('SPL_SYNTAX');
  });

  it(`takes at most ${MAX_RANGEMAP_RANGES} ranges`, async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => `r${i}=${i}-${i}`).join(' ');
    expect(await ranges(`| makeresults | eval n=1, v=999 | rangemap field=v ${many(MAX_RANGEMAP_RANGES)}`)).toEqual(['r999']);
    expect((await errorOf(`| makeresults | rangemap field=v ${many(MAX_RANGEMAP_RANGES + 1)}`)).code).toBe('SPL_BAD_ARGUMENT');
  });
});
