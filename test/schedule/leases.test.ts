// Schedulers on several nodes sharing one StateStore (here one SQLite store; nodes are node names): each
// (detection, scheduled time) is executed by exactly one of them, and a run held by a node that died is taken
// over once its lease expires.
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { InProcessExecutor, SearchCancelled, type ExecuteOptions, type RunExecutor, type RunOutput, type RunRequest } from '../../src/schedule/executor.js';
import { Scheduler, systemClock, type Clock } from '../../src/schedule/scheduler.js';
import { scheduleSettings, type ScheduleSettings } from '../../src/schedule/settings.js';
import { startDelaySeconds } from '../../src/schedule/window.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import type { StateStore } from '../../src/store/types.js';
import { cleanupDirs, tempDir } from '../store/helpers.js';
import { datasetEvents, FakeClock } from './fakes.js';

afterAll(cleanupDirs);

const pack = loadContent();
const SEED = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const H = 3600;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the datasets' events are at 10:00-10:11 UTC

async function storeWithEvents(): Promise<SqliteStore> {
  const store = await openStore(tempDir());
  await store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
  return store;
}

/** Counts executions per (search name, scheduled time) across every node it is given to. */
class CountingExecutor implements RunExecutor {
  constructor(
    private readonly inner: RunExecutor,
    readonly counts: Map<string, number>,
  ) {}
  execute(req: RunRequest, timeoutMs: number, opts?: ExecuteOptions): Promise<RunOutput> {
    const k = `${req.name}@${req.now}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    return this.inner.execute(req, timeoutMs, opts);
  }
  async close(): Promise<void> {}
}

/** A search that ends only when cancelled, or after `ms` with no rows. */
class SlowExecutor implements RunExecutor {
  started = 0;
  constructor(private readonly ms = Infinity) {}
  execute(req: RunRequest, _timeoutMs: number, opts: ExecuteOptions = {}): Promise<RunOutput> {
    this.started++;
    return new Promise((resolve, reject) => {
      const t = Number.isFinite(this.ms) ? setTimeout(() => resolve({ rows: [] } as unknown as RunOutput), this.ms) : null;
      opts.signal?.addEventListener('abort', () => (clearTimeout(t ?? undefined), reject(new SearchCancelled(req.name, 'cancelled'))), { once: true });
    });
  }
  async close(): Promise<void> {}
}

function node(name: string, state: StateStore, executor: RunExecutor, clock: Clock, settings: Partial<ScheduleSettings> = {}, log?: (level: string, m: string) => void) {
  return new Scheduler({
    content: () => pack,
    state,
    defaultIndexes: () => ['main'],
    executor,
    clock,
    settings: { ...scheduleSettings(undefined, undefined), enable: ['Cisco Isovalent - *'], ...settings },
    alerts: null,
    node: name,
    ...(log ? { log } : {}),
  });
}

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('schedule.lease', () => {
  it('is a duration of at least 1 s, 60 s by default', () => {
    expect(scheduleSettings(undefined, undefined).leaseMs).toBe(60_000);
    expect(scheduleSettings({ lease: '2m' }, undefined).leaseMs).toBe(120_000);
    expect(() => scheduleSettings({ lease: '500ms' }, undefined)).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('schedule.lease must be at least 1s') }));
    expect(() => scheduleSettings({ lease: 'soon' }, undefined)).toThrow(/schedule\.lease must be a duration/);
  });
});

describe('schedulers on several nodes sharing one state store', () => {
  it('execute every (detection, scheduled time) exactly once between them', async () => {
    const store = await storeWithEvents();
    const clock = new FakeClock(T0);
    const counts = new Map<string, number>();
    const nodes = ['node-1', 'node-2', 'node-3'].map((n) => node(n, store, new CountingExecutor(new InProcessExecutor(store, () => pack), counts), clock));
    await nodes[0]!.runDue(); // first sight: every detection's cursor starts at T0
    clock.t = T0 + 3 * H + 15 * 60;
    const due = await nodes[0]!.due(clock.t);
    expect(due.length).toBeGreaterThanOrEqual(3 * 5);
    const done = (await Promise.all(nodes.map((s) => s.runDue()))).flat();
    const key = (id: string, t: number) => `${id}@${t}`;
    const want = due.map((r) => key(r.detection.id, r.scheduledTime)).sort();
    expect(done.map((r) => key(r.detectionId, r.scheduledTime)).sort()).toEqual(want);
    expect((await store.runs()).map((r) => key(r.detectionId, r.scheduledTime)).sort()).toEqual(want);
    // Executed once each: no node searched a window another node was running or had run.
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(counts.size).toBe(due.length);
    // The work was shared (each node ran some), and nothing is due any more.
    expect(new Set(done.map((r) => r.detectionId)).size).toBeGreaterThan(1);
    expect(await nodes[1]!.due(clock.t)).toEqual([]);
    await store.close();
  });

  it('leave a run a live node holds to it, keep its cursor before it, and take it over when the lease expires', async () => {
    const store = await storeWithEvents();
    const clock = new FakeClock(T0 + 0.5 * H);
    const settings = { enable: [SEED.name], leaseMs: 60_000 };
    const b = node('node-b', store, new InProcessExecutor(store, () => pack), clock, settings);
    await b.runDue(); // the cursor starts at T0 + 0.5 H
    const cursor = await store.cursor(SEED.id);
    // The 11:00 and 12:00 runs are due; node-a claimed the 11:00 one (catching up) and then died: no renewals.
    clock.t = T0 + 2 * H + startDelaySeconds(SEED.id, 'auto', H);
    expect(await store.claimRun(SEED.id, T0 + H, 'node-a', 60_000, clock.t)).toBe(true);
    const first = await b.runDue();
    expect(first.map((r) => r.scheduledTime)).toEqual([T0 + 2 * H]); // 11:00 is node-a's while its lease lives
    expect(await store.hasRun(SEED.id, T0 + H)).toBe(false);
    expect(await store.cursor(SEED.id)).toBe(cursor); // not past the held run
    clock.t += 59;
    expect(await b.runDue()).toEqual([]);
    clock.t += 1; // node-a's lease has expired
    const second = await b.runDue();
    expect(second.map((r) => [r.scheduledTime, r.status, r.riskEventCount])).toEqual([[T0 + H, 'success', 4]]);
    // The cursor moves on to it; 12:00 is in the ledger, so nothing is due until 13:00.
    expect(await store.cursor(SEED.id)).toBe(T0 + H);
    expect(await b.due(clock.t)).toEqual([]);
    await store.close();
  });

  it('renew the lease while a run lasts longer than it, so no other node takes the run over', async () => {
    const store = await storeWithEvents();
    const t = Math.floor(Date.now() / 1000);
    const a = node('node-a', store, new SlowExecutor(5000), systemClock, { enable: [SEED.name], leaseMs: 2000 });
    const running = a.executeRun(SEED, t, 'scheduled');
    for (const wait of [1200, 1300, 1500]) {
      // 1.2, 2.5 and 4 s in: past the end of the first lease (2 s) and of a second one. Renewals come every
      // 0.67 s, so a renewal may be late by 1.3 s (a loaded machine) without the lease lapsing.
      await new Promise((r) => setTimeout(r, wait));
      expect(await store.claimRun(SEED.id, t, 'node-b', 2000, Date.now() / 1000)).toBe(false);
    }
    const run = await running;
    expect(run).toMatchObject({ detectionId: SEED.id, scheduledTime: t, status: 'success' });
    expect(await store.claimRun(SEED.id, t, 'node-b', 2000, Date.now() / 1000)).toBe(false); // in the ledger now
    await store.close();
  });

  it('abandon a run whose lease was lost (this node stalled, another took it over): search stopped, nothing committed', async () => {
    const store = await storeWithEvents();
    const logs: string[] = [];
    const lost: StateStore = Object.assign(Object.create(store) as SqliteStore, { renewRun: async () => false });
    const slow = new SlowExecutor();
    const a = node('node-a', lost, slow, systemClock, { enable: [SEED.name], leaseMs: 1000 }, (_l, m) => logs.push(m));
    const t = Math.floor(Date.now() / 1000);
    expect(await a.executeRun(SEED, t, 'scheduled')).toBeNull();
    expect(slow.started).toBe(1);
    expect(await store.hasRun(SEED.id, t)).toBe(false);
    expect(logs.join('\n')).toMatch(/lease lost to another node/);
    await store.close();
  });

  it('release the lease when the scheduler stops mid-run, so another node takes the run over at once', async () => {
    const store = await storeWithEvents();
    const clock = new FakeClock(T0 + 0.5 * H);
    const slow = new SlowExecutor();
    const a = node('node-a', store, slow, clock, { enable: [SEED.name], leaseMs: 600_000 });
    await a.runDue();
    clock.t = T0 + H + startDelaySeconds(SEED.id, 'auto', H);
    const running = a.runDue();
    await waitFor(() => slow.started === 1);
    expect(await store.claimRun(SEED.id, T0 + H, 'node-b', 600_000, clock.t)).toBe(false); // node-a's
    await a.stop();
    expect(await running).toEqual([]);
    const b = node('node-b', store, new InProcessExecutor(store, () => pack), clock, { enable: [SEED.name] });
    expect((await b.runDue()).map((r) => [r.scheduledTime, r.status])).toEqual([[T0 + H, 'success']]);
    await store.close();
  });

  it('count in a backfill a run another node holds as held, not as in the ledger; a stopped backfill releases its run', async () => {
    const store = await storeWithEvents();
    const clock = new FakeClock(T0 + 4 * H);
    const settings = { enable: [SEED.name], leaseMs: 600_000 };
    expect(await store.claimRun(SEED.id, T0 + H, 'node-a', 600_000, clock.t)).toBe(true);
    const b = node('node-b', store, new InProcessExecutor(store, () => pack), clock, settings);
    const plan = b.planBackfill(T0, T0 + 3 * H);
    expect(plan.map((r) => r.scheduledTime)).toEqual([T0 + H, T0 + 2 * H, T0 + 3 * H]);
    const first = await b.backfill(plan);
    expect(first).toMatchObject({ runs: 3, ran: 2, skipped: 0, held: 1, aborted: false });
    expect(await store.hasRun(SEED.id, T0 + H)).toBe(false);
    expect(await b.backfill(plan)).toMatchObject({ ran: 0, skipped: 2, held: 1, aborted: false });
    // A backfill stopped during a run (Ctrl-C in vigil backfill) releases its lease: the next one runs it at once.
    await store.renewRun(SEED.id, T0 + H, 'node-a', 0, clock.t);
    const slow = new SlowExecutor();
    const c = node('node-c', store, slow, clock, settings);
    const stopped = c.backfill(plan);
    await waitFor(() => slow.started === 1);
    await c.stop();
    expect(await stopped).toMatchObject({ ran: 0, skipped: 0, held: 0, aborted: true });
    expect(await b.backfill(plan)).toMatchObject({ ran: 1, skipped: 2, held: 0, aborted: false });
    await store.close();
  });
});
