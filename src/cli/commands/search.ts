import type { Command } from 'commander';
import { loadContent } from '../../detections/content.js';
import { explainPlan, plan, streamSearch } from '../../spl/index.js';
import { outputSink } from '../output.js';
import { progressReporter } from '../progress.js';
import { addEventOptions, checkTimeZone, fileSource, InputIssues, outputFormat, parseNow, type EventOptions } from '../shared.js';
import { failOnContentErrors } from './content-errors.js';

interface SearchCliOptions extends EventOptions {
  explain?: boolean;
}

export function searchCommand(program: Command): void {
  addEventOptions(
    program
      .command('search')
      .description('run an ad-hoc SPL search over Tetragon events')
      .argument('<spl>', 'the search, e.g. "`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name"')
      .option('--explain', 'print the optimized plan instead of running the search'),
  ).action(async (spl: string, opts: SearchCliOptions) => {
    const tz = checkTimeZone(opts.tz);
    const now = parseNow(opts.now);
    const pack = loadContent(opts.content ?? []);
    failOnContentErrors(pack);
    const issues = new InputIssues();
    const source = opts.explain ? null : fileSource(opts, issues, now);
    const searchOpts = {
      macros: pack.macros,
      lookups: pack.lookups,
      source,
      now,
      tz,
      earliest: opts.earliest ?? null,
      latest: opts.latest ?? null,
    };
    if (opts.explain) {
      process.stdout.write(explainPlan(plan(spl, { ...searchOpts, sourceNewestFirst: false })) + '\n');
      return;
    }
    const progress = progressReporter('searching');
    const sink = outputSink({ format: outputFormat(opts.format), tz, write: (s) => process.stdout.write(s), hide: ['_raw'] });
    await streamSearch(spl, { ...searchOpts, onProgress: progress.update }, sink);
    progress.done();
    issues.summary();
  });
}
