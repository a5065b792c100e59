import { describe, expect, it } from 'vitest';
import { MAX_MERGED_CHUNKS, segmentsToMerge, TIER_RATIO } from '../../src/acceleration/merge-policy.js';
import type { SegmentInfo } from '../../src/acceleration/summary-db.js';

/**
 * Tiered compaction: a bucket fed one chunk at a time keeps at most `maxSegments` segments that are not
 * full, merges only segments of similar size, and rewrites each row a few times, not once per compaction.
 */
interface Run {
  /** Rows written (chunks, then every merge's output) per row ingested. */
  amplification: number;
  /** Most segments that were not full after a compaction. */
  mostOpen: number;
  merges: SegmentInfo[][];
  final: SegmentInfo[];
}

function feed(chunks: readonly number[], maxSegments: number, maxRows: number): Run {
  let segs: SegmentInfo[] = [];
  let id = 0;
  let written = 0;
  let ingested = 0;
  let mostOpen = 0;
  const merges: SegmentInfo[][] = [];
  for (const rows of chunks) {
    segs.push({ id: ++id, bucket: 0, rows });
    written += rows;
    ingested += rows;
    for (let m = segmentsToMerge(segs, maxSegments, maxRows); m !== null; m = segmentsToMerge(segs, maxSegments, maxRows)) {
      merges.push(m);
      const merged = m.reduce((a, s) => a + s.rows, 0);
      segs = [...segs.filter((s) => !m.includes(s)), { id: ++id, bucket: 0, rows: merged }];
      written += merged;
    }
    mostOpen = Math.max(mostOpen, segs.filter((s) => s.rows <= maxRows / 2).length);
  }
  return { amplification: written / ingested, mostOpen, merges, final: segs };
}

const CHUNK = 20_000;
const CAP = MAX_MERGED_CHUNKS * CHUNK;
/** An hour at 50k events/s as the builder writes it: three chunks a second. */
const busyHour = Array.from({ length: 3600 }, () => [CHUNK, CHUNK, 10_000]).flat();
/** A quiet hour: a hundred events a second. */
const quietHour = Array.from({ length: 3600 }, () => 100);

describe('tiered compaction of a bucket', () => {
  it('leaves a bucket with at most maxSegments segments and no full tier alone', () => {
    // Seven of each size: a tier needs eight (maxSegments / 2).
    const segs = [...Array(7).fill(100), ...Array(7).fill(1000), 30_000, 90_000].map((rows, i) => ({ id: i + 1, bucket: 0, rows }));
    expect(segmentsToMerge(segs, 16, CAP)).toBeNull();
    // An eighth segment of a size completes its tier: it merges though the bucket is not over the count.
    expect(segmentsToMerge([...segs.slice(0, 15), { id: 99, bucket: 0, rows: 110 }], 16, CAP)!.map((s) => s.rows)).toEqual([...Array(7).fill(100), 110]);
  });

  it('merges the biggest group of similar sizes, never a small segment into a big one', () => {
    const sizes = [100, 120, 150, 90, 5000, 5200, 4800, 6000, 5100, 20_000, 20_000, 30, 40, 10, 15, 12, 11];
    const segs = sizes.map((rows, i) => ({ id: i + 1, bucket: 0, rows }));
    const m = segmentsToMerge(segs, 16, 1_000_000)!;
    // Groups (each within 4x of its smallest): 10..40 (6), 90..150 (4), 4800..6000 (5), 20000 x2: the biggest, up to 8.
    expect(m.map((s) => s.rows)).toEqual([10, 11, 12, 15, 30, 40]);
  });

  it('keeps at most maxSegments open segments and rewrites each row a few times over a busy hour', () => {
    const run = feed(busyHour, 16, CAP);
    expect(run.mostOpen).toBeLessThanOrEqual(16);
    for (const m of run.merges) {
      const rows = m.map((s) => s.rows);
      expect(Math.max(...rows)).toBeLessThanOrEqual(TIER_RATIO * Math.min(...rows));
      expect(rows.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(CAP);
    }
    // Re-encoding the whole bucket at each compaction (as before) rewrote every row ~340 times over this hour.
    expect(run.amplification).toBeLessThan(5);
    expect(run.final.reduce((a, s) => a + s.rows, 0)).toBe(busyHour.reduce((a, b) => a + b, 0));
    // Full segments (more than half of the cap) are left as they are: the bucket holds a few hundred.
    expect(run.final.filter((s) => s.rows > CAP / 2).length).toBeGreaterThan(300);
  });

  it('keeps a quiet hour in a few segments, rewriting each row a few times', () => {
    const run = feed(quietHour, 16, CAP);
    expect(run.final.length).toBeLessThanOrEqual(17);
    expect(run.amplification).toBeLessThan(6); // ~113 when the whole bucket was re-encoded
  });

  it('still brings the count down when sizes are too far apart to tier, and with a small maxSegments', () => {
    const segs = [1, 10, 100, 1000, 10_000].map((rows, i) => ({ id: i + 1, bucket: 0, rows }));
    expect(segmentsToMerge(segs, 4, CAP)!.map((s) => s.rows)).toEqual([1, 10]);
    const run = feed(quietHour, 2, CAP);
    expect(run.mostOpen).toBeLessThanOrEqual(2);
  });
});
