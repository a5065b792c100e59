import type { Command } from 'commander';
import { loadConfig } from '../../config/index.js';
import { startServer } from '../../web/runtime.js';

interface ServeCliOptions {
  config?: string;
  dataDir?: string;
  hecPort?: string;
  hecToken?: string;
  port?: string;
  content?: string[];
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HEC collector, the event store and the search API/console')
    .option('--config <file>', 'YAML config file (also $VIGIL_CONFIG)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--hec-port <n>', 'HEC port (default 8088)')
    .option('--hec-token <token>', 'an extra HEC token that may write to every index (default index main)')
    .option('--port <n>', 'API and console port (default 8000)')
    .option('--content <dir...>', 'extra content directories')
    .action(async (opts: ServeCliOptions) => {
      const config = await loadConfig({
        flags: {
          ...(opts.config ? { config: opts.config } : {}),
          ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
          ...(opts.hecPort ? { hecPort: opts.hecPort } : {}),
          ...(opts.hecToken ? { hecToken: opts.hecToken } : {}),
          ...(opts.port ? { port: opts.port } : {}),
        },
      });
      for (const w of config.warnings) process.stderr.write(`vigil: config: ${w}\n`);
      const log = (level: string, message: string) => process.stderr.write(`vigil: ${level}: ${message}\n`);
      const server = await startServer(config, { contentDirs: opts.content ?? [], log });
      const out = (s: string) => process.stdout.write(s + '\n');
      out(`vigil is running (data in ${config.dataDir})`);
      out(`  HEC:      ${server.hecUrl}/services/collector`);
      const hecToken = config.generated.hecToken;
      if (hecToken) out(`  HEC token: ${hecToken.token}${hecToken.created ? ` (generated, saved in ${hecToken.path})` : ` (from ${hecToken.path})`}`);
      out(`  API/console: ${server.apiUrl}/`);
      const apiToken = config.generated.apiToken;
      if (apiToken) out(`  API token: ${apiToken.token}${apiToken.created ? ` (generated, saved in ${apiToken.path})` : ` (from ${apiToken.path})`}`);
      out(`  try: curl ${server.hecUrl}/services/collector/event -H "Authorization: Splunk ${hecToken?.token ?? '<token>'}" -d '{"event":"hello"}'`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stderr.write('vigil: shutting down (finishing pending writes)\n');
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
