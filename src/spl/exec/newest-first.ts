import type { Result } from '../../events/result.js';
import { toNumber, type Scalar } from '../../events/value.js';
import type { ReadBound, Sink } from '../commands/types.js';

/**
 * Which event the rows now flowing descend from, for searches over an unordered source (files).
 * `tap` is the first operator: it notes each event's original `_time` and arrival before any command
 * can change them. Streaming commands emit a row's descendants while it is being pushed, so a later
 * `NewestFirst` reads here the event of every row it receives, whatever the commands did to `_time`
 * or whether they built new rows (table) or several (mvexpand). The planner never puts a command that
 * holds its input (eventstats) between the two.
 */
export class Retrieval {
  /** Original `_time` of the event being pushed (-Infinity when it has none). */
  time = -Infinity;
  /** Arrival number of that event. */
  seq: number;

  /**
   * `base`: the arrival number before the first event. A partition of a search split over threads counts
   * from its own base (spl/exec/partitions.ts), so numbers grow in source order across partitions.
   */
  constructor(base = 0) {
    this.seq = base;
  }

  tap(next: Sink): Sink {
    return {
      push: (r) => {
        const v = r.get('_time');
        this.time = v === null || Array.isArray(v) ? -Infinity : (toNumber(v as Scalar) ?? -Infinity);
        this.seq++;
        next.push(r);
      },
      end: () => next.end(),
    };
  }
}

/** Rows a bounded sort holds at least before it drops those its reader will not read (`ReadBound`). */
const MIN_BOUNDED_HOLD = 4096;

/**
 * Buffers rows and releases them in Splunk's search order: events newest first by their original
 * `_time`; events with equal times in the reverse of their arrival (a later line of a file counts as
 * newer); the rows of one event in the order the commands made them. Memory is bounded by the rows that
 * reach this point, not by the events read; in front of `head N`/`tail N` (`bound`), by twice N (at least
 * MIN_BOUNDED_HOLD): it drops, as they come, the rows that would not be among the first or last N.
 */
export class NewestFirst implements Sink {
  // Each row's event time and arrival in typed arrays beside the rows: an object per row was ~30 B promoted
  // (a search may keep 100k rows here to its end) and its allocation most of the push.
  private rows: Result[] = [];
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private readonly hold: number;
  constructor(
    private readonly next: Sink,
    private readonly retrieval: Retrieval,
    private readonly bound: ReadBound | null = null,
  ) {
    this.hold = bound === null ? Infinity : Math.max(MIN_BOUNDED_HOLD, 2 * bound.rows);
  }

  /** Rows held now. */
  get held(): number {
    return this.rows.length;
  }

  push(r: Result): void {
    const n = this.rows.length;
    if (n === this.times.length) {
      this.times = grown(this.times);
      this.seqs = grown(this.seqs);
    }
    this.times[n] = this.retrieval.time;
    this.seqs[n] = this.retrieval.seq;
    this.rows.push(r);
    if (n + 1 >= this.hold) this.keepBound();
  }

  end(): void {
    const { rows } = this;
    const order = this.order();
    this.rows = [];
    for (const i of order) this.next.push(rows[i]!);
    this.next.end();
  }

  /** The positions of the rows held, in search order. */
  private order(): number[] {
    const { times: t, seqs: s } = this;
    const order = Array.from({ length: this.rows.length }, (_, i) => i);
    // Array.prototype.sort is stable: the rows of one event keep their order.
    order.sort((a, b) => (t[a] === t[b] ? s[b]! - s[a]! : t[b]! - t[a]!));
    return order;
  }

  /**
   * Keeps only the first (or last) `bound.rows` rows in search order, in that order: a row dropped now would be
   * dropped at the end too, and rows of one event that come later are still placed after those kept (stable sort).
   */
  private keepBound(): void {
    const { rows: n, from } = this.bound!;
    const order = this.order();
    const kept = from === 'start' ? order.slice(0, n) : order.slice(Math.max(0, order.length - n));
    const rows: Result[] = [];
    const times = new Float64Array(Math.max(1024, this.hold + 1));
    const seqs = new Float64Array(times.length);
    kept.forEach((i, k) => {
      rows.push(this.rows[i]!);
      times[k] = this.times[i]!;
      seqs[k] = this.seqs[i]!;
    });
    this.rows = rows;
    this.times = times;
    this.seqs = seqs;
  }
}

function grown(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
