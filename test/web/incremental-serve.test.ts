import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { startServer } from '../../src/web/runtime.js';
import { datasetLines, FixedClock } from './harness.js';

const S = Date.UTC(2026, 10, 28, 12, 0, 0) / 1000; // a scheduled time: the top of an hour
const DATASETS = [
  'datasets/cisco_isovalent/cisco_isovalent.log',
  'datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log',
  'datasets/attack_techniques/T1611/cisco_isovalent_k8_escape/cisco_isovalent.log',
];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Every dataset line, shifted so the newest event lands 15 minutes before S (inside the hourly windows). */
function lines(): string[] {
  const all = DATASETS.flatMap((d) => datasetLines(d));
  const newest = Math.max(...all.flatMap((l) => [...l.matchAll(/"time":"([^"]+)"/g)].map((m) => Date.parse(m[1]!) / 1000)));
  return DATASETS.flatMap((d) => datasetLines(d, Math.round(S - 15 * 60 - newest)));
}

/** Starts a server at S - 2h, replays the data, runs what is due by S + 50 min; its ledger, risk events and the index's matches. */
async function runAt(incremental: boolean) {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-inc-'));
  dirs.push(dataDir);
  const config = await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
  config.schedule = { incremental };
  const clock = new FixedClock(S - 2 * 3600);
  const server = await startServer(config, { schedule: false, users: [], consoleDir: null, clock });
  try {
    await server.scheduler.runDue(); // first sight: cursors start now
    const res = await fetch(`${server.hecUrl}/services/collector/raw?sourcetype=cisco:isovalent:processExec&index=main`, {
      method: 'POST',
      headers: { Authorization: `Splunk ${config.hec.tokens[0]!.token}` },
      body: lines().join('\n') + '\n',
    });
    expect(res.status).toBe(200);
    clock.t = S + 50 * 60; // past S's start (schedule windows delay starts), before the next hour's
    const runs = (await server.scheduler.runDue()).map((r) => `${r.detectionName}@${r.scheduledTime}:${r.status}:${r.resultCount}/${r.riskEventCount}`);
    const risk: string[] = [];
    for await (const b of server.store.scan({ ...emptyScanRequest(), metadata: [{ field: 'index', patterns: ['risk'] }] })) risk.push(...b.map((e) => e._raw));
    // What the seed's run at S was served from (null: not covered, it scanned).
    const seed = server.content().detections.find((d) => d.name.includes('Curl Execution'))!;
    const served = (await server.matchIndex?.lookup(seed.id, S - 70 * 60, S - 10 * 60)) ?? null;
    return { runs: runs.sort(), risk: risk.sort(), served };
  } finally {
    await server.close();
  }
}

describe('vigil serve: scheduled runs served from the match index', () => {
  it('writes exactly the runs and risk events of full scans', async () => {
    const inc = await runAt(true);
    const full = await runAt(false);
    expect(inc.served?.seqs.length).toBeGreaterThan(0); // covered: the run read only these events
    // And from the rows (or the partial states of its stats) kept of them.
    expect((inc.served?.partials?.states.length ?? 0) + (inc.served?.projection?.times.length ?? 0)).toBeGreaterThan(0);
    expect(full.served).toBeNull();
    expect(full.runs.some((r) => /Curl Execution.*:success:[1-9]/.test(r))).toBe(true);
    expect(inc.runs).toEqual(full.runs);
    expect(inc.risk.length).toBeGreaterThan(0);
    expect(inc.risk).toEqual(full.risk);
  }, 60_000);
});
