import { describe, expect, it } from 'vitest';
import { MAX_GENTIMES_ROWS } from '../../../src/spl/commands/gentimes.js';
import { at, errorOf, run } from './helpers.js';

// NOW (helpers.ts) is 1700000000 = Tue Nov 14 22:13:20 2023 UTC; searches run in UTC unless told.
const OCT1_2020 = 1601510400; // 2020-10-01T00:00:00Z, by hand: 18536 days * 86400

describe('gentimes', () => {
  it('makes one row per day from start up to, not including, end', async () => {
    // SPL reference, gentimes: "Generates timestamp results starting with the exact time specified as start
    // time. Each result describes an adjacent, non-overlapping time range as indicated by the increment value."
    // "The gentimes command generates events up to the end time, but not including the end time." Increment
    // "Default: 1d". Fields: starttime/endtime "in UNIX time", starthuman/endhuman "in human readable format".
    expect(await run('| gentimes start=10/1/2020 end=10/3/2020')).toEqual([
      { starttime: OCT1_2020, endtime: OCT1_2020 + 86399, starthuman: 'Thu Oct  1 00:00:00 2020', endhuman: 'Thu Oct  1 23:59:59 2020' },
      { starttime: OCT1_2020 + 86400, endtime: OCT1_2020 + 2 * 86400 - 1, starthuman: 'Fri Oct  2 00:00:00 2020', endhuman: 'Fri Oct  2 23:59:59 2020' },
    ]);
  });

  it('reads MM/DD/YYYY:HH:MM:SS and increments of s, m, h', async () => {
    // "4/1/2021:12:34:56 for April 1, 2021 at 12:34:56"; increment "<int>(s | m | h | d)".
    const t = 1617280496; // 2021-04-01T12:34:56Z
    expect(await run('| gentimes start=4/1/2021:12:34:56 end=4/1/2021:13:34:56 increment=30m | table starttime endtime')).toEqual([
      { starttime: t, endtime: t + 1799 },
      { starttime: t + 1800, endtime: t + 3599 },
    ]);
    // A last range that passes end is still made ("terminates when enough results are generated to pass the endtime").
    expect((await run('| gentimes start=4/1/2021:12:34:56 end=4/1/2021:12:35:00 increment=3s')).map((r) => r['starttime'])).toEqual([t, t + 3]);
  });

  it('takes an integer start as days from today, and ends by default at the midnight before now', async () => {
    // "-5 for five days ago"; end "Default: midnight, prior to the current time in local time".
    const midnight = 1699920000; // 2023-11-14T00:00:00Z
    const rows = await run('| gentimes start=-3');
    expect(rows.map((r) => r['starttime'])).toEqual([midnight - 3 * 86400, midnight - 2 * 86400, midnight - 86400]);
    expect(rows[2]!['endhuman']).toBe('Mon Nov 13 23:59:59 2023');
    expect(await run('| gentimes start=0')).toEqual([]);
  });

  it('bounds the number of rows and refuses bad arguments at their place', async () => {
    const huge = '| gentimes start=1/1/1970 end=1/1/2030 increment=1s';
    const e = await errorOf(huge);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain(String(MAX_GENTIMES_ROWS));
    expect(e.format()).toContain(at(huge, '1s'));
    // The count is exact, so a range one row too long fails before any row too (review: 100,001 rows of 2s passed
    // the check, `| head 1` then gave a row and the API streamed 100,000 rows before the error).
    const JAN1_2026 = 1767225600; // 2026-01-01T00:00:00Z: 20454 days * 86400
    const end = (s: number) => new Date((JAN1_2026 + s) * 1000).toISOString().replace(/^(\d+)-(\d+)-(\d+)T(\d+:\d+:\d+).*/, (_m, y, mo, d, hms) => `${Number(mo)}/${Number(d)}/${y}:${hms}`);
    const exact = `| gentimes start=1/1/2026 end=${end(2 * MAX_GENTIMES_ROWS)} increment=2s`;
    expect(await run(`${exact} | stats count`)).toEqual([{ count: MAX_GENTIMES_ROWS }]);
    for (const extra of [1, 2]) {
      const over = `| gentimes start=1/1/2026 end=${end(2 * MAX_GENTIMES_ROWS + extra)} increment=2s | head 1`;
      expect((await errorOf(over)).code, over).toBe('SPL_BAD_ARGUMENT');
    }
    for (const [spl, bad] of [
      ['| gentimes', ''],
      ['| gentimes start=yesterday', 'yesterday'],
      ['| gentimes start=13/1/2020', '13/1/2020'],
      ['| gentimes start=-3 increment=0d', '0d'],
      ['| gentimes start=-3 increment=1w', '1w'],
    ] as const) {
      const err = await errorOf(spl);
      expect(err.code, spl).toBe('SPL_BAD_ARGUMENT');
      if (bad) expect(err.format(), spl).toContain(at(spl, bad));
    }
  });
});
