// A vigil node that stops without dying (SIGSTOP: a frozen VM, a long pause) must not stall the other nodes
// (docs/scale-out.md, "Failure cases"): the nodes take turns inserting into a ClickHouse shard under a PostgreSQL
// advisory lock, and a stopped holder keeps its connection open. The node is stopped while it holds a shard's lock;
// the other two nodes' HEC must then acknowledge their batches, each within the lock's bounds (10 s wait, 15 s
// hold), and at full speed once the hold has run out. Afterwards every acknowledged event is searchable once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hecPost } from '../helpers.js';
import { postgres, skipWithoutCluster, uniqueName } from './local-cluster.js';
import { startNode, stopCluster, writeNodeConfig, type VigilNode } from './nodes.js';

const skip = await skipWithoutCluster('test/cluster/stopped-node.test.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Batches of 20 events with unique markers, at noon yesterday (one day partition). */
function batch(tag: string, b: number): string {
  const t0 = Math.floor(Date.now() / 86_400_000) * 86_400 - 43_200;
  let body = '';
  for (let i = 0; i < 20; i++) body += JSON.stringify({ time: t0 + b + i / 1000, sourcetype: 'stopped', event: { m: `${tag}-${b}-${i}`, pad: 'z'.repeat(150) } });
  return body;
}

describe.skipIf(skip)('a vigil node stopped while it holds a shard insert lock', { timeout: 180_000 }, () => {
  const database = uniqueName('vigil_stopped');
  const schema = database;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-stopped-'));
  const nodes: VigilNode[] = [];

  beforeAll(async () => {
    for (const n of [1, 2, 3]) nodes.push(await startNode(n, writeNodeConfig(dir, n, { database, schema })));
  }, 120_000);

  afterAll(async () => {
    if (nodes[0]?.proc.pid !== undefined) process.kill(nodes[0].proc.pid, 'SIGCONT');
    await stopCluster(nodes, database, schema, dir);
  }, 120_000);

  it('holds up the other nodes\' inserts for at most the lock\'s hold, and loses nothing', async () => {
    const db = await postgres();
    const victim = nodes[0]!;
    const acked = new Set<string>();
    try {
      // Node 1 ingests alone, four batches in flight, so it holds one shard's lock or the other most of the time.
      let feeding = true;
      const feeders = Array.from({ length: 4 }, async (_, f) => {
        for (let b = 0; feeding; b++) {
          const r = await hecPost(victim.hecUrl, '/services/collector/event', victim.hecToken, randomUUID(), batch(`feed${f}`, b));
          if (r.status === 200) acked.add(`feed${f}-${b}`);
        }
      });
      const held = async (): Promise<boolean> => {
        const names = ['01', '02'].map((s) => `vigil lock clickhouse insert ${database} ${s}`);
        const r = await db.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
             AND ((classid::bigint << 32) | objid::bigint) IN (SELECT hashtext(x)::bigint & x'ffffffffffffffff'::bigint FROM unnest($1::text[]) x)`,
          [names],
        );
        return (r.rows[0] as { n: number }).n > 0;
      };
      // Stop node 1 at a moment it holds a lock (checked again once it is stopped: it may have let go in between).
      let stoppedHolding = false;
      for (let tries = 0; tries < 200 && !stoppedHolding; tries++) {
        if (!(await held())) {
          await sleep(10);
          continue;
        }
        process.kill(victim.proc.pid!, 'SIGSTOP');
        await sleep(200);
        if (await held()) stoppedHolding = true;
        else process.kill(victim.proc.pid!, 'SIGCONT');
      }
      feeding = false; // its feeders' requests now hang until it resumes
      expect(stoppedHolding, 'node 1 was never caught holding a shard lock').toBe(true);
      const stoppedAt = Date.now();

      // Nodes 2 and 3: one client each, batches one after the other, for 25 s.
      const latencies: { at: number; ms: number }[] = [];
      await Promise.all(
        [nodes[1]!, nodes[2]!].map(async (node, k) => {
          for (let b = 0; Date.now() - stoppedAt < 25_000; b++) {
            const t = Date.now();
            const r = await hecPost(node.hecUrl, '/services/collector/event', node.hecToken, randomUUID(), batch(`probe${k}`, b));
            expect(r.status, JSON.stringify(r.json)).toBe(200);
            acked.add(`probe${k}-${b}`);
            latencies.push({ at: t - stoppedAt, ms: Date.now() - t });
          }
        }),
      );
      // Within the hold (15 s from when node 1 took the lock) an insert may wait the lock's 10 s once; after it, none
      // waits for the stopped node (before: every insert into that shard waited 10 s until node 1 came back).
      expect(Math.max(...latencies.map((l) => l.ms))).toBeLessThan(16_000);
      const late = latencies.filter((l) => l.at > 17_000);
      expect(late.length).toBeGreaterThan(5);
      expect(late.filter((l) => l.ms > 5000), 'inserts after the hold ran out that waited for the stopped node').toEqual([]);

      // Node 1 resumes; its feeders finish their requests.
      process.kill(victim.proc.pid!, 'SIGCONT');
      await Promise.all(feeders);
    } finally {
      process.kill(victim.proc.pid!, 'SIGCONT');
      await db.end();
    }

    // Every acknowledged batch is searchable, each event once (any node answers the same).
    const res = await fetch(`${nodes[1]!.apiUrl}/api/search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${nodes[1]!.apiToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ search: 'search index=main sourcetype=stopped | rex field=m "^(?<b>[^-]+-\\d+)-" | stats count dc(m) as markers by b', earliest: '', latest: '' }),
    });
    const rows = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('{"result"'))
      .map((l) => (JSON.parse(l) as { result: { b: string; count: number; markers: number } }).result);
    const stored = new Map(rows.map((r) => [r.b, r]));
    for (const a of acked) expect(stored.get(a), `acknowledged batch ${a}`).toEqual({ b: a, count: 20, markers: 20 });
    for (const r of rows) expect(r.count, `batch ${r.b} twice`).toBe(r.markers);
  });
});
