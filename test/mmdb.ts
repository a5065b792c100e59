/**
 * A small MaxMind DB writer for tests (https://maxmind.github.io/MaxMind-DB/): a binary search tree of 24-, 28- or
 * 32-bit records, the 16-byte separator, a data section of typed values, and the metadata map after
 * "\xAB\xCD\xEFMaxMind.com". vigil cannot ship MaxMind's GeoLite2 (licence), so tests build their own databases.
 */
import { isIP } from 'node:net';

/** A value of the data section: a string (utf8_string), a number (double, or uint16/uint32 when wrapped), a map or an array. */
export type MmdbValue = string | number | { uint16: number } | { uint32: number } | { uint64: bigint } | boolean | MmdbValue[] | { [key: string]: MmdbValue };

export interface MmdbNetwork {
  /** `1.2.3.0/24`, `2001:db8::/32`. */
  cidr: string;
  data: MmdbValue;
}

export interface MmdbOptions {
  recordSize?: 24 | 28 | 32;
  /** 6 (default; IPv4 networks go under ::/96, as in GeoLite2) or 4 (IPv4 networks only). */
  ipVersion?: 4 | 6;
  databaseType?: string;
  languages?: string[];
}

function control(type: number, size: number): Buffer {
  const ext = type > 7;
  const head = (ext ? 0 : type) << 5;
  let sizeBits: number;
  let extra: Buffer;
  if (size < 29) {
    sizeBits = size;
    extra = Buffer.alloc(0);
  } else if (size < 29 + 256) {
    sizeBits = 29;
    extra = Buffer.from([size - 29]);
  } else if (size < 285 + 65536) {
    sizeBits = 30;
    extra = Buffer.alloc(2);
    extra.writeUInt16BE(size - 285);
  } else {
    sizeBits = 31;
    extra = Buffer.alloc(3);
    extra.writeUIntBE(size - 65821, 0, 3);
  }
  return Buffer.concat([Buffer.from([head | sizeBits]), ext ? Buffer.from([type - 7]) : Buffer.alloc(0), extra]);
}

/** An unsigned integer in as few big-endian bytes as it needs (0 in none). */
function uintBytes(n: bigint): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Buffer.from(bytes);
}

export function encodeValue(v: MmdbValue): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(2, b.length), b]);
  }
  if (typeof v === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([control(3, 8), b]);
  }
  if (typeof v === 'boolean') return control(14, v ? 1 : 0);
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encodeValue)]);
  if ('uint16' in v && typeof v.uint16 === 'number') {
    const b = uintBytes(BigInt(v.uint16));
    return Buffer.concat([control(5, b.length), b]);
  }
  if ('uint32' in v && typeof v.uint32 === 'number') {
    const b = uintBytes(BigInt(v.uint32));
    return Buffer.concat([control(6, b.length), b]);
  }
  if ('uint64' in v && typeof v.uint64 === 'bigint') {
    const b = uintBytes(v.uint64);
    return Buffer.concat([control(9, b.length), b]);
  }
  const entries = Object.entries(v as Record<string, MmdbValue>);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encodeValue(k), encodeValue(x)])]);
}

/** The address bits of an IPv4 or IPv6 address, most significant first (IPv4 in an IPv6 tree: after 96 zeros). */
function addressBits(ip: string, treeBits: 32 | 128): number[] {
  let bytes: number[];
  if (isIP(ip) === 4) {
    bytes = ip.split('.').map(Number);
    if (treeBits === 128) bytes = [...new Array<number>(12).fill(0), ...bytes];
  } else {
    if (treeBits === 32) throw new Error(`IPv6 network ${ip} in an IPv4 database`);
    const [head, tail] = ip.split('::') as [string, string | undefined];
    const parts = (s: string | undefined) => (s ? s.split(':') : []);
    const h = parts(head);
    const t = parts(tail);
    const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
    bytes = groups.flatMap((g) => {
      const n = parseInt(g, 16);
      return [n >> 8, n & 0xff];
    });
  }
  return bytes.flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1));
}

interface TrieNode {
  kids: [TrieNode | number | null, TrieNode | number | null];
}

/** Builds a database holding `networks` (a more specific network inside a listed one is not supported: list disjoint ones). */
export function writeMmdb(networks: readonly MmdbNetwork[], opts: MmdbOptions = {}): Buffer {
  const recordSize = opts.recordSize ?? 24;
  const ipVersion = opts.ipVersion ?? 6;
  const treeBits = ipVersion === 6 ? 128 : 32;
  // The data section: each network's value once, at its offset.
  const data: Buffer[] = [];
  let dataLength = 0;
  const offsets = networks.map((n) => {
    const b = encodeValue(n.data);
    const at = dataLength;
    data.push(b);
    dataLength += b.length;
    return at;
  });
  const root: TrieNode = { kids: [null, null] };
  networks.forEach((n, i) => {
    const [ip, len] = n.cidr.split('/') as [string, string];
    const bits = addressBits(ip, treeBits);
    const prefix = Number(len) + (isIP(ip) === 4 && treeBits === 128 ? 96 : 0);
    let node = root;
    for (let d = 0; d < prefix - 1; d++) {
      const b = bits[d] as 0 | 1;
      let next = node.kids[b];
      if (next === null) next = node.kids[b] = { kids: [null, null] };
      if (typeof next === 'number') throw new Error(`${n.cidr} is inside another network`);
      node = next;
    }
    node.kids[bits[prefix - 1] as 0 | 1] = offsets[i]!;
  });
  // Nodes numbered in preorder, the root 0.
  const order: TrieNode[] = [];
  const ids = new Map<TrieNode, number>();
  const visit = (n: TrieNode) => {
    ids.set(n, order.length);
    order.push(n);
    for (const k of n.kids) if (k !== null && typeof k !== 'number') visit(k);
  };
  visit(root);
  const nodeCount = order.length;
  const record = (k: TrieNode | number | null): number => (k === null ? nodeCount : typeof k === 'number' ? nodeCount + 16 + k : ids.get(k)!);
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(nodeCount * nodeBytes);
  order.forEach((n, i) => {
    const [l, r] = [record(n.kids[0]), record(n.kids[1])];
    const o = i * nodeBytes;
    if (recordSize === 24) {
      tree.writeUIntBE(l, o, 3);
      tree.writeUIntBE(r, o + 3, 3);
    } else if (recordSize === 28) {
      tree.writeUIntBE(l & 0xffffff, o, 3);
      tree[o + 3] = ((l >>> 24) << 4) | (r >>> 24);
      tree.writeUIntBE(r & 0xffffff, o + 4, 3);
    } else {
      tree.writeUInt32BE(l, o);
      tree.writeUInt32BE(r, o + 4);
    }
  });
  const metadata = encodeValue({
    node_count: { uint32: nodeCount },
    record_size: { uint16: recordSize },
    ip_version: { uint16: ipVersion },
    database_type: opts.databaseType ?? 'GeoLite2-City',
    languages: opts.languages ?? ['en', 'de'],
    binary_format_major_version: { uint16: 2 },
    binary_format_minor_version: { uint16: 0 },
    build_epoch: { uint64: 1_700_000_000n },
    description: { en: 'vigil test database' },
  });
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata]);
}

/** Names in English and German, as GeoLite2 gives them (`{ en, de }`; German omitted when `de` is undefined). */
const names = (en: string, de?: string): MmdbValue => (de === undefined ? { en } : { en, de });

/**
 * A GeoLite2-City-shaped record: `place` holds what to include (each part optional, as in the real database: a
 * network may know its country but no city).
 */
export function cityRecord(place: {
  city?: [string, string?];
  continent?: [string, string, string?];
  country?: [string, string, string?];
  registeredCountry?: [string, string, string?];
  subdivisions?: [string, string, string?][];
  location?: { latitude: number; longitude: number; timeZone?: string; metroCode?: number; accuracyRadius?: number };
}): MmdbValue {
  const out: Record<string, MmdbValue> = {};
  if (place.city) out.city = { geoname_id: { uint32: 1 }, names: names(...place.city) };
  if (place.continent) out.continent = { code: place.continent[0], geoname_id: { uint32: 2 }, names: names(place.continent[1], place.continent[2]) };
  const country = (c: [string, string, string?]): MmdbValue => ({ geoname_id: { uint32: 3 }, iso_code: c[0], names: names(c[1], c[2]) });
  if (place.country) out.country = country(place.country);
  if (place.registeredCountry) out.registered_country = country(place.registeredCountry);
  if (place.subdivisions) out.subdivisions = place.subdivisions.map((s) => ({ geoname_id: { uint32: 4 }, iso_code: s[0], names: names(s[1], s[2]) }));
  if (place.location) {
    const l = place.location;
    out.location = {
      accuracy_radius: { uint16: l.accuracyRadius ?? 10 },
      latitude: l.latitude,
      longitude: l.longitude,
      ...(l.metroCode !== undefined ? { metro_code: { uint16: l.metroCode } } : {}),
      ...(l.timeZone !== undefined ? { time_zone: l.timeZone } : {}),
    };
  }
  return out;
}

/**
 * The networks of the tests' GeoLite2-City-like database (names in en and de; values made up, shaped like MaxMind's):
 * - 81.2.69.0/24: London, England, United Kingdom, Europe; 51.5142, -0.0931; Europe/London.
 * - 216.160.83.56/29: Milton (no German name), Washington, United States, North America; 47.2513, -122.3149; metro 819;
 *   America/Los_Angeles.
 * - 89.160.20.112/28: Sweden only (no city, no subdivision); 62, 15; Europe/Stockholm.
 * - 1.0.0.0/24: a registered country only (Australia), no location.
 * - 2001:218::/32: Tokyo, Tokyo, Japan, Asia; 35.6893, 139.6899; Asia/Tokyo.
 * - 10.96.0.0/16, 172.20.0.0/16, 203.0.113.0/24: the addresses bench/generate.mjs connects to (parallel tests).
 */
export function testCityNetworks(): MmdbNetwork[] {
  const europe: [string, string, string] = ['EU', 'Europe', 'Europa'];
  return [
    {
      cidr: '81.2.69.0/24',
      data: cityRecord({
        city: ['London', 'London'],
        continent: europe,
        country: ['GB', 'United Kingdom', 'Vereinigtes Königreich'],
        subdivisions: [['ENG', 'England', 'England']],
        location: { latitude: 51.5142, longitude: -0.0931, timeZone: 'Europe/London' },
      }),
    },
    {
      cidr: '216.160.83.56/29',
      data: cityRecord({
        city: ['Milton'],
        continent: ['NA', 'North America', 'Nordamerika'],
        country: ['US', 'United States', 'Vereinigte Staaten'],
        subdivisions: [['WA', 'Washington', 'Washington']],
        location: { latitude: 47.2513, longitude: -122.3149, metroCode: 819, timeZone: 'America/Los_Angeles' },
      }),
    },
    {
      cidr: '89.160.20.112/28',
      data: cityRecord({ continent: europe, country: ['SE', 'Sweden', 'Schweden'], location: { latitude: 62, longitude: 15, timeZone: 'Europe/Stockholm' } }),
    },
    { cidr: '1.0.0.0/24', data: cityRecord({ continent: ['OC', 'Oceania', 'Ozeanien'], registeredCountry: ['AU', 'Australia', 'Australien'] }) },
    {
      cidr: '2001:218::/32',
      data: cityRecord({
        city: ['Tokyo', 'Tokio'],
        continent: ['AS', 'Asia', 'Asien'],
        country: ['JP', 'Japan', 'Japan'],
        subdivisions: [['13', 'Tokyo', 'Tokio']],
        location: { latitude: 35.6893, longitude: 139.6899, timeZone: 'Asia/Tokyo' },
      }),
    },
    { cidr: '10.96.0.0/16', data: cityRecord({ city: ['Frankfurt am Main'], country: ['DE', 'Germany', 'Deutschland'], location: { latitude: 50.1, longitude: 8.7 } }) },
    { cidr: '172.20.0.0/16', data: cityRecord({ city: ['Paris'], country: ['FR', 'France', 'Frankreich'], location: { latitude: 48.86, longitude: 2.34 } }) },
    { cidr: '203.0.113.0/24', data: cityRecord({ country: ['NL', 'Netherlands', 'Niederlande'] }) },
  ];
}
