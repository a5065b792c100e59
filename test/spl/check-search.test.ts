import { describe, expect, it } from 'vitest';
import { checkSearch, SplError } from '../../src/spl/index.js';

/** The error checkSearch raises (validate's verdict, vigil run/test/search before any event is read). */
function errorOf(spl: string): SplError {
  try {
    checkSearch(spl, { now: 0 });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('checkSearch', () => {
  it("reports the first of several commands' static errors, in the pipeline's order", () => {
    const cases: [string, string][] = [
      ['| makeresults | eval x=nosuch1(1) | eval y=nosuch2(1)', 'nosuch1'],
      ['| makeresults | lookup nolookup1 a | lookup nolookup2 b', 'nolookup1'],
      ['| makeresults | eval x=nosuch1(1) | join k [| makeresults | eval z=nosuch3(1)]', 'nosuch1'],
      ['| makeresults | join k [| makeresults | eval z=nosuch3(1)] | eval x=nosuch1(1)', 'nosuch3'],
    ];
    for (const [spl, first] of cases) {
      const e = errorOf(spl);
      expect(e.message, spl).toContain(first);
      expect(e.location()!.column, spl).toBe(spl.indexOf(first) + 1);
    }
  });
});
