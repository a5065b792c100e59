import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { resultToJson } from '../../src/outputs/json.js';
import { WorkerExecutor, type RunOutput } from '../../src/schedule/executor.js';
import { runSearch, type ExecuteStats } from '../../src/spl/index.js';
import { serverSettings, startServer, type VigilServer } from '../../src/web/runtime.js';
import type { DataModelsInfo } from '../../src/web/api-types.js';
import { FixedClock } from '../web/harness.js';

/**
 * `vigil serve` with Endpoint accelerated (the default): events sent to the HEC are summarized, GET
 * /api/datamodels shows the coverage, and tstats — an API search or a scheduled run — reads the summaries
 * (no raw event scanned) with the rows raw events give.
 */
const S = Date.UTC(2026, 10, 28, 12, 0, 0) / 1000; // a scheduled time: the top of an hour
const DETECTION = 'Linux Sudo Or Useradd Via Tstats';
const TSTATS =
  '| tstats `security_content_summariesonly` count min(_time) as firstTime values(Processes.process) as process from datamodel=Endpoint.Processes ' +
  'where Processes.process_name IN ("sudo", "useradd") by Processes.dest Processes.user Processes.process_name | `drop_dm_object_name(Processes)`';

/** Deterministic process_exec lines between S - 60 min and S - 15 min (inside the hourly window ending S - 10 min). */
function lines(n: number): string[] {
  const bins = ['/usr/bin/sudo', '/usr/sbin/useradd', '/usr/bin/bash', '/usr/bin/curl', '/bin/ls'];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = S - 3600 + Math.floor((i * 2700) / n);
    const bin = bins[i % bins.length]!;
    const process = { exec_id: `e${i}`, pid: 1000 + i, uid: i % 3, cwd: '/root', binary: bin, arguments: `-x ${i % 7}`, ...(i % 4 ? { user: { name: `u${i % 3}` } } : {}) };
    const parent = { exec_id: `p${i % 9}`, pid: 900 + (i % 9), uid: 0, cwd: '/', binary: '/usr/bin/bash' };
    out.push(JSON.stringify({ process_exec: { process, parent }, node_name: `node-${i % 4}`, time: new Date(t * 1000).toISOString() }));
  }
  return out;
}

let server: VigilServer;
let apiToken: string;
const dirs: string[] = [];
const clock = new FixedClock(S - 5 * 60);

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-accel-'));
  const content = mkdtempSync(join(tmpdir(), 'vigil-accel-content-'));
  dirs.push(dataDir, content);
  mkdirSync(join(content, 'detections'));
  writeFileSync(
    join(content, 'detections', 'tstats.yml'),
    [
      `name: ${DETECTION}`,
      'id: 0c3f1d2e-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
      'type: TTP',
      `search: '${TSTATS}'`,
      'rba:',
      '  message: $process_name$ on $dest$',
      '  risk_objects: [{field: dest, type: system, score: 50}]',
      '  threat_objects: []',
    ].join('\n'),
  );
  const config = await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
  apiToken = config.http.apiTokens[0]!.token;
  server = await startServer(config, { schedule: false, users: [], consoleDir: null, clock, contentDirs: [content] });
  const res = await fetch(`${server.hecUrl}/services/collector/raw?sourcetype=cisco:isovalent:processExec&index=main`, {
    method: 'POST',
    headers: { Authorization: `Splunk ${config.hec.tokens[0]!.token}` },
    body: lines(500).join('\n') + '\n',
  });
  expect(res.status).toBe(200);
});

afterAll(async () => {
  await server?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function api(path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${apiToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Rows of a search over raw events only (in process, no summaries), as the API renders them. */
async function rawRows(search: string, window: { earliest?: number; latest?: number } = {}): Promise<Record<string, unknown>[]> {
  const pack = server.content();
  const { results } = await runSearch(search, { source: server.store, macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: S, tz: 'UTC', ...window });
  return results.map((r) => resultToJson(r, 'UTC') as Record<string, unknown>);
}

async function apiSearch(search: string): Promise<{ rows: Record<string, unknown>[]; stats: ExecuteStats }> {
  const res = await api('/api/search', { search, progressMs: 0 });
  expect(res.status).toBe(200);
  const parsed = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { result?: Record<string, unknown>; done?: boolean; stats?: ExecuteStats; error?: unknown });
  expect(parsed.find((l) => l.error)).toBeUndefined();
  return { rows: parsed.flatMap((l) => (l.result ? [l.result] : [])), stats: parsed.find((l) => l.done)!.stats! };
}

const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(r, Object.keys(r).sort())).sort();

describe('vigil serve: data model acceleration', () => {
  it('validates the datamodels: and acceleration: sections before starting (a config error: exit 2)', async () => {
    const config = await loadConfig({ env: {}, flags: { dataDir: dirs[0]!, port: 0, hecPort: 0 } });
    config.datamodels = { Endpoint: { summary_range: '10m' } };
    expect(() => serverSettings(config)).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('datamodels.Endpoint.summary_range must be a duration of at least 1h') }));
    config.datamodels = undefined;
    config.acceleration = { chunk_events: 0 };
    expect(() => serverSettings(config)).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('acceleration.chunk_events') }));
  });

  it('GET /api/datamodels reaches 100% coverage of Endpoint.Processes after HEC ingest', async () => {
    let status: DataModelsInfo['datasets'][number] | undefined;
    for (let i = 0; i < 150; i++) {
      const body = (await (await api('/api/datamodels')).json()) as DataModelsInfo;
      status = body.datasets.find((d) => d.model === 'Endpoint' && d.dataset === 'Processes');
      if (status?.coveragePercent === 100) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toMatchObject({ accelerated: true, coveragePercent: 100, lagSeconds: 0, rows: 500, summaryRangeSeconds: 7 * 86400, lastError: null });
    expect(status!.sizeBytes).toBeGreaterThan(0);
    const body = (await (await api('/api/datamodels')).json()) as DataModelsInfo;
    // Not accelerated by default (Splunk's default): listed, without summaries.
    expect(body.datasets.find((d) => d.model === 'Network_Traffic')).toMatchObject({ accelerated: false, rows: 0, coveragePercent: 0 });
  });

  it('POST /api/search: tstats summariesonly=true and false give the raw rows, reading no raw event', async () => {
    const search = (only: boolean) =>
      `| tstats summariesonly=${only} count dc(Processes.process_guid) as guids values(Processes.user_id) as uids from datamodel=Endpoint.Processes where Processes.dest=node-* by Processes.dest Processes.process_name _time span=10m`;
    const raw = sorted(await rawRows(search(false)));
    expect(raw.length).toBeGreaterThan(10);
    const only = await apiSearch(search(true));
    const mixed = await apiSearch(search(false));
    expect(sorted(only.rows)).toEqual(raw);
    expect(sorted(mixed.rows)).toEqual(raw);
    expect(only.stats.eventsScanned).toBe(0);
    expect(mixed.stats.eventsScanned).toBe(0); // covered: no raw remainder
  });

  it('a scheduled (backfill) tstats detection reads the summaries: the rows of raw events, no raw event scanned', async () => {
    const seen: { name: string; stats: ExecuteStats }[] = [];
    const execute = WorkerExecutor.prototype.execute;
    const spy = vi.spyOn(WorkerExecutor.prototype, 'execute').mockImplementation(async function (this: WorkerExecutor, ...args: Parameters<WorkerExecutor['execute']>): Promise<RunOutput> {
      const out = await execute.apply(this, args);
      seen.push({ name: args[0].name, stats: out.stats });
      return out;
    });
    try {
      const d = server.content().detections.find((x) => x.name === DETECTION)!;
      const runs: { status: string; resultCount: number; riskEventCount: number }[] = [];
      clock.t = S; // a backfill runs scheduled times that have come
      await server.scheduler.backfill(server.scheduler.planBackfill(S - 1, S, [d]), { onRun: (r) => runs.push(r) });
      const expected = await rawRows(TSTATS, { earliest: S - 70 * 60, latest: S - 10 * 60 });
      expect(expected.length).toBeGreaterThan(0);
      expect(runs).toEqual([expect.objectContaining({ status: 'success', resultCount: expected.length, riskEventCount: expected.length })]);
      expect(seen.filter((s) => s.name === DETECTION).map((s) => s.stats.eventsScanned)).toEqual([0]);
    } finally {
      spy.mockRestore();
    }
  });
});
