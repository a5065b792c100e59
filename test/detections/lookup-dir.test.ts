import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tableLockName, withLookupDir } from '../../src/detections/lookup-dir.js';
import { LOOKUP_LOCK_STALE_MS } from '../../src/detections/lookup-lock.js';
import { runSearch, SplError, type LookupProvider } from '../../src/spl/index.js';
import { NO_LOOKUPS, type LookupDirSetup } from '../../src/spl/lookups.js';

/**
 * The writable lookup directory's guards: one writer at a time per file (a lock file created with O_EXCL, a bounded
 * wait, stale locks taken over), and a bound on how many files searches create there.
 */
const NOW = 1700000000;
let dir: string;
const setup = (over: Partial<LookupDirSetup> = {}): LookupDirSetup => ({ dir, refusal: null, maxRows: 1000, maxBytes: 100_000, maxFiles: 1000, lockWaitMs: 10_000, ...over });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-lookup-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string) => readFileSync(join(dir, name), 'utf8');
const append = (l: LookupProvider, w: string, name = 't') => runSearch(`| makeresults | eval w="${w}" | table w | outputlookup append=true ${name}`, { now: NOW, lookups: l });
async function errorOf(spl: string, l: LookupProvider): Promise<SplError> {
  try {
    await runSearch(spl, { now: NOW, lookups: l });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`no error: ${spl}`);
}
/** A lock file as another writer leaves it: "<pid> <thread> <host> <random>". */
const lockOf = (name: string, pid: number, host = hostname()) => {
  const p = join(dir, tableLockName(name));
  writeFileSync(p, `${pid} 0 ${host} 0123456789abcdef\n`);
  return p;
};
/** A process id that was just in use and is now gone. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

describe('outputlookup: one writer at a time per file', () => {
  it('16 appenders at once in one process (Promise.all) keep every row, each once', async () => {
    const l = withLookupDir(NO_LOOKUPS, setup());
    const ws = Array.from({ length: 16 }, (_, i) => `w${i}`);
    await Promise.all(ws.map((w) => append(l, w)));
    const lines = file('t.csv').trim().split('\n');
    expect(lines[0]).toBe('w');
    expect(lines.slice(1).sort()).toEqual([...ws].sort());
    // The lock is gone once written: only the table is left.
    expect(readdirSync(dir)).toEqual(['t.csv']);
  });

  it('a lock whose process is gone is taken over (the write happens, the lock is removed)', async () => {
    const l = withLookupDir(NO_LOOKUPS, setup({ lockWaitMs: 0 }));
    await append(l, 'a');
    lockOf('t.csv', deadPid());
    await append(l, 'b');
    expect(file('t.csv')).toBe('w\na\nb\n');
    expect(readdirSync(dir)).toEqual(['t.csv']);
  });

  it(`a lock older than ${LOOKUP_LOCK_STALE_MS / 1000} s is taken over even when its process lives`, async () => {
    const l = withLookupDir(NO_LOOKUPS, setup({ lockWaitMs: 0 }));
    const p = lockOf('t.csv', process.pid);
    const old = (Date.now() - LOOKUP_LOCK_STALE_MS - 5000) / 1000;
    utimesSync(p, old, old);
    await append(l, 'a');
    expect(file('t.csv')).toBe('w\na\n');
    expect(readdirSync(dir)).toEqual(['t.csv']);
  });

  it('a lock held past the wait: SPL_LOOKUP_WRITE at the command, the file unchanged, for an append and a replace', async () => {
    const l = withLookupDir(NO_LOOKUPS, setup({ lockWaitMs: 300 }));
    await append(l, 'a');
    // A live process holds it (this one, another writer's token); and one on another host, whose process cannot be
    // checked, is stale only by age.
    for (const pid of [process.pid, deadPid()]) {
      const held = lockOf('t.csv', pid, pid === process.pid ? hostname() : `not-${hostname()}`);
      for (const spl of ['| makeresults | eval w="b" | table w | outputlookup append=true t', '| makeresults | eval w="c" | table w | outputlookup t', '| makeresults | where false() | outputlookup t']) {
        const e = await errorOf(spl, l);
        expect(e.code).toBe('SPL_LOOKUP_WRITE');
        expect(e.message).toContain('t.csv was still being written by another search after 0.3 s');
        expect(e.format()).toContain(`at 1:${spl.indexOf('outputlookup') + 1}`);
        expect(file('t.csv')).toBe('w\na\n');
      }
      // The other writer's lock is left to it.
      expect(readFileSync(held, 'utf8')).toContain(`${pid} 0 `);
      rmSync(held);
    }
    await append(l, 'd');
    expect(file('t.csv')).toBe('w\na\nd\n');
  });

  it('a taker killed while breaking a stale lock leaves a breaker file: one older than 10 s is removed, then the lock is taken over', async () => {
    const l = withLookupDir(NO_LOOKUPS, setup({ lockWaitMs: 2000 }));
    const lock = lockOf('t.csv', deadPid());
    writeFileSync(`${lock}-break`, '');
    const old = (Date.now() - 11_000) / 1000;
    utimesSync(`${lock}-break`, old, old);
    await append(l, 'a');
    expect(file('t.csv')).toBe('w\na\n');
    expect(readdirSync(dir)).toEqual(['t.csv']);
  });

  it('something other than a lock file at the lock path (a directory, a link) is neither followed nor spun on: the wait ends', async () => {
    const l = withLookupDir(NO_LOOKUPS, setup({ lockWaitMs: 200 }));
    mkdirSync(join(dir, tableLockName('d.csv')));
    symlinkSync('/etc/passwd', join(dir, tableLockName('s.csv')));
    for (const name of ['d', 's']) {
      const e = await errorOf(`| makeresults | eval w="x" | table w | outputlookup ${name}`, l);
      expect(e.code).toBe('SPL_LOOKUP_WRITE');
      expect(e.message).toContain(`${name}.csv was still being written by another search after 0.2 s`);
    }
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('a file whose name differs only in case has the same lock (one file where the file system ignores case)', () => {
    expect(tableLockName('Seen.csv')).toBe(tableLockName('seen.csv'));
    expect(tableLockName('seen.csv')).not.toBe(tableLockName('other.csv'));
    expect(tableLockName('x'.repeat(251) + '.csv')).toMatch(/^\.vigil-lookup\.[0-9a-f]{32}\.lock$/);
  });
});

describe('outputlookup: files searches may create', () => {
  it('a new name past maxFiles is SPL_LOOKUP_WRITE at the command, nothing written; existing files may still be written', async () => {
    const l = withLookupDir(NO_LOOKUPS, setup({ maxFiles: 2, lockWaitMs: 300 }));
    // Hidden files and other names are no lookups and do not count.
    writeFileSync(join(dir, '.hidden.csv'), 'x\n');
    writeFileSync(join(dir, 'notes.txt'), 'x\n');
    await append(l, 'a', 'one');
    await append(l, 'b', 'two.csv');
    for (const spl of ['| makeresults | eval w="c" | table w | outputlookup three', '| makeresults | eval w="c" | table w | outputlookup append=true three', '| makeresults | where false() | outputlookup create_empty=true three']) {
      const e = await errorOf(spl, l);
      expect(e.code).toBe('SPL_LOOKUP_WRITE');
      expect(e.message).toContain('the lookup directory already holds 2 lookup files, the most it may');
      expect(e.format()).toContain(`at 1:${spl.indexOf('outputlookup') + 1}`);
    }
    expect(readdirSync(dir).sort()).toEqual(['.hidden.csv', 'notes.txt', 'one.csv', 'two.csv']);
    // Replacing, appending to and removing an existing file are not new names.
    await append(l, 'c', 'one');
    await runSearch('| makeresults | eval w="z" | table w | outputlookup two', { now: NOW, lookups: l });
    expect([file('one.csv'), file('two.csv')]).toEqual(['w\na\nc\n', 'w\nz\n']);
    await runSearch('| makeresults | where false() | outputlookup two', { now: NOW, lookups: l });
    await append(l, 'd', 'three');
    expect(file('three.csv')).toBe('w\nd\n');
  });

  it('a new file waits for the directory lock (counted and created under it); an existing file does not need it', async () => {
    const l = withLookupDir(NO_LOOKUPS, setup({ lockWaitMs: 200 }));
    await append(l, 'a');
    writeFileSync(join(dir, '.vigil-lookup-directory.lock'), `${process.pid} 0 ${hostname()} 0123456789abcdef\n`);
    const e = await errorOf('| makeresults | eval w="b" | table w | outputlookup fresh', l);
    expect(e.message).toContain("the lookup directory was still being written by another search after 0.2 s (the lock wait: --lookup-lock-wait, serve's search.lookupLockWait); fresh.csv was not written");
    await append(l, 'b');
    expect(file('t.csv')).toBe('w\na\nb\n');
  });
});

// transforms.conf.spec, case_sensitive_match: "If set to false, Splunk software performs case insensitive matching for all
// fields in a lookup table" (default true). The definition names the file; the directory's copy of it is the same lookup.
describe('a lookup directory file that overrides a content definition keeps the definition settings', () => {
  it('case_sensitive_match=false of the definition still holds for its file written to the directory', async () => {
    const content: LookupProvider = {
      get: (name) => (name === 'hosts' ? { name: 'hosts', fields: ['h', 'role'], rows: [{ h: 'WEB01', role: 'old' }], caseSensitive: false } : undefined),
      names: () => ['hosts'],
    };
    const l = withLookupDir(content, setup());
    const lookup = async (table: string) => (await runSearch(`| makeresults | eval h="web01" | lookup ${table} h OUTPUT role | table role`, { now: NOW, lookups: l })).results.map((r) => r.get('role'));
    expect(await lookup('hosts')).toEqual(['old']);
    writeFileSync(join(dir, 'hosts.csv'), 'h,role\nWEB01,new\n');
    // Through the definition's name: its case-insensitive matching; the file by its own name has no definition.
    expect(await lookup('hosts')).toEqual(['new']);
    expect(await lookup('hosts.csv')).toEqual([null]);
  });
});
