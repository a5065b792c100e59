import type { Event } from '../events/event.js';
import type { EventSource } from '../events/scan.js';
import type { Result } from '../events/result.js';
import { eventResult, type DerivedFields } from '../normalize/event-result.js';
import type { LookupProvider } from '../spl/lookups.js';
import type { DatasetEvaluator } from '../spl/datamodel/types.js';
import type { BucketSpan } from '../store/types.js';
import type { AcceleratedDataset } from './datasets.js';
import { MAX_MERGED_CHUNKS, segmentsToMerge } from './merge-policy.js';
import { SegmentBuilder } from './segment.js';
import type { DatasetState, SummaryDb } from './summary-db.js';

/** The store as the builder follows it: by seq, from the last summarized one to the last committed one. */
export interface FollowedStore {
  lastSeq(): number;
  /** The events with seqs `from`..`to`, both included. */
  seqRange(from: number, to: number): EventSource;
  /** The buckets the indexes hold over `[from, to)`: summary rows of events outside them were deleted (retention, a deleted index). */
  bucketSpans(from: number, to: number): readonly BucketSpan[];
}

/** What the builder reads: the same events as `seqRange`, in no particular order (a summary does not keep one). */
export interface SummarizedStore {
  lastSeq(): number;
  seqEvents(from: number, to: number): AsyncIterable<Event[]>;
}

export interface BuilderOptions {
  db: SummaryDb;
  store: SummarizedStore;
  datasets: readonly AcceleratedDataset[];
  /** Summary range per data model (seconds; null: all time). */
  ranges: ReadonlyMap<string, number | null>;
  derived: DerivedFields | null;
  lookups: LookupProvider;
  tz: string;
  /** Seconds per summary bucket (the unit of pruning and compaction). */
  bucketSeconds: number;
  /** Events read and summarized per transaction. */
  chunkEvents: number;
  /** A bucket with more segments than this (not counting full ones) has its smaller ones merged (merge-policy.ts). */
  maxSegmentsPerBucket: number;
  now: () => number;
  log?: (level: 'warn', message: string) => void;
}

/** A boundary older than any event: "summarize all time". */
export const ALL_TIME = -9e15;

/**
 * Keeps the summaries of the accelerated datasets up to date with the store: reads the events committed
 * since the last summarized seq (in chunks, so memory stays bounded however far behind it is), evaluates
 * each dataset once per event (constraints and calculated fields), and writes the rows as segments together
 * with the new seq in one transaction, so a restart resumes exactly where it stopped. A dataset whose
 * definition hash changed, or summarized past the store's last seq (another store), starts over; summaries older
 * than the summary range are dropped.
 */
export class SummaryBuilder {
  private readonly states = new Map<string, DatasetState>();
  private readonly evaluators = new Map<string, DatasetEvaluator>();
  private running: Promise<number> | null = null;

  constructor(private readonly o: BuilderOptions) {
    const wanted = new Map(o.datasets.map((d) => [d.key, d]));
    const last = o.store.lastSeq();
    o.db.write(() => {
      for (const s of o.db.states()) if (!wanted.has(s.key)) o.db.dropDataset(s.key);
      for (const d of o.datasets) {
        const s = o.db.state(d.key);
        if (s && s.hash === d.hash && s.builtSeq <= last) {
          this.states.set(d.key, s);
          continue;
        }
        // New, built with another definition, or built from another store (vigil.db deleted or emptied, summaries.db
        // kept: its new events, numbered from 1 again, counted as summarized and tstats missed them): start over.
        o.db.clearSegments(d.key);
        const fresh: DatasetState = { key: d.key, hash: d.hash, builtSeq: 0, boundary: this.boundaryOf(d.model), caughtUpAt: 0, error: null };
        o.db.setState(fresh);
        this.states.set(d.key, fresh);
      }
    });
    for (const d of o.datasets) {
      this.evaluators.set(d.key, d.dataset.evaluator({ now: o.now(), tz: o.tz, lookups: o.lookups, warn: (m) => this.noteError(d.key, m) }));
    }
  }

  /** Resolves once no catch-up is running (whatever its outcome). */
  async settled(): Promise<void> {
    await this.running?.catch(() => 0);
  }

  state(key: string): DatasetState | null {
    return this.states.get(key) ?? null;
  }

  /** Summarizes every event committed so far (one catch-up at a time; a call during one waits for it). Returns events read. */
  catchUp(signal?: AbortSignal): Promise<number> {
    if (!this.running) this.running = this.run(signal).finally(() => (this.running = null));
    return this.running;
  }

  private async run(signal?: AbortSignal): Promise<number> {
    this.prune();
    const last = this.o.store.lastSeq();
    let read = 0;
    for (;;) {
      signal?.throwIfAborted();
      const behind = this.o.datasets.filter((d) => this.states.get(d.key)!.builtSeq < last);
      if (behind.length === 0) break;
      // The datasets furthest behind go first; a chunk never passes the next dataset's position, so
      // datasets at the same seq share one read.
      const from = Math.min(...behind.map((d) => this.states.get(d.key)!.builtSeq)) + 1;
      const ahead = behind.map((d) => this.states.get(d.key)!.builtSeq).filter((s) => s >= from);
      const to = Math.min(from + this.o.chunkEvents - 1, last, ...ahead);
      const group = behind.filter((d) => this.states.get(d.key)!.builtSeq === from - 1);
      read += await this.summarize(group, from, to, to === last);
      await new Promise((r) => setImmediate(r));
    }
    const now = this.o.now();
    this.o.db.write(() => {
      for (const s of this.states.values()) {
        if (s.builtSeq < last) continue;
        s.caughtUpAt = now;
        this.o.db.setState(s);
      }
    });
    return read;
  }

  private async summarize(group: readonly AcceleratedDataset[], from: number, to: number, caughtUp: boolean): Promise<number> {
    const targets = group.map((d) => new ChunkTarget(d, this.states.get(d.key)!.boundary, this.evaluators.get(d.key)!, this.o.bucketSeconds, to - from + 1));
    let read = 0;
    for await (const batch of this.o.store.seqEvents(from, to)) {
      for (const e of batch) {
        read++;
        const row = eventResult(e, this.o.derived);
        for (const t of targets) {
          try {
            t.evaluate(e, row);
          } catch (err) {
            // The raw path meets the same event (and reports it); the summary goes on without its rows.
            this.noteError(t.dataset.key, `event at ${e._time}: ${(err as Error).message}`);
          }
        }
      }
    }
    const now = this.o.now();
    const compact: [string, number][] = [];
    this.o.db.write(() => {
      for (const { dataset: d, buckets } of targets) {
        for (const [bucket, sb] of buckets) {
          this.o.db.insert(d.key, bucket, sb.build());
          compact.push([d.key, bucket]);
        }
        const s = this.states.get(d.key)!;
        s.builtSeq = to;
        if (caughtUp) s.caughtUpAt = now;
        this.o.db.setState(s);
      }
    });
    for (const [key, bucket] of compact) this.compact(key, bucket);
    return read;
  }

  /** Merges a bucket's segments while it holds too many (tiered: merge-policy.ts). */
  private compact(key: string, bucket: number): void {
    const d = this.o.datasets.find((x) => x.key === key)!;
    for (;;) {
      const merge = segmentsToMerge(this.o.db.bucketSegments(key, bucket), this.o.maxSegmentsPerBucket, MAX_MERGED_CHUNKS * this.o.chunkEvents);
      if (merge === null) return;
      const sb = new SegmentBuilder(d.fields, merge.reduce((n, s) => n + s.rows, 0));
      for (const s of merge) sb.addSegment(this.o.db.load(s.id, s.rows));
      this.o.db.write(() => {
        this.o.db.deleteSegments(merge.map((s) => s.id));
        this.o.db.insert(key, bucket, sb.build());
      });
    }
  }

  /** Moves each dataset's boundary to the start of its summary range, dropping older buckets. */
  private prune(): void {
    this.o.db.write(() => {
      for (const d of this.o.datasets) {
        const s = this.states.get(d.key)!;
        const b = this.boundaryOf(d.model);
        if (b <= s.boundary) continue;
        this.o.db.dropBefore(d.key, b);
        s.boundary = b;
        this.o.db.setState(s);
      }
    });
  }

  private boundaryOf(model: string): number {
    const range = this.o.ranges.get(model) ?? null;
    if (range === null) return ALL_TIME;
    const b = this.o.bucketSeconds;
    return Math.floor((this.o.now() - range) / b) * b;
  }

  private noteError(key: string, message: string): void {
    const s = this.states.get(key);
    if (!s || s.error === message) return;
    if (s.error === null) this.o.log?.('warn', `summary of ${key}: ${message}`);
    s.error = message;
  }
}

/** One dataset's rows of one chunk, by bucket. */
class ChunkTarget {
  readonly buckets = new Map<number, SegmentBuilder>();
  /** The event being evaluated (its time buckets a row whose `_time` is not a number). */
  private event: Event | null = null;
  private lastBucket = NaN;
  private last: SegmentBuilder | null = null;
  /** Bound once: the evaluator's callback for every row of the chunk. */
  private readonly add = (r: Result): void => {
    const t = r.get('_time');
    const b = typeof t === 'number' ? Math.floor(t / this.bucketSeconds) * this.bucketSeconds : this.event!._time;
    if (b !== this.lastBucket) {
      let sb = this.buckets.get(b);
      // The first bucket of a chunk usually gets all of its rows; another, a few (it grows if not).
      if (!sb) this.buckets.set(b, (sb = new SegmentBuilder(this.dataset.fields, this.buckets.size === 0 ? this.chunkEvents : 256)));
      this.last = sb;
      this.lastBucket = b;
    }
    this.last!.add(r);
  };

  constructor(
    readonly dataset: AcceleratedDataset,
    private readonly boundary: number,
    private readonly evaluator: DatasetEvaluator,
    private readonly bucketSeconds: number,
    private readonly chunkEvents: number,
  ) {}

  evaluate(e: Event, row: Result): void {
    if (e._time < this.boundary) return;
    this.event = e;
    this.evaluator.evaluate(row, this.add);
  }
}
