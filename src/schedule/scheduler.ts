import { hostname } from 'node:os';
import type { ContentPack } from '../detections/content.js';
import type { Detection } from '../detections/detection.js';
import { filterAddsWriters, filterSavedIn, FILTER_WRITES_REFUSAL } from '../detections/filter-writers.js';
import type { Event } from '../events/event.js';
import { VigilError } from '../errors.js';
import { expandMacros } from '../spl/macros/macros.js';
import { checkSearch } from '../spl/index.js';
import { StoreError, type FindingRecord, type RunCommit, type RunMode, type RunRecord, type StateStore } from '../store/types.js';
import { CronSchedule } from './cron.js';
import { RunTimeout, SearchCancelled, SearchWorkerUnavailable, type RunExecutor } from './executor.js';
import { findingsOfRun, MAX_RUN_RISK_CHARS, riskEventsOfRun, throttleKey } from './outputs.js';
import { isRealtime, isScheduled, nextWindowEnd, realtimeWindowOf, type ScheduleSettings } from './settings.js';
import { runsUpTo, tooManyRuns, type RunSource } from './runs.js';
import type { MatchLookup } from './incremental.js';
import { searchWindow, startDelaySeconds } from './window.js';
import type { Result } from '../events/result.js';

/** Time as the scheduler sees it; tests drive a fake one. */
export interface Clock {
  /** Epoch seconds. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now() / 1000,
  wait: (ms, signal) =>
    new Promise((resolve) => {
      // The listener must go when the timer fires: a long-running loop would otherwise pile them up.
      const onAbort = () => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Extra outbox items for a run's outputs (alert actions), computed by outputs/ routing. */
export type AlertPlanner = (d: Detection, run: RunRecord, riskEvents: readonly Event[], findings: readonly FindingRecord[]) => Promise<Pick<RunCommit, 'outbox' | 'suppressions'>>;

export interface SchedulerDeps {
  content: () => ContentPack;
  state: StateStore;
  /** Indexes searched when a detection names none (asked at every run: indexes come and go). */
  defaultIndexes: () => readonly string[] | 'all' | Promise<readonly string[] | 'all'>;
  executor: RunExecutor;
  clock: Clock;
  /** A getter so changes (detections enabled from the console) apply to the next run. */
  settings: ScheduleSettings | (() => ScheduleSettings);
  /** Alert actions for each run's risk events and findings (the config's routes); null when none. */
  alerts: AlertPlanner | null;
  /** Filter prefixes evaluated at ingest: runs whose window it covers aggregate its matches only. */
  matchIndex?: MatchLookup;
  /** This node's name in run leases (the config's `node.name`); default `defaultNodeName()`. */
  node?: string;
  /**
   * `<dataDir>/content` while API clients may not write lookups (`search.outputLookup` off): a detection whose filter
   * macro was saved there (through the API) and adds outputlookup or map fails its run with SPL_LOOKUP_WRITE, before
   * its search: the filter may have been saved while the switch was on. The content's own filters may write.
   */
  refuseFilterWritesIn?: string;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  onRun?: (run: RunRecord) => void;
}

/** A run the scheduler owes: a detection at one of its cron times. */
export interface DueRun {
  detection: Detection;
  scheduledTime: number;
  /** When it may start: the scheduled time plus its schedule-window delay. */
  startAt: number;
}

/** What a backfill did (`Scheduler.backfill`). */
export interface BackfillSummary {
  /** Runs planned. */
  runs: number;
  /** Runs executed and committed. */
  ran: number;
  /** Runs already in the ledger (an earlier backfill or the live scheduler): left as they are. */
  skipped: number;
  /**
   * Runs another node (or process) held the lease of: it executes them, or its lease expires (`schedule.lease`) and
   * the next backfill or scheduler does. Not in the ledger yet.
   */
  held: number;
  results: number;
  riskEvents: number;
  findings: number;
  /** Executed runs whose search failed or timed out. */
  failed: number;
  /** Stopped before the end (the caller's signal, or the scheduler stopping). */
  aborted: boolean;
}

/** How long to wait before retrying a commit the store refused as busy. */
const BUSY_RETRY_MS = 1000;
/** How long a detection's runs wait after its search could not read the event store (an outage) before the next try. */
const STORE_RETRY_S = 30;

/**
 * A node's name when the config gives none: `<hostname>:<pid>`, distinct among the processes of a cluster
 * at any one time. A restarted node gets a new one, so a run it held when it died waits for its lease to expire.
 */
export function defaultNodeName(): string {
  return `${hostname()}:${process.pid}`;
}

/**
 * What one attempt at a run came to (see `attempt`). 'unavailable': its search could not read the event store (a
 * ClickHouse shard down, a store error): nothing committed, the run is tried again later within `max_lag`.
 */
type Attempt = RunRecord | 'ran' | 'held' | 'cancelled' | 'unavailable';

/**
 * Runs enabled detections on their cron, as Splunk ES does: each scheduled time once (the ledger's
 * uniqueness guarantees it), its window resolved against the scheduled time, missed times caught up after
 * downtime (oldest first, bounded by max lag), and a run's risk events, findings and alert deliveries
 * committed atomically with its ledger row. Risk incident rules (Correlation detections over index=risk)
 * run through the same loop and raise findings.
 */
export class Scheduler {
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private backfilling: Promise<BackfillSummary> | null = null;
  /** The detections `due` found enabled at its last pass (null before the first pass). */
  private enabledAtLastPass: Set<string> | null = null;
  /** Detections whose last run could not read the event store, and when they are tried again (clock seconds). */
  private readonly storeRetryAt = new Map<string, number>();
  /** Why the last attempt was 'unavailable' (the store's or the worker's message), for the one warning an outage gets. */
  private outage = '';
  /** The name this scheduler's run leases carry. */
  readonly node: string;
  /**
   * The content and time zone the match index last compiled prefixes with (each pass): a run planned with others (a
   * macro saved during a long pass) scans, since the matches are those of the old prefix.
   */
  private indexedWith: { content: ContentPack; tz: string } | null = null;

  constructor(private readonly deps: SchedulerDeps) {
    this.node = deps.node ?? defaultNodeName();
  }

  private get settings(): ScheduleSettings {
    const s = this.deps.settings;
    return typeof s === 'function' ? s() : s;
  }

  /** Detections the scheduler runs (see isScheduled). */
  enabledDetections(): Detection[] {
    return this.deps.content().detections.filter((d) => isScheduled(d, this.settings));
  }

  private cron(d: Detection): CronSchedule {
    return new CronSchedule(d.schedule.cron, this.settings.tz);
  }

  /**
   * The runs due at `now`, oldest first (at equal times, detections before incident rules, so a rule sees
   * the risk events of its hour). A detection seen for the first time starts from now (no backfill), and so does
   * one enabled since the last pass: the times it was disabled are not owed ("You cannot run a disabled
   * search", savedsearches.conf.spec), whereas downtime before this process's first pass is caught up.
   */
  async due(now: number): Promise<DueRun[]> {
    const { state } = this.deps;
    const settings = this.settings;
    const out: DueRun[] = [];
    const enabled = this.enabledDetections();
    const before = this.enabledAtLastPass;
    for (const d of enabled) {
      const fresh = before !== null && !before.has(d.id);
      if (isRealtime(d, settings)) {
        for (const r of await this.dueRealtime(d, now, fresh)) out.push(r); // not a spread: 1 s windows after a day down are 86,400
        continue;
      }
      const cursor = fresh ? null : await state.cursor(d.id);
      if (cursor === null) {
        await state.setCursor(d.id, now);
        continue;
      }
      const cron = this.cron(d);
      const delay = startDelaySeconds(d.id, d.schedule.scheduleWindow, cron.period(now));
      // A run's lag counts from when it was to start (its time + delay): counted from its time, a max lag shorter
      // than the delay (an hourly `auto` start 2-15 min late, max_lag 90s) dropped every run of the detection.
      const floor = now - delay - settings.maxLagSeconds;
      if (cursor < floor) {
        const missed = cron.between(cursor, floor, 100_000).length;
        if (missed) this.deps.log?.('warn', `${d.name}: ${missed} scheduled run(s) older than the max lag were not caught up`);
        // Said once: with no run due since the floor (a max lag shorter than the period) the cursor stayed, and every pass said it again.
        await state.setCursor(d.id, floor);
      }
      for (const t of cron.between(Math.max(cursor, floor), now - delay)) {
        if (!(await state.hasRun(d.id, t))) out.push({ detection: d, scheduledTime: t, startAt: t + delay });
      }
    }
    this.enabledAtLastPass = new Set(enabled.map((d) => d.id));
    return out.sort(runOrder);
  }

  /**
   * Closed tumbling windows of a realtime detection: [kW, (k+1)W) once (k+1)W + grace has passed. The run's
   * scheduled time is the window's end.
   */
  private async dueRealtime(d: Detection, now: number, fresh: boolean): Promise<DueRun[]> {
    const w = realtimeWindowOf(d, this.settings);
    const cursor = fresh ? null : await this.deps.state.cursor(d.id);
    if (cursor === null) {
      await this.deps.state.setCursor(d.id, Math.floor(now / w) * w);
      return [];
    }
    const out: DueRun[] = [];
    const last = Math.floor((now - this.settings.realtimeGraceSeconds) / w) * w;
    // As for cron runs, a window's lag counts from when it was to run (its end + grace).
    const floor = now - this.settings.realtimeGraceSeconds - this.settings.maxLagSeconds;
    for (let end = Math.max(Math.floor(cursor / w) * w + w, Math.ceil(floor / w) * w); end <= last; end += w) {
      if (!(await this.deps.state.hasRun(d.id, end))) out.push({ detection: d, scheduledTime: end, startAt: end + this.settings.realtimeGraceSeconds });
    }
    return out;
  }

  /** The search window of a run: realtime windows end at their scheduled time; cron runs resolve modifiers. */
  windowOf(d: Detection, scheduledTime: number): { earliest: number; latest: number } {
    if (isRealtime(d, this.settings)) return { earliest: scheduledTime - realtimeWindowOf(d, this.settings), latest: scheduledTime };
    return searchWindow(d.schedule, scheduledTime, this.settings.tz);
  }

  /**
   * Runs everything due at the clock's now; returns the ledger rows written. A run another node holds the
   * lease of is left to it, and its detection's cursor stays before it (later runs of the detection still
   * run): if that node dies, the run is due again here and taken over once its lease expires.
   */
  async runDue(): Promise<RunRecord[]> {
    const done: RunRecord[] = [];
    const heldElsewhere = new Set<string>();
    if (this.deps.matchIndex) {
      const content = this.deps.content();
      const tz = this.settings.tz;
      this.deps.matchIndex.setDetections(this.enabledDetections(), content, tz);
      this.indexedWith = { content, tz };
    }
    const now = this.deps.clock.now();
    let enabled: ReadonlySet<string> | null = null;
    let checkedAt = now;
    // Said once per outage, then retried every STORE_RETRY_S with the detection's cursor before the run.
    const storeOutage = (r: DueRun, e?: unknown) => {
      const reason = e === undefined ? this.outage : (e as Error).message;
      const why = reason ? ` (${reason})` : '';
      if (!this.storeRetryAt.has(r.detection.id)) this.deps.log?.('warn', `${r.detection.name} @ ${new Date(r.scheduledTime * 1000).toISOString()}: the event store could not be read or written${why} (or its search worker could not start); its runs are tried again every ${STORE_RETRY_S} s (within schedule.max_lag)`);
      this.storeRetryAt.set(r.detection.id, now + STORE_RETRY_S);
      heldElsewhere.add(r.detection.id);
    };
    for (const r of await this.due(now)) {
      if (this.abort.signal.aborted) break;
      // A pass may last hours (a detection every minute whose runs take minutes): one disabled meanwhile (console,
      // API) stops at its next run, not after its whole backlog ("You cannot run a disabled search").
      const at = this.deps.clock.now();
      if (at - checkedAt >= 1) {
        enabled = new Set(this.enabledDetections().map((d) => d.id));
        checkedAt = at;
      }
      if (enabled !== null && !enabled.has(r.detection.id)) continue;
      // A detection whose search met a store outage waits STORE_RETRY_S, its cursor before the run (due again then).
      if ((this.storeRetryAt.get(r.detection.id) ?? 0) > now) {
        heldElsewhere.add(r.detection.id);
        continue;
      }
      const out = await this.attempt(r.detection, r.scheduledTime, isRealtime(r.detection, this.settings) ? 'realtime' : 'scheduled');
      // Stopping cancels a run uncommitted: its cursor stays, so the next start redoes it.
      if (this.abort.signal.aborted && typeof out === 'string') break;
      if (out === 'unavailable') {
        storeOutage(r);
        continue;
      }
      if (typeof out === 'object') this.storeRetryAt.delete(r.detection.id);
      if (out === 'held') heldElsewhere.add(r.detection.id);
      if (typeof out === 'object') done.push(out);
      if (heldElsewhere.has(r.detection.id)) continue;
      try {
        await this.deps.state.setCursor(r.detection.id, r.scheduledTime);
      } catch (e) {
        // The run is in the ledger (hasRun skips it next time); only the cursor waits for the store.
        if (!isStoreOutage(e)) throw e;
        storeOutage(r, e);
      }
    }
    return done;
  }

  /** How `d` runs: the config's `detections.realtime` counts, not only its content's `schedule.mode`. */
  modeOf(d: Detection): 'scheduled' | 'realtime' {
    return isRealtime(d, this.settings) ? 'realtime' : 'scheduled';
  }

  /** When `d` runs next (its next scheduled time and the start after its delay), or null if never. */
  async nextRunOf(d: Detection, now: number): Promise<{ scheduledTime: number; startAt: number } | null> {
    if (isRealtime(d, this.settings)) {
      // The first window not yet run, as dueRealtime walks them (the cron says nothing of a realtime detection).
      const w = realtimeWindowOf(d, this.settings);
      const cursor = await this.deps.state.cursor(d.id);
      const floor = now - this.settings.realtimeGraceSeconds - this.settings.maxLagSeconds;
      const end = cursor === null ? Math.floor(now / w) * w + w : Math.max(Math.floor(cursor / w) * w + w, Math.ceil(floor / w) * w);
      return { scheduledTime: end, startAt: end + this.settings.realtimeGraceSeconds };
    }
    const cron = this.cron(d);
    const delay = startDelaySeconds(d.id, d.schedule.scheduleWindow, cron.period(now));
    const t = cron.next(Math.max((await this.deps.state.cursor(d.id)) ?? now, now - delay - this.settings.maxLagSeconds));
    return t === null ? null : { scheduledTime: t, startAt: t + delay };
  }

  /** The next time something becomes due (epoch seconds), or null when nothing is enabled. */
  async nextWake(now: number): Promise<number | null> {
    let next: number | null = this.nextRealtimeWake(now);
    for (const d of this.enabledDetections()) {
      if (isRealtime(d, this.settings)) continue;
      const at = (await this.nextRunOf(d, now))?.startAt ?? null;
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        try {
          await this.runDue();
        } catch (e) {
          this.deps.log?.('error', `scheduler: ${(e as Error).message}`);
        }
        const now = this.deps.clock.now();
        let next: number | null = null;
        try {
          next = await this.nextWake(now);
        } catch (e) {
          this.deps.log?.('error', `scheduler: ${(e as Error).message}`);
        }
        // Wake at the next due time, and at least every minute to notice content or config changes. The
        // 5 ms margin: timers may fire a little before the wall clock reaches their time, and a realtime
        // window found not yet due would wait for the next window's wake-up (measured: p99 +1 window).
        const ms = Math.max(50, Math.min(60_000, next === null ? 60_000 : (next - now) * 1000 + 5));
        await this.deps.clock.wait(ms, signal);
      }
    })();
  }

  /** Stops the loop and any backfill (after its current run), and waits for both. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([this.loop, this.backfilling]);
    this.loop = null;
  }

  /**
   * The runs a backfill of (from, to] executes: every scheduled time of `detections` (default: the enabled
   * ones) in the period, in the order the scheduler runs them, up to the clock's now: a later one is left to the
   * scheduler (run early it would search a window still filling, and, in the ledger, never run again; Splunk
   * runs a search at its scheduled time, never before). `BACKFILL_LIMIT` past `schedule.backfill_max_period` or
   * `schedule.backfill_max_runs`.
   */
  planBackfill(from: number, to: number, detections?: readonly Detection[]): DueRun[] {
    const { backfillMaxPeriodSeconds: maxPeriod, backfillMaxRuns: maxRuns } = this.settings;
    if (!(Number.isFinite(from) && Number.isFinite(to) && to > from)) throw new VigilError('USAGE', 'a backfill period must end after it starts');
    if (to - from > maxPeriod) {
      throw new VigilError('BACKFILL_LIMIT', `a backfill covers at most ${maxPeriod / 86400} days (schedule.backfill_max_period); split the period or raise the limit`);
    }
    const now = this.deps.clock.now();
    const sources = [...new Map((detections ?? this.enabledDetections()).map((x) => [x.id, x])).values()].map((d): RunSource<Detection> => {
      if (!isRealtime(d, this.settings)) {
        const cron = this.cron(d);
        return { key: d, next: (after) => cron.next(after), to: Math.min(to, now) };
      }
      // A realtime window is due once its grace has passed, as in dueRealtime.
      const w = realtimeWindowOf(d, this.settings);
      return { key: d, next: (after) => nextWindowEnd(w, after), to: Math.min(to, now - this.settings.realtimeGraceSeconds) };
    });
    const { runs, over } = runsUpTo(sources, from, maxRuns);
    if (over) {
      throw new VigilError('BACKFILL_LIMIT', `the backfill would execute ${tooManyRuns(maxRuns, over)} (schedule.backfill_max_runs); name fewer detections, shorten the period or raise the limit`);
    }
    return runs.map(({ key, t }) => ({ detection: key, scheduledTime: t, startAt: t })).sort(runOrder);
  }

  /**
   * Executes a backfill plan as the live scheduler would: the same executeRun (search, throttling, risk
   * events, findings, alert actions planned against the scheduled time), oldest first. Runs already in the
   * ledger are skipped, so it is idempotent. `actions: false` plans no alert actions (a quiet re-run). One
   * backfill at a time per scheduler (`BACKFILL_BUSY`); `signal` or stop() ends it after the current run.
   */
  backfill(plan: readonly DueRun[], opts: { actions?: boolean; signal?: AbortSignal; onRun?: (run: RunRecord) => void } = {}): Promise<BackfillSummary> {
    if (this.backfilling) return Promise.reject(new VigilError('BACKFILL_BUSY', 'a backfill is already running; wait for it to end'));
    const stopped = () => opts.signal?.aborted === true || this.abort.signal.aborted;
    const work = (async () => {
      const sum: BackfillSummary = { runs: plan.length, ran: 0, skipped: 0, held: 0, results: 0, riskEvents: 0, findings: 0, failed: 0, aborted: false };
      for (const r of plan) {
        if (stopped()) break;
        const run = await this.attempt(r.detection, r.scheduledTime, 'backfill', { actions: opts.actions ?? true });
        // A run cancelled by stop() is neither in the ledger nor held (its lease was released): it counts as not reached.
        if (run === 'cancelled') continue;
        // Not committed either: the same backfill run again redoes it.
        if (run === 'unavailable') {
          sum.failed++;
          continue;
        }
        if (run === 'ran' || run === 'held') {
          if (run === 'ran') sum.skipped++;
          else sum.held++;
          continue;
        }
        sum.ran++;
        sum.results += run.resultCount;
        sum.riskEvents += run.riskEventCount;
        sum.findings += run.findingCount;
        if (run.status !== 'success') sum.failed++;
        opts.onRun?.(run);
      }
      sum.aborted = sum.ran + sum.skipped + sum.held < plan.length;
      return sum;
    })();
    this.backfilling = work;
    return work.finally(() => {
      this.backfilling = null;
    });
  }

  /** Whether a backfill is running (a second one would fail with `BACKFILL_BUSY`). */
  get backfillRunning(): boolean {
    return this.backfilling !== null;
  }

  /** Realtime detections' next window closes (for the wake-up timer). */
  private nextRealtimeWake(now: number): number | null {
    let next: number | null = null;
    for (const d of this.enabledDetections()) {
      if (!isRealtime(d, this.settings)) continue;
      const w = realtimeWindowOf(d, this.settings);
      const at = Math.floor(now / w) * w + w + this.settings.realtimeGraceSeconds;
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /**
   * Executes one run of `d` for `scheduledTime` and commits it. Returns null when the ledger already had
   * it (a concurrent scheduler or an earlier backfill), when another node holds its lease (it runs it), or
   * when the scheduler stopped during the search (nothing is committed; the run is redone), or when its search could
   * not read the event store (nothing is committed; retried). Search errors and timeouts are recorded as failed
   * runs; they are not retried (as in Splunk). `actions: false` plans no alert actions for its outputs.
   */
  async executeRun(d: Detection, scheduledTime: number, mode: RunMode, opts: { actions?: boolean } = {}): Promise<RunRecord | null> {
    const out = await this.attempt(d, scheduledTime, mode, opts);
    return typeof out === 'object' ? out : null;
  }

  /**
   * `executeRun` under a lease: claimed before the search (refused: 'ran' or 'held'), renewed every third
   * of `schedule.lease` while it lasts, checked again by the commit. A lost lease (this node stalled past
   * it and another took the run over) stops the search and commits nothing ('held'); stopping the scheduler
   * releases the lease ('cancelled'), so whoever runs next takes the run over at once.
   */
  private async attempt(d: Detection, scheduledTime: number, mode: RunMode, opts: { actions?: boolean } = {}): Promise<Attempt> {
    const { state, clock } = this.deps;
    const leaseMs = this.settings.leaseMs;
    const refused = async (): Promise<Attempt> => ((await state.hasRun(d.id, scheduledTime)) ? 'ran' : 'held');
    if (await state.hasRun(d.id, scheduledTime)) return 'ran';
    try {
      if (!(await state.claimRun(d.id, scheduledTime, this.node, leaseMs, clock.now()))) return refused();
    } catch (e) {
      // The lease could not be written (a full disk): the same outage as a commit that cannot be.
      if (isStoreOutage(e)) return this.unavailable(e);
      throw e;
    }
    const lease = this.keepLease(d, scheduledTime, leaseMs);
    try {
      const out = await this.execute(d, scheduledTime, mode, opts, lease.lost);
      if (out === 'cancelled' && lease.lost.aborted) {
        this.deps.log?.('warn', `${d.name} @ ${new Date(scheduledTime * 1000).toISOString()}: lease lost to another node; run abandoned`);
        return 'held';
      }
      if (out === 'cancelled' || out === 'unavailable') {
        await state.renewRun(d.id, scheduledTime, this.node, 0, clock.now()).catch(() => false);
        return out;
      }
      return out === 'conflict' ? refused() : out;
    } finally {
      lease.stop();
    }
  }

  /** An attempt that found the store unavailable: remembers why, for the one warning an outage gets (runDue). */
  private unavailable(e: unknown): 'unavailable' {
    this.outage = (e as Error).message;
    return 'unavailable';
  }

  /**
   * Renews the lease every third of its length, on real timers (the clock gives the times: a test's fake
   * clock must not spin renewals). `lost` aborts when a renewal says the lease is gone (`attempt` tells).
   */
  private keepLease(d: Detection, scheduledTime: number, leaseMs: number): { lost: AbortSignal; stop: () => void } {
    const lost = new AbortController();
    let timer: NodeJS.Timeout | null = null;
    let stopped = false;
    const renew = async () => {
      try {
        if (!(await this.deps.state.renewRun(d.id, scheduledTime, this.node, leaseMs, this.deps.clock.now()))) {
          lost.abort();
          return;
        }
      } catch (e) {
        // A store hiccup: the lease is still ours until it expires; the next renewal may get through.
        this.deps.log?.('warn', `${d.name}: lease renewal failed: ${(e as Error).message}`);
      }
      if (!stopped) timer = setTimeout(() => void renew(), leaseMs / 3).unref();
    };
    timer = setTimeout(() => void renew(), leaseMs / 3).unref();
    return {
      lost: lost.signal,
      stop: () => {
        stopped = true;
        if (timer) clearTimeout(timer);
      },
    };
  }

  /** The run itself (search, throttling, outputs, commit), under a lease `attempt` holds. */
  private async execute(d: Detection, scheduledTime: number, mode: RunMode, opts: { actions?: boolean }, leaseLost: AbortSignal): Promise<RunRecord | 'cancelled' | 'conflict' | 'unavailable'> {
    const { state, clock } = this.deps;
    const settings = this.settings;
    const tz = settings.tz;
    const window = this.windowOf(d, scheduledTime);
    const startedAt = clock.now();
    const run: RunRecord = {
      detectionId: d.id,
      detectionName: d.name,
      scheduledTime,
      earliest: window.earliest,
      latest: window.latest,
      startedAt,
      endedAt: startedAt,
      status: 'success',
      mode,
      resultCount: 0,
      riskEventCount: 0,
      findingCount: 0,
      error: null,
    };
    let rows: Result[] = [];
    try {
      const pack = this.deps.content();
      // Static problems (a filter macro broken by an edit) fail here, with their position.
      const planned = checkSearch(d.search, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, name: d.name, now: scheduledTime, tz, earliest: window.earliest, latest: window.latest });
      const savedIn = this.deps.refuseFilterWritesIn;
      if (savedIn !== undefined && filterSavedIn(pack, d, savedIn) && filterAddsWriters(planned, pack, d, { now: scheduledTime, tz }))
        throw new VigilError('SPL_LOOKUP_WRITE', `filter macro ${d.filterMacro}: ${FILTER_WRITES_REFUSAL}; the run searched nothing and wrote nothing`);
      const search = expandMacros(d.search, pack.macros).text;
      // Served from the ingest-time matches when they cover the window: same SPL over far fewer events.
      const index = this.indexedWith?.content === pack && this.indexedWith.tz === tz ? this.deps.matchIndex : undefined;
      // Asked for the search's own range: an earliest=/latest= of its own overrides the window, and matches of the
      // window alone missed the events it reaches past (`earliest=-45m@m` in a 10 s realtime window).
      const matches = index ? await index.lookup(d.id, planned.earliest ?? -Infinity, planned.latest ?? Infinity) : null;
      const out = await this.deps.executor.execute(
        {
          name: d.name,
          search,
          earliest: window.earliest,
          latest: window.latest,
          now: scheduledTime,
          tz,
          defaultIndexes: await this.deps.defaultIndexes(),
          ...(matches !== null
            ? { eventSeqs: matches.seqs, ...(matches.projection ? { projection: matches.projection } : {}), ...(matches.partials ? { partials: matches.partials } : {}) }
            : {}),
        },
        settings.runTimeoutMs,
        // Finalized at the result limits, as Splunk's dispatch.max_count ("The maximum number of results before finalizing
        // the search"), not failed: a flood of matches must not cost the detection every risk event of its run.
        { signal: AbortSignal.any([this.abort.signal, leaseLost]), finalize: true },
      );
      rows = out.rows;
      if (out.finalized !== undefined) {
        run.error = out.finalized;
        this.deps.log?.('warn', `${d.name} @ ${new Date(scheduledTime * 1000).toISOString()}: ${run.error}`);
      }
    } catch (e) {
      if (e instanceof SearchCancelled) return 'cancelled';
      // The events could not be read (an outage, not the search's fault): not a failed run, retried (runDue).
      if (e instanceof VigilError && e.code === 'STORE') return this.unavailable(e);
      // Nor is a worker thread that could not start (out of file descriptors): the search never ran.
      if (e instanceof SearchWorkerUnavailable) return this.unavailable(e);
      run.status = e instanceof RunTimeout ? 'timeout' : 'failed';
      run.error = (e as { format?: () => string }).format?.() ?? (e as Error).message;
      this.deps.log?.('warn', `${d.name} @ ${new Date(scheduledTime * 1000).toISOString()}: ${run.status}: ${(e as Error).message}`);
    }
    run.resultCount = rows.length;

    // Throttling (ES alert.suppress): rows whose key fired within the period produce nothing.
    const suppressions: RunCommit['suppressions'] = [];
    if (d.throttle && rows.length) {
      const keyed = rows.map((r) => ({ r, k: throttleKey(d, r)! }));
      const active = await state.suppressed([...new Set(keyed.map((x) => x.k))], scheduledTime);
      const seen = new Set<string>();
      rows = keyed
        .filter((x) => {
          if (active.has(x.k) || seen.has(x.k)) return false;
          seen.add(x.k);
          suppressions.push({ key: x.k, until: scheduledTime + d.throttle!.periodSeconds });
          return true;
        })
        .map((x) => x.r);
    }

    const isRule = d.type === 'Correlation';
    // Assigned, not spread into an array: a run may write 100k+ risk events (a spread of them overflows the stack).
    let events: Event[] = [];
    let findings: FindingRecord[] = [];
    if (run.status === 'success') {
      if (isRule) {
        const f = findingsOfRun(d, rows, scheduledTime);
        findings = f.findings;
        events = f.notables;
      } else if (d.riskObjects.length) {
        events = riskEventsOfRun(d, rows, scheduledTime, window, {
          onCut: (made) => {
            const cut = `risk events cut at ${made}: their JSON passed ${MAX_RUN_RISK_CHARS} characters (a run's limit); the rest were not written`;
            run.error = run.error === null ? cut : `${run.error}; ${cut}`;
            this.deps.log?.('warn', `${d.name} @ ${new Date(scheduledTime * 1000).toISOString()}: ${cut}`);
          },
        });
      }
    }
    run.riskEventCount = isRule ? 0 : events.length;
    run.findingCount = findings.length;
    run.endedAt = clock.now();
    const alerts =
      this.deps.alerts && run.status === 'success' && opts.actions !== false ? await this.deps.alerts(d, run, isRule ? [] : events, findings) : { outbox: [], suppressions: [] };
    const commit: RunCommit = { run, events, findings, outbox: alerts.outbox, suppressions: [...suppressions, ...alerts.suppressions] };
    for (;;) {
      if (leaseLost.aborted) return 'cancelled';
      try {
        commit.lease = { node: this.node, now: clock.now() }; // now: a busy retry commits later
        await state.commitRun(commit);
        break;
      } catch (e) {
        if (e instanceof StoreError && e.reason === 'STORE_CONFLICT') return 'conflict';
        if (e instanceof StoreError && e.reason === 'STORE_BUSY' && !this.abort.signal.aborted) {
          await clock.wait(BUSY_RETRY_MS, this.abort.signal);
          continue;
        }
        // Not recorded (a full disk cannot take the ledger row either): nothing of the run was written, so it is
        // tried again like a run whose search could not read the store. Thrown, the loop redid the search every 50 ms.
        if (isStoreOutage(e)) return this.unavailable(e);
        throw e instanceof VigilError ? e : new VigilError('STORE', `cannot record run of ${d.name}: ${(e as Error).message}`, { cause: e });
      }
    }
    this.deps.onRun?.(run);
    return run;
  }
}

/**
 * A store that cannot take a write now (full disk: STORE_FULL; an I/O error, a dead writer: STORE_IO; closing):
 * not the run's fault. STORE_BUSY is retried in place; STORE_CONFLICT is the ledger's answer.
 */
function isStoreOutage(e: unknown): boolean {
  return e instanceof StoreError && (e.reason === 'STORE_FULL' || e.reason === 'STORE_IO' || e.reason === 'STORE_CLOSED' || e.reason === 'STORE_BUSY');
}

function runOrder(a: DueRun, b: DueRun): number {
  if (a.scheduledTime !== b.scheduledTime) return a.scheduledTime - b.scheduledTime;
  const ar = a.detection.type === 'Correlation' ? 1 : 0;
  const br = b.detection.type === 'Correlation' ? 1 : 0;
  if (ar !== br) return ar - br;
  return a.detection.name < b.detection.name ? -1 : a.detection.name > b.detection.name ? 1 : 0;
}
