/** `vigil serve`'s generated tokens are printed once, on the start that made them: a start that fails makes none. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-serve-tokens-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('vigil serve, first start', () => {
  it('that fails (its port is taken) leaves no token behind, so the next start generates and prints them', async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = String((holder.address() as { port: number }).port);
    const dataDir = join(tmp, 'data');
    const env = { ...process.env, VIGIL_API_TOKEN: '', VIGIL_HEC_TOKEN: '' };
    try {
      const failed = spawnSync(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--hec-port', port, '--port', '0'], { encoding: 'utf8', cwd: ROOT, env, timeout: 60_000 });
      expect(failed.status).toBe(2); // CONFIG
      expect(failed.stderr).toContain('EADDRINUSE');
      expect(existsSync(join(dataDir, 'hec-token')) || existsSync(join(dataDir, 'api-token'))).toBe(false);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
    const serve = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--hec-port', '0', '--port', '0'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    serve.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    try {
      for (const end = Date.now() + 30_000; !out.includes('API token:'); ) {
        if (Date.now() > end) throw new Error(`vigil serve did not start: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toMatch(/HEC token: [0-9a-f-]{36} \(generated and saved in .*hec-token; printed only this once\)/);
      expect(out).toMatch(/API token: [0-9a-f-]{36} \(generated and saved in .*api-token; printed only this once\)/);
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }
  });
});
