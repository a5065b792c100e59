/**
 * HEC token authentication: `Authorization: Splunk <token>` or Basic (any user, token as password); `?token=` for
 * tokens with `allowQueryStringAuth`.
 * Tokens are compared as SHA-256 digests with timingSafeEqual, against every configured token, so neither a
 * token's prefix nor its position in the list shows in the response time; ignoring case, as Splunk does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HecTokenConfig } from '../config/config.js';
import { TokenSet, authorizationParts, hasSpace } from '../config/token-set.js';
import { HEC, failure, type HecFailure } from './protocol.js';

export type AuthOutcome = { ok: true; token: HecTokenConfig } | { ok: false; failure: HecFailure };

/** Whether a text is standard base64 (`A-Z a-z 0-9 + /`, then at most two `=`): one scan, no regex. */
function isBase64(text: string): boolean {
  let n = text.length;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) n--;
  if (n > 0 && text.charCodeAt(n - 1) === 0x3d) n--;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok) return false;
  }
  return true;
}

/** The token text carried by an Authorization header, or null when the header is malformed (code 3). */
export function tokenFromAuthorization(header: string): string | null {
  const parts = authorizationParts(header);
  if (!parts) return null;
  const scheme = parts.scheme.toLowerCase();
  const { credentials } = parts;
  if (scheme === 'splunk') return hasSpace(credentials) ? null : credentials;
  if (scheme === 'basic') {
    if (!isBase64(credentials)) return null;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const password = decoded.slice(colon + 1);
    return password === '' ? null : password;
  }
  return null;
}

export class TokenRegistry {
  private readonly tokens: TokenSet<HecTokenConfig>;

  constructor(tokens: readonly HecTokenConfig[]) {
    this.tokens = new TokenSet(tokens, { ignoreCase: true });
  }

  /**
   * Authenticates a request from its headers and query string, in Splunk's order of checks. The header wins; without
   * one, `?token=` is looked up first and only a known token meets its `allowQueryStringAuth` (measured on Splunk
   * 10.4.2 by mockdr's probes: an unknown query token is 403 code 4, a known one 400 code 16 unless enabled).
   */
  authenticate(headers: IncomingHttpHeaders, query: URLSearchParams): AuthOutcome {
    const header = headers.authorization;
    if (header === undefined || header.trim() === '') {
      const text = query.get('token');
      if (text === null || text === '') return { ok: false, failure: failure(HEC.TOKEN_REQUIRED) };
      const token = this.tokens.lookup(text);
      if (token && !token.allowQueryStringAuth) return { ok: false, failure: failure(HEC.QUERY_STRING_AUTH) };
      return this.usable(token);
    }
    const text = tokenFromAuthorization(header);
    if (text === null) return { ok: false, failure: failure(HEC.INVALID_AUTHORIZATION) };
    return this.usable(this.tokens.lookup(text));
  }

  private usable(token: HecTokenConfig | null): AuthOutcome {
    if (!token) return { ok: false, failure: failure(HEC.INVALID_TOKEN) };
    if (token.disabled) return { ok: false, failure: failure(HEC.TOKEN_DISABLED) };
    return { ok: true, token };
  }
}
