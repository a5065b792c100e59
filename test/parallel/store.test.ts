import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Result } from '../../src/events/result.js';
import { runStoreInParallel } from '../../src/parallel/run.js';
import { parallelOptions, storeEvents } from './helpers.js';
import { executeMany } from '../../src/spl/exec/multi.js';
import { CollectSink } from '../../src/spl/exec/run.js';
import { plan } from '../../src/spl/index.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';

const NOW = 1795200000;
const pack = loadContent();
const dir = mkdtempSync(join(tmpdir(), 'vigil-parallel-store-'));
let store: SqliteStore;

beforeAll(async () => {
  const w = await openStore(dir, { bucketSeconds: 600 });
  const events = storeEvents(3000, NOW);
  for (let k = 0; k < events.length; k += 500) await w.append(events.slice(k, k + 500));
  await w.close();
  store = await openStore(dir, { readonly: true });
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const shape = (rows: readonly Result[]) => rows.map((r) => r.fieldNames().map((f): [string, unknown] => [f, r.get(f)]));

const SEARCHES = [
  '* | stats count dc(process_name) values(index) min(_time) max(_time) avg(process_id) stdev(process_id) first(process) last(process) earliest(process) latest(process) list(process_name) mode(process_name) by node_name',
  'index=main process_name=curl | table _time process pod_name',
  '* | head 7',
  '* | dedup process_name | table _time process_name',
  '* | streamstats count by node_name | table _time node_name count',
  '* | eval x=1 | tail 4',
  '* process_name=sh',
  '* earliest=1795140000 latest=1795160000 | stats count by index',
];

describe('a search over the store on several threads', () => {
  it('gives the one-thread results, order included (time slices newest first)', async () => {
    const plans = SEARCHES.map((s) => plan(s, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: NOW, tz: 'UTC', source: store }));
    const one = SEARCHES.map(() => new CollectSink());
    await executeMany(plans, one, { source: store, now: NOW, tz: 'UTC', lookups: pack.lookups });
    expect(one.every((s) => s.rows.length > 0)).toBe(true);
    for (const [threads, workers] of [
      [2, 'always'],
      [4, 'only'],
    ] as const) {
      const many = SEARCHES.map(() => new CollectSink());
      const stats = await runStoreInParallel(plans, many, { store, locator: { type: 'sqlite', dataDir: dir } }, parallelOptions(pack.lookups, NOW, { threads, workers }));
      expect(stats).not.toBeNull();
      SEARCHES.forEach((s, i) => expect(shape(many[i]!.rows), `${s} on ${threads} threads`).toEqual(shape(one[i]!.rows)));
    }
  }, 120_000);

  it('stops reading once head has its rows, as one thread does', async () => {
    const p = plan('* | head 3', { now: NOW, tz: 'UTC', source: store });
    const sink = new CollectSink();
    const stats = await runStoreInParallel([p], [sink], { store, locator: { type: 'sqlite', dataDir: dir } }, parallelOptions(pack.lookups, NOW));
    expect(sink.rows).toHaveLength(3);
    expect(stats![0]!.eventsScanned).toBeLessThan(2000);
  }, 60_000);
});
