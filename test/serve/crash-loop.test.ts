import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite-store.js';
import { hecPost } from '../helpers.js';

/**
 * `vigil serve` (built) SIGKILLed again and again at seeded random moments of ingest with and without acks
 * (VIGIL_FUZZ_SEED picks the moments). Splunk's HEC indexer acknowledgment: a client resends until /ack says its
 * batch is indexed (https://docs.splunk.com/Documentation/Splunk/latest/Data/AboutHECIDXAck). So: every batch
 * answered 200 without ack, and every ack id /ack reads true, before or after a restart, must be stored exactly once,
 * and an ack id handed out before a kill whose batch survived must read true after the restart.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-crash-loop-'));
/** Servers a failed test left running are stopped. */
const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const PLAIN = 'plain-token-0000-0000-000000000000';
const ACKED = 'acked-token-0000-0000-000000000000';
const CHANNEL = '5d7f2c1e-8a3b-4c6d-9e0f-1a2b3c4d5e6f';
writeFileSync(
  join(dir, 'vigil.yml'),
  [`dataDir: ${join(dir, 'data')}`, 'hec:', '  port: 0', '  tokens:', `    - { name: plain, token: ${PLAIN} }`, `    - { name: acked, token: ${ACKED}, useAck: true }`, 'http:', '  port: 0', 'detections:', '  enable: []'].join('\n'),
);

function startServe(): Promise<{ proc: ChildProcess; url: string; exited: Promise<void> }> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'vigil.js'), 'serve', '--config', join(dir, 'vigil.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /HEC:\s+(http:\/\/\S+)\/services\/collector/.exec(out);
      if (m) resolve({ proc, url: m[1]!, exited });
    });
    void exited.then(() => reject(new Error(`serve exited: ${out}`)));
  });
}

/** xorshift32: the kill moments and batch sizes of a seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const EVENTS = 40;
const batchBody = (tag: string, b: number, pad: number) => Array.from({ length: EVENTS }, (_, i) => JSON.stringify({ event: { tag, batch: b, i, pad: 'x'.repeat(pad) } })).join('');

describe('vigil serve SIGKILLed repeatedly during ingest with acks', () => {
  it('keeps every acknowledged batch exactly once, and answers acks handed out before a kill after the restart', async () => {
    const seed = Number(process.env['VIGIL_FUZZ_SEED'] ?? 20261207);
    const random = rng(seed);
    const acknowledged = new Set<string>();
    let pending = new Map<number, string>(); // ack id -> "acked:<batch>", not yet read true
    const handedOut = new Set<string>(); // batches answered 200 with an ack id
    let next = 0;
    for (let round = 0; round < 6; round++) {
      const { proc, url, exited } = await startServe();
      if (pending.size > 0) {
        const q = await hecPost(url, '/services/collector/ack', ACKED, CHANNEL, JSON.stringify({ acks: [...pending.keys()] }));
        expect(q.status).toBe(200);
        const acks = (q.json?.['acks'] ?? {}) as Record<string, boolean>;
        for (const [id, b] of pending) if (acks[String(id)] === true) acknowledged.add(b);
        pending = new Map();
      }
      let stop = false;
      const writer = async (tag: 'plain' | 'acked') => {
        while (!stop) {
          const b = next++;
          const r = await hecPost(url, '/services/collector/event', tag === 'plain' ? PLAIN : ACKED, CHANNEL, batchBody(tag, b, 200 + Math.floor(random() * 800)));
          if (r.status === 0) return; // killed
          expect(r.status, `batch ${b}: ${JSON.stringify(r.json)}`).toBe(200);
          if (tag === 'plain') acknowledged.add(`plain:${b}`);
          else {
            pending.set(r.json!['ackId'] as number, `acked:${b}`);
            handedOut.add(`acked:${b}`);
          }
        }
      };
      const writers = [writer('plain'), writer('acked'), writer('acked')];
      await new Promise((r) => setTimeout(r, 200 + random() * 1000));
      proc.kill('SIGKILL');
      stop = true;
      await Promise.all(writers);
      await exited;
    }
    // A last start answers the last round's acks; a clean stop.
    const last = await startServe();
    const q = await hecPost(last.url, '/services/collector/ack', ACKED, CHANNEL, JSON.stringify({ acks: [...pending.keys()] }));
    const acks = (q.json?.['acks'] ?? {}) as Record<string, boolean>;
    for (const [id, b] of pending) if (acks[String(id)] === true) acknowledged.add(b);
    last.proc.kill('SIGTERM');
    await last.exited;

    const perBatch = new Map<string, number>();
    const store = await openStore(join(dir, 'data'), { readonly: true });
    try {
      for await (const events of store.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' })) {
        for (const e of events) {
          const ev = JSON.parse(e._raw) as { tag: string; batch: number };
          const k = `${ev.tag}:${ev.batch}`;
          perBatch.set(k, (perBatch.get(k) ?? 0) + 1);
        }
      }
    } finally {
      await store.close();
    }
    expect(acknowledged.size).toBeGreaterThan(20);
    for (const a of acknowledged) expect(perBatch.get(a), `${a} acknowledged (seed ${seed})`).toBe(EVENTS);
    // Batches committed but not acknowledged (killed before the reply) are whole too; none is stored twice.
    expect([...perBatch.entries()].filter(([, n]) => n !== EVENTS)).toEqual([]);
    // An ack id handed out reads true once its batch is stored, across restarts (none left false). A batch killed
    // before its reply has no id: the client resends it, which is what acks are for.
    expect([...handedOut].filter((k) => !acknowledged.has(k))).toEqual([]);
  }, 120_000);
});
