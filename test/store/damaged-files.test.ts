/**
 * Damaged files in a data dir: opening fails with a typed STORE error naming the file (no crash, no silent
 * re-creation over the events); a damaged lock file, which holds no events, says it may be removed.
 */
import { existsSync, openSync, rmSync, statSync, truncateSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/store/dir-lock.js';
import { openStore, STORE_FILE } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, event, tempDir } from './helpers.js';

afterAll(cleanupDirs);

/** A closed store of 2,000 events (~2.5 MB), everything in its main file. */
async function filled(): Promise<string> {
  const dir = tempDir();
  const store = await openStore(dir);
  for (let b = 0; b < 4; b++) {
    await store.append(Array.from({ length: 500 }, (_, i) => event({ _time: 1_700_000_000 + b * 600 + i, _raw: `${b}-${i}-${'x'.repeat(1200)}` })));
  }
  await store.close();
  expect(existsSync(join(dir, `${STORE_FILE}-wal`)) && statSync(join(dir, `${STORE_FILE}-wal`)).size > 0).toBe(false);
  return dir;
}

function overwrite(path: string, at: number, text: string): void {
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from(text), 0, text.length, at);
  closeSync(fd);
}

describe('damaged data dir files', () => {
  it('a damaged lock file is a STORE_IO error that says it may be removed; removed, the store opens with its events', async () => {
    const dir = await filled();
    overwrite(join(dir, LOCK_FILE), 0, 'not a database at all, not even close'.repeat(4));
    await expect(openStore(dir)).rejects.toMatchObject({
      code: 'STORE',
      reason: 'STORE_IO',
      message: expect.stringMatching(/^cannot lock .*vigil\.lock: file is not a database \(it holds no events, .*: remove it, once no vigil process uses/),
    });
    // Read-only opens never touch it.
    const reader = await openStore(dir, { readonly: true });
    expect((await collect(reader)).length).toBe(2000);
    await reader.close();
    rmSync(join(dir, LOCK_FILE));
    const store = await openStore(dir);
    expect((await collect(store)).length).toBe(2000);
    await store.close();
  });

  it('a truncated or overwritten database is a STORE_IO error naming it, read-write and read-only alike', async () => {
    const truncated = await filled();
    const file = join(truncated, STORE_FILE);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    for (const readonly of [false, true]) {
      await expect(openStore(truncated, { readonly })).rejects.toMatchObject({ code: 'STORE', reason: 'STORE_IO', message: expect.stringContaining(file) });
    }
    expect(statSync(file).size).toBeGreaterThan(0); // not replaced by a new, empty store

    const header = await filled();
    overwrite(join(header, STORE_FILE), 0, 'garbage '.repeat(16));
    await expect(openStore(header)).rejects.toMatchObject({ code: 'STORE', reason: 'STORE_IO', message: expect.stringMatching(/cannot open the event store .*: file is not a database/) });
  });
});
