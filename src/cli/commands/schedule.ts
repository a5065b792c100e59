import type { Command } from 'commander';
import type { ContentPack } from '../../detections/content.js';
import type { Detection } from '../../detections/detection.js';
import type { VigilConfig } from '../../config/config.js';
import { Row } from '../../events/result.js';
import { VigilError } from '../../errors.js';
import type { AlertAction } from '../../outputs/index.js';
import { printable, printableLines } from '../../outputs/printable.js';
import type { ScheduleSettings } from '../../schedule/settings.js';
import type { StateStore } from '../../store/types.js';
import { strftime } from '../../spl/time/format.js';
import type { BackfillLine, BackfillRequest, BackfillTotals, RunInfo } from '../../web/api-types.js';
import { connectionRefused, postNdjson } from '../api-client.js';
import { outputSink, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { lockingServer, serverApi, serverConfig, type ServerDataOptions } from '../serve-config.js';
import { outputFormat, parseTimeArg, positiveInteger } from '../shared.js';
import { failOnContentErrors } from './content-errors.js';
import { Option } from 'commander';

/**
 * The content, server and scheduler code these commands run, imported when one runs: `vigil --help` and
 * the other commands do not load the store, the scheduler or the server.
 */
async function engine() {
  const [content, runtime, settings, cron, window, runs] = await Promise.all([
    import('../../detections/content.js'),
    import('../../web/runtime.js'),
    import('../../schedule/settings.js'),
    import('../../schedule/cron.js'),
    import('../../schedule/window.js'),
    import('../../schedule/runs.js'),
  ]);
  return { ...content, ...runtime, ...settings, ...cron, ...window, ...runs };
}

interface ScheduleCliOptions extends ServerDataOptions {
  from?: string;
  to?: string;
  maxRuns?: string;
  detection?: string[];
  content?: string[];
  format?: OutputFormat;
}

interface BackfillCliOptions extends ScheduleCliOptions {
  /** False with --no-actions. */
  actions: boolean;
  url?: string;
  apiToken?: string;
}

const ISO = '%Y-%m-%dT%H:%M:%S%:z';

function common(cmd: Command): Command {
  return cmd
    .option('--detection <name...>', 'only these detections (names or ids); default: every enabled detection')
    .option('--content <dir...>', 'extra content directories')
    .option('--config <file>', 'the config file of vigil serve')
    .option('--data-dir <dir>', 'the data directory of vigil serve');
}

/** The detections to plan: the named ones, else what the scheduler runs. */
function selectDetections(all: readonly Detection[], keys: readonly string[] | undefined, enabled: (d: Detection) => boolean, pack: ContentPack, find: (pack: ContentPack, key: string) => Detection | undefined): Detection[] {
  if (!keys?.length) return all.filter(enabled);
  return keys.map((k) => {
    const d = find(pack, k);
    // Echoed as text: a control character in the name (a pasted ESC sequence) must not reach the terminal.
    if (!d) throw new VigilError('CONTENT_NOT_FOUND', `no detection named "${printable(k)}" (vigil detections lists them)`);
    return d;
  });
}

export function scheduleCommands(program: Command): void {
  common(
    program
      .command('schedule')
      .description('print the scheduled runs of a period and their search windows, without running them')
      .option('--from <time>', 'start (exclusive): epoch, ISO 8601 or a modifier such as -1h (default now)')
      .option('--to <time>', 'end (inclusive), default +6h')
      .option('--max-runs <n>', 'refuse a period holding more runs than this (usage error, before printing any)', '100000')
      .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS])),
  ).action(async (opts: ScheduleCliOptions) => {
    const { config, settings: configured } = await serverConfig(opts);
    const { loadServerContent, detectionToggles, findDetection, isScheduled, isRealtime, realtimeWindowOf, nextWindowEnd, CronSchedule, startDelaySeconds, searchWindow, runsUpTo, tooManyRuns, unmatchedPatterns } = await engine();
    // What vigil serve would run: its content (with the console's edits) and its toggles.
    const pack = loadServerContent(config.dataDir, opts.content ?? []);
    failOnContentErrors(pack);
    for (const w of unmatchedPatterns(pack.detections, configured)) process.stderr.write(`vigil: warn: config: ${w}\n`);
    const settings = detectionToggles(config.dataDir).apply(configured);
    const now = Date.now() / 1000;
    const from = opts.from ? parseTimeArg(opts.from, now, settings.tz, '--from') : now;
    const to = opts.to ? parseTimeArg(opts.to, now, settings.tz, '--to') : now + 6 * 3600;
    if (to <= from) throw new VigilError('USAGE', '--to must be after --from');
    const maxRuns = positiveInteger(opts.maxRuns ?? '100000', '--max-runs');
    // Each detection's plan, and its scheduled times: a realtime one runs each tumbling window once its grace has passed, as the scheduler does.
    const plans = selectDetections(pack.detections, opts.detection, (d) => isScheduled(d, settings), pack, findDetection).map((d) => {
      const rt = isRealtime(d, settings) ? realtimeWindowOf(d, settings) : null;
      const cron = rt === null ? new CronSchedule(d.schedule.cron, settings.tz) : null;
      const delay = cron ? startDelaySeconds(d.id, d.schedule.scheduleWindow, cron.period(from)) : settings.realtimeGraceSeconds;
      return { key: { d, rt, delay }, next: (after: number) => (cron ? cron.next(after) : nextWindowEnd(rt!, after)), to };
    });
    // Counted before anything is printed: a period of millennia stops at the run past the limit.
    const { runs, over } = runsUpTo(plans, from, maxRuns);
    if (over) {
      throw new VigilError('USAGE', `the period holds ${tooManyRuns(maxRuns, over)} (--max-runs); narrow --from/--to, name detections with --detection, or raise --max-runs`);
    }
    const sink = outputSink({ format: outputFormat(opts.format), tz: settings.tz, write: (s) => process.stdout.write(s) });
    for (const { key: { d, rt, delay }, t } of runs) {
      const w = rt === null ? searchWindow(d.schedule, t, settings.tz) : { earliest: t - rt, latest: t };
      sink.push(
        new Row({
          scheduled: strftime(t, ISO, settings.tz),
          detection: d.name,
          starts: strftime(t + delay, ISO, settings.tz),
          earliest: strftime(w.earliest, ISO, settings.tz),
          latest: strftime(w.latest, ISO, settings.tz),
        }),
      );
    }
    sink.end();
  });

  common(
    program
      .command('backfill')
      .description('execute the scheduled runs of a period over the store exactly as the scheduler would (idempotent); through vigil serve when it runs on the data dir')
      .requiredOption('--from <time>', 'start (exclusive): epoch, ISO 8601 or a modifier such as -24h')
      .requiredOption('--to <time>', 'end (inclusive; scheduled times after now are left to the scheduler)')
      .option('--no-actions', 'queue no alert actions for the runs\' risk events and findings (a quiet re-run)')
      .option('--url <url>', 'the API of the vigil serve to run through (default: the one running on the data dir)')
      .option('--api-token <token>', 'API token (default $VIGIL_API_TOKEN, else the config\'s or the data dir\'s)'),
  ).action(async (opts: BackfillCliOptions) => {
    const { config, settings } = await serverConfig(opts);
    const now = Date.now() / 1000;
    const from = parseTimeArg(opts.from!, now, settings.tz, '--from');
    const to = parseTimeArg(opts.to!, now, settings.tz, '--to');
    if (to <= from) throw new VigilError('USAGE', '--to must be after --from');
    // Runs print as they end: failures on stderr, the totals on stdout, the same wherever they ran.
    const onRun = (run: RunInfo) => {
      // The name and the error quote content (and, through vigil serve, what its API answered): made printable.
      if (run.status !== 'success') process.stderr.write(`vigil: ${printable(run.detectionName)} @ ${strftime(run.scheduledTime, ISO, settings.tz)}: ${run.status}: ${printableLines(String(run.error))}\n`);
    };
    let sum: LocalBackfillTotals;
    if (opts.url) {
      // Text that is no http(s) URL is a usage error (it was "internal error: Invalid URL" once the request was built).
      const { httpBaseUrl } = await import('../../replay/replay.js');
      httpBaseUrl(opts.url, '--url');
      sum = await remoteBackfill(config, opts, { apiUrl: opts.url, pid: null }, from, to, onRun);
    } else {
      try {
        sum = await localBackfill(config, settings, opts, from, to, onRun);
      } catch (e) {
        // The data dir's lock is held: by the vigil serve that server.json names, the backfill runs there.
        const server = await lockingServer(e, config);
        if (!server) throw e;
        try {
          sum = await remoteBackfill(config, opts, server, from, to, onRun);
        } catch (r) {
          // Nothing listens at its URL: the file is a dead server's and the holder is another process.
          throw connectionRefused(r) ? e : r;
        }
      }
    }
    process.stdout.write(backfillLine(sum));
    if ('interrupted' in sum && sum.interrupted !== undefined) {
      // Exits as a signal would have ended it (128 + its number), once the abandoned run's lease is released.
      process.stderr.write(`vigil: stopped after ${sum.ran + sum.skipped + (sum.held ?? 0)} of ${sum.runs} runs; run the same backfill again to finish it\n`);
      process.exitCode = sum.interrupted === 'SIGINT' ? 130 : 143;
      return;
    }
    if (sum.aborted) throw new VigilError('SERVER_API', `stopped after ${sum.ran + sum.skipped + (sum.held ?? 0)} of ${sum.runs} runs (vigil serve is stopping); run the same backfill again to finish it`);
    if (sum.held) {
      process.stderr.write(
        `vigil: ${sum.held} run(s) held by another node or process (its lease; an interrupted one's lasts schedule.lease): not in the ledger yet; run the same backfill again later to finish them\n`,
      );
    }
    if (sum.failed || sum.held) process.exitCode = 1;
  });
}

/** The totals line a backfill prints on stdout. */
function backfillLine(sum: BackfillTotals): string {
  return (
    `${sum.ran} run(s) executed, ${sum.skipped} already in the ledger${sum.held ? `, ${sum.held} held by another node` : ''}; ` +
    `${sum.results} results, ${sum.riskEvents} risk events, ${sum.findings} findings${sum.failed ? `, ${sum.failed} failed` : ''}\n`
  );
}

/** A server owns the data dir: it runs the backfill (one writer), with its content and alert routes. */
async function remoteBackfill(config: VigilConfig, opts: BackfillCliOptions, server: { apiUrl: string; pid: number | null }, from: number, to: number, onRun: (run: RunInfo) => void): Promise<BackfillTotals> {
  if (opts.content?.length) throw new VigilError('USAGE', '--content does not apply when vigil serve runs the backfill (it uses its own content: restart it with --content)');
  const api = serverApi(config, server.apiUrl, opts.apiToken);
  process.stderr.write(`vigil: running the backfill in vigil serve${server.pid ? ` (pid ${server.pid})` : ''} at ${server.apiUrl}\n`);
  const request: BackfillRequest = { from, to, actions: opts.actions, ...(opts.detection?.length ? { detections: opts.detection } : {}) };
  const got: { done: BackfillTotals | null } = { done: null };
  await postNdjson(api, '/api/backfill', request, (l) => {
    const line = l as BackfillLine;
    if ('run' in line) onRun(line.run);
    else if ('done' in line) got.done = line.done;
    else if ('error' in line) throw new VigilError('SERVER_API', `the backfill failed in vigil serve: ${line.error.message} [${line.error.code}]`);
  });
  if (!got.done) throw new VigilError('SERVER_API', 'vigil serve ended the backfill without its totals');
  return got.done;
}

/** A local backfill's totals, and the signal that stopped it. */
type LocalBackfillTotals = BackfillTotals & { interrupted?: NodeJS.Signals };

/**
 * No server runs on the data dir (or the config names a cluster, which any number of processes share): the
 * backfill opens the store itself, with what `vigil serve` would use (content with the console's edits, its
 * enable/disable toggles, the config's alert routes), then delivers the alert items due, each attempted once;
 * failed ones stay queued for vigil serve to retry. On a cluster each run is leased like a node's scheduler's,
 * so a run a node executes meanwhile is not executed twice.
 */
async function localBackfill(config: VigilConfig, settings: ScheduleSettings, opts: BackfillCliOptions, from: number, to: number, onRun: (run: RunInfo) => void): Promise<LocalBackfillTotals> {
  const [{ loadServerContent, detectionToggles, findDetection, syncMacroEdits }, { openNodeStore }, { configuredAlerts }, { Scheduler, systemClock }, { InProcessExecutor }, { defaultSearchIndexes }] = await Promise.all([
    engine(),
    import('../../cluster/node-store.js'),
    import('../../schedule/alerts.js'),
    import('../../schedule/scheduler.js'),
    import('../../schedule/executor.js'),
    import('../../store/default-indexes.js'),
  ]);
  const node = await openNodeStore(config, { owner: 'vigil backfill', create: false, eventRetryMs: 0, log: (level, message) => process.stderr.write(`vigil: ${level}: ${message}\n`) });
  try {
    const { events, state, console: shared } = node;
    // A cluster's console edits are in the control plane: this machine's copy of the macros is brought up to date.
    if (shared) await syncMacroEdits(shared, config.dataDir);
    const pack = loadServerContent(config.dataDir, opts.content ?? []);
    failOnContentErrors(pack);
    const toggles = shared ? new (await import('../../schedule/toggles.js')).DetectionToggles(null) : detectionToggles(config.dataDir);
    if (shared) toggles.replace(await shared.toggles());
    const toggled = toggles.apply(settings);
    const alerts = configuredAlerts(config, state);
    const scheduler = new Scheduler({
      content: () => pack,
      state,
      defaultIndexes: () => defaultSearchIndexes(events),
      // The live scheduler's result limits: a run finalized (or stopped) there is finalized (or stopped) here too.
      executor: new InProcessExecutor(events, () => pack, { maxResults: config.search.maxResults, maxResultBytes: config.search.maxResultBytes }),
      clock: systemClock,
      settings: toggled,
      alerts: alerts.planner,
      ...(config.node.name !== undefined ? { node: config.node.name } : {}),
    });
    const named = opts.detection?.length ? selectDetections(pack.detections, opts.detection, () => true, pack, findDetection) : undefined;
    const plan = scheduler.planBackfill(from, to, named);
    // Ctrl-C: the run in progress is abandoned and its lease released (the next backfill redoes it at once, rather
    // than find it held until the lease expires); a second Ctrl-C ends the process as usual.
    const interrupted: { by: NodeJS.Signals | null } = { by: null };
    const stop = (signal: NodeJS.Signals): void => {
      interrupted.by = signal;
      process.stderr.write('vigil: stopping the backfill (the run in progress is abandoned; Ctrl-C again to end at once)\n');
      void scheduler.stop();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let sum: BackfillTotals;
    try {
      sum = await scheduler.backfill(plan, { actions: opts.actions, onRun });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    // Stopped: what the committed runs queued stays in the outbox for vigil serve (or the next backfill) to deliver.
    if (interrupted.by !== null) return { ...sum, interrupted: interrupted.by };
    if (opts.actions && alerts.actions.length) await deliverDue(state, alerts.actions, alerts.deadLetterRetentionS);
    return sum;
  } finally {
    await node.close();
  }
}

/** Delivers the outbox items due now, each attempted once (the clock stands still, so a failed one waits for its backoff). */
async function deliverDue(store: StateStore, actions: readonly AlertAction[], deadLetterRetentionS: number): Promise<void> {
  const at = Date.now() / 1000;
  const { AlertDispatcher } = await import('../../outputs/index.js');
  const dispatcher = new AlertDispatcher({ state: store, actions, now: () => at, deadLetterRetentionS });
  try {
    while ((await dispatcher.pollOnce()) > 0);
  } finally {
    await dispatcher.stop();
  }
  const { delivered, failed, deadLettered } = dispatcher.stats();
  if (delivered + failed + deadLettered) {
    process.stderr.write(
      `vigil: alert actions: ${delivered} delivered` +
        `${failed ? `, ${failed} failed (kept in the outbox: vigil serve retries them)` : ''}${deadLettered ? `, ${deadLettered} given up` : ''}\n`,
    );
  }
}
