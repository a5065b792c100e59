import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { shortestPeriodSeconds } from '../../src/detections/cron.js';
import { validateContent } from '../../src/detections/validate.js';

// savedsearches.conf.spec, schedule_window: "The 'schedule_window' must be shorter than the period of the search."

const dir = mkdtempSync(join(tmpdir(), 'vigil-schedule-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });
let n = 0;
const detection = (name: string, file: string, cron: string, window: string) =>
  writeFileSync(
    join(dir, 'detections', file),
    [`name: ${name}`, `id: 5c0e0000-0000-4000-8000-${String(++n).padStart(12, '0')}`, 'type: Hunting', 'search: "| makeresults"', 'schedule:', `  cron_schedule: "${cron}"`, `  schedule_window: ${window}`, ''].join('\n'),
  );
detection('Hourly Ninety', 'hourly_ninety.yml', '0 * * * *', '90');
detection('Hourly Sixty', 'hourly_sixty.yml', '0 * * * *', '60');
detection('Hourly Thirty', 'hourly_thirty.yml', '0 * * * *', '30');
detection('Two A Day', 'two_a_day.yml', '0 9,10 * * *', '120');
detection('Hourly Auto', 'hourly_auto.yml', '0 * * * *', 'auto');

describe('schedule_window against the period of the search', () => {
  const problems = validateContent(loadContent([dir])).problems.filter((p) => p.file.startsWith(dir) && p.message.startsWith('schedule_window'));
  const of = (file: string) => problems.filter((p) => p.file.endsWith(file)).map((p) => [p.severity, p.line, p.message]);

  it('warns when the window is not shorter than the shortest time between runs', () => {
    expect(of('hourly_ninety.yml')).toEqual([
      ['warning', 1, 'schedule_window is 90 minutes; savedsearches.conf requires it shorter than the period of the search (60 minutes between runs of "0 * * * *" at the least): a run may start after the next one is due'],
    ]);
    expect(of('hourly_sixty.yml')).toHaveLength(1);
    expect(of('two_a_day.yml')).toHaveLength(1); // 09:00 and 10:00: an hour apart
  });

  it('says nothing of a shorter window or auto', () => {
    expect(of('hourly_thirty.yml')).toEqual([]);
    expect(of('hourly_auto.yml')).toEqual([]);
  });

  it('measures the shortest gap between runs', () => {
    expect(shortestPeriodSeconds('*/20 * * * *')).toBe(1200);
    expect(shortestPeriodSeconds('0 9,10 * * *')).toBe(3600);
    expect(shortestPeriodSeconds('0 0 29 2 *')).toBe(4 * 365 * 86400 + 86400);
  });
});
