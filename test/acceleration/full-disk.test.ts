import { execFileSync } from 'node:child_process';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AccelerationService } from '../../src/acceleration/service.js';
import { accelerationSettings } from '../../src/acceleration/settings.js';
import { openSummaryDb } from '../../src/acceleration/summary-db.js';
import type { Event } from '../../src/events/event.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { NOW, shopPack } from '../spl/datamodel/helpers.js';
import { tmpfsForTests } from '../tmpfs.js';

/**
 * summaries.db on a real full disk (a small tmpfs; skipped where the test cannot mount one: not root, or no mount in
 * the container). Opening it again once the disk is full fails (SQLite cannot grow its shared-memory file:
 * SQLITE_IOERR_SHMSIZE, "disk I/O error"), and the error told to delete summaries.db, as for a damaged file: the
 * summaries would be rebuilt for nothing, and the disk would still be full. It now says the disk is full, and the
 * same open works once space is back.
 */
const T0 = 1_700_000_000;
const orders = (n: number): Event[] =>
  Array.from({ length: n }, (_, i) => {
    const raw = JSON.stringify({ item: ['Apple', 'banana'][i % 2], qty: i % 4, price: (i % 9) * 20 });
    return { index: 'main', source: 'shop.log', host: 'h', sourcetype: 'shop:order', _time: T0 + i * 7, _raw: raw } as Event;
  });

const { dir: mnt, mounted } = tmpfsForTests('vigil-accel-full-', '8m');

describe.skipIf(!mounted)('data model summaries on a full disk', () => {
  it('opening summaries.db on a full disk is STORE_FULL "the disk is full", not "delete the file"; it opens once space is back', async () => {
    const dir = join(mnt, 'open');
    const store = await openStore(dir);
    try {
      await store.append(orders(300));
      const s = new AccelerationService(dir, store, accelerationSettings({ Shop: {} }, {}), shopPack(), 'UTC', () => NOW, () => {}, {});
      expect(await s.catchUp()).toBe(300);
      await s.close(); // the last connection: its shared-memory file goes with it
    } finally {
      await store.close();
    }
    const ballast = join(mnt, 'ballast');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${ballast}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd ends at ENOSPC
    }
    let refused: unknown = null;
    try {
      openSummaryDb(dir, false)?.close();
    } catch (e) {
      refused = e;
    }
    expect(refused).toMatchObject({ code: 'STORE', reason: 'STORE_FULL', message: expect.stringMatching(/^cannot open the data model summaries .*summaries\.db: the disk is full \(/) });
    expect((refused as Error).message).not.toContain('delete the file');
    unlinkSync(ballast);
    const db = openSummaryDb(dir, false);
    expect(db).not.toBeNull();
    db!.close();
  }, 60_000);

  it('a summary worker whose first write fails on the full disk is not killed: catch-ups are refused until space is back, then done', async () => {
    const dir = join(mnt, 'load');
    const store = await openStore(dir);
    await store.append(orders(300));
    // Another connection keeps summaries.db's shared-memory file: the service opens it, its worker's first write fails.
    const held = openSummaryDb(dir, false)!;
    const ballast = join(mnt, 'ballast');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${ballast}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // dd ends at ENOSPC
    }
    const logs: string[] = [];
    const s = new AccelerationService(dir, store, accelerationSettings({ Shop: {} }, {}), shopPack(), 'UTC', () => NOW, (level, m) => logs.push(`${level}: ${m}`), { restartDelayMs: 10, maxRestarts: 1 });
    try {
      for (let i = 0; i < 3; i++) await expect(s.catchUp()).rejects.toMatchObject({ code: 'STORE', message: 'database or disk is full' });
      expect(logs.filter((l) => l.includes('died'))).toEqual([]);
      unlinkSync(ballast);
      expect(await s.catchUp()).toBe(300);
      expect(s.status().find((x) => x.model === 'Shop' && x.dataset === 'Orders')).toMatchObject({ coveragePercent: 100, lastError: null });
    } finally {
      await s.close();
      held.close();
      await store.close();
      rmSync(ballast, { force: true });
    }
  }, 60_000);

  it('a running service whose catch-ups fail on the full disk says so once (not every interval), then catches up by itself', async () => {
    const dir = join(mnt, 'tick');
    const store = await openStore(dir);
    const logs: string[] = [];
    // The timer's interval shortened to 50 ms (the config's least is 1 s): 1.5 s is thirty ticks.
    const settings = { ...accelerationSettings({ Shop: {} }, {}), intervalSeconds: 0.05 };
    const s = new AccelerationService(dir, store, settings, shopPack(), 'UTC', () => NOW, (level, m) => logs.push(`${level}: ${m}`), {});
    const ballast = join(mnt, 'ballast');
    try {
      expect(await s.catchUp()).toBe(0);
      await store.append(orders(300));
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${ballast}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // dd ends at ENOSPC
      }
      s.start();
      await new Promise((r) => setTimeout(r, 1500));
      expect(logs).toEqual(['error: data model acceleration: database or disk is full']);
      unlinkSync(ballast);
      await new Promise((r) => setTimeout(r, 1000));
      expect(logs.slice(1)).toEqual(['warn: data model acceleration: catching up again (after: database or disk is full)']);
      expect(s.status().find((x) => x.model === 'Shop' && x.dataset === 'Orders')).toMatchObject({ coveragePercent: 100, lastError: null });
    } finally {
      await s.close();
      await store.close();
    }
  }, 60_000);
});
