import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

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
