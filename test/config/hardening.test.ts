import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { serverSettings } from '../../src/web/runtime.js';

/** Config values that used to pass validation and fail later (or never): each is a CONFIG error at its line. */
const run = promisify(execFile);
const GOOD = '6b3c9f0e-1111-2222-3333-444455556666';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-config-hardening-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

let n = 0;
async function configFile(text: string): Promise<string> {
  const file = join(dir, `c${n++}.yml`);
  await writeFile(file, text);
  return file;
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

const load = (file: string) => loadConfig({ file, env: {}, flags: { dataDir: join(dir, 'data') } });

describe('tokens', () => {
  it('refuses tokens shorter than 16 characters, wherever they come from', async () => {
    const hec = await configFile(`hec:\n  tokens:\n    - name: short\n      token: abc\n`);
    expect((await failure(load(hec))).message).toBe(`${hec}:4: "hec.tokens.0.token" is too short (3 characters, at least 16): use a random value such as a UUID (uuidgen)`);
    const api = await configFile(`http:\n  apiTokens:\n    - token: changeme\n`);
    expect((await failure(load(api))).message).toMatch(new RegExp(`^${api}:3: "http.apiTokens.0.token" is too short \\(8 characters`));
    expect((await failure(loadConfig({ env: {}, cwd: dir, flags: { hecToken: 'x' } }))).message).toMatch(/^--hec-token is too short \(1 characters/);
    expect((await failure(loadConfig({ env: { VIGIL_HEC_TOKEN: 'secret' }, cwd: dir }))).message).toMatch(/^VIGIL_HEC_TOKEN is too short/);
    // 16 is enough.
    expect((await loadConfig({ env: {}, cwd: dir, flags: { hecToken: 'a'.repeat(16) } })).hec.tokens[0]!.token).toBe('a'.repeat(16));
  });

  it('refuses the same value as a HEC token and an API token (a HEC token ships to every exporter)', async () => {
    const file = await configFile(`hec:\n  tokens:\n    - { name: tetragon, token: ${GOOD} }\nhttp:\n  apiTokens:\n    - name: analyst\n      token: ${GOOD}\n`);
    const e = await failure(load(file));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toBe(`${file}:7: API token "analyst" has the value of HEC token "tetragon": use a different token for the API`);
    const apiOnly = await configFile(`http:\n  apiTokens:\n    - name: analyst\n      token: ${GOOD}\n`);
    expect((await failure(loadConfig({ file: apiOnly, env: {}, flags: { dataDir: join(dir, 'data'), hecToken: GOOD } }))).message).toContain(
      `${apiOnly}:4: API token "analyst" has the value of HEC token "flag"`,
    );
  });

  it('compares HEC tokens ignoring case, as the HEC matches them (an upper-case copy of a HEC token is still it)', async () => {
    const upper = GOOD.toUpperCase();
    expect(upper).not.toBe(GOOD);
    const api = await configFile(`hec:\n  tokens:\n    - { name: tetragon, token: ${GOOD} }\nhttp:\n  apiTokens:\n    - name: analyst\n      token: ${upper}\n`);
    expect((await failure(load(api))).message).toBe(`${api}:7: API token "analyst" has the value of HEC token "tetragon": use a different token for the API`);
    const dup = await configFile(`hec:\n  tokens:\n    - { name: a, token: ${GOOD} }\n    - { name: b, token: ${upper} }\n`);
    expect((await failure(load(dup))).message).toBe(`${dup}:4: token "b" repeats another token's value`);
    // --hec-token naming a configured token in another case is that token (one entry, its name kept).
    const one = await configFile(`hec:\n  tokens:\n    - { name: tetragon, token: ${GOOD} }\n`);
    const tokens = (await loadConfig({ file: one, env: {}, flags: { dataDir: join(dir, 'data'), hecToken: upper } })).hec.tokens;
    expect(tokens.map((t) => t.name)).toEqual(['tetragon']);
  });
});

describe('TLS files', () => {
  let cert: string, key: string, otherKey: string, encryptedKey: string;
  beforeAll(async () => {
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    otherKey = join(dir, 'other.pem');
    encryptedKey = join(dir, 'encrypted.pem');
    await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost']);
    await run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', otherKey]);
    await run('openssl', ['pkey', '-in', key, '-out', encryptedKey, '-aes256', '-passout', 'pass:secret']);
    await writeFile(join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
  }, 60_000);

  const tlsConfig = (c: string, k: string) => configFile(`http:\n  tls:\n    cert: ${c}\n    key: ${k}\n`);

  it('loads a certificate with its key', async () => {
    const c = await load(await tlsConfig(cert, key));
    expect(c.http.tls).toEqual({ cert, key });
    expect(c.warnings).toEqual([]);
  });

  it('reports a garbage PEM, a key of another certificate and an encrypted key at their lines', async () => {
    const garbage = await tlsConfig(join(dir, 'garbage.pem'), key);
    expect((await failure(load(garbage))).message).toMatch(new RegExp(`^${garbage}:3: certificate .*garbage\\.pem is not a PEM certificate`));
    const keyAsCert = await tlsConfig(key, key);
    expect((await failure(load(keyAsCert))).message).toMatch(new RegExp(`^${keyAsCert}:3: certificate .*key\\.pem is not a PEM certificate`));
    const certAsKey = await tlsConfig(cert, cert);
    expect((await failure(load(certAsKey))).message).toMatch(new RegExp(`^${certAsKey}:4: key .*cert\\.pem is not an unencrypted PEM private key`));
    const mismatch = await tlsConfig(cert, otherKey);
    expect((await failure(load(mismatch))).message).toBe(`${mismatch}:4: key ${otherKey} is not the private key of certificate ${cert}`);
    const encrypted = await tlsConfig(cert, encryptedKey);
    const e = await failure(load(encrypted));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toMatch(new RegExp(`^${encrypted}:4: key .*encrypted\\.pem is not an unencrypted PEM private key`));
  });
});

describe('YAML', () => {
  it('an alias bomb is a config error at the line of the first alias', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) lines.push(`${names[i]}: &${names[i]} [${Array(10).fill(`*${names[i - 1]}`).join(',')}]`);
    const file = await configFile(`schedule:\n  timezone: UTC\nbomb:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
    const e = await failure(load(file));
    expect(e.code).toBe('CONFIG');
    expect(e.message).toMatch(new RegExp(`^${file}:5: YAML aliases expand to too much \\(more than 100 alias expansions\\)`));
  });
});

describe('body limits node can decode', () => {
  // A body is decoded into one string, and V8's strings hold at most 536,870,888 UTF-16 units (0x1fffffe8,
  // buffer.constants.MAX_STRING_LENGTH): with hec.maxBodyBytes: 1GB (Splunk's max_content_length defaults to 800 MB), a
  // 600 MB /raw post was "500 code 8 Internal server error" with a stack trace in the log, retried by the client; the
  // API answered 500 INTERNAL. 512MB is 536,870,912 bytes: 24 over; 500MB fits.
  it('refuses a body limit over the longest string at its line', async () => {
    for (const [text, key] of [
      ['hec:\n  maxBodyBytes: 1GB\n  maxInflightBytes: 2GB\n', 'hec.maxBodyBytes'],
      ['hec:\n  maxBodyBytes: 512MB\n', 'hec.maxBodyBytes'],
      ['http:\n  maxBodyBytes: 1GB\n', 'http.maxBodyBytes'],
      ['http:\n  maxLoginBodyBytes: 600MB\n', 'http.maxLoginBodyBytes'],
    ] as const) {
      const file = await configFile(text);
      const e = await failure(load(file));
      expect(e.code, text).toBe('CONFIG');
      expect(e.message, text).toMatch(new RegExp(`^${file}:2: "${key.replace('.', '\\.')}" must be at most 536870888 bytes \\(the longest text node holds: a body is decoded as one\\)`));
    }
    const ok = await load(await configFile('hec:\n  maxBodyBytes: 500MB\nhttp:\n  maxBodyBytes: 500MB\n'));
    expect([ok.hec.maxBodyBytes, ok.http.maxBodyBytes]).toEqual([500 * 1024 * 1024, 500 * 1024 * 1024]);
  });
});

describe('durations that node timers run', () => {
  // node's setTimeout takes at most 2^31-1 ms (24.8 days) and fires a longer delay after 1 ms (TimeoutOverflowWarning):
  // on a running vigil serve, search.maxTime: 30d stopped every search at once ("exceeded its 2592000 s time limit"),
  // hec.bodyIdleTimeout: 25d answered a body sent 100 ms after its headers "408 no data for 2160000 s".
  // 24 days (2,073,600,000 ms) fits; 25 days (2,160,000,000 ms) does not.
  const cases: [string, string][] = [
    ['hec:\n  bodyIdleTimeout: 25d\n', 'hec.bodyIdleTimeout'],
    ['hec:\n  bodyTimeout: 25d\n', 'hec.bodyTimeout'],
    ['http:\n  headersTimeout: 25d\n', 'http.headersTimeout'],
    ['http:\n  bodyTimeout: 30d\n', 'http.bodyTimeout'],
    ['shutdownTimeout: 100y\n', 'shutdownTimeout'],
    ['search:\n  maxTime: 30d\n', 'search.maxTime'],
  ];
  it('refuses a timeout longer than 24.8 days at its line, in the config', async () => {
    for (const [text, key] of cases) {
      const file = await configFile(text);
      const e = await failure(load(file));
      expect(e.code, text).toBe('CONFIG');
      expect(e.message, text).toMatch(new RegExp(`^${file}:\\d+: "${key.replace('.', '\\.')}" must be at most 24 days \\(2147483647 ms, the longest timer\\)`));
    }
    const ok = await load(await configFile('hec:\n  bodyTimeout: 24d\nsearch:\n  maxTime: 24d\nshutdownTimeout: 24d\n'));
    expect([ok.hec.timeouts.bodyMs, ok.search.maxTimeSeconds, ok.shutdownTimeoutMs]).toEqual([2_073_600_000, 2_073_600, 2_073_600_000]);
  });

  it('refuses schedule.run_timeout and schedule.lease past it (the lease is renewed every third of it)', async () => {
    for (const [text, key] of [['schedule:\n  run_timeout: 25d\n', 'run_timeout'], ['schedule:\n  lease: 75d\n', 'lease']] as const) {
      const file = await configFile(text);
      let error: (Error & { code?: string }) | undefined;
      try {
        serverSettings(await load(file));
      } catch (e) {
        error = e as Error & { code?: string };
      }
      expect(error?.code, text).toBe('CONFIG');
      expect(error?.message, text).toMatch(new RegExp(`^${file}:2: schedule\\.${key} must be at most 24 days \\(2147483647 ms, the longest timer\\)`));
    }
    const ok = serverSettings(await load(await configFile('schedule:\n  run_timeout: 24d\n  lease: 24d\n'))).schedule;
    expect([ok.runTimeoutMs, ok.leaseMs]).toEqual([2_073_600_000, 2_073_600_000]);
  });
});

describe('sections validated by their modules, before vigil serve starts', () => {
  const settingsError = async (text: string) => {
    const file = await configFile(text);
    const config = await load(file);
    try {
      serverSettings(config);
    } catch (e) {
      return { file, error: e as Error & { code?: string } };
    }
    throw new Error('expected a failure');
  };

  it('an unknown time zone', async () => {
    const { file, error } = await settingsError('hec:\n  port: 0\nschedule:\n  max_lag: 2h\n  timezone: Mars/Olympus_Mons\n');
    expect(error.code).toBe('CONFIG');
    expect(error.message).toBe(`${file}:5: schedule.timezone unknown time zone 'Mars/Olympus_Mons' (expected an IANA name such as 'UTC' or 'Europe/Berlin')`);
  });

  it('unknown keys, non-boolean incremental, bad lists, durations and alert actions', async () => {
    const cases: [string, RegExp][] = [
      ['schedule:\n  timezon: UTC\n', /:2: schedule\.timezon is not a known setting \(known: timezone, max_lag/],
      ['schedule:\n  incremental: "no"\n', /:2: schedule\.incremental must be true or false/],
      ['detections:\n  enable: curl\n', /:2: detections\.enable must be a list of names/],
      ['detections:\n  stories:\n    enabled: []\n', /:3: detections\.stories\.enabled is not a known setting/],
      ['schedule:\n  run_timeout: soon\n', /:2: schedule\.run_timeout must be a duration/],
      ['alert_actions:\n  actions:\n    - name: x\n      type: webhook\n      url: not a url\n', /:5: "alert_actions\.actions\[0\]\.url"/],
    ];
    for (const [text, message] of cases) {
      const { file, error } = await settingsError(text);
      expect(error.code, text).toBe('CONFIG');
      expect(error.message, text).toMatch(message);
      expect(error.message.startsWith(`${file}:`), text).toBe(true);
    }
  });
});
