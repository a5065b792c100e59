import { readField, type Result } from '../../events/result.js';
import { fieldRef } from '../../normalize/event-result.js';
import { LITERAL_PIECE_CHARS, literalFinder, wildcardTest } from '../../events/scan.js';
import { toNumber, toText, valuesOf, type FieldValue, type Scalar } from '../../events/value.js';
import type { SearchExpr, SearchOp, SearchValue } from '../parse/ast.js';
import { SplError, type SourceText } from '../source.js';
import { compareScalars } from '../eval/compare.js';
import { cidrMatcher } from './cidr.js';

/**
 * Compiles a search expression (the `search` command's language) to a predicate. Semantics:
 * - `field=value`: whole-value match, case-insensitive, `*` wildcards, any value of a multivalue;
 *   numeric values compare numerically (`x=5` matches `5.0`), CIDR values (`10.0.0.0/8`) match IPs.
 * - `field!=value` is `field=* NOT field=value`: events without the field never match.
 * - `NOT field=value` also matches events without the field.
 * - `<`, `<=`, `>`, `>=`: numeric when both sides are numeric, else byte order.
 * - bare terms and quoted phrases match `_raw` case-insensitively at token boundaries.
 * - `name::value`: an indexed field (HEC `fields`; the event's own `index`/`host`/`source`/`sourcetype`), matched as `field=value` is.
 * - `earliest=`/`latest=` are time bounds handled by the planner (the scan); here they are always true, but for
 *   the windows of OR alternatives, which the planner resolves (`at`): `_time >= at`, `_time < at`.
 */
export type RowPredicate = (row: Result) => boolean;

export function compileSearch(expr: SearchExpr | null, source: SourceText): RowPredicate {
  if (!expr) return () => true;
  return compileNode(expr, source);
}

function compileNode(e: SearchExpr, source: SourceText): RowPredicate {
  switch (e.kind) {
    case 'and': {
      const parts = e.items.map((i) => compileNode(i, source));
      return (r) => {
        for (const p of parts) if (!p(r)) return false;
        return true;
      };
    }
    case 'or': {
      // Many bare words (`"w1" OR ... OR "w3000"`): one pass over _raw's words instead of a regex each (3,000 words
      // over 5,000 Tetragon lines took 39 s); the other items as they are. The OR's verdict does not depend on
      // which item is tested first.
      const words = e.items.filter(isWordTerm);
      const rest = inLists(words.length >= WORD_SET_MIN ? e.items.filter((i) => !isWordTerm(i)) : e.items);
      const parts = rest.map((i) => compileNode(i, source));
      if (rest !== e.items) parts.unshift(anyWord(words.map((w) => w.value.value)));
      return (r) => {
        for (const p of parts) if (p(r)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compileNode(e.expr, source);
      return (r) => !inner(r);
    }
    case 'time': {
      const at = e.at;
      if (at === undefined) return () => true;
      const time = fieldRef('_time');
      if (e.which === 'earliest') return (r) => (toNumber(readField(r, time) as Scalar) ?? -Infinity) >= at;
      return (r) => (toNumber(readField(r, time) as Scalar) ?? Infinity) < at;
    }
    case 'subsearch':
      // A search's subsearches run first (exec/subsearch.ts) and their results replace them; not where none run.
      throw new SplError('SPL_UNSUPPORTED_COMMAND', 'a subsearch ([ ... ]) cannot run here', e.span, source);
    case 'compare':
      return compileCompare(e.field, e.op, e.value, e.caseSensitive);
    case 'in':
      return compileIn(e.field, e.values);
    case 'term':
      return compileTerm(e.value, e.caseSensitive, e.exactTerm);
    case 'indexed':
      return compileIndexed(e.field, e.value);
  }
}

/**
 * Default fields Splunk indexes as `name::value` terms: the event's own, not its HEC `fields` (a client sending
 * `"fields": {"index": "risk"}` must not put its event in `index::risk` searches).
 */
const INDEXED_METADATA: ReadonlySet<string> = new Set(['index', 'host', 'source', 'sourcetype']);

/**
 * `name::value`: the event's indexed field (Result.indexed: HEC `fields`), or its index, host, source, sourcetype; never a
 * search-time field nor `_raw`. Rows not made from events have no indexed fields: never a match.
 */
function compileIndexed(name: string, value: SearchValue): RowPredicate {
  const m = remembering(valueMatcher(value, false), value.value.includes('*'));
  const any = (v: FieldValue | null): boolean => (v === null ? false : Array.isArray(v) ? v.some(m) : m(v as Scalar));
  if (INDEXED_METADATA.has(name)) {
    const field = fieldRef(name);
    return (r) => any(readField(r, field));
  }
  return (r) => r.indexed !== undefined && any(r.indexed(name));
}

function compileCompare(name: string, op: SearchOp, value: SearchValue, caseSensitive: boolean): RowPredicate {
  const field = fieldRef(name);
  if (op === '=' || op === '!=') {
    // Only a wildcard or CIDR test costs more than looking its verdict up.
    const m = remembering(valueMatcher(value, caseSensitive), value.value !== '*' && (value.value.includes('*') || cidrMatcher(value.value) !== null));
    if (op === '=') {
      return (r) => {
        const v = readField(r, field);
        if (v === null) return false;
        if (Array.isArray(v)) return v.some(m);
        return m(v as Scalar);
      };
    }
    return (r) => {
      const v = readField(r, field);
      if (v === null) return false;
      if (Array.isArray(v)) return !v.some(m);
      return !m(v as Scalar);
    };
  }
  const target: Scalar = toNumber(value.value) ?? value.value;
  const test = op === '<' ? (c: number) => c < 0 : op === '<=' ? (c: number) => c <= 0 : op === '>' ? (c: number) => c > 0 : (c: number) => c >= 0;
  return (r) => valuesOf(readField(r, field)).some((v) => test(compareScalars(v, target)));
}

/**
 * `field IN (v1, v2, ...)`: any value of the field matches any pattern. Exact text patterns (the usual
 * case: not `*`, a wildcard, a number or a CIDR block) are one Set lookup of the lower-cased value, which
 * is what each of their matchers tests; the others keep their own matchers.
 */
function compileIn(name: string, values: readonly SearchValue[]): RowPredicate {
  const field = fieldRef(name);
  const exact = new Set<string>();
  const others: ((v: Scalar) => boolean)[] = [];
  for (const v of values) {
    const p = v.value;
    if (p !== '*' && !p.includes('*') && toNumber(p) === null && cidrMatcher(p) === null) exact.add(p.toLowerCase());
    else others.push(valueMatcher(v, false));
  }
  const one = remembering((v: Scalar): boolean => {
    if (exact.size > 0 && exact.has(lowerCase(typeof v === 'string' ? v : toText(v)))) return true;
    for (const m of others) if (m(v)) return true;
    return false;
  }, others.length > 0);
  return (r) => {
    const v = readField(r, field);
    if (v === null) return false;
    if (!Array.isArray(v)) return one(v as Scalar);
    for (const x of v) if (one(x)) return true;
    return false;
  };
}

/** Distinct values a matcher remembers the verdicts of before it stops remembering (values as diverse as command lines). */
const VERDICTS = 1024;
/**
 * Longer texts are not remembered: 1024 of them could keep a gigabyte alive (a `_raw` or a command line of a
 * megabyte each), and a long value is rarely seen twice.
 */
const VERDICT_MAX_CHARS = 512;

/**
 * A matcher with a memo of its last verdict: consecutive events often carry the same value (a source's events
 * share their sourcetype string, a burst of events its process name), and an equal value gets the same verdict.
 * With `many`, for a matcher costlier than a Map lookup (wildcards, CIDR blocks), a memo of VERDICTS values: the
 * values of a field such as an image or a process name are few while events alternate between them (`NOT
 * pod_image_name IN ("quay.io/...*", ...)` tested each pattern again on every event); past VERDICTS distinct
 * values (command lines) only the last. A Map finds -0 as 0, which every matcher treats alike.
 */
export function remembering(m: (v: Scalar) => boolean, many: boolean): (v: Scalar) => boolean {
  let last: Scalar | undefined;
  let verdict = false;
  let verdicts: Map<Scalar, boolean> | null = many ? new Map() : null;
  return (v) => {
    if (v === last) return verdict;
    last = v;
    if (verdicts === null || (typeof v === 'string' && v.length > VERDICT_MAX_CHARS)) return (verdict = m(v));
    const known = verdicts.get(v);
    if (known !== undefined) return (verdict = known);
    verdict = m(v);
    if (verdicts.size < VERDICTS) verdicts.set(v, verdict);
    else verdicts = null;
    return verdict;
  };
}

/** `t.toLowerCase()`, without allocating a copy when `t` has no upper-case or non-ASCII character. */
function lowerCase(t: string): string {
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 128) return t.toLowerCase();
  }
  return t;
}

/** A matcher for one search value against one field value. */
export function valueMatcher(value: SearchValue, caseSensitive: boolean): (v: Scalar) => boolean {
  const pattern = value.value;
  if (pattern === '*') return () => true;
  const cidr = cidrMatcher(pattern);
  if (cidr) return (v) => (typeof v === 'string' ? cidr(v) : false);
  const hasWild = pattern.includes('*');
  const num = hasWild ? null : toNumber(pattern);
  if (!hasWild) {
    const want = caseSensitive ? pattern : pattern.toLowerCase();
    return (v) => {
      if (num !== null && typeof v === 'number') return v === num;
      const t = typeof v === 'string' ? v : toText(v);
      // Lower-casing never shortens a string, so a longer value cannot match.
      if (t.length <= want.length && (caseSensitive ? t : lowerCase(t)) === want) return true;
      if (num !== null) {
        const n = toNumber(t);
        return n !== null && n === num;
      }
      return false;
    };
  }
  // Anchored, `*` = any run; linear time (a `^a[\s\S]*b$` regex backtracks on long values).
  const test = wildcardTest(pattern, !caseSensitive);
  return (v) => test(typeof v === 'string' ? v : toText(v));
}

/**
 * An OR's `field=value` items on one field as one `field IN (...)` (Splunk documents IN as that OR): one Set lookup
 * instead of a test per value. A subsearch's 10,000 results (`[| inputlookup ... | fields pod_name]`) over 100k
 * events took 16 s. Case-sensitive (CASE()) items stay as they are.
 */
function inLists(items: readonly SearchExpr[]): readonly SearchExpr[] {
  const byField = new Map<string, Extract<SearchExpr, { kind: 'compare' }>[]>();
  for (const i of items) {
    if (i.kind !== 'compare' || i.op !== '=' || i.caseSensitive) continue;
    const group = byField.get(i.field);
    if (group) group.push(i);
    else byField.set(i.field, [i]);
  }
  if (![...byField.values()].some((g) => g.length >= IN_LIST_MIN)) return items;
  const out: SearchExpr[] = [];
  const merged = new Set<string>();
  for (const i of items) {
    const group = i.kind === 'compare' && i.op === '=' && !i.caseSensitive ? byField.get(i.field)! : null;
    if (group === null || group.length < IN_LIST_MIN) out.push(i);
    else if (!merged.has(group[0]!.field)) {
      merged.add(group[0]!.field);
      out.push({ kind: 'in', field: group[0]!.field, fieldSpan: group[0]!.fieldSpan, values: group.map((c) => c.value), span: i.span });
    }
  }
  return out;
}

/** `field=value` items of one OR on one field from which they become one IN list. */
const IN_LIST_MIN = 4;

/** Bare words of an OR past which they are looked up in a set of _raw's words (`anyWord`). */
const WORD_SET_MIN = 16;

/** A bare term of ASCII letters and digits only (no `*`, not CASE() or TERM()): what `anyWord` decides exactly. */
function isWordTerm(e: SearchExpr): e is Extract<SearchExpr, { kind: 'term' }> {
  return e.kind === 'term' && !e.caseSensitive && !e.exactTerm && /^[A-Za-z0-9]+$/.test(e.value.value);
}

/**
 * Whether _raw holds one of `words` (ASCII letters and digits) as a term: compileTerm's regex for such a word,
 * `(?:^|(?<=B))word(?=$|B)` with B a breaker (ANY_BREAKER), under `i`, matches exactly a whole run of
 * non-breaker characters equal to the word in ASCII case (`i` folds no code unit past 0x7F onto ASCII), or such a
 * run's rest after an encoded major breaker (`%20` ends with `20`, which a run after `%` starts with), so each is
 * looked up, lower-cased, in a set.
 */
function anyWord(words: readonly string[]): RowPredicate {
  const set = new Set(words.map((w) => w.toLowerCase()));
  let longest = 0;
  for (const w of set) longest = Math.max(longest, w.length);
  const has = (text: string, start: number, end: number): boolean => end > start && end - start <= longest && set.has(text.slice(start, end).toLowerCase());
  const holds = (text: string): boolean => {
    const n = text.length;
    let i = 0;
    while (i < n) {
      while (i < n && !isTermChar(text.charCodeAt(i))) i++;
      const start = i;
      let ascii = true;
      while (i < n && isTermChar(text.charCodeAt(i))) {
        if (text.charCodeAt(i) >= 0x80) ascii = false;
        i++;
      }
      if (!ascii) continue;
      if (has(text, start, i)) return true;
      if (start > 0 && text.charCodeAt(start - 1) === 37 /* % */) {
        const code = ENCODED_MAJOR.find((c) => text.substr(start, c.length).toUpperCase() === c);
        if (code !== undefined && has(text, start + code.length, i)) return true;
      }
    }
    return false;
  };
  return (r) => {
    const raw = r.get('_raw');
    if (raw === null) return false;
    return valuesOf(raw).some((x) => holds(typeof x === 'string' ? x : toText(x)));
  };
}

/**
 * Splunk's default breakers (segmenters.conf.spec). MAJOR: `[ ] < > ( ) { } | ! ; , ' " * \n \r \s \t & ? + %21 %26
 * %2526 %3B %7C %20 %2B %3D -- %2520 %5D %5B %3A %0A %2C %28 %29` (`\s` a space); MINOR: `/ : = @ . - $ # % \ _`.
 * Events are indexed by their major segments and the minor segments within them, so a bare term matches `_raw`
 * where it starts and ends at any breaker (`curl` matches `/usr/bin/curl`, not `libcurl` nor `~curl`: `~`, `^`, a
 * backtick or a control character breaks nothing), a TERM() only at a major one (`TERM(10.0.0.1)` misses
 * `ip=10.0.0.1`). The encoded ones also match in lower case (the term's regex folds case).
 */
const MAJOR_CHARS = ' \n\r\t"\'[](){}<>|;,!*&?+';
const MINOR_CHARS = '/:=@.-$#%\\_';
/** The encoded major breakers after their `%`, longest first where one starts another (`2526` before `25...`). */
const ENCODED_MAJOR = ['2526', '2520', '21', '26', '3B', '7C', '20', '2B', '3D', '5D', '5B', '3A', '0A', '2C', '28', '29'];
const charClass = (chars: string): string => `[${chars.replace(/[\]\\^-]/g, '\\$&').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}]`;
const MAJOR_BREAKER = `(?:${charClass(MAJOR_CHARS)}|--|%(?:${ENCODED_MAJOR.join('|')}))`;
const ANY_BREAKER = `(?:${charClass(MAJOR_CHARS + MINOR_CHARS)}|%(?:${ENCODED_MAJOR.join('|')}))`;
const IS_BREAKER = new Uint8Array(128);
for (const ch of MAJOR_CHARS + MINOR_CHARS) IS_BREAKER[ch.charCodeAt(0)] = 1;

/** A character of a term's run: anything but a single-character breaker (ANY_BREAKER adds the encoded ones). */
function isTermChar(c: number): boolean {
  return c >= 0x80 || IS_BREAKER[c] === 0;
}

/**
 * compileTerm's test of a term longer than LITERAL_PIECE_CHARS, whose regex V8 would refuse when first run: the same
 * walk (the first part's leftmost occurrence at a boundary, each middle part's leftmost after it, any occurrence of the
 * last part with a boundary after it), its parts found by literalFinder and the boundaries tested where they are.
 */
function longTerm(t: string, caseSensitive: boolean, boundary: string, bounded: (c: number) => boolean): RowPredicate {
  const flags = caseSensitive ? 'y' : 'iy';
  const parts = t.split('*');
  const finders = parts.map((p) => literalFinder(p, !caseSensitive));
  const before = t.startsWith('*') || !bounded(t.charCodeAt(0)) ? null : new RegExp(`(?<=^|${boundary})`, flags);
  const after = t.endsWith('*') || !bounded(t.charCodeAt(t.length - 1)) ? null : new RegExp(`(?=$|${boundary})`, flags);
  const holds = (re: RegExp | null, x: string, at: number): boolean => {
    if (re === null) return true;
    re.lastIndex = at;
    return re.test(x);
  };
  const test = (x: string): boolean => {
    let pos = 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '') continue;
      const find = finders[i]!;
      for (let at = find(x, pos); ; at = find(x, at + 1)) {
        if (at < 0) return false;
        if (i === 0 && !holds(before, x, at)) continue;
        if (i === parts.length - 1 && !holds(after, x, at + part.length)) continue;
        pos = at + part.length;
        break;
      }
    }
    return true;
  };
  return (r) => {
    const raw = r.get('_raw');
    if (raw === null) return false;
    return valuesOf(raw).some((x) => test(typeof x === 'string' ? x : toText(x)));
  };
}

function compileTerm(value: SearchValue, caseSensitive: boolean, exactTerm: boolean): RowPredicate {
  const t = value.value;
  if (t === '*' || t === '') return () => true;
  const parts = t.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const boundary = exactTerm ? MAJOR_BREAKER : ANY_BREAKER;
  // The boundary before a leading part is tested once the part is found (a lookbehind over both): a regex starting
  // with the lookbehind tests it at every position of _raw, 10-20 times slower on lines without the part.
  // A bare term or phrase is found by its segments, then as text in _raw: an end that is itself a breaker
  // (`"/etc/passwd"` in `x/etc/passwd`) needs no other breaker beside it. A TERM() is a whole major segment.
  const bounded = (c: number): boolean => exactTerm || c >= 0x80 || IS_BREAKER[c] === 0;
  const led = (part: string): string => (t.startsWith('*') || !bounded(t.charCodeAt(0)) ? part : `${part}(?<=(?:^|${boundary})${part})`);
  const trail = t.endsWith('*') || !bounded(t.charCodeAt(t.length - 1)) ? '' : `(?=$|${boundary})`;
  if (t.length > LITERAL_PIECE_CHARS) return longTerm(t, caseSensitive, boundary, bounded);
  const inner = parts.filter((p) => p !== '');
  // One part: `*` at its ends matches anything, including nothing.
  let src = (inner[0] === undefined ? '' : led(inner[0])) + trail;
  if (inner.length > 1) {
    // Linear time: `a[\s\S]*?b[\s\S]*?c` backtracks once per `*` on a long _raw that does not match (and is
    // tried at every start). The first part's leftmost occurrence at a boundary and each middle part's leftmost
    // occurrence after it are taken and kept (an atomic lookahead whose capture is consumed): later ones would
    // only leave less room, so the verdict is the same. The last part is searched for with the boundary after it.
    let group = 0;
    src = '^';
    const first = parts[0]!;
    if (first !== '') src += `(?=([\\s\\S]*?${led(first)}))\\${++group}`;
    for (let i = 1; i < parts.length - 1; i++) if (parts[i] !== '') src += `(?=([\\s\\S]*?${parts[i]}))\\${++group}`;
    const last = parts[parts.length - 1]!;
    if (last !== '') src += `[\\s\\S]*?${last}${trail}`;
  }
  const re = new RegExp(src, caseSensitive ? '' : 'i');
  return (r) => {
    const raw = r.get('_raw');
    if (raw === null) return false;
    return valuesOf(raw).some((x) => re.test(typeof x === 'string' ? x : toText(x)));
  };
}
