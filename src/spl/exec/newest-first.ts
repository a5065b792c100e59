import type { Result } from '../../events/result.js';
import { toNumber, type Scalar } from '../../events/value.js';
import type { Sink } from '../commands/types.js';

/**
 * Buffers rows and releases them in Splunk's search order: `_time` descending; rows with equal times
 * keep the reverse of their arrival order (later lines of a file count as newer). Used before
 * order-sensitive commands when the source is not already ordered (files), so memory is bounded by the
 * rows that reach this point, not by the events read.
 */
export class NewestFirst implements Sink {
  private rows: { t: number; i: number; r: Result }[] = [];
  constructor(private readonly next: Sink) {}

  push(r: Result): void {
    const v = r.get('_time');
    const t = v === null || Array.isArray(v) ? -Infinity : (toNumber(v as Scalar) ?? -Infinity);
    this.rows.push({ t, i: this.rows.length, r });
  }

  end(): void {
    this.rows.sort((a, b) => b.t - a.t || b.i - a.i);
    for (const x of this.rows) this.next.push(x.r);
    this.rows = [];
    this.next.end();
  }
}
