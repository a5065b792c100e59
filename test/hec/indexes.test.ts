/** HEC refuses events for an index that does not exist, as Splunk does (400 code 7 "Incorrect index"). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createHecServer } from '../../src/hec/index.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { auth, hecConfig, send, start, type Running } from './helpers.js';

let hec: Running;
beforeAll(async () => {
  hec = await start();
});
afterAll(() => hec.close());

const event = (path = '/services/collector/event', body: string) => send(hec.url, path, { body, headers: auth() });

describe('events for an index that does not exist', () => {
  it('/event: the whole batch is refused, naming the first event for a missing index', async () => {
    const calls = hec.store.appendCalls;
    const r = await event(undefined, '{"event":"a","index":"main"}{"event":"b","index":"nosuchindex"}{"event":"c"}');
    expect([r.status, r.text]).toEqual([400, '{"text":"Incorrect index","code":7,"invalid-event-number":2}']);
    expect(hec.store.appendCalls).toBe(calls);
  });

  it('/raw: refused as its first event, numbered 1 as Splunk numbers code 7', async () => {
    const r = await event('/services/collector/raw?index=nosuchindex', 'line');
    expect([r.status, r.text]).toEqual([400, '{"text":"Incorrect index","code":7,"invalid-event-number":1}']);
  });

  it('accepts an index once it exists', async () => {
    await hec.store.createIndex('web');
    const r = await event(undefined, '{"event":"a","index":"web"}');
    expect(r.status).toBe(200);
    expect(hec.store.events.at(-1)).toMatchObject({ index: 'web', _raw: 'a' });
  });

  it('with hec.autoCreateIndexes, accepts any valid name (the store creates the index)', async () => {
    const auto = await start({ config: hecConfig({ autoCreateIndexes: true }) });
    try {
      const r = await send(auto.url, '/services/collector/event', { body: '{"event":"a","index":"brand-new"}', headers: auth() });
      expect(r.status).toBe(200);
      expect(auto.store.events).toMatchObject([{ index: 'brand-new', _raw: 'a' }]);
      // Names stay Splunk's: an invalid one is still code 7.
      const bad = await send(auto.url, '/services/collector/event', { body: '{"event":"a","index":"Upper"}', headers: auth() });
      expect(bad.text).toBe('{"text":"Incorrect index","code":7,"invalid-event-number":1}');
    } finally {
      await auto.close();
    }
  });
});

describe('in front of the SQLite store', () => {
  it('refuses a missing index, accepts it once created, and auto-creation writes the index to the store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-hec-indexes-'));
    const store = await openStore(dir);
    const strict = createHecServer({ config: hecConfig(), store, defaultHost: 'h' });
    const auto = createHecServer({ config: hecConfig({ autoCreateIndexes: true }), store, defaultHost: 'h' });
    try {
      const [{ url }, { url: autoUrl }] = await Promise.all([strict.listen(), auto.listen()]);
      const post = (u: string, index: string) => send(u, '/services/collector/event', { body: JSON.stringify({ event: 'x', index }), headers: auth() });
      expect((await post(url, 'web')).status).toBe(400);
      expect(store.indexExists('web')).toBe(false);
      await store.createIndex('web');
      expect((await post(url, 'web')).status).toBe(200);
      expect((await post(autoUrl, 'made-by-hec')).status).toBe(200);
      expect((await store.indexes()).map((i) => [i.name, i.events])).toEqual([['made-by-hec', 1], ['main', 0], ['notable', 0], ['risk', 0], ['web', 1]]);
      // The strict collector now accepts it too: it exists.
      expect((await post(url, 'made-by-hec')).status).toBe(200);
    } finally {
      await Promise.all([strict.close(), auto.close()]);
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hec.autoCreateIndexes in the config file', () => {
  it('is false unless set, and must be a boolean', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-hec-indexes-config-'));
    try {
      const load = async (yaml: string) => {
        const file = join(dir, 'vigil.yml');
        await writeFile(file, yaml);
        return loadConfig({ file, env: {}, flags: { dataDir: join(dir, 'data') } });
      };
      expect((await load('hec:\n  port: 0\n')).hec.autoCreateIndexes).toBe(false);
      expect((await load('hec:\n  autoCreateIndexes: true\n')).hec.autoCreateIndexes).toBe(true);
      await expect(load('hec:\n  autoCreateIndexes: maybe\n')).rejects.toThrow(/vigil\.yml:2:.*autoCreateIndexes.* must be true or false/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
