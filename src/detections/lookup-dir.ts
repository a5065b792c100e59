import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../errors.js';
import { lookupFileName, type LookupDirSetup, type LookupProvider, type LookupTable, type LookupWriter, type WritableLookups } from '../spl/lookups.js';
import { parseCsv } from './csv.js';

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
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = cache.get(f.file);
    if (hit?.key === key) return hit.table;
    const table = noFollowCsvTable(name, path);
    cache.set(f.file, { key, table });
    return table;
  };
  return {
    get: (name) => fromDir(name) ?? base.get(name),
    names: () => [...new Set([...listed(setup.dir), ...base.names()])],
    writer: directoryWriter(setup),
  };
}

/**
 * A table of the directory, read when first used through a descriptor opened without following a link, and only when
 * that is a regular file: a link (or FIFO) put in place of the file after `fromDir` looked at it is not read either.
 */
function noFollowCsvTable(name: string, path: string): LookupTable {
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
    caseSensitive: true,
    get fields() {
      return (parsed ??= read()).fields;
    },
    get rows() {
      return (parsed ??= read()).rows;
    },
  };
}

function listed(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.csv') && !f.startsWith('.'));
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
  return {
    refusal: setup.refusal,
    maxRows: setup.maxRows,
    maxBytes: setup.maxBytes,
    read: (file) => {
      const p = path(file);
      let fd: number;
      try {
        // Not a link: a file written here is a regular file, and a link could read what lies outside the directory.
        if (!lstatSync(p).isFile()) return null;
        fd = openSync(p, 'r');
      } catch {
        return null;
      }
      try {
        const size = fstatSync(fd).size;
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
    },
    write: (file, text) => {
      const p = path(file);
      try {
        mkdirSync(setup.dir, { recursive: true });
      } catch (e) {
        throw failed('create the lookup directory', e);
      }
      // Hidden (a lookup name never starts with a dot) and unique: concurrent writers never share a temporary file.
      // Not named after the file: a name of up to 255 bytes is valid, and with a prefix and suffix it would not fit.
      const tmp = join(setup.dir, `.vigil-lookup.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
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
    },
    remove: (file) => {
      try {
        rmSync(path(file), { force: true });
      } catch (e) {
        throw failed(`remove ${file}`, e);
      }
    },
  };
}
