/**
 * security_content is written for PyYAML, which accepts a quoted scalar whose continuation lines start at
 * or left of its key's column (`definition: 'eval ...` with the next line `| lookup ...` at column 0);
 * YAML 1.2, and so the `yaml` package, rejects them. Continuation lines of a quoted scalar are folded with
 * their leading spaces removed, so indenting them one column past the key keeps the value unchanged. The
 * loader tries this only on a file that does not parse as it is.
 *
 * Returns the text with those lines indented, or null when there is nothing to indent.
 */
export function indentQuotedContinuations(text: string): string | null {
  const lines = text.split('\n');
  let changed = false;
  /** The open quote and the column of the key whose value it starts, while inside a quoted scalar. */
  let open: { quote: "'" | '"'; keyColumn: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    let from = 0;
    if (open) {
      const indent = line.length - line.trimStart().length;
      if (line.trim() !== '' && indent <= open.keyColumn) {
        line = ' '.repeat(open.keyColumn + 1 - indent) + line;
        lines[i] = line;
        changed = true;
      }
    } else {
      const m = /^(\s*)(?:-\s+)?[^\s#'"][^:#]*:\s+(['"])/.exec(line);
      if (!m) continue;
      open = { quote: m[2] as "'" | '"', keyColumn: m[1]!.length };
      from = m[0].length;
    }
    const close = closingQuote(line, from, open.quote);
    if (close >= 0) open = null;
  }
  return changed ? lines.join('\n') : null;
}

/** Index of the quote closing a scalar in `line` from `from`, or -1 (`''` is an escaped single quote, `\"` a double). */
function closingQuote(line: string, from: number, quote: "'" | '"'): number {
  for (let i = from; i < line.length; i++) {
    const c = line[i];
    if (quote === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c !== quote) continue;
    if (quote === "'" && line[i + 1] === "'") {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}
