/**
 * `vigil serve` applies the indexes' retention at start, not only every 10 minutes after it: a server restarted
 * more often than that (a crash loop, config changes) never dropped anything, and one restarted with a smaller
 * maxAge kept the old events another 10 minutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite-store.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness | null = null;
let dir: string | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

const event = (t: number, raw: string) => ({ _time: t, index: 'main', sourcetype: 'st', source: 's', host: 'h', _raw: raw });

async function mainEvents(server: Harness['server']): Promise<number> {
  return (await server.store.indexes()).find((i) => i.name === 'main')?.events ?? 0;
}

describe('retention at start', () => {
  it('a store holding events older than maxAge loses them once vigil serve has started, with no 10-minute wait', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-retention-start-'));
    const now = Date.now() / 1000;
    // Written by an earlier run: one event two days old, one a minute old.
    const store = await openStore(dir);
    await store.append([event(now - 2 * 86400, 'old'), event(now - 60, 'recent')]);
    await store.close();

    const dataDir = dir;
    h = await startHarness({ configure: (c) => {
      c.dataDir = dataDir;
      c.indexes = { main: { retention: { maxAgeSeconds: 86400 } } };
    } });
    // Retention runs on the writer thread after start: wait for it (not timed).
    let left = await mainEvents(h.server);
    for (let i = 0; i < 200 && left !== 1; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await mainEvents(h.server);
    }
    // maxAge one day: the two-day-old event's hour bucket is dropped, the recent one stays.
    expect(left).toBe(1);
  });
});
