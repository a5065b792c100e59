import { SplError, cover, span, type SourceText, type Span } from '../source.js';
import { Lexer, isSpace, type LexMode, type Token } from './lexer.js';
import { skipQuoted } from '../macros/macros.js';
import type { CommandAst, EvalBinaryOp, EvalExpr, PipelineAst, SearchExpr, SearchOp, SearchValue } from './ast.js';

/** The name of `name::value` (an indexed field): a field name's characters, starting with a letter or `_`. */
const INDEXED_NAME = /^[A-Za-z_][\w.-]*$/;

/**
 * Most parentheses, function calls, `NOT`s, signs and subsearches open at once. The parser (and every pass over
 * the tree after it) recurses once per level, ~10 stack frames for an eval parenthesis: ~850 levels overflow
 * V8's default stack. Searches written by people nest a handful of levels.
 */
export const MAX_SPL_NESTING = 256;

/**
 * Deepest eval expression tree. A chain `a + b + c` is a left-leaning tree one level deeper per operator, so
 * this also bounds chains (compiling a 3000-operator chain overflowed the stack); long `OR` chains of a
 * `search` command are flat and not limited.
 */
export const MAX_EVAL_DEPTH = 1000;

/**
 * Most commands in one pipeline. Each operator pushes its rows into the next one's `push`, so a row goes
 * through as many nested calls as there are commands: ~10,000 `| eval` overflowed the stack while running
 * ('internal error: Maximum call stack size exceeded'). ESCU's longest search has 180 pipes.
 */
export const MAX_PIPELINE_COMMANDS = 1000;

export interface ParseOptions {
  /** Parse commands vigil cannot run as a name plus argument text instead of failing (for census and tooling). */
  allowUnknownCommands?: boolean;
}

/** The arguments of a command parsed without knowing the command. */
export interface GenericArgs {
  kind: 'generic';
  text: string;
}

/** What the parser needs to know about commands: how to parse each one's arguments. */
export interface CommandParsers {
  /** Canonical name for a command name or alias, or undefined when the command is unknown. */
  resolve(name: string): string | undefined;
  parseArgs(name: string, p: ArgParser): unknown;
}

/**
 * Parses a macro-expanded search into a pipeline. Command boundaries are the `|` characters outside
 * quotes and subsearch brackets; each command's arguments are then parsed by that command.
 */
export function parsePipeline(
  source: SourceText,
  commands: CommandParsers,
  start = 0,
  end = source.text.length,
  opts: ParseOptions = {},
  /** Levels already open around this pipeline (a subsearch's), counted against MAX_SPL_NESTING. */
  nesting = 0,
  /** Its first segment is a command even without a leading `|` (appendpipe's subpipeline), not a search. */
  commandFirst = false,
): PipelineAst {
  const text = source.text;
  const segments = splitPipes(source, start, end);
  const leadingPipe = text.slice(start, end).trimStart().startsWith('|');
  if (leadingPipe) segments.shift(); // the empty segment before the first `|`
  if (segments.length > MAX_PIPELINE_COMMANDS) {
    const past = segments[MAX_PIPELINE_COMMANDS]!;
    throw new SplError('SPL_TOO_DEEP', `more than ${MAX_PIPELINE_COMMANDS} commands in one pipeline`, span(Math.max(past.start - 1, 0), past.end), source);
  }
  const out: CommandAst[] = [];
  segments.forEach((seg, i) => {
    const lx = new Lexer(source, seg.start, seg.end);
    const first = lx.next('search');
    if (first.kind === 'eof') {
      if (i === 0 && !leadingPipe && segments.length === 1) throw new SplError('SPL_SYNTAX', commandFirst ? 'empty subpipeline: no command inside [ ]' : 'empty search', span(start, end), source);
      throw new SplError('SPL_SYNTAX', 'empty command: nothing between two `|`', span(Math.max(seg.start - 1, 0), seg.end), source);
    }
    const implicit = i === 0 && !leadingPipe && !commandFirst && !(first.kind === 'word' && first.value.toLowerCase() === 'search');
    let name: string;
    let nameSpan: Span;
    if (implicit) {
      name = 'search';
      nameSpan = span(seg.start, seg.start);
      lx.offset = seg.start;
    } else {
      if (first.kind !== 'word') throw new SplError('SPL_SYNTAX', `expected a command name, found ${describe(first)}`, first.span, source);
      name = first.value.toLowerCase();
      nameSpan = first.span;
    }
    const canonical = commands.resolve(name);
    if (!canonical) {
      if (opts.allowUnknownCommands) {
        // The general pipeline grammar: any command is a name plus its argument text.
        const argsStart = implicit ? seg.start : first.span.end;
        const args: GenericArgs = { kind: 'generic', text: text.slice(argsStart, seg.end).trim() };
        out.push({ name, nameSpan, span: span(implicit ? seg.start : first.span.start, trimEndOffset(text, seg.end)), implicit, args });
        return;
      }
      throw new SplError('SPL_UNSUPPORTED_COMMAND', `unsupported command "${name}"`, nameSpan, source);
    }
    const p = new ArgParser(lx, source, commands, opts, nesting);
    // appendpipe's subpipeline (commandFirst) feeds its first command the current results: that one has input.
    p.leading = i === 0 && !commandFirst;
    p.nameSpan = nameSpan;
    const args = commands.parseArgs(canonical, p);
    p.expectEnd();
    out.push({ name: canonical, nameSpan, span: span(implicit ? seg.start : first.span.start, trimEndOffset(text, seg.end)), implicit, args });
  });
  return { commands: out, source, span: span(start, end) };
}

function splitPipes(source: SourceText, start: number, end: number): { start: number; end: number }[] {
  const text = source.text;
  const out: { start: number; end: number }[] = [];
  const opens: number[] = []; // where each unclosed `[` is: the error points at the last one, as for `(`
  let segStart = start;
  let i = start;
  while (i < end) {
    const c = text[i];
    if (c === '\\') {
      i += 2; // an escaped character outside quotes (`\"` in a search term) is not a quote
      continue;
    }
    if (c === '"') {
      const j = skipQuoted(text, i);
      if (j > end || (j === end && text[end - 1] !== '"') || j === text.length && text[j - 1] !== '"') {
        throw new SplError('SPL_SYNTAX', 'unterminated string: missing closing "', span(i, i + 1), source);
      }
      i = j;
      continue;
    }
    if (c === '[') opens.push(i);
    else if (c === ']') {
      if (opens.pop() === undefined) throw new SplError('SPL_SYNTAX', 'unbalanced `]`', span(i, i + 1), source);
    } else if (c === '|' && opens.length === 0) {
      out.push({ start: segStart, end: i });
      segStart = i + 1;
    }
    i++;
  }
  const open = opens.pop();
  if (open !== undefined) throw new SplError('SPL_SYNTAX', 'unterminated subsearch: missing `]`', span(open, open + 1), source);
  out.push({ start: segStart, end });
  return out;
}

function trimEndOffset(text: string, end: number): number {
  let e = end;
  while (e > 0 && /\s/.test(text[e - 1]!)) e--;
  return e;
}

export function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of command';
    case 'string':
      return `"${t.value}"`;
    default:
      return `'${t.value}'`;
  }
}

/** For values parsed on their own (below): they hold no commands, so a subsearch in one is refused. */
const NO_COMMANDS: CommandParsers = { resolve: () => undefined, parseArgs: () => undefined };

/** Parses a whole source (see SourceText.embedded) as one eval expression: streamstats reset_after=. */
export function parseEvalSource(source: SourceText): EvalExpr {
  const p = new ArgParser(new Lexer(source, 0, source.text.length), source, NO_COMMANDS);
  const e = p.evalExpr();
  const t = p.peek('eval');
  if (t.kind !== 'eof') throw p.error(`unexpected ${describe(t)} after the expression`, t.span);
  return e;
}

/** Parses a whole source (see SourceText.embedded) as a search expression: searchmatch()'s argument. */
export function parseSearchSource(source: SourceText): SearchExpr | null {
  return new ArgParser(new Lexer(source, 0, source.text.length), source, NO_COMMANDS).searchExpr();
}

/**
 * The argument parser handed to each command: token access in either lexing mode plus the shared
 * grammars (search expressions, eval expressions, field lists, `key=value` options).
 */
/** A `key=value` option (`ArgParser.option`): the key in lower case, the value unquoted. */
export interface ParsedOption {
  key: string;
  value: string;
  span: Span;
  valueSpan: Span;
  quoted: boolean;
  source?: SourceText;
}

export class ArgParser {
  private lookahead: { mode: LexMode; token: Token; at: number } | null = null;
  /** Depth of the eval trees built here (leaves, absent, are 1). */
  private readonly depths = new WeakMap<EvalExpr, number>();
  /** The command is its pipeline's first, with no results before it (`| union [ ... ] [ ... ]` generates; later, or first in appendpipe's subpipeline, it adds to the results). */
  leading = false;
  /** The command's name in the text: where a warning its operator raises while running points (`top` past maxresultrows). */
  nameSpan: Span = { start: 0, end: 0 };

  constructor(
    private readonly lx: Lexer,
    readonly source: SourceText,
    private readonly commands: CommandParsers,
    private readonly parseOptions: ParseOptions = {},
    /** Levels open now (parentheses, calls, NOT, signs, subsearches), see MAX_SPL_NESTING. */
    private nesting = 0,
  ) {}

  /** Parses one more nesting level opened at `at`, or fails with SPL_TOO_DEEP past MAX_SPL_NESTING. */
  private nested<T>(at: Span, parse: () => T): T {
    if (this.nesting >= MAX_SPL_NESTING) {
      throw new SplError('SPL_TOO_DEEP', `more than ${MAX_SPL_NESTING} levels of parentheses, function calls, NOT, signs or subsearches open at once`, at, this.source);
    }
    this.nesting++;
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  /** Records the depth of an eval node built from `children`, or fails with SPL_TOO_DEEP past MAX_EVAL_DEPTH. */
  private sized<T extends EvalExpr>(node: T, children: readonly EvalExpr[]): T {
    let depth = 1;
    for (const c of children) depth = Math.max(depth, (this.depths.get(c) ?? 1) + 1);
    if (depth > MAX_EVAL_DEPTH) {
      throw new SplError('SPL_TOO_DEEP', `expression more than ${MAX_EVAL_DEPTH} levels deep (each operator of a chain such as a+b+c adds one)`, node.span, this.source);
    }
    this.depths.set(node, depth);
    return node;
  }

  error(message: string, sp: Span, code: 'SPL_SYNTAX' | 'SPL_BAD_ARGUMENT' = 'SPL_SYNTAX'): SplError {
    return new SplError(code, message, sp, this.source);
  }

  peek(mode: LexMode = 'search'): Token {
    if (this.lookahead && this.lookahead.mode === mode) return this.lookahead.token;
    const at = this.lookahead ? this.lookahead.at : this.lx.offset;
    this.lx.offset = at;
    const token = this.lx.next(mode);
    this.lookahead = { mode, token, at };
    return token;
  }

  next(mode: LexMode = 'search'): Token {
    const t = this.peek(mode);
    this.lookahead = null;
    this.lx.offset = t.span.end;
    return t;
  }

  /** The token after the next one (same mode), without consuming either. */
  peek2(mode: LexMode = 'search'): Token {
    const first = this.peek(mode);
    return new Lexer(this.source, first.span.end, this.lx.end).next(mode);
  }

  /** Moves the cursor to `offset` (for commands that consume raw text). */
  skipTo(offset: number): void {
    this.lookahead = null;
    this.lx.offset = offset;
  }

  atEnd(mode: LexMode = 'search'): boolean {
    return this.peek(mode).kind === 'eof';
  }

  expectEnd(): void {
    const t = this.peek('search');
    if (t.kind !== 'eof') throw this.error(`unexpected ${describe(t)}`, t.span);
  }

  /** Current end-of-arguments offset (for spans). */
  get end(): number {
    return this.lx.end;
  }

  isWord(value: string, mode: LexMode = 'search'): boolean {
    const t = this.peek(mode);
    return t.kind === 'word' && t.value.toLowerCase() === value.toLowerCase();
  }

  acceptWord(value: string, mode: LexMode = 'search'): Token | null {
    return this.isWord(value, mode) ? this.next(mode) : null;
  }

  accept(kind: Token['kind'], mode: LexMode = 'search'): Token | null {
    return this.peek(mode).kind === kind ? this.next(mode) : null;
  }

  expect(kind: Token['kind'], what: string, mode: LexMode = 'search'): Token {
    const t = this.peek(mode);
    if (t.kind !== kind) throw this.error(`expected ${what}, found ${describe(t)}`, t.span);
    return this.next(mode);
  }

  /** A field name: a word or a quoted string. */
  fieldName(what = 'a field name'): { name: string; span: Span } {
    const t = this.peek('search');
    if (t.kind === 'word' || t.kind === 'string') {
      this.next('search');
      return t.kind === 'word' ? this.withCall(t.value, t.span) : { name: t.value, span: t.span };
    }
    throw this.error(`expected ${what}, found ${describe(t)}`, t.span);
  }

  /**
   * A field name just read, with a parenthesised part glued to it (`avg(x)`, `count(eval(a>1))`): the names
   * stats gives its results, written unquoted after it (`| table avg(x)`, ESCU's `fields - predicted(x)`).
   */
  withCall(name: string, at: Span): { name: string; span: Span } {
    const open = this.peek('search');
    if (open.kind !== 'lparen' || open.spaceBefore) return { name, span: at };
    const text = this.source.text;
    let depth = 0;
    for (let i = open.span.start; i < this.lx.end; i++) {
      const c = text[i];
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        this.skipTo(i + 1);
        return { name: name + text.slice(open.span.start, i + 1), span: { start: at.start, end: i + 1 } };
      }
    }
    return { name, span: at };
  }

  /**
   * The options and the one field of a command such as `mvexpand` or `makemv` (`<command> [key=value]... <field>`,
   * options on either side): each option goes to `onOption`; the field must be there, neither internal nor a wildcard.
   */
  optionsAndField(command: string, keys: readonly string[], onOption: (o: ParsedOption) => void, example: string): { name: string; span: Span } {
    let field: { name: string; span: Span } | null = null;
    for (;;) {
      const o = this.option(keys);
      if (o) {
        onOption(o);
        continue;
      }
      const t = this.peek('search');
      if (t.kind === 'eof') break;
      if (field) throw this.error(`${command} takes one field; unexpected ${t.kind === 'string' ? `"${t.value}"` : `'${t.value}'`}`, t.span);
      field = this.fieldName();
    }
    if (!field) throw this.error(`${command} needs a field, e.g. ${example}`, this.peek('search').span);
    if (field.name.startsWith('_')) throw this.error(`${command} does not apply to the internal field ${field.name}`, field.span, 'SPL_BAD_ARGUMENT');
    if (field.name.includes('*')) throw this.error(`${command} takes one field name, not a wildcard`, field.span, 'SPL_BAD_ARGUMENT');
    return field;
  }

  /**
   * `key=value` when the next tokens are a word, `=` and a value; otherwise null (nothing consumed).
   * Keys are matched case-insensitively against `keys`; the value of a key in `glued` is read by
   * `gluedValue` (an expression such as `reset_after="("count>3")"`).
   */
  option(keys: readonly string[], glued: readonly string[] = []): ParsedOption | null {
    const k = this.peek('search');
    if (k.kind !== 'word' || !keys.includes(k.value.toLowerCase())) return null;
    const eq = this.peek2('search');
    if (eq.kind !== 'op' || eq.value !== '=') return null;
    this.next('search');
    this.next('search');
    if (glued.includes(k.value.toLowerCase())) {
      const g = this.gluedValue();
      if (g.value === '') throw this.error(`expected a value for ${k.value}=`, g.span, 'SPL_BAD_ARGUMENT');
      return { key: k.value.toLowerCase(), value: g.value, span: cover(k.span, g.span), valueSpan: g.span, quoted: this.source.text[g.span.start] === '"', source: g.source };
    }
    const v = this.next('search');
    if (v.kind !== 'word' && v.kind !== 'string') throw this.error(`expected a value for ${k.value}=, found ${describe(v)}`, v.span);
    return { key: k.value.toLowerCase(), value: v.value, span: cover(k.span, v.span), valueSpan: v.span, quoted: v.kind === 'string' };
  }

  /**
   * A value written as quoted and bare parts glued together, up to the next space outside quotes: the
   * parts' text joined with the quotes removed, as a source of its own (SourceText.embedded) to parse.
   * The docs write streamstats' expressions this way (`reset_after="("count>3")"` is `(count>3)`); a plain
   * `"(count>3)"` reads the same.
   */
  gluedValue(): { value: string; span: Span; source: SourceText } {
    const text = this.source.text;
    const end = this.lx.end;
    let i = this.lookahead ? this.lookahead.at : this.lx.offset;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
    const start = i;
    let value = '';
    const pieces: { from: number; at: number }[] = [];
    let bare = false;
    while (i < end && !isSpace(text.charCodeAt(i))) {
      const c = text[i]!;
      if (c === '"') {
        const s = new Lexer(this.source, i, end).next('eval');
        pieces.push({ from: value.length, at: i + 1 });
        bare = false;
        value += s.value;
        i = s.span.end;
        continue;
      }
      if (!bare) pieces.push({ from: value.length, at: i });
      bare = true;
      if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\' || text[i + 1] === '|')) {
        value += text[i + 1];
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    this.skipTo(i);
    return { value, span: span(start, i), source: this.source.embedded(value, pieces.length ? pieces : [{ from: 0, at: start }]) };
  }

  /** A comma- and/or space-separated list of field names (wildcards allowed), stopping at a word in `stop`. */
  fieldList(stop: readonly string[] = []): { name: string; span: Span }[] {
    const out: { name: string; span: Span }[] = [];
    for (;;) {
      const t = this.peek('search');
      if (t.kind === 'comma') {
        this.next('search');
        continue;
      }
      if (t.kind !== 'word' && t.kind !== 'string') break;
      if (t.kind === 'word' && stop.includes(t.value.toLowerCase())) break;
      const t2 = this.peek2('search');
      if (t.kind === 'word' && t2.kind === 'op' && t2.value === '=') break; // an option follows
      this.next('search');
      out.push(t.kind === 'word' ? this.withCall(t.value, t.span) : { name: t.value, span: t.span });
    }
    return out;
  }

  parseBool(value: string, sp: Span): boolean {
    const v = value.toLowerCase();
    if (['t', 'true', '1', 'yes'].includes(v)) return true;
    if (['f', 'false', '0', 'no'].includes(v)) return false;
    throw this.error(`expected true or false, found "${value}"`, sp, 'SPL_BAD_ARGUMENT');
  }

  parseInt(value: string, sp: Span, min = 0): number {
    if (!/^-?\d+$/.test(value) || Number(value) < min) throw this.error(`expected an integer >= ${min}, found "${value}"`, sp, 'SPL_BAD_ARGUMENT');
    return Number(value);
  }

  // ------------------------------------------------------------ search expressions

  /** Parses a search expression up to the end of the command (or a closing paren when nested). */
  searchExpr(): SearchExpr | null {
    const e = this.searchAnd();
    const t = this.peek('search');
    if (t.kind === 'rparen') throw this.error('unbalanced `)`', t.span);
    if (t.kind !== 'eof') throw this.error(`unexpected ${describe(t)}`, t.span);
    return e;
  }

  /**
   * Parses a search expression up to a top-level word of `stop` (case-insensitive), which is not consumed:
   * tstats' `WHERE <search> BY <fields>`. Inside parentheses the words are ordinary terms.
   */
  searchExprUntil(stop: readonly string[]): SearchExpr | null {
    const e = this.searchAnd(stop);
    const t = this.peek('search');
    if (t.kind === 'rparen') throw this.error('unbalanced `)`', t.span);
    return e;
  }

  private searchAnd(stop: readonly string[] = []): SearchExpr | null {
    const items: SearchExpr[] = [];
    for (;;) {
      const t = this.peek('search');
      if (t.kind === 'eof' || t.kind === 'rparen') break;
      if (t.kind === 'word' && stop.includes(t.value.toLowerCase())) break;
      if (t.kind === 'word' && t.value === 'AND') {
        this.next('search');
        if (items.length === 0) throw this.error('AND needs a term on its left', t.span);
        const n = this.peek('search');
        const ends = n.kind === 'eof' || n.kind === 'rparen' || (n.kind === 'word' && (n.value === 'AND' || n.value === 'OR' || stop.includes(n.value.toLowerCase())));
        if (ends) throw this.error('AND needs a term on its right', t.span);
        continue;
      }
      items.push(this.searchOr());
    }
    if (items.length === 0) return null;
    if (items.length === 1) return items[0]!;
    return { kind: 'and', items, span: cover(items[0]!.span, items[items.length - 1]!.span) };
  }

  private searchOr(): SearchExpr {
    const first = this.searchNot();
    const items = [first];
    while (this.peek('search').kind === 'word' && this.peek('search').value === 'OR') {
      const orTok = this.next('search');
      const t = this.peek('search');
      if (t.kind === 'eof' || t.kind === 'rparen') throw this.error('OR needs a term on its right', orTok.span);
      items.push(this.searchNot());
    }
    if (items.length === 1) return first;
    return { kind: 'or', items, span: cover(first.span, items[items.length - 1]!.span) };
  }

  private searchNot(): SearchExpr {
    const t = this.peek('search');
    if (t.kind === 'word' && t.value === 'NOT') {
      this.next('search');
      const n = this.peek('search');
      if (n.kind === 'eof' || n.kind === 'rparen') throw this.error('NOT needs a term after it', t.span);
      const expr = this.nested(t.span, () => this.searchNot());
      return { kind: 'not', expr, span: cover(t.span, expr.span) };
    }
    return this.searchPrimary();
  }

  private searchPrimary(): SearchExpr {
    const t = this.peek('search');
    if (t.kind === 'lparen') {
      this.next('search');
      const inner = this.nested(t.span, () => this.searchAnd());
      const close = this.peek('search');
      if (close.kind !== 'rparen') throw this.error('missing `)` to close this group', t.span);
      this.next('search');
      // `()` selects everything: Splunk_SA_CIM's index macros are `()` until set, as in `(`cim_Endpoint_indexes`) tag=process`.
      if (!inner) return { kind: 'and', items: [], span: cover(t.span, close.span) };
      return inner;
    }
    if (t.kind === 'lbracket') return this.subsearch();
    // Uppercase AND/OR are always operators ("The operators must be capitalized"), never terms: `a OR OR b` and
    // `a AND OR b` lack a term. Quoted, they are terms (`error "AND"`).
    if (t.kind === 'word' && (t.value === 'OR' || t.value === 'AND')) throw this.error(`${t.value} needs a term on its left`, t.span);
    if (t.kind === 'word' || t.kind === 'string') {
      this.next('search');
      const n = this.peek('search');
      // field IN (v1, v2, ...). Uppercase only, as AND/OR/NOT, CASE() and TERM(): Splunk's "Smooth operator" post
      // on the IN operator: "The IN operator must be in uppercase"; a lowercase `in` is a term.
      if (n.kind === 'word' && n.value === 'IN' && this.peek2('search').kind === 'lparen') {
        this.next('search');
        this.next('search');
        const values: SearchValue[] = [];
        for (;;) {
          const v = this.next('search');
          if (v.kind === 'rparen') break;
          if (v.kind === 'comma') continue;
          if (v.kind === 'word' || v.kind === 'string') {
            // `IN ("a". "b")` (ESCU's Linux Curl Upload File): a period right after a quoted value separates it
            // from the next, as a comma would; glued, it would end the value with a period.
            if (v.kind === 'word' && /^"(?:[^"\\]|\\.)*"\.$/.test(this.source.text.slice(v.span.start, v.span.end))) {
              values.push({ value: v.value.slice(0, -1), quoted: true, span: { start: v.span.start, end: v.span.end - 1 } });
              continue;
            }
            values.push({ value: v.value, quoted: v.kind === 'string', span: v.span });
            continue;
          }
          throw this.error(v.kind === 'eof' ? 'missing `)` to close the IN list' : `unexpected ${describe(v)} in IN list`, v.kind === 'eof' ? n.span : v.span);
        }
        return { kind: 'in', field: t.value, fieldSpan: t.span, values, span: span(t.span.start, this.lx.offset) };
      }
      if (n.kind === 'op') {
        this.next('search');
        const op = n.value === '==' ? '=' : (n.value as SearchOp);
        const v = this.searchValue(n);
        const lower = t.value.toLowerCase();
        if ((lower === 'earliest' || lower === 'latest') && t.kind === 'word') {
          // `earliest>=@d+1h`, `latest<@d`: the Time modifiers reference's example of windows under OR.
          if (op !== '=' && op !== (lower === 'earliest' ? '>=' : '<')) throw this.error(`${lower} takes a time modifier with = (or ${lower === 'earliest' ? '>=' : '<'})`, n.span);
          return { kind: 'time', which: lower, value: v.value, span: cover(t.span, v.value.span) };
        }
        // Splunk's index-time range (Search Reference, Time modifiers): vigil keeps no _indextime, and read as a
        // field comparison it matched nothing, silently.
        if ((lower === '_index_earliest' || lower === '_index_latest') && t.kind === 'word') {
          throw new SplError('SPL_UNSUPPORTED_COMMAND', `${lower}= is not supported: vigil keeps no index time (_indextime); use ${lower.slice(7)}= on _time`, cover(t.span, v.value.span), this.source);
        }
        return { kind: 'compare', field: t.value, fieldSpan: t.span, op, value: v.value, caseSensitive: v.caseSensitive, span: cover(t.span, v.value.span) };
      }
      // CASE(term) / TERM(term)
      if (t.kind === 'word' && (t.value === 'CASE' || t.value === 'TERM') && n.kind === 'lparen' && !n.spaceBefore) {
        this.next('search');
        const inner = this.directiveTerm(t.value, 'term');
        const close = this.expect('rparen', '`)`');
        return {
          kind: 'term',
          value: inner,
          caseSensitive: t.value === 'CASE',
          exactTerm: t.value === 'TERM',
          span: cover(t.span, close.span),
        };
      }
      if (t.kind === 'word') {
        const indexed = this.indexedTerm(t, n);
        if (indexed !== null) return indexed;
      }
      return { kind: 'term', value: { value: t.value, quoted: t.kind === 'string', span: t.span }, caseSensitive: false, exactTerm: false, span: t.span };
    }
    throw this.error(`unexpected ${describe(t)} in search`, t.span);
  }

  /**
   * `name::value` (word `t`, `n` the token after it): an indexed-field term, or null when `t` is a plain term. The
   * value may be quoted right after the `::` (`host::"web 01"`). A name is a field name's characters (`k8s.pod.name`):
   * `::` elsewhere in a word (`*sekurlsa::pth*`, `::1`) keeps it a term, as does `tag::host=x` (a compare).
   */
  private indexedTerm(t: Token, n: Token): SearchExpr | null {
    const at = t.value.indexOf('::');
    if (at <= 0 || !INDEXED_NAME.test(t.value.slice(0, at))) return null;
    const name = t.value.slice(0, at);
    const fieldSpan = { start: t.span.start, end: t.span.start + at };
    let value: SearchValue;
    if (at + 2 === t.value.length) {
      if (n.kind !== 'string' || n.spaceBefore) return null;
      this.next('search');
      value = { value: n.value, quoted: true, span: n.span };
    } else {
      value = { value: t.value.slice(at + 2), quoted: false, span: { start: t.span.start + at + 2, end: t.span.end } };
    }
    return { kind: 'indexed', field: name, fieldSpan, value, span: cover(t.span, value.span) };
  }

  private searchValue(opTok: Token): { value: SearchValue; caseSensitive: boolean } {
    const v = this.peek('search');
    if (v.kind === 'word' && (v.value === 'CASE' || v.value === 'TERM') && this.peek2('search').kind === 'lparen') {
      this.next('search');
      this.next('search');
      const inner = this.directiveTerm(v.value, 'value');
      this.expect('rparen', '`)`');
      return { value: inner, caseSensitive: v.value === 'CASE' };
    }
    if (v.kind !== 'word' && v.kind !== 'string') throw this.error(`expected a value after ${opTok.value}, found ${describe(v)}`, v.kind === 'eof' ? opTok.span : v.span);
    this.next('search');
    return { value: { value: v.value, quoted: v.kind === 'string', span: v.span }, caseSensitive: false };
  }

  /**
   * The term inside `CASE(`/`TERM(`: a quoted string, or a word with what is glued to it up to the `)`. `=` is a minor
   * breaker, which such a term may hold ("even if it contains characters that are usually recognized as minor
   * breakers": Search Manual, Use CASE() and TERM(); `TERM(group=per_index_thruput)`), so `a=b` there is one term.
   */
  private directiveTerm(directive: string, what: 'term' | 'value'): SearchValue {
    const inner = this.next('search');
    if (inner.kind !== 'word' && inner.kind !== 'string') throw this.error(`${directive}() needs a ${what}`, inner.span);
    if (inner.kind === 'string') return { value: inner.value, quoted: true, span: inner.span };
    let value = inner.value;
    let end = inner.span.end;
    for (let g = this.peek('search'); !g.spaceBefore && ((g.kind === 'op' && g.value === '=') || (g.kind === 'word' && value.endsWith('='))); g = this.peek('search')) {
      this.next('search');
      value += g.value;
      end = g.span.end;
    }
    return { value, quoted: false, span: span(inner.span.start, end) };
  }

  /** `[ ... ]`: a nested pipeline. */
  subsearch(): SearchExpr {
    const { open, inner } = this.bracketed();
    // A value parsed on its own runs no commands: its subsearch's first one read as "unsupported command".
    if (this.commands === NO_COMMANDS) throw this.error('a subsearch cannot run inside this search expression (searchmatch(), transaction startswith=/endswith=)', open, 'SPL_BAD_ARGUMENT');
    const pipeline = this.nested(open, () => parsePipeline(this.source, this.commands, inner.start, inner.end, this.parseOptions, this.nesting));
    return { kind: 'subsearch', pipeline, span: span(open.start, inner.end + 1) };
  }

  /** `[ ... ]` unparsed: the `[`, and the text inside up to its matching `]` (quotes respected); the cursor goes past the `]`. */
  bracketed(): { open: Span; inner: Span } {
    const open = this.expect('lbracket', '`[`');
    const text = this.source.text;
    let depth = 1;
    let i = open.span.end;
    while (i < this.lx.end && depth > 0) {
      const c = text[i];
      if (c === '"') {
        i = skipQuoted(text, i);
        continue;
      }
      if (c === '[') depth++;
      else if (c === ']') depth--;
      i++;
    }
    if (depth > 0) throw this.error('unterminated subsearch: missing `]`', open.span);
    this.lookahead = null;
    this.lx.offset = i;
    return { open: open.span, inner: span(open.span.end, i - 1) };
  }

  /** `[ ... ]` holding a pipeline of commands run over the current results (appendpipe): no search is implied first. */
  subpipeline(): { pipeline: PipelineAst; span: Span } {
    const { open, inner } = this.bracketed();
    const pipeline = this.nested(open, () => parsePipeline(this.source, this.commands, inner.start, inner.end, this.parseOptions, this.nesting, true));
    return { pipeline, span: span(open.start, inner.end + 1) };
  }

  /** A whole source (SourceText.embedded: a template filled in) parsed as a pipeline with this parser's commands. */
  pipelineOf(source: SourceText, at: Span): PipelineAst {
    return this.nested(at, () => parsePipeline(source, this.commands, 0, source.text.length, this.parseOptions, this.nesting));
  }

  // ------------------------------------------------------------ eval expressions

  /** Parses one eval expression (stops before a `,` or `)` it does not own, or at the end). */
  evalExpr(): EvalExpr {
    return this.evalXor();
  }

  private binary(op: EvalBinaryOp, left: EvalExpr, right: EvalExpr): EvalExpr {
    return this.sized({ kind: 'binary', op, left, right, span: cover(left.span, right.span) }, [left, right]);
  }

  private evalKeyword(...words: string[]): Token | null {
    const t = this.peek('eval');
    if (t.kind === 'word' && words.includes(t.value.toUpperCase())) return this.next('eval');
    return null;
  }

  // Precedence: XOR < OR < AND < NOT < comparison < concat/additive < multiplicative < unary. The where command
  // evaluates "NOT clauses, AND clauses, OR clauses, XOR clauses" in that order (Search Reference, where).
  private evalXor(): EvalExpr {
    let left = this.evalOr();
    while (this.evalKeyword('XOR')) left = this.binary('XOR', left, this.evalOr());
    return left;
  }

  private evalOr(): EvalExpr {
    let left = this.evalAnd();
    while (this.evalKeyword('OR')) left = this.binary('OR', left, this.evalAnd());
    return left;
  }

  private evalAnd(): EvalExpr {
    let left = this.evalNot();
    while (this.evalKeyword('AND')) left = this.binary('AND', left, this.evalNot());
    return left;
  }

  private evalNot(): EvalExpr {
    const t = this.evalKeyword('NOT');
    if (t) {
      const operand = this.nested(t.span, () => this.evalNot());
      return this.sized({ kind: 'unary', op: 'NOT', operand, span: cover(t.span, operand.span) }, [operand]);
    }
    return this.evalCompare();
  }

  private evalCompare(): EvalExpr {
    const left = this.evalAdditive();
    const t = this.peek('eval');
    if (t.kind === 'op' && ['=', '==', '!=', '<', '<=', '>', '>='].includes(t.value)) {
      this.next('eval');
      return this.binary(t.value as EvalBinaryOp, left, this.evalAdditive());
    }
    if (this.evalKeyword('LIKE')) return this.binary('LIKE', left, this.evalAdditive());
    if (t.kind === 'word' && t.value.toUpperCase() === 'IN' && this.peek2('eval').kind === 'lparen') {
      this.next('eval');
      const open = this.next('eval');
      const list: EvalExpr[] = [];
      if (!this.accept('rparen', 'eval')) {
        for (;;) {
          list.push(this.nested(open.span, () => this.evalExpr()));
          if (this.accept('comma', 'eval')) continue;
          this.expect('rparen', '`)` to close the IN list', 'eval');
          break;
        }
      }
      return this.sized({ kind: 'in', value: left, list, span: span(left.span.start, Math.max(open.span.end, this.lx.offset)) }, [left, ...list]);
    }
    return left;
  }

  private evalAdditive(): EvalExpr {
    let left = this.evalMultiplicative();
    for (;;) {
      const t = this.peek('eval');
      if (t.kind === 'op' && (t.value === '+' || t.value === '-' || t.value === '.')) {
        this.next('eval');
        left = this.binary(t.value, left, this.evalMultiplicative());
        continue;
      }
      return left;
    }
  }

  private evalMultiplicative(): EvalExpr {
    let left = this.evalUnary();
    for (;;) {
      const t = this.peek('eval');
      if (t.kind === 'op' && (t.value === '*' || t.value === '/' || t.value === '%')) {
        this.next('eval');
        left = this.binary(t.value, left, this.evalUnary());
        continue;
      }
      return left;
    }
  }

  private evalUnary(): EvalExpr {
    const t = this.peek('eval');
    if (t.kind === 'op' && (t.value === '-' || t.value === '+')) {
      this.next('eval');
      const operand = this.nested(t.span, () => this.evalUnary());
      if (operand.kind === 'number' && t.value === '-') return { ...operand, value: -operand.value, text: '-' + operand.text, span: cover(t.span, operand.span) };
      return this.sized({ kind: 'unary', op: t.value, operand, span: cover(t.span, operand.span) }, [operand]);
    }
    return this.evalPrimary();
  }

  private evalPrimary(): EvalExpr {
    const t = this.next('eval');
    switch (t.kind) {
      case 'number': {
        const value = Number(t.value);
        // Splunk has no infinite values; eval would carry this one into fields (and _time) unchecked.
        if (!Number.isFinite(value)) throw this.error(`the number ${t.value} is past the largest double (about 1.8e308)`, t.span, 'SPL_BAD_ARGUMENT');
        return { kind: 'number', value, text: t.value, span: t.span };
      }
      case 'string':
        return { kind: 'string', value: t.value, span: t.span };
      case 'field':
        return { kind: 'field', name: t.value, span: t.span };
      case 'lparen': {
        const inner = this.nested(t.span, () => this.evalExpr());
        const close = this.peek('eval');
        if (close.kind !== 'rparen') throw this.error('missing `)` to close this parenthesis', t.span);
        this.next('eval');
        const copy = { ...inner, span: cover(t.span, close.span) } as EvalExpr;
        this.depths.set(copy, this.depths.get(inner) ?? 1);
        return copy;
      }
      case 'word': {
        if (this.peek('eval').kind === 'lparen') {
          this.next('eval');
          const args: EvalExpr[] = [];
          if (!this.accept('rparen', 'eval')) {
            for (;;) {
              const a = this.peek('eval');
              if (a.kind === 'eof') throw this.error(`missing \`)\` to close ${t.value}(`, t.span);
              args.push(this.nested(t.span, () => this.evalExpr()));
              if (this.accept('comma', 'eval')) continue;
              const c = this.peek('eval');
              if (c.kind !== 'rparen') throw this.error(`expected \`,\` or \`)\` in the arguments of ${t.value}(), found ${describe(c)}`, c.span);
              this.next('eval');
              break;
            }
          }
          return this.sized({ kind: 'call', name: t.value.toLowerCase(), nameSpan: t.span, args, span: span(t.span.start, this.lx.offset) }, args);
        }
        return { kind: 'field', name: t.value, span: t.span };
      }
      default:
        throw this.error(t.kind === 'eof' ? 'expression ends too early: expected a value' : `unexpected ${describe(t)} in expression`, t.span);
    }
  }
}
