import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { VigilError } from '../../src/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, checkVersion, migrate, userVersion, type Migration } from '../../src/store/migrations.js';
import { STORE_FILE, openStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, collect, tempDir, toVersion4 } from './helpers.js';

afterAll(cleanupDirs);

function tables(db: Database.Database): string[] {
  return db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
}

describe('migrations', () => {
  it('builds the schema from an empty database', () => {
    const db = new Database(':memory:');
    expect(migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
    expect(userVersion(db)).toBe(SCHEMA_VERSION);
    expect(tables(db)).toEqual([
      'bucket_parts',
      'buckets',
      'counters',
      'dict',
      'finding_comments',
      'findings',
      'outbox',
      'run_leases',
      'runs',
      'scheduler_cursors',
      'splunk_indexes',
      'store_settings',
      'suppressions',
    ]);
    expect(db.prepare('SELECT name FROM splunk_indexes ORDER BY id').pluck().all()).toEqual(['main', 'risk', 'notable']);
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    db.close();
  });

  it('applies new migrations in order, each atomically with its version', () => {
    const db = new Database(':memory:');
    migrate(db);
    const v = SCHEMA_VERSION;
    const add = (version: number, name: string, up: Migration['up']): Migration => ({ version, name, up });
    const good = add(v + 1, 'ledger', (d) => d.exec('CREATE TABLE later_a (id INTEGER PRIMARY KEY)'));
    const bad = add(v + 2, 'half', (d) => {
      d.exec('CREATE TABLE later_b (id INTEGER PRIMARY KEY)');
      throw new Error('boom');
    });
    expect(() => migrate(db, [...MIGRATIONS, good, bad])).toThrow('boom');
    expect(userVersion(db)).toBe(v + 1);
    expect(tables(db)).toContain('later_a');
    expect(tables(db)).not.toContain('later_b');
    const fixed = add(v + 2, 'later_b', (d) => d.exec('CREATE TABLE later_b (id INTEGER PRIMARY KEY)'));
    expect(migrate(db, [...MIGRATIONS, good, fixed])).toEqual({ from: v + 1, to: v + 2 });
    expect(tables(db)).toContain('later_b');
    expect(() => migrate(db, [...MIGRATIONS, add(v + 3, 'gap', () => {})])).toThrow(/version/);
    db.close();
  });

  it('upgrades a version-1 store in place, keeping its events', async () => {
    const dir = tempDir();
    const s1 = await openStore(dir);
    await s1.append([{ _time: 1_700_000_000, index: 'risk', sourcetype: 'stash', source: 's', host: 'h', _raw: 'old risk event' }]);
    await s1.close();
    // Back to what a version-1 build left: no state tables, one table per bucket.
    toVersion4(dir);
    const db = new Database(join(dir, STORE_FILE));
    db.exec('DROP TABLE runs; DROP TABLE scheduler_cursors; DROP TABLE findings; DROP TABLE finding_comments; DROP TABLE outbox; DROP TABLE suppressions; DROP TABLE run_leases');
    db.exec('ALTER TABLE splunk_indexes DROP COLUMN removed');
    db.pragma('user_version = 1');
    db.close();
    const ro = await openStore(dir, { readonly: true }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(ro?.message).toMatch(/needs upgrading/);
    const s2 = await openStore(dir);
    expect((await collect(s2)).map((e) => e._raw)).toEqual(['old risk event']);
    expect(await s2.runs()).toEqual([]);
    await s2.setCursor('d', 1);
    expect(await s2.cursor('d')).toBe(1);
    // Every index it had still exists.
    expect((await s2.indexes()).map((i) => i.name)).toEqual(['main', 'notable', 'risk']);
    expect(s2.indexExists('risk')).toBe(true);
    await s2.close();
  });

  it('refuses a store written by a newer vigil, read-write and read-only', async () => {
    const dir = tempDir();
    await (await openStore(dir)).close();
    const db = new Database(join(dir, STORE_FILE));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    for (const readonly of [false, true]) {
      const err = await openStore(dir, { readonly }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(VigilError);
      expect((err as VigilError).message).toMatch(new RegExp(`schema version ${SCHEMA_VERSION + 1}.*newer vigil`));
    }
  });

  it('read-only opens need a current vigil store', () => {
    const db = new Database(':memory:');
    expect(() => checkVersion(db)).toThrow(/not a vigil event store/);
    migrate(db, MIGRATIONS);
    expect(() => checkVersion(db)).not.toThrow();
    expect(() => checkVersion(db, [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'next', up: () => {} }])).toThrow(/needs upgrading/);
    db.close();
  });
});
