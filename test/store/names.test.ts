/**
 * Dictionary names (sourcetype, source, host) are read as scans meet their ids, at most NAME_CACHE_LIMIT held: a
 * store whose clients sent a new `source` with every event (1,000,000 of them) made every reader load them all at its
 * first scan (5.1 s and 615 MB for `vigil search --data-dir … | head 1`, against 1.2 s and 66 MB with one source).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NAME_CACHE_LIMIT, NameCache, openReader } from '../../src/store/reader.js';
import { openStore, STORE_FILE } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, event, tempDir } from './helpers.js';

afterAll(cleanupDirs);

/** More distinct sources than the cache holds: one event each, `_raw` its number, source `src-<n>`. */
const N = NAME_CACHE_LIMIT + 4_464;

async function manySources(): Promise<string> {
  const dir = tempDir();
  const store = await openStore(dir);
  for (let from = 0; from < N; from += 10_000) {
    const n = Math.min(10_000, N - from);
    await store.append(Array.from({ length: n }, (_, k) => event({ _time: 1_700_000_000 + from + k, _raw: String(from + k), source: `src-${from + k}`, host: `h-${(from + k) % 3}` })));
  }
  await store.close();
  return dir;
}

describe('dictionary names', () => {
  it('gives every event its own source past the cache limit, on this thread and the scan thread; source patterns still select', async () => {
    const dir = await manySources();
    for (const scanThreadMinEvents of [Infinity, 0]) {
      const store = await openStore(dir, { readonly: true, scanThreadMinEvents });
      const all = await collect(store);
      expect(all).toHaveLength(N);
      expect(all.filter((e) => e.source !== `src-${e._raw}` || e.host !== `h-${Number(e._raw) % 3}`)).toEqual([]);
      const some = await collect(store, { metadata: [{ field: 'source', patterns: ['SRC-6999*'] }] });
      expect(some.map((e) => e._raw).sort()).toEqual(['6999', ...Array.from({ length: 10 }, (_, i) => `6999${i}`)].sort());
      const none = await collect(store, { metadata: [{ field: 'host', patterns: ['h-3'] }] });
      expect(none).toEqual([]);
      await store.close();
    }
  }, 60_000);

  it('reads a name when it is first needed and holds at most NAME_CACHE_LIMIT', async () => {
    const dir = await manySources();
    const db = openReader(join(dir, STORE_FILE), 5000);
    try {
      const names = new NameCache();
      names.refresh(db);
      expect(names.size).toBe(0); // nothing loaded up front
      const ids = db.prepare<[], number>("SELECT id FROM dict WHERE value LIKE 'src-%' ORDER BY id").pluck().all();
      expect(ids).toHaveLength(N);
      for (const id of ids) expect(names.name(id, db)).toMatch(/^src-\d+$/);
      expect(names.size).toBeLessThanOrEqual(NAME_CACHE_LIMIT);
      expect(names.cached(ids.at(-1)!)).toBe(`src-${N - 1}`);
      expect(names.name(1e9, db)).toBe(''); // no such id
    } finally {
      db.close();
    }
  }, 60_000);
});
