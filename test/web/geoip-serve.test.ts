import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { GEOIP_DB_ENV } from '../../src/spl/geoip.js';
import { startServer, type VigilServer } from '../../src/web/runtime.js';
import { testCityNetworks, writeMmdb } from '../mmdb.js';

/** `geoipDb:` in the config file reaches the searches `vigil serve` runs (on its search threads). */
const dir = mkdtempSync(join(tmpdir(), 'vigil-geoip-serve-'));
const before = process.env[GEOIP_DB_ENV];
let server: VigilServer;
let headers: Record<string, string>;

beforeAll(async () => {
  delete process.env[GEOIP_DB_ENV];
  writeFileSync(join(dir, 'city.mmdb'), writeMmdb(testCityNetworks()));
  // Relative to the config file.
  writeFileSync(join(dir, 'vigil.yml'), 'geoipDb: city.mmdb\n');
  const config = await loadConfig({ file: join(dir, 'vigil.yml'), env: {}, flags: { dataDir: join(dir, 'data'), port: 0, hecPort: 0 } });
  server = await startServer(config, { schedule: false, users: [], consoleDir: null });
  headers = { Authorization: `Bearer ${config.http.apiTokens[0]!.token}`, 'Content-Type': 'application/json' };
});
afterAll(async () => {
  await server?.close();
  if (before === undefined) delete process.env[GEOIP_DB_ENV];
  else process.env[GEOIP_DB_ENV] = before;
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil serve with geoipDb', () => {
  it('runs iplocation in API searches', async () => {
    const res = await fetch(`${server.apiUrl}/api/search`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ search: '| makeresults | eval ip="81.2.69.160" | iplocation lang=de ip | table City Country Region', progressMs: 0 }),
    });
    expect(res.status).toBe(200);
    // London, Vereinigtes Königreich, England: test/mmdb.ts testCityNetworks().
    expect(await res.text()).toContain('{"result":{"City":"London","Country":"Vereinigtes Königreich","Region":"England"}}');
  });
});
