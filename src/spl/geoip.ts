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

/**
 * Most pointers one lookup (or the metadata) may follow, and most bytes of values their targets may span: a record
 * reached through pointers is decoded again at each, so a crafted file (an array of 28 pointers to an array of 28
 * pointers..., eight deep: 28^8 decodes) held a search for ever, and pointers to one large string made a copy each.
 * A GeoLite2-City record follows a few dozen pointers of a few bytes each.
 */
export const MAX_GEOIP_POINTERS = 100_000;
export const MAX_GEOIP_POINTER_BYTES = 64 * 1024 * 1024;

/**
 * The `cache` maxmind's decoder consults at every pointer it follows (`get` before decoding the target, `set` after,
 * with where the target ends): it caches nothing, it counts, and throws past the bounds above. `reset` starts a lookup.
 */
class PointerBudget {
  private pointers = 0;
  private bytes = 0;
  reset(): void {
    this.pointers = 0;
    this.bytes = 0;
  }
  get(): undefined {
    if (++this.pointers > MAX_GEOIP_POINTERS) throw new Error(`a record follows more than ${MAX_GEOIP_POINTERS} pointers`);
    return undefined;
  }
  set(offset: number, decoded: { offset: number }): void {
    this.bytes += Math.max(0, decoded.offset - offset);
    if (this.bytes > MAX_GEOIP_POINTER_BYTES) throw new Error(`a record's pointers reach more than ${MAX_GEOIP_POINTER_BYTES / 1024 / 1024} MiB of values`);
  }
}

const POINTER_BASE = [0, 2048, 526336, 0];

/**
 * Walks the metadata map at `start` as maxmind's decoder will (which follows its pointers with no bound), counting
 * values, pointers followed included: past MAX_GEOIP_POINTERS values, or nested past 64, it throws.
 */
function checkMetadata(buf: Buffer, start: number): void {
  let values = 0;
  const walk = (at: number, depth: number): number => {
    if (++values > MAX_GEOIP_POINTERS) throw new Error(`its metadata holds more than ${MAX_GEOIP_POINTERS} values (pointers followed)`);
    if (depth > 64) throw new Error('its metadata is nested more than 64 deep');
    if (at >= buf.length) throw new Error('its metadata ends early');
    const ctrl = buf[at++]!;
    let type = ctrl >> 5;
    if (type === 1) {
      const ss = (ctrl >> 3) & 3;
      if (at + ss + 1 > buf.length) throw new Error('its metadata ends early');
      const packed = ss === 3 ? buf.readUInt32BE(at) : ((ctrl & 7) * 2 ** (8 * (ss + 1))) + buf.readUIntBE(at, ss + 1);
      walk(start + POINTER_BASE[ss]! + packed, depth + 1);
      return at + ss + 1;
    }
    if (type === 0) {
      if (at >= buf.length) throw new Error('its metadata ends early');
      type = buf[at++]! + 7;
    }
    let size = ctrl & 0x1f;
    if (size >= 29) {
      const n = size - 28;
      if (at + n > buf.length) throw new Error('its metadata ends early');
      size = [0, 29, 285, 65821][n]! + buf.readUIntBE(at, n);
      at += n;
    }
    if (type === 7) {
      for (let i = 0; i < size; i++) at = walk(walk(at, depth + 1), depth + 1);
      return at;
    }
    if (type === 11) {
      for (let i = 0; i < size; i++) at = walk(at, depth + 1);
      return at;
    }
    // A boolean's size is its value; every other type's is its length.
    return type === 14 ? at : at + size;
  };
  walk(start, 0);
}

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
  const marker = buf.lastIndexOf(METADATA_MARKER);
  if (marker < 0) throw fail('is not a MaxMind DB file (no metadata marker)');
  const budget = new PointerBudget();
  let reader: InstanceType<ReturnType<typeof maxmindModule>['Reader']>;
  try {
    checkMetadata(buf, marker + METADATA_MARKER.length);
    reader = new (maxmindModule().Reader)(buf, { cache: budget });
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
        budget.reset();
        return reader.get(ip) ?? undefined;
      } catch (e) {
        throw fail(`is corrupt (looking up ${ip}: ${(e as Error).message})`);
      }
    },
  };
  opened.set(path, { size: st.size, mtimeMs: st.mtimeMs, db });
  return db;
}
