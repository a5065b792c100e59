import { VigilError, type ErrorCode } from '../errors.js';

/** A half-open range [start, end) of offsets into the (macro-expanded) search text. */
export interface Span {
  start: number;
  end: number;
}

export function span(start: number, end: number): Span {
  return { start, end };
}

export function cover(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Where a piece of the expanded search text came from: the user's search or a macro's definition. */
export type Origin =
  | { kind: 'search'; text: string; name?: string }
  | { kind: 'macro'; name: string; text: string; file?: string; callSpan: Span; parent: Origin };

/** A run of the expanded text copied from `origin` starting at `originStart`. */
interface Segment {
  start: number;
  end: number;
  origin: Origin;
  originStart: number;
}

export interface Location {
  line: number;
  column: number;
  origin: Origin;
  offset: number;
}

/**
 * The text a search is parsed from, after macro expansion, with a source map back to the original
 * text and macro definitions so every error points at the line:column the user wrote.
 */
export class SourceText {
  readonly text: string;
  private readonly segments: Segment[];
  readonly root: Origin;

  constructor(text: string, segments?: Segment[], root?: Origin) {
    this.text = text;
    this.root = root ?? { kind: 'search', text };
    this.segments = segments ?? [{ start: 0, end: text.length, origin: this.root, originStart: 0 }];
  }

  static builder(root: Origin): SourceTextBuilder {
    return new SourceTextBuilder(root);
  }

  /** Maps an offset of the expanded text to its origin. Offsets inside substituted `$arg$` text map to the call. */
  locate(offset: number): Location {
    let seg = this.segments[this.segments.length - 1];
    for (const s of this.segments) {
      if (offset >= s.start && offset < s.end) {
        seg = s;
        break;
      }
    }
    if (!seg) return { line: 1, column: 1, origin: this.root, offset: 0 };
    const originOffset = Math.min(seg.originStart + Math.max(0, offset - seg.start), seg.origin.text.length);
    const { line, column } = lineColumn(seg.origin.text, originOffset);
    return { line, column, origin: seg.origin, offset: originOffset };
  }

  /** Where `at` is, for a warning: `line:column` in the user's text, or in the macro it came from (`macro \`m\` 1:5`). */
  place(at: Span): string {
    const loc = this.locate(at.start);
    return `${loc.origin.kind === 'macro' ? `macro \`${loc.origin.name}\` ` : ''}${loc.line}:${loc.column}`;
  }

  /**
   * `text`, the value of an argument of this source (searchmatch's search string, streamstats
   * reset_after's expression), as a source of its own for parsing that value. Its offsets map back to where
   * the argument is written, so errors inside it point into the user's text: `pieces` says where each part
   * of the value starts in `text` (`from`) and in this source (`at`); a value glued from several quoted
   * parts has one piece per part (escapes inside a part shift the columns after them by one).
   */
  embedded(text: string, pieces: readonly { from: number; at: number }[]): SourceText {
    const segments = pieces.map((piece, i) => {
      const loc = this.locate(piece.at);
      return { start: piece.from, end: pieces[i + 1]?.from ?? text.length, origin: loc.origin, originStart: loc.offset };
    });
    return new SourceText(text, segments, this.root);
  }
}

/** A warning with where it was raised (`place`), as `vigil search` prints it and the API returns it. */
export function warningText(message: string, place: string | null): string {
  return `${message}${place ? ` (at ${place})` : ''}`;
}

export class SourceTextBuilder {
  private parts: string[] = [];
  private length = 0;
  private readonly segments: Segment[] = [];
  constructor(private readonly root: Origin) {}

  append(text: string, origin: Origin, originStart: number): void {
    if (text.length === 0) return;
    this.segments.push({ start: this.length, end: this.length + text.length, origin, originStart });
    this.parts.push(text);
    this.length += text.length;
  }

  build(): SourceText {
    return new SourceText(this.parts.join(''), this.segments, this.root);
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** An error in a search, with its position. `format()` renders `line:column`, the line and a caret. */
export class SplError extends VigilError {
  readonly span: Span;
  readonly source: SourceText | null;
  /** Names the search in place of its origin's name (a detection's, with where the error is in its YAML file). */
  readonly searchName: string | undefined;
  constructor(code: ErrorCode, message: string, sp: Span, source: SourceText | null = null, searchName?: string) {
    super(code, message);
    this.name = 'SplError';
    this.span = sp;
    this.source = source;
    this.searchName = searchName;
  }

  /** Attaches the source text if the error was raised where it was not known. */
  withSource(source: SourceText): SplError {
    if (this.source) return this;
    const e = new SplError(this.code, this.message, this.span, source, this.searchName);
    e.stack = this.stack;
    return e;
  }

  /** The same error, its search named `name`: known once the error's position is (`vigil run`: file:line:column). */
  named(name: string): SplError {
    const e = new SplError(this.code, this.message, this.span, this.source, name);
    e.stack = this.stack;
    return e;
  }

  location(): Location | null {
    return this.source ? this.source.locate(this.span.start) : null;
  }

  /** `line:column` in the text the user wrote (or in the macro definition, with the call chain). */
  format(): string {
    const loc = this.location();
    const lines: string[] = [`${this.message} [${this.code}]`];
    let o: Origin | undefined = this.source?.root;
    if (loc) {
      lines.push(...renderCaret(loc, Math.max(1, this.span.end - this.span.start)));
      o = loc.origin;
      const calls: string[] = [];
      while (o.kind === 'macro') {
        const call = lineColumn(o.parent.text, o.callSpan.start);
        calls.push(`  in macro \`${o.name}\`${o.file ? ` (${o.file})` : ''}, called at ${call.line}:${call.column}`);
        o = o.parent;
      }
      // A recursive macro's chain is 50 calls deep: its first calls show the cycle, its last the call in the search.
      if (calls.length > MAX_CALLS_SHOWN) {
        calls.splice(MAX_CALLS_SHOWN - 2, calls.length - MAX_CALLS_SHOWN, `  ... ${calls.length - MAX_CALLS_SHOWN} more macro calls ...`);
      }
      lines.push(...calls);
    }
    // The search's name (a detection): which of several searches run at once (`vigil run --all`) it is.
    const name = this.searchName ?? (o?.kind === 'search' ? o.name : undefined);
    if (name) lines.push(`  in ${name}`);
    return lines.join('\n');
  }
}

/** Macro calls an error's trace shows at most (the first ones and the last two). */
const MAX_CALLS_SHOWN = 8;

/** A longer line is shown as a window around the error: ESCU searches are often one line, a generated one megabytes. */
const SNIPPET_WIDTH = 160;

function renderCaret(loc: Location, width: number): string[] {
  const text = loc.origin.text;
  const lineText = text.split('\n')[loc.line - 1] ?? '';
  const where = loc.origin.kind === 'macro' ? `macro \`${loc.origin.name}\` ` : '';
  const at = loc.column - 1;
  const start = lineText.length > SNIPPET_WIDTH ? Math.max(0, Math.min(at - 60, lineText.length - SNIPPET_WIDTH)) : 0;
  const end = Math.min(lineText.length, start + SNIPPET_WIDTH);
  const shown = `${start > 0 ? '…' : ''}${lineText.slice(start, end)}${end < lineText.length ? '…' : ''}`;
  // Under the error, a tab of the line stays a tab, so the caret lines up in a terminal.
  const pad = `${start > 0 ? ' ' : ''}${lineText.slice(start, at).replace(/[^\t]/g, ' ')}${' '.repeat(Math.max(0, at - lineText.length))}`;
  const w = Math.max(1, Math.min(width, end - at));
  return [`  at ${where}${loc.line}:${loc.column}`, `  | ${shown}`, `  | ${pad}${'^'.repeat(w)}`];
}
