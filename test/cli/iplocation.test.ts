import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testCityNetworks, writeMmdb } from '../mmdb.js';

/** `vigil search` as users run it (bin/vigil.js over dist/), with a GeoIP database named by env or flag. */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-cli-iplocation-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const DB = join(tmp, 'GeoLite2-City.mmdb');
writeFileSync(DB, writeMmdb(testCityNetworks()));
const EVENTS = join(tmp, 'connect.jsonl');
// Three process_connect events: London (81.2.69.0/24), Tokyo (2001:218::/32) and a private address.
writeFileSync(
  EVENTS,
  ['81.2.69.77', '2001:218::5', '10.1.2.3']
    .map((ip, i) => JSON.stringify({ process_connect: { process: { binary: '/usr/bin/curl', pid: 10 + i }, destination_ip: ip }, time: `2024-01-01T00:00:0${i}Z`, node_name: 'n' }))
    .join('\n') + '\n',
);

function vigil(args: string[], env: Record<string, string | undefined>) {
  const { VIGIL_GEOIP_DB: _, ...rest } = process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...rest, NO_COLOR: '1', ...env } as NodeJS.ProcessEnv });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const SPL = 'index=* | iplocation allfields=true dest_ip | sort _time | table dest_ip City Country Region Continent Timezone lat lon';
const rows = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
// In time order; values from testCityNetworks(); the private address gets no fields ("no fields are added").
const EXPECTED = [
  { dest_ip: '81.2.69.77', City: 'London', Country: 'United Kingdom', Region: 'England', Continent: 'Europe', Timezone: 'Europe/London', lat: 51.5142, lon: -0.0931 },
  { dest_ip: '2001:218::5', City: 'Tokyo', Country: 'Japan', Region: 'Tokyo', Continent: 'Asia', Timezone: 'Asia/Tokyo', lat: 35.6893, lon: 139.6899 },
  { dest_ip: '10.1.2.3' },
];

describe('vigil search | iplocation', () => {
  it('reads the database VIGIL_GEOIP_DB names', () => {
    const r = vigil(['search', SPL, '--events', EVENTS, '--format', 'jsonl'], { VIGIL_GEOIP_DB: DB });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(rows(r.out)).toEqual(EXPECTED);
  });

  it('--geoip-db names it too, over the variable; --threads 2 gives the same rows', () => {
    const r = vigil(['search', SPL, '--events', EVENTS, '--format', 'jsonl', '--geoip-db', DB, '--threads', '2'], { VIGIL_GEOIP_DB: join(tmp, 'nowhere.mmdb') });
    expect(r.err).toBe('');
    expect(rows(r.out)).toEqual(EXPECTED);
    const de = vigil(['search', 'index=* | iplocation lang=de dest_ip | search City=* | sort City | table City Country', '--events', EVENTS, '--format', 'jsonl', '--geoip-db', DB], {});
    expect(rows(de.out)).toEqual([
      { City: 'London', Country: 'Vereinigtes Königreich' },
      { City: 'Tokio', Country: 'Japan' },
    ]);
  });

  it('without a database: GEOIP_DB at iplocation, saying how to name one, exit 2', () => {
    const spl = '| makeresults | eval ip="81.2.69.1" | iplocation ip';
    const col = spl.indexOf('iplocation') + 1;
    const r = vigil(['search', spl, '--format', 'jsonl'], {});
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      [
        "vigil: iplocation needs a GeoIP database: set VIGIL_GEOIP_DB (or --geoip-db, or geoipDb: in vigil serve's config) to a MaxMind DB file such as GeoLite2-City.mmdb [GEOIP_DB]",
        `  at 1:${col}`,
        `  | ${spl}`,
        `  | ${' '.repeat(col - 1)}^^^^^^^^^^`,
        '',
      ].join('\n'),
    );
  });

  it('a file that is not a MaxMind DB: GEOIP_DB naming it, exit 2', () => {
    const junk = join(tmp, 'junk.mmdb');
    writeFileSync(junk, 'PK\u0003\u0004 a zip, not a database');
    const r = vigil(['search', SPL, '--events', EVENTS, '--geoip-db', junk], {});
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`vigil: iplocation: the GeoIP database ${junk} is not a MaxMind DB file (no metadata marker) [GEOIP_DB]`);
    expect(vigil(['search', SPL, '--events', EVENTS, '--geoip-db', ''], {})).toMatchObject({ code: 2, err: 'vigil: --geoip-db needs a file name [USAGE]\n' });
  });

  it('vigil run names the detection whose iplocation has no database; vigil validate needs none', () => {
    const content = join(tmp, 'content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    writeFileSync(
      join(content, 'detections', 'geo.yml'),
      ['name: Geo Connect', 'id: 0a000000-0000-4000-8000-0000000000aa', 'type: Hunting', 'search: |', '  sourcetype="cisco:isovalent:processConnect"', '  | iplocation dest_ip', '  | table dest_ip City'].join('\n') + '\n',
    );
    const args = ['run', 'Geo Connect', '--content', content, '--events', EVENTS, '--format', 'jsonl'];
    const none = vigil(args, {});
    expect(none.code).toBe(2);
    // The search's line 2, column 3 is YAML line 6, column 5.
    expect(none.err.split('\n')[0]).toMatch(/^vigil: iplocation needs a GeoIP database: .* \[GEOIP_DB\]$/);
    expect(none.err).toContain(`in detection "Geo Connect" (${join(content, 'detections', 'geo.yml')}:6:5)`);
    const ok = vigil([...args, '--geoip-db', DB], {});
    expect(ok.err).toBe('');
    // Newest first, as Splunk returns events.
    expect(rows(ok.out).map((r) => [r.dest_ip, r.City])).toEqual([
      ['10.1.2.3', undefined],
      ['2001:218::5', 'Tokyo'],
      ['81.2.69.77', 'London'],
    ]);
    const validate = vigil(['validate', '--content', content], {});
    expect(validate.out).toMatch(/geo\.yml:\d+:\d+: Geo Connect: runs on vigil\n/);
  });
});
