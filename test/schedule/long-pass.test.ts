import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Detection } from '../../src/detections/detection.js';
import { InProcessExecutor, type RunExecutor } from '../../src/schedule/executor.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings, type ScheduleSettings } from '../../src/schedule/settings.js';
import { FakeClock, MemoryStore } from './fakes.js';

// savedsearches.conf.spec, disabled: "You cannot run a disabled search. This setting is typically used to prevent a
// scheduled search from running on its schedule". A detection every minute whose runs take 5 minutes builds a
// backlog that one pass of the scheduler works through for hours; disabling it then (console, API) must stop it at
// its next run: the pass ran its whole backlog first.

const base = loadContent();
const SEED = base.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const SLOW: Detection = {
  ...SEED,
  id: '5a0c7e1e-0000-4000-8000-000000005100',
  name: 'Slow Every Minute',
  schedule: { ...SEED.schedule, cron: '* * * * *', earliest: '-1m@m', latest: '@m', scheduleWindow: 0 },
};
const pack = { ...base, detections: [...base.detections, SLOW] };
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000;

describe('a long scheduler pass', () => {
  it('stops running a detection disabled during the pass', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock(T0);
    let settings: ScheduleSettings = { ...scheduleSettings(undefined, undefined), enable: [SLOW.name] };
    const inner = new InProcessExecutor(store, () => pack);
    let slowRuns = 0;
    const executor: RunExecutor = {
      execute: async (req, ms, opts) => {
        const out = await inner.execute(req, ms, opts);
        if (req.name === SLOW.name) {
          clock.t += 300; // each run takes 5 minutes
          if (++slowRuns === 2) settings = { ...settings, disable: [SLOW.name] }; // disabled in the console meanwhile
        }
        return out;
      },
      close: () => inner.close(),
    };
    const scheduler = new Scheduler({ content: () => pack, state: store, defaultIndexes: () => ['main'], executor, clock, settings: () => settings, alerts: null });
    await scheduler.runDue(); // first sight: from now
    clock.t = T0 + 600; // ten runs due
    const runs = await scheduler.runDue();
    expect(runs.map((r) => r.scheduledTime - T0)).toEqual([60, 120]);
    expect(slowRuns).toBe(2);
    expect(await scheduler.runDue()).toEqual([]);
  });
});
