import type { EventSource, ScanRequest } from '../events/scan.js';
import type { BucketSpan } from '../store/types.js';
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
      const segments = this.o.db.segments(key, Math.max(lo, state.boundary), hi, this.o.bucketSeconds).map((s) => ({ seg: this.segment(s.id, s.rows), bucket: s.bucket }));
      return { state, segments };
    });
    if (snap === null) return null;
    const { state, segments } = snap;
    // Only the buckets of the hours read (a store keeps far more hours than a search reads).
    const held = heldSpans(this.o.store.bucketSpans(Math.max(lo, state.boundary), hi));
    let remainder: EventSource | null = null;
    if (!only) {
      if (last - state.builtSeq > this.o.maxRemainderEvents) return null;
      remainder = remainderSource(this.o.store, state.builtSeq, last, state.boundary);
    }
    return {
      remainder,
      rows: (where, names, source, take) => {
        for (const { seg, bucket } of segments) {
          const rows = segmentRows(seg, scan, where, names, source);
          const row = new SegmentRow(seg);
          const kept = keptRows(seg, bucket, this.o.bucketSeconds, held);
          if (rows === null) {
            for (let r = 0; r < seg.times.length; r++) {
              if (kept !== null && !kept(r)) continue;
              row.at = r;
              take(row);
            }
          } else {
            for (const r of rows) {
              if (kept !== null && !kept(r)) continue;
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

/** Each index's bucket spans, by start. */
function heldSpans(spans: readonly BucketSpan[]): Map<string, BucketSpan[]> {
  const out = new Map<string, BucketSpan[]>();
  for (const s of spans) {
    const l = out.get(s.index);
    if (l) l.push(s);
    else out.set(s.index, [s]);
  }
  for (const l of out.values()) l.sort((a, b) => a.start - b.start);
  return out;
}

/** Whether `t` is inside one of `spans` (sorted by start, not overlapping). */
function inSpans(spans: readonly BucketSpan[], t: number): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = spans[mid]!;
    if (t < s.start) hi = mid - 1;
    else if (t >= s.end) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * Which rows of a segment (of the summary bucket starting at `bucket`) are of events the store still holds: a
 * summary outlives the events retention or a deleted index removed, and tstats must not count them (with
 * summariesonly=false it would give rows a search of the events does not; Splunk removes a bucket's summary
 * with the bucket). Null: all of them, the usual case (every index of the segment holds the whole hour).
 */
function keptRows(seg: Segment, bucket: number, bucketSeconds: number, held: ReadonlyMap<string, readonly BucketSpan[]>): ((r: number) => boolean) | null {
  const f = seg.fields.indexOf('index');
  if (f < 0) return null;
  const lexicon = seg.lexicons[f]!;
  // Per index id: 1 every row kept, 0 none, the spans: each row's time tested. A row without an index is kept.
  const status: (0 | 1 | readonly BucketSpan[])[] = [1];
  let all = true;
  for (const v of lexicon) {
    const spans = typeof v === 'string' ? held.get(v) : undefined;
    if (spans === undefined) status.push(0);
    else if (spans.some((s) => s.start <= bucket && s.end >= bucket + bucketSeconds)) {
      status.push(1);
      continue;
    } else status.push(spans);
    all = false;
  }
  if (all) return null;
  const ids = seg.ids[f]!;
  return (r) => {
    const s = status[ids[r]!]!;
    if (s === 0 || s === 1) return s === 1;
    const t = seg.times[r]!;
    // A row without a numeric time was bucketed by its event's: kept when its index holds some of the hour.
    return Number.isNaN(t) ? true : inSpans(s, t);
  };
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
