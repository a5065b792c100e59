/**
 * `<dataDir>/server.json`: where the `vigil serve` that owns a data dir answers (its API URL, and its pid
 * for messages), so a command refused the data dir's lock (store/dir-lock.ts) can send its work there
 * instead (`vigil backfill`). Written when the API listens, mode 0600, removed at shutdown. The lock, not
 * this file, says whether a server runs: a server that died leaves the file but not the lock.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../errors.js';
import { writePrivateFile } from '../store/file-modes.js';

export const SERVER_FILE = 'server.json';

export interface ServerFile {
  pid: number;
  /** The API's base URL as the server listens (`http://127.0.0.1:8000`). */
  apiUrl: string;
  /** ISO 8601. */
  startedAt: string;
}

export function writeServerFile(dataDir: string, info: ServerFile): void {
  const path = join(dataDir, SERVER_FILE);
  writePrivateFile(path, JSON.stringify(info) + '\n', `${path}.${process.pid}.tmp`);
}

/** Removes the file if it still names this process (a newer server's file is left alone). */
export function removeServerFile(dataDir: string): void {
  if (serverFile(dataDir)?.pid === process.pid) rmSync(join(dataDir, SERVER_FILE), { force: true });
}

/** What the last server to listen on `dataDir` wrote, or null without a file. */
export function serverFile(dataDir: string): ServerFile | null {
  const path = join(dataDir, SERVER_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new VigilError('CONFIG', `cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const v = JSON.parse(text) as Partial<ServerFile>;
    if (Number.isInteger(v.pid) && typeof v.apiUrl === 'string' && typeof v.startedAt === 'string') return v as ServerFile;
  } catch {
    // Reported below, like any other content.
  }
  throw new VigilError('CONFIG', `${path} is not what vigil serve writes ({"pid", "apiUrl", "startedAt"}); delete it if no vigil serve runs on this data dir`);
}
