import { describe, it, expect } from 'vitest';
import { runSearch } from '../../../src/spl/index.js';
import { toObject } from '../../../src/events/result.js';
import { run, errorOf, at, NOW } from './helpers.js';

/** Runs in a zone, with a fixed time range (for aligntime=earliest|latest). */
const runIn = async (spl: string, tz: string, range: { earliest?: number; latest?: number } = {}) =>
  (await runSearch(spl, { now: NOW, tz, ...range })).results.map(toObject);

/** `_time` values of `n` results spaced `step` seconds apart from `t0`, binned by `bin`. */
const times = (t0: number, n: number, step: number, bin: string) =>
  `| makeresults count=${n} | streamstats count as i | eval _time=${t0}+(i-1)*${step} | bin ${bin} | table _time`;

describe('bin span= (exact floor)', () => {
  it('never moves a time near a boundary into the next bin', async () => {
    expect(await run('| makeresults | eval _time=1795255198.92 | bin _time span=5m | table _time')).toEqual([{ _time: 1795254900 }]);
    expect(await run('| makeresults | eval _time=1795255199 | bin _time span=1h | table _time')).toEqual([{ _time: 1795251600 }]);
    expect(await run('| makeresults | eval _time=1795255199.999999 | bin _time span=1s | table _time')).toEqual([{ _time: 1795255199 }]);
    expect(await run('| makeresults | eval _time=1795255199.96 | bin _time span=100ms | table _time')).toEqual([{ _time: 1795255199.9 }]);
  });

  it('floors numbers exactly and labels the bin "start-end"', async () => {
    expect(await run('| makeresults | eval x=1000000000.6 | bin x span=1 | table x')).toEqual([{ x: '1000000000-1000000001' }]);
    expect(await run('| makeresults | eval x=0.3 | bin x span=0.1 | table x')).toEqual([{ x: '0.3-0.4' }]);
    expect(await run('| makeresults | eval x=-3 | bin x span=10 | table x')).toEqual([{ x: '-10-0' }]);
    expect(await run('| makeresults | eval x=347 | bin x span=log AS b | table x b')).toEqual([{ x: 347, b: '100-1000' }]);
    expect(await run('| makeresults | eval x=1000 | bucket x span=log | table x')).toEqual([{ x: '1000-10000' }]);
  });

  // SPL reference, bin, span-length: "If discretizing based on the _time field or used with a timescale, this is
  // treated as a time range. If not, this is an absolute bin length." ESCU: `eval gtime=_time | bin span=1h gtime`.
  it('bins any field by time when the span has a time unit', async () => {
    const t = Date.UTC(2023, 10, 14, 22, 30, 7) / 1000;
    expect(await run(`| makeresults | eval g=${t} | bin span=1h g | table g`)).toEqual([{ g: Date.UTC(2023, 10, 14, 22) / 1000 }]);
    expect(await run(`| makeresults | eval g=${t} | bin span=2s g AS b | table g b`)).toEqual([{ g: t, b: t - 1 }]);
    expect(await run(`| makeresults | eval g="${t}" | bucket g span=5m | table g`)).toEqual([{ g: Date.UTC(2023, 10, 14, 22, 30) / 1000 }]);
    // Days and months start at local midnight, aligntime= moves sub-day bins, as for _time.
    const ny = (spl: string) => runIn(spl, 'America/New_York');
    expect(await ny(`| makeresults | eval g=${t} | bin span=1d g | table g`)).toEqual([{ g: Date.UTC(2023, 10, 14, 5) / 1000 }]);
    expect(await ny(`| makeresults | eval g=${t} | bin span=1mon g | table g`)).toEqual([{ g: Date.UTC(2023, 10, 1, 4) / 1000 }]);
    expect(await run(`| makeresults | eval g=${t} | bin span=1h aligntime=${t - 60} g | table g`)).toEqual([{ g: t - 60 }]);
    // Without a unit the span is a number: a "start-end" label.
    expect(await run(`| makeresults | eval g=${t} | bin span=3600 g | table g`)).toEqual([{ g: `${Date.UTC(2023, 10, 14, 22) / 1000}-${Date.UTC(2023, 10, 14, 23) / 1000}` }]);
  });

  it('ignores start=/end= when span= is given (they only matter for automatic spans)', async () => {
    expect(await run('| makeresults | eval x=17 | bin x span=10 start=0 end=1000 | table x')).toEqual([{ x: '10-20' }]);
  });
});

describe('bin alignment of _time', () => {
  it('counts spans under a day from the epoch in UTC: hour bins start at :30 local in +05:30', async () => {
    // 2026-11-21 05:15Z = 10:45 IST → the bin starts at 05:00Z = 10:30 IST.
    const t = Date.UTC(2026, 10, 21, 5, 15) / 1000;
    expect(await runIn(`| makeresults | eval _time=${t} | bin _time span=1h | table _time`, 'Asia/Kolkata')).toEqual([{ _time: Date.UTC(2026, 10, 21, 5) / 1000 }]);
    expect(await runIn(`| makeresults | eval _time=${t} | bin _time span=24h | table _time`, 'Asia/Kolkata')).toEqual([{ _time: Date.UTC(2026, 10, 21) / 1000 }]);
  });

  it('aligns day spans to local midnight', async () => {
    const t = Date.UTC(2026, 10, 21, 5, 15) / 1000;
    expect(await runIn(`| makeresults | eval _time=${t} | bin _time span=1d | table _time`, 'Asia/Kolkata')).toEqual([{ _time: Date.UTC(2026, 10, 20, 18, 30) / 1000 }]);
  });

  it('aligntime=@d+3h with span=12h gives 3am-3pm local bins (doc example 4)', async () => {
    // now = 2023-11-14 22:13:20Z = 2023-11-15 03:43:20 IST; @d+3h = 2023-11-15 03:00 IST = 2023-11-14 21:30Z.
    const spl = (h: number, m: number) => `| makeresults | eval _time=${Date.UTC(2023, 10, 15, h, m) / 1000} | bin _time span=12h aligntime=@d+3h | table _time`;
    expect(await runIn(spl(9, 0), 'Asia/Kolkata')).toEqual([{ _time: Date.UTC(2023, 10, 14, 21, 30) / 1000 }]); // 14:30 IST → 03:00 IST
    expect(await runIn(spl(9, 45), 'Asia/Kolkata')).toEqual([{ _time: Date.UTC(2023, 10, 15, 9, 30) / 1000 }]); // 15:15 IST → 15:00 IST
    expect(await runIn(spl(9, 45), 'UTC')).toEqual([{ _time: Date.UTC(2023, 10, 15, 3) / 1000 }]); // 03:00Z and 15:00Z
  });

  it('aligntime=<epoch> counts bins from that UTC time (doc example 5)', async () => {
    const t = 1500567890 + 3 * 3600 + 10;
    expect(await run(`| makeresults | eval _time=${t} | bin _time span=1h aligntime=1500567890 | table _time`)).toEqual([{ _time: 1500567890 + 3 * 3600 }]);
  });

  it('aligntime=earliest|latest use the search time range', async () => {
    const spl = (a: string) => `| makeresults | eval _time=1000 | bin _time span=1h aligntime=${a} | table _time`;
    expect(await runIn(spl('earliest'), 'UTC', { earliest: 900 })).toEqual([{ _time: 900 }]);
    expect(await runIn(spl('latest'), 'UTC', { earliest: 0, latest: 7300 })).toEqual([{ _time: 100 }]);
  });

  it('ignores aligntime for day and month spans (documented)', async () => {
    const t = Date.UTC(2026, 10, 21, 5, 15) / 1000;
    expect(await run(`| makeresults | eval _time=${t} | bin _time span=1d aligntime=1500567890 | table _time`)).toEqual([{ _time: Date.UTC(2026, 10, 21) / 1000 }]);
    expect(await run(`| makeresults | eval _time=${t} | bin _time span=1mon aligntime=@d+3h | table _time`)).toEqual([{ _time: Date.UTC(2026, 10, 1) / 1000 }]);
  });
});

describe('bin without span= (bins=, minspan=, start=, end=)', () => {
  it('picks the smallest power of ten giving at most bins=N bins (doc example 2)', async () => {
    const spl = (opts: string) => `| makeresults count=5 | streamstats count as i | eval size=i*17 | bin size ${opts} | stats count by size`;
    expect(await run(spl('bins=10'))).toEqual([
      { size: '10-20', count: 1 },
      { size: '30-40', count: 1 },
      { size: '50-60', count: 1 },
      { size: '60-70', count: 1 },
      { size: '80-90', count: 1 },
    ]);
    expect(await run(spl('bins=3'))).toEqual([{ size: '0-100', count: 5 }]);
    // Default bins=100: span 1. A narrower range gets fractional bins (7..9: span 0.1, 21 bins).
    expect((await run(spl(''))).map((r) => r['size'])).toEqual(['17-18', '34-35', '51-52', '68-69', '85-86']);
    expect((await run('| makeresults count=3 | streamstats count as i | eval x=6+i | bin x | table x')).map((r) => r['x'])).toEqual(['7-7.1', '8-8.1', '9-9.1']);
  });

  it('end= widens the range the span is chosen for, never narrows it (doc example 3)', async () => {
    const spl = (opts: string) => `| makeresults count=3 | streamstats count as i | eval amount=i*3 | bin amount ${opts} | table amount`;
    expect((await run(spl('end=1000 bins=10'))).map((r) => r['amount'])).toEqual(['0-1000', '0-1000', '0-1000']);
    expect((await run(spl('end=5 bins=10'))).map((r) => r['amount'])).toEqual(['3-4', '6-7', '9-10']);
    expect((await run(spl('start=-95 bins=10'))).map((r) => r['amount'])).toEqual(['0-100', '0-100', '0-100']);
  });

  it('minspan= is a lower bound on the chosen span', async () => {
    const spl = '| makeresults count=3 | streamstats count as i | eval x=27+i*3 | bin x minspan=5 | table x';
    expect((await run(spl)).map((r) => r['x'])).toEqual(['30-40', '30-40', '30-40']);
  });

  it('picks a span of the time ladder for _time from the data range', async () => {
    // 5 events over 4000 s, at most 100 bins: 1 minute.
    expect(await run(times(1795255200, 5, 1000, '_time'))).toEqual([1795255200, 1795256160, 1795257180, 1795258200, 1795259160].map((t) => ({ _time: t })));
    // bins=2 over 4000 s: 1 hour (the 1795255200 hour and the next).
    expect(await run(times(1795255200, 5, 1000, '_time bins=2'))).toEqual([1795255200, 1795255200, 1795255200, 1795255200, 1795258800].map((t) => ({ _time: t })));
    // minspan=15m: at least 30 minutes.
    expect((await run(times(1795255200, 2, 10, '_time minspan=15m'))).map((r) => r['_time'])).toEqual([1795255200, 1795255200]);
  });

  it('holds every result until the input ends and keeps their order', async () => {
    const rows = await run('| makeresults count=3 | streamstats count as i | eval x=10-i | bin x bins=10 | table i x');
    expect(rows).toEqual([
      { i: 1, x: '9-10' },
      { i: 2, x: '8-9' },
      { i: 3, x: '7-8' },
    ]);
  });
});

// "Puts continuous numerical values into discrete sets" (Search Reference, bin): the reference says nothing of text.
describe('bin of values that are not numbers', () => {
  it('drops them, with span= or without (without, a field with no number at all kept its text)', async () => {
    const mixed = '| makeresults | eval x=split("5,abc,17", ",")';
    expect(await run(`${mixed} | bin x span=10 | table x`)).toEqual([{ x: ['0-10', '10-20'] }]);
    expect(await run('| makeresults | eval x="abc" | bin x span=10 | table x')).toEqual([{}]);
    expect(await run('| makeresults | eval x="abc" | bin x | table x')).toEqual([{}]);
    expect(await run('| makeresults | eval x="abc" | bin x bins=10 AS b | table x b')).toEqual([{ x: 'abc' }]);
    // 5 and 17: a range of 12, bins of 1 would be 13 > 10, so bins of 10 (the smallest power of ten).
    expect(await run(`${mixed} | bin x bins=10 | table x`)).toEqual([{ x: ['0-10', '10-20'] }]);
  });
});

describe('bin errors', () => {
  it('rejects a log span on _time and an automatic month minspan on numbers, at the span', async () => {
    let spl = '| makeresults | bin _time span=log';
    expect((await errorOf(spl)).format()).toContain(at(spl, 'log'));
    spl = '| makeresults | eval x=1 | bin x minspan=1mon';
    expect((await errorOf(spl)).message).toMatch(/month span can only bin _time/);
  });

  it('rejects aligntime on other fields and bad option values', async () => {
    expect((await errorOf('| makeresults | eval x=1 | bin x span=10 aligntime=0')).message).toMatch(/aligntime= is valid only when binning by time/);
    expect((await errorOf('| makeresults | bin _time aligntime=soon')).message).toMatch(/aligntime= needs earliest, latest or a time/);
    expect((await errorOf('| makeresults | bin _time bins=0')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | eval x=1 | bin x end=many')).message).toMatch(/end= needs a number/);
    expect((await errorOf('| makeresults | bin _time span=300ms')).message).toMatch(/divide a second evenly/);
    expect((await errorOf('| makeresults | bin _time minspan=log')).message).toMatch(/minspan= needs a span length/);
  });
});
