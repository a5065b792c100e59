/**
 * Indexed fields (events/scan.ts INDEXED_FIELDS): the process name is kept beside `_raw` in the `pn` column of every
 * bucket table made since migration 6, with an index `(pn, t)`, so a search that selects process names
 * (`process_name="curl"`, `process_name IN (...)`) reads only those rows, newest first from the index, as Splunk
 * answers an indexed field from its tsidx files instead of reading every event.
 *
 * `pn` is computed when the event is appended, exactly as search reads the field (normalize/event-result.ts, with no
 * knowledge: the planner leaves out fields knowledge computes): `=` + the value lower-cased (what `field=value`
 * compares for a value without wildcards), `*` for an event every scan reads (ALWAYS_READ: several values, one over
 * 1024 characters or with a lone surrogate, or not a `cisco:isovalent*` event), NULL when the event has no process
 * name (no exact-value condition can match it). An event with HEC indexed fields gets ALWAYS_READ from the writer:
 * they may hold a process name its `_raw` lacks, and the search decides (see CONTEXT.md, "HEC indexed fields").
 *
 * A table records the version of this rule it was written with (`bucket_parts.fields`; 0: no `pn`). Scans use `pn`
 * only on tables of the current version: a change to how normalize reads the process name must bump
 * INDEXED_FIELDS_VERSION, and older tables are then read whole again, never filtered by a stale key. Rows this build
 * appends to a table of another version get ALWAYS_READ, which every version reads.
 */
import type { Event } from '../events/event.js';
import { narrowestIndexed, type IndexedFieldCondition } from '../events/scan.js';
import { LONE_SURROGATE, isMultivalue, toText } from '../events/value.js';
import { eventResult } from '../normalize/event-result.js';
import { isIsovalentSourcetype } from '../normalize/tetragon.js';

export const INDEXED_FIELDS_VERSION = 1;

/** The `pn` key of a process name value. */
const keyOf = (lowerCased: string): string => `=${lowerCased}`;
/**
 * The `pn` of an event every scan reads: its process name has several values, is too long to index, or has a lone
 * surrogate (SQLite gives the event back with each of its bytes as U+FFFD: search compares that text, never the one
 * appended); or the event is not Tetragon's (its process name would cost the writer a JSON.parse, and no bundled
 * detection selects other events by it).
 */
export const ALWAYS_READ = '*';
/** Longer process names are not indexed (a sender's megabyte-long "binary" would be copied into the index). */
const MAX_INDEXED_CHARS = 1024;

/** An event's `pn`. */
export function processNameKey(e: Event): string | null {
  if (!isIsovalentSourcetype(e.sourcetype)) return ALWAYS_READ;
  const v = eventResult(e).get('process_name');
  if (v === null || v === undefined) return null;
  if (isMultivalue(v)) return ALWAYS_READ;
  const text = typeof v === 'string' ? v : toText(v);
  return text.length > MAX_INDEXED_CHARS || LONE_SURROGATE.test(text) ? ALWAYS_READ : keyOf(text.toLowerCase());
}

/** The `pn` keys a scan with these conditions reads (null: the scan reads every row), ALWAYS_READ included. */
export function processNameKeys(conditions: readonly IndexedFieldCondition[] | undefined): string[] | null {
  const c = narrowestIndexed(conditions, 'process_name');
  return c === undefined ? null : [...new Set(c.values.map(keyOf)), ALWAYS_READ];
}
