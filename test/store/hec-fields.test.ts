/**
 * HEC indexed fields (`Event.fields`) in the SQLite store: kept through every read path and a restart, in tables made
 * before migration 7 too, and never hidden by a pushdown that reads `_raw` or the indexed process name (their
 * values are not in `_raw`).
 */
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest, type EventSource, type ScanRequest } from '../../src/events/scan.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { createHecServer, type HecServer } from '../../src/hec/index.js';
import { runSearch } from '../../src/spl/index.js';
import { partTable } from '../../src/store/schema.js';
import { STORE_FILE, openStore, type SqliteStore, type StoreOptions } from '../../src/store/sqlite-store.js';
import { auth, hecConfig, send } from '../hec/helpers.js';
import { REPO, cleanupDirs, tempDir } from './helpers.js';

afterAll(cleanupDirs);

const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z: the first hour's bucket starts at 1_699_999_200
const EXEC = 'cisco:isovalent:processExec';

/** A Tetragon process_exec line of `binary` (its process_name: the basename). */
function execLine(binary: string, i: number): string {
  return JSON.stringify({ process_exec: { process: { exec_id: `id-${i}`, pid: 100 + i, binary, arguments: '-q' }, parent: { binary: '/bin/sh' } }, node_name: 'n1', time: '2023-11-14T22:13:20Z' });
}

function ev(t: number, raw: string, extra: Partial<Event> = {}): Event {
  return { _time: t, index: 'main', sourcetype: 'app', source: 'http:test', host: 'h', _raw: raw, ...extra };
}

/** Kubernetes metadata a HEC client sent beside a pod's log line, which does not name the pod. */
const POD_FIELDS = { 'k8s.pod.name': 'web-1', 'k8s.namespace.name': 'shop', tags: ['a', 'b'] };

// Appended in this order (seqs 1..6), two batches.
const FIRST: Event[] = [
  ev(T0, 'plain line'),
  ev(T0 + 1, 'GET /health 200', { fields: POD_FIELDS }),
  ev(T0 + 2, execLine('/usr/bin/wget', 1), { sourcetype: EXEC, fields: { process_name: 'curl' } }),
];
const SECOND: Event[] = [
  ev(T0 + 3, execLine('/usr/bin/wget', 2), { sourcetype: EXEC }),
  ev(T0 + 4, 'nul\u0000and unicode', { fields: { 'straße': 'größe', empty: '' } }),
  ev(T0 + 5, 'GET /web-1/index 200'), // names the pod in its text, has no fields
];
const ALL = [...FIRST, ...SECOND];
const newestFirst = (events: readonly Event[]): Event[] => [...events].sort((a, b) => b._time - a._time);

async function collect(src: EventSource | AsyncGenerator<Event[]>, req: Partial<ScanRequest> = {}): Promise<Event[]> {
  const out: Event[] = [];
  const it = Symbol.asyncIterator in src ? src : src.scan({ ...emptyScanRequest(), ...req });
  for await (const b of it) out.push(...b);
  return out;
}

/**
 * Events as compared: `fields` only when the event has them (no property at all otherwise: nothing per event);
 * without what readers may add (`json`, the scan thread's `spans`).
 */
function shape(events: readonly Event[]): unknown[] {
  return events.map((e) => {
    expect(Object.hasOwn(e, 'fields')).toBe(e.fields !== undefined);
    const { json: _json, spans: _spans, ...rest } = e as Event & { spans?: unknown };
    return rest;
  });
}

const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
async function open(dir: string, options: StoreOptions = {}): Promise<SqliteStore> {
  const s = await openStore(dir, options);
  stores.push(s);
  return s;
}

/** Every way the store reads events, each giving them newest first (seqEvents: sorted here, it has no order). */
async function everyPath(dir: string, req: Partial<ScanRequest> = {}): Promise<Record<string, Event[]>> {
  const here = await open(dir, { readonly: true, scanThreadMinEvents: Infinity });
  const thread = await open(dir, { readonly: true, scanThreadMinEvents: 0 });
  const out: Record<string, Event[]> = {};
  out.main = await collect(here, req);
  out.thread = await collect(thread, req);
  expect(thread.scannedOnThread).toBe(true);
  const last = here.lastSeq();
  out.subset = await collect(here.subset(Array.from({ length: last }, (_, i) => i + 1)), req);
  out.seqRange = await collect(here.seqRange(1, last), req);
  if (Object.keys(req).length === 0) out.seqEvents = newestFirst(await collect(here.seqEvents(1, last)));
  return out;
}

describe('HEC indexed fields in the SQLite store', () => {
  it('gives every event its fields back on every read path and after a restart; events without have none', async () => {
    const dir = tempDir();
    let store = await openStore(dir);
    expect((await store.append(FIRST)).firstSeq).toBe(1);
    expect((await store.append(SECOND)).firstSeq).toBe(4);
    for (const [path, got] of Object.entries(await everyPath(dir))) expect(shape(got), path).toEqual(shape(newestFirst(ALL)));
    await store.close();
    // Restarted: the same, and a new batch beside them.
    store = await openStore(dir);
    const later = ev(T0 + 6, 'after restart', { fields: { 'k8s.pod.name': 'web-2' } });
    await store.append([later]);
    await store.close();
    for (const [path, got] of Object.entries(await everyPath(dir))) expect(shape(got), path).toEqual(shape(newestFirst([...ALL, later])));
    // The column holds the stored text, NULL for none.
    const db = new Database(`${dir}/${STORE_FILE}`, { readonly: true });
    const parts = db.prepare<[], { bucket_id: number; st: number; has_f: number }>('SELECT bucket_id, st, has_f FROM bucket_parts ORDER BY st').all();
    expect(parts.map((p) => p.has_f)).toEqual([1, 1]);
    const texts = parts.flatMap((p) => db.prepare<[], string | null>(`SELECT f FROM ${partTable(p.bucket_id, p.st)} ORDER BY rowid`).pluck().all());
    expect(texts.sort()).toEqual(
      [
        '{"k8s.pod.name":"web-1","k8s.namespace.name":"shop","tags":["a","b"]}',
        '{"process_name":"curl"}',
        '{"straße":"größe","empty":""}',
        '{"k8s.pod.name":"web-2"}',
        null,
        null,
        null,
      ].sort(),
    );
    db.close();
  });

  it('lets events with fields through the raw-text and process-name pushdowns, in SQL and in the row test', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.append(ALL);
    await store.close();
    const [, pod, curl, wget, unicode, podInText] = ALL as [Event, Event, Event, Event, Event, Event];
    const cases: [Partial<ScanRequest>, Event[]][] = [
      // An ASCII literal: SQL's LIKE.
      [{ raw: { kind: 'contains', text: 'web-1' } }, [podInText, unicode, curl, pod]],
      // A regex: tested in JavaScript (the row test).
      [{ raw: { kind: 'regex', source: 'web-\\d', flags: '' } }, [podInText, unicode, curl, pod]],
      // The indexed process name (`pn`): the wget line's `_raw` says wget, its indexed field curl.
      [{ metadata: [{ field: 'sourcetype', patterns: [EXEC] }], indexed: [{ field: 'process_name', values: ['curl'] }], raw: { kind: 'contains', text: 'curl' } }, [curl]],
    ];
    for (const [req, want] of cases) {
      for (const [path, got] of Object.entries(await everyPath(dir, req))) expect(shape(got), `${path} ${JSON.stringify(req)}`).toEqual(shape(want));
    }
    expect(wget.fields).toBeUndefined();
    // Through the engine: the search decides.
    for (const scanThreadMinEvents of [Infinity, 0]) {
      const s = await open(dir, { readonly: true, scanThreadMinEvents });
      const rows = async (spl: string): Promise<string[][]> =>
        (await runSearch(spl, { source: s, now: T0 + 3600 })).results.map((r) => [...r.fieldNames()].filter((f) => f === '_raw' || f === 'k8s.pod.name').sort().map((f) => `${f}=${valuesOf(r.get(f)).map(toText).join(',')}`));
      expect(await rows('k8s.pod.name=web-1 | table _raw k8s.pod.name')).toEqual([['_raw=GET /health 200', 'k8s.pod.name=web-1']]);
      expect(await rows(`sourcetype="${EXEC}" process_name=curl | table _raw`)).toEqual([[`_raw=${curl._raw}`]]);
      const counts = await runSearch('index=main | stats count by k8s.namespace.name', { source: s, now: T0 + 3600 });
      expect(counts.results.map((r) => [r.get('k8s.namespace.name'), r.get('count')])).toEqual([['shop', 1]]);
    }
  });

  it('vigil search --data-dir finds events by their indexed fields, on one thread and two (the built CLI)', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.append(ALL);
    await store.close();
    const [, pod, curl] = ALL as [Event, Event, Event];
    const search = (spl: string, threads: string): string[] => {
      const r = spawnSync(process.execPath, [`${REPO}/bin/vigil.js`, 'search', spl, '--data-dir', dir, '--threads', threads, '--earliest', '0'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      expect(r.stderr, spl).toBe('');
      return r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { _raw: string })._raw);
    };
    for (const threads of ['1', '2']) {
      expect(search('k8s.pod.name=web-1 | table _raw', threads)).toEqual([pod._raw]);
      expect(search(`sourcetype="${EXEC}" process_name=curl | table _raw`, threads)).toEqual([curl._raw]);
    }
  });

  it('reads and extends a store whose tables were made before migration 7 (no column `f`)', async () => {
    const dir = tempDir();
    let store = await openStore(dir);
    await store.append([ev(T0 - 10, 'old one'), ev(T0 - 9, execLine('/usr/bin/wget', 9), { sourcetype: EXEC })]);
    await store.close();
    // What a build before migration 7 left.
    let db = new Database(`${dir}/${STORE_FILE}`);
    const old = db.prepare<[], { bucket_id: number; st: number }>('SELECT bucket_id, st FROM bucket_parts').all();
    for (const p of old) db.exec(`ALTER TABLE ${partTable(p.bucket_id, p.st)} DROP COLUMN f`);
    db.exec('ALTER TABLE bucket_parts DROP COLUMN has_f');
    db.pragma('user_version = 6');
    db.close();
    store = await openStore(dir);
    const before = [ev(T0 - 9, execLine('/usr/bin/wget', 9), { sourcetype: EXEC }), ev(T0 - 10, 'old one')];
    expect(shape(await collect(store))).toEqual(shape(before));
    // The same hour (its old tables, given the column now) and two hours later (new tables).
    const later = ALL.map((e) => ({ ...e, _time: e._time + 7200 }));
    await store.append([...ALL, ...later]);
    await store.close();
    db = new Database(`${dir}/${STORE_FILE}`, { readonly: true });
    const columns = (t: string) => db.prepare<[], { name: string }>(`PRAGMA table_info(${t})`).all().map((c) => c.name);
    for (const p of db.prepare<[], { bucket_id: number; st: number; has_f: number }>('SELECT bucket_id, st, has_f FROM bucket_parts').all()) {
      expect(columns(partTable(p.bucket_id, p.st)).includes('f'), `${p.bucket_id}/${p.st}`).toBe(p.has_f === 1);
      expect(p.has_f).toBe(1); // each table got an event with fields
    }
    db.close();
    const want = newestFirst([...before, ...ALL, ...later]);
    for (const [path, got] of Object.entries(await everyPath(dir))) expect(shape(got), path).toEqual(shape(want));
    const req: Partial<ScanRequest> = { raw: { kind: 'contains', text: 'web-1' } };
    for (const [path, got] of Object.entries(await everyPath(dir, req))) expect(got.map((e) => e._time), path).toEqual([T0 + 7205, T0 + 7204, T0 + 7202, T0 + 7201, T0 + 5, T0 + 4, T0 + 2, T0 + 1]);
  });

  it('an old table that never gets an event with fields keeps its layout and reads as none', async () => {
    const dir = tempDir();
    let store = await openStore(dir);
    await store.append([ev(T0, 'a')]);
    await store.close();
    let db = new Database(`${dir}/${STORE_FILE}`);
    db.exec(`ALTER TABLE ${partTable(1, 1)} DROP COLUMN f; ALTER TABLE bucket_parts DROP COLUMN has_f`);
    db.pragma('user_version = 6');
    db.close();
    store = await openStore(dir);
    await store.append([ev(T0 + 1, 'b')]);
    await store.close();
    db = new Database(`${dir}/${STORE_FILE}`, { readonly: true });
    expect(db.prepare('SELECT has_f FROM bucket_parts').pluck().all()).toEqual([0]);
    db.close();
    for (const [path, got] of Object.entries(await everyPath(dir))) expect(shape(got), path).toEqual(shape([ev(T0 + 1, 'b'), ev(T0, 'a')]));
  });
});

describe('the size of an index holding indexed fields', () => {
  it("counts the fields' text beside _raw, in indexes() and in retention's maxSize", async () => {
    const dir = tempDir();
    const store = await open(dir, { bucketSeconds: 60 });
    // Two one-minute buckets: short lines carrying large fields (what a HEC client may send), then a plain one.
    const big = { note: 'x'.repeat(10_000) };
    const old = [ev(T0, 'a', { fields: big }), ev(T0 + 1, 'b', { fields: big })];
    const newer = [ev(T0 + 120, 'c')];
    await store.append([...old, ...newer]);
    const text = Buffer.byteLength(JSON.stringify(big));
    const main = (await store.indexes()).find((i) => i.name === 'main')!;
    expect(main.bytes).toBe(3 + 2 * text);
    // A limit the lines alone are far below: the older bucket's fields put the index over it, so it goes.
    store.setRetention({ main: { maxBytes: 1000 } });
    const report = await store.applyRetention(T0 + 180);
    expect(report.deleted).toEqual([{ index: 'main', events: 2, before: T0 - (T0 % 60) + 60 }]);
    expect((await collect(store)).map((e) => e._raw)).toEqual(['c']);
  });
});

describe('HEC /services/collector/event with fields, then a search of the store', () => {
  let hec: HecServer | null = null;
  afterEach(async () => {
    await hec?.close();
    hec = null;
  });

  it('stores the envelope fields and finds the event by them', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    hec = createHecServer({ config: hecConfig(), store, now: () => 1_700_000_000_000, defaultHost: 'h' });
    const { url } = await hec.listen();
    const body =
      JSON.stringify({ event: 'GET /health 200', time: T0, fields: { 'k8s.pod.name': 'web-1', 'k8s.namespace.name': 'shop', tags: ['a', 'b'], n: 5, gone: null } }) +
      JSON.stringify({ event: 'GET /other 200', time: T0 + 1 });
    const r = await send(url, '/services/collector/event', { body, headers: auth() });
    expect(r.status).toBe(200);
    await store.close();
    const reader = await open(dir, { readonly: true });
    const found = await runSearch('k8s.pod.name=web-1 | table _raw tags n gone', { source: reader, now: T0 + 3600 });
    expect(found.results.map((x) => [x.get('_raw'), x.get('tags'), x.get('n'), x.get('gone')])).toEqual([['GET /health 200', ['a', 'b'], '5', null]]);
    const events = await collect(reader);
    expect(events.map((e) => e.fields)).toEqual([undefined, { 'k8s.pod.name': 'web-1', 'k8s.namespace.name': 'shop', tags: ['a', 'b'], n: '5' }]);
  });
});
