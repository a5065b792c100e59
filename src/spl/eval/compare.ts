import { compareText, toNumber, toText, type Scalar } from '../../events/value.js';

/**
 * Compares two scalars the way eval, where, sort and stats do: numerically when both are numeric, else as
 * text in byte order (booleans as "true"/"false").
 */
export function compareScalars(a: Scalar | boolean, b: Scalar | boolean): number {
  if (typeof a === 'boolean' || typeof b === 'boolean') return compareText(String(a), String(b));
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== null && y !== null) return x < y ? -1 : x > y ? 1 : 0;
  return compareText(typeof a === 'number' ? toText(a) : a, typeof b === 'number' ? toText(b) : b);
}

/**
 * Splunk's documented order of values of mixed types, used by max()/min() (eval and stats): numbers (and
 * numeric text) numerically, before every other text, which sorts lexicographically (byte order). So the
 * max of "9", "10", "100", "abc" is "abc" and their min is 9.
 */
export function compareNumbersFirst(a: Scalar, b: Scalar): number {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== null && y !== null) return x < y ? -1 : x > y ? 1 : 0;
  if (x !== null) return -1;
  if (y !== null) return 1;
  return compareText(typeof a === 'number' ? toText(a) : a, typeof b === 'number' ? toText(b) : b);
}
