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
  /**
   * For a scan shared by several searches: their own requests (the fields above are their union). An event
   * is needed when it passes any of them, which a source may test more narrowly than the union (a file
   * source pairs each search's raw filter with the event kinds its sourcetypes allow).
   */
  alternatives?: readonly ScanRequest[];
  /**
   * Conjunction of exact-value conditions on indexed fields (INDEXED_FIELDS): the event's field must have one of
   * `values`, each lower-cased as `field=value` compares a value without wildcards. A source that keeps the field
   * beside `_raw` (the store's `(process_name, _time)` index, store/indexed-fields.ts) reads only those events.
   */
  indexed?: readonly IndexedFieldCondition[];
  /**
   * The search reads nothing of an event but `_time` and index/sourcetype/source/host (a stats a source could count,
   * spl/plan/pushdown.ts): a source need not decode or hand on more (the store's scan thread would only copy rows).
   */
  metadataOnly?: boolean;
}

/**
 * Fields a source may keep beside `_raw`, exactly as search reads them (normalize/event-result.ts). The process
 * name is what most detections select on first (`process_name="curl"`, `process_name IN (...)`).
 */
export const INDEXED_FIELDS = ['process_name'] as const;
export type IndexedField = (typeof INDEXED_FIELDS)[number];

/** `field` has one of `values` (lower-cased; no wildcards, numbers or CIDR blocks: those match other texts). */
export interface IndexedFieldCondition {
  field: IndexedField;
  values: readonly string[];
}

/** A request's narrowest condition on `field` (its conditions are a conjunction: any one of them is necessary). */
export function narrowestIndexed(conditions: readonly IndexedFieldCondition[] | undefined, field: IndexedField): IndexedFieldCondition | undefined {
  let best: IndexedFieldCondition | undefined;
  for (const c of conditions ?? []) if (c.field === field && (best === undefined || c.values.length < best.values.length)) best = c;
  return best;
}

export type MetadataField = 'index' | 'sourcetype' | 'source' | 'host';

/** `field` must match one of `patterns` (case-insensitive, `*` wildcards). */
export interface MetadataConstraint {
  field: MetadataField;
  patterns: string[];
}

/**
 * A boolean formula over case-insensitive substrings of `_raw` (ASCII letters fold; other characters must
 * be equal). `key` marks a literal that is a JSON key name (`"binary"`): matched case-sensitively (JSON keys
 * and field names are), and present in nearly every event, so a source should not search for it first
 * (see rawAnchors).
 *
 * A literal taken from a field's value or name (not `verbatim`) stands for text that JSON may spell another
 * way, so it also holds on a line holding such a spelling (`literalGuards`): a `\u` escape (any character),
 * `\/` when the literal has `/`, U+212A KELVIN SIGN when it has `k` (it lower-cases to `k`), U+017F LONG S
 * when it has `s` (it case-folds to `s` in a caseless regex). `verbatim` literals are runs of `_raw` itself
 * matched with ASCII case folding only (bare search terms): no other spelling counts.
 */
export type RawFilter =
  | { kind: 'contains'; text: string; key?: boolean; verbatim?: boolean }
  | RawRegex
  | { kind: 'and'; items: RawFilter[] }
  | { kind: 'or'; items: RawFilter[] };

/**
 * A JS regex (`source`, `flags`) the raw text must match somewhere. Unless `verbatim` (a regex over `_raw`
 * itself), it stands for a field's value and follows JSON's two-character escapes itself (spl/regex
 * rawTextRegex), so its only other spelling is a `\u` escape (GUARD_ESCAPE).
 *
 * `keys` (not with `verbatim`; printable ASCII names without `"` or `\`): the field's text comes from string
 * values of members with these names, so the regex also matches inside the text of one of them (a JSON string
 * between its quotes, at any depth), unless the line holds a `\u` escape. A tighter necessary condition a
 * source may test instead of the regex over the whole line (`keyedRegexes`); the whole-line test stays valid.
 */
export interface RawRegex {
  kind: 'regex';
  source: string;
  flags: string;
  verbatim?: boolean;
  keys?: readonly string[];
}

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
  /**
   * Optional (a store that aggregates where the events are: ClickHouse): the events `scan(request)` would return,
   * counted per combination of the values of `columns`, exactly (no event twice, none missing). The engine uses it
   * for a `stats` over metadata alone (spl/plan/pushdown.ts).
   */
  aggregate?(request: ScanRequest, spec: AggregateSpec, options?: ScanOptions): Promise<MetadataAggregate>;
}

/** What `EventSource.aggregate` groups by: metadata columns, and optionally `_time` cut on a grid. */
export interface AggregateSpec {
  columns: readonly MetadataField[];
  /**
   * Also group by `floor(t / timeGrain)`, `t` the `_time` in integer microseconds: groups of the same column values
   * in different grains stay apart (the engine bins each by its earliest and latest `_time`).
   */
  timeGrain?: number;
}

/**
 * What `EventSource.aggregate` answers: one group per distinct combination of the columns' values, in the order a
 * scan meets them (by each group's newest event; ties on `_time` as the scan orders its events).
 */
export interface MetadataAggregate {
  groups: MetadataGroup[];
  /** Rows the source read to answer (its own figure, for benchmarks), when it reports one. */
  rowsRead?: number;
}

export interface MetadataGroup {
  /** The values of the requested columns, in their order, as stored. */
  values: string[];
  count: number;
  /** The smallest and largest `_time` of the group's events, as the events carry them. */
  earliest: number;
  latest: number;
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
  if (parts.some((p) => p.length > LITERAL_PIECE_CHARS)) return piecewiseWildcardTest(parts, caseInsensitive);
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
 * V8 compiles a regex when it first runs it, and refuses one of a literal past ~32,000 characters ("Regular expression
 * too large", a SyntaxError in the middle of a search: `process="<50,000 a>"`). A longer literal is matched as a chain
 * of regexes of at most this many characters each.
 */
export const LITERAL_PIECE_CHARS = 4096;

/**
 * Whether `lit` is in `v` at `at` (RegExp `i` folding when `caseInsensitive`), piece by piece: that folding keeps
 * lengths, so each piece starts where the one before ended.
 */
function literalAt(lit: string, caseInsensitive: boolean): (v: string, at: number) => boolean {
  const pieces: RegExp[] = [];
  for (let i = 0; i < lit.length; i += LITERAL_PIECE_CHARS) pieces.push(new RegExp(escapeRegExp(lit.slice(i, i + LITERAL_PIECE_CHARS)), caseInsensitive ? 'iy' : 'y'));
  return (v, at) => {
    let pos = at;
    for (const re of pieces) {
      re.lastIndex = pos;
      if (!re.test(v)) return false;
      pos = re.lastIndex;
    }
    return true;
  };
}

/** The leftmost position at or after `from` where `lit` is in `v` (as literalAt), or -1; a literal of any length. */
export function literalFinder(lit: string, caseInsensitive: boolean): (v: string, from: number) => number {
  if (lit === '') return (v, from) => (from <= v.length ? from : -1);
  const head = new RegExp(escapeRegExp(lit.slice(0, LITERAL_PIECE_CHARS)), caseInsensitive ? 'gi' : 'g');
  const at = lit.length > LITERAL_PIECE_CHARS ? literalAt(lit, caseInsensitive) : null;
  return (v, from) => {
    for (let i = from; i <= v.length - lit.length; ) {
      head.lastIndex = i;
      const m = head.exec(v);
      if (m === null) return -1;
      if (at === null || at(v, m.index)) return m.index;
      i = m.index + 1;
    }
    return -1;
  };
}

/** wildcardTest for patterns with a literal longer than LITERAL_PIECE_CHARS: the same leftmost-first walk. */
function piecewiseWildcardTest(parts: readonly string[], caseInsensitive: boolean): (value: string) => boolean {
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (parts.length === 1) {
    const exact = literalAt(first, caseInsensitive);
    return (v) => v.length === first.length && exact(v, 0);
  }
  const firstAt = literalAt(first, caseInsensitive);
  const lastAt = literalAt(last, caseInsensitive);
  const middle = parts.slice(1, -1).filter((p) => p !== '');
  const finders = middle.map((p) => literalFinder(p, caseInsensitive));
  const fixed = first.length + last.length;
  return (v) => {
    if (v.length < fixed || !firstAt(v, 0)) return false;
    const end = v.length - last.length;
    if (!lastAt(v, end)) return false;
    let pos = first.length;
    for (let i = 0; i < finders.length; i++) {
      const at = (finders[i] as (v: string, from: number) => number)(v, pos);
      if (at < 0) return false;
      pos = at + (middle[i] as string).length;
      if (pos > end) return false;
    }
    return true;
  };
}

/**
 * The longest literal of a planned raw filter (boundRawLiterals): its searches build regexes of one literal or an
 * alternation of several, which V8 must be able to compile; 256 characters of a value select as well as all of them.
 */
const MAX_RAW_LITERAL_CHARS = 256;

/**
 * A raw filter whose literals are at most `max` characters: a longer one is cut to its start, which a line holding it
 * also holds (a prefilter is only a necessary condition).
 */
export function boundRawLiterals(f: RawFilter, max = MAX_RAW_LITERAL_CHARS): RawFilter {
  switch (f.kind) {
    case 'contains':
      return f.text.length > max ? { ...f, text: f.text.slice(0, max) } : f;
    case 'regex':
      return f;
    case 'and':
    case 'or':
      return { kind: f.kind, items: f.items.map((i) => boundRawLiterals(i, max)) };
  }
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

/** Other spellings of a literal in `_raw` (see RawFilter): bits of `literalGuards` and `textGuards`. */
export const GUARD_ESCAPE = 1; // a `\u` escape
export const GUARD_SLASH = 2; // `\/`
export const GUARD_KELVIN = 4; // U+212A
export const GUARD_LONG_S = 8; // U+017F

/** The spellings that could hide a literal from a case-insensitive search for its text. */
export function literalGuards(f: { text: string; verbatim?: boolean }): number {
  if (f.verbatim === true) return 0;
  const t = f.text;
  let g = GUARD_ESCAPE;
  if (t.includes('/')) g |= GUARD_SLASH;
  if (/k/i.test(t)) g |= GUARD_KELVIN;
  if (/s/i.test(t)) g |= GUARD_LONG_S;
  return g;
}

/** Union of `literalGuards` over the literals of a filter. */
export function filterGuards(f: RawFilter): number {
  if (f.kind === 'contains') return literalGuards(f);
  if (f.kind === 'regex') return f.verbatim === true ? 0 : GUARD_ESCAPE;
  let g = 0;
  for (const item of f.items) g |= filterGuards(item);
  return g;
}

/**
 * The other spellings a text holds. Decoded as UTF-8 (U+212A and U+017F are single characters); latin1
 * text of pure ASCII bytes is the same string.
 */
export function textGuards(text: string): number {
  let g = 0;
  // Escapes come in pairs: a `\` found from the start always begins one, and `\\u` is no `\u` escape.
  for (let i = text.indexOf('\\'); i >= 0; i = text.indexOf('\\', i + 2)) {
    const c = text.charCodeAt(i + 1);
    if (c === 117) g |= GUARD_ESCAPE;
    else if (c === 47) g |= GUARD_SLASH;
  }
  if (text.includes('\u212a')) g |= GUARD_KELVIN;
  if (text.includes('\u017f')) g |= GUARD_LONG_S;
  return g;
}

/** `textGuards` of the line being tested, computed once per test when some literal is missing. */
let lineGuards = -1;
function guardsOf(raw: string): number {
  if (lineGuards < 0) lineGuards = textGuards(raw);
  return lineGuards;
}

/**
 * Compiles a RawFilter into a test on the raw text (decoded as UTF-8). With `sample` lines (the first lines of
 * an input), the items of each conjunction are tested rarest first, regexes after literals, and those of each
 * disjunction most frequent first: a line is decided after fewer and cheaper searches.
 */
export function compileRawFilter(f: RawFilter | null, sample?: readonly string[]): ((raw: string) => boolean) | null {
  if (!f) return null;
  const test = compileNode(f, sample === undefined ? null : sampleOf(sample));
  return (raw) => {
    lineGuards = -1;
    return test(raw);
  };
}

function flatAnd(f: Extract<RawFilter, { kind: 'and' }>): RawFilter[] {
  return f.items.flatMap((i) => (i.kind === 'and' ? flatAnd(i) : [i]));
}

/** The sample lines that order a filter's items, and which of them each node passes (see `passes`). */
interface Sample {
  lines: readonly string[];
  passes: Map<RawFilter, Uint8Array>;
  /** The same of each literal and regex by its leafKey: one written in many places (a key name) is tested once. */
  leaves: Map<string, Uint8Array>;
  /** Conjunctions and disjunctions whose literals were looked for together (`passesOfLiterals`). */
  together: Set<RawFilter>;
}

/**
 * The sample of `lines`, with what was learned of it so far: trimRawFilter and then compileRawFilter on the same
 * lines test each literal once (a pack's filter has ~250).
 */
const samples = new WeakMap<readonly string[], Sample>();
function sampleOf(lines: readonly string[]): Sample {
  let sample = samples.get(lines);
  if (sample === undefined) samples.set(lines, (sample = { lines, passes: new Map(), leaves: new Map(), together: new Set() }));
  return sample;
}

/** Lines of `lines` a filter passes (a sample that orders filters: the store's rows, say). */
export function samplePassCount(f: RawFilter, lines: readonly string[]): number {
  return passCount(f, sampleOf(lines));
}

/** Items of a conjunction or disjunction past which trimRawFilter leaves none out as implied by the others. */
const IMPLY_MAX = 256;
/** Sample lines below which trimRawFilter changes nothing. */
const MIN_TRIM_SAMPLE = 20;
/** Sample lines a part of a filter may fail and still count as always true (trimRawFilter): 1 in this many. */
const TRIM_MISSES = 32;

/**
 * The filter a source needs to test, given `lines` of its input (complete lines, at least MIN_TRIM_SAMPLE): each
 * part that (nearly) every sample line passes is taken as true (all but 1 in TRIM_MISSES), and parts another part
 * implies are left out (`a AND (a OR b)` is `a`, `a OR (a AND b)` is `a`). Null: the whole filter is (nearly)
 * always true, not worth testing. Still a necessary condition, as the filter was: true is implied by anything,
 * and the rest is the same formula. What it saves: a literal every line holds (`ls` in `"false"`, the `"binary"`
 * key every exec has) made each line reach the alternatives it guarded (one regex over the line each, ~0.4 us),
 * and made the line scan's anchors useless (`vigil run "Cisco Isovalent - Potential Escape to Host"`).
 */
export function trimRawFilter(f: RawFilter | null, lines: readonly string[]): RawFilter | null {
  if (f === null || lines.length < MIN_TRIM_SAMPLE) return f;
  const sample = sampleOf(lines);
  const enough = lines.length - Math.floor(lines.length / TRIM_MISSES);
  // Null stands for true.
  // A part holding a keyed regex is not judged by the lines its regex passes: a source may test that on a few
  // values (keyedRegexes), which pass far fewer.
  const keyed = (g: RawFilter): boolean => (g.kind === 'regex' ? g.keys !== undefined && g.keys.length > 0 : g.kind !== 'contains' && g.items.some(keyed));
  const trim = (g: RawFilter): RawFilter | null => {
    if (!keyed(g) && passCount(g, sample) >= enough) return null;
    if (g.kind === 'contains' || g.kind === 'regex') return g;
    let changed = false;
    let items: RawFilter[] = [];
    for (const item of g.items) {
      const t = trim(item);
      if (t !== item) changed = true;
      if (t === null) {
        if (g.kind === 'or') return null; // (judged above unless keyed)
        continue;
      }
      if (t.kind === g.kind) items.push(...t.items);
      else items.push(t);
    }
    // An item the others imply (a conjunction) or that implies another (a disjunction) is left out, in turn: the
    // items left still imply (are implied by) each one left out. Only items with a literal or regex in common can
    // (`implies` ends in the same leaves): the others are not tried (Offensive Tools' ~50 alternatives, a tool
    // each, took 45 ms cold). Past IMPLY_MAX items, none is tried (the same formula, not simplified): each item
    // against all the others is quadratic, and `process_name IN (<20,000 names>)`'s items all share the key names.
    if (items.length > IMPLY_MAX) {
      // Past it, only an item written more than once is left out, the last kept (as the pass would): a list with
      // repeats is no longer than it needs (a longer alternation may be too long for V8 to compile).
      const keys = items.map((x) => JSON.stringify(x));
      const last = new Map(keys.map((k, i) => [k, i]));
      if (last.size < items.length) {
        items = items.filter((_, i) => last.get(keys[i] as string) === i);
        changed = true;
      }
    }
    const leaves = items.length > IMPLY_MAX ? [] : items.map(leavesOf);
    for (let i = 0; i < leaves.length && items.length > 1; i++) {
      const mine = leaves[i] as Set<string>;
      const related = items.filter((_, j) => j !== i && [...(leaves[j] as Set<string>)].some((l) => mine.has(l)));
      if (related.length === 0) continue;
      const others: RawFilter = { kind: g.kind, items: related };
      if (g.kind === 'and' ? implies(others, items[i] as RawFilter) : implies(items[i] as RawFilter, others)) {
        leaves.splice(i, 1);
        items.splice(i--, 1);
        changed = true;
      }
    }
    if (!changed) return g;
    if (items.length === 0) return null;
    return items.length === 1 ? (items[0] as RawFilter) : { kind: g.kind, items };
  };
  return trim(f);
}

/** The literals and regexes of a filter, each by its leafKey. */
function leavesOf(f: RawFilter): Set<string> {
  if (f.kind === 'contains' || f.kind === 'regex') return new Set([leafKey(f)]);
  return new Set(f.items.flatMap((x) => [...leavesOf(x)]));
}

/** A literal or a regex as a text, equal exactly for the same ones. */
function leafKey(f: RawFilter & { kind: 'contains' | 'regex' }): string {
  return f.kind === 'contains'
    ? JSON.stringify(['c', f.text, f.key === true, f.verbatim === true])
    : JSON.stringify(['r', f.source, f.flags, f.verbatim === true, f.keys ?? null]);
}

/** Whether `a` implies `b`, judged on their shapes (false when unsure): what trimRawFilter leaves out. */
function implies(a: RawFilter, b: RawFilter): boolean {
  if (same(a, b)) return true;
  if (b.kind === 'or' && b.items.some((x) => implies(a, x))) return true;
  if (a.kind === 'and' && a.items.some((x) => implies(x, b))) return true;
  if (b.kind === 'and' && b.items.every((x) => implies(a, x))) return true;
  return a.kind === 'or' && a.items.every((x) => implies(x, b));
}

/** Whether two filters are the same formula, written alike. */
function same(a: RawFilter, b: RawFilter): boolean {
  if (a === b) return true;
  if (a.kind === 'contains' || a.kind === 'regex') return b.kind === a.kind && leafKey(a) === leafKey(b);
  return b.kind === a.kind && b.items.length === a.items.length && a.items.every((x, i) => same(x, b.items[i] as RawFilter));
}

/** Lines of the sample a filter passes. */
function passCount(f: RawFilter, sample: Sample): number {
  let n = 0;
  for (const p of passes(f, sample)) n += p;
  return n;
}

/**
 * Which sample lines a filter passes (1/0 per line): literals and regexes tested, conjunctions and disjunctions
 * combined from their items', each node once. (Testing each item's whole subtree at each level cost a pack's
 * filter, ~250 literals deep in ORs of ANDs, 0.1 s per input.)
 */
function passes(f: RawFilter, sample: Sample): Uint8Array {
  let p = sample.passes.get(f);
  if (p !== undefined) return p;
  const n = sample.lines.length;
  if (f.kind === 'and' || f.kind === 'or') {
    if (!sample.together.has(f)) passesOfLiterals(f, sample);
    p = new Uint8Array(n);
    const and = f.kind === 'and';
    p.fill(and ? 1 : 0);
    for (const item of f.items) {
      const q = passes(item, sample);
      for (let i = 0; i < n; i++) p[i] = and ? (p[i] as number) & (q[i] as number) : (p[i] as number) | (q[i] as number);
    }
  } else {
    const key = leafKey(f);
    p = sample.leaves.get(key);
    if (p === undefined) {
      const test = compileRawFilter(f) as (raw: string) => boolean;
      p = new Uint8Array(n);
      for (let i = 0; i < n; i++) p[i] = test(sample.lines[i] as string) ? 1 : 0;
      sample.leaves.set(key, p);
    }
  }
  sample.passes.set(f, p);
  return p;
}

/** Literals of a filter past which `passesOfLiterals` looks for them together. */
const LITERALS_TOGETHER = 64;

/**
 * Which sample lines the caseless printable-ASCII literals under `f` pass, found together: each line's slices
 * looked up (`Texts`), not each literal searched for in each line (20,000 names in an IN list: 60,000 literals, a
 * regex each over each line, took seconds). The same verdicts as their own tests (compileNode): under `i`, an ASCII
 * character matches only its ASCII case variants, so a literal is found where the line with ASCII letters folded
 * holds it folded; and otherwise where the line holds one of its other spellings (`literalGuards`).
 */
function passesOfLiterals(f: RawFilter, sample: Sample): void {
  const literals = new Map<string, Extract<RawFilter, { kind: 'contains' }>>();
  const walk = (g: RawFilter): void => {
    if (g.kind === 'and' || g.kind === 'or') {
      if (sample.together.has(g)) return;
      sample.together.add(g);
      g.items.forEach(walk);
    } else if (g.kind === 'contains' && g.key !== true && /^[\x20-\x7e]+$/.test(g.text)) {
      const key = leafKey(g);
      if (!sample.leaves.has(key)) literals.set(key, g);
    }
  };
  walk(f);
  if (literals.size < LITERALS_TOGETHER) return;
  const n = sample.lines.length;
  const byText = new Map<string, Uint8Array[]>();
  const guards: { p: Uint8Array; g: number }[] = [];
  for (const [key, literal] of literals) {
    const p = new Uint8Array(n);
    sample.leaves.set(key, p);
    const text = foldAscii(literal.text);
    const same = byText.get(text);
    if (same === undefined) byText.set(text, [p]);
    else same.push(p);
    guards.push({ p, g: literalGuards(literal) });
  }
  const texts = new Texts(byText.keys());
  sample.lines.forEach((line, i) => {
    for (const u of texts.within(foldAscii(line))) for (const p of byText.get(u) as Uint8Array[]) p[i] = 1;
    const lineGuards = textGuards(line);
    for (const { p, g } of guards) if ((lineGuards & g) !== 0) p[i] = 1;
  });
}

/**
 * `raw.includes(t)` for a `t` starting with `"` (a key name): its rest is searched and the quote checked. JSON
 * has a `"` every few characters, at which a search for the whole literal keeps stopping; a Tetragon line's miss
 * of `"process_exec"` took 0.8 µs, of its rest 0.5 µs (`"pod"` found: 0.25 -> 0.1 µs).
 */
function afterQuote(t: string): (raw: string) => boolean {
  const rest = t.slice(1);
  return (raw) => {
    for (let i = raw.indexOf(rest, 1); i >= 0; i = raw.indexOf(rest, i + 1)) if (raw.charCodeAt(i - 1) === 34) return true;
    return false;
  };
}

function compileNode(f: RawFilter, sample: Sample | null): (raw: string) => boolean {
  switch (f.kind) {
    case 'contains': {
      const t = f.text;
      const g = literalGuards(f);
      let found: (raw: string) => boolean;
      // Case-insensitive substring: a regex with the `i` flag beats lower-casing every line.
      if (f.key === true || !/[a-z]/i.test(t)) found = t.length > 2 && t.charCodeAt(0) === 34 ? afterQuote(t) : (raw) => raw.includes(t);
      else {
        const re = new RegExp(escapeRegExp(t), 'i');
        found = (raw) => re.test(raw);
      }
      if (g === 0) return found;
      return (raw) => found(raw) || (guardsOf(raw) & g) !== 0;
    }
    case 'regex': {
      const re = new RegExp(f.source, f.flags.replace(/[gy]/g, ''));
      if (f.verbatim === true) return (raw) => re.test(raw);
      return (raw) => re.test(raw) || (guardsOf(raw) & GUARD_ESCAPE) !== 0;
    }
    case 'and': {
      // Nested conjunctions flattened: their items are ordered with these (a nested regex goes last too).
      let items = f.items.flatMap((i) => (i.kind === 'and' ? flatAnd(i) : [i]));
      if (sample !== null && sample.lines.length > 0 && items.length > 1) {
        // Regexes last: a literal is a fast search, a regex walks the line.
        const rank = new Map(items.map((item) => [item, (item.kind === 'regex' ? sample.lines.length + 1 : 0) + passCount(item, sample)]));
        items = [...items].sort((a, b) => (rank.get(a) as number) - (rank.get(b) as number));
      }
      const parts = items.map((item) => compileNode(item, sample));
      if (parts.length === 1) return parts[0] as (raw: string) => boolean;
      return (raw) => {
        for (const p of parts) if (!p(raw)) return false;
        return true;
      };
    }
    case 'or': {
      let items = f.items;
      if (sample !== null && sample.lines.length > 0 && items.length > 1) {
        // The item passing most sample lines first: a line is accepted after fewer searches.
        const counts = new Map(items.map((item) => [item, passCount(item, sample)]));
        items = [...items].sort((a, b) => (counts.get(b) as number) - (counts.get(a) as number));
      }
      const texts = items.map((i) => (i.kind === 'contains' && (i.key !== true || !/[a-z]/i.test(i.text)) ? i.text : null));
      // One alternation, one pass over the line instead of one per literal. Same matches as the
      // literals' own tests: those use `i` too, except letterless ones (includes), where `i` only
      // differs for non-ASCII characters (key names with letters are case-sensitive: tested alone).
      if (texts.length > 1 && texts.every((t) => t !== null && (/[a-z]/i.test(t) || /^[\x00-\x7f]*$/.test(t)))) {
        const wide = wideSearch((texts as string[]).map(foldAscii), sample);
        let found: (raw: string) => boolean;
        if (wide !== null) found = (raw) => wide(raw, () => true);
        else {
          const re = new RegExp((texts as string[]).map(escapeRegExp).join('|'), 'i');
          found = (raw) => re.test(raw);
        }
        const g = filterGuards(f);
        if (g === 0) return found;
        return (raw) => found(raw) || (guardsOf(raw) & g) !== 0;
      }
      const parts = items.map((item) => compileNode(item, sample));
      // Many alternatives, each holding one of its anchors (a list of tool names, each with its own conditions):
      // one alternation of every anchor first rejects most lines in one pass, not one search per alternative.
      // Alternatives without anchors of their own (a regex, key names only) are tested apart, first: a pack's
      // trimmed filter joins its searches' alternatives with a kind's key (`"process_connect"`), which had each
      // of ~60 alternatives tested on every line (Escape to Host, Offensive Tools, a connect search: 2.9 -> 9.4 s).
      const strong = parts.length > 4 ? items.map((item) => anchorsOf(item, null)).map((a) => (a !== null && !a.weak ? a : null)) : [];
      const gated = parts.filter((_, i) => strong[i] != null);
      if (gated.length > 4) {
        const texts = withoutSuperstrings(strong.flatMap((a) => a?.texts ?? []));
        const g = strong.reduce((x, a) => x | (a?.guards ?? 0), 0);
        const apart = parts.filter((_, i) => strong[i] == null);
        if (!texts.every((t) => /^[\x20-\x7e]+$/.test(t))) {
          const any = new RegExp(texts.map(escapeRegExp).join('|'), 'i');
          return (raw) => {
            for (const p of apart) if (p(raw)) return true;
            if (!any.test(raw) && (guardsOf(raw) & g) === 0) return false;
            for (const p of gated) if (p(raw)) return true;
            return false;
          };
        }
        // ASCII anchors (matched by ASCII characters only, whatever their case): each one found picks the
        // alternatives a line holding it may pass, not all of them (a pack's curl search and ~50 tool names: 21%
        // of lines hold `curl"`, each then tested ~50 times). Texts may overlap: each position is tried.
        // An anchor that is an alternative of its own (a literal, as `/sh"`) passes the line where found, not
        // searched for again.
        const search = wideSearch(texts, sample) ?? alternationSearch(texts);
        // `tried`: the test in which the anchor's alternatives last failed. Once a line: a line alternating two
        // anchors had them tested (each a search of the line) at every occurrence, quadratic in a hostile line.
        // Each anchor's alternatives: those with a text holding it, in their order (found from each alternative's
        // texts: thousands of alternatives (a long IN list) took minutes matched anchor by anchor).
        const literals = new Set(items.flatMap((item, i) => (strong[i] != null && item.kind === 'contains' ? [foldAscii(item.text)] : [])));
        const anchorsFound = new Map(texts.map((u) => [u, { parts: [] as ((raw: string) => boolean)[], holds: literals.has(u), tried: 0 }]));
        const anchorTexts = new Texts(texts);
        strong.forEach((a, i) => {
          for (const t of a?.texts ?? []) {
            for (const u of anchorTexts.within(foldAscii(t))) {
              const found = (anchorsFound.get(u) as { parts: ((raw: string) => boolean)[] }).parts;
              if (found[found.length - 1] !== parts[i]) found.push(parts[i] as (raw: string) => boolean);
            }
          }
        });
        let tests = 0;
        /** Whether the line passes by anchor `u`, found in it (a false: its alternatives not tried again). */
        const passesBy = (u: string, raw: string): boolean => {
          const a = anchorsFound.get(u);
          if (a === undefined || a.tried === tests) return false;
          if (a.holds) return true;
          for (const p of a.parts) if (p(raw)) return true;
          a.tried = tests;
          return false;
        };
        return (raw) => {
          for (const p of apart) if (p(raw)) return true;
          tests++;
          if (search(raw, passesBy)) return true;
          if ((guardsOf(raw) & g) === 0) return false;
          for (const p of gated) if (p(raw)) return true;
          return false;
        };
      }
      return (raw) => {
        for (const p of parts) if (p(raw)) return true;
        return false;
      };
    }
  }
}

/**
 * The search of lines for texts (ASCII-folded, printable ASCII) by their alternation. The first by a search that is
 * not global (most lines hold none: a global search of them looked 20% slower in a profile), the next ones from after
 * it: one search of the line, not a test and then a search (Shell Execution, whose `/sh"` 73% of lines hold, 2.3 ->
 * 2.0 s CPU). Texts may overlap: each position is tried.
 */
function alternationSearch(texts: readonly string[]): TextSearch {
  const any = new RegExp(texts.map(escapeRegExp).join('|'), 'i');
  const each = new RegExp(any.source, 'gi');
  return (raw, at) => {
    for (let m = any.exec(raw); m !== null; m = each.exec(raw)) {
      each.lastIndex = m.index + 1;
      if (at(foldAscii(m[0]), raw)) return true;
    }
    return false;
  };
}

/** Characters of an alternation past which V8 interprets the regex instead of compiling it (20 KB): ~15x slower. */
const NATIVE_PATTERN_MAX = 16_000;

/**
 * Calls `at` with each of a search's texts at each place a line holds it (ASCII case folded, as an alternation's `i`
 * matches) until `at` returns true, and returns whether it did.
 */
type TextSearch = (raw: string, at: (text: string, raw: string) => boolean) => boolean;

/**
 * The search of lines for many texts (ASCII-folded, printable ASCII, of 3 characters or more) whose alternation is
 * too long to compile (NATIVE_PATTERN_MAX), else null. Where a text may start is found by one short regex of their
 * characters' shape (a first character, inner ones as many as the texts' lengths allow, a last one: every place a
 * text starts has it), and each length of text is looked up there: per line, work independent of the number of texts
 * (`process_name IN (<20,000 names>)`, 40,000 anchors: the alternation, interpreted, ~28 us a Tetragon line; this,
 * ~3 us).
 */
function wideSearch(texts: readonly string[], sample: Sample | null): TextSearch | null {
  if (texts.reduce((n, t) => n + t.length + 1, 0) <= NATIVE_PATTERN_MAX || !texts.every((t) => t.length >= 3 && /^[\x20-\x7e]+$/.test(t))) return null;
  const set = new Set(texts);
  const lengths = [...new Set(texts.map((t) => t.length))].sort((a, b) => a - b);
  const firsts = new Set<number>();
  const inner = new Set<number>();
  const lasts = new Uint8Array(128);
  for (const t of set) {
    firsts.add(t.charCodeAt(0));
    for (let i = 1; i < t.length - 1; i++) inner.add(t.charCodeAt(i));
    lasts[t.charCodeAt(t.length - 1)] = 1;
  }
  const ofClass = (cs: Iterable<number>): string => `[${[...cs].map((c) => '\\x' + c.toString(16).padStart(2, '0')).join('')}]`;
  const lastClass = ofClass([...lasts.keys()].filter((c) => lasts[c] === 1));
  const min = lengths[0] as number;
  const max = lengths[lengths.length - 1] as number;
  // `i`: a class matches both cases of its ASCII letters, as the alternation would.
  const shape = new RegExp(`${ofClass(firsts)}(?=${ofClass(inner)}{${min - 2},${max - 2}}${lastClass})`, 'gi');
  let lookups = 0;
  const search: TextSearch = (raw, at) => {
    shape.lastIndex = 0;
    for (let m = shape.exec(raw); m !== null; m = shape.exec(raw)) {
      const start = m.index;
      for (const n of lengths) {
        if (start + n > raw.length) break;
        let c = raw.charCodeAt(start + n - 1);
        if (c >= 65 && c <= 90) c += 32;
        if (c >= 128 || lasts[c] === 0) continue;
        lookups++;
        const text = raw.slice(start, start + n);
        // toLowerCase folds more than ASCII letters (U+212A to `k`): a text found is checked folded as `i` folds.
        const u = text.toLowerCase();
        if (set.has(u) && foldAscii(text) === u && at(u, raw)) return true;
      }
    }
    return false;
  };
  // A shape most places of a line have (words of letters: every letter may start one) costs more in lookups than the
  // alternation interpreted (2,000 words over 100k Tetragon lines: 4.3 s against 1.1 s): the sample tells.
  let chars = 0;
  for (const line of sample?.lines ?? []) {
    chars += line.length;
    search(line, () => false);
  }
  return lookups * CHARS_A_LOOKUP > chars ? null : search;
}

/** Sample characters a wideSearch lookup must stand for at least (else the alternation is cheaper). */
const CHARS_A_LOOKUP = 16;

/**
 * The keyed regexes (RawRegex `keys`) a line must match for the filter to pass: conjuncts of the filter (through
 * nested conjunctions), none under a disjunction.
 */
export function keyedRegexes(f: RawFilter | null): RawRegex[] {
  if (f === null) return [];
  const items = f.kind === 'and' ? flatAnd(f) : [f];
  return items.filter((i): i is RawRegex => i.kind === 'regex' && i.keys !== undefined && i.keys.length > 0 && i.verbatim !== true);
}

/** Literals, one of which every line passing a filter contains; `weak` when a key literal is among them. */
interface Anchors {
  texts: string[];
  weak: boolean;
  guards: number;
}

/** Alternatives of a disjunction beyond which anchorsOf does not look for fewer anchors. */
const FEWER_ANCHORS_MAX = 16;

/**
 * `fits`: whether a line scan can search a set of anchors. A disjunction's anchors are its alternatives' own; when
 * they do not fit, alternatives that have other anchors (another conjunct's) take those if fewer texts are then
 * needed: `ps AND aux` has `ps` too, which lines with `/ps"` or `"ps"` (another alternative's) also hold.
 */
function anchorsOf(f: RawFilter, sample: string | null, fits?: (texts: readonly string[]) => boolean): Anchors | null {
  switch (f.kind) {
    case 'contains':
      // An empty literal is in every line: nothing to look for.
      return f.text === '' ? null : { texts: [f.text], weak: f.key === true, guards: literalGuards(f) };
    case 'regex':
      return null;
    case 'and':
      return anchorOptions(f, sample, fits)[0] ?? null;
    case 'or': {
      const options = f.items.map((item) => anchorOptions(item, sample, fits));
      if (options.some((o) => o.length === 0)) return null;
      let chosen = options.map((o) => o[0] as Anchors);
      let union = unionOf(chosen);
      // One pass over the alternatives at a time, each taking the anchors that leave the fewest texts. (A list of
      // tools, dozens of alternatives with a name each, never gets down to a scan's few: not tried, ~50 ms.)
      if (fits !== undefined && f.items.length <= FEWER_ANCHORS_MAX) {
        for (let pass = 0; pass < 3 && !fits(union.texts); pass++) {
          let changed = false;
          options.forEach((opts, i) => {
            for (const o of opts) {
              const tried = chosen.map((c, j) => (j === i ? o : c));
              const u = unionOf(tried);
              if (u.texts.length < union.texts.length) {
                chosen = tried;
                union = u;
                changed = true;
              }
            }
          });
          if (!changed) break;
        }
      }
      return union.texts.length === 0 ? null : union;
    }
  }
}

/** The anchor sets of a filter any of which will do, best first (a conjunction: each conjunct's). */
function anchorOptions(f: RawFilter, sample: string | null, fits?: (texts: readonly string[]) => boolean): Anchors[] {
  if (f.kind !== 'and') {
    const a = anchorsOf(f, sample, fits);
    return a === null ? [] : [a];
  }
  // Prefer value literals, then the rarest in the sample, then the longest shortest literal, then fewer.
  const options: { a: Anchors; hits: number }[] = [];
  for (const item of f.items) {
    const a = anchorsOf(item, sample, fits);
    if (a !== null) options.push({ a, hits: sample === null || a.weak ? Infinity : countHits(a.texts, sample) });
  }
  options.sort((x, y) => (better(x.a, x.hits, y.a, y.hits) ? -1 : better(y.a, y.hits, x.a, x.hits) ? 1 : 0));
  return options.map((o) => o.a);
}

/** The anchors of alternatives together, without a text holding another (a line with it holds the other). */
function unionOf(sets: readonly Anchors[]): Anchors {
  return { texts: withoutSuperstrings(sets.flatMap((a) => a.texts)), weak: sets.some((a) => a.weak), guards: sets.reduce((g, a) => g | a.guards, 0) };
}

/** `text` with its ASCII letters lower-cased (what a caseless literal folds: nothing else). */
function foldAscii(text: string): string {
  return text.replace(/[A-Z]+/g, (c) => c.toLowerCase());
}

/**
 * Texts (once each, ASCII letters folded) but those holding another of them: what the literals' `i` matching folds
 * (U+212A lower-cases to `k`, but no literal matches it for one).
 */
function withoutSuperstrings(texts: readonly string[]): string[] {
  const folded = new Texts(texts.map(foldAscii));
  return folded.list.filter((t) => !folded.within(t).some((u) => u !== t));
}

/**
 * Distinct texts, and which of them a text holds (`within`), found by looking its slices of their lengths up, not
 * by searching it for each of them: `process_name IN (<20,000 names>)` has 40,000 anchors, which searched pairwise
 * (superstrings, the alternatives an anchor picks) took over a minute. A text longer than the slices are worth
 * (a few texts of many lengths) is searched for each, as before.
 */
class Texts {
  readonly list: readonly string[];
  private readonly set: ReadonlySet<string>;
  /** The lengths of the texts, ascending. */
  private readonly lengths: readonly number[];

  constructor(texts: Iterable<string>) {
    this.set = new Set(texts);
    this.list = [...this.set];
    this.lengths = [...new Set(this.list.map((t) => t.length))].sort((a, b) => a - b);
  }

  /** The texts `t` holds (itself too, when one of them), each once. */
  within(t: string): string[] {
    let slices = 0;
    for (const n of this.lengths) if (n <= t.length) slices += t.length - n + 1;
    if (slices > this.list.length) return this.list.filter((u) => t.includes(u));
    const found = new Set<string>();
    for (const n of this.lengths) {
      if (n > t.length) break;
      for (let i = 0; i + n <= t.length; i++) {
        const u = t.slice(i, i + n);
        if (this.set.has(u)) found.add(u);
      }
    }
    return [...found];
  }
}

function better(a: Anchors, aHits: number, b: Anchors, bHits: number): boolean {
  if (a.weak !== b.weak) return !a.weak;
  if (aHits !== bHits) return aHits < bHits;
  // (Not Math.min(...): a spread of a long IN list's texts overflows the stack.)
  const minA = a.texts.reduce((m, t) => Math.min(m, t.length), Infinity);
  const minB = b.texts.reduce((m, t) => Math.min(m, t.length), Infinity);
  if (minA !== minB) return minA > minB;
  return a.texts.length < b.texts.length;
}

/** Occurrences of any of `texts` in `sample`, case-insensitive. */
function countHits(texts: readonly string[], sample: string): number {
  // None, without a regex built and run, when the sample holds none of them (a long IN list's ~2 options an
  // alternative: 40,000 regexes over the sample took 0.7 s of 20,000 names' planning).
  if (texts.length > 0 && !mayHoldAny(sample, texts)) return 0;
  let n = 0;
  // matchAll steps past an empty match (an `exec` loop would stay on it forever).
  for (const _ of sample.matchAll(new RegExp(texts.map(escapeRegExp).join('|'), 'gi'))) n++;
  return n;
}

/** Lengths of text whose windows of the sample `mayHoldAny` keeps, at most (a set of numbers each). */
const SAMPLE_WINDOW_LENGTHS = 32;
const HASH_BASE = 31;

/** The latest sample countHits read, with its ASCII letters folded, and the hashes of its windows by length. */
let sampleWindows = { text: '', folded: '', byLength: new Map<number, Set<number>>() };

/**
 * False when the sample holds none of `texts` in any ASCII case (what `i` matches for printable ASCII), judged by
 * hashes of its windows of their lengths (true: maybe, when a hash is shared or a text is not printable ASCII).
 */
function mayHoldAny(sample: string, texts: readonly string[]): boolean {
  if (sampleWindows.text !== sample) sampleWindows = { text: sample, folded: foldAscii(sample), byLength: new Map() };
  const { folded, byLength } = sampleWindows;
  return texts.some((t) => {
    if (t === '' || !/^[\x20-\x7e]+$/.test(t)) return true;
    let hashes = byLength.get(t.length);
    if (hashes === undefined) {
      if (byLength.size >= SAMPLE_WINDOW_LENGTHS) return true;
      byLength.set(t.length, (hashes = windowHashes(folded, t.length)));
    }
    return hashes.has(windowHash(foldAscii(t), 0, t.length));
  });
}

/** The hash of `text`'s characters [start, start + n): what windowHashes rolls. */
function windowHash(text: string, start: number, n: number): number {
  let h = 0;
  for (let i = start; i < start + n; i++) h = (Math.imul(h, HASH_BASE) + text.charCodeAt(i)) | 0;
  return h;
}

/** The hashes of every window of `n` characters of `text`, rolled: each character added and dropped once. */
function windowHashes(text: string, n: number): Set<number> {
  const out = new Set<number>();
  if (text.length < n) return out;
  let top = 1; // HASH_BASE ** (n - 1), the weight of a window's first character
  for (let i = 1; i < n; i++) top = Math.imul(top, HASH_BASE);
  let h = windowHash(text, 0, n);
  out.add(h);
  for (let i = n; i < text.length; i++) {
    h = (Math.imul((h - Math.imul(text.charCodeAt(i - n), top)) | 0, HASH_BASE) + text.charCodeAt(i)) | 0;
    out.add(h);
  }
  return out;
}

/**
 * Where a source can look for the lines a filter may pass without testing each: `texts` (lower-case, printable
 * ASCII) are literals one of which, in either ASCII case, every passing line contains; a line without them passes
 * only through another spelling of one (`guards`, see RawFilter), which the source must look for too. Null when
 * no such literals are worth searching for (only key literals, which nearly every line has) or when one is not
 * printable ASCII: ASCII literals under `i` match only ASCII characters, so a search of the bytes, folding ASCII
 * case only, finds exactly the lines whose UTF-8 text holds them. With a `sample` of the input's text, the rarest
 * literals in it are chosen. With `keys`, key literals will do when nothing better does (`weak`): a pack whose
 * searches read different event kinds has only those (`"process_exec"`, …), and they still rule out the kinds no
 * search reads (a key searched caseless: a weaker condition than its exact test, still a necessary one).
 *
 * `conjuncts`: the filter's other conjuncts that are literals (key names too) or disjunctions of them, in the same
 * form and rarest in the sample first, leaving out those the anchors imply: a passing line holds one of each too,
 * which a source may check in the lines holding an anchor before testing them.
 */
export interface RawAnchors {
  texts: readonly string[];
  guards: number;
  /** Key literals among `texts`: most lines may hold one. */
  weak: boolean;
  conjuncts: readonly { texts: readonly string[]; guards: number }[];
}

export function rawAnchors(f: RawFilter | null, sample?: string, opts: { keys?: boolean; fits?: (texts: readonly string[]) => boolean } = {}): RawAnchors | null {
  if (f === null) return null;
  const printable = (a: Anchors | null): a is Anchors => a !== null && a.texts.every((t) => t !== '' && /^[\x20-\x7e]+$/.test(t));
  const a = anchorsOf(f, sample ?? null, opts.fits);
  if (!printable(a) || (a.weak && opts.keys !== true)) return null;
  const texts = a.texts.map((t) => t.toLowerCase()); // (printable ASCII: the same strings as withoutSuperstrings')
  const conjuncts: { texts: string[]; guards: number; hits: number }[] = [];
  for (const item of f.kind === 'and' ? flatAnd(f) : []) {
    const c = anchorsOf(item, sample ?? null);
    if (!printable(c)) continue;
    const ct = [...new Set(c.texts.map((t) => t.toLowerCase()))];
    const held = new Texts(ct);
    if (texts.every((t) => held.within(t).length > 0)) continue; // every anchor holds one: implied
    conjuncts.push({ texts: ct, guards: c.guards, hits: sample === undefined ? 0 : countHits(ct, sample) });
  }
  conjuncts.sort((x, y) => x.hits - y.hits);
  return { texts, guards: a.guards, weak: a.weak, conjuncts: conjuncts.map(({ texts: t, guards }) => ({ texts: t, guards })) };
}
