import { hostname } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import type { Event } from '../../../src/events/event.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { openStore } from '../../../src/store/sqlite-store.js';
import { at, NOW } from './helpers.js';

const ev = (t: number, index: string, raw: string): Event => ({ _time: t, index, sourcetype: 'tetragon', source: 's', host: 'h', _raw: raw });
// By hand: main has 3 events of 2 + 4 + 4 bytes ("abé": "é" is 2 bytes in UTF-8), risk 1 of 5, notable 2 of 1 + 1.
const EVENTS = [ev(NOW - 5, 'main', 'ab'), ev(NOW - 4, 'risk', 'vwxyz'), ev(NOW - 3, 'main', 'abé'), ev(NOW - 2, 'notable', 'n'), ev(NOW - 1, 'main', 'abcd'), ev(NOW, 'notable', 'm')];
const run = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource([...EVENTS]) })).results.map(toObject);

describe('eventcount', () => {
  it('counts the default index, summarized', async () => {
    // SPL reference, eventcount: "Returns the number of events in the specified indexes."; index "Default: If no
    // index is specified, the command returns information about the default index."; summarize "Default: true".
    expect(await run('| eventcount')).toEqual([{ count: 3 }]);
    expect(await run('| eventcount index=*')).toEqual([{ count: 6 }]);
  });

  it('summarize=false gives a row per index and server; report_size=true the bytes', async () => {
    // summarize: "If summarize=false, the command splits the event counts by index and search peer."
    // report_size: "If report_size=true, the command returns the index size in bytes."
    const server = hostname();
    expect(await run('| eventcount summarize=false index=* report_size=true')).toEqual([
      { count: 3, index: 'main', server, size_bytes: 10 },
      { count: 2, index: 'notable', server, size_bytes: 2 },
      { count: 1, index: 'risk', server, size_bytes: 5 },
    ]);
    // "You can specify this argument multiple times, for example index=* index=_*."
    expect(await run('| eventcount summarize=false index=risk index=not*')).toEqual([
      { count: 2, index: 'notable', server },
      { count: 1, index: 'risk', server },
    ]);
    expect(await run('| eventcount index=none list_vix=false')).toEqual([{ count: 0 }]);
  });

  it('refuses bad options at their place', async () => {
    for (const [spl, bad] of [
      ['| eventcount summarize=maybe', 'maybe'],
      ['| eventcount foo', 'foo'],
    ] as const) {
      const e = await runSearch(spl, { now: NOW, source: new MemorySource([]) }).then(() => null, (x: unknown) => x as { code: string; format(): string });
      expect(e, spl).not.toBeNull();
      expect(e!.format(), spl).toContain(at(spl, bad));
    }
  });

  it('counts the store as it counts events given directly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-eventcount-'));
    const w = await openStore(dir, { bucketSeconds: 600 });
    await w.append(EVENTS);
    await w.close();
    const store = await openStore(dir, { readonly: true });
    try {
      const { results } = await runSearch('| eventcount summarize=false index=* report_size=true', { now: NOW, source: store });
      expect(results.map(toObject)).toEqual(await run('| eventcount summarize=false index=* report_size=true'));
    } finally {
      await store.close();
    }
  });
});
