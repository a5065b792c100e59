/**
 * SIGKILL while retention drops buckets under load: what survives is the newest buckets whole (never an acknowledged
 * batch newer than a bucket that survived, never part of a batch), and the bucket catalog that `indexes()` and
 * retention read agrees with the rows left. The store opens again without repair.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, exited, onLines, spawnTs, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const FIXTURES = join(import.meta.dirname, 'fixtures');
/** The child's batches: 100 events each, at 1_700_000_000 + id, 60 to a one-minute bucket. */
const bucketOf = (id: number): number => Math.floor((1_700_000_000 + id) / 60);

describe('retention killed mid-way', () => {
  it('keeps whole buckets, newest first, and a catalog that matches the rows, across SIGKILLs', async () => {
    const dir = tempDir();
    const acked = new Set<number>();
    let drops = 0;
    for (let round = 0; round < 3; round++) {
      // Each round starts where the last one's ids (and times) stopped: retention keeps dropping the oldest.
      const first = round * 100_000;
      const child = spawnTs(join(FIXTURES, 'retention-child.ts'), [dir, String(first), String(20_000_000)]);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      let roundDrops = 0;
      const want = 250 + Math.floor(Math.random() * 150);
      let roundAcks = 0;
      const enough = new Promise<void>((resolve) => {
        onLines(child, (line) => {
          const m = /^ack (\d+)$/.exec(line);
          if (m) {
            acked.add(Number(m[1]));
            roundAcks++;
          }
          if (line === 'dropped') roundDrops++;
          if (roundAcks >= want && roundDrops >= 2) resolve();
        });
        child.once('exit', () => resolve());
      });
      await enough;
      child.kill('SIGKILL');
      const { signal } = await exited(child);
      expect(signal, stderr).toBe('SIGKILL');
      drops += roundDrops;

      const store = await openStore(dir); // WAL recovery, no retention policy: nothing more is dropped
      const rows = await collect(store);
      const info = (await store.indexes()).find((i) => i.name === 'main')!;
      await store.close();
      const batches = new Map<number, number[]>();
      let bytes = 0;
      for (const e of rows) {
        const { batch, i } = JSON.parse(e._raw) as { batch: number; i: number };
        batches.set(batch, [...(batches.get(batch) ?? []), i]);
        bytes += Buffer.byteLength(e._raw);
      }
      // The catalog counts what is there (a drop is one transaction with its catalog rows).
      expect(info.events).toBe(rows.length);
      expect(info.bytes).toBe(bytes);
      for (const [id, list] of batches) {
        expect(list.sort((a, b) => a - b), `batch ${id}`).toEqual(Array.from({ length: 100 }, (_, i) => i));
      }
      // Oldest first: every acknowledged batch in or after the oldest bucket still there is there.
      const oldest = Math.min(...[...batches.keys()].map(bucketOf));
      const missing = [...acked].filter((id) => bucketOf(id) >= oldest && !batches.has(id));
      expect(missing, `acknowledged batches missing from buckets retention kept`).toEqual([]);
      // The newest bucket is never dropped: the last batch acknowledged is there.
      expect(batches.has(Math.max(...acked))).toBe(true);
    }
    expect(drops).toBeGreaterThan(0);
  }, 120_000);
});
