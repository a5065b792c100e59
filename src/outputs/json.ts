import type { Result } from '../events/result.js';
import { strftime } from '../spl/time/format.js';

/** `_time` prints as ISO 8601 with microseconds and the offset of the chosen time zone. */
export const TIME_OUTPUT_FORMAT = '%Y-%m-%dT%H:%M:%S.%6N%:z';

export type JsonResult = Record<string, string | number | (string | number)[]>;

/**
 * A result as JSON, the one representation the CLI, the HTTP API and alert actions share: multivalues
 * are arrays, numbers stay numbers, `_time` is ISO 8601 text in `tz`.
 */
export function resultToJson(r: Result, tz: string): JsonResult {
  const out: JsonResult = {};
  for (const f of r.fieldNames()) {
    const v = r.get(f);
    if (v === null) continue;
    out[f] = f === '_time' && typeof v === 'number' ? strftime(v, TIME_OUTPUT_FORMAT, tz) : Array.isArray(v) ? [...v] : (v as string | number);
  }
  return out;
}
