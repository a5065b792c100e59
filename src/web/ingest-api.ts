import type { Hono } from 'hono';
import { INDEX_NAME, type IndexConfig } from '../config/config.js';
import { DEFAULT_INDEX, NOTABLE_INDEX, RISK_INDEX } from '../events/event.js';
import { VigilError } from '../errors.js';
import type { DataModelsInfo, IngestInfo } from './api-types.js';
import { fail, jsonBody, type ApiDeps, type ApiEnv } from './context.js';

/** Why a name cannot be given to a new index, or null (Splunk's naming rule). */
export function invalidIndexName(name: string): string | null {
  const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
  return INDEX_NAME.test(name) ? null : `"${shown}" is not a valid index name (lowercase letters, digits, "_" and "-", not starting with "_" or "-", at most 255 characters)`;
}

/**
 * Why an index cannot be deleted, or null: vigil writes to the reserved ones itself (the default index, risk
 * and notable events), and one declared in the config file would be back at the next start.
 */
export function undeletableIndex(name: string, declared: Record<string, IndexConfig> | undefined): string | null {
  if ([DEFAULT_INDEX, RISK_INDEX, NOTABLE_INDEX].includes(name)) return `index ${name} is reserved and cannot be deleted`;
  if (declared?.[name]) return `index ${name} is declared in the config file: remove it there (then restart) to delete it`;
  return null;
}

/** Ingest: HEC counters and rates, tokens by name (never their values), indexes with sizes and retention. */
export function ingestRoutes(app: Hono<ApiEnv>, deps: ApiDeps): void {
  app.get('/api/indexes', async (c) => c.json({ indexes: await deps.store.indexes() }));

  // Creates an index, so HEC accepts events for it (as Splunk, HEC refuses an index that does not exist).
  // Idempotent: 201 when created, 200 when it already existed.
  app.post('/api/indexes', async (c) => {
    const name = (await jsonBody(c))?.['name'];
    if (typeof name !== 'string') return fail(c, 400, 'USAGE', 'expected a JSON body {"name": "<index>"}');
    const invalid = invalidIndexName(name);
    if (invalid) return fail(c, 400, 'USAGE', invalid);
    const created = await deps.store.createIndex(name);
    return c.json({ name, created }, created ? 201 : 200);
  });

  // Deletes an index and its events (live `vigil test` removes its temporary index).
  app.delete('/api/indexes/:name', async (c) => {
    const name = c.req.param('name');
    const refused = undeletableIndex(name, deps.indexConfig);
    if (refused) return fail(c, 400, 'USAGE', refused);
    try {
      return c.json({ deleted: await deps.store.deleteIndex(name) });
    } catch (e) {
      if (e instanceof VigilError && e.code === 'CONTENT_NOT_FOUND') return fail(c, 404, 'CONTENT_NOT_FOUND', `no index named ${name}`);
      throw e;
    }
  });

  // Data model acceleration: per dataset, coverage, lag and size of its summaries.
  app.get('/api/datamodels', (c) => {
    const body: DataModelsInfo = { datasets: deps.datamodels?.status() ?? [] };
    return c.json(body);
  });

  app.get('/api/ingest', async (c) => {
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
      indexes: (await deps.store.indexes()).map((ix) => ({ ...ix, retention: deps.indexConfig?.[ix.name]?.retention ?? {} })),
    };
    return c.json(body);
  });
}
