import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore } from '../../src/store/sqlite-store.js';
import { checkRuns, makeRun } from './fixtures/runs.js';
import { cleanupDirs, exited, onLines, spawnTs, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const FIXTURES = join(import.meta.dirname, 'fixtures');
const T = 1_700_000_000;

describe('run commits across processes', () => {
  it('leaves each run whole or absent after SIGKILL, with every acknowledged run present', async () => {
    const dir = tempDir();
    const ackedAll = new Set<number>();
    for (let round = 0; round < 3; round++) {
      const first = round * 100_000;
      const child = spawnTs(join(FIXTURES, 'run-child.ts'), [dir, '6', String(first)]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const acked = new Set<number>();
      await new Promise<void>((resolve) => {
        onLines(child, (line) => {
          const m = /^ack (\d+)$/.exec(line);
          if (m) acked.add(Number(m[1]));
          if (acked.size >= 60 + round * 40) resolve();
        });
        child.once('exit', () => resolve());
      });
      child.kill('SIGKILL'); // mid-stream: 6 run commits and an append are in flight
      const { signal } = await exited(child);
      expect(signal, stderr).toBe('SIGKILL');
      for (const k of acked) ackedAll.add(k);

      const store = await openStore(dir); // read-write: WAL recovery
      expect(await checkRuns(store)).toEqual([]);
      const runs = await store.runs();
      const present = new Set(runs.map((r) => (r.scheduledTime - T) / 60));
      for (const k of ackedAll) expect(present.has(k), `acknowledged run ${k} is missing`).toBe(true);
      // Committed but not acknowledged (killed in between): at most the runs in flight.
      expect([...present].filter((k) => k >= first && !ackedAll.has(k)).length).toBeLessThanOrEqual(6);
      // The ledger still refuses what it has, after recovery.
      const someRun = runs[0]!;
      await expect(store.commitRun(makeRun(someRun.detectionId, someRun.scheduledTime))).rejects.toMatchObject({ reason: 'STORE_CONFLICT' });
      await store.close();
    }
  }, 90_000);

  it('lets another process read state while this one commits runs, never seeing part of a run', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.commitRun(makeRun('d', T));
    const total = 1 + 80;
    const child = spawnTs(join(FIXTURES, 'state-read-child.ts'), [dir, String(total)]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const seen: number[] = [];
    const bad: string[] = [];
    await new Promise<void>((resolve) =>
      onLines(child, (line) => {
        if (line === 'ready') resolve();
        const m = /^runs (\d+)$/.exec(line);
        if (m) seen.push(Number(m[1]));
        if (line.startsWith('bad ')) bad.push(line);
      }),
    );
    for (let k = 1; k < total; k++) {
      await store.commitRun(makeRun(`d${k % 3}`, T + k * 60, { risk: 1 + (k % 30), findings: k % 3, outbox: k % 2 }));
      await store.setCursor(`d${k % 3}`, T + k * 60);
      if (k % 4 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    const { code } = await exited(child);
    await store.close();
    expect(bad).toEqual([]);
    expect(code, stderr).toBe(0);
    expect(seen.at(-1)).toBe(total);
    expect(seen.length).toBeGreaterThan(2); // it did read while this process wrote
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
  }, 60_000);
});
