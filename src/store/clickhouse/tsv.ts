/**
 * ClickHouse's TabSeparated format, both ways: rows go in and come out as lines of tab-separated fields with
 * `\`-escapes, so a field holds any text (tabs, newlines, NUL, multi-byte) and is read back byte for byte.
 */

const TSV_SPECIAL = /[\\\t\n\r]/g;
const TSV_ESCAPE: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A string field of a TabSeparated input row. */
export function tsvField(s: string): string {
  return s.replace(TSV_SPECIAL, (c) => TSV_ESCAPE[c] as string);
}

/** What ClickHouse writes after `\` in a TabSeparated output field (and accepts on input). */
const UNESCAPE: Record<string, string> = { '\\': '\\', t: '\t', n: '\n', r: '\r', '0': '\0', b: '\b', f: '\f', "'": "'", a: '\x07', v: '\v' };

/** A string field of a TabSeparated output row, unescaped. */
export function tsvValue(field: string): string {
  if (!field.includes('\\')) return field;
  let out = '';
  let at = 0;
  for (let i = field.indexOf('\\'); i >= 0; i = field.indexOf('\\', at)) {
    const c = field.charAt(i + 1);
    out += field.slice(at, i) + (UNESCAPE[c] ?? c);
    at = i + 2;
  }
  return out + field.slice(at);
}

const NEWLINE = 0x0a;

/**
 * Splits a TabSeparated answer, arriving in chunks, into lines: `line(buf, start, end)` for each complete line
 * (`end` at its `\n`). The buffers passed are never reused, so a caller may keep offsets into them. A line spanning
 * chunks is copied once when its end arrives (its parts are kept until then: a long `_raw` costs no re-copying).
 */
export class TsvLines {
  private parts: Buffer[] = [];

  push(chunk: Buffer, line: (buf: Buffer, start: number, end: number) => void): void {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE);
    if (nl < 0) {
      this.parts.push(chunk);
      return;
    }
    if (this.parts.length > 0) {
      const joined = Buffer.concat([...this.parts, chunk.subarray(0, nl + 1)]);
      this.parts = [];
      line(joined, 0, joined.length - 1);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    for (; nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      line(chunk, start, nl);
      start = nl + 1;
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
  }

  /** Whether bytes after the last newline are waiting (at the end of the answer: a truncated line). */
  get pending(): boolean {
    return this.parts.length > 0;
  }
}

/** A decimal integer field (ClickHouse writes Int64/UInt32 so) of `buf[start, end)`; NaN when it is not one. Exact below 2^53. */
export function tsvInt(buf: Buffer, start: number, end: number): number {
  let i = start;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  if (i === end) return Number.NaN;
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

/** A string field of `buf[start, end)` (UTF-8), unescaped. */
export function tsvText(buf: Buffer, start: number, end: number): string {
  return tsvValue(buf.toString('utf8', start, end));
}
