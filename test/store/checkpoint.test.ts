import { afterAll, describe, expect, it } from 'vitest';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { STORE_FILE, openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const pad = 'x'.repeat(1400);
/** How long a test may wait for the checkpoint worker to get the WAL started over: a liveness bound only. */
const LIVENESS_MS = 20_000;

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

/**
 * How many times the WAL was started over: the checkpoint sequence number in its header, which SQLite
 * increments at each restart (0 before the file exists). The file itself is reused in place, never shrunk.
 */
function walRestarts(dir: string): number {
  const wal = join(dir, `${STORE_FILE}-wal`);
  if (!existsSync(wal)) return 0;
  const header = Buffer.alloc(16);
  const fd = openSync(wal, 'r');
  try {
    return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : 0;
  } finally {
    closeSync(fd);
  }
}

/**
 * Appends one batch at a time (each its own commit, like a lightly loaded collector) until the checkpoint
 * worker has got the WAL started over `restarts` more times. How fast that happens is the benchmark's
 * business (bench/store.mjs reports the WAL's largest size); here only that it happens, losing nothing.
 */
async function appendUntilRestarts(store: SqliteStore, dir: string, restarts: number, first = 0): Promise<number> {
  const target = walRestarts(dir) + restarts;
  const deadline = Date.now() + LIVENESS_MS;
  let id = first;
  while (walRestarts(dir) < target) {
    if (Date.now() > deadline) throw new Error(`the WAL was not started over ${restarts} times in ${LIVENESS_MS / 1000} s (${id - first} batches)`);
    await store.append(batch(id++));
  }
  return id - first;
}

async function appendBatches(store: SqliteStore, n: number, first = 0): Promise<void> {
  for (let id = first; id < first + n; id++) await store.append(batch(id));
}

describe('WAL checkpoints in the checkpoint worker', () => {
  it('starts the WAL over under continuous writes (so it stays bounded), losing nothing', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { walRestartPages: 64 });
    // Every batch writes at least 5 frames: without restarts only the writer's fallback, at 16384 pages,
    // would ever checkpoint, and the WAL would grow by all of them.
    const total = await appendUntilRestarts(store, dir, 3);
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
  }, 60_000);

  it('lets a scan keep its snapshot while the WAL grows past the restart size, then restarts', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { walRestartPages: 32 });
    await appendBatches(store, 10);
    const before = (await collect(store)).length;
    // A scan that stops after its first batch holds its read transaction (its snapshot) open meanwhile.
    const scan = store.scan({ ...emptyScanRequest() }, {});
    const first = await scan.next();
    expect(first.done).toBe(false);
    // 40 batches: 200+ frames, well past the restart size.
    await appendBatches(store, 40, 10_000);
    let seen = (first.value as Event[]).length;
    for (let b = await scan.next(); !b.done; b = await scan.next()) seen += b.value.length;
    expect(seen).toBe(before); // the snapshot: nothing appended after it began
    // Once the reader is gone the checkpoint worker catches up and the WAL starts over again.
    const after = await appendUntilRestarts(store, dir, 2, 20_000);
    expect((await collect(store)).length).toBe(before + (40 + after) * 50);
    await store.close();
  }, 60_000);

  it('still works with SQLite checkpointing inside commits (checkpointThread: false)', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { checkpointThread: false });
    await appendBatches(store, 20);
    expect((await collect(store)).length).toBe(20 * 50);
    await store.close();
  });

  it('appends from many concurrent callers across restarts, each batch whole', async () => {
    const dir = tempDir();
    const store = await openStore(dir, { walRestartPages: 48 });
    let id = 0;
    const target = walRestarts(dir) + 2;
    const deadline = Date.now() + LIVENESS_MS;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (walRestarts(dir) < target && Date.now() < deadline) await store.append(batch(id++, 20));
      }),
    );
    expect(walRestarts(dir)).toBeGreaterThanOrEqual(target);
    const rows = await collect(store);
    const per = new Map<string, number>();
    for (const e of rows) per.set(e.source, (per.get(e.source) ?? 0) + 1);
    expect(per.size).toBe(id);
    for (const n of per.values()) expect(n).toBe(20);
    await store.close();
  }, 60_000);
});
