import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore, STORE_FILE } from '../../src/store/sqlite-store.js';
import { STRINGS_PER_EVENT, type PackedBatch, type RunMessage } from '../../src/store/protocol.js';
import { Writer } from '../../src/store/writer.js';
import { MAX_SOURCETYPE_TABLES } from '../../src/store/schema.js';
import { makeRun } from './fixtures/runs.js';
import { cleanupDirs, collect, tempDir } from './helpers.js';

afterAll(cleanupDirs);

function packed(id: number, raws: string[]): PackedBatch {
  const times = new Float64Array(raws.map((_, i) => 1_700_000_000 + i));
  const strings = raws.flatMap((raw) => ['main', 'st', 'src', 'h', raw]);
  expect(strings.length).toBe(raws.length * STRINGS_PER_EVENT);
  return { id, times, strings };
}

describe('Writer.writeAtomically (events + other rows in one transaction)', () => {
  it('commits both or neither', async () => {
    const dir = tempDir();
    await (await openStore(dir)).close();
    const w = new Writer({ path: join(dir, STORE_FILE), busyTimeoutMs: 1000, maxGroupEvents: 1000, maxGroupChars: 1 << 20, maxPageCount: null, commitDelayMs: 0, indexedFields: true });
    w.writeAtomically([], (db) => db.exec('CREATE TABLE ledger (id TEXT PRIMARY KEY)'));
    w.writeAtomically([packed(1, ['a', 'b'])], (db) => db.prepare('INSERT INTO ledger VALUES (?)').run('run-1'));
    expect(() =>
      w.writeAtomically([packed(2, ['c'])], (db) => db.prepare('INSERT INTO ledger VALUES (?)').run('run-1')), // duplicate: fails
    ).toThrow(/UNIQUE/);
    expect(w.commit([packed(3, ['d'])])).toEqual([{ id: 3, ok: true, firstSeq: 3 }]); // still usable; the failed batch used no seq
    w.close();
    const s = await openStore(dir, { readonly: true });
    expect((await collect(s)).map((e) => e._raw).sort()).toEqual(['a', 'b', 'd']);
    await s.close();
  });
});

describe('Writer.commit with run commits and state updates', () => {
  function runItem(id: number, detectionId: string, t: number): RunMessage {
    const c = makeRun(detectionId, t, { risk: 2, findings: 1, outbox: 1 });
    const times = new Float64Array(c.events.map((e) => e._time));
    const strings = c.events.flatMap((e) => [e.index, e.sourcetype, e.source, e.host, e._raw]);
    return { type: 'run', id, times, strings, run: c.run, findings: c.findings, outbox: c.outbox, suppressions: c.suppressions, lease: { node: '', now: 0 } };
  }

  it('commits a mixed group in one transaction; refusals fail only their item and write nothing', async () => {
    const dir = tempDir();
    await (await openStore(dir)).close();
    const w = new Writer({ path: join(dir, STORE_FILE), busyTimeoutMs: 1000, maxGroupEvents: 1000, maxGroupChars: 1 << 20, maxPageCount: null, commitDelayMs: 0, indexedFields: true });
    const outcomes = w.commit([
      runItem(1, 'd', 1_700_000_000),
      packed(2, ['a']),
      runItem(3, 'd', 1_700_000_000), // the same run again, in the same transaction
      { type: 'state', id: 4, op: { op: 'addComment', comment: { findingId: 'missing', time: 1, author: 'a', text: 't' } } },
      { type: 'state', id: 5, op: { op: 'setCursor', detectionId: 'd', time: 1_700_000_000 } },
      runItem(6, 'e', 1_700_000_000),
    ]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'ok', 'STORE_CONFLICT', 'NOT_FOUND', 'ok', 'ok']);
    expect(w.commits).toBe(1);
    w.close();
    const s = await openStore(dir, { readonly: true });
    expect((await collect(s)).length).toBe(5); // 2 + 1 + 2: nothing of the duplicate
    expect((await s.runs()).map((r) => r.detectionId).sort()).toEqual(['d', 'e']);
    expect(await s.findings()).toHaveLength(2);
    expect(await s.cursor('d')).toBe(1_700_000_000);
    await s.close();
  });
});

describe('Writer: a bucket of many sourcetypes', () => {
  it('prepares one insert per table, not one per sourcetype sharing the mixed table (a client sending many sourcetypes)', async () => {
    const dir = tempDir();
    await (await openStore(dir)).close();
    const w = new Writer({ path: join(dir, STORE_FILE), busyTimeoutMs: 1000, maxGroupEvents: 10_000, maxGroupChars: 1 << 24, maxPageCount: null, commitDelayMs: 0, indexedFields: true });
    const db = (w as unknown as { db: { prepare: (sql: string) => unknown } }).db;
    const prepare = db.prepare.bind(db);
    let inserts = 0;
    db.prepare = (sql: string) => {
      if (sql.startsWith('INSERT INTO b')) inserts++;
      return prepare(sql);
    };
    const n = 500;
    const times = new Float64Array(Array.from({ length: n }, (_, i) => 1_700_000_000 + (i % 60)));
    const strings = Array.from({ length: n }, (_, i) => ['main', `st${i}`, 'src', 'h', `e${i}`]).flat();
    expect(w.commit([{ id: 1, times, strings }])).toEqual([{ id: 1, ok: true, firstSeq: 1 }]);
    expect(inserts).toBe(MAX_SOURCETYPE_TABLES + 1);
    w.close();
    const s = await openStore(dir, { readonly: true });
    expect((await collect(s)).length).toBe(n);
    await s.close();
  });
});

describe('a data dir without a store', () => {
  it('is refused read-only, naming the file and what to do (vigil serve creates it; check --data-dir)', async () => {
    const dir = join(tempDir(), 'typo');
    const err = await openStore(dir, { readonly: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: `no event store in ${dir} (${join(dir, STORE_FILE)} does not exist): vigil serve creates it; check --data-dir (or VIGIL_DATA_DIR, the config's dataDir)` });
  });
});
