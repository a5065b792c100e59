import { describe, it, expect } from 'vitest';
import { run, errorOf, at } from './helpers.js';


describe('mvexpand', () => {
  it('makes one result per value, copying the other fields', async () => {
    const rows = await run('| makeresults | eval a=split("x,y,z", ","), b=1 | mvexpand a | table a b');
    expect(rows).toEqual([
      { a: 'x', b: 1 },
      { a: 'y', b: 1 },
      { a: 'z', b: 1 },
    ]);
  });

  it('gives each copy its own fields', async () => {
    const rows = await run('| makeresults | eval a=split("1,2", ",") | mvexpand a | eval c=a*10 | table a c');
    expect(rows).toEqual([
      { a: '1', c: 10 },
      { a: '2', c: 20 },
    ]);
  });

  it('limit=N uses only the first N values', async () => {
    const rows = await run('| makeresults | eval a=split("x,y,z", ",") | mvexpand a limit=2 | table a');
    expect(rows).toEqual([{ a: 'x' }, { a: 'y' }]);
    expect(await run('| makeresults | eval a=split("x,y", ",") | mvexpand limit=0 a | table a')).toEqual([{ a: 'x' }, { a: 'y' }]);
  });

  it('passes a single value through and drops results without the field', async () => {
    const spl =
      '| makeresults count=3 | streamstats count as n | eval a=case(n=1, "only", n=2, null(), n=3, split("p,q", ",")) | mvexpand a | table n a';
    expect(await run(spl)).toEqual([
      { n: 1, a: 'only' },
      { n: 3, a: 'p' },
      { n: 3, a: 'q' },
    ]);
  });

  it('keeps the order of the input results', async () => {
    const spl = '| makeresults count=2 | streamstats count as n | eval a=split(n.",".n."b", ",") | mvexpand a | table a';
    expect(await run(spl)).toEqual([{ a: '1' }, { a: '1b' }, { a: '2' }, { a: '2b' }]);
  });

  it('rejects bad arguments at their position', async () => {
    let spl = '| makeresults | mvexpand';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.message).toMatch(/needs a field/);

    spl = '| makeresults | mvexpand _raw';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, '_raw'));

    spl = '| makeresults | mvexpand a limit=x';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'x', spl.indexOf('limit')));

    spl = '| makeresults | mvexpand a b';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, 'b', spl.indexOf('mvexpand a') + 10));

    spl = '| makeresults | mvexpand a*';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'a*'));
  });
});
