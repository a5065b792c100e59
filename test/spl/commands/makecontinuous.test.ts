import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { describeSplit, splitPlan } from '../../../src/spl/plan/split.js';
import { MAX_MAKECONTINUOUS_BINS } from '../../../src/spl/commands/makecontinuous.js';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Search Reference, makecontinuous (https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/makecontinuous):
// "Makes a field on the x-axis numerically continuous by adding empty buckets for periods where there is no data and
// quantifying the periods where there is data. This x-axis field can then be invoked by the chart and timechart
// commands"; "makecontinuous <field> [<bin-options>...]"; bins "Sets the maximum number of bins to discretize into";
// span "<log-span> | <span-length>"; start/end "Sets the minimum and maximum extents for numerical bins. Data outside of
// the [start, end] range is discarded". Bins are bin's (its own tests quote its reference); the expected axes are
// worked out by hand.

/** Results with x = 1, 5, 12 and n = 1, 2, 3. */
const input = '| makeresults count=3 | streamstats count AS n | eval x=case(n=1, 1, n=2, 12, n=3, 5) | fields - _time';

describe('makecontinuous', () => {
  it('bins the values and adds a result holding only the field for each empty bin, in bin order', async () => {
    // span=2: 1 -> 0-2, 5 -> 4-6, 12 -> 12-14; empty 2-4, 6-8, 8-10, 10-12.
    expect(await run(`${input} | makecontinuous x span=2`)).toEqual([
      { n: 1, x: '0-2' },
      { x: '2-4' },
      { n: 3, x: '4-6' },
      { x: '6-8' },
      { x: '8-10' },
      { x: '10-12' },
      { n: 2, x: '12-14' },
    ]);
  });

  it('reads labels bin already wrote by their start (chart/bin output stays as it is)', async () => {
    expect((await run(`${input} | bin x span=4 | makecontinuous x span=4`)).map((r) => r.x)).toEqual(['0-4', '4-8', '8-12', '12-16']);
  });

  // *Decision:* end= is the upper edge of the axis (bins starting below it), values above it are dropped.
  it('start/end widen the axis and drop the results outside them', async () => {
    expect((await run(`${input} | makecontinuous x span=5 start=0 end=20`)).map((r) => [r.x, r.n ?? null])).toEqual([
      ['0-5', 1], ['5-10', 3], ['10-15', 2], ['15-20', null],
    ]);
    // start= widens the axis down: the bins from its bin on.
    expect((await run(`${input} | makecontinuous x span=5 start=-7`)).map((r) => r.x)).toEqual(['-10--5', '-5-0', '0-5', '5-10', '10-15']);
    expect((await run(`${input} | makecontinuous x span=5 end=10`)).map((r) => [r.x, r.n ?? null])).toEqual([['0-5', 1], ['5-10', 3]]);
  });

  it('without span= or bins=, labels bin already wrote keep their width (a chart x-axis made continuous)', async () => {
    // x = 10, 20, 40 binned by 10: 10-20, 20-30, 40-50; the empty 30-40 is added, and no label becomes 10-11.
    const binned = '| makeresults count=3 | streamstats count AS n | eval x=case(n=1, 10, n=2, 20, n=3, 40) | bin x span=10 | stats count by x';
    expect((await run(`${binned} | makecontinuous x`)).map((r) => [r.x, r.count ?? null])).toEqual([
      ['10-20', 1], ['20-30', 1], ['30-40', null], ['40-50', 1],
    ]);
    // Decimal labels of one width (0.2-0.3 is 0.09999999999999998 in doubles) are one width too.
    expect((await run('| makeresults count=2 | streamstats count AS n | eval x=if(n=1, "0.1-0.2", "0.4-0.5") | fields x | makecontinuous x')).map((r) => r.x)).toEqual(['0.1-0.2', '0.2-0.3', '0.3-0.4', '0.4-0.5']);
  });

  it('without span= picks the span from bins= as bin does', async () => {
    // Range 1..12 in at most 2 bins: span 10 (bin's powers of ten), bins 0-10 and 10-20.
    expect((await run(`${input} | makecontinuous x bins=2`)).map((r) => r.x)).toEqual(['0-10', '0-10', '10-20']);
  });

  it('fills hours of _time (the default field), each empty hour a result with only _time', async () => {
    // 1700000000 is in the hour starting 1699999200; +3h is in the hour starting 1700010000.
    const rows = await run('| makeresults count=2 | streamstats count AS n | eval _time=if(n=1, 1700000000, 1700010800) | makecontinuous span=1h');
    expect(rows).toEqual([
      { _time: 1699999200, n: 1 },
      { _time: 1700002800 },
      { _time: 1700006400 },
      { _time: 1700010000, n: 2 },
    ]);
  });

  it('leaves results without a number after the axis; no number at all changes nothing', async () => {
    expect((await run(`${input} | eval x=if(n=2, "abc", x) | makecontinuous x span=2`)).map((r) => r.x)).toEqual(['0-2', '2-4', '4-6', 'abc']);
    expect(await run('| makeresults | eval x="abc" | fields - _time | makecontinuous x span=2')).toEqual([{ x: 'abc' }]);
  });

  it('a log span fills the bins between the values it bins, whatever value no bin holds (0, negatives) comes first', async () => {
    // span=log2: 3 -> 2-4, 100 -> 64-128; the bins 4-8 ... 32-64 are empty. 0 has no log bin: it stays after the axis.
    const filled = ['2-4', '4-8', '8-16', '16-32', '32-64', '64-128'];
    const logInput = '| makeresults count=3 | streamstats count AS n | fields - _time | eval x=case(n=1, 3, n=2, 100, n=3, 0)';
    expect((await run(`${logInput} | where n<3 | makecontinuous x span=log2`)).map((r) => r.x)).toEqual(filled);
    expect((await run(`${logInput} | makecontinuous x span=log2`)).map((r) => r.x)).toEqual([...filled, 0]);
    expect((await run(`${logInput} | eval x=if(n=3, -5, x) | makecontinuous x span=log2`)).map((r) => r.x)).toEqual([...filled, -5]);
  });

  it(`stops with SPL_RUNTIME past ${MAX_MAKECONTINUOUS_BINS} bins (span=1 over a huge range)`, async () => {
    const spl = '| makeresults count=2 | streamstats count AS n | eval x=if(n=1, 0, 1e12) | makecontinuous x span=1';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'makecontinuous'));
    const time = '| makeresults count=2 | streamstats count AS n | eval _time=if(n=1, 0, 1700000000) | makecontinuous _time span=1s';
    expect((await errorOf(time)).code).toBe('SPL_RUNTIME');
    // At the bound exactly: 100,000 bins.
    expect((await run(`| makeresults count=2 | streamstats count AS n | eval x=if(n=1, 0, ${MAX_MAKECONTINUOUS_BINS - 1}) | makecontinuous x span=1`)).length).toBe(MAX_MAKECONTINUOUS_BINS);
  });

  it('refuses bad options', async () => {
    for (const [spl, code] of [
      ['| makeresults | makecontinuous x span=abc', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | makecontinuous x bins=0', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | makecontinuous x start=z', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | makecontinuous x start=5 end=1', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | makecontinuous _time span=log10', 'SPL_BAD_ARGUMENT'],
      ['| makeresults | makecontinuous x y span=1', 'SPL_SYNTAX'],
      ['| makeresults | makecontinuous x* span=1', 'SPL_BAD_ARGUMENT'],
    ] as const) {
      expect((await errorOf(spl)).code, spl).toBe(code);
    }
  });

  it('needs all its input, and gives the one-thread results', async () => {
    const p = plan('* | eval k=process_id % 50 | makecontinuous k span=5', { now: NOW, tz: 'UTC', sourceNewestFirst: true });
    expect(describeSplit(p, splitPlan(p))).toContain('final: ');
    await expectPartitionedLikeOnePass(['* | eval k=process_id % 50 | table k process_name | makecontinuous k span=5'], 8, NOW, 10);
  }, 120_000);
});
