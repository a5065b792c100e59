/**
 * Tokens generated on first start and kept in the data dir (`hec-token`, `api-token`, mode 0600), so a
 * restart reuses them instead of invalidating every client's configuration.
 */
import { randomUUID } from 'node:crypto';
import { chmod, link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileErrorReason, VigilError } from '../errors.js';
import { createPrivateDir } from '../store/file-modes.js';

export interface PersistedToken {
  token: string;
  path: string;
  /** True when this call created the file (first start): the CLI prints the token then. */
  created: boolean;
}

const TOKEN_TEXT = /^[\x21-\x7e]+$/;

/**
 * Shortest token accepted (configured, from the environment or a flag, or read from a token file): a token is
 * the only secret guarding ingest and the API, so a guessable one (`test`, `changeme`) is refused. Generated
 * tokens are UUIDs (36 characters).
 */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Reads `<dataDir>/<fileName>`, or creates it with a random UUID, so that processes starting at once agree on one
 * token: the token is written whole to a file of its own, then linked to the name (`link` fails when the name
 * exists), and a loser reads the winner's file, never a half-written one (created with O_EXCL and then written, the
 * file was empty for a moment: a process starting then failed with "not a token").
 */
export async function loadOrCreateToken(dataDir: string, fileName: string): Promise<PersistedToken> {
  const path = join(dataDir, fileName);
  const existing = await readToken(path);
  if (existing !== null) return { token: existing, path, created: false };
  try {
    createPrivateDir(dataDir);
  } catch (err) {
    throw new VigilError('CONFIG', `cannot create data dir ${dataDir}: ${fileErrorReason(err)}`, { cause: err });
  }
  const token = randomUUID();
  const draft = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(draft, token + '\n', { mode: 0o600, flag: 'wx' });
    // The mode passed to open() is filtered by the umask; make sure it is exactly 0600.
    await chmod(draft, 0o600);
    await link(draft, path);
    return { token, path, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const raced = await readToken(path);
      if (raced !== null) return { token: raced, path, created: false };
    }
    throw new VigilError('CONFIG', `cannot write ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

/** Reads `<dataDir>/<fileName>` when it exists (null when not): `loadOrCreateToken` for commands that must not create it. */
export async function loadToken(dataDir: string, fileName: string): Promise<PersistedToken | null> {
  const path = join(dataDir, fileName);
  const token = await readToken(path);
  return token === null ? null : { token, path, created: false };
}

async function readToken(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    // ENOTDIR: the data dir is a file (creating the token then says so).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new VigilError('CONFIG', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const token = text.trim();
  if (!TOKEN_TEXT.test(token) || token.length < MIN_TOKEN_LENGTH) {
    throw new VigilError('CONFIG', `${path}: not a token (expected one line of at least ${MIN_TOKEN_LENGTH} printable characters; delete the file to generate a new one)`);
  }
  return token;
}
