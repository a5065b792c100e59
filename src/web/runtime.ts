import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { VigilConfig } from '../config/config.js';
import { AccelerationService } from '../acceleration/service.js';
import { openNodeStore, type NodeStore } from '../cluster/node-store.js';
import type { PostgresConsoleState } from '../control-plane/console-state.js';
import { accelerationSettings, unknownDataModels, type AccelerationSettings } from '../acceleration/settings.js';
import { BUNDLED_CONTENT_DIR, loadContent, type ContentPack } from '../detections/content.js';
import { withLookupDir } from '../detections/lookup-dir.js';
import { createHecServer, type HecServer } from '../hec/index.js';
import { WorkerExecutor } from '../schedule/executor.js';
import { alertConfig, configuredAlerts } from '../schedule/alerts.js';
import { MatchIndexThread } from '../schedule/match-thread.js';
import { AlertDispatcher } from '../outputs/index.js';
import type { Event } from '../events/event.js';
import { Scheduler, systemClock, type Clock } from '../schedule/scheduler.js';
import { scheduleSettings, unmatchedPatterns, type ScheduleSettings } from '../schedule/settings.js';
import { DetectionToggles } from '../schedule/toggles.js';
import { defaultSearchIndexes } from '../store/default-indexes.js';
import { createPrivateDir, writePrivateFile } from '../store/file-modes.js';
import type { EventStore, StateStore } from '../store/types.js';
import { createApi } from './api.js';
import { listenHttp, type HttpServer } from './http-server.js';
import { CONSOLE_DIR } from './static.js';
import { parseUsers, type UserConfig } from './users.js';
import { SharedSessions } from './sessions.js';
import { removeServerFile, writeServerFile } from './server-file.js';
import { problemPlace } from '../yaml/reader.js';
import { useGeoIpDatabase } from '../spl/geoip.js';

/** How often `vigil serve` applies the indexes' retention (and once at start). */
const RETENTION_INTERVAL_MS = 10 * 60 * 1000;
/** Of `shutdownTimeout`, what is kept after in-flight requests and deliveries are cut: committing and closing the store. */
export const SHUTDOWN_RESERVE_MS = 1000;

/** How long, at shutdown, API replies still ending (a cancelled search's last line) may take before their connections are cut. */
const HTTP_DRAIN_MS = 500;

export interface VigilServer {
  hecUrl: string;
  apiUrl: string;
  /** Events: the SQLite store, or the cluster's ClickHouse. */
  store: EventStore;
  /** Scheduler and risk state: the same SQLite store, or the cluster's PostgreSQL control plane. */
  state: StateStore;
  /** What this node stores into (src/cluster). */
  node: NodeStore;
  hec: HecServer;
  scheduler: Scheduler;
  /** The ingest-time match index (null with `schedule.incremental: false`). */
  matchIndex: MatchIndexThread | null;
  /** Where the API's and console's searches run (worker threads, with the config's `search:` limits). */
  searches: WorkerExecutor;
  /** Data model summaries (tstats acceleration), built as events arrive; null on a cluster (see startServer). */
  acceleration: AccelerationService | null;
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

/**
 * Content problems said once at start: the server runs what loaded (a detection with an error is left out), and
 * without this its operator would learn of one only from `vigil validate` or a detection missing in the console.
 */
function logContentProblems(pack: ContentPack, log: StartOptions['log']): void {
  const errors = pack.problems.filter((p) => p.severity === 'error');
  if (errors.length === 0 || !log) return;
  const lines = errors.slice(0, 10).map((p) => `  ${problemPlace(p)}: ${p.message}`);
  if (errors.length > 10) lines.push(`  ... and ${errors.length - 10} more`);
  log('warn', `content: ${errors.length} error(s); what they concern was left out (vigil validate lists them):\n${lines.join('\n')}`);
}

/** Detections enabled/disabled from the console, kept in the data dir. */
export function detectionToggles(dataDir: string): DetectionToggles {
  return new DetectionToggles(join(dataDir, 'detections.yml'));
}

/** How often a cluster node reads the toggles and filter macro edits other nodes' consoles made. */
const CONSOLE_STATE_POLL_MS = 10_000;

/**
 * Writes the control plane's filter macro edits into `<dataDir>/content/macros/` (this node's copy, layered last
 * as on one machine); true when a file changed, so content is reloaded.
 */
export async function syncMacroEdits(console: PostgresConsoleState, dataDir: string): Promise<boolean> {
  const edits = await console.macroEdits();
  if (edits.length === 0) return false;
  const dir = join(userContentDir(dataDir), 'macros');
  createPrivateDir(userContentDir(dataDir));
  createPrivateDir(dir);
  let changed = false;
  for (const e of edits) {
    // The names were checked when saved (a detection's filter macro name); never a path.
    if (!/^[A-Za-z0-9_.-]+$/.test(e.name) || e.name.startsWith('.')) continue;
    const file = join(dir, `${e.name}.yml`);
    const text = stringify({ name: e.name, definition: e.definition, description: e.description ?? '' }, { lineWidth: 0 });
    let current: string | null;
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      current = null;
    }
    if (current === text) continue;
    writePrivateFile(file, text);
    changed = true;
  }
  return changed;
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
  const settings = serverSettings(config);
  // iplocation's database, for the searches of this process and of the threads it starts (they copy the environment).
  if (config.geoipDb !== undefined) useGeoIpDatabase(config.geoipDb);
  const node = await openNodeStore(config, { owner: 'vigil serve', ...(opts.log ? { log: opts.log } : {}) });
  try {
    return await startOnStore(config, opts, settings, node);
  } catch (e) {
    // Closing twice is harmless: a failure late in the start has closed it already.
    await node.close().catch(() => undefined);
    throw e;
  }
}

async function startOnStore(config: VigilConfig, opts: StartOptions, settings: ReturnType<typeof serverSettings>, node: NodeStore): Promise<VigilServer> {
  const clock = opts.clock ?? systemClock;
  const users = opts.users ?? settings.users;
  const { events: store, state, sqlite, console: shared } = node;
  if (shared) {
    // A cluster node: the data dir keeps only this node's files (tokens, server.json, its copy of macro edits).
    createPrivateDir(config.dataDir);
    await syncMacroEdits(shared, config.dataDir);
    opts.log?.(
      'info',
      `store: ${node.description}. Data model acceleration and the match index are off on a cluster (they number events as SQLite does): ` +
        'tstats reads raw events (summariesonly=true gives the same rows), scheduled runs read their windows from ClickHouse',
    );
  }
  const contentDirs = [...(opts.contentDirs ?? []), userContentDir(config.dataDir)];
  // Lookups searches write (outputlookup) and read over the content's; API and console searches only with search.outputLookup.
  const lookupDir = {
    dir: join(config.dataDir, 'lookups'),
    maxRows: config.search.maxLookupRows,
    maxBytes: config.search.maxLookupBytes,
    maxFiles: config.search.maxLookupFiles,
    lockWaitMs: config.search.lookupLockWaitMs,
  };
  const loadAll = (): ContentPack => {
    const loaded = loadServerContent(config.dataDir, opts.contentDirs ?? []);
    // Every expansion the server makes (API searches and checks, previews, scheduled runs, the match index)
    // goes through this library or a copy of it (`with`), so the config's caps apply to all of them.
    loaded.macros.limits = { maxExpansions: config.search.maxMacroExpansions, maxExpandedChars: config.search.maxMacroChars };
    // Checks and plans on this thread see the written lookups too; searches write only on their worker threads.
    return { ...loaded, lookups: withLookupDir(loaded.lookups, { ...lookupDir, refusal: 'lookups are written by searches on their worker threads only' }) };
  };
  let pack = loadAll();
  logContentProblems(pack, opts.log);
  // Out of the remaining shutdown time: the summary worker finishes its chunk, else is terminated (it resumes from built_seq).
  const graceMs = Math.max(0, config.shutdownTimeoutMs - SHUTDOWN_RESERVE_MS);
  // Summaries follow the SQLite store's seq (built_seq): not on a cluster, where tstats reads raw events.
  const acceleration = sqlite
    ? new AccelerationService(config.dataDir, sqlite, settings.acceleration, pack, settings.schedule.tz, () => clock.now(), opts.log, { closeTimeoutMs: graceMs })
    : null;
  const reloadContent = (): ContentPack => {
    pack = loadAll();
    // The summary worker reloads it; a dataset whose definition changed is rebuilt.
    acceleration?.setContent(pack);
    return pack;
  };
  // One machine: toggles in the data dir. A cluster: in the control plane, read again before each poll.
  const toggles = shared ? new DetectionToggles(null) : detectionToggles(config.dataDir);
  if (shared) toggles.replace(await shared.toggles());
  const baseSettings = settings.schedule;
  const alerts = configuredAlerts(config, state);
  const dispatcher = new AlertDispatcher({
    state,
    actions: alerts.actions,
    deadLetterRetentionS: alerts.deadLetterRetentionS,
    now: () => clock.now(),
    ...(opts.log ? { log: (level: 'info' | 'warn' | 'error', message: string) => opts.log!(level, `alerts: ${message}`) } : {}),
  });
  // Incremental evaluation: exact for windows after the newest event the store held at start. It keys rows by
  // the SQLite store's seq and sees only this node's appends: not on a cluster.
  const matchIndex = baseSettings.incremental && sqlite
    ? new MatchIndexThread({
        startedAfter: Math.max(-Infinity, ...(await sqlite.indexes()).map((i) => i.latest ?? -Infinity)),
        horizonSeconds: 2 * baseSettings.maxLagSeconds + 2 * 3600,
        ...(opts.log ? { log: opts.log } : {}),
      })
    : null;
  const workerSetup = {
    dataDir: config.dataDir,
    store: node.locator,
    contentDirs: [BUNDLED_CONTENT_DIR, ...contentDirs].filter(existsDir),
    ...(sqlite ? { summaries: { maxRemainderEvents: settings.acceleration.maxRemainderEvents, maxCachedRows: settings.acceleration.maxCachedRows } } : {}),
  };
  const limits = { maxMemoryBytes: config.search.maxMemoryBytes, maxResults: config.search.maxResults, maxResultBytes: config.search.maxResultBytes };
  // Scheduled runs one at a time (Splunk's per-search concurrency of 1); their time limit is schedule.run_timeout.
  const executor = new WorkerExecutor({ ...workerSetup, lookupDir: { ...lookupDir, refusal: null } }, limits);
  // The API's and console's searches (search, filter previews, console queries) never wait behind scheduled runs.
  const apiRefusal = config.search.outputLookup ? null : 'writing lookups is off for API and console searches: set search.outputLookup: true in the vigil serve config';
  const searches = new WorkerExecutor({ ...workerSetup, lookupDir: { ...lookupDir, refusal: apiRefusal } }, {
    ...limits,
    maxConcurrent: config.search.maxConcurrent,
    maxQueued: config.search.maxQueued,
    // Rows are counted as JSON text in characters, like maxResultBytes.
    maxBufferedChars: config.search.maxBufferedBytes,
  });
  const scheduler = new Scheduler({
    content: () => pack,
    state,
    defaultIndexes: () => defaultSearchIndexes(store),
    executor,
    clock,
    settings: () => toggles.apply(baseSettings),
    alerts: alerts.planner,
    ...(matchIndex ? { matchIndex } : {}),
    ...(config.node.name !== undefined ? { node: config.node.name } : {}),
    // A filter saved through the API while search.outputLookup was on may not write once it is off.
    ...(config.search.outputLookup ? {} : { refuseFilterWritesIn: userContentDir(config.dataDir) }),
    onRun: () => dispatcher.kick(),
    ...(opts.log ? { log: opts.log } : {}),
  });
  for (const w of unmatchedPatterns(pack.detections, baseSettings)) opts.log?.('warn', `config: ${w}`);
  for (const w of unknownDataModels(config.datamodels, pack.dataModels.names(), config.at)) opts.log?.('warn', `config: ${w}`);
  // Rows the match index keeps of deleted events would outlive them.
  if (matchIndex && sqlite) sqlite.onDeleted((index, before) => matchIndex.forget(index, before));
  // The collector's view of the store: every committed batch is shown to the match index.
  const ingest = {
    indexExists: (name: string) => store.indexExists(name),
    append: async (events: readonly Event[]) => {
      const receipt = await store.append(events);
      matchIndex?.observe(events, receipt.firstSeq!);
      return receipt;
    },
    // Acks handed out before a restart are answered from the store's seq (see hec/ack.ts); a cluster's
    // acks are this process's, answered from the appends it awaited.
    ...(sqlite ? { lastSeq: () => sqlite.lastSeq() } : {}),
  };
  const hec = createHecServer({ config: config.hec, store: ingest, ...(opts.log ? { log: opts.log } : {}) });
  let http: HttpServer | null = null;
  let retentionTimer: NodeJS.Timeout | null = null;
  let pruneTimer: NodeJS.Timeout | null = null;
  let pollTimer: NodeJS.Timeout | null = null;
  let stopping = false;
  const applyRetention = () => {
    store.applyRetention(clock.now()).catch((e: Error) => {
      if (!stopping) opts.log?.('error', `retention failed: ${e.message}`);
    });
  };
  const stopAll = async () => {
    stopping = true;
    if (retentionTimer) clearInterval(retentionTimer);
    if (pruneTimer) clearInterval(pruneTimer);
    if (pollTimer) clearInterval(pollTimer);
    // All at once, each bounded by the grace: searches are cancelled (API streams end with SPL_CANCELLED, a
    // scheduled run is left uncommitted and redone at the next start); HEC requests still arriving then are cut
    // unanswered (never acknowledged), those handed to the store are committed; deliveries still waiting for
    // their receiver are aborted and stay in the outbox (sent again, same idempotency key); a summary catch-up
    // in progress is abandoned after its chunk (resumed from built_seq at the next start).
    // The API's connections close once the searches are: a cancelled stream then writes its SPL_CANCELLED line
    // (given up to HTTP_DRAIN_MS; closed at once, every client saw a reset instead).
    const searchesClosed = searches.close();
    await Promise.allSettled([
      searchesClosed,
      searchesClosed.then(
        () => http?.close(Math.min(HTTP_DRAIN_MS, graceMs)),
        () => http?.close(),
      ),
      scheduler.stop(),
      dispatcher.stop({ abortAfterMs: graceMs }),
      hec.close({ graceMs }),
      acceleration?.close(),
    ]);
    await Promise.allSettled([executor.close(), matchIndex?.close()]);
    removeServerFile(config.dataDir);
    await node.close();
  };
  try {
    // Indexes declared in the config exist from the start (the API and CLI refuse to delete them).
    for (const name of Object.keys(config.indexes)) await store.createIndex(name);
    const { url: hecUrl } = await hec.listen();
    const api = createApi({
      store,
      state,
      content: () => pack,
      reloadContent,
      userContentDir: userContentDir(config.dataDir),
      outputLookup: config.search.outputLookup,
      apiTokens: config.http.apiTokens,
      users,
      tls: config.http.tls !== undefined,
      scheduler,
      backfill: scheduler,
      setEnabled: shared
        ? async (id, enabled, by) => {
            await shared.setToggle(id, enabled, by, clock.now());
            toggles.set(id, enabled);
          }
        : (id, enabled) => toggles.set(id, enabled),
      ...(shared
        ? {
            shareFilterMacro: (m: { name: string; definition: string; description: string }, by: string) =>
              shared.saveMacroEdit({ name: m.name, definition: m.definition, description: m.description, updatedAt: clock.now(), updatedBy: by }),
          }
        : {}),
      executor: searches,
      searchTimeoutMs: config.search.maxTimeSeconds * 1000,
      hec: { stats: () => hec.stats(), url: hecUrl, tokens: config.hec.tokens },
      indexConfig: config.indexes,
      ...(acceleration ? { datamodels: acceleration } : {}),
      tz: baseSettings.tz,
      staticDir: opts.consoleDir === undefined ? CONSOLE_DIR : opts.consoleDir,
      clientAuth: config.http,
      now: () => clock.now(),
      requestLimits: config.http,
      ...(opts.log ? { log: opts.log } : {}),
    }, shared ? { sessionStore: new SharedSessions(shared) } : {});
    http = await listenHttp(api, config.http, (message) => opts.log?.('warn', message));
    // How `vigil backfill` finds this server, to run through it rather than write to the store itself.
    writeServerFile(config.dataDir, { pid: process.pid, apiUrl: http.url, startedAt: new Date().toISOString() });
    // On a cluster every node runs it: dropping a day partition is idempotent (one another node dropped first
    // is no longer listed, or its drop does nothing), so no node needs to be elected for it.
    // At start too: a server restarted more often than every 10 minutes (a crash loop, config changes) never
    // applied it, and one started with a smaller maxAge/maxSize kept the old events that long.
    applyRetention();
    retentionTimer = setInterval(applyRetention, RETENTION_INTERVAL_MS);
    retentionTimer.unref();
    if (shared) {
      // What other nodes' consoles changed: toggles apply at the scheduler's next pass, macro edits reload content.
      pollTimer = setInterval(() => {
        void (async () => {
          toggles.replace(await shared.toggles());
          if (await syncMacroEdits(shared, config.dataDir)) reloadContent();
        })().catch((e: Error) => opts.log?.('warn', `reading the console state shared by the cluster's nodes: ${e.message}`));
      }, CONSOLE_STATE_POLL_MS);
      pollTimer.unref();
    }
    if (matchIndex) {
      matchIndex.setDetections(scheduler.enabledDetections(), pack, baseSettings.tz);
      pruneTimer = setInterval(() => matchIndex.prune(), 60_000);
      pruneTimer.unref();
    }
    if (opts.schedule !== false) scheduler.start();
    dispatcher.start();
    acceleration?.start();
    return { hecUrl, apiUrl: http.url, store, state, node, hec, scheduler, matchIndex, searches, acceleration, content: () => pack, close: stopAll };
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
