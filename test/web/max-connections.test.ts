/**
 * `http.maxConnections`, as `hec.maxConnections` (test/hec/max-connections.test.ts): idle connections held the API
 * port's descriptors until the headers timeout, with no cap but the process's descriptor limit. Explicit and
 * configurable; unset, there is none (docs/security.md, limits table).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadContent } from '../../src/detections/content.js';
import { createApi } from '../../src/web/api.js';
import { listenHttp } from '../../src/web/http-server.js';
import { FakeStore, silentConnection, sleep } from '../hec/helpers.js';

const health = (port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/health' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });

describe('http.maxConnections', () => {
  it('past the cap a new connection is closed unanswered and logged once; a freed slot answers again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-api-maxconn-'));
    const config = { ...(await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } })).http, maxConnections: 2 };
    const pack = loadContent([], { bundled: false });
    const warned: string[] = [];
    const server = await listenHttp(createApi({ store: new FakeStore(), content: () => pack, apiTokens: config.apiTokens }), config, (m) => warned.push(m));
    const port = Number(new URL(server.url).port);
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 2; i++) idle.push((await silentConnection(server.url)).socket);
      await sleep(50); // the server has accepted them
      for (let i = 0; i < 2; i++) {
        const extra = await silentConnection(server.url);
        expect(await Promise.race([extra.closed, sleep(2000).then(() => 'still open')])).toBe('');
      }
      await expect(health(port)).rejects.toThrow();
      expect(warned).toHaveLength(1); // a flood is reported, not each connection
      expect(warned[0]).toMatch(/^API: 2 connections are open \(http\.maxConnections\): new ones are closed unanswered/);
      idle.shift()!.destroy();
      await sleep(50);
      expect(await health(port)).toBe(401); // answered (without a token)
    } finally {
      for (const s of idle) s.destroy();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('is unset by default (no cap), a whole number of at least 1 when set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-api-maxconn-'));
    try {
      const file = join(dir, 'vigil.yml');
      expect((await loadConfig({ env: {}, cwd: dir })).http.maxConnections).toBeUndefined();
      writeFileSync(file, 'http:\n  maxConnections: 300\n');
      expect((await loadConfig({ env: {}, cwd: dir, flags: { config: file } })).http.maxConnections).toBe(300);
      writeFileSync(file, 'http:\n  maxConnections: 0\n');
      await expect(loadConfig({ env: {}, cwd: dir, flags: { config: file } })).rejects.toThrow(/:2: "http.maxConnections" must be a whole number of at least 1, got 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
