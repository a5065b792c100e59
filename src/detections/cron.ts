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
  try {
    return new (cronPackage().Cron)(expression, { timezone: tz, paused: true, domAndDow: false });
  } catch (e) {
    throw new VigilError('CONFIG', `invalid cron schedule "${expression}": ${(e as Error).message}`);
  }
}
