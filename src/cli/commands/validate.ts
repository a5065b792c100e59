import { Option, type Command } from 'commander';
import { EXIT_USAGE } from '../exit.js';
import { problemPlace } from '../../yaml/reader.js';
import { printable, printableLines } from '../../outputs/printable.js';

export function validateCommand(program: Command): void {
  program
    .command('validate')
    .description('validate content: schemas, searches (parse, macros, supported commands) and lints')
    .option('--content <dir...>', 'extra content directories (validated together with the bundled content)')
    .option('--datasets <dir...>', 'local copies of splunk/attack_data to check test datasets against')
    .option('--no-bundled', "validate only the --content directories (the bundled content's data models, macros and lookups still load)")
    .addOption(new Option('--format <format>', 'text (problems, then whether each detection runs on vigil, then a summary) or json').choices(['text', 'json']).default('text'))
    .action(async (opts: { content?: string[]; datasets?: string[]; bundled: boolean; format: 'text' | 'json' }) => {
      const started = performance.now();
      const [{ inContentDirs, loadContent }, { BUNDLED_DATASETS_DIR, checkDatasetsDirs }, { validateContent }] = await Promise.all([
        import('../../detections/content.js'),
        import('../../detections/datasets.js'),
        import('../../detections/validate.js'),
      ]);
      // --no-bundled reports on the --content directories alone, over the bundled platform (CIM data models, macros
      // such as drop_dm_object_name): without it, most of a security_content checkout's searches could not be checked.
      checkDatasetsDirs(opts.datasets ?? []);
      const pack = loadContent(opts.content ?? []);
      const only = opts.bundled ? undefined : inContentDirs(opts.content ?? []);
      const report = validateContent(pack, { datasetsDirs: [...(opts.datasets ?? []), BUNDLED_DATASETS_DIR], ...(only ? { only } : {}) });
      const errors = report.problems.filter((p) => p.severity === 'error').length;
      const warnings = report.problems.length - errors;
      const c = report.counts;
      // Exit code 2 whenever the content has errors, a detection vigil cannot run among them (README).
      if (errors > 0) process.exitCode = EXIT_USAGE;
      if (opts.format === 'json') {
        process.stdout.write(`${JSON.stringify({ counts: { ...c, errors, warnings }, detections: report.detections, reasons: report.reasons, problems: report.problems }, null, 2)}\n`);
        return;
      }
      // Names, paths and messages quote the content (a detection's name): an ESC sequence there reached the terminal.
      for (const p of report.problems) {
        process.stdout.write(`${printableLines(`${problemPlace(p)}: ${p.severity}: ${p.message}`)} [${p.code}]\n`);
      }
      if (report.problems.length) process.stdout.write('\n');
      for (const v of report.detections) {
        const why = v.reason ? `does not run: ${v.reason.message}` : 'runs on vigil';
        process.stdout.write(`${printableLines(`${v.file}:${v.line}:${v.column}: ${printable(v.name)}: ${why}`)}\n`);
      }
      process.stdout.write(`\n${c.runnable} of ${c.detections} detections run on vigil${c.runnable < c.detections ? `; why the other ${c.detections - c.runnable} do not:` : ''}\n`);
      for (const r of report.reasons.slice(0, TOP_REASONS)) process.stdout.write(`${String(r.count).padStart(7)}  ${printableLines(r.reason)} [${r.code}]\n`);
      if (report.reasons.length > TOP_REASONS) process.stdout.write(`         ... and ${report.reasons.length - TOP_REASONS} other reasons (--format json lists them all)\n`);
      process.stdout.write(
        `${c.detections} detections, ${c.macros} macros, ${c.lookups} lookups, ${c.stories} stories: ` +
          `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${Math.round(performance.now() - started)} ms)\n`,
      );
    });
}

/** Reasons listed under the summary (the JSON report has them all). */
const TOP_REASONS = 10;
