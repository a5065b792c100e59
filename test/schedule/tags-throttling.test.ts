import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { scheduleSettings } from '../../src/schedule/settings.js';
import { writeDetectionYaml } from './detection-yaml.js';
import { inProcessScheduler } from './fakes.js';

// security_content writes ES's suppression as contentctl's `tags.throttling: {fields, period}` (DetectionTags.throttling,
// rendered as alert.suppress = 1, alert.suppress.fields, alert.suppress.period). Per the Alerting Manual's "Throttle
// alerts" (help.splunk.com .../manage-alert-trigger-conditions-and-throttling/throttle-alerts): "Events with the same
// value for these fields are suppressed" during the period; "Time values must be greater than zero".
// vigil read only its own `throttle:`, so these detections ran unthrottled.
const dir = mkdtempSync(join(tmpdir(), 'vigil-tags-throttling-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });

function detection(file: string, name: string, id: string, throttling: string[]): void {
  writeDetectionYaml(dir, file, {
    name,
    id,
    type: 'Anomaly',
    description: 'two rows, one pod.',
    // Two results of one pod in every run: one risk event without suppression's fields collapsing them.
    search: '| makeresults count=2 | streamstats count AS n | eval pod_name="web-1", process_name="sh".n',
    body: [
      'rba:',
      '  message: shell in $pod_name$',
      '  risk_objects:',
      '  - field: pod_name',
      '    type: system',
      '    score: 20',
      '  threat_objects: []',
      'schedule:',
      "  cron_schedule: '0 * * * *'",
      '  earliest_time: -70m@m',
      '  latest_time: -10m@m',
      '  schedule_window: 0',
    ],
    tags: throttling,
  });
}

detection('suppressed.yml', 'Tags Throttled', '0d7a1c55-0000-4000-8000-000000000001', ['  throttling:', '    fields: [pod_name]', '    period: 24h']);
detection('zero.yml', 'Tags Throttled Zero', '0d7a1c55-0000-4000-8000-000000000002', ['  throttling:', '    fields: [pod_name]', '    period: 0s']);
// alert.suppress.fields = <comma-delimited-field-list> (savedsearches.conf.spec): one text naming two fields.
detection('comma.yml', 'Tags Throttled Comma', '0d7a1c55-0000-4000-8000-000000000003', ['  throttling:', '    fields: pod_name, process_name', '    period: 1h']);
const pack = loadContent([dir]);
const H = 3600;
const T0 = Date.UTC(2026, 11, 8, 10, 0, 0) / 1000;

describe("contentctl's tags.throttling", () => {
  it('is read as the suppression fields and period', () => {
    const d = pack.detections.find((x) => x.name === 'Tags Throttled')!;
    expect(d.throttle).toEqual({ fields: ['pod_name'], periodSeconds: 24 * H });
  });

  it('reads a comma-delimited text of fields as savedsearches.conf does', () => {
    expect(pack.detections.find((x) => x.name === 'Tags Throttled Comma')!.throttle).toEqual({ fields: ['pod_name', 'process_name'], periodSeconds: H });
  });

  it('refuses a period of zero at the field, naming tags.throttling', () => {
    const p = pack.problems.find((x) => x.message.includes('tags.throttling.period'));
    expect(p?.message).toContain('must be greater than zero');
    expect(p?.file).toContain('zero.yml');
    expect(p?.line).toBe(34); // the `period:` line
  });

  it('suppresses results with the same field values for the period, across runs', async () => {
    const { store, clock, scheduler } = inProcessScheduler(pack, scheduleSettings(undefined, { enable: ['Tags Throttled'] }), T0 + 1);
    await scheduler.runDue(); // 10:00: first seen, its runs start after now
    clock.t = T0 + 3 * H + 1; // 11:00, 12:00, 13:00: within 24 h of the first, same pod
    await scheduler.runDue();
    const runs = (await store.runs()).filter((r) => r.detectionName === 'Tags Throttled').sort((a, b) => a.scheduledTime - b.scheduledTime);
    expect(runs.map((r) => [r.scheduledTime - T0, r.resultCount, r.riskEventCount])).toEqual([
      [H, 2, 1], // the two rows share pod_name: the second is suppressed in the same run
      [2 * H, 2, 0],
      [3 * H, 2, 0],
    ]);
  });
});
