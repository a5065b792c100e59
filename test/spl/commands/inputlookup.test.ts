import { describe, it, expect } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { runSearch, SplError, type LookupProvider, type LookupTable } from '../../../src/spl/index.js';

const NOW = 1700000000;

const TABLES: LookupTable[] = [
  {
    name: 'baseline.csv',
    fields: ['src', 'count', 'note'],
    rows: [
      { src: '10.0.0.1', count: '5', note: 'Known Scanner' },
      { src: '10.0.0.2', count: '12', note: '' },
      { src: '192.168.1.9', count: '7', note: 'printer' },
    ],
    caseSensitive: true,
  },
];

const lookups: LookupProvider = {
  get: (name) => TABLES.find((t) => t.name === name),
  names: () => TABLES.map((t) => t.name),
};

const run = async (spl: string) => (await runSearch(spl, { now: NOW, lookups })).results.map(toObject);

async function errorOf(spl: string): Promise<SplError> {
  try {
    await runSearch(spl, { now: NOW, lookups });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${spl}`);
}

const at = (spl: string, text: string, from = 0) => `at 1:${spl.indexOf(text, from) + 1}`;

describe('inputlookup', () => {
  it('generates the table rows in file order; empty cells are absent fields', async () => {
    expect(await run('| inputlookup baseline.csv')).toEqual([
      { src: '10.0.0.1', count: '5', note: 'Known Scanner' },
      { src: '10.0.0.2', count: '12' },
      { src: '192.168.1.9', count: '7', note: 'printer' },
    ]);
    expect((await runSearch('| inputlookup baseline.csv', { now: NOW, lookups })).results[0]!.fieldNames()).toEqual(['src', 'count', 'note']);
  });

  it('finds the table without .csv', async () => {
    expect((await run('| inputlookup baseline')).length).toBe(3);
  });

  it('WHERE filters with search semantics (wildcards, case-insensitive, numbers, CIDR)', async () => {
    expect((await run('| inputlookup baseline where src=10.0.0.*')).map((r) => r.src)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect((await run('| inputlookup baseline WHERE note="known scanner"')).map((r) => r.src)).toEqual(['10.0.0.1']);
    expect((await run('| inputlookup baseline where count>6 NOT src=10.0.0.2')).map((r) => r.src)).toEqual(['192.168.1.9']);
    expect((await run('| inputlookup baseline where src=192.168.0.0/16 OR note=printer')).map((r) => r.src)).toEqual(['192.168.1.9']);
  });

  it('start= skips rows and max= caps the rows read', async () => {
    expect((await run('| inputlookup start=1 baseline')).map((r) => r.src)).toEqual(['10.0.0.2', '192.168.1.9']);
    expect((await run('| inputlookup max=2 baseline')).map((r) => r.src)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect((await run('| inputlookup baseline start=1 max=1')).map((r) => r.src)).toEqual(['10.0.0.2']);
  });

  it('feeds later commands', async () => {
    expect(await run('| inputlookup baseline | stats sum(count) as total')).toEqual([{ total: 24 }]);
    expect(await run('| inputlookup baseline | head 1 | table src')).toEqual([{ src: '10.0.0.1' }]);
  });

  it('append=true after other commands adds the rows after its input', async () => {
    const rows = await run('| makeresults | eval src="10.9.9.9", count=1 | table src count | inputlookup append=t baseline | stats sum(count) as total, dc(src) as n');
    expect(rows).toEqual([{ total: 25, n: 4 }]);
    const order = await run('| makeresults | eval src="first" | table src | inputlookup baseline append=true where count=7 | table src');
    expect(order).toEqual([{ src: 'first' }, { src: '192.168.1.9' }]);
  });

  // Search Reference, inputlookup, example 2: `... [| inputlookup append=t usertogroup]`: first in its pipeline there is
  // no result set to append to, so it gives the table's rows (append: "the data returned from the lookup file is appended
  // to the current set of results rather than replacing it").
  it('append=true as the first command (a subsearch, or the search) gives the rows', async () => {
    expect(await run('| inputlookup append=t baseline | table src')).toEqual([{ src: '10.0.0.1' }, { src: '10.0.0.2' }, { src: '192.168.1.9' }]);
    const rows = await run('| makeresults | eval src="10.9.9.9" | table src | append [| inputlookup append=true baseline where count>6 | table src]');
    expect(rows).toEqual([{ src: '10.9.9.9' }, { src: '10.0.0.2' }, { src: '192.168.1.9' }]);
    // First in appendpipe's subpipeline it has the current results: it appends to them.
    const piped = await run('| makeresults | eval src="10.9.9.9" | table src | appendpipe [inputlookup append=t baseline where count=7 | table src]');
    expect(piped).toEqual([{ src: '10.9.9.9' }, { src: '10.9.9.9' }, { src: '192.168.1.9' }]);
  });

  // Search Reference, inputlookup: "If the lookup does not exist, a warning message is displayed (but no syntax error is
  // generated)"; strict: "When set to true this argument forces the search to fail completely if inputlookup raises an
  // error ... When set to false, many inputlookup error conditions return warning messages" (default false).
  it('a missing table: a warning at its name and no rows; strict=true: the error at the name', async () => {
    const warned = async (spl: string) => {
      const warnings: { message: string; at: number | undefined }[] = [];
      const { results } = await runSearch(spl, { now: NOW, lookups, onWarning: (message, sp) => warnings.push({ message, at: sp?.start }) });
      return { rows: results.map(toObject), warnings };
    };
    let spl = '| inputlookup nosuch.csv';
    let out = await warned(spl);
    expect(out.rows).toEqual([]);
    expect(out.warnings).toEqual([{ message: expect.stringMatching(/lookup table "nosuch.csv"/) as unknown as string, at: spl.indexOf('nosuch') }]);

    // append=true: the incoming results pass unchanged.
    spl = '| makeresults count=2 | eval a=1 | table a | inputlookup append=t nosuch';
    out = await warned(spl);
    expect(out.rows).toEqual([{ a: 1 }, { a: 1 }]);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]!.at).toBe(spl.indexOf('nosuch'));

    // In a subsearch too: no results from it.
    out = await warned('| makeresults | eval src="x" | table src | search NOT [| inputlookup nosuch | fields src]');
    expect(out.rows).toEqual([{ src: 'x' }]);
    expect(out.warnings).toHaveLength(1);

    spl = '| inputlookup strict=true nosuch.csv';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toMatch(/unknown lookup table "nosuch.csv"/);
    expect(e.format()).toContain(at(spl, 'nosuch'));

    spl = '| makeresults | inputlookup append=t strict=t nosuch';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'nosuch'));

    // strict=false with an existing table: its rows as ever.
    expect(await run('| inputlookup strict=f baseline | stats count')).toEqual([{ count: 3 }]);
  });

  it('rejects bad arguments at their position', async () => {
    let spl = '| inputlookup';
    let e: SplError;
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');

    spl = '| inputlookup baseline extra';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, 'extra'));

    spl = '| inputlookup baseline where';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, 'where'));

    spl = '| inputlookup max=-1 baseline';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, '-1'));

    spl = '| makeresults | inputlookup baseline';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, 'inputlookup'));
  });
});
