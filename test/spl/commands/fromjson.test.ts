import { describe, expect, it } from 'vitest';
import { errorOf, run } from './helpers.js';

describe('fromjson', () => {
  it('turns the top-level keys of a JSON object into fields: arrays as multivalues, objects as JSON text', async () => {
    const rows = await run(`| makeresults | eval data="{\\"name\\":\\"Albert\\",\\"age\\":63,\\"ok\\":true,\\"none\\":null,\\"tags\\":[\\"a\\",2,{\\"x\\":1}],\\"o\\":{\\"k\\": [1, 2]}}" | fields - _time | fromjson data | fields - data`);
    expect(rows).toEqual([{ name: 'Albert', age: 63, ok: 'true', none: 'null', tags: ['a', 2, '{"x":1}'], o: '{"k":[1,2]}' }]);
  });

  it('prefixes the names, overwrites fields of the same name, and ignores text that is not a JSON object', async () => {
    expect(await run('| makeresults | eval data="{\\"a\\":1}", j_a="old" | fields - _time | fromjson data prefix=j_')).toEqual([{ data: '{"a":1}', j_a: 1 }]);
    expect(await run('| makeresults | eval data="[1,2]", other="{not json" | fields - _time | fromjson data | fromjson other | fromjson missing')).toEqual([{ data: '[1,2]', other: '{not json' }]);
  });

  it('leaves out a value nested past the JSON depth limit instead of overflowing the stack', async () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const rows = await run(`| makeresults | eval data="{\\"deep\\":${deep.replace(/"/g, '\\"')},\\"b\\":1}" | fields - _time | fromjson data | fields - data`);
    expect(rows).toEqual([{ b: 1 }]);
  });

  it('needs exactly one field', async () => {
    expect((await errorOf('| makeresults | fromjson')).message).toContain('fromjson needs a field');
    expect((await errorOf('| makeresults | fromjson a b')).message).toContain('fromjson takes one field');
  });
});
