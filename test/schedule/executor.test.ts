import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { InProcessExecutor, RunTimeout, SearchCancelled, SearchWorkerUnavailable, WorkerExecutor, type RunRequest } from '../../src/schedule/executor.js';
import { runSearch } from '../../src/spl/index.js';
import { MemorySource } from '../../src/sources/memory.js';
import { openStore } from '../../src/store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-executor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('searches in a worker thread', () => {
  it('stops a runaway search (catastrophic regex) at its time limit without freezing the server, then keeps working', async () => {
    const store = await openStore(dir);
    await store.append([
      { _time: 1_800_000_000, index: 'main', sourcetype: 'x', source: 's', host: 'h', _raw: 'a'.repeat(34) + '!' },
      { _time: 1_800_000_001, index: 'main', sourcetype: 'x', source: 's', host: 'h', _raw: 'hello' },
    ]);
    await store.close();
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] });
    const base = { name: 'runaway', now: 1_800_000_100, tz: 'UTC', earliest: 0, latest: 1_900_000_000, defaultIndexes: 'all' as const };
    try {
      // The event loop must keep ticking while the worker is stuck.
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      await expect(exec.execute({ ...base, search: 'index=main | regex _raw="^(a+)+$"' }, 700)).rejects.toBeInstanceOf(RunTimeout);
      clearInterval(timer);
      // A search on the main thread would have let no timer fire before it ended.
      expect(ticks).toBeGreaterThan(0);
      // A fresh worker serves the next run.
      const ok = await exec.execute({ ...base, name: 'ok', search: 'index=main hello | stats count' }, 10_000);
      expect(ok.rows.map((r) => r.get('count'))).toEqual([1]);
    } finally {
      await exec.close();
    }
  });

  it('pauses a streamed search while its caller has not consumed maxBufferedChars of rows, and loses none', async () => {
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] }, { maxBufferedChars: 100_000 });
    const req: RunRequest = { name: 'slow reader', search: `| makeresults count=20000 | eval pad="${'x'.repeat(100)}"`, now: 1_800_000_100, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' };
    try {
      // The caller holds every chunk until released: the worker must stop sending past the window.
      const held: (() => void)[] = [];
      let got = 0;
      const run = exec.execute(req, 60_000, {
        onJson: (rows) => {
          got += rows.length;
          return new Promise<void>((release) => held.push(release));
        },
      });
      for (let i = 0; i < 600 && held.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500)); // room for more chunks, were the worker not paused
      const { bufferedChars } = exec.load;
      expect(bufferedChars).toBeGreaterThan(100_000);
      expect(bufferedChars).toBeLessThanOrEqual(100_000 + 70 * 1024); // the window and the chunk that crossed it
      expect(got).toBeLessThan(20_000);
      // Released chunk by chunk, the search runs to its end.
      const releasing = setInterval(() => held.splice(0).forEach((r) => r()), 10);
      const out = await run.finally(() => clearInterval(releasing));
      expect([got, out.stats.results]).toEqual([20_000, 20_000]);
      expect(exec.load.bufferedChars).toBe(0);
    } finally {
      await exec.close();
    }
  }, 120_000);

  it('reports a search error with its message', async () => {
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] });
    try {
      await expect(exec.execute({ name: 'bad', search: 'index=main | eval x=nosuchfn(1)', now: 0, tz: 'UTC', earliest: 0, latest: 1, defaultIndexes: 'all' }, 10_000)).rejects.toThrow(/unsupported eval function nosuchfn/);
    } finally {
      await exec.close();
    }
  });

  it('runs tstats over the content data models and tag= over its event types, in a worker and in process', async () => {
    const dmDir = mkdtempSync(join(tmpdir(), 'vigil-executor-dm-'));
    try {
      const store = await openStore(dmDir);
      const risk = (pod: string, score: number) => ({ _time: 1_800_000_000, index: 'risk', sourcetype: 'stash', source: 'Gen', host: 'vigil', _raw: JSON.stringify({ risk_object: pod, risk_object_type: 'system', risk_score: score }) });
      await store.append([risk('a', 10), risk('a', 5), risk('b', 1)]);
      const req = { name: 'dm', now: 1_800_000_100, tz: 'UTC', earliest: 0, latest: 1_900_000_000, defaultIndexes: 'all' as const };
      const tstats = '| tstats sum(All_Risk.calculated_risk_score) as score from datamodel=Risk.All_Risk by All_Risk.risk_object';
      const worker = new WorkerExecutor({ dataDir: dmDir, contentDirs: [] });
      try {
        for (const exec of [worker, new InProcessExecutor(store, () => loadContent())]) {
          const out = await exec.execute({ ...req, search: tstats }, 10_000);
          expect(out.rows.map((r) => [r.get('All_Risk.risk_object'), r.get('score')])).toEqual([['a', 15], ['b', 1]]);
          const tagged = await exec.execute({ ...req, search: 'tag=risk | stats count' }, 10_000);
          expect(tagged.rows.map((r) => r.get('count'))).toEqual([3]);
        }
      } finally {
        await worker.close();
        await store.close();
      }
    } finally {
      rmSync(dmDir, { recursive: true, force: true });
    }
  });

  it("gives map's searches the content's macros, expanded when each runs (a worker had only the expanded search text)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-executor-map-'));
    const content = mkdtempSync(join(tmpdir(), 'vigil-executor-map-content-'));
    try {
      mkdirSync(join(content, 'macros'));
      writeFileSync(join(content, 'macros', 'greeting_events.yml'), 'name: greeting_events\ndefinition: index=main sourcetype=greeting\n');
      const store = await openStore(dataDir);
      const ev = (raw: string, sourcetype: string) => ({ _time: 1_800_000_000, index: 'main', sourcetype, source: 's', host: 'h', _raw: raw });
      await store.append([ev('hello world', 'greeting'), ev('hello there', 'greeting'), ev('hello moon', 'other')]);
      const req = { name: 'map', now: 1_800_000_100, tz: 'UTC', earliest: 0, latest: 1_900_000_000, defaultIndexes: 'all' as const };
      // The macro sits in map's quoted search: the search's own expansion leaves quoted text alone.
      const search = '| makeresults | eval w="hello" | map search="search `greeting_events` $w$ | stats count"';
      const worker = new WorkerExecutor({ dataDir, contentDirs: [content] });
      try {
        for (const exec of [worker, new InProcessExecutor(store, () => loadContent([content]))]) {
          const out = await exec.execute({ ...req, search }, 10_000);
          expect(out.rows.map((r) => r.get('count'))).toEqual([2]);
        }
      } finally {
        await worker.close();
        await store.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(content, { recursive: true, force: true });
    }
  });

  it('stops a search that exhausts its heap (resourceLimits): SPL_LIMIT_MEMORY, only its worker dies', async () => {
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] }, { maxMemoryBytes: 96 * 1024 * 1024 });
    const base = { now: 1_800_000_100, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' as const };
    try {
      // eventstats keeps every row: the heap check between rows (spl/exec/heap-guard.ts) or, when rows outgrow the heap
      // between two checks, the worker's resourceLimits stop it; which comes first depends on the collector's timing.
      const stopped = { code: 'SPL_LIMIT_MEMORY', message: expect.stringMatching(/96 MB of memory \(search.maxMemory\)|of the \d+ MB heap and was stopped/) };
      await expect(exec.execute({ ...base, name: 'hog', search: '| makeresults count=100000000 | eval a=mvrange(0,100) | eventstats count' }, 120_000)).rejects.toMatchObject(stopped);
      await expect(exec.execute({ ...base, name: 'burst', search: '| makeresults count=3000 | eval a=mvrange(0,100000) | eventstats count' }, 120_000)).rejects.toMatchObject(stopped);
      const ok = await exec.execute({ ...base, name: 'ok', search: 'index=main hello | stats count' }, 30_000);
      expect(ok.rows.map((r) => r.get('count'))).toEqual([1]);
    } finally {
      await exec.close();
    }
  }, 150_000);

  it('replaces a worker whose heap a search left full (its next search was SPL_LIMIT_MEMORY), keeps one that is not', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-executor-heap-'));
    const store = await openStore(dataDir);
    await store.append(Array.from({ length: 20_000 }, (_, i) => ({ _time: 1_800_000_000 + i, index: 'main', sourcetype: 'x', source: 's', host: 'h', _raw: `hello ${i}` })));
    await store.close();
    const exec = new WorkerExecutor({ dataDir, contentDirs: [] }, { maxMemoryBytes: 128 * 1024 * 1024 });
    const base = { now: 1_800_000_100, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' as const };
    const count = async (search: string) => (await exec.execute({ ...base, name: 'n', search }, 120_000)).rows.map((r) => r.get('count'));
    try {
      // A light search: its worker stays in the pool.
      expect(await count('index=main hello | stats count')).toEqual([20_000]);
      expect(exec.load.workers).toBe(1);
      // eventstats holds 20,000 rows of 300 values: over half the heap committed when it ends (V8 keeps it until a
      // major collection), so that worker is retired, not handed the next search.
      expect(await count('index=main | eval a=mvrange(0,300) | eventstats count | stats count')).toEqual([20_000]);
      expect(exec.load.workers).toBe(0);
      expect(await count('index=main hello | sort 0 _raw | stats count')).toEqual([20_000]);
    } finally {
      await exec.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);

  it('tells a worker that failed before its search began (SearchWorkerUnavailable) from a search that failed', async () => {
    // A setup the thread cannot load with (here a content list that is no list; live: EMFILE at its start).
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: null as unknown as string[] });
    try {
      const run = exec.execute({ name: 'x', search: '| makeresults', now: 1_800_000_100, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' }, 30_000);
      await expect(run).rejects.toBeInstanceOf(SearchWorkerUnavailable);
      await expect(run).rejects.toMatchObject({ code: 'SPL_RUNTIME', message: expect.stringMatching(/^search worker failed: /) });
    } finally {
      await exec.close();
    }
  });

  it('caps the rows a search returns (SPL_LIMIT_RESULTS, the rows before it delivered); `limit` stops it successfully', async () => {
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] }, { maxResults: 1000, maxResultBytes: 1 << 20 });
    const req: RunRequest = { name: 'many', search: '| makeresults count=5000 | eval n=1', now: 1_800_000_100, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' };
    try {
      const got: string[] = [];
      await expect(exec.execute(req, 30_000, { onJson: (rows) => got.push(...rows) })).rejects.toMatchObject({ code: 'SPL_LIMIT_RESULTS', message: expect.stringMatching(/more than 1000 results \(search.maxResults\)/) });
      expect(got).toHaveLength(1000);
      expect(JSON.parse(got[0]!)).toMatchObject({ n: 1 });
      // By size: 1 MiB of JSON.
      const wide = { ...req, search: `| makeresults count=900 | eval s="${'x'.repeat(2000)}"` };
      await expect(exec.execute(wide, 30_000)).rejects.toMatchObject({ code: 'SPL_LIMIT_RESULTS', message: expect.stringMatching(/search.maxResultBytes/) });
      const limited = await exec.execute(req, 30_000, { limit: 10 });
      expect(limited.rows).toHaveLength(10);
      // The same limits in process (vigil backfill, tests).
      const store = await openStore(dir, { readonly: true });
      const inProc = new InProcessExecutor(store, () => loadContent([]), { maxResults: 1000, maxResultBytes: Infinity });
      await expect(inProc.execute(req, 30_000)).rejects.toMatchObject({ code: 'SPL_LIMIT_RESULTS' });
      await store.close();
    } finally {
      await exec.close();
    }
  });

  it('cancels a running search when its signal aborts (terminating its worker) and a waiting one without starting it', async () => {
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] }, { maxConcurrent: 1, maxQueued: 1 });
    const base = { now: 1_800_000_100, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' as const };
    const runaway = { ...base, name: 'runaway', search: '| makeresults count=1000000000000 | stats count' };
    try {
      const a = new AbortController();
      const b = new AbortController();
      const first = exec.execute(runaway, 600_000, { signal: a.signal });
      const second = exec.execute(runaway, 600_000, { signal: b.signal });
      expect(exec.load).toMatchObject({ running: 1, waiting: 1 });
      // The queue holds one: a third is refused at once.
      await expect(exec.execute(runaway, 600_000)).rejects.toMatchObject({ code: 'SPL_LIMIT_CONCURRENCY' });
      b.abort();
      await expect(second).rejects.toBeInstanceOf(SearchCancelled);
      expect(exec.load).toMatchObject({ running: 1, waiting: 0 });
      a.abort();
      await expect(first).rejects.toMatchObject({ code: 'SPL_CANCELLED' });
      expect(exec.load).toEqual({ running: 0, waiting: 0, workers: 0, bufferedChars: 0 }); // terminated, not kept
      const ok = await exec.execute({ ...base, name: 'ok', search: 'index=main hello | stats count' }, 30_000);
      expect(ok.rows.map((r) => r.get('count'))).toEqual([1]);
    } finally {
      await exec.close();
    }
  });

  it('close() cancels running and waiting searches at once', async () => {
    const exec = new WorkerExecutor({ dataDir: dir, contentDirs: [] }, { maxConcurrent: 1 });
    const runaway = { name: 'runaway', search: '| makeresults count=1000000000000 | stats count', now: 0, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' as const };
    const running = exec.execute(runaway, 600_000);
    const waiting = exec.execute(runaway, 600_000);
    const outcomes = Promise.allSettled([running, waiting]);
    await new Promise((r) => setTimeout(r, 300));
    await exec.close();
    const [r, w] = await outcomes;
    expect(r).toMatchObject({ status: 'rejected', reason: { code: 'SPL_CANCELLED', message: expect.stringMatching(/the server is stopping/) } });
    expect(w).toMatchObject({ status: 'rejected', reason: { code: 'SPL_CANCELLED' } });
    await expect(exec.execute(runaway, 1000)).rejects.toBeInstanceOf(SearchCancelled);
  });
  it("cuts a warning quoting a row's value at 2,000 characters (not inside a surrogate pair), each distinct one once", async () => {
    // The regex functions' warning quotes the row's pattern; `vigil search` prints it whole (runSearch's onWarning).
    const searchOf = (k: number) => `| makeresults | eval p="(${'a'.repeat(k)}\u{1F600}${'b'.repeat(50_000)}" | eval m=if(match("x", p), 1, 0) | eval n=if(match("y", p), 1, 0)`;
    const whole = async (k: number) => {
      const got: string[] = [];
      await runSearch(searchOf(k), { source: new MemorySource([]), now: 0, onWarning: (m) => got.push(m) });
      return got;
    };
    // The emoji's first half at the 2,000th character: the cut leaves both halves out.
    let k = 0;
    let full = await whole(k);
    for (let i = 0; i < 5 && full[0]!.lastIndexOf('\u{1F600}') !== 1999; i++) full = await whole((k += 1999 - full[0]!.lastIndexOf('\u{1F600}')));
    expect(full).toHaveLength(2);
    expect(full[0]!.charCodeAt(1999)).toBe(0xd83d);
    const cut = (m: string) => {
      let out = '';
      for (const c of m) {
        if (out.length + c.length > 2000) break;
        out += c;
      }
      return `${out}\u2026 (${m.length - out.length} more characters)`;
    };
    const own = join(dir, 'warnings');
    mkdirSync(own);
    await (await openStore(own)).close();
    const exec = new WorkerExecutor({ dataDir: own, contentDirs: [] });
    try {
      const warnings: string[] = [];
      await exec.execute({ name: 'warn', search: searchOf(k), now: 0, tz: 'UTC', earliest: null, latest: null, defaultIndexes: 'all' }, 30_000, { onJson: () => undefined, onWarning: (m) => void warnings.push(m) });
      expect(warnings).toEqual(full.map(cut));
      expect(warnings[0]!.length).toBe(1999 + ' more characters)'.length + 3 + String(full[0]!.length - 1999).length);
    } finally {
      await exec.close();
    }
  });
});
