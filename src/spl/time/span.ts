/**
 * `bin`/`bucket` spans: parsing `span=`, flooring values to the start of their bin, and choosing a
 * span from `bins=`/`minspan=` when none is given.
 *
 * Alignment follows the bin reference ("aligntime: Align the bin times to something other than base
 * UTC time (epoch 0) ... Ignored if span is in days, months, or years"; "When a <span-length> of a day
 * or more is used, the span is aligned to midnight in the timezone of the user"):
 * - seconds, minutes, hours and sub-seconds (and unitless spans) count from the epoch in UTC, or from
 *   `aligntime`: `span=1h` starts at :30 local time in a +05:30 zone. The unit decides, not the length:
 *   the timechart reference says to use `span=1d`, not `span=24h`, for day boundaries.
 * - days and weeks start at local midnight in the search's time zone (23 or 25 h long on DST days),
 *   counted from 1970-01-01 local (so `span=1w` buckets start on Thursdays); months count from
 *   January 1970 local (so `span=1q` starts in Jan/Apr/Jul/Oct).
 * Flooring is exact on the values' decimal digits (grid.ts): nothing is rounded into the next bin.
 */

import { VigilError } from '../../errors.js';
import { binsBetween, floorOnGrid, makeGrid, toDecimal, type Decimal } from './grid.js';
import { DEFAULT_TIME_ZONE, daysFromCivil, fromWallClock, toWallClock } from './zone.js';

export type Span =
  /**
   * A fixed duration, in seconds. `localDays` is set for day and week spans (whole local days per
   * bin, aligned to local midnight); null for seconds, minutes, hours and sub-seconds (epoch-aligned).
   */
  | { kind: 'seconds'; seconds: number; localDays: number | null }
  /** Calendar months (`mon`; `q` = 3, `y` = 12). */
  | { kind: 'months'; months: number }
  /** A unitless span: bin width for numeric fields (seconds when applied to `_time`). */
  | { kind: 'number'; size: number }
  /** `[<coefficient>]log[<base>]`: bins [c·b^k, c·b^(k+1)). */
  | { kind: 'log'; coefficient: number; base: number };

/**
 * Timescales accepted by `span=` (bin reference and SPL2 "Specifying time spans"). Sub-seconds are
 * kept in microseconds so that `3ds` is exactly 0.3 s, not 3 × 0.1.
 */
type Timescale = { seconds: number } | { micros: number } | { days: number } | { months: number };

const TIMESCALES: Readonly<Record<string, Timescale>> = {
  us: { micros: 1 },
  ms: { micros: 1_000 },
  cs: { micros: 10_000 },
  ds: { micros: 100_000 },
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
  d: { days: 1 },
  day: { days: 1 },
  days: { days: 1 },
  w: { days: 7 },
  week: { days: 7 },
  weeks: { days: 7 },
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

const SECONDS_PER_DAY = 86_400;

function badSpan(text: string, why: string): never {
  throw new VigilError('SPL_BAD_ARGUMENT', `invalid span "${text}": ${why}`);
}

/**
 * Parses a `span=` value: `30s`, `5m`, `1h`, `1d`, `1mon`, `min` (count defaults to 1), `100ms`,
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
    if (!(size > 0) || !Number.isFinite(size)) badSpan(text, 'the span must be a number greater than 0');
    return { kind: 'number', size };
  }
  const time = /^(\d+)?([A-Za-z]+)$/.exec(text);
  if (time === null) badSpan(text, 'expected <int><timescale> (e.g. 5m, 1h, 1d, 1mon) or a number');
  const count = time[1] === undefined ? 1 : Number(time[1]);
  const unit = time[2] as string;
  const scale = Object.prototype.hasOwnProperty.call(TIMESCALES, unit) ? TIMESCALES[unit] : undefined;
  if (scale === undefined) badSpan(text, `unknown timescale "${unit}"`);
  if (!(count > 0) || !Number.isSafeInteger(count)) badSpan(text, 'the span must be a whole number greater than 0');
  if ('months' in scale) return { kind: 'months', months: count * scale.months };
  if ('days' in scale) return { kind: 'seconds', seconds: count * scale.days * SECONDS_PER_DAY, localDays: count * scale.days };
  if ('micros' in scale) {
    // "Subsecond span timescales ... should be numbers that divide evenly into a second ... span =
    // 1000ms is not allowed. Use span = 1s instead." (bin reference)
    const micros = count * scale.micros;
    if (micros >= 1_000_000 || 1_000_000 % micros !== 0) badSpan(text, 'a sub-second span must divide a second evenly (e.g. 100ms, 250ms, 20cs); use s for a second or more');
    return { kind: 'seconds', seconds: micros / 1e6, localDays: null };
  }
  return { kind: 'seconds', seconds: count * scale.seconds, localDays: null };
}

/** True for spans that make sense on `_time` (everything but `log`). */
export function isTimeSpan(span: Span): boolean {
  return span.kind !== 'log';
}

/** Whether `aligntime=` applies: it is "ignored if span is in days, months, or years". */
export function isEpochAligned(span: Span): boolean {
  return (span.kind === 'seconds' && span.localDays === null) || span.kind === 'number';
}

/** Days since 1970-01-01 of the local date of `epoch` (whole seconds: a day starts on a whole second). */
function localDay(epoch: number, tz: string): number {
  const w = toWallClock(Math.floor(epoch), tz);
  return daysFromCivil(w.year, w.month, w.day);
}

/** Months since January 1970 of the local date of `epoch`. */
function localMonth(epoch: number, tz: string): number {
  const w = toWallClock(Math.floor(epoch), tz);
  return (w.year - 1970) * 12 + (w.month - 1);
}

/**
 * A function flooring epochs to the start of their time bin; build it once per search. `origin` is
 * where epoch-aligned bins start (`aligntime`, default the epoch); day, week and month spans ignore
 * it. Non-finite values are returned unchanged. Throws `VigilError('SPL_BAD_ARGUMENT')` for a log span.
 */
export function timeBinner(span: Span, tz: string = DEFAULT_TIME_ZONE, origin = 0): (epoch: number) => number {
  switch (span.kind) {
    case 'log':
      return badSpan(`${span.coefficient}log${span.base}`, 'a log span cannot bin time');
    case 'months': {
      const n = span.months;
      return (epoch) => (Number.isFinite(epoch) ? fromWallClock({ year: 1970, month: 1 + Math.floor(localMonth(epoch, tz) / n) * n, day: 1 }, tz) : epoch);
    }
    case 'seconds':
    case 'number': {
      const days = span.kind === 'seconds' ? span.localDays : null;
      if (days !== null) {
        // A bin whose local midnight falls in a DST gap starts when the gap ends (fromWallClock).
        return (epoch) => (Number.isFinite(epoch) ? fromWallClock({ year: 1970, month: 1, day: 1 + Math.floor(localDay(epoch, tz) / days) * days }, tz) : epoch);
      }
      const grid = makeGrid(span.kind === 'seconds' ? span.seconds : span.size, origin);
      return (epoch) => (Number.isFinite(epoch) ? floorOnGrid(epoch, grid).start : epoch);
    }
  }
}

/** The start of the time bin containing `epoch` (see `timeBinner`; build that once for many values). */
export function binTime(epoch: number, span: Span, tz: string = DEFAULT_TIME_ZONE, origin = 0): number {
  return timeBinner(span, tz, origin)(epoch);
}

/** Exponents beyond this settle on the float logarithm alone (a base near 1 would need huge powers). */
const MAX_EXACT_LOG_EXPONENT = 1100;

/** Whether c·b^k ≤ v, exactly on the decimal values. */
function logBoundAtMost(c: Decimal, b: Decimal, k: number, v: Decimal): boolean {
  const ten = (n: number): bigint => 10n ** BigInt(n);
  if (k >= 0) {
    const bound = c.coefficient * b.coefficient ** BigInt(k);
    return bound * ten(v.scale) <= v.coefficient * ten(c.scale + k * b.scale);
  }
  const j = -k;
  return c.coefficient * ten(j * b.scale + v.scale) <= v.coefficient * ten(c.scale) * b.coefficient ** BigInt(j);
}

/**
 * A function giving the numeric bin [start, end) holding a value, or null when it has none
 * (non-finite, or ≤ 0 with a log span). Splunk's `bin` displays non-time bins as `"<start>-<end>"`
 * (e.g. `10-20`); that rendering is the caller's. Throws for a month span.
 */
export function numberBinner(span: Span): (value: number) => { start: number; end: number } | null {
  switch (span.kind) {
    case 'log': {
      const { coefficient, base } = span;
      const c = toDecimal(coefficient);
      const b = toDecimal(base);
      // Bounds of negative exponents (0.01) carry binary noise: print them as typed.
      const clean = (x: number): number => Number(x.toPrecision(15));
      return (value) => {
        if (!Number.isFinite(value) || value <= 0) return null;
        let k = Math.floor(Math.log(value / coefficient) / Math.log(base));
        // The float logarithm can be one off at a power (log10(1000) = 2.9999999999999996): settle k exactly.
        if (Math.abs(k) <= MAX_EXACT_LOG_EXPONENT) {
          const v = toDecimal(value);
          while (logBoundAtMost(c, b, k + 1, v)) k++;
          while (!logBoundAtMost(c, b, k, v)) k--;
        }
        const start = clean(coefficient * base ** k);
        return { start, end: clean(start * base) };
      };
    }
    case 'number':
    case 'seconds': {
      const grid = makeGrid(span.kind === 'seconds' ? span.seconds : span.size);
      return (value) => (Number.isFinite(value) ? floorOnGrid(value, grid) : null);
    }
    case 'months':
      return badSpan(`${span.months}mon`, 'a month span cannot bin a number');
  }
}

/** The numeric bin containing `value` as [start, end) (see `numberBinner`). */
export function binNumberRange(value: number, span: Span): { start: number; end: number } | null {
  return numberBinner(span)(value);
}

/** The lower bound of the numeric bin containing `value` (`span=10`: 17 → 10; `log`: 347 → 100), or null. */
export function binNumber(value: number, span: Span): number | null {
  return binNumberRange(value, span)?.start ?? null;
}

// ---------------------------------------------------------------------------------------------
// Automatic spans (bins=, minspan=)
// ---------------------------------------------------------------------------------------------

/** `bins=` when neither it nor `span=` is given (bin reference: "Default: 100", limits.conf [discretize]). */
export const DEFAULT_BINS = 100;

/** Seconds a month counts as when spans are compared (the timechart reference lists 1 month as 2592000 s). */
const MONTH_SECONDS = 2_592_000;

const seconds = (n: number): Span => ({ kind: 'seconds', seconds: n, localDays: null });

/**
 * The spans `bins=` chooses from for `_time`, smallest first: the timechart reference's "span threshold
 * values" (1, 5, 10, 30 s, 1, 5, 10, 30 min, 1 h, 1 day, 30 days). The day rung is a local day and the top
 * rung a calendar month, as its table of default spans shows ("Previous year: 1 month").
 */
const TIME_LADDER: readonly Span[] = [
  ...[1, 5, 10, 30, 60, 300, 600, 1800, 3600].map(seconds),
  { kind: 'seconds', seconds: SECONDS_PER_DAY, localDays: 1 },
  { kind: 'months', months: 1 },
];

/** A span's length in seconds, for comparing spans (months count as 30 days). */
export function spanSeconds(span: Span): number {
  switch (span.kind) {
    case 'seconds':
      return span.seconds;
    case 'number':
      return span.size;
    case 'months':
      return span.months * MONTH_SECONDS;
    case 'log':
      return Number.NaN;
  }
}

/** How many bins of `span` the time range [lo, hi] touches. */
export function timeBinsBetween(lo: number, hi: number, span: Span, tz: string, origin: number): number {
  if (span.kind === 'months') return Math.floor(localMonth(hi, tz) / span.months) - Math.floor(localMonth(lo, tz) / span.months) + 1;
  if (span.kind === 'seconds' && span.localDays !== null) return Math.floor(localDay(hi, tz) / span.localDays) - Math.floor(localDay(lo, tz) / span.localDays) + 1;
  return binsBetween(lo, hi, makeGrid(spanSeconds(span), origin));
}

/**
 * The span `bin _time bins=N` uses for times in [lo, hi]: the smallest ladder span, at least `minspan`,
 * that puts the range into at most N bins (Search Manual, "Search using time bins and spans": bins "finds
 * the smallest bin size that results in no more than N distinct bins"). A range too long for N monthly bins
 * gets monthly bins; a `minspan` above every rung is the span itself.
 */
export function autoTimeSpan(lo: number, hi: number, bins: number, minspan: Span | null, tz: string = DEFAULT_TIME_ZONE, origin = 0): Span {
  const least = minspan === null ? 0 : spanSeconds(minspan);
  const top = TIME_LADDER[TIME_LADDER.length - 1]!;
  if (minspan !== null && least > spanSeconds(top)) return minspan;
  for (const span of TIME_LADDER) {
    if (spanSeconds(span) < least) continue;
    if (timeBinsBetween(lo, hi, span, tz, origin) <= bins) return span;
  }
  return top;
}

/** Powers of ten tried for numeric bins stop here (1e308: the largest finite power). */
const MAX_POWER = 308;

/**
 * The span `bin <field> bins=N` uses for numbers in [lo, hi]: the smallest power of ten, at least
 * `minspan`, that puts the range into at most N bins. A range of one value gets bins of 1. When no power
 * fits (bins=1 over values on both sides of 0 always touches two bins) the smallest power that holds the
 * range in two bins is used.
 */
export function autoNumberSpan(lo: number, hi: number, bins: number, minspan: number | null): Span {
  let k = hi > lo ? Math.floor(Math.log10((hi - lo) / bins)) - 1 : 0;
  if (minspan !== null) k = Math.max(k, Math.floor(Math.log10(minspan)) - 1);
  k = Math.max(k, -323);
  for (; k < MAX_POWER; k++) {
    const size = Number(`1e${k}`);
    if (size === 0 || (minspan !== null && size < minspan)) continue;
    if (hi === lo && size < 1) continue;
    const n = binsBetween(lo, hi, makeGrid(size));
    if (n <= bins || (n <= 2 && size > Math.max(Math.abs(lo), Math.abs(hi)))) return { kind: 'number', size };
  }
  return { kind: 'number', size: Number(`1e${MAX_POWER}`) };
}
