import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openStore, STORE_FILE } from '../../src/store/sqlite-store.js';
import { datasetEvents } from '../schedule/fakes.js';

/**
 * `vigil backfill` as users run it (bin/vigil.js over dist/: `npm run build:server` first): it queues and
 * delivers the config's alert actions for the runs' risk events and findings, queues none with
 * --no-actions, and with a `vigil serve` running on the data dir goes through that server.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-backfill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const DATASETS = ['datasets/cisco_isovalent/cisco_isovalent.log', 'datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log'];
// The datasets' events are at 10:00-10:11 UTC; the 11:00 runs see them, the rules after that raise findings.
const PERIOD = ['--from', '2026-11-20T09:00:00Z', '--to', '2026-11-20T13:00:00Z'];

/** A data dir holding the datasets' events, and a config file with a file action for every risk event and finding. */
async function world(name: string): Promise<{ dir: string; config: string; alerts: string }> {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const store = await openStore(join(dir, 'data'));
  await store.append(datasetEvents(...DATASETS));
  await store.close();
  const config = join(dir, 'vigil.yml');
  writeFileSync(
    config,
    [
      'dataDir: ./data',
      'hec: { port: 0 }',
      'http: { port: 0 }',
      'alert_actions:',
      '  actions:',
      '    - { name: archive, type: file, path: ./alerts.jsonl }',
      '  routes:',
      "    - { detection: '*', actions: [archive] }",
    ].join('\n'),
  );
  return { dir, config, alerts: join(dir, 'alerts.jsonl') };
}

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, VIGIL_API_TOKEN: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { idempotency_key: string; kind: string }) : []);

/** The store's outputs after the fact: the ledger (without wall-clock times), risk/notable events, findings, the outbox. */
async function outputs(dataDir: string) {
  const store = await openStore(dataDir, { readonly: true });
  try {
    const raws: string[] = [];
    for await (const batch of store.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: ['risk', 'notable'] })) for (const e of batch) raws.push(e._raw);
    return {
      runs: (await store.runs({})).map((r) => `${r.detectionName}@${r.scheduledTime}:${r.mode}:${r.status}:${r.resultCount}/${r.riskEventCount}/${r.findingCount}`).sort(),
      raws: raws.sort(),
      findings: (await store.findings({})).map((f) => f.id).sort(),
      outbox: (await store.dueOutbox(Infinity, 100_000)).map((o) => o.id),
    };
  } finally {
    await store.close();
  }
}

describe('vigil backfill', () => {
  let local: { out: string; outputs: Awaited<ReturnType<typeof outputs>>; keys: string[] };

  it('queues the alert actions of every risk event and finding, as the scheduler does, and delivers them', async () => {
    const w = await world('local');
    const r = vigil(['backfill', '--config', w.config, ...PERIOD]);
    expect(r.err).not.toContain('vigil serve');
    expect(r.code).toBe(0);
    const totals = /(\d+) run\(s\) executed, 0 already in the ledger; (\d+) results, (\d+) risk events, (\d+) findings\n$/.exec(r.out);
    expect(totals).not.toBeNull();
    const [risk, findings] = [Number(totals![3]), Number(totals![4])];
    expect(risk).toBeGreaterThan(0);
    expect(findings).toBeGreaterThan(0);
    // The route sends both kinds to the file: one line per risk event and per finding, each once.
    const written = lines(w.alerts);
    expect(written.filter((l) => l.kind === 'risk_event')).toHaveLength(risk);
    expect(written.filter((l) => l.kind === 'finding')).toHaveLength(findings);
    expect(new Set(written.map((l) => l.idempotency_key)).size).toBe(written.length);
    expect(r.err).toContain(`alert actions: ${written.length} delivered`);
    const o = await outputs(join(w.dir, 'data'));
    expect(o.outbox).toEqual([]); // delivered, so nothing left owed
    local = { out: r.out, outputs: o, keys: written.map((l) => l.idempotency_key).sort() };
    // Again: idempotent, nothing new to run or send.
    const again = vigil(['backfill', '--config', w.config, ...PERIOD]);
    expect(again.out).toMatch(/^0 run\(s\) executed, \d+ already in the ledger; 0 results, 0 risk events, 0 findings\n$/);
    expect(lines(w.alerts)).toHaveLength(written.length);
  });

  it('--no-actions: the same runs and risk events, no alert action queued', async () => {
    const w = await world('quiet');
    const r = vigil(['backfill', '--config', w.config, ...PERIOD, '--no-actions']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(local.out);
    const o = await outputs(join(w.dir, 'data'));
    expect(o.runs).toEqual(local.outputs.runs);
    expect(o.raws).toEqual(local.outputs.raws);
    expect(o.outbox).toEqual([]);
    expect(existsSync(w.alerts)).toBe(false);
  });

  it('--url that is no http(s) URL is a usage error (exit 2, docs/errors.md USAGE), not an internal error', () => {
    for (const url of ['notaurl', '127.0.0.1:8000']) {
      const r = vigil(['backfill', '--url', url, '--from', '-1h', '--to', 'now']);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`vigil: --url must be http(s)://host:port, not ${url} [USAGE]\n`);
    }
  });

  it('backfills here when server.json is left over but no process holds the data dir (a server that died)', async () => {
    const w = await world('stale');
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    writeFileSync(join(w.dir, 'data', 'server.json'), JSON.stringify({ pid: process.pid, apiUrl: `http://127.0.0.1:${port}`, startedAt: new Date().toISOString() }));
    const r = vigil(['backfill', '--config', w.config, ...PERIOD, '--no-actions']);
    expect(r.err).not.toContain('vigil serve');
    expect(r.code).toBe(0);
    expect(r.out).toBe(local.out);
  });

  it('vigil findings pages with --before <the last id>: the pages joined are the whole list; an unknown id is a usage error', () => {
    const dataDir = join(tmp, 'local', 'data');
    const list = (...args: string[]): string[] => {
      const r = vigil(['findings', '--data-dir', dataDir, '--format', 'jsonl', ...args]);
      expect(r.code, r.err).toBe(0);
      return r.out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);
    };
    const all = list();
    expect(all.length).toBeGreaterThan(1);
    const paged: string[] = [];
    for (let page = list('--limit', '1'); page.length > 0 && paged.length <= all.length; page = list('--limit', '1', '--before', page.at(-1)!)) paged.push(...page);
    expect(paged).toEqual(all);
    expect(vigil(['findings', '--data-dir', dataDir, '--before', 'nope'])).toMatchObject({ code: 2, err: expect.stringContaining('--before: no finding with id nope') });
  });

  it('vigil findings update <id> --data-dir ... --status --owner --comment changes that data dir\'s finding', () => {
    const dataDir = join(tmp, 'local', 'data');
    const list = () => vigil(['findings', '--data-dir', dataDir, '--format', 'jsonl']).out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; status: string; owner: string | null });
    const id = list()[0]!.id;
    // From another directory: the options after `update` are update's, not the parent's (./data would be opened).
    const cwd = mkdtempSync(join(tmp, 'cwd-'));
    const r = spawnSync(process.execPath, [BIN, 'findings', 'update', id, '--data-dir', dataDir, '--status', 'in progress', '--owner', 'alice', '--comment', 'looking'], { encoding: 'utf8', cwd });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${id}: in progress, owner alice, 1 comment(s)\n`);
    expect(list().find((f) => f.id === id)).toMatchObject({ status: 'in progress', owner: 'alice' });
    expect(existsSync(join(cwd, 'data'))).toBe(false);
    // The API's rules (docs/api.md: an owner of at most 128 characters, trimmed; a comment of 1-10000 once
    // trimmed): a blank or oversized comment, an oversized owner change nothing.
    const refused = (args: string[], why: string) => expect(vigil(['findings', 'update', id, '--data-dir', dataDir, ...args])).toMatchObject({ code: 2, out: '', err: expect.stringContaining(why) });
    refused(['--comment', '   '], '--comment: 1 to 10000 characters [USAGE]');
    refused(['--comment', 'x'.repeat(10_001)], '--comment: 1 to 10000 characters [USAGE]');
    refused(['--owner', 'o'.repeat(129), '--status', 'closed'], '--owner: at most 128 characters [USAGE]');
    expect(vigil(['findings', 'update', id, '--data-dir', dataDir, '--owner', '  bob  ', '--comment', ' ok '])).toMatchObject({ code: 0, out: `${id}: in progress, owner bob, 2 comment(s)\n` });
  });

  it('vigil risk --object lists exactly that object: its case, a * and quotes as written', async () => {
    // The search term alone (risk_object="h*x") matched as search does: any case, * a wildcard.
    mkdirSync(join(tmp, 'objects'));
    const dataDir = join(tmp, 'objects', 'data');
    const objects = ['h1', 'H1', 'h*x', 'hax', 'a"b', 'c\\d'];
    const store = await openStore(dataDir);
    const t = Math.floor(Date.now() / 1000) - 60;
    await store.append(objects.map((o, i) => ({ _time: t - i, index: 'risk', sourcetype: 'stash', source: 'Judge', host: 'h', _raw: JSON.stringify({ risk_object: o, risk_object_type: 'system', risk_score: 10 + i, search_name: 'Judge' }) })));
    await store.close();
    for (const [i, o] of objects.entries()) {
      const r = vigil(['risk', '--data-dir', dataDir, '--object', o, '--summary', '--format', 'jsonl']);
      expect(r.code, r.err).toBe(0);
      expect(r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown), o).toEqual([{ risk_object: o, risk_object_type: 'system', risk_score: 10 + i, risk_events: 1, sources: 1, detections: 'Judge' }]);
    }
    expect(vigil(['risk', '--data-dir', dataDir, '--object', 'h', '--format', 'jsonl'])).toMatchObject({ code: 0, out: '' });
  });

  it('vigil schedule and vigil backfill refuse a --to that is not after --from (USAGE; schedule printed nothing, exit 0)', () => {
    const dataDir = join(tmp, 'local', 'data');
    for (const cmd of ['schedule', 'backfill']) {
      expect(vigil([cmd, '--data-dir', dataDir, '--from', '+1h', '--to', '-1h'])).toMatchObject({ code: 2, out: '', err: 'vigil: --to must be after --from [USAGE]\n' });
    }
  });

  it('refuses a data dir without a store, or with another program\'s database, and leaves both as they were', async () => {
    const typo = join(tmp, 'typo');
    const missing = vigil(['backfill', '--data-dir', typo, ...PERIOD]);
    expect(missing).toMatchObject({ code: 1, err: expect.stringContaining(`no event store in ${typo}`) });
    expect(existsSync(typo)).toBe(false);
    // Nor do the commands reading the store create the data dir and its tokens.
    for (const cmd of [['runs'], ['risk'], ['findings'], ['indexes', 'list']]) {
      expect(vigil([...cmd, '--data-dir', typo]).code, cmd.join(' ')).toBe(1);
      expect(existsSync(typo), cmd.join(' ')).toBe(false);
    }
    const foreign = join(tmp, 'foreign');
    mkdirSync(foreign);
    const db = new Database(join(foreign, STORE_FILE));
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    const before = readFileSync(join(foreign, STORE_FILE));
    expect(vigil(['backfill', '--data-dir', foreign, ...PERIOD])).toMatchObject({ code: 1, err: expect.stringContaining("holds another program's tables") });
    expect(readFileSync(join(foreign, STORE_FILE))).toEqual(before);
  });

  it('Ctrl-C: stops after releasing the run in progress (exit 130), and the same backfill then finishes at once', async () => {
    const w = await world('interrupted');
    // Four days of hourly runs: still running when interrupted.
    const month = ['--from', '2026-11-16T00:00:00Z', '--to', '2026-11-20T13:00:00Z', '--no-actions'];
    const child = spawn(process.execPath, [BIN, 'backfill', '--config', w.config, ...month], { cwd: ROOT, env: { ...process.env, VIGIL_API_TOKEN: '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupted once some runs are in the ledger (the first commit is visible to a read-only open).
    for (const end = Date.now() + 20_000; (await outputs(join(w.dir, 'data'))).runs.length === 0; ) {
      if (Date.now() > end) throw new Error(`no run committed: ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited, err).toBe(130);
    expect(err).toMatch(/stopped after \d+ of \d+ runs; run the same backfill again to finish it/);
    const done = Number(/^(\d+) run\(s\) executed/.exec(out)?.[1]);
    const again = vigil(['backfill', '--config', w.config, ...month]);
    expect(again.code, again.err).toBe(0);
    // Nothing held: every run not done before is done now.
    const planned = Number(/stopped after \d+ of (\d+) runs/.exec(err)?.[1]);
    expect(again.out).toContain(`${planned - done} run(s) executed, ${done} already in the ledger;`);
    expect(again.out).not.toContain('held');
  }, 60_000);

  it('goes through the vigil serve running on the data dir, with the same runs, risk events and alert actions', async () => {
    const w = await world('served');
    const serve: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--config', w.config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    serve.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    serve.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise((resolve) => serve.once('exit', resolve));
    try {
      // server.json appears once the API listens (a liveness bound only).
      for (const end = Date.now() + 20_000; !existsSync(join(w.dir, 'data', 'server.json')); ) {
        if (Date.now() > end) throw new Error(`vigil serve did not start: ${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const info = JSON.parse(readFileSync(join(w.dir, 'data', 'server.json'), 'utf8')) as { pid: number; apiUrl: string };
      expect(info.pid).toBe(serve.pid);
      expect(statSync(join(w.dir, 'data', 'server.json')).mode & 0o777).toBe(0o600);
      const r = vigil(['backfill', '--config', w.config, ...PERIOD]);
      expect(r.err).toContain(`running the backfill in vigil serve (pid ${serve.pid}) at ${info.apiUrl}`);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe(local.out);
      // The server's refusals keep their codes (and exit codes): over schedule.backfill_max_period, 31 days.
      expect(vigil(['backfill', '--config', w.config, '--from', '2026-01-01T00:00:00Z', '--to', '2026-11-20T00:00:00Z'])).toMatchObject({ code: 2, err: expect.stringContaining('[BACKFILL_LIMIT]') });
      // The server's own content: --content cannot apply there.
      expect(vigil(['backfill', '--config', w.config, ...PERIOD, '--content', tmp])).toMatchObject({ code: 2, err: expect.stringContaining('--content does not apply') });
      // vigil findings update, refused the data dir's lock, changes the finding through the same server's API
      // (README: the CLI and the API edit findings; it failed with STORE "in use by vigil serve" while serve ran).
      const id = (JSON.parse(vigil(['findings', '--config', w.config, '--format', 'jsonl']).out.split('\n')[0]!) as { id: string }).id;
      const u = vigil(['findings', 'update', id, '--config', w.config, '--status', 'in progress', '--owner', ' alice ', '--comment', 'looking']);
      expect(u, u.err).toMatchObject({ code: 0, out: `${id}: in progress, owner alice, 1 comment(s)\n`, err: '' });
      expect(vigil(['findings', 'update', id, '--config', w.config])).toMatchObject({ code: 0, out: `${id}: in progress, owner alice, 1 comment(s)\n` });
      const listed = vigil(['findings', '--config', w.config, '--format', 'jsonl']).out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; status: string; owner: string });
      expect(listed.find((f) => f.id === id)).toMatchObject({ status: 'in progress', owner: 'alice' });
      // The API's own refusals keep their meaning: an unknown id, a token it does not know.
      expect(vigil(['findings', 'update', 'nope', '--config', w.config, '--status', 'new'])).toMatchObject({ code: 2, err: 'vigil: no finding with id nope (vigil findings lists them) [CONTENT_NOT_FOUND]\n' });
      expect(vigil(['findings', 'update', id, '--config', w.config, '--status', 'new', '--api-token', 'not-a-token-of-this-server'])).toMatchObject({ code: 1, err: expect.stringContaining('refused the API token') });
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }
    expect(existsSync(join(w.dir, 'data', 'server.json'))).toBe(false);
    const o = await outputs(join(w.dir, 'data'));
    expect(o.runs).toEqual(local.outputs.runs);
    expect(o.raws).toEqual(local.outputs.raws);
    expect(o.findings).toEqual(local.outputs.findings);
    // Queued in the server: delivered by its dispatcher, or still owed if it stopped first.
    expect([...lines(w.alerts).map((l) => l.idempotency_key), ...o.outbox].sort()).toEqual(local.keys);
  }, 60_000);
});
