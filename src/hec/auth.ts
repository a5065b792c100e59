/**
 * HEC token authentication: `Authorization: Splunk <token>` or Basic (any user, token as password).
 * Tokens are compared as SHA-256 digests with timingSafeEqual, against every configured token, so neither a
 * token's prefix nor its position in the list shows in the response time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HecTokenConfig } from '../config/config.js';
import { TokenSet } from '../config/token-set.js';
import { HEC, failure, type HecFailure } from './protocol.js';

export type AuthOutcome = { ok: true; token: HecTokenConfig } | { ok: false; failure: HecFailure };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The token text carried by an Authorization header, or null when the header is malformed (code 3). */
export function tokenFromAuthorization(header: string): string | null {
  const m = /^\s*(\S+)\s+(\S.*?)\s*$/.exec(header);
  if (!m) return null;
  const scheme = (m[1] as string).toLowerCase();
  const credentials = m[2] as string;
  if (scheme === 'splunk') return /\s/.test(credentials) ? null : credentials;
  if (scheme === 'basic') {
    if (!BASE64.test(credentials)) return null;
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
    this.tokens = new TokenSet(tokens);
  }

  /** Authenticates a request from its headers and query string, in Splunk's order of checks. */
  authenticate(headers: IncomingHttpHeaders, query: URLSearchParams): AuthOutcome {
    const header = headers.authorization;
    if (header === undefined || header.trim() === '') {
      // Splunk answers 16 when the token rides in the query string and that form is not enabled.
      if (query.has('token')) return { ok: false, failure: failure(HEC.QUERY_STRING_AUTH) };
      return { ok: false, failure: failure(HEC.TOKEN_REQUIRED) };
    }
    const text = tokenFromAuthorization(header);
    if (text === null) return { ok: false, failure: failure(HEC.INVALID_AUTHORIZATION) };
    const token = this.tokens.lookup(text);
    if (!token) return { ok: false, failure: failure(HEC.INVALID_TOKEN) };
    if (token.disabled) return { ok: false, failure: failure(HEC.TOKEN_DISABLED) };
    return { ok: true, token };
  }
}
