import { describe, it, expect } from 'vitest';
import { VigilError } from '../../../src/errors.js';
import {
  TimeModifierError,
  isTimeModifier,
  isoTime,
  parseTimeModifier,
  resolveTimeModifier,
} from '../../../src/spl/time/modifiers.js';

/** Epoch seconds of a UTC wall time (month 1-12). */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';

// Wednesday 2024-05-15 14:00:07.5 UTC. (2024-01-01 was a Monday; May 15 is day 136, and
// 135 days later than a Monday is a Wednesday.)
const NOW = utc(2024, 5, 15, 14, 0, 7) + 0.5;

const at = (text: string, now = NOW, tz?: string): number => resolveTimeModifier(text, now, tz);

describe('simple forms', () => {
  it('now, epochs', () => {
    expect(at('now')).toBe(NOW);
    expect(at('now()')).toBe(NOW);
    expect(at(' now ')).toBe(NOW);
    expect(at('0')).toBe(0);
    expect(at('1')).toBe(1);
    expect(at('1700000000')).toBe(1700000000);
    expect(at('1700000000.25')).toBe(1700000000.25);
  });

  it('absolute %m/%d/%Y:%H:%M:%S in the given zone', () => {
    expect(at('10/15/2019:20:00:00')).toBe(utc(2019, 10, 15, 20));
    // The Search Manual writes the fields unpadded: earliest=10/19/2009:0:0:0.
    expect(at('10/19/2009:0:0:0')).toBe(utc(2009, 10, 19));
    // 20:00 EDT = 00:00Z the next day.
    expect(at('10/15/2019:20:00:00', NOW, NY)).toBe(utc(2019, 10, 16, 0));
  });
});

describe('relative offsets and snaps', () => {
  it('snaps minutes after an offset (the brief examples)', () => {
    // 14:00:07.5 - 70 min = 12:50:07.5, snapped to the minute.
    expect(at('-70m@m')).toBe(utc(2024, 5, 15, 12, 50));
    expect(at('-10m@m')).toBe(utc(2024, 5, 15, 13, 50));
  });

  it('exact units keep the fraction', () => {
    expect(at('-h')).toBe(NOW - 3600);
    expect(at('+30s')).toBe(NOW + 30);
    expect(at('-5minutes')).toBe(NOW - 300);
    expect(at('-2hrs')).toBe(NOW - 7200);
    expect(at('-0s')).toBe(NOW);
    expect(at('@s')).toBe(utc(2024, 5, 15, 14, 0, 7));
  });

  it('subsecond units offset and snap exactly on microseconds', () => {
    // Search Reference, "Time modifiers": "subseconds | microseconds (us), milliseconds (ms), centiseconds (cs), or
    // deciseconds (ds)"; "You can use any of time units listed previously" to snap; the number 1 is implied.
    const T = 1_562_405_400.123456;
    expect(at('-500ms', T)).toBe(1_562_405_399.623456);
    expect(at('+1us', T)).toBe(1_562_405_400.123457);
    expect(at('-ms', T)).toBe(1_562_405_400.122456);
    expect(at('-3cs', T)).toBe(1_562_405_400.093456);
    expect(at('+2ds', T)).toBe(1_562_405_400.323456);
    expect(at('@ms', T)).toBe(1_562_405_400.123);
    expect(at('@cs', T)).toBe(1_562_405_400.12);
    expect(at('@ds', T)).toBe(1_562_405_400.1);
    expect(at('@us', T)).toBe(T);
    // The offset first, then the snap; before 1970 a snap still rounds down.
    expect(at('-200ms@ds', T)).toBe(1_562_405_399.9);
    expect(at('@ms', -0.0015)).toBe(-0.002);
  });

  it('days, weeks, months, quarters, years move the calendar', () => {
    expect(at('-1d')).toBe(NOW - 86400);
    expect(at('-1w')).toBe(utc(2024, 5, 8, 14, 0, 7) + 0.5);
    expect(at('-1mon')).toBe(utc(2024, 4, 15, 14, 0, 7) + 0.5);
    expect(at('+1q')).toBe(utc(2024, 8, 15, 14, 0, 7) + 0.5);
    expect(at('-1y')).toBe(utc(2023, 5, 15, 14, 0, 7) + 0.5);
    expect(at('-3days')).toBe(utc(2024, 5, 12, 14, 0, 7) + 0.5);
  });

  it('snaps to calendar units', () => {
    expect(at('@h')).toBe(utc(2024, 5, 15, 14));
    expect(at('@d')).toBe(utc(2024, 5, 15));
    expect(at('@mon')).toBe(utc(2024, 5, 1));
    expect(at('@month')).toBe(utc(2024, 5, 1));
    expect(at('@q')).toBe(utc(2024, 4, 1));
    expect(at('@qtr')).toBe(utc(2024, 4, 1));
    expect(at('@quarter')).toBe(utc(2024, 4, 1));
    expect(at('@y')).toBe(utc(2024, 1, 1));
    expect(at('-1q@q')).toBe(utc(2024, 1, 1)); // Feb 15 → Jan 1
    expect(at('-1y@y')).toBe(utc(2023, 1, 1));
  });

  it('snaps to weekdays (now is a Wednesday)', () => {
    expect(at('@w0')).toBe(utc(2024, 5, 12)); // previous Sunday
    expect(at('@w')).toBe(utc(2024, 5, 12));
    expect(at('@week')).toBe(utc(2024, 5, 12));
    expect(at('@w7')).toBe(utc(2024, 5, 12));
    expect(at('@w1')).toBe(utc(2024, 5, 13)); // Monday
    expect(at('@w3')).toBe(utc(2024, 5, 15)); // today is Wednesday
    expect(at('@w4')).toBe(utc(2024, 5, 9)); // the Thursday before
    expect(at('@w6')).toBe(utc(2024, 5, 11));
  });

  it('chains offsets and snaps left to right', () => {
    expect(at('-1d@d+6h')).toBe(utc(2024, 5, 14, 6));
    expect(at('+1d@d-1h')).toBe(utc(2024, 5, 15, 23));
    expect(at('-1d@d@h')).toBe(utc(2024, 5, 14));
    expect(at('@d-1s')).toBe(utc(2024, 5, 14, 23, 59, 59));
    expect(at('-1mon@mon')).toBe(utc(2024, 4, 1));
    expect(at('-7d@w1+8h')).toBe(utc(2024, 5, 6, 8)); // May 8 (Wed) → Mon May 6 → 08:00
  });

  it('matches the documented examples', () => {
    // "If you run the search at 3:45 … -h@h … start at 2:00".
    expect(at('-h@h', utc(2024, 5, 15, 3, 45))).toBe(utc(2024, 5, 15, 2));
    // "On April 28th … at 14:05 … earliest=-2d@d … from 00:00 on April 26th".
    expect(at('-2d@d', utc(2024, 4, 28, 14, 5))).toBe(utc(2024, 4, 26));
    expect(at('-2d', utc(2024, 4, 28, 14, 5))).toBe(utc(2024, 4, 26, 14, 5));
  });

  it('rolls a day past the end of the month over, like mktime', () => {
    // 2024-03-31 -1mon = "Feb 31" = Mar 2 (2024 is a leap year).
    expect(at('-1mon', utc(2024, 3, 31, 12))).toBe(utc(2024, 3, 2, 12));
    // Snapping first avoids it.
    expect(at('@mon-1mon', utc(2024, 3, 31, 12))).toBe(utc(2024, 2, 1));
  });
});

describe('time zones and DST', () => {
  it('snaps days to local midnight across the New York spring-forward night', () => {
    // now = 2024-03-11 01:00 EDT = 05:00Z. -1d → 2024-03-10 01:00 EST (06:00Z);
    // @d → 2024-03-10 00:00 EST = 05:00Z. (Using now's offset, -4 h, would give 04:00Z.)
    expect(at('-1d@d', utc(2024, 3, 11, 5), NY)).toBe(utc(2024, 3, 10, 5));
    // -1d keeps the wall time: 2024-03-10 12:00 EDT (16:00Z) → 03-09 12:00 EST (17:00Z), 23 h earlier.
    expect(at('-1d', utc(2024, 3, 10, 16), NY)).toBe(utc(2024, 3, 9, 17));
    // @d on the short day: 00:00 EST = 05:00Z.
    expect(at('@d', utc(2024, 3, 10, 16), NY)).toBe(utc(2024, 3, 10, 5));
  });

  it('snaps hours across the spring-forward hour', () => {
    // New York: now 03:30 EDT = 07:30Z. @h → 03:00 EDT = 07:00Z.
    // -h@h: 06:30Z = 01:30 EST → 01:00 EST = 06:00Z.
    expect(at('@h', utc(2024, 3, 10, 7, 30), NY)).toBe(utc(2024, 3, 10, 7));
    expect(at('-h@h', utc(2024, 3, 10, 7, 30), NY)).toBe(utc(2024, 3, 10, 6));
    // Berlin: now 03:30 CEST = 01:30Z. @h → 01:00Z; -h@h: 00:30Z = 01:30 CET → 00:00Z.
    expect(at('@h', utc(2024, 3, 31, 1, 30), BERLIN)).toBe(utc(2024, 3, 31, 1));
    expect(at('-h@h', utc(2024, 3, 31, 1, 30), BERLIN)).toBe(utc(2024, 3, 31, 0));
    // Berlin @d on its short day: Mar 31 00:00 CET = Mar 30 23:00Z.
    expect(at('@d', utc(2024, 3, 31, 1, 30), BERLIN)).toBe(utc(2024, 3, 30, 23));
    // now = Apr 1 00:30 CEST (Mar 31 22:30Z): -1d → Mar 31 00:30 CET (Mar 30 23:30Z) → @d → Mar 30 23:00Z.
    expect(at('-1d@d', utc(2024, 3, 31, 22, 30), BERLIN)).toBe(utc(2024, 3, 30, 23));
  });

  it('stays in the same pass of a repeated (fall-back) hour when snapping', () => {
    // 2024-11-03 01:30 happens at 05:30Z (EDT) and 06:30Z (EST); @h must not jump between them.
    expect(at('@h', utc(2024, 11, 3, 6, 30), NY)).toBe(utc(2024, 11, 3, 6));
    expect(at('@h', utc(2024, 11, 3, 5, 30), NY)).toBe(utc(2024, 11, 3, 5));
  });

  it('moves a day into a gap forward', () => {
    // now = 2024-03-11 02:30 EDT (06:30Z). -1d → 2024-03-10 02:30, which does not exist;
    // read with EST it is 07:30Z (= 03:30 EDT).
    expect(at('-1d', utc(2024, 3, 11, 6, 30), NY)).toBe(utc(2024, 3, 10, 7, 30));
  });

  it('snaps hours to local hours in half-hour zones', () => {
    // 05:15Z = 10:45 IST (+05:30); @h → 10:00 IST = 04:30Z.
    expect(at('@h', utc(2024, 5, 15, 5, 15), 'Asia/Kolkata')).toBe(utc(2024, 5, 15, 4, 30));
  });

  it('rejects an unknown zone', () => {
    expect(() => at('-1d@d', NOW, 'Nowhere/City')).toThrow(VigilError);
  });
});

describe('errors', () => {
  const errorOf = (text: string): TimeModifierError => {
    try {
      parseTimeModifier(text);
    } catch (err) {
      expect(err).toBeInstanceOf(TimeModifierError);
      return err as TimeModifierError;
    }
    throw new Error(`expected "${text}" to be rejected`);
  };

  it('name the bad part and where it is', () => {
    const unit = errorOf('-1x@d');
    expect(unit.code).toBe('TIME_MODIFIER');
    expect(unit.message).toContain('"x"');
    expect(unit.offset).toBe(2);

    const snapUnit = errorOf('-1d@dd');
    expect(snapUnit.message).toContain('"dd"');
    expect(snapUnit.offset).toBe(4);

    expect(errorOf('-1d@').message).toContain('missing snap unit');
    expect(errorOf('-5').message).toContain('missing time unit');
    expect(errorOf('@w8').message).toContain('@w8');
    expect(errorOf('-1.5h').message).toContain('fractional');
    expect(errorOf('-1M').message).toContain('"M"'); // units are case-sensitive: m vs mon
    expect(errorOf('yesterday').offset).toBe(0);
    expect(errorOf('-1d yesterday').message).toContain('" yesterday"');
    expect(errorOf('').code).toBe('TIME_MODIFIER');
  });

  it('reject real-time modifiers', () => {
    expect(errorOf('rt').message).toContain('real-time');
    expect(errorOf('rt-5m').message).toContain('real-time');
    expect(errorOf('-rt-5m').message).toContain('real-time');
  });

  it('reject a date without time and malformed absolute times', () => {
    expect(errorOf('10/15/2019').message).toContain('%m/%d/%Y:%H:%M:%S');
    expect(errorOf('13/15/2019:00:00:00').message).toContain('absolute');
    expect(errorOf('10/15/2019:20:00:00x').message).toContain('absolute');
  });

  it('isTimeModifier mirrors the parser', () => {
    for (const ok of ['now', 'now()', '0', '-24h', '-h@h', '@w1', '-1d@d+6h', '10/15/2019:20:00:00', '+1mon@q']) {
      expect(isTimeModifier(ok)).toBe(true);
    }
    for (const bad of ['', 'rt', '-1x', '@', 'tomorrow', '10/15/2019', '-1d@w9']) {
      expect(isTimeModifier(bad)).toBe(false);
    }
  });
});

describe('isoTime', () => {
  const at = (iso: string) => Date.parse(iso) / 1000; // with an explicit offset: independent of the process's zone

  it('reads a time without an offset as a wall time in the zone given (as modifiers are read), not the process zone', () => {
    expect(isoTime('2026-12-06T02:00:00', 'America/New_York')).toBe(at('2026-12-06T07:00:00Z'));
    expect(isoTime('2026-12-06 02:00', 'Asia/Kolkata')).toBe(at('2026-12-05T20:30:00Z'));
    // A date alone is local midnight (Date.parse would take it in UTC).
    expect(isoTime('2026-12-06', 'Europe/Berlin')).toBe(at('2026-12-05T23:00:00Z'));
    expect(isoTime('2026-07-01T12:00:00.25', 'UTC')).toBe(at('2026-07-01T12:00:00Z') + 0.25);
  });

  it('honours an explicit offset whatever the zone', () => {
    expect(isoTime('2026-12-06T02:00:00Z', 'America/New_York')).toBe(at('2026-12-06T02:00:00Z'));
    expect(isoTime('2026-12-06T02:00:00+01:00', 'America/New_York')).toBe(at('2026-12-06T01:00:00Z'));
    expect(isoTime('2026-12-06T02:00:00-0530', 'UTC')).toBe(at('2026-12-06T07:30:00Z'));
    expect(isoTime('2026-12-06T02:00:00+05', 'UTC')).toBe(at('2026-12-05T21:00:00Z'));
  });

  it('is null for what is not an ISO time or names a day or time that does not exist', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '2026-12-06T25:00', '2026-12-06T10:61', '2026-12-06T10:00+24:00', 'yesterday', '2026-12-06T10:00:00Zjunk']) {
      expect(isoTime(bad, 'UTC'), bad).toBeNull();
    }
  });
});
