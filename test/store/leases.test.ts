import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/types.js';
import { makeRun } from './fixtures/runs.js';
import { cleanupDirs, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const T = 1_700_000_000;

// The lease semantics every StateStore shares are in state-contract.ts (run by state.test.ts); these are SQLite's own.
describe('run leases on SQLite', () => {
  it('are durable: a lease survives a restart of the store, and the restarted store refuses other nodes', async () => {
    const dir = tempDir();
    const a = await openStore(dir);
    expect(await a.claimRun('d', T, 'node-a', 60_000, T)).toBe(true);
    await a.close();
    const b = await openStore(dir);
    expect(await b.claimRun('d', T, 'node-b', 60_000, T + 59)).toBe(false);
    expect(await b.claimRun('d', T, 'node-b', 60_000, T + 60)).toBe(true);
    await b.close();
  });

  it('a committed run leaves no lease row behind', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    expect(await s.claimRun('d', T, 'node-a', 60_000, T)).toBe(true);
    await s.commitRun({ ...makeRun('d', T), lease: { node: 'node-a', now: T + 1 } });
    await s.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(`${dir}/vigil.db`, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM run_leases').pluck().get()).toBe(0);
    db.close();
  });

  it('a read-only store refuses lease writes with STORE_IO', async () => {
    const dir = tempDir();
    await (await openStore(dir)).close();
    const r = await openStore(dir, { readonly: true });
    for (const p of [r.claimRun('d', T, 'n', 1000, T), r.renewRun('d', T, 'n', 1000, T)]) {
      await expect(p).rejects.toBeInstanceOf(StoreError);
      await expect(p).rejects.toMatchObject({ reason: 'STORE_IO' });
    }
    await r.close();
  });
});
