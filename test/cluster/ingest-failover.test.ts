// Ingest on three vigil nodes with indexer acknowledgement while the cluster fails under it (issue #11): several
// HEC clients send batches to three `vigil serve --config` nodes (built, as users run them) and resend every batch
// not acknowledged, byte for byte, to the next node; mid-stream one vigil node is SIGKILLed and one ClickHouse
// replica is stopped (SIGTERM), later restarted. Afterwards, on EVERY replica's local table (ClickHouse HTTP, not
// through vigil): every acknowledged event is there exactly once, the replicas of each shard hold the same events,
// a batch is whole or absent, and no event is there twice; vigil's own search agrees.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hecPost } from '../helpers.js';
import { REPLICAS, clickhouse, skipWithoutCluster, uniqueName } from './local-cluster.js';
import { alive, restoreCluster, serverPid, startNode, stopCluster, writeNodeConfig, type VigilNode } from './nodes.js';

const skip = await skipWithoutCluster('test/cluster/ingest-failover.test.ts');

const CLIENTS = 6;
const EVENTS_PER_BATCH = 40;
/**
 * Attempts before a client moves on to its next batch. While shard 01 has one replica, none of its batches can
 * reach the quorum (2) and each attempt is refused (503) after the store's insert retries (10 s): a client that
 * kept resending one of them would stall until the replica is back.
 */
const GIVE_UP_AFTER = 3;
/** How long the replica stays down. */
const OUTAGE_MS = 15_000;
/** The replica stopped mid-stream: shard 01's r2, the first replica of node 3. */
const VICTIM = REPLICAS.find((r) => r.name === 's1r2')!;


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batch's body: fixed times and text, so every resend is byte for byte the same. Markers `c<client>-b<batch>-i<n>`. */
function batchBody(client: number, batch: number, t0: number): string {
  let body = '';
  for (let i = 0; i < EVENTS_PER_BATCH; i++) {
    const event = { m: `c${client}-b${batch}-i${i}`, kind: 'e2e', pad: 'x'.repeat(200 + ((batch * 7 + i) % 50)) };
    body += JSON.stringify({ time: t0 + batch + i / 1000, sourcetype: 'e2e', event });
  }
  return body;
}

/** `marker → count` of one replica's local table (merged view: FINAL). */
async function markersOn(database: string, replica: (typeof REPLICAS)[number]): Promise<Map<string, number>> {
  const text = await clickhouse(replica, `SELECT visitParamExtractString(raw, 'm') AS m, count() FROM ${database}.events_local FINAL WHERE sourcetype = 'e2e' GROUP BY m FORMAT TabSeparated`);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [m, n] = line.split('\t') as [string, string];
    out.set(m, Number(n));
  }
  return out;
}

describe.skipIf(skip)('ingest on three vigil nodes through a vigil node crash and a ClickHouse replica outage', () => {
  const database = uniqueName('vigil_e2e_ingest');
  const schema = database;
  const dir = mkdtempSync(join(tmpdir(), 'vigil-e2e-ingest-'));
  const nodes: VigilNode[] = [];

  beforeAll(async () => {
    // The node configs' HEC token has no ack: here it gets one (useAck: true).
    const extra = (base: Record<string, any>) => ({ hec: { ...base['hec'], tokens: base['hec'].tokens.map((t: object) => ({ ...t, useAck: true })) } }); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const n of [1, 2, 3]) nodes.push(await startNode(n, writeNodeConfig(dir, n, { database, schema, extra })));
  }, 120_000);

  afterAll(() => stopCluster(nodes, database, schema, dir), 120_000);

  it('keeps every acknowledged event exactly once on every replica', async () => {
    // Noon yesterday: in the past (searchable), and every batch in one day partition (so one part: whole or absent).
    const t0 = Math.floor(Date.now() / 86_400_000) * 86_400 - 43_200;
    const acknowledged = new Set<string>(); // "client:batch"
    const sent = new Set<string>();
    const down = new Set<number>(); // nodes (index) known dead
    let stop = false; // no new batches
    let abort = false; // the test failed: no more resends either
    let resends = 0;
    let abandoned = 0;

    /** One client: each batch until acknowledged (200 with an ackId, then /ack true), resent to the next node otherwise. */
    const client = async (c: number) => {
      const channel = randomUUID();
      let at = c % nodes.length;
      for (let b = 0; !stop; b++) {
        const body = batchBody(c, b, t0);
        sent.add(`${c}:${b}`);
        for (let attempt = 0; ; attempt++) {
          if (abort) return;
          // A client that gives up on a batch (as clients with a retry limit do): it stays unacknowledged.
          if (attempt === GIVE_UP_AFTER) {
            abandoned++;
            break;
          }
          if (attempt > 0) {
            resends++;
            at = (at + 1) % nodes.length;
            if (down.has(at)) at = (at + 1) % nodes.length;
            await sleep(100);
          }
          const node = nodes[at]!;
          const r = await hecPost(node.hecUrl, '/services/collector/event', node.hecToken, channel, body);
          if (r.status !== 200) {
            if (r.status !== 0 && r.status !== 503 && r.status !== 500) throw new Error(`HEC ${node.name} answered ${r.status} ${JSON.stringify(r.json)}`);
            continue;
          }
          const id = r.json?.['ackId'];
          expect(typeof id).toBe('number');
          let ok = false;
          for (let poll = 0; poll < 50 && !ok; poll++) {
            const q = await hecPost(node.hecUrl, '/services/collector/ack', node.hecToken, channel, JSON.stringify({ acks: [id] }));
            if (q.status === 0) break; // the node died: resend elsewhere
            ok = (q.json?.['acks'] as Record<string, boolean> | undefined)?.[String(id)] === true;
            if (!ok) await sleep(100);
          }
          if (ok) {
            acknowledged.add(`${c}:${b}`);
            break;
          }
        }
      }
    };
    const waitAcked = async (n: number, what: string) => {
      const target = acknowledged.size + n;
      for (const deadline = Date.now() + 120_000; acknowledged.size < target; await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`only ${acknowledged.size}/${target} batches acknowledged ${what}`);
      }
    };

    const victimPid = serverPid(`clickhouse-${VICTIM.name}`);
    const clients = Array.from({ length: CLIENTS }, (_, c) =>
      client(c).catch((error: unknown) => {
        abort = true;
        throw error;
      }),
    );
    try {
      try {
        await waitAcked(30, 'before the faults');
        // Faults mid-stream: node 2 dies at once (batches in flight on it are lost or stored unacknowledged), then
        // shard 01 loses a replica (its quorum inserts fail until it is back: clients get 503 and resend).
        nodes[1]!.proc.kill('SIGKILL');
        down.add(1);
        process.kill(victimPid, 'SIGTERM');
        for (const deadline = Date.now() + 30_000; alive(victimPid); await sleep(100)) {
          if (Date.now() > deadline) throw new Error(`${VICTIM.name} did not stop`);
        }
        const outageEnds = Date.now() + OUTAGE_MS;
        await waitAcked(3, 'while a replica and a node were down'); // shard 02 still takes batches
        await sleep(outageEnds - Date.now());
      } finally {
        // Other tests share the cluster: the replica is restarted whatever happened here.
        await restoreCluster(VICTIM);
      }
      await waitAcked(30, 'after the replica came back');
    } catch (error) {
      abort = true;
      throw error;
    } finally {
      stop = true;
      await Promise.allSettled(clients);
    }
    await Promise.all(clients);
    expect(await nodes[1]!.exited).toBe('SIGKILL');

    // The restarted replica catches up from its shard's other one.
    for (const r of REPLICAS) await clickhouse(r, `SYSTEM SYNC REPLICA ${database}.events_local`, { receive_timeout: '120' });
    const perReplica = new Map<string, Map<string, number>>();
    for (const r of REPLICAS) perReplica.set(r.name, await markersOn(database, r));

    // The two replicas of each shard hold the same events, each once.
    for (const [a, b] of [['s1r1', 's1r2'], ['s2r1', 's2r2']] as const) expect(perReplica.get(b), `${b} differs from ${a}`).toEqual(perReplica.get(a));
    const total = new Map<string, number>();
    for (const name of ['s1r1', 's2r1']) for (const [m, n] of perReplica.get(name)!) total.set(m, (total.get(m) ?? 0) + n);
    expect([...total].filter(([, n]) => n !== 1), 'events stored more than once').toEqual([]);

    // Every acknowledged event is there; a batch is whole or absent; nothing that was never sent.
    const batches = new Map<string, number>();
    for (const m of total.keys()) {
      const [, c, b] = /^c(\d+)-b(\d+)-i\d+$/.exec(m)!;
      batches.set(`${c}:${b}`, (batches.get(`${c}:${b}`) ?? 0) + 1);
    }
    for (const a of acknowledged) expect(batches.get(a), `batch ${a} was acknowledged`).toBe(EVENTS_PER_BATCH);
    for (const [k, n] of batches) {
      expect(sent.has(k), `batch ${k} was never sent`).toBe(true);
      expect(n, `batch ${k} is partial`).toBe(EVENTS_PER_BATCH);
    }
    // The faults happened under load: resends, and acknowledged batches on both shards after the restart.
    expect(resends).toBeGreaterThan(0);
    expect(perReplica.get('s1r2')!.size).toBeGreaterThan(0);

    // vigil's own search (a surviving node, through the Distributed table) sees the same: each event once.
    const res = await fetch(`${nodes[0]!.apiUrl}/api/search`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${nodes[0]!.apiToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ search: 'search index=main sourcetype=e2e | stats count dc(m) as markers', earliest: '', latest: '' }),
    });
    expect(res.status).toBe(200);
    const rows = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('{"result"'))
      .map((l) => (JSON.parse(l) as { result: Record<string, unknown> }).result);
    expect(rows).toEqual([{ count: total.size, markers: total.size }]);
    console.log(`ingest-failover: ${acknowledged.size} of ${sent.size} batches acknowledged, ${batches.size} stored, ${resends} resends, ${abandoned} given up`);
  }, 600_000);
});
