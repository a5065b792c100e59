import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionSummary } from '../../src/web/api-types.js';
import { startHarness, type Harness } from './harness.js';

/** What the console writes into the data dir is private like the rest of it (issue #14 item 12), whatever the umask. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
const api = (path: string, init: RequestInit = {}) =>
  fetch(`${h.server.apiUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${h.apiToken}`, 'Content-Type': 'application/json' } });

describe('files the console writes into the data dir', () => {
  it('a saved filter macro: directories 0700, file 0600; detection toggles 0600', async () => {
    const previous = process.umask(0o022);
    try {
      const { detections } = (await (await api('/api/detections')).json()) as { detections: DetectionSummary[] };
      const d = detections[0]!;
      expect((await api(`/api/detections/${d.id}/filter`, { method: 'PUT', body: JSON.stringify({ definition: 'search NOT pod_name="debug-*"' }) })).status).toBe(200);
      expect((await api(`/api/detections/${d.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) })).status).toBe(200);
      const content = join(h.dataDir, 'content');
      const macros = join(content, 'macros');
      const filter = (await (await api(`/api/detections/${d.id}/filter`)).json()) as { name: string };
      expect([mode(content), mode(macros), mode(join(macros, `${filter.name}.yml`)), mode(join(h.dataDir, 'detections.yml'))]).toEqual(['700', '700', '600', '600']);
    } finally {
      process.umask(previous);
    }
  });
});
