/**
 * strftime's per-second texts and strptime's fixed ISO prefix with its per-second instants (format.ts) give
 * what the unmemoized path gives. The reference path: strftime with a sub-second directive appended (never
 * memoized, its suffix cut off); strptime with the format behind a leading space (white space in a format
 * matches none in the text, and the fixed prefix needs `%Y` first), so it takes the steps.
 */
import { describe, expect, it } from 'vitest';
import { strftime, strptime, strptimePrefix } from '../../../src/spl/time/format.js';
import { rng } from '../../rng.js';

const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu'];

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

/** Instants around which the memo could go wrong: DST changes, leap days, 1970, 2038, far years. */
const ANCHORS = [
  utc(2024, 3, 10, 7), // New York springs forward
  utc(2024, 11, 3, 6), // New York falls back
  utc(2024, 3, 31, 1), // London
  utc(2024, 10, 27, 1),
  utc(2024, 4, 6, 15), // Lord Howe: 30-minute change
  utc(2024, 10, 5, 15, 30),
  utc(1985, 12, 31, 18, 30), // Kathmandu: +05:30 -> +05:45
  utc(2024, 2, 29, 12),
  utc(2000, 2, 29, 23, 59, 59),
  utc(1900, 2, 28, 23, 59, 59),
  0,
  utc(1969, 12, 31, 23, 59, 59),
  utc(1901, 12, 13, 20, 45, 52),
  utc(2038, 1, 19, 3, 14, 7),
  utc(2100, 2, 28, 23, 59, 59),
];

/** Times near the anchors: whole seconds, .999999 and .9999995 (rounds into the next second), slot collisions (±256 s, ±2^32 s). */
function times(rand: () => number, n: number): number[] {
  const out: number[] = [];
  const fractions = [0, 0.5, 0.999999, 0.9999995, 0.000001, 0.123456];
  for (let i = 0; i < n; i++) {
    const anchor = ANCHORS[Math.floor(rand() * ANCHORS.length)] as number;
    const shift = [0, 256, -256, 2 ** 32, 128][Math.floor(rand() * 5)] as number;
    const seconds = anchor + Math.floor((rand() - 0.5) * 7200) + (rand() < 0.1 ? shift : 0);
    out.push(seconds + (fractions[Math.floor(rand() * fractions.length)] as number));
    // Repeats and neighbours: the memo's hits.
    if (rand() < 0.3) out.push(out[out.length - 1] as number);
    if (rand() < 0.2) out.push(seconds + 1);
  }
  return out;
}

describe('strftime memo', () => {
  const formats = ['%Y-%m-%dT%H:%M:%S', '%m/%d/%Y %H:%M:%S', '%c %Z %z %:z %Ez', '%s %j %U %V %G %a %B %p %I', 'no directive'];
  const reference = (t: number, format: string, tz: string): string => strftime(t, `${format}|%6N`, tz).slice(0, -7);

  it('gives the unmemoized text over random times, alternating formats and zones', () => {
    const rand = rng(13);
    let checked = 0;
    for (const t of times(rand, 4000)) {
      const format = formats[Math.floor(rand() * formats.length)] as string;
      const tz = ZONES[Math.floor(rand() * ZONES.length)] as string;
      expect(strftime(t, format, tz), `${t} ${format} ${tz}`).toBe(reference(t, format, tz));
      checked++;
    }
    expect(checked).toBeGreaterThan(4000);
  });

  it('keeps texts per zone and per second: the same second in two zones, two seconds on one slot', () => {
    const t = utc(2024, 3, 10, 7); // 03:00 EDT, 07:00 UTC
    expect(strftime(t, '%H:%M %Z', 'America/New_York')).toBe('03:00 EDT');
    expect(strftime(t, '%H:%M %Z', 'UTC')).toBe('07:00 UTC');
    expect(strftime(t, '%H:%M %Z', 'America/New_York')).toBe('03:00 EDT');
    expect(strftime(t - 256, '%H:%M:%S %Z', 'America/New_York')).toBe('01:55:44 EST');
    expect(strftime(t, '%H:%M:%S %Z', 'America/New_York')).toBe('03:00:00 EDT');
    expect(strftime(t - 256, '%H:%M:%S %Z', 'America/New_York')).toBe('01:55:44 EST');
    // 2^32 s apart: the same slot (ToInt32), not the same text.
    expect(strftime(-1, '%Y-%m-%d %H:%M:%S')).toBe('1969-12-31 23:59:59');
    expect(strftime(2 ** 32 - 1, '%Y-%m-%d %H:%M:%S')).toBe('2106-02-07 06:28:15');
    expect(strftime(-1, '%Y-%m-%d %H:%M:%S')).toBe('1969-12-31 23:59:59');
  });

  it('rounds .9999995 into the next second before looking up', () => {
    const t = utc(2023, 12, 31, 23, 59, 59);
    expect(strftime(t + 0.999999, '%Y-%m-%dT%H:%M:%S')).toBe('2023-12-31T23:59:59');
    expect(strftime(t + 0.9999995, '%Y-%m-%dT%H:%M:%S')).toBe('2024-01-01T00:00:00');
    expect(strftime(t + 0.999999, '%Y-%m-%dT%H:%M:%S')).toBe('2023-12-31T23:59:59');
  });
});

describe('strptime fixed prefix and memo', () => {
  const formats = [
    '%Y-%m-%dT%H:%M:%S.%3Q',
    '%Y-%m-%dT%H:%M:%S.%9Q',
    '%Y-%m-%dT%H:%M:%S',
    '%Y-%m-%dT%H:%M:%S.%6N%z',
    '%Y-%m-%dT%H:%M:%S.%QZ',
    '%FT%T.%f',
    '%Y/%m/%d-%H.%M.%S',
    '%Y-%m-%dT%H:%M:%S %p %I',
  ];
  const reference = (text: string, format: string, tz: string): { epoch: number; end: number } | null =>
    strptimePrefix(text, ` ${format}`, tz);

  /** Texts of random local times with the separators of `format`, then a tail: fractions, zones, junk. */
  function texts(rand: () => number, n: number): string[] {
    const out: string[] = [];
    const tails = ['.5', '.123', '.999999', '.999999999Z', '.1234567+05:45', 'Z', '', '.', '.x', '.000001-04:00', ' PM 07', '.12 AM 12'];
    for (const t of times(rand, n)) {
      const tz = ZONES[Math.floor(rand() * ZONES.length)] as string;
      const sep = rand() < 0.8 ? '-' : '/';
      const iso = strftime(t, `%Y${sep}%m${sep}%dT%H:%M:%S`, tz);
      out.push(iso + (tails[Math.floor(rand() * tails.length)] as string));
      if (rand() < 0.1) out.push(strftime(t, '%Y/%m/%d-%H.%M.%S', tz) + '.25');
    }
    // Invalid texts after valid ones with the same start, and fields out of range or short.
    out.push(
      '2024-02-29T12:00:00.5', '2023-02-29T12:00:00.5', '2024-02-29T12:00:00.5', '2023-02-30T00:00:00.1', '2024-04-31T00:00:00.1',
      '2024-13-01T00:00:00.1', '2024-00-10T00:00:00.1', '2024-01-32T00:00:00.1', '2024-01-01T24:00:00.1', '2024-01-01T23:60:00.1',
      '2024-01-01T23:59:60.1', '2024-01-01T23:59:61.1', '2024-1-01T00:00:00.1', ' 2024-01-01T00:00:00.1', '2024-01-01T00:00:0',
      '2024-01-01T00:00:0x', '2024-01-01 00:00:00.1', '2024-01-01T00:00:00', '2024-01-01T00:00:00.', '0099-01-01T00:00:00.1',
      '1969-12-31T23:59:59.999999', '1901-12-13T20:45:52.1', '2038-01-19T03:14:08.1', '9999-12-31T23:59:59.999999', '',
      '2024-03-10T02:30:00.5', '2024-11-03T01:30:00.5', '2024-04-07T01:45:00.5', '2024-10-06T02:15:00.5', '1986-01-01T00:10:00.5',
    );
    return out;
  }

  it('gives the unmemoized epoch and end over random texts, alternating formats and zones', () => {
    const rand = rng(7);
    const all = texts(rand, 3000);
    let parsed = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (const text of all) {
        const format = formats[Math.floor(rand() * formats.length)] as string;
        const tz = ZONES[Math.floor(rand() * ZONES.length)] as string;
        const want = reference(text, format, tz);
        expect(strptimePrefix(text, format, tz), `${text} ${format} ${tz}`).toEqual(want);
        expect(strptime(text, format, tz)).toBe(want === null ? null : want.epoch);
        if (want !== null) parsed++;
      }
    }
    // The texts exercise the parse, not only its failures.
    expect(parsed).toBeGreaterThan(2000);
  });

  it('keeps instants per zone and per text: the same second in two zones, the same slot for another minute', () => {
    const f = '%Y-%m-%dT%H:%M:%S.%3Q';
    expect(strptime('2024-07-01T12:00:00.250', f, 'America/New_York')).toBe(utc(2024, 7, 1, 16) + 0.25);
    expect(strptime('2024-07-01T12:00:00.750', f, 'Asia/Kathmandu')).toBe(utc(2024, 7, 1, 6, 15) + 0.75);
    expect(strptime('2024-07-01T12:00:00.500', f, 'UTC')).toBe(utc(2024, 7, 1, 12) + 0.5);
    // 32 minutes later shares the slot (minute·60 + second, 1920 = 15·128).
    expect(strptime('2024-07-01T12:32:00.000', f, 'UTC')).toBe(utc(2024, 7, 1, 12, 32));
    expect(strptime('2024-07-01T12:00:00.001', f, 'UTC')).toBe(utc(2024, 7, 1, 12) + 0.001);
    // A day that does not exist stays null after a valid text, and a valid one after it parses.
    expect(strptime('2023-02-29T00:00:00.1', f, 'UTC')).toBeNull();
    expect(strptime('2024-02-29T00:00:00.1', f, 'UTC')).toBe(utc(2024, 2, 29) + 0.1);
    expect(strptime('2023-02-29T00:00:00.1', f, 'UTC')).toBeNull();
  });

  it('reads sub-seconds in place: 1..n digits, zero-filled, truncated at microseconds', () => {
    const t = utc(2024, 1, 1);
    expect(strptime('2024-01-01T00:00:00.05', '%Y-%m-%dT%H:%M:%S.%6N')).toBe(t + 0.05);
    expect(strptime('2024-01-01T00:00:00.000001', '%Y-%m-%dT%H:%M:%S.%6N')).toBe(t + 0.000001);
    expect(strptime('2024-01-01T00:00:00.9999999', '%Y-%m-%dT%H:%M:%S.%9N')).toBe(t + 0.999999);
    expect(strptime('2024-01-01T00:00:00.98', '%Y-%m-%dT%H:%M:%S.%1Q')).toBe(t + 0.9);
    expect(strptime('1704067200.0705', '%s.%f')).toBe(t + 0.0705);
  });

  it('reads Late Process Execution times as before', () => {
    expect(strptime('2023-10-06T21:52:41.123456789Z', '%Y-%m-%dT%H:%M:%S.%3Q')).toBe(utc(2023, 10, 6, 21, 52, 41) + 0.123);
    expect(strptime('2023-10-06T21:52:41.123456789Z', '%Y-%m-%dT%H:%M:%S.%9Q')).toBe(utc(2023, 10, 6, 21, 52, 41) + 0.123456);
    expect(strptime('2023-10-06T21:52:41Z', '%Y-%m-%dT%H:%M:%S.%9Q')).toBeNull();
    expect(strptimePrefix('2023-10-06T21:52:41.5Z', '%Y-%m-%dT%H:%M:%S.%9Q')).toEqual({ epoch: utc(2023, 10, 6, 21, 52, 41) + 0.5, end: 21 });
  });
});
