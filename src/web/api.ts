import { Hono, type Context } from 'hono';
import type { TimeRange } from './api-types.js';
import { authGuard, authMiddleware, loginRoutes, logoutRoute } from './auth.js';
import { apiBodyLimits, bodyLimit } from './body.js';
import { backfillRoutes } from './backfill-api.js';
import { countParam, errorJson, fail, isSearchLimit, jsonBody, timeRange, type ApiDeps, type ApiEnv } from './context.js';
import { detectionsRoutes } from './detections-api.js';
import { findingsRoutes } from './findings-api.js';
import { ingestRoutes } from './ingest-api.js';
import { overview, processTreeOf, riskObjectDetail } from './risk.js';
import { searchRoutes } from './search-api.js';
import { SessionStore, type SessionOptions, type Sessions } from './sessions.js';
import { securityHeaders, staticRoutes } from './static.js';

export type { ApiDeps, SchedulerView } from './context.js';
export type { SearchRequest } from './search-api.js';

const OBJECT_USAGE = 'name the risk object: ?object=<name>, or a JSON body {"object": "<name>"} with POST';

/**
 * The HTTP API of `vigil serve` and the console it serves (documented in docs/api.md). Every /api route
 * but login needs an API token (`Authorization: Bearer <token>`) or a console session cookie (plus the
 * CSRF header on changes); everything else serves the built console.
 */
export function createApi(deps: ApiDeps, opts: { sessions?: SessionOptions; sessionStore?: Sessions } = {}): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  // In memory unless given (a cluster's nodes share theirs: SharedSessions over the control plane).
  const sessions = opts.sessionStore ?? new SessionStore(opts.sessions);
  const now = deps.now ?? (() => Date.now() / 1000);
  const tz = deps.tz ?? 'UTC';

  app.use('/api/*', async (c, next) => {
    securityHeaders(c);
    c.header('Cache-Control', 'no-store');
    await next();
  });
  const guard = authGuard(deps);
  loginRoutes(app, deps, sessions, guard);
  app.use('/api/*', authMiddleware(deps, sessions, guard));
  // After auth: an unauthenticated request never gets its body read (login reads its own, smaller).
  app.use('/api/*', bodyLimit(apiBodyLimits(deps).api));
  logoutRoute(app, deps, sessions);

  app.get('/api/health', (c) => c.json({ status: 'ok' }));

  app.get('/api/overview', async (c) => {
    let range;
    try {
      range = timeRange(c, now(), tz);
    } catch (e) {
      return c.json({ error: errorJson(e) }, 400);
    }
    const top = countParam(c, 'top', 20, 500);
    if (top instanceof Response) return top;
    return c.json(await overview(deps, range, top, c.req.raw.signal));
  });

  // A risk object's page and process tree, the object named three ways: in the path (ordinary names, old links), in
  // `?object=` (`.` and `..`, which a browser's URL parser removes from a path), or in a POST body `{"object"}` (names
  // too long for a request line: http.maxHeaderBytes). Risk objects come from event data, so each must be reachable.
  type Show = (c: Context<ApiEnv>, object: string, range: TimeRange) => Promise<Response>;
  const objectRoutes = (path: string, show: Show) => {
    const withRange = async (c: Context<ApiEnv>, object: string | Response) => {
      if (object instanceof Response) return object;
      let range;
      try {
        range = timeRange(c, now(), tz, '-7d');
      } catch (e) {
        return c.json({ error: errorJson(e) }, 400);
      }
      return show(c, object, range);
    };
    app.get(`/api/risk/objects/:object${path}`, (c) => withRange(c, c.req.param('object')));
    app.get(`/api/risk/object${path}`, (c) => withRange(c, c.req.query('object') ?? fail(c, 400, 'USAGE', OBJECT_USAGE)));
    app.post(`/api/risk/object${path}`, async (c) => {
      const object = (await jsonBody(c))?.['object'];
      return withRange(c, typeof object === 'string' ? object : fail(c, 400, 'USAGE', OBJECT_USAGE));
    });
  };
  objectRoutes('', async (c, object, range) => {
    const detail = await riskObjectDetail(deps, object, range, c.req.raw.signal);
    if (!detail) return fail(c, 404, 'NOT_FOUND', 'no risk events or findings for this object in the range');
    return c.json(detail);
  });
  // Separate from the object's page so the page shows at once and the (larger) raw-event read follows.
  objectRoutes('/processes', async (c, object, range) => c.json(await processTreeOf(deps, object, range, c.req.raw.signal)));

  findingsRoutes(app, deps);
  detectionsRoutes(app, deps);
  searchRoutes(app, deps);
  backfillRoutes(app, deps);
  ingestRoutes(app, deps);

  app.onError((err, c) => c.json({ error: errorJson(err) }, isSearchLimit(err) ? 503 : 500));
  // A method a path does not take (POST /api/health, DELETE /api/findings) is an API error too, JSON like every
  // other (was hono's text/plain "404 Not Found"); GETs of unknown paths reach staticRoutes' fallback.
  app.notFound((c) => fail(c, 404, 'NOT_FOUND', `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname}`));
  staticRoutes(app, deps.staticDir ?? null);
  return app;
}
