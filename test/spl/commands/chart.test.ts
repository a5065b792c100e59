import { describe, expect, it } from 'vitest';
import { plan, runSearch } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { MAX_CHART_CELLS, MAX_CHART_COLUMNS } from '../../../src/spl/commands/chart-series.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "chart" (Splunk Enterprise 9.4,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.4/search-commands/chart): "chart [<chart-options>]
// [agg=<stats-agg-term>] ( <stats-agg-term> | ... )... [ BY <row-split> <column-split> ] | [ OVER <row-split> ]
// [BY <column-split>]"; the series options (limit, useother, usenull, otherstr, nullstr) are timechart's, whose
// reference words are quoted in timechart.test.ts. Choices where the reference is silent: docs/spl.md *Decision:*s.
// Expected rows are worked out by hand from the events below.

/** Rows with the given fields ('' = missing), in this order; `num` fields are numbers. */
function rows(fields: Record<string, readonly string[]>, num: readonly string[] = []): string {
  const n = Object.values(fields)[0]!.length;
  const evals = Object.entries(fields).map(([f, vs]) => {
    const v = `mvindex(split("${vs.join(',')}", ","), n - 1)`;
    return ` | eval ${f}=if(${v}="", null(), ${num.includes(f) ? `tonumber(${v})` : v})`;
  });
  return `| makeresults count=${n} | streamstats count AS n${evals.join('')} | fields - n, _time`;
}

// The reference's example shape: web hosts, HTTP status, bytes.
const web = rows(
  {
    host: ['www1', 'www1', 'www2', 'www1', 'www3', 'www2'],
    status: ['200', '404', '200', '200', '503', ''],
    bytes: ['10', '20', '30', '40', '50', '60'],
  },
  ['status', 'bytes'],
);

describe('chart over a row-split by a column-split', () => {
  it('counts each (row, column) pair: a row per host in stats order, a column per status, then NULL', async () => {
    // Reference, usenull: "Controls whether or not a series is created for events that do not contain the
    // split-by field. This series is labeled by the value of the nullstr option." (default true, "NULL").
    // www1: 200 x2, 404 x1; www2: 200 x1, one event without status; www3: 503 x1. An empty pair counts 0.
    const expected = [
      { host: 'www1', 200: 2, 404: 1, 503: 0, NULL: 0 },
      { host: 'www2', 200: 1, 404: 0, 503: 0, NULL: 1 },
      { host: 'www3', 200: 0, 404: 0, 503: 1, NULL: 0 },
    ];
    expect(await run(`${web} | chart count over host by status`)).toEqual(expected);
    // "BY <row-split> <column-split>" is the same split.
    expect(await run(`${web} | chart count by host status`)).toEqual(expected);
    expect(await run(`${web} | chart count by host, status`)).toEqual(expected);
    // An option after BY is an option, not a column-split.
    expect(await run(`${web} | chart count by host status limit=0`)).toEqual(expected);
    expect(await run(`${web} | chart count by host limit=1`)).toEqual(await run(`${web} | stats count by host`));
  });

  it('puts the row-split field first and the columns in the order of the column-split values', async () => {
    const { results } = await runSearch(`${web} | chart count over host by status`, { now: NOW });
    expect(results[0]!.fieldNames()).toEqual(['host', '200', '404', '503', 'NULL']);
  });

  it('usenull=f drops events without the column-split; nullstr= names their column', async () => {
    expect(await run(`${web} | chart usenull=f count over host by status`)).toEqual([
      { host: 'www1', 200: 2, 404: 1, 503: 0 },
      { host: 'www2', 200: 1, 404: 0, 503: 0 },
      { host: 'www3', 200: 0, 404: 0, 503: 1 },
    ]);
    const { results } = await runSearch(`${web} | chart nullstr=none count over host by status`, { now: NOW });
    expect(results[0]!.fieldNames()).toEqual(['host', '200', '404', '503', 'none']);
  });

  it('limit=N keeps the N series of the largest sum, the others merged into OTHER (useother=t)', async () => {
    // Sums of count per status (usenull=f): 200 -> 3, 404 -> 1, 503 -> 1. limit=2 keeps 200, then 503 over
    // 404 (timechart's reference on ties: "10 takes precedence over 9"); 404 goes to OTHER.
    expect(await run(`${web} | chart limit=2 usenull=f count over host by status`)).toEqual([
      { host: 'www1', 200: 2, 503: 0, OTHER: 1 },
      { host: 'www2', 200: 1, 503: 0, OTHER: 0 },
      { host: 'www3', 200: 0, 503: 1, OTHER: 0 },
    ]);
    expect(await run(`${web} | chart limit=2 usenull=f useother=f count over host by status`)).toEqual([
      { host: 'www1', 200: 2, 503: 0 },
      { host: 'www2', 200: 1, 503: 0 },
      { host: 'www3', 200: 0, 503: 1 },
    ]);
    // bottom1 keeps the smallest sum: 404 and 503 tie at 1, and the reverse order puts 404 first.
    expect(await run(`${web} | chart limit=bottom1 usenull=f otherstr=rest count over host by status`)).toEqual([
      { host: 'www1', 404: 1, rest: 2 },
      { host: 'www2', 404: 0, rest: 1 },
      { host: 'www3', 404: 0, rest: 1 },
    ]);
  });

  it('limit ranks by the sum of the aggregation, not by the number of events', async () => {
    // sum(bytes) per status: 200 -> 10+30+40 = 80, 404 -> 20, 503 -> 50. top1 keeps 200; OTHER sums the rest.
    expect(await run(`${web} | chart limit=1 usenull=f sum(bytes) over host by status`)).toEqual([
      { host: 'www1', 200: 50, OTHER: 20 },
      { host: 'www2', 200: 30 },
      { host: 'www3', OTHER: 50 },
    ]);
    // "agg=<stats-agg-term>": agg=max(bytes) ranks by the largest cell instead: 200 -> max(50, 30) = 50, 404 -> 20,
    // 503 -> 50; the tie goes to 503 ("10 takes precedence over 9"), 200 and 404 merge into OTHER.
    expect(await run(`${web} | chart limit=1 agg=max(bytes) usenull=f sum(bytes) over host by status`)).toEqual([
      { host: 'www1', OTHER: 70 },
      { host: 'www2', OTHER: 30 },
      { host: 'www3', 503: 50 },
    ]);
  });

  it('names the columns of several aggregations "<aggregation>: <value>", per aggregation in turn; empty cells stay empty', async () => {
    // avg of nothing is empty (the field is missing), as stats gives it.
    const out = await run(`${web} | chart usenull=f avg(bytes) max(bytes) over host by status`);
    expect(out).toEqual([
      { host: 'www1', 'avg(bytes): 200': 25, 'avg(bytes): 404': 20, 'max(bytes): 200': 40, 'max(bytes): 404': 20 },
      { host: 'www2', 'avg(bytes): 200': 30, 'max(bytes): 200': 30 },
      { host: 'www3', 'avg(bytes): 503': 50, 'max(bytes): 503': 50 },
    ]);
    // format= overrides sep=; www1 has no 503 event, so its sum there is empty (no 503-b field).
    const { results } = await runSearch(`${web} | chart usenull=f sep=/ format="$VAL$-$AGG$" count AS n sum(bytes) AS b over host by status`, { now: NOW });
    expect(results[0]!.fieldNames()).toEqual(['host', '200-n', '404-n', '503-n', '200-b', '404-b']);
  });
});

describe('chart with one split or none', () => {
  it('chart <agg> by <row-split> equals stats by it: a row per value, rows without it dropped', async () => {
    expect(await run(`${web} | chart count sum(bytes) by host`)).toEqual([
      { host: 'www1', count: 3, 'sum(bytes)': 70 },
      { host: 'www2', count: 2, 'sum(bytes)': 90 },
      { host: 'www3', count: 1, 'sum(bytes)': 50 },
    ]);
    // The event without status has no row; numbers sort as numbers (stats' order of BY values).
    expect(await run(`${web} | chart sum(bytes) AS b over status`)).toEqual([
      { status: 200, b: 80 },
      { status: 404, b: 20 },
      { status: 503, b: 50 },
    ]);
    const nums = rows({ r: ['10', '9', '100'] }, ['r']);
    expect(await run(`${nums} | chart count over r`)).toEqual([
      { r: 9, count: 1 },
      { r: 10, count: 1 },
      { r: 100, count: 1 },
    ]);
  });

  it('chart <agg> without a split gives one row, as stats does, also for no input', async () => {
    expect(await run(`${web} | chart count avg(bytes)`)).toEqual([{ count: 6, 'avg(bytes)': 35 }]);
    expect(await run(`${web} | where bytes > 1000 | chart count`)).toEqual([{ count: 0 }]);
  });

  it('aggregates eval expressions inside a function, as stats does', async () => {
    // count(eval(bytes>25)): www1 has 40; www2 has 30 and 60; www3 has 50.
    expect(await run(`${web} | chart count(eval(bytes>25)) AS big by host`)).toEqual([
      { host: 'www1', big: 1 },
      { host: 'www2', big: 2 },
      { host: 'www3', big: 1 },
    ]);
  });

  it('a column-split value named like the row-split field does not replace the row label', async () => {
    const spl = `${rows({ h: ['a', 'a'], s: ['h', 'x'] })} | chart count over h by s`;
    expect(await run(spl)).toEqual([{ h: 'a', x: 1 }]);
  });
});

describe('chart WHERE: the column-split\'s where-clause', () => {
  // Reference, chart: "The <where-clause> is part of the <column-split> argument"; "Syntax: <single-agg>
  // <where-comp>"; "<wherein-comp> Syntax: (in | notin) (top | bottom)<int>"; "<wherethresh-comp> Syntax: ( < | > )
  // <num>"; "The number of columns included is limited to 10 by default. You can change the number of columns by
  // including a where-clause."; "The limit and agg options are ignored if an explicit where-clause is provided."
  // The reference's extended example 1 data (products x quarters of sales).
  const sales = rows(
    {
      products: ['ProductA', 'ProductB', 'ProductC', 'ProductA', 'ProductB', 'ProductC', 'ProductA', 'ProductB', 'ProductC', 'ProductA', 'ProductB', 'ProductC'],
      quarter: ['QTR1', 'QTR1', 'QTR1', 'QTR2', 'QTR2', 'QTR2', 'QTR3', 'QTR3', 'QTR3', 'QTR4', 'QTR4', 'QTR4'],
      sales: ['1200', '1400', '1650', '1425', '1175', '1550', '1300', '1250', '1375', '1550', '1700', '1625'],
    },
    ['sales'],
  );

  it('gives the reference example\'s table without a WHERE', async () => {
    expect(await run(`${sales} | chart sum(sales) BY products quarter`)).toEqual([
      { products: 'ProductA', QTR1: 1200, QTR2: 1425, QTR3: 1300, QTR4: 1550 },
      { products: 'ProductB', QTR1: 1400, QTR2: 1175, QTR3: 1250, QTR4: 1700 },
      { products: 'ProductC', QTR1: 1650, QTR2: 1550, QTR3: 1375, QTR4: 1625 },
    ]);
  });

  it('keeps the columns the clause selects, the others in OTHER, over limit=', async () => {
    // max per quarter: QTR1 1650, QTR2 1550, QTR3 1375, QTR4 1700: top2 is QTR4 and QTR1; OTHER = QTR2 + QTR3.
    const top2 = [
      { products: 'ProductA', QTR1: 1200, QTR4: 1550, OTHER: 2725 },
      { products: 'ProductB', QTR1: 1400, QTR4: 1700, OTHER: 2425 },
      { products: 'ProductC', QTR1: 1650, QTR4: 1625, OTHER: 2925 },
    ];
    expect(await run(`${sales} | chart limit=1 sum(sales) BY products quarter WHERE max in top2`)).toEqual(top2);
    expect(await run(`${sales} | chart sum(sales) OVER products BY quarter WHERE max in top2 useother=t`)).toEqual(top2);
    // sum per quarter: 4250, 4150, 3925, 4875: "< 4000" keeps QTR3.
    expect(await run(`${sales} | chart sum(sales) BY products quarter WHERE sum < 4000 useother=f`)).toEqual([
      { products: 'ProductA', QTR3: 1300 },
      { products: 'ProductB', QTR3: 1250 },
      { products: 'ProductC', QTR3: 1375 },
    ]);
    // notin top3 of sum: QTR3 (the lowest) alone.
    expect(await run(`${sales} | chart sum(sales) BY products, quarter WHERE sum notin top3 useother=f`)).toEqual(await run(`${sales} | chart sum(sales) BY products quarter WHERE sum < 4000 useother=f`));
  });

  it('refuses a WHERE without a column-split, or with several aggregations', async () => {
    let spl = `${sales} | chart sum(sales) BY products WHERE max in top2`;
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'WHERE'));
    spl = `${sales} | chart sum(sales) max(sales) BY products quarter WHERE max in top2`;
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain('single aggregation');
  });
});

describe('chart errors', () => {
  it('refuses eval of aggregations, bin options and a third split field at their place', async () => {
    let spl = `${web} | chart eval(avg(bytes)*2) AS y by host`;
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e.format()).toContain(at(spl, 'eval(avg'));
    spl = `${web} | chart count over bytes span=10 by host`;
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e.format()).toContain(at(spl, 'span=10'));
    spl = `${web} | chart count by host status bytes`;
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'bytes', spl.indexOf('status bytes')));
    spl = `${web} | chart by host`;
    e = await errorOf(spl);
    expect(e.message).toContain('statistical function');
    spl = `${web} | chart limit=many count by host status`;
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'many'));
  });

  it('bounds the columns and the cells of hostile data', async () => {
    // MAX_CHART_COLUMNS + 1 distinct column-split values, limit=0 (no filtering): an error, not a row that wide.
    let spl = `| makeresults count=${MAX_CHART_COLUMNS + 1} | streamstats count AS n | eval r=1 | chart limit=0 count over r by n`;
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain(`more than ${MAX_CHART_COLUMNS}`);
    expect(e.format()).toContain(at(spl, 'count over'));
    // 3,000 rows x 2,000 columns = 6,000,000 cells from 3,000 events.
    expect(3000 * 2000).toBeGreaterThan(MAX_CHART_CELLS);
    spl = '| makeresults count=3000 | streamstats count AS n | eval c=n%2000 | chart limit=0 count over n by c';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain(`more than ${MAX_CHART_CELLS} cells`);
  });
});

describe('chart on several threads', () => {
  it('splits into a partial state per partition and a merge', () => {
    const p = plan('* | chart count over process_name by node_name', { now: 1795200000, tz: 'UTC' });
    expect(describeSplit(p, splitPlan(p))).toBe('parallel: per partition: scan, leading search, chart (partial state); final: merge chart');
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | chart count'], 7, NOW);
    await expectPartitionedLikeOnePass([
      '* | chart count by process_name node_name',
      '* | chart limit=2 avg(process_id) max(process_id) over node_name by pod_name',
      '* | chart limit=bottom3 dc(process_name) over node_name by pod_name',
      '* | chart count over node_name by process_name WHERE count in top3',
    ], 7, NOW, 1);
  }, 120_000);
});
