import type { Cron } from 'croner';
import { parseCron } from '../detections/cron.js';
import { zoneOffsetSeconds } from '../spl/time/zone.js';

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week) evaluated in a time zone, as
 * Splunk's scheduler does for `cron_schedule`. Across DST changes it follows Vixie cron (Splunk documents
 * nothing): a fixed-time cron (neither minute nor hour starts with `*`) runs wall times a gap skips once, at the
 * first minute after it, and a wall time that occurs twice once; a wildcard one (`0 * * * *`, or every 20 minutes of 02:00)
 * runs by the clock: nothing in the gap, both repeated hours.
 */
export class CronSchedule {
  private readonly cron: Cron;
  /** For a fixed-time cron in a zone other than UTC, the same pattern read in UTC: it matches wall times. */
  private readonly wall: Cron | null;

  constructor(
    readonly expression: string,
    readonly tz = 'UTC',
  ) {
    this.cron = parseCron(expression, tz);
    const [minute, hour] = expression.trim().split(/\s+/);
    this.wall = tz === 'UTC' || minute!.startsWith('*') || hour!.startsWith('*') ? null : parseCron(expression, 'UTC');
  }

  /** The first scheduled time strictly after `after` (epoch seconds), or null if none. */
  next(after: number): number | null {
    let from = Math.floor(after);
    for (;;) {
      const d = this.cron.nextRun(new Date(from * 1000 + 1));
      const t = this.gapRun(from, d ? d.getTime() / 1000 : null) ?? (d ? d.getTime() / 1000 : null);
      if (t === null || !this.repeated(t)) return t;
      from = t;
    }
  }

  /** Whether a fixed-time cron's time `t` is a wall time that occurred before (the hour a DST change repeats). */
  private repeated(t: number): boolean {
    if (!this.wall) return false;
    const offset = zoneOffsetSeconds(t, this.tz);
    const back = zoneOffsetSeconds(t - 3 * 3600, this.tz) - offset; // how far clocks went back within 3 h, if they did
    return back > 0 && zoneOffsetSeconds(t - back, this.tz) === offset + back;
  }

  /**
   * For a fixed-time cron, the end of a DST gap in (after, t] whose skipped wall times match: croner runs a single
   * such time there (`30 2 * * *`) but drops listed or ranged ones (`15,45 2 * * *`: no run that day). Null when none.
   */
  private gapRun(after: number, t: number | null): number | null {
    if (!this.wall) return null;
    const end = t ?? after + 366 * 86400;
    // Offsets are compared a day apart (zones change at most twice a year), then the change is found by minutes.
    for (let from = after; from < end; from += 86400) {
      const to = Math.min(from + 86400, end);
      const before = zoneOffsetSeconds(from, this.tz);
      const later = zoneOffsetSeconds(to, this.tz);
      if (later <= before) continue;
      let lo = Math.floor(from / 60); // at the earlier offset
      let hi = Math.ceil(to / 60); // at the later one
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zoneOffsetSeconds(mid * 60, this.tz) === before) lo = mid;
        else hi = mid;
      }
      const gapEnd = hi * 60;
      if (gapEnd <= after) continue;
      for (let w = gapEnd + before; w < gapEnd + later; w += 60) if (this.wall.match(new Date(w * 1000))) return gapEnd;
    }
    return null;
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
