import { describe, expect, it } from 'vitest';
import { runSearch } from '../../../src/spl/index.js';
import { MAX_CHART_CELLS, MAX_CHART_COLUMNS } from '../../../src/spl/commands/chart-series.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "xyseries" (Splunk Enterprise 9.3,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.3/search-commands/xyseries): "Converts results
// into a tabular format that is suitable for graphing. This command is the inverse of the untable command."
// "xyseries [grouped=<bool>] <x-field> <y-name-field> <y-data-field>... [sep=<string>] [format=<string>]".
// Choices where it is silent: docs/spl.md *Decision:*s. Expected rows are worked out by hand.

/** stats-like rows (host, status, count, bytes), in this order. */
const statsRows =
  '| makeresults count=4 | streamstats count AS n | eval host=mvindex(split("www1,www1,www2,www3", ","), n-1),' +
  ' status=tonumber(mvindex(split("404,200,200,503", ","), n-1)), count=tonumber(mvindex(split("1,2,1,1", ","), n-1)),' +
  ' bytes=tonumber(mvindex(split("20,50,30,50", ","), n-1)) | fields - n, _time';

const fieldsOf = async (spl: string) => (await runSearch(spl, { now: NOW })).results.map((r) => r.fieldNames());
/** The columns of a search's output (every row's names, first seen first). */
const fieldsOfAll = async (spl: string) => [...new Set((await fieldsOf(spl)).flat())];

describe('xyseries', () => {
  it('orders the columns by name value, as the reference\'s example (rows in the order x values first appear)', async () => {
    // "sourcetype=access_* status=200 action=purchase | top categoryId | xyseries categoryId count percent" over
    // STRATEGY 806, ARCADE 493, TEE 367, ACCESSORIES 348, SIMULATION 246, SHOOTER 245, SPORTS 138 gives the columns
    // "categoryId | 138 | 245 | 246 | 348 | 367 | 493 | 806".
    const top =
      '| makeresults count=7 | streamstats count AS n | eval categoryId=mvindex(split("STRATEGY,ARCADE,TEE,ACCESSORIES,SIMULATION,SHOOTER,SPORTS", ","), n-1),' +
      ' count=tonumber(mvindex(split("806,493,367,348,246,245,138", ","), n-1)), percent=round(count / 2643 * 100, 6) | table categoryId count percent';
    const r = await runSearch(`${top} | xyseries categoryId count percent`, { now: NOW });
    expect(r.results.map((x) => x.fieldNames())[0]).toEqual(['categoryId', '806']);
    const csv = r.results.map((x) => [x.get('categoryId'), ...['138', '245', '246', '348', '367', '493', '806'].map((c) => x.get(c))]);
    expect(csv[0]).toEqual(['STRATEGY', null, null, null, null, null, null, 30.495649]);
    expect(csv[6]).toEqual(['SPORTS', 5.221339, null, null, null, null, null, null]);
    // Numbers numerically, then texts.
    expect(await fieldsOfAll('| makeresults count=4 | streamstats count AS n | eval x="a", y=mvindex(split("b,10,9,A", ","), n-1), v=n | xyseries x y v')).toEqual(['x', '9', '10', 'A', 'b']);
  });

  it('makes a row per x value and a column per y-name value; missing cells empty', async () => {
    // "<y-name-field>: The field that contains the values to use as labels for the data series."
    const spl = `${statsRows} | xyseries host status count`;
    expect(await run(spl)).toEqual([
      { host: 'www1', 404: 1, 200: 2 },
      { host: 'www2', 200: 1 },
      { host: 'www3', 503: 1 },
    ]);
    expect((await fieldsOf(spl))[0]).toEqual(['host', '200', '404']);
  });

  it('names the columns of several data fields "<data-field>:<y-name>", or by sep= and format=', async () => {
    // "The format argument adds the <y-name-field> and separates the field name and field value by the default ":"
    // For example, the default for this example looks like count(host):referrer_domain".
    // "format takes precedence over sep ... ($AGG$) and the value of the split-by-field ($VAL$)".
    expect(await run(`${statsRows} | xyseries host status count, bytes`)).toEqual([
      { host: 'www1', 'count:200': 2, 'count:404': 1, 'bytes:200': 50, 'bytes:404': 20 },
      { host: 'www2', 'count:200': 1, 'bytes:200': 30 },
      { host: 'www3', 'count:503': 1, 'bytes:503': 50 },
    ]);
    expect((await fieldsOf(`${statsRows} | xyseries sep=_ host status count bytes`))[1]).toEqual(['host', 'count_200', 'bytes_200']);
    expect((await fieldsOf(`${statsRows} | xyseries sep=_ format="$VAL$/$AGG$" host status count bytes`))[1]).toEqual(['host', '200/count', '200/bytes']);
  });

  it('is the inverse of untable', async () => {
    const back = await run(`${statsRows} | xyseries host status count | untable host status count | xyseries host status count`);
    expect(back).toEqual(await run(`${statsRows} | xyseries host status count`));
  });

  it('keeps the later of two values for one x and name; skips results without x or name', async () => {
    const spl =
      '| makeresults count=4 | streamstats count AS n | eval x=if(n=4, null(), "a"), y=if(n=3, null(), "k"), v=n | xyseries x y v';
    // n=1 and n=2 both (a, k): 2 is kept; n=3 has no name, n=4 no x.
    expect(await run(spl)).toEqual([{ x: 'a', k: 2 }]);
  });

  it('grouped=true starts a row whenever x changes (the input is sorted by x)', async () => {
    // "grouped: If true, indicates that the input is sorted by the value of the <x-field>".
    const spl = '| makeresults count=3 | streamstats count AS n | eval x=if(n=2, "b", "a"), y="k" | xyseries grouped=t x y n';
    expect(await run(spl)).toEqual([
      { x: 'a', k: 1 },
      { x: 'b', k: 2 },
      { x: 'a', k: 3 },
    ]);
    expect(await run(spl.replace('grouped=t ', ''))).toEqual([
      { x: 'a', k: 3 },
      { x: 'b', k: 2 },
    ]);
  });

  it('needs three fields, refuses wildcards', async () => {
    let spl = `${statsRows} | xyseries host status`;
    let e = await errorOf(spl);
    expect(e.format()).toContain(at(spl, 'status', spl.indexOf('xyseries')));
    spl = `${statsRows} | xyseries host status c*`;
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'c*'));
  });

  it('bounds the columns as names come, and the cells', async () => {
    let spl = `| makeresults count=${MAX_CHART_COLUMNS + 1} | streamstats count AS n | eval x=1 | xyseries x n n`;
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain(`more than ${MAX_CHART_COLUMNS} columns`);
    expect(e.format()).toContain(at(spl, 'n n'));
    // 3,000 x values x 2,000 names = 6,000,000 cells.
    expect(3000 * 2000).toBeGreaterThan(MAX_CHART_CELLS);
    spl = '| makeresults count=3000 | streamstats count AS n | eval y=n%2000 | xyseries n y n';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain(`more than ${MAX_CHART_CELLS} cells`);
  });
});
