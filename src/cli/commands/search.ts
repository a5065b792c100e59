import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VigilError } from '../../errors.js';
import type { EventSource } from '../../events/scan.js';
import type { EventStore } from '../../store/types.js';
import type { StoreLocator } from '../../cluster/locator.js';
import type { Span } from '../../spl/source.js';
import { outputSink, stdoutDrain } from '../output.js';
import { progressReporter } from '../progress.js';
import { explainThreads } from '../explain-threads.js';
import { applyGeoIpOption, GEOIP_DB_OPTION } from '../geoip-option.js';
import { addLookupDirOptions, lookupDirSetup, runLookups, type LookupDirOptions } from '../lookup-dir-option.js';
import { addEventOptions, checkTimeZone, InputIssues, outputFormat, parseNow, parseRangeArgs, warningPrinter, type EventOptions } from '../shared.js';
import { threadCount } from '../thread-count.js';
import { failOnContentErrors } from './content-errors.js';

interface SearchCliOptions extends EventOptions, LookupDirOptions {
  explain?: boolean;
  dataDir: string;
  config?: string;
  geoipDb?: string;
}

export function searchCommand(program: Command): void {
  addEventOptions(
    addLookupDirOptions(program
      .command('search')
      .description('run an ad-hoc SPL search over Tetragon files (--events) or the store of vigil serve (--data-dir)')
      .argument('<spl>', 'the search, e.g. "`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name"')
      .option('--data-dir <dir>', 'search the store in this data directory (when --events is not given)', './data')
      .option('--config <file>', 'search the store vigil serve uses with this config file (its dataDir, or its cluster: store.type clickhouse)')
      .option('--explain', 'print the optimized plan instead of running the search')
      .option(...GEOIP_DB_OPTION)),
  ).action(async (spl: string, opts: SearchCliOptions, cmd: Command) => {
    // --config names a store to search, --events files: with both the config was not even read (a search meant for
    // the store silently searched the files).
    if (opts.config !== undefined && opts.events?.length) throw new VigilError('USAGE', '--config names the store of vigil serve to search, --events files to search: give one of them');
    applyGeoIpOption(opts.geoipDb);
    const tz = checkTimeZone(opts.tz);
    const now = parseNow(opts.now, tz);
    const { earliest, latest } = parseRangeArgs(opts, now, tz);
    const threads = threadCount(opts.threads);
    // The engine is imported when the command runs (the store only when it is searched): `vigil --help`
    // and the other commands do not load it.
    const [{ loadContent }, { checkSearch, explainPlan, isGeneratingSearch, parseSearch, plan, statsPushdown, streamSearch }] = await Promise.all([
      import('../../detections/content.js'),
      import('../../spl/index.js'),
    ]);
    const pack = loadContent(opts.content ?? []);
    const lookupDir = lookupDirSetup(opts);
    const lookups = await runLookups(pack.lookups, lookupDir);
    failOnContentErrors(pack, []); // an ad-hoc search runs no detection: their files' errors are warnings
    const issues = new InputIssues();
    const ast = parseSearch(spl, pack.macros);
    let store: EventStore | null = null;
    let locator: StoreLocator | null = null;
    let source: EventSource | null = null;
    let defaultIndexes: readonly string[] | 'all' = 'all';
    if (opts.events && opts.events.length) {
      source = (await import('../file-source.js')).fileSource(opts, issues, now);
    } else {
      // A generating search (`| makeresults`, `| union [...]`, `| inputlookup x | append [| tstats ...]`) runs
      // without a store, but reads it when there is one: its subsearches may read events, as over files and the API.
      const generating = isGeneratingSearch(ast);
      const [{ defaultSearchIndexes }, { storeExists }, { openEventReader }] = await Promise.all([
        import('../../store/default-indexes.js'),
        import('../../store/sqlite-store.js'),
        import('../../cluster/locator.js'),
      ]);
      // The store's events keep the index and sourcetype they were stored with: these flags only set a file's.
      for (const flag of ['index', 'sourcetype'] as const) {
        if (!generating && cmd.getOptionValueSource(flag) === 'cli') throw new VigilError('USAGE', `--${flag} applies to --events; the store's events keep theirs (search ${flag}=... instead)`);
      }
      // --config: the store that config's vigil serve uses (a --data-dir given too names its data dir).
      const dataDirGiven = cmd.getOptionValueSource('dataDir') === 'cli';
      const stored = opts.config ? (await (await import('../serve-config.js')).serverConfig({ config: opts.config, ...(dataDirGiven ? { dataDir: opts.dataDir } : {}) })).config : null;
      locator = stored?.store.type === 'clickhouse' ? { type: 'clickhouse', clickhouse: stored.store.clickhouse } : { type: 'sqlite', dataDir: stored?.dataDir ?? resolve(opts.dataDir) };
      if (locator.type === 'sqlite' && !storeExists(locator.dataDir)) {
        // --explain reads no events: without a store, it shows the plan as over files.
        if (!opts.explain && !generating) throw new VigilError('USAGE', `no events to search: pass --events <file...>, or --data-dir pointing at the data of vigil serve (no store in ${locator.dataDir})`);
      } else {
        // Read-only: never takes the write lock, so it works while vigil serve is writing.
        store = await openEventReader(locator, { scanThread: threads > 1 });
        source = store;
        defaultIndexes = await defaultSearchIndexes(store);
      }
    }
    try {
      const searchOpts = { macros: pack.macros, lookups, knowledge: pack.knowledge, source, now, tz, earliest, latest, defaultIndexes };
      if (opts.explain) {
        process.stdout.write(explainPlan(plan(ast, searchOpts), { aggregates: source?.aggregate !== undefined, ...(await explainThreads(threads, opts.events)) }) + '\n');
        return;
      }
      const progress = progressReporter('searching');
      // Results clear the progress line first: on a terminal they would otherwise start after its text.
      const write = (s: string) => {
        progress.done();
        process.stdout.write(s);
      };
      const sink = outputSink({ format: outputFormat(opts.format), tz, write, hide: ['_raw'] });
      // Checked as validate checks it: the first error of the search (its operators built once, in order), not the last.
      const planned = checkSearch(ast, searchOpts);
      const warn = warningPrinter(progress);
      const onWarning = (message: string, at?: Span) => warn(message, at ? planned.pipeline.source.place(at) : null);
      let done = false;
      // A stats the store computes (ClickHouse) reads no events: threads would only scan them.
      if (threads > 1 && source !== null && !isGeneratingSearch(ast) && !(source.aggregate && typeof statsPushdown(planned) !== 'string')) {
        // --threads 1 runs on this thread only: the parallel code is not even loaded.
        const { runFilesInParallel, runStoreInParallel } = await import('../../parallel/run.js');
        const popts = { threads, contentDirs: opts.content ?? [], lookups, lookupDir, now, tz, earliest: searchOpts.earliest, latest: searchOpts.latest, defaultIndexes, onProgress: progress.update, onWarning: (_plan: number, m: string, at?: Span) => onWarning(m, at) };
        let stats;
        if (store && locator) stats = await runStoreInParallel([planned], [sink], { store, locator }, popts);
        else {
          const { eventPaths, fileSourceOptions } = await import('../file-source.js');
          stats = await runFilesInParallel([planned], [sink], { paths: eventPaths(opts), options: fileSourceOptions(opts, issues, now) }, popts);
        }
        done = stats !== null;
      }
      // stdout to a pipe is asynchronous: the search waits for it to drain instead of queueing every row in memory.
      if (!done) await streamSearch(planned, { ...searchOpts, onProgress: progress.update, onWarning, ready: stdoutDrain }, sink);
      progress.done();
      issues.summary();
    } finally {
      await store?.close();
    }
  });
}

