import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { InProcessExecutor, SearchCancelled, type ExecuteOptions, type RunExecutor, type RunOutput, type RunRequest } from '../../src/schedule/executor.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings } from '../../src/schedule/settings.js';
import { startDelaySeconds } from '../../src/schedule/window.js';
import { datasetEvents, FakeClock, MemoryStore } from './fakes.js';

const pack = loadContent();
const SEED = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const H = 3600;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000;

/** A search that only ends when it is cancelled (a runaway search on a worker). */
class RunawayExecutor implements RunExecutor {
  started: string[] = [];
  execute(req: RunRequest, _timeoutMs: number, opts: ExecuteOptions = {}): Promise<RunOutput> {
    this.started.push(req.name);
    return new Promise((_resolve, reject) => opts.signal?.addEventListener('abort', () => reject(new SearchCancelled(req.name, 'the scheduler is stopping')), { once: true }));
  }
  async close(): Promise<void> {}
}

describe('stopping the scheduler during a run', () => {
  it('cancels the search, commits nothing and keeps the cursor, so the next start redoes the run', async () => {
    const store = new MemoryStore();
    store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
    const clock = new FakeClock(T0 + 0.5 * H);
    const settings = { ...scheduleSettings(undefined, undefined), enable: [SEED.name] };
    const runaway = new RunawayExecutor();
    const deps = { content: () => pack, state: store, defaultIndexes: () => ['main'], clock, settings, alerts: null };
    const first = new Scheduler({ ...deps, executor: runaway });
    await first.runDue(); // first sight: the cursor starts now
    const cursor = await store.cursor(SEED.id);
    clock.t = T0 + H + startDelaySeconds(SEED.id, 'auto', H);
    const running = first.runDue();
    for (let i = 0; i < 100 && runaway.started.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(runaway.started).toEqual([SEED.name]);
    await first.stop();
    expect(await running).toEqual([]);
    expect(await store.runs()).toEqual([]);
    expect(await store.cursor(SEED.id)).toBe(cursor);
    // The next start runs it.
    const again = await new Scheduler({ ...deps, executor: new InProcessExecutor(store, () => pack) }).runDue();
    expect(again.map((r) => [r.scheduledTime, r.status, r.riskEventCount])).toEqual([[T0 + H, 'success', 4]]);
  });
});
