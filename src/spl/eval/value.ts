import { toNumber, toText, type FieldValue, type Multivalue, type Scalar } from '../../events/value.js';

/**
 * A value during eval: a field value, a boolean (only inside expressions: fields cannot hold one),
 * or null. Multivalues are arrays of at least two scalars.
 */
export type EvalValue = Scalar | Multivalue | boolean | null;

/** The static type of an expression, used to reject `eval x=a>b` and `where lower(x)` before running. */
export type EvalType = 'boolean' | 'number' | 'string' | 'multivalue' | 'any';

export function isMv(v: EvalValue): v is Multivalue {
  return Array.isArray(v);
}

/** A scalar view of a value: the first value of a multivalue, booleans stay booleans. */
export function scalarOf(v: EvalValue): Scalar | boolean | null {
  if (Array.isArray(v)) return (v[0] as Scalar | undefined) ?? null;
  return v as Scalar | boolean | null;
}

/** Numeric view: numbers and numeric strings; null otherwise (booleans are not numbers). */
export function numberOf(v: EvalValue): number | null {
  const s = scalarOf(v);
  if (s === null || typeof s === 'boolean') return null;
  return toNumber(s);
}

/** Text view of a scalar; booleans render as Splunk prints them in string context. */
export function textOf(v: EvalValue): string | null {
  const s = scalarOf(v);
  if (s === null) return null;
  if (typeof s === 'boolean') return s ? 'true' : 'false';
  return toText(s);
}

/** Converts an eval result into something a field can hold. */
export function toFieldValue(v: EvalValue): FieldValue | null {
  if (v === null || typeof v === 'boolean') return null;
  return v;
}
