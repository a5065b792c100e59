import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { InProcessExecutor, WorkerExecutor } from '../../src/schedule/executor.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { scheduleSettings } from '../../src/schedule/settings.js';
import { startDelaySeconds } from '../../src/schedule/window.js';
import { datasetEvents, FakeClock, MemoryStore } from './fakes.js';

// savedsearches.conf.spec, dispatch.max_count: "The maximum number of results before finalizing the search.
// Default: 500000". A finalized search keeps the results it has and its alert actions run on them; vigil's
// search.maxResults plays that part for scheduled runs (it failed the run, and wrote no risk event at all).

const pack = loadContent();
const SEED = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const H = 3600;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the dataset's events are at 10:00-10:11 UTC; the 11:00 run has 4 results

function setup(maxResults: number, maxResultBytes = Infinity) {
  const store = new MemoryStore();
  store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
  const clock = new FakeClock(T0 + 0.5 * H);
  const log: string[] = [];
  const scheduler = new Scheduler({
    content: () => pack,
    state: store,
    defaultIndexes: () => ['main'],
    executor: new InProcessExecutor(store, () => pack, { maxResults, maxResultBytes }),
    clock,
    settings: { ...scheduleSettings(undefined, undefined), enable: [SEED.name] },
    alerts: null,
    log: (_level, message) => void log.push(message),
  });
  return { store, clock, scheduler, log };
}

describe('a scheduled run past search.maxResults (dispatch.max_count)', () => {
  it('is finalized: its first results make risk events, the run succeeds and says it was finalized', async () => {
    const { store, clock, scheduler, log } = setup(2);
    await scheduler.runDue();
    clock.t = T0 + H + startDelaySeconds(SEED.id, 'auto', H);
    const [run] = await scheduler.runDue();
    expect(run).toMatchObject({ status: 'success', resultCount: 2, riskEventCount: 2 });
    expect(run!.error).toBe('finalized after 2 results: the search returned more than 2 results (search.maxResults); later results were not read');
    expect(store.events.filter((e) => e.index === 'risk')).toHaveLength(2);
    expect(log.some((m) => m.includes(run!.error!))).toBe(true);
  });

  it('is finalized at search.maxResultBytes too (Splunk has no byte limit: a run of big rows must not fail with nothing)', async () => {
    const { clock, scheduler } = setup(Infinity, 1);
    await scheduler.runDue();
    clock.t = T0 + H + startDelaySeconds(SEED.id, 'auto', H);
    const [run] = await scheduler.runDue();
    expect(run).toMatchObject({ status: 'success', resultCount: 0, riskEventCount: 0 });
    expect(run!.error).toBe('finalized after 0 results: the search returned more than 1 bytes of results (search.maxResultBytes); later results were not read');
  });

  it('is not marked when its results stay under the limit', async () => {
    const { clock, scheduler } = setup(5);
    await scheduler.runDue();
    clock.t = T0 + H + startDelaySeconds(SEED.id, 'auto', H);
    const [run] = await scheduler.runDue();
    expect(run).toMatchObject({ status: 'success', resultCount: 4, riskEventCount: 4, error: null });
  });

  it('a backfill finalizes the same run the same way (backfill = live)', async () => {
    const live = setup(2);
    await live.scheduler.runDue();
    live.clock.t = T0 + 2 * H;
    await live.scheduler.runDue();
    const back = setup(2);
    back.clock.t = T0 + 2 * H;
    await back.scheduler.backfill(back.scheduler.planBackfill(T0, T0 + 2 * H), { actions: false });
    const risk = (s: MemoryStore) => s.events.filter((e) => e.index === 'risk').map((e) => e._raw).sort();
    expect(risk(back.store)).toEqual(risk(live.store));
    expect(risk(back.store)).toHaveLength(2);
  });
});

describe('finalize on a search thread (vigil serve)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-max-count-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the first maxResults rows and says it was finalized; without finalize the limit is SPL_LIMIT_RESULTS', async () => {
    await (await openStore(dir)).close();
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] }, { maxResults: 3 });
    const req = { name: 'flood', search: '| makeresults count=10 | streamstats count as n', now: 1_800_000_100, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' as const };
    try {
      const out = await exec.execute(req, 30_000, { finalize: true });
      expect(out.rows.map((r) => r.get('n'))).toEqual([1, 2, 3]);
      expect(out.finalized).toBe('finalized after 3 results: the search returned more than 3 results (search.maxResults); later results were not read');
      await expect(exec.execute(req, 30_000)).rejects.toMatchObject({ code: 'SPL_LIMIT_RESULTS' });
    } finally {
      await exec.close();
    }
  }, 60_000);
});
