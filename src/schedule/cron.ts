import type { Cron } from 'croner';
import { parseCron } from '../detections/cron.js';

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week) evaluated in a time zone, as
 * Splunk's scheduler does for `cron_schedule`. Across DST changes a wall time that does not exist runs
 * at the first minute after the gap, and a wall time that occurs twice runs once.
 */
export class CronSchedule {
  private readonly cron: Cron;

  constructor(
    readonly expression: string,
    readonly tz = 'UTC',
  ) {
    this.cron = parseCron(expression, tz);
  }

  /** The first scheduled time strictly after `after` (epoch seconds), or null if none. */
  next(after: number): number | null {
    const d = this.cron.nextRun(new Date(Math.floor(after) * 1000 + 1));
    return d ? d.getTime() / 1000 : null;
  }

  /** Scheduled times t with from < t <= to, oldest first (at most `limit`). */
  between(from: number, to: number, limit = 100_000): number[] {
    const out: number[] = [];
    let t = this.next(from);
    while (t !== null && t <= to && out.length < limit) {
      out.push(t);
      t = this.next(t);
    }
    return out;
  }

  /** The typical period in seconds (distance between the next two runs), for spreading starts. */
  period(around: number): number {
    const a = this.next(around);
    const b = a === null ? null : this.next(a);
    return a !== null && b !== null ? b - a : 3600;
  }
}
