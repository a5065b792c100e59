import { loadConfig, type VigilConfig } from '../config/index.js';
import { scheduleSettings, type ScheduleSettings } from '../schedule/settings.js';

/** Options shared by commands that work on the data and configuration of `vigil serve`. */
export interface ServerDataOptions {
  config?: string;
  dataDir?: string;
}

/** The config as `vigil serve` would load it (file, env, flags), plus its schedule settings. */
export async function serverConfig(opts: ServerDataOptions): Promise<{ config: VigilConfig; settings: ScheduleSettings }> {
  const config = await loadConfig({
    flags: { ...(opts.config ? { config: opts.config } : {}), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) },
  });
  return { config, settings: scheduleSettings(config.schedule, config.detections) };
}
