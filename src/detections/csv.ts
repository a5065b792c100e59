import { ContentError } from '../yaml/reader.js';

/**
 * RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF. Returns rows of cells. A quoted field never closed
 * is an error at its opening quote (`file:line:column`): read to the end, it would swallow every row after it.
 * `lines`, when given, receives the line (1-based) each returned row starts on (a quoted cell may hold line breaks).
 */
export function parseCsv(text: string, file = '<csv>', lines?: number[]): string[][] {
  const rows: string[][] = [];
  const starts: number[] = [1];
  let line = 1;
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  let opened = 0;
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < t.length) {
    const c = t[i]!;
    if (quoted) {
      if (c === '"') {
        if (t[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (c === '\n' || (c === '\r' && t[i + 1] !== '\n')) line++;
      cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      opened = i;
      i++;
      continue;
    }
    if (c === ',') {
      row.push(cell);
      cell = '';
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += c === '\r' && t[i + 1] === '\n' ? 2 : 1;
      starts.push(++line);
      continue;
    }
    cell += c;
    i++;
  }
  if (quoted) {
    const before = t.slice(0, opened);
    const line = before.split(/\r\n|\r|\n/).length;
    const column = opened - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
    throw new ContentError({ file, line, column, severity: 'error', code: 'CONTENT_SCHEMA', message: 'a quoted field is not closed' });
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  const blank = (r: string[]) => r.length === 1 && r[0] === '';
  if (lines) lines.push(...starts.filter((_, k) => k < rows.length && !blank(rows[k]!)));
  return rows.filter((r) => !blank(r));
}
