import type { SegmentInfo } from './summary-db.js';

/** Segments whose sizes are within this factor of a tier's smallest merge together. */
export const TIER_RATIO = 4;

/** A merged segment holds at most this many chunks' rows (`chunk_events` each): the memory of a merge. */
export const MAX_MERGED_CHUNKS = 10;

/**
 * Tiered compaction of one bucket (the way LSM trees and Lucene's merge policies bound the work): which
 * segments to merge into one next, or null when the bucket may stay as it is. Segments with more than
 * half of `maxRows` are full and stay as they are; when more than `maxSegments` others remain, up to
 * `maxSegments / 2` (at least 2) of similar size (each within TIER_RATIO of the smallest) merge, the
 * biggest such group first, the smallest of equal groups. Each row is then rewritten about once per
 * tier (a few times over an hour of ingest) instead of at every compaction, as re-encoding the whole
 * bucket did. Sizes too far apart to tier: the two smallest merge.
 */
export function segmentsToMerge(segs: readonly SegmentInfo[], maxSegments: number, maxRows: number): SegmentInfo[] | null {
  const open = segs.filter((s) => s.rows <= maxRows / 2).sort((a, b) => a.rows - b.rows || a.id - b.id);
  if (open.length <= maxSegments) return null;
  const factor = Math.max(2, Math.floor(maxSegments / 2));
  let best: SegmentInfo[] | null = null;
  let bestRows = 0;
  for (let a = 0; a < open.length; a++) {
    const group = [open[a]!];
    let rows = open[a]!.rows;
    for (let b = a + 1; b < open.length && group.length < factor; b++) {
      const s = open[b]!;
      if (s.rows > TIER_RATIO * open[a]!.rows || rows + s.rows > maxRows) break;
      group.push(s);
      rows += s.rows;
    }
    if (group.length < 2) continue;
    if (best === null || group.length > best.length || (group.length === best.length && rows < bestRows)) {
      best = group;
      bestRows = rows;
    }
  }
  return best ?? [open[0]!, open[1]!];
}
