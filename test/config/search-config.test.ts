import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from '../../src/config/config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-search-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string) {
  const file = join(dir, 'vigil.yml');
  await writeFile(file, text);
  return loadConfig({ file, env: {}, flags: { dataDir: join(dir, 'd') } });
}

describe('the search: section (limits of every search vigil serve runs)', () => {
  it('has explicit defaults', async () => {
    expect((await load('dataDir: ./d\n')).search).toEqual({
      maxTimeSeconds: 300,
      maxMemoryBytes: 1024 ** 3,
      maxResults: 500_000,
      maxResultBytes: 100 * 1024 ** 2,
      maxConcurrent: 4,
      maxQueued: 32,
      maxMacroExpansions: 10_000,
      maxMacroChars: 1_000_000,
      maxBufferedBytes: 1024 ** 2,
      outputLookup: false,
      maxLookupRows: 1_000_000,
      maxLookupBytes: 100 * 1024 ** 2,
      maxLookupFiles: 1000,
      lookupLockWaitMs: 10_000,
    });
    expect(DEFAULTS.search.maxTimeSeconds).toBe(300);
  });

  it('reads durations, sizes and counts', async () => {
    const c = await load('search:\n  maxTime: 90s\n  maxMemory: 256MB\n  maxResults: 1000\n  maxResultBytes: 1MB\n  maxConcurrent: 2\n  maxQueued: 0\n  maxMacroExpansions: 50\n  maxMacroChars: 5000\n  maxBufferedBytes: 256KB\n  outputLookup: true\n  maxLookupRows: 10\n  maxLookupBytes: 1KB\n  maxLookupFiles: 5\n  lookupLockWait: 0\n');
    expect(c.search).toEqual({ maxTimeSeconds: 90, maxMemoryBytes: 256 * 1024 ** 2, maxResults: 1000, maxResultBytes: 1024 ** 2, maxConcurrent: 2, maxQueued: 0, maxMacroExpansions: 50, maxMacroChars: 5000, maxBufferedBytes: 256 * 1024, outputLookup: true, maxLookupRows: 10, maxLookupBytes: 1024, maxLookupFiles: 5, lookupLockWaitMs: 0 });
    expect(c.warnings).toEqual([]);
  });

  it.each([
    ['search:\n  maxTime: never\n', /vigil\.yml:2: "search.maxTime" must be a duration like 5m/],
    ['search:\n  maxMemory: 16MB\n', /vigil\.yml:2: "search.maxMemory" must be at least 64MB/],
    ['search:\n  maxResults: 0\n', /vigil\.yml:2: "search.maxResults" must be a whole number of at least 1, got 0/],
    ['search:\n  maxResultBytes: huge\n', /vigil\.yml:2: "search.maxResultBytes" must be a size like 16MB/],
    ['search:\n  maxTime: 1m\n  maxConcurrent: 1.5\n', /vigil\.yml:3: "search.maxConcurrent" must be a whole number of at least 1, got 1.5/],
    ['search:\n  maxMacroExpansions: 0\n', /vigil\.yml:2: "search.maxMacroExpansions" must be a whole number of at least 1, got 0/],
    ['search:\n  maxMacroChars: 1MB\n', /vigil\.yml:2: "search.maxMacroChars" must be a whole number of at least 1, got "1MB"/],
    ['search:\n  maxLookupFiles: 0\n', /vigil\.yml:2: "search.maxLookupFiles" must be a whole number of at least 1, got 0/],
    ['search:\n  lookupLockWait: 2h\n', /vigil\.yml:2: "search.lookupLockWait" must be a duration like 10s, from 0 to 3600 seconds, got "2h"/],
    ['search:\n  maxQueued: -1\n', /vigil\.yml:2: "search.maxQueued" must be a whole number of at least 0/],
    ['search:\n  maxtime: 1m\n', /vigil\.yml:2: unknown setting "search.maxtime" \(did you mean "maxTime"\?\)/],
  ])('%j is an error at its line', async (text, message) => {
    await expect(load(text)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(message) });
  });
});
