import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { MAX_TRANSPOSE_ROWS } from '../../../src/spl/commands/transpose.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Search Reference, transpose (Splunk Enterprise 9.x): "transpose [int] [column_name=<string>] [header_field=<field>]
// [include_empty=<bool>]"; "Returns the specified number of rows (search results) as columns (list of field values),
// such that each search row becomes a column"; int "Limit the number of rows to transpose. To transpose all rows, specify | transpose 0, which
// indicates that the number of rows to transpose is unlimited. Default: 5"; column_name
// "The name of the first column that you want to use for the transposed rows. This column contains the names of the
// fields. Default: column"; header_field "The field in your results to use for the names of the columns (other than
// the first column) in the transposed data. Default: row 1, row 2, row 3, and so on"; include_empty "Specify whether to
// include (true) or not include (false) fields that contain empty values. Default: true". (The reference page is not
// in this workplace's stored copies; the wording is the 9.x page's, confirmed in shape by the OpenSearch PPL port of
// the command: "| column | row 1 | row 2 | ...", default 5.) Expected tables are worked out by hand.

/** Seven results: n = 1..7, sq = n*n, name = r<n>. */
const input = '| makeresults count=7 | streamstats count AS n | eval sq=n*n, name="r".n | fields - _time';

describe('transpose', () => {
  it('turns the first 5 results into columns row 1..row 5, one row per field named in column', async () => {
    expect(await run(`${input} | transpose`)).toEqual([
      { column: 'n', 'row 1': 1, 'row 2': 2, 'row 3': 3, 'row 4': 4, 'row 5': 5 },
      { column: 'sq', 'row 1': 1, 'row 2': 4, 'row 3': 9, 'row 4': 16, 'row 5': 25 },
      { column: 'name', 'row 1': 'r1', 'row 2': 'r2', 'row 3': 'r3', 'row 4': 'r4', 'row 5': 'r5' },
    ]);
  });

  it('takes an int, column_name= and header_field= (whose values name the columns and which gives no row)', async () => {
    expect(await run(`${input} | transpose 2 column_name=field`)).toEqual([
      { field: 'n', 'row 1': 1, 'row 2': 2 },
      { field: 'sq', 'row 1': 1, 'row 2': 4 },
      { field: 'name', 'row 1': 'r1', 'row 2': 'r2' },
    ]);
    expect(await run(`${input} | transpose 3 header_field=name`)).toEqual([
      { column: 'n', r1: 1, r2: 2, r3: 3 },
      { column: 'sq', r1: 1, r2: 4, r3: 9 },
    ]);
    // Fewer results than asked for: as many columns as results.
    expect(await run(`${input} | head 1 | transpose 10`)).toEqual([
      { column: 'n', 'row 1': 1 },
      { column: 'sq', 'row 1': 1 },
      { column: 'name', 'row 1': 'r1' },
    ]);
  });

  it('include_empty=false leaves out a field empty in every transposed result (default true keeps it)', async () => {
    const spl = `${input} | eval late=if(n>3, "x", null()), blank="" | transpose 3`;
    expect((await run(spl)).map((r) => r.column)).toEqual(['n', 'sq', 'name', 'blank']);
    expect((await run(`${spl} include_empty=false`)).map((r) => r.column)).toEqual(['n', 'sq', 'name']);
    // A field met in no transposed result is not a field of them at all.
    expect((await run(`${input} | eval late=if(n>3, "x", null()) | transpose 5`)).map((r) => r.column)).toEqual(['n', 'sq', 'name', 'late']);
  });

  it('keeps _time, leaves out other internal fields', async () => {
    const rows = await run('| makeresults | eval a=1, _hidden=2 | transpose');
    expect(rows).toEqual([
      { column: '_time', 'row 1': NOW },
      { column: 'a', 'row 1': 1 },
    ]);
  });

  it('transpose 0 turns every result into a column ("To transpose all rows, specify | transpose 0")', async () => {
    const rows = await run(`${input} | transpose 0`);
    expect(rows.map((r) => r.column)).toEqual(['n', 'sq', 'name']);
    expect(rows[1]).toEqual({ column: 'sq', 'row 1': 1, 'row 2': 4, 'row 3': 9, 'row 4': 16, 'row 5': 25, 'row 6': 36, 'row 7': 49 });
    expect((await run(`| makeresults count=${MAX_TRANSPOSE_ROWS} | streamstats count AS n | fields n | transpose 0`))[0]![`row ${MAX_TRANSPOSE_ROWS}`]).toBe(MAX_TRANSPOSE_ROWS);
    // Every result, at most MAX_TRANSPOSE_ROWS: one more stops the search at the command, not a silent cut.
    const spl = `| makeresults count=${MAX_TRANSPOSE_ROWS + 1} | fields - _time | transpose 0`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'transpose'));
  });

  it(`refuses more than ${MAX_TRANSPOSE_ROWS} results, an unknown word`, async () => {
    for (const n of [String(MAX_TRANSPOSE_ROWS + 1), '99999999999999999999']) {
      const spl = `| makeresults | transpose ${n}`;
      const e = await errorOf(spl);
      expect(e.code, n).toBe('SPL_BAD_ARGUMENT');
      expect(e.format()).toContain(at(spl, n, spl.indexOf('transpose')));
    }
    expect((await errorOf('| makeresults | transpose rows')).code).toBe('SPL_SYNTAX');
    expect((await errorOf('| makeresults | transpose include_empty=maybe')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await run(`| makeresults count=${MAX_TRANSPOSE_ROWS} | streamstats count AS n | fields n | transpose ${MAX_TRANSPOSE_ROWS}`))[0]![`row ${MAX_TRANSPOSE_ROWS}`]).toBe(MAX_TRANSPOSE_ROWS);
  });

  it('stops with SPL_RUNTIME past 5,000,000 cells', async () => {
    // 10,000 results of 501 fields each.
    const spl = `| makeresults count=${MAX_TRANSPOSE_ROWS} | streamstats count AS n | eval k="f".(n % 501) | eval {k}=1 | transpose ${MAX_TRANSPOSE_ROWS}`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'transpose'));
  }, 60_000);

  it('transposes the first results in search order, and gives the one-thread results', async () => {
    const p = plan('* | table process_id | transpose', { now: NOW, tz: 'UTC', sourceNewestFirst: true });
    expect(describeSplit(p, splitPlan(p))).toBe(
      'parallel: per partition: scan, leading search, table; final: rows in partition order, transpose (transpose depends on the order of its input: the final part takes the rows partition after partition)',
    );
    await expectPartitionedLikeOnePass(['* | table _time process_id process_name | transpose 7'], 7, NOW, 0);
  }, 120_000);
});
