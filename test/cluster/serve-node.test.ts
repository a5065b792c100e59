// `vigil serve --config <node.yml>` on the local cluster, and the CLI's `--config` against it (issue #11): events
// sent to a node's HEC are found by `vigil search --config`; a detection run on a node writes its risk events to
// ClickHouse and its run and findings to PostgreSQL (`vigil runs|risk|findings --config`); two nodes' consoles
// list the same findings; a cluster that cannot be used is a clear start error; HEC answers 503 code 9 while
// ClickHouse is unreachable and 200 again once it is back. Real servers (npm run cluster:up), built bin (dist/).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillLine, FindingSummary } from '../../src/web/api-types.js';
import { REPO_ROOT } from '../helpers.js';
import { datasetLines } from '../web/harness.js';
import { REPLICAS, clickhouse, skipWithoutCluster, uniqueName } from './local-cluster.js';
import { dropTestData, startNode, stopCluster, stopNode, writeNodeConfig, type VigilNode } from './nodes.js';

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const skip = await skipWithoutCluster('vigil serve --config on the cluster');
const BIN = join(REPO_ROOT, 'bin', 'vigil.js');
const ACK_TOKEN = '5f0c2e8a-ack-token-of-the-test-nodes';
// The bundled datasets' events are at 10:00-10:11 UTC on this day (see test/web/api.test.ts).
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000;
const LINES = [...datasetLines('datasets/cisco_isovalent/cisco_isovalent.log'), ...datasetLines('datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log')];

/** `vigil <args>` with the built bin; its exit code and outputs. */
function vigil(args: string[], timeoutMs = 60_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

async function hecRaw(node: VigilNode, lines: readonly string[]): Promise<{ status: number; body: { code?: number; text?: string } }> {
  const res = await fetch(`${node.hecUrl}/services/collector/raw?sourcetype=cisco:isovalent&index=main`, {
    method: 'POST',
    headers: { Authorization: `Splunk ${node.hecToken}` },
    body: lines.join('\n') + '\n',
  });
  return { status: res.status, body: (await res.json()) as { code?: number; text?: string } };
}

async function api<T>(node: VigilNode, path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${node.apiUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${node.apiToken}`, 'Content-Type': 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  // /api/backfill answers NDJSON lines: the text, for jsonLines.
  return (path === '/api/backfill' ? await res.text() : await res.json()) as T;
}

/**
 * A count over the Distributed table, asked of the first replica that answers (other tests stop replicas of
 * the same cluster while this one runs).
 */
async function countOnCluster(sql: string): Promise<number> {
  let last: unknown = null;
  for (const r of REPLICAS) {
    try {
      return Number(await clickhouse(r, sql));
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/** `vigil serve --config file` expected to fail at start: its exit code, what it printed, how long it took. */
function failedStart(file: string): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout.on('data', (c: Buffer) => (output += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const kill = setTimeout(() => proc.kill('SIGKILL'), 90_000);
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      clearTimeout(kill);
      resolve({ code, output, ms: Date.now() - started });
    }),
  );
}

/** A TCP proxy to a ClickHouse replica that a test can cut (refusing and dropping connections) and restore. */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: this.target });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

describe.skipIf(skip)('vigil serve --config on the cluster', { timeout: 600_000 }, () => {
  const database = uniqueName('vigil_serve');
  const schema = uniqueName('serve');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-node-'));
  const files: string[] = [];
  const nodes: VigilNode[] = [];
  const suiteStart = Date.now();

  beforeAll(async () => {
    // Every default detection; a second HEC token with indexer acknowledgement.
    const extra = (c: Yaml) => ({ detections: {}, hec: { ...c['hec'], tokens: [...c['hec'].tokens, { name: 'acked', token: ACK_TOKEN, useAck: true }] } });
    for (const n of [1, 2]) files.push(writeNodeConfig(dir, n, { database, schema, extra }));
    // One after the other: the first creates the schemas, the second checks them.
    for (const [i, file] of files.entries()) nodes.push(await startNode(i + 1, file));
  }, 180_000);

  afterAll(() => stopCluster(nodes, database, schema, dir), 120_000);

  it('a node says where it stores and that acceleration and the match index are off', () => {
    expect(nodes[0]!.output()).toMatch(/store: ClickHouse cluster "vigil" database vigil_serve_\w+ \(http:\/\/127\.0\.0\.1:18121, .*control plane postgresql:\/\/vigil@127\.0\.0\.1:15432\/vigil/);
    expect(nodes[0]!.output()).toMatch(/Data model acceleration and the match index are off on a cluster/);
  });

  it('HEC events in on node 1 -> vigil search --config finds them (node 2\'s config too)', async () => {
    expect(await hecRaw(nodes[0]!, LINES)).toEqual({ status: 200, body: { text: 'Success', code: 0 } });
    for (const file of files) {
      const r = vigil(['search', '--config', file, '--format', 'jsonl', 'search index=main sourcetype=cisco:isovalent* | stats count']);
      expect(r.stderr).toBe('');
      expect(jsonLines<{ count: number }>(r.stdout)).toEqual([{ count: LINES.length }]);
      expect(r.status).toBe(0);
    }
    // The API's search on node 2 (a worker thread reading ClickHouse) counts the same.
    const res = await fetch(`${nodes[1]!.apiUrl}/api/search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${nodes[1]!.apiToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ search: 'search index=main | stats count', earliest: '0' }),
    });
    const results = jsonLines<{ result?: { count: number } }>(await res.text()).filter((l) => l.result);
    expect(results).toEqual([{ result: { count: LINES.length } }]);
  });

  it('HEC indexed fields sent to node 1 are searched as fields by vigil search --config and node 2\'s API, though _raw lacks them', async () => {
    const envelope = (event: string, fields: Record<string, unknown>) => JSON.stringify({ event, sourcetype: 'vigil:fields', time: T0, fields });
    const res = await fetch(`${nodes[0]!.hecUrl}/services/collector/event`, {
      method: 'POST',
      headers: { Authorization: `Splunk ${nodes[0]!.hecToken}` },
      body: [envelope('GET /cart', { 'k8s.pod.name': 'web-1', 'k8s.namespace.name': 'shop', tags: ['a', 'b'] }), envelope('exec something', { process_name: 'curl' }), envelope('GET /other', {})].join('\n'),
    });
    expect(res.status).toBe(200);
    const r = vigil(['search', '--config', files[1]!, '--format', 'jsonl', 'search index=main sourcetype=vigil:fields k8s.pod.name=web-1 | table _raw k8s.namespace.name tags']);
    expect(r.stderr).toBe('');
    expect(jsonLines(r.stdout)).toEqual([{ _raw: 'GET /cart', 'k8s.namespace.name': 'shop', tags: ['a', 'b'] }]);
    const search = await fetch(`${nodes[1]!.apiUrl}/api/search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${nodes[1]!.apiToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ search: 'search index=main sourcetype=vigil:fields process_name=curl | table _raw', earliest: '0' }),
    });
    expect(jsonLines<{ result?: unknown }>(await search.text()).filter((l) => l.result)).toEqual([{ result: { _raw: 'exec something' } }]);
  });

  it('a detection run on node 1 writes risk events to ClickHouse and its runs and findings to PostgreSQL; both consoles list them', async () => {
    const body = await api<string>(nodes[0]!, '/api/backfill', { method: 'POST', body: JSON.stringify({ from: T0, to: T0 + 1.5 * 3600, actions: false }) });
    const done = jsonLines<BackfillLine>(body).find((l) => 'done' in l) as Extract<BackfillLine, { done: unknown }> | undefined;
    expect(done?.done.failed).toBe(0);
    expect(done?.done.riskEvents).toBeGreaterThan(0);
    expect(done?.done.findings).toBeGreaterThan(0);

    // The ledger in PostgreSQL, through another process.
    const runs = vigil(['runs', '--config', files[1]!, '--format', 'jsonl', '--limit', '100000']);
    expect(runs.status).toBe(0);
    const rows = jsonLines<{ risk_events: number; findings: number; mode: string }>(runs.stdout);
    expect(rows.length).toBe(done!.done.ran);
    expect(rows.reduce((s, r) => s + r.risk_events, 0)).toBe(done!.done.riskEvents);
    expect(new Set(rows.map((r) => r.mode))).toEqual(new Set(['backfill']));

    // The risk events in ClickHouse: as many as the runs committed, counted on the Distributed table.
    const risk = vigil(['risk', '--config', files[1]!, '--format', 'jsonl', '--limit', '100000']);
    expect(risk.status).toBe(0);
    expect(jsonLines(risk.stdout)).toHaveLength(done!.done.riskEvents);
    expect(await countOnCluster(`SELECT count() FROM ${database}.events WHERE index = 'risk'`)).toBe(done!.done.riskEvents);

    // Findings: the CLI and both nodes' consoles list the same ones.
    const cli = jsonLines<{ id: string }>(vigil(['findings', '--config', files[0]!, '--format', 'jsonl', '--limit', '100000']).stdout).map((f) => f.id);
    expect(cli.length).toBe(done!.done.findings);
    const listed = await Promise.all(nodes.map(async (n) => (await api<{ findings: FindingSummary[] }>(n, '/api/findings?earliest=0')).findings.map((f) => f.id).sort()));
    expect(listed[0]).toEqual([...cli].sort());
    expect(listed[1]).toEqual(listed[0]);
  });

  it('a toggle set on node 1 is what node 2 schedules', async () => {
    const [d] = (await api<{ detections: { id: string; enabled: boolean }[] }>(nodes[0]!, '/api/detections')).detections.filter((x) => x.enabled);
    await api(nodes[0]!, `/api/detections/${d!.id}`, { method: 'PATCH', body: JSON.stringify({ enabled: false }) });
    // Node 2 reads the control plane's toggles every 10 s.
    for (const deadline = Date.now() + 30_000; ; ) {
      const seen = (await api<{ detections: { id: string; enabled: boolean }[] }>(nodes[1]!, '/api/detections')).detections.find((x) => x.id === d!.id);
      if (seen?.enabled === false) break;
      if (Date.now() > deadline) throw new Error('node 2 still schedules the detection node 1 disabled');
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

  it('a filter macro saved on node 1 is what node 2 runs', async () => {
    const [d] = (await api<{ detections: { id: string; name: string }[] }>(nodes[0]!, '/api/detections')).detections.filter((x) => x.name === 'Cisco Isovalent - Curl Execution With Insecure Flags');
    const definition = 'search NOT pod_name="ci-runner-*"';
    const saved = await api<{ definition: string; custom: boolean }>(nodes[0]!, `/api/detections/${d!.id}/filter`, { method: 'PUT', body: JSON.stringify({ definition }) });
    expect(saved).toMatchObject({ definition, custom: true });
    // Node 2 copies the control plane's macro edits every 10 s and reloads its content.
    for (const deadline = Date.now() + 30_000; ; ) {
      const seen = await api<{ definition: string; custom: boolean }>(nodes[1]!, `/api/detections/${d!.id}/filter`);
      if (seen.definition === definition) {
        expect(seen.custom).toBe(true);
        break;
      }
      if (Date.now() > deadline) throw new Error(`node 2 still runs the filter ${JSON.stringify(seen.definition)}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

  it('HEC acks come from the append: true once answered, unknown (false) after the node restarts', async () => {
    const channel = '0b3e7c1a-5d2f-4e6a-9c8b-7a1d2e3f4a5b';
    const send = (node: VigilNode, path: string, body: string) =>
      fetch(`${node.hecUrl}/services/collector/${path}`, { method: 'POST', headers: { Authorization: `Splunk ${ACK_TOKEN}`, 'X-Splunk-Request-Channel': channel }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const sent = await send(nodes[0]!, 'event', JSON.stringify({ event: 'acked on a cluster', sourcetype: 'vigil:acktest' }));
    expect(sent).toMatchObject({ status: 200, body: { text: 'Success', code: 0 } });
    const id = sent.body['ackId'] as number;
    // Counted from the clock at the node's start (in microseconds), so above this suite's start.
    expect(id).toBeGreaterThan(suiteStart * 1000);
    // The reply waited for the quorum insert: the event is searchable, its id true.
    const found = vigil(['search', '--config', files[1]!, '--format', 'jsonl', 'search index=main sourcetype=vigil:acktest | stats count']);
    expect(jsonLines(found.stdout)).toEqual([{ count: 1 }]);
    expect((await send(nodes[0]!, 'ack', JSON.stringify({ acks: [id, id + 1] }))).body).toEqual({ acks: { [id]: true, [id + 1]: false } });
    // Node 2 never handed it out; node 1 restarted has forgotten it (the client resends; stored once).
    expect((await send(nodes[1]!, 'ack', JSON.stringify({ acks: [id] }))).body).toEqual({ acks: { [id]: false } });
    await stopNode(nodes[0]!);
    nodes[0] = await startNode(1, files[0]!);
    expect((await send(nodes[0]!, 'ack', JSON.stringify({ acks: [id] }))).body).toEqual({ acks: { [id]: false } });
    const again = await send(nodes[0]!, 'event', JSON.stringify({ event: 'another', sourcetype: 'vigil:acktest2' }));
    expect(again.body['ackId']).toBeGreaterThan(id);
  });
});

describe.skipIf(skip)('scheduled runs on two nodes', { timeout: 300_000 }, () => {
  const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
  const database = uniqueName('vigil_sched');
  const schema = uniqueName('sched');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-sched-'));
  const files: string[] = [];
  const nodes: VigilNode[] = [];

  beforeAll(async () => {
    // The seed on 10 s tumbling windows (detections.realtime): scheduled by both nodes' schedulers, leased per window.
    for (const n of [1, 2]) files.push(writeNodeConfig(dir, n, { database, schema, extra: () => ({ detections: { realtime: [SEED] } }) }));
    for (const [i, file] of files.entries()) nodes.push(await startNode(i + 1, file));
  }, 180_000);

  afterAll(() => stopCluster(nodes, database, schema, dir), 120_000);

  it('a curl -k exec sent to node 2 is found by a scheduled run (one node per window): risk event in ClickHouse, run in PostgreSQL', async () => {
    // The dataset's curl -k exec is at 10:05:10; moved 20 s ahead of now, so its window closes after it arrived.
    const shift = Math.round(Date.now() / 1000 + 20 - (T0 + 310));
    const curl = datasetLines('datasets/cisco_isovalent/cisco_isovalent.log', shift).filter((l) => /curl/.test(l) && / -k|--insecure/.test(l));
    expect(curl).toHaveLength(1);
    expect(await hecRaw(nodes[1]!, curl)).toEqual({ status: 200, body: { text: 'Success', code: 0 } });
    type RunRow = { scheduled: string; detection: string; mode: string; status: string; risk_events: number };
    let fired: RunRow[] = [];
    for (const deadline = Date.now() + 120_000; fired.length === 0; ) {
      if (Date.now() > deadline) throw new Error(`no realtime run found the event:\n${nodes.map((n) => n.output()).join('\n')}`);
      await new Promise((r) => setTimeout(r, 3000));
      const runs = jsonLines<RunRow>(vigil(['runs', '--config', files[0]!, '--format', 'jsonl', '--limit', '100000']).stdout);
      fired = runs.filter((r) => r.detection === SEED && r.risk_events > 0);
      // Each window is run by one node: no scheduled time twice in the ledger.
      const times = runs.filter((r) => r.detection === SEED).map((r) => r.scheduled);
      expect(new Set(times).size).toBe(times.length);
    }
    expect(fired).toEqual([expect.objectContaining({ mode: 'realtime', status: 'success', risk_events: 1 })]);
    const risk = jsonLines<{ search_name: string; risk_object: string }>(vigil(['risk', '--config', files[1]!, '--format', 'jsonl']).stdout);
    expect(risk.filter((r) => r.search_name === SEED).length).toBeGreaterThanOrEqual(1);
  });
});

describe.skipIf(skip)('vigil serve --config: a cluster it cannot use', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-bad-'));
  const database = uniqueName('vigil_bad');
  const schema = uniqueName('bad');

  afterAll(async () => {
    await dropTestData(database, schema);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Node 1's test config with `store` changed by `change`. */
  function badConfig(name: string, change: (store: Yaml) => void): string {
    const file = writeNodeConfig(dir, 1, { database, schema });
    const config = parse(readFileSync(file, 'utf8')) as Yaml;
    change(config['store']);
    const out = join(dir, `${name}.yml`);
    writeFileSync(out, stringify(config));
    return out;
  }

  it('ClickHouse unreachable (every url a closed port): exit 1, a clear message, no hang', async () => {
    const r = await failedStart(badConfig('closed', (s) => (s.clickhouse.urls = ['http://127.0.0.1:9', 'http://127.0.0.1:19'])));
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/vigil: ClickHouse is unreachable: http:\/\/127\.0\.0\.1:9 .*http:\/\/127\.0\.0\.1:19 .*\[STORE\]/);
    expect(r.output).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(r.ms).toBeLessThan(60_000);
  });

  it('refused ClickHouse credentials: exit 1, the reason, never the password', async () => {
    const r = await failedStart(badConfig('creds', (s) => ((s.clickhouse.username = 'nobody'), (s.clickhouse.password = 'hunter2-secret'))));
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/\[STORE\]/);
    expect(r.output).toMatch(/nobody|Authentication|password/i);
    expect(r.output).not.toContain('hunter2-secret');
  });

  it('PostgreSQL unreachable: exit 1 naming it without its password', async () => {
    const r = await failedStart(badConfig('pg', (s) => (s.postgres.url = 'postgresql://vigil:pg-secret-pw@127.0.0.1:9/vigil')));
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/cannot reach PostgreSQL at postgresql:\/\/vigil:\*\*\*@127\.0\.0\.1:9\/vigil/);
    expect(r.output).not.toContain('pg-secret-pw');
  });

  it('a ClickHouse schema of a newer vigil: exit 1, "upgrade"', async () => {
    const ok = badConfig('ok', () => undefined);
    // A first start creates the schema; then its version row says a newer vigil made it.
    const node = await startNode(1, ok);
    await stopNode(node);
    for (const r of REPLICAS) {
      if (r.replica !== 'r1') continue;
      await clickhouse(r, `INSERT INTO ${database}.vigil_meta (key, value) VALUES ('schema_version', '999')`, { insert_quorum: '2' }).catch(() => undefined);
    }
    const res = await failedStart(ok);
    expect(res.code).toBe(1);
    expect(res.output).toMatch(/schema version 999, made by a newer vigil/);
  });
});

describe.skipIf(skip)('HEC while ClickHouse is unreachable', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-down-'));
  const database = uniqueName('vigil_down');
  const schema = uniqueName('down');
  // One replica per shard behind a proxy the test cuts: the node's only way to ClickHouse.
  const proxies = [new CuttableProxy(18121), new CuttableProxy(18123)];
  let node: VigilNode;

  beforeAll(async () => {
    for (const p of proxies) await p.open();
    // The schema is created on the replicas a node lists: a node listing all of them makes it first (the quorum
    // needs each shard's second replica to hold the tables too).
    await stopNode(await startNode(1, writeNodeConfig(dir, 2, { database, schema })));
    const file = writeNodeConfig(dir, 1, {
      database,
      schema,
      extra: (c) => ({ store: { ...(c['store'] as object), clickhouse: { ...(c['store'] as Yaml)['clickhouse'], urls: proxies.map((p) => `http://127.0.0.1:${p.port}`), requestTimeout: '5s' } } }),
    });
    node = await startNode(1, file);
  }, 120_000);

  afterAll(async () => {
    await stopNode(node);
    for (const p of proxies) await p.cut();
    await dropTestData(database, schema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('503 code 9 (Server is busy) and nothing stored while cut; 200 again once back', async () => {
    expect((await hecRaw(node, LINES.slice(0, 10))).status, node.output()).toBe(200);
    for (const p of proxies) await p.cut();
    const down = await hecRaw(node, LINES.slice(10, 20));
    expect(down).toEqual({ status: 503, body: { text: 'Server is busy', code: 9, 'invalid-event-number': 0 } });
    for (const p of proxies) await p.open();
    // The back-off after a busy store lasts a second.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await hecRaw(node, LINES.slice(20, 30))).status).toBe(200);
    expect(await countOnCluster(`SELECT count() FROM ${database}.events WHERE index = 'main'`)).toBe(20);
  });
});
