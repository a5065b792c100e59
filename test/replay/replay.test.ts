import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';
import { replayInputs } from '../../src/replay/datasets.js';
import { replay } from '../../src/replay/replay.js';
import { lineTime, shiftLine } from '../../src/replay/shift.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { ACK_TOKEN, hecConfig, start, TOKEN, token } from '../hec/helpers.js';

const DATA = join(BUNDLED_DATASETS_DIR, 'datasets/cisco_isovalent/cisco_isovalent.log');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('replay', () => {
  it('sends a dataset to the real collector and store over /raw with acks', async () => {
    const store = await openStore(join(tmp, 'store'));
    const hec = await start({ store: store as never, config: hecConfig({ tokens: [token({ name: 'ack', token: ACK_TOKEN, useAck: true })] }) });
    try {
      const summary = await replay(replayInputs([DATA]), { url: hec.url, token: ACK_TOKEN, endpoint: 'raw', ack: true, batchSize: 10, sourcetype: 'cisco:isovalent:processExec', source: 'not_applicable' });
      expect(summary).toMatchObject({ eventsSent: 31, eventsFailed: 0, requests: 4, acked: 4, errors: [] });
      const got: string[] = [];
      for await (const b of store.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' })) got.push(...b.map((e) => `${e.sourcetype}|${e.source}|${e._raw}`));
      const lines = readFileSync(DATA, 'utf8').trim().split('\n');
      expect(got.map((g) => g.split('|').slice(2).join('|')).sort()).toEqual([...lines].sort());
      expect(got.every((g) => g.startsWith('cisco:isovalent:processExec|not_applicable|'))).toBe(true);
    } finally {
      await hec.close();
      await store.close();
    }
  });

  it('retries 503 (server busy) with backoff and counts rejected events as failed', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        if (calls <= 2) {
          res.writeHead(503).end('{"text":"Server is busy","code":9}');
          return;
        }
        if (req.url?.includes('index=forbidden')) {
          res.writeHead(400).end('{"text":"Incorrect index","code":7}');
          return;
        }
        res.writeHead(200).end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sleeps: number[] = [];
    const sleep = async (ms: number) => void sleeps.push(ms);
    try {
      const ok = await replay(replayInputs([DATA]), { url, token: TOKEN, endpoint: 'raw', sleep });
      expect(ok).toMatchObject({ eventsSent: 31, eventsFailed: 0, retries: 2 });
      expect(sleeps).toHaveLength(2);
      expect(sleeps[1]!).toBeGreaterThan(sleeps[0]! * 0.9); // backoff grows (with jitter)
      const bad = await replay(replayInputs([DATA]), { url, token: TOKEN, endpoint: 'raw', index: 'forbidden', sleep });
      expect(bad).toMatchObject({ eventsSent: 0, eventsFailed: 31 });
      expect(bad.errors[0]).toBe('HTTP 400: Incorrect index (code 7)');
    } finally {
      server.close();
    }
  });

  it('reads attack_data data.yml files', () => {
    const yml = join(tmp, 'data.yml');
    writeFileSync(yml, 'id: e4b09032-22b5-4b37-a5ed-be0a64b84fb9\ndatasets:\n- name: cisco_isovalent\n  path: /datasets/cisco_isovalent/cisco_isovalent.log\n  sourcetype: cisco:isovalent:processExec\n  source: not_applicable\n');
    expect(replayInputs([yml])).toEqual([{ path: join(tmp, 'cisco_isovalent.log'), source: 'not_applicable', sourcetype: 'cisco:isovalent:processExec', host: 'e4b09032-22b5-4b37-a5ed-be0a64b84fb9' }]);
  });

  it('shifts every Tetragon timestamp by the same amount, keeping precision', () => {
    const line = '{"process_exec":{"process":{"start_time":"2026-11-20T09:59:59.999789000Z","pod":{"container":{"start_time":"2026-11-19T10:00:41Z"}}}},"time":"2026-11-20T10:00:00.000000000Z"}';
    const shifted = JSON.parse(shiftLine(line, 86400 + 0.5)) as { time: string; process_exec: { process: { start_time: string; pod: { container: { start_time: string } } } } };
    expect(shifted.time).toBe('2026-11-21T10:00:00.500000000Z');
    expect(shifted.process_exec.process.start_time).toBe('2026-11-21T10:00:00.499789000Z');
    expect(shifted.process_exec.process.pod.container.start_time).toBe('2026-11-20T10:00:41Z');
    expect(lineTime(line)).toBe(Date.UTC(2026, 10, 20, 10) / 1000);
  });

  it('lands the newest event at the given now with --shift-time', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(...body.trim().split('\n'));
        res.writeHead(200).end('{"text":"Success","code":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const now = Date.UTC(2027, 0, 1) / 1000;
      await replay(replayInputs([DATA]), { url, token: TOKEN, endpoint: 'raw', shiftTo: now });
      const times = received.map((l) => lineTime(l)!);
      expect(Math.max(...times)).toBeCloseTo(now, 5);
      const orig = readFileSync(DATA, 'utf8').trim().split('\n').map((l) => lineTime(l)!);
      expect(Math.max(...times) - Math.min(...times)).toBeCloseTo(Math.max(...orig) - Math.min(...orig), 5);
    } finally {
      server.close();
    }
  });
});
