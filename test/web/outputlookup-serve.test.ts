import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type VigilServer } from '../../src/web/runtime.js';

/** outputlookup over POST /api/search: off unless search.outputLookup; on, it writes <dataDir>/lookups only. */
const dirs: string[] = [];
const servers: VigilServer[] = [];

async function serve(configText: string): Promise<{ server: VigilServer; headers: Record<string, string>; dataDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-outputlookup-serve-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'vigil.yml'), configText);
  const dataDir = join(dir, 'data');
  const config = await loadConfig({ file: join(dir, 'vigil.yml'), env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
  const server = await startServer(config, { schedule: false, users: [], consoleDir: null });
  servers.push(server);
  return { server, headers: { Authorization: `Bearer ${config.http.apiTokens[0]!.token}`, 'Content-Type': 'application/json' }, dataDir };
}

async function search(s: { server: VigilServer; headers: Record<string, string> }, spl: string): Promise<string> {
  const res = await fetch(`${s.server.apiUrl}/api/search`, { method: 'POST', headers: s.headers, body: JSON.stringify({ search: spl, progressMs: 0 }) });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return text;
}

afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('outputlookup in vigil serve', () => {
  it('is refused by default: the API answers the command with SPL_LOOKUP_WRITE, and nothing is written', async () => {
    const s = await serve('{}\n');
    const text = await search(s, '| makeresults | eval k="v" | outputlookup x.csv');
    expect(text).toContain('SPL_LOOKUP_WRITE');
    expect(text).toContain('search.outputLookup');
    expect(existsSync(join(s.dataDir, 'lookups', 'x.csv'))).toBe(false);
  });

  it('with search.outputLookup: true writes <dataDir>/lookups/<name>.csv, read back by inputlookup; bounded by maxLookupRows', async () => {
    const s = await serve('search:\n  outputLookup: true\n  maxLookupRows: 2\n');
    await search(s, '| makeresults count=2 | streamstats count AS n | table n | outputlookup seen');
    expect(readFileSync(join(s.dataDir, 'lookups', 'seen.csv'), 'utf8')).toBe('n\n1\n2\n');
    expect(await search(s, '| inputlookup seen.csv')).toContain('{"result":{"n":"2"}}');
    const over = await search(s, '| makeresults count=3 | streamstats count AS n | table n | outputlookup seen');
    expect(over).toContain('SPL_LOOKUP_WRITE');
    expect(over).toContain('more than 2 rows');
    expect(readFileSync(join(s.dataDir, 'lookups', 'seen.csv'), 'utf8')).toBe('n\n1\n2\n');
    // A path is refused when the search is parsed: a 400 naming the place, nothing written outside.
    const bad = await fetch(`${s.server.apiUrl}/api/search`, { method: 'POST', headers: s.headers, body: JSON.stringify({ search: '| makeresults | outputlookup "../../escape.csv"' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; column: number } }).error).toMatchObject({ code: 'SPL_BAD_ARGUMENT', column: 30 });
    expect(existsSync(join(s.dataDir, '..', 'escape.csv'))).toBe(false);
  });

  // Scheduled runs may write, and a filter macro saved through the API runs in them: with the switch off it could
  // write <dataDir>/lookups (PUT the filter, then POST /api/backfill). It may not add outputlookup or map then.
  it('with search.outputLookup off, a filter macro that adds outputlookup or map is refused (400), nothing saved; on, it is saved', async () => {
    const id = encodeURIComponent('Cisco Isovalent - Access To Cloud Metadata Service');
    const put = (s: { server: VigilServer; headers: Record<string, string> }, definition: string, path = 'filter') =>
      fetch(`${s.server.apiUrl}/api/detections/${id}/${path}`, { method: path === 'filter' ? 'PUT' : 'POST', headers: s.headers, body: JSON.stringify({ definition }) });
    const off = await serve('{}\n');
    for (const definition of [
      'search * | append [| makeresults | eval pwn="yes"] | outputlookup pwned.csv',
      'search * | append [| makeresults | eval c="outputlookup" | map search="| makeresults | $c$ pwned"]',
    ]) {
      for (const path of ['filter', 'filter/validate']) {
        const res = await put(off, definition, path);
        expect(res.status, `${path}: ${definition}`).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SPL_LOOKUP_WRITE');
      }
    }
    expect(existsSync(join(off.dataDir, 'content', 'macros', 'cisco_isovalent___access_to_cloud_metadata_service_filter.yml'))).toBe(false);
    expect((await put(off, 'search NOT pod_name="debug-*"')).status).toBe(200);
    const on = await serve('search:\n  outputLookup: true\n');
    expect((await put(on, 'search * | outputlookup seen_by_filter.csv')).status).toBe(200);
  });

  // API searches run on several worker threads at once (search.maxConcurrent): their appends to one table take its
  // lock in turn, so none is lost.
  it('12 concurrent API searches appending to one table (4 worker threads) keep every row once; search.maxLookupFiles bounds new files', async () => {
    const s = await serve('search:\n  outputLookup: true\n  maxConcurrent: 4\n  maxLookupFiles: 3\n  lookupLockWait: 30s\n');
    const texts = await Promise.all(
      Array.from({ length: 12 }, (_, i) => search(s, `| makeresults count=5 | streamstats count AS n | eval w="${i}-".n | table w | outputlookup append=true shared`)),
    );
    for (const t of texts) expect(t).not.toContain('"error"');
    const lines = readFileSync(join(s.dataDir, 'lookups', 'shared.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('w');
    const expected = Array.from({ length: 12 }, (_, i) => [1, 2, 3, 4, 5].map((n) => `${i}-${n}`)).flat();
    expect(lines.slice(1).sort()).toEqual(expected.sort());
    // shared.csv is one file of 3: two more, then a new name is refused at the command.
    await search(s, '| makeresults | eval k=1 | outputlookup a');
    await search(s, '| makeresults | eval k=1 | outputlookup b');
    const over = await search(s, '| makeresults | eval k=1 | outputlookup c');
    expect(over).toContain('SPL_LOOKUP_WRITE');
    expect(over).toContain('already holds 3 lookup files');
    expect(existsSync(join(s.dataDir, 'lookups', 'c.csv'))).toBe(false);
  }, 60_000);

  // The switch turned off after such a filter was saved (with it on): the scheduler checks again at every run. The run of
  // that detection fails with SPL_LOOKUP_WRITE (a failed run in the ledger, nothing written); a detection of the
  // operator's content whose own filter writes a lookup still writes.
  it('with search.outputLookup turned off after a writing filter was saved, its scheduled and backfill runs fail; the content\'s own still write', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vigil-outputlookup-switch-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    const content = join(root, 'content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    mkdirSync(join(content, 'macros'), { recursive: true });
    writeFileSync(
      join(content, 'detections', 'own.yml'),
      ['name: Own Writer', 'id: 00000000-0000-4000-8000-0000000000d1', 'type: Hunting', "search: '| makeresults | eval k=\"own\" | table k | `own_writer_filter`'"].join('\n'),
    );
    writeFileSync(join(content, 'macros', 'own_writer_filter.yml'), ['name: own_writer_filter', "definition: 'search * | outputlookup own.csv'", 'description: the operator\'s'].join('\n'));
    const start = async (configText: string) => {
      writeFileSync(join(root, 'vigil.yml'), configText);
      const config = await loadConfig({ file: join(root, 'vigil.yml'), env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
      const server = await startServer(config, { schedule: false, users: [], consoleDir: null, contentDirs: [content] });
      servers.push(server);
      return { server, headers: { Authorization: `Bearer ${config.http.apiTokens[0]!.token}`, 'Content-Type': 'application/json' } };
    };
    const CISCO = 'Cisco Isovalent - Access To Cloud Metadata Service';
    const backfill = async (s: { server: VigilServer; headers: Record<string, string> }, from: string) => {
      const res = await fetch(`${s.server.apiUrl}/api/backfill`, { method: 'POST', headers: s.headers, body: JSON.stringify({ from, to: 'now', detections: [CISCO, 'Own Writer'], actions: false }) });
      expect(res.status).toBe(200);
      const lines = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { run?: { detectionName: string; status: string; error: string | null } });
      return lines.flatMap((l) => (l.run ? [l.run] : []));
    };
    const lookups = join(dataDir, 'lookups');

    const on = await start('search:\n  outputLookup: true\n');
    const put = await fetch(`${on.server.apiUrl}/api/detections/${encodeURIComponent(CISCO)}/filter`, {
      method: 'PUT',
      headers: on.headers,
      body: JSON.stringify({ definition: 'search * | append [| makeresults | eval pwn="yes"] | outputlookup pwned.csv' }),
    });
    expect(put.status).toBe(200);
    // With the switch on, the saved filter writes (every run succeeds).
    const first = await backfill(on, '-1h');
    expect(first.length).toBeGreaterThan(0);
    for (const r of first) expect(r).toMatchObject({ status: 'success' });
    expect(readFileSync(join(lookups, 'pwned.csv'), 'utf8')).toBe('pwn\nyes\n');
    expect(readFileSync(join(lookups, 'own.csv'), 'utf8')).toBe('k\nown\n');
    await on.server.close();
    servers.splice(servers.indexOf(on.server), 1);
    rmSync(join(lookups, 'pwned.csv'));
    rmSync(join(lookups, 'own.csv'));

    const off = await start('{}\n');
    // An earlier hour too: the first backfill's runs are in the ledger (skipped), the hour before runs now.
    const runs = await backfill(off, '-2h');
    const cisco = runs.filter((r) => r.detectionName === CISCO);
    const own = runs.filter((r) => r.detectionName === 'Own Writer');
    expect(cisco.length).toBeGreaterThan(0);
    expect(own.length).toBe(cisco.length);
    for (const r of cisco) {
      expect(r.status).toBe('failed');
      expect(r.error).toContain('filter macro cisco_isovalent___access_to_cloud_metadata_service_filter: a filter macro saved through the API may not add outputlookup or map');
    }
    for (const r of own) expect(r).toMatchObject({ status: 'success', error: null });
    expect(existsSync(join(lookups, 'pwned.csv'))).toBe(false);
    expect(readFileSync(join(lookups, 'own.csv'), 'utf8')).toBe('k\nown\n');
    // The ledger has them as failed runs, as the API lists them.
    const ledger = await off.server.state.runs({ detectionId: off.server.content().detections.find((d) => d.name === CISCO)!.id });
    expect(ledger.filter((r) => r.status === 'failed').length).toBe(cisco.length);
  }, 120_000);
});
