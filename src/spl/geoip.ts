import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { VigilError, fileErrorReason } from '../errors.js';
import { maxmindModule } from './node-builtins.js';

/**
 * The MaxMind DB file (GeoLite2-City.mmdb, GeoIP2-City.mmdb) that `iplocation` reads. vigil cannot ship one (MaxMind's
 * licence): the user names it with this variable, `--geoip-db` or `vigil serve`'s `geoipDb:`; the flag and the key set
 * the variable (`useGeoIpDatabase`), which is how the worker threads a run starts see it (they copy the environment).
 */
export const GEOIP_DB_ENV = 'VIGIL_GEOIP_DB';

/** A database larger than this is refused: it is read into memory, once per thread (GeoLite2-City is ~60 MB). */
export const MAX_GEOIP_DB_BYTES = 1024 * 1024 * 1024;

/** How a user names the database, for messages. */
export const GEOIP_DB_HOW = `set ${GEOIP_DB_ENV} (or --geoip-db, or geoipDb: in vigil serve's config) to a MaxMind DB file such as GeoLite2-City.mmdb`;

// Where the metadata map starts (the format's "\xAB\xCD\xEFMaxMind.com"): a file without it is not a MaxMind DB.
const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

export interface GeoIpDatabase {
  readonly path: string;
  /** The languages its names are given in (its metadata's `languages`). */
  readonly languages: readonly string[];
  /**
   * The record of the network holding `ip` (IPv4 or IPv6 text, already checked with isIP), undefined when none does.
   * Throws GEOIP_DB when the file's tree or data is corrupt.
   */
  lookup(ip: string, version: 4 | 6): unknown;
}

/** The database this process was told to use (VIGIL_GEOIP_DB, absolute), or null. Empty counts as unset. */
export function geoIpDatabasePath(env: Record<string, string | undefined> = process.env): string | null {
  const p = env[GEOIP_DB_ENV];
  return p === undefined || p.trim() === '' ? null : resolve(p);
}

/** Makes `path` the database of this process and of the threads it starts from now on. */
export function useGeoIpDatabase(path: string): void {
  process.env[GEOIP_DB_ENV] = resolve(path);
}

/** Opened databases by path, with the size and time of the file read: a file replaced on disk is read again. */
const opened = new Map<string, { size: number; mtimeMs: number; db: GeoIpDatabase }>();

/**
 * The database at `path`, read the first time a search of this thread needs it and kept. A file that cannot be read,
 * is too large or is not a MaxMind DB is a VigilError GEOIP_DB (not kept: the next search tries again).
 */
export function openGeoIpDatabase(path: string): GeoIpDatabase {
  const fail = (why: string) => new VigilError('GEOIP_DB', `the GeoIP database ${path} ${why}`);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw fail(`cannot be read: ${fileErrorReason(e)}`);
  }
  if (!st.isFile()) throw fail('is not a file');
  const known = opened.get(path);
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) return known.db;
  if (st.size > MAX_GEOIP_DB_BYTES) throw fail(`is larger than ${MAX_GEOIP_DB_BYTES / 1024 / 1024} MiB`);
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw fail(`cannot be read: ${fileErrorReason(e)}`);
  }
  if (buf.lastIndexOf(METADATA_MARKER) < 0) throw fail('is not a MaxMind DB file (no metadata marker)');
  let reader: InstanceType<ReturnType<typeof maxmindModule>['Reader']>;
  try {
    reader = new (maxmindModule().Reader)(buf);
  } catch (e) {
    throw fail(`is not a valid MaxMind DB file: ${(e as Error).message}`);
  }
  const m = reader.metadata as Partial<typeof reader.metadata> | undefined;
  const nodes = m?.nodeCount;
  if (!m || !(m.ipVersion === 4 || m.ipVersion === 6) || typeof nodes !== 'number' || !Number.isInteger(nodes) || nodes < 1 || m.searchTreeSize! + 16 > buf.length) {
    throw fail('is not a valid MaxMind DB file: its metadata has no usable node_count, record_size or ip_version');
  }
  const languages = Array.isArray(m.languages) ? m.languages.filter((l): l is string => typeof l === 'string') : [];
  const ipv6 = m.ipVersion === 6;
  const db: GeoIpDatabase = {
    path,
    languages,
    lookup: (ip, version) => {
      // An IPv4-only tree has no IPv6 networks (the reader would walk past its 32 bits).
      if (version === 6 && !ipv6) return undefined;
      try {
        return reader.get(ip) ?? undefined;
      } catch (e) {
        throw fail(`is corrupt (looking up ${ip}: ${(e as Error).message})`);
      }
    },
  };
  opened.set(path, { size: st.size, mtimeMs: st.mtimeMs, db });
  return db;
}
