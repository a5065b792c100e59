import { describe, it, expect } from 'vitest';
import { VigilError } from '../../../src/errors.js';
import { autoNumberSpan, autoTimeSpan, binNumber, binNumberRange, binTime, isTimeSpan, parseSpan } from '../../../src/spl/time/span.js';

/** Epoch seconds of a UTC wall time (month 1-12). */
const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';

describe('parseSpan', () => {
  it('parses time spans', () => {
    expect(parseSpan('30s')).toEqual({ kind: 'seconds', seconds: 30, localDays: null });
    expect(parseSpan('5m')).toEqual({ kind: 'seconds', seconds: 300, localDays: null });
    expect(parseSpan('5min')).toEqual({ kind: 'seconds', seconds: 300, localDays: null });
    expect(parseSpan('min')).toEqual({ kind: 'seconds', seconds: 60, localDays: null });
    expect(parseSpan('1h')).toEqual({ kind: 'seconds', seconds: 3600, localDays: null });
    expect(parseSpan('2hours')).toEqual({ kind: 'seconds', seconds: 7200, localDays: null });
    expect(parseSpan('24h')).toEqual({ kind: 'seconds', seconds: 86400, localDays: null });
    expect(parseSpan('1d')).toEqual({ kind: 'seconds', seconds: 86400, localDays: 1 });
    expect(parseSpan('1w')).toEqual({ kind: 'seconds', seconds: 604800, localDays: 7 });
    expect(parseSpan('100ms')).toEqual({ kind: 'seconds', seconds: 0.1, localDays: null });
    expect(parseSpan('2ds')).toEqual({ kind: 'seconds', seconds: 0.2, localDays: null });
    expect(parseSpan('250us')).toEqual({ kind: 'seconds', seconds: 0.00025, localDays: null });
    expect(parseSpan('1mon')).toEqual({ kind: 'months', months: 1 });
    expect(parseSpan('1q')).toEqual({ kind: 'months', months: 3 });
    expect(parseSpan('2y')).toEqual({ kind: 'months', months: 24 });
  });

  it('parses numeric and log spans', () => {
    expect(parseSpan('10')).toEqual({ kind: 'number', size: 10 });
    expect(parseSpan('0.5')).toEqual({ kind: 'number', size: 0.5 });
    expect(parseSpan('log')).toEqual({ kind: 'log', coefficient: 1, base: 10 });
    expect(parseSpan('2log10')).toEqual({ kind: 'log', coefficient: 2, base: 10 });
    expect(parseSpan('log2')).toEqual({ kind: 'log', coefficient: 1, base: 2 });
    expect(isTimeSpan(parseSpan('log'))).toBe(false);
    expect(isTimeSpan(parseSpan('5m'))).toBe(true);
  });

  it('rejects bad spans naming them', () => {
    for (const bad of ['5x', '-5m', '0m', '0', '', '1.5h', 'log1', '20log10']) {
      expect(() => parseSpan(bad)).toThrow(VigilError);
    }
    expect(() => parseSpan('5x')).toThrow(/"x"/);
  });

  it('rejects sub-second spans that do not divide a second evenly (bin reference: "span = 1000ms is not allowed")', () => {
    for (const ok of ['1ms', '8ms', '125ms', '500ms', '20cs', '5ds', '1us']) expect(() => parseSpan(ok)).not.toThrow();
    for (const bad of ['300ms', '1000ms', '1500ms', '3cs', '40cs', '3ds', '7us']) expect(() => parseSpan(bad)).toThrow(/divide a second evenly/);
  });
});

describe('binTime with fixed spans', () => {
  it('floors to the span in UTC', () => {
    expect(binTime(utc(2024, 5, 15, 14, 3, 27) + 0.5, parseSpan('5m'))).toBe(utc(2024, 5, 15, 14));
    expect(binTime(utc(2024, 5, 15, 14, 3, 27), parseSpan('30s'))).toBe(utc(2024, 5, 15, 14, 3));
    expect(binTime(utc(2024, 5, 15, 14, 3, 27), parseSpan('1h'))).toBe(utc(2024, 5, 15, 14));
    expect(binTime(utc(2024, 5, 15, 14, 3, 27), parseSpan('1d'))).toBe(utc(2024, 5, 15));
    // A unitless span on _time is seconds.
    expect(binTime(utc(2024, 5, 15, 14, 3, 27), parseSpan('60'))).toBe(utc(2024, 5, 15, 14, 3));
  });

  it('keeps sub-second spans exact to the microsecond', () => {
    expect(binTime(1700000000.123456, parseSpan('100ms'))).toBe(1700000000.1);
    expect(binTime(1700000000.123456, parseSpan('0.5'))).toBe(1700000000);
    expect(binTime(1700000000.987654, parseSpan('1us'))).toBe(1700000000.987654);
  });

  it('aligns days to local midnight across DST (New York)', () => {
    // 2024-03-10 (23 h long): 12:00 EDT (16:00Z) → 00:00 EST = 05:00Z.
    expect(binTime(utc(2024, 3, 10, 16), parseSpan('1d'), NY)).toBe(utc(2024, 3, 10, 5));
    // 2024-03-11 00:30 EDT (04:30Z) → 00:00 EDT = 04:00Z.
    expect(binTime(utc(2024, 3, 11, 4, 30), parseSpan('1d'), NY)).toBe(utc(2024, 3, 11, 4));
    // 2024-03-09 23:00 EST (03-10 04:00Z) → 03-09 00:00 EST = 05:00Z.
    expect(binTime(utc(2024, 3, 10, 4), parseSpan('1d'), NY)).toBe(utc(2024, 3, 9, 5));
    // 2024-11-03 (25 h long): 23:00 EST (11-04 04:00Z) → 00:00 EDT = 04:00Z on 11-03.
    expect(binTime(utc(2024, 11, 4, 4), parseSpan('1d'), NY)).toBe(utc(2024, 11, 3, 4));
  });

  it('aligns days to local midnight across DST (Berlin)', () => {
    // 2024-03-31 12:00 CEST (10:00Z) → 00:00 CET = 03-30 23:00Z.
    expect(binTime(utc(2024, 3, 31, 10), parseSpan('1d'), BERLIN)).toBe(utc(2024, 3, 30, 23));
    // 2024-10-27 23:00 CET (22:00Z) → 00:00 CEST = 10-26 22:00Z.
    expect(binTime(utc(2024, 10, 27, 22), parseSpan('1d'), BERLIN)).toBe(utc(2024, 10, 26, 22));
  });

  it('counts sub-day spans from the epoch in UTC, whatever the zone and DST', () => {
    // span=12h, 2024-03-10 03:30 EDT (07:30Z): bins start at 00:00Z and 12:00Z.
    expect(binTime(utc(2024, 3, 10, 7, 30), parseSpan('12h'), NY)).toBe(utc(2024, 3, 10));
    expect(binTime(utc(2024, 3, 10, 7, 30), parseSpan('2h'), NY)).toBe(utc(2024, 3, 10, 6));
    // 01:30 EDT (05:30Z) and 01:30 EST (06:30Z) on 2024-11-03 are different hours.
    expect(binTime(utc(2024, 11, 3, 5, 30), parseSpan('1h'), NY)).toBe(utc(2024, 11, 3, 5));
    expect(binTime(utc(2024, 11, 3, 6, 30), parseSpan('1h'), NY)).toBe(utc(2024, 11, 3, 6));
  });

  it('starts hour bins at :30 local time in a +05:30 zone; days at local midnight', () => {
    // 05:15Z = 10:45 IST → 05:00Z = 10:30 IST.
    expect(binTime(utc(2024, 5, 15, 5, 15), parseSpan('1h'), 'Asia/Kolkata')).toBe(utc(2024, 5, 15, 5));
    expect(binTime(utc(2024, 5, 15, 5, 15), parseSpan('1d'), 'Asia/Kolkata')).toBe(utc(2024, 5, 14, 18, 30));
    // span=24h is hours, so it is counted from the epoch like 1h (timechart reference: use 1d, not 24h, for day boundaries).
    expect(binTime(utc(2024, 5, 15, 5, 15), parseSpan('24h'), 'Asia/Kolkata')).toBe(utc(2024, 5, 15));
  });

  it('never rounds a time into the next bin (exact floor)', () => {
    expect(binTime(1795255198.92, parseSpan('5m'))).toBe(1795254900);
    expect(binTime(1795255199, parseSpan('1h'))).toBe(1795251600);
    expect(binTime(1795255199.999999, parseSpan('1s'))).toBe(1795255199);
    expect(binTime(1795255199.95, parseSpan('100ms'))).toBe(1795255199.9);
    expect(binTime(1795255199.999999, parseSpan('1d'), 'Asia/Kolkata')).toBe(1795199400);
    expect(binTime(1795255199.999999, parseSpan('1mon'))).toBe(utc(2026, 11, 1));
  });

  it('counts sub-day spans from aligntime, and ignores it for days and months', () => {
    // aligntime=@d+3h in Kolkata (2026-11-21 03:00 IST = 2026-11-20 21:30Z), span=12h: bins start 03:00 and 15:00 IST.
    const origin = utc(2026, 11, 20, 21, 30);
    expect(binTime(utc(2026, 11, 21, 8, 0), parseSpan('12h'), 'Asia/Kolkata', origin)).toBe(utc(2026, 11, 20, 21, 30));
    expect(binTime(utc(2026, 11, 21, 10, 0), parseSpan('12h'), 'Asia/Kolkata', origin)).toBe(utc(2026, 11, 21, 9, 30));
    // An origin after the value works the same way (bins extend both ways).
    expect(binTime(utc(2026, 11, 19, 22, 0), parseSpan('12h'), 'Asia/Kolkata', origin)).toBe(utc(2026, 11, 19, 21, 30));
    expect(binTime(utc(2026, 11, 21, 8, 0), parseSpan('12h'), 'UTC', 1500567890)).toBe(1500567890 + 43200 * Math.floor((utc(2026, 11, 21, 8) - 1500567890) / 43200));
    expect(binTime(utc(2026, 11, 21, 8, 0), parseSpan('1d'), 'UTC', origin)).toBe(utc(2026, 11, 21));
    expect(binTime(utc(2026, 11, 21, 8, 0), parseSpan('1mon'), 'UTC', origin)).toBe(utc(2026, 11, 1));
  });

  it('counts weeks from the epoch (Thursday-aligned)', () => {
    // Wed 2024-05-15 → Thu 2024-05-09: 19852 days after 1970-01-01 (a Thursday), and 19852 = 7 × 2836.
    expect(binTime(utc(2024, 5, 15, 14), parseSpan('1w'))).toBe(utc(2024, 5, 9));
    expect(utc(2024, 5, 9) / 86400).toBe(7 * 2836);
  });

  it('returns non-finite values unchanged and refuses log spans', () => {
    expect(binTime(Number.NaN, parseSpan('1h'))).toBeNaN();
    expect(() => binTime(0, parseSpan('log'))).toThrow(VigilError);
  });
});

describe('binTime with month spans', () => {
  it('floors to month, quarter and year starts in the zone', () => {
    expect(binTime(utc(2024, 5, 15, 14), parseSpan('1mon'))).toBe(utc(2024, 5, 1));
    // May 1 00:00 EDT = 04:00Z.
    expect(binTime(utc(2024, 5, 15, 14), parseSpan('1mon'), NY)).toBe(utc(2024, 5, 1, 4));
    // An instant that is still April in New York: 2024-05-01 02:00Z = Apr 30 22:00 EDT.
    expect(binTime(utc(2024, 5, 1, 2), parseSpan('1mon'), NY)).toBe(utc(2024, 4, 1, 4));
    expect(binTime(utc(2024, 5, 15), parseSpan('1q'))).toBe(utc(2024, 4, 1));
    expect(binTime(utc(2024, 5, 15), parseSpan('1y'))).toBe(utc(2024, 1, 1));
    // 2 months from Jan 1970: bins start in odd months (Jan, Mar, May …).
    expect(binTime(utc(2024, 6, 15), parseSpan('2mon'))).toBe(utc(2024, 5, 1));
    expect(binTime(utc(1969, 12, 15), parseSpan('1mon'))).toBe(utc(1969, 12, 1));
  });
});

describe('binNumber', () => {
  it('floors to multiples of the span', () => {
    expect(binNumber(17, parseSpan('10'))).toBe(10);
    expect(binNumber(20, parseSpan('10'))).toBe(20);
    expect(binNumber(-3, parseSpan('10'))).toBe(-10);
    expect(binNumber(0.3, parseSpan('0.1'))).toBe(0.3);
    expect(binNumber(0.7, parseSpan('0.5'))).toBe(0.5);
    expect(binNumberRange(17, parseSpan('10'))).toEqual({ start: 10, end: 20 });
    expect(binNumberRange(0.3, parseSpan('0.1'))).toEqual({ start: 0.3, end: 0.4 });
  });

  it('bins logarithmically', () => {
    expect(binNumberRange(347, parseSpan('log'))).toEqual({ start: 100, end: 1000 });
    expect(binNumberRange(1000, parseSpan('log'))).toEqual({ start: 1000, end: 10000 });
    expect(binNumberRange(347, parseSpan('2log10'))).toEqual({ start: 200, end: 2000 });
    expect(binNumberRange(5, parseSpan('log2'))).toEqual({ start: 4, end: 8 });
    expect(binNumber(0.05, parseSpan('log'))).toBe(0.01);
    expect(binNumber(0, parseSpan('log'))).toBeNull();
  });

  it('returns null for non-finite values', () => {
    expect(binNumber(Number.POSITIVE_INFINITY, parseSpan('10'))).toBeNull();
  });
});

describe('log spans settle the exponent exactly', () => {
  it('puts powers of the base in the bin they start', () => {
    for (const [v, start] of [[1000, 1000], [999.9999999999999, 100], [0.001, 0.001], [1e-5, 1e-5], [1e15, 1e15], [2e15, 1e15]] as const) {
      expect(binNumber(v, parseSpan('log'))).toBe(start);
    }
    expect(binNumberRange(2 ** 40, parseSpan('log2'))).toEqual({ start: 2 ** 40, end: 2 ** 41 });
    expect(binNumberRange(0.2, parseSpan('2log10'))).toEqual({ start: 0.2, end: 2 });
  });
});

describe('automatic spans (bins=, minspan=)', () => {
  it('picks the smallest power of ten giving at most N bins for numbers', () => {
    expect(autoNumberSpan(17, 85, 100, null)).toEqual({ kind: 'number', size: 1 });
    expect(autoNumberSpan(17, 85, 10, null)).toEqual({ kind: 'number', size: 10 });
    // span 10 touches 0..100: 11 bins, one too many.
    expect(autoNumberSpan(0, 100, 10, null)).toEqual({ kind: 'number', size: 100 });
    // 1e-5 touches 101 bins (100 to 200).
    expect(autoNumberSpan(0.001, 0.002, 100, null)).toEqual({ kind: 'number', size: 0.0001 });
    expect(autoNumberSpan(7000, 9900, 5, null)).toEqual({ kind: 'number', size: 1000 });
    // One value: bins of 1.
    expect(autoNumberSpan(5, 5, 100, null)).toEqual({ kind: 'number', size: 1 });
    // minspan rounds up to a power of ten.
    expect(autoNumberSpan(28, 36, 100, 5)).toEqual({ kind: 'number', size: 10 });
    expect(autoNumberSpan(28, 36, 100, 101)).toEqual({ kind: 'number', size: 1000 });
    // bins=1 across 0 cannot hold in one bin: the smallest power that makes it two.
    expect(autoNumberSpan(-3, 4, 1, null)).toEqual({ kind: 'number', size: 10 });
  });

  it('picks the smallest span of the time ladder giving at most N bins', () => {
    const t0 = utc(2026, 11, 21);
    expect(autoTimeSpan(t0, t0 + 15 * 60, 100, null)).toEqual(parseSpan('10s'));
    expect(autoTimeSpan(t0, t0 + 3600, 100, null)).toEqual(parseSpan('1m'));
    expect(autoTimeSpan(t0, t0 + 4 * 3600, 100, null)).toEqual(parseSpan('5m'));
    expect(autoTimeSpan(t0, t0 + 24 * 3600 - 1, 100, null)).toEqual(parseSpan('30m'));
    expect(autoTimeSpan(t0, t0 + 7 * 86400, 100, null)).toEqual(parseSpan('1d'));
    expect(autoTimeSpan(t0, t0 + 365 * 86400, 100, null)).toEqual(parseSpan('1mon'));
    expect(autoTimeSpan(t0, t0 + 20 * 365 * 86400, 100, null)).toEqual(parseSpan('1mon'));
    expect(autoTimeSpan(t0, t0, 100, null)).toEqual(parseSpan('1s'));
    // minspan=15m: the smallest rung at least 900 s is 30 minutes (timechart reference).
    expect(autoTimeSpan(t0, t0 + 60, 100, parseSpan('15m'))).toEqual(parseSpan('30m'));
    expect(autoTimeSpan(t0, t0 + 60, 100, parseSpan('2mon'))).toEqual(parseSpan('2mon'));
    // Hour bins count UTC hours, day bins local days (Kolkata midnight is 18:30Z).
    expect(autoTimeSpan(utc(2026, 11, 20, 18, 25), utc(2026, 11, 20, 18, 35), 1, null, 'Asia/Kolkata')).toEqual(parseSpan('1h'));
    expect(autoTimeSpan(utc(2026, 11, 20, 18, 35), utc(2026, 11, 21, 18, 25), 1, null, 'Asia/Kolkata')).toEqual(parseSpan('1d'));
  });
});
