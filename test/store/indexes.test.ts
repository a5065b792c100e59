import { afterAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { VigilError } from '../../src/errors.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const event = (index: string, raw: string, t = 1_700_000_000): Event => ({ _time: t, index, sourcetype: 'st', source: 's', host: 'h', _raw: raw });
const names = async (s: { indexes(): Promise<{ name: string }[]> }) => (await s.indexes()).map((i) => i.name);

describe('deletions are told', () => {
  it('tells onDeleted listeners of a deleted index (before and after) and of events retention dropped', async () => {
    const s = await openStore(tempDir());
    try {
      const told: [string, number][] = [];
      s.onDeleted((index, before) => told.push([index, before]));
      await s.append([event('web', 'a'), event('main', 'old', 1_600_000_000), event('main', 'new')]);
      await s.deleteIndex('web');
      expect(told).toEqual([['web', Infinity], ['web', Infinity]]);
      told.length = 0;
      s.setRetention({ main: { maxAgeSeconds: 3600 } });
      const report = await s.applyRetention(1_700_000_000);
      expect(report.deleted.filter((d) => d.events > 0).map((d) => [d.index, d.before])).toEqual(told);
      expect(told.map(([i]) => i)).toEqual(['main']);
      expect((await collect(s)).map((e) => e._raw)).toEqual(['new']);
    } finally {
      await s.close();
    }
  });
});

describe('index catalog', () => {
  it('has the reserved indexes; creates an index once; deletes it with its events', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    try {
      expect(await names(s)).toEqual(['main', 'notable', 'risk']);
      expect(['main', 'risk', 'notable', 'web'].map((n) => s.indexExists(n))).toEqual([true, true, true, false]);

      expect(await s.createIndex('web')).toBe(true);
      expect(await s.createIndex('web')).toBe(false);
      expect(s.indexExists('web')).toBe(true);
      expect((await s.indexes()).find((i) => i.name === 'web')).toEqual({ name: 'web', events: 0, bytes: 0, earliest: null, latest: null });

      await s.append([event('web', 'a'), event('web', 'b', 1_700_100_000), event('main', 'kept')]);
      expect(await s.deleteIndex('web')).toBe(2);
      expect(s.indexExists('web')).toBe(false);
      expect(await names(s)).toEqual(['main', 'notable', 'risk']);
      expect((await collect(s)).map((e) => e._raw)).toEqual(['kept']);

      const missing = await s.deleteIndex('web').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(VigilError);
      expect(missing).toMatchObject({ code: 'CONTENT_NOT_FOUND', message: 'no index named "web"' });
    } finally {
      await s.close();
    }
  });

  it('an append to a deleted index creates it again, with only the new events', async () => {
    const s = await openStore(tempDir());
    try {
      await s.append([event('web', 'old')]);
      expect(s.indexExists('web')).toBe(true); // created by the append, found in the database
      await s.deleteIndex('web');
      await s.append([event('web', 'new')]);
      expect(s.indexExists('web')).toBe(true);
      expect((await collect(s, { metadata: [{ field: 'index', patterns: ['web'] }] })).map((e) => e._raw)).toEqual(['new']);
    } finally {
      await s.close();
    }
  });

  it('keeps the order of appends and a delete committed in the same transaction', async () => {
    const s = await openStore(tempDir(), { writerDelayMs: 50 });
    try {
      await s.createIndex('web');
      // Queued together while the writer sleeps: one group commit holding append, delete, append.
      const [, deleted] = await Promise.all([s.append([event('web', 'before')]), s.deleteIndex('web'), s.append([event('web', 'after')])]);
      expect(deleted).toBe(1);
      expect(s.stats().commits).toBeLessThan(s.stats().committedBatches);
      expect((await collect(s)).map((e) => e._raw)).toEqual(['after']);
      expect(s.indexExists('web')).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('persists: reopened, and seen by a read-only store of another connection', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    await s.createIndex('web');
    await s.createIndex('gone');
    await s.deleteIndex('gone');
    await s.close();
    const ro = await openStore(dir, { readonly: true });
    try {
      expect(await names(ro)).toEqual(['main', 'notable', 'risk', 'web']);
      expect([ro.indexExists('web'), ro.indexExists('gone')]).toEqual([true, false]);
      await expect(ro.createIndex('x')).rejects.toMatchObject({ reason: 'STORE_IO' });
    } finally {
      await ro.close();
    }
  });
});
