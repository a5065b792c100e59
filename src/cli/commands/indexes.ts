import type { Command } from 'commander';
import { Option } from 'commander';
import { VigilError } from '../../errors.js';
import { Row } from '../../events/result.js';
import { strftime } from '../../spl/time/format.js';
import { outputSink, OUTPUT_FORMATS, type OutputFormat } from '../output.js';
import type { ServerDataOptions } from '../serve-config.js';
import { outputFormat } from '../shared.js';
import { withStore } from './state.js';

const ISO = '%Y-%m-%dT%H:%M:%S%:z';

function dataOptions(cmd: Command): Command {
  return cmd.option('--config <file>', 'the config file of vigil serve').option('--data-dir <dir>', 'the data directory of vigil serve');
}

/**
 * `vigil indexes list|create|delete`: the store's indexes. The HEC collector accepts events only for an index
 * that exists (declared in the config file, or created here or through the API), as Splunk does.
 */
export function indexesCommand(program: Command): void {
  // Options on the subcommands only: commander would give a parent's --data-dir to the parent.
  const indexes = program.command('indexes').description('the indexes of the store: list, create, delete');

  dataOptions(indexes.command('list').description('list the indexes of the store (events, size, time range)'))
    .addOption(new Option('--format <format>', 'output format').choices([...OUTPUT_FORMATS]))
    .action(async (opts: ServerDataOptions & { format?: OutputFormat }) => {
      await withStore(opts, true, async (store, tz) => {
        const sink = outputSink({ format: outputFormat(opts.format), tz, write: (s) => process.stdout.write(s) });
        for (const i of await store.events.indexes()) {
          const time = (t: number | null) => (t === null ? null : strftime(t, ISO, tz));
          sink.push(new Row({ name: i.name, events: i.events, bytes: i.bytes, earliest: time(i.earliest), latest: time(i.latest) }));
        }
        sink.end();
      });
    });

  dataOptions(indexes.command('create').description('create an index, so the HEC collector accepts events for it').argument('<name>', 'index name')).action(
    async (name: string, opts: ServerDataOptions) => {
      const { invalidIndexName } = await import('../../web/ingest-api.js');
      const invalid = invalidIndexName(name);
      if (invalid) throw new VigilError('USAGE', invalid);
      await withStore(opts, false, async (store) => {
        const created = await store.events.createIndex(name);
        process.stdout.write(created ? `created index ${name}\n` : `index ${name} already exists\n`);
      });
    },
  );

  dataOptions(indexes.command('delete').description('delete an index and all its events').argument('<name>', 'index name')).action(
    async (name: string, opts: ServerDataOptions) => {
      await withStore(opts, false, async (store, _tz, config) => {
        const { undeletableIndex } = await import('../../web/ingest-api.js');
        const refused = undeletableIndex(name, config.indexes);
        if (refused) throw new VigilError('USAGE', refused);
        const deleted = await store.events.deleteIndex(name);
        process.stdout.write(`deleted index ${name} and its ${deleted} event(s)\n`);
      });
    },
  );
}
