import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, opendirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { VigilError } from '../errors.js';
import { lookupFileName, type ExistingLookup, type LookupMatching, type LookupDirSetup, type LookupProvider, type LookupTable, type LookupWriter, type WritableLookups } from '../spl/lookups.js';
import { LOOKUP_LOCK_STALE_MS, ownerGone, withLockFile } from './lookup-lock.js';
import { parseCsv } from './csv.js';
import { holdEndingSignals } from '../signals.js';

/**
 * `base` (the content's lookups) with the lookups of a writable directory over it, as a Splunk app's local lookups
 * override its default ones: `inputlookup x`/`lookup x` read `<dir>/x.csv` when it exists (read again when it
 * changes), else the content's `x`; `outputlookup` writes there (`writer`). A name that is not a plain file name
 * is never looked up in the directory (`inputlookup ../x` reads nothing outside it).
 */
export function withLookupDir(base: LookupProvider, setup: LookupDirSetup): WritableLookups {
  const cache = new Map<string, { key: string; table: LookupTable }>();
  const fromDir = (name: string): LookupTable | undefined => {
    const f = lookupFileName(name);
    if (!('file' in f)) return undefined;
    const path = join(setup.dir, f.file);
    let st;
    try {
      // Not followed: a link planted in the directory would read what lies outside it (/etc/passwd), and a link to
      // /dev/zero or a FIFO would be read without end. Only regular files are the directory's lookups.
      st = lstatSync(path);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    // The content's definition of the name still says how the file matches (case_sensitive_match, match_type, max_matches,
    // ...), as in Splunk a definition names a file wherever it lives; `x.csv`, the file itself, has none: the defaults.
    const def = base.get(name);
    const matching: LookupMatching = def
      ? { caseSensitive: def.caseSensitive, wildcardFields: def.wildcardFields, cidrFields: def.cidrFields, maxMatches: def.maxMatches, minMatches: def.minMatches, defaultMatch: def.defaultMatch }
      : { caseSensitive: true };
    const key = `${st.ino}:${st.size}:${st.mtimeMs}:${JSON.stringify(matching)}`;
    const hit = cache.get(name);
    if (hit?.key === key) return hit.table;
    const table = noFollowCsvTable(name, path, matching);
    cache.set(name, { key, table });
    return table;
  };
  return {
    get: (name) => fromDir(name) ?? base.get(name),
    names: () => [...new Set([...listed(setup.dir), ...base.names()])],
    // A table of the directory is loaded: only the content's refusals are said.
    refusal: (name) => (fromDir(name) ? undefined : base.refusal?.(name)),
    writer: directoryWriter(setup),
  };
}

/**
 * A table of the directory, read when first used through a descriptor opened without following a link, and only when
 * that is a regular file: a link (or FIFO) put in place of the file after `fromDir` looked at it is not read either.
 */
function noFollowCsvTable(name: string, path: string, matching: LookupMatching): LookupTable {
  let parsed: { fields: string[]; rows: Record<string, string>[] } | undefined;
  const read = (): { fields: string[]; rows: Record<string, string>[] } => {
    let fd: number;
    try {
      // O_NONBLOCK: opening a FIFO does not wait for a writer (it is then refused as not a regular file).
      fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    } catch (e) {
      throw new VigilError('LOOKUP_NOT_FOUND', `lookup file ${path} cannot be read: ${(e as Error).message}`);
    }
    try {
      if (!fstatSync(fd).isFile()) throw new VigilError('LOOKUP_NOT_FOUND', `lookup file ${path} is not a regular file`);
      const rows = parseCsv(readFileSync(fd, 'utf8'), path);
      const header = rows[0] ?? [];
      return { fields: header, rows: rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
    } finally {
      closeSync(fd);
    }
  };
  return {
    name,
    ...matching,
    get fields() {
      return (parsed ??= read()).fields;
    },
    get rows() {
      return (parsed ??= read()).rows;
    },
  };
}

/** A lookup file of the directory: `*.csv`, not hidden (temporary files and locks are). */
function isListed(name: string): boolean {
  return name.toLowerCase().endsWith('.csv') && !name.startsWith('.');
}

function listed(dir: string): string[] {
  try {
    return readdirSync(dir).filter(isListed);
  } catch {
    return [];
  }
}

function directoryWriter(setup: LookupDirSetup): LookupWriter {
  const path = (file: string): string => {
    // Checked by the command already; checked again here, where the path is made.
    const f = lookupFileName(file);
    if (!('file' in f) || f.file !== file) throw new VigilError('SPL_LOOKUP_WRITE', `outputlookup: "${file}" is not a plain lookup file name`);
    return join(setup.dir, file);
  };
  const failed = (what: string, e: unknown): VigilError => new VigilError('SPL_LOOKUP_WRITE', `outputlookup: cannot ${what} in ${setup.dir}: ${(e as Error).message}`);
  const busy = (file: string, what: string) => (): VigilError =>
    new VigilError('SPL_LOOKUP_WRITE', `outputlookup: ${what} was still being written by another search after ${setup.lockWaitMs / 1000} s (the lock wait: --lookup-lock-wait, serve's search.lookupLockWait); ${file} was not written`);
  const read = (file: string, p: string): ExistingLookup | null => {
    let fd: number;
    try {
      // Not a link: a file written here is a regular file, and a link could read what lies outside the directory. Opened
      // without following one (as the tables are read: noFollowCsvTable), so a link swapped in after a check is not read.
      fd = openSync(p, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
    } catch {
      return null;
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return null;
      const size = st.size;
      if (size > setup.maxBytes) throw new VigilError('SPL_LOOKUP_WRITE', `outputlookup: ${file} already holds ${size} bytes, more than a written lookup may (${setup.maxBytes}): it cannot be appended to`);
      const buf = Buffer.alloc(size);
      let at = 0;
      while (at < size) {
        const n = readSync(fd, buf, at, size - at, at);
        if (n === 0) break;
        at += n;
      }
      const text = buf.subarray(0, at).toString('utf8');
      let rows: string[][];
      try {
        rows = parseCsv(text, file);
      } catch (e) {
        throw new VigilError('SPL_LOOKUP_WRITE', `outputlookup: ${file} is not CSV that can be appended to: ${(e as Error).message}`);
      }
      return { text, header: rows[0] ?? [], rows: Math.max(0, rows.length - 1) };
    } finally {
      closeSync(fd);
    }
  };
  const write = (file: string, p: string, text: string): void => {
    const tmp = join(setup.dir, tempFileName());
    try {
      writeFileSync(tmp, text, { flag: 'wx', mode: 0o644 });
      renameSync(tmp, p);
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // never created, or already renamed
      }
      throw failed(`write ${file}`, e);
    }
  };
  // A new name counts against maxFiles: the count and the rename happen under the directory's lock, so two searches
  // creating different files at once cannot both pass at the last free place.
  const create = (file: string, p: string, text: string): void =>
    withLockFile(join(setup.dir, DIRECTORY_LOCK), setup.lockWaitMs, busy(file, 'the lookup directory'), () => {
      if (!exists(p) && atLeastFiles(setup.dir, setup.maxFiles))
        throw new VigilError('SPL_LOOKUP_WRITE', `outputlookup: the lookup directory already holds ${setup.maxFiles} lookup files, the most it may (a new file is refused; an existing one may be written): ${file} was not written`);
      write(file, p, text);
    });
  return {
    refusal: setup.refusal,
    maxRows: setup.maxRows,
    maxBytes: setup.maxBytes,
    update: (file, wantRead, change) => {
      const p = path(file);
      try {
        mkdirSync(setup.dir, { recursive: true });
      } catch (e) {
        throw failed('create the lookup directory', e);
      }
      // Every change of one file, a replace too, holds its lock from the read to the rename: an append never writes
      // back rows another writer replaced or removed meanwhile, and never drops rows another appended.
      withLockFile(join(setup.dir, tableLockName(file)), setup.lockWaitMs, busy(file, file), () => {
        // Once the lock is ours, Ctrl-C waits for the rename and the locks' removal (the default action left the
        // temporary file and both locks); not while waiting for the lock (up to --lookup-lock-wait), nothing to undo.
        holdEndingSignals();
        removeLeftovers(setup.dir);
        const what = change(wantRead ? read(file, p) : null);
        if (what === 'remove') {
          try {
            rmSync(p, { force: true });
          } catch (e) {
            throw failed(`remove ${file}`, e);
          }
          return;
        }
        if (exists(p)) write(file, p, what.write);
        else create(file, p, what.write);
      });
    },
  };
}

/**
 * A temporary file's name: hidden (a lookup name never starts with a dot, so it is never listed or counted as a table)
 * and unique (concurrent writers never share one), naming its writer as a lock does (lookup-lock.ts): pid, thread id
 * and a tag of the host, so a file left by a writer killed before its rename is known as such (`removeLeftovers`). Not
 * named after the table: a name of up to 255 bytes is valid, and with a prefix and suffix it would not fit.
 */
export function tempFileName(): string {
  return `.vigil-lookup.${process.pid}.${threadId}.${hostTag()}.${randomBytes(8).toString('hex')}.tmp`;
}

/**
 * `tempFileName`'s names, matched whole; and those of versions before the owner was in the name (pid and random part
 * only: the thread and host unknown, such a file is removed only by its age).
 */
const TEMP_NAME = /^\.vigil-lookup\.([1-9]\d{0,9})\.(?:(\d{1,10})\.([0-9a-f]{12})\.)?[0-9a-f]{16}\.tmp$/;

/** The host in a temporary file's name: a hash, as a host name may hold dots or be long. */
function hostTag(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 12);
}

/**
 * Removes the temporary files of the directory whose writer is known gone: killed between its write and its rename (a
 * `vigil serve` search terminated at its time limit runs no `finally`; a process killed with SIGKILL), each left up to
 * the byte limit, never counted as a table nor removed by anything else. Gone means, as for a lock: another process of
 * this host that no longer exists, a thread of this process that has exited (thread-exits.ts), or a file untouched for
 * LOOKUP_LOCK_STALE_MS (a live writer's file is being written, its time moving, or renamed at once). Only regular
 * files whose whole name is one of ours: a link, a folder or a user's `.vigil-lookup-notes.csv` stays. One pass over
 * the listing, constant memory; a file that cannot be removed is left for the next writer, the write goes on.
 */
function removeLeftovers(dir: string): void {
  const host = hostTag();
  const now = Date.now();
  let d;
  try {
    d = opendirSync(dir);
  } catch {
    return;
  }
  try {
    for (let e = d.readSync(); e !== null; e = d.readSync()) {
      const m = TEMP_NAME.exec(e.name);
      if (m === null) continue;
      const p = join(dir, e.name);
      try {
        const st = lstatSync(p);
        const gone = m[2] !== undefined && m[3] === host && ownerGone(Number(m[1]), Number(m[2]));
        if (st.isFile() && (gone || now - st.mtimeMs > LOOKUP_LOCK_STALE_MS)) unlinkSync(p);
      } catch {
        // Gone meanwhile (another writer's sweep), or not removable here: left for the next writer.
      }
    }
  } catch {
    // The listing failed part-way: the rest is left for the next writer; the write itself goes on.
  } finally {
    d.closeSync();
  }
}

/** The directory's lock, held while a new lookup file is counted and created. */
const DIRECTORY_LOCK = '.vigil-lookup-directory.lock';

/**
 * The lock of one file: hidden, and named by a hash (a name of 255 bytes with a prefix would not fit). Of the name in
 * lower case: where the file system ignores case, `X.csv` and `x.csv` are one file, and must have one lock.
 */
export function tableLockName(file: string): string {
  return `.vigil-lookup.${createHash('sha256').update(file.toLowerCase()).digest('hex').slice(0, 32)}.lock`;
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Whether `dir` holds at least `limit` lookup files (as `listed` counts them), reading no further than that. */
function atLeastFiles(dir: string, limit: number): boolean {
  let d;
  try {
    d = opendirSync(dir);
  } catch {
    return limit <= 0;
  }
  try {
    let n = 0;
    for (let e = d.readSync(); e !== null; e = d.readSync()) {
      if (isListed(e.name) && ++n >= limit) return true;
    }
    return n >= limit;
  } finally {
    d.closeSync();
  }
}
