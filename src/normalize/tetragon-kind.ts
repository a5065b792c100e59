/**
 * What kind of Tetragon event a parsed JSON object is: the top-level key holding the event body. Shared
 * by the readers (sourcetype assignment) and the field extraction.
 */

/** Envelope keys that sit next to the event body in every GetEventsResponse (events.proto). */
const ENVELOPE_KEYS = new Set(['node_name', 'time', 'cluster_name', 'node_labels', 'aggregation_info']);

/** The common kinds, tried first with direct property reads (cheaper than iterating keys). */
const COMMON_KINDS = ['process_exec', 'process_exit', 'process_kprobe', 'process_connect'] as const;

export type TetragonKind = 'process_exec' | 'process_exit' | 'process_kprobe' | 'process_connect' | (string & {});

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The event kind: the top-level key holding the event body (`process_exec`, `process_kprobe`, …).
 * Unknown kinds (process_tracepoint, process_lsm, rate_limit_info, …) are the first top-level key,
 * other than the envelope keys, whose value is an object. Null when there is none.
 */
export function eventKind(json: unknown): TetragonKind | null {
  if (!isJsonObject(json)) return null;
  for (const k of COMMON_KINDS) if (isJsonObject(json[k])) return k;
  for (const k in json) {
    if (!ENVELOPE_KEYS.has(k) && isJsonObject(json[k])) return k;
  }
  return null;
}
