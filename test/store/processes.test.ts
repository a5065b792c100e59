import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, exited, onLines, spawnTs, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('other processes', () => {
  it('keeps every acknowledged batch exactly once and no partial batch after SIGKILL', async () => {
    const dir = tempDir();
    const ackedAll = new Set<number>();
    for (let round = 0; round < 3; round++) {
      // Rounds 1 and 2: the checkpoint worker has the WAL started over every ~100 pages (a few batches), so
      // kills also land around restarts and the writer's tail checkpoints.
      const restart = round === 0 ? [] : ['100'];
      const child = spawnTs(join(FIXTURES, 'append-child.ts'), [dir, '8', '100', String(round * 1_000_000), ...restart]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const acked = new Set<number>();
      const enough = new Promise<void>((resolve) => {
        onLines(child, (line) => {
          const m = /^ack (\d+)$/.exec(line);
          if (m) acked.add(Number(m[1]));
          if (acked.size >= 100 + round * 50) resolve();
        });
        child.once('exit', () => resolve());
      });
      await enough;
      child.kill('SIGKILL'); // mid-stream: 8 appends are in flight
      const { signal } = await exited(child);
      expect(signal, stderr).toBe('SIGKILL');
      for (const id of acked) ackedAll.add(id);

      // Reopen read-write (WAL recovery) and check every batch ever written.
      const store = await openStore(dir);
      const rows = await collect(store, { metadata: [{ field: 'sourcetype', patterns: ['crash:test'] }] });
      await store.close();
      const batches = new Map<number, number[]>();
      for (const e of rows) {
        const { batch, i } = JSON.parse(e._raw) as { batch: number; i: number };
        expect(e.source).toBe(`batch-${batch}`);
        const list = batches.get(batch) ?? [];
        list.push(i);
        batches.set(batch, list);
      }
      for (const id of ackedAll) expect(batches.has(id), `acknowledged batch ${id} is missing`).toBe(true);
      for (const [id, list] of batches) {
        // Present means whole and once: exactly i = 0..99.
        expect(list.sort((a, b) => a - b), `batch ${id}`).toEqual(Array.from({ length: 100 }, (_, i) => i));
      }
      // Unacknowledged batches may be present (committed, killed before the ack was printed), at most the 8 in flight.
      const extra = [...batches.keys()].filter((id) => !ackedAll.has(id) && id >= round * 1_000_000);
      expect(extra.length).toBeLessThanOrEqual(8);
    }
  }, 60_000);

  it('lets another process read (read-only) while this one writes, seeing whole batches only', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.append([{ _time: 1_700_000_000, index: 'main', sourcetype: 's', source: 's', host: 'h', _raw: 'first' }]);
    const total = 1 + 60 * 50;
    const child = spawnTs(join(FIXTURES, 'read-child.ts'), [dir, String(total)]);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const counts: number[] = [];
    const ready = new Promise<void>((resolve) =>
      onLines(child, (line) => {
        if (line === 'ready') resolve();
        const m = /^count (\d+)$/.exec(line);
        if (m) counts.push(Number(m[1]));
      }),
    );
    await ready;
    for (let b = 0; b < 60; b++) {
      await store.append(
        Array.from({ length: 50 }, (_, i) => ({ _time: 1_700_000_000 + b, index: 'main', sourcetype: 's', source: 's', host: 'h', _raw: `${b}-${i}` })),
      );
      await new Promise((r) => setTimeout(r, 3));
    }
    const { code } = await exited(child);
    await store.close();
    expect(code, stderr).toBe(0);
    expect(counts.at(-1)).toBe(total);
    expect(counts.length).toBeGreaterThan(2);
    for (let i = 0; i < counts.length; i++) {
      expect((counts[i]! - 1) % 50).toBe(0);
      if (i > 0) expect(counts[i]!).toBeGreaterThanOrEqual(counts[i - 1]!);
    }
  }, 60_000);
});
