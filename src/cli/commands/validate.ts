import type { Command } from 'commander';
import { EXIT_USAGE } from '../exit.js';

export function validateCommand(program: Command): void {
  program
    .command('validate')
    .description('validate content: schemas, searches (parse, macros, supported commands) and lints')
    .option('--content <dir...>', 'extra content directories (validated together with the bundled content)')
    .option('--datasets <dir...>', 'local copies of splunk/attack_data to check test datasets against')
    .option('--no-bundled', 'validate only the --content directories')
    .action(async (opts: { content?: string[]; datasets?: string[]; bundled: boolean }) => {
      const started = performance.now();
      const [{ loadContent }, { BUNDLED_DATASETS_DIR }, { validateContent }] = await Promise.all([
        import('../../detections/content.js'),
        import('../../detections/datasets.js'),
        import('../../detections/validate.js'),
      ]);
      const pack = loadContent(opts.content ?? [], { bundled: opts.bundled });
      const report = validateContent(pack, { datasetsDirs: [...(opts.datasets ?? []), BUNDLED_DATASETS_DIR] });
      for (const p of report.problems) {
        process.stdout.write(`${p.file}:${p.line}:${p.column}: ${p.severity}: ${p.message} [${p.code}]\n`);
      }
      const errors = report.problems.filter((p) => p.severity === 'error').length;
      const warnings = report.problems.length - errors;
      const c = report.counts;
      process.stdout.write(
        `${c.detections} detections, ${c.macros} macros, ${c.lookups} lookups, ${c.stories} stories: ` +
          `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${Math.round(performance.now() - started)} ms)\n`,
      );
      if (errors > 0) process.exitCode = EXIT_USAGE;
    });
}
