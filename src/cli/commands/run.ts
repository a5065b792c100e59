import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { VigilError } from '../../errors.js';
import type { Row } from '../../events/result.js';
import type { ReadThread } from '../../sources/read-thread.js';
import type { SearchPlan, Sink } from '../../spl/index.js';
import type { Span } from '../../spl/source.js';
import type { Detection } from '../../detections/detection.js';
import { printable } from '../../outputs/printable.js';
import { outputSink, stdoutDrain } from '../output.js';
import { progressReporter } from '../progress.js';
import { explainThreads } from '../explain-threads.js';
import { applyGeoIpOption, GEOIP_DB_OPTION } from '../geoip-option.js';
import { addLookupDirOptions, lookupDirSetup, runLookups, type LookupDirOptions } from '../lookup-dir-option.js';
import { addEventOptions, checkTimeZone, InputIssues, outputFormat, parseNow, parseRangeArgs, warningPrinter, type EventOptions } from '../shared.js';
import { threadCount } from '../thread-count.js';
import { failOnContentErrors, namedDetections } from './content-errors.js';

interface RunCliOptions extends EventOptions, LookupDirOptions {
  risk?: boolean;
  all?: boolean;
  explain?: boolean;
  geoipDb?: string;
}

export function runCommand(program: Command): void {
  addEventOptions(
    addLookupDirOptions(program
      .command('run')
      .description("run detections over Tetragon events and print their results (or, with --risk, the risk events ES would write); several run in one pass")
      .argument('[detection...]', 'detection names, ids, or paths to detection YAML files')
      .option('--all', 'run every detection of the content in one pass, except correlation searches (they read the risk index)')
      .option('--risk', 'print risk events instead of result rows')
      .option('--explain', "print each detection's optimized plan (as vigil search --explain) instead of running it; reads no event")
      .option(...GEOIP_DB_OPTION)),
  ).action(async (keys: string[], opts: RunCliOptions) => {
    // First: a --threads without its value took the next option as one (`--threads --events f`), which explains the rest.
    const threads = threadCount(opts.threads);
    applyGeoIpOption(opts.geoipDb);
    if (opts.all && keys.length) throw new VigilError('USAGE', 'name detections or pass --all, not both');
    if (!opts.all && !keys.length) {
      const file = opts.events?.find((f) => f !== '-' && !existsSync(f));
      const dir = opts.content?.find((d) => !existsSync(d));
      const hint =
        file !== undefined
          ? ` (--events took "${printable(file)}" as a file: name detections before --events, or end its files with --)`
          : dir !== undefined
            ? ` (--content took "${printable(dir)}" as a directory: name detections before --content, or end its directories with --)`
            : '';
      throw new VigilError('USAGE', `name a detection (vigil detections lists them) or pass --all${hint}`);
    }
    const tz = checkTimeZone(opts.tz);
    const now = parseNow(opts.now, tz);
    const { earliest, latest } = parseRangeArgs(opts, now, tz);
    // Several detections share one scan, which reads on a thread of its own when worth it: started now, it loads
    // beside this thread's loading of the engine and the content (sources/read-thread.ts).
    const readThread = threads > 1 && !opts.explain && opts.events && (opts.all === true || keys.length > 1) ? await startReadThread(keys.length, opts.all === true, opts.events) : null;
    // The engine is imported when the command runs: `vigil --help` and the other commands do not load it.
    const [{ loadContent }, { explainDetection, runDetections, tagSearchName }, { riskEventMaker }, { eventPaths, fileSource, fileSourceOptions }] = await Promise.all([
      import('../../detections/content.js'),
      import('../../detections/run.js'),
      import('../../risk/risk-events.js'),
      import('../file-source.js'),
    ]);
    const content = loadContent(opts.content ?? []);
    const lookupDir = lookupDirSetup(opts);
    // Searches read (and outputlookup writes) the writable lookup directory's tables over the content's.
    const pack = { ...content, lookups: await runLookups(content.lookups, lookupDir) };
    const detections = opts.all ? pack.detections.filter((d) => d.type !== 'Correlation') : await namedDetections(pack, keys);
    failOnContentErrors(pack, opts.all ? undefined : detections);
    // A risk incident rule reads the risk index of vigil serve's store, which no --events file is in: it found nothing, silently.
    for (const d of opts.explain ? [] : detections.filter((x) => x.type === 'Correlation')) {
      process.stderr.write(`vigil: warning: "${printable(d.name)}" is a correlation search over the risk index (index=risk), which --events files are not in: run it over vigil serve's store with vigil backfill --detection, or its search with vigil search --data-dir\n`);
    }
    const issues = new InputIssues();
    if (opts.explain) {
      // Each search planned as the run would plan it (its SPL errors name the detection and its YAML line:column), over
      // the --events when given, as `vigil search --explain` plans over them.
      const { explainPlan } = await import('../../spl/index.js');
      const over = opts.events?.length ? fileSource(opts, issues, now) : null;
      const notes = await explainThreads(threads, opts.events);
      const text = detections.map((d) => `${printable(d.name)}\n${explainPlan(explainDetection(pack, d, { source: over, now, tz, earliest, latest }), { aggregates: false, ...notes })}\n`);
      process.stdout.write(text.join('\n'));
      return;
    }
    const source = fileSource(opts, issues, now, readThread);
    const progress = progressReporter(detections.length === 1 ? detections[0]!.name : `${detections.length} detections`);
    // --threads 1 runs on this thread only: the parallel code is not even loaded.
    const parallel =
      threads > 1
        ? async (plans: readonly SearchPlan[], outputs: readonly Sink[], onWarning: (planIndex: number, message: string, at?: Span) => void) => {
            const { runFilesInParallel } = await import('../../parallel/run.js');
            return runFilesInParallel(
              plans,
              outputs,
              { paths: eventPaths(opts), options: fileSourceOptions(opts, issues, now) },
              { threads, contentDirs: opts.content ?? [], lookups: pack.lookups, lookupDir, now, tz, earliest, latest, defaultIndexes: 'all', onProgress: progress.update, onWarning },
            );
          }
        : undefined;
    const warn = warningPrinter(progress);
    const onWarning = (detection: Detection, message: string, place: string | null) => warn(message, place, detections.length > 1 ? detection.name : undefined);
    const runs = await runDetections(pack, detections, { source, now, tz, earliest, latest, onProgress: progress.update, onWarning, ...(parallel ? { parallel } : {}) });
    readThread?.close(); // not taken: the run went to the parallel workers
    progress.done();
    const sink = outputSink({ format: outputFormat(opts.format), tz, write: (s) => process.stdout.write(s), hide: ['_raw'] });
    // One detection prints its rows as they are; asked for several, each row names its detection (risk events always do).
    const several = opts.all === true || keys.length > 1;
    // Printed as stdout drains (a pipe to a slow reader): one row can make thousands of risk events, each with its message.
    for (const { detection, results, window } of runs) {
      if (opts.risk) {
        // A row's risk events are printed, then left to the young generation's collector, not all kept at once.
        const riskEventsOf = riskEventMaker(detection, now, window);
        const events: Row[] = [];
        for (const r of results) {
          riskEventsOf(r, events);
          for (const ev of events) {
            sink.push(ev);
            const drain = stdoutDrain();
            if (drain !== null) await drain;
          }
          events.length = 0;
        }
      } else {
        for (const r of results) {
          sink.push(several ? tagSearchName(r, detection.name) : r);
          const drain = stdoutDrain();
          if (drain !== null) await drain;
        }
      }
    }
    sink.end();
    issues.summary();
  });
}

/** The read thread for a shared scan of `paths`, when enough detections share it (`READ_THREAD_MIN_SEARCHES`; `--all`: the pack's). */
async function startReadThread(named: number, all: boolean, paths: readonly string[]): Promise<ReadThread | null> {
  const { ReadThread, READ_THREAD_MIN_SEARCHES } = await import('../../sources/read-thread.js');
  return all || named >= READ_THREAD_MIN_SEARCHES ? ReadThread.startFor(paths) : null;
}
