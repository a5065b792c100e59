import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { scheduleSettings } from '../../src/schedule/settings.js';
import { writeDetectionYaml } from './detection-yaml.js';
import { inProcessScheduler } from './fakes.js';

// contentctl lets a detection carry its own `deployment:` (Deployment.getDeployment: "If the user has defined a
// deployment, then allow it to be validated and override the default deployment info"), whose `scheduling` becomes
// savedsearches.conf's cron_schedule, dispatch.earliest_time, dispatch.latest_time and schedule_window; and
// `enabled_by_default: true` becomes `disabled = false`. savedsearches.conf.spec: cron_schedule "the cron schedule
// used to run this search"; dispatch.earliest_time/latest_time "a time string that specifies the earliest/latest time
// for this search", resolved against the scheduled time. vigil ignored both: such a detection ran hourly, disabled.
const dir = mkdtempSync(join(tmpdir(), 'vigil-deployment-scheduling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });

function detection(file: string, name: string, id: string, extra: string[]): void {
  writeDetectionYaml(dir, file, { name, id, type: 'Hunting', description: 'one row.', search: '| makeresults', body: extra });
}

detection('inline.yml', 'Inline Deployment', '5c1e0d2a-0000-4000-8000-000000000001', [
  'enabled_by_default: true',
  'deployment:',
  '  scheduling:',
  "    cron_schedule: '*/10 * * * *'",
  '    earliest_time: -10m@m',
  '    latest_time: now',
  "    schedule_window: '0'",
]);
detection('bad.yml', 'Bad Deployment', '5c1e0d2a-0000-4000-8000-000000000002', ['deployment:', '  scheduling:', "    cron_schedule: '0 0 * JAN *'"]);
detection('typo.yml', 'Typo Schedule', '5c1e0d2a-0000-4000-8000-000000000004', ['schedule:', "  cron_schedule: '0 * * * *'", '  earliest: -24h']);
detection('extra.yml', 'Extra Deployment', '5c1e0d2a-0000-4000-8000-000000000005', ['deployment:', '  scheduling:', "    cron_schedule: '0 * * * *'", '    earliest_time: -24h', '    latest_time: now', '    schedule_window: auto', '    schedule_priority: higher']);
detection('plain.yml', 'Plain Type Default', '5c1e0d2a-0000-4000-8000-000000000003', []);
const pack = loadContent([dir]);
const byName = (n: string) => pack.detections.find((d) => d.name === n);
const T0 = Date.UTC(2026, 11, 8, 10, 0, 0) / 1000;

describe("contentctl's inline deployment", () => {
  it('gives the schedule, and enabled_by_default: true enables it', () => {
    expect(byName('Inline Deployment')!.schedule).toMatchObject({ cron: '*/10 * * * *', earliest: '-10m@m', latest: 'now', scheduleWindow: 0, disabled: false });
    // No deployment: ESCU's default for the type (hourly, -70m@m to -10m@m), disabled (enabled_by_default's default is false).
    expect(byName('Plain Type Default')!.schedule).toMatchObject({ cron: '0 * * * *', earliest: '-70m@m', latest: '-10m@m', disabled: true });
  });

  it("refuses a cron Splunk refuses, at the deployment's field", () => {
    expect(byName('Bad Deployment')).toBeUndefined();
    const p = pack.problems.find((x) => x.file.endsWith('bad.yml'))!;
    expect(p.message).toContain('deployment.scheduling.cron_schedule');
    expect(p.message).toContain('names of months or days');
    expect(p.line).toBe(16);
  });

  it('warns about a key it does not read, at the key (a typo left the default window silently)', () => {
    const typo = pack.problems.find((x) => x.file.endsWith('typo.yml'))!;
    expect([typo.severity, typo.line, typo.message]).toEqual(['warning', 16, 'unknown schedule field "earliest" (ignored: a typo?)']);
    expect(byName('Typo Schedule')!.schedule.earliest).toBe('-70m@m');
    const extra = pack.problems.find((x) => x.file.endsWith('extra.yml'))!;
    expect([extra.severity, extra.line, extra.message]).toEqual(['warning', 20, 'unknown deployment.scheduling field "schedule_priority" (ignored: a typo?)']);
  });

  it('runs on its cron over its window, without being named in the config', async () => {
    const { store, clock, scheduler } = inProcessScheduler(pack, scheduleSettings(undefined, undefined), T0 + 1);
    await scheduler.runDue();
    clock.t = T0 + 30 * 60 + 1;
    await scheduler.runDue();
    const runs = (await store.runs()).filter((r) => r.detectionName === 'Inline Deployment').sort((a, b) => a.scheduledTime - b.scheduledTime);
    expect(runs.map((r) => [r.scheduledTime - T0, r.earliest - T0, r.latest - T0, r.status])).toEqual([
      [600, 0, 600, 'success'],
      [1200, 600, 1200, 'success'],
      [1800, 1200, 1800, 'success'],
    ]);
    expect((await store.runs()).some((r) => r.detectionName === 'Plain Type Default')).toBe(false);
  });
});
