import type { EvalValue } from './value.js';

/** Only the boolean true is true: null (unknown) and non-booleans are not. */
export function truthy(v: EvalValue): boolean {
  return v === true;
}
