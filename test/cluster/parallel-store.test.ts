// A search over a cluster's ClickHouse on several threads (vigil search --config --threads N): each worker opens
// the store from its StoreLocator (src/cluster) and reads its time slices from ClickHouse; the rows, in order, are
// the one-thread rows. Real servers (npm run cluster:up).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseStoreConfig } from '../../src/config/config.js';
import { loadContent } from '../../src/detections/content.js';
import type { Event } from '../../src/events/event.js';
import type { Result } from '../../src/events/result.js';
import { runStoreInParallel } from '../../src/parallel/run.js';
import { executeMany } from '../../src/spl/exec/multi.js';
import { CollectSink } from '../../src/spl/exec/run.js';
import { plan } from '../../src/spl/index.js';
import { openClickHouseStore, type ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { parallelOptions, storeEvents } from '../parallel/helpers.js';
import { CLUSTER_NAME, REPLICAS, clickhouse, skipWithoutCluster, uniqueName } from './local-cluster.js';

const skip = await skipWithoutCluster('parallel searches over ClickHouse');
const NOW = 1795200000;

const SEARCHES = [
  '* | stats count dc(process_name) values(index) min(_time) max(_time) by node_name',
  'index=main process_name=curl | table _time process pod_name',
  '* | head 7',
  '* | streamstats count by node_name | table _time node_name count',
  '* earliest=1795140000 latest=1795160000 | stats count by index',
  // HEC indexed fields (every 5th event has some): read from ClickHouse by each worker.
  'k8s.pod.name=web-1 | table _time k8s.pod.name tags',
  '* | stats count by k8s.pod.name',
];

/** Every 5th event with indexed fields as a HEC client sends them (not in `_raw`). */
function withFields(events: Event[]): Event[] {
  return events.map((e, i) => (i % 5 === 0 ? { ...e, fields: { 'k8s.pod.name': `web-${i % 3}`, tags: ['a', `t${i % 2}`] } } : e));
}

describe.skipIf(skip)('a search over ClickHouse on several threads', () => {
  const config: ClickHouseStoreConfig = {
    urls: REPLICAS.map((r) => r.url),
    cluster: CLUSTER_NAME,
    database: uniqueName('vigil_parallel'),
    username: 'default',
    password: '',
    insertQuorum: 2,
    requestTimeoutMs: 30_000,
  };
  const pack = loadContent();
  let store: ClickHouseStore;
  let events: Event[];

  beforeAll(async () => {
    store = await openClickHouseStore(config);
    events = withFields(storeEvents(2000, NOW));
    for (let k = 0; k < events.length; k += 500) await store.append(events.slice(k, k + 500));
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    for (const r of REPLICAS) await clickhouse(r, `DROP DATABASE IF EXISTS ${config.database}`).catch(() => undefined);
  });

  it('gives the one-thread rows, order included', async () => {
    const shape = (rows: readonly Result[]) => rows.map((r) => r.fieldNames().map((f): [string, unknown] => [f, r.get(f)]));
    const plans = SEARCHES.map((s) => plan(s, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW, tz: 'UTC', source: store }));
    const one = SEARCHES.map(() => new CollectSink());
    await executeMany(plans, one, { source: store, now: NOW, tz: 'UTC', lookups: pack.lookups });
    expect(one.every((s) => s.rows.length > 0)).toBe(true);
    const many = SEARCHES.map(() => new CollectSink());
    const stats = await runStoreInParallel(plans, many, { store, locator: { type: 'clickhouse', clickhouse: config } }, parallelOptions(pack.lookups, NOW, { threads: 2, workers: 'always' }));
    expect(stats).not.toBeNull();
    SEARCHES.forEach((s, i) => expect(shape(many[i]!.rows), s).toEqual(shape(one[i]!.rows)));
    // The indexed-field searches, against the events appended.
    const web1 = events.filter((e) => e.fields?.['k8s.pod.name'] === 'web-1').length;
    expect(web1).toBeGreaterThan(50);
    expect(many[SEARCHES.length - 2]!.rows).toHaveLength(web1);
    const counts = Object.fromEntries(many[SEARCHES.length - 1]!.rows.map((r) => [r.get('k8s.pod.name'), r.get('count')]));
    expect(counts).toEqual({ 'web-0': events.filter((e) => e.fields?.['k8s.pod.name'] === 'web-0').length, 'web-1': web1, 'web-2': events.filter((e) => e.fields?.['k8s.pod.name'] === 'web-2').length });
  }, 180_000);
});
