import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { heapBoundedBytes } from '../../src/config/config.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { hecPost } from '../helpers.js';

/**
 * `vigil serve` under a tiny heap (`node --max-old-space-size=64`): many clients posting large batches at once
 * must be refused with HEC's busy reply (503, code 9 "Server is busy", the retryable code of Splunk's HEC status
 * table: https://docs.splunk.com/Documentation/Splunk/latest/Data/TroubleshootHTTPEventCollector), not abort the
 * process out of memory. With the 64 MiB in-flight budget, 64 clients' 0.9 MB batches took V8 past its heap limit.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'vigil-tiny-heap-'));
/** Servers a failed test left running are stopped. */
const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
const TOKEN = 'tiny-heap-token-0000-000000000000';
const API_TOKEN = 'tiny-heap-api-token-000-000000000000';
const CHANNEL = '5d7f2c1e-8a3b-4c6d-9e0f-1a2b3c4d5e6f';
writeFileSync(
  join(dir, 'vigil.yml'),
  [`dataDir: ${join(dir, 'data')}`, 'hec:', '  port: 0', '  tokens:', `    - { name: plain, token: ${TOKEN} }`, 'http:', '  port: 0', '  apiTokens:', `    - { name: t, token: ${API_TOKEN} }`, 'detections:', '  enable: []'].join('\n'),
);

function startServe(): Promise<{ proc: ChildProcess; url: string; api: string; exited: Promise<string> }> {
  const proc = spawn(process.execPath, ['--max-old-space-size=64', join(ROOT, 'bin', 'vigil.js'), 'serve', '--config', join(dir, 'vigil.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<string>((resolve) => proc.on('exit', (code, signal) => resolve(`exit ${code} ${signal}: ${out.slice(-2000)}`)));
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /HEC:\s+(http:\/\/\S+)\/services\/collector/.exec(out);
      const a = /API\/console:\s+(http:\/\/[^\s/]+)/.exec(out);
      if (m && a) resolve({ proc, url: m[1]!, api: a[1]!, exited });
    });
    void exited.then((why) => reject(new Error(why)));
  });
}

const EVENTS = 900;
const batch = (b: number) => Array.from({ length: EVENTS }, (_, i) => JSON.stringify({ time: 1_800_000_000 + b, event: { batch: b, i, pad: 'z'.repeat(900) } })).join('');

describe('vigil serve with a 64 MB heap', () => {
  it('bounds the default in-flight budgets by an eighth of the heap (64 MiB on a default heap)', () => {
    expect(heapBoundedBytes(64 * MiB, 112 * MiB)).toBe(14 * MiB); // --max-old-space-size=64: V8's heap_size_limit is 112 MiB
    expect(heapBoundedBytes(64 * MiB, 4144 * MiB)).toBe(64 * MiB);
  });

  it('answers 64 concurrent 0.9 MB batches with 200 or 503 code 9, stays up, and keeps every batch it acknowledged once', async () => {
    const { proc, url, exited } = await startServe();
    let died: string | null = null;
    void exited.then((why) => (died = why));
    const acknowledged: number[] = [];
    const replies = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      const rs = await Promise.all(Array.from({ length: 64 }, (_, j) => hecPost(url, '/services/collector/event', TOKEN, CHANNEL, batch(round * 100 + j))));
      rs.forEach((r, j) => {
        const key = `${r.status} ${JSON.stringify(r.json)}`;
        replies.set(key, (replies.get(key) ?? 0) + 1);
        if (r.status === 200) acknowledged.push(round * 100 + j);
      });
    }
    expect(died).toBeNull();
    for (const key of replies.keys()) expect([`200 {"text":"Success","code":0}`, `503 {"text":"Server is busy","code":9,"invalid-event-number":0}`]).toContain(key);
    expect(acknowledged.length).toBeGreaterThan(0);
    proc.kill('SIGTERM');
    await exited;
    const store = await openStore(join(dir, 'data'), { readonly: true });
    try {
      const perBatch = new Map<number, number>();
      for await (const events of store.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' })) {
        for (const e of events) {
          const b = (JSON.parse(e._raw) as { batch: number }).batch;
          perBatch.set(b, (perBatch.get(b) ?? 0) + 1);
        }
      }
      for (const b of acknowledged) expect(perBatch.get(b)).toBe(EVENTS);
      for (const n of perBatch.values()) expect(n).toBe(EVENTS); // no batch partly stored
    } finally {
      await store.close();
    }
  }, 180_000);

  it('answers 8 concurrent searches of a 1 MB string literal (each literal was a rope of a million strings: two took it out of memory)', async () => {
    const { proc, api, exited } = await startServe();
    let died: string | null = null;
    void exited.then((why) => (died = why));
    const text = '| makeresults | eval x="' + 'a'.repeat(1_000_000) + '" | eval n=len(x) | table n';
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${api}/api/search`, { method: 'POST', headers: { Authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ search: text }) }).then(
          async (r) => `${r.status} ${(await r.text()).split('\n').find((l) => l.startsWith('{"result"')) ?? ''}`,
          (e: Error) => `failed: ${e.message}`,
        ),
      ),
    );
    expect(died).toBeNull();
    expect(replies).toEqual(Array.from({ length: 8 }, () => '200 {"result":{"n":1000000}}'));
    proc.kill('SIGTERM');
    await exited;
  }, 120_000);
});
