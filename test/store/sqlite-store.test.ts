import { afterAll, afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Event } from '../../src/events/event.js';
import { compileRawFilter, emptyScanRequest, type MetadataConstraint, type RawFilter, type ScanRequest } from '../../src/events/scan.js';
import { VigilError } from '../../src/errors.js';
import { openStore, STORE_FILE, type SqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/types.js';
import { groupSql, rawCondition, type BucketRef, type ScanPlan } from '../../src/store/reader.js';
import { MAX_SOURCETYPE_TABLES, MIXED_PART, createPartSql, microsAtOrAfter } from '../../src/store/schema.js';
import { scanTetragonText, type IndexedEvent } from '../../src/normalize/tetragon-index.js';
import { isIsovalentSourcetype } from '../../src/normalize/tetragon.js';
import { REPO, bruteForce, cleanupDirs, collect, event, pick, plain, rng, tempDir, toVersion4 } from './helpers.js';

const T0 = 1_700_000_000;
const open: SqliteStore[] = [];

async function store(opts: Parameters<typeof openStore>[1] = {}, dir = tempDir()): Promise<SqliteStore> {
  const s = await openStore(dir, opts);
  open.push(s);
  return s;
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(cleanupDirs);

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** Bounded batches, abort and early exit: the contract of a scan on this thread and on the scan thread alike. */
async function batchesAbortEarlyExit(s: SqliteStore): Promise<void> {
  await s.append(Array.from({ length: 1050 }, (_, i) => event({ _time: T0 + i })));
  const sizes: number[] = [];
  const progress: number[] = [];
  for await (const b of s.scan(emptyScanRequest(), { onProgress: (p) => progress.push(p.scanned) })) sizes.push(b.length);
  expect(sizes).toEqual([...Array<number>(10).fill(100), 50]);
  expect(progress.at(-1)).toBe(1050);

  for await (const b of s.scan(emptyScanRequest())) {
    expect(b[0]!._time).toBe(T0 + 1049);
    break; // releases the connection (on the scan thread: the worker stops and ends its read transaction)
  }
  const ac = new AbortController();
  const it = s.scan(emptyScanRequest(), { signal: ac.signal });
  await it.next();
  ac.abort(new Error('stop'));
  await expect(it.next()).rejects.toThrow('stop');
  const aborted = new AbortController();
  aborted.abort(new Error('before'));
  await expect(s.scan(emptyScanRequest(), { signal: aborted.signal }).next()).rejects.toThrow('before');
}

/** A scan started before 200 appends sees the 100 events of its snapshot; `meanwhile` runs before it is drained. */
async function snapshotWhileAppending(s: SqliteStore, meanwhile: () => Promise<void>): Promise<void> {
  await s.append(Array.from({ length: 100 }, (_, i) => event({ _time: T0 + i })));
  const it = s.scan(emptyScanRequest());
  const first = await it.next();
  expect(first.done).toBe(false);
  await s.append(Array.from({ length: 50 }, (_, i) => event({ _time: T0 + 1000 + i })));
  await s.append(Array.from({ length: 50 }, (_, i) => event({ _time: T0 + 50.5 + i / 100 })));
  await meanwhile();
  let n = first.done ? 0 : first.value.length;
  for (let r = await it.next(); !r.done; r = await it.next()) n += r.value.length;
  expect(n).toBe(100);
}

describe('append and scan', () => {
  it('round-trips exact microsecond times and all metadata, newest first', async () => {
    const s = await store();
    const events: Event[] = [
      event({ _time: T0 + 0.000001, index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 'http:hec', host: 'node-1', _raw: '{"a":1}' }),
      event({ _time: T0 + 0.999999, index: 'risk', sourcetype: 'stash', source: 'vigil', host: 'node-2', _raw: 'ünïcödé ✓ 𝄞' }),
      event({ _time: 1_000_000_000.123456, index: 'notable', sourcetype: 'x', source: '', host: '', _raw: '' }),
      event({ _time: -12.5, index: 'custom_idx', sourcetype: 'Mixed:Case', source: '/var/log/a b', host: 'H', _raw: 'nul\0inside' }),
      event({ _time: 4_000_000_000.999999, _raw: 'far future' }),
    ];
    expect(await s.append(events)).toEqual({ count: 5, firstSeq: 1 });
    const got = await collect(s);
    expect(plain(got)).toEqual(plain(bruteForce(events, emptyScanRequest())));
    expect(got.map((e) => e._time)).toEqual([4_000_000_000.999999, T0 + 0.999999, T0 + 0.000001, 1_000_000_000.123456, -12.5]);
    // Edge bounds: exact at the microsecond, infinite, NaN (the engine's comparison then excludes nothing).
    const times = async (earliest: number | null, latest: number | null) => (await collect(s, { earliest, latest })).map((e) => e._time);
    expect(await times(T0 + 0.000001, T0 + 0.999999)).toEqual([T0 + 0.000001]);
    expect(await times(-Infinity, -12.5)).toEqual([]);
    expect(await times(-12.5, 0)).toEqual([-12.5]);
    expect(await times(Infinity, null)).toEqual([]);
    expect((await times(Number.NaN, Number.NaN)).length).toBe(5);
  });

  it('orders ties by reverse insertion, across batches and indexes', async () => {
    const s = await store();
    const mk = (i: number, index: string) => event({ _time: T0 + 1.5, index, _raw: `e${i}` });
    await s.append([mk(0, 'main'), mk(1, 'risk'), mk(2, 'main')]);
    await s.append([mk(3, 'risk'), event({ _time: T0 + 2, _raw: 'later' }), mk(4, 'main')]);
    await s.append([event({ _time: T0 + 1, _raw: 'earlier' })]);
    expect((await collect(s)).map((e) => e._raw)).toEqual(['later', 'e4', 'e3', 'e2', 'e1', 'e0', 'earlier']);
  });

  it('rejects a batch with an invalid event as a whole', async () => {
    const s = await store();
    const bad = [event({ _time: T0 }), event({ _time: Number.NaN }), event({ _time: T0 + 1 })];
    const err = await rejection(s.append(bad));
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).message).toMatch(/event 1/);
    await expect(s.append([event({ _time: T0, index: '' })])).rejects.toThrow(/index/);
    expect(await collect(s)).toEqual([]);
    expect(await s.append([])).toEqual({ count: 0 });
  });

  it('returns bounded batches and honours abort and early exit', async () => {
    await batchesAbortEarlyExit(await store({ scanBatchSize: 100 }));
  });

  it('scans a consistent snapshot while appends commit', async () => {
    const s = await store({ scanBatchSize: 10 });
    await snapshotWhileAppending(s, async () => {});
    expect((await collect(s)).length).toBe(200);
  });
});

describe('pushdowns', () => {
  const INDEXES = ['main', 'risk', 'notable', 'Other'];
  const STS = ['cisco:isovalent:processExec', 'cisco:isovalent:processConnect', 'cisco:isovalent', 'stash', 'Cisco:Isovalent:ProcessExec'];
  const SOURCES = ['http:hec', 'http:other', '/var/log/tetragon.log', 'vigil'];
  const HOSTS = ['node-1', 'node-2', 'NODE-3', 'worker-a', 'worker-b', 'x'];
  const WORDS = ['curl', 'CURL', 'wget', '100%', 'a_b', 'back\\slash', 'ünï', 'Straße', 'bash', '--insecure'];
  /** More sourcetypes than a bucket has tables for (MAX_SOURCETYPE_TABLES): the later ones share its mixed table. */
  const MANY_STS = [...STS, ...Array.from({ length: MAX_SOURCETYPE_TABLES }, (_, i) => `kind:${i}`)];

  /**
   * The stores the brute-force contract runs on: buckets with a table per sourcetype; buckets with more sourcetypes
   * than tables (their mixed table too); and the first half written before migration 5 (each bucket one mixed table,
   * the current ones then getting sourcetype tables beside it), the second half after.
   */
  const LAYOUTS = [
    { layout: 'a table per sourcetype', bucketSeconds: 60, sts: STS, old: false },
    { layout: 'more sourcetypes than tables', bucketSeconds: 1200, sts: MANY_STS, old: false },
    { layout: 'old single-table buckets beside new ones', bucketSeconds: 60, sts: STS, old: true },
    { layout: 'more sourcetypes than tables, scanned on the scan thread', bucketSeconds: 1200, sts: MANY_STS, old: false, thread: true },
  ];

  /** The corpus appended in batches of 250 to a store of `layout`, with each event's seq (from the receipts). */
  async function loaded(l: (typeof LAYOUTS)[number]): Promise<{ s: SqliteStore; events: Event[]; seqOf: Map<Event, number> }> {
    const dir = tempDir();
    const events = corpus(3000, l.sts);
    const seqOf = new Map<Event, number>();
    const thread = 'thread' in l ? { scanThreadMinEvents: 0 } : {};
    let s = await openStore(dir, { bucketSeconds: l.bucketSeconds, ...thread });
    for (let i = 0; i < events.length; i += 250) {
      if (l.old && i === 1500) {
        await s.close();
        toVersion4(dir);
        s = await openStore(dir);
      }
      const batch = events.slice(i, i + 250);
      const { firstSeq } = await s.append(batch);
      batch.forEach((e, k) => seqOf.set(e, firstSeq! + k));
    }
    open.push(s);
    return { s, events, seqOf };
  }

  function corpus(n: number, sts: readonly string[] = STS): Event[] {
    const r = rng(7);
    const times: number[] = [];
    return Array.from({ length: n }, () =>
      event({
        // Spread over 60 one-minute buckets, with ties (10% reuse an earlier time).
        _time: times.length > 0 && r() < 0.1 ? pick(r, times) : (times.push(T0 + Math.floor(r() * 3600e6) / 1e6), times.at(-1)!),
        index: pick(r, INDEXES),
        sourcetype: pick(r, sts),
        source: pick(r, SOURCES),
        host: pick(r, HOSTS),
        _raw: `{"w":"${pick(r, WORDS)} ${pick(r, WORDS)}","n":${Math.floor(r() * 1000)}}`,
      }),
    );
  }

  function randomRequest(r: () => number, events: readonly Event[], sts: readonly string[] = STS): ScanRequest {
    const metadata: MetadataConstraint[] = [];
    const patterns = (xs: readonly string[]) => {
      const out: string[] = [];
      const k = 1 + Math.floor(r() * 2);
      for (let i = 0; i < k; i++) {
        const v = pick(r, xs);
        const c = r();
        out.push(c < 0.4 ? v : c < 0.6 ? v.toUpperCase() : c < 0.8 ? v.slice(0, 3) + '*' : '*' + v.slice(-2));
      }
      return out;
    };
    if (r() < 0.4) metadata.push({ field: 'index', patterns: patterns(INDEXES) });
    if (r() < 0.6) metadata.push({ field: 'sourcetype', patterns: patterns(sts) });
    if (r() < 0.2) metadata.push({ field: 'sourcetype', patterns: ['cisco*'] });
    if (r() < 0.3) metadata.push({ field: 'source', patterns: patterns(SOURCES) });
    if (r() < 0.3) metadata.push({ field: 'host', patterns: patterns(HOSTS) });
    const times = events.map((e) => e._time);
    const tpick = () => (r() < 0.5 ? pick(r, times) : T0 + r() * 3700 - 50);
    const a = r() < 0.7 ? tpick() : null;
    const b = r() < 0.7 ? tpick() : null;
    const [earliest, latest] = a !== null && b !== null && a > b ? [b, a] : [a, b];
    const contains = (): RawFilter => ({ kind: 'contains', text: r() < 0.8 ? pick(r, WORDS) : pick(r, WORDS).slice(1, 4) });
    const rc = r();
    const raw: RawFilter | null =
      rc < 0.4 ? null : rc < 0.7 ? contains() : rc < 0.85 ? { kind: 'and', items: [contains(), contains()] } : { kind: 'or', items: [contains(), contains()] };
    const defaultIndexes = r() < 0.5 ? 'all' : ['main', 'RISK'];
    return { earliest, latest, metadata, raw, defaultIndexes };
  }

  /** A raw filter the store can push entirely (every term ASCII and NUL-free). */
  function fullyPushable(f: RawFilter | null): boolean {
    if (f === null) return true;
    if (f.kind === 'contains') return /^[\x01-\x7f]+$/.test(f.text);
    if (f.kind === 'regex') return false;
    return f.items.every(fullyPushable);
  }

  it.each(LAYOUTS)('returns exactly what a brute-force filter returns, for random requests ($layout)', async (l) => {
    const { s, events } = await loaded(l);
    const r = rng(42);
    let pushed = 0;
    for (let q = 0; q < 250; q++) {
      const req = randomRequest(r, events, l.sts);
      const want = bruteForce(events, req);
      const got = await collect(s, req);
      const raw = compileRawFilter(req.raw);
      // Correct after the engine's re-check, always; exact when the raw filter can be pushed.
      expect(plain(got.filter((e) => !raw || raw(e._raw))), JSON.stringify(req)).toEqual(plain(want));
      if (fullyPushable(req.raw)) {
        pushed++;
        expect(got.length, JSON.stringify(req)).toBe(want.length);
      }
    }
    expect(pushed).toBeGreaterThan(100);
  });

  it.each(LAYOUTS)('subset: returns exactly the brute-force result over the chosen events, seqs from the receipts ($layout)', async (l) => {
    const { s, events, seqOf } = await loaded(l);
    const r = rng(43);
    for (let q = 0; q < 100; q++) {
      const chosen = events.filter(() => r() < (q % 2 ? 0.05 : 0.5));
      const req = randomRequest(r, events, l.sts);
      const got = await collect(s.subset(chosen.map((e) => seqOf.get(e)!)), req);
      const raw = compileRawFilter(req.raw);
      expect(plain(got.filter((e) => !raw || raw(e._raw))), JSON.stringify(req)).toEqual(plain(bruteForce(chosen, req)));
    }
    // Seqs the store does not hold (never written, or dropped by retention) are simply absent.
    expect(await collect(s.subset([0, 999_999]))).toEqual([]);
  });

  it('pushes raw terms with LIKE metacharacters and keeps NUL rows', async () => {
    const s = await store();
    const raws = ['100% sure', '100 x sure', 'a_b', 'axb', 'back\\slash', 'backslash', 'has\0nul curl', 'CuRl', 'Straße', 'STRASSE'];
    await s.append(raws.map((_raw, i) => event({ _time: T0 + i, _raw })));
    const NUL = 'has\0nul curl';
    // Rows with a NUL in _raw always come back (LIKE cannot see past a NUL): the engine's re-check decides.
    const q = async (text: string) => {
      const got = (await collect(s, { raw: { kind: 'contains', text } })).map((e) => e._raw).reverse();
      expect(got).toContain(NUL);
      return got.filter((r) => r !== NUL);
    };
    expect(await q('0%')).toEqual(['100% sure']);
    expect(await q('a_b')).toEqual(['a_b']);
    expect(await q('k\\s')).toEqual(['back\\slash']);
    expect(await q('curl')).toEqual(['CuRl']);
    expect(await q('zzz')).toEqual([]);
    // Non-ASCII: not pushed to SQL; the row test decides (the NUL row too), as the engine would.
    expect((await collect(s, { raw: { kind: 'contains', text: 'straße' } })).map((e) => e._raw)).toEqual(['Straße']);
  });

  it('maps metadata to dictionary ids and reads the indexes without sorting', () => {
    const db = new Database(':memory:');
    // Bucket 1: only its mixed table (written before migration 5); bucket 2: sourcetype tables beside its mixed one,
    // with indexed fields' texts (migration 7) in two of them.
    const group: BucketRef[] = [
      { id: 2, indexId: 1, start: 0, end: 100, parts: [3, 4, MIXED_PART], texts: [3, MIXED_PART] },
      { id: 1, indexId: 2, start: 0, end: 100, parts: [MIXED_PART] },
    ];
    // And a span of 64 indexes, past SQLite's 500 terms in a compound SELECT: nested, still merged without sorting.
    const wide: BucketRef[] = Array.from({ length: 64 }, (_, i) => ({ id: 10 + i, indexId: 10 + i, start: 0, end: 100, parts: [3, 4, 5, 6, 7, 8, 9, 10, MIXED_PART] }));
    for (const b of [...group, ...wide]) for (const st of b.parts) db.exec(createPartSql(b.id, st, 0, (b.texts ?? []).includes(st)));
    const base: ScanPlan = { lo: 10, hi: 20, indexIds: null, sourcetypeIds: null, sourceIds: null, hostIds: null, raw: null };
    const plans: ScanPlan[] = [
      base,
      { ...base, sourcetypeIds: [3] },
      { ...base, sourcetypeIds: [3, 4, 5], hostIds: [1, 2], raw: rawCondition({ kind: 'contains', text: 'curl' }) },
      { ...base, sourcetypeIds: Array.from({ length: 20 }, (_, i) => i) },
      { ...base, lo: null, hi: null },
    ];
    for (const p of plans) {
      for (const g of [group, group.slice(0, 1), wide]) {
        const q = groupSql(g, p)!;
        const detail = db
          .prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
          .all(q.params)
          .map((row) => (row as { detail: string }).detail)
          .join('\n');
        expect(detail, q.sql).not.toMatch(/TEMP B-TREE|SCAN b\d+(_s\d+)?$/m);
      }
    }
    db.close();
  });

  it('computes exact microsecond bounds', () => {
    for (const x of [T0, T0 + 0.1, T0 + 0.000001, T0 + 0.0000015, -0.5, 0, 1e-7]) {
      const n = microsAtOrAfter(x);
      expect(n / 1e6 >= x).toBe(true);
      expect((n - 1) / 1e6 < x).toBe(true);
    }
    expect(microsAtOrAfter(1e300)).toBeGreaterThan(9e15);
    expect(microsAtOrAfter(Infinity)).toBeGreaterThan(9e15);
    expect(microsAtOrAfter(-Infinity)).toBeLessThan(-9e15);
  });
});

describe('group commit and back-pressure', () => {
  it('commits many concurrent appends, each exactly once, in fewer transactions', async () => {
    const s = await store();
    const batches = Array.from({ length: 200 }, (_, b) => Array.from({ length: 50 }, (_, i) => event({ _time: T0 + b, _raw: `b${b}-${i}` })));
    const receipts = await Promise.all(batches.map((b) => s.append(b)));
    expect(receipts.every((r) => r.count === 50)).toBe(true);
    const got = await collect(s);
    expect(got.length).toBe(10_000);
    expect(new Set(got.map((e) => e._raw)).size).toBe(10_000);
    const st = s.stats();
    expect(st.committedBatches).toBe(200);
    expect(st.commits).toBeLessThan(200);
    expect(st.pendingEvents).toBe(0);
  });

  it('rejects with STORE_BUSY at once when the writer falls behind, then recovers', async () => {
    const s = await store({ writerDelayMs: 400, maxPendingEvents: 250 });
    const mk = (b: number) => Array.from({ length: 100 }, (_, i) => event({ _time: T0 + b, _raw: `b${b}-${i}` }));
    // The order appends settle in: busy rejections come before the (delayed) commits of the accepted ones.
    const settled: string[] = [];
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, b) => s.append(mk(b)).finally(() => settled.push(`b${b}`))));
    const busy = results.filter((r) => r.status === 'rejected');
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected', 'rejected']);
    for (const r of busy) {
      const e = (r as PromiseRejectedResult).reason as unknown;
      expect(e).toBeInstanceOf(StoreError);
      expect((e as StoreError).reason).toBe('STORE_BUSY');
    }
    expect(settled).toEqual(['b2', 'b3', 'b4', 'b5', 'b0', 'b1']);
    expect(s.stats().rejectedBusy).toBe(4);
    // Busy rejections happen before any waiting: while both accepted appends are still uncommitted.
    let committed = 0;
    const p1 = s.append(mk(10)).then(() => committed++);
    const p2 = s.append(mk(11)).then(() => committed++);
    await expect(s.append(mk(12))).rejects.toMatchObject({ reason: 'STORE_BUSY' });
    expect(committed).toBe(0);
    await Promise.all([p1, p2]);
    expect((await collect(s)).length).toBe(400);
  });

  it('fails with STORE_FULL on a real SQLITE_FULL, stores nothing of that batch, and works again once space is back', async () => {
    const s = await store({ bucketSeconds: 60, maxPageCount: 160 });
    const raw = 'x'.repeat(1400);
    let acked = 0;
    let full: StoreError | null = null;
    for (let b = 0; b < 400 && full === null; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => event({ _time: T0 + b * 20 + i / 100, _raw: `${b}:${i}:${raw}` }));
      try {
        await s.append(batch);
        acked++;
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
        full = e as StoreError;
      }
    }
    expect(full?.reason).toBe('STORE_FULL');
    const rows = await collect(s);
    expect(rows.length).toBe(acked * 100);
    expect(new Set(rows.map((e) => e._raw.split(':')[0])).size).toBe(acked);
    // Still full: the same batch fails the same way, and the store keeps running.
    const again = Array.from({ length: 100 }, (_, i) => event({ _time: T0 + acked * 20 + i / 100, _raw: `${acked}:${i}:${raw}` }));
    await expect(s.append(again)).rejects.toMatchObject({ reason: 'STORE_FULL' });
    expect((await collect(s)).length).toBe(acked * 100);
    // Retention frees whole buckets; appends succeed again.
    s.setRetention({}, { maxBytes: 200_000 });
    const report = await s.applyRetention(T0 + 100_000);
    expect(report.deleted[0]!.events).toBeGreaterThan(0);
    await expect(s.append([event({ _time: T0 + 99_999, _raw: 'after' })])).resolves.toEqual({ count: 1, firstSeq: acked * 100 + 1 });
    expect((await collect(s, { raw: { kind: 'contains', text: 'after' } })).length).toBe(1);
  });
});

describe('indexes and retention', () => {
  /** Minute-aligned, like the buckets. */
  const B = 60 * Math.ceil(T0 / 60);

  /** 10 one-minute buckets × 20 events in main, 5 in risk. */
  async function filled(opts: Parameters<typeof openStore>[1] = {}): Promise<{ s: SqliteStore; events: Event[] }> {
    const s = await store({ bucketSeconds: 60, ...opts });
    const events: Event[] = [];
    for (let m = 0; m < 10; m++) {
      for (let i = 0; i < 20; i++) events.push(event({ _time: B + m * 60 + i * 2.5, _raw: `m${m}-${i}-${'y'.repeat(m)}` }));
      for (let i = 0; i < 5; i++) events.push(event({ _time: B + m * 60 + i, index: 'risk', _raw: `r${m}-${i}` }));
    }
    await s.append(events);
    return { s, events };
  }

  it('reports every index with counts, bytes and time range, reserved ones included', async () => {
    const { s, events } = await filled();
    const info = await s.indexes();
    expect(info.map((i) => i.name)).toEqual(['main', 'notable', 'risk']);
    const main = info.find((i) => i.name === 'main')!;
    const mainEvents = events.filter((e) => e.index === 'main');
    expect(main.events).toBe(200);
    expect(main.bytes).toBe(mainEvents.reduce((n, e) => n + Buffer.byteLength(e._raw), 0));
    expect(main.earliest).toBe(B);
    expect(main.latest).toBe(B + 9 * 60 + 19 * 2.5);
    expect(info.find((i) => i.name === 'notable')).toEqual({ name: 'notable', events: 0, bytes: 0, earliest: null, latest: null });
  });

  it('deletes whole buckets older than maxAge and leaves the rest intact', async () => {
    const { s, events } = await filled();
    s.setRetention({ main: { maxAgeSeconds: 600 } });
    // Cutoff B+250: minutes 0-3 (newest events at m*60+47.5) are entirely older; minute 4 straddles it and stays.
    const now = B + 850;
    const report = await s.applyRetention(now);
    expect(report.deleted).toEqual([{ index: 'main', events: 80, before: B + 240 }]);
    const want = events.filter((e) => e.index !== 'main' || e._time >= B + 240);
    expect(plain(await collect(s))).toEqual(plain(bruteForce(want, emptyScanRequest())));
    expect((await s.indexes()).find((i) => i.name === 'main')).toMatchObject({ events: 120, earliest: B + 240 });
    expect((await s.applyRetention(now)).deleted).toEqual([]);
  });

  it('lets a scan finish its snapshot while retention drops the buckets it reads', async () => {
    const { s, events } = await filled({ scanBatchSize: 10 });
    const it = s.scan(emptyScanRequest());
    const first = await it.next();
    s.setRetention({}, { maxBytes: 1 });
    expect((await s.applyRetention(B)).deleted.length).toBe(2);
    const seen = first.done ? [] : [...first.value];
    for (let r = await it.next(); !r.done; r = await it.next()) seen.push(...r.value);
    expect(plain(seen)).toEqual(plain(bruteForce(events, emptyScanRequest())));
    expect((await collect(s)).length).toBe(25);
  });

  it('applies retention without blocking the caller (applyRetentionAsync), between commits', async () => {
    const { s, events } = await filled();
    s.setRetention({}, { maxAgeSeconds: 600 });
    const appending = s.append([event({ _time: B + 1000, _raw: 'new' })]);
    const report = await s.applyRetention(B + 850);
    await appending;
    expect(report.deleted).toEqual([
      { index: 'main', events: 80, before: B + 240 },
      { index: 'risk', events: 25, before: B + 300 }, // risk's newest in minute 4 is B+244 < cutoff B+250
    ]);
    const kept = events.filter((e) => e._time >= (e.index === 'main' ? B + 240 : B + 300));
    const want = [...kept, event({ _time: B + 1000, _raw: 'new' })];
    expect(plain(await collect(s))).toEqual(plain(bruteForce(want, emptyScanRequest())));
  });

  it('deletes the oldest buckets while an index is over maxBytes, keeping the newest', async () => {
    const { s, events } = await filled();
    const mainBytes = (m: number) => events.filter((e) => e.index === 'main' && Math.floor((e._time - B) / 60) === m).reduce((n, e) => n + e._raw.length, 0);
    const budget = mainBytes(9) + mainBytes(8) + mainBytes(7) + 10;
    s.setRetention({ main: { maxBytes: budget } });
    const report = await s.applyRetention(B);
    expect(report.deleted).toEqual([{ index: 'main', events: 140, before: B + 7 * 60 }]);
    expect((await s.indexes()).find((i) => i.name === 'main')!.bytes).toBeLessThanOrEqual(budget);
    const want = events.filter((e) => e.index !== 'main' || e._time >= B + 7 * 60);
    expect(plain(await collect(s))).toEqual(plain(bruteForce(want, emptyScanRequest())));
    // A budget below the newest bucket keeps that bucket.
    s.setRetention({}, { maxBytes: 1 });
    const r2 = await s.applyRetention(B);
    expect(r2.deleted.map((d) => d.index).sort()).toEqual(['main', 'risk']);
    expect((await s.indexes()).filter((i) => i.events > 0).map((i) => [i.name, i.events])).toEqual([
      ['main', 20],
      ['risk', 5],
    ]);
    // Appends still land after buckets were dropped (the writer notices the schema change).
    await s.append([event({ _time: B + 1, _raw: 'old again' })]);
    expect((await collect(s, { raw: { kind: 'contains', text: 'old again' } })).length).toBe(1);
  });
});

describe('sourcetype tables', () => {
  /** The store's event tables (`b<id>` mixed, `b<id>_s<st>` one sourcetype's) and its `bucket_parts` rows. */
  function tables(s: SqliteStore): { names: string[]; parts: number } {
    const db = new Database(s.path, { readonly: true });
    const names = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB 'b[0-9]*' ORDER BY name").pluck().all() as string[];
    const parts = db.prepare('SELECT count(*) FROM bucket_parts').pluck().get() as number;
    db.close();
    return { names, parts };
  }
  const STS = ['exec', 'exit', 'connect'];
  /** Three sourcetypes interleaved in each batch, four events a second (ties across sourcetypes). */
  const mixed = (n: number, from = 0): Event[] =>
    Array.from({ length: n }, (_, i) => event({ _time: T0 + Math.floor((from + i) / 4), sourcetype: STS[(from + i) % 3]!, _raw: `e${from + i}` }));

  it('keeps each sourcetype of a batch in its own table: order, receipts and subsets across them', async () => {
    const s = await store();
    const events = [...mixed(40), ...mixed(40, 40)];
    const a = await s.append(events.slice(0, 40));
    const b = await s.append(events.slice(40));
    expect(b.firstSeq).toBe(a.firstSeq! + 40);
    const t = tables(s);
    expect(t.names.every((n) => /^b\d+_s\d+$/.test(n))).toBe(true);
    expect(t.names.length).toBe(3);
    expect(t.parts).toBe(3);
    // Newest first across the tables, ties in reverse insertion order (as when every row shared one table).
    expect(plain(await collect(s))).toEqual(plain(bruteForce(events, emptyScanRequest())));
    const two: ScanRequest = { ...emptyScanRequest(), metadata: [{ field: 'sourcetype', patterns: ['ex*'] }], raw: { kind: 'contains', text: 'e1' } };
    expect(plain(await collect(s, two))).toEqual(plain(bruteForce(events, two)));
    // Subsets by seq reach every table; seqEvents reads each once.
    const chosen = events.filter((_, i) => i % 3 !== 1 && i % 5 !== 0);
    const seqs = chosen.map((e) => a.firstSeq! + events.indexOf(e));
    expect(plain(await collect(s.subset(seqs)))).toEqual(plain(bruteForce(chosen, emptyScanRequest())));
    expect(plain(await collect(s.subset(seqs), two))).toEqual(plain(bruteForce(chosen, two)));
    expect(plain(await collect(s.seqRange(a.firstSeq! + 10, a.firstSeq! + 49)))).toEqual(plain(bruteForce(events.slice(10, 50), emptyScanRequest())));
    const all: Event[] = [];
    for await (const batch of s.seqEvents(a.firstSeq!, b.firstSeq! + 39)) all.push(...batch);
    expect(all.map((e) => e._raw).sort()).toEqual(events.map((e) => e._raw).sort());
  });

  it('gives a bucket at most MAX_SOURCETYPE_TABLES tables: later sourcetypes share its mixed table', async () => {
    const s = await store();
    const kinds = Array.from({ length: MAX_SOURCETYPE_TABLES + 4 }, (_, k) => `kind:${k}`);
    const events = Array.from({ length: 120 }, (_, i) => event({ _time: T0 + (i % 7), sourcetype: kinds[i % kinds.length]!, _raw: `k${i}` }));
    await s.append(events);
    const t = tables(s);
    expect(t.names.filter((n) => /^b\d+_s\d+$/.test(n)).length).toBe(MAX_SOURCETYPE_TABLES);
    expect(t.names.filter((n) => /^b\d+$/.test(n)).length).toBe(1);
    expect(plain(await collect(s))).toEqual(plain(bruteForce(events, emptyScanRequest())));
    for (const patterns of [[kinds[0]!], [kinds.at(-1)!], [kinds[1]!, kinds.at(-2)!], ['kind:1*']]) {
      const req: ScanRequest = { ...emptyScanRequest(), metadata: [{ field: 'sourcetype', patterns }] };
      expect(plain(await collect(s, req)), patterns.join()).toEqual(plain(bruteForce(events, req)));
    }
  });

  it('reads more tables in one span than SQLite allows terms in one compound SELECT', async () => {
    const s = await store();
    const kinds = Array.from({ length: MAX_SOURCETYPE_TABLES + 2 }, (_, k) => `kind:${k}`);
    // 64 indexes × (8 sourcetype tables + the mixed one): 576 tables, and 1024 arms for 8 sourcetypes (8 + 8 on the mixed).
    const events = Array.from({ length: 64 * kinds.length * 2 }, (_, i) =>
      event({ _time: T0 + (i % 13), index: `ix${i % 64}`, sourcetype: kinds[Math.floor(i / 64) % kinds.length]!, _raw: `m${i}` }),
    );
    const { firstSeq } = await s.append(events);
    const eight: ScanRequest = { ...emptyScanRequest(), metadata: [{ field: 'sourcetype', patterns: kinds.slice(0, 8) }] };
    for (const req of [emptyScanRequest(), eight]) expect(plain(await collect(s, req))).toEqual(plain(bruteForce(events, req)));
    const chosen = events.filter((_, i) => i % 3 === 0);
    const seqs = chosen.map((e) => firstSeq! + events.indexOf(e));
    expect(plain(await collect(s.subset(seqs), eight))).toEqual(plain(bruteForce(chosen, eight)));
    const all: Event[] = [];
    for await (const batch of s.seqEvents(firstSeq!, firstSeq! + events.length)) all.push(...batch);
    expect(all.length).toBe(events.length);
  });

  it('binds a raw filter once per query, however many tables its arms read (SQLite allows 32766 variables)', async () => {
    const s = await store();
    const kinds = Array.from({ length: MAX_SOURCETYPE_TABLES + 1 }, (_, k) => `kind:${k}`);
    // 64 indexes × 9 tables in one span, a filter of 71 literals: 576 arms × 71 = 40896 variables if bound per arm.
    const events = Array.from({ length: 64 * kinds.length }, (_, i) =>
      event({ _time: T0 + (i % 13), index: `ix${i % 64}`, sourcetype: kinds[Math.floor(i / 64)]!, _raw: `m${i} w${i % 70}` }),
    );
    const { firstSeq } = await s.append(events);
    const raw: RawFilter = { kind: 'or', items: [...Array.from({ length: 70 }, (_, k): RawFilter => ({ kind: 'contains', text: `w${k}x` })), { kind: 'contains', text: 'm1' }] };
    const req: ScanRequest = { ...emptyScanRequest(), raw };
    expect(plain(await collect(s, req))).toEqual(plain(bruteForce(events, req)));
    const chosen = events.filter((_, i) => i % 2 === 0);
    const seqs = chosen.map((e) => firstSeq! + events.indexOf(e));
    expect(plain(await collect(s.subset(seqs), req))).toEqual(plain(bruteForce(chosen, req)));
  });

  it('drops every table of a bucket, old and new layouts alike: retention and deleteIndex', async () => {
    const dir = tempDir();
    const B = 60 * Math.ceil(T0 / 60);
    const at = (m: number, n: number, index = 'main') => mixed(n, m * 100).map((e, i) => ({ ...e, _time: B + m * 60 + (i % 50), index }));
    const s1 = await openStore(dir, { bucketSeconds: 60 });
    const early = [...at(0, 30), ...at(1, 30), ...at(0, 9, 'other')];
    await s1.append(early);
    await s1.close();
    toVersion4(dir);
    const s = await store({}, dir);
    expect(tables(s)).toEqual({ names: ['b1', 'b2', 'b3'], parts: 3 });
    // Minute 1 is the current bucket: its new rows go to sourcetype tables beside its mixed one.
    const late = [...at(1, 30, 'main').map((e) => ({ ...e, _raw: `late ${e._raw}` })), ...at(2, 30), ...at(2, 6, 'other')];
    await s.append(late);
    const events = [...early, ...late];
    expect(plain(await collect(s))).toEqual(plain(bruteForce(events, emptyScanRequest())));
    const exits: ScanRequest = { ...emptyScanRequest(), metadata: [{ field: 'sourcetype', patterns: ['exit'] }] };
    expect(plain(await collect(s, exits))).toEqual(plain(bruteForce(events, exits)));
    expect(tables(s).names.filter((n) => n.startsWith('b2')).length).toBe(4);
    // Minutes 0 and 1 of main are older than the cutoff: every one of their tables goes.
    s.setRetention({ main: { maxAgeSeconds: 60 } });
    expect((await s.applyRetention(B + 179.5)).deleted).toEqual([{ index: 'main', events: 90, before: B + 120 }]);
    const left = tables(s);
    expect(left.names.some((n) => /^b[12](_|$)/.test(n))).toBe(false);
    const kept = events.filter((e) => e.index === 'other' || e._time >= B + 120);
    expect(plain(await collect(s))).toEqual(plain(bruteForce(kept, emptyScanRequest())));
    expect(await s.deleteIndex('other')).toBe(15);
    expect(tables(s).names.every((n) => /^b4_s\d+$/.test(n))).toBe(true);
    expect(tables(s).parts).toBe(3);
    expect(plain(await collect(s))).toEqual(plain(bruteForce(kept.filter((e) => e.index === 'main'), emptyScanRequest())));
  });
});

describe('the scan thread', () => {
  const thread = { scanThreadMinEvents: 0 };

  it('returns bounded batches and honours abort and early exit, then takes the next scan', async () => {
    const s = await store({ ...thread, scanBatchSize: 100 });
    await batchesAbortEarlyExit(s);
    const all = Array.from({ length: 1050 }, (_, i) => T0 + 1049 - i);
    expect((await collect(s)).map((e) => e._time)).toEqual(all);
    // Two scans asked for before either starts: the first to start takes the thread, the other runs here.
    const [x, y] = [s.scan(emptyScanRequest()), s.scan(emptyScanRequest())];
    const seen: [number[], number[]] = [[], []];
    for (let rx = await x.next(), ry = await y.next(); !rx.done || !ry.done; ) {
      if (!rx.done) {
        seen[0].push(...rx.value.map((e) => e._time));
        rx = await x.next();
      }
      if (!ry.done) {
        seen[1].push(...ry.value.map((e) => e._time));
        ry = await y.next();
      }
    }
    expect(seen).toEqual([all, all]);
  });

  it('scans a consistent snapshot while appends commit; a second scan meanwhile runs on the calling thread', async () => {
    const s = await store({ ...thread, scanBatchSize: 10 });
    await snapshotWhileAppending(s, async () => expect((await collect(s)).length).toBe(200));
  });

  it('gives Tetragon events the spans EventResult would compute, decoded exactly (non-ASCII and odd lines too)', async () => {
    const dir = tempDir();
    const s = await store(thread, dir);
    const lines = readFileSync(join(REPO, 'test/fixtures/tetragon/cim-kinds.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    const sts = ['cisco:isovalent:processExec', 'cisco:isovalent', 'other'];
    const events = [...lines, ...lines.map((l) => l.replace('"', '"ü')), 'not json \u{1F600} \ud800', '{"a":1}'].flatMap((raw, i) =>
      sts.map((sourcetype) => event({ _time: T0 + i, sourcetype, _raw: raw })),
    );
    await s.append(events);
    const got = await collect(s);
    // As the calling thread reads them (a lone surrogate was stored as SQLite got it).
    const here = await collect(await store({ readonly: true, scanThreadMinEvents: Infinity }, dir));
    expect(here.length).toBe(events.length);
    expect(plain(got)).toEqual(plain(here));
    expect(here.some((e) => (e as IndexedEvent).spans !== undefined)).toBe(false);
    let spanned = 0;
    for (const e of got as IndexedEvent[]) {
      const want = isIsovalentSourcetype(e.sourcetype) ? scanTetragonText(e._raw) : null;
      expect(e.spans ?? null, e._raw).toEqual(want);
      if (want !== null) spanned++;
    }
    expect(spanned).toBeGreaterThanOrEqual(lines.length);
  });

  it('is not used by a scan whose search reads only time and metadata (its rows would be copied for nothing)', async () => {
    const s = await store(thread);
    await s.append(Array.from({ length: 50 }, (_, i) => event({ _time: T0 + i })));
    const plainScan = await collect(s);
    expect(s.scannedOnThread).toBe(true);
    const metadataOnly: Event[] = [];
    for await (const b of s.scan({ ...emptyScanRequest(), metadataOnly: true })) metadataOnly.push(...b);
    expect(s.scannedOnThread).toBe(false);
    expect(plain(metadataOnly)).toEqual(plain(plainScan));
  });

  it('starts at open when asked (prestartScanThread), scans on it as on a thread started by the scan, and never without a scan thread', async () => {
    const dir = tempDir();
    const w = await store({}, dir);
    await w.append(Array.from({ length: 300 }, (_, i) => event({ _time: T0 + i, _raw: `{"n":${i}}` })));
    const pre = await store({ readonly: true, prestartScanThread: true, scanThreadMinEvents: 0 }, dir);
    expect(pre.scanThreadStarted).toBe(true);
    const lazy = await store({ readonly: true, scanThreadMinEvents: 0 }, dir);
    expect(lazy.scanThreadStarted).toBe(false);
    const got = await collect(pre);
    expect(pre.scannedOnThread).toBe(true);
    expect(plain(got)).toEqual(plain(await collect(lazy)));
    expect(lazy.scannedOnThread && lazy.scanThreadStarted).toBe(true);
    expect(got.length).toBe(300);
    // --threads 1 (no scan thread) wins over the prestart.
    const none = await store({ readonly: true, prestartScanThread: true, scanThreadMinEvents: Infinity }, dir);
    expect(none.scanThreadStarted).toBe(false);
    await pre.close();
    expect(pre.scanThreadStarted).toBe(false);
  });

  it('fails a scan in progress with STORE_CLOSED when the store closes', async () => {
    const s = await openStore(tempDir(), { ...thread, scanBatchSize: 10 });
    await s.append(Array.from({ length: 200 }, (_, i) => event({ _time: T0 + i })));
    const it = s.scan(emptyScanRequest());
    await it.next();
    await s.close();
    await expect((async () => {
      for (let r = await it.next(); !r.done; r = await it.next());
    })()).rejects.toMatchObject({ reason: 'STORE_CLOSED' });
  });

  it('fails with STORE_CLOSED a scan asked for before the store closed and started after, as on the calling thread', async () => {
    for (const min of [0, Infinity]) {
      const s = await openStore(tempDir(), { scanThreadMinEvents: min });
      await s.append(Array.from({ length: 20 }, (_, i) => event({ _time: T0 + i })));
      expect((await collect(s)).length).toBe(20); // (its names are then known to this thread)
      const it = s.scan(emptyScanRequest());
      await s.close();
      // On the thread, a new worker would open the file and scan it (a thread and a connection left behind).
      await expect(it.next()).rejects.toMatchObject({ reason: 'STORE_CLOSED' });
    }
  });
});

describe('modes and lifecycle', () => {
  it('reads from a read-only open while another instance writes, and refuses writes there', async () => {
    const dir = tempDir();
    const w = await store({}, dir);
    await w.append([event({ _time: T0 })]);
    const r = await store({ readonly: true }, dir);
    expect((await collect(r)).length).toBe(1);
    const writes = Array.from({ length: 20 }, (_, b) => w.append(Array.from({ length: 10 }, (_, i) => event({ _time: T0 + b, _raw: `${b}-${i}` }))));
    let last = 1;
    while (last < 201) {
      const n = (await collect(r)).length;
      expect((n - 1) % 10).toBe(0); // batches appear whole
      expect(n).toBeGreaterThanOrEqual(last);
      last = n;
      await new Promise((res) => setTimeout(res, 2));
    }
    await Promise.all(writes);
    expect((await r.indexes()).find((i) => i.name === 'main')!.events).toBe(201);
    await expect(r.append([event({ _time: T0 })])).rejects.toBeInstanceOf(StoreError);
    await expect(r.applyRetention(T0)).rejects.toThrow(StoreError);
  });

  it('fails pending appends with STORE_IO when the writer dies, and starts a new one', async () => {
    const s = await store({ writerDelayMs: 200 });
    await s.append([event({ _time: T0, _raw: 'before' })]);
    const pending = s.append([event({ _time: T0 + 1, _raw: 'lost' })]);
    await new Promise((r) => setTimeout(r, 50)); // the writer is now inside its pre-commit delay
    const internals = s as unknown as { writer: { worker: { terminate(): Promise<number> } } };
    await internals.writer.worker.terminate();
    await expect(pending).rejects.toMatchObject({ reason: 'STORE_IO' });
    // The lost batch used no seq: 'after' follows 'before'.
    await expect(s.append([event({ _time: T0 + 2, _raw: 'after' })])).resolves.toEqual({ count: 1, firstSeq: 2 });
    expect((await collect(s)).map((e) => e._raw)).toEqual(['after', 'before']);
  });

  it('refuses a missing store (read-only) and a file that is not a database', async () => {
    await expect(openStore(join(tempDir(), 'nope'), { readonly: true })).rejects.toMatchObject({ reason: 'STORE_IO' });
    const dir = tempDir();
    writeFileSync(join(dir, STORE_FILE), 'not a database, just text '.repeat(100));
    for (const readonly of [false, true]) {
      await expect(openStore(dir, { readonly })).rejects.toMatchObject({ reason: 'STORE_IO', message: expect.stringMatching(/cannot open the event store/) });
    }
  });

  it('fails a scan over damaged pages with STORE_IO, on the calling thread as on the scan thread', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    await s.append(Array.from({ length: 3000 }, (_, i) => event({ _time: T0 + i, _raw: `event ${i} ${'x'.repeat(1000)}` })));
    await s.close();
    // Pages in the middle of the file (its tables' rows) overwritten: SQLite finds them malformed when it reads them.
    const file = join(dir, STORE_FILE);
    const bytes = readFileSync(file);
    bytes.fill(0xa5, Math.floor(bytes.length / 2), Math.floor(bytes.length / 2) + 8 * 16384);
    writeFileSync(file, bytes);
    for (const scanThreadMinEvents of [Infinity, 0]) {
      const damaged = await store({ readonly: true, scanThreadMinEvents }, dir);
      const err = await rejection(collect(damaged));
      expect(err, `scanThreadMinEvents ${scanThreadMinEvents}`).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ reason: 'STORE_IO', message: expect.stringMatching(/^cannot scan the event store: .*malformed/) });
    }
  });

  it('fails reads with STORE_IO when the first page is damaged but the header is not (a read-only open succeeds)', async () => {
    const dir = tempDir();
    const s = await openStore(dir);
    await s.append([event({ _time: T0 })]);
    await s.close();
    // The 100-byte header (version, page size) intact, the schema page after it not: `vigil search` said "internal error".
    const file = join(dir, STORE_FILE);
    const bytes = readFileSync(file);
    bytes.fill(0xa5, 100, 4000);
    writeFileSync(file, bytes);
    const damaged = await store({ readonly: true, scanThreadMinEvents: Infinity }, dir);
    const err = await rejection(damaged.indexes());
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ reason: 'STORE_IO', message: `cannot open the event store ${file}: database disk image is malformed` });
  });

  it('commits accepted appends before close resolves and refuses appends afterwards', async () => {
    const dir = tempDir();
    const s = await openStore(dir, { writerDelayMs: 50 });
    const ps = Array.from({ length: 5 }, (_, b) => s.append([event({ _time: T0 + b })]));
    await s.close();
    await Promise.all(ps);
    await expect(s.append([event({ _time: T0 })])).rejects.toMatchObject({ reason: 'STORE_CLOSED' });
    await expect(s.scan(emptyScanRequest()).next()).rejects.toMatchObject({ reason: 'STORE_CLOSED' });
    const again = await store({}, dir);
    expect((await collect(again)).length).toBe(5);
    const db = new Database(join(dir, STORE_FILE), { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(16384);
    db.close();
  });
});

describe('memory on the append path', () => {
  it('keeps nothing of a batch on the calling thread while it waits for its commit', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // The writer sleeps before each commit: batches stay in flight while the heap is measured.
    const s = await openStore(tempDir(), { writerDelayMs: 1500 });
    const pad = 'y'.repeat(2000);
    const batch = (b: number): Event[] =>
      Array.from({ length: 1000 }, (_, i) => ({ _time: 1_700_000_000 + i, index: 'main', sourcetype: 's', source: 's', host: 'h', _raw: `${b}-${i}-${pad}` }));
    const n = 16;
    gc();
    const before = process.memoryUsage().heapUsed;
    const appended = Array.from({ length: n }, (_, b) => s.append(batch(b)));
    gc();
    gc();
    const held = process.memoryUsage().heapUsed - before;
    expect(s.stats().pendingBatches).toBeGreaterThan(n / 2); // still in flight
    await Promise.all(appended);
    // Retained until commit, the batches' strings would be ~32 MB here.
    expect(held).toBeLessThan(8 * 1024 * 1024);
    await s.close();
  }, 30_000);
});

