import type { ConfigPosition } from '../config/config.js';
import { MAX_TIMER_MS, MAX_TIMER_TEXT, parseDuration } from '../config/units.js';
import { settingHint } from '../edit-distance.js';
import { VigilError } from '../errors.js';

/** The `datamodels:` and `acceleration:` sections of the config file, validated. */
export interface AccelerationSettings {
  /** Accelerated data models and their summary range (seconds; null: all time). */
  models: Map<string, number | null>;
  /** How often the builder looks for new events (seconds). */
  intervalSeconds: number;
  /** Events read and summarized per transaction (the builder's memory bound). */
  chunkEvents: number;
  /** A summary bucket with more segments than this (full ones aside) has segments of similar size merged (merge-policy.ts). */
  maxSegmentsPerBucket: number;
  /** Further behind than this many events, tstats reads raw events only instead of summaries + remainder. */
  maxRemainderEvents: number;
  /** Rows of decoded summary segments each search worker keeps between searches. */
  maxCachedRows: number;
}

/**
 * vigil's default: Endpoint is accelerated over 7 days (the Linux ESCU detections all read Endpoint.Processes,
 * and Splunk ES users accelerate it); the other models are not (Splunk's default) until the config says so.
 */
export const DEFAULT_ACCELERATED: ReadonlyMap<string, number | null> = new Map([['Endpoint', 7 * 86400]]);

const MODEL_KEYS = ['acceleration', 'summary_range'];
const ACCELERATION_KEYS = ['interval', 'chunk_events', 'max_segments_per_bucket', 'max_remainder_events', 'max_cached_rows'];

/**
 * `datamodels: { <Model>: { acceleration: true|false, summary_range: 7d|all } }` (a model not named keeps
 * the default above) and `acceleration: { interval, chunk_events, max_segments_per_bucket,
 * max_remainder_events, max_cached_rows }`. Errors name the key with its `file:line:`.
 */
export function accelerationSettings(datamodels: unknown, acceleration: unknown, at: ConfigPosition = () => ''): AccelerationSettings {
  const fail = (path: string[], message: string): never => {
    throw new VigilError('CONFIG', `${at(path)}${path.join('.')} ${message}`);
  };
  const mapping = (v: unknown, path: string[], keys: readonly string[] | null): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'must be a mapping');
    if (keys) for (const k of Object.keys(v as object)) if (!keys.includes(k)) fail([...path, k], `is not a known setting (known: ${keys.join(', ')})`);
    return v as Record<string, unknown>;
  };
  const models = new Map(DEFAULT_ACCELERATED);
  for (const [name, raw] of Object.entries(mapping(datamodels, ['datamodels'], null))) {
    const path = ['datamodels', name];
    const m = mapping(raw, path, MODEL_KEYS);
    const on = m['acceleration'] ?? true;
    if (typeof on !== 'boolean') fail([...path, 'acceleration'], 'must be true or false');
    let range: number | null = models.get(name) ?? 7 * 86400;
    const r = m['summary_range'];
    if (r === 'all') range = null;
    else if (r !== undefined) {
      const s = parseDuration(r);
      if (s === null || s < 3600) fail([...path, 'summary_range'], 'must be a duration of at least 1h (e.g. 7d), or all');
      range = s;
    }
    if (on) models.set(name, range);
    else models.delete(name);
  }
  const a = mapping(acceleration, ['acceleration'], ACCELERATION_KEYS);
  const whole = (key: string, dflt: number): number => {
    const v = a[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(['acceleration', key], 'must be a whole number of at least 1');
    return v as number;
  };
  let interval = 1;
  if (a['interval'] !== undefined) {
    const s = parseDuration(a['interval']);
    if (s === null || s < 1) fail(['acceleration', 'interval'], 'must be a duration of at least 1s');
    // A timer runs it: node fires a longer one after 1 ms (interval: 30d caught up every millisecond).
    if (s! * 1000 > MAX_TIMER_MS) fail(['acceleration', 'interval'], MAX_TIMER_TEXT);
    interval = s!;
  }
  return {
    models,
    intervalSeconds: interval,
    chunkEvents: whole('chunk_events', 20_000),
    maxSegmentsPerBucket: whole('max_segments_per_bucket', 16),
    maxRemainderEvents: whole('max_remainder_events', 1_000_000),
    maxCachedRows: whole('max_cached_rows', 5_000_000),
  };
}

/**
 * What the `datamodels:` section names that the content defines no data model for, one warning each with its
 * `file:line:` (vigil serve logs them at start): `endpoint: {acceleration: false}` (a case typo) left Endpoint
 * accelerated, and a misspelt model was never accelerated, without a word. Not an error: content reloads
 * may add the model later.
 */
export function unknownDataModels(datamodels: unknown, loaded: readonly string[], at: ConfigPosition = () => ''): string[] {
  if (datamodels === null || typeof datamodels !== 'object' || Array.isArray(datamodels)) return [];
  return Object.keys(datamodels)
    .filter((name) => !loaded.includes(name))
    .map((name) => {
      const hint = settingHint(loaded, name);
      return `${at(['datamodels', name])}datamodels.${name} names no data model of the content${hint ? `: did you mean ${hint}?` : ` (data models: ${loaded.join(', ')})`}`;
    });
}
