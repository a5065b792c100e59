/**
 * `bin`/`bucket` spans: parsing `span=` and flooring values to the start of their bin.
 *
 * Time bins are aligned in the wall clock of the search's time zone: Splunk's Search Manual
 * ("Search using time bins and spans") says "When the time bins cross multiple days or
 * months the bins are aligned to the local day boundary". We apply the same rule to every
 * fixed span, so `span=1h` starts at :00 local time even in zones with half-hour offsets
 * (Asia/Kolkata), and `span=1d` starts at local midnight on DST days (23 or 25 h long).
 * Spans are counted from the local epoch (1970-01-01 00:00 local), so `span=1w` buckets start
 * on Thursdays, and month spans count months from January 1970 (so `span=1q` starts in
 * Jan/Apr/Jul/Oct).
 */

import { VigilError } from '../../errors.js';
import { DEFAULT_TIME_ZONE, fromWallClock, toWallClock, zoneOffsetSeconds } from './zone.js';

export type Span =
  /** A fixed duration (seconds … weeks, and sub-seconds), in seconds. */
  | { kind: 'seconds'; seconds: number }
  /** Calendar months (`mon`; `q` = 3, `y` = 12). */
  | { kind: 'months'; months: number }
  /** A unitless span: bin width for numeric fields (seconds when applied to `_time`). */
  | { kind: 'number'; size: number }
  /** `[<coefficient>]log[<base>]`: bins [c·b^k, c·b^(k+1)). */
  | { kind: 'log'; coefficient: number; base: number };

/** Timescales accepted by `span=` (SPL2 Search Manual "Specifying time spans", plus bin's sub-seconds). */
const TIMESCALES: Readonly<Record<string, { seconds: number } | { months: number }>> = {
  us: { seconds: 1e-6 },
  ms: { seconds: 1e-3 },
  cs: { seconds: 1e-2 },
  ds: { seconds: 1e-1 },
  s: { seconds: 1 },
  sec: { seconds: 1 },
  secs: { seconds: 1 },
  second: { seconds: 1 },
  seconds: { seconds: 1 },
  m: { seconds: 60 },
  min: { seconds: 60 },
  mins: { seconds: 60 },
  minute: { seconds: 60 },
  minutes: { seconds: 60 },
  h: { seconds: 3600 },
  hr: { seconds: 3600 },
  hrs: { seconds: 3600 },
  hour: { seconds: 3600 },
  hours: { seconds: 3600 },
  d: { seconds: 86_400 },
  day: { seconds: 86_400 },
  days: { seconds: 86_400 },
  w: { seconds: 604_800 },
  week: { seconds: 604_800 },
  weeks: { seconds: 604_800 },
  mon: { months: 1 },
  month: { months: 1 },
  months: { months: 1 },
  q: { months: 3 },
  qtr: { months: 3 },
  qtrs: { months: 3 },
  quarter: { months: 3 },
  quarters: { months: 3 },
  y: { months: 12 },
  yr: { months: 12 },
  yrs: { months: 12 },
  year: { months: 12 },
  years: { months: 12 },
};

function badSpan(text: string, why: string): never {
  throw new VigilError('SPL_BAD_ARGUMENT', `invalid span "${text}": ${why}`);
}

/**
 * Parses a `span=` value: `30s`, `5m`, `1h`, `1d`, `1mon`, `min` (count defaults to 1),
 * `10` / `0.5` (unitless), `log` / `2log10` (logarithmic). Throws `VigilError('SPL_BAD_ARGUMENT')`.
 */
export function parseSpan(input: string): Span {
  const text = input.trim();
  const log = /^(\d+(?:\.\d+)?)?log(\d+(?:\.\d+)?)?$/.exec(text);
  if (log !== null) {
    const coefficient = log[1] === undefined ? 1 : Number(log[1]);
    const base = log[2] === undefined ? 10 : Number(log[2]);
    if (!(base > 1)) badSpan(text, 'the log base must be greater than 1');
    if (!(coefficient >= 1 && coefficient < base)) badSpan(text, 'the log coefficient must be at least 1 and less than the base');
    return { kind: 'log', coefficient, base };
  }
  if (/^(\d+(\.\d*)?|\.\d+)$/.test(text)) {
    const size = Number(text);
    if (!(size > 0)) badSpan(text, 'the span must be greater than 0');
    return { kind: 'number', size };
  }
  const time = /^(\d+)?([A-Za-z]+)$/.exec(text);
  if (time === null) badSpan(text, 'expected <int><timescale> (e.g. 5m, 1h, 1d, 1mon) or a number');
  const count = time[1] === undefined ? 1 : Number(time[1]);
  const unit = time[2] as string;
  const scale = Object.prototype.hasOwnProperty.call(TIMESCALES, unit) ? TIMESCALES[unit] : undefined;
  if (scale === undefined) badSpan(text, `unknown timescale "${unit}"`);
  if (count <= 0) badSpan(text, 'the span must be greater than 0');
  return 'months' in scale ? { kind: 'months', months: count * scale.months } : { kind: 'seconds', seconds: count * scale.seconds };
}

/** True for spans that make sense on `_time` (everything but `log`). */
export function isTimeSpan(span: Span): boolean {
  return span.kind !== 'log';
}

/** Rounds away binary noise from sub-second arithmetic (epochs carry microseconds at most). */
function roundMicros(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Floors `q` to an integer, treating values within floating-point noise of an integer as that
 * integer (0.3 / 0.1 = 2.9999999999999996 must count as 3).
 */
function floorQuotient(q: number): number {
  const nearest = Math.round(q);
  return Math.abs(q - nearest) <= 1e-9 * Math.max(1, Math.abs(q)) ? nearest : Math.floor(q);
}

/**
 * The start of the time bin containing `epoch`. Non-finite values are returned unchanged.
 * Throws `VigilError('SPL_BAD_ARGUMENT')` for a log span, which has no meaning on time.
 */
export function binTime(epoch: number, span: Span, tz: string = DEFAULT_TIME_ZONE): number {
  if (!Number.isFinite(epoch)) return epoch;
  switch (span.kind) {
    case 'log':
      return badSpan(`${span.coefficient}log${span.base}`, 'a log span cannot bin time');
    case 'months': {
      const w = toWallClock(epoch, tz);
      const index = (w.year - 1970) * 12 + (w.month - 1);
      const start = Math.floor(index / span.months) * span.months;
      const year = 1970 + Math.floor(start / 12);
      const month = start - Math.floor(start / 12) * 12 + 1;
      return fromWallClock({ year, month, day: 1 }, tz);
    }
    case 'number':
    case 'seconds': {
      const size = span.kind === 'seconds' ? span.seconds : span.size;
      const offset = zoneOffsetSeconds(epoch, tz);
      const localStart = roundMicros(floorQuotient((epoch + offset) / size) * size);
      // Fast path: the bin starts under the same offset as the event (always so for UTC and
      // for any bin that does not straddle a DST change).
      const candidate = localStart - offset;
      if (zoneOffsetSeconds(candidate, tz) === offset) return roundMicros(candidate);
      // The bin's local start lies across a transition (e.g. local midnight before a
      // spring-forward at 02:00 for an event after it): convert that wall time properly.
      const days = Math.floor(localStart / 86_400);
      const secondOfDay = localStart - days * 86_400;
      return roundMicros(fromWallClock({ year: 1970, month: 1, day: 1 + days, second: secondOfDay }, tz));
    }
  }
}

/**
 * The lower bound of the numeric bin containing `value` (`span=10`: 17 → 10; `log`: 347 → 100),
 * or null when it has none (non-finite, or ≤ 0 with a log span).
 */
export function binNumber(value: number, span: Span): number | null {
  return binNumberRange(value, span)?.start ?? null;
}

/**
 * The numeric bin containing `value` as [start, end). Splunk's `bin` displays non-time bins
 * as the string `"<start>-<end>"` (e.g. `10-20`); that rendering is the caller's choice.
 */
export function binNumberRange(value: number, span: Span): { start: number; end: number } | null {
  if (!Number.isFinite(value)) return null;
  // Clean decimal noise (0.1 * 3 = 0.30000000000000004) so bins print as typed.
  const clean = (x: number): number => Number(x.toPrecision(15));
  switch (span.kind) {
    case 'log': {
      if (value <= 0) return null;
      const exponent = floorQuotient(Math.log(value / span.coefficient) / Math.log(span.base));
      const start = clean(span.coefficient * span.base ** exponent);
      return { start, end: clean(start * span.base) };
    }
    case 'number':
    case 'seconds': {
      const size = span.kind === 'seconds' ? span.seconds : span.size;
      const k = floorQuotient(value / size);
      return { start: clean(k * size), end: clean((k + 1) * size) };
    }
    case 'months':
      return badSpan(`${span.months}mon`, 'a month span cannot bin a number');
  }
}
