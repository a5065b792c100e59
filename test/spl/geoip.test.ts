import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Reader, type CityResponse } from 'maxmind';
import { afterAll, describe, expect, it } from 'vitest';
import { VigilError } from '../../src/errors.js';
import { geoIpDatabasePath, openGeoIpDatabase } from '../../src/spl/geoip.js';
import { cityRecord, encodeValue, testCityNetworks, writeMmdb } from '../mmdb.js';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-geoip-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the tests\' MaxMind DB writer, read back with the maxmind package', () => {
  it('encodes the data section types as the format spec gives them', () => {
    // Control byte: type in the top 3 bits, size in the low 5; utf8_string is type 2.
    expect(encodeValue('abc')).toEqual(Buffer.from([0x43, 0x61, 0x62, 0x63]));
    // A map (type 7) of one pair; a uint16 (type 5) of 819 = 0x0333 in two bytes.
    expect(encodeValue({ a: { uint16: 819 } })).toEqual(Buffer.from([0xe1, 0x41, 0x61, 0xa2, 0x03, 0x33]));
    // An array is extended type 11: type bits 0, then the byte 11 - 7 = 4.
    expect(encodeValue(['x'])).toEqual(Buffer.from([0x01, 0x04, 0x41, 0x78]));
    // 29 bytes and more: size bits 29, then the size minus 29 in one byte.
    expect(encodeValue('x'.repeat(30)).subarray(0, 2)).toEqual(Buffer.from([0x5d, 0x01]));
  });

  for (const recordSize of [24, 28, 32] as const) {
    it(`finds IPv4 and IPv6 networks in an IPv6 tree of ${recordSize}-bit records`, () => {
      const reader = new Reader<CityResponse>(writeMmdb(testCityNetworks(), { recordSize }));
      expect(reader.metadata).toMatchObject({ recordSize, ipVersion: 6, databaseType: 'GeoLite2-City', languages: ['en', 'de'] });
      const london = reader.get('81.2.69.160')!;
      expect(london.city?.names).toEqual({ en: 'London', de: 'London' });
      expect(london.country).toEqual({ geoname_id: 3, iso_code: 'GB', names: { en: 'United Kingdom', de: 'Vereinigtes Königreich' } });
      expect(london.subdivisions?.[0]?.iso_code).toBe('ENG');
      expect(london.location).toEqual({ accuracy_radius: 10, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' });
      // 216.160.83.56/29 holds .56 to .63: .63 is in it, .64 is not.
      expect(reader.get('216.160.83.63')?.location?.metro_code).toBe(819);
      expect(reader.get('216.160.83.64')).toBeNull();
      expect(reader.get('2001:218:1:2::3')?.city?.names.de).toBe('Tokio');
      expect(reader.get('2001:219::1')).toBeNull();
      expect(reader.get('10.0.0.1')).toBeNull();
    });
  }

  it('writes an IPv4-only tree', () => {
    const reader = new Reader<CityResponse>(writeMmdb([{ cidr: '81.2.69.0/24', data: cityRecord({ city: ['London', 'London'] }) }], { ipVersion: 4 }));
    expect(reader.metadata.ipVersion).toBe(4);
    expect(reader.get('81.2.69.1')?.city?.names.en).toBe('London');
    expect(reader.get('81.2.70.1')).toBeNull();
  });
});

describe('openGeoIpDatabase', () => {
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(VigilError);
      return { code: (e as VigilError).code, message: (e as VigilError).message };
    }
    throw new Error('expected an error');
  };

  it('opens a database once and reads it again when the file changes', () => {
    const path = join(tmp, 'a.mmdb');
    writeFileSync(path, writeMmdb(testCityNetworks()));
    const db = openGeoIpDatabase(path);
    expect(openGeoIpDatabase(path)).toBe(db);
    expect(db.languages).toEqual(['en', 'de']);
    writeFileSync(path, writeMmdb(testCityNetworks(), { languages: ['en'] }));
    expect(openGeoIpDatabase(path).languages).toEqual(['en']);
  });

  it('refuses a missing file, a directory and a file that is not a MaxMind DB with GEOIP_DB', () => {
    expect(codeOf(() => openGeoIpDatabase(join(tmp, 'none.mmdb')))).toEqual({ code: 'GEOIP_DB', message: `the GeoIP database ${join(tmp, 'none.mmdb')} cannot be read: no such file or directory` });
    expect(codeOf(() => openGeoIpDatabase(tmp))).toEqual({ code: 'GEOIP_DB', message: `the GeoIP database ${tmp} is not a file` });
    const junk = join(tmp, 'junk.mmdb');
    writeFileSync(junk, 'not a database at all\n');
    expect(codeOf(() => openGeoIpDatabase(junk))).toEqual({ code: 'GEOIP_DB', message: `the GeoIP database ${junk} is not a MaxMind DB file (no metadata marker)` });
    // The marker, then no metadata map: the reader's own error, as GEOIP_DB.
    const cut = join(tmp, 'cut.mmdb');
    writeFileSync(cut, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'));
    expect(codeOf(() => openGeoIpDatabase(cut)).code).toBe('GEOIP_DB');
  });

  it('a data section that does not decode is GEOIP_DB when looked up, never a crash', () => {
    const good = writeMmdb(testCityNetworks());
    const reader = new Reader(good);
    const dataStart = reader.metadata.searchTreeSize + 16;
    const bad = Buffer.from(good);
    // Extended type 255 + 7 does not exist.
    bad[dataStart] = 0x00;
    bad[dataStart + 1] = 0xff;
    const path = join(tmp, 'bad.mmdb');
    writeFileSync(path, bad);
    const db = openGeoIpDatabase(path);
    // The first network's record is at the data section's start (81.2.69.0/24).
    expect(codeOf(() => db.lookup('81.2.69.1', 4)).message).toMatch(/^the GeoIP database .*bad\.mmdb is corrupt \(looking up 81\.2\.69\.1: /);
    expect(db.lookup('10.0.0.1', 4)).toBeUndefined();
  });

  it('an IPv6 address in an IPv4-only database is not found', () => {
    const path = join(tmp, 'v4.mmdb');
    writeFileSync(path, writeMmdb([{ cidr: '0.0.0.0/1', data: cityRecord({ city: ['Low'] }) }], { ipVersion: 4 }));
    const db = openGeoIpDatabase(path);
    expect(db.lookup('1.2.3.4', 4)).toMatchObject({ city: { names: { en: 'Low' } } });
    expect(db.lookup('::1', 6)).toBeUndefined();
  });

  it('reads the path from VIGIL_GEOIP_DB, absolute; empty is unset', () => {
    expect(geoIpDatabasePath({ VIGIL_GEOIP_DB: '/x/GeoLite2-City.mmdb' })).toBe('/x/GeoLite2-City.mmdb');
    expect(geoIpDatabasePath({ VIGIL_GEOIP_DB: 'db.mmdb' })).toBe(join(process.cwd(), 'db.mmdb'));
    expect(geoIpDatabasePath({ VIGIL_GEOIP_DB: ' ' })).toBeNull();
    expect(geoIpDatabasePath({})).toBeNull();
  });
});
