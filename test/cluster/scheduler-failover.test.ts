// Schedulers on three vigil nodes sharing the control plane (issue #11): three `vigil serve --config` nodes (built,
// as users run them) schedule one detection every minute (real time: vigil serve has no test clock; two to
// four minutes). Each (detection, window) must run exactly once across the nodes, also the one whose node is SIGKILLed
// mid-run: its lease (schedule.lease 3 s here) expires and another node takes the window over. Checked in the
// PostgreSQL ledger and leases, and by the risk events in ClickHouse: the detection stamps each execution with
// the wall clock (time()), so two executions of one window would leave two different risk events.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICAS, clickhouse, postgres, skipWithoutCluster, uniqueName } from './local-cluster.js';
import { startNode, stopCluster, stopNode, writeNodeConfig, type VigilNode } from './nodes.js';

const skip = await skipWithoutCluster('test/cluster/scheduler-failover.test.ts');

const DETECTION_ID = '7f0c1d2e-3a4b-4c5d-8e6f-0a1b2c3d4e5f';
const DETECTION_NAME = 'E2E - Slow Minute Probe';
// Long enough to be caught running (a few seconds on this machine), one row per execution.
const DETECTION = `name: ${DETECTION_NAME}
id: ${DETECTION_ID}
version: 1
date: '2026-12-04'
author: vigil tests
status: production
type: Anomaly
description: A scheduled search that takes a few seconds and yields one row, stamped with the wall clock of its execution.
data_source: []
search: |
  | makeresults count=1500000
  | eval x=md5(tostring(random()))
  | stats count
  | eval pod_name="e2e-pod", executed_at=time()
  | \`e2e___slow_minute_probe_filter\`
how_to_implement: Test content.
known_false_positives: None.
references: []
intermediate_findings:
  entities:
  - field: pod_name
    type: system
    score: 10
    message: e2e probe [$pod_name$]
schedule:
  cron_schedule: '* * * * *'
  earliest_time: -1m
  latest_time: now
  schedule_window: 0
analytic_story: []
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface LeaseRow {
  scheduled_time: number;
  node: string;
  done: boolean;
}

describe.skipIf(skip)('schedulers on three vigil nodes: each (detection, window) once, a dead node’s run taken over', () => {
  const database = uniqueName('vigil_e2e_sched');
  const schema = database;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-sched-'));
  const nodes: VigilNode[] = [];

  beforeAll(async () => {
    const content = join(dir, 'content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    writeFileSync(join(content, 'detections', 'e2e.yml'), DETECTION);
    const extra = () => ({ detections: { enable: [DETECTION_NAME] }, schedule: { lease: '3s', max_lag: '2m' } });
    for (const n of [1, 2, 3]) nodes.push(await startNode(n, writeNodeConfig(dir, n, { database, schema, extra }), ['--content', content]));
  }, 120_000);

  afterAll(() => stopCluster(nodes, database, schema, dir), 120_000);

  it('runs every window once, the killed node’s window on another node', async () => {
    const pg = await postgres();
    try {
      const leases = async (): Promise<LeaseRow[]> =>
        (await pg.query<LeaseRow>(`SELECT scheduled_time, node, done FROM "${schema}".run_leases WHERE detection_id = $1 ORDER BY scheduled_time`, [DETECTION_ID])).rows;
      const until = async <T>(what: string, ms: number, f: () => Promise<T | null>): Promise<T> => {
        for (const deadline = Date.now() + ms; ; await sleep(100)) {
          const v = await f();
          if (v !== null) return v;
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; leases: ${JSON.stringify(await leases())}\n${nodes.map((n) => `${n.name}:\n${n.output().slice(-1500)}`).join('\n')}`);
        }
      };

      // A window committed, then the next one caught while it runs: its node is killed mid-run.
      const first = await until('a first committed run', 150_000, async () => (await leases()).find((l) => l.done) ?? null);
      const running = await until('a run in progress after the first', 150_000, async () => (await leases()).find((l) => !l.done && l.scheduled_time > first.scheduled_time) ?? null);
      const victim = nodes.find((n) => n.name === running.node)!;
      expect(victim, `a node named ${running.node}`).toBeDefined();
      victim.proc.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');

      // Another node takes that window over once the lease expires, and the next window runs too.
      const taken = await until('the killed node’s window committed', 120_000, async () => (await leases()).find((l) => l.scheduled_time === running.scheduled_time && l.done) ?? null);
      expect(taken.node).not.toBe(victim.name);
      await until('a window after it committed', 150_000, async () => (await leases()).find((l) => l.done && l.scheduled_time > running.scheduled_time) ?? null);
      for (const node of nodes) await stopNode(node);

      // The ledger: one successful run per minute from the first to the last, none missing, none twice.
      const runs = (
        await pg.query<{ scheduled_time: number; status: string; result_count: number; risk_event_count: number }>(
          `SELECT scheduled_time, status, result_count, risk_event_count FROM "${schema}".runs WHERE detection_id = $1 ORDER BY scheduled_time`,
          [DETECTION_ID],
        )
      ).rows;
      const times = runs.map((r) => r.scheduled_time);
      expect(times).toContain(running.scheduled_time);
      expect(new Set(times).size).toBe(times.length);
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, 'consecutive minutes').toBe(60);
      for (const r of runs) expect(r, `run at ${r.scheduled_time}`).toMatchObject({ status: 'success', result_count: 1, risk_event_count: 1 });
      const done = (await leases()).filter((l) => l.done).map((l) => l.scheduled_time);
      expect(done).toEqual(times);

      // The risk events in ClickHouse, read on every replica: one per window, i.e. one execution committed per
      // window (each execution has its own executed_at, so a second one would be a second event).
      const stamps: number[] = [];
      for (const [a, b] of [['s1r1', 's1r2'], ['s2r1', 's2r2']] as const) {
        const read = (name: string) =>
          clickhouse(
            REPLICAS.find((r) => r.name === name)!,
            `SELECT raw FROM ${database}.events_local FINAL WHERE index = 'risk' AND position(raw, 'e2e-pod') > 0 ORDER BY raw FORMAT JSONEachRow`,
          );
        const rows = await read(a);
        expect(await read(b), `${b} holds what ${a} holds`).toBe(rows);
        for (const line of rows.split('\n').filter((l) => l !== '')) {
          const raw = JSON.parse((JSON.parse(line) as { raw: string }).raw) as Record<string, unknown>;
          stamps.push(Number(raw['executed_at']));
        }
      }
      expect(stamps.every((t) => Number.isFinite(t) && t > 0), `executed_at in every risk event: ${stamps}`).toBe(true);
      expect(new Set(stamps).size, 'executions committed').toBe(runs.length);
      console.log(`scheduler-failover: ${runs.length} windows, ${victim.name} killed running ${new Date(running.scheduled_time * 1000).toISOString()}, taken over by ${taken.node}`);
    } finally {
      await pg.end();
    }
  }, 900_000);
});
