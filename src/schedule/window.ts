import { resolveTimeModifier } from '../spl/time/modifiers.js';
import type { Schedule } from '../detections/detection.js';

/**
 * The search window of a scheduled run: the detection's earliest/latest modifiers resolved against the
 * *scheduled* time (not the moment the run actually starts), so a delayed or caught-up run searches
 * exactly the window it was scheduled for. For the ES default (`-70m@m` .. `-10m@m`, hourly) consecutive
 * windows tile time without gaps or overlaps.
 */
export function searchWindow(schedule: Pick<Schedule, 'earliest' | 'latest'>, scheduledTime: number, tz = 'UTC'): { earliest: number; latest: number } {
  return {
    earliest: resolveTimeModifier(schedule.earliest, scheduledTime, tz),
    latest: resolveTimeModifier(schedule.latest, scheduledTime, tz),
  };
}

/**
 * Splunk's schedule_window: how long a run may be delayed to spread load. `auto` spreads detections
 * deterministically over up to a quarter of their period (at most 15 minutes), by detection id, so the
 * same detection always starts at the same offset. The window searched does not change (see searchWindow).
 */
export function startDelaySeconds(detectionId: string, scheduleWindow: 'auto' | number, periodSeconds: number): number {
  const max = scheduleWindow === 'auto' ? Math.min(periodSeconds / 4, 900) : scheduleWindow * 60;
  if (max <= 0) return 0;
  let h = 2166136261;
  for (let i = 0; i < detectionId.length; i++) h = Math.imul(h ^ detectionId.charCodeAt(i), 16777619) >>> 0;
  return Math.floor((h / 4294967296) * max);
}
