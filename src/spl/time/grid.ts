/**
 * Exact flooring onto a grid `origin + k·step`, for `bin`. Binary floating point cannot do this
 * with a plain `Math.floor(value / step)`: 0.3 / 0.1 is 2.9999999999999996, and any tolerance that
 * hides such noise moves values near a boundary into the next bin. So every number here stands for
 * its decimal value — the shortest decimal that reads back as it, which is how JavaScript prints it
 * (`1795255198.92`, `0.1`) — and the floor is exact on those decimals: 0.3 on a 0.1 grid is 0.3, and
 * 1795255198.92 on a 300 grid is 1795254900.
 *
 * Integers and values with at most six decimals (every epoch: `_time` keeps microseconds) take
 * integer arithmetic on safe integers; other values take the float quotient when it is clearly away
 * from a boundary, and BigInt arithmetic on the decimal digits otherwise.
 */

/** A decimal `coefficient × 10^-scale` (scale ≥ 0). */
export interface Decimal {
  coefficient: bigint;
  scale: number;
}

const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

/** The decimal value of a finite number (its shortest round-trip text, exactly). */
export function toDecimal(x: number): Decimal {
  const m = NUMBER_TEXT.exec(String(x));
  if (m === null) throw new RangeError(`not a finite number: ${x}`);
  const fraction = m[3] ?? '';
  let digits = BigInt(m[2]! + fraction);
  if (m[1] === '-') digits = -digits;
  const exponent = Number(m[4] ?? 0) - fraction.length;
  return exponent >= 0 ? { coefficient: digits * 10n ** BigInt(exponent), scale: 0 } : { coefficient: digits, scale: -exponent };
}

/** The number nearest to a decimal (correctly rounded, as parsing its text would be). */
export function fromDecimal(d: Decimal): number {
  return Number(`${d.coefficient}e-${d.scale}`);
}

/** `d` written with `scale` decimals (scale ≥ d.scale). */
function rescale(d: Decimal, scale: number): bigint {
  return d.coefficient * 10n ** BigInt(scale - d.scale);
}

/** Floor division for BigInt (`/` truncates toward zero). */
export function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Floor division of safe integers (b > 0), corrected for the rounding of the float quotient. */
function floorDivSafe(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/** |value| below this (2^33, the year 2242 as an epoch) keeps a float's 6-decimal reading unique. */
const MICRO_FAST_LIMIT = 2 ** 33;

/** Integer microseconds of `x` when its decimal value has at most six decimals and fits the fast path; else null. */
function exactMicros(x: number): number | null {
  if (!(Math.abs(x) < MICRO_FAST_LIMIT)) return null;
  const m = Math.round(x * 1e6);
  return m / 1e6 === x ? m : null;
}

/** A grid of bins: `origin + k·step` for every integer k (step > 0). */
export interface Grid {
  readonly step: number;
  readonly origin: number;
  readonly stepDecimal: Decimal;
  readonly originDecimal: Decimal;
  /** Step and origin as integer microseconds, when both are whole microseconds. */
  readonly stepMicros: number | null;
  readonly originMicros: number | null;
  /** Whether step and origin are both safe integers. */
  readonly integral: boolean;
}

export function makeGrid(step: number, origin = 0): Grid {
  if (!(step > 0) || !Number.isFinite(step) || !Number.isFinite(origin)) throw new RangeError(`bad grid: step ${step}, origin ${origin}`);
  const stepMicros = exactMicros(step);
  const originMicros = exactMicros(origin);
  return {
    step,
    origin,
    stepDecimal: toDecimal(step),
    originDecimal: toDecimal(origin),
    stepMicros: stepMicros !== null && originMicros !== null && stepMicros > 0 ? stepMicros : null,
    originMicros: stepMicros !== null && originMicros !== null ? originMicros : null,
    integral: Number.isSafeInteger(step) && Number.isSafeInteger(origin),
  };
}

/** The bin [start, end) of `grid` that holds `value` (finite), as numbers nearest to the exact decimal bounds. */
export function floorOnGrid(value: number, grid: Grid): { start: number; end: number } {
  if (grid.integral && Number.isSafeInteger(value)) {
    const offset = value - grid.origin;
    if (Number.isSafeInteger(offset)) {
      const start = grid.origin + floorDivSafe(offset, grid.step) * grid.step;
      const end = start + grid.step;
      if (Number.isSafeInteger(start) && Number.isSafeInteger(end)) return { start, end };
    }
  }
  if (grid.stepMicros !== null) {
    const m = exactMicros(value);
    if (m !== null) {
      const origin = grid.originMicros!;
      const start = origin + floorDivSafe(m - origin, grid.stepMicros) * grid.stepMicros;
      if (Math.abs(start) + grid.stepMicros < Number.MAX_SAFE_INTEGER) return { start: start / 1e6, end: (start + grid.stepMicros) / 1e6 };
    } else {
      // More decimals (computed values): the float quotient decides when it is farther from an integer
      // than its error can be (the operands' own rounding to doubles included, with a wide margin).
      const q = (value - grid.origin) / grid.step;
      const k = Math.floor(q);
      const slack = ((Math.abs(value) + Math.abs(grid.origin)) / grid.step + Math.abs(q)) * 2 ** -50;
      const start = grid.originMicros! + k * grid.stepMicros;
      if (q - k > slack && k + 1 - q > slack && Math.abs(start) + grid.stepMicros < Number.MAX_SAFE_INTEGER) {
        return { start: start / 1e6, end: (start + grid.stepMicros) / 1e6 };
      }
    }
  }
  const v = toDecimal(value);
  const scale = Math.max(v.scale, grid.stepDecimal.scale, grid.originDecimal.scale);
  const step = rescale(grid.stepDecimal, scale);
  const origin = rescale(grid.originDecimal, scale);
  const start = origin + floorDivBig(rescale(v, scale) - origin, step) * step;
  return { start: fromDecimal({ coefficient: start, scale }), end: fromDecimal({ coefficient: start + step, scale }) };
}

/** How many bins of `grid` the closed range [lo, hi] touches (lo ≤ hi). */
export function binsBetween(lo: number, hi: number, grid: Grid): number {
  const a = floorOnGrid(lo, grid).start;
  const b = floorOnGrid(hi, grid).start;
  return Math.round((b - a) / grid.step) + 1;
}
