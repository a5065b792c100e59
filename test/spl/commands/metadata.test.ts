import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import type { Event } from '../../../src/events/event.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { MAX_METADATA_VALUES } from '../../../src/spl/commands/metadata.js';
import { runSearch } from '../../../src/spl/index.js';
import { openStore } from '../../../src/store/sqlite-store.js';
import { at, NOW } from './helpers.js';

const ev = (t: number, host: string, sourcetype: string, index = 'main', source = 'tetragon.jsonl'): Event => ({ _time: t, index, sourcetype, source, host, _raw: `{"t":${t}}` });
const EVENTS = [ev(NOW - 50.5, 'web-1', 'tetragon'), ev(NOW - 40, 'db-1', 'tetragon'), ev(NOW - 30, 'web-1', 'tetragon'), ev(NOW - 20, 'web-1', 'vigil:risk', 'risk'), ev(NOW - 10, 'web-1', 'other')];

const run = async (spl: string, events: readonly Event[] = EVENTS) => (await runSearch(spl, { now: NOW, source: new MemorySource([...events]) })).results.map(toObject);

describe('metadata', () => {
  it('gives a row per host of the default index with first/last/recent time, count and type', async () => {
    // SPL reference, metadata: "returns a list of sources, sourcetypes, or hosts from a specified index"; the
    // Lantern example reads `recentTime`, `totalCount`, `firstTime` ("First Event") and `lastTime` ("Last Event").
    // index "Default: the default index" (main). By hand: web-1 has main events at -50.5, -30, -10; db-1 at -40.
    expect(await run('| metadata type=hosts')).toEqual([
      { host: 'db-1', firstTime: NOW - 40, lastTime: NOW - 40, recentTime: NOW - 40, totalCount: 1, type: 'hosts' },
      { host: 'web-1', firstTime: NOW - 51, lastTime: NOW - 10, recentTime: NOW - 10, totalCount: 3, type: 'hosts' },
    ]);
  });

  it('takes several index= options and wildcards; sourcetypes and sources', async () => {
    expect((await run('| metadata type=sourcetypes index=main index=risk')).map((r) => [r['sourcetype'], r['totalCount']])).toEqual([
      ['other', 1],
      ['tetragon', 3],
      ['vigil:risk', 1],
    ]);
    expect((await run('| metadata type=sources index=*')).map((r) => [r['source'], r['totalCount']])).toEqual([['tetragon.jsonl', 5]]);
    expect(await run('| metadata type=hosts index=nothing')).toEqual([]);
  });

  it('counts only the search time range', async () => {
    const { results } = await runSearch('| metadata type=hosts', { now: NOW, earliest: NOW - 35, source: new MemorySource([...EVENTS]) });
    expect(results.map(toObject)).toEqual([{ host: 'web-1', firstTime: NOW - 30, lastTime: NOW - 10, recentTime: NOW - 10, totalCount: 2, type: 'hosts' }]);
  });

  it(`keeps at most ${MAX_METADATA_VALUES} values, with a warning`, async () => {
    const many = Array.from({ length: MAX_METADATA_VALUES + 5 }, (_, i) => ev(NOW - 1, `h${i}`, 'x'));
    const warnings: string[] = [];
    const { results } = await runSearch('| metadata type=hosts | stats count', { now: NOW, source: new MemorySource(many), onWarning: (m) => void warnings.push(m) });
    expect(results.map(toObject)).toEqual([{ count: MAX_METADATA_VALUES }]);
    expect(warnings).toEqual([`metadata counts at most ${MAX_METADATA_VALUES} hosts; events of further hosts were not counted`]);
  });

  it('refuses a missing or unknown type at its place', async () => {
    for (const [spl, bad] of [
      ['| metadata', null],
      ['| metadata type=indexes', 'indexes'],
      ['| metadata type=hosts foo', 'foo'],
    ] as const) {
      const e = await runSearch(spl, { now: NOW, source: new MemorySource([]) }).then(() => null, (x: unknown) => x as { code: string; format(): string });
      expect(e, spl).not.toBeNull();
      if (bad) expect(e!.format(), spl).toContain(at(spl, bad));
    }
  });

  it('reads the store as it reads events given directly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-metadata-'));
    const w = await openStore(dir, { bucketSeconds: 600 });
    await w.append(EVENTS);
    await w.close();
    const store = await openStore(dir, { readonly: true });
    try {
      const { results } = await runSearch('| metadata type=hosts', { now: NOW, source: store });
      expect(results.map(toObject)).toEqual(await run('| metadata type=hosts'));
    } finally {
      await store.close();
    }
  });
});
