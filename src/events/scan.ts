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

/**
 * A boolean formula over case-insensitive substrings of `_raw`. `key` marks a literal that is a JSON
 * key name (`"binary"`): still a necessary condition, but present in nearly every event, so a source
 * should not search for it first (see rawAnchors).
 */
export type RawFilter =
  | { kind: 'contains'; text: string; key?: boolean }
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

/**
 * A source that numbers its events (the store's insertion sequence, reported by appends as
 * `AppendReceipt.firstSeq`): `subset` is a view holding only the events with the given numbers, for
 * searches over events already known to matter (the scheduler's match index).
 */
export interface SeqSubsetSource extends EventSource {
  subset(seqs: readonly number[]): EventSource;
}

export function emptyScanRequest(): ScanRequest {
  return { earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' };
}

const ESCAPE_RE = /[.*+?^${}()|[\]\\]/g;

function escapeRegExp(text: string): string {
  return text.replace(ESCAPE_RE, '\\$&');
}

/**
 * A test of a `*` wildcard pattern (`*` = any run, nothing else special) against a whole value, in
 * linear time: the first and last literals are anchored, the middle ones are found leftmost-first,
 * which is complete for `*`-only patterns. Case-insensitive matching is RegExp's `i` flag (non-unicode
 * simple case folding, length-preserving), exactly as the anchored `^a[\s\S]*b$` regex it replaces.
 */
export function wildcardTest(pattern: string, caseInsensitive: boolean): (value: string) => boolean {
  const flags = caseInsensitive ? 'iy' : 'y';
  const parts = pattern.split('*');
  if (parts.length === 1) {
    const re = new RegExp(escapeRegExp(pattern), flags);
    return (v) => {
      if (v.length !== pattern.length) return false;
      re.lastIndex = 0;
      return re.test(v);
    };
  }
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const firstRe = first === '' ? null : new RegExp(escapeRegExp(first), flags);
  const lastRe = last === '' ? null : new RegExp(escapeRegExp(last), flags);
  const middleRes = middle.map((p) => new RegExp(escapeRegExp(p), caseInsensitive ? 'gi' : 'g'));
  if (firstRe === null && lastRe === null && middleRes.length === 1) {
    // `*text*`: a plain search.
    const re = middleRes[0] as RegExp;
    return (v) => {
      re.lastIndex = 0;
      return re.test(v);
    };
  }
  const fixed = first.length + last.length;
  return (v) => {
    if (v.length < fixed) return false;
    if (firstRe !== null) {
      firstRe.lastIndex = 0;
      if (!firstRe.test(v)) return false;
    }
    const end = v.length - last.length;
    if (lastRe !== null) {
      lastRe.lastIndex = end;
      if (!lastRe.test(v)) return false;
    }
    let pos = first.length;
    for (let i = 0; i < middleRes.length; i++) {
      const re = middleRes[i] as RegExp;
      re.lastIndex = pos;
      const m = re.exec(v);
      if (m === null) return false;
      pos = m.index + (middle[i] as string).length;
      if (pos > end) return false;
    }
    return true;
  };
}

/**
 * Compiles a wildcard pattern (case-insensitive, `*` = any run) into a matcher. Without `*`, case is
 * folded with toLowerCase; with `*`, with RegExp `i` (the two differ for a few non-ASCII characters,
 * such as the Kelvin sign: see normalize/CONTEXT.md).
 */
export function wildcardMatcher(pattern: string): (value: string) => boolean {
  const lower = pattern.toLowerCase();
  if (!lower.includes('*')) return (v) => v.toLowerCase() === lower;
  if (lower === '*') return () => true;
  return wildcardTest(pattern, true);
}

/**
 * A predicate over Event metadata implementing the request's metadata constraints and index defaults.
 * Each field's last value and verdict are remembered: a source's events share their index, source and
 * sourcetype strings, so most checks are one comparison.
 */
export function metadataPredicate(req: ScanRequest): (e: Event) => boolean {
  const checks = req.metadata.map((c) => {
    const ms = c.patterns.map(wildcardMatcher);
    return remembering(c.field, (v) => ms.some((m) => m(v)));
  });
  const namesIndex = req.metadata.some((c) => c.field === 'index');
  if (!namesIndex && req.defaultIndexes !== 'all') {
    const allowed = new Set(req.defaultIndexes.map((i) => i.toLowerCase()));
    checks.push(remembering('index', (v) => allowed.has(v.toLowerCase())));
  }
  return (e) => {
    for (const c of checks) if (!c(e)) return false;
    return true;
  };
}

/** `test` on one metadata field, re-run only when the value differs from the previous event's. */
function remembering(field: MetadataField, test: (v: string) => boolean): (e: Event) => boolean {
  let last: string | null = null;
  let verdict = false;
  return (e) => {
    const v = e[field];
    if (v !== last) {
      last = v;
      verdict = test(v);
    }
    return verdict;
  };
}

/** Compiles a RawFilter into a fast test on the raw text. */
export function compileRawFilter(f: RawFilter | null): ((raw: string) => boolean) | null {
  if (!f) return null;
  switch (f.kind) {
    case 'contains': {
      const t = f.text;
      // Case-insensitive substring: a regex with the `i` flag beats lower-casing every line.
      if (!/[a-z]/i.test(t)) return (raw) => raw.includes(t);
      const re = new RegExp(escapeRegExp(t), 'i');
      return (raw) => re.test(raw);
    }
    case 'and': {
      const parts = f.items.map(compileRawFilter).filter((x): x is (raw: string) => boolean => x !== null);
      if (parts.length === 1) return parts[0] as (raw: string) => boolean;
      return (raw) => {
        for (const p of parts) if (!p(raw)) return false;
        return true;
      };
    }
    case 'or': {
      const texts = f.items.map((i) => (i.kind === 'contains' ? i.text : null));
      // One alternation, one pass over the line instead of one per literal. Same matches as the
      // literals' own tests: those use `i` too, except letterless ones (includes), where `i` only
      // differs for non-ASCII characters.
      if (texts.length > 1 && texts.every((t) => t !== null && (/[a-z]/i.test(t) || /^[\x00-\x7f]*$/.test(t)))) {
        const re = new RegExp((texts as string[]).map(escapeRegExp).join('|'), 'i');
        return (raw) => re.test(raw);
      }
      const parts = f.items.map(compileRawFilter).filter((x): x is (raw: string) => boolean => x !== null);
      return (raw) => {
        for (const p of parts) if (p(raw)) return true;
        return false;
      };
    }
  }
}

/** Literals, one of which every line passing a filter contains; `weak` when a key literal is among them. */
interface Anchors {
  texts: string[];
  weak: boolean;
}

function anchorsOf(f: RawFilter): Anchors | null {
  switch (f.kind) {
    case 'contains':
      return { texts: [f.text], weak: f.key === true };
    case 'and': {
      // Any conjunct's anchors will do: prefer value literals, then the longest shortest literal, then fewer.
      let best: Anchors | null = null;
      for (const item of f.items) {
        const a = anchorsOf(item);
        if (a === null) continue;
        if (best === null || better(a, best)) best = a;
      }
      return best;
    }
    case 'or': {
      const texts: string[] = [];
      let weak = false;
      for (const item of f.items) {
        const a = anchorsOf(item);
        if (a === null) return null;
        texts.push(...a.texts);
        weak ||= a.weak;
      }
      return texts.length === 0 ? null : { texts, weak };
    }
  }
}

function better(a: Anchors, b: Anchors): boolean {
  if (a.weak !== b.weak) return !a.weak;
  const minA = Math.min(...a.texts.map((t) => t.length));
  const minB = Math.min(...b.texts.map((t) => t.length));
  if (minA !== minB) return minA > minB;
  return a.texts.length < b.texts.length;
}

/**
 * A global, case-insensitive regex over literals at least one of which every line passing `f`
 * contains, for a source to find candidate lines in a whole chunk of text at once. Null when no such
 * literals are worth searching for (only key literals, which nearly every line has) or when one is not
 * printable ASCII: ASCII literals under `i` match only ASCII characters, so searching the chunk's
 * bytes decoded as latin1 finds exactly the lines whose UTF-8 text matches.
 */
export function rawAnchors(f: RawFilter | null): RegExp | null {
  if (f === null) return null;
  const a = anchorsOf(f);
  if (a === null || a.weak || a.texts.some((t) => t === '' || !/^[\x20-\x7e]+$/.test(t))) return null;
  const unique = [...new Set(a.texts.map((t) => t.toLowerCase()))];
  return new RegExp(unique.map(escapeRegExp).join('|'), 'gi');
}
