import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { InProcessExecutor } from '../../src/schedule/executor.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings } from '../../src/schedule/settings.js';
import { startDelaySeconds } from '../../src/schedule/window.js';
import type { ScanRequest } from '../../src/events/scan.js';
import { StoreError, type RunCommit } from '../../src/store/types.js';
import { datasetEvents, MemoryStore } from './fakes.js';

/**
 * The scheduler on a store that cannot take writes (a full disk: SQLite's SQLITE_FULL is STORE_FULL). Splunk's
 * docs say nothing of a search head's disk filling mid-schedule; the bar is vigil's own (src/schedule/CONTEXT.md,
 * "An outage is not a failed run"): nothing of the run is written, it is tried again every 30 s within max_lag,
 * said once, and done exactly once when space is back. The run's commit used to throw out of the pass: the loop
 * woke again 50 ms later and ran the detection's whole search again, and logged it, 20 times a second.
 */
const pack = loadContent();
const SEED = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const H = 3600;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the dataset's events are at 10:00-10:11 UTC
const DUE = T0 + H + startDelaySeconds(SEED.id, 'auto', H); // the 11:00 run's start

type Failing = 'commitRun' | 'claimRun' | 'setCursor';
class FullDisk extends MemoryStore {
  full = new Set<Failing>();
  scans = 0;
  override scan(req: ScanRequest) {
    this.scans++;
    return super.scan(req);
  }
  private check(op: Failing): void {
    if (this.full.has(op)) throw new StoreError('STORE_FULL', 'the event store is full: database or disk is full');
  }
  override async commitRun(c: RunCommit) {
    this.check('commitRun');
    return super.commitRun(c);
  }
  override async claimRun(id: string, t: number, node: string, leaseMs: number, now: number) {
    this.check('claimRun');
    return super.claimRun(id, t, node, leaseMs, now);
  }
  override async setCursor(id: string, t: number) {
    this.check('setCursor');
    return super.setCursor(id, t);
  }
}

/** The scheduler's own loop (start/stop) on a clock whose waits pass at once: `seconds` of its time. */
async function loopFor(s: { scheduler: Scheduler; clock: { t: number } }, seconds: number): Promise<void> {
  const until = s.clock.t + seconds;
  s.scheduler.start();
  while (s.clock.t < until) await new Promise((r) => setTimeout(r, 1));
  await s.scheduler.stop();
}

function setup() {
  const store = new FullDisk();
  store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
  const logs: string[] = [];
  const clock = {
    t: T0 + 0.5 * H,
    now: () => clock.t,
    wait: async (ms: number) => {
      clock.t += ms / 1000;
      await new Promise((r) => setImmediate(r));
    },
  };
  const scheduler = new Scheduler({
    content: () => pack,
    state: store,
    defaultIndexes: () => ['main'],
    executor: new InProcessExecutor(store, () => pack),
    clock,
    settings: { ...scheduleSettings(undefined, undefined), enable: [SEED.name] },
    alerts: null,
    log: (_level, m) => logs.push(m),
  });
  return { store, clock, scheduler, logs };
}

const risk = (s: MemoryStore) => s.events.filter((e) => e.index === 'risk');

describe('the scheduler on a full disk', () => {
  for (const failing of [['commitRun'], ['claimRun', 'commitRun']] as Failing[][]) {
    it(`a run whose ${failing.join(' and ')} fail(s) with STORE_FULL is retried every 30 s, said once, then committed once`, async () => {
      const s = setup();
      await s.scheduler.runDue(); // first sight: starts from now
      s.clock.t = DUE - 0.01;
      s.store.full = new Set(failing);
      await loopFor(s, 120);
      // Not recorded (the ledger row could not be written), no risk event, its search run at most once per 30 s.
      expect(await s.store.runs()).toEqual([]);
      expect(risk(s.store)).toHaveLength(0);
      expect(s.store.scans).toBeLessThanOrEqual(failing.includes('claimRun') ? 0 : 5);
      const said = s.logs.filter((m) => m.includes('could not be read or written'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('database or disk is full');
      expect(s.logs.filter((m) => m.startsWith('scheduler:'))).toEqual([]);
      // Space is back: the run is done once, by the same loop (no restart), and not again.
      s.store.full.clear();
      await loopFor(s, 120);
      const runs = await s.store.runs();
      expect(runs.map((r) => [r.scheduledTime, r.status, r.riskEventCount])).toEqual([[T0 + H, 'success', 4]]);
      expect(risk(s.store)).toHaveLength(4);
    });
  }

  it('a run committed while its cursor cannot be saved is not run again (the ledger has it), nor said more than once', async () => {
    const s = setup();
    await s.scheduler.runDue();
    s.clock.t = DUE - 0.01;
    s.store.full = new Set(['setCursor']);
    await loopFor(s, 120);
    expect((await s.store.runs()).map((r) => r.scheduledTime)).toEqual([T0 + H]);
    expect(risk(s.store)).toHaveLength(4);
    const scans = s.store.scans;
    expect(s.logs.filter((m) => m.includes('could not be read or written'))).toHaveLength(1);
    expect(s.logs.filter((m) => m.startsWith('scheduler:'))).toEqual([]);
    s.store.full.clear();
    await loopFor(s, 60);
    expect(s.store.scans).toBe(scans); // the ledger said it ran: not searched again
    expect(risk(s.store)).toHaveLength(4);
    expect((await s.store.runs()).map((r) => r.scheduledTime)).toEqual([T0 + H]);
  });
});
