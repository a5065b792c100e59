import { describe, expect, it } from 'vitest';
import { at, errorOf, run } from './helpers.js';

// SPL reference, nomv: "Converts values of the specified multivalue field into one single value. Separates the
// values using a new line "\n" delimiter." Syntax: nomv <field>.
describe('nomv', () => {
  it('joins the values of a multivalue field with newlines, in their order', async () => {
    expect(await run('| makeresults | eval senders=split("b@x,a@x,b@x", ",") | nomv senders | table senders')).toEqual([{ senders: 'b@x\na@x\nb@x' }]);
    // The result is one value: mvcount 1, and top counts it as one.
    expect(await run('| makeresults | eval n=mvappend(10, 9) | nomv n | eval c=mvcount(n) | table n c')).toEqual([{ n: '10\n9', c: 1 }]);
  });

  it('leaves a single value and a missing field as they are', async () => {
    expect(await run('| makeresults | eval s="one", t=1 | nomv s | nomv u | table s t u')).toEqual([{ s: 'one', t: 1 }]);
  });

  it('takes exactly one field', async () => {
    const spl = '| makeresults | nomv a b';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, 'b', spl.indexOf('nomv')));
    expect((await errorOf('| makeresults | nomv')).code).toBe('SPL_SYNTAX');
  });
});
