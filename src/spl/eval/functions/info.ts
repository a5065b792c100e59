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
      const s = scalarOf(v);
      if (s === null || typeof s === 'boolean') return false;
      const n = toNumber(s);
      return n !== null && Number.isInteger(n);
    },
    false,
  ),
  predicate('isstr', 'isstr(x): true when x is a non-numeric string.', (v) => scalarType(v) === 'String', true),
  predicate('isbool', 'isbool(x): true when x is a boolean (the result of a comparison or of true()/false()).', (v) => typeof v === 'boolean', false),
  predicate('ismv', 'ismv(x): true when x is a multivalue.', (v) => isMv(v), false),
];
