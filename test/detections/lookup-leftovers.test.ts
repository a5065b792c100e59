import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lutimesSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLookupDir } from '../../src/detections/lookup-dir.js';
import { LOOKUP_LOCK_STALE_MS } from '../../src/detections/lookup-lock.js';
import { runSearch } from '../../src/spl/index.js';
import { NO_LOOKUPS, type LookupDirSetup } from '../../src/spl/lookups.js';
import { threadExited, watchThreadExit } from '../../src/thread-exits.js';
import { workerEntry } from '../../src/worker-entry.js';

/**
 * Temporary files left by an outputlookup writer killed between its write and its rename (a `vigil serve` search
 * terminated at its time limit runs no `finally`; a process killed with SIGKILL): the next writer of the directory
 * removes those whose owner is known gone, and nothing else. The Search Reference says nothing of how a lookup file is
 * written (docs/spl.md, outputlookup: *Decision*); the rules are those of the lookup locks (lookup-lock.ts).
 */
let dir: string;
const setup = (over: Partial<LookupDirSetup> = {}): LookupDirSetup => ({ dir, refusal: null, maxRows: 1000, maxBytes: 100_000, maxFiles: 1000, lockWaitMs: 1000, ...over });
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-lookup-leftovers-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, over: Partial<LookupDirSetup> = {}) =>
  runSearch(`| makeresults | eval w="x" | table w | outputlookup ${name}`, { now: 1700000000, lookups: withLookupDir(NO_LOOKUPS, setup(over)) });
/** A process that has exited (reaped by spawnSync): its pid names no process. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
/** The documented name: `.vigil-lookup.<pid>.<thread id>.<first 12 hex of sha256(host name)>.<16 hex>.tmp`. */
const HERE = createHash('sha256').update(hostname()).digest('hex').slice(0, 12);
const tempName = (pid: number, thread: number, host = HERE) => `.vigil-lookup.${pid}.${thread}.${host}.0123456789abcdef.tmp`;
/** A leftover of up to the byte limit: a few bytes stand for it. */
const leave = (name: string, ageMs = 0) => {
  const p = join(dir, name);
  writeFileSync(p, 'w\nhalf\n');
  if (ageMs > 0) utimesSync(p, (Date.now() - ageMs) / 1000, (Date.now() - ageMs) / 1000);
  return name;
};
const OLD = LOOKUP_LOCK_STALE_MS + 5_000;
const listing = () => readdirSync(dir).sort();

describe('outputlookup temporary files left by a killed writer', () => {
  it("another process's leftover (that process gone) is removed by the next write, of any table of the directory", async () => {
    leave(tempName(deadPid(), 0));
    leave(tempName(deadPid(), 3));
    await write('other');
    expect(listing()).toEqual(['other.csv']);
  });

  it('a worker thread of this process that wrote its temporary file and was terminated before the rename: kept while it lives, removed once it has exited', async () => {
    const w = new Worker(workerEntry(import.meta.url, 'temp-writer-worker'), { workerData: { dir } });
    watchThreadExit(w);
    const [name] = (await once(w, 'message')) as [string];
    const id = w.threadId;
    // The worker's name carries this process, its thread and this host.
    expect(name).toMatch(new RegExp(`^\\.vigil-lookup\\.${process.pid}\\.${id}\\.${HERE}\\.[0-9a-f]{16}\\.tmp$`));
    // Alive (it may be mid-write): the next writer leaves it.
    await write('t');
    expect(listing()).toEqual([name, 't.csv'].sort());
    expect(readFileSync(join(dir, name), 'utf8')).toBe('w\nhalf\n');

    await w.terminate();
    expect(threadExited(id)).toBe(true);
    await write('t');
    expect(listing()).toEqual(['t.csv']);
  });

  it("a live writer's file is never touched: this process's main thread, another live process, an owner of another host (unknown)", async () => {
    const kept = [tempName(process.pid, 0), tempName(process.ppid, 0), tempName(deadPid(), 0, 'abcdef012345')].map((n) => leave(n));
    await write('t');
    expect(listing()).toEqual([...kept, 't.csv'].sort());
  });

  it('any leftover untouched for longer than the lock stale age (60 s) is removed, whatever its owner: a live writer is writing it or renames it at once', async () => {
    leave(tempName(process.ppid, 0), OLD);
    leave(tempName(process.pid, 0), OLD);
    leave(tempName(deadPid(), 0, 'abcdef012345'), OLD);
    await write('t');
    expect(listing()).toEqual(['t.csv']);
  });

  it('a name of an earlier version (pid and random part only) is removed only by its age', async () => {
    const fresh = leave(`.vigil-lookup.${deadPid()}.00112233445566aa.tmp`);
    leave(`.vigil-lookup.${deadPid()}.8899aabbccddeeff.tmp`, OLD);
    await write('t');
    expect(listing()).toEqual([fresh, 't.csv'].sort());
  });

  it("only regular files whose whole name is one of ours: a user's hidden files, near misses, a link and a folder stay, even dead and old", async () => {
    const pid = deadPid();
    const outside = mkdtempSync(join(tmpdir(), 'vigil-lookup-leftovers-outside-'));
    try {
      const target = join(outside, 'kept.csv');
      writeFileSync(target, 'a\n1\n');
      const names = [
        '.vigil-lookup-notes.csv',
        `${tempName(pid, 0)}.bak`,
        `x${tempName(pid, 0)}`,
        tempName(pid, 0).toUpperCase(),
        `.vigil-lookup.${pid}.0.${HERE}.0123456789abcde.tmp`,
        `.vigil-lookup.0.0.${HERE}.0123456789abcdef.tmp`,
      ].map((n) => leave(n, OLD));
      const link = tempName(pid, 1);
      symlinkSync(target, join(dir, link));
      lutimesSync(join(dir, link), (Date.now() - OLD) / 1000, (Date.now() - OLD) / 1000);
      const folder = tempName(pid, 2);
      mkdirSync(join(dir, folder));
      utimesSync(join(dir, folder), (Date.now() - OLD) / 1000, (Date.now() - OLD) / 1000);
      await write('t');
      expect(listing()).toEqual([...names, link, folder, 't.csv'].sort());
      expect(readFileSync(target, 'utf8')).toBe('a\n1\n');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('temporary files are not lookup files: they take no place of --lookup-max-files', async () => {
    const live = leave(tempName(process.pid, 0));
    await write('only', { maxFiles: 1 });
    expect(listing()).toEqual([live, 'only.csv'].sort());
  });
});
