import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/sqlite-store.js';
import { hecPost } from '../helpers.js';

/**
 * Crash test of the whole server: `vigil serve` (built, as users run it) is SIGKILLed during sustained
 * ingest; after a restart every event it acknowledged must be there exactly once.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PLAIN = 'plain-token-0000-0000-000000000000';
const ACKED = 'acked-token-0000-0000-000000000000';
const CHANNEL = '5d7f2c1e-8a3b-4c6d-9e0f-1a2b3c4d5e6f';
writeFileSync(
  join(dir, 'vigil.yml'),
  [
    `dataDir: ${join(dir, 'data')}`,
    'hec:',
    '  port: 0',
    '  tokens:',
    `    - { name: plain, token: ${PLAIN} }`,
    `    - { name: acked, token: ${ACKED}, useAck: true }`,
    'http:',
    '  port: 0',
    'detections:',
    '  enable: []',
  ].join('\n'),
);

async function startServe(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [join(ROOT, 'bin', 'vigil.js'), 'serve', '--config', join(dir, 'vigil.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /HEC:\s+(http:\/\/\S+)\/services\/collector/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
  return { proc, url };
}


const batchBody = (tag: string, b: number) =>
  Array.from({ length: 50 }, (_, i) => JSON.stringify({ time: 1_800_000_000 + b, event: { tag, batch: b, i, pad: 'x'.repeat(800) } })).join('');

describe('vigil serve crash (SIGKILL during ingest)', () => {
  it('keeps every acknowledged event exactly once', async () => {
    const { proc, url } = await startServe();
    const acknowledged = new Set<string>(); // "tag:batch"
    const ackIds = new Map<number, number>(); // ackId -> batch
    let stop = false;
    const writers = ['plain', 'acked'].map(async (tag) => {
      for (let b = 0; !stop; b++) {
        const r = await hecPost(url, '/services/collector/event', tag === 'plain' ? PLAIN : ACKED, CHANNEL, batchBody(tag, b));
        if (r.status === 0) break; // the server is gone
        if (r.status !== 200) continue;
        if (tag === 'plain') acknowledged.add(`plain:${b}`);
        else ackIds.set(r.json!['ackId'] as number, b);
        if (tag === 'acked' && b % 5 === 4) {
          const q = await hecPost(url, '/services/collector/ack', ACKED, CHANNEL, JSON.stringify({ acks: [...ackIds.keys()] }));
          const acks = (q.json?.['acks'] ?? {}) as Record<string, boolean>;
          for (const [id, batch] of ackIds) if (acks[String(id)] === true) acknowledged.add(`acked:${batch}`);
        }
      }
    });
    // Kill once both kinds have some acknowledged batches, however fast this machine ingests (a liveness bound only).
    const acked = (tag: string) => [...acknowledged].filter((a) => a.startsWith(`${tag}:`)).length;
    for (const deadline = Date.now() + 40_000; (acked('plain') < 10 || acked('acked') < 10) && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await new Promise((r) => proc.once('exit', r));
    expect([acked('plain'), acked('acked')].every((n) => n >= 10)).toBe(true);

    // Restart on the same data: the store recovers from its WAL.
    const again = await startServe();
    again.proc.kill('SIGTERM');
    await new Promise((r) => again.proc.once('exit', r));

    const store = await openStore(join(dir, 'data'), { readonly: true });
    const seen = new Map<string, number>();
    for await (const batch of store.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' })) {
      for (const e of batch) {
        const ev = JSON.parse(e._raw) as { tag: string; batch: number; i: number };
        const k = `${ev.tag}:${ev.batch}:${ev.i}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
    }
    await store.close();
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]); // no duplicates
    for (const a of acknowledged) for (let i = 0; i < 50; i++) expect(seen.has(`${a}:${i}`), `${a}:${i} was acknowledged but is missing`).toBe(true);
    // Every batch present is whole (a batch is atomic).
    const perBatch = new Map<string, number>();
    for (const k of seen.keys()) perBatch.set(k.split(':').slice(0, 2).join(':'), (perBatch.get(k.split(':').slice(0, 2).join(':')) ?? 0) + 1);
    expect([...perBatch.values()].every((n) => n === 50)).toBe(true);
  }, 90_000);
});
