// The stats pushdown of the ClickHouse store (issue #11 item 2; spl/plan/pushdown.ts, src/store/clickhouse/aggregate.ts):
// the same batches appended to ClickHouse and to SQLite, a table of searches run through the engine over both must
// give identical rows in the same order, whether the shards aggregate (stats over metadata) or vigil does (a raw
// term, a field predicate, eval before stats). Hostile metadata values; a batch retried to ClickHouse (counted once).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import type { Result } from '../../src/events/result.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { runSearch } from '../../src/spl/index.js';
import { openClickHouseStore, type ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, tempDir } from '../store/helpers.js';
import { CLUSTER_NAME, REPLICAS, clickhouse, skipWithoutCluster, uniqueName } from './local-cluster.js';

const skip = await skipWithoutCluster('test/cluster/stats-pushdown.test.ts');

afterAll(cleanupDirs);

const T0 = 1_790_000_000;

/** Metadata values that break naive SQL or naive comparisons: quotes, backslashes, unicode, numbers, empty. */
const SOURCETYPES = ["o'brien", 'back\\slash', 'tab\tsep', 'é中文😀', '\u212aelvin', '10', '9', '1.5e1', 'St', 'st', '%_like'];
const HOSTS = ['', 'h1', 'H1', "h'2", 'line\nbreak', '10.0.0.1', '\u017fs', 'z'];
const SOURCES = ['/var/log/a', '/var/log/B', 'c:\\logs\\x', 'ünï', ''];
const INDEXES = ['main', 'Ops', 'ünïcode'];

/** Deterministic events in batches: times before 1970 too, ties on _time within and across batches. */
function corpus(): Event[][] {
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const batches: Event[][] = [];
  for (let b = 0; b < 12; b++) {
    const batch: Event[] = [];
    for (let i = 0; i < 40; i++) {
      const base = b === 11 ? -86_400 * 400 : T0;
      batch.push({
        _time: base + next(20) * 3600 + next(5) + (next(3) === 0 ? 0.25 : 0),
        index: INDEXES[next(INDEXES.length)]!,
        sourcetype: SOURCETYPES[next(SOURCETYPES.length)]!,
        source: SOURCES[next(SOURCES.length)]!,
        host: HOSTS[next(HOSTS.length)]!,
        _raw: JSON.stringify({ n: b * 100 + i, user: next(2) === 0 ? 'alice' : 'bob', curl: next(4) === 0 }),
      });
    }
    batches.push(batch);
  }
  return batches;
}

function canonical(rows: readonly Result[]): string[] {
  return rows.map((r) => {
    const o: Record<string, string | string[]> = {};
    for (const f of r.fieldNames()) {
      const vs = valuesOf(r.get(f)).map(toText);
      if (vs.length) o[f] = vs.length === 1 ? vs[0]! : vs;
    }
    return JSON.stringify(o);
  });
}

const PUSHED = [
  'index=* | stats count by sourcetype',
  'index=* | stats count min(_time) max(_time) dc(host) values(sourcetype) by index',
  '| tstats count where index=* by sourcetype',
  '| tstats count min(_time) max(_time) where index=* by index, host',
  'index=* sourcetype=st | stats count by host, sourcetype',
  'index=ops OR index=main | stats count by source',
  'index=* host=h* | stats values(host) dc(source) min(host) max(host) min(sourcetype) max(sourcetype) by index',
  'index=* source="*log*" | stats count by source, index',
  'index=ünï* | stats count values(source) by sourcetype',
  'index=* earliest=1790007200 latest=1790036000 | stats count c(host) count(_time) by sourcetype, host',
  'index=* | stats count',
  'index=nothing | stats count',
  'index=nothing | stats count by host',
  'index=* sourcetype IN ("9*", "st", "o\'brien") | stats count as n by sourcetype | sort - n',
  'index=* | stats dc(sourcetype) as kinds values(index) as where by host | where kinds > 1',
  'sourcetype=st | stats count by host', // no index named: the default indexes
  'index=* | bin _time span=1h | stats count max(_time) by _time, sourcetype',
  'index=* | bin _time span=1d | stats count min(_time) max(_time) dc(host) by index',
  'index=* | bin _time span=7m | stats count by _time',
  '| tstats count where index=* by _time span=1h, host',
  '| tstats count values(sourcetype) where index=* by _time span=1mon',
];

const NOT_PUSHED = [
  'index=* curl | stats count by sourcetype', // a raw term
  'index=* user=alice | stats count by sourcetype', // a field predicate
  'index=* | eval x=1 | stats count by sourcetype, x', // eval before stats
  'index=* | stats count by user', // a field from _raw
  'index=* | stats sum(_time) avg(_time) by index', // sums are not pushed
  'index=* sourcetype=10 | stats count by host', // a numeric pattern matches 10.0 in the search
  'index=* sourcetype IN ("10", "st") | stats count by sourcetype', // likewise in IN
  'index=* host=10.0.0.0/8 | stats count by host', // a CIDR block
  'index=* NOT host=h1 | stats count by host', // a negation
  'index=* | bin _time bins=10 | stats count by _time', // bins from the data
  '| tstats count where index=* by _time', // likewise
];

describe.skipIf(skip)('stats pushed down to ClickHouse and the same stats over SQLite', () => {
  const database = uniqueName('vigil_push');
  const opts = { now: T0 + 86_400, defaultIndexes: ['main', 'Ops'] };
  let ch: ClickHouseStore;
  let lite: SqliteStore;

  beforeAll(async () => {
    ch = await openClickHouseStore({ urls: REPLICAS.map((r) => r.url), cluster: CLUSTER_NAME, database, username: 'default', password: '', insertQuorum: 2 });
    lite = await openStore(tempDir());
    const batches = corpus();
    for (const b of batches) {
      await ch.append(b);
      await lite.append(b);
    }
    // A retried batch (byte for byte): ClickHouse keeps its copy until parts merge, and counts it once.
    await ch.append(batches[3]!);
  }, 300_000);

  afterAll(async () => {
    await ch?.close();
    await lite?.close();
    for (const r of REPLICAS) await clickhouse(r, `DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  }, 120_000);

  it.each(PUSHED)('%s: pushed down, identical rows', async (spl) => {
    const overLite = await runSearch(spl, { ...opts, source: lite });
    const overCh = await runSearch(spl, { ...opts, source: ch });
    expect(overCh.stats.pushedDown, 'pushed down').toBe(true);
    expect(overLite.stats.pushedDown).toBeUndefined();
    expect(canonical(overCh.results)).toEqual(canonical(overLite.results));
  });

  it('the pushed-down searches are not trivial', async () => {
    const r = await runSearch(PUSHED[1]!, { ...opts, source: lite });
    expect(r.results.length).toBe(INDEXES.length);
    const all = await runSearch('index=* | stats count', { ...opts, source: lite });
    expect(all.results[0]!.get('count')).toBe(12 * 40);
  });

  it('reports the rows ClickHouse read (system.query_log on 18.16, when asked)', async () => {
    const measured = await openClickHouseStore(
      { urls: REPLICAS.map((r) => r.url), cluster: CLUSTER_NAME, database, username: 'default', password: '', insertQuorum: 2 },
      { readonly: true, measureRowsRead: true },
    );
    try {
      const r = await runSearch('index=* | stats count by sourcetype', { source: measured });
      expect(r.stats.pushedDown).toBe(true);
      // Every stored row of the range is read (the retried copy too, until merged), and little else.
      expect(r.stats.rowsRead).toBeGreaterThanOrEqual(12 * 40);
      expect(r.stats.rowsRead).toBeLessThanOrEqual(13 * 40);
    } finally {
      await measured.close();
    }
  });

  it.each(NOT_PUSHED)('%s: runs in vigil, identical rows', async (spl) => {
    const overLite = await runSearch(spl, { ...opts, source: lite });
    const overCh = await runSearch(spl, { ...opts, source: ch });
    expect(overCh.stats.pushedDown).toBeUndefined();
    expect(canonical(overCh.results)).toEqual(canonical(overLite.results));
  });
});

describe.skipIf(skip)('groups whose output order is the order they were met', () => {
  const database = uniqueName('vigil_push_tie');
  let ch: ClickHouseStore;
  let lite: SqliteStore;

  beforeAll(async () => {
    ch = await openClickHouseStore({ urls: REPLICAS.map((r) => r.url), cluster: CLUSTER_NAME, database, username: 'default', password: '', insertQuorum: 2 });
    lite = await openStore(tempDir());
    // `1` and `01` sort as one number: stats orders them as it met them (newest first).
    const events: Event[] = [
      { _time: T0, index: 'main', sourcetype: '01', source: 's', host: 'a', _raw: '{}' },
      { _time: T0, index: 'main', sourcetype: '1', source: 's', host: 'b', _raw: '{}' },
      { _time: T0 + 5, index: 'main', sourcetype: '1.0', source: 's', host: 'a', _raw: '{}' },
    ];
    for (const s of [ch, lite]) await s.append(events);
  }, 120_000);

  afterAll(async () => {
    await ch?.close();
    await lite?.close();
    for (const r of REPLICAS) await clickhouse(r, `DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
  }, 120_000);

  it('equal-ranked groups whose newest events share a time come in the order a scan meets them', async () => {
    const spl = 'index=main | stats count by sourcetype';
    const overLite = await runSearch(spl, { source: lite });
    const overCh = await runSearch(spl, { source: ch });
    expect(overCh.stats.pushedDown).toBe(true);
    expect(canonical(overCh.results)).toEqual(canonical(overLite.results));
    expect(overLite.results.map((r) => r.get('sourcetype'))).toEqual(['1.0', '1', '01']);
  });

  it('equal-ranked groups with distinct newest times are pushed, in the order met', async () => {
    const spl = 'index=main | stats count by sourcetype, host';
    const overLite = await runSearch(spl, { source: lite });
    const overCh = await runSearch(spl, { source: ch });
    expect(overCh.stats.pushedDown).toBe(true);
    expect(canonical(overCh.results)).toEqual(canonical(overLite.results));
  });
});
