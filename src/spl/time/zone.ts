/**
 * Time-zone arithmetic for the SPL time functions, built on `Intl.DateTimeFormat` (full ICU).
 *
 * Epochs are seconds as JS numbers (fractional, microsecond precision). `Intl` is slow
 * (~6 µs per `formatToParts`), and strftime/bin call into this module once per event, so a
 * zone's UTC offset is cached per UTC hour: an hour whose two ends share an offset is
 * constant throughout (no zone changes offset twice within an hour); an hour containing a
 * transition records the exact second of the change, found by bisection.
 *
 * Wall-clock → epoch (`fromWallClock`) resolves DST gaps and overlaps like the Temporal
 * proposal's `'compatible'` disambiguation:
 *  - gap (the wall time does not exist, e.g. 02:30 on a spring-forward night): the time is
 *    read with the offset in force before the transition, i.e. shifted forward by the length
 *    of the gap (02:30 → 03:30 in America/New_York);
 *  - overlap (the wall time happens twice): the earlier instant, unless the caller passes a
 *    `preferOffset` that matches one of the two (snapping and binning use that to stay in the
 *    same "pass" as the instant they started from).
 */

import { VigilError } from '../../errors.js';

export const DEFAULT_TIME_ZONE = 'UTC';

export interface WallClock {
  year: number;
  /** 1-12 */
  month: number;
  /** 1-31 */
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0-999999 */
  micro: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
  /** 1-366 */
  yearDay: number;
  /** Local time minus UTC, in seconds (e.g. -18000 for EST). */
  offsetSeconds: number;
}

/**
 * Input of `fromWallClock`. Fields may be out of range (month 13, day 0, hour -1 …): they are
 * normalised arithmetically, which is how day/month offsets are applied.
 */
export interface WallClockInput {
  year: number;
  month: number;
  day: number;
  hour?: number;
  minute?: number;
  second?: number;
  micro?: number;
}

const SECONDS_PER_DAY = 86_400;
/** `Date` can represent ±8.64e15 ms; offsets outside that range use the nearest representable instant. */
const MAX_EPOCH_FOR_INTL = 8.64e12;
/** Bounds the per-zone offset cache (one entry per UTC hour seen); ~11 years of hours. */
const MAX_CACHED_HOURS = 100_000;

// ---------------------------------------------------------------------------------------------
// Calendar helpers (proleptic Gregorian, no time zone)
// ---------------------------------------------------------------------------------------------

/** Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm; month 1-12). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Inverse of `daysFromCivil`. */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] ?? 0);
}

/** Local seconds since the epoch of a (possibly out-of-range) wall-clock reading, without fraction. */
function wallSeconds(p: WallClockInput): number {
  // Normalise the month first so `daysFromCivil` sees 1-12; day overflow is plain addition.
  const monthIndex = p.month - 1;
  const year = p.year + Math.floor(monthIndex / 12);
  const month = monthIndex - Math.floor(monthIndex / 12) * 12 + 1;
  const days = daysFromCivil(year, month, 1) + (p.day - 1);
  return days * SECONDS_PER_DAY + (p.hour ?? 0) * 3600 + (p.minute ?? 0) * 60 + (p.second ?? 0);
}

/** Splits an epoch into whole seconds and microseconds, rounding to the microsecond. */
export function splitMicros(epoch: number): { seconds: number; micro: number } {
  let seconds = Math.floor(epoch);
  // `epoch - seconds` is exact in binary floating point, so only the final rounding is lossy.
  let micro = Math.round((epoch - seconds) * 1e6);
  if (micro >= 1_000_000) {
    seconds += 1;
    micro -= 1_000_000;
  }
  return { seconds, micro };
}

// ---------------------------------------------------------------------------------------------
// Zones
// ---------------------------------------------------------------------------------------------

/** An hour with a transition: `before` applies to seconds < `at`, `after` from `at` on. */
interface TransitionHour {
  before: number;
  after: number;
  at: number;
}

type HourEntry = number | TransitionHour;

/**
 * Locales whose ICU data has real abbreviations for some zones (en-GB: CET/CEST/BST,
 * en-IN: IST, en-AU: AEST/AEDT). en-US first: it knows the US zones and UTC.
 */
const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU'];

/**
 * tzdata abbreviations that no English ICU locale produces, for a few zones with a fixed
 * offset. Others fall back to the tzdata numeric style (`+09`, `-0330`).
 */
const EXTRA_ABBREVIATIONS: Readonly<Record<string, string>> = {
  'Asia/Tokyo': 'JST',
  'Asia/Seoul': 'KST',
  'Europe/Moscow': 'MSK',
  'Asia/Hong_Kong': 'HKT',
  'Asia/Shanghai': 'CST',
  'Africa/Johannesburg': 'SAST',
};

class Zone {
  readonly name: string;
  /** Non-null for zones whose offset never changes (UTC and its aliases): no Intl calls at all. */
  private readonly fixedOffset: number | null;
  private readonly formatter: Intl.DateTimeFormat | null;
  private readonly hours = new Map<number, HourEntry>();
  private readonly abbreviations = new Map<number, string>();
  // One-entry memo: events usually arrive in time order, so consecutive calls hit the same hour.
  private lastHour = Number.NaN;
  private lastEntry: HourEntry = 0;

  constructor(name: string) {
    this.name = name;
    if (name === 'UTC') {
      this.fixedOffset = 0;
      this.formatter = null;
    } else {
      this.fixedOffset = null;
      this.formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        era: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    }
  }

  offsetAt(epoch: number): number {
    if (this.fixedOffset !== null) return this.fixedOffset;
    const s = Math.floor(Math.max(-MAX_EPOCH_FOR_INTL, Math.min(MAX_EPOCH_FOR_INTL, epoch)));
    const hour = Math.floor(s / 3600);
    let entry: HourEntry;
    if (hour === this.lastHour) {
      entry = this.lastEntry;
    } else {
      const cached = this.hours.get(hour);
      if (cached === undefined) {
        entry = this.computeHour(hour);
        if (this.hours.size >= MAX_CACHED_HOURS) this.hours.clear();
        this.hours.set(hour, entry);
      } else {
        entry = cached;
      }
      this.lastHour = hour;
      this.lastEntry = entry;
    }
    if (typeof entry === 'number') return entry;
    return s < entry.at ? entry.before : entry.after;
  }

  abbreviation(epoch: number): string {
    const offset = this.offsetAt(epoch);
    let name = this.abbreviations.get(offset);
    if (name === undefined) {
      name = this.computeAbbreviation(epoch, offset);
      this.abbreviations.set(offset, name);
    }
    return name;
  }

  private computeHour(hour: number): HourEntry {
    const start = hour * 3600;
    const end = start + 3599;
    const before = this.rawOffset(start);
    const after = this.rawOffset(end);
    if (before === after) return before;
    // Invariant: rawOffset(lo) === before, rawOffset(hi) !== before.
    let lo = start;
    let hi = end;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.rawOffset(mid) === before) lo = mid;
      else hi = mid;
    }
    return { before, after, at: hi };
  }

  /** Offset at an integer second, straight from Intl. */
  private rawOffset(at: number): number {
    const formatter = this.formatter;
    if (formatter === null) return this.fixedOffset ?? 0;
    // offsetAt clamps the instant, but the last clamped hour ends past Date's range (formatToParts threw).
    const s = Math.min(at, MAX_EPOCH_FOR_INTL);
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of formatter.formatToParts(s * 1000)) {
      switch (part.type) {
        case 'year':
          year = Number(part.value);
          break;
        case 'month':
          month = Number(part.value);
          break;
        case 'day':
          day = Number(part.value);
          break;
        case 'hour':
          // Some ICU versions render midnight as "24" even with h23.
          hour = Number(part.value) % 24;
          break;
        case 'minute':
          minute = Number(part.value);
          break;
        case 'second':
          second = Number(part.value);
          break;
        case 'era':
          bc = part.value === 'BC' || part.value === 'B';
          break;
        default:
          break;
      }
    }
    if (bc) year = 1 - year;
    return wallSeconds({ year, month, day, hour, minute, second }) - s;
  }

  private computeAbbreviation(epoch: number, offset: number): string {
    if (this.fixedOffset === 0) return 'UTC';
    const extra = EXTRA_ABBREVIATIONS[this.name];
    if (extra !== undefined) return extra;
    const date = Math.max(-MAX_EPOCH_FOR_INTL, Math.min(MAX_EPOCH_FOR_INTL, epoch)) * 1000;
    for (const locale of ABBREVIATION_LOCALES) {
      const part = new Intl.DateTimeFormat(locale, { timeZone: this.name, timeZoneName: 'short' })
        .formatToParts(date)
        .find((p) => p.type === 'timeZoneName');
      // ICU falls back to "GMT+1"-style names when the locale has no abbreviation; keep looking.
      if (part !== undefined && !/^(GMT|UTC)[+\-\u2212]/.test(part.value)) return part.value;
    }
    return numericAbbreviation(offset);
  }
}

/** tzdata style for zones without an abbreviation: `+09`, `-03`, `+0530`. */
function numericAbbreviation(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hours = String(Math.floor(abs / 3600)).padStart(2, '0');
  const minutes = Math.floor((abs % 3600) / 60);
  return minutes === 0 ? `${sign}${hours}` : `${sign}${hours}${String(minutes).padStart(2, '0')}`;
}

const zones = new Map<string, Zone>();

/**
 * Returns the cached zone for an IANA name (case-insensitive, aliases such as `Etc/UTC`
 * accepted). Throws `VigilError('CONFIG')` for a name ICU does not know.
 */
function zoneFor(tz: string): Zone {
  const cached = zones.get(tz);
  if (cached !== undefined) return cached;
  let canonical: string;
  try {
    // 'UTC' is its own canonical name (the default zone): skip Intl, whose first use costs ~20 ms of ICU setup.
    canonical = tz === 'UTC' ? tz : new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch (err) {
    throw new VigilError('CONFIG', `unknown time zone '${tz}' (expected an IANA name such as 'UTC' or 'Europe/Berlin')`, {
      cause: err,
    });
  }
  let zone = zones.get(canonical);
  if (zone === undefined) {
    zone = new Zone(canonical);
    zones.set(canonical, zone);
  }
  zones.set(tz, zone);
  return zone;
}

/** The canonical IANA name of `tz` (e.g. `etc/utc` → `UTC`); throws `VigilError('CONFIG')` if unknown. */
export function canonicalTimeZone(tz: string): string {
  return zoneFor(tz).name;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    zoneFor(tz);
    return true;
  } catch {
    return false;
  }
}

/** Local time minus UTC at `epoch`, in seconds. */
export function zoneOffsetSeconds(epoch: number, tz: string = DEFAULT_TIME_ZONE): number {
  return zoneFor(tz).offsetAt(epoch);
}

/** The zone's abbreviation at `epoch` (`EST`, `CEST`, `UTC`, or tzdata-style `+09`). */
export function zoneAbbreviation(epoch: number, tz: string = DEFAULT_TIME_ZONE): string {
  return zoneFor(tz).abbreviation(epoch);
}

/** Breaks an epoch into the wall-clock reading in `tz` (microseconds rounded). */
export function toWallClock(epoch: number, tz: string = DEFAULT_TIME_ZONE): WallClock {
  const { seconds, micro } = splitMicros(epoch);
  const offsetSeconds = zoneFor(tz).offsetAt(seconds);
  const local = seconds + offsetSeconds;
  const days = Math.floor(local / SECONDS_PER_DAY);
  let rest = local - days * SECONDS_PER_DAY;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const minute = Math.floor(rest / 60);
  const second = rest - minute * 60;
  const { year, month, day } = civilFromDays(days);
  // 1970-01-01 was a Thursday (4).
  const weekday = (((days + 4) % 7) + 7) % 7;
  const yearDay = days - daysFromCivil(year, 1, 1) + 1;
  return { year, month, day, hour, minute, second, micro, weekday, yearDay, offsetSeconds };
}

/**
 * The epoch of a wall-clock reading in `tz`. Out-of-range fields are normalised (so
 * `{month: 13}` is January of the next year). DST: a time in a gap is shifted forward by the
 * gap's length; a time in an overlap resolves to the earlier instant, or to the one whose
 * offset equals `preferOffset` when given.
 */
export function fromWallClock(parts: WallClockInput, tz: string = DEFAULT_TIME_ZONE, preferOffset?: number): number {
  const zone = zoneFor(tz);
  const local = wallSeconds(parts);
  const fraction = (parts.micro ?? 0) / 1e6;
  // The answer is `local - offset` for an offset in force at that instant. Offsets sampled a
  // day either side of the reading (and at it) cover both sides of any transition near it.
  const before = zone.offsetAt(local - SECONDS_PER_DAY);
  const middle = zone.offsetAt(local);
  const after = zone.offsetAt(local + SECONDS_PER_DAY);
  let best: number | null = null;
  for (const offset of [before, middle, after]) {
    const instant = local - offset;
    if (zone.offsetAt(instant) !== offset) continue;
    if (preferOffset !== undefined && offset === preferOffset) return instant + fraction;
    if (best === null || instant < best) best = instant;
  }
  // No offset reproduces the wall time: it is in a gap; read it with the earlier offset.
  return (best ?? local - before) + fraction;
}
