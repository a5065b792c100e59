import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { CronSchedule } from '../../src/schedule/cron.js';
import { parseAlertConfig } from '../../src/outputs/actions.js';
import { alertPlanner } from '../../src/schedule/alerts.js';
import { InProcessExecutor, SearchWorkerUnavailable, type RunExecutor } from '../../src/schedule/executor.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings, type ScheduleSettings } from '../../src/schedule/settings.js';
import { searchWindow, startDelaySeconds } from '../../src/schedule/window.js';
import type { ScanRequest } from '../../src/events/scan.js';
import { StoreError } from '../../src/store/types.js';
import { datasetEvents, FakeClock, MemoryStore } from './fakes.js';

const pack = loadContent();
const SEED = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const H = 3600;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the datasets' events are at 10:00-10:11 UTC


const THRESHOLD = pack.detections.find((d) => d.name.startsWith('Risk - Threshold'))!;
/** Alert routing as a config file has it: everything to a file; the threshold rule's findings to a webhook, suppressed per object. */
const ROUTING = parseAlertConfig({
  actions: [
    { name: 'archive', type: 'file', path: '/nonexistent/alerts.jsonl' },
    { name: 'soc', type: 'webhook', url: 'http://127.0.0.1:9/hook' },
  ],
  routes: [
    { detection: '*', actions: ['archive'] },
    { detection: THRESHOLD.name, actions: ['soc'], on: ['finding'], suppress: { fields: ['risk_object'], period: '1h' } },
  ],
});

function setup<S extends MemoryStore = MemoryStore>(settings: Partial<ScheduleSettings> = {}, now = T0 + 0.5 * H, alerts = false, log?: (level: string, message: string) => void, store: S = new MemoryStore() as S) {
  store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
  const clock = new FakeClock(now);
  const full = { ...scheduleSettings(undefined, undefined), ...settings };
  const scheduler = new Scheduler({
    content: () => pack,
    state: store,
    defaultIndexes: () => ['main'],
    executor: new InProcessExecutor(store, () => pack),
    clock,
    settings: full,
    alerts: alerts ? alertPlanner(ROUTING.routes, store) : null,
    log,
  });
  return { store, clock, scheduler };
}

const seedDelay = startDelaySeconds(SEED.id, 'auto', H);
const ledgerOf = async (s: MemoryStore) => (await s.runs()).map((r) => `${r.detectionName}@${r.scheduledTime}:${r.earliest}-${r.latest}:${r.status}:${r.resultCount}/${r.riskEventCount}/${r.findingCount}`);
const raws = (s: MemoryStore) => s.events.filter((e) => e.index !== 'main').map((e) => e._raw).sort();
const outboxOf = (s: MemoryStore) => [...s.outbox.values()].map((o) => ({ id: o.id, action: o.action, payload: o.payload })).sort((a, b) => (a.id < b.id ? -1 : 1));

describe('scheduled windows', () => {
  it('resolves -70m@m/-10m@m against the scheduled time, and hourly windows tile time', () => {
    expect(searchWindow(SEED.schedule, T0 + H, 'UTC')).toEqual({ earliest: T0 - 10 * 60, latest: T0 + 50 * 60 });
    const cron = new CronSchedule('0 * * * *', 'America/New_York');
    // Across the spring-forward night in New York (2026-03-08) runs stay hourly in absolute time.
    const times = cron.between(Date.UTC(2026, 2, 8, 4) / 1000, Date.UTC(2026, 2, 8, 10) / 1000);
    expect(times.map((t) => new Date(t * 1000).toISOString().slice(11, 16))).toEqual(['05:00', '06:00', '07:00', '08:00', '09:00', '10:00']);
    const windows = times.map((t) => searchWindow(SEED.schedule, t, 'America/New_York'));
    for (let i = 1; i < windows.length; i++) expect(windows[i]!.earliest).toBe(windows[i - 1]!.latest);
  });

  it('runs a daily 02:30 job once on DST days (skipped hour → next minute, repeated hour → once)', () => {
    const cron = new CronSchedule('30 1 * * *', 'America/New_York');
    const fall = cron.between(Date.UTC(2026, 10, 1, 0) / 1000, Date.UTC(2026, 10, 2, 0) / 1000);
    expect(fall).toHaveLength(1);
    const spring = new CronSchedule('30 2 * * *', 'America/New_York').between(Date.UTC(2026, 2, 8, 0) / 1000, Date.UTC(2026, 2, 9, 0) / 1000);
    expect(spring.map((t) => new Date(t * 1000).toISOString())).toEqual(['2026-03-08T07:00:00.000Z']);
  });

  it('spreads starts deterministically within the schedule window', () => {
    expect(startDelaySeconds(SEED.id, 'auto', H)).toBe(seedDelay);
    expect(seedDelay).toBeGreaterThanOrEqual(0);
    expect(seedDelay).toBeLessThan(900);
    expect(startDelaySeconds(SEED.id, 0, H)).toBe(0);
  });
});

describe('scheduler', () => {
  it('commits a run of 150,000 risk events (they were spread into an array: a stack overflow failed the run)', async () => {
    const { store, clock, scheduler } = setup({ enable: [SEED.name] });
    const curl = store.events.find((e) => /"binary":"[^"]*curl","arguments":"[^"]*-[a-zA-Z]*k/.test(e._raw))!;
    expect(curl).toBeDefined();
    // One stats group, so one result and one risk event, per process id.
    store.append(Array.from({ length: 150_000 }, (_, i) => ({ ...curl, _raw: curl._raw.replace(/"pid":\d+/, `"pid":${1_000_000 + i}`) })));
    await scheduler.runDue();
    clock.t = T0 + H + seedDelay;
    const [run] = await scheduler.runDue();
    expect([run!.status, run!.riskEventCount]).toEqual(['success', run!.resultCount]);
    expect(run!.resultCount).toBeGreaterThan(150_000);
    expect(store.events.filter((e) => e.index === 'risk')).toHaveLength(run!.resultCount);
  }, 120_000);

  it('starts from now on first sight, then runs each scheduled time once with its risk events', async () => {
    const { store, clock, scheduler } = setup({ enable: [SEED.name] });
    expect(await scheduler.runDue()).toEqual([]); // first sight: cursor = now, nothing to catch up
    clock.t = T0 + 2 * H + seedDelay; // 12:00 + delay: the 11:00 and 12:00 runs are due
    const runs = await scheduler.runDue();
    expect(runs.map((r) => [r.scheduledTime - T0, r.status, r.resultCount, r.riskEventCount])).toEqual([
      [H, 'success', 4, 4],
      [2 * H, 'success', 0, 0],
    ]);
    expect(runs[0]).toMatchObject({ earliest: T0 - 600, latest: T0 + 3000, mode: 'scheduled' });
    const risk = store.events.filter((e) => e.index === 'risk').map((e) => JSON.parse(e._raw) as Record<string, unknown>);
    expect(risk.map((r) => r['risk_object']).sort()).toEqual(['debug-toolbox', 'debug-toolbox', 'frontend-6d8f9c7b5-x2kqp', 'payments-api-7f9d4c8b6-m3n8z']);
    expect(risk.every((r) => r['risk_score'] === 45 && r['search_name'] === SEED.name && r['annotations.mitre_attack'] === 'T1105')).toBe(true);
    expect(await scheduler.runDue()).toEqual([]); // never twice
  });

  it('catches up missed runs oldest first after downtime, bounded by the max lag', async () => {
    const { store, clock, scheduler } = setup({ enable: [SEED.name], maxLagSeconds: 3 * H });
    await scheduler.runDue();
    clock.t = T0 + 6 * H + 20 * 60 + seedDelay; // down from 10:30 to 16:20
    const runs = await scheduler.runDue();
    // 11:00..16:00 were missed; only those that were to start (time + delay) after 16:20+delay-3h are caught up.
    expect(runs.map((r) => (r.scheduledTime - T0) / H)).toEqual([4, 5, 6]);
    expect(await store.cursor(SEED.id)).toBe(T0 + 6 * H);
  });

  it('counts a run\'s lag from its start (time + schedule_window delay): a max lag shorter than the delay still runs each one', async () => {
    // savedsearches.conf: schedule_window "auto" lets the scheduler start a run later than its time; the max lag
    // bounds catch-up after downtime. Counted from the scheduled time, 60 s of lag dropped every run of a
    // detection started 2 min 23 s after its time (the seed's auto delay), each as "older than the max lag".
    expect(seedDelay).toBeGreaterThan(60);
    const logs: string[] = [];
    const { store, clock, scheduler } = setup({ enable: [SEED.name], maxLagSeconds: 60 }, T0 + 0.5 * H, false, (_l, m) => logs.push(m));
    await scheduler.runDue(); // first sight at 10:30
    expect(await scheduler.nextWake(clock.t)).toBe(T0 + H + seedDelay);
    clock.t = T0 + H + seedDelay; // the 11:00 run's start
    expect((await scheduler.runDue()).map((r) => [(r.scheduledTime - T0) / H, r.status])).toEqual([[1, 'success']]);
    clock.t = T0 + 2 * H + seedDelay + 50; // woken 50 s late: within the lag
    expect((await scheduler.runDue()).map((r) => (r.scheduledTime - T0) / H)).toEqual([2]);
    clock.t = T0 + 4 * H + seedDelay + 30; // down from 12:03 to 14:03: 13:00 was to start 1 h before, 14:00 30 s before
    expect((await scheduler.runDue()).map((r) => (r.scheduledTime - T0) / H)).toEqual([4]);
    expect(logs).toEqual([`${SEED.name}: 1 scheduled run(s) older than the max lag were not caught up`]);
    expect((await store.runs()).map((r) => (r.scheduledTime - T0) / H).sort()).toEqual([1, 2, 4]);
  });

  it('counts a realtime window\'s lag from when it runs (end + grace): a max lag shorter than the grace still runs each window', async () => {
    const { clock, scheduler } = setup({ enable: [SEED.name], realtime: [SEED.name], realtimeWindowSeconds: 10, realtimeGraceSeconds: 5, maxLagSeconds: 2 }, T0 + 3);
    await scheduler.runDue(); // first sight at 10:00:03: the window ending 10:00:10 is the first
    clock.t = T0 + 10 + 5; // its end + grace
    expect((await scheduler.runDue()).map((r) => r.scheduledTime - T0)).toEqual([10]);
    clock.t = T0 + 20 + 5 + 1; // 1 s late, within the lag
    expect((await scheduler.runDue()).map((r) => r.scheduledTime - T0)).toEqual([20]);
  });

  it('says once that runs older than the max lag were not caught up, even when none is due since', async () => {
    const logs: string[] = [];
    const { store, clock, scheduler } = setup({ enable: [SEED.name], maxLagSeconds: 30 * 60 }, T0 + 0.5 * H, false, (_l, m) => logs.push(m));
    await scheduler.runDue(); // first sight at 10:30
    clock.t = T0 + 3 * H + 45 * 60; // down until 13:45: 11:00..13:00 are older than 13:15
    expect(await scheduler.runDue()).toEqual([]);
    clock.t += 60;
    expect(await scheduler.runDue()).toEqual([]);
    expect(logs.filter((m) => m.includes('older than the max lag'))).toEqual([`${SEED.name}: 3 scheduled run(s) older than the max lag were not caught up`]);
    clock.t = T0 + 4 * H + seedDelay;
    expect((await scheduler.runDue()).map((r) => (r.scheduledTime - T0) / H)).toEqual([4]);
    expect((await store.runs()).length).toBe(1);
  });

  it('a detection enabled again starts from now: the hours it was disabled are not run (downtime still is)', async () => {
    const store = new MemoryStore();
    store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
    const clock = new FakeClock(T0 - 0.5 * H);
    const settings: ScheduleSettings = { ...scheduleSettings(undefined, undefined), enable: [SEED.name] };
    const scheduler = new Scheduler({ content: () => pack, state: store, defaultIndexes: () => ['main'], executor: new InProcessExecutor(store, () => pack), clock, settings: () => settings, alerts: null });
    await scheduler.runDue(); // first sight at 09:30
    settings.overrides = { [SEED.id]: false }; // disabled from the console
    clock.t = T0 + 0.5 * H;
    expect(await scheduler.runDue()).toEqual([]);
    settings.overrides = { [SEED.id]: true }; // enabled again at 12:30: 10:00..12:00 are not owed
    clock.t = T0 + 2.5 * H;
    expect(await scheduler.runDue()).toEqual([]);
    clock.t = T0 + 3 * H + seedDelay;
    expect((await scheduler.runDue()).map((r) => (r.scheduledTime - T0) / H)).toEqual([3]);
    // A new scheduler (a restart) catches up what it missed while down.
    const restarted = new Scheduler({ content: () => pack, state: store, defaultIndexes: () => ['main'], executor: new InProcessExecutor(store, () => pack), clock, settings: () => settings, alerts: null });
    clock.t = T0 + 5 * H + seedDelay;
    expect((await restarted.runDue()).map((r) => (r.scheduledTime - T0) / H)).toEqual([4, 5]);
  });

  it('leaves no partial output when a run dies while committing, and redoes it once', async () => {
    const { store, clock, scheduler } = setup({ enable: [SEED.name] });
    await scheduler.runDue();
    clock.t = T0 + H + seedDelay;
    store.failNextCommit = true;
    await expect(scheduler.runDue()).rejects.toThrow('simulated crash');
    expect(store.events.filter((e) => e.index === 'risk')).toHaveLength(0);
    expect(await store.runs()).toHaveLength(0);
    const again = await scheduler.runDue(); // a restart: the run was never recorded, so it runs
    expect(again).toHaveLength(1);
    expect(store.events.filter((e) => e.index === 'risk')).toHaveLength(4);
  });

  it('records a failing search as a failed run and moves on', async () => {
    const broken = { ...pack, macros: pack.macros.with([{ name: SEED.filterMacro, args: [], definition: 'search | frobnicate' }]) };
    const store = new MemoryStore();
    const clock = new FakeClock(T0);
    const scheduler = new Scheduler({
      content: () => broken,
      state: store,
      defaultIndexes: () => 'all',
      executor: new InProcessExecutor(store, () => broken),
      clock,
      settings: { ...scheduleSettings(undefined, undefined), enable: [SEED.name] },
      alerts: null,
    });
    await scheduler.runDue();
    clock.t = T0 + H + seedDelay;
    const [run] = await scheduler.runDue();
    expect(run).toMatchObject({ status: 'failed', resultCount: 0, riskEventCount: 0 });
    expect(run!.error).toContain('unsupported command "frobnicate"');
  });

  it('a run whose search cannot read the event store (an outage) is not recorded as failed: it is tried again, once every 30 s, and done when the store is back', async () => {
    // As a ClickHouse shard down: every scan fails with a store error.
    class Outage extends MemoryStore {
      down = false;
      scans = 0;
      override scan(req: ScanRequest) {
        this.scans++;
        if (this.down) throw new StoreError('STORE_IO', 'querying ClickHouse: All connection tries failed');
        return super.scan(req);
      }
    }
    const logs: string[] = [];
    const { store, clock, scheduler } = setup({ enable: [SEED.name] }, T0 + 0.5 * H, false, (_level, m) => logs.push(m), new Outage());
    await scheduler.runDue();
    clock.t = T0 + H + seedDelay;
    store.down = true;
    expect(await scheduler.runDue()).toEqual([]);
    expect(await store.runs()).toEqual([]); // not in the ledger as failed: it would never run again
    const tried = store.scans;
    clock.t += 10;
    expect(await scheduler.runDue()).toEqual([]);
    expect(store.scans).toBe(tried); // waiting its 30 s
    clock.t += 25;
    expect(await scheduler.runDue()).toEqual([]);
    expect(store.scans).toBeGreaterThan(tried);
    expect(logs.filter((m) => m.includes('could not be read'))).toHaveLength(1); // said once per outage
    store.down = false;
    clock.t += 31;
    const [run] = await scheduler.runDue();
    expect(run).toMatchObject({ scheduledTime: T0 + H, status: 'success', riskEventCount: 4 });
    expect(store.events.filter((e) => e.index === 'risk')).toHaveLength(4);
  });

  it('a run whose search worker could not start (out of file descriptors) is not recorded as failed: it is tried again', async () => {
    // Clients holding every file descriptor made `new Worker` fail ("Worker initialization failure: EMFILE"): the
    // run was recorded failed and never run again, its window's risk events lost.
    const store = new MemoryStore();
    store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
    const clock = new FakeClock(T0 + 0.5 * H);
    const inner = new InProcessExecutor(store, () => pack);
    let broken = false;
    const executor: RunExecutor = {
      execute: (req, ms, opts) => (broken ? Promise.reject(new SearchWorkerUnavailable('Worker initialization failure: EMFILE')) : inner.execute(req, ms, opts)),
      close: () => inner.close(),
    };
    const logs: string[] = [];
    const scheduler = new Scheduler({
      content: () => pack,
      state: store,
      defaultIndexes: () => ['main'],
      executor,
      clock,
      settings: { ...scheduleSettings(undefined, undefined), enable: [SEED.name] },
      alerts: null,
      log: (_level, m) => logs.push(m),
    });
    await scheduler.runDue();
    clock.t = T0 + H + seedDelay;
    broken = true;
    expect(await scheduler.runDue()).toEqual([]);
    expect(await store.runs()).toEqual([]);
    expect(logs.some((m) => m.includes('could not start'))).toBe(true);
    broken = false;
    clock.t += 31;
    const [run] = await scheduler.runDue();
    expect(run).toMatchObject({ scheduledTime: T0 + H, status: 'success', riskEventCount: 4 });
  });

  it('raises a finding when a pod passes the risk threshold, once per throttle period', async () => {
    const { store, clock, scheduler } = setup(); // the default config: the whole pack and the risk rules
    await scheduler.runDue();
    clock.t = T0 + H + 20 * 60; // 11:20: the 11:00 detections ran, then the 11:15 rule run (delayed < 4 min) sees them
    await scheduler.runDue();
    const findings = await store.findings();
    const toolbox = findings.find((f) => f.riskObject === 'debug-toolbox' && f.ruleName.startsWith('Risk - Threshold'))!;
    expect(toolbox).toBeDefined();
    expect(toolbox.riskScore).toBeGreaterThan(100);
    expect(toolbox.status).toBe('new');
    const detail = JSON.parse(toolbox.detail) as { risk_event_ids: string[]; sources: string[] };
    const ids = new Set(store.events.filter((e) => e.index === 'risk').map((e) => JSON.parse(e._raw) as { risk_event_id: string; risk_object: string }).filter((r) => r.risk_object === 'debug-toolbox').map((r) => r.risk_event_id));
    expect([...detail.risk_event_ids].sort()).toEqual([...ids].sort());
    expect(store.events.filter((e) => e.index === 'notable').length).toBe(findings.length);
    clock.t = T0 + 1.5 * H + 1; // 11:30: same risk, but the rule is throttled for 24h per object
    const before = (await store.findings()).length;
    await scheduler.runDue();
    expect((await store.findings()).length).toBe(before);
  });

  it('backfill gives exactly what live scheduling gives, alert actions included', async () => {
    const live = setup({}, T0 + 0.5 * H, true);
    await live.scheduler.runDue();
    for (let m = 15; m <= 4 * 60; m += 15) {
      live.clock.t = T0 + 0.5 * H + m * 60;
      await live.scheduler.runDue();
    }
    const from = (await live.store.runs())[0]!.scheduledTime - 1;
    const to = Math.max(...(await live.store.runs()).map((r) => r.scheduledTime));
    const back = setup({}, live.clock.t, true);
    const plan = back.scheduler.planBackfill(from, to);
    const sum = await back.scheduler.backfill(plan);
    expect(await ledgerOf(back.store)).toEqual(await ledgerOf(live.store));
    expect(raws(back.store)).toEqual(raws(live.store));
    expect((await live.store.findings()).length).toBeGreaterThan(0);
    // The same deliveries owed (ids are the idempotency keys), with the same bodies, and the same suppressions.
    expect(outboxOf(live.store).length).toBeGreaterThan(0);
    expect(outboxOf(live.store).some((o) => o.action === 'soc')).toBe(true);
    expect(outboxOf(back.store)).toEqual(outboxOf(live.store));
    expect([...back.store.suppressions].sort()).toEqual([...live.store.suppressions].sort());
    expect(sum).toMatchObject({ runs: plan.length, ran: plan.length, skipped: 0, failed: 0, aborted: false, findings: (await live.store.findings()).length });
    // A second backfill of the same period adds nothing.
    const count = back.store.events.length;
    expect(await back.scheduler.backfill(back.scheduler.planBackfill(from, to))).toMatchObject({ ran: 0, skipped: plan.length });
    expect(back.store.events.length).toBe(count);
    expect(back.store.outbox.size).toBe(live.store.outbox.size);
  });

  it('backfill without actions (--no-actions) writes the same runs and risk events and queues no alert', async () => {
    const live = setup({}, T0 + 0.5 * H, true);
    await live.scheduler.runDue();
    live.clock.t = T0 + 2.5 * H;
    await live.scheduler.runDue();
    const quiet = setup({}, live.clock.t, true);
    const to = Math.max(...(await live.store.runs()).map((r) => r.scheduledTime));
    await quiet.scheduler.backfill(quiet.scheduler.planBackfill((await live.store.runs())[0]!.scheduledTime - 1, to), { actions: false });
    expect(await ledgerOf(quiet.store)).toEqual(await ledgerOf(live.store));
    expect(raws(quiet.store)).toEqual(raws(live.store));
    expect(live.store.outbox.size).toBeGreaterThan(0);
    expect(quiet.store.outbox.size).toBe(0);
  });

  it('backfill runs a realtime detection on its windows, as the live scheduler does', async () => {
    const settings = { enable: [SEED.name], realtime: [SEED.name], realtimeGraceSeconds: 1 };
    const live = setup(settings, T0);
    await live.scheduler.runDue(); // first sight: windows from T0 on
    live.clock.t = T0 + 15 * 60 + 1;
    await live.scheduler.runDue();
    const back = setup(settings, live.clock.t);
    const plan = back.scheduler.planBackfill(T0, T0 + 15 * 60);
    expect(plan).toHaveLength(90); // 10 s windows, not the cron's hourly times
    await back.scheduler.backfill(plan);
    expect(await ledgerOf(back.store)).toEqual(await ledgerOf(live.store));
    expect(raws(back.store)).toEqual(raws(live.store));
    expect(raws(back.store).length).toBeGreaterThan(0);
  });

  it('reports a realtime detection (config detections.realtime) as realtime, its next run the next window past its grace', async () => {
    const { clock, scheduler } = setup({ enable: [SEED.name], realtime: [SEED.name], realtimeGraceSeconds: 1 }, T0 + 3);
    expect(scheduler.modeOf(SEED)).toBe('realtime');
    // Never run: the window it will start from, [T0, T0 + 10), runs at T0 + 10 + grace (not the cron's next hour).
    expect(await scheduler.nextRunOf(SEED, clock.t)).toEqual({ scheduledTime: T0 + 10, startAt: T0 + 11 });
    await scheduler.runDue(); // first sight: cursor at T0
    clock.t = T0 + 25;
    const ran = await scheduler.runDue(); // windows ending T0+10 and T0+20
    expect(ran.map((r) => r.scheduledTime - T0)).toEqual([10, 20]);
    expect(await scheduler.nextRunOf(SEED, clock.t)).toEqual({ scheduledTime: T0 + 30, startAt: T0 + 31 });
    expect(setup({ enable: [SEED.name] }, T0).scheduler.modeOf(SEED)).toBe('scheduled');
  });

  it('backfill leaves scheduled times after now to the scheduler, which then runs them over complete windows', async () => {
    const { store, clock, scheduler } = setup({ enable: [SEED.name] }, T0 + 1.5 * H);
    await scheduler.runDue(); // first sight at 11:30
    // --to 3 h ahead: only 11:00 has come (a run at 12:00 now would search 10:50-11:50 before its end).
    const plan = scheduler.planBackfill(T0, T0 + 4 * H);
    expect(plan.map((r) => (r.scheduledTime - T0) / H)).toEqual([1]);
    await scheduler.backfill(plan);
    clock.t = T0 + 3 * H + seedDelay;
    expect((await scheduler.runDue()).map((r) => [(r.scheduledTime - T0) / H, r.mode])).toEqual([
      [2, 'scheduled'],
      [3, 'scheduled'],
    ]);
    expect((await store.runs()).map((r) => (r.scheduledTime - T0) / H).sort()).toEqual([1, 2, 3]);
    // A realtime detection's windows: those whose grace has passed.
    const rt = setup({ enable: [SEED.name], realtime: [SEED.name], realtimeGraceSeconds: 1 }, T0 + 60 + 0.5);
    expect(rt.scheduler.planBackfill(T0, T0 + H).map((r) => r.scheduledTime - T0)).toEqual([10, 20, 30, 40, 50]);
  });

  it('bounds a backfill (period, runs: BACKFILL_LIMIT) and runs one at a time (BACKFILL_BUSY)', async () => {
    const { scheduler } = setup({ backfillMaxPeriodSeconds: 2 * 86400, backfillMaxRuns: 30 }, T0 + 3 * 86400);
    expect(() => scheduler.planBackfill(T0, T0 + 3 * 86400)).toThrow(expect.objectContaining({ code: 'BACKFILL_LIMIT', message: expect.stringContaining('schedule.backfill_max_period') }));
    // The default config schedules the pack hourly and the rules more often: more than 30 runs in a day.
    expect(() => scheduler.planBackfill(T0, T0 + 86400)).toThrow(expect.objectContaining({ code: 'BACKFILL_LIMIT', message: expect.stringContaining('schedule.backfill_max_runs') }));
    expect(scheduler.planBackfill(T0, T0 + 86400, [SEED])).toHaveLength(24);
    // With the period unbounded, a backfill of millennia is refused as soon as the runs pass the limit (hourly: one per hour).
    const end = Date.UTC(9999, 11, 30) / 1000;
    const far = setup({ backfillMaxPeriodSeconds: end - T0, backfillMaxRuns: 30 }, end).scheduler;
    expect(() => far.planBackfill(T0, end, [SEED])).toThrow(
      expect.objectContaining({ code: 'BACKFILL_LIMIT', message: expect.stringContaining(`more than 30 runs (about ${Number(((end - T0) / H).toPrecision(2))}) (schedule.backfill_max_runs)`) }),
    );
    expect(() => scheduler.planBackfill(T0, T0)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => scheduleSettings({ backfill_max_runs: 0 }, undefined)).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('schedule.backfill_max_runs') }));
    const first = scheduler.backfill(scheduler.planBackfill(T0, T0 + 2 * H, [SEED]));
    await expect(scheduler.backfill([])).rejects.toMatchObject({ code: 'BACKFILL_BUSY' });
    expect((await first).ran).toBe(2);
    expect((await scheduler.backfill([])).runs).toBe(0);
  });
});

describe('the scheduler loop', () => {
  it('starts each realtime window within its grace even when timers fire a little early', async () => {
    const { store, scheduler } = setup({ enable: [SEED.name], realtime: [SEED.name], realtimeGraceSeconds: 0.3 }, T0);
    // A clock whose timers fire 1 ms before the time they were set for (as Node's may, against the wall clock).
    const starts: { at: number; scheduled: number }[] = [];
    let waits = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const clock = {
      t: T0 + 0.1,
      now: () => clock.t,
      wait: async (ms: number) => {
        clock.t += (ms - 1) / 1000;
        if (++waits === 40) finished();
        if (waits >= 40) await new Promise((r) => setTimeout(r, 5));
      },
    };
    Object.assign(scheduler['deps'], { clock, onRun: (r: { scheduledTime: number }) => starts.push({ at: clock.t, scheduled: r.scheduledTime }) });
    scheduler.start();
    await done;
    await scheduler.stop();
    expect(starts.length).toBeGreaterThan(10);
    // Every window ran once, in order, at most its grace (plus the margin) after it closed: never a window late.
    for (const s of starts) expect(s.at - s.scheduled).toBeLessThan(0.3 + 0.05);
    expect((await store.runs()).length).toBe(starts.length);
  });
});
