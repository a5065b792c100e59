import { describe, expect, it } from 'vitest';
import { parseCron } from '../../src/detections/cron.js';
import { CronSchedule } from '../../src/schedule/cron.js';

const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 16);
const runs = (expr: string, fromIso: string, n: number, tz = 'UTC') => {
  const c = new CronSchedule(expr, tz);
  const out: string[] = [];
  for (let t: number | null = Date.parse(fromIso) / 1000; out.length < n && (t = c.next(t)) !== null; ) out.push(iso(t));
  return out;
};
const error = (expr: string) => {
  try {
    parseCron(expr);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
};

// Splunk's cron_schedule syntax: Alerting Manual, "Use cron expressions for alert scheduling" (N, N,M, I-J, *, */N,
// I-J/N, lists of them) and savedsearches.conf.spec ("does not currently support names of months or days").
describe('cron_schedule syntax', () => {
  it('takes the documented forms', () => {
    expect(runs('00,20,40 * * * *', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-01T00:20', '2026-01-01T00:40', '2026-01-01T01:00']);
    expect(runs('*/15 * * * *', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-01T00:15', '2026-01-01T00:30']);
    expect(runs('0 9-12/2 * * *', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-01T09:00', '2026-01-01T11:00', '2026-01-02T09:00']);
    expect(runs('0 0 * * 0', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-04T00:00']); // 0 = Sunday
    // I-J,K-L/N: "9-12,15-17/2" is 9:00, 11:00, 15:00 and 17:00 (the step applies to every range).
    expect(runs('0 9-12,15-17/2 * * *', '2026-01-01T00:00:00Z', 5)).toEqual(['2026-01-01T09:00', '2026-01-01T11:00', '2026-01-01T15:00', '2026-01-01T17:00', '2026-01-02T09:00']);
    expect(runs('0 8,9-12,20-23/3 * * *', '2026-01-01T00:00:00Z', 5)).toEqual(['2026-01-01T08:00', '2026-01-01T09:00', '2026-01-01T12:00', '2026-01-01T20:00', '2026-01-01T23:00']);
  });

  it('refuses names of months and days, and the L W # ? extensions, saying why', () => {
    for (const expr of ['0 0 * * MON', '0 0 1 JAN *', '0 0 L * *', '0 0 15W * *', '0 0 * * 5#2', '0 0 ? * *']) {
      expect(error(expr)).toMatch(/^invalid cron schedule ".*": (day of week|month|day of month) ".*" is not N, I-J, \* or one of them with a \/N step/);
    }
  });

  it('names the field and the value out of range', () => {
    expect(error('60 * * * *')).toBe('invalid cron schedule "60 * * * *": minute "60" has 60, out of 0-59');
    expect(error('0 0 * 13 *')).toBe('invalid cron schedule "0 0 * 13 *": month "13" has 13, out of 1-12');
    expect(error('0 0 0 * *')).toBe('invalid cron schedule "0 0 0 * *": day of month "0" has 0, out of 1-31');
    expect(error('0 0 * * 1-8')).toBe('invalid cron schedule "0 0 * * 1-8": day of week "1-8" has 8, out of 0-7');
    expect(error('0 17-9 * * *')).toBe('invalid cron schedule "0 17-9 * * *": hour "17-9" has the range 17-9, whose start is after its end');
    expect(error('5/15 * * * *')).toBe('invalid cron schedule "5/15 * * * *": minute "5/15" steps a single value: write 5-59/15 or */15');
    expect(error('*/0 * * * *')).toBe('invalid cron schedule "*/0 * * * *": minute "*/0" has a step of 0');
  });
});

describe('next runs', () => {
  it('day of month and day of week both restricted: either matches (Vixie cron)', () => {
    // Friday 2026-01-02, 09, the 13th (a Tuesday), Friday 16.
    expect(runs('0 0 13 * 5', '2026-01-01T00:00:00Z', 4)).toEqual(['2026-01-02T00:00', '2026-01-09T00:00', '2026-01-13T00:00', '2026-01-16T00:00']);
  });

  it('the 31st only in months that have one, Feb 29 only in leap years', () => {
    expect(runs('0 0 31 * *', '2026-01-01T00:00:00Z', 3)).toEqual(['2026-01-31T00:00', '2026-03-31T00:00', '2026-05-31T00:00']);
    expect(runs('0 0 29 2 *', '2026-01-01T00:00:00Z', 2)).toEqual(['2028-02-29T00:00', '2032-02-29T00:00']);
    expect(new CronSchedule('0 0 30 2 *').next(Date.parse('2026-01-01T00:00:00Z') / 1000)).toBeNull();
  });

  // DST as Vixie cron (Splunk documents nothing): a fixed-time cron (neither minute nor hour starts with *) runs
  // skipped wall times once after the gap and a repeated wall time once; a wildcard cron runs by the clock.
  it('fixed-time wall times a DST gap skips run once, at the end of the gap; wildcard ones do not', () => {
    // 2026-03-08 in New York: 02:00 EST is 03:00 EDT (07:00Z).
    for (const expr of ['30 2 * * *', '15,45 2 * * *', '0-59/20 2 * * *', '0 2 * * *']) expect(runs(expr, '2026-03-08T00:00:00Z', 1, 'America/New_York')).toEqual(['2026-03-08T07:00']);
    expect(runs('15,45 2 * * *', '2026-03-08T00:00:00Z', 3, 'America/New_York')).toEqual(['2026-03-08T07:00', '2026-03-09T06:15', '2026-03-09T06:45']);
    expect(runs('*/20 2 * * *', '2026-03-08T00:00:00Z', 1, 'America/New_York')).toEqual(['2026-03-09T06:00']);
    // Lord Howe moves 30 minutes (02:00 → 02:30 on 2026-10-04, 15:30Z): 02:15 runs at 02:30.
    expect(runs('15 2 * * *', '2026-10-03T00:00:00Z', 2, 'Australia/Lord_Howe')).toEqual(['2026-10-03T15:30', '2026-10-04T15:15']);
    // A cron with nothing in the gap is unchanged.
    expect(runs('0 4 * * *', '2026-03-07T12:00:00Z', 2, 'America/New_York')).toEqual(['2026-03-08T08:00', '2026-03-09T08:00']);
  });

  it('a fixed-time wall time that occurs twice (fall back) runs once; a wildcard hour runs in both', () => {
    // 2026-11-01 in New York: 01:00-02:00 happens at 05:00Z (EDT) and again at 06:00Z (EST).
    expect(runs('0 1-3 * * *', '2026-11-01T04:00:00Z', 3, 'America/New_York')).toEqual(['2026-11-01T05:00', '2026-11-01T07:00', '2026-11-01T08:00']);
    expect(runs('30 1 * * *', '2026-11-01T04:00:00Z', 2, 'America/New_York')).toEqual(['2026-11-01T05:30', '2026-11-02T06:30']);
    expect(runs('15 */1 * * *', '2026-11-01T04:30:00Z', 3, 'America/New_York')).toEqual(['2026-11-01T05:15', '2026-11-01T06:15', '2026-11-01T07:15']);
  });

  it('an hourly cron in a DST zone runs in both repeated hours, so -70m@m..-10m@m windows still tile', () => {
    // 2026-11-01 in New York: 01:00 EDT (05:00Z), then 01:00 EST (06:00Z).
    expect(runs('0 * * * *', '2026-11-01T04:30:00Z', 3, 'America/New_York')).toEqual(['2026-11-01T05:00', '2026-11-01T06:00', '2026-11-01T07:00']);
  });
});
