import { rm } from 'node:fs/promises';
import type { Command } from 'commander';
import type { GeneratedToken } from '../../config/index.js';
import { GEOIP_DB_OPTION } from '../geoip-option.js';
import { configWarnings } from '../serve-config.js';

interface ServeCliOptions {
  config?: string;
  dataDir?: string;
  hecPort?: string;
  hecToken?: string;
  port?: string;
  content?: string[];
  geoipDb?: string;
}

/**
 * A generated token is printed once, on the start that creates it: printed on every start it would end up in
 * every container log. Afterwards the output says where it is kept.
 */
function generatedToken(t: GeneratedToken): string {
  return t.created ? `${t.token} (generated and saved in ${t.path}; printed only this once)` : `in ${t.path}`;
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
    .option(...GEOIP_DB_OPTION)
    .action(async (opts: ServeCliOptions) => {
      // The server is imported when it starts: `vigil --help` and the other commands do not load it.
      const [{ loadConfig }, { startServer }] = await Promise.all([import('../../config/index.js'), import('../../web/runtime.js')]);
      const config = await loadConfig({
        flags: {
          ...(opts.config ? { config: opts.config } : {}),
          ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
          ...(opts.hecPort ? { hecPort: opts.hecPort } : {}),
          ...(opts.hecToken ? { hecToken: opts.hecToken } : {}),
          ...(opts.port ? { port: opts.port } : {}),
          ...(opts.geoipDb ? { geoipDb: opts.geoipDb } : {}),
        },
      });
      configWarnings(config.warnings);
      const log = (level: string, message: string) => process.stderr.write(`vigil: ${level}: ${message}\n`);
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(config, { contentDirs: opts.content ?? [], log });
      } catch (e) {
        // A start that fails prints no token, and nothing could have used one: those it generated go, so that the next
        // start generates and prints them (they stayed, and that start only said where they were).
        for (const t of [config.generated.hecToken, config.generated.apiToken]) if (t?.created) await rm(t.path, { force: true });
        throw e;
      }
      const out = (s: string) => process.stdout.write(s + '\n');
      out(`vigil is running (data in ${config.dataDir})`);
      out(`  HEC:      ${server.hecUrl}/services/collector`);
      const hecToken = config.generated.hecToken;
      if (hecToken) out(`  HEC token: ${generatedToken(hecToken)}`);
      out(`  API/console: ${server.apiUrl}/`);
      const apiToken = config.generated.apiToken;
      if (apiToken) out(`  API token: ${generatedToken(apiToken)}`);
      const shownHecToken = hecToken ? (hecToken.created ? hecToken.token : `$(cat ${hecToken.path})`) : '<token>';
      out(`  try: curl ${server.hecUrl}/services/collector/event -H "Authorization: Splunk ${shownHecToken}" -d '{"event":"hello"}'`);
      // Searches run on worker threads, so this thread always sees the signal; closing cancels them.
      await new Promise<void>((resolve, reject) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          // A second signal ends the process at once (128 + the signal's number), whatever the shutdown waits for.
          const force = (signal: NodeJS.Signals) => {
            process.stderr.write('vigil: stopped without finishing\n');
            process.exit(signal === 'SIGINT' ? 130 : 143);
          };
          process.once('SIGINT', force);
          process.once('SIGTERM', force);
          process.stderr.write('vigil: shutting down (finishing pending writes; signal again to stop at once)\n');
          // The close is bounded (shutdownTimeout); this is the backstop if the store still has not closed by then.
          // Exiting is safe: what was acknowledged and every committed run are durable in SQLite already.
          const backstop = setTimeout(() => {
            process.stderr.write(`vigil: stopped without finishing: not done within shutdownTimeout (${config.shutdownTimeoutMs / 1000} s)\n`);
            process.exit(1);
          }, config.shutdownTimeoutMs);
          backstop.unref();
          server.close().then(resolve, reject);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
