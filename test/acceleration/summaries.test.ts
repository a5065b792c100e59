import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SummaryBuilder, type BuilderOptions } from '../../src/acceleration/builder.js';
import { MAX_MERGED_CHUNKS } from '../../src/acceleration/merge-policy.js';
import { acceleratedDatasets } from '../../src/acceleration/datasets.js';
import { SummaryReader } from '../../src/acceleration/reader.js';
import { SegmentBuilder } from '../../src/acceleration/segment.js';
import { AccelerationService } from '../../src/acceleration/service.js';
import { accelerationSettings, unknownDataModels } from '../../src/acceleration/settings.js';
import { openSummaryDb, SUMMARY_DB_FILE } from '../../src/acceleration/summary-db.js';
import { loadConfig } from '../../src/config/index.js';
import type { ContentPack } from '../../src/detections/content.js';
import type { Event } from '../../src/events/event.js';
import { Row, toObject } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { runSearch } from '../../src/spl/index.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/types.js';
import { NOW, processExec, SHOP_MODEL, shopPack } from '../spl/datamodel/helpers.js';

/**
 * Summaries give the rows tstats gives over raw events: built from the store by seq, read with the WHERE
 * evaluated once per distinct value, with the raw remainder for what they do not cover yet.
 */
const T0 = 1_700_000_000;

/** Deterministic events: process_exec with a variety of binaries and parents, shop orders, other noise. */
function events(n: number, offset = 0): Event[] {
  const bins = ['/usr/bin/bash', '/usr/sbin/useradd', '/usr/bin/curl', '/bin/sh', '/usr/bin/base64', '/usr/bin/crontab', '/usr/bin/sudo'];
  const args = ['-c "echo aGk= | base64 -d | sh"', 'eve', '-k https://x.example/a', '', '-d /tmp/p', '-e', 'su -'];
  const out: Event[] = [];
  for (let i = offset; i < offset + n; i++) {
    const t = T0 + i * 97; // spans several hours
    const k = i % 7;
    const ev = i % 5 === 4
      ? { _time: t, sourcetype: 'shop:order', source: 's', host: 'h', _raw: JSON.stringify({ item: ['Apple', 'banana', 'Cherry'][i % 3], qty: i % 4, price: (i % 9) * 20, customer: i % 6 === 0 ? undefined : `c${i % 3}`, status: i % 3 === 0 ? 'paid' : '', label_list: i % 2 ? 'b,a' : 'a' }) }
      : processExec(t, { binary: bins[k]!, arguments: args[(i * 3) % 7]!, pid: 1000 + (i % 13) }, i % 4 ? { binary: bins[(k + 1) % 7]!, pid: 900 + (i % 3) } : undefined);
    out.push({ index: i % 11 === 0 ? 'other' : 'main', source: 'tetragon.log', host: 'collector', sourcetype: '', _time: 0, _raw: '', ...ev } as Event);
  }
  return out;
}

const PROC = 'from datamodel=Endpoint.Processes';
const SEARCHES = [
  `| tstats summariesonly=X allow_old_summaries=true fillnull_value=null count min(_time) as firstTime max(_time) as lastTime ${PROC} where Processes.process_name=useradd OR Processes.process_name=sudo by Processes.dest Processes.user Processes.parent_process_name Processes.process_name Processes.process Processes.process_id Processes.parent_process_id Processes.process_guid`,
  `| tstats summariesonly=X count ${PROC} where Processes.process="*base64*-d*" Processes.process IN ("*| sh*", "*|bash*") by Processes.process_name Processes.parent_process_name`,
  `| tstats summariesonly=X count ${PROC} where NOT Processes.process_name IN ("bash", "SH") NOT Processes.parent_process_name!=curl by Processes.process_name Processes.parent_process_name`,
  `| tstats summariesonly=X count dc(Processes.process_name) as names values(Processes.process_id) as pids ${PROC} by _time span=1h Processes.dest`,
  `| tstats summariesonly=X count ${PROC} by _time Processes.process_name`,
  `| tstats summariesonly=X count sum(Processes.process_id) avg(Processes.process_id) ${PROC} where Processes.process_id>1005 index=main by Processes.user`,
  `| tstats summariesonly=X count ${PROC} where Processes.parent_process_name=* by index sourcetype`,
  `| tstats summariesonly=X count sum(Orders.total) values(Orders.item) from datamodel=Shop.Orders by Orders.labels Orders.status`,
  `| tstats summariesonly=X fillnull_value=none count from datamodel=Shop.Orders where Orders.labels=B Orders.item IN (app*, CHERRY) by Orders.customer`,
  `| tstats summariesonly=X count max(Orders.total) from datamodel=Shop.Orders where nodename=Orders.Big_Orders by Orders.item`,
  `| tstats summariesonly=X count from datamodel=Shop.Orders where Orders.qty<2 earliest=${T0 + 3600} latest=${T0 + 4 * 3600}`,
  // prestats=true: the dataset's rows, summarized ones after the raw ones, for the stats after it.
  `| tstats summariesonly=X prestats=t count ${PROC} where Processes.process_name!=sh by _time span=1h Processes.dest | timechart span=1h count by Processes.dest`,
  `| tstats summariesonly=X prestats=t fillnull_value=none dc(Orders.item) from datamodel=Shop.Orders by Orders.customer | stats dc(Orders.item) count by Orders.customer`,
];

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function setup(pack: ContentPack, store: SqliteStore, dataDir: string, over: Partial<BuilderOptions> = {}) {
  const db = openSummaryDb(dataDir, false)!;
  const datasets = acceleratedDatasets(pack.knowledge, ['Endpoint', 'Shop'], (m) => pack.dataModels.get(m)!.datasets.map((d) => d.name), (p) => {
    throw new Error(p);
  });
  const builder = new SummaryBuilder({
    db,
    store,
    datasets,
    ranges: new Map(),
    derived: pack.knowledge.derived,
    lookups: pack.lookups,
    tz: 'UTC',
    bucketSeconds: 3600,
    chunkEvents: 37,
    maxSegmentsPerBucket: 3,
    now: () => NOW,
    ...over,
  });
  const readDb = openSummaryDb(dataDir, true)!;
  const reader = new SummaryReader({ db: readDb, store, bucketSeconds: 3600, maxRemainderEvents: 1_000_000, maxCachedRows: 100_000 });
  closers.push(() => {
    db.close();
    readDb.close();
  });
  return { db, builder, reader };
}

async function newStore(): Promise<{ store: SqliteStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-'));
  const store = await openStore(dir);
  closers.push(() => store.close());
  return { store, dir };
}

async function run(pack: ContentPack, store: SqliteStore, spl: string, reader: SummaryReader | null) {
  const { results, stats } = await runSearch(spl, { source: store, macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW, ...(reader ? { summaries: reader } : {}) });
  return { rows: results.map(toObject), scanned: stats.eventsScanned };
}

const pack = shopPack();

describe('data model summaries', () => {
  it('give the raw rows: from summaries only once complete, and with the raw remainder while behind', async () => {
    const { store, dir } = await newStore();
    await store.append(events(400));
    const { builder, reader } = setup(pack, store, dir);
    expect(await builder.catchUp()).toBe(400);
    // Behind by 150 events: summariesonly=false adds them raw, summariesonly=true leaves them out.
    await store.append(events(150, 400));
    for (const s of SEARCHES) {
      const raw = await run(pack, store, s.replace('X', 'false'), null);
      expect(raw.rows.length, s).toBeGreaterThan(0);
      const mixed = await run(pack, store, s.replace('X', 'false'), reader);
      expect(mixed.rows, s).toEqual(raw.rows);
      expect(mixed.scanned, s).toBeLessThanOrEqual(150); // only the unsummarized events are read raw
    }
    const partial = await run(pack, store, `| tstats summariesonly=true count ${PROC}`, reader);
    const all = await run(pack, store, `| tstats count ${PROC}`, null);
    expect(Number(partial.rows[0]!.count)).toBeLessThan(Number(all.rows[0]!.count));

    expect(await builder.catchUp()).toBe(150);
    for (const s of SEARCHES) {
      const raw = await run(pack, store, s.replace('X', 'false'), null);
      const only = await run(pack, store, s.replace('X', 'true'), reader);
      expect(only.rows, s).toEqual(raw.rows);
      expect(only.scanned, s).toBe(0);
      expect((await run(pack, store, s.replace('X', 'false'), reader)).rows, s).toEqual(raw.rows);
    }
    expect(statSync(join(dir, SUMMARY_DB_FILE)).mode & 0o777).toBe(0o600);
  });

  it('are rebuilt when a definition changes, and unused by searches planned with another definition', async () => {
    const { store, dir } = await newStore();
    await store.append(events(200));
    const first = setup(pack, store, dir);
    await first.builder.catchUp();
    first.db.close();
    const changed = shopPack(SHOP_MODEL.replace("eval: 'qty*price'", "eval: 'qty*price*2'"));
    const spl = '| tstats summariesonly=true count sum(Orders.total) from datamodel=Shop.Orders by Orders.item';
    // The old summaries do not match the new definition: read raw, not wrong.
    const before = await run(changed, store, spl, first.reader);
    expect(before.rows).toEqual((await run(changed, store, spl, null)).rows);
    expect(before.scanned).toBeGreaterThan(0);
    const second = setup(changed, store, dir);
    expect(second.builder.state('Shop.Orders')!.builtSeq).toBe(0);
    expect(second.builder.state('Endpoint.Processes')!.builtSeq).toBe(200);
    expect(await second.builder.catchUp()).toBe(200);
    const after = await run(changed, store, spl, second.reader);
    expect(after.scanned).toBe(0);
    expect(after.rows).toEqual((await run(changed, store, spl, null)).rows);
  });

  it('are not read by a tstats naming a field of a dataset below its own (not in its summary): the raw events give its rows', async () => {
    const { store, dir } = await newStore();
    await store.append(events(300));
    // Big_Orders gets a field of its own; over Orders it has its value on the big orders only.
    const withChildField = shopPack(SHOP_MODEL.replace('    constraint: total>100\n', "    constraint: total>100\n    calculations:\n      - {field: discount, type: number, eval: 'total/10'}\n"));
    const { builder, reader } = setup(withChildField, store, dir);
    expect(await builder.catchUp()).toBe(300);
    const spl = '| tstats summariesonly=true count from datamodel=Shop.Orders by Orders.item Orders.Big_Orders.discount';
    const raw = await run(withChildField, store, spl, null);
    // Worked out from events(): shop orders are i % 5 === 4, total = (i % 4) * (i % 9) * 20, big when over 100.
    const expected = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const total = (i % 4) * (i % 9) * 20;
      if (i % 5 !== 4 || total <= 100) continue;
      const k = `${['Apple', 'banana', 'Cherry'][i % 3]}|${total / 10}`;
      expected.set(k, (expected.get(k) ?? 0) + 1);
    }
    expect(expected.size).toBeGreaterThan(1);
    const got = (r: { rows: Record<string, unknown>[] }) => new Map(r.rows.map((x) => [`${String(x['Orders.item'])}|${String(x['Orders.Big_Orders.discount'])}`, Number(x.count)]));
    expect(got(raw)).toEqual(expected);
    const accelerated = await run(withChildField, store, spl, reader);
    expect(accelerated.rows).toEqual(raw.rows);
    expect(accelerated.scanned).toBeGreaterThan(0);
  });

  it('resume after a restart where they stopped', async () => {
    const { store, dir } = await newStore();
    await store.append(events(120));
    const a = setup(pack, store, dir);
    await a.builder.catchUp();
    a.db.close();
    await store.append(events(30, 120));
    const b = setup(pack, store, dir);
    expect(await b.builder.catchUp()).toBe(30);
    for (const s of SEARCHES.slice(0, 4)) {
      expect((await run(pack, store, s.replace('X', 'true'), b.reader)).rows).toEqual((await run(pack, store, s.replace('X', 'false'), null)).rows);
    }
  });

  it('are compacted by tiers as chunks arrive: a bounded number of segments per bucket, the same rows', async () => {
    const { store, dir } = await newStore();
    // 1,200 events in one hour, summarized ten at a time: 120 chunks into the same bucket.
    const hour = events(1200).map((e, i) => ({ ...e, _time: T0 - (T0 % 3600) + i * 2 }));
    await store.append(hour);
    // Caught up a hundred events at a time, as the server's ticks do.
    let upTo = 0;
    const growing = { lastSeq: () => upTo, seqEvents: (a: number, b: number) => store.seqEvents(a, b) };
    const { db, builder, reader } = setup(pack, store, dir, { store: growing, chunkEvents: 10, maxSegmentsPerBucket: 4 });
    while (upTo < 1200) {
      upTo += 100;
      expect(await builder.catchUp()).toBe(100);
    }
    const segs = db.bucketSegments('Endpoint.Processes', T0 - (T0 % 3600));
    // Not full (at most half of MAX_MERGED_CHUNKS chunks' rows): at most 4; the full ones hold the rest.
    expect(segs.filter((s) => s.rows <= (MAX_MERGED_CHUNKS * 10) / 2).length).toBeLessThanOrEqual(4);
    expect(segs.length).toBeLessThan(12);
    expect(segs.reduce((a, s) => a + s.rows, 0)).toBe(db.size('Endpoint.Processes').rows);
    for (const spl of SEARCHES) {
      const raw = await run(pack, store, spl.replace('X', 'false'), null);
      expect((await run(pack, store, spl.replace('X', 'true'), reader)).rows, spl).toEqual(raw.rows);
    }
  });

  it('cover only the summary range; older events are read raw', async () => {
    const { store, dir } = await newStore();
    await store.append(events(300));
    // The range starts inside the data: buckets before it are not summarized.
    const { builder, reader } = setup(pack, store, dir, { ranges: new Map([['Endpoint', NOW - (T0 + 3 * 3600)], ['Shop', null]]) });
    await builder.catchUp();
    expect(builder.state('Endpoint.Processes')!.boundary).toBe(Math.floor((T0 + 3 * 3600) / 3600) * 3600);
    for (const s of SEARCHES) {
      const raw = await run(pack, store, s.replace('X', 'false'), null);
      expect((await run(pack, store, s.replace('X', 'false'), reader)).rows, s).toEqual(raw.rows);
    }
    const only = await run(pack, store, `| tstats summariesonly=true count ${PROC}`, reader);
    const all = await run(pack, store, `| tstats count ${PROC}`, null);
    expect(Number(only.rows[0]!.count)).toBeLessThan(Number(all.rows[0]!.count));
  });

  it('summariesonly=true counts only summarized events, also with earliest/latest (they read raw events before: found by differential fuzzing)', async () => {
    // Search Reference, tstats: "When summariesonly is set to true, the tstats search returns results only from
    // summarized data". With the range starting at T0 + 3 h, the events before it are not summarized.
    const { store, dir } = await newStore();
    await store.append(events(300));
    const boundary = Math.floor((T0 + 3 * 3600) / 3600) * 3600;
    const { builder, reader } = setup(pack, store, dir, { ranges: new Map([['Endpoint', NOW - (T0 + 3 * 3600)], ['Shop', null]]) });
    await builder.catchUp();
    // Worked out from events(): process executions are i % 5 !== 4, at T0 + 97 i.
    let summarized = 0;
    let first = Infinity;
    for (let i = 0; i < 300; i++) {
      if (i % 5 === 4 || T0 + i * 97 < boundary) continue;
      summarized++;
      first = Math.min(first, T0 + i * 97);
    }
    const spl = (only: boolean) => `| tstats summariesonly=${only} count earliest(Processes.process_id) latest(Processes.process_id) earliest_time(Processes.process_id) as first ${PROC}`;
    const got = await run(pack, store, spl(true), reader);
    expect(got.rows).toMatchObject([{ count: summarized, first }]);
    expect(got.scanned).toBe(0);
    // summariesonly=false: every event, as a search of the events (earliest/latest read raw events in search order).
    expect((await run(pack, store, spl(false), reader)).rows).toEqual((await run(pack, store, spl(false), null)).rows);
  });

  it('leave out the events that retention or a deleted index removed, as Splunk drops a bucket summary with its bucket', async () => {
    // Knowledge Manager Manual, Accelerate data models: summaries "are stored on your indexers parallel to the
    // index buckets that contain the events that are being summarized" (Splunk Cloud: "associated with the
    // buckets of their source indexes"); tstats summariesonly=false returns the results of a search of the events.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-'));
    const store = await openStore(dir, { defaultRetention: { maxAgeSeconds: 6 * 3600 } });
    closers.push(() => store.close());
    await store.append(events(400)); // T0 .. T0 + 10.8 h
    const { builder, reader } = setup(pack, store, dir);
    await builder.catchUp();
    const report = await store.applyRetention(T0 + 400 * 97);
    const before = new Map(report.deleted.map((d) => [d.index, d.before]));
    expect(before.get('main')).toBeGreaterThan(T0);
    // Worked out from events(): process executions are i % 5 !== 4 at T0 + 97 i, index other when i % 11 === 0.
    const expected = (deleted: string | null) => {
      let n = 0;
      for (let i = 0; i < 400; i++) {
        const index = i % 11 === 0 ? 'other' : 'main';
        if (i % 5 !== 4 && index !== deleted && T0 + i * 97 >= (before.get(index) ?? -Infinity)) n++;
      }
      return n;
    };
    const spl = (only: boolean) => `| tstats summariesonly=${only} count ${PROC} where index=*`;
    expect((await run(pack, store, spl(false), null)).rows).toEqual([{ count: expected(null) }]);
    for (const only of [true, false]) expect((await run(pack, store, spl(only), reader)).rows, `summariesonly=${only}`).toEqual([{ count: expected(null) }]);
    await store.deleteIndex('other');
    for (const only of [true, false]) expect((await run(pack, store, spl(only), reader)).rows, `summariesonly=${only}`).toEqual([{ count: expected('other') }]);
    for (const s of SEARCHES) expect((await run(pack, store, s.replace('X', 'true'), reader)).rows, s).toEqual((await run(pack, store, s.replace('X', 'false'), null)).rows);
  });

  it('damaged in summaries.db: read raw with a warning, never a wrong count', async () => {
    const damages = [
      'UPDATE segments SET cols = substr(cols, 1, length(cols) / 2) WHERE id = ?', // truncated columns
      'UPDATE segments SET rows = rows - 3 WHERE id = ?', // a row count that does not fit the columns
      "UPDATE segments SET lex = json_set(lex, '$.lexicons[0]', json('[]')) WHERE id = ?", // ids past a lexicon
      "UPDATE segments SET lex = '{' WHERE id = ?",
    ];
    for (const damage of damages) {
      const { store, dir } = await newStore();
      await store.append(events(300));
      const { db, builder, reader } = setup(pack, store, dir);
      await builder.catchUp();
      const raw = new Database(join(dir, SUMMARY_DB_FILE));
      raw.prepare(damage).run(db.bucketSegments('Endpoint.Processes', T0 - (T0 % 3600))[0]!.id);
      raw.close();
      for (const only of ['true', 'false']) {
        const spl = `| tstats summariesonly=${only} count min(_time) values(Processes.process_id) ${PROC} by Processes.process_name`;
        const warnings: string[] = [];
        const { results } = await runSearch(spl, { source: store, macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW, summaries: reader, onWarning: (m) => warnings.push(m) });
        expect(results.map(toObject), damage).toEqual((await run(pack, store, spl, null)).rows);
        expect(warnings, damage).toEqual([expect.stringMatching(/^tstats: the summaries of Endpoint.Processes cannot be read \(summary segment \d+ is damaged: .*reading raw events instead/)]);
      }
    }
  });

  it('summaries of another store (vigil.db deleted, summaries.db kept) are not used, and the builder starts over', async () => {
    const { store, dir } = await newStore();
    await store.append(events(400));
    const first = setup(pack, store, dir);
    expect(await first.builder.catchUp()).toBe(400);
    await store.close();
    for (const f of ['vigil.db', 'vigil.db-wal', 'vigil.db-shm']) rmSync(join(dir, f), { force: true });
    const fresh = await openStore(dir);
    closers.push(() => fresh.close());
    await fresh.append(events(120, 1000)); // seqs 1..120 again, other events
    const count = `| tstats summariesonly=false count ${PROC} by Processes.process_name`;
    const raw = (await run(pack, fresh, count, null)).rows;
    expect(raw.length).toBeGreaterThan(0);
    // Before: seqs up to 400 counted as summarized, so these events were missing and the old store's counted.
    const readDb = openSummaryDb(dir, true)!;
    closers.push(() => readDb.close());
    const reader = new SummaryReader({ db: readDb, store: fresh, bucketSeconds: 3600, maxRemainderEvents: 1_000_000, maxCachedRows: 100_000 });
    expect((await run(pack, fresh, count, reader)).rows).toEqual(raw);
    const again = setup(pack, fresh, dir);
    expect(again.builder.state('Endpoint.Processes')!.builtSeq).toBe(0);
    expect(await again.builder.catchUp()).toBe(120);
    const only = await run(pack, fresh, count.replace('false', 'true'), again.reader);
    expect(only).toEqual({ rows: raw, scanned: 0 });
  });

  it('a summaries.db that is not a database: a STORE error naming the file and the remedy (vigil serve said "internal error")', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-'));
    const file = join(dir, SUMMARY_DB_FILE);
    writeFileSync(file, 'not a database, just text '.repeat(100));
    let err: unknown;
    try {
      openSummaryDb(dir, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'STORE', reason: 'STORE_IO', message: `cannot open the data model summaries ${file}: file is not a database; delete the file and vigil serve rebuilds them from the events` });
  });
});

describe('reading the store by seq range', () => {
  it('reads exactly the seqs of the range, across hourly tables, newest first', async () => {
    const { store } = await newStore();
    const all = events(200); // ~5.4 hours: several bucket tables
    await store.append(all);
    const read = async (from: number, to: number) => {
      const out: Event[] = [];
      for await (const b of store.seqRange(from, to).scan(emptyScanRequest())) out.push(...b);
      return out;
    };
    const got = await read(37, 151);
    expect(got.map((e) => e._raw)).toEqual(all.slice(36, 151).reverse().map((e) => e._raw));
    expect(await read(151, 37)).toEqual([]);
    expect((await read(-5, 2)).map((e) => e._time)).toEqual([all[1]!._time, all[0]!._time]);
    expect((await read(199, 10_000)).length).toBe(2);
  });

  it('seqEvents reads the same events without time order (each table in seq order)', async () => {
    const { store } = await newStore();
    const all = events(200);
    await store.append(all);
    const read = async (from: number, to: number) => {
      const out: Event[] = [];
      for await (const b of store.seqEvents(from, to)) out.push(...b);
      return out;
    };
    const got = await read(37, 151);
    expect(got.map((e) => e._raw).sort()).toEqual(all.slice(36, 151).map((e) => e._raw).sort());
    // Within a table (an index's hour's sourcetype), in seq order: oldest first here, the times grow with the seqs.
    const tables = new Map<string, number[]>();
    for (const e of got) {
      const k = `${e.index} ${Math.floor(e._time / 3600)} ${e.sourcetype}`;
      tables.set(k, [...(tables.get(k) ?? []), e._time]);
    }
    expect(tables.size).toBeGreaterThan(2);
    for (const times of tables.values()) expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(await read(151, 37)).toEqual([]);
    expect((await read(199, 10_000)).length).toBe(2);
  });
});

describe('segments', () => {
  it('keep the number 1, the text "1" and the multivalue ["1"] as different values', () => {
    const sb = new SegmentBuilder(['v']);
    for (const v of [1, '1', ['1'], [1], '1', 1, ['1']]) sb.add(new Row({ _time: T0, v }));
    const s = sb.build();
    expect(s.lexicons[0]).toEqual([1, '1', ['1'], [1]]);
    expect([...s.ids[0]!]).toEqual([1, 2, 3, 4, 2, 1, 3]);
  });

  it('give each distinct value one id, in first-seen order, however many there are (0 and -0 alike, NaN is NaN)', () => {
    // Deterministic values: many distinct strings and numbers (tables grow), repeats, runs, lookalikes.
    let x = 7;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    const pick = (): FieldValue | null => {
      const r = next() % 12;
      if (r === 0) return null;
      if (r < 4) return `v${next() % 30_000}`;
      if (r < 7) return next() % 30_000;
      if (r === 7) return [0, -0, NaN, 0.5, -1e300, 2 ** 53][next() % 6]!;
      if (r === 8) return String(next() % 50);
      if (r === 9) return next() % 2 ? [`a${next() % 5}`, next() % 3] : [String(next() % 3)];
      return 'same';
    };
    const values = Array.from({ length: 60_000 }, pick);
    const sb = new SegmentBuilder(['v']);
    for (const v of values) sb.add(new Row({ _time: T0, v }));
    const s = sb.build();
    // The reference: a value's identity is its type and value, as SameValueZero sees them.
    const identity = (v: FieldValue) => (typeof v === 'number' ? `n:${v === 0 ? 0 : v}` : JSON.stringify(v));
    const lexicon: FieldValue[] = [];
    const seen = new Map<string, number>();
    const ids = values.map((v) => {
      if (v === null) return 0;
      const k = identity(v);
      if (!seen.has(k)) seen.set(k, lexicon.push(v));
      return seen.get(k)!;
    });
    expect(s.lexicons[0]!.map(identity)).toEqual(lexicon.map(identity));
    expect(s.ids[0]).toBeInstanceOf(Uint16Array);
    expect([...s.ids[0]!]).toEqual(ids);
    // Compaction re-encodes a segment into the same rows.
    const again = new SegmentBuilder(['v']);
    again.addSegment(s);
    again.addSegment(s);
    const twice = again.build();
    expect(twice.lexicons[0]!.map(identity)).toEqual(lexicon.map(identity));
    expect([...twice.ids[0]!]).toEqual([...ids, ...ids]);
    // Fields are matched by name; one the segment lacks is null.
    const other = new SegmentBuilder(['w', 'v']);
    other.add(new Row({ _time: T0 + 1, w: 'x', v: 'same' }));
    other.addSegment(s);
    const mixed = other.build();
    expect(mixed.times.length).toBe(values.length + 1);
    expect(mixed.times[1]).toBe(T0);
    expect(mixed.lexicons).toEqual([['x'], ['same', ...lexicon.filter((v) => v !== 'same')]]);
    expect([...mixed.ids[0]!]).toEqual([1, ...values.map(() => 0)]);
  });
});

describe('acceleration settings and status', () => {
  it('accelerate Endpoint over 7 days by default; the config turns models on and off with file:line errors', () => {
    expect([...accelerationSettings(undefined, undefined).models]).toEqual([['Endpoint', 7 * 86400]]);
    const s = accelerationSettings({ Endpoint: { acceleration: false }, Network_Traffic: { summary_range: '30d' }, Risk: { summary_range: 'all' } }, { chunk_events: 500 });
    expect([...s.models]).toEqual([['Network_Traffic', 30 * 86400], ['Risk', null]]);
    expect(s.chunkEvents).toBe(500);
    const at = (p: (string | number)[]) => `vigil.yml:${p.length}: `;
    expect(() => accelerationSettings({ Endpoint: { acceleration: 'yes' } }, undefined, at)).toThrow('vigil.yml:3: datamodels.Endpoint.acceleration must be true or false');
    expect(() => accelerationSettings({ Endpoint: { summary_range: '5m' } }, undefined, at)).toThrow('datamodels.Endpoint.summary_range must be a duration of at least 1h');
    expect(() => accelerationSettings({ Endpoint: { range: '7d' } }, undefined, at)).toThrow('datamodels.Endpoint.range is not a known setting');
    expect(() => accelerationSettings(undefined, { chunk_events: 0 }, at)).toThrow('acceleration.chunk_events must be a whole number of at least 1');
    // The builder's timer: node runs a timer over 2^31-1 ms (24.8 days) after 1 ms, so 30d caught up without pause.
    expect(accelerationSettings(undefined, { interval: '24d' }).intervalSeconds).toBe(24 * 86400);
    expect(() => accelerationSettings(undefined, { interval: '30d' }, at)).toThrow('vigil.yml:2: acceleration.interval must be at most 24 days');
  });

  it('name each config entry that is no data model of the content, at its file:line (vigil serve warns at start)', async () => {
    // `endpoint: {acceleration: false}` left Endpoint accelerated and `Netwrok_Traffic` was never accelerated, without a word.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-accel-unknown-'));
    const file = join(dir, 'vigil.yml');
    writeFileSync(file, 'datamodels:\n  endpoint: { acceleration: false }\n  Netwrok_Traffic: { acceleration: true }\n  Risk: { acceleration: true }\n  Nope: {}\n');
    const cfg = await loadConfig({ file, flags: { dataDir: dir } });
    const names = pack.dataModels.names();
    expect(unknownDataModels(cfg.datamodels, names, cfg.at)).toEqual([
      `${file}:2: datamodels.endpoint names no data model of the content: did you mean Endpoint?`,
      `${file}:3: datamodels.Netwrok_Traffic names no data model of the content: did you mean Network_Traffic?`,
      `${file}:5: datamodels.Nope names no data model of the content (data models: ${names.join(', ')})`,
    ]);
    const example = await loadConfig({ file: join(import.meta.dirname, '..', '..', 'src', 'config', 'vigil.example.yml'), flags: { dataDir: dir } });
    expect(unknownDataModels(example.datamodels, names, example.at)).toEqual([]);
    expect(unknownDataModels(undefined, names)).toEqual([]);
  });

  it('parse the documented example config', async () => {
    const example = join(import.meta.dirname, '..', '..', 'src', 'config', 'vigil.example.yml');
    const cfg = await loadConfig({ file: example, flags: { dataDir: mkdtempSync(join(tmpdir(), 'vigil-accel-example-')) } });
    const s = accelerationSettings(cfg.datamodels, cfg.acceleration, cfg.at);
    expect([...s.models]).toEqual([['Endpoint', 7 * 86400]]);
    expect(s).toMatchObject({ intervalSeconds: 1, chunkEvents: 20000, maxSegmentsPerBucket: 16, maxRemainderEvents: 1000000, maxCachedRows: 5000000 });
  });

  it('report coverage, lag, rows and size per dataset', async () => {
    const { store, dir } = await newStore();
    await store.append(events(100));
    let now = NOW;
    const service = new AccelerationService(dir, store, accelerationSettings({ Shop: {} }, undefined), pack, 'UTC', () => now);
    closers.unshift(() => service.close());
    await service.catchUp();
    await store.append(events(100, 100));
    now += 30;
    const byKey = new Map(service.status().map((s) => [`${s.model}.${s.dataset}`, s]));
    const orders = byKey.get('Shop.Orders')!;
    expect(orders).toMatchObject({ accelerated: true, coveragePercent: 50, lagSeconds: 30, rows: 20, summaryRangeSeconds: 7 * 86400, lastError: null });
    expect(orders.sizeBytes).toBeGreaterThan(0);
    expect(byKey.get('Endpoint.Processes')).toMatchObject({ accelerated: true, coveragePercent: 50, rows: 80 });
    expect(byKey.get('Network_Traffic.All_Traffic')).toMatchObject({ accelerated: false, rows: 0, definitionHash: null });
    await service.catchUp();
    expect(service.status().find((s) => s.dataset === 'Orders')).toMatchObject({ coveragePercent: 100, lagSeconds: 0, rows: 40 });
  });
});
