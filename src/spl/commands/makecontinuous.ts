import { Row, type Result } from '../../events/result.js';
import { firstValue, toNumber } from '../../events/value.js';
import { SplError, type Span } from '../source.js';
import { autoNumberSpan, autoTimeSpan, DEFAULT_BINS, numberBinner, spanSeconds, timeBinner, type Span as BinSpan } from '../time/span.js';
import { isTimeBinning, rangeLabel, spanOption } from './bin.js';
import { defineCommand } from './types.js';

/**
 * The most bins one makecontinuous spans (*decision*: the reference gives none). Each empty bin is a new result, so
 * `span=1` over a range of 1e12 would be 1e12 results: past it the search stops with SPL_RUNTIME at the command.
 */
export const MAX_MAKECONTINUOUS_BINS = 100_000;

export interface MakecontinuousArgs {
  field: string;
  span: BinSpan | null;
  bins: number;
  /** bins= was given (else, over bin's labels of one width, that width is the span). */
  binsGiven: boolean;
  start: number | null;
  end: number | null;
}

/** A numeric bin's label as bin writes it (`10-20`): read by its start. */
const LABEL = /^(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)-(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;

/** A value as a number, and the width of the bin label it was read from (null: a plain number). */
function numberOf(v: string | number | null): { n: number; width: number | null } | null {
  const n = toNumber(v);
  if (n !== null) return { n, width: null };
  if (typeof v !== 'string') return null;
  const m = LABEL.exec(v.trim());
  if (!m) return null;
  const start = toNumber(m[1]!);
  const end = toNumber(m[2]!);
  return start === null ? null : { n: start, width: end === null ? Number.NaN : end - start };
}

/**
 * `makecontinuous [<field>] <bin-options>` (Search Reference: "Makes a field on the x-axis numerically continuous by
 * adding empty buckets for periods where there is no data and quantifying the periods where there is data"; options
 * bins, span (`<log-span> | <span-length>`), start/end: "Sets the minimum and maximum extents for numerical bins. Data
 * outside of the [start, end] range is discarded").
 * - Values are binned as `bin` bins them (same spans, auto span from `bins=`, default 100; `_time` or a time span:
 *   epochs; otherwise `start-end` labels, and a label already there is read by its start; *decision:* without span=
 *   or bins=, labels all of one width (bin's, chart's) give that width as the span), and every bin from the
 *   lowest to the highest (widened by start/end) gets a result: the results in it, or a new one holding only the field.
 *   *Decision:* end= is the axis's upper edge: the bins starting below it are added, not one starting at it.
 * - *Decision:* the field defaults to `_time`; the output is in bin order (results of one bin in input order), then the
 *   results without a number, in input order; a result outside [start, end] is dropped.
 * - Holds its input until it ends; at most MAX_MAKECONTINUOUS_BINS bins.
 */
export const makecontinuousCommand = defineCommand<MakecontinuousArgs>({
  name: 'makecontinuous',
  doc: 'makecontinuous [<field>] [span=<span>|bins=<n>] [start=<n>] [end=<n>]: bin the field and add a result for every empty bin.',
  parse: (p) => {
    const args: MakecontinuousArgs = { field: '_time', span: null, bins: DEFAULT_BINS, binsGiven: false, start: null, end: null };
    let field: { name: string; span: Span } | null = null;
    let spanAt: Span | null = null;
    for (;;) {
      const o = p.option(['span', 'bins', 'start', 'end']);
      if (o) {
        if (o.key === 'span') {
          args.span = spanOption(p, o.value, o.valueSpan);
          spanAt = o.valueSpan;
        } else if (o.key === 'bins') {
          args.bins = p.parseInt(o.value, o.valueSpan, 1);
          args.binsGiven = true;
        }
        else {
          const n = toNumber(o.value);
          if (n === null) throw p.error(`${o.key}= needs a number, found "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          args[o.key as 'start' | 'end'] = n;
        }
        continue;
      }
      if (p.atEnd()) break;
      if (field) throw p.error('makecontinuous takes one field', p.peek('search').span);
      field = p.fieldName();
    }
    if (field) {
      if (field.name.includes('*')) throw p.error('makecontinuous takes one field name, not a wildcard', field.span, 'SPL_BAD_ARGUMENT');
      args.field = field.name;
    }
    if (args.start !== null && args.end !== null && args.start > args.end) throw p.error('start= is above end=', p.peek('search').span, 'SPL_BAD_ARGUMENT');
    if (isTimeBinning(args.field, args.span) && args.span?.kind === 'log') throw p.error('a log span cannot bin time', spanAt!, 'SPL_BAD_ARGUMENT');
    return args;
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: (a) => [a.field],
  create: (args, ctx, next, cmd) => {
    const isTime = isTimeBinning(args.field, args.span);
    const rows: { row: Result; n: number | null }[] = [];
    let lo = Infinity;
    let hi = -Infinity;
    // The width of the bin labels read (`10-20`: 10), while every number came from a label of that width; else null.
    let labelWidth: number | null | undefined;
    return {
      push: (row) => {
        const v = numberOf(firstValue(row.get(args.field)));
        const n = v === null ? null : v.n;
        if (n !== null && ((args.start !== null && n < args.start) || (args.end !== null && n > args.end))) return;
        if (v !== null) {
          const w = v.width;
          if (w === null || !(w > 0) || !Number.isFinite(w)) labelWidth = null;
          else if (labelWidth === undefined) labelWidth = Number(w.toPrecision(12));
          else if (labelWidth !== null && Math.abs(w - labelWidth) > 1e-9 * labelWidth) labelWidth = null;
        }
        if (n !== null) {
          if (n < lo) lo = n;
          if (n > hi) hi = n;
        }
        rows.push({ row, n });
      },
      end: () => {
        if (lo > hi) {
          for (const r of rows) next.push(r.row);
          rows.length = 0;
          next.end();
          return;
        }
        if (args.start !== null) lo = Math.min(lo, args.start);
        if (args.end !== null) hi = Math.max(hi, args.end);
        // Without span= or bins=, labels bin or chart wrote keep their width (10-20 stays 10-20, not 10-11).
        const labelSpan: BinSpan | null = !isTime && !args.binsGiven && typeof labelWidth === 'number' ? { kind: 'number', size: labelWidth } : null;
        const span = args.span ?? labelSpan ?? (isTime ? autoTimeSpan(lo, hi, args.bins, null, ctx.tz, 0) : autoNumberSpan(lo, hi, args.bins, null));
        // Each bin as [its start, its value in the field, the next bin's start].
        let binOf: (n: number) => { start: number; value: string | number; next: number } | null;
        if (isTime) {
          const floor = timeBinner(span, ctx.tz, 0);
          // Half a span past a bin's start is inside the next one, whatever days or months of the time zone it crosses.
          const step = spanSeconds(span) * 1.5;
          binOf = (n) => {
            const s = floor(n);
            return Number.isFinite(s) ? { start: s, value: s, next: floor(s + step) } : null;
          };
        } else {
          const range = numberBinner(span);
          binOf = (n) => {
            const r = range(n);
            return r === null ? null : { start: r.start, value: rangeLabel(r), next: range(r.end)?.start ?? Number.NaN };
          };
        }
        const inBin = new Map<number, Result[]>();
        const rest: Result[] = [];
        // The axis runs from the lowest bin to the highest one that hold a value (a value no bin holds, such as 0 or a
        // negative number under a log span, is not on it), widened down to start='s bin.
        let first: ReturnType<typeof binOf> = args.start === null ? null : binOf(args.start);
        let last: ReturnType<typeof binOf> = null;
        for (const { row, n } of rows) {
          const b = n === null ? null : binOf(n);
          if (b === null) {
            rest.push(row);
            continue;
          }
          if (first === null || b.start < first.start) first = b;
          if (last === null || b.start > last.start) last = b;
          row.set(args.field, b.value);
          const list = inBin.get(b.start);
          if (list) list.push(row);
          else inBin.set(b.start, [row]);
        }
        rows.length = 0;
        // The axis runs to the bin of the highest value, and on through the bins starting below end= (end is the axis's
        // upper edge: a bin starting at it would hold no value below it).
        const onAxis = (start: number): boolean => (last !== null && start <= last.start) || (args.end !== null && start < args.end);
        const out: Result[][] = [];
        for (let b = last === null ? null : first, count = 0; b !== null && onAxis(b.start); ) {
          if (++count > MAX_MAKECONTINUOUS_BINS) {
            throw new SplError('SPL_RUNTIME', `makecontinuous: more than ${MAX_MAKECONTINUOUS_BINS.toLocaleString('en-US')} bins from ${lo} to ${hi} (use a larger span= or fewer bins=)`, cmd.nameSpan, ctx.source);
          }
          out.push(inBin.get(b.start) ?? [new Row([[args.field, b.value]])]);
          inBin.delete(b.start);
          // A bound that does not grow (a span below the doubles' precision at this magnitude) ends the axis.
          if (!(b.next > b.start)) break;
          b = binOf(b.next);
        }
        for (const list of out) for (const r of list) next.push(r);
        // Bins the walk did not reach (none, unless the axis ended early) keep their results, in bin order.
        for (const start of [...inBin.keys()].sort((a, b) => a - b)) for (const r of inBin.get(start)!) next.push(r);
        for (const r of rest) next.push(r);
        next.end();
      },
    };
  },
});
