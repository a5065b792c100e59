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

  constructor(items: readonly T[]) {
    this.entries = items.map((item) => ({ digest: digest(item.token), item }));
  }

  lookup(text: string): T | null {
    const d = digest(text);
    let match: T | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(e.digest, d)) match = e.item;
    }
    return match;
  }
}
