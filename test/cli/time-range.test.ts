import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../../src/errors.js';
import { parseRangeArg, parseRangeArgs, parseTimeArg } from '../../src/cli/shared.js';
import { TimeModifierError } from '../../src/spl/time/modifiers.js';

// 2026-11-21T00:30:00Z. Expected epochs below are counted by hand from 2026-11-21T00:00:00Z = 1795219200 (one day
// is 86,400 s): 2026-12-06T00:00:00Z is 15 days later, 1795219200 + 1,296,000 = 1796515200.
const NOW = 1795219200 + 1800;
const DEC6 = 1796515200;

describe('--earliest/--latest (parseRangeArg): what the API\'s ?earliest= takes (docs/api.md "Time ranges")', () => {
  it('reads ISO 8601 with Z, with an offset, and without one in --tz', () => {
    expect(parseRangeArg('2026-12-06T02:00:00Z', NOW, 'UTC', '--earliest')).toBe(DEC6 + 7200);
    expect(parseRangeArg('2026-12-06T02:00Z', NOW, 'America/New_York', '--earliest')).toBe(DEC6 + 7200); // an offset wins over --tz
    // 03:00 at +01:00 is 02:00 UTC.
    expect(parseRangeArg('2026-12-06T03:00+01:00', NOW, 'UTC', '--earliest')).toBe(DEC6 + 7200);
    expect(parseRangeArg('2026-12-06T03:00:00.5+0100', NOW, 'UTC', '--earliest')).toBe(DEC6 + 7200.5);
    // New York is at -05:00 in December (EST): 02:00 there is 07:00 UTC.
    expect(parseRangeArg('2026-12-06T02:00', NOW, 'America/New_York', '--earliest')).toBe(DEC6 + 7 * 3600);
    expect(parseRangeArg('2026-12-06T02:00', NOW, 'UTC', '--earliest')).toBe(DEC6 + 7200);
  });

  it('reads a date alone as its midnight in --tz', () => {
    expect(parseRangeArg('2026-12-06', NOW, 'UTC', '--latest')).toBe(DEC6);
    // Berlin is at +01:00 in December (CET): its midnight is 23:00 UTC the day before.
    expect(parseRangeArg('2026-12-06', NOW, 'Europe/Berlin', '--latest')).toBe(DEC6 - 3600);
  });

  it("keeps Splunk's own forms as they were: relative modifiers, now, epoch, %m/%d/%Y:%H:%M:%S", () => {
    // "-24h@h": 24 hours back from 2026-11-21T00:30Z is 2026-11-20T00:30Z, snapped down to the hour.
    expect(parseRangeArg('-24h@h', NOW, 'UTC', '--earliest')).toBe(1795219200 - 86400);
    // "@d" in New York: 2026-11-21T00:30Z is 19:30 on the 20th there (-05:00), so its midnight is 2026-11-20T05:00Z.
    expect(parseRangeArg('@d', NOW, 'America/New_York', '--earliest')).toBe(1795219200 - 86400 + 5 * 3600);
    expect(parseRangeArg('now', NOW, 'UTC', '--latest')).toBe(NOW);
    expect(parseRangeArg('1796522400', NOW, 'UTC', '--earliest')).toBe(DEC6 + 7200);
    expect(parseRangeArg('1796522400.25', NOW, 'UTC', '--earliest')).toBe(DEC6 + 7200.25);
    // Search Manual: "use the timeformat %m/%d/%Y:%H:%M:%S and specify dates like earliest="10/15/2019:20:00:00"";
    // a wall time in --tz, as in a search.
    expect(parseRangeArg('12/06/2026:02:00:00', NOW, 'UTC', '--earliest')).toBe(DEC6 + 7200);
    expect(parseRangeArg('12/06/2026:02:00:00', NOW, 'America/New_York', '--earliest')).toBe(DEC6 + 7 * 3600);
  });

  it('takes absent, empty and `all` as no bound (the CLI default: all time)', () => {
    expect(parseRangeArg(undefined, NOW, 'UTC', '--earliest')).toBeNull();
    expect(parseRangeArg('', NOW, 'UTC', '--earliest')).toBeNull();
    expect(parseRangeArg('all', NOW, 'UTC', '--latest')).toBeNull();
  });

  it('refuses garbage with TIME_MODIFIER at its offset, naming the accepted forms', () => {
    const cases: [string, number][] = [
      ['garbage', 0],
      ['-24x', 3], // the unit starts at offset 3
      ['2026-02-30T00:00Z', 0], // no February 30
      ['2026-12-06T25:00', 0],
      ['2026-12-06 at noon', 0],
      ['10/15/2026', 0], // the absolute form needs its time
    ];
    for (const [text, offset] of cases) {
      let err: unknown;
      try {
        parseRangeArg(text, NOW, 'UTC', '--earliest');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(TimeModifierError);
      const e = err as TimeModifierError;
      expect(e.code, text).toBe('TIME_MODIFIER');
      expect(e.offset, text).toBe(offset);
      expect(e.message, text).toContain(`(at offset ${offset})`);
      expect(e.message, text).toMatch(/^--earliest: .*; --earliest takes epoch seconds, ISO 8601 \(.*\), now, a relative time such as -24h@h, %m\/%d\/%Y:%H:%M:%S, or all \(no bound\)$/);
    }
  });

  it('refuses a time outside the years 1000 to 9999 UTC with USAGE, as --now', () => {
    expect(() => parseRangeArg('253402300800', NOW, 'UTC', '--latest')).toThrow(/^--latest must be a time from 1000-01-01 to 9999-12-31 UTC/);
    expect(() => parseRangeArg('9999-12-31T23:30:00-01:00', NOW, 'UTC', '--latest')).toThrow(VigilError);
  });
});

describe('--earliest with --latest (parseRangeArgs)', () => {
  it('refuses a range that ends where or before it starts with USAGE, as the API does (earliest must be before latest)', () => {
    // Swapped bounds: 02:00 to 01:00 on Dec 6.
    expect(() => parseRangeArgs({ earliest: '2026-12-06T02:00Z', latest: '2026-12-06T01:00Z' }, NOW, 'UTC')).toThrow(
      /^--earliest \(2026-12-06T02:00:00\.000Z\) must be before --latest \(2026-12-06T01:00:00\.000Z\)$/,
    );
    // Relative bounds resolve first: -10m@m is 00:20, -70m@m is 23:20 the day before.
    expect(() => parseRangeArgs({ earliest: '-10m@m', latest: '-70m@m' }, NOW, 'UTC')).toThrow(VigilError);
    // An empty range [t, t) is refused as well.
    expect(() => parseRangeArgs({ earliest: '@d', latest: '@d' }, NOW, 'UTC')).toThrow(/must be before --latest/);
  });

  it('keeps an ordered range and one bound alone', () => {
    expect(parseRangeArgs({ earliest: '-70m@m', latest: '-10m@m' }, NOW, 'UTC')).toEqual({ earliest: NOW - 70 * 60, latest: NOW - 10 * 60 });
    expect(parseRangeArgs({ latest: '-10m@m' }, NOW, 'UTC')).toEqual({ earliest: null, latest: NOW - 600 });
    expect(parseRangeArgs({ earliest: 'now' }, NOW, 'UTC')).toEqual({ earliest: NOW, latest: null });
  });
});

describe('--from/--since (parseTimeArg) read the same forms, as USAGE errors', () => {
  it('reads ISO 8601 and modifiers', () => {
    expect(parseTimeArg('2026-12-06T02:00', NOW, 'America/New_York', '--from')).toBe(DEC6 + 7 * 3600);
    expect(parseTimeArg('-24h@h', NOW, 'UTC', '--since')).toBe(1795219200 - 86400);
    expect(() => parseTimeArg('2026-02-30', NOW, 'UTC', '--from')).toThrow(/^--from: cannot read "2026-02-30" as an ISO 8601 time/);
  });
});

describe('vigil search --earliest/--latest (the built CLI)', () => {
  const BIN = join(import.meta.dirname, '..', '..', 'bin', 'vigil.js');
  const vigil = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('plans the range an ISO bound names (--explain prints it in UTC)', () => {
    const r = vigil(['search', 'index=* | stats count', '--events', '-', '--now', String(NOW), '--tz', 'America/New_York', '--earliest', '2026-12-06T02:00', '--latest', '2026-12-06T03:00-05:00', '--explain']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('scan: time [2026-12-06T07:00:00.000Z, 2026-12-06T08:00:00.000Z)');
  });

  it('fails swapped bounds with USAGE and exit code 2, on run as on search', () => {
    const s = vigil(['search', 'index=* | stats count', '--events', '-', '--now', String(NOW), '--earliest', '-10m', '--latest', '-1h']);
    expect(s.status).toBe(2);
    expect(s.stdout).toBe('');
    expect(s.stderr).toMatch(/^vigil: --earliest \(.*\) must be before --latest \(.*\) \[USAGE\]\n$/);
    const r = vigil(['run', 'Cisco Isovalent - Shell Execution', '--events', '-', '--now', String(NOW), '--earliest', '-10m', '--latest', '-1h']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/must be before --latest .*\[USAGE\]\n$/);
  });

  it('fails a bad bound with TIME_MODIFIER and exit code 2', () => {
    const r = vigil(['search', 'index=* | stats count', '--events', '-', '--earliest', '2026-12-06T2:00', '--explain']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^vigil: --earliest: cannot read "2026-12-06T2:00" as an ISO 8601 time \(at offset 0\); --earliest takes epoch seconds, ISO 8601 .* \[TIME_MODIFIER\]\n$/);
  });
});
