/**
 * PostgreSQL's text cannot hold U+0000, which vigil's strings may (throttle keys join field values with it;
 * a comment or a detection id can carry one). Every string goes to SQL through `toPg` and comes back through
 * `fromPg`: an injective escape with U+0001 as escape character (U+0001 → U+0001 U+0002, U+0000 → U+0001
 * U+0003), so equality in SQL is equality of the original strings, and strings without either character (all
 * but a few) pass unchanged.
 */

const NEEDS_ESCAPE = /[\u0000\u0001]/;
const NEEDS_UNESCAPE = /\u0001/;

export function toPg(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/[\u0000\u0001]/g, (c) => (c === '\u0001' ? '\u0001\u0002' : '\u0001\u0003'));
}

export function fromPg(s: string): string {
  if (!NEEDS_UNESCAPE.test(s)) return s;
  return s.replace(/\u0001[\u0002\u0003]/g, (p) => (p === '\u0001\u0002' ? '\u0001' : '\u0000'));
}

export function fromPgOrNull(s: string | null): string | null {
  return s === null ? null : fromPg(s);
}
