import { describe, expect, it } from 'vitest';
import { Row, type Result } from '../../src/events/result.js';
import { chunkedWriter, outputSink } from '../../src/cli/output.js';
import { runSearch } from '../../src/spl/index.js';

describe('CLI output', () => {
  it('writes a synchronous run of pieces at once, in order, before anything else runs', async () => {
    const writes: string[] = [];
    const write = chunkedWriter((s) => writes.push(s));
    write('a');
    write('b');
    expect(writes).toEqual([]);
    await Promise.resolve();
    expect(writes).toEqual(['ab']);
    write('c');
    await Promise.resolve();
    expect(writes).toEqual(['ab', 'c']);
  });

  it('prints jsonl rows in chunks of about 64K characters, the same text as row by row', async () => {
    const writes: string[] = [];
    const sink = outputSink({ format: 'jsonl', tz: 'UTC', write: (s) => writes.push(s) });
    const want: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const r = new Row();
      r.set('n', i);
      r.set('process', `/bin/sh -c "echo ${i}"`);
      sink.push(r);
      want.push(JSON.stringify({ n: i, process: `/bin/sh -c "echo ${i}"` }) + '\n');
    }
    sink.end();
    await Promise.resolve();
    expect(writes.join('')).toBe(want.join(''));
    expect(writes.length).toBeLessThan(20);
    for (const w of writes.slice(0, -1)) expect(w.length).toBeGreaterThanOrEqual(64 * 1024);
  });

  // `--format json`: the pretty array JSON.stringify(rows, null, 2) prints, each row written as text like jsonl.
  const printJson = async (rows: Row[], jsonOf?: (r: Result) => unknown): Promise<string> => {
    const writes: string[] = [];
    const sink = outputSink({ format: 'json', tz: 'UTC', write: (s) => writes.push(s), ...(jsonOf ? { jsonOf } : {}) });
    for (const r of rows) sink.push(r);
    sink.end();
    await Promise.resolve();
    return writes.join('');
  };
  const row = (fields: [string, string | number | (string | number)[]][]): Row => {
    const r = new Row();
    for (const [k, v] of fields) r.set(k, v);
    return r;
  };

  it('prints json as JSON.stringify(rows, null, 2) does for ordinary rows: nesting, multivalues, escapes, no rows', async () => {
    const rows = [
      row([['_time', 1_700_000_000.5], ['a', 'x "q"\n'], ['n', 2.5], ['mv', ['p', 3]]]),
      row([['b', 'only']]),
      new Row(),
    ];
    const want = [
      { _time: '2023-11-14T22:13:20.500000+00:00', a: 'x "q"\n', n: 2.5, mv: ['p', 3] },
      { b: 'only' },
      {},
    ];
    expect(await printJson(rows)).toBe(JSON.stringify(want, null, 2) + '\n');
    expect(await printJson([])).toBe('[]\n');
  });

  it("keeps json's rows in their field order, integer names included, and writes a field named __proto__, as jsonl does", async () => {
    const r = row([['b', 1], ['10', 'ten'], ['__proto__', 'p']]);
    // Written by hand: an object would put "10" first and drop __proto__.
    expect(await printJson([r])).toBe('[\n  {\n    "b": 1,\n    "10": "ten",\n    "__proto__": "p"\n  }\n]\n');
  });

  // A chart's empty cells are no fields of its rows: the header follows the columns the command declared, not where
  // a column first has a value. docs/spl.md: chart's columns in the column-split values' order, then NULL, then
  // OTHER; xyseries' in stats' order of the names (the reference's example: 138, 245, ..., 806).
  it('orders csv and table columns as chart, timechart and xyseries made them, empty cells included', async () => {
    const print = async (spl: string, format: 'csv' | 'table') => {
      const writes: string[] = [];
      const sink = outputSink({ format, tz: 'UTC', write: (s) => writes.push(s) });
      for (const r of (await runSearch(spl, { now: 1700000000 })).results) sink.push(r);
      sink.end();
      await Promise.resolve();
      return writes.join('').split('\n');
    };
    const chart = '| makeresults count=4 | streamstats count AS n | eval a=if(n<3, "x", "y"), b=if(n=1, null(), "k" . n) | chart avg(n) over a by b';
    expect(await print(chart, 'csv')).toEqual(['a,k2,k3,k4,NULL', 'x,2,,,1', 'y,,3,4,', '']);
    expect((await print(`${chart} | eval z=1`, 'csv'))[0]).toBe('a,k2,k3,k4,NULL,z');
    expect((await print(`${chart} | rename k3 AS three | fields - k4`, 'csv'))[0]).toBe('a,k2,three,NULL');
    expect((await print(chart, 'table'))[0]!.split(/\s+/).filter((c) => c !== '')).toEqual(['a', 'k2', 'k3', 'k4', 'NULL']);
    const xy = '| makeresults count=3 | streamstats count AS n | eval x="r" . n, y=mvindex(split("806,493,138", ","), n - 1) | xyseries x y n';
    expect((await print(xy, 'csv'))[0]).toBe('x,138,493,806');
    const tc = '| makeresults count=2 | streamstats count AS n | eval _time=1700000000 + n * 3600, h=if(n=1, "b", "a") | timechart span=1h avg(n) by h';
    expect((await print(tc, 'csv'))[0]).toBe('_time,a,b,_span');
  });

  it("prints a command's own json rows (jsonOf) indented as JSON.stringify(rows, null, 2) does", async () => {
    const jsonOf = (r: Result) => ({ name: r.get('name'), enabled: true, tags: ['a', 'b'] });
    const rows = [row([['name', 'one']]), row([['name', 'two']])];
    expect(await printJson(rows, jsonOf)).toBe(JSON.stringify(rows.map(jsonOf), null, 2) + '\n');
  });
});
