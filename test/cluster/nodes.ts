// vigil nodes on the local cluster, as users run them: `vigil serve --config <node.yml>` (bin/vigil.js, built in
// dist/), with configs derived from .cluster/node-N.yml so each test has its own ClickHouse database and
// PostgreSQL schema (and its own data dirs and ports); and the cluster's servers a test may stop and must restore.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../helpers.js';
import { CLUSTER_DIR, REPLICAS, clickhouse, postgres, type Replica } from './local-cluster.js';

export interface NodeOptions {
  /** The test's ClickHouse database and PostgreSQL schema. */
  database: string;
  schema: string;
  /** Sections merged over the derived config (detections, schedule, hec token changes...). */
  extra?: (base: Record<string, unknown>) => Record<string, unknown>;
  /** Extra `vigil serve` arguments (`--content <dir>`). */
  args?: string[];
}

export interface VigilNode {
  n: number;
  /** The `node.name` its scheduler leases runs under. */
  name: string;
  proc: ChildProcess;
  hecUrl: string;
  apiUrl: string;
  hecToken: string;
  apiToken: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with its exit code or signal once it has exited. */
  exited: Promise<number | string>;
}

type Yaml = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `.cluster/node-N.yml` as cluster:up wrote it. */
export function clusterNodeConfig(n: number): Yaml {
  return parse(readFileSync(join(CLUSTER_DIR, `node-${n}.yml`), 'utf8')) as Yaml;
}

/** Writes node N's derived config into `dir` and returns its path: own database, schema, data dir, ports 0. */
export function writeNodeConfig(dir: string, n: number, opts: NodeOptions): string {
  const base = clusterNodeConfig(n);
  const dataDir = join(dir, `node-${n}`);
  mkdirSync(dataDir, { recursive: true });
  const config: Yaml = {
    ...base,
    dataDir,
    node: { name: `e2e-node-${n}` },
    shutdownTimeout: '3s',
    hec: { ...base['hec'], port: 0 },
    http: { ...base['http'], port: 0 },
    store: {
      ...base['store'],
      clickhouse: { ...base['store'].clickhouse, database: opts.database, requestTimeout: '10s' },
      postgres: { ...base['store'].postgres, schema: opts.schema },
    },
    detections: { enable: [] },
  };
  const file = join(dir, `node-${n}.yml`);
  writeFileSync(file, stringify(opts.extra ? { ...config, ...opts.extra(config) } : config));
  return file;
}

/** Starts `vigil serve --config <file>`; resolves once it prints its HEC and API urls. */
export async function startNode(n: number, file: string, args: string[] = []): Promise<VigilNode> {
  const config = parse(readFileSync(file, 'utf8')) as Yaml;
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'vigil.js'), 'serve', '--config', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const urls = await new Promise<{ hec: string; api: string }>((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const hec = /HEC:\s+(http:\/\/\S+)\/services\/collector/.exec(out);
      const api = /API\/console:\s+(http:\/\/\S+?)\/?\s/.exec(out);
      if (hec && api) resolve({ hec: hec[1]!, api: api[1]! });
    });
    void exited.then((code) => reject(new Error(`vigil serve node-${n} exited (${code}) before it was ready:\n${out}`)));
  });
  return {
    n,
    name: config['node'].name as string,
    proc,
    hecUrl: urls.hec,
    apiUrl: urls.api,
    hecToken: config['hec'].tokens[0].token as string,
    apiToken: config['http'].apiTokens[0].token as string,
    output: () => out,
    exited,
  };
}

/** Stops a node (SIGTERM, then SIGKILL after 10 s) unless it already exited. */
export async function stopNode(node: VigilNode): Promise<void> {
  if (node.proc.exitCode !== null || node.proc.signalCode !== null) return;
  node.proc.kill('SIGTERM');
  const timer = setTimeout(() => node.proc.kill('SIGKILL'), 10_000);
  await node.exited;
  clearTimeout(timer);
}

/** Drops the test's database on every replica and its schema in PostgreSQL. */
export async function dropTestData(database: string, schema: string): Promise<void> {
  for (const r of REPLICAS) await clickhouse(r, `DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  const client = await postgres();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A test's teardown: its nodes stopped, its database and schema dropped, its folder removed. */
export async function stopCluster(nodes: readonly VigilNode[], database: string, schema: string, dir: string): Promise<void> {
  await Promise.all(nodes.map(stopNode));
  await dropTestData(database, schema);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The `.cluster` folder of the checkout whose cluster:up started the running servers: this one's, or, when this
 * checkout uses servers another one started (a CI clone beside a developer's tree: cluster:up then records nothing
 * here), that checkout's, found from a running ClickHouse server's config path. Stopping and restarting a server
 * goes through its owner's records and script.
 */
function owningClusterDir(): string {
  if (existsSync(join(CLUSTER_DIR, 'pids.json'))) return CLUSTER_DIR;
  const marker = `${sep}.cluster${sep}clickhouse${sep}`;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue; // gone meanwhile
    }
    const at = cmdline.indexOf(marker);
    if (at < 0 || !cmdline.includes('clickhouse')) continue;
    const dir = cmdline.slice(cmdline.lastIndexOf(' ', at) + 1, at + `${sep}.cluster`.length).replace(/^--config-file=/, '');
    if (existsSync(join(dir, 'pids.json'))) return dir;
  }
  throw new Error(`no .cluster/pids.json here (${CLUSTER_DIR}) nor for the running ClickHouse servers: start the cluster with npm run cluster:up`);
}

/** The pid cluster:up recorded for a server (`clickhouse-s1r2`, `postgres`...), checked to still be that server. */
export function serverPid(key: string): number {
  const pids = JSON.parse(readFileSync(join(owningClusterDir(), 'pids.json'), 'utf8')) as Record<string, { pid: number; marker: string }>;
  const entry = pids[key];
  if (!entry) throw new Error(`.cluster/pids.json has no ${key}`);
  const cmdline = readFileSync(`/proc/${entry.pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  if (!cmdline.includes(entry.marker)) throw new Error(`pid ${entry.pid} recorded for ${key} is not that server any more (${cmdline})`);
  return entry.pid;
}

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts what of the cluster is not running again (`scripts/cluster.mjs up` restarts a dead server and records
 * its new pid), then waits until `replica` answers.
 */
export async function restoreCluster(replica: Replica): Promise<void> {
  // The owner's script: it restarts the servers it recorded, with their own configs and data.
  const r = spawnSync(process.execPath, [join(dirname(owningClusterDir()), 'scripts', 'cluster.mjs'), 'up'], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) throw new Error(`cluster:up failed restoring the cluster:\n${r.stdout}\n${r.stderr}`);
  for (const deadline = Date.now() + 60_000; ; ) {
    const ok = await clickhouse(replica, 'SELECT 1').then(
      (a) => a === '1',
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${replica.name} does not answer after cluster:up`);
    await new Promise((res) => setTimeout(res, 500));
  }
}
