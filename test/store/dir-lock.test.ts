import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/store/dir-lock.js';
import { openStore, STORE_FILE } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/types.js';
import { cleanupDirs, event, exited, onLines, spawnTs, tempDir } from './helpers.js';

afterAll(cleanupDirs);
const FIXTURES = join(import.meta.dirname, 'fixtures');

async function refusal(p: Promise<unknown>): Promise<StoreError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StoreError);
  return e as StoreError;
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe('the data dir lock', () => {
  it('refuses a second writer in this process, naming it; readers keep working; free again after close', async () => {
    const dir = tempDir();
    const first = await openStore(dir, { owner: 'vigil serve' });
    await first.append([event({ _time: 1, _raw: 'one' })]);
    const e = await refusal(openStore(dir, { owner: 'vigil backfill' }));
    expect(e.reason).toBe('STORE_LOCKED');
    expect(e.message).toMatch(new RegExp(`^the data dir ${dir} is in use by vigil serve \\(pid ${process.pid} on ${hostname()}, since \\d{4}-\\d\\d-\\d\\dT`));
    // A running server is the way to change the store without stopping it (vigil indexes create, findings update).
    expect(e.message).toContain('Stop that process first, or make the change through its API (docs/api.md); read-only commands');
    const reader = await openStore(dir, { readonly: true });
    expect((await reader.indexes()).find((i) => i.name === 'main')?.events).toBe(1);
    await reader.close();
    await first.close();
    const second = await openStore(dir, { owner: 'vigil backfill' });
    await second.append([event({ _time: 2, _raw: 'two' })]);
    await second.close();
  });

  it('refuses a writer while another process holds it, and is free as soon as that process dies (SIGKILL)', async () => {
    const dir = tempDir();
    const child = spawnTs(join(FIXTURES, 'hold-child.ts'), [dir, 'vigil serve']);
    try {
      await new Promise<void>((resolve, reject) => {
        onLines(child, (l) => l === 'ready' && resolve());
        child.once('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      const e = await refusal(openStore(dir));
      expect(e.reason).toBe('STORE_LOCKED');
      expect(e.message).toContain(`in use by vigil serve (pid ${child.pid} on ${hostname()}`);
      child.kill('SIGKILL');
      await exited(child);
      // No stale lock: the operating system released it with the process.
      const store = await openStore(dir);
      await store.close();
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('data dir file modes', () => {
  it('creates the data dir 0700 and the database, its WAL, shared memory and lock 0600', async () => {
    const dir = join(tempDir(), 'new', 'data');
    const store = await openStore(dir);
    await store.append([event({ _time: 1, _raw: 'secret' })]);
    const db = join(dir, STORE_FILE);
    expect([mode(dir), mode(db), mode(`${db}-wal`), mode(`${db}-shm`), mode(join(dir, LOCK_FILE))]).toEqual([0o700, 0o600, 0o600, 0o600, 0o600]);
    await store.close();
  });

  it('takes group and world permissions off files an older version left readable', async () => {
    const dir = tempDir();
    const first = await openStore(dir);
    await first.append([event({ _time: 1, _raw: 'secret' })]);
    await first.close();
    const db = join(dir, STORE_FILE);
    for (const f of [db, `${db}-wal`, `${db}-shm`, join(dir, LOCK_FILE)]) {
      writeFileSync(f, '', { flag: 'a' });
      chmodSync(f, 0o644);
    }
    const again = await openStore(dir);
    expect([mode(db), mode(`${db}-wal`), mode(`${db}-shm`), mode(join(dir, LOCK_FILE))]).toEqual([0o600, 0o600, 0o600, 0o600]);
    await again.close();
  });

  it('leaves the mode of an existing data dir alone (it may be a mounted volume)', async () => {
    const dir = join(tempDir(), 'volume');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const store = await openStore(dir);
    expect(mode(dir)).toBe(0o755);
    expect(mode(join(dir, STORE_FILE))).toBe(0o600);
    await store.close();
  });
});
