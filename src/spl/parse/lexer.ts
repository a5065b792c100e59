import { SplError, span, type SourceText, type Span } from '../source.js';

/**
 * SPL's lexical structure depends on where you are: command arguments and search expressions
 * (bare words such as `-70m@m`, `10.0.0.0/8`, `a{}.b`, `*foo*`) lex differently from eval
 * expressions (numbers, operators, `.` concatenation, `'quoted field'`). The parser therefore pulls
 * tokens on demand in one of two modes from a shared cursor.
 */
export type TokenKind =
  | 'word'
  | 'string'
  | 'number'
  | 'field'
  | 'op'
  | 'lparen'
  | 'rparen'
  | 'lbracket'
  | 'rbracket'
  | 'comma'
  | 'pipe'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** Token text: for strings the unescaped value, otherwise the source text. */
  value: string;
  span: Span;
  /** True when whitespace precedes the token (SPL is sensitive to it in places: `a=b` vs `a = b`). */
  spaceBefore: boolean;
}

export type LexMode = 'search' | 'eval';

const SEARCH_STOP = new Set(['"', '(', ')', '[', ']', '|', ',', '=', '<', '>']);
const EVAL_OPS = ['==', '!=', '<=', '>=', '=', '<', '>', '+', '-', '*', '/', '%', '.'];

export class Lexer {
  private pos: number;
  constructor(
    readonly source: SourceText,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  set offset(p: number) {
    this.pos = p;
  }

  get text(): string {
    return this.source.text;
  }

  error(message: string, sp: Span, code: 'SPL_SYNTAX' | 'SPL_BAD_ARGUMENT' = 'SPL_SYNTAX'): SplError {
    return new SplError(code, message, sp, this.source);
  }

  /** Skips whitespace and `/* ... *\/` comments (which appear inside security_content macros). */
  private skipSpace(): boolean {
    const t = this.source.text;
    const start = this.pos;
    for (;;) {
      while (this.pos < this.end && isSpace(t.charCodeAt(this.pos))) this.pos++;
      if (t.startsWith('/*', this.pos) && this.pos < this.end) {
        const close = t.indexOf('*/', this.pos + 2);
        if (close >= 0 && close + 2 <= this.end) {
          this.pos = close + 2;
          continue;
        }
      }
      break;
    }
    return this.pos > start;
  }

  next(mode: LexMode): Token {
    const last = this.pos;
    const spaceBefore = this.skipSpace();
    const t = this.source.text;
    const start = this.pos;
    // The end is where the text ends, not after the spaces and line ends that follow it: an error at the end ("ends
    // too early") points just past the last word, inside the macro that wrote it when the search goes on after the
    // call only with a line end (a filter macro ending a block-literal search).
    if (start >= this.end) return { kind: 'eof', value: '', span: span(last, last), spaceBefore };
    const c = t[start]!;
    const one = (kind: TokenKind): Token => {
      this.pos = start + 1;
      return { kind, value: c, span: span(start, start + 1), spaceBefore };
    };
    switch (c) {
      case '(':
        return one('lparen');
      case ')':
        return one('rparen');
      case '[':
        return one('lbracket');
      case ']':
        return one('rbracket');
      case ',':
        return one('comma');
      case '|':
        return one('pipe');
      case '"': {
        const q = this.quoted(start, spaceBefore, '"', 'string');
        // In search mode a quoted part glued to a word is part of that word: `"Web".*` is `Web.*`.
        if (mode === 'search' && this.pos < this.end && isWordChar(t, this.pos)) {
          const rest = this.searchWord(this.pos, spaceBefore);
          return { kind: 'word', value: q.value + rest.value, span: span(start, rest.span.end), spaceBefore };
        }
        return q;
      }
    }
    if (mode === 'eval') return this.evalToken(start, spaceBefore);
    // search mode
    if (c === '=' || c === '<' || c === '>' || (c === '!' && t[start + 1] === '=')) {
      let op = c;
      if (t[start + 1] === '=' && c !== '=') op += '=';
      else if (c === '=' && t[start + 1] === '=') op = '==';
      this.pos = start + op.length;
      return { kind: 'op', value: op, span: span(start, this.pos), spaceBefore };
    }
    return this.searchWord(start, spaceBefore);
  }

  /** A bare word in search mode; `\"`, `\\` and `\|` inside it stand for `"`, `\` and `|` (see `quoted`). */
  private searchWord(start: number, spaceBefore: boolean): Token {
    const t = this.source.text;
    let i = start;
    let value = '';
    let from = start;
    while (i < this.end) {
      const ch = t[i]!;
      if (ch === '\\' && (t[i + 1] === '"' || t[i + 1] === '\\' || t[i + 1] === '|')) {
        value += t.slice(from, i) + t[i + 1];
        i += 2;
        from = i;
        continue;
      }
      if (!isWordChar(t, i)) break;
      i++;
    }
    value += t.slice(from, i);
    this.pos = i;
    return { kind: 'word', value, span: span(start, i), spaceBefore };
  }

  private evalToken(start: number, spaceBefore: boolean): Token {
    const t = this.source.text;
    const c = t[start]!;
    if (c === "'") return this.quoted(start, spaceBefore, "'", 'field');
    const num = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
    num.lastIndex = start;
    const nm = num.exec(t);
    if (nm && start + nm[0].length <= this.end) {
      // `1.x`: a number followed by an identifier char is not a number (e.g. field 1st) — keep it simple.
      this.pos = start + nm[0].length;
      return { kind: 'number', value: nm[0], span: span(start, this.pos), spaceBefore };
    }
    if (isIdentStart(c)) {
      let i = start + 1;
      while (i < this.end) {
        const ch = t[i]!;
        if (isIdentChar(ch)) {
          i++;
          continue;
        }
        // `a.b` (no spaces) and `a{}.b` are field names; `a . b` and `a."x"` are concatenations.
        if (ch === '.' && i + 1 < this.end && isIdentStart(t[i + 1]!)) {
          i++;
          continue;
        }
        if (ch === '{' && t[i + 1] === '}') {
          i += 2;
          continue;
        }
        break;
      }
      this.pos = i;
      return { kind: 'word', value: t.slice(start, i), span: span(start, i), spaceBefore };
    }
    for (const op of EVAL_OPS) {
      if (t.startsWith(op, start)) {
        this.pos = start + op.length;
        return { kind: 'op', value: op, span: span(start, this.pos), spaceBefore };
      }
    }
    throw this.error(`unexpected character '${c}' in expression`, span(start, start + 1));
  }

  private quoted(start: number, spaceBefore: boolean, q: string, kind: TokenKind): Token {
    const t = this.source.text;
    let i = start + 1;
    // The text between escapes is sliced, not added a character at a time: a 1 MB literal was a rope of a million
    // strings (31 MB held by its AST), and two such searches took `vigil serve` with a 64 MB heap out of memory.
    let out = '';
    let from = i;
    while (i < this.end) {
      const ch = t[i]!;
      if (ch === '\\' && i + 1 < this.end) {
        const n = t[i + 1]!;
        // SPL unescapes only \", \\ and \| (the search reference, "Quotes and escaping characters": backslash
        // "is used to escape quotes, pipes, and itself", also inside quotation marks); every other backslash is
        // kept, as Splunk keeps a sequence it does not know (`\d` reaches a regex as `\d`).
        if (n === q || n === '\\' || n === '|') {
          out += t.slice(from, i) + n;
          i += 2;
          from = i;
          continue;
        }
        i++; // the backslash stays in the slice
        continue;
      }
      if (ch === q) {
        out += t.slice(from, i);
        this.pos = i + 1;
        return { kind, value: out, span: span(start, i + 1), spaceBefore };
      }
      i++;
    }
    throw this.error(`unterminated ${q === '"' ? 'string' : 'quoted field name'}: missing closing ${q}`, span(start, start + 1));
  }
}

function isWordChar(t: string, i: number): boolean {
  const ch = t[i]!;
  return !(isSpace(ch.charCodeAt(0)) || SEARCH_STOP.has(ch) || (ch === '!' && t[i + 1] === '='));
}

export function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 12 || code === 11;
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '@';
}

function isIdentChar(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9') || c === ':' ;
}
