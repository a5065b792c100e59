import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldFor } from '../hec/helpers.js';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type VigilServer } from '../../src/web/runtime.js';
import { hashPassword } from '../../src/web/users.js';

const run = promisify(execFile);
let dir: string;
let server: VigilServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-web-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
  // Users come from the config file's users: section, like `vigil serve --config`.
  const hash = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
  const file = join(dir, 'vigil.yml');
  await writeFile(file, `dataDir: ./data\nhttp:\n  port: 0\n  headersTimeout: 1\n  tls:\n    cert: cert.pem\n    key: key.pem\nhec:\n  port: 0\nusers:\n  - name: bob\n    password: "${hash}"\n`);
  const config = await loadConfig({ file, env: {} });
  server = await startServer(config, { schedule: false, consoleDir: null });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function post(url: string, body: string): Promise<{ status: number; cookie: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', rejectUnauthorized: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('console over TLS', () => {
  it('a connection that never completes the TLS handshake is closed after http.headersTimeout (was node\'s 120 s)', async () => {
    expect(await heldFor(server.apiUrl, 8000)).toBeLessThan(4000);
  });

  it('logs a config-file user in with a Secure, HttpOnly, SameSite=Strict cookie', async () => {
    expect(server.apiUrl).toMatch(/^https:/);
    const ok = await post(`${server.apiUrl}/api/login`, JSON.stringify({ username: 'bob', password: 'pw' }));
    expect(ok.status).toBe(200);
    expect(ok.cookie).toMatch(/vigil_session=.*; *Secure/i);
    expect(ok.cookie).toMatch(/HttpOnly/i);
    expect(ok.cookie).toMatch(/SameSite=Strict/i);
    expect((await post(`${server.apiUrl}/api/login`, JSON.stringify({ username: 'bob', password: 'no' }))).status).toBe(401);
  });
});
