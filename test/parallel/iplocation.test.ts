import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { GEOIP_DB_ENV } from '../../src/spl/geoip.js';
import { testCityNetworks, writeMmdb } from '../mmdb.js';
import { expectPartitionedLikeOnePass } from './helpers.js';

// iplocation is streaming and reads only its row: partitions on worker threads (which take the database from the
// environment they copy at their start, and open it themselves) give the rows of one pass.
const tmp = mkdtempSync(join(tmpdir(), 'vigil-parallel-iplocation-'));
const before = process.env[GEOIP_DB_ENV];
afterAll(() => {
  if (before === undefined) delete process.env[GEOIP_DB_ENV];
  else process.env[GEOIP_DB_ENV] = before;
  rmSync(tmp, { recursive: true, force: true });
});

describe('iplocation over partitions', () => {
  it('gives the rows of one pass', async () => {
    const db = join(tmp, 'GeoLite2-City.mmdb');
    writeFileSync(db, writeMmdb(testCityNetworks()));
    process.env[GEOIP_DB_ENV] = db;
    // The generator connects to 10.96.x.x (Frankfurt am Main), 172.20.8.9 (Paris), 203.0.113.9 (Netherlands, no city)
    // and addresses the database does not know (127.0.0.1, 169.254.169.254).
    await expectPartitionedLikeOnePass(
      [
        'sourcetype="cisco:isovalent:processConnect" | iplocation prefix=geo_ allfields=true dest_ip | where isnotnull(geo_Country) | table _time dest_ip geo_*',
        'sourcetype="cisco:isovalent:processConnect" | iplocation dest_ip | stats count by City Country',
      ],
      7,
      1_795_200_000,
    );
  });
});
