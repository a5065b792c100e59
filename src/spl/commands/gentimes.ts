import { Row } from '../../events/result.js';
import { SplError, type Span } from '../source.js';
import { strftime } from '../time/format.js';
import { fromWallClock, toWallClock } from '../time/zone.js';
import { defineCommand } from './types.js';

/** A time of `start=`/`end=`: a wall-clock date, or days from today's midnight. */
type GentimesTime = { kind: 'date'; year: number; month: number; day: number; hour: number; minute: number; second: number; span: Span } | { kind: 'days'; days: number; span: Span };

export interface GentimesArgs {
  start: GentimesTime;
  end: GentimesTime | null;
  /** The step: `count` of `unit` (days step on the wall clock, so a day stays a day across DST). */
  increment: { count: number; unit: 's' | 'm' | 'h' | 'd'; span: Span | null };
}

/** At most this many rows (SPL_BAD_ARGUMENT at `start=`): 100 years of days, or about 28 hours of seconds. */
export const MAX_GENTIMES_ROWS = 100_000;

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** Splunk's `starthuman`/`endhuman` text: C's ctime() layout (Decision in docs/spl.md). */
const HUMAN_FORMAT = '%a %b %e %H:%M:%S %Y';
const DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{1,4})(?::(\d{1,2}):(\d{1,2}):(\d{1,2}))?$/;

/**
 * `| gentimes start=<timestamp> [end=<timestamp>] [increment=<int>(s|m|h|d)]` (SPL reference, gentimes): one row per
 * adjacent, non-overlapping time range from `start`, up to but not including `end` (default: the midnight before
 * now), each with `starttime`/`endtime` (UNIX time; endtime is the range's last second) and their ctime() texts.
 */
export const gentimesCommand = defineCommand<GentimesArgs>({
  name: 'gentimes',
  doc: '| gentimes start=<MM/DD/YYYY[:HH:MM:SS]|int> [end=<timestamp>] [increment=<int>(s|m|h|d)]: one row per time range.',
  parse: (p) => {
    let start: GentimesTime | null = null;
    let end: GentimesTime | null = null;
    let increment: GentimesArgs['increment'] = { count: 1, unit: 'd', span: null };
    for (;;) {
      const o = p.option(['start', 'end', 'increment']);
      if (!o) break;
      if (o.key === 'increment') {
        const m = /^(\d+)([smhd])$/i.exec(o.value);
        const count = m ? Number(m[1]) : 0;
        if (!m || !Number.isSafeInteger(count) || count < 1) throw p.error(`increment must be a positive count of s, m, h or d (e.g. 1d, 3h), got "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
        increment = { count, unit: m[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd', span: o.valueSpan };
        continue;
      }
      const t = parseTimestamp(o.value, o.valueSpan);
      if (!t) throw p.error(`${o.key} must be MM/DD/YYYY[:HH:MM:SS] or a number of days (e.g. -5), got "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
      if (o.key === 'start') start = t;
      else end = t;
    }
    if (!start) throw p.error('gentimes needs start=<timestamp> (MM/DD/YYYY[:HH:MM:SS] or days, e.g. -5)', p.peek('search').span, 'SPL_BAD_ARGUMENT');
    return { start, end, increment };
  },
  kind: () => 'generating',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => '*',
  outputFields: () => ({ fields: new Set(['starttime', 'endtime', 'starthuman', 'endhuman']), open: false }),
  create: (args, ctx, next) => {
    // The row count is known before a row is made: too many fails here, before the search runs.
    const { from, to } = bounds(args, ctx.now, ctx.tz);
    // Row MAX_GENTIMES_ROWS (counting from 0) would start before the end: one row too many. (A quotient test let
    // ranges of up to 100,002 rows pass here and fail after 100,000 rows were sent.)
    if (to > from && step(from, args.increment.count * MAX_GENTIMES_ROWS, args.increment.unit, ctx.tz) < to) {
      throw new SplError('SPL_BAD_ARGUMENT', `gentimes would make more than ${MAX_GENTIMES_ROWS} rows: use a larger increment or a shorter range`, args.increment.span ?? args.start.span, ctx.source);
    }
    return next;
  },
  generate: async (args, ctx, next) => {
    const { from, to } = bounds(args, ctx.now, ctx.tz);
    const { count, unit } = args.increment;
    let start = from;
    for (let i = 0; start < to && !ctx.halted; i++) {
      if (i >= MAX_GENTIMES_ROWS) throw new SplError('SPL_BAD_ARGUMENT', `gentimes would make more than ${MAX_GENTIMES_ROWS} rows: use a larger increment or a shorter range`, args.increment.span ?? args.start.span, ctx.source);
      const following = step(start, count, unit, ctx.tz);
      const endtime = following - 1;
      next.push(new Row({ starttime: start, endtime, starthuman: strftime(start, HUMAN_FORMAT, ctx.tz), endhuman: strftime(endtime, HUMAN_FORMAT, ctx.tz) }));
      start = following;
      if ((i + 1) % 4096 === 0) {
        const backedUp = ctx.ready?.();
        if (backedUp) await backedUp;
      }
    }
  },
});

function parseTimestamp(text: string, span: Span): GentimesTime | null {
  if (/^[+-]?\d{1,6}$/.test(text)) return { kind: 'days', days: Number(text), span };
  const m = DATE.exec(text);
  if (!m) return null;
  const [month, day, year, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  // Two-digit years as the docs' own examples write them (10/1/07): 2000 + yy, as strptime's %y below 69.
  return { kind: 'date', year: m[3]!.length <= 2 ? (year < 69 ? 2000 + year : 1900 + year) : year, month, day, hour, minute, second, span };
}

/** The first range's start and the (excluded) end, in UNIX seconds. */
function bounds(args: GentimesArgs, now: number, tz: string): { from: number; to: number } {
  const today = toWallClock(Math.floor(now), tz);
  const resolve = (t: GentimesTime): number =>
    t.kind === 'date'
      ? fromWallClock({ year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second }, tz)
      : fromWallClock({ year: today.year, month: today.month, day: today.day + t.days }, tz);
  // Default end: "midnight, prior to the current time in local time".
  return { from: resolve(args.start), to: args.end ? resolve(args.end) : fromWallClock({ year: today.year, month: today.month, day: today.day }, tz) };
}

function step(t: number, count: number, unit: 's' | 'm' | 'h' | 'd', tz: string): number {
  if (unit !== 'd') return t + count * UNIT_SECONDS[unit];
  const w = toWallClock(t, tz);
  return fromWallClock({ year: w.year, month: w.month, day: w.day + count, hour: w.hour, minute: w.minute, second: w.second }, tz);
}
