import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFilesInParallel } from '../../../src/parallel/run.js';
import { FileSource } from '../../../src/sources/file.js';
import { parallelOptions } from '../../parallel/helpers.js';
import { describe, expect, it } from 'vitest';
import { CollectSink } from '../../../src/spl/exec/run.js';
import { executeMany } from '../../../src/spl/exec/multi.js';
import { NO_LOOKUPS } from '../../../src/spl/lookups.js';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { jsonEvents, rowsText, search } from '../../helpers.js';
import { at, errorOf, run, sharedScanSame } from './helpers.js';

// Splunk Search Reference, "addtotals" (help.splunk.com .../spl-search-reference/10.0.2503/search-commands/addtotals):
// `addtotals [row=<bool>] [col=<bool>] [labelfield=<field>] [label=<string>] [fieldname=<field>] [<field-list>]`;
// "computes the arithmetic sum of all numeric fields for each search result"; "If a <field-list> is not specified,
// all numeric fields are included in the sum"; "You can use wildcards in the field names ... count*"; "If col=true,
// the addtotals command computes the column totals, which adds a new result at the end that represents the sum of
// each field. labelfield, if specified, is a field that will be added to this summary event with the value set by
// the 'label' option"; row defaults to true, col to false, fieldname and label to Total.

/** Three results: a, b numeric (b as text in one), c text, count1/count2 for wildcards. */
const BASE =
  '| makeresults count=3 | streamstats count AS n | eval a=n*10, b=case(n=1, 1.5, n=2, "2", n=3, "x"), c="text", count1=n, count2=100 | fields - _time';

// The benchmark's generator (a module without types), as test/parallel does.
const { tetragonEvents } = (await import('../../../bench/generate.mjs' as string)) as { tetragonEvents: (count: number, o: { seed: number }) => Iterable<Record<string, unknown>> };

/** Rows as [field, value] pairs in field order, for exact comparisons. */
const shapeOf = (rows: readonly { fieldNames(): string[]; get(f: string): unknown }[]) => rows.map((r) => r.fieldNames().map((f) => [f, r.get(f)]));

describe('addtotals', () => {
  it('sums every numeric field of each result into Total (text that reads as a number counts, other text not)', async () => {
    const rows = await run(`${BASE} | addtotals | table n a b Total`);
    // n + a + b + count1 + count2: 1+10+1.5+1+100, 2+20+2+2+100, 3+30+3+100 (b="x" skipped).
    expect(rows).toEqual([
      { n: 1, a: 10, b: 1.5, Total: 113.5 },
      { n: 2, a: 20, b: '2', Total: 126 },
      { n: 3, a: 30, b: 'x', Total: 136 },
    ]);
  });

  it('sums only the listed fields, wildcards included, into fieldname (docs: count* for count1, count2, count3)', async () => {
    const rows = await run(`${BASE} | addtotals fieldname=sum a count* | table n sum`);
    expect(rows).toEqual([
      { n: 1, sum: 111 },
      { n: 2, sum: 122 },
      { n: 3, sum: 133 },
    ]);
  });

  it('takes a comma after an option and between fields (ESCU: addtotals fieldname=Score, jndi, env_var, ...)', async () => {
    const rows = await run('| makeresults | eval jndi=1, env_var=0, obf=1, other=5 | addtotals fieldname=Score, jndi, env_var, obf | table Score');
    expect(rows).toEqual([{ Score: 2 }]);
  });

  it('col=true appends a summary result of each column, with label in labelfield (docs: col=t labelfield=change_name label=ALL)', async () => {
    const rows = await run(`${BASE} | table n a b c | addtotals col=true labelfield=c label=ALL`);
    expect(rows).toEqual([
      { n: 1, a: 10, b: 1.5, c: 'text', Total: 12.5 },
      { n: 2, a: 20, b: '2', c: 'text', Total: 24 },
      { n: 3, a: 30, b: 'x', c: 'text', Total: 33 },
      // Column sums: n 6, a 60, b 3.5 (x skipped); Total is the sum of the column sums; label overwrites c.
      { n: 6, a: 60, b: 3.5, Total: 69.5, c: 'ALL' },
    ]);
  });

  it('row=false col=true: only the summary result; labelfield may be a new field; label defaults to Total', async () => {
    const rows = await run(`${BASE} | table n a | addtotals row=f col=t labelfield=name`);
    expect(rows).toEqual([{ n: 1, a: 10 }, { n: 2, a: 20 }, { n: 3, a: 30 }, { name: 'Total', n: 6, a: 60 }]);
  });

  it('col=true without labelfield: the summary has no label (label alone has no effect); with a field list only those columns', async () => {
    const rows = await run(`${BASE} | table n a b | addtotals row=false col=true label=ignored a`);
    expect(rows[3]).toEqual({ a: 60 });
    expect(rows).toHaveLength(4);
  });

  it('col=true over no results adds nothing', async () => {
    expect(await run(`${BASE} | where n > 5 | addtotals col=true labelfield=n`)).toEqual([]);
  });

  it('does not sum internal fields unless named, nor a previous Total, nor multivalue fields', async () => {
    const rows = await run('| makeresults | eval x=1, m=split("2,3", ","), Total=100, _hidden=7 | addtotals | table Total');
    expect(rows).toEqual([{ Total: 1 }]);
    const named = await run('| makeresults | eval x=1, _hidden=7 | addtotals fieldname=s x _hidden | table s');
    expect(named).toEqual([{ s: 8 }]);
  });

  it('gives no total to a result with no numeric field, and exact sums', async () => {
    const rows = await run('| makeresults count=2 | streamstats count AS n | eval v=if(n=1, "a", null()), p=if(n=2, 0.1, null()), q=if(n=2, 0.2, null()) | addtotals v p q | table n Total');
    // 0.1 + 0.2 as one correctly rounded sum (printed with 15 significant digits).
    expect(rows).toEqual([{ n: 1 }, { n: 2, Total: 0.30000000000000004 }]);
  });

  it('row=false col=false changes nothing', async () => {
    const rows = await run(`${BASE} | addtotals row=false | table n Total`);
    expect(rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it('works on events (stats count by x | addtotals col=t), the summary last after the newest-first order', async () => {
    const events = jsonEvents([{ u: 'a', b: 5 }, { u: 'b', b: 7 }, { u: 'a', b: 1 }]);
    const rows = rowsText(await search('* | table u b | addtotals col=t labelfield=u label=all', events));
    expect(rows).toEqual([
      { u: 'a', b: '1', Total: '1' },
      { u: 'b', b: '7', Total: '7' },
      { u: 'a', b: '5', Total: '5' },
      { u: 'all', b: '13', Total: '13' },
    ]);
  });

  it('col=true runs in the final part of a split search, row totals on every partition', () => {
    const split = (spl: string, sourceNewestFirst: boolean) => {
      const p = plan(spl, { now: 1_700_000_000, sourceNewestFirst });
      return describeSplit(p, splitPlan(p));
    };
    expect(split('* | eval x=1 | addtotals x', true)).toBe('parallel: per partition: scan, leading search, eval, addtotals; final: rows in partition order');
    // The store (newest first): the rows of every partition in order, then the column sums.
    expect(split('* | eval x=1 | addtotals col=true x', true)).toBe(
      'parallel: per partition: scan, leading search, eval; final: rows in partition order, addtotals (addtotals needs all its input in one place)',
    );
    // Files: sorted newest first before the summary result is appended.
    expect(split('* | eval x=1 | addtotals col=true x', false)).toBe(
      'parallel: per partition: scan, leading search, eval; final: newest-first sort, addtotals (order matters from addtotals on: the final part sorts the rows newest first)',
    );
  });

  it('refuses bad options with positions', async () => {
    const cases: [string, string, string][] = [
      ['| makeresults | addtotals row=maybe', 'maybe', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | addtotals fieldname=a*', 'a*', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | addtotals labelfield=""', '""', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | addtotals colum=true', 'colum', 'SPL_SYNTAX'],
      ['| makeresults | addtotals x (y)', '(', 'SPL_SYNTAX'],
    ];
    for (const [spl, text, code] of cases) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe(code);
      expect(e.format(), spl).toContain(at(spl, text, spl.indexOf('addtotals')));
    }
    expect((await errorOf('| makeresults | addtotals colum=true')).message).toContain('unknown option colum=');
  });
  it('shares a scan with other searches without changing their rows', async () => {
    await sharedScanSame(['* | addtotals n k | table n k Total', '* | addtotals fieldname=n k | table n k', '* | addtotals col=t labelfield=name | table n k name Total', '* | table n k', '* | stats sum(n) by k']);
  });
  it('gives the one-thread results on two threads (row totals per partition, the summary after the merge), replace too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-addtotals-'));
    try {
      const file = join(dir, 'a.jsonl');
      writeFileSync(file, [...tetragonEvents(1500, { seed: 7 })].map((e) => JSON.stringify(e)).join('\n') + '\n');
      const now = 1795200000;
      const searches = [
        '* | eval one=1 | addtotals one process_id | table _time process_name one process_id Total',
        '* | eval one=1 | addtotals col=t labelfield=process_name label=ALL one process_id | table _time process_name one process_id Total',
        '* | stats count by process_name | addtotals col=true labelfield=process_name',
        '* | replace *sh WITH shell, "/usr/bin/*" WITH "bin:*" IN process_name, process | table _time process_name process',
      ];
      const plans = searches.map((spl) => plan(spl, { now, tz: 'UTC', sourceNewestFirst: false }));
      const one = plans.map(() => new CollectSink());
      await executeMany(plans, one, { source: new FileSource([file], { now }), now, tz: 'UTC', lookups: NO_LOOKUPS });
      const two = plans.map(() => new CollectSink());
      const stats = await runFilesInParallel(plans, two, { paths: [file], options: { now } }, parallelOptions(NO_LOOKUPS, now, { threads: 2, partitionBytes: 100_000 }));
      expect(stats).not.toBeNull();
      for (const [i, spl] of searches.entries()) {
        expect(one[i]!.rows.length, spl).toBeGreaterThan(1);
        expect(shapeOf(two[i]!.rows), spl).toEqual(shapeOf(one[i]!.rows));
      }
      const summary = one[1]!.rows.at(-1)!;
      expect([summary.get('process_name'), summary.get('one')]).toEqual(['ALL', one[1]!.rows.length - 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

// Splunk Search Reference, "addcoltotals" (help.splunk.com .../spl-search-reference/9.3.2408/search-commands/addcoltotals):
// `addcoltotals [labelfield=<field>] [label=<string>] [<wc-field-list>]`; "appends a new result to the end of the
// search result set. The result contains the sum of each numeric field or you can specify which fields to summarize";
// the field list takes `*` ("value*"); label "Used with the labelfield argument ... If the labelfield argument is
// absent, the label argument has no effect. Default: Total"; example `... | addcoltotals labelfield=change_name label=ALL`.
describe('addcoltotals', () => {
  it('appends the sum of each numeric field, with label in labelfield (docs: labelfield=change_name label=ALL)', async () => {
    const rows = await run(`${BASE} | table n a b c | addcoltotals labelfield=change_name label=ALL`);
    expect(rows).toEqual([
      { n: 1, a: 10, b: 1.5, c: 'text' },
      { n: 2, a: 20, b: '2', c: 'text' },
      { n: 3, a: 30, b: 'x', c: 'text' },
      // No row totals; b's "x" and c's text are not numbers.
      { n: 6, a: 60, b: 3.5, change_name: 'ALL' },
    ]);
  });

  it('labelfield alone labels Total; label alone has no effect; a wildcard field list sums only those fields', async () => {
    expect((await run(`${BASE} | table n a | addcoltotals labelfield=name`))[3]).toEqual({ n: 6, a: 60, name: 'Total' });
    expect((await run(`${BASE} | table n a | addcoltotals label=ignored`))[3]).toEqual({ n: 6, a: 60 });
    const rows = await run(`${BASE} | table n a count1 count2 | addcoltotals count*`);
    expect(rows).toHaveLength(4);
    expect(rows[3]).toEqual({ count1: 6, count2: 300 });
  });

  it('over no results adds nothing; addtotals-only options are an error at their name', async () => {
    expect(await run(`${BASE} | where n > 5 | addcoltotals`)).toEqual([]);
    const spl = `| makeresults | addcoltotals fieldname=x`;
    const e = await errorOf(spl);
    expect(e.message).toContain('addcoltotals takes labelfield=, label= and field names');
    expect(e.format()).toContain(at(spl, 'fieldname'));
  });
});
