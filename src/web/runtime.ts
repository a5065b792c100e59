import type { VigilConfig } from '../config/config.js';
import { loadContent, type ContentPack } from '../detections/content.js';
import { createHecServer, type HecServer } from '../hec/index.js';
import { openStore, type SqliteStore } from '../store/sqlite-store.js';
import { createApi } from './api.js';
import { listenHttp, type HttpServer } from './http-server.js';

export interface VigilServer {
  hecUrl: string;
  apiUrl: string;
  store: SqliteStore;
  hec: HecServer;
  content(): ContentPack;
  close(): Promise<void>;
}

export interface StartOptions {
  contentDirs?: readonly string[];
  /** Epoch seconds; injectable for tests. */
  now?: () => number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/**
 * Starts everything `vigil serve` runs: the store, the HEC collector, the HTTP API (and console), and
 * periodic retention. Closing stops intake first, then waits for pending writes, then closes the store.
 */
export async function startServer(config: VigilConfig, opts: StartOptions = {}): Promise<VigilServer> {
  const retention = Object.fromEntries(Object.entries(config.indexes).map(([name, ix]) => [name, ix.retention]));
  const store = await openStore(config.dataDir, { retention });
  const pack = loadContent(opts.contentDirs ?? []);
  const hec = createHecServer({ config: config.hec, store, ...(opts.log ? { log: opts.log } : {}) });
  let http: HttpServer | null = null;
  let retentionTimer: NodeJS.Timeout | null = null;
  try {
    const { url: hecUrl } = await hec.listen();
    const api = createApi({ store, content: () => pack, apiTokens: config.http.apiTokens, ...(opts.now ? { now: opts.now } : {}) });
    http = await listenHttp(api, config.http);
    const now = opts.now ?? (() => Date.now() / 1000);
    retentionTimer = setInterval(() => {
      try {
        store.applyRetention(now());
      } catch (e) {
        opts.log?.('error', `retention failed: ${(e as Error).message}`);
      }
    }, 10 * 60 * 1000);
    retentionTimer.unref();
    const httpServer = http;
    return {
      hecUrl,
      apiUrl: http.url,
      store,
      hec,
      content: () => pack,
      async close() {
        if (retentionTimer) clearInterval(retentionTimer);
        await Promise.allSettled([hec.close(), httpServer.close()]);
        await store.close();
      },
    };
  } catch (e) {
    if (retentionTimer) clearInterval(retentionTimer);
    await Promise.allSettled([hec.close(), http?.close()]);
    await store.close();
    throw e;
  }
}
