import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { checkRuns, makeRun } from './fixtures/runs.js';
import { cleanupDirs, collect, event, plain, tempDir } from './helpers.js';
import { failure, reason, stateContract } from './state-contract.js';

afterAll(cleanupDirs);

const T = 1_700_000_000;
const HOUR = 3600;

async function fresh(options: Parameters<typeof openStore>[1] = {}): Promise<SqliteStore> {
  return openStore(tempDir(), options);
}

stateContract({
  name: 'SQLite',
  fresh: () => fresh(),
  events: async (s) => plain(await collect(s as SqliteStore, { metadata: [{ field: 'index', patterns: ['risk', 'notable', 'main'] }] })),
});

describe('commitRun', () => {
  it('counts a run\'s events in the store\'s stats and index sizes', async () => {
    const s = await fresh();
    await s.commitRun(makeRun('d1', T, { risk: 4, notable: 2, findings: 2, outbox: 2, suppressions: 2 }));
    expect((await s.indexes()).find((i) => i.name === 'risk')?.events).toBe(4);
    expect((await s.indexes()).find((i) => i.name === 'notable')?.events).toBe(2);
    expect(s.stats()).toMatchObject({ pendingBatches: 0, committedBatches: 1, committedEvents: 6 });
    await s.close();
  });

  it('interleaves with concurrent appends: group commits, everything stored once, a duplicate in the same burst rejected', async () => {
    const s = await fresh();
    const appends: Promise<unknown>[] = [];
    const runs: Promise<unknown>[] = [];
    for (let i = 0; i < 200; i++) {
      appends.push(s.append([event({ _time: T + i, _raw: `a${i}-0` }), event({ _time: T + i, _raw: `a${i}-1` })]));
      if (i % 4 === 0) runs.push(s.commitRun(makeRun(`d${i % 3}`, T + i * HOUR, { risk: 1 + (i % 7), findings: i % 2, outbox: i % 3 })));
    }
    const dup = s.commitRun(makeRun('d0', T)); // the run of i = 0, queued in the same burst
    await Promise.all(appends);
    await Promise.all(runs);
    expect(reason(await failure(dup))).toBe('STORE_CONFLICT');
    const st = s.stats();
    expect(st.committedBatches).toBe(250);
    expect(st.commits).toBeLessThan(250); // grouped
    expect(st.pendingBatches).toBe(0);
    expect((await collect(s, { metadata: [{ field: 'index', patterns: ['main'] }] })).length).toBe(400);
    expect(await s.runs()).toHaveLength(50);
    expect(await checkRuns(s)).toEqual([]);
    await s.close();
  });

  it('stores nothing of a run that fails with STORE_FULL, and keeps working', async () => {
    const s = await fresh({ maxPageCount: 200 });
    await s.commitRun(makeRun('d', T));
    const big = makeRun('d', T + HOUR, { risk: 2500, pad: 1400, findings: 2, outbox: 2 });
    const small = s.append([event({ _time: T, _raw: 'small append in the same group' })]);
    const err = await failure(s.commitRun(big));
    expect(reason(err)).toBe('STORE_FULL');
    await small; // retried alone after the group failed
    expect(await s.hasRun('d', T + HOUR)).toBe(false);
    expect(await s.runs()).toHaveLength(1);
    expect(await checkRuns(s)).toEqual([]);
    expect((await s.indexes()).find((i) => i.name === 'risk')?.events).toBe(3);
    await s.commitRun(makeRun('d', T + HOUR)); // the same run, smaller: fits
    expect(await checkRuns(s)).toEqual([]);
    expect(await s.runs()).toHaveLength(2);
    await s.close();
  });

  it('is refused with STORE_BUSY when the writer falls behind; state updates still pass', async () => {
    const s = await fresh({ writerDelayMs: 150, maxPendingEvents: 10 });
    await s.commitRun(makeRun('d0', T, { findings: 1 }));
    const first = s.append(Array.from({ length: 8 }, (_, i) => event({ _time: T + i })));
    const err = await failure(s.commitRun(makeRun('d1', T, { risk: 5 })));
    expect(reason(err)).toBe('STORE_BUSY');
    // Small state updates are never refused as busy (an outbox acknowledgement must not be lost to load).
    const cursor = s.setCursor('d1', T);
    await Promise.all([first, cursor]);
    expect(await s.cursor('d1')).toBe(T);
    expect(await s.hasRun('d1', T)).toBe(false);
    await s.commitRun(makeRun('d1', T, { risk: 5 })); // the scheduler's retry
    expect(await s.hasRun('d1', T)).toBe(true);
    expect(s.stats().rejectedBusy).toBe(1);
    await s.close();
  });
});

describe('runs and cursors', () => {
  it('keeps cursors durably', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    await s.setCursor('a', T);
    await s.setCursor('b', T + 1.5);
    await s.setCursor('a', T - HOUR);
    await s.close();
    const again = await openStore(dir, { readonly: true });
    expect([await again.cursor('a'), await again.cursor('b'), await again.cursor('c')]).toEqual([T - HOUR, T + 1.5, null]);
    await again.close();
  });
});

describe('read-only and closed stores', () => {
  it('reads state read-only and refuses every write with STORE_IO', async () => {
    const dir = tempDir();
    const w = await openStore(dir);
    const c = makeRun('d', T);
    await w.commitRun(c);
    await w.setCursor('d', T);
    const r = await openStore(dir, { readonly: true });
    expect(await r.lastRun('d')).toEqual(c.run);
    expect(await r.cursor('d')).toBe(T);
    expect(await r.findings()).toHaveLength(1);
    const fid = c.findings[0]!.id;
    const writes: Promise<unknown>[] = [
      r.commitRun(makeRun('d', T + HOUR)),
      r.setCursor('d', T + HOUR),
      r.updateFinding(fid, { status: 'closed' }, 'x', T),
      r.addComment({ findingId: fid, time: T, author: 'x', text: 'y' }),
      r.outboxDelivered(c.outbox[0]!.id),
      r.outboxFailed(c.outbox[0]!.id, 'e', T),
    ];
    for (const p of writes) {
      const err = await failure(p);
      expect(reason(err)).toBe('STORE_IO');
      expect(err.message).toMatch(/read-only/);
    }
    // Commits by the writer are visible to the read-only store at once.
    await w.commitRun(makeRun('d', T + HOUR));
    expect((await r.lastRun('d'))?.scheduledTime).toBe(T + HOUR);
    await w.close();
    await r.close();
    expect(reason(await failure(w.commitRun(makeRun('d', T + 2 * HOUR))))).toBe('STORE_CLOSED');
    expect(reason(await failure(w.setCursor('d', T)))).toBe('STORE_CLOSED');
    await expect(w.hasRun('d', T)).rejects.toThrow(/closed/);
  });
});
