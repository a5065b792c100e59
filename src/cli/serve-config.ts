import type { VigilConfig } from '../config/index.js';
import type { ScheduleSettings } from '../schedule/settings.js';

/** Options shared by commands that work on the data and configuration of `vigil serve`. */
export interface ServerDataOptions {
  config?: string;
  dataDir?: string;
}

/** The config as `vigil serve` would load and validate it (file, env, flags), plus its schedule settings. */
export async function serverConfig(opts: ServerDataOptions): Promise<{ config: VigilConfig; settings: ScheduleSettings }> {
  // Imported here, not with the commands' definitions: `vigil --help` and `vigil run` do not load the server.
  const [{ loadConfig }, { serverSettings }] = await Promise.all([import('../config/index.js'), import('../web/runtime.js')]);
  const config = await loadConfig({
    flags: { ...(opts.config ? { config: opts.config } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) },
    // Only vigil serve makes a data dir's tokens: these commands read them (a backfill through serve uses its API token).
    generateTokens: false,
  });
  return { config, settings: serverSettings(config).schedule };
}
