import { describe, it, expect } from 'vitest';
import { VigilError } from '../../../src/errors.js';
import {
  canonicalTimeZone,
  civilFromDays,
  daysFromCivil,
  fromWallClock,
  isValidTimeZone,
  toWallClock,
  zoneAbbreviation,
  zoneOffsetSeconds,
} from '../../../src/spl/time/zone.js';

/** Epoch seconds of a UTC wall time (month 1-12): expectations are written with this. */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';

describe('zoneOffsetSeconds', () => {
  it('is 0 for UTC and its aliases', () => {
    expect(zoneOffsetSeconds(utc(2024, 7, 1))).toBe(0);
    expect(zoneOffsetSeconds(utc(2024, 7, 1), 'Etc/UTC')).toBe(0);
    expect(zoneOffsetSeconds(utc(2024, 7, 1), 'GMT')).toBe(0);
  });

  it('follows standard and daylight time', () => {
    expect(zoneOffsetSeconds(utc(2024, 1, 15), NY)).toBe(-5 * 3600);
    expect(zoneOffsetSeconds(utc(2024, 7, 15), NY)).toBe(-4 * 3600);
    expect(zoneOffsetSeconds(utc(2024, 1, 15), BERLIN)).toBe(3600);
    expect(zoneOffsetSeconds(utc(2024, 7, 15), BERLIN)).toBe(7200);
    expect(zoneOffsetSeconds(utc(2024, 7, 15), 'Asia/Kolkata')).toBe(5 * 3600 + 30 * 60);
    expect(zoneOffsetSeconds(utc(2024, 7, 15), 'Asia/Kathmandu')).toBe(5 * 3600 + 45 * 60);
  });

  it('changes at the exact second of a transition', () => {
    // US 2024: clocks spring forward on Sun Mar 10 at 02:00 EST = 07:00Z,
    // and fall back on Sun Nov 3 at 02:00 EDT = 06:00Z.
    expect(zoneOffsetSeconds(utc(2024, 3, 10, 6, 59, 59), NY)).toBe(-5 * 3600);
    expect(zoneOffsetSeconds(utc(2024, 3, 10, 6, 59, 59) + 0.999999, NY)).toBe(-5 * 3600);
    expect(zoneOffsetSeconds(utc(2024, 3, 10, 7), NY)).toBe(-4 * 3600);
    expect(zoneOffsetSeconds(utc(2024, 11, 3, 5, 59, 59), NY)).toBe(-4 * 3600);
    expect(zoneOffsetSeconds(utc(2024, 11, 3, 6), NY)).toBe(-5 * 3600);
    // EU 2024: Mar 31 and Oct 27, both at 01:00Z.
    expect(zoneOffsetSeconds(utc(2024, 3, 31, 0, 59, 59), BERLIN)).toBe(3600);
    expect(zoneOffsetSeconds(utc(2024, 3, 31, 1), BERLIN)).toBe(7200);
    expect(zoneOffsetSeconds(utc(2024, 10, 27, 0, 59, 59), BERLIN)).toBe(7200);
    expect(zoneOffsetSeconds(utc(2024, 10, 27, 1), BERLIN)).toBe(3600);
  });

  it('handles a transition that is not on a UTC hour (Lord Howe: 30-minute DST at 02:00 local +10:30)', () => {
    // Australia/Lord_Howe 2024-04-07: 02:00 LHDT (+11:00) → 01:30 LHST (+10:30), i.e. at 15:00Z Apr 6.
    expect(zoneOffsetSeconds(utc(2024, 4, 6, 14, 59, 59), 'Australia/Lord_Howe')).toBe(11 * 3600);
    expect(zoneOffsetSeconds(utc(2024, 4, 6, 15), 'Australia/Lord_Howe')).toBe(10.5 * 3600);
  });
});

describe('time zone names', () => {
  it('rejects unknown zones with a VigilError', () => {
    expect(() => zoneOffsetSeconds(0, 'Mars/Olympus_Mons')).toThrow(VigilError);
    try {
      toWallClock(0, 'Not/AZone');
      expect.unreachable();
    } catch (err) {
      expect((err as VigilError).code).toBe('CONFIG');
      expect((err as VigilError).message).toContain('Not/AZone');
    }
    expect(isValidTimeZone('Not/AZone')).toBe(false);
    expect(isValidTimeZone(BERLIN)).toBe(true);
  });

  it('accepts case variants and aliases', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe(BERLIN);
    expect(canonicalTimeZone('Etc/UTC')).toBe('UTC');
  });

  it("resolves 'UTC' without Intl to the name Intl gives it", () => {
    expect(canonicalTimeZone('UTC')).toBe(new Intl.DateTimeFormat('en-US', { timeZone: 'UTC' }).resolvedOptions().timeZone);
  });
});

describe('toWallClock', () => {
  it('breaks down a UTC instant with microseconds', () => {
    // 2023-10-06 was a Friday; day of year = 273 (Jan..Sep) + 6 = 279.
    expect(toWallClock(utc(2023, 10, 6, 21, 52, 41) + 0.123456)).toEqual({
      year: 2023,
      month: 10,
      day: 6,
      hour: 21,
      minute: 52,
      second: 41,
      micro: 123456,
      weekday: 5,
      yearDay: 279,
      offsetSeconds: 0,
    });
  });

  it('applies the zone offset', () => {
    // 07:30Z on the spring-forward day is 03:30 EDT.
    const w = toWallClock(utc(2024, 3, 10, 7, 30), NY);
    expect([w.year, w.month, w.day, w.hour, w.minute, w.weekday, w.offsetSeconds]).toEqual([2024, 3, 10, 3, 30, 0, -4 * 3600]);
    // 23:30Z Dec 31 is already Jan 1 in Berlin (+1).
    const b = toWallClock(utc(2023, 12, 31, 23, 30), BERLIN);
    expect([b.year, b.month, b.day, b.hour, b.yearDay]).toEqual([2024, 1, 1, 0, 1]);
  });

  it('handles negative epochs and rounding to the microsecond', () => {
    // -1 s is 1969-12-31 23:59:59, a Wednesday.
    const w = toWallClock(-1);
    expect([w.year, w.month, w.day, w.hour, w.minute, w.second, w.weekday, w.yearDay]).toEqual([1969, 12, 31, 23, 59, 59, 3, 365]);
    // Half a microsecond below a whole second rounds up into it.
    const r = toWallClock(59.9999996);
    expect([r.minute, r.second, r.micro]).toEqual([1, 0, 0]);
    // -0.5 s is 23:59:59.500000 of the previous day.
    const n = toWallClock(-0.5);
    expect([n.day, n.second, n.micro]).toEqual([31, 59, 500000]);
  });
});

describe('instants past the range of Date', () => {
  // Date holds ±8.64e15 ms (year 275760); offsets there use the nearest instant it can hold. The last hour that
  // clamp falls in ended past the range, so formatToParts threw and a search over such a value (a nanosecond
  // count read as seconds, `eval _time=1e15`) died with "internal error: Invalid time value" outside UTC.
  // Expected calendars by hand: 1e13 s is 792 400-year cycles (146,097 days each) plus 31,916 days after
  // 1970-01-01, i.e. 318857-05-20 17:46:40 UTC; 1e15 s is 31690708-07-05 01:46:40 UTC.
  it('breaks them down in a zone with DST, as in UTC', () => {
    const far = toWallClock(1e13, NY);
    expect([far.year, far.month, far.day]).toEqual([318857, 5, 20]);
    expect([-4 * 3600, -5 * 3600]).toContain(far.offsetSeconds);
    const farther = toWallClock(1e15, NY);
    expect([farther.year, farther.month, farther.day]).toEqual([31690708, 7, 4]);
    expect([-4 * 3600, -5 * 3600]).toContain(zoneOffsetSeconds(8.64e12, NY));
    expect(toWallClock(-1e15, BERLIN).year).toBeLessThan(-31000000);
  });

  it('a search formats and bins them instead of failing', async () => {
    const { runSearch } = await import('../../../src/spl/index.js');
    const spl = '| makeresults | eval _time=1e15, y=strftime(1e13, "%Y-%m-%d") | bin _time span=1mon | eval m=strftime(_time, "%Y-%m-%d")';
    const { results } = await runSearch(spl, { now: 1700000000, tz: NY });
    expect(results[0]!.get('y')).toBe('318857-05-20');
    expect(results[0]!.get('m')).toBe('31690708-07-01');
  });
});

describe('fromWallClock', () => {
  it('inverts toWallClock outside transitions', () => {
    expect(fromWallClock({ year: 2024, month: 7, day: 4, hour: 12 }, NY)).toBe(utc(2024, 7, 4, 16));
    expect(fromWallClock({ year: 2024, month: 1, day: 4, hour: 12, micro: 250000 }, BERLIN)).toBe(utc(2024, 1, 4, 11) + 0.25);
  });

  it('normalises out-of-range fields', () => {
    expect(fromWallClock({ year: 2023, month: 13, day: 1 })).toBe(utc(2024, 1, 1));
    expect(fromWallClock({ year: 2024, month: 3, day: 0 })).toBe(utc(2024, 2, 29)); // leap year
    expect(fromWallClock({ year: 2024, month: 1, day: 1, hour: -1 })).toBe(utc(2023, 12, 31, 23));
    expect(fromWallClock({ year: 2024, month: 0, day: 1 })).toBe(utc(2023, 12, 1));
  });

  it('shifts a time in a DST gap forward by the gap', () => {
    // 02:30 does not exist on 2024-03-10 in New York; read with EST (-5) it is 07:30Z = 03:30 EDT.
    expect(fromWallClock({ year: 2024, month: 3, day: 10, hour: 2, minute: 30 }, NY)).toBe(utc(2024, 3, 10, 7, 30));
    // 02:30 does not exist on 2024-03-31 in Berlin; read with CET (+1) it is 01:30Z = 03:30 CEST.
    expect(fromWallClock({ year: 2024, month: 3, day: 31, hour: 2, minute: 30 }, BERLIN)).toBe(utc(2024, 3, 31, 1, 30));
  });

  it('resolves an overlap to the earlier instant unless an offset is preferred', () => {
    // 01:30 happens twice in New York on 2024-11-03: 05:30Z (EDT) and 06:30Z (EST).
    const parts = { year: 2024, month: 11, day: 3, hour: 1, minute: 30 };
    expect(fromWallClock(parts, NY)).toBe(utc(2024, 11, 3, 5, 30));
    expect(fromWallClock(parts, NY, -5 * 3600)).toBe(utc(2024, 11, 3, 6, 30));
    expect(fromWallClock(parts, NY, -4 * 3600)).toBe(utc(2024, 11, 3, 5, 30));
    // A preferred offset that does not apply is ignored.
    expect(fromWallClock({ year: 2024, month: 7, day: 1 }, NY, -5 * 3600)).toBe(utc(2024, 7, 1, 4));
    // Berlin 2024-10-27 02:30 happens at 00:30Z (CEST) and 01:30Z (CET).
    expect(fromWallClock({ year: 2024, month: 10, day: 27, hour: 2, minute: 30 }, BERLIN)).toBe(utc(2024, 10, 27, 0, 30));
  });

  it('round-trips every 17 minutes through a DST year', () => {
    const mismatches: string[] = [];
    for (const tz of [NY, BERLIN, 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC']) {
      for (let e = utc(2024, 1, 1); e < utc(2025, 1, 1); e += 17 * 60 + 0.25) {
        const w = toWallClock(e, tz);
        const back = fromWallClock(w, tz, w.offsetSeconds);
        if (Math.abs(back - e) > 1e-6) mismatches.push(`${tz} ${e} -> ${back}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('zoneAbbreviation', () => {
  it('uses the usual abbreviations', () => {
    expect(zoneAbbreviation(utc(2024, 1, 15), NY)).toBe('EST');
    expect(zoneAbbreviation(utc(2024, 7, 15), NY)).toBe('EDT');
    expect(zoneAbbreviation(utc(2024, 1, 15), BERLIN)).toBe('CET');
    expect(zoneAbbreviation(utc(2024, 7, 15), BERLIN)).toBe('CEST');
    expect(zoneAbbreviation(utc(2024, 7, 15))).toBe('UTC');
    // No English abbreviation in ICU: tzdata's numeric style.
    expect(zoneAbbreviation(utc(2024, 7, 15), 'America/Sao_Paulo')).toBe('-03');
  });
});

describe('calendar helpers', () => {
  it('agree with Date.UTC', () => {
    for (const [y, m, d] of [
      [1970, 1, 1],
      [2000, 2, 29],
      [1969, 12, 31],
      [1600, 3, 1],
      [2100, 12, 31],
    ] as const) {
      const days = Date.UTC(y, m - 1, d) / 86_400_000;
      expect(daysFromCivil(y, m, d)).toBe(days);
      expect(civilFromDays(days)).toEqual({ year: y, month: m, day: d });
    }
  });
});
