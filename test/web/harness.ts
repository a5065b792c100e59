import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type VigilConfig } from '../../src/config/index.js';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';
import type { Clock } from '../../src/schedule/scheduler.js';
import type { RunRecord } from '../../src/store/types.js';
import { startServer, type StartOptions, type VigilServer } from '../../src/web/runtime.js';
import { hashPassword, type UserConfig } from '../../src/web/users.js';

/** A clock that stands still unless a test moves it. */
export class FixedClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(ms, 50));
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}

export const USER = 'alice';
export const PASSWORD = 'correct horse battery staple';

export interface Harness {
  server: VigilServer;
  dataDir: string;
  apiToken: string;
  hecToken: string;
  close(): Promise<void>;
}

/** A real `vigil serve` (store, HEC, scheduler not started, API) in a temp dir, on free ports. */
export async function startHarness(
  opts: { clock?: Clock; consoleDir?: string | null; users?: UserConfig[]; configure?: (config: VigilConfig) => void; log?: StartOptions['log'] } = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-web-'));
  const config = await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
  opts.configure?.(config);
  // A cheap scrypt cost keeps tests fast; the format is the production one.
  const users = opts.users ?? [{ name: USER, passwordHash: await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 }) }];
  const server = await startServer(config, {
    schedule: false,
    users,
    consoleDir: opts.consoleDir ?? null,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return {
    server,
    dataDir,
    apiToken: config.http.apiTokens[0]!.token,
    hecToken: config.hec.tokens[0]!.token,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Lines of a bundled attack_data dataset, optionally with every Tetragon `time` shifted by `shift` seconds. */
export function datasetLines(rel: string, shift = 0): string[] {
  const lines = readFileSync(join(BUNDLED_DATASETS_DIR, rel), 'utf8').split('\n').filter(Boolean);
  if (!shift) return lines;
  return lines.map((l) => l.replace(/"time":"([^"]+)"/g, (_m, t: string) => `"time":"${new Date(Date.parse(t) + shift * 1000).toISOString()}"`));
}

/** Sends lines to the HEC raw endpoint as Tetragon events (what attack_data's replay does). */
export async function replayRaw(h: Harness, lines: readonly string[]): Promise<void> {
  const res = await fetch(`${h.server.hecUrl}/services/collector/raw?sourcetype=cisco:isovalent&index=main`, {
    method: 'POST',
    headers: { Authorization: `Splunk ${h.hecToken}` },
    body: lines.join('\n') + '\n',
  });
  if (res.status !== 200) throw new Error(`HEC replied ${res.status}: ${await res.text()}`);
}

/**
 * Executes every enabled detection's scheduled runs in (from, to], oldest first, detections before the
 * incident rules at equal times — what `vigil backfill` does — through the server's own scheduler.
 */
export async function backfill(h: Harness, from: number, to: number): Promise<RunRecord[]> {
  const s = h.server.scheduler;
  const out: RunRecord[] = [];
  await s.backfill(s.planBackfill(from, to), { onRun: (r) => out.push(r) });
  return out;
}

/** A minimal cookie-aware client for the console API (login, CSRF header on changes). */
export class ConsoleClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async login(body: Record<string, string>): Promise<Response> {
    const res = await fetch(`${this.base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    if (res.ok) this.csrf = ((await res.clone().json()) as { csrf: string }).csrf;
    return res;
  }

  fetch(path: string, init: RequestInit & { json?: unknown; noCsrf?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set('Cookie', this.cookie);
    const method = init.method ?? (init.json !== undefined ? 'POST' : 'GET');
    if (method !== 'GET' && !init.noCsrf) headers.set('X-CSRF-Token', this.csrf);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set('Content-Type', 'application/json');
      body = JSON.stringify(init.json);
    }
    return fetch(`${this.base}${path}`, { ...init, method, headers, ...(body !== undefined ? { body } : {}) });
  }

  async json<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
    const res = await this.fetch(path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
}
