import type { Result } from '../events/result.js';
import { toNumber, type FieldValue } from '../events/value.js';
import { metadataPredicate, type MetadataField, type ScanRequest } from '../events/scan.js';
import type { SearchExpr, SearchValue } from '../spl/parse/ast.js';
import { cidrMatcher } from '../spl/search/cidr.js';
import { compileSearch, type RowPredicate } from '../spl/search/predicate.js';
import type { SourceText } from '../spl/source.js';
import { SegmentRow, type Segment } from './segment.js';

/**
 * Which rows of a summary segment a search reads, without touching every row when it need not: tstats' WHERE
 * and the scan's time range and metadata constraints are evaluated per lexicon value (a comparison reads one
 * field, so its verdict on a row is its verdict on that row's value id), and combined as sorted row lists:
 *
 * - an AND runs its cheapest parts first, and each later part tests only the rows still in (so a selective
 *   `process_name=rm` spares the wildcards on the million-value `process` lexicon all but a few tests);
 * - a comparison over every row turns the matching ids into rows through the field's postings (ids → rows,
 *   built once per segment), so a rare value costs its rows, not the segment's;
 * - a wildcard or exact text over a large lexicon is first looked for as a lower-cased literal in the
 *   lexicon's text (one native `indexOf` scan for all of its values); only values containing it are tested.
 *
 * Every verdict comes from the search predicate itself (values the literal scan cannot vouch for: numbers,
 * multivalues, non-ASCII text, are always tested), so the rows are exactly those the comparisons accept.
 */

/** Ascending row numbers; null: every row of the segment. */
type Rows = Uint32Array | null;

type IdColumn = Segment['ids'][number];

const EMPTY = new Uint32Array(0);

/** Below this many values a lexicon is simply tested value by value. */
const LITERAL_SCAN_MIN_LEXICON = 4096;

/** Query structures of a decoded segment, built when a search first needs them (segments never change). */
interface SegmentIndex {
  postings: Map<number, Postings>;
  texts: Map<number, LexiconText>;
  timeRange: [number, number] | null;
}

/** Per value id, its rows: `rows[start[id]] .. rows[start[id + 1] - 1]`, ascending. */
interface Postings {
  start: Uint32Array;
  rows: Uint32Array;
}

/**
 * A lexicon's ASCII text values, lower-cased, in one string (NUL-separated: a literal without NUL cannot
 * span two values), with each value's start; `others`: the ids of values not in it (always tested).
 */
interface LexiconText {
  text: string;
  starts: Uint32Array;
  ids: Uint32Array;
  others: Uint32Array;
  /** Occurrences of each character code below 128 (the literal scan starts at its rarest character). */
  frequency: Uint32Array;
}

const indexes = new WeakMap<Segment, SegmentIndex>();

function indexOf(seg: Segment): SegmentIndex {
  let ix = indexes.get(seg);
  if (!ix) indexes.set(seg, (ix = { postings: new Map(), texts: new Map(), timeRange: null }));
  return ix;
}

/**
 * The rows of `seg` that pass the scan's time range and metadata constraints and `where` (names: the
 * names `where` uses → the segment's), ascending; null: every row. Parts of `where` this cannot evaluate per
 * value (a bare term) leave their rows in: the caller re-tests every row it reads.
 */
export function segmentRows(seg: Segment, scan: ScanRequest, where: SearchExpr | null, names: ReadonlyMap<string, string>, source: SourceText): Rows {
  let rows = timeRows(seg, scan.earliest ?? -Infinity, scan.latest ?? Infinity);
  for (const field of ['index', 'sourcetype', 'source', 'host'] as MetadataField[]) {
    if (rows !== null && rows.length === 0) return rows;
    const one: ScanRequest = { ...scan, metadata: scan.metadata.filter((c) => c.field === field), defaultIndexes: field === 'index' ? scan.defaultIndexes : 'all' };
    if (one.metadata.length === 0 && one.defaultIndexes === 'all') continue;
    const test = metadataPredicate(one);
    rows = leafRows(seg, field, (v) => test({ _time: 0, index: '', sourcetype: '', source: '', host: '', _raw: '', [field]: v === null ? '' : String(v) }), null, rows);
  }
  if (where === null || (rows !== null && rows.length === 0)) return rows;
  return exprRows(seg, where, names, source, rows) ?? rows;
}

function timeRows(seg: Segment, lo: number, hi: number): Rows {
  if (lo === -Infinity && hi === Infinity) return null;
  const ix = indexOf(seg);
  if (!ix.timeRange) {
    let min = Infinity;
    let max = -Infinity;
    let nan = false;
    for (const t of seg.times) {
      if (Number.isNaN(t)) nan = true;
      if (t < min) min = t;
      if (t > max) max = t;
    }
    // A row without a time fails any range: NaN bounds make the fast paths below not apply.
    ix.timeRange = nan ? [NaN, NaN] : [min, max];
  }
  const [min, max] = ix.timeRange;
  if (min >= lo && max < hi) return null;
  if (max < lo || min >= hi) return EMPTY;
  const times = seg.times;
  return filterRows(null, times.length, (r) => times[r]! >= lo && times[r]! < hi);
}

/** The rows of `within` that pass `e`, or undefined when `e` has a part this cannot evaluate per value. */
function exprRows(seg: Segment, e: SearchExpr, names: ReadonlyMap<string, string>, source: SourceText, within: Rows): Rows | undefined {
  switch (e.kind) {
    case 'and': {
      let rows = within;
      for (const item of [...e.items].sort((a, b) => cost(seg, a, names) - cost(seg, b, names))) {
        const next = exprRows(seg, item, names, source, rows);
        if (next === undefined) return undefined;
        rows = next;
        if (rows !== null && rows.length === 0) break;
      }
      return rows;
    }
    case 'or': {
      const parts: Uint32Array[] = [];
      for (const item of e.items) {
        const rows = exprRows(seg, item, names, source, within);
        if (rows === undefined) return undefined;
        if (rows === null) return within;
        parts.push(rows);
      }
      return union(parts);
    }
    case 'not': {
      const inner = exprRows(seg, e.expr, names, source, within);
      if (inner === undefined) return undefined;
      return minus(within, inner, seg.times.length);
    }
    case 'time':
      return within;
    case 'compare':
    case 'in':
      return comparisonRows(seg, e, names, source, within);
    default:
      return undefined;
  }
}

/** Roughly what evaluating `e` over a whole segment costs: the lexicon sizes its comparisons test. */
function cost(seg: Segment, e: SearchExpr, names: ReadonlyMap<string, string>): number {
  switch (e.kind) {
    case 'and':
    case 'or':
      return e.items.reduce((a, i) => a + cost(seg, i, names), 0);
    case 'not':
      return cost(seg, e.expr, names);
    case 'compare':
    case 'in': {
      const i = seg.fields.indexOf(names.get(e.field) ?? '');
      const values = e.kind === 'in' ? e.values.length : 1;
      return i < 0 ? 0 : (seg.lexicons[i]!.length + 1) * values;
    }
    default:
      return 0;
  }
}

/**
 * A comparison's predicate and literals, made once per search: a search reads every segment of its range
 * (thousands over a week of busy hours), and compiling an `IN` of 12,500 values for each of 550 segments took
 * 5 s where reading the raw events took 1 s. Keyed by the parsed node, which belongs to one search's text.
 */
const compiled = new WeakMap<SearchExpr, { test: RowPredicate; literals: string[] | null }>();

function compiledComparison(e: Extract<SearchExpr, { kind: 'compare' | 'in' }>, source: SourceText): { test: RowPredicate; literals: string[] | null } {
  let c = compiled.get(e);
  if (!c) compiled.set(e, (c = { test: compileSearch(e, source), literals: literalsOf(e) }));
  return c;
}

function comparisonRows(seg: Segment, e: Extract<SearchExpr, { kind: 'compare' | 'in' }>, names: ReadonlyMap<string, string>, source: SourceText, within: Rows): Rows {
  const { test, literals } = compiledComparison(e, source);
  const inner = names.get(e.field);
  if (inner === '_time') {
    const row = new SegmentRow(seg);
    const view: Result = { get: (f) => (f === e.field ? row.get('_time') : null), set: () => {}, fieldNames: () => [], clone: () => view };
    return filterRows(within, seg.times.length, (r) => {
      row.at = r;
      return test(view);
    });
  }
  return leafRows(seg, inner ?? '', (v) => test(oneField(e.field, inner === undefined ? null : v)), literals, within);
}

/**
 * The rows of `within` whose value of `field` passes `test`. `literals`: lower-cased texts one of which a
 * text value must contain to pass (null: no such literal), for scanning a large lexicon's text.
 */
function leafRows(seg: Segment, field: string, test: (v: FieldValue | null) => boolean, literals: string[] | null, within: Rows): Rows {
  const i = seg.fields.indexOf(field);
  if (i < 0) return test(null) ? within : EMPTY;
  const lex = seg.lexicons[i]!;
  const ids = seg.ids[i]!;
  const n = seg.times.length;
  if (within !== null && within.length * 4 < lex.length) {
    // Few rows left: test only their values, each once.
    const seen = new Uint8Array(lex.length + 1); // 0 untested, 1 passes, 2 fails
    return filterRows(within, n, (r) => {
      const id = ids[r]!;
      let v = seen[id]!;
      if (v === 0) seen[id] = v = test(id === 0 ? null : lex[id - 1]!) ? 1 : 2;
      return v === 1;
    });
  }
  const verdicts = lexiconVerdicts(seg, i, test, literals);
  if (within !== null) return filterRows(within, n, (r) => verdicts[ids[r]!] === 1);
  // Every row: through the postings when the passing values hold few rows.
  const p = postingsOf(seg, i);
  let hits = 0;
  let passing = 0;
  for (let id = 0; id < verdicts.length; id++) {
    if (verdicts[id] !== 1) continue;
    passing++;
    hits += p.start[id + 1]! - p.start[id]!;
  }
  if (hits === n) return null;
  if (hits * 8 > n) return filterRows(null, n, (r) => verdicts[ids[r]!] === 1);
  const out = new Uint32Array(hits);
  let at = 0;
  for (let id = 0; id < verdicts.length; id++) {
    if (verdicts[id] !== 1) continue;
    out.set(p.rows.subarray(p.start[id]!, p.start[id + 1]!), at);
    at += p.start[id + 1]! - p.start[id]!;
  }
  return passing > 1 ? out.sort() : out;
}

/** A verdict (1 passes) per id of field `i` (index 0: null). */
function lexiconVerdicts(seg: Segment, i: number, test: (v: FieldValue | null) => boolean, literals: string[] | null): Uint8Array {
  const lex = seg.lexicons[i]!;
  const out = new Uint8Array(lex.length + 1);
  out[0] = test(null) ? 1 : 0;
  if (literals === null || lex.length < LITERAL_SCAN_MIN_LEXICON) {
    for (let k = 0; k < lex.length; k++) out[k + 1] = test(lex[k]!) ? 1 : 0;
    return out;
  }
  const t = lexiconText(seg, i);
  const candidate = new Uint8Array(lex.length + 1);
  for (const literal of literals) findLiteral(t, literal, candidate);
  for (const id of t.others) candidate[id] = 1;
  for (let id = 1; id <= lex.length; id++) if (candidate[id] && test(lex[id - 1]!)) out[id] = 1;
  return out;
}

/** Marks the ids of the values of `t` that contain `literal`. */
function findLiteral(t: LexiconText, literal: string, candidate: Uint8Array): void {
  // Native indexOf is fastest when the needle starts with a rare character: look for the literal's suffix
  // from its rarest character (a value containing the literal contains it), then check the candidates.
  let from = 0;
  for (let k = 1; k < literal.length; k++) if (t.frequency[literal.charCodeAt(k)]! < t.frequency[literal.charCodeAt(from)]!) from = k;
  const needle = literal.slice(from);
  const { text, starts, ids } = t;
  let pos = text.indexOf(needle);
  while (pos >= 0) {
    // The value holding `pos`: the last start <= pos.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    candidate[ids[lo]!] = 1;
    // On to the next value.
    pos = lo + 1 < starts.length ? text.indexOf(needle, starts[lo + 1]!) : -1;
  }
}

function lexiconText(seg: Segment, i: number): LexiconText {
  const ix = indexOf(seg);
  let t = ix.texts.get(i);
  if (t) return t;
  const lex = seg.lexicons[i]!;
  const parts: string[] = [];
  const starts: number[] = [];
  const ids: number[] = [];
  const others: number[] = [];
  let at = 0;
  for (let k = 0; k < lex.length; k++) {
    const v = lex[k]!;
    if (typeof v !== 'string' || !isAscii(v)) {
      others.push(k + 1);
      continue;
    }
    parts.push(v.toLowerCase());
    starts.push(at);
    ids.push(k + 1);
    at += v.length + 1;
  }
  const text = parts.join('\0');
  const frequency = new Uint32Array(128);
  for (let k = 0; k < text.length; k++) frequency[text.charCodeAt(k)]!++;
  t = { text, starts: Uint32Array.from(starts), ids: Uint32Array.from(ids), others: Uint32Array.from(others), frequency };
  ix.texts.set(i, t);
  return t;
}

function isAscii(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (s.charCodeAt(k) > 127) return false;
  return true;
}

/**
 * The lower-cased literals one of which an ASCII text value must contain for `e` to accept it, or null when
 * there is no such literal (`*`, a number or CIDR block, which also match other spellings, case-sensitive
 * comparisons, `!=` and ordered comparisons, which accept values without it).
 */
function literalsOf(e: Extract<SearchExpr, { kind: 'compare' | 'in' }>): string[] | null {
  if (e.kind === 'compare' && (e.op !== '=' || e.caseSensitive)) return null;
  const values: SearchValue[] = e.kind === 'compare' ? [e.value] : e.values;
  const out: string[] = [];
  for (const v of values) {
    const p = v.value;
    if (!p.includes('*') && (toNumber(p) !== null || cidrMatcher(p) !== null)) return null;
    let best = '';
    for (const piece of p.split('*')) if (piece.length > best.length) best = piece;
    if (best === '' || !isAscii(best) || best.includes('\0')) return null;
    out.push(best.toLowerCase());
  }
  return out;
}

function postingsOf(seg: Segment, i: number): Postings {
  const ix = indexOf(seg);
  let p = ix.postings.get(i);
  if (p) return p;
  const ids: IdColumn = seg.ids[i]!;
  const start = new Uint32Array(seg.lexicons[i]!.length + 2);
  for (let r = 0; r < ids.length; r++) start[ids[r]! + 1]!++;
  for (let id = 1; id < start.length; id++) start[id]! += start[id - 1]!;
  const fill = start.slice(0, -1);
  const rows = new Uint32Array(ids.length);
  for (let r = 0; r < ids.length; r++) rows[fill[ids[r]!]!++] = r;
  ix.postings.set(i, (p = { start, rows }));
  return p;
}

function filterRows(within: Rows, n: number, keep: (r: number) => boolean): Uint32Array {
  const out = new Uint32Array(within === null ? n : within.length);
  let w = 0;
  if (within === null) {
    for (let r = 0; r < n; r++) if (keep(r)) out[w++] = r;
  } else {
    for (let k = 0; k < within.length; k++) if (keep(within[k]!)) out[w++] = within[k]!;
  }
  return out.subarray(0, w);
}

/** Sorted union of sorted row lists. */
function union(parts: Uint32Array[]): Uint32Array {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? EMPTY;
  const all = new Uint32Array(nonEmpty.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of nonEmpty) {
    all.set(p, at);
    at += p.length;
  }
  all.sort();
  let w = 0;
  for (let k = 0; k < all.length; k++) if (k === 0 || all[k] !== all[w - 1]) all[w++] = all[k]!;
  return all.subarray(0, w);
}

/** The rows of `within` (null: 0..n-1) not in `out` (sorted, a subset of `within`). */
function minus(within: Rows, out: Rows, n: number): Uint32Array {
  if (out === null) return EMPTY;
  let k = 0;
  // Rows come in ascending order, so one cursor walks `out`.
  return filterRows(within, n, (r) => {
    while (k < out.length && out[k]! < r) k++;
    return !(k < out.length && out[k] === r);
  });
}

function oneField(name: string, v: FieldValue | null): Result {
  const r: Result = { get: (f) => (f === name ? v : null), set: () => {}, fieldNames: () => (v === null ? [] : [name]), clone: () => r };
  return r;
}
