import { loadConfig, type VigilConfig } from '../config/index.js';
import type { ScheduleSettings } from '../schedule/settings.js';
import { serverSettings } from '../web/runtime.js';

/** Options shared by commands that work on the data and configuration of `vigil serve`. */
export interface ServerDataOptions {
  config?: string;
  dataDir?: string;
}

/** The config as `vigil serve` would load and validate it (file, env, flags), plus its schedule settings. */
export async function serverConfig(opts: ServerDataOptions): Promise<{ config: VigilConfig; settings: ScheduleSettings }> {
  const config = await loadConfig({
    flags: { ...(opts.config ? { config: opts.config } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) },
  });
  return { config, settings: serverSettings(config).schedule };
}
