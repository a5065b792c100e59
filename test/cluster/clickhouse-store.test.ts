// The ClickHouse event store (src/store/clickhouse) against the local cluster of `npm run cluster:up`: the same
// events appended to it and to the SQLite store give the same scans (every pushdown shape) and the same search
// results (every bundled detection, the seed detection over the Tetragon samples); retried batches are stored once;
// schema checks and errors at open. The quoting tests run without the cluster too (pure) and then against a server.
// Each suite uses its own database (random suffix) and drops it on every replica afterwards.
import { existsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { BUNDLED_DATASETS_DIR, resolveAttackData } from '../../src/detections/datasets.js';
import type { Event } from '../../src/events/event.js';
import { compileRawFilter, emptyScanRequest, metadataPredicate, type RawFilter, type ScanRequest } from '../../src/events/scan.js';
import { FileSource } from '../../src/sources/file.js';
import { runSearch } from '../../src/spl/index.js';
import { ClickHouseStore, encodeBatch, openClickHouseStore, type ClickHouseConfig, type ClickHouseStoreOptions } from '../../src/store/clickhouse/store.js';
import { clickhouseCode, storeError } from '../../src/store/clickhouse/errors.js';
import { rawSql } from '../../src/store/clickhouse/scan.js';
import { schemaDdl } from '../../src/store/clickhouse/schema.js';
import { ident, likeLiteral, quote } from '../../src/store/clickhouse/sql.js';
import { tsvValue } from '../../src/store/clickhouse/tsv.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { StoreError } from '../../src/store/types.js';
import { VigilError } from '../../src/errors.js';
import { canonicalRows } from '../helpers.js';
import { bruteForce, cleanupDirs, collect, event, plain, rng, pick, tempDir } from '../store/helpers.js';
import { CLUSTER_NAME, REPLICAS, clickhouse, skipWithoutCluster, uniqueName } from './local-cluster.js';

const skip = await skipWithoutCluster('test/cluster/clickhouse-store.test.ts');
const URLS = REPLICAS.map((r) => r.url);

afterAll(cleanupDirs);

function config(database: string, urls: string[] = URLS): ClickHouseConfig {
  return { urls, cluster: CLUSTER_NAME, database, username: 'default', password: '', insertQuorum: 2 };
}

/** Drops the test's database on every replica that answers (another suite may have stopped one for its own test). */
async function dropDatabase(database: string): Promise<void> {
  for (const r of REPLICAS) {
    await clickhouse(r, `DROP DATABASE IF EXISTS ${database}`).catch((err: unknown) => console.warn(`${database} not dropped on ${r.name}: ${String(err)}`));
  }
}

/** Strings that break naive quoting: quotes, backslashes, NUL and other controls, newlines, multi-byte, LIKE wildcards. */
const HOSTILE = [
  "'",
  "\\'",
  "a'; DROP DATABASE x; --",
  '\\',
  '\\\\',
  '\\0',
  '\0',
  'x\0y',
  'line\nbreak\r\n',
  'tab\tsep',
  '\x01\x07\x1b\x7f',
  'é 中文 😀 \u212a \u017f',
  '%',
  '_',
  '50%_off\\%',
  '`backquote` "double"',
  '',
  '\\x41\\n',
];

describe('ClickHouse literals (pure)', () => {
  it('escapes every special character and refuses what has no exact literal', () => {
    expect(quote("it's")).toBe("'it\\'s'");
    expect(quote('a\\b')).toBe("'a\\\\b'");
    expect(quote('\0\n\x01')).toBe("'\\0\\n\\x01'");
    expect(quote(-42)).toBe('-42');
    expect(() => quote(1.5)).toThrow(VigilError);
    expect(() => quote(2 ** 53)).toThrow(VigilError);
    expect(() => quote('x\ud800y')).toThrow(/surrogate/);
    expect(quote('😀')).toBe("'😀'");
    expect(likeLiteral('a%b_c*\\')).toBe("'a\\\\%b\\\\_c%\\\\\\\\'");
    expect(() => ident('x; DROP')).toThrow(VigilError);
    expect(ident('vigil_1')).toBe('`vigil_1`');
  });

  it('reads TabSeparated escapes back', () => {
    expect(tsvValue('a\\tb\\nc\\\\d\\0e\\\'f')).toBe("a\tb\nc\\d\0e'f");
    expect(tsvValue('plain')).toBe('plain');
  });

  it('pushes a raw filter only as exact or weaker SQL', () => {
    expect(rawSql({ kind: 'contains', text: 'curl', verbatim: true })).toBe("positionCaseInsensitive(raw, 'curl') > 0");
    expect(rawSql({ kind: 'contains', text: '"binary"', key: true, verbatim: true })).toBe('position(raw, \'"binary"\') > 0');
    // Not verbatim: its JSON spellings (\u escape, \/ for a slash, Kelvin sign for k, long s for s) also pass.
    expect(rawSql({ kind: 'contains', text: 'k/s' })).toBe(
      "positionCaseInsensitive(raw, 'k/s') > 0 OR position(raw, '\\\\u') > 0 OR position(raw, '\\\\/') > 0 OR position(raw, '\u212a') > 0 OR position(raw, '\u017f') > 0",
    );
    expect(rawSql({ kind: 'contains', text: 'é' })).toBeNull();
    expect(rawSql({ kind: 'or', items: [{ kind: 'contains', text: 'a', verbatim: true }, { kind: 'regex', source: 'x', flags: 'i' }] })).toBeNull();
    expect(rawSql({ kind: 'and', items: [{ kind: 'contains', text: 'a', verbatim: true }, { kind: 'regex', source: 'x', flags: 'i' }] })).toBe("(positionCaseInsensitive(raw, 'a') > 0)");
    expect(rawSql({ kind: 'or', items: [] })).toBe('0');
    // Too large for one query (max_query_size): the engine tests it.
    expect(rawSql({ kind: 'or', items: Array.from({ length: 3000 }, (_, i) => ({ kind: 'contains' as const, text: `name${i}`, verbatim: true })) })).toBeNull();
  });
});

describe('ClickHouse errors and batch ids (pure)', () => {
  it('reads the code from 18.16 error text and maps transient ones to STORE_BUSY', () => {
    const quorum = new Error('Code: 285, e.displayText() = DB::Exception: Number of alive replicas (1) is less than requested quorum (2)., e.what() = DB::Exception\n');
    expect(clickhouseCode(quorum)).toBe(285);
    expect(storeError('appending', quorum)).toMatchObject({ reason: 'STORE_BUSY', message: 'appending: ClickHouse code 285: DB::Exception: Number of alive replicas (1) is less than requested quorum (2)., e.what() = DB::Exception' });
    expect(storeError('x', new Error('Code: 62, e.displayText() = DB::Exception: Syntax error'))).toMatchObject({ reason: 'STORE_IO' });
    expect(storeError('x', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toMatchObject({ reason: 'STORE_BUSY' });
  });

  it('says what answered when an error answer has no text (a proxy, not ClickHouse)', async () => {
    const proxy = createHttpServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const err = await openClickHouseStore(config('vigil_x', [url])).catch((e: unknown) => e);
      expect(err).toMatchObject({ reason: 'STORE_IO', message: `ClickHouse ${url}: opening the event store: an HTTP error answer without a message (is this the HTTP port of a ClickHouse server?)` });
    } finally {
      proxy.close();
    }
  });

  it('gives a batch an id from its content alone', () => {
    const batch = [event({ _time: 1.5, _raw: 'a\tb' }), event({ _time: 2, _raw: 'c' })];
    const a = encodeBatch(batch);
    expect(encodeBatch(batch.map((e) => ({ ...e, json: { parsed: true } })))).toEqual(a); // `json` is never stored
    expect(a.lines).toEqual(['0\t1500000\tmain\tst\tsrc\th\ta\\tb\t\n', '1\t2000000\tmain\tst\tsrc\th\tc\t\n']); // the last field: no indexed fields
    expect(encodeBatch([batch[1]!, batch[0]!]).id).not.toBe(a.id);
    expect(encodeBatch([{ ...batch[0]!, host: 'h2' }, batch[1]!]).id).not.toBe(a.id);
  });
});

describe.skipIf(skip)('ClickHouse literals on the server', () => {
  const replica = REPLICAS[0]!;

  it('round-trips every hostile string exactly (bytes and text)', async () => {
    for (const s of HOSTILE) {
      expect(await clickhouse(replica, `SELECT hex(${quote(s)})`), JSON.stringify(s)).toBe(Buffer.from(s).toString('hex').toUpperCase());
      const text = await (await fetch(replica.url, { method: 'POST', body: `SELECT ${quote(s)} FORMAT TabSeparated` })).text();
      expect(tsvValue(text.slice(0, -1)), JSON.stringify(s)).toBe(s);
      expect(await clickhouse(replica, `SELECT ${quote(s)} = unhex(${quote(Buffer.from(s).toString('hex'))})`), JSON.stringify(s)).toBe('1');
    }
  });

  it('LIKE literals match % and _ only as themselves and * as any run', async () => {
    const cases: [string, string, boolean][] = [
      ['50%_off', '50%_off', true],
      ['50xyoff', '50%_off', false],
      ['a_b', 'a_b', true],
      ['axb', 'a_b', false],
      ['a\\b', 'a\\b', true],
      ['a\\\\b', 'a\\b', false],
      ["it's here", "*'s*", true],
      ['x\ny', 'x*y', true],
      ['héllo', 'h*o', true],
      ['%', '%', true],
      ['anything', '%', false],
    ];
    for (const [value, pattern, match] of cases) {
      expect(await clickhouse(replica, `SELECT ${quote(value)} LIKE ${likeLiteral(pattern)}`), `${value} LIKE ${pattern}`).toBe(match ? '1' : '0');
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The same events in SQLite and ClickHouse

/** Events exercising every pushdown: case and wildcard metadata, LIKE wildcards in values, JSON spellings, NUL. */
function corpus(): Event[][] {
  const r = rng(11);
  const batches: Event[][] = [];
  const raws = [
    '{"process_exec":{"process":{"binary":"/usr/bin/curl","arguments":"-k https://x"}}}',
    '{"process_exec":{"process":{"binary":"\\/usr\\/bin\\/CURL","arguments":"--insecure"}}}',
    '{"process_exec":{"process":{"binary":"/usr/bin/cur\\u006c"}}}',
    'plain text with CuRl in it',
    'kelvin \u212a sign and long \u017f',
    'nul \0 inside curl',
    'tab\tand\nnewline curl',
    '50%_off \\ backslash',
    'é multi-byte ÉCOLE 中文',
    '{"binary":"x"}',
    '"binary" key only',
  ];
  let t = 1_700_000_000;
  for (let b = 0; b < 12; b++) {
    const batch: Event[] = [];
    for (let i = 0; i < 40; i++) {
      // Times strictly decrease across batches (ties only inside one batch), some before 1970 and some fractional.
      t -= Math.floor(r() * 5000);
      const time = b === 11 ? -86_400 * 3 - i * 1000.5 : i % 7 === 0 && i > 0 ? batch[i - 1]!._time : t + 0.123457;
      batch.push(
        event({
          _time: time,
          index: pick(r, ['main', 'main', 'other', 'Ünï', "we'ird\\\t\nix\0"]),
          sourcetype: pick(r, ['cisco:isovalent:processExec', 'CISCO:isovalent:processexec', 'st_2', 'st%2']),
          source: pick(r, ['/var/log/a_b.log', '/var/log/axb.log', 'src', 'ſrc']),
          host: pick(r, ['node-1', 'NODE-2', 'h\u212a', 'h%']),
          _raw: pick(r, raws) + ` #${b}.${i}`,
        }),
      );
    }
    batches.push(batch);
  }
  // A dense hour (more events than a scan window): counted again by second, several events per second.
  batches.push(Array.from({ length: 150 }, (_, i) => event({ _time: 1_650_000_000 + Math.floor(i / 3) + (i % 3) * 0.25, host: pick(r, ['node-1', 'h%']), _raw: `dense curl ${i}` })));
  return batches;
}

const BASE = emptyScanRequest();

async function collectWith(store: ClickHouseStore, signal: AbortSignal): Promise<Event[]> {
  const out: Event[] = [];
  for await (const b of store.scan(BASE, { signal })) out.push(...b);
  return out;
}

/** The request's exact test of one event (what the engine re-checks). */
function passes(req: ScanRequest): (e: Event) => boolean {
  const meta = metadataPredicate(req);
  const raw = compileRawFilter(req.raw);
  const { earliest, latest } = bounds(req);
  return (e) => (earliest === null || e._time >= earliest) && (latest === null || e._time < latest) && meta(e) && (raw === null || raw(e._raw));
}

/** The request's time bounds as the engine compares them: a NaN bound excludes nothing. */
function bounds(req: ScanRequest): { earliest: number | null; latest: number | null } {
  const b = (x: number | null) => (x === null || Number.isNaN(x) ? null : x);
  return { earliest: b(req.earliest), latest: b(req.latest) };
}
const contains = (text: string, more: Partial<Extract<RawFilter, { kind: 'contains' }>> = {}): RawFilter => ({ kind: 'contains', text, ...more });

function shapes(events: readonly Event[]): [string, ScanRequest][] {
  const times = events.map((e) => e._time).sort((a, b) => a - b);
  const mid = times[Math.floor(times.length / 2)]!;
  return [
    ['everything', BASE],
    ['time bounds at event times', { ...BASE, earliest: times[10]!, latest: mid }],
    ['time bounds between microseconds', { ...BASE, earliest: times[10]! - 5e-7, latest: mid + 5e-7 }],
    ['before 1970', { ...BASE, latest: 0 }],
    ['NaN bounds', { ...BASE, earliest: Number.NaN, latest: Number.NaN }],
    ['empty range', { ...BASE, earliest: mid, latest: mid }],
    ['index pattern', { ...BASE, metadata: [{ field: 'index', patterns: ['OTH*'] }] }],
    ['non-ASCII index', { ...BASE, metadata: [{ field: 'index', patterns: ['üNÏ'] }] }],
    ['default indexes', { ...BASE, defaultIndexes: ['MAIN'] }],
    ['sourcetype case', { ...BASE, metadata: [{ field: 'sourcetype', patterns: ['cisco:isovalent:processexec'] }] }],
    ['sourcetype % literal', { ...BASE, metadata: [{ field: 'sourcetype', patterns: ['st%2'] }] }],
    ['source _ literal', { ...BASE, metadata: [{ field: 'source', patterns: ['/var/log/a_b.log'] }] }],
    ['source wildcard', { ...BASE, metadata: [{ field: 'source', patterns: ['*A_B*', 'SRC'] }] }],
    ['source long s', { ...BASE, metadata: [{ field: 'source', patterns: ['src'] }] }],
    ['host Kelvin', { ...BASE, metadata: [{ field: 'host', patterns: ['HK'] }] }],
    ['host % wildcard', { ...BASE, metadata: [{ field: 'host', patterns: ['*%'] }] }],
    ['host no pattern', { ...BASE, metadata: [{ field: 'host', patterns: [] }] }],
    ['raw verbatim', { ...BASE, raw: contains('curl', { verbatim: true }) }],
    ['raw field value (JSON spellings)', { ...BASE, raw: contains('/usr/bin/curl') }],
    ['raw key', { ...BASE, raw: contains('"binary"', { key: true }) }],
    ['raw with % and \\', { ...BASE, raw: contains('50%_off \\', { verbatim: true }) }],
    ['raw non-ASCII', { ...BASE, raw: contains('école') }],
    ['raw NUL', { ...BASE, raw: contains('nul \0 inside', { verbatim: true }) }],
    ['raw k and s', { ...BASE, raw: contains('KELVIN') }],
    ['raw or', { ...BASE, raw: { kind: 'or', items: [contains('insecure', { verbatim: true }), contains('tab\t', { verbatim: true })] } }],
    ['raw and with regex', { ...BASE, raw: { kind: 'and', items: [contains('curl'), { kind: 'regex', source: 'cur[l]', flags: 'i' }] } }],
    [
      'everything at once',
      {
        ...BASE,
        earliest: times[5]!,
        latest: times[times.length - 5]!,
        metadata: [
          { field: 'sourcetype', patterns: ['*processexec'] },
          { field: 'host', patterns: ['node-*', 'h*'] },
        ],
        raw: contains('curl'),
        defaultIndexes: ['main', 'other'],
      },
    ],
  ];
}

describe.skipIf(skip)('the ClickHouse store and the SQLite store', () => {
  const database = uniqueName('vigil_chs');
  let ch: ClickHouseStore;
  let lite: SqliteStore;
  const batches = corpus();
  const all = batches.flat();

  beforeAll(async () => {
    ch = await openClickHouseStore(config(database), { scanWindowEvents: 50, scanBatchSize: 7 }); // small windows and batches: many of each
    lite = await openStore(tempDir());
    for (const b of batches) {
      await ch.append(b);
      await lite.append(b);
    }
  }, 120_000);

  afterAll(async () => {
    await ch?.close();
    await lite?.close();
    await dropDatabase(database);
  }, 120_000);

  it('scan the same events in the same order, for every pushdown shape', async () => {
    for (const [name, req] of shapes(all)) {
      // A scan may return more than the request (its conditions are necessary ones; the engine re-checks): what
      // passes the request exactly must be the same events in the same order, and exactly the brute-force answer.
      const exact = plain(bruteForce(all, { ...req, ...bounds(req) }));
      const overCh = await collect(ch, req);
      const overLite = await collect(lite, req);
      expect(plain(overCh.filter(passes(req))), name).toEqual(exact);
      expect(plain(overLite.filter(passes(req))), name).toEqual(exact);
      // Metadata and time are decided exactly: only a raw filter's guards (other spellings) let more through.
      expect(plain(overCh.filter(passes({ ...req, raw: null }))), name).toEqual(plain(overCh));
      if (req.raw === null) expect(plain(overCh), name).toEqual(plain(overLite));
    }
    expect((await collect(ch)).length).toBe(all.length);
  });

  it('stop a scan with the signal\'s reason when it is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('cancelled by the test');
    const seen: number[] = [];
    const run = (async () => {
      for await (const b of ch.scan(BASE, { signal: controller.signal })) {
        seen.push(b.length);
        controller.abort(reason);
      }
    })();
    await expect(run).rejects.toBe(reason);
    expect(seen).toEqual([7]);
    const early = new AbortController();
    early.abort(reason);
    await expect(collectWith(ch, early.signal)).rejects.toBe(reason);
  });

  it('refuse the same malformed events with the same messages', async () => {
    const bad = [
      [event({ _time: 1 }), event({ _time: Number.NaN })],
      [event({ _time: 9e9 })],
      [event({ _time: 1, index: '' })],
      [{ ...event({ _time: 1 }), host: 5 as unknown as string }],
    ];
    for (const b of bad) {
      const a = (await lite.append(b).then(() => null, (e: unknown) => e)) as VigilError;
      const c = (await ch.append(b).then(() => null, (e: unknown) => e)) as VigilError;
      expect(c).toBeInstanceOf(VigilError);
      expect([c.code, c.message]).toEqual([a.code, a.message]);
      expect(a.code).toBe('INPUT_MALFORMED');
    }
  });

  it('list the same indexes', async () => {
    const strip = (xs: Awaited<ReturnType<SqliteStore['indexes']>>) => xs.map(({ name, events, bytes, earliest, latest }) => ({ name, events, bytes, earliest, latest }));
    expect(strip(await ch.indexes())).toEqual(strip(await lite.indexes()));
    expect(ch.indexExists('Ünï')).toBe(true);
    expect(ch.indexExists('nope')).toBe(false);
  });
});

const TETRAGON_SAMPLES = '/work/shared/datasets/tetragon-upstream-samples.jsonl';

describe.skipIf(skip)('searches over the ClickHouse store and the SQLite store', () => {
  const pack = loadContent();
  const NOW = Date.UTC(2026, 10, 21) / 1000;
  const opts = { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW };
  const database = uniqueName('vigil_chq');
  let ch: ClickHouseStore;
  let lite: SqliteStore;

  beforeAll(async () => {
    ch = await openClickHouseStore(config(database));
    lite = await openStore(tempDir());
    const seen = new Set<string>();
    const load = async (file: string, sourcetype: string) => {
      if (seen.has(`${file}\0${sourcetype}`)) return;
      seen.add(`${file}\0${sourcetype}`);
      for await (const batch of new FileSource([file], { sourcetype }).scan(emptyScanRequest())) {
        const events = batch.map(({ json: _json, ...e }): Event => e);
        await ch.append(events);
        await lite.append(events);
      }
    };
    for (const d of pack.detections.filter((x) => x.tests.length > 0)) {
      const data = d.tests[0]!.attackData[0]!;
      await load(resolveAttackData(data.data, [BUNDLED_DATASETS_DIR], d.file), data.sourcetype);
    }
    if (existsSync(TETRAGON_SAMPLES)) await load(TETRAGON_SAMPLES, 'cisco:isovalent:processExec');
  }, 300_000);

  afterAll(async () => {
    await ch?.close();
    await lite?.close();
    await dropDatabase(database);
  }, 120_000);

  it('every bundled detection gives the same rows', async () => {
    let withRows = 0;
    for (const d of pack.detections.filter((x) => x.tests.length > 0)) {
      const overLite = await runSearch(d.search, { ...opts, source: lite });
      const overCh = await runSearch(d.search, { ...opts, source: ch });
      expect(canonicalRows(overCh.results).sort(), d.name).toEqual(canonicalRows(overLite.results).sort());
      if (overLite.results.length > 0) withRows++;
    }
    expect(withRows).toBeGreaterThan(5);
  }, 300_000);

  it.skipIf(!existsSync(TETRAGON_SAMPLES))('the seed detection finds the same curl over the Tetragon samples', async () => {
    const seed = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
    const overLite = await runSearch(seed.search, { ...opts, source: lite });
    const overCh = await runSearch(seed.search, { ...opts, source: ch });
    expect(overLite.results.length).toBeGreaterThan(0);
    expect(canonicalRows(overCh.results).sort()).toEqual(canonicalRows(overLite.results).sort());
  }, 120_000);

  it('ordered searches give the same rows in the same order', async () => {
    const searches = [
      'index=* | head 25 | table _time index sourcetype source host _raw',
      'sourcetype="cisco:isovalent:processExec" curl | table _time _raw',
      'index=* | stats count by sourcetype, host | sort sourcetype host',
      'index=* "process_exec" NOT "process_exit" | eval n=len(_raw) | table _time n | tail 10',
      'index=* | bin _time span=1d | stats count by _time, index',
    ];
    for (const s of searches) {
      const overLite = await runSearch(s, { ...opts, source: lite });
      const overCh = await runSearch(s, { ...opts, source: ch });
      expect(canonicalRows(overCh.results), s).toEqual(canonicalRows(overLite.results));
    }
  }, 120_000);
});

describe.skipIf(skip)('appends to the ClickHouse store', () => {
  const database = uniqueName('vigil_cha');
  const stores: ClickHouseStore[] = [];
  const open = async (urls: string[], options: ClickHouseStoreOptions = {}) => {
    const s = await openClickHouseStore(config(database, urls), options);
    stores.push(s);
    return s;
  };

  afterAll(async () => {
    for (const s of stores) await s.close();
    await dropDatabase(database);
  }, 120_000);

  /** Rows of the shard tables on every replica, as merged (FINAL: a retried copy collapses). */
  async function storedOnReplicas(): Promise<number[]> {
    return Promise.all(REPLICAS.map(async (r) => Number(await clickhouse(r, `SELECT count() FROM ${database}.events_local FINAL`))));
  }

  it('stores a batch retried through another node and another replica once', async () => {
    // Two nodes: one talks to r1 of each shard first, the other to r2.
    const a = await open([URLS[0]!, URLS[2]!, URLS[1]!, URLS[3]!]);
    const b = await open([URLS[1]!, URLS[3]!, URLS[0]!, URLS[2]!]);
    const batch = Array.from({ length: 50 }, (_, i) => event({ _time: 1_600_000_000 + i, _raw: `retry ${i}` }));
    await a.append(batch);
    await b.append(batch.map((e) => ({ ...e }))); // byte-identical retry, other node, other replica
    // And inside a bigger insert: the retry shares its shard's insert with other batches.
    const others = Array.from({ length: 30 }, (_, k) => Array.from({ length: 3 }, (_, i) => event({ _time: 1_600_000_000 + i, _raw: `other ${k}.${i}` })));
    await Promise.all([b.append(batch), ...others.map((o) => b.append(o))]);
    const scanned = await collect(a, { raw: { kind: 'contains', text: 'retry', verbatim: true } });
    expect(scanned.length).toBe(50);
    expect((await collect(b)).length).toBe(50 + 90);
    const perReplica = await storedOnReplicas();
    // Each shard's two replicas hold the same rows; the shards together hold every event once.
    expect(perReplica[0]).toBe(perReplica[1]);
    expect(perReplica[2]).toBe(perReplica[3]);
    expect(perReplica[0]! + perReplica[2]!).toBe(140);
    expect(Number(await clickhouse(REPLICAS[0]!, `SELECT count() FROM ${database}.events FINAL`))).toBe(140);
  }, 120_000);

  it('takes concurrent appends from three nodes (one quorum insert per shard at a time): every acknowledged event once', async () => {
    const nodes = [await open(URLS), await open([URLS[2]!, URLS[0]!, URLS[3]!, URLS[1]!]), await open([URLS[1]!, URLS[3]!, URLS[0]!, URLS[2]!])];
    let acknowledged = 0;
    await Promise.all(
      nodes.flatMap((node, k) =>
        Array.from({ length: 8 }, async (_, j) => {
          for (let b = 0; b < 5; b++) {
            const batch = Array.from({ length: 20 }, (_, i) => event({ _time: 1_400_000_000 + i, index: 'conc', _raw: `node ${k} writer ${j} batch ${b} event ${i}` }));
            const { count } = await node.append(batch);
            acknowledged += count;
          }
        }),
      ),
    );
    expect(acknowledged).toBe(3 * 8 * 5 * 20);
    const stored = await collect(nodes[0]!, { metadata: [{ field: 'index', patterns: ['conc'] }] });
    expect(new Set(stored.map((e) => e._raw)).size).toBe(acknowledged);
    expect(stored.length).toBe(acknowledged);
  }, 120_000);

  it('refuses appends past its bounds with STORE_BUSY, storing nothing of them', async () => {
    const s = await open(URLS, { maxPendingEvents: 10 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, k) => s.append(Array.from({ length: 5 }, (_, i) => event({ _time: 1_500_000_000 + i, _raw: `busy ${k}.${i}` })))));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ reason: 'STORE_BUSY' });
    const stored = await collect(s, { raw: { kind: 'contains', text: 'busy', verbatim: true } });
    expect(stored.length).toBe(5 * (6 - refused.length));
  }, 60_000);

  it('creates, lists and deletes indexes; retention drops whole old days', async () => {
    const s = await open(URLS);
    expect(await s.createIndex('web')).toBe(true);
    expect(await s.createIndex('web')).toBe(false);
    expect(s.indexExists('web')).toBe(true);
    const day = 86_400;
    const now = 1_700_000_000 - (1_700_000_000 % day) + 3600;
    await s.append([0, 1, 2, 3].map((d) => event({ _time: now - d * day - 60, index: 'web', _raw: `day ${d}` })));
    expect((await s.indexes()).find((i) => i.name === 'web')).toMatchObject({ events: 4 });
    s.setRetention({ web: { maxAgeSeconds: 1.5 * day } });
    const report = await s.applyRetention(now);
    expect(report.deleted).toEqual([{ index: 'web', events: 2, before: now - 3600 - day }]);
    expect((await collect(s, { metadata: [{ field: 'index', patterns: ['web'] }] })).map((e) => e._raw)).toEqual(['day 0', 'day 1']);
    expect(await s.deleteIndex('web')).toBe(2);
    expect(s.indexExists('web')).toBe(false);
    expect(await collect(s, { metadata: [{ field: 'index', patterns: ['web'] }] })).toEqual([]);
    await expect(s.deleteIndex('web')).rejects.toMatchObject({ code: 'CONTENT_NOT_FOUND' });
    // Reserved indexes exist from the start and can be deleted (and created again) like others, as in SQLite.
    expect(await s.deleteIndex('notable')).toBe(0);
    expect(s.indexExists('notable')).toBe(false);
    expect((await s.indexes()).map((i) => i.name)).not.toContain('notable');
    expect(await s.createIndex('notable')).toBe(true);

    // Size: the oldest days go while the index holds more than maxBytes, never the newest day.
    const sized = [0, 1, 2, 3].flatMap((d) => [0, 1].map((k) => event({ _time: now - d * day - 60 * (k + 1), index: 'sized', _raw: `${d}${k}`.padEnd(100, 'x') })));
    await s.append(sized);
    s.setRetention({ sized: { maxBytes: 450 } });
    expect((await s.applyRetention(now)).deleted).toEqual([{ index: 'sized', events: 4, before: now - 3600 - day }]);
    expect((await collect(s, { metadata: [{ field: 'index', patterns: ['sized'] }] })).map((e) => e._raw.slice(0, 2))).toEqual(['00', '01', '10', '11']);
    s.setRetention({ sized: { maxBytes: 1 } });
    expect((await s.applyRetention(now)).deleted).toEqual([{ index: 'sized', events: 2, before: now - 3600 }]);
    expect((await s.indexes()).find((i) => i.name === 'sized')).toMatchObject({ events: 2, bytes: 200 });
  }, 120_000);
});

describe.skipIf(skip)('opening the ClickHouse store', () => {
  it('fails with a clear STORE_IO error when no server answers', async () => {
    const err = await openClickHouseStore(config('vigil_nowhere', ['http://127.0.0.1:1', 'http://127.0.0.1:2'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ reason: 'STORE_IO' });
    expect((err as Error).message).toMatch(/ClickHouse is unreachable: http:\/\/127\.0\.0\.1:1 .*ECONNREFUSED/);
  });

  it('fails with a clear STORE_IO error on wrong credentials', async () => {
    const err = await openClickHouseStore({ ...config('vigil_nowhere'), password: 'wrong' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'STORE_IO' });
    expect((err as Error).message).toMatch(/^ClickHouse http:\/\/127\.0\.0\.1:18121: opening the event store: ClickHouse code 193: .*Wrong password for user default/);
  });

  it('refuses a database of another schema version', async () => {
    const database = uniqueName('vigil_chv');
    try {
      await (await openClickHouseStore(config(database))).close();
      await (await openClickHouseStore(config(database))).close(); // again: nothing to create, same version
      await clickhouse(REPLICAS[0]!, `INSERT INTO ${database}.vigil_meta VALUES ('schema_version', '99')`, { insert_quorum: '2' });
      await expect(openClickHouseStore(config(database))).rejects.toThrow(/schema version 99, made by a newer vigil/);
      await clickhouse(REPLICAS[0]!, `INSERT INTO ${database}.vigil_meta VALUES ('schema_version', '0')`, { insert_quorum: '2' });
      await expect(openClickHouseStore(config(database), { readonly: true })).rejects.toThrow(/schema version 0, made by an older vigil/);
    } finally {
      await dropDatabase(database);
    }
  }, 60_000);

  it('opens when another node wrote the schema version first and its replica has not fetched it yet', async () => {
    // Two nodes opening a new database at once write the identical version block; the second copy is deduplicated,
    // so the second node's own replica shows the row only once it fetched the first's. Fetches on s2r1 are stopped
    // to hold that moment.
    const database = uniqueName('vigil_chrace');
    const [s1r1, , s2r1] = REPLICAS;
    try {
      for (const r of REPLICAS) for (const ddl of schemaDdl({ database, cluster: CLUSTER_NAME })) await clickhouse(r, ddl);
      await clickhouse(s2r1!, `SYSTEM STOP FETCHES ${database}.vigil_meta`);
      await clickhouse(s1r1!, `INSERT INTO ${database}.vigil_meta (key, value) FORMAT TabSeparated\nschema_version\t1\n`, { insert_quorum: '2' });
      const resume = setTimeout(() => void clickhouse(s2r1!, `SYSTEM START FETCHES ${database}.vigil_meta`), 1000);
      try {
        await (await openClickHouseStore(config(database, [s2r1!.url, ...URLS.filter((u) => u !== s2r1!.url)]))).close();
      } finally {
        clearTimeout(resume);
        await clickhouse(s2r1!, `SYSTEM START FETCHES ${database}.vigil_meta`);
      }
    } finally {
      await dropDatabase(database);
    }
  }, 60_000);

  it('opens read-only without creating anything, and refuses writes then', async () => {
    const database = uniqueName('vigil_chr');
    try {
      await expect(openClickHouseStore(config(database), { readonly: true })).rejects.toThrow(/holds no vigil schema/);
      expect(await clickhouse(REPLICAS[0]!, `SELECT count() FROM system.databases WHERE name = '${database}'`)).toBe('0');
      const writer = await openClickHouseStore(config(database));
      await writer.append([event({ _time: 1, _raw: 'seen' })]);
      await writer.close();
      const reader = await openClickHouseStore(config(database), { readonly: true });
      try {
        expect((await collect(reader)).map((e) => e._raw)).toEqual(['seen']);
        await expect(reader.append([event({ _time: 2 })])).rejects.toMatchObject({ reason: 'STORE_IO' });
        await expect(reader.createIndex('x')).rejects.toMatchObject({ reason: 'STORE_IO' });
        await expect(reader.applyRetention(0)).rejects.toMatchObject({ reason: 'STORE_IO' });
      } finally {
        await reader.close();
      }
    } finally {
      await dropDatabase(database);
    }
  }, 60_000);

  it('uses a replica that was down at open once it answers', async () => {
    // A TCP relay to s1r1 on a port nothing listens on yet: that "replica" is down when the store opens.
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    let relayed = 0; // requests' chunks through the relay (the client keeps its connection alive)
    const relay = createServer((socket) => {
      socket.on('data', () => relayed++);
      const upstream = connect(18121, '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    const database = uniqueName('vigil_chp');
    const late = `http://127.0.0.1:${port}`;
    const s = await openClickHouseStore(config(database, [late, ...URLS.slice(1)]), { reprobeMs: 0 });
    try {
      expect(s.unreachable).toEqual([late]);
      await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
      for (let i = 0; i < 100 && s.unreachable.length > 0; i++) {
        await collect(s); // each scan asks the missing replica again
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(s.unreachable).toEqual([]);
      // Its schema is created now (a new database: the quorum of shard 01 needs both replicas' tables).
      await s.append([event({ _time: 1, _raw: 'after' })]);
      const before = relayed;
      expect((await collect(s)).map((e) => e._raw)).toEqual(['after']); // read through it: it is first in urls
      expect(relayed).toBeGreaterThan(before);
    } finally {
      await s.close();
      relay.close();
      await dropDatabase(database);
    }
  }, 60_000);

  it('tries a replica that stopped answering after the others, not first on every request', async () => {
    // A TCP relay to s1r1 that can hang: connections stay open and take bytes, nothing comes back (a SIGSTOPped
    // server). Each request sent to it costs the request timeout.
    let hung = false;
    let relayed = 0;
    const relay = createServer((socket) => {
      const upstream = connect(18121, '127.0.0.1');
      socket.on('data', (chunk: Buffer) => {
        relayed++;
        if (!hung) upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!hung) socket.write(chunk);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const database = uniqueName('vigil_chh');
    const s = await openClickHouseStore(config(database, [relayUrl, ...URLS.slice(1)]), { requestTimeoutMs: 1500, reprobeMs: 500 });
    try {
      await s.append([event({ _time: 1, _raw: 'before' }), event({ _time: 2, _raw: 'before too' })]);
      hung = true;
      const timed = async () => {
        const t = Date.now();
        const raws = (await collect(s)).map((e) => e._raw).sort();
        return { raws, ms: Date.now() - t };
      };
      const first = await timed(); // meets the hung replica: one request timeout
      const second = await timed();
      const third = await timed();
      expect(first.raws).toEqual(['before', 'before too']);
      expect(second.raws).toEqual(first.raws);
      expect(third.raws).toEqual(first.raws);
      expect(first.ms).toBeGreaterThanOrEqual(1400);
      // Before: every query of every scan went to the hung replica first (>= 1.5 s each, several per scan).
      expect(second.ms).toBeLessThan(1000);
      expect(third.ms).toBeLessThan(1000);
      // It answers again: once its SELECT 1 does (every reprobeMs), requests go to it first again, without a reopen.
      hung = false;
      await new Promise((r) => setTimeout(r, 7000)); // the probe in flight while it hung times out (5 s), the next answers
      const before = relayed;
      await new Promise((r) => setTimeout(r, 1200));
      expect(relayed, 'still probed: not answering yet').toBe(before);
      expect((await timed()).raws).toEqual(first.raws);
      expect(relayed).toBeGreaterThan(before);
    } finally {
      hung = false;
      await s.close();
      relay.close();
      await dropDatabase(database);
    }
  }, 60_000);

  it('refuses a cluster the servers do not define', async () => {
    await expect(openClickHouseStore({ ...config('vigil_x'), cluster: 'nosuch' })).rejects.toThrow(/does not know the cluster "nosuch"/);
  });
});
