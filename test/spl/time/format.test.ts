import { describe, it, expect } from 'vitest';
import { VigilError } from '../../../src/errors.js';
import {
  CTIME_DEFAULT_FORMAT,
  formatCtime,
  strftime,
  strptime,
  validateTimeFormat,
} from '../../../src/spl/time/format.js';

/** Epoch seconds of a UTC wall time (month 1-12). */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

const NY = 'America/New_York';

// Friday 2023-10-06 21:52:41.123456 UTC (day of year 279).
const T = utc(2023, 10, 6, 21, 52, 41) + 0.123456;

describe('strptime on Tetragon timestamps (Late Process Execution)', () => {
  const ISO3 = '%Y-%m-%dT%H:%M:%S.%3Q';
  const ISO9 = '%Y-%m-%dT%H:%M:%S.%9Q';

  it('%3Q takes 3 of 9 digits and ignores the rest of the text', () => {
    expect(strptime('2023-10-06T21:52:41.123456789Z', ISO3)).toBe(utc(2023, 10, 6, 21, 52, 41) + 0.123);
  });

  it('%9Q keeps microseconds (truncated) of a nanosecond timestamp', () => {
    expect(strptime('2023-10-06T21:52:41.123456789Z', ISO9)).toBe(utc(2023, 10, 6, 21, 52, 41) + 0.123456);
  });

  it('returns null when the literal "." is missing (whole-second container start time)', () => {
    expect(strptime('2023-10-06T21:52:41Z', ISO9)).toBeNull();
    expect(strptime('2023-10-06T21:52:41Z', ISO3)).toBeNull();
  });

  it('fewer sub-second digits than the count are a fraction all the same', () => {
    expect(strptime('2023-10-06T21:52:41.5Z', ISO9)).toBe(utc(2023, 10, 6, 21, 52, 41) + 0.5);
  });

  it('reads the zone when the format says so, otherwise uses tz', () => {
    expect(strptime('2023-10-06T21:52:41.123Z', '%Y-%m-%dT%H:%M:%S.%3Q%z', NY)).toBe(utc(2023, 10, 6, 21, 52, 41) + 0.123);
    // Without %z the trailing Z is ignored and the time is read in tz (EDT, -4).
    expect(strptime('2023-10-06T21:52:41.123Z', ISO3, NY)).toBe(utc(2023, 10, 7, 1, 52, 41) + 0.123);
  });
});

describe('strptime fields', () => {
  it('accepts numeric fields shorter than their width', () => {
    expect(strptime('5/7/2024', '%m/%d/%Y')).toBe(utc(2024, 5, 7));
    expect(strptime('2024-5-7 3:4:5', '%Y-%m-%d %H:%M:%S')).toBe(utc(2024, 5, 7, 3, 4, 5));
  });

  it('reads compact numbers by width', () => {
    expect(strptime('20231006215241', '%Y%m%d%H%M%S')).toBe(utc(2023, 10, 6, 21, 52, 41));
  });

  it('matches literals exactly, white space loosely, and ignores trailing text', () => {
    expect(strptime('2023-10-06 21:52:41', '%Y-%m-%dT%H:%M:%S')).toBeNull();
    expect(strptime('2023/10/06', '%Y-%m-%d')).toBeNull();
    expect(strptime('2023-10-06    21:52', '%Y-%m-%d %H:%M')).toBe(utc(2023, 10, 6, 21, 52));
    expect(strptime('2023-10-0621:52', '%Y-%m-%d %H:%M')).toBe(utc(2023, 10, 6, 21, 52));
    expect(strptime('2023-10-06 and more', '%Y-%m-%d')).toBe(utc(2023, 10, 6));
    expect(strptime('2023-10-06T21:52:41+00:00', '%Y-%m-%dT%H:%M:%SZ')).toBeNull();
    expect(strptime('2023-10-06T21:52:41Z', '%Y-%m-%dT%H:%M:%SZ')).toBe(utc(2023, 10, 6, 21, 52, 41));
  });

  it('parses %z in its forms', () => {
    const base = utc(2023, 10, 6, 12);
    expect(strptime('2023-10-06 14:00 +0200', '%Y-%m-%d %H:%M %z')).toBe(base);
    expect(strptime('2023-10-06 14:00 +02:00', '%Y-%m-%d %H:%M %z')).toBe(base);
    expect(strptime('2023-10-06 12:00 Z', '%Y-%m-%d %H:%M %z')).toBe(base);
    expect(strptime('2023-10-06 07:00 -05', '%Y-%m-%d %H:%M %z')).toBe(base);
    expect(strptime('2023-10-06 17:30 +05:30', '%Y-%m-%d %H:%M %:z')).toBe(base);
    expect(strptime('2023-10-06 14:00 +02:00:00', '%Y-%m-%d %H:%M %::z')).toBe(base);
    expect(strptime('2023-10-06 17:30 +330', '%Y-%m-%d %H:%M %Ez')).toBe(base);
    expect(strptime('2023-10-06 14:00 0200', '%Y-%m-%d %H:%M %z')).toBeNull();
  });

  it('parses %Z abbreviations and IANA names, and rejects unknown names', () => {
    expect(strptime('2024-01-15 07:00 EST', '%Y-%m-%d %H:%M %Z')).toBe(utc(2024, 1, 15, 12));
    expect(strptime('2024-01-15 12:00 UTC', '%Y-%m-%d %H:%M %Z')).toBe(utc(2024, 1, 15, 12));
    expect(strptime('2024-07-15 14:00 CEST', '%Y-%m-%d %H:%M %Z')).toBe(utc(2024, 7, 15, 12));
    // Berlin in July is +2.
    expect(strptime('2024-07-15 14:00 Europe/Berlin', '%Y-%m-%d %H:%M %Z')).toBe(utc(2024, 7, 15, 12));
    expect(strptime('2024-07-15 14:00 XYZT', '%Y-%m-%d %H:%M %Z')).toBeNull();
  });

  it('parses %:Z, a zone name with an offset after it', () => {
    // Date and time format variables: "To parse timestamps with GMT and an offset ... such as Fri Apr 29 2022
    // 23:45:22 GMT-0700, you might need to use %:Z to capture both the timestamp and the offset."
    const F = '%a %b %d %Y %H:%M:%S %:Z';
    expect(strptime('Fri Apr 29 2022 23:45:22 GMT-0700', F)).toBe(utc(2022, 4, 30, 6, 45, 22));
    expect(strptime('Fri Apr 29 2022 23:45:22 GMT+05:30', F)).toBe(utc(2022, 4, 29, 18, 15, 22));
    // A name alone or an offset alone, as %Z reads them.
    expect(strptime('Fri Apr 29 2022 23:45:22 EST', F)).toBe(utc(2022, 4, 30, 4, 45, 22));
    expect(strptime('Fri Apr 29 2022 23:45:22 -0700', F)).toBe(utc(2022, 4, 30, 6, 45, 22));
    expect(strptime('Fri Apr 29 2022 23:45:22 XYZT', F)).toBeNull();
    expect(() => validateTimeFormat(F, 'parse')).not.toThrow();
    // Not a strftime directive: copied as it is, and linted as unknown there.
    expect(strftime(0, '%:Z')).toBe('%:Z');
    expect(() => validateTimeFormat(F)).toThrow(/'%:Z'/);
  });

  it('interprets zone-less text in tz, including DST', () => {
    expect(strptime('2024-01-15 12:00:00', '%Y-%m-%d %H:%M:%S', NY)).toBe(utc(2024, 1, 15, 17));
    expect(strptime('2024-07-15 12:00:00', '%Y-%m-%d %H:%M:%S', NY)).toBe(utc(2024, 7, 15, 16));
    // 02:30 on the spring-forward day does not exist: shifted forward to 03:30 EDT = 07:30Z.
    expect(strptime('2024-03-10 02:30', '%Y-%m-%d %H:%M', NY)).toBe(utc(2024, 3, 10, 7, 30));
  });

  it('parses %s with optional sub-seconds', () => {
    expect(strptime('1484993700', '%s')).toBe(1484993700);
    expect(strptime('1484993700.250', '%s.%3Q')).toBe(1484993700.25);
    expect(strptime('-10', '%s')).toBe(-10);
  });

  it('parses a 13-digit epoch in milliseconds with %s%3N (the TIME_FORMAT Splunk uses for it)', () => {
    // Date and time format variables: the same variables serve strptime() and timestamps in event data,
    // where `TIME_FORMAT = %s%3N` reads epoch milliseconds. %s stops after ten digits only before a sub-second field.
    expect(strptime('1700000000123', '%s%3N')).toBe(1700000000.123);
    expect(strptime('1700000000123456', '%s%6N')).toBe(1700000000.123456);
    expect(strptime('1700000000123456789', '%s%N')).toBe(1700000000.123456);
    expect(strptime('1700000000123', '%s')).toBe(1700000000123);
  });

  it('parses 12-hour clocks', () => {
    expect(strptime('2024-01-01 12:30 AM', '%Y-%m-%d %I:%M %p')).toBe(utc(2024, 1, 1, 0, 30));
    expect(strptime('2024-01-01 12:30 PM', '%Y-%m-%d %I:%M %p')).toBe(utc(2024, 1, 1, 12, 30));
    expect(strptime('2024-01-01 01:00 pm', '%Y-%m-%d %I:%M %p')).toBe(utc(2024, 1, 1, 13));
    expect(strptime('2024-01-01 13:00 PM', '%Y-%m-%d %I:%M %p')).toBeNull();
  });

  it('parses names, day of year, two-digit years', () => {
    expect(strptime('Fri, 06 Oct 2023 21:52:41', '%a, %d %b %Y %H:%M:%S')).toBe(utc(2023, 10, 6, 21, 52, 41));
    expect(strptime('Friday October 6 2023', '%A %B %e %Y')).toBe(utc(2023, 10, 6));
    expect(strptime('06 OCT 2023', '%d %b %Y')).toBe(utc(2023, 10, 6));
    expect(strptime('Fri Oct  6 21:52:41 2023', '%c')).toBe(utc(2023, 10, 6, 21, 52, 41));
    // Day 60 of leap year 2024 = Jan 31 + 29 → Feb 29.
    expect(strptime('2024 060', '%Y %j')).toBe(utc(2024, 2, 29));
    // POSIX pivot: 69-99 → 19xx, 00-68 → 20xx.
    expect(strptime('10/06/69', '%D')).toBe(utc(1969, 10, 6));
    expect(strptime('10/06/68', '%D')).toBe(utc(2068, 10, 6));
  });

  it('returns null for impossible or non-matching input, never throws', () => {
    expect(strptime('2023-02-30', '%Y-%m-%d')).toBeNull();
    expect(strptime('2023-13-01', '%Y-%m-%d')).toBeNull();
    expect(strptime('2023-10-06 24:00', '%Y-%m-%d %H:%M')).toBeNull();
    expect(strptime('abc', '%Y')).toBeNull();
    expect(strptime('', '%Y')).toBeNull();
    expect(strptime('2023-10-06', '%Y-%m-%d %q')).toBeNull();
  });

  it('defaults missing date fields to 1970-01-01', () => {
    expect(strptime('01:02:03', '%H:%M:%S')).toBe(3723);
    expect(strptime('01:02:03', '%T')).toBe(3723);
  });
});

describe('strftime', () => {
  it('formats dates and times', () => {
    expect(strftime(T, '%Y-%m-%d %H:%M:%S')).toBe('2023-10-06 21:52:41');
    expect(strftime(T, '%F %T')).toBe('2023-10-06 21:52:41');
    expect(strftime(T, '%D %R')).toBe('10/06/23 21:52');
    expect(strftime(T, '%r')).toBe('09:52:41 PM');
    expect(strftime(T, '%c')).toBe('Fri Oct  6 21:52:41 2023');
    expect(strftime(T, '%+')).toBe('Fri Oct  6 21:52:41 UTC 2023');
    expect(strftime(T, '%x %X')).toBe('10/06/2023 21:52:41');
    expect(strftime(T, '%a %A %b %B %h')).toBe('Fri Friday Oct October Oct');
    expect(strftime(T, '%e|%k|%l|%I|%p|%P')).toBe(' 6|21| 9|09|PM|pm');
    expect(strftime(T, '%j %y %C %u %w')).toBe('279 23 20 5 5');
    expect(strftime(T, '%s')).toBe('1696629161');
    expect(strftime(T, '%n%t%%')).toBe('\n\t%');
  });

  it('formats 12-hour edge cases', () => {
    expect(strftime(utc(2024, 1, 1, 0, 5), '%I:%M %p')).toBe('12:05 AM');
    expect(strftime(utc(2024, 1, 1, 12, 5), '%I:%M %p')).toBe('12:05 PM');
  });

  it('formats week numbers', () => {
    // 2021-01-01 is a Friday: ISO week 53 of 2020; %U/%W weeks start on the first Sunday/Monday.
    expect(strftime(utc(2021, 1, 1), '%G-W%V %U %W %u %w')).toBe('2020-W53 00 00 5 5');
    // 2024-12-31 is a Tuesday in ISO week 1 of 2025.
    expect(strftime(utc(2024, 12, 31), '%G %g %V')).toBe('2025 25 01');
    // 2023-01-01 is a Sunday: first day of %U week 1, still week 0 for %W; ISO 2022-W52, %u = 7.
    expect(strftime(utc(2023, 1, 1), '%U %W %V %u %w')).toBe('01 00 52 7 0');
  });

  it('truncates sub-seconds to the requested digits', () => {
    expect(strftime(T, '%3Q|%6Q|%9Q|%Q')).toBe('123|123456|123456000|123');
    expect(strftime(T, '%3N|%6N|%9N|%N|%f')).toBe('123|123456|123456000|123456000|123456');
    expect(strftime(utc(2024, 1, 1) + 0.9999, '%S.%3Q')).toBe('00.999');
    expect(strftime(utc(2024, 1, 1), '%S.%3Q')).toBe('00.000');
  });

  it('keeps microsecond precision', () => {
    expect(strftime(1700000000.000001, '%6Q')).toBe('000001');
    expect(strftime(1700000000.999999, '%S.%6Q')).toBe('20.999999');
    expect(strptime(strftime(1700000000.000001, '%s.%6Q'), '%s.%6Q')).toBe(1700000000.000001);
  });

  it('formats zones', () => {
    expect(strftime(T, '%z %:z %::z %:::z %Ez %Z')).toBe('+0000 +00:00 +00:00:00 +00 +0 UTC');
    expect(strftime(T, '%H %z %:z %::z %:::z %Ez %Z', NY)).toBe('17 -0400 -04:00 -04:00:00 -04 -240 EDT');
    expect(strftime(T, '%H:%M %z %:::z %Ez', 'Asia/Kolkata')).toBe('03:22 +0530 +05:30 +330');
    expect(strftime(utc(2024, 1, 15), '%Z %z', 'Europe/Berlin')).toBe('CET +0100');
  });

  it('copies unknown directives literally', () => {
    expect(strftime(T, '%Y %q %5X %')).toBe('2023 %q %5X %');
  });

  it('rejects a non-finite epoch', () => {
    expect(() => strftime(Number.NaN, '%Y')).toThrow(RangeError);
  });
});

describe('round trips', () => {
  it('strftime → strptime gives the same instant', () => {
    const format = '%Y-%m-%dT%H:%M:%S.%6Q%:z';
    for (const tz of ['UTC', NY, 'Europe/Berlin', 'Asia/Kolkata']) {
      for (const e of [T, utc(2024, 3, 10, 7, 0, 0) + 0.5, utc(2024, 11, 3, 6, 30), 0, -86400.25]) {
        expect(strptime(strftime(e, format, tz), format)).toBe(e);
      }
    }
  });

  it('round-trips zone-less local text in the same zone (outside DST overlaps)', () => {
    const format = '%m/%d/%Y %H:%M:%S.%6N';
    for (const e of [T, utc(2024, 7, 4, 16, 0, 1) + 0.000001]) {
      expect(strptime(strftime(e, format, NY), format, NY)).toBe(e);
    }
  });
});

describe('convert ctime', () => {
  it('uses %m/%d/%Y %H:%M:%S with zero padding', () => {
    expect(CTIME_DEFAULT_FORMAT).toBe('%m/%d/%Y %H:%M:%S');
    expect(formatCtime(utc(2026, 11, 28, 6, 46, 4))).toBe('11/28/2026 06:46:04');
    expect(formatCtime(utc(2024, 1, 5, 3, 4, 5) + 0.9)).toBe('01/05/2024 03:04:05');
  });

  it('takes security_content_ctime\'s format and a zone', () => {
    expect(formatCtime(T, '%Y-%m-%dT%H:%M:%S')).toBe('2023-10-06T21:52:41');
    expect(formatCtime(T, undefined, NY)).toBe('10/06/2023 17:52:41');
  });
});

describe('validateTimeFormat', () => {
  it('accepts every supported directive', () => {
    expect(() => validateTimeFormat('%Y-%m-%dT%H:%M:%S.%3Q%:z %Ez %::z %:::z %Z %s %N %9N %f %c %+ %x %X %%')).not.toThrow();
    expect(() => validateTimeFormat('%EY %Od')).not.toThrow();
  });

  it('names the first unknown directive', () => {
    try {
      validateTimeFormat('%Y-%q');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).code).toBe('TIME_FORMAT');
      expect((err as VigilError).message).toContain("'%q'");
      expect((err as VigilError).message).toContain('offset 3');
    }
    expect(() => validateTimeFormat('%12Q')).toThrow(/%12Q/);
  });
});
