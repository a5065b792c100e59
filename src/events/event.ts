/**
 * An event as stored and as read from inputs: Splunk's default fields plus the original text.
 * Search-time fields (CIM names, JSON paths) are not stored; normalize/ derives them from `_raw`.
 */
export interface Event {
  /** Epoch seconds, fractional (microsecond precision). */
  _time: number;
  index: string;
  sourcetype: string;
  source: string;
  host: string;
  _raw: string;
  /** Parsed JSON of `_raw` when a reader already parsed it (saves a second parse; never stored). */
  json?: unknown;
  /**
   * Indexed fields a HEC client sent beside the event (the envelope's `fields`: OpenTelemetry's and Fluent Bit's
   * Kubernetes metadata), stored with it; absent when none. Searches see them as fields (and `name::value`).
   */
  fields?: IndexedFields;
}

/** Indexed fields by name: one text value, or several (a JSON array in the envelope: a multivalue field). */
export type IndexedFields = Readonly<Record<string, string | readonly string[]>>;

/**
 * The stored text of indexed fields: JSON, the same in every store (SQLite's `f` column, ClickHouse's `fields`).
 * Null for none, so events without fields cost nothing.
 */
export function indexedFieldsText(fields: IndexedFields | undefined): string | null {
  return fields === undefined || Object.keys(fields).length === 0 ? null : JSON.stringify(fields);
}

/**
 * Indexed fields from their stored text (indexedFieldsText); undefined for none. Text that is not such an object
 * (a damaged row) gives what it holds of one: its string and string-array members.
 */
export function parseIndexedFields(text: string | null | undefined): IndexedFields | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  // No prototype: a field named `__proto__` is a field like any other.
  const out = Object.create(null) as Record<string, string | readonly string[]>;
  let any = false;
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      out[k] = v as string | string[];
      any = true;
    }
  }
  return any ? out : undefined;
}

export const DEFAULT_INDEX = 'main';
export const RISK_INDEX = 'risk';
export const NOTABLE_INDEX = 'notable';
