import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * A set of secrets looked up in constant time: tokens are compared as SHA-256 digests with
 * timingSafeEqual against every entry, with no early exit, so neither a token's prefix nor its position
 * shows in the response time. Used by the HEC and the HTTP API.
 */
export class TokenSet<T extends { token: string }> {
  private readonly entries: { digest: Buffer; item: T }[];
  private readonly ignoreCase: boolean;

  /**
   * `ignoreCase`: tokens match whatever the case of their letters. Splunk's HEC does so (fluent-bit#9517: the
   * splunk/splunk image accepted "Ftooken" for the token "ftooken"), so the HEC's set uses it; the API's does not.
   */
  constructor(items: readonly T[], options: { ignoreCase?: boolean } = {}) {
    this.ignoreCase = options.ignoreCase ?? false;
    this.entries = items.map((item) => ({ digest: digest(this.fold(item.token)), item }));
  }

  private fold(text: string): string {
    return this.ignoreCase ? text.toLowerCase() : text;
  }

  lookup(text: string): T | null {
    const d = digest(this.fold(text));
    let match: T | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, d)) match = e.item;
    }
    return match;
  }
}

/** JavaScript's `\s` (what `trim()` removes): the whitespace the header parsers below split on. */
function isSpace(c: number): boolean {
  if (c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0) return true;
  return c > 0xff && String.fromCharCode(c).trim() === '';
}

/**
 * An `Authorization` header split into its scheme and credentials (`Splunk abc` → `{ scheme: 'Splunk',
 * credentials: 'abc' }`), surrounding whitespace dropped; null when there is no credentials part. One
 * forward scan: the header is attacker-controlled and arrives before any token is checked, so it must
 * never meet a backtracking regex (a lazy `.*?` before `\s*$` was quadratic: ~100 ms for 16 KB).
 */
export function authorizationParts(header: string): { scheme: string; credentials: string } | null {
  let end = header.length;
  while (end > 0 && isSpace(header.charCodeAt(end - 1))) end--;
  let i = 0;
  while (i < end && isSpace(header.charCodeAt(i))) i++;
  const schemeStart = i;
  while (i < end && !isSpace(header.charCodeAt(i))) i++;
  const schemeEnd = i;
  while (i < end && isSpace(header.charCodeAt(i))) i++;
  if (schemeEnd === schemeStart || i === schemeEnd || i === end) return null;
  return { scheme: header.slice(schemeStart, schemeEnd), credentials: header.slice(i, end) };
}

/** Whether a text holds any whitespace (a token never does: it travels as one header word). */
export function hasSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isSpace(text.charCodeAt(i))) return true;
  return false;
}
