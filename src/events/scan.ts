import type { Event } from './event.js';

/**
 * What a search asks of an event source. Everything here is a *necessary* condition that the
 * source may use to skip events early; the engine re-checks the full search on whatever comes back,
 * so a source that ignores part of a request is still correct, only slower.
 */
export interface ScanRequest {
  /** Inclusive lower bound on `_time` (epoch seconds), or null for all time. */
  earliest: number | null;
  /** Exclusive upper bound on `_time`, or null for no bound. */
  latest: number | null;
  /** Conjunction of metadata constraints (index, sourcetype, source, host). */
  metadata: MetadataConstraint[];
  /** Necessary condition on `_raw`, case-insensitive, or null. */
  raw: RawFilter | null;
  /** Indexes searched when the search names none (Splunk's "default indexes"). */
  defaultIndexes: readonly string[] | 'all';
}

export type MetadataField = 'index' | 'sourcetype' | 'source' | 'host';

/** `field` must match one of `patterns` (case-insensitive, `*` wildcards). */
export interface MetadataConstraint {
  field: MetadataField;
  patterns: string[];
}

/** A boolean formula over case-insensitive substrings of `_raw`. */
export type RawFilter =
  | { kind: 'contains'; text: string }
  | { kind: 'and'; items: RawFilter[] }
  | { kind: 'or'; items: RawFilter[] };

export interface ScanProgress {
  /** Events (or lines) examined so far. */
  scanned: number;
  /** Bytes read so far, when known. */
  bytes?: number;
  /** Total bytes, when known. */
  totalBytes?: number;
}

export interface ScanOptions {
  signal?: AbortSignal;
  onProgress?: (p: ScanProgress) => void;
}

/** Something a search can read events from: files, stdin, the store. */
export interface EventSource {
  /** Whether batches come newest first (Splunk's search order). If false the engine sorts when order matters. */
  readonly newestFirst: boolean;
  scan(request: ScanRequest, options?: ScanOptions): AsyncIterable<Event[]>;
}

export function emptyScanRequest(): ScanRequest {
  return { earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' };
}

/** Compiles a wildcard pattern (case-insensitive, `*` = any run) into a matcher. */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  const lower = pattern.toLowerCase();
  if (!lower.includes('*')) return (v) => v.toLowerCase() === lower;
  if (lower === '*') return () => true;
  const re = new RegExp(
    '^' + lower.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*') + '$',
    'i',
  );
  return (v) => re.test(v);
}

/** A predicate over Event metadata implementing the request's metadata constraints and index defaults. */
export function metadataPredicate(req: ScanRequest): (e: Event) => boolean {
  const checks = req.metadata.map((c) => {
    const ms = c.patterns.map(wildcardMatcher);
    return (e: Event) => ms.some((m) => m(e[c.field]));
  });
  const namesIndex = req.metadata.some((c) => c.field === 'index');
  if (!namesIndex && req.defaultIndexes !== 'all') {
    const allowed = new Set(req.defaultIndexes.map((i) => i.toLowerCase()));
    checks.push((e) => allowed.has(e.index.toLowerCase()));
  }
  return (e) => checks.every((c) => c(e));
}

/** Compiles a RawFilter into a fast test on the raw text. */
export function compileRawFilter(f: RawFilter | null): ((raw: string) => boolean) | null {
  if (!f) return null;
  switch (f.kind) {
    case 'contains': {
      const t = f.text;
      // Case-insensitive substring: a regex with the `i` flag beats lower-casing every line.
      if (!/[a-z]/i.test(t)) return (raw) => raw.includes(t);
      const re = new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      return (raw) => re.test(raw);
    }
    case 'and': {
      const parts = f.items.map(compileRawFilter).filter((x): x is (raw: string) => boolean => x !== null);
      return (raw) => parts.every((p) => p(raw));
    }
    case 'or': {
      const parts = f.items.map(compileRawFilter).filter((x): x is (raw: string) => boolean => x !== null);
      return (raw) => parts.some((p) => p(raw));
    }
  }
}
