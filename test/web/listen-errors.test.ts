/** `vigil serve` on a port another process holds: the error says so and names the flag and key that choose another. */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createHecServer } from '../../src/hec/index.js';
import { listenHttp } from '../../src/web/http-server.js';
import { FakeStore, hecConfig } from '../hec/helpers.js';

describe('a port in use', () => {
  let holder: Server;
  let port: number;
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-listen-'));
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => holder.close(() => r()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('HEC: CONFIG error naming --hec-port and hec.port', async () => {
    const s = createHecServer({ config: hecConfig({ port }), store: new FakeStore() });
    await expect(s.listen()).rejects.toMatchObject({
      code: 'CONFIG',
      message: `HEC cannot listen on 127.0.0.1:${port}: EADDRINUSE: another process (another vigil serve?) listens there; stop it, or choose another port (--hec-port, hec.port)`,
    });
  });

  it('API: CONFIG error naming --port and http.port', async () => {
    const config = (await loadConfig({ env: {}, flags: { dataDir, port: String(port), hecPort: '0' } })).http;
    await expect(listenHttp(new Hono(), config)).rejects.toMatchObject({
      code: 'CONFIG',
      message: `the API cannot listen on 127.0.0.1:${port}: EADDRINUSE: another process (another vigil serve?) listens there; stop it, or choose another port (--port, http.port)`,
    });
  });
});
