import type { Command } from 'commander';
import { findDetection, loadContent } from '../../detections/content.js';
import type { Detection } from '../../detections/detection.js';
import { Row } from '../../events/result.js';
import { VigilError } from '../../errors.js';
import { CronSchedule } from '../../schedule/cron.js';
import { InProcessExecutor } from '../../schedule/executor.js';
import { Scheduler, systemClock } from '../../schedule/scheduler.js';
import { isScheduled } from '../../schedule/settings.js';
import { searchWindow, startDelaySeconds } from '../../schedule/window.js';
import { defaultSearchIndexes } from '../../store/default-indexes.js';
import { openStore } from '../../store/sqlite-store.js';
import { strftime } from '../../spl/time/format.js';
import { outputSink, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import { serverConfig, type ServerDataOptions } from '../serve-config.js';
import { outputFormat, parseTimeArg } from '../shared.js';
import { failOnContentErrors } from './content-errors.js';
import { Option } from 'commander';

interface ScheduleCliOptions extends ServerDataOptions {
  from?: string;
  to?: string;
  detection?: string[];
  content?: string[];
  format?: OutputFormat;
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
function selectDetections(all: readonly Detection[], keys: readonly string[] | undefined, enabled: (d: Detection) => boolean, pack: Parameters<typeof findDetection>[0]): Detection[] {
  if (!keys?.length) return all.filter(enabled);
  return keys.map((k) => {
    const d = findDetection(pack, k);
    if (!d) throw new VigilError('CONTENT_NOT_FOUND', `no detection named "${k}" (vigil detections lists them)`);
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
      .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS])),
  ).action(async (opts: ScheduleCliOptions) => {
    const { settings } = await serverConfig(opts);
    const pack = loadContent(opts.content ?? []);
    failOnContentErrors(pack);
    const now = Date.now() / 1000;
    const from = opts.from ? parseTimeArg(opts.from, now, settings.tz, '--from') : now;
    const to = opts.to ? parseTimeArg(opts.to, now, settings.tz, '--to') : now + 6 * 3600;
    const sink = outputSink({ format: outputFormat(opts.format), tz: settings.tz, write: (s) => process.stdout.write(s) });
    const runs: { t: number; row: Row }[] = [];
    for (const d of selectDetections(pack.detections, opts.detection, (d) => isScheduled(d, settings), pack)) {
      const cron = new CronSchedule(d.schedule.cron, settings.tz);
      const delay = startDelaySeconds(d.id, d.schedule.scheduleWindow, cron.period(from));
      for (const t of cron.between(from, to)) {
        const w = searchWindow(d.schedule, t, settings.tz);
        runs.push({
          t,
          row: new Row({
            scheduled: strftime(t, ISO, settings.tz),
            detection: d.name,
            starts: strftime(t + delay, ISO, settings.tz),
            earliest: strftime(w.earliest, ISO, settings.tz),
            latest: strftime(w.latest, ISO, settings.tz),
          }),
        });
      }
    }
    runs.sort((a, b) => a.t - b.t);
    for (const r of runs) sink.push(r.row);
    sink.end();
  });

  common(
    program
      .command('backfill')
      .description('execute the scheduled runs of a period over the store exactly as the scheduler would (idempotent)')
      .requiredOption('--from <time>', 'start (exclusive): epoch, ISO 8601 or a modifier such as -24h')
      .requiredOption('--to <time>', 'end (inclusive)'),
  ).action(async (opts: ScheduleCliOptions) => {
    const { config, settings } = await serverConfig(opts);
    const pack = loadContent(opts.content ?? []);
    failOnContentErrors(pack);
    const now = Date.now() / 1000;
    const from = parseTimeArg(opts.from!, now, settings.tz, '--from');
    const to = parseTimeArg(opts.to!, now, settings.tz, '--to');
    if (to <= from) throw new VigilError('USAGE', '--to must be after --from');
    const store = await openStore(config.dataDir);
    try {
      const scheduler = new Scheduler({
        content: () => pack,
        state: store,
        defaultIndexes: () => defaultSearchIndexes(store),
        executor: new InProcessExecutor(store, () => pack),
        clock: systemClock,
        settings,
      });
      const selected = selectDetections(pack.detections, opts.detection, (d) => isScheduled(d, settings), pack);
      const due: { d: Detection; t: number }[] = [];
      for (const d of selected) for (const t of new CronSchedule(d.schedule.cron, settings.tz).between(from, to)) due.push({ d, t });
      // Oldest first; at equal times detections before incident rules, exactly as the scheduler orders runs.
      due.sort((a, b) => a.t - b.t || (a.d.type === 'Correlation' ? 1 : 0) - (b.d.type === 'Correlation' ? 1 : 0) || (a.d.name < b.d.name ? -1 : 1));
      let ran = 0;
      let skipped = 0;
      const totals = { results: 0, risk: 0, findings: 0, failed: 0 };
      for (const { d, t } of due) {
        const rec = await scheduler.executeRun(d, t, 'backfill');
        if (!rec) {
          skipped++;
          continue;
        }
        ran++;
        totals.results += rec.resultCount;
        totals.risk += rec.riskEventCount;
        totals.findings += rec.findingCount;
        if (rec.status !== 'success') {
          totals.failed++;
          process.stderr.write(`vigil: ${d.name} @ ${strftime(t, ISO, settings.tz)}: ${rec.status}: ${rec.error}\n`);
        }
      }
      process.stdout.write(
        `${ran} run(s) executed, ${skipped} already in the ledger; ${totals.results} results, ${totals.risk} risk events, ${totals.findings} findings` +
          `${totals.failed ? `, ${totals.failed} failed` : ''}\n`,
      );
      if (totals.failed) process.exitCode = 1;
    } finally {
      await store.close();
    }
  });
}
