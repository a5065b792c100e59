import { toNumber, toText } from '../../../events/value.js';
import { scalarOf, type EvalValue } from '../value.js';
import { codePointLength, codePointPrefix } from './helpers.js';

/**
 * Splunk's printf(): C sprintf with the conversions and flags of the Search Reference
 * ("Conversion functions"): %d %i %u %o %x %X %p %e %E %f %F %g %G %a %A %c %s %z %%, flags
 * ' - 0 + space #, width and precision (numbers or `*`). Unsupported per the docs: %n, %C, %S,
 * %N$ — they are copied literally.
 *
 * Argument decisions (Splunk does not document them): a missing or null argument prints as 0 for a
 * numeric conversion and as "" for %s; a non-numeric value for a numeric conversion also prints as 0;
 * %d/%i/%u/%o/%x of a fractional number truncate it; %u/%o/%x of a negative number use its 64-bit
 * two's complement, as C does with a long.
 */

interface Spec {
  flags: string;
  width: number | null;
  precision: number | null;
  conv: string;
}

const SPEC = /%([-+ #0']*)(\*|\d+)?(?:\.(\*|\d*))?([diuoxXpeEfFgGaAcsz%])/y;

export function sprintf(format: string, args: readonly EvalValue[]): string {
  let out = '';
  let next = 0;
  const take = (): EvalValue => (next < args.length ? (args[next++] ?? null) : null);
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    SPEC.lastIndex = pct;
    const m = SPEC.exec(format);
    if (!m) {
      // An unsupported or incomplete specifier is copied as text.
      out += '%';
      i = pct + 1;
      continue;
    }
    i = SPEC.lastIndex;
    const conv = m[4]!;
    if (conv === '%') {
      out += '%';
      continue;
    }
    let flags = m[1] ?? '';
    let width: number | null = null;
    if (m[2] === '*') {
      const w = intArg(take());
      // A negative `*` width means left-justify, as in C.
      if (w < 0) flags += '-';
      width = Math.abs(w);
    } else if (m[2] !== undefined) width = Number(m[2]);
    let precision: number | null = null;
    if (m[3] === '*') {
      const p = intArg(take());
      precision = p < 0 ? null : p;
    } else if (m[3] !== undefined) precision = m[3] === '' ? 0 : Number(m[3]);
    out += formatOne({ flags, width, precision, conv }, take());
  }
  return out;
}

function intArg(v: EvalValue): number {
  const s = scalarOf(v);
  const n = typeof s === 'boolean' || s === null ? null : toNumber(s);
  return n === null ? 0 : Math.trunc(n);
}

function numArg(v: EvalValue): number {
  const s = scalarOf(v);
  if (typeof s === 'boolean') return s ? 1 : 0;
  const n = s === null ? null : toNumber(s);
  return n === null ? 0 : n;
}

function textArg(v: EvalValue): string {
  const s = scalarOf(v);
  if (s === null) return '';
  if (typeof s === 'boolean') return s ? 'true' : 'false';
  return toText(s);
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function formatOne(spec: Spec, arg: EvalValue): string {
  const { flags, precision, conv } = spec;
  switch (conv) {
    case 's':
    case 'z': {
      let t = textArg(arg);
      if (precision !== null) t = codePointPrefix(t, precision);
      return pad(spec, '', t, false);
    }
    case 'c': {
      const s = scalarOf(arg);
      let ch = '';
      if (typeof s === 'number') ch = Number.isInteger(s) && s >= 0 && s <= 0x10ffff ? String.fromCodePoint(s) : '';
      else if (typeof s === 'string') ch = codePointPrefix(s, 1);
      return pad(spec, '', ch, false);
    }
    case 'd':
    case 'i': {
      const n = Math.trunc(numArg(arg));
      const sign = n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
      let digits = intDigits(Math.abs(n), precision);
      if (flags.includes("'")) digits = groupThousands(digits);
      return pad(spec, sign, digits, precision === null);
    }
    case 'u':
    case 'o':
    case 'x':
    case 'X':
    case 'p': {
      const n = Math.trunc(numArg(arg));
      const big = n < 0 ? BigInt.asUintN(64, BigInt(n)) : BigInt(n);
      const radix = conv === 'u' ? 10 : conv === 'o' ? 8 : 16;
      let digits = big.toString(radix);
      if (conv === 'X' || conv === 'p') digits = digits.toUpperCase();
      if (precision !== null) digits = precision === 0 && big === 0n ? '' : digits.padStart(precision, '0');
      let prefix = '';
      if (flags.includes('#')) {
        if (conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
        if ((conv === 'x' || conv === 'X') && big !== 0n) prefix = conv === 'x' ? '0x' : '0X';
      }
      if (conv === 'u' && flags.includes("'")) digits = groupThousands(digits);
      return pad(spec, prefix, digits, precision === null);
    }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
    case 'a':
    case 'A': {
      const n = numArg(arg);
      const negative = n < 0 || Object.is(n, -0);
      const sign = negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
      const body = floatBody(Math.abs(n), spec);
      const upper = conv === 'F' || conv === 'E' || conv === 'G' || conv === 'A';
      return pad(spec, sign, upper ? body.toUpperCase() : body, Number.isFinite(n));
    }
    default:
      return '';
  }
}

function intDigits(n: number, precision: number | null): string {
  const digits = n >= 1e21 ? BigInt(n).toString() : n.toFixed(0);
  if (precision === null) return digits;
  if (precision === 0 && n === 0) return '';
  return digits.padStart(precision, '0');
}

/** toFixed/toExponential take at most 100 decimals, and round an exact half up: then the digits come from `exactDecimal`. */
const JS_MAX_DECIMALS = 100;

/**
 * A non-negative finite double as exact decimal digits: x = digits × 10^-scale (a double is m × 2^e, and
 * m / 2^n = m × 5^n / 10^n), so any precision prints the value's own digits, then zeros, as C does.
 */
function exactDecimal(x: number): { digits: string; scale: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const rawExp = Number((bits >> 52n) & 0x7ffn);
  const mant = (bits & ((1n << 52n) - 1n)) | (rawExp === 0 ? 0n : 1n << 52n);
  const e = (rawExp === 0 ? 1 : rawExp) - 1075;
  return e >= 0 ? { digits: (mant << BigInt(e)).toString(), scale: 0 } : { digits: (mant * 5n ** BigInt(-e)).toString(), scale: -e };
}

/**
 * The first `n` digits of `digits` (all of a value's exact digits) rounded at the next one, an exact half to even as
 * glibc does (printf("%.0f", 2.5) is 2, "%.1f" of 0.25 is 0.2; JS's toFixed/toExponential round it up); the carry may
 * add a digit.
 */
function roundDigits(digits: string, n: number): string {
  if (digits.length <= n) return digits;
  // Below half a unit of the last kept place.
  if (n < 0) return '0';
  const head = BigInt(digits.slice(0, n) || '0');
  const next = digits.charCodeAt(n) - 48;
  const up = next > 5 || (next === 5 && (/[1-9]/.test(digits.slice(n + 1)) || head % 2n === 1n));
  return (up ? head + 1n : head).toString();
}

/**
 * Whether x × 10^q (x >= 0) may be exactly an integer and a half, where toFixed/toExponential round up and C to even
 * (a false true only costs the exact digits). 10^q = 2^q × 5^q, so for q >= 0 it is when x is an odd multiple of
 * 2^-(q+1) (scaling by a power of two is exact); for q < 0 when 2x is an odd multiple of 10^-q.
 */
function exactHalf(x: number, q: number): boolean {
  if (q >= 0) {
    const halves = x * 2 ** (q + 1);
    return Number.isInteger(halves) && halves % 2 === 1;
  }
  const twice = 2 * x;
  if (twice > 2 ** 53) return true;
  const k = twice / 10 ** -q;
  return Number.isInteger(k) && k % 2 === 1;
}

/** x.toFixed(p) for any p, an exact half rounded to even. */
function toFixedAny(x: number, p: number): string {
  if (p <= JS_MAX_DECIMALS && !exactHalf(x, p)) return x.toFixed(p);
  const { digits, scale } = exactDecimal(x);
  // x × 10^p as an integer: the digits with zeros appended, or rounded where the exact ones stop mattering.
  const n = scale <= p ? (digits === '0' ? '0' : digits + '0'.repeat(p - scale)) : roundDigits(digits, digits.length - (scale - p));
  const s = n.padStart(p + 1, '0');
  return p === 0 ? s : `${s.slice(0, s.length - p)}.${s.slice(s.length - p)}`;
}

/** x.toExponential(p) for any p (mantissa `d.ddd`, exponent `e±N`), an exact half rounded to even. */
function toExponentialAny(x: number, p: number): string {
  if (x === 0) return `0${p > 0 ? '.' + '0'.repeat(p) : ''}e+0`;
  if (p <= JS_MAX_DECIMALS) {
    // Its exponent is x's own unless rounding carried (9.5 to 1e+1), which only an odd 9 does: then C rounds up too.
    const r = x.toExponential(p);
    if (!exactHalf(x, p - Number(r.slice(r.indexOf('e') + 1)))) return r;
  }
  const { digits, scale } = exactDecimal(x);
  let exp = digits.length - 1 - scale;
  let m = roundDigits(digits, p + 1);
  if (m.length > p + 1) {
    exp++;
    m = m.slice(0, p + 1);
  }
  m = m.padEnd(p + 1, '0');
  return `${m[0]}${p > 0 ? '.' + m.slice(1) : ''}e${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
}

/** C's %e body for a non-negative finite number: mantissa with `p` decimals, exponent with at least 2 digits. */
function expForm(x: number, p: number, alt: boolean): string {
  const [mant, exp] = toExponentialAny(x, p).split('e') as [string, string];
  const e = Number(exp);
  const m = alt && p === 0 ? mant + '.' : mant;
  return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function fixedForm(x: number, p: number, alt: boolean, group: boolean): string {
  let s = x >= 1e21 ? BigInt(Math.round(x)).toString() + (p > 0 ? '.' + '0'.repeat(p) : '') : toFixedAny(x, p);
  if (group) {
    const [int, frac] = s.split('.') as [string, string | undefined];
    s = groupThousands(int) + (frac !== undefined ? '.' + frac : '');
  }
  return alt && p === 0 ? s + '.' : s;
}

function floatBody(x: number, spec: Spec): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return 'inf';
  const alt = spec.flags.includes('#');
  const group = spec.flags.includes("'");
  switch (spec.conv.toLowerCase()) {
    case 'f':
      return fixedForm(x, spec.precision ?? 6, alt, group);
    case 'e':
      return expForm(x, spec.precision ?? 6, alt);
    case 'g': {
      let p = spec.precision ?? 6;
      if (p === 0) p = 1;
      const exp = x === 0 ? 0 : Number(toExponentialAny(x, p - 1).split('e')[1]);
      let s = exp < -4 || exp >= p ? expForm(x, p - 1, alt) : fixedForm(x, p - 1 - exp, alt, group);
      if (!alt) {
        // %g drops trailing zeros (and a bare decimal point) from the fraction.
        s = s.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
      }
      return s;
    }
    default:
      return hexFloat(x, spec.precision, alt);
  }
}

/** %a: 0x1.<hex mantissa>p<exp>, like glibc (normalized numbers; subnormals as 0x0.…). */
function hexFloat(x: number, precision: number | null, alt: boolean): string {
  if (x === 0) return `0x0${precision ? '.' + '0'.repeat(precision) : alt ? '.' : ''}p+0`;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const rawExp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let lead = rawExp === 0 ? 0n : 1n;
  let exp = rawExp === 0 ? -1022 : rawExp - 1023;
  let digits = 13;
  if (precision !== null && precision < 13) {
    // Round the 52-bit mantissa to `precision` hex digits, half to even like glibc.
    const drop = BigInt((13 - precision) * 4);
    const half = 1n << (drop - 1n);
    const rest = mant & ((1n << drop) - 1n);
    mant >>= drop;
    if (rest > half || (rest === half && (mant & 1n) === 1n)) mant += 1n;
    if (mant >> BigInt(precision * 4) !== 0n) {
      mant &= (1n << BigInt(precision * 4)) - 1n;
      lead += 1n;
    }
    digits = precision;
  }
  if (lead === 2n) {
    lead = 1n;
    exp += 1;
  }
  let hex = digits === 0 ? '' : mant.toString(16).padStart(digits, '0');
  if (precision === null) hex = hex.replace(/0+$/, '');
  else if (precision > 13) hex = hex.padEnd(precision, '0');
  const frac = hex === '' ? (alt ? '.' : '') : '.' + hex;
  return `0x${lead}${frac}p${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
}

/** Applies width: left-justify with `-`, zero-pad numbers with `0` (after the sign/prefix), else spaces. */
function pad(spec: Spec, prefix: string, body: string, zeroOk: boolean): string {
  const width = spec.width ?? 0;
  // Only a width needs the length, counted without an array of the text's code points.
  if (width === 0) return prefix + body;
  const len = codePointLength(prefix) + codePointLength(body);
  if (len >= width) return prefix + body;
  const fill = width - len;
  if (spec.flags.includes('-')) return prefix + body + ' '.repeat(fill);
  if (zeroOk && spec.flags.includes('0')) return prefix + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + prefix + body;
}
