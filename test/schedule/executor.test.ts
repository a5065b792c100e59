import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunTimeout, WorkerExecutor } from '../../src/schedule/executor.js';
import { openStore } from '../../src/store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-executor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('searches in a worker thread', () => {
  it('stops a runaway search (catastrophic regex) at its time limit without freezing the server, then keeps working', async () => {
    const store = await openStore(dir);
    await store.append([
      { _time: 1_800_000_000, index: 'main', sourcetype: 'x', source: 's', host: 'h', _raw: 'a'.repeat(34) + '!' },
      { _time: 1_800_000_001, index: 'main', sourcetype: 'x', source: 's', host: 'h', _raw: 'hello' },
    ]);
    await store.close();
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] });
    const base = { name: 'runaway', now: 1_800_000_100, tz: 'UTC', earliest: 0, latest: 1_900_000_000, defaultIndexes: 'all' as const };
    try {
      // The event loop must keep ticking while the worker is stuck.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      await expect(exec.execute({ ...base, search: 'index=main | regex _raw="^(a+)+$"' }, 700)).rejects.toBeInstanceOf(RunTimeout);
      clearInterval(timer);
      // A search on the main thread would have let no timer fire before it ended.
      expect(ticks).toBeGreaterThan(0);
      // A fresh worker serves the next run.
      const ok = await exec.execute({ ...base, name: 'ok', search: 'index=main hello | stats count' }, 10_000);
      expect(ok.rows.map((r) => r.get('count'))).toEqual([1]);
    } finally {
      await exec.close();
    }
  });

  it('reports a search error with its message', async () => {
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] });
    try {
      await expect(exec.execute({ name: 'bad', search: 'index=main | eval x=nosuchfn(1)', now: 0, tz: 'UTC', earliest: 0, latest: 1, defaultIndexes: 'all' }, 10_000)).rejects.toThrow(/unsupported eval function nosuchfn/);
    } finally {
      await exec.close();
    }
  });
});
