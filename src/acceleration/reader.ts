import type { EventSource, ScanRequest } from '../events/scan.js';
import type { CompiledDataset } from '../spl/datamodel/types.js';
import type { DatasetSummaries, SummaryRead, SummaryScope } from '../spl/datamodel/summaries.js';
import { datasetKey, definitionHash } from './datasets.js';
import { SegmentRow, type Segment } from './segment.js';
import { segmentRows } from './segment-query.js';
import type { SummaryDb } from './summary-db.js';
import type { FollowedStore } from './builder.js';

export interface ReaderOptions {
  db: SummaryDb;
  /** The store the raw remainder is read from (the search's own connection). */
  store: FollowedStore & EventSource;
  bucketSeconds: number;
  /**
   * Most unsummarized events (by seq) read back raw beside the summaries; further behind, the search reads
   * raw events only (the remainder is a list of seqs).
   */
  maxRemainderEvents: number;
  /** Decoded segments kept between searches (segments never change: a compaction writes a new one). */
  maxCachedRows: number;
}

/**
 * Summaries as searches read them (the SPL engine's DatasetSummaries): the summarized rows of a dataset, and
 * as the remainder the raw events that are not in them: events older than the summary range, and events
 * committed after the last summarized seq. Every event of the store is in exactly one of the two.
 */
export class SummaryReader implements DatasetSummaries {
  private readonly cache = new Map<number, Segment>();
  private cachedRows = 0;
  private readonly hashes = new WeakMap<CompiledDataset, string>();

  constructor(private readonly o: ReaderOptions) {}

  forScan(scan: ScanRequest): SummaryScope {
    return {
      read: (ds, only, warn) => {
        try {
          return this.read(ds, only, scan);
        } catch (e) {
          // Never a wrong answer from a damaged summaries.db: the raw events give the same rows, slower.
          warn(`tstats: the summaries of ${datasetKey(ds.resolved)} cannot be read (${(e as Error).message}); reading raw events instead. To rebuild them, stop vigil serve and delete summaries.db in its data directory.`);
          return null;
        }
      },
    };
  }

  private read(ds: CompiledDataset, only: boolean, scan: ScanRequest): SummaryRead | null {
    let hash = this.hashes.get(ds);
    if (hash === undefined) this.hashes.set(ds, (hash = definitionHash(ds)));
    const key = datasetKey(ds.resolved);
    const lo = scan.earliest ?? -Infinity;
    const hi = scan.latest ?? Infinity;
    const last = this.o.store.lastSeq();
    const snap = this.o.db.snapshot(() => {
      const state = this.o.db.state(key);
      // Summarized past the store's last seq: built from another store (until the builder starts over), not this one.
      if (!state || state.hash !== hash || state.builtSeq > last) return null;
      // Segments are loaded inside the snapshot: a compaction committed meanwhile cannot remove them.
      const segments = this.o.db.segments(key, Math.max(lo, state.boundary), hi, this.o.bucketSeconds).map((s) => this.segment(s.id, s.rows));
      return { state, segments };
    });
    if (snap === null) return null;
    const { state, segments } = snap;
    let remainder: EventSource | null = null;
    if (!only) {
      if (last - state.builtSeq > this.o.maxRemainderEvents) return null;
      remainder = remainderSource(this.o.store, state.builtSeq, last, state.boundary);
    }
    return {
      remainder,
      rows: (where, names, source, take) => {
        for (const seg of segments) {
          const rows = segmentRows(seg, scan, where, names, source);
          const row = new SegmentRow(seg);
          if (rows === null) {
            for (let r = 0; r < seg.times.length; r++) {
              row.at = r;
              take(row);
            }
          } else {
            for (const r of rows) {
              row.at = r;
              take(row);
            }
          }
        }
      },
    };
  }

  private segment(id: number, rows: number): Segment {
    let s = this.cache.get(id);
    if (s) {
      // Most recently used last.
      this.cache.delete(id);
      this.cache.set(id, s);
      return s;
    }
    s = this.o.db.load(id, rows);
    this.cache.set(id, s);
    this.cachedRows += rows;
    for (const [old, seg] of this.cache) {
      if (this.cachedRows <= this.o.maxCachedRows || old === id) break;
      this.cache.delete(old);
      this.cachedRows -= seg.times.length;
    }
    return s;
  }
}

/**
 * The raw events a summary does not hold: those before `boundary` (any seq), and those at or after it with a
 * seq past `builtSeq` (read by seq). Batches come newest first within each part, not across the two parts.
 */
function remainderSource(store: FollowedStore & EventSource, builtSeq: number, last: number, boundary: number): EventSource | null {
  return {
    newestFirst: true,
    async *scan(req, options) {
      if (last > builtSeq) {
        yield* store.seqRange(builtSeq + 1, last).scan({ ...req, earliest: Math.max(req.earliest ?? -Infinity, boundary) }, options);
      }
      if ((req.earliest ?? -Infinity) < boundary) yield* store.scan({ ...req, latest: Math.min(req.latest ?? Infinity, boundary) }, options);
    },
  };
}
