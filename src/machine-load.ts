import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/**
 * Threads of other processes running on the machine now: /proc/loadavg's count of runnable threads less this
 * process's (Linux: /proc/self/task), else the 1-minute load average less one. That average lags: the phases
 * `npm run bench` had just run kept it above 1.5 on an otherwise idle 2-core machine, and a helper thread never
 * started there. This process's own threads are not counted: at start-up V8 compiles on its own threads, which then
 * made an idle machine look busy to 5 of 8 `vigil run --all` starts (the read thread declined).
 */
export function othersRunning(): number {
  try {
    const runnable = /^\S+ \S+ \S+ (\d+)\//.exec(readFileSync('/proc/loadavg', 'latin1'));
    if (runnable !== null) return Math.max(0, Number(runnable[1]) - ownRunnable());
  } catch {
    // not Linux: the load average below
  }
  return Math.max(0, (loadavg()[0] as number) - 1);
}

/** This process's runnable threads (Linux; at least this one). */
function ownRunnable(): number {
  let n = 0;
  try {
    for (const task of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${task}/stat`, 'latin1');
      // The state follows the command name's closing parenthesis (the name may hold one).
      if (stat.charAt(stat.lastIndexOf(')') + 2) === 'R') n++;
    }
  } catch {
    // a task ended while listed: what was counted
  }
  return Math.max(1, n);
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
