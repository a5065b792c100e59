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
