// The cluster answers as one machine does (issue #11): the same Tetragon events (the bundled attack_data sample and
// bench/generate.mjs output) go through HEC /raw to one embedded `vigil serve` (SQLite in its data dir, the default)
// and, split across three nodes, to a cluster (ClickHouse + PostgreSQL); then the same searches through each API,
// the same backfill of the scheduled detections and correlation searches, and the risk events and findings they
// wrote are compared. The embedded store is the independent path: nothing here computes an expected value.
// Order is compared exactly where SPL defines one (sort, stats by its groups), as a multiset where it does not
// (events of equal _time). Built bin (dist/), real servers (npm run cluster:up).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers.js';
import { datasetLines } from '../web/harness.js';
import { skipWithoutCluster, uniqueName } from './local-cluster.js';
import { startNode, stopCluster, stopNode, writeNodeConfig, type VigilNode } from './nodes.js';

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Row = Record<string, unknown>;

const skip = await skipWithoutCluster('test/cluster/differential.test.ts');
const { tetragonEvents } = (await import('../../bench/generate.mjs' as string)) as { tetragonEvents: (count: number, o: { seed: number }) => Iterable<Record<string, unknown>> };

/** Generated events: enough for several scan windows of the ClickHouse store (20,000 rows each) per shard. */
const GENERATED = 16_000;
const BATCH_LINES = 1000;
// The bundled sample and the generator both start at 2026-11-20 10:00 UTC; the generator spans an hour.
const FROM = Date.UTC(2026, 10, 20, 9, 0) / 1000;
const TO = Date.UTC(2026, 10, 20, 12, 30) / 1000;

const LINES = [
  ...datasetLines('datasets/cisco_isovalent/cisco_isovalent.log'),
  ...datasetLines('datasets/cisco_isovalent/kprobe_spike.log'),
  ...datasetLines('datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log'),
  ...[...tetragonEvents(GENERATED, { seed: 11 })].map((e) => JSON.stringify(e)),
];

async function hecRaw(node: VigilNode, lines: readonly string[]): Promise<void> {
  const res = await fetch(`${node.hecUrl}/services/collector/raw?sourcetype=cisco:isovalent&index=main`, {
    method: 'POST',
    headers: { Authorization: `Splunk ${node.hecToken}` },
    body: lines.join('\n') + '\n',
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HEC ${node.name}: ${res.status} ${text}`);
}

/** POST /api/search: the result rows and the `done` line (a stream ending with an error is a failure). */
async function search(node: VigilNode, spl: string): Promise<{ rows: Row[]; done: Row }> {
  const res = await fetch(`${node.apiUrl}/api/search`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${node.apiToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ search: spl, earliest: '', latest: '', progressMs: 0 }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${node.name} ${spl}: ${res.status} ${text}`);
  const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Row);
  const last = lines.at(-1)!;
  if (!('done' in last)) throw new Error(`${node.name} ${spl}: ${JSON.stringify(last)}`);
  return { rows: lines.filter((l) => 'result' in l).map((l) => l['result'] as Row), done: last };
}

async function api<T>(node: VigilNode, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${node.apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${node.apiToken}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${node.name} ${path}: ${res.status} ${text}`);
  return (path === '/api/backfill' ? text : JSON.parse(text)) as T;
}

/** Rows as a multiset: each row's JSON with sorted keys, the lines sorted. */
function multiset(rows: readonly Row[]): string[] {
  return rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))))).sort();
}

/** Searches whose rows have an order SPL defines (sort, stats/chart/timechart groups): compared in order. */
const ORDERED = [
  'index=main | stats count by sourcetype',
  '| tstats count where index=main by sourcetype host source',
  'index=main | stats count dc(process_name) as procs min(_time) as first max(_time) as last by pod_namespace, sourcetype',
  '`cisco_isovalent_process_exec` process_name=curl | stats count values(process) as cmd by pod_name | sort - count pod_name',
  'index=main | timechart span=5m count by sourcetype',
  'index=main sourcetype="cisco:isovalent:processExec" | sort 0 _time process_exec.process.exec_id | head 300 | table _time pod_name process_name process',
  '| tstats summariesonly=false count from datamodel=Endpoint.Processes by Processes.process_name Processes.user | sort 0 - count Processes.process_name Processes.user',
  'index=main NOT curl | eventstats count as n by pod_name | stats max(n) as n by pod_name | sort 0 pod_name',
  'index=main | streamstats count as i | stats max(i) as events',
  // Time bounds on a minute edge (pushed down as SQL on the cluster, compared with the engine's at the edges).
  'index=main earliest=1795169400 latest=1795170000 | stats count min(_time) as lo max(_time) as hi by sourcetype',
  'index=main | dedup pod_name sortby +pod_name | table pod_name pod_namespace',
];
/** Searches that list events (equal _time: no order SPL defines): compared as multisets. */
const UNORDERED = [
  'index=main | eval len=len(_raw) | table _time index sourcetype source host len process_name pod_name',
  'index=main curl k | table _time _raw',
  'index=main sourcetype="cisco:isovalent:processConnect" | rex field=_raw "\\"destination_ip\\":\\"(?<dip>[^\\"]+)" | table _time dip pod_name',
];

describe.skipIf(skip)('a cluster gives the answers of one embedded node', { timeout: 120_000 }, () => {
  const database = uniqueName('vigil_diff');
  const schema = database;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-diff-'));
  const embeddedDir = mkdtempSync(join(tmpdir(), 'vigil-diff-embedded-'));
  const nodes: VigilNode[] = [];
  let embedded: VigilNode;
  const files: string[] = [];
  // Every bundled detection enabled, as the default config does.
  const detections = () => ({ detections: {} });

  beforeAll(async () => {
    files.push(writeNodeConfig(embeddedDir, 1, { database, schema, extra: (c: Yaml) => ({ ...detections(), store: { type: 'sqlite' }, node: { name: 'embedded' }, dataDir: c['dataDir'] }) }));
    embedded = await startNode(0, files[0]!);
    for (const n of [1, 2, 3]) {
      files.push(writeNodeConfig(dir, n, { database, schema, extra: detections }));
      nodes.push(await startNode(n, files[n]!));
    }
    // The same batches: one after the other to the embedded node; round robin over the cluster's nodes, three in flight.
    const batches: string[][] = [];
    for (let i = 0; i < LINES.length; i += BATCH_LINES) batches.push(LINES.slice(i, i + BATCH_LINES));
    const toEmbedded = (async () => {
      for (const b of batches) await hecRaw(embedded, b);
    })();
    let next = 0;
    const toCluster = Promise.all(
      nodes.map(async () => {
        for (let i = next++; i < batches.length; i = next++) await hecRaw(nodes[i % nodes.length]!, batches[i]!);
      }),
    );
    await Promise.all([toEmbedded, toCluster]);
  }, 180_000);

  afterAll(async () => {
    await stopNode(embedded);
    rmSync(embeddedDir, { recursive: true, force: true });
    await stopCluster(nodes, database, schema, dir);
  }, 120_000);

  it('every event once: the same events, fields and counts', async () => {
    const [a, b] = await Promise.all([search(embedded, 'index=main | stats count'), search(nodes[1]!, 'index=main | stats count')]);
    expect(a.rows).toEqual([{ count: LINES.length }]);
    expect(b.rows).toEqual(a.rows);
    for (const spl of UNORDERED) {
      const [e, c] = await Promise.all([search(embedded, spl), search(nodes[2]!, spl)]);
      expect(e.rows.length, spl).toBeGreaterThan(0);
      expect(multiset(c.rows), spl).toEqual(multiset(e.rows));
    }
  });

  it('searches with a defined order give the same rows in the same order', async () => {
    for (const spl of ORDERED) {
      const [e, c] = await Promise.all([search(embedded, spl), search(nodes[(ORDERED.indexOf(spl) % 3)]!, spl)]);
      expect(e.rows.length, spl).toBeGreaterThan(0);
      expect(c.rows, spl).toEqual(e.rows);
    }
  });

  it('every bundled detection\'s search gives the same rows', async () => {
    const { detections: list } = await api<{ detections: { id: string; name: string; type: string }[] }>(embedded, '/api/detections');
    let withRows = 0;
    for (const d of list.filter((x) => x.type !== 'Correlation')) {
      const { search: spl } = await api<{ search: string }>(embedded, `/api/detections/${d.id}`);
      const [e, c] = await Promise.all([search(embedded, spl), search(nodes[0]!, spl)]);
      if (e.rows.length > 0) withRows++;
      expect(multiset(c.rows), d.name).toEqual(multiset(e.rows));
    }
    expect(withRows).toBeGreaterThanOrEqual(5);
  });

  it('a backfill writes the same runs, risk events and findings', async () => {
    const body = { from: FROM, to: TO };
    const [e, c] = await Promise.all([api<string>(embedded, '/api/backfill', body), api<string>(nodes[0]!, '/api/backfill', body)]);
    const runs = (text: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith('{"run"'))
        .map((l) => {
          const { detectionId, scheduledTime, earliest, latest, status, resultCount, riskEventCount, findingCount, error } = (JSON.parse(l) as { run: Row }).run;
          return { detectionId, scheduledTime, earliest, latest, status, resultCount, riskEventCount, findingCount, error };
        });
    const done = (text: string) => (JSON.parse(text.trim().split('\n').at(-1)!) as { done: Row }).done;
    expect(done(c)).toEqual(done(e));
    expect(done(e)['riskEvents']).toBeGreaterThan(0);
    expect(runs(c)).toEqual(runs(e));

    // The risk index: each run's events once, with the same fields (the run's own clock aside).
    const RISK = 'index=risk | fields - info_search_time _indextime | table *';
    const [er, cr] = await Promise.all([search(embedded, RISK), search(nodes[1]!, RISK)]);
    expect(er.rows.length).toBe(done(e)['riskEvents']);
    expect(multiset(cr.rows)).toEqual(multiset(er.rows));

    // Findings: same rules, objects, scores, times and order (ids and the workflow's clock aside).
    type Finding = { ruleId: string; ruleName: string; time: number; riskObject: string; riskObjectType: string; riskScore: number; status: string };
    const pick = (fs: Finding[]) => fs.map(({ ruleId, ruleName, time, riskObject, riskObjectType, riskScore, status }) => ({ ruleId, ruleName, time, riskObject, riskObjectType, riskScore, status }));
    const [ef, cf] = await Promise.all([api<{ findings: Finding[] }>(embedded, '/api/findings?limit=5000'), api<{ findings: Finding[] }>(nodes[2]!, '/api/findings?limit=5000')]);
    expect(ef.findings.length).toBe(done(e)['findings']);
    expect(pick(cf.findings)).toEqual(pick(ef.findings));
    console.log(`differential: ${LINES.length} events, ${runs(e).length} runs, ${er.rows.length} risk events, ${ef.findings.length} findings`);
  });

  it('vigil search --config prints the same lines for the embedded store and the cluster', () => {
    const cli = (file: string, spl: string) => spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'vigil.js'), 'search', '--config', file, '--format', 'jsonl', '--earliest', 'all', spl], { encoding: 'utf8', timeout: 60_000 });
    for (const spl of [ORDERED[0]!, ORDERED[2]!, ORDERED[5]!]) {
      const [e, c] = [cli(files[0]!, spl), cli(files[3]!, spl)];
      expect(e.status, e.stderr).toBe(0);
      expect(c.status, c.stderr).toBe(0);
      expect(e.stdout.split('\n').length, spl).toBeGreaterThan(2);
      expect(c.stdout, spl).toBe(e.stdout);
    }
  });
});
