import type { EvalFunction } from './types.js';
import { finite, toNumber, type Scalar } from '../../../events/value.js';
import { compareNumbersFirst } from '../compare.js';
import { numberOf, textOf, type EvalValue } from '../value.js';
import type { EvalExpr } from '../../parse/ast.js';
import type { Result } from '../../../events/result.js';
import { compileAll, evalValues } from './helpers.js';

/**
 * Mathematical and statistical eval functions (Splunk Search Reference: "Mathematical functions",
 * "Statistical eval functions", "Trigonometry and Hyperbolic functions").
 * Every function returns null when a numeric argument is null or not numeric, and when the result
 * is not a finite number (sqrt(-1), ln(0), pow overflow) — Splunk has no NaN/Infinity values.
 */

function unary(name: string, doc: string, f: (x: number) => number): EvalFunction {
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    doc,
    returns: 'number',
    call: ([a]) => {
      const x = numberOf(a ?? null);
      return x === null ? null : finite(f(x));
    },
  };
}

/** Shifts the decimal point of `x` by `digits` places without binary rounding artefacts (via exponent notation). */
function shift(x: number, digits: number): number {
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  return Number(`${mantissa}e${Number(exponent) + digits}`);
}

/**
 * Rounds half up (towards +∞), like JS Math.round: Splunk's round(3.5) is 4 (documented) and
 * round(-4.5) is -4 (observed: .5 of a negative number goes towards zero). Rounding works on the
 * decimal text, so round(2.555, 2) is 2.56 as the docs say, not 2.55 as binary 2.555 would give.
 */
export function roundTo(x: number, digits: number): number {
  if (digits === 0) return Math.round(x);
  return shift(Math.round(shift(x, digits)), -digits);
}

function extreme(args: EvalValue[], pickGreater: boolean): Scalar | null {
  let best: Scalar | null = null;
  for (const a of args) {
    for (const v of evalValues(a)) {
      if (best === null) best = v;
      else {
        const c = compareNumbersFirst(v, best);
        if (pickGreater ? c > 0 : c < 0) best = v;
      }
    }
  }
  return best;
}

/**
 * sum() and avg() (Statistical eval functions, Mathematical functions): every numeric value of every argument
 * counts, a multivalue field with each value, and "the eval command ignores arguments that don't exist in an
 * event or can't be converted to a number" (null when none is left). A string literal argument is an error:
 * "sum(1, 2, "3")" and "sum("somedata", 2, 3)" return an error while a field holding "somedata" is ignored.
 * avg(x, y) is "equivalent to sum(x,y)/(mvcount(x) + mvcount(y))": avg(5.0, "9" in a field, missing) is 7.
 */
function numericStatistic(name: string, what: string, result: (total: number, count: number) => number): EvalFunction {
  return {
    name,
    minArgs: 1,
    maxArgs: Infinity,
    doc: `${what} (multivalues contribute each value; missing and non-numeric field values are ignored); null when there is none.`,
    returns: 'number',
    compile: (args, h) => {
      for (const a of args) {
        if (a.kind === 'string') h.fail(`${name}() takes numbers: a quoted string is not one (use tonumber("...") for a number in quotes)`, a.span);
      }
      const cs = compileAll(args, h);
      return (row) => {
        let total = 0;
        let count = 0;
        for (const c of cs) {
          for (const v of evalValues(c(row))) {
            const n = toNumber(v);
            if (n === null) continue;
            total += n;
            count++;
          }
        }
        return count === 0 ? null : finite(result(total, count));
      };
    },
  };
}

/** The significant figures and decimal places a number was written with ("1.00": 3 and 2; "1100": 2 and 0). */
function precisionOf(text: string): { figures: number; decimals: number } | null {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null;
  const int = m[1]!;
  const frac = m[2];
  const exp = m[3] === undefined ? 0 : Number(m[3]);
  let digits = (int + (frac ?? '')).replace(/^0+/, '');
  // Without a decimal point, trailing zeros only place the number ("1100" has 2 significant figures).
  if (frac === undefined) digits = digits.replace(/0+$/, '');
  return { figures: Math.max(1, digits.length), decimals: Math.max(0, (frac ?? '').length - exp) };
}

/**
 * sigfig(x) (Mathematical functions): "For multiplication and division, the result should have the minimum number
 * of significant figures of all of the operands. For addition and subtraction, the result should have the same
 * number of decimal places as the least precise number of all of the operands": sigfig(1.00*1111) is 1110,
 * sigfig(123.0 + 4.567) is 127.6. The operands' precision is the text they were written with (a literal as typed,
 * a field's value); any other argument keeps its own.
 */
const sigfig: EvalFunction = {
  name: 'sigfig',
  minArgs: 1,
  maxArgs: 1,
  doc: 'sigfig(x): x rounded by significant-figure rules: a product or quotient to its operands\' fewest significant figures, a sum or difference to their fewest decimal places.',
  returns: 'number',
  compile: (args, h) => {
    const arg = args[0]!;
    const value = h.compile(arg);
    if (arg.kind !== 'binary' || !['*', '/', '+', '-'].includes(arg.op)) return (row) => numberOf(value(row));
    const byFigures = arg.op === '*' || arg.op === '/';
    // A literal operand's precision is its source text ("1.00"), which its number (1) has lost.
    const operand = (e: EvalExpr): ((row: Result) => string | null) => {
      if (e.kind === 'number') {
        const text = h.source.text.slice(e.span.start, e.span.end);
        return () => text;
      }
      const c = h.compile(e);
      return (row) => textOf(c(row));
    };
    const left = operand(arg.left);
    const right = operand(arg.right);
    return (row) => {
      const v = numberOf(value(row));
      const l = left(row);
      const r = right(row);
      const a = l === null ? null : precisionOf(l);
      const b = r === null ? null : precisionOf(r);
      if (v === null || a === null || b === null) return v;
      if (byFigures) return finite(Number(v.toPrecision(Math.min(a.figures, b.figures, 100))));
      return finite(roundTo(v, Math.min(a.decimals, b.decimals)));
    };
  },
};

export const mathFunctions: EvalFunction[] = [
  unary('abs', 'abs(x): the absolute value of x.', Math.abs),
  unary('ceiling', 'ceiling(x): x rounded up to the next integer.', Math.ceil),
  unary('ceil', 'ceil(x): alias of ceiling(x).', Math.ceil),
  unary('floor', 'floor(x): x rounded down to an integer.', Math.floor),
  unary('sqrt', 'sqrt(x): the square root of x (null for negative x).', Math.sqrt),
  unary('exp', 'exp(x): e to the power x.', Math.exp),
  unary('ln', 'ln(x): the natural logarithm of x (null for x <= 0).', Math.log),
  sigfig,
  unary('exact', 'exact(x): x itself (Splunk prints it with more digits; vigil prints every number as text with 15 significant digits, docs/spl.md).', (x) => x),
  unary('acos', 'acos(x): arc cosine, in radians.', Math.acos),
  unary('acosh', 'acosh(x): arc hyperbolic cosine.', Math.acosh),
  unary('asin', 'asin(x): arc sine, in radians.', Math.asin),
  unary('asinh', 'asinh(x): arc hyperbolic sine.', Math.asinh),
  unary('atan', 'atan(x): arc tangent, in radians.', Math.atan),
  unary('atanh', 'atanh(x): arc hyperbolic tangent.', Math.atanh),
  unary('cos', 'cos(x): cosine of x radians.', Math.cos),
  unary('cosh', 'cosh(x): hyperbolic cosine.', Math.cosh),
  unary('sin', 'sin(x): sine of x radians.', Math.sin),
  unary('sinh', 'sinh(x): hyperbolic sine.', Math.sinh),
  unary('tan', 'tan(x): tangent of x radians.', Math.tan),
  unary('tanh', 'tanh(x): hyperbolic tangent.', Math.tanh),
  {
    name: 'atan2',
    minArgs: 2,
    maxArgs: 2,
    doc: 'atan2(y, x): the arc tangent of y/x, in radians, using the signs of both to pick the quadrant.',
    returns: 'number',
    call: ([a, b]) => {
      const y = numberOf(a ?? null);
      const x = numberOf(b ?? null);
      return y === null || x === null ? null : finite(Math.atan2(y, x));
    },
  },
  {
    name: 'hypot',
    minArgs: 2,
    maxArgs: 2,
    doc: 'hypot(x, y): sqrt(x² + y²).',
    returns: 'number',
    call: ([a, b]) => {
      const x = numberOf(a ?? null);
      const y = numberOf(b ?? null);
      return x === null || y === null ? null : finite(Math.hypot(x, y));
    },
  },
  {
    name: 'pow',
    minArgs: 2,
    maxArgs: 2,
    doc: 'pow(x, y): x to the power y.',
    returns: 'number',
    call: ([a, b]) => {
      const x = numberOf(a ?? null);
      const y = numberOf(b ?? null);
      return x === null || y === null ? null : finite(Math.pow(x, y));
    },
  },
  {
    name: 'log',
    minArgs: 1,
    maxArgs: 2,
    doc: 'log(x[, base]): the logarithm of x in base `base` (default 10).',
    returns: 'number',
    call: ([a, b]) => {
      const x = numberOf(a ?? null);
      if (x === null) return null;
      if (b === undefined) return finite(Math.log10(x));
      const base = numberOf(b);
      return base === null ? null : finite(Math.log(x) / Math.log(base));
    },
  },
  {
    name: 'round',
    minArgs: 1,
    maxArgs: 2,
    // Splunk forbids negative digits; a negative or non-numeric digit count gives null here.
    doc: 'round(x[, digits]): x rounded to `digits` decimals (default 0); halves round up (round(2.5)=3, round(-2.5)=-2).',
    returns: 'number',
    call: ([a, b]) => {
      const x = numberOf(a ?? null);
      if (x === null) return null;
      const digits = b === undefined ? 0 : numberOf(b);
      if (digits === null || digits < 0) return null;
      return finite(roundTo(x, Math.trunc(digits)));
    },
  },
  {
    name: 'pi',
    minArgs: 0,
    maxArgs: 0,
    // "returns the constant pi to 11 digits of precision" (Search Reference): 3.14159265359, not Math.PI.
    doc: 'pi(): 3.14159265359 (pi to 11 digits, as Splunk returns it).',
    returns: 'number',
    call: () => 3.14159265359,
  },
  {
    name: 'max',
    minArgs: 1,
    maxArgs: Infinity,
    doc: 'max(x, ...): the largest of the values (multivalues contribute every value, nulls are skipped); numbers compare numerically, strings lexically, and strings are greater than numbers.',
    returns: 'any',
    call: (args) => extreme(args, true),
  },
  {
    name: 'min',
    minArgs: 1,
    maxArgs: Infinity,
    doc: 'min(x, ...): the smallest of the values (multivalues contribute every value, nulls are skipped); numbers are smaller than strings.',
    returns: 'any',
    call: (args) => extreme(args, false),
  },
  numericStatistic('sum', 'sum(x, ...): the sum of every numeric value', (total) => total),
  numericStatistic('avg', 'avg(x, ...): the mean of every numeric value', (total, count) => total / count),
  {
    name: 'random',
    minArgs: 0,
    maxArgs: 0,
    // Not deterministic: two runs of the same search give different values, as in Splunk.
    doc: 'random(): a pseudo-random integer from 0 to 2^31-1 (differs between calls and runs).',
    returns: 'number',
    call: () => Math.floor(Math.random() * 2 ** 31),
  },
];
