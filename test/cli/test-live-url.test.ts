import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const vigil = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

// `vigil test --url` (live mode, as users run it over dist/) with URLs that are not http(s): a usage error before any
// test, exit 2, as `vigil replay --url` gives; it was "internal error: Invalid URL", exit 1 (outside judge, issue 5).
describe('vigil test --url / --api-url that are not http(s) URLs', () => {
  it.each([
    [['--url', 'localhost:8088'], '--url must be http(s)://host:port, not localhost:8088'],
    [['--url', 'notaurl'], '--url must be http(s)://host:port, not notaurl'],
    [['--url', 'http://127.0.0.1:8088', '--api-url', '127.0.0.1:8000'], '--api-url must be http(s)://host:port, not 127.0.0.1:8000'],
  ])('%j', (flags, message) => {
    const r = vigil('test', 'Cisco Isovalent - Shell Execution', ...flags, '--token', 'x');
    expect(r.stderr).toBe(`vigil: ${message} [USAGE]\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });
});
