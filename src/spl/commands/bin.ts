import type { Result } from '../../events/result.js';
import { mv, toNumber, toText, valuesOf, type Scalar } from '../../events/value.js';
import { VigilError } from '../../errors.js';
import type { ArgParser } from '../parse/parser.js';
import { SplError, type Span } from '../source.js';
import { applyTimeModifier, parseTimeModifier, type TimeModifier } from '../time/modifiers.js';
import { autoNumberSpan, autoTimeSpan, DEFAULT_BINS, isEpochAligned, numberBinner, parseSpan, timeBinner, type Span as BinSpan } from '../time/span.js';
import { defineCommand, type ExecContext } from './types.js';

/** `aligntime=`: the search's earliest or latest time, or a time specifier (epoch or time modifier). */
export type AlignTime = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; modifier: TimeModifier; span: Span };

export interface BinArgs {
  field: string;
  as: string | null;
  /** The bin size; null: chosen from the data (`bins`, `minspan`, `start`, `end`). */
  span: BinSpan | null;
  /** Most bins when the span is chosen from the data. */
  bins: number;
  minspan: BinSpan | null;
  /** Values the automatic range must include (they only widen the range of the data). */
  start: number | null;
  end: number | null;
  aligntime: AlignTime | null;
}

const OPTIONS = ['span', 'bins', 'minspan', 'start', 'end', 'aligntime'] as const;

/**
 * `bin [span=<span>|bins=<n>|minspan=<span>] [start=<num>] [end=<num>] [aligntime=<time>] <field> [AS <new>]`
 * (aliases `bucket`, `discretize`): floors `_time` (or any field with a span in time units) to the start of
 * its time bin, or a number to a `"start-end"` range label.
 *
 * - `span=` wins over `bins=`/`minspan=`, and `start=`/`end=` only matter without it (the reference: "The
 *   start and end arguments are used when a span value is not specified", and they "expand the range, not
 *   shorten" it).
 * - Without `span=` the span comes from the data's range (widened by start/end): for `_time` the smallest
 *   span of the ladder in time/span.ts giving at most `bins` bins (default 100), for numbers the smallest
 *   power of ten; never below `minspan`. The command then holds every result until the input ends.
 * - `aligntime=earliest|latest|<epoch>|<time modifier>` moves the start of sub-day `_time` bins from the
 *   epoch to that time (earliest/latest: the search's time range; unbounded earliest is 0, unbounded latest
 *   is now); it is ignored for day and month spans, as documented, and an error when not binning by time.
 * - Numbers are binned exactly on their decimal value (0.3 with span=0.1 is `0.3-0.4`).
 * - A value that is not a number gets no bin (*decision*, the reference binning "continuous numerical values"
 *   only): it is dropped, as is the field when none of its values is a number, with span= or without.
 */
export const binCommand = defineCommand<BinArgs>({
  name: 'bin',
  aliases: ['bucket', 'discretize'],
  doc: 'bin [span=<span>|bins=<n>|minspan=<span>] [start=<n>] [end=<n>] [aligntime=<time>] <field> [AS <new>]: put values into bins.',
  parse: (p) => {
    const args: BinArgs = { field: '', as: null, span: null, bins: DEFAULT_BINS, minspan: null, start: null, end: null, aligntime: null };
    let field: { name: string; span: Span } | null = null;
    let spanAt: Span | null = null;
    let minspanAt: Span | null = null;
    let alignAt: Span | null = null;
    for (;;) {
      const o = p.option(OPTIONS);
      if (o) {
        switch (o.key) {
          case 'span':
            args.span = spanOption(p, o.value, o.valueSpan);
            spanAt = o.valueSpan;
            break;
          case 'minspan':
            args.minspan = spanOption(p, o.value, o.valueSpan);
            minspanAt = o.valueSpan;
            if (args.minspan.kind === 'log') throw p.error('minspan= needs a span length such as 5m or 10, not a log span', o.valueSpan, 'SPL_BAD_ARGUMENT');
            break;
          case 'bins':
            args.bins = p.parseInt(o.value, o.valueSpan, 1);
            break;
          case 'start':
          case 'end': {
            const n = toNumber(o.value);
            if (n === null) throw p.error(`${o.key}= needs a number, found "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
            args[o.key] = n;
            break;
          }
          case 'aligntime':
            args.aligntime = alignOption(p, o.value, o.valueSpan);
            alignAt = o.valueSpan;
            break;
        }
        continue;
      }
      if (p.acceptWord('as')) {
        args.as = p.fieldName('a name after AS').name;
        continue;
      }
      if (p.atEnd()) break;
      if (field) throw p.error('bin takes one field', p.peek('search').span);
      field = p.fieldName();
    }
    if (!field) throw p.error('bin needs a field, e.g. bin _time span=5m', p.peek('search').span);
    args.field = field.name;
    const isTime = field.name === '_time';
    if (isTime && args.span?.kind === 'log') throw p.error('a log span cannot bin _time', spanAt!, 'SPL_BAD_ARGUMENT');
    if (!isTime && !args.span && args.minspan?.kind === 'months') throw p.error('a month span can only bin _time', minspanAt!, 'SPL_BAD_ARGUMENT');
    if (!timeBased(args) && args.aligntime) throw p.error('aligntime= is valid only when binning by time (_time, or a span with a time unit)', alignAt!, 'SPL_BAD_ARGUMENT');
    return args;
  },
  kind: (a) => (a.span ? 'streaming' : 'transforming'),
  orderSensitive: () => false,
  writes: (a) => [a.as ?? a.field],
  create: (args, ctx, next) => {
    const isTime = timeBased(args);
    const origin = isTime && args.aligntime ? alignOrigin(args.aligntime, ctx) : 0;
    const target = args.as ?? args.field;
    if (args.span) {
      const bin = binnerFor(args.span, isTime, ctx, origin);
      return {
        push: (row) => {
          binRow(row, args.field, target, bin);
          next.push(row);
        },
        end: () => next.end(),
      };
    }
    // Dataset processing: the span depends on the range of every value.
    const rows: Result[] = [];
    let lo = Infinity;
    let hi = -Infinity;
    return {
      push: (row) => {
        for (const v of valuesOf(row.get(args.field))) {
          const n = toNumber(v);
          if (n === null) continue;
          if (n < lo) lo = n;
          if (n > hi) hi = n;
        }
        rows.push(row);
      },
      end: () => {
        if (lo <= hi) {
          if (args.start !== null) lo = Math.min(lo, args.start);
          if (args.end !== null) hi = Math.max(hi, args.end);
        }
        const span = lo > hi ? null : isTime ? autoTimeSpan(lo, hi, args.bins, args.minspan, ctx.tz, origin) : autoNumberSpan(lo, hi, args.bins, args.minspan === null ? null : minspanNumber(args.minspan));
        // No number at all: no span, and the values that are not numbers go as they do with span= (they kept
        // their text here only when no result held a number).
        const bin = span === null ? () => null : binnerFor(span, isTime, ctx, origin);
        for (const row of rows) {
          binRow(row, args.field, target, bin);
          next.push(row);
        }
        rows.length = 0;
        next.end();
      },
    };
  },
});

/**
 * Whether the field is binned as a time (floored to an epoch) rather than into `"start-end"` labels: `_time`,
 * or any field with a span in time units (SPL reference, bin, span-length: "If discretizing based on the
 * _time field or used with a timescale, this is treated as a time range. If not, this is an absolute bin
 * length"), as ESCU's `eval gtime=_time | bin span=1h gtime` relies on.
 */
function timeBased(a: BinArgs): boolean {
  return isTimeBinning(a.field, a.span);
}

/** `timeBased` of a field and span (makecontinuous bins as bin does). */
export function isTimeBinning(field: string, span: BinSpan | null): boolean {
  return field === '_time' || span?.kind === 'seconds' || span?.kind === 'months';
}

export function spanOption(p: ArgParser, text: string, at: Span): BinSpan {
  try {
    return parseSpan(text);
  } catch (e) {
    if (e instanceof VigilError) throw p.error(e.message, at, 'SPL_BAD_ARGUMENT');
    throw e;
  }
}

export function alignOption(p: ArgParser, text: string, at: Span): AlignTime {
  const t = text.toLowerCase();
  if (t === 'earliest' || t === 'latest') return { kind: t };
  try {
    return { kind: 'time', modifier: parseTimeModifier(text), span: at };
  } catch (e) {
    if (e instanceof VigilError) throw p.error(`aligntime= needs earliest, latest or a time (an epoch or a time modifier such as @d+3h): ${e.message}`, at, 'SPL_BAD_ARGUMENT');
    throw e;
  }
}

/** Where epoch-aligned `_time` bins start for `aligntime=`. */
export function alignOrigin(a: AlignTime, ctx: ExecContext): number {
  switch (a.kind) {
    case 'earliest':
      return ctx.earliest ?? 0;
    case 'latest':
      return ctx.latest ?? ctx.now;
    case 'time':
      try {
        return applyTimeModifier(a.modifier, ctx.now, ctx.tz);
      } catch (e) {
        if (e instanceof VigilError) throw new SplError('SPL_BAD_ARGUMENT', e.message, a.span, ctx.source);
        throw e;
      }
  }
}

/** A numeric field's minspan: its size, a time span's seconds. */
function minspanNumber(s: BinSpan): number {
  return s.kind === 'number' ? s.size : s.kind === 'seconds' ? s.seconds : Number.NaN;
}

/** A bound printed as its exact decimal (bounds are exact, so no rounding to 15 digits is needed). */
function bound(x: number): string {
  return Number.isInteger(x) ? toText(x) : String(x);
}

/** The function giving a value's bin: an epoch for `_time`, a `"start-end"` label otherwise (null: no bin). */
function binnerFor(span: BinSpan, isTime: boolean, ctx: ExecContext, origin: number): (n: number) => Scalar | null {
  if (isTime) return timeBinner(span, ctx.tz, isEpochAligned(span) ? origin : 0);
  const range = numberBinner(span);
  return (n) => {
    const r = range(n);
    return r === null ? null : rangeLabel(r);
  };
}

/** A numeric bin's `"start-end"` label. */
export function rangeLabel(r: { start: number; end: number }): string {
  return `${bound(r.start)}-${bound(r.end)}`;
}

function binRow(row: Result, field: string, target: string, bin: (n: number) => Scalar | null): void {
  const one = (v: Scalar): Scalar | null => {
    const n = toNumber(v);
    return n === null ? null : bin(n);
  };
  const v = row.get(field);
  if (Array.isArray(v)) {
    if (v.length) row.set(target, mv((v as readonly Scalar[]).map(one).filter((x): x is Scalar => x !== null)));
  } else if (v !== null) row.set(target, one(v as Scalar));
}
