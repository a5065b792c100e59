import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { checkSearch } from '../../../src/spl/index.js';
import { Reader } from 'maxmind';
import { GEOIP_DB_ENV, MAX_GEOIP_POINTERS } from '../../../src/spl/geoip.js';
import { testCityNetworks, writeMmdb } from '../../mmdb.js';
import { at, errorOf, run } from './helpers.js';

// SPL reference, iplocation: "iplocation [prefix=<string>] [allfields=<bool>] [lang=<string>] <ip-address-fieldname>".
// "If set to true, this argument adds the fields City, Continent, Country, MetroCode, Region, Timezone, _time, lat
// (latitude), and lon (longitude). Default: false. Only the City, Country, Region, _time, lat, and lon fields are
// added." "Because all the information might not be available for each IP address, an event can have empty field
// values. For IP addresses which do not have a location, such as internal addresses, no fields are added."
// The database is test/mmdb.ts' testCityNetworks(); the expected values are the ones written there.
const tmp = mkdtempSync(join(tmpdir(), 'vigil-iplocation-'));
const DB = join(tmp, 'GeoLite2-City.mmdb');
writeFileSync(DB, writeMmdb(testCityNetworks()));
const before = process.env[GEOIP_DB_ENV];
beforeEach(() => {
  process.env[GEOIP_DB_ENV] = DB;
});
afterAll(() => {
  if (before === undefined) delete process.env[GEOIP_DB_ENV];
  else process.env[GEOIP_DB_ENV] = before;
  rmSync(tmp, { recursive: true, force: true });
});

const ip = (addr: string) => `| makeresults | eval ip="${addr}" | fields - _time`;

describe('iplocation', () => {
  it('adds City, Country, Region, lat and lon of the address', async () => {
    expect(await run(`${ip('81.2.69.160')} | iplocation ip`)).toEqual([{ ip: '81.2.69.160', City: 'London', Country: 'United Kingdom', Region: 'England', lat: 51.5142, lon: -0.0931 }]);
    // 216.160.83.56/29 ends at .63.
    expect(await run(`${ip('216.160.83.63')} | iplocation ip`)).toEqual([{ ip: '216.160.83.63', City: 'Milton', Country: 'United States', Region: 'Washington', lat: 47.2513, lon: -122.3149 }]);
  });

  it('allfields=true adds Continent, MetroCode and Timezone', async () => {
    expect(await run(`${ip('216.160.83.60')} | iplocation allfields=true ip`)).toEqual([
      { ip: '216.160.83.60', City: 'Milton', Continent: 'North America', Country: 'United States', MetroCode: 819, Region: 'Washington', Timezone: 'America/Los_Angeles', lat: 47.2513, lon: -122.3149 },
    ]);
    expect(await run(`${ip('81.2.69.1')} | iplocation allfields=f ip`)).toEqual([{ ip: '81.2.69.1', City: 'London', Country: 'United Kingdom', Region: 'England', lat: 51.5142, lon: -0.0931 }]);
  });

  it('prefix= goes before every name (ESCU: iplocation prefix=auth_ dest | iplocation prefix=verify_ src)', async () => {
    const rows = await run('| makeresults | eval dest="81.2.69.5", src="2001:218::7" | fields - _time | iplocation prefix=auth_ dest | iplocation prefix=verify_ allfields=true src');
    expect(rows).toEqual([
      {
        dest: '81.2.69.5',
        src: '2001:218::7',
        auth_City: 'London',
        auth_Country: 'United Kingdom',
        auth_Region: 'England',
        auth_lat: 51.5142,
        auth_lon: -0.0931,
        verify_City: 'Tokyo',
        verify_Continent: 'Asia',
        verify_Country: 'Japan',
        verify_MetroCode: '',
        verify_Region: 'Tokyo',
        verify_Timezone: 'Asia/Tokyo',
        verify_lat: 35.6893,
        verify_lon: 139.6899,
      },
    ]);
  });

  it('lang= names places in that language, in English where the database has no name in it', async () => {
    expect(await run(`${ip('2001:218:0:1::1')} | iplocation lang=de allfields=true ip | fields City Continent Country Region`)).toEqual([{ City: 'Tokio', Continent: 'Asien', Country: 'Japan', Region: 'Tokio' }]);
    // Milton has no German name (as in GeoLite2, small places are named in English only).
    expect(await run(`${ip('216.160.83.56')} | iplocation lang=de ip | fields City Country`)).toEqual([{ City: 'Milton', Country: 'Vereinigte Staaten' }]);
  });

  it('a lang= the database has no names in is an error at the value', async () => {
    const spl = `${ip('81.2.69.1')} | iplocation lang=fr ip`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toBe(`iplocation lang=fr: the GeoIP database ${DB} has names in en, de`);
    expect(e.format()).toContain(at(spl, 'fr'));
  });

  it('a known network without a city or region gives those fields empty ("an event can have empty field values")', async () => {
    expect(await run(`${ip('89.160.20.120')} | iplocation allfields=true ip`)).toEqual([
      { ip: '89.160.20.120', City: '', Continent: 'Europe', Country: 'Sweden', MetroCode: '', Region: '', Timezone: 'Europe/Stockholm', lat: 62, lon: 15 },
    ]);
    // No country of use: the registered country; no location: lat and lon empty.
    expect(await run(`${ip('1.0.0.1')} | iplocation ip`)).toEqual([{ ip: '1.0.0.1', City: '', Country: 'Australia', Region: '', lat: '', lon: '' }]);
  });

  it('adds nothing for an address the database does not know, a value that is no address, or no field ("no fields are added")', async () => {
    for (const addr of ['10.0.0.1', '8.8.8.8', '::1', 'not-an-ip', '999.1.1.1', '81.2.69', '']) {
      // A field of the same name already there is left as it is.
      expect(await run(`${ip(addr)} | eval City="kept" | iplocation ip`), addr).toEqual([{ ip: addr, City: 'kept' }]);
    }
    expect(await run('| makeresults | fields - _time | iplocation ip')).toEqual([{}]);
  });

  it('reads IPv6, an IPv4-mapped IPv6 address, a CIDR block, spaces around the address and the first of several values', async () => {
    expect(await run(`${ip('2001:218::1')} | iplocation ip | fields City`)).toEqual([{ City: 'Tokyo' }]);
    expect(await run(`${ip('::ffff:81.2.69.9')} | iplocation ip | fields City`)).toEqual([{ City: 'London' }]);
    // "supports IPv4 and IPv6 addresses and subnets that use CIDR notation": the block's address is looked up.
    expect(await run(`${ip('81.2.69.0/24')} | iplocation ip | fields City`)).toEqual([{ City: 'London' }]);
    expect(await run(`${ip('81.2.69.0/33')} | iplocation ip | fields City`)).toEqual([{}]);
    expect(await run(`${ip(' 81.2.69.9 ')} | iplocation ip | fields City`)).toEqual([{ City: 'London' }]);
    expect(await run('| makeresults | eval ip=split("2001:218::1,81.2.69.9", ",") | iplocation ip | table City')).toEqual([{ City: 'Tokyo' }]);
  });

  it('works per row: each row gets its own address\'s fields', async () => {
    const rows = await run('| makeresults count=4 | streamstats count as n | eval ip=case(n=1, "81.2.69.1", n=2, "10.1.1.1", n=3, "2001:218::9", n=4, "81.2.69.1") | iplocation ip | table n City');
    expect(rows).toEqual([{ n: 1, City: 'London' }, { n: 2 }, { n: 3, City: 'Tokyo' }, { n: 4, City: 'London' }]);
  });

  it('without a database is GEOIP_DB at the command, saying how to configure one', async () => {
    delete process.env[GEOIP_DB_ENV];
    const spl = `${ip('81.2.69.1')} | iplocation ip`;
    const e = await errorOf(spl);
    expect(e.code).toBe('GEOIP_DB');
    expect(e.message).toBe('iplocation needs a GeoIP database: set VIGIL_GEOIP_DB (or --geoip-db, or geoipDb: in vigil serve\'s config) to a MaxMind DB file such as GeoLite2-City.mmdb');
    expect(e.format()).toContain(at(spl, 'iplocation'));
    // A check (vigil validate, the census) does not need the database: like the events, it is the run's.
    expect(() => checkSearch(spl)).not.toThrow();
  });

  it('a database that is missing, not a MaxMind DB or corrupt is GEOIP_DB at the command', async () => {
    const spl = `${ip('81.2.69.1')} | iplocation ip`;
    process.env[GEOIP_DB_ENV] = join(tmp, 'missing.mmdb');
    let e = await errorOf(spl);
    expect(e.code).toBe('GEOIP_DB');
    expect(e.message).toBe(`iplocation: the GeoIP database ${join(tmp, 'missing.mmdb')} cannot be read: no such file or directory`);
    expect(e.format()).toContain(at(spl, 'iplocation'));

    const junk = join(tmp, 'junk.mmdb');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    process.env[GEOIP_DB_ENV] = junk;
    e = await errorOf(spl);
    expect(e.code).toBe('GEOIP_DB');
    expect(e.message).toBe(`iplocation: the GeoIP database ${junk} is not a MaxMind DB file (no metadata marker)`);

    // A record that does not decode fails the search when a row reaches it.
    const good = writeMmdb(testCityNetworks());
    const bad = Buffer.from(good);
    const dataStart = new Reader(good).metadata.searchTreeSize + 16;
    bad[dataStart] = 0x00;
    bad[dataStart + 1] = 0xff;
    const corrupt = join(tmp, 'corrupt.mmdb');
    writeFileSync(corrupt, bad);
    process.env[GEOIP_DB_ENV] = corrupt;
    e = await errorOf(spl);
    expect(e.code).toBe('GEOIP_DB');
    expect(e.message).toMatch(/^iplocation: the GeoIP database .*corrupt\.mmdb is corrupt \(looking up 81\.2\.69\.1: /);
    expect(e.format()).toContain(at(spl, 'iplocation'));
  });

  // An array of 28 pointers to an array of 28 pointers ... `depth` deep, then "x", at `base` of a section whose
  // pointers count from `origin`: maxmind's decoder decodes a pointer's target again at each pointer (28^8 times).
  const pointerFan = (depth: number, origin: number): Buffer => {
    const bytes: number[] = [];
    for (let i = 0; i < depth; i++) {
      const next = origin + 58 * (i + 1);
      bytes.push(28, 4); // array (extended type 11) of 28
      for (let k = 0; k < 28; k++) bytes.push(0x20 | ((next >> 8) & 7), next & 0xff);
    }
    bytes.push(0x41, 0x78); // "x"
    return Buffer.from(bytes);
  };

  it(`a record or metadata reaching more than ${MAX_GEOIP_POINTERS} pointers is GEOIP_DB, not a search that never ends`, async () => {
    const spl = `${ip('1.2.3.4')} | iplocation ip`;
    const filler = 'a'.repeat(2000);
    const db = writeMmdb([{ cidr: '1.2.3.0/24', data: filler }], { ipVersion: 4 });
    // The network's record (a string: its 3-byte header, then the filler) becomes the fan, its pointers counted from
    // the data section's start, where the record is.
    pointerFan(8, 0).copy(db, db.indexOf(Buffer.from(filler)) - 3);
    const fanned = join(tmp, 'fanned-record.mmdb');
    writeFileSync(fanned, db);
    process.env[GEOIP_DB_ENV] = fanned;
    let e = await errorOf(spl);
    expect(e.code).toBe('GEOIP_DB');
    expect(e.message).toBe(`iplocation: the GeoIP database ${fanned} is corrupt (looking up 1.2.3.4: a record follows more than ${MAX_GEOIP_POINTERS} pointers)`);
    expect(e.format()).toContain(at(spl, 'iplocation'));
    // Two deep (28^2 pointers) is a record like any other.
    const small = writeMmdb([{ cidr: '1.2.3.0/24', data: filler }], { ipVersion: 4 });
    pointerFan(2, 0).copy(small, small.indexOf(Buffer.from(filler)) - 3);
    const smallPath = join(tmp, 'small-fan.mmdb');
    writeFileSync(smallPath, small);
    expect(new Reader(small).get('1.2.3.4')).toEqual(Array(28).fill(Array(28).fill('x')));
    process.env[GEOIP_DB_ENV] = smallPath;
    expect(await run(`${spl} | table City`)).toEqual([{ City: '' }]);

    // The metadata's pointers count from its start: metadata { a: <fan> }, decoded when the database is opened.
    const good = writeMmdb(testCityNetworks());
    const marker = good.lastIndexOf(Buffer.from('abcdef4d61784d696e642e636f6d', 'hex')) + 14;
    const meta = Buffer.concat([Buffer.from([0xe1, 0x41, 0x61]), pointerFan(8, 3)]);
    const fannedMeta = join(tmp, 'fanned-metadata.mmdb');
    writeFileSync(fannedMeta, Buffer.concat([good.subarray(0, marker), meta]));
    process.env[GEOIP_DB_ENV] = fannedMeta;
    e = await errorOf(spl);
    expect(e.code).toBe('GEOIP_DB');
    expect(e.message).toBe(`iplocation: the GeoIP database ${fannedMeta} is not a valid MaxMind DB file: its metadata holds more than ${MAX_GEOIP_POINTERS} values (pointers followed)`);
  });

  it('takes one field and its three options', async () => {
    const cases: [string, string, string][] = [
      ['| makeresults | iplocation', 'SPL_SYNTAX', 'iplocation needs a field, e.g. iplocation src_ip'],
      ['| makeresults | iplocation a b', 'SPL_SYNTAX', "iplocation takes one field; unexpected 'b'"],
      ['| makeresults | iplocation allfields=maybe a', 'SPL_BAD_ARGUMENT', ''],
      ['| makeresults | iplocation lang="" a', 'SPL_BAD_ARGUMENT', 'iplocation lang= needs a language, e.g. lang=de'],
    ];
    for (const [spl, code, message] of cases) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe(code);
      if (message) expect(e.message, spl).toBe(message);
    }
  });
});
