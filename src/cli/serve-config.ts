import type { VigilConfig } from '../config/index.js';
import { readFileSync } from 'node:fs';
import type { ScheduleSettings } from '../schedule/settings.js';
import { VigilError } from '../errors.js';
import { printable } from '../outputs/printable.js';
import type { ServerApi } from './api-client.js';

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
  configWarnings(config.warnings);
  return { config, settings: serverSettings(config).schedule };
}

const warned = new Set<string>();

/**
 * The config's warnings (an unknown key: `dataDri:`), on stderr as `vigil serve` prints them, each once per process
 * (a command may load the config twice). The other commands printed none: a typo in the config of `vigil runs
 * --config` went unsaid while it read ./data.
 */
export function configWarnings(warnings: readonly string[]): void {
  for (const w of warnings) {
    if (warned.has(w)) continue;
    warned.add(w);
    process.stderr.write(`vigil: config: ${printable(w)}\n`);
  }
}

/**
 * The `vigil serve` that holds the data dir, when `e` is the store refusing it for that (`STORE_LOCKED`): where its
 * API answers, from `<dataDir>/server.json`; else null. A writing command sends its work there (one writer).
 */
export async function lockingServer(e: unknown, config: VigilConfig): Promise<{ apiUrl: string; pid: number | null } | null> {
  const { StoreError } = await import('../store/types.js');
  if (!(e instanceof StoreError && e.reason === 'STORE_LOCKED')) return null;
  return (await import('../web/server-file.js')).serverFile(config.dataDir);
}

/** A server's API as a command reaches it: --api-token, else $VIGIL_API_TOKEN, else the config's or the data dir's token. */
export function serverApi(config: VigilConfig, apiUrl: string, apiToken?: string): ServerApi {
  const token = apiToken ?? (process.env.VIGIL_API_TOKEN || undefined) ?? config.http.apiTokens[0]?.token;
  if (!token) throw new VigilError('USAGE', 'no API token: pass --api-token or set VIGIL_API_TOKEN');
  return { url: apiUrl, token, ...(config.http.tls ? { cert: readFileSync(config.http.tls.cert) } : {}) };
}
