import { compareText, finite, toNumber, toText, mv, type FieldValue, type Scalar } from '../../events/value.js';
import { compareNumbersFirst } from '../eval/compare.js';
import { LIST_LIMIT, nearestRank, percentileOf, variance } from './aggregations.js';
import { ExactSum } from './exact-sum.js';
import type { AggregationSpec } from './parse.js';

/**
 * Sliding-window forms of the stats functions, for streamstats' `window=`/`time_window=` (commands/streamstats.ts):
 * a result entering a window adds its values (`push`), the oldest leaving removes them (`shift`, always the
 * oldest pushed), so a row costs O(1) amortized per function instead of a recomputation over the window. Each
 * gives exactly what the function's accumulator (aggregations.ts) fed the window's values in order gives.
 * `exact()` false: this window's result cannot be had incrementally now (a sum near overflow), the caller
 * recomputes it.
 */
export interface WindowFunction {
  push(values: readonly Scalar[], time: number | null): void;
  shift(values: readonly Scalar[], time: number | null): void;
  result(): FieldValue | null;
  exact(): boolean;
}

/** A first-in first-out queue: an array and the index of its head, compacted as the head moves on. */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head]!;
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
  first(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }
  last(): T | undefined {
    return this.head < this.items.length ? this.items[this.items.length - 1] : undefined;
  }
  popLast(): T | undefined {
    return this.head < this.items.length ? this.items.pop() : undefined;
  }
  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i]!;
  }
}

const numberOf = (v: Scalar): number | null => (typeof v === 'number' ? v : toNumber(v));

class WCount implements WindowFunction {
  private n = 0;
  push(vs: readonly Scalar[]): void {
    this.n += vs.length;
  }
  shift(vs: readonly Scalar[]): void {
    this.n -= vs.length;
  }
  result(): number {
    return this.n;
  }
  exact(): boolean {
    return true;
  }
}

/**
 * sum/sumsq/avg as an exact sum that a leaving value is subtracted from exactly (ExactSum of its negation), so
 * the rounded sum is the one the remaining values give. Infinities and overflows are not reversible (ExactSum
 * keeps them apart): while the window holds a value that could reach them (|x| >= 2^480, squares included:
 * a window of 2^479 such values stays finite), it reports itself inexact.
 */
class WSum implements WindowFunction {
  private s = new ExactSum();
  private c = 0;
  private big = 0;
  constructor(private readonly what: 'sum' | 'sumsq' | 'avg') {}
  private each(vs: readonly Scalar[], sign: 1 | -1): void {
    for (const v of vs) {
      const n = numberOf(v);
      if (n === null) continue;
      this.c += sign;
      if (!(Math.abs(n) < BIG)) this.big += sign;
      else if (this.what === 'sumsq') this.s.addProduct(sign * n, n);
      else this.s.add(sign * n);
    }
  }
  push(vs: readonly Scalar[]): void {
    this.each(vs, 1);
  }
  shift(vs: readonly Scalar[]): void {
    this.each(vs, -1);
    if (this.c === 0) this.s = new ExactSum();
  }
  result(): number | null {
    if (this.c === 0) return null;
    return finite(this.what === 'avg' ? this.s.value() / this.c : this.s.value());
  }
  exact(): boolean {
    return this.big === 0;
  }
}
const BIG = 2 ** 480;

/** min/max: a monotonic queue of the values that can still be best (Sliding window maximum); ties keep the earliest, as MinMax does. */
class WMinMax implements WindowFunction {
  private readonly q = new Fifo<{ i: number; v: Scalar }>();
  private pushed = 0;
  private shifted = 0;
  constructor(private readonly sign: 1 | -1) {}
  push(vs: readonly Scalar[]): void {
    for (const v of vs) {
      const val: Scalar = numberOf(v) ?? v;
      for (let b = this.q.last(); b !== undefined && this.sign * compareNumbersFirst(val, b.v) > 0; b = this.q.last()) this.q.popLast();
      this.q.push({ i: this.pushed++, v: val });
    }
  }
  shift(vs: readonly Scalar[]): void {
    this.shifted += vs.length;
    for (let f = this.q.first(); f !== undefined && f.i < this.shifted; f = this.q.first()) this.q.shift();
  }
  result(): Scalar | null {
    return this.q.first()?.v ?? null;
  }
  exact(): boolean {
    return true;
  }
}

/** first/last: the values of the window's results that have some, oldest first. */
class WEnd implements WindowFunction {
  private readonly q = new Fifo<readonly Scalar[]>();
  constructor(private readonly last: boolean) {}
  push(vs: readonly Scalar[]): void {
    if (vs.length > 0) this.q.push(vs);
  }
  shift(vs: readonly Scalar[]): void {
    if (vs.length > 0) this.q.shift();
  }
  result(): Scalar | null {
    const vs = this.last ? this.q.last() : this.q.first();
    return vs === undefined ? null : vs[this.last ? vs.length - 1 : 0]!;
  }
  exact(): boolean {
    return true;
  }
}

/**
 * dc/values: a count per distinct text, and for values() the texts kept in byte order (compareText, sortTexts'
 * order) by binary search as they come and go: a row's output is a copy of them, O(distinct), never a sort.
 */
class WDistinct implements WindowFunction {
  private readonly counts = new Map<string, number>();
  private readonly sorted: string[] = [];
  constructor(private readonly list: boolean) {}
  private at(t: string): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareText(this.sorted[mid]!, t) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  push(vs: readonly Scalar[]): void {
    for (const v of vs) {
      const t = typeof v === 'string' ? v : toText(v);
      const n = this.counts.get(t);
      this.counts.set(t, (n ?? 0) + 1);
      if (n === undefined && this.list) this.sorted.splice(this.at(t), 0, t);
    }
  }
  shift(vs: readonly Scalar[]): void {
    for (const v of vs) {
      const t = typeof v === 'string' ? v : toText(v);
      const n = this.counts.get(t)!;
      if (n > 1) this.counts.set(t, n - 1);
      else {
        this.counts.delete(t);
        if (this.list) this.sorted.splice(this.at(t), 1);
      }
    }
  }
  result(): FieldValue | null {
    return this.list ? mv(this.sorted.slice()) : this.counts.size;
  }
  exact(): boolean {
    return true;
  }
}

/** range: the window's smallest and largest numbers (monotonic queues); an infinity, which those order as text, is recomputed. */
class WRange implements WindowFunction {
  private readonly lo = new WMinMax(-1);
  private readonly hi = new WMinMax(1);
  private odd = 0;
  private numbers(vs: readonly Scalar[], sign: 1 | -1): number[] {
    const ns: number[] = [];
    for (const v of vs) {
      const n = numberOf(v);
      if (n === null) continue;
      if (!Number.isFinite(n)) this.odd += sign;
      ns.push(n);
    }
    return ns;
  }
  push(vs: readonly Scalar[]): void {
    const ns = this.numbers(vs, 1);
    this.lo.push(ns);
    this.hi.push(ns);
  }
  shift(vs: readonly Scalar[]): void {
    const ns = this.numbers(vs, -1);
    this.lo.shift(ns);
    this.hi.shift(ns);
  }
  result(): number | null {
    const lo = this.lo.result();
    return lo === null ? null : finite((this.hi.result() as number) - (lo as number));
  }
  exact(): boolean {
    return this.odd === 0;
  }
}

/** stdev/stdevp/var/varp: the exact sums of the values and of their squares, a leaving value subtracted exactly (as WSum). */
class WVariance implements WindowFunction {
  private n = 0;
  private s1 = new ExactSum();
  private s2 = new ExactSum();
  private big = 0;
  constructor(
    private readonly sample: boolean,
    private readonly sqrt: boolean,
  ) {}
  private each(vs: readonly Scalar[], sign: 1 | -1): void {
    for (const v of vs) {
      const x = numberOf(v);
      if (x === null) continue;
      this.n += sign;
      if (!(Math.abs(x) < BIG)) this.big += sign;
      else {
        this.s1.add(sign * x);
        this.s2.addProduct(sign * x, x);
      }
    }
  }
  push(vs: readonly Scalar[]): void {
    this.each(vs, 1);
  }
  shift(vs: readonly Scalar[]): void {
    this.each(vs, -1);
    if (this.n === 0) {
      this.s1 = new ExactSum();
      this.s2 = new ExactSum();
    }
  }
  result(): number | null {
    return variance(this.n, this.s1, this.s2, this.sample, this.sqrt);
  }
  exact(): boolean {
    return this.big === 0;
  }
}

/**
 * earliest/latest (the value) and earliest_time/latest_time (the time): a monotonic queue of the results that can
 * still have the best time, each with the first of its values (ByTime: only a strictly better time wins).
 */
class WByTime implements WindowFunction {
  private readonly q = new Fifo<{ i: number; t: number; v: Scalar }>();
  private pushed = 0;
  private shifted = 0;
  constructor(
    private readonly sign: 1 | -1,
    private readonly value: boolean,
  ) {}
  push(vs: readonly Scalar[], t: number | null): void {
    if (vs.length === 0 || t === null) return;
    for (let b = this.q.last(); b !== undefined && this.sign * (t - b.t) > 0; b = this.q.last()) this.q.popLast();
    this.q.push({ i: this.pushed++, t, v: vs[0]! });
  }
  shift(vs: readonly Scalar[], t: number | null): void {
    if (vs.length === 0 || t === null) return;
    this.shifted++;
    for (let f = this.q.first(); f !== undefined && f.i < this.shifted; f = this.q.first()) this.q.shift();
  }
  result(): Scalar | null {
    const f = this.q.first();
    return f === undefined ? null : this.value ? f.v : f.t;
  }
  exact(): boolean {
    return true;
  }
}

/** list: the window's first LIST_LIMIT values, read from the queue of its results' values (each non-empty). */
class WList implements WindowFunction {
  private readonly q = new Fifo<readonly Scalar[]>();
  push(vs: readonly Scalar[]): void {
    if (vs.length > 0) this.q.push(vs);
  }
  shift(vs: readonly Scalar[]): void {
    if (vs.length > 0) this.q.shift();
  }
  result(): FieldValue | null {
    const out: Scalar[] = [];
    for (const vs of this.q) {
      for (const v of vs) {
        if (out.length === LIST_LIMIT) return mv(out);
        out.push(v);
      }
    }
    return mv(out);
  }
  exact(): boolean {
    return true;
  }
}

/**
 * median/perc<N>: the window's numbers kept sorted (binary search, then an insertion or removal that moves up to
 * the window's size of them: O(window) per result, a memory move, not a sort), read by nearest rank.
 */
class WPercentile implements WindowFunction {
  private readonly xs: number[] = [];
  private odd = 0;
  constructor(private readonly p: number) {}
  private at(x: number): number {
    let lo = 0;
    let hi = this.xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.xs[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  push(vs: readonly Scalar[]): void {
    for (const v of vs) {
      const n = numberOf(v);
      if (n === null) continue;
      // NaN has no place in a sorted order: such a window is recomputed.
      if (Number.isNaN(n)) this.odd++;
      else this.xs.splice(this.at(n), 0, n);
    }
  }
  shift(vs: readonly Scalar[]): void {
    for (const v of vs) {
      const n = numberOf(v);
      if (n === null) continue;
      if (Number.isNaN(n)) this.odd--;
      else this.xs.splice(this.at(n), 1);
    }
  }
  result(): number | null {
    return this.xs.length === 0 ? null : nearestRank(this.xs, this.p);
  }
  exact(): boolean {
    return this.odd === 0;
  }
}

/**
 * mode: each distinct text's occurrences in the window (their order and first value); the result scans the distinct
 * texts for the most frequent, ties to the one whose first occurrence is oldest, as Mode's first-seen rule gives:
 * O(distinct values in the window) per result.
 */
class WMode implements WindowFunction {
  private readonly seen = new Map<string, Fifo<{ i: number; v: Scalar }>>();
  private pushed = 0;
  push(vs: readonly Scalar[]): void {
    for (const v of vs) {
      const k = toText(v);
      let q = this.seen.get(k);
      if (!q) this.seen.set(k, (q = new Fifo()));
      q.push({ i: this.pushed++, v });
    }
  }
  shift(vs: readonly Scalar[]): void {
    for (const v of vs) {
      const k = toText(v);
      const q = this.seen.get(k)!;
      q.shift();
      if (q.length === 0) this.seen.delete(k);
    }
  }
  result(): Scalar | null {
    let best: Fifo<{ i: number; v: Scalar }> | null = null;
    for (const q of this.seen.values()) if (best === null || q.length > best.length || (q.length === best.length && q.first()!.i < best.first()!.i)) best = q;
    return best === null ? null : best.first()!.v;
  }
  exact(): boolean {
    return true;
  }
}

/** allnum=true: no result while the window holds a value that is not a number (AllNumbers). */
class WAllNumbers implements WindowFunction {
  private mixed = 0;
  constructor(private readonly inner: WindowFunction) {}
  private numbers(vs: readonly Scalar[]): readonly Scalar[] {
    return vs.every((v) => numberOf(v) !== null) ? vs : vs.filter((v) => numberOf(v) !== null);
  }
  push(vs: readonly Scalar[], t: number | null): void {
    const ns = this.numbers(vs);
    this.mixed += vs.length - ns.length;
    this.inner.push(ns, t);
  }
  shift(vs: readonly Scalar[], t: number | null): void {
    const ns = this.numbers(vs);
    this.mixed -= vs.length - ns.length;
    this.inner.shift(ns, t);
  }
  result(): FieldValue | null {
    return this.mixed > 0 ? null : this.inner.result();
  }
  exact(): boolean {
    return this.inner.exact();
  }
}

/** The window form of an aggregation, or null for a function without one (streamstats then recomputes it for each row). */
export function windowFunction(spec: AggregationSpec): (() => WindowFunction) | null {
  const make = plain(spec.blueprint.name);
  if (make === null) return null;
  return spec.allnum === true && spec.blueprint.numeric === true ? () => new WAllNumbers(make()) : make;
}

function plain(name: string): (() => WindowFunction) | null {
  switch (name) {
    case 'count':
      return () => new WCount();
    case 'sum':
    case 'sumsq':
    case 'avg':
      return () => new WSum(name);
    case 'min':
      return () => new WMinMax(-1);
    case 'max':
      return () => new WMinMax(1);
    case 'first':
      return () => new WEnd(false);
    case 'last':
      return () => new WEnd(true);
    case 'dc':
      return () => new WDistinct(false);
    case 'values':
      return () => new WDistinct(true);
    case 'range':
      return () => new WRange();
    case 'stdev':
      return () => new WVariance(true, true);
    case 'stdevp':
      return () => new WVariance(false, true);
    case 'var':
      return () => new WVariance(true, false);
    case 'varp':
      return () => new WVariance(false, false);
    case 'earliest':
      return () => new WByTime(-1, true);
    case 'latest':
      return () => new WByTime(1, true);
    case 'earliest_time':
      return () => new WByTime(-1, false);
    case 'latest_time':
      return () => new WByTime(1, false);
    case 'list':
      return () => new WList();
    case 'mode':
      return () => new WMode();
    default: {
      const p = percentileOf(name);
      return p === null ? null : () => new WPercentile(p);
    }
  }
}
