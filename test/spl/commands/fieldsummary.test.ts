import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { FIELDSUMMARY_MAX_DISTINCT } from '../../../src/spl/commands/fieldsummary.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "fieldsummary" (Splunk Enterprise 9.1,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.1/search-commands/fieldsummary): "maxvals ...
// Specifies the maximum distinct values to return for each field ... Set maxvals = 0 to return all available distinct
// values ... Default: 100"; columns field, count ("The number of events/results with that field"), distinct_count
// ("The number of unique values in the field"), is_exact, max, mean, min, numeric_count, stdev, values. The SPL2
// reference's example ("fieldsummary command: Overview, syntax, and usage") summarizes this visitor_log:
const hours = ['0800', '0900', '1000', '1100', '1200', '1300', '1400', '1500', '1600', '1700', '1800'];
const visitors = [0, 212, 367, 489, 624, 609, 492, 513, 367, 337, 104];
// and gives for hour: count 11, distinct_count 11, max 1800, mean 1300, min 800, numeric_count 11, stdev 331.6 (the
// sample standard deviation, worked out below by hand).

const events = hours.map((h, i) => ({ _time: NOW - i, _raw: JSON.stringify({ hour: h, visitor_count: visitors[i] }), index: 'main', sourcetype: 'json', source: 's', host: 'h' }));
const search = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource(events) })).results.map(toObject);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleStdev = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));

describe('fieldsummary', () => {
  it("summarizes the reference's visitor_log", async () => {
    const rows = await search('* | fieldsummary hour visitor_count');
    expect(rows.map((r) => r.field)).toEqual(['hour', 'visitor_count']);
    const [hour, visitor] = rows;
    // 800..1800 by 100: mean 1300, squares of the deviations 100^2 * 2 * (1+4+9+16+25) = 1,100,000, over 10.
    expect(hour).toMatchObject({ count: 11, distinct_count: 11, is_exact: 1, max: 1800, mean: 1300, min: 800, numeric_count: 11 });
    expect(hour!.stdev as number).toBeCloseTo(Math.sqrt(110_000), 9);
    expect(JSON.parse(hour!.values as string)).toEqual(hours.map((value) => ({ value, count: 1 })));
    // 4114 / 11 = 374; 367 twice, so 10 distinct values, the most frequent first, then in value order.
    expect(visitor).toMatchObject({ count: 11, distinct_count: 10, is_exact: 1, max: 624, mean: 374, min: 0, numeric_count: 11 });
    expect(visitor!.stdev as number).toBeCloseTo(sampleStdev(visitors), 9);
    expect(JSON.parse(visitor!.values as string)).toEqual([
      { value: '367', count: 2 },
      ...['0', '104', '212', '337', '489', '492', '513', '609', '624'].map((value) => ({ value, count: 1 })),
    ]);
  });

  it('maxvals= caps the values listed, not the counts; wildcards pick fields', async () => {
    const [row] = await search('* | fieldsummary maxvals=2 visitor*');
    expect(row).toMatchObject({ field: 'visitor_count', distinct_count: 10 });
    expect(JSON.parse(row!.values as string)).toEqual([{ value: '367', count: 2 }, { value: '0', count: 1 }]);
  });

  it('a field without numbers has no max, mean, min or stdev; a multivalue counts each value, the result once', async () => {
    expect(await run('| makeresults count=2 | eval m=split("b,a,b", ",") | fieldsummary')).toEqual([
      { field: 'm', count: 2, distinct_count: 2, is_exact: 1, numeric_count: 0, values: '[{"value":"b","count":4},{"value":"a","count":2}]' },
    ]);
  });

  it(`counts at most ${FIELDSUMMARY_MAX_DISTINCT} distinct values of a field, then says it is not exact`, async () => {
    const n = FIELDSUMMARY_MAX_DISTINCT + 5;
    const [row] = await run(`| makeresults count=${n} | streamstats count as v | fieldsummary maxvals=1 v`);
    expect(row).toMatchObject({ field: 'v', count: n, distinct_count: FIELDSUMMARY_MAX_DISTINCT, is_exact: 0, max: n, min: 1, numeric_count: n });
    expect(row!.values).toBe('[{"value":"1","count":1}]');
  });

  it('refuses a negative maxvals where it is', async () => {
    const spl = '| makeresults | fieldsummary maxvals=-1';
    expect((await errorOf(spl)).format()).toContain(at(spl, '-1'));
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | fieldsummary maxvals=5', '* | eval n=process_id % 7 | fieldsummary n process_*'], 17, NOW, 1);
  }, 120_000);
});
