/**
 * How values reach ClickHouse SQL. ClickHouse 18.16 has no query parameters, so every literal of every statement
 * the store sends is written by `quote` (strings, integers) or `likeLiteral` (LIKE patterns, through `quote`),
 * and every name by `ident`. Nothing else concatenates user text into SQL.
 */
import { VigilError } from '../../errors.js';
import { LONE_SURROGATE } from '../../events/value.js';

/** A character a ClickHouse string literal cannot hold as itself: `\`, `'`, and every C0 control and DEL. */
const SPECIAL = /[\\'\x00-\x1f\x7f]/g;

/** Named escapes ClickHouse reads in a string literal; other controls are written `\xHH`. */
const NAMED: Record<string, string> = { '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * A ClickHouse literal for a string or a safe integer. Strings are quoted with `'` and every special character is
 * backslash-escaped (multi-byte characters go as their UTF-8 bytes, which the HTTP body carries unchanged).
 * Throws VigilError('INPUT_MALFORMED') for a string with a lone surrogate and for a number that is not a safe
 * integer: neither has an exact literal.
 */
export function quote(value: string | number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new VigilError('INPUT_MALFORMED', `not an integer ClickHouse can be given exactly: ${value}`);
    return String(value);
  }
  if (LONE_SURROGATE.test(value)) throw new VigilError('INPUT_MALFORMED', 'text with a lone UTF-16 surrogate cannot be sent to ClickHouse');
  return `'${value.replace(SPECIAL, (c) => NAMED[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

/**
 * The LIKE literal matching `text` with `*` as the only wildcard (any run): `%` and `_` in the text are escaped
 * (`\%`, `\_`, and `\` itself as `\\`), so they match only themselves; then quoted.
 */
export function likeLiteral(wildcardPattern: string): string {
  return quote(
    wildcardPattern
      .split('*')
      .map((part) => part.replace(/[\\%_]/g, '\\$&'))
      .join('%'),
  );
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A database, table or cluster name: letters, digits and `_` only (checked, so never quoted wrongly), backquoted. */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new VigilError('CONFIG', `"${name}" is not a usable ClickHouse name: letters, digits and _ only, not starting with a digit`);
  return `\`${name}\``;
}

/** Whether `name` is a usable ClickHouse name (see `ident`). */
export function isIdent(name: string): boolean {
  return IDENT.test(name);
}
