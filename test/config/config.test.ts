import { mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { loadConfig, DEFAULTS, HEC_TOKEN_FILE, parseDuration, parseSize } from '../../src/config/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(text: string, name = 'vigil.yml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const noEnv = {};

describe('defaults', () => {
  it('with no file: localhost ports, ./data, generated tokens', async () => {
    const c = await loadConfig({ env: noEnv, cwd: dir });
    expect(c.file).toBeNull();
    expect(c.dataDir).toBe(join(dir, 'data'));
    expect(c.hec).toMatchObject({ host: '127.0.0.1', port: 8088, maxBodyBytes: DEFAULTS.maxBodyBytes, maxInflightBytes: DEFAULTS.maxInflightBytes, maxInflightBytesPerClient: DEFAULTS.maxInflightBytes / 2 });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8000, maxBodyBytes: 1024 * 1024, maxLoginBodyBytes: 16 * 1024, maxPipelinedRequests: 16 });
    // Node's own default header limit (--max-http-header-size), made explicit.
    expect([c.hec.maxHeaderBytes, c.http.maxHeaderBytes]).toEqual([16 * 1024, 16 * 1024]);
    expect(c.hec.timeouts).toEqual({ headersMs: 10_000, bodyIdleMs: 30_000, bodyMs: 120_000 });
    expect(c.http.timeouts).toEqual({ headersMs: 10_000, bodyIdleMs: 30_000, bodyMs: 60_000 });
    expect(c.shutdownTimeoutMs).toBe(5_000);
    expect(c.hec.tls).toBeUndefined();
    expect(c.indexes).toEqual({});
    expect(c.warnings).toEqual([]);
    expect(c.hec.tokens).toHaveLength(1);
    expect(c.hec.tokens[0]).toMatchObject({ name: 'default', defaultIndex: 'main', indexes: [], disabled: false, useAck: false });
    expect(c.http.apiTokens).toHaveLength(1);
    expect(c.hec.tokens[0]!.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.http.apiTokens[0]!.token).not.toBe(c.hec.tokens[0]!.token);
  });

  it('generated tokens are stored with mode 0600 and reused on later starts', async () => {
    const first = await loadConfig({ env: noEnv, cwd: dir });
    expect(first.generated.hecToken).toMatchObject({ created: true, path: join(dir, 'data', 'hec-token') });
    expect(first.generated.apiToken).toMatchObject({ created: true, path: join(dir, 'data', 'api-token') });
    expect((await stat(join(dir, 'data', 'hec-token'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'data', 'api-token'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(dir, 'data', 'hec-token'), 'utf8')).trim()).toBe(first.hec.tokens[0]!.token);

    const second = await loadConfig({ env: noEnv, cwd: dir });
    expect(second.generated.hecToken).toMatchObject({ created: false, token: first.hec.tokens[0]!.token });
    expect(second.hec.tokens[0]!.token).toBe(first.hec.tokens[0]!.token);
    expect(second.http.apiTokens[0]!.token).toBe(first.http.apiTokens[0]!.token);
  });

  it('concurrent first starts agree on one token, and none can read it half-written (it is linked whole to its name)', async () => {
    for (let round = 0; round < 20; round++) {
      const cwd = join(dir, `round-${round}`);
      await mkdir(cwd);
      const all = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => loadConfig({ env: noEnv, cwd })));
      expect(new Set(all.map((c) => c.hec.tokens[0]!.token)).size).toBe(1);
      // Only the token files are left (no draft).
      expect((await readdir(join(cwd, 'data'))).sort()).toEqual(['api-token', 'hec-token']);
    }
  });

  it('no token is generated when one is configured', async () => {
    const c = await loadConfig({ env: noEnv, cwd: dir, flags: { hecToken: 'flag-token-0123456789' } });
    expect(c.generated.hecToken).toBeUndefined();
    await expect(stat(join(dir, 'data', 'hec-token'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a token generated on an earlier start stays valid beside --hec-token or VIGIL_HEC_TOKEN (an extra token); a config file listing tokens replaces it', async () => {
    // First start, nothing configured: the token every shipper was given.
    const first = await loadConfig({ env: noEnv, cwd: dir });
    const generated = first.hec.tokens[0]!.token;
    // Restarted with --hec-token for another client: the first token used to answer 403 code 4 "Invalid token".
    const flag = await loadConfig({ env: noEnv, cwd: dir, flags: { hecToken: 'flag-token-0123456789' } });
    expect(flag.hec.tokens.map((t) => [t.name, t.token])).toEqual([['flag', 'flag-token-0123456789'], ['default', generated]]);
    expect(flag.generated.hecToken).toMatchObject({ created: false, token: generated });
    const env = await loadConfig({ env: { VIGIL_HEC_TOKEN: 'env-token-0123456789' }, cwd: dir });
    expect(env.hec.tokens.map((t) => t.token)).toEqual(['env-token-0123456789', generated]);
    // The flag naming the generated token itself: one entry.
    expect((await loadConfig({ env: noEnv, cwd: dir, flags: { hecToken: generated.toUpperCase() } })).hec.tokens).toHaveLength(1);
    // A config file that lists its tokens is the whole list.
    const file = await writeConfig(`dataDir: ./data\nhec:\n  tokens:\n    - { name: listed, token: listed-token-0123456789 }\n`);
    expect((await loadConfig({ file, env: noEnv, cwd: dir })).hec.tokens.map((t) => t.name)).toEqual(['listed']);
  });

  it('a corrupted token file is an error, not a silent new token', async () => {
    await mkdir(join(dir, 'data'));
    await writeFile(join(dir, 'data', 'hec-token'), 'two words\n');
    await expect(loadConfig({ env: noEnv, cwd: dir })).rejects.toThrow(/hec-token: not a token/);
  });
});

const FULL = `# a full config
dataDir: ./store
hec:
  host: 0.0.0.0
  port: 9088
  maxBodyBytes: 2MB
  maxInflightBytes: 32MiB
  headersTimeout: 5s
  bodyIdleTimeout: 10
  bodyTimeout: 5m
  tokens:
    - name: tetragon
      token: 6b3c9f0e-1111-2222-3333-444455556666
      defaultIndex: tetragon
      indexes: [tetragon, main]
      defaultSourcetype: cisco:isovalent
      defaultSource: tetragon-export
      defaultHost: node-1
      useAck: true
    - name: old
      token: old-token-0123456789
      disabled: true
      allowQueryStringAuth: true
http:
  port: 8001
  maxBodyBytes: 256KB
  maxLoginBodyBytes: 4KB
  maxPipelinedRequests: 4
  allowedHosts: [Vigil.Example.com, .corp.example]
  bodyIdleTimeout: 15s
  apiTokens:
    - name: console
      token: api-secret-0123456789
indexes:
  main:
    retention: { maxAge: 30d, maxSize: 10GB }
  tetragon:
    retention:
      maxAge: 12h
schedule:
  every: 5m
detections:
  enabled: [a, b]
`;

describe('file', () => {
  it('reads every section; relative paths are relative to the file', async () => {
    const file = await writeConfig(FULL);
    const c = await loadConfig({ file, env: noEnv, cwd: '/' });
    expect(c.file).toBe(file);
    expect(c.dataDir).toBe(join(dir, 'store'));
    expect(c.hec).toMatchObject({ host: '0.0.0.0', port: 9088, maxBodyBytes: 2 * 1024 * 1024, maxInflightBytes: 32 * 1024 * 1024, maxInflightBytesPerClient: 16 * 1024 * 1024 });
    expect(c.hec.tokens).toEqual([
      { name: 'tetragon', token: '6b3c9f0e-1111-2222-3333-444455556666', defaultIndex: 'tetragon', indexes: ['tetragon', 'main'], defaultSourcetype: 'cisco:isovalent', defaultSource: 'tetragon-export', defaultHost: 'node-1', disabled: false, useAck: true },
      { name: 'old', token: 'old-token-0123456789', defaultIndex: 'main', indexes: [], disabled: true, useAck: false, allowQueryStringAuth: true },
    ]);
    expect(c.hec.timeouts).toEqual({ headersMs: 5000, bodyIdleMs: 10_000, bodyMs: 300_000 });
    expect(c.http).toMatchObject({
      host: '127.0.0.1',
      port: 8001,
      apiTokens: [{ name: 'console', token: 'api-secret-0123456789' }],
      maxBodyBytes: 256 * 1024,
      maxLoginBodyBytes: 4 * 1024,
      maxPipelinedRequests: 4,
      allowedHosts: ['vigil.example.com', '.corp.example'],
      timeouts: { headersMs: 10_000, bodyIdleMs: 15_000, bodyMs: 60_000 },
    });
    expect(c.indexes).toEqual({
      main: { retention: { maxAgeSeconds: 30 * 86400, maxBytes: 10 * 1024 ** 3 } },
      tetragon: { retention: { maxAgeSeconds: 12 * 3600 } },
    });
    expect(c.schedule).toEqual({ every: '5m' });
    expect(c.detections).toEqual({ enabled: ['a', 'b'] });
    expect(c.warnings).toEqual([]);
    expect(c.generated).toEqual({});
  });

  it('unknown top-level sections are kept out but reported with file:line', async () => {
    const file = await writeConfig('hec:\n  port: 1\n\nalerts:\n  x: 1\nweb: {}\n');
    const c = await loadConfig({ file, env: noEnv });
    expect(c.warnings).toEqual([`${file}:4: unknown section "alerts" ignored`, `${file}:6: unknown section "web" ignored`]);
  });

  it('a setting refused on a first start leaves no generated token behind (the next start printed none: "HEC token: in .../hec-token")', async () => {
    for (const [i, text] of ['shutdownTimeout: soon\n', 'store: { type: nosuch }\n', 'node: { name: "" }\n'].entries()) {
      const dataDir = join(dir, `refused-${i}`);
      await expect(loadConfig({ file: await writeConfig(text), env: noEnv, flags: { dataDir } })).rejects.toMatchObject({ code: 'CONFIG' });
      expect([existsSync(join(dataDir, HEC_TOKEN_FILE)), existsSync(join(dataDir, 'api-token'))]).toEqual([false, false]);
    }
  });

  it('shutdownTimeout is a duration', async () => {
    const c = await loadConfig({ file: await writeConfig('shutdownTimeout: 3s\n'), env: noEnv, flags: { dataDir: join(dir, 'd') } });
    expect([c.shutdownTimeoutMs, c.warnings]).toEqual([3_000, []]);
  });

  it('node.name names this node (absent: none, the scheduler uses hostname:pid); an empty or unknown key is an error', async () => {
    const c = await loadConfig({ file: await writeConfig('node:\n  name: vigil-1\n'), env: noEnv, flags: { dataDir: join(dir, 'd') } });
    expect(c.node).toEqual({ name: 'vigil-1' });
    expect((await loadConfig({ file: await writeConfig('hec:\n  port: 1\n'), env: noEnv, flags: { dataDir: join(dir, 'd') } })).node).toEqual({});
    const empty = await writeConfig('node:\n  name: " "\n');
    await expect(loadConfig({ file: empty, env: noEnv, flags: { dataDir: join(dir, 'd') } })).rejects.toThrow(`${empty}:2: "node.name" must not be empty`);
    const typo = await writeConfig('node:\n  nmae: x\n');
    await expect(loadConfig({ file: typo, env: noEnv, flags: { dataDir: join(dir, 'd') } })).rejects.toThrow(/unknown setting "node.nmae"/);
  });

  describe('store', () => {
    const load = async (text: string, env: Record<string, string> = {}) => loadConfig({ file: await writeConfig(text), env, flags: { dataDir: join(dir, 'd') } });
    const cluster = [
      'store:',
      '  type: clickhouse',
      '  clickhouse:',
      '    urls: [http://127.0.0.1:18121, "http://127.0.0.1:18123/"]',
      '    cluster: vigil',
      '    password: s3cret-in-file',
      '    insertQuorum: 2',
      '  postgres:',
      '    url: postgresql://vigil:pg-s3cret@127.0.0.1:15432/vigil',
      '',
    ].join('\n');

    it('defaults to the embedded SQLite store', async () => {
      expect((await load('hec: { port: 1 }\n')).store).toEqual({ type: 'sqlite', indexedFields: true });
      const ignored = await load('store:\n  type: sqlite\n  postgres: { url: postgresql://x@h/db }\n');
      expect(ignored.store).toEqual({ type: 'sqlite', indexedFields: true });
      expect(ignored.warnings).toEqual([expect.stringMatching(/:3: "store.postgres" ignored: store.type is sqlite/)]);
      expect((await load('store:\n  indexedFields: false\n')).store).toEqual({ type: 'sqlite', indexedFields: false });
      await expect(load('store:\n  indexedFields: maybe\n')).rejects.toThrow(/"store.indexedFields" must be true or false/);
    });

    it('clickhouse: urls, names, credentials, quorum and the control plane, with defaults', async () => {
      const c = await load(cluster);
      expect(c.store).toEqual({
        type: 'clickhouse',
        clickhouse: {
          urls: ['http://127.0.0.1:18121', 'http://127.0.0.1:18123'],
          cluster: 'vigil',
          database: 'vigil',
          username: 'default',
          password: 's3cret-in-file',
          insertQuorum: 2,
          requestTimeoutMs: DEFAULTS.clickhouseRequestTimeoutMs,
        },
        postgres: { url: 'postgresql://vigil:pg-s3cret@127.0.0.1:15432/vigil' },
      });
      expect(c.warnings).toEqual([]);
    });

    it('VIGIL_CLICKHOUSE_PASSWORD replaces the file\'s password', async () => {
      const c = await load(cluster, { VIGIL_CLICKHOUSE_PASSWORD: 'from-env' });
      expect(c.store.type === 'clickhouse' && c.store.clickhouse.password).toBe('from-env');
    });

    it.each([
      ['store:\n  type: mysql\n', 2, /"store.type" must be sqlite or clickhouse/],
      ['store:\n  type: clickhouse\n  postgres: { url: postgresql://h/db }\n', 2, /"store.clickhouse" is required/],
      ['store:\n  type: clickhouse\n  clickhouse: { cluster: vigil }\n  postgres: { url: postgresql://h/db }\n', 3, /"store.clickhouse.urls" is required/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [tcp://h:9000]\n    cluster: vigil\n  postgres: { url: postgresql://h/db }\n', 4, /must be an http:\/\/ or https:\/\/ url/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://u:pw@h:8123]\n    cluster: vigil\n  postgres: { url: postgresql://h/db }\n', 4, /must not carry credentials/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1, http://h:1/]\n    cluster: vigil\n  postgres: { url: postgresql://h/db }\n', 4, /lists http:\/\/h:1 twice/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1]\n  postgres: { url: postgresql://h/db }\n', 4, /"store.clickhouse.cluster" is required/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1]\n    cluster: vigil\n    database: "v; DROP"\n  postgres: { url: postgresql://h/db }\n', 6, /"store.clickhouse.database" must be letters, digits and _/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1]\n    cluster: vigil\n    insertQuorum: 0\n  postgres: { url: postgresql://h/db }\n', 6, /"store.clickhouse.insertQuorum" must be a whole number of at least 1/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1]\n    cluster: vigil\n    insertQuorun: 2\n  postgres: { url: postgresql://h/db }\n', 6, /unknown setting "store.clickhouse.insertQuorun"/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1]\n    cluster: vigil\n', 2, /"store.postgres" is required/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1]\n    cluster: vigil\n  postgres:\n    url: mysql://root:hunter2@h/db\n', 7, /"store.postgres.url" must be a postgresql:\/\/.*"mysql:\/\/root:\*\*\*@h\/db"/],
      ['store:\n  type: clickhouse\n  clickhouse:\n    urls: [http://h:1]\n    cluster: vigil\n  postgres:\n    url: postgresql://h/db\n    schema: Vigil\n', 8, /"store.postgres.schema" must be a lower-case identifier/],
    ])('refuses %j at line %i', async (text, line, message) => {
      const file = await writeConfig(text);
      const err = await loadConfig({ file, env: noEnv, flags: { dataDir: join(dir, 'd') } }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(message);
      expect(err?.message.startsWith(`${file}:${line}: `)).toBe(true);
      expect(err?.message).not.toContain('hunter2');
    });
  });

  it('an empty file means defaults', async () => {
    const file = await writeConfig('# nothing yet\n');
    const c = await loadConfig({ file, env: noEnv });
    expect(c.hec.port).toBe(8088);
    expect(c.dataDir).toBe(join(dir, 'data'));
  });

  it('the shipped example loads cleanly (but for warnings about the tokens it publishes: test/config/example.test.ts)', async () => {
    const example = fileURLToPath(new URL('../../src/config/vigil.example.yml', import.meta.url));
    const c = await loadConfig({ file: example, env: noEnv, flags: { dataDir: join(dir, 'd') } });
    expect(c.warnings.filter((x) => !x.includes('published in vigil.example.yml'))).toEqual([]);
    expect(c.hec.tokens.length).toBeGreaterThan(0);
    expect(Object.keys(c.indexes)).toContain('main');
  });

  it('VIGIL_CONFIG names the file; --config wins over it', async () => {
    const a = await writeConfig('hec: { port: 1111 }', 'a.yml');
    const b = await writeConfig('hec: { port: 2222 }', 'b.yml');
    expect((await loadConfig({ env: { VIGIL_CONFIG: a } })).hec.port).toBe(1111);
    expect((await loadConfig({ env: { VIGIL_CONFIG: a }, flags: { config: b } })).hec.port).toBe(2222);
  });
});

describe('precedence: flags > env > file', () => {
  it('ports and data dir', async () => {
    const file = await writeConfig('dataDir: /from/file\nhec: { port: 1000 }\nhttp: { port: 2000, apiTokens: [{ token: api-token-0123456789 }] }\n');
    const base = { file, cwd: dir };
    const fileOnly = await loadConfig({ ...base, env: noEnv, flags: { hecToken: 'x-token-0123456789' } });
    expect([fileOnly.dataDir, fileOnly.hec.port, fileOnly.http.port]).toEqual(['/from/file', 1000, 2000]);

    const env = { VIGIL_DATA_DIR: 'env-data', VIGIL_HEC_PORT: '3000', VIGIL_HTTP_PORT: '4000', VIGIL_HEC_TOKEN: 'env-token-0123456789' };
    const withEnv = await loadConfig({ ...base, env });
    expect([withEnv.dataDir, withEnv.hec.port, withEnv.http.port]).toEqual([join(dir, 'env-data'), 3000, 4000]);

    const withFlags = await loadConfig({ ...base, env, flags: { dataDir: '/flag/data', hecPort: '5000', port: 6000, hecToken: 'flag-token-0123456789' } });
    expect([withFlags.dataDir, withFlags.hec.port, withFlags.http.port]).toEqual(['/flag/data', 5000, 6000]);
  });

  it('a token from env or flag may write to every index; a flag token replaces the env token', async () => {
    const file = await writeConfig('hec:\n  tokens:\n    - { name: limited, token: file-token-0123456789, indexes: [a] , defaultIndex: a }\n');
    const env = { VIGIL_HEC_TOKEN: 'env-token-0123456789' };
    const c1 = await loadConfig({ file, env });
    expect(c1.hec.tokens.map((t) => [t.name, t.token, t.indexes, t.defaultIndex])).toEqual([
      ['limited', 'file-token-0123456789', ['a'], 'a'],
      ['env', 'env-token-0123456789', [], 'main'],
    ]);
    const c2 = await loadConfig({ file, env, flags: { hecToken: 'flag-token-0123456789' } });
    expect(c2.hec.tokens.map((t) => t.token)).toEqual(['file-token-0123456789', 'flag-token-0123456789']);
    // The same value as a file token: the flag's permissions (every index) apply, under the file's name.
    const c3 = await loadConfig({ file, env: noEnv, flags: { hecToken: 'file-token-0123456789' } });
    expect(c3.hec.tokens).toEqual([{ name: 'limited', token: 'file-token-0123456789', defaultIndex: 'main', indexes: [], disabled: false, useAck: false }]);
  });

  it('bad env and flag values are reported by name', async () => {
    await expect(loadConfig({ env: { VIGIL_HEC_PORT: 'eighty' }, cwd: dir })).rejects.toThrow('VIGIL_HEC_PORT must be a port number (0-65535), got "eighty"');
    await expect(loadConfig({ env: noEnv, cwd: dir, flags: { port: 70000 } })).rejects.toThrow('--port must be a port number');
    await expect(loadConfig({ env: noEnv, cwd: dir, flags: { hecToken: 'has space' } })).rejects.toThrow('--hec-token must be printable ASCII without spaces');
  });

  it('the HEC and the API on one port is a CONFIG error naming both settings (it was EADDRINUSE at start, blamed on "another vigil serve?")', async () => {
    const err = await loadConfig({ env: noEnv, cwd: dir, flags: { hecPort: 48091, port: '48091' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFIG', message: 'the HEC and the API/console are both on port 48091: give them different ports (--hec-port or hec.port, --port or http.port)' });
    // Refused before any token is generated: a start refused here prints none, so it leaves none behind.
    const fresh = join(dir, 'one-port');
    await expect(loadConfig({ env: { VIGIL_HTTP_PORT: '8088' }, cwd: dir, flags: { dataDir: fresh } })).rejects.toThrow('both on port 8088');
    expect(existsSync(join(fresh, HEC_TOKEN_FILE))).toBe(false);
    // Port 0 (any free port) twice, or one port on two different addresses, is fine.
    expect((await loadConfig({ env: noEnv, cwd: dir, flags: { hecPort: 0, port: 0 } })).http.port).toBe(0);
    const file = await writeConfig('hec: { host: 127.0.0.2, port: 9000 }\nhttp: { host: 127.0.0.3, port: 9000 }\n');
    expect((await loadConfig({ file, env: noEnv, flags: { dataDir: join(dir, 'd') } })).hec.port).toBe(9000);
  });
});

describe('errors carry file:line', () => {
  const cases: [string, string, RegExp][] = [
    ['invalid YAML', 'hec:\n  port: [1\nhttp: {}\n', /:\d+: invalid YAML: /],
    ['duplicate key', 'hec:\n  port: 1\n  port: 2\n', /:3: invalid YAML: Map keys must be unique/],
    ['not a mapping', '- a\n- b\n', /:1: the config file must be a mapping/],
    ['bad port', 'hec:\n  host: x\n  port: 99999\n', /:3: "hec.port" must be a port number \(0-65535\), got 99999/],
    ['port as text', 'http:\n  port: eighty\n', /:2: "http.port" must be a port number/],
    ['unknown key, with a hint', 'hec:\n  tokens:\n    - token: tok-0123456789abcdef\n      useACK: true\n', /:4: unknown setting "hec.tokens.0.useACK" \(did you mean "useAck"\?\)/],
    ['unknown key, a typo', 'hec:\n  prot: 8089\n', /:2: unknown setting "hec.prot" \(did you mean "port"\?\)/],
    ['unknown key', 'hec:\n  colour: red\n', /:2: unknown setting "hec.colour" \(known: host, port, tls/],
    ['missing token', 'hec:\n  tokens:\n    - name: a\n', /:3: "hec.tokens.0.token" is required/],
    ['tokens not a list', 'hec:\n  tokens: abc\n', /:2: "hec.tokens" must be a list/],
    ['duplicate token', 'hec:\n  tokens:\n    - token: tok-0123456789abcdef\n    - token: tok-0123456789abcdef\n', /:4: token "token2" repeats another token's value/],
    ['duplicate name', 'hec:\n  tokens:\n    - { name: a, token: tok-0123456789abcde1 }\n    - { name: a, token: tok-0123456789abcde2 }\n', /:4: two HEC tokens are named "a"/],
    ['bad index name', 'hec:\n  tokens:\n    - token: tok-0123456789abcdef\n      indexes: [Main]\n', /:4: index name "Main" is invalid/],
    ['default index outside indexes', 'hec:\n  tokens:\n    - token: tok-0123456789abcdef\n      indexes: [a]\n      defaultIndex: b\n', /:5: default index "b" of token "token1" is not in its indexes \(a\)/],
    ['bool as text', 'hec:\n  tokens:\n    - token: tok-0123456789abcdef\n      useAck: "yes"\n', /:4: "hec.tokens.0.useAck" must be true or false/],
    ['bad size', 'hec:\n  maxBodyBytes: lots\n', /:2: "hec.maxBodyBytes" must be a size like 16MB/],
    ['zero timeout', 'hec:\n  port: 1\n  bodyIdleTimeout: 0\n', /:3: "hec.bodyIdleTimeout" must be a duration like 30s or 2m, or a number of seconds above 0, got 0/],
    ['bad timeout', 'http:\n  headersTimeout: soon\n', /:2: "http.headersTimeout" must be a duration/],
    ['bad API body size', 'http:\n  maxLoginBodyBytes: big\n', /:2: "http.maxLoginBodyBytes" must be a size like 16MB/],
    ['no pipelining at all', 'http:\n  maxPipelinedRequests: 0\n', /:2: "http.maxPipelinedRequests" must be a whole number of at least 1, got 0/],
    ['header limit too small', 'http:\n  maxHeaderBytes: 100\n', /:2: "http.maxHeaderBytes" must be from 1KB to 1MB, got 100 bytes/],
    ['header limit too large', 'hec:\n  maxHeaderBytes: 2MB\n', /:2: "hec.maxHeaderBytes" must be from 1KB to 1MB, got 2097152 bytes/],
    ['allowed hosts not a list', 'http:\n  allowedHosts: vigil.example.com\n', /:2: "http.allowedHosts" must be a list of host names/],
    ['allowed host with a port', 'http:\n  allowedHosts:\n    - vigil.example.com:8000\n', /:3: "http.allowedHosts.0" must be a host name without a port/],
    ['inflight below body', 'hec:\n  maxBodyBytes: 2MB\n  maxInflightBytes: 1MB\n', /:3: "hec.maxInflightBytes" \(1048576\) must be at least "hec.maxBodyBytes"/],
    ['api inflight below body', 'http:\n  maxBodyBytes: 2MB\n  maxInflightBytes: 1MB\n', /:3: "http.maxInflightBytes" \(1048576\) must be at least "http.maxBodyBytes" \(2097152\)/],
    ['client share below body', 'hec:\n  maxBodyBytes: 2MB\n  maxInflightBytesPerClient: 1MB\n', /:3: "hec.maxInflightBytesPerClient" \(1048576\) must be at least "hec.maxBodyBytes" \(2097152\) and at most/],
    ['client share above budget', 'hec:\n  maxInflightBytes: 32MB\n  maxInflightBytesPerClient: 64MB\n', /:3: "hec.maxInflightBytesPerClient" \(67108864\) must be at least .* and at most "hec.maxInflightBytes" \(33554432\)/],
    ['bad retention', 'indexes:\n  main:\n    retention:\n      maxAge: forever\n', /:4: maxAge must be a duration like 30d/],
    ['bad index key', 'indexes:\n  _internal: {}\n', /:2: index name "_internal" is invalid/],
    ['tls without key', 'hec:\n  tls:\n    cert: c.pem\n', /:3: "hec.tls.key" is required/],
    ['tls file missing', 'http:\n  tls:\n    cert: missing.pem\n    key: missing.key\n', /:3: certificate .*missing\.pem is not readable: ENOENT/],
    ['section not a mapping', 'http: 5\n', /:1: "http" must be a mapping, got 5/],
    ['bad shutdown timeout', 'dataDir: ./d\nshutdownTimeout: 0\n', /:2: "shutdownTimeout" must be a duration like 30s or 2m, or a number of seconds above 0, got 0/],
  ];
  it.each(cases)('%s', async (_name, text, message) => {
    const file = await writeConfig(text);
    const err = await loadConfig({ file, env: noEnv, flags: { dataDir: join(dir, 'd') } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'VigilError', code: 'CONFIG' });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.startsWith(`${file}:`)).toBe(true);
  });

  it('a missing file, a directory, and a data dir that is a file, in words (they said ENOENT, EISDIR and EEXIST: ..., mkdir ...)', async () => {
    await expect(loadConfig({ file: join(dir, 'nope.yml'), env: noEnv })).rejects.toThrow(`cannot read config file ${join(dir, 'nope.yml')}: no such file or directory`);
    await expect(loadConfig({ file: dir, env: noEnv })).rejects.toThrow(`cannot read config file ${dir}: is a directory`);
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    await expect(loadConfig({ env: noEnv, flags: { dataDir: file } })).rejects.toThrow(
      `cannot create data dir ${file}: a file of that name exists and is not a directory`,
    );
  });
});

describe('units', () => {
  it('sizes are binary; durations take s/m/h/d/w/y', () => {
    expect(parseSize('10GB')).toBe(10 * 1024 ** 3);
    expect(parseSize('1.5 KiB')).toBe(1536);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('12')).toBe(12);
    expect(parseSize('1 PB')).toBeNull();
    expect(parseSize('-1MB')).toBeNull();
    expect(parseDuration('30d')).toBe(2_592_000);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('2w')).toBe(1_209_600);
    expect(parseDuration(3600)).toBe(3600);
    expect(parseDuration('soon')).toBeNull();
  });
});
