import type { Hono } from 'hono';
import type { IngestInfo } from './api-types.js';
import type { ApiDeps, ApiEnv } from './context.js';

/** Ingest: HEC counters and rates, tokens by name (never their values), indexes with sizes and retention. */
export function ingestRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  app.get('/api/indexes', (c) => c.json({ indexes: deps.store.indexes() }));

  // Deletes an index's events (live `vigil test` cleans up its temporary index). The reserved indexes
  // (main, risk, notable) cannot be deleted this way.
  app.delete('/api/indexes/:name', async (c) => {
    const name = c.req.param('name');
    if (['main', 'risk', 'notable'].includes(name) || name.startsWith('_')) {
      return c.json({ error: { code: 'USAGE', message: `index ${name} is reserved and cannot be deleted` } }, 400);
    }
    if (!deps.store.indexes().some((i) => i.name === name)) return c.json({ error: { code: 'CONTENT_NOT_FOUND', message: `no index named ${name}` } }, 404);
    const report = await deps.store.deleteIndexEvents(name);
    return c.json({ deleted: report.deleted.reduce((n, d) => n + d.events, 0) });
  });

  app.get('/api/ingest', (c) => {
    const stats = deps.hec?.stats() ?? null;
    const body: IngestInfo = {
      hecUrl: deps.hec?.url ?? null,
      hec: stats
        ? {
            startedAt: stats.startedAt,
            requests: stats.requests,
            rejectedRequests: stats.rejectedRequests,
            acceptedEvents: stats.acceptedEvents,
            acceptedBytes: stats.acceptedBytes,
            eventsPerSecond: stats.eventsPerSecond,
            inflightBytes: stats.inflightBytes,
            inflightRequests: stats.inflightRequests,
            pendingAcks: stats.pendingAcks,
            codes: stats.codes,
          }
        : null,
      tokens: (deps.hec?.tokens ?? []).map((t) => {
        const s = stats?.tokens[t.name];
        return {
          name: t.name,
          defaultIndex: t.defaultIndex,
          indexes: t.indexes,
          disabled: t.disabled,
          useAck: t.useAck,
          requests: s?.requests ?? 0,
          rejected: s?.rejected ?? 0,
          events: s?.events ?? 0,
          bytes: s?.bytes ?? 0,
        };
      }),
      indexes: deps.store.indexes().map((ix) => ({ ...ix, retention: deps.indexConfig?.[ix.name]?.retention ?? {} })),
    };
    return c.json(body);
  });
}
