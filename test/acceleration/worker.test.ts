import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { AccelerationService, openSummaryReader, workerErrorText } from '../../src/acceleration/service.js';
import { accelerationSettings } from '../../src/acceleration/settings.js';
import { openSummaryDb } from '../../src/acceleration/summary-db.js';
import type { ContentPack } from '../../src/detections/content.js';
import type { Event } from '../../src/events/event.js';
import { toObject } from '../../src/events/result.js';
import { runSearch } from '../../src/spl/index.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { NOW, processExec, SHOP_MODEL, shopPack } from '../spl/datamodel/helpers.js';

/**
 * The summary builder on its own worker thread (AccelerationService): restarted when it dies (a bounded
 * number of times), reloading content when told (a changed definition rebuilds), stopped within its bound
 * during a catch-up, which the next start resumes from built_seq.
 */
const T0 = 1_700_000_000;

function events(n: number, offset = 0): Event[] {
  const bins = ['/usr/bin/bash', '/usr/sbin/useradd', '/usr/bin/curl', '/usr/bin/sudo'];
  const out: Event[] = [];
  for (let i = offset; i < offset + n; i++) {
    const t = T0 + i * 7;
    const ev =
      i % 3 === 2
        ? { _time: t, sourcetype: 'shop:order', _raw: JSON.stringify({ item: ['Apple', 'banana'][i % 2], qty: i % 4, price: (i % 9) * 20, label_list: 'a' }) }
        : processExec(t, { binary: bins[i % 4]!, arguments: `-x ${i % 5}`, pid: 1000 + (i % 13) }, { binary: '/bin/sh', pid: 900 });
    out.push({ index: 'main', source: 'tetragon.log', host: 'collector', sourcetype: '', _time: 0, _raw: '', ...ev } as Event);
  }
  return out;
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function newStore(n: number): Promise<{ store: SqliteStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-worker-'));
  const store = await openStore(dir);
  closers.push(() => store.close());
  if (n > 0) await store.append(events(n));
  return { store, dir };
}

const pack = shopPack();
const settings = (acceleration: Record<string, unknown> = {}) => accelerationSettings({ Shop: {} }, acceleration);

function service(dir: string, store: SqliteStore, content: ContentPack = pack, over: { chunk?: number; restartDelayMs?: number; maxRestarts?: number; closeTimeoutMs?: number } = {}) {
  const logs: string[] = [];
  const s = new AccelerationService(dir, store, settings({ chunk_events: over.chunk ?? 1000 }), content, 'UTC', () => NOW, (level, m) => logs.push(`${level}: ${m}`), {
    restartDelayMs: over.restartDelayMs ?? 10,
    ...(over.maxRestarts !== undefined ? { maxRestarts: over.maxRestarts } : {}),
    ...(over.closeTimeoutMs !== undefined ? { closeTimeoutMs: over.closeTimeoutMs } : {}),
  });
  closers.unshift(() => s.close());
  return { s, logs };
}

/** The thread the service runs its builder on (private: the tests kill it as a crash would). */
const workerOf = (s: AccelerationService) => s['worker'] as Worker | null;

const byKey = (s: AccelerationService) => new Map(s.status().map((x) => [`${x.model}.${x.dataset}`, x]));

/** tstats rows over the summaries only, and over raw events, with `content`'s definitions. */
async function rowsBoth(dir: string, store: SqliteStore, content: ContentPack, spl: string) {
  const reader = openSummaryReader(dir, store, { maxRemainderEvents: 1_000_000, maxCachedRows: 100_000 })!;
  const run = async (only: boolean, withSummaries: boolean) => {
    const { results, stats } = await runSearch(spl.replace('X', String(only)), {
      source: store,
      macros: content.macros,
      lookups: content.lookups,
      knowledge: content.knowledge,
      now: NOW,
      ...(withSummaries ? { summaries: reader } : {}),
    });
    return { rows: results.map(toObject), scanned: stats.eventsScanned };
  };
  return { summaries: await run(true, true), raw: await run(false, false) };
}

const ORDERS = '| tstats summariesonly=X count sum(Orders.total) from datamodel=Shop.Orders by Orders.item';
const PROCS = '| tstats summariesonly=X count from datamodel=Endpoint.Processes by Processes.process_name Processes.parent_process_name';

describe('the summary worker', () => {
  it('is restarted when it dies: catch-ups asked meanwhile are answered by the next one', async () => {
    const { store, dir } = await newStore(300);
    const { s, logs } = service(dir, store);
    expect(await s.catchUp()).toBe(300);
    const first = workerOf(s)!;
    await first.terminate();
    await store.append(events(200, 300));
    // Asked while no worker runs: answered once the restarted one has caught up.
    expect(await s.catchUp()).toBe(200);
    expect(workerOf(s)).not.toBe(first);
    expect(logs).toContainEqual(expect.stringMatching(/^error: data model acceleration: the summary worker died \(exit code 1\); restarting it in 10 ms/));
    expect(byKey(s).get('Shop.Orders')).toMatchObject({ coveragePercent: 100, rows: 166, lastError: null });
    const { summaries, raw } = await rowsBoth(dir, store, pack, ORDERS);
    expect(summaries).toEqual({ rows: raw.rows, scanned: 0 });
  });

  it('says what it died of: the SQLite code and message (it said "exit code 1")', async () => {
    // SQLite's result codes (sqlite.org/rescode.html): SQLITE_NOTADB, "file is not a database".
    const { store, dir } = await newStore(300);
    const { s, logs } = service(dir, store, pack, { maxRestarts: 2 });
    expect(await s.catchUp()).toBe(300);
    // summaries.db replaced by a file that is no database: every next worker dies opening it.
    const path = join(dir, 'summaries.db');
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
    writeFileSync(path, 'x'.repeat(4096));
    await workerOf(s)!.terminate();
    await expect(s.catchUp()).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('(last: SQLITE_NOTADB: cannot open the data model summaries') });
    const died = logs.filter((l) => l.includes('the summary worker died'));
    expect(died[0]).toMatch(/died \(exit code 1\); restarting/); // terminated: no error to tell
    expect(died[1]).toMatch(/^error: data model acceleration: the summary worker died \(SQLITE_NOTADB: cannot open the data model summaries .*summaries\.db: file is not a database; delete the file and vigil serve rebuilds them from the events\); restarting it in 20 ms/);
    expect(died[2]).toMatch(/^error: data model acceleration: the summary worker died 3 times in a row \(last: SQLITE_NOTADB: .*file is not a database/);
  });

  it("tells a SQLite error's code and message, which its copy across threads loses", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-worker-'));
    writeFileSync(join(dir, 'bad.db'), 'x'.repeat(4096));
    let error: unknown = null;
    try {
      new Database(join(dir, 'bad.db')).pragma('journal_mode = WAL');
    } catch (e) {
      error = e;
    }
    // What a worker's 'error' event held: the code alone.
    expect(structuredClone(error)).toEqual({ code: 'SQLITE_NOTADB' });
    expect(workerErrorText(error)).toBe('SQLITE_NOTADB: file is not a database');
    expect(workerErrorText(structuredClone(error))).toBe('SQLITE_NOTADB: no message');
    expect(workerErrorText(new Error('SQLITE_IOERR: disk I/O error'))).toBe('SQLITE_IOERR: disk I/O error');
  });

  it('gives up after maxRestarts deaths in a row: catch-ups reject, status shows why, the server goes on', async () => {
    // No event store in the data dir: every worker dies opening it.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-worker-'));
    const logs: string[] = [];
    const s = new AccelerationService(dir, { lastSeq: () => 0 }, settings(), pack, 'UTC', () => NOW, (level, m) => logs.push(`${level}: ${m}`), { restartDelayMs: 5, maxRestarts: 2 });
    closers.unshift(() => s.close());
    await expect(s.catchUp()).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('the summary worker died 3 times in a row') });
    expect(logs.filter((l) => l.includes('restarting it'))).toHaveLength(2);
    expect(logs.at(-1)).toMatch(/^error: data model acceleration: the summary worker died 3 times in a row \(last: .*vigil\.db.*\); summaries are no longer updated/);
    await expect(s.catchUp()).rejects.toMatchObject({ code: 'STORE' });
    expect(byKey(s).get('Shop.Orders')).toMatchObject({ accelerated: false, lastError: expect.stringContaining('died 3 times in a row') });
    // The timer does not ask again (nor log it every interval).
    const logged = logs.length;
    s.start();
    await new Promise((r) => setTimeout(r, 50));
    expect(logs).toHaveLength(logged);
  });

  it('reloads content when told: a dataset whose definition changed is rebuilt, the others are kept', async () => {
    const { store, dir } = await newStore(300);
    const { s } = service(dir, store);
    await s.catchUp();
    const before = byKey(s);
    const changed = shopPack(SHOP_MODEL.replace("eval: 'qty*price'", "eval: 'qty*price*2'"));
    s.setContent(changed);
    // Only the changed dataset is read again (the catch-up after a reload reads what it needs).
    expect(await s.catchUp()).toBe(300);
    const after = byKey(s);
    expect(after.get('Shop.Orders')!.definitionHash).not.toBe(before.get('Shop.Orders')!.definitionHash);
    expect(after.get('Shop.Orders')).toMatchObject({ coveragePercent: 100, rows: 100 });
    expect(after.get('Endpoint.Processes')).toEqual(before.get('Endpoint.Processes'));
    const { summaries, raw } = await rowsBoth(dir, store, changed, ORDERS);
    expect(summaries).toEqual({ rows: raw.rows, scanned: 0 });
    expect(raw.rows.some((r) => Number(r['sum(Orders.total)']) > 0)).toBe(true);
    // The rebuilt summary has the new definition's totals, not the old ones.
    expect((await rowsBoth(dir, store, pack, ORDERS)).summaries.rows).not.toEqual(summaries.rows);
  });

  for (const closeTimeoutMs of [1000, 0]) {
    it(`stops within its bound during a catch-up (${closeTimeoutMs ? 'after its chunk' : 'terminated'}); the next start resumes from built_seq`, async () => {
      const { store, dir } = await newStore(6000);
      const first = service(dir, store, pack, { chunk: 20, closeTimeoutMs });
      const pending = first.s.catchUp();
      pending.catch(() => undefined);
      const db = openSummaryDb(dir, true)!;
      closers.push(() => db.close());
      const built = () => Math.min(...['Shop.Orders', 'Endpoint.Processes'].map((k) => db.state(k)?.builtSeq ?? 0));
      while (built() === 0) await new Promise((r) => setTimeout(r, 2));
      const t = performance.now();
      await first.s.close();
      expect(performance.now() - t).toBeLessThan(closeTimeoutMs + 1000);
      await expect(pending).rejects.toMatchObject({ code: 'STORE', message: 'data model acceleration stopped' });
      const stoppedAt = built();
      expect(stoppedAt).toBeGreaterThan(0);
      expect(stoppedAt).toBeLessThan(6000);
      // Resumed where it stopped: only what was not summarized is read again.
      const second = service(dir, store);
      expect(await second.s.catchUp()).toBe(6000 - stoppedAt);
      for (const spl of [ORDERS, PROCS]) {
        const { summaries, raw } = await rowsBoth(dir, store, pack, spl);
        expect(summaries).toEqual({ rows: raw.rows, scanned: 0 });
      }
    });
  }
});
