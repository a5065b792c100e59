import { mv, type FieldValue, type Scalar } from '../../events/value.js';
import { autoTimeSpan, spanSeconds, timeBinner, timeBinsBetween, type Span as BinSpan } from '../time/span.js';
import type { Accumulator, AggregationBlueprint } from './aggregations.js';

/**
 * limits.conf `sparkline_maxsize`: the most elements a sparkline emits (the latest buckets of its range). Each group
 * keeps at most this many non-empty buckets, so a sparkline's memory is bounded whatever the span or the data.
 */
export const SPARKLINE_MAXSIZE = 100;
/** What Splunk's exports give as a sparkline's first value, before its numbers (`##__SPARKLINE__##,0,3,1`). */
export const SPARKLINE_MARKER = '##__SPARKLINE__##';
/** Whether a value is a sparkline (its first value the marker). */
export function isSparkline(v: FieldValue | null): boolean {
  return Array.isArray(v) && v[0] === SPARKLINE_MARKER;
}
/** The functions a sparkline aggregates with (Search Reference, stats, "Sparkline function options"). */
export const SPARKLINE_FUNCTIONS: ReadonlySet<string> = new Set(['c', 'count', 'dc', 'mean', 'avg', 'stdev', 'stdevp', 'var', 'varp', 'sum', 'sumsq', 'min', 'max', 'range']);

/** `sparkline(<fn>(<field>), <span>)` of an aggregation spec: the function per bucket and the span given, if any. */
export interface SparklineSpec {
  inner: AggregationBlueprint;
  span: BinSpan | null;
}

/** What the search gives every sparkline of a command: its time zone and time range (null: all time). */
export interface SparklineFrame {
  tz: string;
  range: { lo: number; hi: number } | null;
}

/** A group's sparkline as plain data: its span, the range of its times and its buckets' states. */
export interface SparklineState {
  span: BinSpan | null;
  lo: number;
  hi: number;
  buckets: [number, unknown][];
}

/** The x-axis the groups' sparklines share when emitted (Aggregator.prepare). */
export interface SparklineAxis {
  span: BinSpan;
  first: number;
  last: number;
}

/**
 * One group's sparkline: the inner function's accumulator per time bucket. The span is the one given, else the
 * search's time range in at most SPARKLINE_MAXSIZE buckets of the time ladder (timechart's), else (all time) that of
 * the group's own times, coarsened as they spread (ladder spans nest: a bucket's state is merged into the coarser
 * bucket holding it). Partial states merge (the inner functions all do), so partitions give what one pass gives.
 */
export class Sparkline implements Accumulator {
  private span: BinSpan | null;
  private bin: (t: number) => number = (t) => t;
  private buckets = new Map<number, Accumulator>();
  private lo = Infinity;
  private hi = -Infinity;
  /** Set by `share` before the results are read: every group's sparkline on one axis. */
  private axis: SparklineAxis | null = null;

  constructor(
    private readonly spec: SparklineSpec,
    private readonly frame: SparklineFrame,
  ) {
    this.span = spec.span ?? (frame.range ? autoTimeSpan(frame.range.lo, frame.range.hi, SPARKLINE_MAXSIZE, null, frame.tz) : null);
    if (this.span !== null) this.bin = timeBinner(this.span, frame.tz);
  }

  /** Whether the span follows the data (no span given, no time range). */
  private get follows(): boolean {
    return this.spec.span === null && this.frame.range === null;
  }

  add(v: Scalar, t: number | null): void {
    if (t === null || !Number.isFinite(t)) return;
    if (t < this.lo || t > this.hi) this.widen(Math.min(t, this.lo), Math.max(t, this.hi));
    const b = this.bin(t);
    let acc = this.buckets.get(b);
    if (acc === undefined) {
      acc = this.spec.inner.create();
      this.buckets.set(b, acc);
      if (this.buckets.size > SPARKLINE_MAXSIZE) this.dropOldest();
    }
    acc.add(v, t);
  }

  /** The group's times now span [lo, hi]: a data-following span coarsens to hold them in SPARKLINE_MAXSIZE buckets. */
  private widen(lo: number, hi: number): void {
    this.lo = lo;
    this.hi = hi;
    if (!this.follows) return;
    const span = autoTimeSpan(lo, hi, SPARKLINE_MAXSIZE, null, this.frame.tz);
    if (this.span === null || spanSeconds(span) > spanSeconds(this.span)) this.rebin(span);
  }

  private rebin(span: BinSpan): void {
    this.span = span;
    this.bin = timeBinner(span, this.frame.tz);
    const old = this.buckets;
    this.buckets = new Map();
    for (const [start, acc] of old) {
      const b = this.bin(start);
      const into = this.buckets.get(b);
      if (into === undefined) this.buckets.set(b, acc);
      else into.merge!(acc.partial!());
    }
    while (this.buckets.size > SPARKLINE_MAXSIZE) this.dropOldest();
  }

  /**
   * Past SPARKLINE_MAXSIZE buckets the oldest goes: only the latest SPARKLINE_MAXSIZE bucket positions of the axis are
   * emitted, and they end at or after this group's newest bucket, so they hold no older bucket than its latest 100.
   */
  private dropOldest(): void {
    let oldest = Infinity;
    for (const k of this.buckets.keys()) if (k < oldest) oldest = k;
    this.buckets.delete(oldest);
  }

  /** The range of this group's times (lo > hi: none). */
  get range(): { lo: number; hi: number } {
    return { lo: this.lo, hi: this.hi };
  }

  /**
   * The axis all groups share, from their ranges (live `range`s or partial states): the search's time range (data
   * outside it is not drawn), else the range of every group's times on the span they need together (coarser than or
   * equal to each group's: they re-bucket to it).
   */
  static axis(ranges: Iterable<{ lo: number; hi: number }>, spec: SparklineSpec, frame: SparklineFrame): SparklineAxis | null {
    let lo = Infinity;
    let hi = -Infinity;
    if (frame.range !== null) ({ lo, hi } = frame.range);
    else {
      for (const r of ranges) {
        lo = Math.min(lo, r.lo);
        hi = Math.max(hi, r.hi);
      }
      if (lo > hi) return null;
    }
    const span = spec.span ?? autoTimeSpan(lo, hi, SPARKLINE_MAXSIZE, null, frame.tz);
    const bin = timeBinner(span, frame.tz);
    return { span, first: bin(lo), last: bin(hi) };
  }

  share(axis: SparklineAxis | null): void {
    this.axis = axis;
    if (axis !== null && this.span !== null && spanSeconds(axis.span) > spanSeconds(this.span)) this.rebin(axis.span);
  }

  result(): FieldValue | null {
    const axis = this.axis ?? Sparkline.axis([this.range], this.spec, this.frame);
    if (axis === null) return mv([SPARKLINE_MARKER]);
    if (this.span === null || spanSeconds(axis.span) > spanSeconds(this.span)) this.rebin(axis.span);
    const { tz } = this.frame;
    const total = timeBinsBetween(axis.first, axis.last, axis.span, tz, 0);
    const n = Math.min(total, SPARKLINE_MAXSIZE);
    const skip = total - n;
    const values: Scalar[] = new Array<Scalar>(n).fill(0);
    for (const [start, acc] of this.buckets) {
      if (start < axis.first || start > axis.last) continue;
      const i = timeBinsBetween(axis.first, start, axis.span, tz, 0) - 1 - skip;
      const r = acc.result();
      if (i >= 0 && typeof r === 'number') values[i] = r;
    }
    return mv([SPARKLINE_MARKER, ...values]);
  }

  partial(): SparklineState {
    return { span: this.span, lo: this.lo, hi: this.hi, buckets: [...this.buckets].map(([b, acc]) => [b, acc.partial!()]) };
  }

  merge(p: SparklineState): void {
    if (p.buckets.length === 0 && p.lo > p.hi) return;
    if (p.span !== null && (this.span === null || spanSeconds(p.span) > spanSeconds(this.span))) this.rebin(p.span);
    if (p.lo < this.lo || p.hi > this.hi) this.widen(Math.min(p.lo, this.lo), Math.max(p.hi, this.hi));
    for (const [start, state] of p.buckets) {
      const b = this.bin(start);
      let acc = this.buckets.get(b);
      if (acc === undefined) {
        acc = this.spec.inner.create();
        this.buckets.set(b, acc);
      }
      acc.merge!(state);
    }
    while (this.buckets.size > SPARKLINE_MAXSIZE) this.dropOldest();
  }
}

/** The blueprint a sparkline spec carries (never created by it: Aggregator builds a Sparkline with its frame). */
export function sparklineBlueprint(inner: AggregationBlueprint): AggregationBlueprint {
  return {
    name: 'sparkline',
    doc: `sparkline(${inner.name}(X), <span>): ${inner.name} per time bucket, as a multivalue of ${SPARKLINE_MARKER} then the numbers.`,
    create: () => {
      throw new Error('a sparkline accumulator needs its frame (Aggregator)');
    },
    merge: true,
  };
}

/** The default time range of a command's sparklines: the search's, as timechart takes it (earliest to latest, or now). */
export function sparklineFrame(ctx: { tz: string; earliest: number | null; latest: number | null; now: number }): SparklineFrame {
  if (ctx.earliest === null) return { tz: ctx.tz, range: null };
  const latest = Math.max(ctx.earliest, ctx.latest ?? ctx.now);
  return { tz: ctx.tz, range: { lo: ctx.earliest, hi: latest > ctx.earliest ? latest - 1e-6 : latest } };
}
