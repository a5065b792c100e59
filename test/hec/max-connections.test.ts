/**
 * `hec.maxConnections`: idle connections (10^4 opened and left silent by a hostile client) held descriptors until the
 * headers timeout, with no cap but the process's descriptor limit. The cap is explicit and configurable; unset, there
 * is none (docs/security.md, limits table).
 */
import type { Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { HecLogLevel } from '../../src/hec/index.js';
import { auth, hecConfig, send, silentConnection, sleep, start } from './helpers.js';

describe('hec.maxConnections', () => {
  it('past the cap a new connection is closed unanswered and logged once; a freed slot serves posts again', async () => {
    const logs: { level: HecLogLevel; message: string }[] = [];
    const h = await start({ config: hecConfig({ maxConnections: 3 }), log: (level, message) => logs.push({ level, message }) });
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) idle.push((await silentConnection(h.url)).socket);
      await sleep(50); // the server has accepted them
      // The 4th and 5th: closed by the server before anything is read or written.
      for (let i = 0; i < 2; i++) {
        const extra = await silentConnection(h.url);
        const sent = await Promise.race([extra.closed, sleep(2000).then(() => 'still open')]);
        expect(sent).toBe('');
      }
      await expect(send(h.url, '/services/collector/event', { body: '{"event":"refused"}', headers: auth() })).rejects.toThrow();
      expect(h.store.events).toEqual([]);
      const warned = logs.filter((l) => l.message.includes('hec.maxConnections'));
      expect(warned).toHaveLength(1); // a flood is reported, not each connection
      expect(warned[0]).toMatchObject({ level: 'warn', message: expect.stringMatching(/^HEC: 3 connections are open \(hec\.maxConnections\)/) });

      idle.shift()!.destroy();
      await sleep(50);
      const r = await send(h.url, '/services/collector/event', { body: '{"event":"after"}', headers: auth() });
      expect([r.status, r.text]).toEqual([200, '{"text":"Success","code":0}']);
      expect(h.store.events.map((e) => e._raw)).toEqual(['after']);
    } finally {
      for (const s of idle) s.destroy();
      await h.close();
    }
  });

  it('is unset by default (no cap), a whole number of at least 1 when set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-maxconn-'));
    try {
      const file = join(dir, 'vigil.yml');
      expect((await loadConfig({ env: {}, cwd: dir })).hec.maxConnections).toBeUndefined();
      await writeFile(file, 'hec:\n  maxConnections: 5000\n');
      expect((await loadConfig({ env: {}, cwd: dir, flags: { config: file } })).hec.maxConnections).toBe(5000);
      await writeFile(file, 'hec:\n  maxConnections: 0\n');
      await expect(loadConfig({ env: {}, cwd: dir, flags: { config: file } })).rejects.toThrow(/:2: "hec.maxConnections" must be a whole number of at least 1, got 0/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
