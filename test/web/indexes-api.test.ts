import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type VigilServer } from '../../src/web/runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-indexes-api-'));
let server: VigilServer;
let apiToken: string;
let hecToken: string;

beforeAll(async () => {
  const file = join(dir, 'vigil.yml');
  writeFileSync(file, ['indexes:', '  tetragon:', '    retention: { maxAge: 7d }'].join('\n') + '\n');
  const config = await loadConfig({ file, env: {}, flags: { dataDir: join(dir, 'data'), port: 0, hecPort: 0 } });
  apiToken = config.http.apiTokens[0]!.token;
  hecToken = config.hec.tokens[0]!.token;
  server = await startServer(config, { schedule: false, consoleDir: null });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${apiToken}`);
  if (init.json !== undefined) headers.set('Content-Type', 'application/json');
  return fetch(`${server.apiUrl}${path}`, { ...init, headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
}

const hec = (index: string) =>
  fetch(`${server.hecUrl}/services/collector/event`, { method: 'POST', headers: { Authorization: `Splunk ${hecToken}` }, body: JSON.stringify({ event: 'x', index }) });

describe('indexes through the API, and what HEC accepts', () => {
  it('has the reserved and the configured indexes from the start', async () => {
    const body = (await (await api('/api/indexes')).json()) as { indexes: { name: string }[] };
    expect(body.indexes.map((i) => i.name)).toEqual(['main', 'notable', 'risk', 'tetragon']);
    expect((await hec('tetragon')).status).toBe(200);
  });

  it('HEC refuses an index until POST /api/indexes creates it; DELETE removes it and its events', async () => {
    const refused = await hec('web');
    expect([refused.status, await refused.text()]).toEqual([400, '{"text":"Incorrect index","code":7,"invalid-event-number":1}']);

    const created = await api('/api/indexes', { method: 'POST', json: { name: 'web' } });
    expect([created.status, await created.json()]).toEqual([201, { name: 'web', created: true }]);
    const again = await api('/api/indexes', { method: 'POST', json: { name: 'web' } });
    expect([again.status, await again.json()]).toEqual([200, { name: 'web', created: false }]);
    expect((await hec('web')).status).toBe(200);

    const deleted = await api('/api/indexes/web', { method: 'DELETE' });
    expect([deleted.status, await deleted.json()]).toEqual([200, { deleted: 1 }]);
    expect((await hec('web')).status).toBe(400);
    expect((await api('/api/indexes/web', { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses invalid names, and deleting reserved or configured indexes', async () => {
    for (const body of [{ name: 'Web' }, { name: '_internal' }, { name: '' }, { nom: 'web' }, { name: 'a'.repeat(256) }]) {
      const r = await api('/api/indexes', { method: 'POST', json: body });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    const longest = await api('/api/indexes', { method: 'POST', json: { name: 'a'.repeat(255) } });
    expect(longest.status).toBe(201);
    const risk = await api('/api/indexes/risk', { method: 'DELETE' });
    expect([risk.status, await risk.json()]).toEqual([400, { error: { code: 'USAGE', message: 'index risk is reserved and cannot be deleted' } }]);
    const configured = await api('/api/indexes/tetragon', { method: 'DELETE' });
    expect(configured.status).toBe(400);
    expect(((await configured.json()) as { error: { message: string } }).error.message).toContain('declared in the config file');
  });
});
