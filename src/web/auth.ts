import { createHash, timingSafeEqual } from 'node:crypto';
import type { Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { getConnInfo } from '@hono/node-server/conninfo';
import { TokenSet, authorizationParts, hasSpace } from '../config/token-set.js';
import type { SessionInfo } from './api-types.js';
import { BodyRefused, apiBodyLimits, bufferBody, refuse } from './body.js';
import { fail, jsonBody, type ApiDeps, type ApiEnv, type Ctx } from './context.js';
import { CSRF_HEADER, SESSION_COOKIE, type Principal, type Sessions } from './sessions.js';
import { authenticate } from './users.js';
import { AuthThrottle, ClientIdentity, DEFAULT_AUTH_THROTTLE, DEFAULT_CLIENT_IP_HEADER, type Attempt } from '../config/auth-throttle.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authentication for every /api route but login: an API token in `Authorization: Bearer <token>` (or
 * `Splunk <token>`) for scripts and the CLI, or the console's session cookie. Requests made with the cookie
 * that change anything (any method but GET/HEAD) must carry the session's CSRF token in `X-CSRF-Token`
 * and, when the browser sends an Origin, come from this server's origin.
 */
export function authMiddleware(deps: ApiDeps, sessions: Sessions, guard: AuthGuard): MiddlewareHandler<ApiEnv> {
  const tokens = new TokenSet(deps.apiTokens);
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header !== undefined) {
      // Wrong API tokens count against the client like failed logins (session cookies are 256-bit random: not guessable).
      const client = guard.clientOf(c);
      const gate = guard.clients.attempt(client);
      if (!gate.ok) return guard.refuse(c, gate, `client ${client}`);
      const parts = authorizationParts(header);
      const scheme = parts?.scheme.toLowerCase();
      const t = parts && (scheme === 'bearer' || scheme === 'splunk') && !hasSpace(parts.credentials) ? tokens.lookup(parts.credentials) : null;
      if (!t) return fail(c, 401, 'UNAUTHORIZED', 'invalid API token');
      gate.attempt.succeeded();
      c.set('principal', { user: `token:${t.name}`, kind: 'token' });
      return next();
    }
    const id = getCookie(c, SESSION_COOKIE);
    const session = await sessions.get(id);
    if (!session) {
      return fail(c, 401, 'UNAUTHORIZED', 'log in first (POST /api/login), or send an API token: Authorization: Bearer <token>');
    }
    if (!SAFE_METHODS.has(c.req.method)) {
      const sent = c.req.header(CSRF_HEADER) ?? '';
      if (!sameText(sent, session.csrf)) return fail(c, 403, 'CSRF', `missing or wrong ${CSRF_HEADER} header (GET /api/session gives the token)`);
      const origin = c.req.header('origin');
      if (origin !== undefined && origin !== 'null' && !sameOrigin(origin, c.req.url, c.req.header('host'))) {
        return fail(c, 403, 'CSRF', `cross-origin request from ${origin} refused`);
      }
    }
    c.set('principal', { user: session.user, kind: 'session', csrf: session.csrf, ...(id ? { sessionId: id } : {}) });
    return next();
  };
}

function sameOrigin(origin: string, url: string, host: string | undefined): boolean {
  try {
    const o = new URL(origin);
    return o.host === (host ?? new URL(url).host);
  } catch {
    return false;
  }
}

export function sessionInfo(p: Principal, usersConfigured: boolean): SessionInfo {
  return { user: p.user, kind: p.kind, csrf: p.csrf ?? null, usersConfigured };
}

/** POST /api/login, POST /api/logout (login is outside the auth middleware; logout inside). */
export function loginRoutes(app: Hono<ApiEnv>, deps: ApiDeps, sessions: Sessions, guard: AuthGuard): void {
  const tokens = new TokenSet(deps.apiTokens);
  const users = deps.users ?? [];
  const bodyLimits = apiBodyLimits(deps).login;

  app.get('/api/login', (c) => c.json({ usersConfigured: users.length > 0, methods: users.length > 0 ? ['password', 'token'] : ['token'] }));

  app.post('/api/login', async (c: Ctx) => {
    // A JSON body cannot be sent cross-site without a CORS preflight, which this server never grants.
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) return fail(c, 415, 'USAGE', 'send JSON: {"username": "...", "password": "..."} or {"token": "..."}');
    // Counted as it starts, before the body is read and the (asynchronous) password checked: parallel guesses
    // cannot all pass a check made before the first of them failed. Only a success takes it back.
    const client = guard.clientOf(c);
    const gate = guard.clients.attempt(client);
    if (!gate.ok) return guard.refuse(c, gate, `client ${client}`);
    // Read within the login's own small limit (nothing is known of the client yet). A body refused or unusable
    // counts as a failed login, so such requests are throttled like wrong passwords.
    let body: Record<string, unknown> | null;
    let reserved = 0;
    try {
      reserved = await bufferBody(c, bodyLimits);
      body = await jsonBody(c);
    } catch (e) {
      if (!(e instanceof BodyRefused)) throw e;
      return refuse(c, e);
    } finally {
      // Parsed (or refused): its bytes are no longer held.
      bodyLimits.budget.release(reserved);
    }
    if (!body) return fail(c, 400, 'USAGE', 'send JSON: {"username": "...", "password": "..."} or {"token": "..."}');
    let user: string | null = null;
    let account: Attempt | null = null;
    if (typeof body['token'] === 'string') {
      const t = tokens.lookup(body['token']);
      if (t) user = `token:${t.name}`;
    } else if (typeof body['username'] === 'string' && typeof body['password'] === 'string') {
      // Password guesses also count per user name, from every client together.
      const acct = guard.accounts.attempt(accountKey(body['username']));
      // The name as the guesser sent it, cut and quoted: a log line stays one short line.
      if (!acct.ok) return guard.refuse(c, acct, `user name ${JSON.stringify(body['username'].slice(0, 64))}`);
      account = acct.attempt;
      const u = await authenticate(users, body['username'], body['password']);
      if (u) user = u.name;
    } else {
      return fail(c, 400, 'USAGE', 'send {"username", "password"} or {"token"}');
    }
    if (user === null) return fail(c, 401, 'UNAUTHORIZED', 'wrong user name, password or token');
    // Takes back only this request's attempts: a success never resets failures counted before it.
    gate.attempt.succeeded();
    account?.succeeded();
    // A new session id on every login (no fixation): a previous session of this browser ends.
    await sessions.delete(getCookie(c, SESSION_COOKIE));
    const { id, session } = await sessions.create(user);
    setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: 'Strict', secure: deps.tls === true, path: '/', maxAge: sessions.maxAgeSeconds });
    return c.json(sessionInfo({ user, kind: 'session', csrf: session.csrf }, users.length > 0));
  });
}

export function logoutRoute(app: Hono<ApiEnv>, deps: ApiDeps, sessions: Sessions): void {
  app.post('/api/logout', async (c) => {
    const p = c.get('principal');
    if (p.kind === 'session') await sessions.delete(p.sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: deps.tls === true, httpOnly: true, sameSite: 'Strict' });
    return c.json({ ok: true });
  });
  app.get('/api/session', (c) => c.json(sessionInfo(c.get('principal'), (deps.users ?? []).length > 0)));
}

/**
 * The API's failed-authentication throttles, shared by login and the token check: per client (logins, API
 * tokens) and per user name (passwords, from every client together); and who a request's client is.
 */
export interface AuthGuard {
  clients: AuthThrottle;
  accounts: AuthThrottle;
  clientOf(c: Ctx): string;
  /** 429 THROTTLED with Retry-After; the first refusal of `who` in its window is logged. */
  refuse(c: Ctx, decision: { retryAfterSeconds: number; firstRefusal: boolean }, who: string): Response;
}

export function authGuard(deps: ApiDeps): AuthGuard {
  const identity = new ClientIdentity(deps.clientAuth ?? { trustedProxies: [], clientIpHeader: DEFAULT_CLIENT_IP_HEADER });
  const t = deps.clientAuth?.authThrottle ?? DEFAULT_AUTH_THROTTLE;
  return {
    clients: new AuthThrottle(t.maxFailures, t.windowMs, t.maxTracked),
    accounts: new AuthThrottle(t.maxAccountFailures ?? DEFAULT_AUTH_THROTTLE.maxAccountFailures, t.windowMs, t.maxTracked),
    clientOf: (c) => identity.keyOf(peerAddress(c), c.req.header(identity.header)),
    refuse: (c, decision, who) => {
      if (decision.firstRefusal) {
        deps.log?.('warn', `authentication throttled: ${who} is refused for ${decision.retryAfterSeconds} s after too many failed logins or API tokens (http.authThrottle)`);
      }
      c.header('Retry-After', String(decision.retryAfterSeconds));
      return fail(c, 429, 'THROTTLED', `too many failed logins or API tokens; try again in ${decision.retryAfterSeconds} s`);
    },
  };
}

/** A user name as a throttle key: its digest, so the names a guesser makes up cost the same memory whatever their length. */
function accountKey(name: string): string {
  return createHash('sha256').update(name).digest('base64url');
}

function peerAddress(c: Ctx): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

