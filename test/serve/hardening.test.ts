import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `vigil serve` as users run it (built bin/vigil.js): the data dir is private and locked, generated tokens are
 * printed once, and a bad config value stops it with exit 2 before it says it runs.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Serve {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

function serve(args: string[]): Serve {
  const proc = spawn(process.execPath, [BIN, 'serve', '--hec-port', '0', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_CONFIG: '' } });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, out: () => out, err: () => err, exit };
}

/** Resolves once the server printed its banner (through the `try:` line), or rejects if it exits first. */
async function running(s: Serve): Promise<void> {
  for (const deadline = Date.now() + 30_000; !s.out().includes('  try: curl'); ) {
    if (s.proc.exitCode !== null) throw new Error(`serve exited ${s.proc.exitCode}: ${s.err()}`);
    if (Date.now() > deadline) throw new Error(`serve did not start: ${s.out()} ${s.err()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function stop(s: Serve): Promise<number | null> {
  s.proc.kill('SIGTERM');
  return s.exit;
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe('vigil serve hardening', () => {
  it('prints generated tokens once, keeps the data dir private, and refuses a second server on it', async () => {
    const data = join(dir, 'data');
    // No token in the config (they are generated); no detections, so that stopping does not wait for runs.
    const config = join(dir, 'quiet.yml');
    writeFileSync(config, 'detections:\n  enable: []\n');
    const args = ['--config', config, '--data-dir', data];
    const first = serve(args);
    await running(first);
    const hecToken = readFileSync(join(data, 'hec-token'), 'utf8').trim();
    const apiToken = readFileSync(join(data, 'api-token'), 'utf8').trim();
    expect(first.out()).toContain(`HEC token: ${hecToken} (generated and saved in ${join(data, 'hec-token')}; printed only this once)`);
    expect(first.out()).toContain(`API token: ${apiToken} (generated and saved in ${join(data, 'api-token')}; printed only this once)`);
    expect(await stop(first)).toBe(0);

    const second = serve(args);
    await running(second);
    try {
      // Later starts say where the tokens are, never what they are.
      expect(second.out()).not.toContain(hecToken);
      expect(second.out()).not.toContain(apiToken);
      expect(second.out()).toContain(`HEC token: in ${join(data, 'hec-token')}`);
      expect(second.out()).toContain(`API token: in ${join(data, 'api-token')}`);
      expect(second.out()).toContain(`Authorization: Splunk $(cat ${join(data, 'hec-token')})`);
      // Private files (the WAL and shared memory exist while it runs).
      const db = join(data, 'vigil.db');
      expect([mode(data), mode(db), mode(`${db}-wal`), mode(`${db}-shm`), mode(join(data, 'hec-token')), mode(join(data, 'api-token'))]).toEqual([0o700, 0o600, 0o600, 0o600, 0o600, 0o600]);

      // A second server on the same data dir: a clear error naming the running one, nothing started.
      const third = serve(args);
      expect(await third.exit).toBe(1);
      expect(third.out()).not.toContain('vigil is running');
      expect(third.err()).toContain(`the data dir ${data} is in use by vigil serve (pid ${second.proc.pid} on `);
      expect(third.err()).toContain('[STORE]');
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 90_000);

  it('exits 2 with file:line on a bad time zone or a garbage TLS file, before it opens the store', async () => {
    const token = (n: number) => `hardening-token-${n}-0000-000000000000`;
    const badTz = join(dir, 'tz.yml');
    writeFileSync(badTz, `dataDir: ./tz-data\nhec:\n  tokens: [{ token: ${token(1)} }]\nhttp:\n  apiTokens: [{ token: ${token(2)} }]\nschedule:\n  timezone: Mars/Olympus_Mons\n`);
    const tz = serve(['--config', badTz]);
    expect(await tz.exit).toBe(2);
    expect(tz.err()).toContain(`vigil: ${badTz}:7: schedule.timezone unknown time zone 'Mars/Olympus_Mons'`);
    expect(tz.out()).toBe('');
    expect(existsSync(join(dir, 'tz-data', 'vigil.db'))).toBe(false);

    writeFileSync(join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n');
    const badPem = join(dir, 'pem.yml');
    writeFileSync(badPem, `dataDir: ./pem-data\nhttp:\n  tls:\n    cert: garbage.pem\n    key: garbage.pem\n`);
    const pem = serve(['--config', badPem]);
    expect(await pem.exit).toBe(2);
    expect(pem.err()).toMatch(new RegExp(`vigil: ${badPem}:4: certificate .*garbage\\.pem is not a PEM certificate: .*\\[CONFIG\\]`));
    expect(pem.out()).toBe('');
  }, 60_000);
});
