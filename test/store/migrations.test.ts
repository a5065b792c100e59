import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { VigilError } from '../../src/errors.js';
import { MIGRATIONS, SCHEMA_VERSION, checkVersion, migrate, userVersion, type Migration } from '../../src/store/migrations.js';
import { STORE_FILE, openStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, tempDir } from './helpers.js';

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
    expect(tables(db)).toEqual(['buckets', 'counters', 'dict', 'splunk_indexes', 'store_settings']);
    expect(db.prepare('SELECT name FROM splunk_indexes ORDER BY id').pluck().all()).toEqual(['main', 'risk', 'notable']);
    expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    db.close();
  });

  it('applies new migrations in order, each atomically with its version', () => {
    const db = new Database(':memory:');
    migrate(db);
    const v = SCHEMA_VERSION;
    const add = (version: number, name: string, up: Migration['up']): Migration => ({ version, name, up });
    const good = add(v + 1, 'ledger', (d) => d.exec('CREATE TABLE run_ledger (id INTEGER PRIMARY KEY)'));
    const bad = add(v + 2, 'half', (d) => {
      d.exec('CREATE TABLE findings (id INTEGER PRIMARY KEY)');
      throw new Error('boom');
    });
    expect(() => migrate(db, [...MIGRATIONS, good, bad])).toThrow('boom');
    expect(userVersion(db)).toBe(v + 1);
    expect(tables(db)).toContain('run_ledger');
    expect(tables(db)).not.toContain('findings');
    const fixed = add(v + 2, 'findings', (d) => d.exec('CREATE TABLE findings (id INTEGER PRIMARY KEY)'));
    expect(migrate(db, [...MIGRATIONS, good, fixed])).toEqual({ from: v + 1, to: v + 2 });
    expect(tables(db)).toContain('findings');
    expect(() => migrate(db, [...MIGRATIONS, add(v + 3, 'gap', () => {})])).toThrow(/version/);
    db.close();
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
