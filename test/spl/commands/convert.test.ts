import { describe, it, expect } from 'vitest';
import { run, errorOf, at, NOW } from './helpers.js';

/** One result whose field `v` holds `value` (a multivalue when it is a list). */
const withV = (value: string | string[]) =>
  Array.isArray(value) ? `| makeresults | eval v=split("${value.join('|')}", "|")` : `| makeresults | eval v="${value}"`;
const convert = async (value: string | string[], fn: string) => (await run(`${withV(value)} | convert ${fn} | fields - _time`))[0];

describe('convert', () => {
  it('rmcomma removes every comma and keeps the text: 1,000,000.00 gives 1000000.00', async () => {
    expect(await convert('1,000,000.00', 'rmcomma(v)')).toEqual({ v: '1000000.00' });
    expect(await convert('a,b', 'rmcomma(v)')).toEqual({ v: 'ab' });
  });

  it('num() converts like auto() and removes the values it cannot convert', async () => {
    expect(await convert('12', 'num(v)')).toEqual({ v: 12 });
    expect(await convert('1,234.5', 'num(v)')).toEqual({ v: 1234.5 });
    expect(await convert('abc', 'num(v)')).toEqual({});
    expect(await convert(['1', 'x', '3'], 'num(v)')).toEqual({ v: [1, 3] });
    expect(await convert('abc', 'num(v) AS n')).toEqual({ v: 'abc' });
  });

  it('auto() converts with the best known conversion and leaves a field it cannot fully convert untouched', async () => {
    expect(await convert('12', 'auto(v)')).toEqual({ v: 12 });
    expect(await convert('1,234', 'auto(v)')).toEqual({ v: 1234 });
    expect(await convert('00:10:15', 'auto(v)')).toEqual({ v: 615 });
    expect(await convert('abc', 'auto(v)')).toEqual({ v: 'abc' });
    expect(await convert(['1', 'x'], 'auto(v)')).toEqual({ v: ['1', 'x'] });
    expect(await convert(['1', '2,000'], 'auto(v)')).toEqual({ v: [1, 2000] });
  });

  it('dur2sec, mstime, rmunit and memk follow the docs examples', async () => {
    expect(await convert('00:10:15', 'dur2sec(v)')).toEqual({ v: 615 });
    expect(await convert('1+00:00:01', 'dur2sec(v)')).toEqual({ v: 86401 });
    expect(await convert('01:02.5', 'mstime(v)')).toEqual({ v: 62.5 });
    expect(await convert('212 sec', 'rmunit(v)')).toEqual({ v: 212 });
    expect(await convert('2g', 'memk(v)')).toEqual({ v: 2097152 });
    expect(await convert('10', 'memk(v)')).toEqual({ v: 10 });
  });

  it('a value past the largest double is not converted (it was Infinity, which printing _time then threw on)', async () => {
    const nines = '9'.repeat(330);
    const rows = await run(
      `| makeresults | eval a="${nines}g", b="${nines}:00:00", c="${nines}.5", d="1e309x", e="1e308g", f="1e309" | convert memk(a) dur2sec(b) mstime(c) rmunit(d) memk(e) auto(f) | table a b c d e f`,
    );
    expect(rows).toEqual([{ a: `${nines}g`, b: `${nines}:00:00`, c: `${nines}.5`, d: '1e309x', e: '1e308g', f: '1e309' }]);
    expect(await run('| makeresults | eval _time="1e308g" | convert memk(_time) num(x) | table _time')).toEqual([{ _time: '1e308g' }]);
  });

  it('none() keeps the fields it names out of the other conversions (convert auto(*) none(foo))', async () => {
    const rows = await run('| makeresults | eval foo="1,000", bar="2,000" | convert auto(*) none(foo) | fields - _time');
    expect(rows).toEqual([{ foo: '1,000', bar: 2000 }]);
    const wild = await run('| makeresults | eval foo1="1,000", foo2="3", bar="2,000" | convert auto(*) none(foo*) | fields - _time');
    expect(wild).toEqual([{ foo1: '1,000', foo2: '3', bar: 2000 }]);
  });

  it('ctime and mktime use the default time format or timeformat=, AS keeps the original', async () => {
    const rows = await run('| makeresults | eval t=1700000000 | convert ctime(t) AS c | fields - _time');
    expect(rows).toEqual([{ t: 1700000000, c: '11/14/2023 22:13:20' }]);
    const back = await run('| makeresults | eval c="11/14/2023 22:13:20", d="2023-11-14T22:13:20" | convert mktime(c) AS t | convert timeformat="%Y-%m-%dT%H:%M:%S" mktime(d) | fields - _time');
    expect(back).toEqual([{ c: '11/14/2023 22:13:20', t: 1700000000, d: 1700000000 }]);
  });

  // Search Reference, convert: "auto(<wc-field>) ... You can use a wildcard ( * ) character to specify all fields";
  // "<field> ... Creates a new field with the name you specify to place the converted values into. The original
  // field and values remain intact." A pattern's AS therefore names one field per match, its `*` as rename's.
  it('a pattern with AS gives each matched field its own new field (auto(*) AS z_*); the originals stay', async () => {
    const rows = await run('| makeresults | eval x="5", y="abc", w="1,000" | convert auto(*) AS z_* | fields - _time');
    // auto() leaves y as it is ("the field is left untouched"), so z_y holds the text; _time is not matched.
    expect(rows).toEqual([{ x: '5', y: 'abc', w: '1,000', z_x: 5, z_y: 'abc', z_w: 1000 }]);
    const ctime = await run('| makeresults | eval start_time=0, end_time=60 | convert ctime(*_time) AS *_str | fields - _time');
    expect(ctime).toEqual([{ start_time: 0, end_time: 60, start_str: '01/01/1970 00:00:00', end_str: '01/01/1970 00:01:00' }]);
  });

  it('an AS name needs as many wildcards as its field: one name for every match would keep only the last', async () => {
    for (const [spl, name] of [
      ['| makeresults | convert auto(*) AS z', 'z'],
      ['| makeresults | convert auto(x) AS z_*', 'z_*'],
    ] as const) {
      const e = await errorOf(spl);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.format()).toContain(at(spl, name, spl.indexOf(' AS ')));
    }
  });

  it('a pattern leaves internal fields alone unless it begins with _ (num(*) kept removing _raw)', async () => {
    // Decision, as stats' and replace's patterns: "To specify the wildcard pattern for internal fields, use _*"
    // (Search Reference, fields).
    const rows = await run('| makeresults | eval _raw="hello world", n="7" | convert num(*) | convert ctime(*) AS *_c');
    expect(rows).toEqual([{ _time: NOW, _raw: 'hello world', n: 7, n_c: '01/01/1970 00:00:07' }]);
    const internal = await run('| makeresults | convert ctime(_*) | table _time');
    expect(internal).toEqual([{ _time: '11/14/2023 22:13:20' }]);
  });

  it('rejects an unknown function at its position', async () => {
    const spl = '| makeresults | convert nope(x)';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'nope'));
  });
});
