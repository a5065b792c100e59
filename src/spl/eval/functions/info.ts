import type { EvalFunction } from './types.js';
import type { EvalExpr } from '../../parse/ast.js';
import { toNumber } from '../../../events/value.js';
import { isMv, scalarOf, type EvalValue } from '../value.js';

/**
 * Informational functions (Search Reference, "Informational functions"). isnull/isnotnull live in
 * conditional.ts.
 *
 * Type model: Splunk keeps field values as text but treats numeric text as a number, so a field
 * holding "12" is a Number; a quoted string literal such as "12" is always a String (decided at
 * compile time). A multivalue is judged by its first value, except typeof() which says
 * "Multivalue". typeof() of a boolean is "Bool" and of null "Invalid": the Informational functions
 * page's example `typeof(12) + typeof("string") + typeof(1==2) + typeof(badfield)` returns
 * "NumberStringBoolInvalid".
 */

export type ValueType = 'Number' | 'String' | 'Bool' | 'Multivalue' | 'Invalid';

export function typeOfValue(v: EvalValue): ValueType {
  if (v === null) return 'Invalid';
  if (typeof v === 'boolean') return 'Bool';
  if (isMv(v)) return 'Multivalue';
  return toNumber(v) === null ? 'String' : 'Number';
}

/** The type of the value seen as a scalar (first value of a multivalue). */
function scalarType(v: EvalValue): ValueType {
  return typeOfValue(scalarOf(v));
}

function predicate(name: string, doc: string, test: (v: EvalValue) => boolean, literalString: boolean): EvalFunction {
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    doc,
    returns: 'boolean',
    compile: (args, h) => {
      const arg: EvalExpr = args[0]!;
      // A quoted literal is a string even when its text is numeric.
      if (arg.kind === 'string') return () => literalString;
      const c = h.compile(arg);
      return (row) => test(c(row));
    },
  };
}

/** Whether the text of a value parses as JSON of the given shape (isarray, isobject). */
function isJson(v: EvalValue | undefined, shape: 'array' | 'object'): boolean {
  const s = scalarOf(v ?? null);
  if (typeof s !== 'string') return false;
  const t = s.trim();
  if (!t.startsWith(shape === 'array' ? '[' : '{')) return false;
  try {
    const j: unknown = JSON.parse(t);
    return shape === 'array' ? Array.isArray(j) : typeof j === 'object' && j !== null && !Array.isArray(j);
  } catch {
    return false;
  }
}

/** The number x is or holds as text (a boolean is none). */
function numberIn(v: EvalValue): number | null {
  const s = scalarOf(v);
  return s === null || typeof s === 'boolean' ? null : toNumber(s);
}

export const infoFunctions: EvalFunction[] = [
  {
    name: 'typeof',
    minArgs: 1,
    maxArgs: 1,
    doc: 'typeof(x): "Number", "String", "Bool", "Multivalue", or "Invalid" when x is null.',
    returns: 'string',
    compile: (args, h) => {
      const arg = args[0]!;
      if (arg.kind === 'string') return () => 'String';
      const c = h.compile(arg);
      return (row) => typeOfValue(c(row));
    },
  },
  predicate('isnum', 'isnum(x): true when x is a number (or numeric text in a field).', (v) => scalarType(v) === 'Number', false),
  predicate(
    'isint',
    'isint(x): true when x is an integer (or integer text in a field).',
    (v) => {
      const n = numberIn(v);
      return n !== null && Number.isInteger(n);
    },
    false,
  ),
  predicate('isstr', 'isstr(x): true when x is a non-numeric string.', (v) => scalarType(v) === 'String', true),
  predicate('isbool', 'isbool(x): true when x is a boolean (the result of a comparison or of true()/false()).', (v) => typeof v === 'boolean', false),
  predicate('ismv', 'ismv(x): true when x is a multivalue.', (v) => isMv(v), false),
  // Informational functions: isdouble(3.546) is true, isdouble(1000000) false.
  predicate(
    'isdouble',
    'isdouble(x): true when x is a number with a fractional part.',
    (v) => {
      const n = numberIn(v);
      return n !== null && !Number.isInteger(n);
    },
    false,
  ),
  // isarray("[1, 2, 3]") is true, isarray(1) false; isobject of a field holding {"type": ...} is true, of
  // "{cities: \"3\"}" (not JSON) false.
  {
    name: 'isarray',
    minArgs: 1,
    maxArgs: 1,
    doc: 'isarray(x): true when x is text that parses as a JSON array.',
    returns: 'boolean',
    call: ([v]) => isJson(v, 'array'),
  },
  {
    name: 'isobject',
    minArgs: 1,
    maxArgs: 1,
    doc: 'isobject(x): true when x is text that parses as a JSON object.',
    returns: 'boolean',
    call: ([v]) => isJson(v, 'object'),
  },
];
