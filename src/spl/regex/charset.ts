/**
 * Code point sets for the PCRE -> JS translator (see pcre.ts and CONTEXT.md).
 *
 * A set is a sorted, merged list of inclusive code point ranges. The translator resolves every
 * PCRE character class, class escape (\d \s \h ...), POSIX class and `.` to such a set, applies
 * case folding itself when needed, and renders the result as a JS class that is valid under the
 * `u` flag. Rendering from a set (instead of copying the PCRE text) is what makes the output exact:
 * JS `\s` and `.` do not mean what PCRE's do.
 */

export type Range = readonly [number, number];
export type CharSet = readonly Range[];

export const MAX_CP = 0x10ffff;

/** Sorts and merges ranges (adjacent ranges are merged too). */
export function normalize(ranges: Iterable<Range>): Range[] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) {
      if (hi > last[1]) last[1] = hi;
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

export function union(...sets: CharSet[]): Range[] {
  return normalize(sets.flat());
}

/** Complement within [0, MAX_CP]. The input must be normalized. */
export function complement(set: CharSet): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** Membership test by binary search. The set must be normalized. */
export function contains(set: CharSet, cp: number): boolean {
  let lo = 0;
  let hi = set.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = set[mid] as Range;
    if (cp < r[0]) hi = mid - 1;
    else if (cp > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

export function single(cp: number): Range[] {
  return [[cp, cp]];
}

export function size(set: CharSet): number {
  let n = 0;
  for (const [lo, hi] of set) n += hi - lo + 1;
  return n;
}

// --- PCRE's predefined sets ----------------------------------------------------------------------
// Without (*UCP), PCRE's \d \w \s and POSIX classes are ASCII-only even in UTF mode; \h \v \R are
// always Unicode-aware. JS `\s` is much wider (it includes U+00A0, U+FEFF, U+2028 ...), so the
// translator never emits JS `\s`.

export const DIGIT: CharSet = [[0x30, 0x39]];
export const WORD: CharSet = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
/** PCRE2 \s: HT, LF, VT, FF, CR and space (VT joined \s in PCRE2 / Perl 5.18). */
export const SPACE: CharSet = [
  [0x09, 0x0d],
  [0x20, 0x20],
];
/** PCRE \h: horizontal white space. */
export const HSPACE: CharSet = normalize([
  [0x09, 0x09],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x180e, 0x180e],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
]);
/** PCRE \v: vertical white space (not the VT character as in JS). */
export const VSPACE: CharSet = normalize([
  [0x0a, 0x0d],
  [0x85, 0x85],
  [0x2028, 0x2029],
]);

/** The 14 POSIX classes, ASCII-only as PCRE has them without UCP. */
export const POSIX_CLASSES: Readonly<Record<string, CharSet>> = {
  alnum: normalize([
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ]),
  alpha: normalize([
    [0x41, 0x5a],
    [0x61, 0x7a],
  ]),
  ascii: [[0x00, 0x7f]],
  blank: normalize([
    [0x09, 0x09],
    [0x20, 0x20],
  ]),
  cntrl: normalize([
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ]),
  digit: DIGIT,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: normalize([
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ]),
  space: SPACE,
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: normalize([
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ]),
};

// --- Case folding ---------------------------------------------------------------------------------
// Caseless matching is done by hand (a literal `a` under (?i) becomes [Aa]) so that (?i) can be scoped
// to part of a pattern and so that \w, \b and \p{Lu} keep their case-sensitive PCRE meaning. The
// equivalence classes are Unicode simple case folding, which is what PCRE2 uses in UTF mode (its
// "caseless sets" such as {K, k, U+212A KELVIN SIGN}) and what V8 uses for /iu.

let foldTable: Map<number, readonly number[]> | undefined;

/**
 * Builds (once, lazily; about 50 ms) the map from each code point that has other-case partners to its
 * full equivalence class. Candidates are linked through toLowerCase/toUpperCase, then every class is
 * split according to V8's own /iu matching so that the result agrees exactly with the engine.
 */
function buildFoldTable(): Map<number, readonly number[]> {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    for (let p = parent.get(r); p !== undefined && p !== r; p = parent.get(r)) r = p;
    return r;
  };
  const link = (a: number, b: number): void => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  // No cased character exists above U+1E943 (Adlam); 0x20000 keeps a margin.
  for (let cp = 0; cp < 0x20000; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = String.fromCodePoint(cp);
    for (const other of [s.toLowerCase(), s.toUpperCase()]) {
      const c = other.codePointAt(0) as number;
      if (other.length === (c > 0xffff ? 2 : 1) && c !== cp) link(cp, c);
    }
  }
  // Simple foldings not reachable through toLowerCase/toUpperCase in some Unicode versions; kept only
  // if V8 agrees (checked below).
  for (const [a, b] of [
    [0x1fd3, 0x390],
    [0x1fe3, 0x3b0],
    [0xfb05, 0xfb06],
  ] as const) {
    link(a, b);
  }
  const components = new Map<number, number[]>();
  for (const cp of parent.keys()) {
    const root = find(cp);
    const list = components.get(root);
    if (list) list.push(cp);
    else components.set(root, [cp]);
  }
  const table = new Map<number, readonly number[]>();
  for (const members of components.values()) {
    let rest = members;
    while (rest.length > 0) {
      const first = rest[0] as number;
      const re = new RegExp(`^\\u{${first.toString(16)}}$`, 'iu');
      const cls = rest.filter((d) => re.test(String.fromCodePoint(d))).sort((x, y) => x - y);
      rest = rest.filter((d) => !cls.includes(d));
      if (cls.length > 1) for (const d of cls) table.set(d, cls);
    }
  }
  return table;
}

function fullFoldTable(): Map<number, readonly number[]> {
  foldTable ??= buildFoldTable();
  return foldTable;
}

const LONG_S = 0x17f; // ſ, folds to s
const KELVIN = 0x212a; // K, folds to k

/** All code points that match `cp` caselessly (including cp), sorted. */
export function foldClass(cp: number): readonly number[] {
  if (cp < 0x80) {
    const lower = cp | 0x20;
    if (lower < 0x61 || lower > 0x7a) return [cp];
    const upper = lower & ~0x20;
    if (lower === 0x73) return [upper, lower, LONG_S];
    if (lower === 0x6b) return [upper, lower, KELVIN];
    return [upper, lower];
  }
  return fullFoldTable().get(cp) ?? [cp];
}

/**
 * Closes a set of literal characters under case folding. ASCII-only sets take a fast path so that the
 * common `(?i)` pattern never pays for building the full table.
 */
export function caseClose(set: CharSet): Range[] {
  const last = set[set.length - 1];
  if (last === undefined) return [];
  const extra: Range[] = [];
  if (last[1] < 0x80) {
    for (const [lo, hi] of set) {
      for (let cp = Math.max(lo, 0x41); cp <= hi; cp++) {
        for (const d of foldClass(cp)) if (d !== cp) extra.push([d, d]);
      }
    }
    return union(set, extra);
  }
  const table = fullFoldTable();
  if (size(set) <= table.size) {
    // A few characters (a literal): look each up, not the whole table (~0.2 ms a literal under (?i)).
    for (const [lo, hi] of set) for (let cp = lo; cp <= hi; cp++) for (const d of table.get(cp) ?? []) extra.push([d, d]);
  } else {
    for (const [cp, cls] of table) {
      if (contains(set, cp)) for (const d of cls) if (!contains(set, d)) extra.push([d, d]);
    }
  }
  return union(set, extra);
}

/** Does the set contain a character whose case-folding class is not a singleton? */
export function hasCasedChar(set: CharSet): boolean {
  for (const [lo, hi] of set) {
    if (lo <= 0x7a && hi >= 0x41) {
      for (let cp = Math.max(lo, 0x41); cp <= Math.min(hi, 0x7a); cp++) {
        if (foldClass(cp).length > 1) return true;
      }
    }
  }
  const last = set[set.length - 1];
  if (last === undefined || last[1] < 0x80) return false;
  for (const cp of fullFoldTable().keys()) if (contains(set, cp)) return true;
  return false;
}

// --- Rendering ------------------------------------------------------------------------------------

const SYNTAX_OUTSIDE = new Set('^$\\.*+?()[]{}|/');
const SYNTAX_INSIDE = new Set('\\]-^[/');
const NAMED_CONTROL: Readonly<Record<number, string>> = {
  0x09: '\\t',
  0x0a: '\\n',
  0x0b: '\\v',
  0x0c: '\\f',
  0x0d: '\\r',
};

/** Renders one code point as a JS regex literal (valid under the `u` flag). */
export function renderCodePoint(cp: number, inClass: boolean): string {
  const named = NAMED_CONTROL[cp];
  if (named !== undefined) return named;
  if (cp >= 0x20 && cp < 0x7f) {
    const ch = String.fromCharCode(cp);
    return (inClass ? SYNTAX_INSIDE : SYNTAX_OUTSIDE).has(ch) ? `\\${ch}` : ch;
  }
  return `\\u{${cp.toString(16).toUpperCase()}}`;
}

function renderRanges(set: CharSet): string {
  let out = '';
  for (const [lo, hi] of set) {
    out += renderCodePoint(lo, true);
    if (hi === lo + 1) out += renderCodePoint(hi, true);
    else if (hi > lo) out += `-${renderCodePoint(hi, true)}`;
  }
  return out;
}

/**
 * Renders a set (plus optional `\p{..}` items that cannot be expanded to ranges) as a JS atom.
 * `negated` applies to the whole class, as in PCRE `[^...]`.
 */
export function renderSet(set: CharSet, props: readonly string[] = [], negated = false): string {
  if (props.length === 0) {
    // Resolve the negation ourselves: pick the shorter of the two spellings.
    const positive = negated ? complement(set) : [...set];
    if (positive.length === 0) return '[]';
    if (positive.length === 1 && positive[0]?.[0] === 0 && positive[0]?.[1] === MAX_CP) return '[\\s\\S]';
    const only = positive[0];
    if (positive.length === 1 && only && only[0] === only[1]) return renderCodePoint(only[0], false);
    const neg = complement(positive);
    const direct = `[${renderRanges(positive)}]`;
    const inverse = `[^${renderRanges(neg)}]`;
    return inverse.length < direct.length ? inverse : direct;
  }
  if (props.length === 1 && set.length === 0 && !negated) return props[0] as string;
  return `[${negated ? '^' : ''}${renderRanges(set)}${props.join('')}]`;
}
