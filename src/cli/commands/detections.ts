import type { Command } from 'commander';
import { Option } from 'commander';
import { Row } from '../../events/result.js';
import { OUTPUT_FORMATS, outputSink, type OutputFormat } from '../output.js';
import { outputFormat } from '../shared.js';
import { failOnContentErrors } from './content-errors.js';

export function detectionsCommand(program: Command): void {
  program
    .command('detections')
    .description('list the detections in the content (bundled plus --content directories)')
    .option('--content <dir...>', 'extra content directories')
    .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS]))
    .action(async (opts: { content?: string[]; format?: OutputFormat }) => {
      const { loadContent } = await import('../../detections/content.js');
      const pack = loadContent(opts.content ?? []);
      failOnContentErrors(pack);
      const sink = outputSink({ format: outputFormat(opts.format), tz: 'UTC', write: (s) => process.stdout.write(s) });
      for (const d of pack.detections) {
        sink.push(
          new Row({
            name: d.name,
            id: d.id,
            type: d.type,
            data_source: d.dataSource.length > 1 ? d.dataSource : (d.dataSource[0] ?? null),
            enabled: d.schedule.disabled ? 'false' : 'true',
            schedule: `${d.schedule.cron} [${d.schedule.earliest}, ${d.schedule.latest})`,
          }),
        );
      }
      sink.end();
    });
}
