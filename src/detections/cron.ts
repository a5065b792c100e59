import { createRequire } from 'node:module';
import type * as Croner from 'croner';
import { VigilError } from '../errors.js';

/**
 * croner is loaded on the first parse, not with this module: the content reader imports this, and a `vigil run`
 * or `vigil search` reads its content from the snapshot and never parses a schedule (test/cli/startup.test.ts).
 */
let croner: typeof Croner | undefined;
const cronPackage = (): typeof Croner => (croner ??= createRequire(import.meta.url)('croner') as typeof Croner);

/**
 * A 5-field cron expression (minute hour day-of-month month day-of-week) as Splunk's `cron_schedule`,
 * parsed but not started; `CONFIG` error when it is not one. Here rather than in schedule/ because the
 * content reader checks every detection's schedule at load (a bad one would otherwise fail the scheduler's
 * every pass, for all detections).
 */
export function parseCron(expression: string, tz = 'UTC'): Croner.Cron {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) throw new VigilError('CONFIG', `cron schedule "${expression}" must have 5 fields (minute hour day month weekday), it has ${fields.length}`);
  fields.forEach((f, i) => checkField(expression, f, FIELDS[i]!));
  try {
    // UTC as an offset: the same times, without croner's Intl conversion per step (~20 instead of ~150 µs a run).
    const zone = tz === 'UTC' ? { utcOffset: 0 } : { timezone: tz };
    return new (cronPackage().Cron)(fields.map(stepEveryRange).join(' '), { ...zone, paused: true, domAndDow: false });
  } catch (e) {
    throw new VigilError('CONFIG', `invalid cron schedule "${expression}": ${(e as Error).message}`);
  }
}

/** Field ranges; day of week 7 is Sunday too, as in Vixie cron. */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/**
 * The syntax Splunk documents for cron_schedule (Alerting Manual, "Use cron expressions for alert scheduling"):
 * comma lists of N, I-J, * with an optional /N step. croner also takes names (MON, JAN), L, W, # and ?, which
 * Splunk does not ("The Splunk cron implementation does not currently support names of months or days",
 * savedsearches.conf.spec), and its range errors name the wrong value (13 in the month field: "month: 12").
 */
function checkField(expression: string, field: string, f: (typeof FIELDS)[number]): void {
  function bad(why: string): never {
    throw new VigilError('CONFIG', `invalid cron schedule "${expression}": ${f.name} "${field}" ${why}`);
  }
  for (const item of field.split(',')) {
    const m = /^(?:\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
    if (!m) bad(`is not N, I-J, * or one of them with a /N step, in a comma list (names of months or days, L, W, # and ? are not cron_schedule syntax)`);
    const [, lo, hi, step] = m;
    if (lo !== undefined && hi === undefined && step !== undefined) bad(`steps a single value: write ${lo}-${f.max}/${step} or */${step}`);
    for (const v of [lo, hi]) if (v !== undefined && (Number(v) < f.min || Number(v) > f.max)) bad(`has ${v}, out of ${f.min}-${f.max}`);
    if (lo !== undefined && hi !== undefined && Number(lo) > Number(hi)) bad(`has the range ${lo}-${hi}, whose start is after its end`);
    if (step !== undefined && Number(step) < 1) bad('has a step of 0');
  }
}

/**
 * Splunk's `I-J,K-L/N`: the step after the last range applies to every range of the list ("Each value in this
 * field that is an interval of /N and is within the specified ranges": `9-12,15-17/2` is 9, 11, 15 and 17;
 * Alerting Manual, "Use cron expressions for alert scheduling"). Vixie cron would step the last range only.
 */
function stepEveryRange(field: string): string {
  const items = field.split(',');
  const step = /\/(\d+)$/.exec(items[items.length - 1]!)?.[1];
  if (step === undefined || items.length < 2) return field;
  return items.map((x) => (/^\d+-\d+$/.test(x) ? `${x}/${step}` : x)).join(',');
}

/**
 * The shortest time between two runs of a cron (seconds, read in UTC over its next 500 runs from 2026), or null when it
 * runs less than twice: what savedsearches.conf's "period of the search" is at its tightest (`schedule_window` lint).
 */
export function shortestPeriodSeconds(expression: string): number | null {
  const runs = parseCron(expression).nextRuns(500, new Date(Date.UTC(2026, 0, 1)));
  let shortest: number | null = null;
  for (let i = 1; i < runs.length; i++) {
    const gap = (runs[i]!.getTime() - runs[i - 1]!.getTime()) / 1000;
    if (shortest === null || gap < shortest) shortest = gap;
  }
  return shortest;
}
