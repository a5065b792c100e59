/**
 * Exact sums of doubles (Shewchuk's non-overlapping partials, as Python's math.fsum): the sum is kept
 * without rounding, so it does not depend on the order of the values, and partial sums of partitions
 * merge into exactly the sum of all values (a search split over partitions, spl/plan/split.ts, gives the
 * one-thread result bit for bit). `value()` rounds once, correctly. Products are added exactly too
 * (Dekker's two-product), for sums of squares. The partials stay short (one or two doubles for usual data).
 * A sum whose partials would pass the largest double (values near 1e308) goes on as an integer count of
 * 2^-1074 (`big`): exact too, so `1e308 + 1e308 - 1e308` is 1e308 whatever the order or the partitions (it
 * was an infinity when the overflow came first, 1e308 when the partition holding the negative one came first).
 */
export class ExactSum {
  /** Non-overlapping partials, increasing magnitude. */
  private p: number[] = [];
  /** Infinities and NaN, summed plainly (their sum is not finite whatever the order). */
  private special = 0;
  /** Once the partials overflowed: the exact sum of the finite values, in units of 2^-1074 (p is then empty). */
  private big: bigint | null = null;

  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.special += x;
      return;
    }
    if (this.big !== null) {
      this.big += unitsOf(x);
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
        // Past the largest double: what is held so far (the partials written, x + y, those not yet visited) in units.
        let big = unitsOf(x) + unitsOf(y);
        for (let k = 0; k < i; k++) big += unitsOf(p[k]!);
        for (let k = j + 1; k < p.length; k++) big += unitsOf(p[k]!);
        this.big = big;
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
    if (s.big !== undefined) this.addUnits(s.big);
    this.special += s.special;
  }

  private addUnits(units: bigint): void {
    let big = units;
    for (const x of this.p) big += unitsOf(x);
    this.p.length = 0;
    this.big = (this.big ?? 0n) + big;
  }

  /** The sum, correctly rounded (math.fsum's final step). */
  value(): number {
    if (this.special !== 0 || Number.isNaN(this.special)) return this.special;
    if (this.big !== null) return roundUnits(this.big, -1074);
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
    return { p: this.p.slice(), special: this.special, ...(this.big !== null ? { big: this.big } : {}) };
  }

  /** The partials themselves (read only), for exact arithmetic on the sum; empty once it `overflowed`. */
  get partials(): readonly number[] {
    return this.p;
  }

  /** Whether the partials passed the largest double: the sum is then `units` (exact, in 2^-1074). */
  get overflowed(): boolean {
    return this.big !== null;
  }

  /** The finite values' exact sum in units of 2^-1074. */
  get units(): bigint {
    let big = this.big ?? 0n;
    for (const x of this.p) big += unitsOf(x);
    return big;
  }

  get nonFinite(): number {
    return this.special;
  }
}

export interface ExactSumState {
  p: number[];
  special: number;
  /** The sum in units of 2^-1074 once it overflowed (ExactSum.big). */
  big?: bigint;
}

const view = new DataView(new ArrayBuffer(8));

/** A finite double as an integer count of 2^-1074 (every double is one). */
export function unitsOf(x: number): bigint {
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp > 0) m = (m | (1n << 52n)) << BigInt(exp - 1);
  return hi >>> 31 ? -m : m;
}

/** `n` × 2^`scale` correctly rounded to a double (half to even; past the largest double, an infinity). */
export function roundUnits(n: bigint, scale: number): number {
  if (n === 0n) return 0;
  const sign = n < 0n ? -1 : 1;
  let a = n < 0n ? -n : n;
  // Below 2^-1022 the spacing is 2^-1074: keep that many bits, else 53 significant bits.
  const bits = a.toString(2).length;
  let shift = Math.max(bits - 53, -1074 - scale);
  if (shift > 0) {
    const s = BigInt(shift);
    const q = a >> s;
    const rem = a - (q << s);
    const half = 1n << (s - 1n);
    a = rem > half || (rem === half && (q & 1n) === 1n) ? q + 1n : q;
  } else shift = 0;
  // a holds at most 54 bits (a carry): exact as a double; the power of two in two steps so neither overflows early.
  const e = scale + shift;
  const e1 = Math.trunc(e / 2);
  return sign * Number(a) * 2 ** e1 * 2 ** (e - e1);
}

/** 2^27 + 1: Dekker's splitter for doubles. */
const SPLIT = 134217729;
