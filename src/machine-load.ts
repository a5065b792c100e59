import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/**
 * Threads running elsewhere on the machine now: /proc/loadavg's count of runnable threads less this one (Linux),
 * else the 1-minute load average less one. That average lags: the phases `npm run bench` had just run kept it
 * above 1.5 on an otherwise idle 2-core machine, and a helper thread never started there.
 */
export function othersRunning(): number {
  try {
    const runnable = /^\S+ \S+ \S+ (\d+)\//.exec(readFileSync('/proc/loadavg', 'latin1'));
    if (runnable !== null) return Number(runnable[1]) - 1;
  } catch {
    // not Linux: the load average below
  }
  return Math.max(0, (loadavg()[0] as number) - 1);
}

/**
 * Whether a core is idle for one more busy thread beside this one (the store's scan thread, a file's read
 * thread). On cores other processes keep busy, such a thread only takes time from this one and adds its own
 * (the pack over the store: 5.0 -> 6.0 s of CPU; 9.3 -> 11.0 s at load 8-9).
 */
export function coreToSpare(): boolean {
  const cores = availableParallelism();
  return cores >= 2 && othersRunning() <= cores - 1.5;
}
