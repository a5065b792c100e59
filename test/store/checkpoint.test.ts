import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { STORE_FILE, openStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const PAGE = 16384 + 24; // a WAL frame: one 16 KiB page and its header
const pad = 'x'.repeat(1400);

function batch(id: number, n = 50): Event[] {
  return Array.from({ length: n }, (_, i) => ({
    _time: 1_700_000_000 + id + i / 1e3,
    index: 'main',
    sourcetype: 'ckpt:test',
    source: `batch-${id}`,
    host: 'h',
    _raw: `{"batch":${id},"i":${i},"pad":"${pad}"}`,
  }));
}

function walBytes(dir: string): number {
  const wal = join(dir, `${STORE_FILE}-wal`);
  return existsSync(wal) ? statSync(wal).size : 0;
}

/** Appends one batch at a time (each its own commit, like a lightly loaded collector) for `ms`. */
async function appendFor(store: Awaited<ReturnType<typeof openStore>>, dir: string, ms: number, first = 0): Promise<{ batches: number; maxWal: number }> {
  const until = Date.now() + ms;
  let id = first;
  let maxWal = 0;
  while (Date.now() < until) {
    await store.append(batch(id++));
    maxWal = Math.max(maxWal, walBytes(dir));
  }
  return { batches: id - first, maxWal };
}

describe('WAL checkpoints in the checkpoint worker', () => {
  it('keeps the WAL bounded under continuous writes by starting it over, losing nothing', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { walRestartPages: 64 });
    // Warm-up: the checkpoint worker starts at the first commit (from sources it first loads the transpile
    // hooks, meanwhile the WAL grows); the file then keeps its size (it is reused in place, not shrunk).
    const warm = await appendFor(store, dir, 1000);
    const walBefore = walBytes(dir);
    const { batches, maxWal } = await appendFor(store, dir, 2000, warm.batches);
    // Every batch writes at least 5 frames: without restarts the file would grow by all of them (only the
    // writer's fallback, at 16384 pages, would ever checkpoint).
    expect(batches).toBeGreaterThan(20);
    expect(maxWal - walBefore).toBeLessThan((batches * 5 * PAGE) / 3);
    const total = warm.batches + batches;
    const rows = await collect(store, { metadata: [{ field: 'sourcetype', patterns: ['ckpt:test'] }] });
    expect(rows.length).toBe(total * 50);
    // Newest first, every event once.
    expect(rows[0]!._raw).toContain(`"batch":${total - 1},"i":49,`);
    expect(new Set(rows.map((e) => e._raw)).size).toBe(rows.length);
    await store.close();
    // Reopened (the WAL replayed or already checkpointed), everything is there.
    const again = await openStore(dir, { readonly: true });
    expect((await collect(again, { metadata: [{ field: 'sourcetype', patterns: ['ckpt:test'] }] })).length).toBe(total * 50);
    await again.close();
  }, 30_000);

  it('lets a scan keep its snapshot while the WAL grows past the restart size, then restarts', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { walRestartPages: 32 });
    await appendFor(store, dir, 300);
    const before = (await collect(store)).length;
    // A scan that stops after its first batch holds its read transaction (its snapshot) open meanwhile.
    const scan = store.scan({ ...emptyScanRequest() }, {});
    const first = await scan.next();
    expect(first.done).toBe(false);
    const during = await appendFor(store, dir, 600, 10_000);
    let seen = (first.value as Event[]).length;
    for (let b = await scan.next(); !b.done; b = await scan.next()) seen += b.value.length;
    expect(seen).toBe(before); // the snapshot: nothing appended after it began
    // Once the reader is gone the checkpoint worker catches up and the WAL starts over again: then the file
    // (reused in place, never shrunk below 64 MiB) stops growing.
    const catchUp = await appendFor(store, dir, 700, 20_000);
    const walBefore = walBytes(dir);
    const after = await appendFor(store, dir, 1500, 30_000);
    expect(after.maxWal - walBefore).toBeLessThan((after.batches * 5 * PAGE) / 3);
    expect((await collect(store)).length).toBe(before + (during.batches + catchUp.batches + after.batches) * 50);
    await store.close();
  }, 30_000);

  it('still works with SQLite checkpointing inside commits (checkpointThread: false)', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { checkpointThread: false });
    const { batches } = await appendFor(store, dir, 300);
    expect((await collect(store)).length).toBe(batches * 50);
    await store.close();
  });

  it('appends from many concurrent callers across restarts, each batch whole', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { walRestartPages: 48 });
    let id = 0;
    const until = Date.now() + 1500;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (Date.now() < until) await store.append(batch(id++, 20));
      }),
    );
    const rows = await collect(store);
    const per = new Map<string, number>();
    for (const e of rows) per.set(e.source, (per.get(e.source) ?? 0) + 1);
    expect(per.size).toBe(id);
    for (const n of per.values()) expect(n).toBe(20);
    await store.close();
  }, 30_000);
});
