import type { SegmentInfo } from './summary-db.js';

/** Segments whose sizes are within this factor of a tier's smallest merge together. */
export const TIER_RATIO = 4;

/** A merged segment holds at most this many chunks' rows (`chunk_events` each): the memory of a merge. */
export const MAX_MERGED_CHUNKS = 25;

/**
 * Tiered compaction of one bucket (the way LSM trees and Lucene's merge policies bound the work): which
 * segments to merge into one next, or null when the bucket may stay as it is. Segments with more than
 * half of `maxRows` are full and stay as they are. Among the others, a tier is a run of similar sizes
 * (each within TIER_RATIO of the smallest), at most `maxSegments / 2` (at least 2) of them: a full tier
 * merges as soon as it forms; past `maxSegments` segments the biggest tier there is merges (the smallest of
 * equal ones), or the two smallest segments when no two sizes are close. A merge at least doubles the
 * smallest size it takes, so each row is rewritten a few times (once per tier it climbs) instead of at
 * every compaction, as re-encoding the whole bucket did.
 */
export function segmentsToMerge(segs: readonly SegmentInfo[], maxSegments: number, maxRows: number): SegmentInfo[] | null {
  const open = segs.filter((s) => s.rows <= maxRows / 2).sort((a, b) => a.rows - b.rows || a.id - b.id);
  const factor = Math.max(2, Math.floor(maxSegments / 2));
  let best: SegmentInfo[] | null = null;
  let bestRows = 0;
  for (let a = 0; a < open.length; a++) {
    const tier = [open[a]!];
    let rows = open[a]!.rows;
    for (let b = a + 1; b < open.length && tier.length < factor; b++) {
      const s = open[b]!;
      if (s.rows > TIER_RATIO * open[a]!.rows || rows + s.rows > maxRows) break;
      tier.push(s);
      rows += s.rows;
    }
    if (tier.length < 2) continue;
    if (best === null || tier.length > best.length || (tier.length === best.length && rows < bestRows)) {
      best = tier;
      bestRows = rows;
    }
  }
  if (best !== null && best.length >= factor) return best;
  if (open.length <= maxSegments) return null;
  return best ?? [open[0]!, open[1]!];
}
