/**
 * Modes of what vigil keeps in a data dir: events, findings and tokens are for the account that runs vigil
 * only. SQLite creates `-wal`, `-shm` and `-journal` files with the mode of their database file, so a database
 * created 0600 keeps all of them 0600 (whatever the umask).
 */
import { chmodSync, closeSync, fchmodSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileErrorReason, VigilError } from '../errors.js';

/** Group and other permission bits. */
const SHARED_BITS = 0o077;

/** Creates `dir` (and missing parents) mode 0700; an existing directory keeps its mode (it may be a volume's root). */
export function createPrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Creates `path` mode 0600 when missing, and takes group/other permissions off an existing one (older vigil created 0644). */
export function createPrivateFile(path: string): void {
  const fd = openSync(path, 'a', 0o600);
  try {
    // The mode given to open() is filtered by the umask, and an existing file keeps its own.
    if ((fstatSync(fd).mode & SHARED_BITS) !== 0) fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/** Takes group/other permissions off `path` if it exists (without creating it). */
export function restrictIfExists(path: string): void {
  try {
    if ((statSync(path).mode & SHARED_BITS) !== 0) chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/**
 * Replaces `path` with `text` (0600): written beside it, then renamed over it, so a reader or a crash never sees
 * half a file. A failure (a full disk) leaves the old file and no temporary one, and is a `STORE` error: the API
 * answered it `500 INTERNAL "ENOSPC: ..."`, and left a zero-length `.tmp` behind.
 */
export function writePrivateFile(path: string, text: string, tmp = `${path}.tmp`): void {
  try {
    createPrivateFile(tmp);
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // not a file of ours (a directory of that name): left as it is
    }
    throw new VigilError('STORE', `cannot save ${path}: ${fileErrorReason(err)}`, { cause: err });
  }
}
