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
}

export const DEFAULT_INDEX = 'main';
export const RISK_INDEX = 'risk';
export const NOTABLE_INDEX = 'notable';
