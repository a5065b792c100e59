/**
 * Exact sums of doubles (Shewchuk's non-overlapping partials, as Python's math.fsum): the sum is kept
 * without rounding, so it does not depend on the order of the values, and partial sums of partitions
 * merge into exactly the sum of all values (a search split over partitions, spl/plan/split.ts, gives the
 * one-thread result bit for bit). `value()` rounds once, correctly. Products are added exactly too
 * (Dekker's two-product), for sums of squares. The partials stay short (one or two doubles for usual data).
 */
export class ExactSum {
  /** Non-overlapping partials, increasing magnitude. */
  private p: number[] = [];
  /** Infinities, NaN and overflows, summed plainly (their sum is not finite whatever the order). */
  private special = 0;

  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.special += x;
      return;
    }
    const p = this.p;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j]!;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      if (!Number.isFinite(hi)) {
        // Overflow: what the plain sum gives (an infinity).
        this.special += hi;
        p.length = 0;
        return;
      }
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    p.push(x);
  }

  /** Adds a × b exactly (when the product and its split do not overflow; else the rounded product). */
  addProduct(a: number, b: number): void {
    const prod = a * b;
    const ca = SPLIT * a;
    const cb = SPLIT * b;
    if (!Number.isFinite(prod) || !Number.isFinite(ca) || !Number.isFinite(cb)) {
      this.add(prod);
      return;
    }
    const ah = ca - (ca - a);
    const al = a - ah;
    const bh = cb - (cb - b);
    const bl = b - bh;
    const err = ah * bh - prod + ah * bl + al * bh + al * bl;
    this.add(prod);
    if (err !== 0) this.add(err);
  }

  /** Adds another exact sum (its partials), as if its values had been added here. */
  merge(s: ExactSumState): void {
    for (const x of s.p) this.add(x);
    this.special += s.special;
  }

  /** The sum, correctly rounded (math.fsum's final step). */
  value(): number {
    if (this.special !== 0 || Number.isNaN(this.special)) return this.special;
    const p = this.p;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // Round half to even across the remaining partials: the next one decides a tie.
    if (n > 0 && ((lo < 0 && p[n - 1]! < 0) || (lo > 0 && p[n - 1]! > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }

  /** The partials, as plain data (a partition's share). */
  state(): ExactSumState {
    return { p: this.p.slice(), special: this.special };
  }

  /** The partials themselves (read only), for exact arithmetic on the sum. */
  get partials(): readonly number[] {
    return this.p;
  }

  get nonFinite(): number {
    return this.special;
  }
}

export interface ExactSumState {
  p: number[];
  special: number;
}

/** 2^27 + 1: Dekker's splitter for doubles. */
const SPLIT = 134217729;
