/**
 * PCRE -> JavaScript RegExp translator.
 *
 * Splunk's `regex`, `rex`, `match()` and `replace()` take PCRE2 patterns; V8 (Node 20, V8 11.3) reads
 * many of them differently, often silently (`\A` is the letter A, `[[:alpha:]]` is a different class,
 * `.` does not cross `\r`, `$` does not match before a final newline ...). This module parses the PCRE
 * pattern into a small AST, checks it, and emits an equivalent JS source that always uses the `u` flag.
 * Anything it cannot express exactly is rejected with a RegexError naming the construct and its
 * offset: a wrong answer is worse than an error. CONTEXT.md has the full translation table.
 *
 * Semantics assumed for Splunk's PCRE2: UTF mode, no UCP (\d \w \s \b and POSIX classes are ASCII),
 * newline convention LF.
 */

import { VigilError } from '../../errors.js';
import {
  type CharSet,
  type Range,
  DIGIT,
  HSPACE,
  MAX_CP,
  POSIX_CLASSES,
  SPACE,
  VSPACE,
  WORD,
  caseClose,
  complement,
  hasCasedChar,
  normalize,
  renderSet,
  union,
} from './charset.js';

// --- Public API -----------------------------------------------------------------------------------

export type RegexErrorCode = 'REGEX_UNSUPPORTED' | 'REGEX_INVALID';

export class RegexError extends VigilError {
  /** 0-based offset (UTF-16 units) into the PCRE pattern where the offending construct starts. */
  readonly offset: number;
  /** The construct as written, e.g. `(?R)` or `\K`. */
  readonly construct: string;
  readonly pattern: string;
  constructor(
    code: RegexErrorCode,
    detail: string,
    /** `subject`: what the text is when it is not a PCRE pattern (a sed expression, a replacement string). */
    where: { pattern: string; offset: number; construct: string; subject?: 'sed expression' | 'replacement' },
    options?: { cause?: unknown },
  ) {
    const subject = where.subject ?? 'pattern';
    const kind =
      code === 'REGEX_UNSUPPORTED' ? 'unsupported PCRE construct' : `invalid ${where.subject ?? 'PCRE pattern'}`;
    const what = `${kind} ${JSON.stringify(where.construct)} at offset ${where.offset}`;
    super(code, `${what}: ${detail} (${subject}: ${JSON.stringify(where.pattern)})`, options);
    this.name = 'RegexError';
    this.offset = where.offset;
    this.construct = where.construct;
    this.pattern = where.pattern;
  }
}

export interface TranslatedRegex {
  /** JS RegExp source. */
  source: string;
  /** JS flags; always contains `u`. */
  flags: string;
  /** Named capture groups, in PCRE order. */
  groupNames: string[];
  /** Number of PCRE capture groups. */
  groupCount: number;
  /**
   * PCRE group number -> JS group number (index 0 is the whole match). They differ when atomic groups
   * or possessive quantifiers added hidden groups; use this for `\1`-style references.
   */
  groupMap: number[];
}

export interface PcreOptions {
  /**
   * Options applied as if the pattern started with them: PCRE options `i`, `m`, `s`, `x`; JS-only
   * flags `g`, `y`, `d` are passed through. `u` is accepted and ignored (always on).
   */
  extraFlags?: string;
  /**
   * Whether capture values matter (rex, replace). Default true. When false (regex command, match()),
   * constructs whose only difference from PCRE is the value left in a capture group are accepted.
   */
  needCaptures?: boolean;
}

export interface CompileOptions extends PcreOptions {
  /** Adds the `g` flag. */
  global?: boolean;
}

export interface CompiledPcre {
  regex: RegExp;
  translated: TranslatedRegex;
}

export function translatePcre(pattern: string, opts: PcreOptions = {}): TranslatedRegex {
  const { initial, jsFlags } = parseExtraFlags(pattern, opts.extraFlags ?? '');
  const parser = new Parser(pattern, initial);
  const ast = parser.parse();
  const checked = new Checker(parser, opts.needCaptures ?? true).check(ast);
  const emitter = new Emitter(parser.captureCount);
  const source = emitter.emit(ast);
  const flags = sortFlags(`u${checked.jsCaseless ? 'i' : ''}${jsFlags}`);
  // The emitter only produces valid sources; a SyntaxError here is a translator bug, but it must
  // still surface as a typed error that names the user's pattern.
  try {
    new RegExp(source, flags);
  } catch (err) {
    throw new RegexError(
      'REGEX_INVALID',
      `translation produced an invalid JS regex /${source}/${flags}: ${(err as Error).message}`,
      { pattern, offset: 0, construct: pattern },
      { cause: err },
    );
  }
  // V8 compiles a regex when it first runs it (bytecode, then native code, for one- and two-byte text)
  // and only then may find it too large: a SyntaxError in the middle of a search. PCRE2 refuses such
  // sizes too ("regular expression is too large"), when compiling. Only long sources get there
  // (`ab` x 16,400 did, 32 KB; `\p{L}` x 1,600 did not). The probe fails at once, `(?!)`, so that a
  // pattern that loops on "" (`(?:(?:a?){65535}){65535}`) cannot hold the thread that plans.
  if (source.length > COMPILE_PROBE_CHARS) {
    try {
      const probe = new RegExp(`(?!)(?:${source})`, flags);
      for (const subject of ['', '', '\u0100', '\u0100']) probe.exec(subject);
    } catch (err) {
      throw new RegexError('REGEX_INVALID', 'regular expression is too large', { pattern, offset: 0, construct: pattern.slice(0, 40) }, { cause: err });
    }
  }
  return {
    source,
    flags,
    groupNames: parser.groups.filter((g) => g.name !== undefined).map((g) => g.name as string),
    groupCount: parser.captureCount,
    groupMap: emitter.groupMap,
  };
}

/** Compiles (with a cache) and returns a RegExp. Instances with `g`/`y` are fresh per call. */
export function compilePcre(pattern: string, opts: CompileOptions = {}): RegExp {
  return compilePcreInfo(pattern, opts).regex;
}

/** Like compilePcre, but also returns the translation (for group numbering). */
export function compilePcreInfo(pattern: string, opts: CompileOptions = {}): CompiledPcre {
  const extra = `${opts.extraFlags ?? ''}${opts.global ? 'g' : ''}`;
  const key = `${extra}\u0000${opts.needCaptures === false ? 0 : 1}\u0000${pattern}`;
  let entry = cache.get(key);
  if (entry) {
    cache.delete(key); // refresh recency
  } else {
    try {
      const translated = translatePcre(pattern, { extraFlags: extra, needCaptures: opts.needCaptures ?? true });
      entry = { ok: { regex: new RegExp(translated.source, translated.flags), translated } };
    } catch (err) {
      if (!(err instanceof RegexError)) throw err;
      entry = { err };
    }
    if (cache.size >= CACHE_LIMIT) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
  }
  cache.set(key, entry);
  if (entry.err) throw entry.err;
  const ok = entry.ok as CompiledPcre;
  // Stateful (lastIndex) instances must not be shared between callers.
  if (ok.regex.global || ok.regex.sticky) return { regex: new RegExp(ok.regex), translated: ok.translated };
  return ok;
}

/**
 * What a PCRE says about the JSON text of the values it matches, for a raw-text prefilter
 * (normalize/raw-conditions.ts). `source` (JS, flag `u`) matches inside the JSON string (or number, boolean,
 * null) holding any value the pattern matches, at the same place: assertions and lookarounds are dropped
 * (each only narrows a match), and each class also takes the JSON escapes of its characters (`\"`, `\\`,
 * `\/`, `\n`...) but never an unescaped `"`, so a match never leaves one JSON string. `\u` escapes are not
 * followed: the caller must keep a line holding one. Null when the pattern cannot be translated, has
 * backreferences (they compare text that JSON may spell differently) or `\R`.
 */
export interface RawTextRegex {
  source: string;
  flags: string;
  /** Some match may hold a space: it may then span two strings a value joins with one (`process`). */
  space: boolean;
  /** Every match holds a character no number, boolean or null rendering has: no match lies inside one. */
  textOnly: boolean;
}

export function rawTextRegex(pattern: string): RawTextRegex | null {
  try {
    translatePcre(pattern, { needCaptures: false });
  } catch (e) {
    if (e instanceof RegexError) return null;
    throw e;
  }
  const ast = new Parser(pattern, parseExtraFlags(pattern, '').initial).parse();
  // It runs over whole lines, not one value: no repeat inside a repeat, which could backtrack without end there.
  if (nestedRepeat(ast, false)) return null;
  const out = { space: false };
  const source = relaxed(ast, out);
  if (source === null) return null;
  return { source, flags: 'u', space: out.space, textOnly: textOnly(ast) };
}

/** JSON's two-character escapes: the escaped character, and its spelling in the JSON text. */
const JSON_ESCAPES: readonly [string, string][] = [
  ['"', '\\\\"'],
  ['\\', '\\\\\\\\'],
  ['/', '\\\\/'],
  ['\b', '\\\\b'],
  ['\f', '\\\\f'],
  ['\n', '\\\\n'],
  ['\r', '\\\\r'],
  ['\t', '\\\\t'],
];
/** Characters a JSON string never holds as themselves. */
const NOT_VERBATIM = '(?!["\\\\\\u0000-\\u001f])';
/** Characters of number, boolean and null renderings (`-1.5e+21`, `Infinity`, `NaN`, `true`, `false`, `null`). */
const NON_STRING_CHARS = '0123456789.+-eEInfityNatruls';

function setTester(node: SetNode): RegExp {
  return new RegExp(`^${renderSet(node.set, node.props, node.negated)}$`, 'u');
}

/** The relaxed JS source of a node (see rawTextRegex), or null when it cannot be relaxed. */
function relaxed(node: Node, out: { space: boolean }): string | null {
  switch (node.t) {
    case 'seq': {
      let src = '';
      for (const item of node.items) {
        const s = relaxed(item, out);
        if (s === null) return null;
        src += s;
      }
      return src;
    }
    case 'alt': {
      const alts: string[] = [];
      for (const a of node.alts) {
        const s = relaxed(a, out);
        if (s === null) return null;
        alts.push(s);
      }
      return `(?:${alts.join('|')})`;
    }
    case 'set': {
      const test = setTester(node);
      if (test.test(' ')) out.space = true;
      const escapes = JSON_ESCAPES.filter(([c]) => test.test(c)).map(([, spelled]) => spelled);
      const plain = renderSet(node.set, node.props, node.negated);
      // `"`, `\\` and control characters appear only escaped; `/` also as itself.
      const lead = [...Array(32).keys()].some((c) => test.test(String.fromCharCode(c))) || test.test('"') || test.test('\\') ? NOT_VERBATIM : '';
      if (escapes.length === 0 && lead === '') return plain;
      return `(?:${[lead + plain, ...escapes].join('|')})`;
    }
    case 'assert':
      return '';
    case 'raw':
    case 'ref':
      return null;
    case 'group': {
      if (node.kind === 'ahead' || node.kind === 'nahead' || node.kind === 'behind' || node.kind === 'nbehind') return '';
      const body = relaxed(node.body, out);
      return body === null ? null : `(?:${body})`;
    }
    case 'repeat': {
      const body = relaxed(node.body, out);
      return body === null ? null : `(?:${body})${quantifier(node.min, node.max, false)}`;
    }
  }
}

function nestedRepeat(node: Node, inRepeat: boolean): boolean {
  switch (node.t) {
    case 'seq':
      return node.items.some((n) => nestedRepeat(n, inRepeat));
    case 'alt':
      return node.alts.some((n) => nestedRepeat(n, inRepeat));
    case 'group':
      return nestedRepeat(node.body, inRepeat);
    case 'repeat':
      return inRepeat || nestedRepeat(node.body, node.max > 1);
    default:
      return false;
  }
}

/** Whether every match of a node holds a character outside NON_STRING_CHARS. */
function textOnly(node: Node): boolean {
  switch (node.t) {
    case 'seq':
      return node.items.some(textOnly);
    case 'alt':
      return node.alts.every(textOnly);
    case 'set': {
      const test = setTester(node);
      return ![...NON_STRING_CHARS].some((c) => test.test(c));
    }
    case 'group':
      return node.kind !== 'ahead' && node.kind !== 'nahead' && node.kind !== 'behind' && node.kind !== 'nbehind' && textOnly(node.body);
    case 'repeat':
      return node.min >= 1 && textOnly(node.body);
    default:
      return false;
  }
}

export function clearPcreCache(): void {
  cache.clear();
}

const CACHE_LIMIT = 512;
const cache = new Map<string, { ok?: CompiledPcre; err?: RegexError }>();

function sortFlags(flags: string): string {
  return [...new Set(flags)].sort((a, b) => 'dgimsuvy'.indexOf(a) - 'dgimsuvy'.indexOf(b)).join('');
}

function parseExtraFlags(pattern: string, extra: string): { initial: Flags; jsFlags: string } {
  const initial: Flags = { i: false, m: false, s: false, x: false, xx: false, n: false, U: false, J: false };
  let jsFlags = '';
  for (const f of extra) {
    if (f === 'i' || f === 'm' || f === 's' || f === 'x') initial[f] = true;
    else if (f === 'g' || f === 'y' || f === 'd') jsFlags += f;
    else if (f !== 'u') {
      throw new RegexError('REGEX_INVALID', `unknown extra flag ${JSON.stringify(f)}`, {
        pattern,
        offset: 0,
        construct: f,
      });
    }
  }
  return { initial, jsFlags };
}

// --- AST ------------------------------------------------------------------------------------------

/** PCRE option state; scoped to the enclosing group. */
interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  /** (?xx): also ignore space and tab inside classes. */
  xx: boolean;
  /** (?n): plain parentheses do not capture. */
  n: boolean;
  /** (?U): greedy and lazy swapped. */
  U: boolean;
  /** (?J): duplicate names allowed (which JS cannot do). */
  J: boolean;
}

type GroupKind = 'capture' | 'noncap' | 'atomic' | 'ahead' | 'nahead' | 'behind' | 'nbehind';

interface SeqNode {
  t: 'seq';
  items: Node[];
}
interface AltNode {
  t: 'alt';
  alts: Node[];
}
/** Any single-character matcher: a literal, `.`, a class or a class escape. */
interface SetNode {
  t: 'set';
  pos: number;
  /** Final set of code points (case closure already applied), before `negated`. */
  set: CharSet;
  /** `\p{..}` items that stay as such. */
  props: string[];
  negated: boolean;
  /** Literal characters as written (before case closure); used by the JS `i` flag check. */
  lits: CharSet;
  ci: boolean;
}
interface GroupNode {
  t: 'group';
  pos: number;
  kind: GroupKind;
  body: Node;
  /** PCRE capture number (capture groups only). */
  index: number;
  name?: string;
}
interface RepeatNode {
  t: 'repeat';
  pos: number;
  body: Node;
  min: number;
  max: number; // Infinity when unbounded
  mode: 'greedy' | 'lazy' | 'possessive';
}
interface RefNode {
  t: 'ref';
  pos: number;
  construct: string;
  index: number; // resolved after parsing when named
  name?: string;
  ci: boolean;
}
/** Zero-width assertion, already rendered as JS. */
interface AssertNode {
  t: 'assert';
  pos: number;
  src: string;
}
/** A pre-rendered, non-nullable, capture-free JS atom (used for \R). */
interface RawNode {
  t: 'raw';
  pos: number;
  src: string;
}

type Node = SeqNode | AltNode | SetNode | GroupNode | RepeatNode | RefNode | AssertNode | RawNode;

const ALL: CharSet = [[0, MAX_CP]];
const NOT_NEWLINE: CharSet = complement([[0x0a, 0x0a]]);
const MAX_REPEAT = 65535;
/** PCRE2's default max_varlookbehind (10.43+; older versions take fixed-length branches only). */
const MAX_VARIABLE_LOOKBEHIND = 255;
/** JS sources longer than this are run once when translated, to find those V8 finds too large. */
const COMPILE_PROBE_CHARS = 8192;
/** PCRE2's default parens_nest_limit. */
const MAX_NESTING = 250;
/** PCRE2's longest lookbehind branch of any kind (LOOKBEHIND_MAX, 65535). */
const MAX_LOOKBEHIND = 65535;

// Rendered assertions. The JS `m` flag is never used, so JS `^`/`$` always mean start/end of input.
const START = '^';
const END = '$';
const END_OR_FINAL_NEWLINE = '(?=\\n?$)';
const MULTILINE_START = '(?:^|(?<=\\n)(?=[\\s\\S]))'; // PCRE: not after a newline that ends the subject
const MULTILINE_END = '(?=\\n|$)';
/** PCRE \R is atomic: at "\r\n" it never matches just "\r". */
const NEWLINE_SEQUENCE = '(?:\\r\\n|(?!\\r\\n)[\\n\\v\\f\\r\\u{85}\\u{2028}\\u{2029}])';

/** Pattern_White_Space: what (?x) skips in UTF mode. */
const X_SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0x200e, 0x200f, 0x2028, 0x2029]);

/** Start-of-pattern settings that do not change what matches. */
const HARMLESS_START_VERBS = new Set([
  'UTF',
  'UTF8',
  'LF',
  'BSR_UNICODE',
  'NO_AUTO_POSSESS',
  'NO_START_OPT',
  'NO_DOTSTAR_ANCHOR',
  'NO_JIT',
]);
const LIMIT_START_VERBS = new Set(['LIMIT_MATCH', 'LIMIT_RECURSION', 'LIMIT_DEPTH', 'LIMIT_HEAP']);
const CHANGING_START_VERBS = new Set([
  'UCP',
  'CR',
  'CRLF',
  'ANYCRLF',
  'ANY',
  'NUL',
  'BSR_ANYCRLF',
  'NOTEMPTY',
  'NOTEMPTY_ATSTART',
  'UTF16',
  'UTF32',
]);
const LOOKAROUND_VERBS: Readonly<Record<string, GroupKind>> = {
  pla: 'ahead',
  positive_lookahead: 'ahead',
  nla: 'nahead',
  negative_lookahead: 'nahead',
  plb: 'behind',
  positive_lookbehind: 'behind',
  nlb: 'nbehind',
  negative_lookbehind: 'nbehind',
  atomic: 'atomic',
};

/** Single-letter escapes that denote one character. */
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  e: 0x1b,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
};

// --- Parser ---------------------------------------------------------------------------------------

class Parser {
  pos = 0;
  captureCount = 0;
  /** Groups open around the parse position: PCRE2 allows 250 (its parens_nest_limit), and so no deeper recursion here. */
  private depth = 0;
  /** Capture groups by PCRE number - 1. */
  readonly groups: GroupNode[] = [];
  readonly names = new Map<string, GroupNode>();
  readonly refs: RefNode[] = [];

  constructor(
    readonly src: string,
    private readonly initial: Flags,
  ) {}

  // errors
  unsupported(offset: number, construct: string, detail: string): RegexError {
    return new RegexError('REGEX_UNSUPPORTED', detail, { pattern: this.src, offset, construct });
  }
  invalid(offset: number, construct: string, detail: string): RegexError {
    return new RegexError('REGEX_INVALID', detail, { pattern: this.src, offset, construct });
  }

  parse(): Node {
    this.parseStartVerbs();
    const node = this.parseAlternation({ ...this.initial });
    if (this.pos < this.src.length) {
      // parseAlternation stops only at the end or at a `)` it does not own.
      throw this.invalid(this.pos, ')', 'unmatched closing parenthesis');
    }
    for (const ref of this.refs) this.resolveRef(ref);
    return node;
  }

  private resolveRef(ref: RefNode): void {
    if (ref.name !== undefined) {
      const group = this.names.get(ref.name);
      if (!group) throw this.invalid(ref.pos, ref.construct, `reference to non-existent group name "${ref.name}"`);
      ref.index = group.index;
    } else if (ref.index < 1 || ref.index > this.captureCount) {
      throw this.invalid(ref.pos, ref.construct, `reference to non-existent group ${ref.index}`);
    }
  }

  private peek(k = 0): string {
    return this.src.charAt(this.pos + k);
  }
  private startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  /** Reads one code point as written (no escape processing). */
  private readCodePoint(): number {
    const cp = this.src.codePointAt(this.pos) as number;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  /** Leading `(*UTF)`, `(*LIMIT_MATCH=n)` ... settings. */
  private parseStartVerbs(): void {
    const re = /\(\*([A-Z_0-9]+)(?:=(\d+))?\)/y;
    for (;;) {
      re.lastIndex = this.pos;
      const m = re.exec(this.src);
      if (!m) return;
      const name = m[1] as string;
      if (HARMLESS_START_VERBS.has(name) || (LIMIT_START_VERBS.has(name) && m[2] !== undefined)) {
        this.pos = re.lastIndex;
      } else if (CHANGING_START_VERBS.has(name)) {
        throw this.unsupported(this.pos, m[0], 'start-of-pattern option that changes matching semantics');
      } else {
        return; // an ordinary verb such as (*FAIL); parsed as an atom
      }
    }
  }

  /** Skips what PCRE ignores between items: (?x) white space and comments, (?#...), \E, \Q\E. */
  private skipTrivia(flags: Flags): void {
    for (;;) {
      if (flags.x) {
        const cp = this.src.codePointAt(this.pos);
        if (cp !== undefined && X_SPACE.has(cp)) {
          this.pos++;
          continue;
        }
        if (cp === 0x23 /* # */) {
          const nl = this.src.indexOf('\n', this.pos);
          this.pos = nl < 0 ? this.src.length : nl + 1;
          continue;
        }
      }
      if (this.startsWith('(?#')) {
        const close = this.src.indexOf(')', this.pos);
        if (close < 0) throw this.invalid(this.pos, '(?#', 'missing ) after comment');
        this.pos = close + 1;
        continue;
      }
      if (this.startsWith('\\E')) {
        this.pos += 2;
        continue;
      }
      if (this.startsWith('\\Q\\E')) {
        this.pos += 4;
        continue;
      }
      return;
    }
  }

  private parseAlternation(flags: Flags): Node {
    const alts: Node[] = [this.parseSequence(flags)];
    while (this.peek() === '|') {
      this.pos++;
      alts.push(this.parseSequence(flags));
    }
    return alts.length === 1 ? (alts[0] as Node) : { t: 'alt', alts };
  }

  private parseSequence(flags: Flags): SeqNode {
    const items: Node[] = [];
    for (;;) {
      this.skipTrivia(flags);
      const c = this.peek();
      if (c === '' || c === '|' || c === ')') break;
      const atoms = this.parseAtom(flags);
      if (atoms.length === 0) continue;
      const last = atoms.pop() as Node;
      for (const atom of atoms) items.push(atom); // \Q...\E gives one atom a character: too many to spread
      items.push(this.parseQuantifier(flags, last));
    }
    return { t: 'seq', items };
  }

  /** Returns the atoms for one syntactic item (several for \Q...\E, none for option settings). */
  private parseAtom(flags: Flags): Node[] {
    const start = this.pos;
    const c = this.peek();
    switch (c) {
      case '(':
        return this.parseGroup(flags);
      case '[': {
        // PCRE2 reads the Spencer-library spellings [[:<:]] and [[:>:]] as word start and word end.
        const word = this.src.startsWith('[[:<:]]', start) ? '(?=' : this.src.startsWith('[[:>:]]', start) ? '(?<=' : null;
        if (word) {
          this.pos += 7;
          return [{ t: 'assert', pos: start, src: `\\b${word}[0-9A-Z_a-z])` }];
        }
        return [this.parseClass(flags)];
      }
      case '.':
        this.pos++;
        return [this.setNode(start, flags.s ? ALL : NOT_NEWLINE, [], false, [], false)];
      case '^':
        this.pos++;
        return [{ t: 'assert', pos: start, src: flags.m ? MULTILINE_START : START }];
      case '$':
        this.pos++;
        return [{ t: 'assert', pos: start, src: flags.m ? MULTILINE_END : END_OR_FINAL_NEWLINE }];
      case '\\':
        return this.parseEscape(flags);
      case '*':
      case '+':
      case '?':
        throw this.invalid(start, c, 'quantifier does not follow a repeatable item');
      case '{':
        if (this.readBraces() !== null) {
          this.pos = start;
          throw this.invalid(start, '{', 'quantifier does not follow a repeatable item');
        }
        this.pos = start + 1; // not a quantifier: a literal brace, as in PCRE
        return [this.literal(start, 0x7b, flags)];
      default:
        return [this.literal(start, this.readCodePoint(), flags)];
    }
  }

  private literal(pos: number, cp: number, flags: Flags): SetNode {
    return this.setNode(pos, [], [], false, [[cp, cp]], flags.i);
  }

  private setNode(
    pos: number,
    types: CharSet,
    props: string[],
    negated: boolean,
    lits: CharSet,
    ci: boolean,
  ): SetNode {
    const set = union(ci ? caseClose(lits) : lits, types);
    return { t: 'set', pos, set, props, negated, lits, ci };
  }

  // --- quantifiers ---

  /**
   * Reads `{n}`, `{n,}` or `{n,m}` at pos (advancing past it) or returns null (pos unchanged) when the
   * brace is a literal. Spellings whose meaning depends on the PCRE2 version are rejected.
   */
  private readBraces(): { min: number; max: number } | null {
    const start = this.pos;
    const rest = this.src.slice(start, start + 40);
    const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(rest);
    if (!m) {
      // PCRE2 >= 10.43 reads `{,m}` and `{ n , m }` as quantifiers; older releases as literals.
      if (/^\{\s*,\s*\d+\s*\}/.test(rest) || /^\{\s*\d+\s*(?:,\s*\d*\s*)?\}/.test(rest)) {
        const end = rest.indexOf('}') + 1;
        const why = 'quantifier spelling whose meaning differs between PCRE2 versions';
        throw this.unsupported(start, rest.slice(0, end), why);
      }
      return null;
    }
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) {
      throw this.invalid(start, m[0], `number too big in {} quantifier (max ${MAX_REPEAT})`);
    }
    if (max < min) throw this.invalid(start, m[0], 'numbers out of order in {} quantifier');
    this.pos = start + m[0].length;
    return { min, max };
  }

  private parseQuantifier(flags: Flags, atom: Node): Node {
    this.skipTrivia(flags);
    const start = this.pos;
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const braces = this.readBraces(); // advances past the closing brace
      if (!braces) return atom;
      ({ min, max } = braces);
    } else {
      return atom;
    }
    if (c !== '{') this.pos++;
    if (flags.x) this.skipTrivia(flags); // Perl and PCRE2 allow `a+ ?` under (?x)
    let mode: RepeatNode['mode'] = 'greedy';
    if (this.peek() === '?') {
      mode = 'lazy';
      this.pos++;
    } else if (this.peek() === '+') {
      mode = 'possessive';
      this.pos++;
    }
    if (flags.U && mode !== 'possessive') mode = mode === 'greedy' ? 'lazy' : 'greedy';
    const quant = this.src.slice(start, this.pos);
    const lookaround = atom.t === 'group' && !['capture', 'noncap', 'atomic'].includes(atom.kind);
    if (atom.t === 'assert' || lookaround) throw this.unsupported(start, quant, 'quantified assertion');
    return { t: 'repeat', pos: start, body: atom, min, max, mode };
  }

  // --- groups ---

  private parseGroup(flags: Flags): Node[] {
    const start = this.pos;
    if (this.startsWith('(*')) return this.parseVerb(flags);
    if (!this.startsWith('(?')) {
      this.pos++;
      return [this.finishGroup(start, flags.n ? 'noncap' : 'capture', { ...flags })];
    }
    this.pos += 2;
    const c = this.peek();
    const c2 = this.peek(1);
    switch (c) {
      case ':':
        this.pos++;
        return [this.finishGroup(start, 'noncap', { ...flags })];
      case '>':
        this.pos++;
        return [this.finishGroup(start, 'atomic', { ...flags })];
      case '=':
        this.pos++;
        return [this.finishGroup(start, 'ahead', { ...flags })];
      case '!':
        this.pos++;
        return [this.finishGroup(start, 'nahead', { ...flags })];
      case '|':
        throw this.unsupported(start, '(?|', 'branch reset group');
      case '(':
        throw this.unsupported(start, '(?(', 'conditional group');
      case 'C':
        throw this.unsupported(start, this.constructUpTo(start, ')'), 'callout');
      case 'R':
        throw this.unsupported(start, this.constructUpTo(start, ')'), 'recursion');
      case '&':
        throw this.unsupported(start, this.constructUpTo(start, ')'), 'subroutine call');
      case '*':
        throw this.unsupported(start, '(?*', 'non-atomic lookahead');
      case "'":
        this.pos++;
        return [this.namedGroup(start, flags, "'")];
      case '<':
        if (c2 === '=') {
          this.pos += 2;
          return [this.finishGroup(start, 'behind', { ...flags })];
        }
        if (c2 === '!') {
          this.pos += 2;
          return [this.finishGroup(start, 'nbehind', { ...flags })];
        }
        if (c2 === '*') throw this.unsupported(start, '(?<*', 'non-atomic lookbehind');
        this.pos++;
        return [this.namedGroup(start, flags, '>')];
      case 'P':
        if (c2 === '<') {
          this.pos += 2;
          return [this.namedGroup(start, flags, '>')];
        }
        if (c2 === '=') {
          this.pos += 2;
          const name = this.readName(')');
          return [this.refNode(start, this.src.slice(start, this.pos), { name }, flags)];
        }
        if (c2 === '>') throw this.unsupported(start, this.constructUpTo(start, ')'), 'subroutine call');
        throw this.invalid(start, '(?P', 'unrecognized character after (?P');
      default:
        break;
    }
    if (/[0-9]/.test(c) || ((c === '+' || c === '-') && /[0-9]/.test(c2))) {
      throw this.unsupported(start, this.constructUpTo(start, ')'), 'subroutine call / recursion');
    }
    return this.parseOptions(start, flags);
  }

  /** `(?imsx-imsx)` (changes the enclosing group's options) or `(?imsx-imsx:...)`. */
  private parseOptions(start: number, flags: Flags): Node[] {
    const next: Flags = { ...flags };
    let on = true;
    if (this.peek() === '^') {
      // (?^) resets i, m, n, s, x to their defaults.
      Object.assign(next, { i: false, m: false, n: false, s: false, x: false, xx: false });
      this.pos++;
    }
    for (;;) {
      const c = this.peek();
      if (c === ')' || c === ':') break;
      const at = this.pos;
      this.pos++;
      if (c === '-' && on) {
        on = false;
        continue;
      }
      switch (c) {
        case 'i':
        case 'm':
        case 's':
        case 'n':
        case 'U':
        case 'J':
          next[c] = on;
          break;
        case 'x':
          if (on && this.peek() === 'x') {
            this.pos++;
            next.x = true;
            next.xx = true;
          } else {
            next.x = on;
            next.xx = false;
          }
          break;
        case '':
          throw this.invalid(start, this.src.slice(start), 'missing ) after (? option setting');
        default:
          if (/[A-Za-z]/.test(c)) throw this.unsupported(at, `(?${c}`, `option letter "${c}"`);
          throw this.invalid(at, this.src.slice(start, at + 1), 'unrecognized character after (? or (?-');
      }
    }
    if (this.peek() === ')') {
      this.pos++;
      Object.assign(flags, next); // scoped to the rest of the enclosing group, later branches included
      return [];
    }
    this.pos++; // ':'
    return [this.finishGroup(start, 'noncap', next)];
  }

  private namedGroup(start: number, flags: Flags, terminator: string): GroupNode {
    const nameAt = this.pos;
    const name = this.readName(terminator);
    const existing = this.names.get(name);
    if (existing) {
      if (flags.J) throw this.unsupported(nameAt, name, 'duplicate group names ((?J)) are not supported by JS');
      throw this.invalid(nameAt, name, 'two named groups have the same name (PCRE requires (?J))');
    }
    return this.finishGroup(start, 'capture', { ...flags }, name);
  }

  /** Reads a group name up to `terminator` (consumed). */
  private readName(terminator: string): string {
    const start = this.pos;
    const end = this.src.indexOf(terminator, start);
    if (end < 0) throw this.invalid(start, this.src.slice(start - 1), `missing terminator ${terminator} for group name`);
    const name = this.src.slice(start, end);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      // Newer PCRE2 releases accept Unicode letters in names; everything else is invalid everywhere.
      const unicodeLetters = /^[^\x00-\x7f]+$/.test(name.replace(/[A-Za-z0-9_]/g, ''));
      if (unicodeLetters && !/^[0-9]/.test(name)) throw this.unsupported(start, name, 'non-ASCII group name');
      throw this.invalid(start, name, 'invalid group name');
    }
    this.pos = end + 1;
    return name;
  }

  private finishGroup(start: number, kind: GroupKind, inner: Flags, name?: string): GroupNode {
    const group: GroupNode = { t: 'group', pos: start, kind, body: { t: 'seq', items: [] }, index: 0 };
    if (kind === 'capture') {
      group.index = ++this.captureCount;
      this.groups.push(group);
      if (name !== undefined) {
        group.name = name;
        this.names.set(name, group);
      }
    }
    if (++this.depth > MAX_NESTING) throw this.invalid(start, this.src.slice(start, start + 3), 'parentheses are too deeply nested');
    group.body = this.parseAlternation(inner);
    this.depth--;
    if (this.peek() !== ')') throw this.invalid(start, this.src.slice(start, start + 3), 'missing closing parenthesis');
    this.pos++;
    return group;
  }

  private constructUpTo(start: number, end: string): string {
    const i = this.src.indexOf(end, start);
    return i < 0 ? this.src.slice(start) : this.src.slice(start, i + end.length);
  }

  /** `(*VERB)`, `(*pla:...)` and friends (start-of-pattern settings were handled before). */
  private parseVerb(flags: Flags): Node[] {
    const start = this.pos;
    const m = /\(\*([A-Za-z_]*)(:?)/y;
    m.lastIndex = start;
    const r = m.exec(this.src) as RegExpExecArray;
    const name = r[1] as string;
    if (r[2] === ':' && name !== '') {
      const kind = LOOKAROUND_VERBS[name];
      if (kind) {
        this.pos = m.lastIndex;
        return [this.finishGroup(start, kind, { ...flags })];
      }
    }
    const construct = this.constructUpTo(start, ')');
    if (name === 'FAIL' || name === 'F') {
      if (this.src[start + 2 + name.length] !== ')') throw this.invalid(start, construct, 'malformed (*VERB)');
      this.pos = start + construct.length;
      return [{ t: 'assert', pos: start, src: '(?!)' }];
    }
    if (name === '' && r[2] === '') throw this.invalid(start, '(*', 'quantifier does not follow a repeatable item');
    if (CHANGING_START_VERBS.has(name) || HARMLESS_START_VERBS.has(name) || LIMIT_START_VERBS.has(name)) {
      throw this.invalid(start, construct, 'start-of-pattern setting not at the start of the pattern');
    }
    throw this.unsupported(start, construct, 'backtracking control verb or unsupported (*...) construct');
  }

  // --- escapes outside classes ---

  private parseEscape(flags: Flags): Node[] {
    const start = this.pos;
    const c = this.peek(1);
    if (c === '') throw this.invalid(start, '\\', '\\ at end of pattern');
    const construct2 = `\\${c}`;
    switch (c) {
      case 'A':
        this.pos += 2;
        return [{ t: 'assert', pos: start, src: START }];
      case 'z':
        this.pos += 2;
        return [{ t: 'assert', pos: start, src: END }];
      case 'Z':
        this.pos += 2;
        return [{ t: 'assert', pos: start, src: END_OR_FINAL_NEWLINE }];
      case 'b':
        this.pos += 2;
        return [{ t: 'assert', pos: start, src: '\\b' }];
      case 'B':
        this.pos += 2;
        return [{ t: 'assert', pos: start, src: '\\B' }];
      case 'G':
        throw this.unsupported(start, construct2, '\\G (start-of-match anchor)');
      case 'K':
        throw this.unsupported(start, construct2, '\\K (reset match start)');
      case 'X':
        throw this.unsupported(start, construct2, '\\X (extended grapheme cluster)');
      case 'C':
        throw this.unsupported(start, construct2, '\\C (single code unit)');
      case 'R':
        this.pos += 2;
        return [{ t: 'raw', pos: start, src: NEWLINE_SEQUENCE }];
      case 'Q':
        return this.parseQuoted(flags);
      case 'E':
        this.pos += 2;
        return [];
      case 'k':
        return [this.parseNamedRef(flags)];
      case 'g':
        return [this.parseGRef(flags)];
      case 'p':
      case 'P': {
        const prop = this.parseProperty();
        return [this.setNode(start, prop.ranges, prop.props, prop.negated, [], false)];
      }
      case 'N':
        // `\N{U+hhhh}` is a character; `\N{2}` is \N with a quantifier.
        if (this.startsWith('\\N{') && !/^\{\d/.test(this.src.slice(start + 2, start + 4))) {
          const cp = this.parseNamedChar();
          return [this.literal(start, cp, flags)];
        }
        this.pos += 2;
        return [this.setNode(start, NOT_NEWLINE, [], false, [], false)];
      default:
        break;
    }
    const type = classEscape(c);
    if (type) {
      this.pos += 2;
      return [this.setNode(start, type, [], false, [], false)];
    }
    if (/[1-9]/.test(c)) {
      const ref = this.parseDigitEscape(flags);
      if (ref) return [ref];
      return [this.literal(start, this.parseOctal(), flags)];
    }
    const cp = this.parseCharEscape(false);
    return [this.literal(start, cp, flags)];
  }

  /**
   * `\1`..`\9` are always backreferences; `\10` and up are backreferences when that many groups have
   * been opened so far (or the number starts with 8 or 9), otherwise octal (PCRE2 rules).
   */
  private parseDigitEscape(flags: Flags): RefNode | null {
    const start = this.pos;
    const m = /\d+/y;
    m.lastIndex = start + 1;
    const digits = (m.exec(this.src) as RegExpExecArray)[0];
    const n = Number(digits);
    if (n < 10 || digits[0] === '8' || digits[0] === '9' || n <= this.captureCount) {
      this.pos = m.lastIndex;
      return this.refNode(start, `\\${digits}`, { index: n }, flags);
    }
    return null;
  }

  /** Up to three octal digits after the backslash at pos. */
  private parseOctal(): number {
    const m = /[0-7]{1,3}/y;
    m.lastIndex = this.pos + 1;
    const r = m.exec(this.src);
    if (!r) throw this.invalid(this.pos, this.src.slice(this.pos, this.pos + 2), 'invalid escape');
    this.pos = m.lastIndex;
    return parseInt(r[0], 8);
  }

  private parseQuoted(flags: Flags): Node[] {
    this.pos += 2;
    const end = this.src.indexOf('\\E', this.pos);
    const stop = end < 0 ? this.src.length : end;
    const out: Node[] = [];
    while (this.pos < stop) {
      const at = this.pos;
      out.push(this.literal(at, this.readCodePoint(), flags));
    }
    this.pos = end < 0 ? stop : end + 2;
    return out;
  }

  private refNode(pos: number, construct: string, target: { index?: number; name?: string }, flags: Flags): RefNode {
    const ref: RefNode = { t: 'ref', pos, construct, index: target.index ?? 0, ci: flags.i };
    if (target.name !== undefined) ref.name = target.name;
    this.refs.push(ref);
    return ref;
  }

  /** `\k<name>`, `\k'name'`, `\k{name}`. */
  private parseNamedRef(flags: Flags): RefNode {
    const start = this.pos;
    const open = this.peek(2);
    const close = open === '<' ? '>' : open === "'" ? "'" : open === '{' ? '}' : '';
    if (!close) throw this.invalid(start, '\\k', '\\k is not followed by a name in <>, \'\' or {}');
    this.pos += 3;
    const name = this.readName(close);
    return this.refNode(start, this.src.slice(start, this.pos), { name }, flags);
  }

  /** `\g{n}`, `\g{-n}`, `\g{name}`, `\gn`, `\g-n`; `\g<..>` is a subroutine call. */
  private parseGRef(flags: Flags): RefNode {
    const start = this.pos;
    const open = this.peek(2);
    if (open === '<' || open === "'") {
      throw this.unsupported(start, this.constructUpTo(start, open === '<' ? '>' : "'"), 'subroutine call');
    }
    let body: string;
    if (open === '{') {
      const end = this.src.indexOf('}', start);
      if (end < 0) throw this.invalid(start, '\\g{', 'missing } after \\g{');
      body = this.src.slice(start + 3, end);
      this.pos = end + 1;
    } else {
      const m = /[+-]?\d+/y;
      m.lastIndex = start + 2;
      const r = m.exec(this.src);
      if (!r) throw this.invalid(start, '\\g', '\\g is not followed by a number or name');
      body = r[0];
      this.pos = m.lastIndex;
    }
    const construct = this.src.slice(start, this.pos);
    if (/^-\d+$/.test(body)) {
      const index = this.captureCount + 1 + Number(body); // \g{-1}: the most recently opened group
      if (index < 1) throw this.invalid(start, construct, 'relative reference to a group before the first');
      return this.refNode(start, construct, { index }, flags);
    }
    if (/^\d+$/.test(body)) return this.refNode(start, construct, { index: Number(body) }, flags);
    if (/^\+\d+$/.test(body)) throw this.invalid(start, construct, 'forward relative backreference');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(body)) throw this.invalid(start, construct, 'invalid group name');
    return this.refNode(start, construct, { name: body }, flags);
  }

  /** `\N{U+hhhh}`. */
  private parseNamedChar(): number {
    const start = this.pos;
    const m = /\\N\{U\+([0-9A-Fa-f]+)\}/y;
    m.lastIndex = start;
    const r = m.exec(this.src);
    if (!r) throw this.invalid(start, this.constructUpTo(start, '}'), 'PCRE2 does not support \\N{name}');
    this.pos = m.lastIndex;
    return checkCodePoint(this, start, r[0], parseInt(r[1] as string, 16));
  }

  /**
   * An escape that denotes one character: \xhh \x{h..} \o{..} \0oo \cX \a \e \f \n \r \t, or an
   * escaped non-alphanumeric. pos is at the backslash.
   */
  parseCharEscape(inClass: boolean): number {
    const start = this.pos;
    const c = this.peek(1);
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      this.pos += 2;
      return simple;
    }
    switch (c) {
      case 'x': {
        if (this.peek(2) === '{') {
          const m = /\\x\{([0-9A-Fa-f]+)\}/y;
          m.lastIndex = start;
          const r = m.exec(this.src);
          if (!r) throw this.invalid(start, this.constructUpTo(start, '}'), 'malformed \\x{...}');
          this.pos = m.lastIndex;
          return checkCodePoint(this, start, r[0], parseInt(r[1] as string, 16));
        }
        const m = /[0-9A-Fa-f]{0,2}/y;
        m.lastIndex = start + 2;
        const r = (m.exec(this.src) as RegExpExecArray)[0];
        this.pos = m.lastIndex;
        return r === '' ? 0 : parseInt(r, 16);
      }
      case 'o': {
        const m = /\\o\{([0-7]+)\}/y;
        m.lastIndex = start;
        const r = m.exec(this.src);
        if (!r) throw this.invalid(start, this.constructUpTo(start, '}'), 'malformed \\o{...}');
        this.pos = m.lastIndex;
        return checkCodePoint(this, start, r[0], parseInt(r[1] as string, 8));
      }
      case '0':
        return this.parseOctal();
      case 'c': {
        const x = this.src.codePointAt(start + 2);
        if (x === undefined || x < 0x20 || x > 0x7e) {
          throw this.invalid(start, '\\c', '\\c must be followed by a printable ASCII character');
        }
        this.pos += 3;
        const upper = x >= 0x61 && x <= 0x7a ? x - 0x20 : x;
        return upper ^ 0x40;
      }
      case 'u':
      case 'U':
      case 'L':
      case 'l':
      case 'F':
        throw this.invalid(start, `\\${c}`, 'PCRE2 does not support \\F, \\L, \\l, \\U or \\u');
      default:
        break;
    }
    if (/[A-Za-z0-9]/.test(c)) {
      const why = inClass ? 'escape sequence is invalid in a character class' : 'unrecognized character after \\';
      throw this.invalid(start, `\\${c}`, why);
    }
    this.pos++;
    return this.readCodePoint(); // escaped punctuation (or any non-alphanumeric): itself
  }

  /** `\p{..}`, `\P{..}`, `\pL`, `\p{^..}`. pos is at the backslash. */
  parseProperty(): { ranges: CharSet; props: string[]; negated: boolean } {
    const start = this.pos;
    let negated = this.peek(1) === 'P';
    let name: string;
    if (this.peek(2) === '{') {
      const end = this.src.indexOf('}', start);
      if (end < 0) throw this.invalid(start, this.src.slice(start, start + 3), 'malformed \\p{...}');
      name = this.src.slice(start + 3, end);
      this.pos = end + 1;
    } else {
      name = this.peek(2);
      if (!/[A-Za-z]/.test(name)) throw this.invalid(start, this.src.slice(start, start + 3), 'malformed \\p');
      this.pos = start + 3;
    }
    const construct = this.src.slice(start, this.pos);
    if (name.startsWith('^')) {
      negated = !negated;
      name = name.slice(1);
    }
    // PCRE's special "Perl/POSIX" properties.
    const special: Readonly<Record<string, { ranges: CharSet; props: string[] }>> = {
      Xan: { ranges: [], props: ['\\p{L}', '\\p{N}'] },
      Xwd: { ranges: [[0x5f, 0x5f]], props: ['\\p{L}', '\\p{N}'] },
      Xsp: { ranges: SPACE, props: ['\\p{Z}'] },
      Xps: { ranges: SPACE, props: ['\\p{Z}'] },
    };
    const sp = special[name];
    if (sp) return { ...sp, negated };
    if (name === 'Xuc') throw this.unsupported(start, construct, 'the Xuc property');
    const js = jsProperty(name);
    if (js === null) throw this.unsupported(start, construct, `Unicode property "${name}" that V8 does not know`);
    return { ranges: [], props: [`\\${negated ? 'P' : 'p'}{${js}}`], negated: false };
  }

  // --- character classes ---

  private parseClass(flags: Flags): SetNode {
    const start = this.pos;
    // `[:alpha:]` outside a class is an error in PCRE2 (V8 would read the class [:ahlp]).
    const posixEnd = posixItemEnd(this.src, start);
    if (posixEnd >= 0) {
      const item = this.src.slice(start, posixEnd);
      if (item[1] !== ':') throw this.invalid(start, item, 'POSIX collating elements are not supported');
      throw this.invalid(start, item, 'POSIX named classes are supported only within a class');
    }
    this.pos++;
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    const lits: Range[] = [];
    const types: CharSet[] = [];
    const props: string[] = [];
    let first = true;
    for (;;) {
      if (flags.xx) while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
      const c = this.peek();
      if (c === '') throw this.invalid(start, '[', 'missing terminating ] for character class');
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      const itemAt = this.pos;
      const item = this.parseClassItem(flags);
      if (item.kind === 'none') continue;
      if (item.kind === 'chars') {
        for (const cp of item.cps) lits.push([cp, cp]);
        continue;
      }
      if (item.kind === 'set') {
        types.push(item.ranges);
        props.push(...item.props);
        if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
          throw this.invalid(itemAt, this.src.slice(itemAt, this.pos + 2), 'invalid range in character class');
        }
        continue;
      }
      // A single character; maybe the start of a range.
      let hi = item.cp;
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== '') {
        this.pos++;
        if (flags.xx) while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
        const end = this.parseClassItem(flags);
        if (end.kind !== 'char') {
          throw this.invalid(itemAt, this.src.slice(itemAt, this.pos), 'invalid range in character class');
        }
        if (end.cp < item.cp) {
          throw this.invalid(itemAt, this.src.slice(itemAt, this.pos), 'range out of order in character class');
        }
        hi = end.cp;
      }
      lits.push([item.cp, hi]);
    }
    const typeSet = union(...types);
    return this.setNode(start, typeSet, props, negated, normalize(lits), flags.i);
  }

  private parseClassItem(
    flags: Flags,
  ):
    | { kind: 'char'; cp: number }
    | { kind: 'chars'; cps: number[] }
    | { kind: 'set'; ranges: CharSet; props: string[] }
    | { kind: 'none' } {
    const start = this.pos;
    const c = this.peek();
    if (c === '[') {
      const end = posixItemEnd(this.src, start);
      if (end < 0) {
        this.pos++;
        return { kind: 'char', cp: 0x5b };
      }
      const item = this.src.slice(start, end);
      if (item[1] !== ':') throw this.invalid(start, item, 'POSIX collating elements are not supported');
      const negated = item[2] === '^';
      let name = item.slice(negated ? 3 : 2, -2);
      // PCRE2: under caseless matching [:upper:] and [:lower:] become [:alpha:].
      if (flags.i && (name === 'upper' || name === 'lower')) name = 'alpha';
      const ranges = Object.hasOwn(POSIX_CLASSES, name) ? POSIX_CLASSES[name] : undefined;
      if (!ranges) throw this.invalid(start, item, 'unknown POSIX class name');
      this.pos = end;
      return { kind: 'set', ranges: negated ? complement(ranges) : ranges, props: [] };
    }
    if (c !== '\\') return { kind: 'char', cp: this.readCodePoint() };
    const e = this.peek(1);
    if (e === '') throw this.invalid(start, '\\', '\\ at end of pattern');
    const type = classEscape(e);
    if (type) {
      this.pos += 2;
      return { kind: 'set', ranges: type, props: [] };
    }
    switch (e) {
      case 'b':
        this.pos += 2;
        return { kind: 'char', cp: 0x08 };
      case 'E':
        this.pos += 2;
        return { kind: 'none' };
      case 'Q': {
        // Quoted literal characters inside a class.
        const end = this.src.indexOf('\\E', start + 2);
        const text = this.src.slice(start + 2, end < 0 ? undefined : end);
        if (text === '') {
          this.pos = end < 0 ? this.src.length : end + 2;
          return { kind: 'none' };
        }
        const after = end < 0 ? this.src.length : end + 2;
        if (this.src[after] === '-' && this.src[after + 1] !== ']') {
          throw this.unsupported(start, this.src.slice(start, after + 2), 'range starting in \\Q...\\E inside a class');
        }
        this.pos = after;
        return { kind: 'chars', cps: [...text].map((ch) => ch.codePointAt(0) as number) };
      }
      case 'p':
      case 'P': {
        const prop = this.parseProperty();
        if (prop.negated) {
          throw this.unsupported(start, this.src.slice(start, this.pos), 'negated Perl/POSIX property inside a class');
        }
        return { kind: 'set', ranges: prop.ranges, props: prop.props };
      }
      case 'N':
        if (this.peek(2) === '{') return { kind: 'char', cp: this.parseNamedChar() };
        throw this.invalid(start, '\\N', '\\N is not allowed in a character class');
      case '8':
      case '9':
        throw this.unsupported(start, `\\${e}`, '\\8 or \\9 inside a character class');
      default:
        break;
    }
    if (/[1-7]/.test(e)) return { kind: 'char', cp: this.parseOctal() };
    if ('BRXAzZGKgk'.includes(e)) throw this.invalid(start, `\\${e}`, 'escape sequence is invalid in a character class');
    return { kind: 'char', cp: this.parseCharEscape(true) };
  }
}

/**
 * PCRE2's check_posix_syntax: at a `[` followed by `:`, `.` or `=`, the end of the POSIX item
 * (`[:name:]`, `[.x.]`, `[=x=]`) when the text reads as one, else -1 (the `[` is then a literal).
 * The search skips `\]` and `\\`, and gives up at a `]` or a nested `[:` (`[.`, `[=`).
 */
function posixItemEnd(src: string, start: number): number {
  const term = src[start + 1];
  if (term !== ':' && term !== '.' && term !== '=') return -1;
  for (let i = start + 2; i + 1 < src.length; i++) {
    const c = src[i];
    if (c === '\\' && (src[i + 1] === ']' || src[i + 1] === '\\')) i++;
    else if ((c === '[' && src[i + 1] === term) || c === ']') return -1;
    else if (c === term && src[i + 1] === ']') return i + 2;
  }
  return -1;
}

function checkCodePoint(parser: Parser, start: number, construct: string, cp: number): number {
  if (cp > MAX_CP) throw parser.invalid(start, construct, 'character code point value is too large');
  if (cp >= 0xd800 && cp <= 0xdfff) {
    throw parser.invalid(start, construct, 'surrogate code points are not allowed in UTF mode');
  }
  return cp;
}

/** `\d \D \w \W \s \S \h \H \v \V` as code point sets (ASCII ones as PCRE has them without UCP). */
function classEscape(c: string): CharSet | null {
  switch (c) {
    case 'd':
      return DIGIT;
    case 'D':
      return complement(DIGIT);
    case 'w':
      return WORD;
    case 'W':
      return complement(WORD);
    case 's':
      return SPACE;
    case 'S':
      return complement(SPACE);
    case 'h':
      return HSPACE;
    case 'H':
      return complement(HSPACE);
    case 'v':
      return VSPACE;
    case 'V':
      return complement(VSPACE);
    default:
      return null;
  }
}

const jsPropertyCache = new Map<string, string | null>();

/**
 * Maps a PCRE property name to a V8 one, or null. General categories and binary properties are
 * spelled the same; a bare script name (`Greek`) means Script_Extensions in PCRE2 >= 10.40 and Perl.
 */
function jsProperty(name: string): string | null {
  const cached = jsPropertyCache.get(name);
  if (cached !== undefined) return cached;
  const valid = (p: string): boolean => {
    try {
      new RegExp(`\\p{${p}}`, 'u');
      return true;
    } catch {
      return false;
    }
  };
  let result: string | null = null;
  if (name === 'L&') result = 'LC';
  else if (name === 'Any') result = 'Any';
  else if (/^[A-Za-z_]+$/.test(name) && valid(name)) result = name;
  else {
    // `sc:Greek` / `scx:Greek` / `script=Greek` (PCRE2 >= 10.40), or a bare script name.
    const m = /^(sc|scx|script|script_extensions)[:=]([A-Za-z_]+)$/i.exec(name);
    const extensions = m ? /x|ext/i.test(m[1] as string) : true;
    const prop = extensions ? 'Script_Extensions' : 'Script';
    const value = m ? (m[2] as string) : name;
    if (/^[A-Za-z_]+$/.test(value) && valid(`${prop}=${value}`)) result = `${prop}=${value}`;
  }
  jsPropertyCache.set(name, result);
  return result;
}

// --- Checks ---------------------------------------------------------------------------------------

function nullable(node: Node): boolean {
  switch (node.t) {
    case 'set':
    case 'raw':
      return false;
    case 'assert':
    case 'ref': // conservative: the referenced text may be empty
      return true;
    case 'group':
      return node.kind === 'capture' || node.kind === 'noncap' || node.kind === 'atomic' ? nullable(node.body) : true;
    case 'repeat':
      return node.min === 0 || nullable(node.body);
    case 'seq':
      return node.items.every(nullable);
    case 'alt':
      return node.alts.some(nullable);
  }
}

/**
 * True when the node cannot match empty, or its only way to match empty is its last alternative in
 * backtracking order. For such bodies, PCRE's "an empty iteration ends the loop" and JS's "an empty
 * iteration fails" try the same continuations in the same order.
 */
function emptyLast(node: Node): boolean {
  if (!nullable(node)) return true;
  switch (node.t) {
    case 'assert':
    case 'ref':
      return true; // a single way to match
    case 'group':
      return node.kind === 'capture' || node.kind === 'noncap' ? emptyLast(node.body) : true;
    case 'repeat':
      if (node.mode === 'possessive') return true;
      return node.mode === 'greedy' && !nullable(node.body);
    case 'seq':
      return node.items.every(emptyLast);
    case 'alt':
      return node.alts.slice(0, -1).every((a) => !nullable(a)) && emptyLast(node.alts[node.alts.length - 1] as Node);
    default:
      return true;
  }
}

function containsCapture(node: Node): boolean {
  switch (node.t) {
    case 'group':
      return node.kind === 'capture' || containsCapture(node.body);
    case 'repeat':
      return containsCapture(node.body);
    case 'seq':
      return node.items.some(containsCapture);
    case 'alt':
      return node.alts.some(containsCapture);
    default:
      return false;
  }
}

const LONG_S = 0x17f;
const KELVIN = 0x212a;

function sameSet(a: CharSet, b: CharSet): boolean {
  return a.length === b.length && a.every((r, i) => r[0] === b[i]?.[0] && r[1] === b[i]?.[1]);
}

/** Code points in exactly one of two normalized sets (at most 9 are listed: enough to decide). */
function symmetricDifference(a: CharSet, b: CharSet): number[] {
  const out: number[] = [];
  for (const [lo, hi] of [...intersect(a, complement(b)), ...intersect(b, complement(a))]) {
    for (let cp = lo; cp <= hi && out.length < 9; cp++) out.push(cp);
  }
  return out;
}

function intersect(a: CharSet, b: CharSet): Range[] {
  const out: Range[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i] as Range;
    const [blo, bhi] = b[j] as Range;
    const lo = Math.max(alo, blo);
    const hi = Math.min(ahi, bhi);
    if (lo <= hi) out.push([lo, hi]);
    if (ahi < bhi) i++;
    else j++;
  }
  return out;
}

function isLookbehind(node: Node): boolean {
  return node.t === 'group' && (node.kind === 'behind' || node.kind === 'nbehind');
}

/**
 * Is the last node of `path` certain to have matched once path[from] matched? Alternations with
 * several branches, optional repeats and negative lookarounds break the chain, as do repeats whose
 * empty iterations PCRE keeps and JS discards.
 */
function mandatoryAlong(path: readonly Node[], from: number): boolean {
  for (let i = from; i < path.length - 1; i++) {
    const node = path[i] as Node;
    if (node.t === 'alt' && node.alts.length > 1) return false;
    if (node.t === 'group' && (node.kind === 'nahead' || node.kind === 'nbehind')) return false;
    if (node.t === 'repeat' && (node.min === 0 || (node.max > node.min && nullable(node.body)))) return false;
  }
  return true;
}

class Checker {
  private readonly capturePaths = new Map<GroupNode, Node[]>();
  private readonly refPaths = new Map<RefNode, Node[]>();
  private readonly positions = new Map<SeqNode, Map<Node, number>>();
  private readonly sets: SetNode[] = [];

  constructor(
    private readonly parser: Parser,
    private readonly needCaptures: boolean,
  ) {}

  check(root: Node): { jsCaseless: boolean } {
    this.walk(root, [], 0);
    for (const [ref, path] of this.refPaths) this.checkRef(ref, path);
    if (this.needCaptures) for (const [group, path] of this.capturePaths) this.checkCaptureInRepeat(group, path);
    return { jsCaseless: this.checkCaseless() };
  }

  private walk(node: Node, parents: Node[], lookbehinds: number): void {
    const path = [...parents, node];
    switch (node.t) {
      case 'set':
        this.sets.push(node);
        return;
      case 'ref':
        this.refPaths.set(node, path);
        return;
      case 'group':
        if (node.kind === 'capture') this.capturePaths.set(node, path);
        if (node.kind === 'atomic' && lookbehinds > 0) {
          throw this.parser.unsupported(node.pos, '(?>', 'atomic group inside a lookbehind');
        }
        if (isLookbehind(node)) this.checkLookbehindLength(node);
        this.walk(node.body, path, lookbehinds + (isLookbehind(node) ? 1 : 0));
        return;
      case 'repeat':
        if (node.mode === 'possessive' && lookbehinds > 0) {
          throw this.parser.unsupported(node.pos, this.quantText(node), 'possessive quantifier inside a lookbehind');
        }
        if (node.max >= 2 && node.max > node.min && nullable(node.body)) {
          if (!emptyLast(node.body)) {
            throw this.parser.unsupported(
              node.pos,
              this.quantText(node),
              'quantified subpattern that can match the empty string before a non-empty match ' +
                '(PCRE ends the loop on an empty iteration, JS rejects the iteration)',
            );
          }
          if (this.needCaptures && containsCapture(node.body)) {
            throw this.parser.unsupported(
              node.pos,
              this.quantText(node),
              'capture group inside a repeated subpattern that can match the empty string ' +
                "(PCRE keeps the empty iteration's captures, JS discards them)",
            );
          }
        }
        this.walk(node.body, path, lookbehinds);
        return;
      case 'seq':
        for (const item of node.items) this.walk(item, path, lookbehinds);
        return;
      case 'alt':
        for (const alt of node.alts) this.walk(alt, path, lookbehinds);
        return;
      default:
        return;
    }
  }

  /**
   * PCRE2 needs a bound on what a lookbehind matches (JS takes any): each branch of fixed length, at most
   * 65535 characters, or since 10.43 of variable length up to 255 (its default max_varlookbehind).
   */
  private checkLookbehindLength(node: GroupNode): void {
    const branches = node.body.t === 'alt' ? node.body.alts : [node.body];
    for (const branch of branches) {
      const [min, max] = this.lengthRange(branch, new Set(), new Map());
      const construct = node.kind === 'behind' ? '(?<=' : '(?<!';
      if (max === Infinity) throw this.parser.invalid(node.pos, construct, 'lookbehind assertion is not fixed length');
      if (max > MAX_LOOKBEHIND) throw this.parser.invalid(node.pos, construct, 'lookbehind assertion is too long');
      if (max > min && max > MAX_VARIABLE_LOOKBEHIND) {
        throw this.parser.invalid(node.pos, construct, `variable-length lookbehind assertion longer than ${MAX_VARIABLE_LOOKBEHIND} characters`);
      }
    }
  }

  /**
   * The fewest and most characters a node can match (Infinity: unbounded). `known` keeps each group's
   * range: references to groups made of references would otherwise be walked exponentially often.
   */
  private lengthRange(node: Node, groupsIn: Set<GroupNode>, known: Map<GroupNode, [number, number]>): [number, number] {
    switch (node.t) {
      case 'set':
        return [1, 1];
      case 'raw':
        return [1, 2]; // \R: \r\n or one character
      case 'assert':
        return [0, 0];
      case 'ref': {
        // A backreference matches what its group did: bounded as the group is.
        const group = this.parser.groups[node.index - 1] as GroupNode;
        return groupsIn.has(group) ? [0, Infinity] : this.lengthRange(group, groupsIn, known);
      }
      case 'group': {
        if (node.kind !== 'capture' && node.kind !== 'noncap' && node.kind !== 'atomic') return [0, 0];
        const seen = known.get(node);
        if (seen) return seen;
        groupsIn.add(node);
        const range = this.lengthRange(node.body, groupsIn, known);
        groupsIn.delete(node);
        known.set(node, range);
        return range;
      }
      case 'repeat': {
        const [min, max] = this.lengthRange(node.body, groupsIn, known);
        return [min * node.min, max === 0 || node.max === 0 ? 0 : max * node.max];
      }
      case 'seq':
        return node.items.reduce<[number, number]>(
          ([min, max], item) => {
            const [a, b] = this.lengthRange(item, groupsIn, known);
            return [min + a, max + b];
          },
          [0, 0],
        );
      case 'alt': {
        const ranges = node.alts.map((a) => this.lengthRange(a, groupsIn, known));
        return [Math.min(...ranges.map((r) => r[0])), Math.max(...ranges.map((r) => r[1]))];
      }
    }
  }

  private quantText(node: RepeatNode): string {
    const m = /^(?:[*+?]|\{\d+(?:,\d*)?\})[?+]?/.exec(this.parser.src.slice(node.pos));
    return m ? m[0] : this.parser.src.charAt(node.pos);
  }

  /**
   * JS resets captures differently from PCRE and treats a backreference to an unset group as matching
   * the empty string (PCRE: failure). Only references to a group that has certainly matched earlier
   * on the same path are translated.
   */
  private checkRef(ref: RefNode, refPath: Node[]): void {
    const group = this.parser.groups[ref.index - 1] as GroupNode;
    const groupPath = this.capturePaths.get(group) as Node[];
    let k = 0;
    while (k + 1 < refPath.length && k + 1 < groupPath.length && refPath[k + 1] === groupPath[k + 1]) k++;
    const lca = groupPath[k] as Node;
    const fail = (why: string): never => {
      throw this.parser.unsupported(ref.pos, ref.construct, `backreference ${why}`);
    };
    if (lca === group) fail('inside the group it refers to (PCRE sees the previous iteration, JS an unset group)');
    if (lca.t !== 'seq') fail('to a group in another alternative (PCRE fails, JS matches the empty string)');
    const seq = lca as SeqNode;
    if (this.positionIn(seq, groupPath[k + 1] as Node) > this.positionIn(seq, refPath[k + 1] as Node)) {
      fail('to a group that comes later (forward reference)');
    }
    if (groupPath.slice(0, k + 1).some(isLookbehind)) {
      fail('to a group in the same lookbehind (JS matches lookbehinds right to left)');
    }
    if (!mandatoryAlong(groupPath, k + 1)) {
      fail('to a group that may not have participated in the match (PCRE fails, JS matches the empty string)');
    }
  }

  /** The index of an item in its sequence, from a map made once per sequence (indexOf per reference was quadratic). */
  private positionIn(seq: SeqNode, item: Node): number {
    let positions = this.positions.get(seq);
    if (!positions) {
      positions = new Map(seq.items.map((node, i) => [node, i]));
      this.positions.set(seq, positions);
    }
    return positions.get(item) ?? -1;
  }

  /** PCRE keeps a capture from an earlier iteration when a later one skips it; JS resets it. */
  private checkCaptureInRepeat(group: GroupNode, path: Node[]): void {
    for (let i = 0; i < path.length - 1; i++) {
      const node = path[i] as Node;
      if (node.t === 'repeat' && node.max >= 2 && !mandatoryAlong(path, i + 1)) {
        throw this.parser.unsupported(
          group.pos,
          this.parser.src.slice(group.pos, group.pos + 1 + (group.name ? group.name.length + 3 : 0)),
          'capture group that a repeated subpattern may skip (PCRE keeps the value from an earlier iteration, JS resets it)',
        );
      }
    }
  }

  /**
   * Caseless matching is expanded by hand (`a` -> [Aa]). A caseless backreference cannot be expanded:
   * then the JS `i` flag is used, which requires the whole pattern to be caseless.
   */
  private checkCaseless(): boolean {
    const ciRef = [...this.refPaths.keys()].find((r) => r.ci);
    if (!ciRef) return false;
    for (const ref of this.refPaths.keys()) {
      if (!ref.ci) {
        const why = 'case-sensitive backreference in a pattern that also has a caseless one';
        throw this.parser.unsupported(ref.pos, ref.construct, why);
      }
    }
    for (const set of this.sets) {
      if (set.props.length > 0) {
        const why = 'Unicode property in a pattern with a caseless backreference';
        throw this.parser.unsupported(set.pos, this.parser.src.slice(set.pos, set.pos + 2), why);
      }
      if (!set.ci && hasCasedChar(set.lits)) {
        throw this.parser.unsupported(
          set.pos,
          this.parser.src.charAt(set.pos),
          `case-sensitive text in a pattern with a caseless backreference (${ciRef.construct})`,
        );
      }
      this.closeUnderFolding(set);
    }
    return true;
  }

  /**
   * Under the JS `i` flag a class matches every character that folds like one of its members, so a
   * set that is not closed under case folding (\w, \W, [:^alpha:] ...) would change meaning; and the
   * change would depend on whether it is rendered as `[...]` or `[^...]`. Replace such a set by the
   * nearest closed one. The only characters that can differ are U+017F (long s) and U+212A (Kelvin
   * sign), which fold into ASCII letters; anything else is rejected.
   */
  private closeUnderFolding(node: SetNode): void {
    const target = node.negated ? complement(node.set) : [...node.set];
    const closure = caseClose(target);
    if (sameSet(closure, target)) return;
    const interior = complement(caseClose(complement(target)));
    const tolerable = (a: CharSet, b: CharSet): boolean =>
      symmetricDifference(a, b).every((cp) => cp === LONG_S || cp === KELVIN);
    let chosen: CharSet;
    if (tolerable(closure, target)) chosen = closure;
    else if (tolerable(interior, target)) chosen = interior;
    else {
      throw this.parser.unsupported(
        node.pos,
        this.parser.src.charAt(node.pos),
        'class that is not closed under case folding in a pattern with a caseless backreference',
      );
    }
    node.set = chosen;
    node.negated = false;
  }
}

// --- Emitter --------------------------------------------------------------------------------------

class Emitter {
  /** PCRE group number -> JS group number. */
  readonly groupMap: number[];
  private jsCount = 0;

  constructor(captureCount: number) {
    this.groupMap = new Array<number>(captureCount + 1).fill(0);
  }

  emit(node: Node): string {
    switch (node.t) {
      case 'seq': {
        let out = '';
        let afterRef = false;
        for (const item of node.items) {
          const s = this.emit(item);
          // `\1` followed by a literal `0` must not become `\10`.
          if (afterRef && /^[0-9]/.test(s)) out += '(?:)';
          out += s;
          afterRef = endsWithRef(item);
        }
        return out;
      }
      case 'alt':
        return node.alts.map((a) => this.emit(a)).join('|');
      case 'set':
        return renderSet(node.set, node.props, node.negated);
      case 'assert':
      case 'raw':
        return node.src;
      case 'ref':
        return `\\${this.groupMap[node.index] as number}`;
      case 'group':
        return this.emitGroup(node);
      case 'repeat':
        return this.emitRepeat(node);
    }
  }

  private emitGroup(node: GroupNode): string {
    switch (node.kind) {
      case 'capture': {
        this.groupMap[node.index] = ++this.jsCount;
        const name = node.name !== undefined ? `?<${node.name}>` : '';
        return `(${name}${this.emit(node.body)})`;
      }
      case 'noncap':
        return `(?:${this.emit(node.body)})`;
      case 'atomic':
        return this.atomic(() => this.emit(node.body));
      case 'ahead':
        return `(?=${this.emit(node.body)})`;
      case 'nahead':
        return `(?!${this.emit(node.body)})`;
      case 'behind':
        return `(?<=${this.emit(node.body)})`;
      case 'nbehind':
        return `(?<!${this.emit(node.body)})`;
    }
  }

  /** Atomic group via a capturing lookahead: `(?=(X))\N`. Lookaheads are atomic in JS. */
  private atomic(inner: () => string): string {
    const n = ++this.jsCount; // allocated before the inner groups: JS numbers by opening parenthesis
    return `(?=(${inner()}))\\${n}`;
  }

  private emitRepeat(node: RepeatNode): string {
    const { body, min, max, mode } = node;
    if (max === 1 && min === 0 && nullable(body)) {
      // JS rejects an optional iteration that matches empty (and drops its captures); PCRE keeps it.
      // An alternation with an empty branch has exactly PCRE's semantics.
      const spell = (): string => (mode === 'lazy' ? `(?:|${this.emit(body)})` : `(?:${this.emit(body)}|)`);
      return mode === 'possessive' ? this.atomic(spell) : spell();
    }
    if (mode === 'possessive') return this.atomic(() => this.atom(body) + quantifier(min, max, false));
    return this.atom(body) + quantifier(min, max, mode === 'lazy');
  }

  /** Emits a node so that a following quantifier applies to all of it. */
  private atom(node: Node): string {
    if (node.t === 'group' && node.kind === 'atomic') return `(?:${this.emit(node)})`;
    return this.emit(node);
  }
}

function endsWithRef(node: Node): boolean {
  switch (node.t) {
    case 'ref':
      return true;
    case 'group':
      return node.kind === 'atomic';
    case 'repeat':
      return node.mode === 'possessive';
    case 'seq': {
      const last = node.items[node.items.length - 1];
      return last !== undefined && endsWithRef(last);
    }
    default:
      return false;
  }
}

function quantifier(min: number, max: number, lazy: boolean): string {
  let q: string;
  if (min === 0 && max === Infinity) q = '*';
  else if (min === 1 && max === Infinity) q = '+';
  else if (min === 0 && max === 1) q = '?';
  else if (max === Infinity) q = `{${min},}`;
  else if (min === max) q = `{${min}}`;
  else q = `{${min},${max}}`;
  return lazy ? `${q}?` : q;
}
