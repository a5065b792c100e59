/**
 * Text from events or remote receivers, made safe for a terminal or a log line: control (ESC sequences, CR, BEL),
 * format (bidi overrides) and lone surrogate characters become U+FFFD, so the data cannot clear the screen, set
 * the clipboard or reorder a line.
 */
export function printable(s: string): string {
  return s.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '\ufffd');
}

/**
 * `printable`, keeping line ends and tabs: a message of several lines (an SPL error's line and caret under it, which
 * lines up with the line's tabs) that quotes inputs (paths, zones, a search's line, detection names).
 */
export function printableLines(text: string): string {
  return text.replace(/[^\n\t]+/g, (s) => printable(s));
}
