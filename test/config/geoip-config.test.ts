import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-geoip-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('geoipDb: the MaxMind DB iplocation reads', () => {
  it('is absent by default; a relative path in the file is relative to the file; env, then --geoip-db, override it', async () => {
    const noEnv = {};
    expect((await loadConfig({ env: noEnv, cwd: dir, generateTokens: false })).geoipDb).toBeUndefined();
    const file = join(dir, 'vigil.yml');
    await writeFile(file, 'geoipDb: geo/GeoLite2-City.mmdb\n');
    expect((await loadConfig({ file, env: noEnv, generateTokens: false })).geoipDb).toBe(join(dir, 'geo', 'GeoLite2-City.mmdb'));
    const env = { VIGIL_GEOIP_DB: 'env.mmdb' };
    expect((await loadConfig({ file, env, cwd: '/work', generateTokens: false })).geoipDb).toBe('/work/env.mmdb');
    expect((await loadConfig({ file, env, cwd: '/work', flags: { geoipDb: '/flag/city.mmdb' }, generateTokens: false })).geoipDb).toBe('/flag/city.mmdb');
    // Empty env counts as unset, as for the other variables.
    expect((await loadConfig({ file, env: { VIGIL_GEOIP_DB: '' }, generateTokens: false })).geoipDb).toBe(join(dir, 'geo', 'GeoLite2-City.mmdb'));
  });

  it('an empty or non-text geoipDb is a CONFIG error at its line', async () => {
    const file = join(dir, 'vigil.yml');
    await writeFile(file, 'dataDir: ./data\ngeoipDb: ""\n');
    await expect(loadConfig({ file, env: {}, generateTokens: false })).rejects.toMatchObject({ code: 'CONFIG', message: `${file}:2: "geoipDb" must not be empty` });
    await writeFile(file, 'geoipDb: [a]\n');
    await expect(loadConfig({ file, env: {}, generateTokens: false })).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/:1: "geoipDb" must be a string/) });
  });
});
