import { readFileSync } from 'node:fs';
import { lineColumn, type Location } from '../spl/source.js';
import type { Detection } from './detection.js';

// Where a position of a detection's search is in its YAML file: `vigil validate` reports problems there, and
// `vigil run`/`vigil test` name it beside an SPL error's line:column in the search.

/**
 * Where a position of a detection's search (`loc`) is in its YAML file. Inside a macro: in the macro's own file when
 * it has one (`macroAt`), else at the call in the search that brought the macro in.
 */
export function searchPosition(d: Detection, loc: Location | null): { file: string; line: number; column: number } {
  const start = { file: d.file, line: d.searchLine, column: 1 };
  if (!loc) return start;
  const o = loc.origin;
  if (o.kind === 'macro') {
    const inMacro = o.file !== undefined ? macroAt(o.file, o.name, loc) : null;
    if (inMacro) return inMacro;
    loc = callSite(loc)!;
  }
  const lines = fileLines(d.file);
  // d.searchLine is the value's first line: a block scalar's first content line, or the `search:` line itself.
  const keyLine = lines && /^\s*search:/.test(lines[d.searchLine - 1] ?? '') ? d.searchLine : d.searchLine - 1;
  const p = lines ? scalarPosition(lines, keyLine, loc) : null;
  return p ? { file: d.file, ...p } : start;
}

/** The call in the search that brought in the macro `loc` is in (itself when it is in the search). */
export function callSite(loc: Location | null): Location | null {
  if (!loc || loc.origin.kind !== 'macro') return loc;
  let o = loc.origin;
  while (o.parent.kind === 'macro') o = o.parent;
  return { ...lineColumn(o.parent.text, o.callSpan.start), offset: o.callSpan.start, origin: o.parent };
}

/** Where `loc` (in a macro's definition) is in the macro's YAML file: the `definition:` value, or null. */
function macroAt(file: string, name: string, loc: Location): { file: string; line: number; column: number } | null {
  const lines = fileLines(file);
  // The file that defines it: its top-level `name:` (quoted or not) is the macro's. A macro with arguments is
  // named `name(N)` in searches' origins, but its YAML names it without the arity (`arguments:` gives it).
  const bare = name.replace(/\(\d+\)$/, '');
  const named = (l: string) => /^name:\s*(['"]?)(.*?)\1\s*$/.exec(l)?.[2] === bare;
  if (!lines || !lines.some(named)) return null;
  const keyLine = lines.findIndex((l) => /^definition:/.test(l)) + 1;
  const p = keyLine > 0 ? scalarPosition(lines, keyLine, loc) : null;
  return p ? { file, ...p } : null;
}

function fileLines(file: string): string[] | null {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return null;
  }
}

/**
 * Where offset `loc` of a scalar value is in the file, its key on line `keyLine` (1-based): a literal block (`|`: its
 * lines, behind the block's indentation, given or found), a folded block (`>`) or a flow scalar, plain or quoted,
 * whose line breaks were folded (security_content's `search: '| tstats ...` over several lines): the file's text is
 * walked from the value's start to the offset, a line break being one space of the value, or one newline per blank
 * line when blank lines follow.
 */
function scalarPosition(lines: readonly string[], keyLine: number, loc: Location): { line: number; column: number } | null {
  const head = /^(\s*)[^\s:][^:]*:\s*/.exec(lines[keyLine - 1] ?? '');
  if (!head) return null;
  const rest = (lines[keyLine - 1] ?? '').slice(head[0].length);
  const block = /^([|>])([-+]?)([1-9]?)([-+]?)\s*(#.*)?$/.exec(rest);
  if (block) {
    const first = lines.slice(keyLine).findIndex((l) => l.trim() !== '');
    if (first < 0) return null;
    const given = block[3] || '';
    const firstLine = lines[keyLine + first]!;
    const indent = given !== '' ? head[1]!.length + Number(given) : firstLine.length - firstLine.trimStart().length;
    if (block[1] === '|') return { line: keyLine + loc.line, column: indent + loc.column };
    return walk(lines, keyLine, indent, '', loc.offset);
  }
  const quote = rest.startsWith("'") || rest.startsWith('"') ? rest[0]! : '';
  return walk(lines, keyLine - 1, head[0].length + (quote ? 1 : 0), quote, loc.offset);
}

/** `offset` characters of a folded value from line `line` (0-based), column `col`: its line and column (1-based). */
function walk(lines: readonly string[], line: number, col: number, quote: string, offset: number): { line: number; column: number } {
  for (let left = offset; left > 0 && line < lines.length; ) {
    const text = lines[line]!;
    if (col >= text.trimEnd().length) {
      // A line break: one space of the value, or, before blank lines, one newline per blank line.
      line++;
      let blank = 0;
      while (line < lines.length && lines[line]!.trim() === '') {
        line++;
        blank++;
      }
      col = (lines[line] ?? '').length - (lines[line] ?? '').trimStart().length;
      left -= Math.max(1, blank);
      continue;
    }
    const c = text[col];
    if (quote === '"' && c === '\\' && col === text.length - 1) {
      // An escaped line break: no character of the value, and the next line's indentation is not one either.
      line++;
      col = (lines[line] ?? '').length - (lines[line] ?? '').trimStart().length;
      continue;
    }
    col += quote === "'" && c === "'" ? 2 : quote === '"' && c === '\\' ? escapeLength(text[col + 1]) : 1;
    left--;
  }
  return { line: line + 1, column: col + 1 };
}

/** Characters of a YAML double-quoted escape whose letter is `c` (`\xXX`, `\uXXXX`, `\UXXXXXXXX`; else two): one of the value. */
function escapeLength(c: string | undefined): number {
  return c === 'x' ? 4 : c === 'u' ? 6 : c === 'U' ? 10 : 2;
}
