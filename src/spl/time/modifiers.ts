/**
 * Splunk time modifiers (`earliest=`, `latest=`, `relative_time()`):
 *
 *   now | now() | <epoch> | %m/%d/%Y:%H:%M:%S | ([+|-][<int>]<unit> | @<snap-unit>)+
 *
 * e.g. `-24h`, `-h`, `-1d@d`, `-1d@d+6h`, `@w1`, `+1d@d-1h`, `-70m@m`.
 *
 * Offsets and snaps apply left to right. Seconds, minutes and hours are exact durations;
 * days and weeks move the wall clock of `tz` (so `-1d` keeps the local time across a DST
 * change); months, quarters and years move the calendar month. Snaps round down in the wall
 * clock of `tz` (`@d` is local midnight). `now` is always a parameter: nothing here reads
 * the clock.
 */

import { VigilError } from '../../errors.js';
import { strptimePrefix } from './format.js';
import { DEFAULT_TIME_ZONE, fromWallClock, toWallClock, type WallClockInput } from './zone.js';

/** A time-modifier error that also says where in the modifier text the problem is. */
export class TimeModifierError extends VigilError {
  /** 0-based offset into the modifier text. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super('TIME_MODIFIER', message);
    this.name = 'TimeModifierError';
    this.offset = offset;
  }
}

/** Canonical time units of offsets and snaps. */
export type TimeUnit = 'us' | 'ms' | 'cs' | 'ds' | 's' | 'm' | 'h' | 'd' | 'w' | 'mon' | 'q' | 'y';

/**
 * Spellings per Splunk's Search Manual ("Specify time modifiers in your search" / SPL2
 * "Specifying relative time"). Case-sensitive on purpose: `m` is minutes and `mon` months, so
 * guessing what `M` means would be a silent error.
 */
const UNIT_SPELLINGS: Readonly<Record<string, TimeUnit>> = {
  // Subseconds: "microseconds (us), milliseconds (ms), centiseconds (cs), or deciseconds (ds)" (Search Reference,
  // Time modifiers).
  us: 'us',
  ms: 'ms',
  cs: 'cs',
  ds: 'ds',
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
  w: 'w',
  week: 'w',
  weeks: 'w',
  mon: 'mon',
  month: 'mon',
  months: 'mon',
  q: 'q',
  qtr: 'q',
  qtrs: 'q',
  quarter: 'q',
  quarters: 'q',
  y: 'y',
  yr: 'y',
  yrs: 'y',
  year: 'y',
  years: 'y',
};

export type RelativeStep =
  | { kind: 'offset'; amount: number; unit: TimeUnit }
  /** `weekday` is set for `@w0`…`@w7` (0 and 7 = Sunday; `@w` alone is Sunday). */
  | { kind: 'snap'; unit: TimeUnit; weekday?: number };

export type TimeModifier =
  | { kind: 'now' }
  | { kind: 'epoch'; epoch: number }
  | { kind: 'absolute'; text: string }
  | { kind: 'relative'; steps: RelativeStep[] };

/** Splunk's default format for absolute times in modifiers (`earliest="10/15/2019:20:00:00"`). */
export const ABSOLUTE_TIME_FORMAT = '%m/%d/%Y:%H:%M:%S';

const EXACT_SECONDS: Partial<Record<TimeUnit, number>> = { s: 1, m: 60, h: 3600 };
/** Subsecond units in microseconds: epochs keep microseconds, so these offsets and snaps are exact on them. */
const SUBSECOND_MICROS: Partial<Record<TimeUnit, number>> = { us: 1, ms: 1_000, cs: 10_000, ds: 100_000 };
const MONTHS_PER_UNIT: Partial<Record<TimeUnit, number>> = { mon: 1, q: 3, y: 12 };

function unitOf(spelling: string): TimeUnit | undefined {
  return Object.prototype.hasOwnProperty.call(UNIT_SPELLINGS, spelling) ? UNIT_SPELLINGS[spelling] : undefined;
}

function fail(text: string, offset: number, what: string): never {
  throw new TimeModifierError(`invalid time modifier "${text}": ${what} (at offset ${offset})`, offset);
}

/** Parses relative steps; `text` is the whole modifier (for messages), `start` where steps begin. */
function parseRelative(text: string, start: number): RelativeStep[] {
  const steps: RelativeStep[] = [];
  let i = start;
  while (i < text.length) {
    const ch = text[i] as string;
    const stepStart = i;
    if (ch === '+' || ch === '-') {
      i += 1;
      const digitsStart = i;
      while (i < text.length && /[0-9]/.test(text[i] as string)) i += 1;
      const digits = text.slice(digitsStart, i);
      if (text[i] === '.') fail(text, i, `fractional amounts are not supported in "${text.slice(stepStart)}"`);
      const unitStart = i;
      while (i < text.length && /[A-Za-z]/.test(text[i] as string)) i += 1;
      const spelling = text.slice(unitStart, i);
      if (spelling === '') fail(text, unitStart, `missing time unit after "${text.slice(stepStart, unitStart)}"`);
      if (spelling === 'rt') fail(text, unitStart, 'real-time modifiers ("rt") are not supported');
      const unit = unitOf(spelling);
      if (unit === undefined) fail(text, unitStart, `unknown time unit "${spelling}"`);
      // "When you specify single time amounts, the number is implied: 's' is the same as '1s'".
      const amount = digits === '' ? 1 : Number(digits);
      steps.push({ kind: 'offset', amount: ch === '-' ? -amount : amount, unit });
    } else if (ch === '@') {
      i += 1;
      const unitStart = i;
      while (i < text.length && /[A-Za-z]/.test(text[i] as string)) i += 1;
      const spelling = text.slice(unitStart, i);
      if (spelling === '') fail(text, unitStart, 'missing snap unit after "@"');
      const unit = unitOf(spelling);
      if (unit === undefined) fail(text, unitStart, `unknown snap unit "${spelling}"`);
      const digitStart = i;
      while (i < text.length && /[0-9]/.test(text[i] as string)) i += 1;
      const digits = text.slice(digitStart, i);
      if (unit === 'w') {
        const weekday = digits === '' ? 0 : Number(digits);
        if (digits.length > 1 || weekday > 7) fail(text, digitStart, `week snap must be @w0 to @w7, got "@${spelling}${digits}"`);
        steps.push({ kind: 'snap', unit, weekday: weekday % 7 });
      } else {
        if (digits !== '') fail(text, digitStart, `unexpected "${digits}" after snap unit "@${spelling}"`);
        steps.push({ kind: 'snap', unit });
      }
    } else if (ch === 'r' && text.startsWith('rt', i)) {
      fail(text, i, 'real-time modifiers ("rt") are not supported');
    } else {
      fail(text, i, `unexpected "${text.slice(i)}" (expected +<n><unit>, -<n><unit> or @<unit>)`);
    }
  }
  return steps;
}

/**
 * Parses a time modifier without evaluating it (the result can be cached and applied to many
 * `now`s). Throws `TimeModifierError` (code `TIME_MODIFIER`) naming the bad part.
 */
export function parseTimeModifier(input: string): TimeModifier {
  const text = input.trim();
  if (text === '') throw new TimeModifierError('invalid time modifier "": empty', 0);
  if (text === 'now' || text === 'now()') return { kind: 'now' };
  if (/^\d+(\.\d+)?$/.test(text)) return { kind: 'epoch', epoch: Number(text) };
  if (text.startsWith('rt') || text.startsWith('-rt') || text.startsWith('+rt')) {
    fail(text, text.indexOf('rt'), 'real-time modifiers ("rt") are not supported');
  }
  const first = text[0];
  if (first === '+' || first === '-' || first === '@') return { kind: 'relative', steps: parseRelative(text, 0) };
  if (/^\d/.test(text)) {
    // Absolute times must match the whole format; a date alone ("10/15/2019") is rejected,
    // as the documented format always carries a time.
    const parsed = strptimePrefix(text, ABSOLUTE_TIME_FORMAT, DEFAULT_TIME_ZONE);
    if (parsed === null || parsed.end !== text.length) {
      fail(text, 0, `not a valid absolute time (expected ${ABSOLUTE_TIME_FORMAT}, e.g. 10/15/2019:20:00:00)`);
    }
    return { kind: 'absolute', text };
  }
  return fail(text, 0, `unrecognised time modifier (expected now, an epoch, ${ABSOLUTE_TIME_FORMAT} or a relative time such as -24h@h)`);
}

/** True when `text` is a syntactically valid time modifier. */
export function isTimeModifier(text: string): boolean {
  try {
    parseTimeModifier(text);
    return true;
  } catch (err) {
    if (err instanceof TimeModifierError) return false;
    throw err;
  }
}

/** Snaps `epoch` down to the start of `unit` in the wall clock of `tz`. */
function snap(epoch: number, step: Extract<RelativeStep, { kind: 'snap' }>, tz: string): number {
  const micros = SUBSECOND_MICROS[step.unit];
  if (micros !== undefined) return (Math.floor(Math.round(epoch * 1e6) / micros) * micros) / 1e6;
  const w = toWallClock(epoch, tz);
  let target: WallClockInput;
  switch (step.unit) {
    case 'us':
    case 'ms':
    case 'cs':
    case 'ds':
    case 's':
      target = { year: w.year, month: w.month, day: w.day, hour: w.hour, minute: w.minute, second: w.second };
      break;
    case 'm':
      target = { year: w.year, month: w.month, day: w.day, hour: w.hour, minute: w.minute };
      break;
    case 'h':
      target = { year: w.year, month: w.month, day: w.day, hour: w.hour };
      break;
    case 'd':
      target = { year: w.year, month: w.month, day: w.day };
      break;
    case 'w': {
      // Most recent given weekday at or before today (today itself when it matches).
      const back = (w.weekday - (step.weekday ?? 0) + 7) % 7;
      target = { year: w.year, month: w.month, day: w.day - back };
      break;
    }
    case 'mon':
      target = { year: w.year, month: w.month, day: 1 };
      break;
    case 'q':
      target = { year: w.year, month: Math.floor((w.month - 1) / 3) * 3 + 1, day: 1 };
      break;
    case 'y':
      target = { year: w.year, month: 1, day: 1 };
      break;
  }
  // Prefer the instant's own offset so that @h inside a repeated (fall-back) hour stays in it.
  return fromWallClock(target, tz, w.offsetSeconds);
}

function offset(epoch: number, step: Extract<RelativeStep, { kind: 'offset' }>, tz: string): number {
  const micros = SUBSECOND_MICROS[step.unit];
  if (micros !== undefined) return (Math.round(epoch * 1e6) + step.amount * micros) / 1e6;
  const exact = EXACT_SECONDS[step.unit];
  if (exact !== undefined) return epoch + step.amount * exact;
  const w = toWallClock(epoch, tz);
  const base = { year: w.year, month: w.month, day: w.day, hour: w.hour, minute: w.minute, second: w.second, micro: w.micro };
  const months = MONTHS_PER_UNIT[step.unit];
  if (months !== undefined) {
    // A day past the end of the target month rolls over (Mar 31 -1mon → Mar 2/3), as mktime does.
    return fromWallClock({ ...base, month: w.month + step.amount * months }, tz, w.offsetSeconds);
  }
  const days = step.unit === 'w' ? 7 : 1;
  return fromWallClock({ ...base, day: w.day + step.amount * days }, tz, w.offsetSeconds);
}

/** Evaluates a parsed modifier against `now` (epoch seconds) in `tz`. */
export function applyTimeModifier(modifier: TimeModifier, now: number, tz: string = DEFAULT_TIME_ZONE): number {
  switch (modifier.kind) {
    case 'now':
      return now;
    case 'epoch':
      return modifier.epoch;
    case 'absolute': {
      const parsed = strptimePrefix(modifier.text, ABSOLUTE_TIME_FORMAT, tz);
      // parseTimeModifier already checked the text, so this cannot be null.
      if (parsed === null) throw new TimeModifierError(`invalid time modifier "${modifier.text}"`, 0);
      return parsed.epoch;
    }
    case 'relative': {
      let t = now;
      for (const step of modifier.steps) t = step.kind === 'snap' ? snap(t, step, tz) : offset(t, step, tz);
      return t;
    }
  }
}

/** 1000-01-01T00:00:00Z and 10000-01-01T00:00:00Z: the years `%Y` (and so `_time`) writes in four digits (year 1 is `1`). */
const FIRST_TIME = -30_610_224_000;
const END_TIME = 253_402_300_800;

/**
 * `t` (epoch seconds) when it is a time a caller may give vigil (`--now`, the API's `now` and range bounds): years
 * 1000 to 9999 UTC; else a USAGE error naming `what` (`"now": 1e300` ran, printing a `_time` of year 3.2e292).
 */
export function checkedTime(t: number, what: string): number {
  if (t >= FIRST_TIME && t < END_TIME) return t;
  throw new VigilError('USAGE', `${what} must be a time from 1000-01-01 to 9999-12-31 UTC (epoch seconds ${FIRST_TIME} to ${END_TIME - 1}), not ${t}`);
}

const ISO_TIME = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?\s*([Zz]|[+-]\d\d(?::?\d\d)?)?$/;

/**
 * An ISO 8601 time (`2026-12-06`, `2026-12-06T02:00:00.5`, `...Z`, `...+01:00`) as epoch seconds, or null when
 * `text` is not one (or names a day or time that does not exist). Without an offset it is a wall time in `tz`,
 * as time modifiers are read (Date.parse would take a date in UTC and a date-time in the process's zone).
 */
export function isoTime(text: string, tz: string = DEFAULT_TIME_ZONE): number | null {
  const m = ISO_TIME.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const fraction = m[7] === undefined ? 0 : Number(`0.${m[7]}`);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
  const back = new Date(utc * 1000);
  // Date.UTC rolls over (February 30 is March 2): a field it moved did not exist.
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || back.getUTCHours() !== hour || back.getUTCMinutes() !== minute) return null;
  const offset = m[8];
  if (offset === undefined) return fromWallClock({ year, month, day, hour, minute, second }, tz) + fraction;
  if (offset === 'Z' || offset === 'z') return utc + fraction;
  const digits = offset.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = digits.length > 3 ? Number(digits.slice(3, 5)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return utc + fraction - (offset[0] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
}

/**
 * Resolves a time modifier to an epoch (seconds). `now` is the search's reference time;
 * `tz` is the IANA zone in which days, weeks, months and snaps are counted.
 */
export function resolveTimeModifier(text: string, now: number, tz: string = DEFAULT_TIME_ZONE): number {
  return applyTimeModifier(parseTimeModifier(text), now, tz);
}

/**
 * A time given from outside a search (the API's ranges, the CLI's `--earliest`/`--latest`/`--from`/`--since`):
 * text that starts as an ISO 8601 date is one (a wall time in `tz` without an offset; Splunk's own absolute form,
 * `%m/%d/%Y:...`, never starts so), anything else a time modifier (epoch seconds among them) against `now`. Bad
 * text is a `TimeModifierError`. Inside SPL (`earliest=`) only modifiers are read, as the Search Manual documents.
 */
export function resolveTimeBound(text: string, now: number, tz: string = DEFAULT_TIME_ZONE): number {
  const t = text.trim();
  if (!/^\d{4}-\d\d-\d\d/.test(t)) return resolveTimeModifier(t, now, tz);
  const iso = isoTime(t, tz);
  if (iso === null) throw new TimeModifierError(`cannot read "${t}" as an ISO 8601 time (at offset 0)`, 0);
  return iso;
}
