import type { Result } from '../../events/result.js';
import { toNumber, type Scalar } from '../../events/value.js';
import type { Sink } from '../commands/types.js';

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

/**
 * Buffers rows and releases them in Splunk's search order: events newest first by their original
 * `_time`; events with equal times in the reverse of their arrival (a later line of a file counts as
 * newer); the rows of one event in the order the commands made them. Memory is bounded by the rows that
 * reach this point, not by the events read.
 */
export class NewestFirst implements Sink {
  private rows: { t: number; s: number; r: Result }[] = [];
  constructor(
    private readonly next: Sink,
    private readonly retrieval: Retrieval,
  ) {}

  push(r: Result): void {
    this.rows.push({ t: this.retrieval.time, s: this.retrieval.seq, r });
  }

  end(): void {
    // Array.prototype.sort is stable: the rows of one event keep their order.
    this.rows.sort((a, b) => (a.t === b.t ? b.s - a.s : b.t - a.t));
    for (const x of this.rows) this.next.push(x.r);
    this.rows = [];
    this.next.end();
  }
}
