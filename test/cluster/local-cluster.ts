// The local cluster of `npm run cluster:up` (scripts/cluster.mjs): its fixed addresses, and the skip rule of the
// tests that need it — skipped with a reason when it is not reachable, a failure when VIGIL_CLUSTER_TESTS=1
// (.ci/run sets it after starting the cluster).
import { connect } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from '../helpers.js';

export const CLUSTER_DIR = join(REPO_ROOT, '.cluster');
export const CLUSTER_NAME = 'vigil';
export const ZOOKEEPER_PORT = 12181;
export const POSTGRES_PORT = 15432;
export const POSTGRES_URL = `postgresql://vigil@127.0.0.1:${POSTGRES_PORT}/vigil`;

export interface Replica {
  name: string;
  shard: '01' | '02';
  replica: 'r1' | 'r2';
  url: string;
}

export const REPLICAS: readonly Replica[] = [
  { name: 's1r1', shard: '01', replica: 'r1', url: 'http://127.0.0.1:18121' },
  { name: 's1r2', shard: '01', replica: 'r2', url: 'http://127.0.0.1:18122' },
  { name: 's2r1', shard: '02', replica: 'r1', url: 'http://127.0.0.1:18123' },
  { name: 's2r2', shard: '02', replica: 'r2', url: 'http://127.0.0.1:18124' },
];

/** True when the CI (or the developer) asks for the cluster tests: then an unreachable server is a failure. */
export const clusterRequired = process.env['VIGIL_CLUSTER_TESTS'] === '1';

/** One query over ClickHouse's HTTP interface (the statement as the body, settings as URL parameters). */
export async function clickhouse(replica: Replica, query: string, settings: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${replica.url}/?${new URLSearchParams(settings)}`, {
    method: 'POST',
    body: query,
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse ${replica.name} (${response.status}): ${text.trim()}`);
  return text.trim();
}

/** A connected client of the cluster's PostgreSQL (database `vigil`); the caller ends it. */
export async function postgres(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

function zookeeperOk(): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect({ host: '127.0.0.1', port: ZOOKEEPER_PORT }, () => socket.write('ruok'));
    socket.setTimeout(2000);
    socket.on('data', (chunk) => (answer += String(chunk)));
    socket.once('end', () => resolve(answer === 'imok'));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

/** Why the cluster cannot be used (the first server that does not answer), or null when every server answers. */
export async function clusterUnreachable(): Promise<string | null> {
  if (!(await zookeeperOk())) return `ZooKeeper 127.0.0.1:${ZOOKEEPER_PORT} does not answer ruok`;
  for (const replica of REPLICAS) {
    const answer = await clickhouse(replica, 'SELECT 1').catch((error: unknown) => String(error));
    if (answer !== '1') return `ClickHouse ${replica.name} ${replica.url} does not answer (${answer})`;
  }
  try {
    const client = await postgres();
    await client.query('select 1').finally(() => client.end());
  } catch (error) {
    return `PostgreSQL ${POSTGRES_URL} does not answer (${(error as Error).message})`;
  }
  return null;
}

/**
 * Whether a suite needing the cluster should skip: true (with the reason printed) when a server does not answer
 * and VIGIL_CLUSTER_TESTS is not 1. With VIGIL_CLUSTER_TESTS=1 the suite runs and fails on the unreachable server.
 */
export async function skipWithoutCluster(suite: string): Promise<boolean> {
  const reason = await clusterUnreachable();
  if (reason === null) return false;
  if (clusterRequired) {
    console.error(`${suite}: VIGIL_CLUSTER_TESTS=1 but the local cluster is not reachable (${reason}): its tests fail`);
    return false;
  }
  console.warn(`${suite}: skipped, the local cluster is not reachable (${reason}); start it with npm run cluster:up`);
  return true;
}

/** A name no concurrent test uses (databases, schemas, tables). */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
