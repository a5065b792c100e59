import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { VigilConfig } from '../config/config.js';
import { AccelerationService } from '../acceleration/service.js';
import { accelerationSettings, type AccelerationSettings } from '../acceleration/settings.js';
import { BUNDLED_CONTENT_DIR, loadContent, type ContentPack } from '../detections/content.js';
import { createHecServer, type HecServer } from '../hec/index.js';
import { WorkerExecutor } from '../schedule/executor.js';
import { alertConfig, configuredAlerts } from '../schedule/alerts.js';
import { MatchIndexThread } from '../schedule/match-thread.js';
import { AlertDispatcher } from '../outputs/index.js';
import type { Event } from '../events/event.js';
import { Scheduler, systemClock, type Clock } from '../schedule/scheduler.js';
import { scheduleSettings, type ScheduleSettings } from '../schedule/settings.js';
import { DetectionToggles } from '../schedule/toggles.js';
import { defaultSearchIndexes } from '../store/default-indexes.js';
import { openStore, type SqliteStore } from '../store/sqlite-store.js';
import { createApi } from './api.js';
import { listenHttp, type HttpServer } from './http-server.js';
import { CONSOLE_DIR } from './static.js';
import { parseUsers, type UserConfig } from './users.js';
import { removeServerFile, writeServerFile } from './server-file.js';

/** Of `shutdownTimeout`, what is kept after in-flight requests and deliveries are cut: committing and closing the store. */
export const SHUTDOWN_RESERVE_MS = 1000;

export interface VigilServer {
  hecUrl: string;
  apiUrl: string;
  store: SqliteStore;
  hec: HecServer;
  scheduler: Scheduler;
  /** The ingest-time match index (null with `schedule.incremental: false`). */
  matchIndex: MatchIndexThread | null;
  /** Where the API's and console's searches run (worker threads, with the config's `search:` limits). */
  searches: WorkerExecutor;
  /** Data model summaries (tstats acceleration), built as events arrive. */
  acceleration: AccelerationService;
  content(): ContentPack;
  close(): Promise<void>;
}

export interface StartOptions {
  contentDirs?: readonly string[];
  clock?: Clock;
  /** Start the scheduler (default true). */
  schedule?: boolean;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Console users; default: the `users:` section of the config file. */
  users?: readonly UserConfig[];
  /** The built console to serve; default web/dist of this package (null: none). */
  consoleDir?: string | null;
}

/** Content edited at run time (filter macros from the console) lives here, layered over everything else. */
export function userContentDir(dataDir: string): string {
  return join(dataDir, 'content');
}

/**
 * Content as `vigil serve` schedules it: the bundled pack, the `--content` dirs, then the console's edits
 * in `<dataDir>/content` (once something was saved there). `vigil backfill` loads the same.
 */
export function loadServerContent(dataDir: string, contentDirs: readonly string[]): ContentPack {
  const user = userContentDir(dataDir);
  return loadContent([...contentDirs, ...(existsDir(user) ? [user] : [])]);
}

/** Detections enabled/disabled from the console, kept in the data dir. */
export function detectionToggles(dataDir: string): DetectionToggles {
  return new DetectionToggles(join(dataDir, 'detections.yml'));
}

/**
 * Validates the sections of the config that other modules own (schedule, detections, alert_actions, users),
 * with `file:line:` positions. `vigil serve` does it before opening anything, so a bad value is a config
 * error (exit 2), never a failure after the server said it runs.
 */
export function serverSettings(config: VigilConfig): { schedule: ScheduleSettings; users: UserConfig[]; acceleration: AccelerationSettings } {
  alertConfig(config); // parsed again by configuredAlerts, with the store its planner needs
  return {
    schedule: scheduleSettings(config.schedule, config.detections, config.at),
    users: parseUsers(config.users, 'users', config.at),
    acceleration: accelerationSettings(config.datamodels, config.acceleration, config.at),
  };
}

/**
 * Starts everything `vigil serve` runs: the store, the HEC collector, the scheduler (detections and risk
 * incident rules, searches in a worker thread), the HTTP API and console, and periodic retention.
 * Closing cancels every search, stops intake, scheduling and alert deliveries (in-flight requests and
 * deliveries get `shutdownTimeout` − `SHUTDOWN_RESERVE_MS`), then waits for pending writes, then closes the store.
 */
export async function startServer(config: VigilConfig, opts: StartOptions = {}): Promise<VigilServer> {
  const clock = opts.clock ?? systemClock;
  const settings = serverSettings(config);
  const users = opts.users ?? settings.users;
  const retention = Object.fromEntries(Object.entries(config.indexes).map(([name, ix]) => [name, ix.retention]));
  const store = await openStore(config.dataDir, { retention, owner: 'vigil serve' });
  const contentDirs = [...(opts.contentDirs ?? []), userContentDir(config.dataDir)];
  const loadAll = (): ContentPack => {
    const loaded = loadServerContent(config.dataDir, opts.contentDirs ?? []);
    // Every expansion the server makes (API searches and checks, previews, scheduled runs, the match index)
    // goes through this library or a copy of it (`with`), so the config's caps apply to all of them.
    loaded.macros.limits = { maxExpansions: config.search.maxMacroExpansions, maxExpandedChars: config.search.maxMacroChars };
    return loaded;
  };
  let pack = loadAll();
  // Out of the remaining shutdown time: the summary worker finishes its chunk, else is terminated (it resumes from built_seq).
  const graceMs = Math.max(0, config.shutdownTimeoutMs - SHUTDOWN_RESERVE_MS);
  const acceleration = new AccelerationService(config.dataDir, store, settings.acceleration, pack, settings.schedule.tz, () => clock.now(), opts.log, { closeTimeoutMs: graceMs });
  const reloadContent = (): ContentPack => {
    pack = loadAll();
    // The summary worker reloads it; a dataset whose definition changed is rebuilt.
    acceleration.setContent(pack);
    return pack;
  };
  const toggles = detectionToggles(config.dataDir);
  const baseSettings = settings.schedule;
  const alerts = configuredAlerts(config, store);
  const dispatcher = new AlertDispatcher({
    state: store,
    actions: alerts.actions,
    now: () => clock.now(),
    ...(opts.log ? { log: (level: 'info' | 'warn' | 'error', message: string) => opts.log!(level, `alerts: ${message}`) } : {}),
  });
  // Incremental evaluation: exact for windows after the newest event the store held at start.
  const newestAtStart = Math.max(-Infinity, ...(await store.indexes()).map((i) => i.latest ?? -Infinity));
  const matchIndex = baseSettings.incremental
    ? new MatchIndexThread({
        startedAfter: newestAtStart,
        horizonSeconds: 2 * baseSettings.maxLagSeconds + 2 * 3600,
        ...(opts.log ? { log: opts.log } : {}),
      })
    : null;
  const workerSetup = {
    dataDir: config.dataDir,
    contentDirs: [BUNDLED_CONTENT_DIR, ...contentDirs].filter(existsDir),
    summaries: { maxRemainderEvents: settings.acceleration.maxRemainderEvents, maxCachedRows: settings.acceleration.maxCachedRows },
  };
  const limits = { maxMemoryBytes: config.search.maxMemoryBytes, maxResults: config.search.maxResults, maxResultBytes: config.search.maxResultBytes };
  // Scheduled runs one at a time (Splunk's per-search concurrency of 1); their time limit is schedule.run_timeout.
  const executor = new WorkerExecutor(workerSetup, limits);
  // The API's and console's searches (search, filter previews, console queries) never wait behind scheduled runs.
  const searches = new WorkerExecutor(workerSetup, {
    ...limits,
    maxConcurrent: config.search.maxConcurrent,
    maxQueued: config.search.maxQueued,
    // Rows are counted as JSON text in characters, like maxResultBytes.
    maxBufferedChars: config.search.maxBufferedBytes,
  });
  const scheduler = new Scheduler({
    content: () => pack,
    state: store,
    defaultIndexes: () => defaultSearchIndexes(store),
    executor,
    clock,
    settings: () => toggles.apply(baseSettings),
    alerts: alerts.planner,
    ...(matchIndex ? { matchIndex } : {}),
    ...(config.node.name !== undefined ? { node: config.node.name } : {}),
    onRun: () => dispatcher.kick(),
    ...(opts.log ? { log: opts.log } : {}),
  });
  // Rows the match index keeps of deleted events would outlive them.
  if (matchIndex) store.onDeleted((index, before) => matchIndex.forget(index, before));
  // The collector's view of the store: every committed batch is shown to the match index.
  const ingest = {
    indexExists: (name: string) => store.indexExists(name),
    append: async (events: readonly Event[]) => {
      const receipt = await store.append(events);
      matchIndex?.observe(events, receipt.firstSeq!);
      return receipt;
    },
    // Acks handed out before a restart are answered from the store's seq (see hec/ack.ts).
    lastSeq: () => store.lastSeq(),
  };
  const hec = createHecServer({ config: config.hec, store: ingest, ...(opts.log ? { log: opts.log } : {}) });
  let http: HttpServer | null = null;
  let retentionTimer: NodeJS.Timeout | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;
  const stopAll = async () => {
    if (retentionTimer) clearInterval(retentionTimer);
    if (pruneTimer) clearInterval(pruneTimer);
    // All at once, each bounded by the grace: searches are cancelled (API streams end with SPL_CANCELLED, a
    // scheduled run is left uncommitted and redone at the next start); HEC requests still arriving then are cut
    // unanswered (never acknowledged), those handed to the store are committed; deliveries still waiting for
    // their receiver are aborted and stay in the outbox (sent again, same idempotency key); a summary catch-up
    // in progress is abandoned after its chunk (resumed from built_seq at the next start).
    await Promise.allSettled([searches.close(), scheduler.stop(), dispatcher.stop({ abortAfterMs: graceMs }), hec.close({ graceMs }), http?.close(), acceleration.close()]);
    await Promise.allSettled([executor.close(), matchIndex?.close()]);
    removeServerFile(config.dataDir);
    await store.close();
  };
  try {
    // Indexes declared in the config exist from the start (the API and CLI refuse to delete them).
    for (const name of Object.keys(config.indexes)) await store.createIndex(name);
    const { url: hecUrl } = await hec.listen();
    const api = createApi({
      store,
      state: store,
      content: () => pack,
      reloadContent,
      userContentDir: userContentDir(config.dataDir),
      apiTokens: config.http.apiTokens,
      users,
      tls: config.http.tls !== undefined,
      scheduler,
      backfill: scheduler,
      setEnabled: (id, enabled) => toggles.set(id, enabled),
      executor: searches,
      searchTimeoutMs: config.search.maxTimeSeconds * 1000,
      hec: { stats: () => hec.stats(), url: hecUrl, tokens: config.hec.tokens },
      indexConfig: config.indexes,
      datamodels: acceleration,
      tz: baseSettings.tz,
      staticDir: opts.consoleDir === undefined ? CONSOLE_DIR : opts.consoleDir,
      clientAuth: config.http,
      now: () => clock.now(),
      requestLimits: config.http,
      ...(opts.log ? { log: opts.log } : {}),
    });
    http = await listenHttp(api, config.http);
    // How `vigil backfill` finds this server, to run through it rather than write to the store itself.
    writeServerFile(config.dataDir, { pid: process.pid, apiUrl: http.url, startedAt: new Date().toISOString() });
    retentionTimer = setInterval(() => {
      store.applyRetention(clock.now()).catch((e: Error) => opts.log?.('error', `retention failed: ${e.message}`));
    }, 10 * 60 * 1000);
    retentionTimer.unref();
    if (matchIndex) {
      matchIndex.setDetections(scheduler.enabledDetections(), pack, baseSettings.tz);
      pruneTimer = setInterval(() => matchIndex.prune(), 60_000);
      pruneTimer.unref();
    }
    if (opts.schedule !== false) scheduler.start();
    dispatcher.start();
    acceleration.start();
    return { hecUrl, apiUrl: http.url, store, hec, scheduler, matchIndex, searches, acceleration, content: () => pack, close: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

function existsDir(d: string): boolean {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
}
