import { describe, expect, it } from 'vitest';
import { at, errorOf, run } from './helpers.js';

// Semantics from the SPL reference, "appendcols" (Splunk Cloud Platform 10.0.2503,
// https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/appendcols): "All
// fields of the subsearch are combined into the current results, with the exception of internal fields. For
// example, the first subsearch result is merged with the first main result, the second subsearch result is merged
// with the second main result, and so on"; override: "If the override argument is false, and if a field is present
// in both a subsearch result and the main result, the main result is used. If override=true, the subsearch result
// value is used. Default: override=false"; maxout default 50000.

const MAIN = '| makeresults count=3 | streamstats count as a | eval x="main".a | fields - _time';
const SUB = '[| makeresults count=2 | streamstats count as b | eval x="sub".b, _hidden=1]';

describe('appendcols', () => {
  it('merges the first subsearch result into the first result, the second into the second', async () => {
    expect(await run(`${MAIN} | appendcols ${SUB}`)).toEqual([
      { a: 1, b: 1, x: 'main1' },
      { a: 2, b: 2, x: 'main2' },
      { a: 3, x: 'main3' },
    ]);
  });

  it('override=true takes the subsearch\'s value', async () => {
    expect(await run(`${MAIN} | appendcols override=true ${SUB}`)).toEqual([
      { a: 1, b: 1, x: 'sub1' },
      { a: 2, b: 2, x: 'sub2' },
      { a: 3, x: 'main3' },
    ]);
  });

  it('adds subsearch results past the last result as results of their own', async () => {
    expect(await run(`${MAIN} | head 1 | appendcols ${SUB}`)).toEqual([
      { a: 1, b: 1, x: 'main1' },
      { b: 2, x: 'sub2' },
    ]);
  });

  it('maxout= bounds the subsearch\'s results', async () => {
    expect(await run(`${MAIN} | appendcols maxout=1 ${SUB}`)).toEqual([
      { a: 1, b: 1, x: 'main1' },
      { a: 2, x: 'main2' },
      { a: 3, x: 'main3' },
    ]);
  });

  it('refuses bad arguments at their place', async () => {
    const none = '| makeresults | appendcols';
    expect((await errorOf(none)).format()).toContain(`at 1:${none.length + 1}`);
    for (const [spl, text] of [['| makeresults | appendcols override=maybe [| makeresults]', 'maybe'], ['| makeresults | appendcols maxout=0 [| makeresults]', '0'], ['| makeresults | appendcols x [| makeresults]', 'x']] as const) {
      expect((await errorOf(spl)).format(), spl).toContain(at(spl, text, spl.indexOf('appendcols') + 10));
    }
  });
});
