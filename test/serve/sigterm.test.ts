import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSearch } from '../../src/spl/index.js';
import { openStore } from '../../src/store/sqlite-store.js';

/**
 * `vigil serve` (built, as users run it) honours SIGTERM while a search that never ends on its own is
 * running: searches run on worker threads, so the main thread sees the signal and closing cancels them.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'vigil-sigterm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const API_TOKEN = 'api-token-0000-0000-0000-000000000000';
writeFileSync(
  join(dir, 'vigil.yml'),
  [
    `dataDir: ${join(dir, 'data')}`,
    'hec: { port: 0 }',
    'http:',
    '  port: 0',
    `  apiTokens: [{ name: test, token: ${API_TOKEN} }]`,
    'search: { maxTime: 10m }', // only the signal may stop the search here
    'detections: { enable: [] }',
  ].join('\n'),
);

describe('vigil serve and SIGTERM', () => {
  it('exits promptly on SIGTERM during a runaway search', async () => {
    const proc = spawn(process.execPath, [join(ROOT, 'bin', 'vigil.js'), 'serve', '--config', join(dir, 'vigil.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      const api = await new Promise<string>((resolve, reject) => {
        let out = '';
        proc.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /API\/console:\s+(http:\/\/\S+?)\/?\s/.exec(out);
          if (m) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`serve exited ${code}: ${out}${stderr}`)));
      });
      const headers = { Authorization: `Bearer ${API_TOKEN}`, 'Content-Type': 'application/json' };
      const res = await fetch(`${api}/api/search`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ search: `| makeresults | eval _raw="${'a'.repeat(2000)}!" | regex _raw="(a+)+$"` }),
      });
      expect(res.status).toBe(200);
      const body = res.text().catch(() => null);
      await new Promise((r) => setTimeout(r, 1000)); // the search is in its regex by now
      // The server still answers while the search runs.
      const health = await fetch(`${api}/api/health`, { headers, signal: AbortSignal.timeout(10_000) });
      expect(await health.json()).toEqual({ status: 'ok' });
      proc.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
      expect(code, stderr).toBe(0);
      const text = await body;
      if (text) expect(text).toContain('"SPL_CANCELLED"');
    } finally {
      proc.kill('SIGKILL');
    }
  }, 60_000);
});

/**
 * The whole shutdown is bounded by `shutdownTimeout` (default 5 s): an alert delivery whose receiver never
 * answers, and a HEC upload that never completes, are cut (the delivery stays in the outbox, the upload was
 * never acknowledged), while a batch acknowledged just before the signal is in the store.
 */
describe('vigil serve stops within shutdownTimeout whatever it waits for', () => {
  it('exits on SIGTERM while a webhook hangs and a HEC upload is half sent; the delivery stays in the outbox', async () => {
    const hangDir = mkdtempSync(join(tmpdir(), 'vigil-sigterm-hang-'));
    const dataDir = join(hangDir, 'data');
    // A receiver that takes the request and never answers.
    let received!: () => void;
    const deliveryStarted = new Promise<void>((r) => (received = r));
    const held: ServerResponse[] = [];
    const receiver = createServer((_req, res) => {
      held.push(res);
      received();
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    // An item already due in the outbox: the dispatcher sends it as soon as the server starts.
    const store = await openStore(dataDir);
    const scheduled = Math.floor(Date.now() / 1000) - 3600;
    await store.commitRun({
      run: { detectionId: 'd1', detectionName: 'D1', scheduledTime: scheduled, earliest: scheduled - 3600, latest: scheduled, startedAt: scheduled, endedAt: scheduled, status: 'success', mode: 'scheduled', resultCount: 1, riskEventCount: 0, findingCount: 0, error: null },
      events: [],
      findings: [],
      outbox: [{ id: 'd1@hang', action: 'hang', payload: JSON.stringify({ kind: 'finding', detection: { id: 'd1', name: 'D1' }, scheduled_time: scheduled, time: scheduled, data: { x: '1' } }), createdAt: scheduled, nextAttemptAt: scheduled }],
      suppressions: [],
    });
    await store.close();
    writeFileSync(
      join(hangDir, 'vigil.yml'),
      [
        `dataDir: ${dataDir}`,
        'hec: { port: 0 }',
        'http:',
        '  port: 0',
        `  apiTokens: [{ name: test, token: ${API_TOKEN} }]`,
        'detections: { enable: [] }',
        'alert_actions:',
        '  actions:',
        `    - { name: hang, type: webhook, url: "${hookUrl}", timeoutMs: 600000 }`,
      ].join('\n'),
    );
    const proc = spawn(process.execPath, [join(ROOT, 'bin', 'vigil.js'), 'serve', '--config', join(hangDir, 'vigil.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    let upload: Socket | null = null;
    try {
      const hec = await new Promise<{ url: string; token: string }>((resolve, reject) => {
        let out = '';
        proc.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /HEC:\s+(http:\/\/\S+?)\/services\/collector\s[\s\S]*HEC token: (\S+) \(generated/.exec(out);
          if (m) resolve({ url: m[1]!, token: m[2]! });
        });
        void exited.then((code) => reject(new Error(`serve exited ${code}: ${out}${stderr}`)));
      });
      await deliveryStarted;
      // Acknowledged before the signal: must be in the store afterwards.
      const acked = await fetch(`${hec.url}/services/collector/event`, { method: 'POST', headers: { Authorization: `Splunk ${hec.token}` }, body: '{"event":"acked before SIGTERM"}' });
      expect(acked.status).toBe(200);
      // Half a body, the rest never comes: this client must get no 200.
      const { hostname, port } = new URL(hec.url);
      const sock = connect(Number(port), hostname);
      upload = sock;
      let reply = '';
      sock.on('data', (c: Buffer) => (reply += c.toString()));
      sock.on('error', () => {});
      const uploadClosed = new Promise<void>((r) => sock.once('close', () => r()));
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(`POST /services/collector/event HTTP/1.1\r\nHost: x\r\nAuthorization: Splunk ${hec.token}\r\nContent-Length: 1000\r\n\r\n{"event":"never finished`);
      await new Promise((r) => setTimeout(r, 300));

      proc.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      expect(code, stderr).toBe(0);
      await uploadClosed;
      expect(reply).not.toMatch(/^HTTP\/1\.1 200/);

      const after = await openStore(dataDir, { readonly: true });
      try {
        // Aborted by the stop: the receiver's answer is unknown, so the item is untouched (sent again later).
        expect(await after.dueOutbox(Date.now() / 1000, 10)).toEqual([expect.objectContaining({ id: 'd1@hang', attempts: 0, lastError: null })]);
        const { results } = await runSearch('index=main | stats count by _raw', { source: after });
        expect(results.map((r) => r.get('_raw'))).toEqual(['acked before SIGTERM']);
      } finally {
        await after.close();
      }
    } finally {
      proc.kill('SIGKILL');
      upload?.destroy();
      held.forEach((r) => r.destroy());
      receiver.close();
      rmSync(hangDir, { recursive: true, force: true });
    }
  }, 60_000);
});
