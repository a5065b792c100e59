import type { Hono } from 'hono';
import type { IngestInfo } from './api-types.js';
import type { ApiDeps, ApiEnv } from './context.js';

/** Ingest: HEC counters and rates, tokens by name (never their values), indexes with sizes and retention. */
export function ingestRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  app.get('/api/indexes', (c) => c.json({ indexes: deps.store.indexes() }));

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
