import type { EvalFunction } from './types.js';
import { finite, toNumber, toText } from '../../../events/value.js';
import { isMv, numberOf, scalarOf, type EvalValue } from '../value.js';
import { compileAll, literalNumber, literalString, mapText } from './helpers.js';
import { roundTo } from './math.js';
import { sprintf } from './printf.js';

/**
 * Conversion functions (Search Reference, "Conversion functions"): tonumber, tostring, printf.
 */

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * tonumber's parse. Base 10 accepts decimal numbers (with a fraction or exponent); other bases accept
 * an optionally signed run of digits of that base, and base 16 also a `0x` prefix (as C's strtol).
 * "If the tonumber function can't parse a field value to a number, for example if the value contains
 * a leading and trailing space, the function returns NULL" — so, unlike comparisons, no trimming.
 */
export function parseNumber(text: string, base: number): number | null {
  if (base === 10) return DECIMAL.test(text) ? finite(Number(text)) : null;
  let t = text;
  let sign = 1;
  if (t.startsWith('-') || t.startsWith('+')) {
    if (t.startsWith('-')) sign = -1;
    t = t.slice(1);
  }
  if (base === 16 && /^0x/i.test(t)) t = t.slice(2);
  if (t === '') return null;
  let n = 0;
  for (const ch of t.toLowerCase()) {
    const d = ch >= '0' && ch <= '9' ? ch.charCodeAt(0) - 48 : ch >= 'a' && ch <= 'z' ? ch.charCodeAt(0) - 87 : 99;
    if (d >= base) return null;
    n = n * base + d;
  }
  return finite(sign * n);
}

function validBase(b: number): boolean {
  return Number.isInteger(b) && b >= 2 && b <= 36;
}

/** `D+HH:MM:SS` (days only when non-zero), with microseconds when the value has a fraction. */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let rest = Math.abs(seconds);
  let whole = Math.floor(rest);
  let micros = Math.round((rest - whole) * 1e6);
  if (micros >= 1e6) {
    whole += 1;
    micros -= 1e6;
  }
  // Days and the seconds left are worked out exactly: past 2^53 seconds a double's division left an exponent in the
  // day count ("1.1574074074074075e+295+00:00:00") and a wrong clock.
  const big = BigInt(whole);
  const days = big / 86400n;
  rest = Number(big % 86400n);
  const hh = Math.floor(rest / 3600);
  const mm = Math.floor((rest % 3600) / 60);
  const ss = rest % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  const clock = `${two(hh)}:${two(mm)}:${two(ss)}${micros > 0 ? '.' + String(micros).padStart(6, '0') : ''}`;
  return `${sign}${days > 0n ? `${days}+` : ''}${clock}`;
}

function commas(n: number): string {
  // "If the number includes a decimal, the function rounds the number to nearest two decimal places."
  // Every digit of an integer: toFixed(0) writes one of 1e21 or more as "1e+21", which has no thousands to group.
  const fixed = Number.isInteger(n) ? BigInt(n).toString() : roundTo(n, 2).toFixed(2);
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

const FORMATS = ['hex', 'commas', 'duration', 'binary'] as const;
type Format = (typeof FORMATS)[number];

function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

function formatNumber(n: number, format: Format): string | null {
  switch (format) {
    case 'hex':
      // tostring(15, "hex") is "0xF"; negatives print as 64-bit two's complement like C's %llX.
      return '0x' + BigInt.asUintN(64, BigInt(Math.trunc(n))).toString(16).toUpperCase();
    case 'binary':
      // "Only integers in the range of 0 to 2^53 -1 are accepted."
      return Number.isSafeInteger(n) && n >= 0 ? n.toString(2) : null;
    case 'commas':
      return commas(n);
    case 'duration':
      return formatDuration(n);
  }
}

/** tostring of one value: booleans → "True"/"False", numbers (and numeric text) formatted, other text as is. */
function toStringValue(v: EvalValue, format: Format | null): EvalValue {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (format === null) return isMv(v) ? v.map((x) => toText(x)) : toText(v as string | number);
  return mapText(v, (s) => {
    // "The format argument is optional and is only used when the value argument is a number."
    const n = toNumber(s);
    return n === null ? s : formatNumber(n, format);
  });
}

/** x as a number: a number as it is (in base 10), text parsed in `base`; null otherwise. */
function numberInBase(v: EvalValue, base: number): number | null {
  const s = scalarOf(v);
  if (s === null || typeof s === 'boolean') return null;
  if (typeof s === 'number' && base === 10) return s;
  return parseNumber(toText(s), base);
}

/**
 * A conversion with an optional base argument (tonumber, todouble, toint): a literal base is checked when the search
 * is compiled; a computed one that is not an integer from 2 to 36 gives null. `convert` finishes the number.
 */
function numericConversion(
  name: string,
  doc: string,
  convert: (n: number) => number,
  checkLiteral: boolean,
): EvalFunction {
  return {
    name,
    minArgs: 1,
    maxArgs: 2,
    doc,
    returns: 'number',
    compile: (args, h) => {
      const [x, b] = compileAll(args, h) as [ReturnType<typeof h.compile>, ReturnType<typeof h.compile> | undefined];
      const baseArg = args[1];
      let literalBase: number | null = baseArg ? null : 10;
      if (baseArg && (baseArg.kind === 'number' || baseArg.kind === 'string')) {
        const lit = baseArg.kind === 'number' ? literalNumber(baseArg) : toNumber(literalString(baseArg));
        if (lit === null || !validBase(lit)) h.fail(`${name}() base must be an integer from 2 to 36`, baseArg.span);
        literalBase = lit;
      }
      // tonumber: "If the tonumber function can't parse a string to a number, the function returns an error. For
      // example, ... tonumber("seven")" fails (Conversion functions); a field value that does not parse gives null.
      const text = literalString(args[0]!);
      if (checkLiteral && text !== null && literalBase !== null && parseNumber(text, literalBase) === null) {
        h.fail(`${name}() cannot parse "${text}" as a number in base ${literalBase}`, args[0]!.span);
      }
      return (row) => {
        let base = 10;
        if (b) {
          const bn = numberOf(b(row));
          if (bn === null || !validBase(bn)) return null;
          base = bn;
        }
        const n = numberInBase(x(row), base);
        return n === null ? null : finite(convert(n));
      };
    },
  };
}

export const convertFunctions: EvalFunction[] = [
  numericConversion(
    'tonumber',
    'tonumber(x[, base]): x parsed as a number in base 2..36 (default 10); null when x is not a number in that base (surrounding spaces included).',
    (n) => n,
    true,
  ),
  // todouble/toint (Conversion functions): "number: The same value", "string: tonumber(<value>, <base>)"; toint
  // takes "floor(<value>)". todouble("number") "doesn't return any results": null, not tonumber's error.
  numericConversion('todouble', 'todouble(x[, base]): x as a number, text parsed as tonumber() does; null when it does not parse.', (n) => n, false),
  numericConversion('toint', 'toint(x[, base]): x as a number rounded down to an integer (toint(3.14) is 3); null when it does not parse.', Math.floor, false),
  {
    name: 'tobool',
    minArgs: 1,
    maxArgs: 1,
    // "string "true" or "True": true; "false" or "False": false; number 0: false; any non-zero number: true.
    // The function returns null for all other values."
    doc: 'tobool(x): true for "true"/"True" and non-zero numbers, false for "false"/"False" and 0, else null.',
    returns: 'boolean',
    call: ([v]) => {
      const s = scalarOf(v ?? null);
      if (s === null || typeof s === 'boolean') return s;
      if (s === 'true' || s === 'True') return true;
      if (s === 'false' || s === 'False') return false;
      const n = toNumber(s);
      return n === null ? null : n !== 0;
    },
  },
  {
    name: 'tostring',
    minArgs: 1,
    maxArgs: 2,
    doc: 'tostring(x[, "hex"|"commas"|"duration"|"binary"]): x as text; booleans become "True"/"False", numbers can be formatted (duration: [D+]HH:MM:SS). Works on each value of a multivalue.',
    returns: 'any',
    compile: (args, h) => {
      const [x, f] = compileAll(args, h) as [ReturnType<typeof h.compile>, ReturnType<typeof h.compile> | undefined];
      const lit = args[1] ? literalString(args[1]) : null;
      if (args[1] && (args[1].kind === 'number' || (lit !== null && !isFormat(lit)))) {
        h.fail(`tostring() format must be one of ${FORMATS.map((s) => `"${s}"`).join(', ')}`, args[1].span);
      }
      return (row) => {
        const v = x(row);
        let format: Format | null = null;
        if (f) {
          const s = scalarOf(f(row));
          // A computed format that is unknown is ignored: the value is converted as by tostring(x).
          if (typeof s === 'string' && isFormat(s)) format = s;
        }
        return toStringValue(v, format);
      };
    },
  },
  {
    name: 'printf',
    minArgs: 1,
    maxArgs: Infinity,
    doc: 'printf(format, ...): C-style formatting (%d %i %u %o %x %X %e %f %g %a %c %s %%, flags \' - 0 + space #, width/precision with *).',
    returns: 'string',
    call: (args) => {
      const format = scalarOf(args[0] ?? null);
      if (format === null || typeof format === 'boolean') return null;
      return sprintf(toText(format), args.slice(1));
    },
  },
];
