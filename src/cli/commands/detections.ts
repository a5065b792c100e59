import { join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { Row } from '../../events/result.js';
import { resultToJson } from '../../outputs/json.js';
import { OUTPUT_FORMATS, outputSink, type OutputFormat } from '../output.js';
import { outputFormat } from '../shared.js';
import { failOnContentErrors } from './content-errors.js';
import { configWarnings } from '../serve-config.js';

export function detectionsCommand(program: Command): void {
  program
    .command('detections')
    .description('list the detections in the content (bundled plus --content directories)')
    .option('--content <dir...>', 'extra content directories')
    .option('--config <file>', 'the config file of vigil serve: `enabled` says whether its scheduler runs each detection')
    .option('--data-dir <dir>', 'the data directory of vigil serve (its console toggles)')
    .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS]))
    .action(async (opts: { content?: string[]; format?: OutputFormat; config?: string; dataDir?: string }) => {
      const [{ loadContent }, { loadConfig }, { isScheduled, scheduleSettings }, { DetectionToggles }] = await Promise.all([
        import('../../detections/content.js'),
        import('../../config/index.js'),
        import('../../schedule/settings.js'),
        import('../../schedule/toggles.js'),
      ]);
      const pack = loadContent(opts.content ?? []);
      failOnContentErrors(pack);
      // What the scheduler would run: the config's detections section (default: the bundled pack and the risk rules,
      // whose YAML says disabled as upstream ships it), then the console's toggles in the data dir.
      const config = await loadConfig({ flags: { ...(opts.config ? { config: opts.config } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) }, generateTokens: false });
      configWarnings(config.warnings);
      const settings = new DetectionToggles(join(config.dataDir, 'detections.yml')).apply(scheduleSettings(config.schedule, config.detections, config.at));
      // `enabled` is a boolean in JSON, as the API's and `vigil validate`'s `runs` (it was the text "true"); text in a table or CSV.
      const sink = outputSink({
        format: outputFormat(opts.format),
        tz: 'UTC',
        write: (s) => process.stdout.write(s),
        jsonOf: (r) => ({ ...resultToJson(r, 'UTC'), enabled: r.get('enabled') === 'true' }),
      });
      for (const d of pack.detections) {
        sink.push(
          new Row({
            name: d.name,
            id: d.id,
            type: d.type,
            data_source: d.dataSource.length > 1 ? d.dataSource : (d.dataSource[0] ?? null),
            enabled: isScheduled(d, settings) ? 'true' : 'false',
            schedule: `${d.schedule.cron} [${d.schedule.earliest}, ${d.schedule.latest})`,
          }),
        );
      }
      sink.end();
    });
}
