/**
 * What every event store refuses in an appended batch (the same INPUT_MALFORMED messages whatever the backend):
 * the SQLite writer and the ClickHouse store both check each event here before storing anything.
 */
import { VigilError } from '../errors.js';
import type { Event } from '../events/event.js';
import { MAX_ABS_TIME } from './schema.js';

/**
 * Throws VigilError('INPUT_MALFORMED', 'event <i> of the batch: …') when event `i` cannot be stored: `_time` not a
 * finite number with |_time| < 9e9 (microseconds stay exact), an empty `index`, a non-string field, `fields` not a mapping of strings or string arrays. Returns its
 * characters (all five strings and the indexed fields), the measure of the stores' back-pressure bounds.
 */
export function checkEvent(e: Event, i: number): number {
  const t = e._time;
  if (typeof t !== 'number' || !(Math.abs(t) < MAX_ABS_TIME)) throw badEvent(i, `_time ${String(t)} is not a time in epoch seconds`);
  const { index, sourcetype, source, host, _raw } = e;
  if (typeof index !== 'string' || index === '') throw badEvent(i, 'index must be a non-empty string');
  if (typeof sourcetype !== 'string' || typeof source !== 'string' || typeof host !== 'string' || typeof _raw !== 'string') {
    throw badEvent(i, 'sourcetype, source, host and _raw must be strings');
  }
  return _raw.length + index.length + sourcetype.length + source.length + host.length + indexedFieldsChars(e.fields, i);
}

/** The characters of an event's indexed fields (names and values); throws unless a mapping of strings or string arrays. */
function indexedFieldsChars(fields: unknown, i: number): number {
  if (fields === undefined) return 0;
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw badEvent(i, 'fields must be an object');
  let chars = 0;
  for (const [name, v] of Object.entries(fields)) {
    chars += name.length;
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) for (const x of v as string[]) chars += x.length;
    else throw badEvent(i, `indexed field ${JSON.stringify(name)} must be a string or an array of strings`);
  }
  return chars;
}

function badEvent(i: number, why: string): VigilError {
  return new VigilError('INPUT_MALFORMED', `event ${i} of the batch: ${why}`);
}
