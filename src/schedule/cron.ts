import type { Cron } from 'croner';
import { parseCron } from '../detections/cron.js';
import { zoneOffsetSeconds } from '../spl/time/zone.js';

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week) evaluated in a time zone, as
 * Splunk's scheduler does for `cron_schedule`. Across DST changes wall times that do not exist run once, at
 * the first minute after the gap (as Vixie cron does), and a single wall time that occurs twice runs once.
 */
export class CronSchedule {
  private readonly cron: Cron;
  /** The same pattern read in UTC: it matches wall times, those a DST gap skips included (null in UTC). */
  private readonly wall: Cron | null;

  constructor(
    readonly expression: string,
    readonly tz = 'UTC',
  ) {
    this.cron = parseCron(expression, tz);
    this.wall = tz === 'UTC' ? null : parseCron(expression, 'UTC');
  }

  /** The first scheduled time strictly after `after` (epoch seconds), or null if none. */
  next(after: number): number | null {
    const d = this.cron.nextRun(new Date(Math.floor(after) * 1000 + 1));
    const t = d ? d.getTime() / 1000 : null;
    return this.gapRun(Math.floor(after), t) ?? t;
  }

  /**
   * The end of a DST gap in (after, t] whose skipped wall times match: croner runs a single such time there
   * (`30 2 * * *`) but drops stepped or listed ones (`0-59/20 2 * * *`: no run that day). Null when none.
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
