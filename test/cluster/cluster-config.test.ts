// The node configs `npm run cluster:up` writes (.cluster/node-{1,2,3}.yml) are valid `vigil serve` configs: distinct
// ports and data dirs, one shared HEC token and one shared API token, and the `store:` section pointing at the local
// cluster (each node's own ClickHouse replica first). Runs when cluster:up has written them; VIGIL_CLUSTER_TESTS=1
// makes their absence a failure.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { CLUSTER_DIR, CLUSTER_NAME, POSTGRES_URL, REPLICAS, clusterRequired } from './local-cluster.js';

const nodeFile = (n: number): string => join(CLUSTER_DIR, `node-${n}.yml`);
const present = existsSync(nodeFile(1));
if (!present && !clusterRequired) console.warn('test/cluster/cluster-config.test.ts: skipped, no .cluster/node-1.yml (run npm run cluster:up)');

// Node N's preferred replica: node-1 s1r1, node-2 s2r1, node-3 s1r2 (the others follow).
const FIRST = { 1: 'http://127.0.0.1:18121', 2: 'http://127.0.0.1:18123', 3: 'http://127.0.0.1:18122' } as const;

describe.skipIf(!present && !clusterRequired)('the local cluster node configs (.cluster/node-N.yml)', () => {
  it('load as vigil serve configs with distinct ports and data dirs and shared tokens', async () => {
    const configs = [];
    for (const n of [1, 2, 3] as const) {
      const cfg = await loadConfig({ file: nodeFile(n), env: {} });
      // The `store` section is parsed by the ClickHouse store's config; until then loadConfig names it unknown.
      expect(cfg.warnings.filter((w) => !w.endsWith('unknown section "store" ignored'))).toEqual([]);
      expect(cfg.generated).toEqual({});
      expect(cfg.dataDir).toBe(join(CLUSTER_DIR, `node-${n}`, 'data'));
      expect([cfg.hec.host, cfg.hec.port, cfg.http.host, cfg.http.port]).toEqual(['127.0.0.1', 18087 + n, '127.0.0.1', 17999 + n]);
      expect(cfg.hec.tokens).toHaveLength(1);
      expect(cfg.hec.tokens[0]).toMatchObject({ name: 'cluster', indexes: [], disabled: false, useAck: false });
      expect(cfg.http.apiTokens).toHaveLength(1);
      // Tokens are secrets: only the owner reads the file.
      expect(statSync(nodeFile(n)).mode & 0o077).toBe(0);
      configs.push(cfg);
    }
    const hecTokens = new Set(configs.map((c) => c.hec.tokens[0]!.token));
    const apiTokens = new Set(configs.map((c) => c.http.apiTokens[0]!.token));
    expect([hecTokens.size, apiTokens.size]).toEqual([1, 1]);
    const secrets = JSON.parse(readFileSync(join(CLUSTER_DIR, 'secrets.json'), 'utf8')) as { hecToken: string; apiToken: string };
    expect([...hecTokens, ...apiTokens]).toEqual([secrets.hecToken, secrets.apiToken]);
    expect(statSync(join(CLUSTER_DIR, 'secrets.json')).mode & 0o077).toBe(0);
  });

  it('point their store at the local cluster, each node at its own replica first', () => {
    for (const n of [1, 2, 3] as const) {
      const { store } = parse(readFileSync(nodeFile(n), 'utf8')) as { store: { type: string; clickhouse: { urls: string[] } & Record<string, unknown>; postgres: { url: string } } };
      expect(store.type).toBe('clickhouse');
      const { urls, ...rest } = store.clickhouse;
      expect(urls[0]).toBe(FIRST[n]);
      expect([...urls].sort()).toEqual(REPLICAS.map((r) => r.url));
      expect(rest).toEqual({ cluster: CLUSTER_NAME, database: 'vigil', username: 'default', password: '', insertQuorum: 2 });
      expect(store.postgres).toEqual({ url: POSTGRES_URL });
    }
  });
});
