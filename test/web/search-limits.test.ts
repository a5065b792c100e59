import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type SearchConfig } from '../../src/config/config.js';
import { startServer, type VigilServer } from '../../src/web/runtime.js';

/**
 * `vigil serve` with searches that never end on their own: they run on worker threads with the `search:`
 * limits, so HEC and the API keep answering, and a limit, the client or the server stops them.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const CATASTROPHIC = `| makeresults | eval _raw="${'a'.repeat(2000)}!" | regex _raw="(a+)+$"`;
const ENDLESS = '| makeresults count=1000000000000 | stats count';

interface Served {
  server: VigilServer;
  /** The API token. */
  token: string;
  search(body: Record<string, unknown>, signal?: AbortSignal): Promise<Response>;
  get(path: string): Promise<Response>;
  hecEvent(event: string): Promise<Response>;
}

async function serve(search: Partial<SearchConfig>): Promise<Served> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-limits-'));
  dirs.push(dataDir);
  const config = await loadConfig({ env: {}, flags: { dataDir, port: 0, hecPort: 0 } });
  config.search = { ...config.search, ...search };
  const server = await startServer(config, { schedule: false, users: [], consoleDir: null });
  const api = { Authorization: `Bearer ${config.http.apiTokens[0]!.token}`, 'Content-Type': 'application/json' };
  return {
    server,
    token: config.http.apiTokens[0]!.token,
    get: (path) => fetch(`${server.apiUrl}${path}`, { headers: api }),
    search: (body, signal) => fetch(`${server.apiUrl}/api/search`, { method: 'POST', headers: api, body: JSON.stringify(body), ...(signal ? { signal } : {}) }),
    hecEvent: (event) =>
      fetch(`${server.hecUrl}/services/collector/event`, { method: 'POST', headers: { Authorization: `Splunk ${config.hec.tokens[0]!.token}` }, body: JSON.stringify({ event }) }),
  };
}

const ndjson = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('search limits of vigil serve', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ maxTimeSeconds: 3, maxConcurrent: 2, maxQueued: 4, maxResults: 1000 });
  });
  afterAll(() => s.server.close());

  it('stops a catastrophic regex and makeresults count=1e12 at search.maxTime (SPL_LIMIT_TIME) while HEC and the API answer', async () => {
    let endedAt = Infinity;
    const ended = (r: Response) =>
      r.text().then((t) => {
        endedAt = Math.min(endedAt, Date.now());
        return t;
      });
    const regex = s.search({ search: CATASTROPHIC }).then(ended);
    const endless = s.search({ search: ENDLESS }).then(ended);
    await until(() => s.server.searches.load.running === 2, 'both searches to run');
    // Meanwhile: the collector takes an event and the API answers.
    const hec = await s.hecEvent('hello during the runaway searches');
    expect(hec.status).toBe(200);
    const health = await s.get('/api/health');
    expect(await health.json()).toEqual({ status: 'ok' });
    const answeredAt = Date.now();
    for (const text of await Promise.all([regex, endless])) {
      expect(ndjson(text).at(-1)).toEqual({ error: { code: 'SPL_LIMIT_TIME', message: expect.stringMatching(/exceeded its 3 s time limit and was stopped/) }, warnings: [] });
    }
    expect(answeredAt).toBeLessThan(endedAt);
    // The pool recovered, and the event sent meanwhile is stored.
    const after = ndjson(await (await s.search({ search: 'index=main "hello during the runaway searches" | stats count', progressMs: 0 })).text());
    expect(after).toEqual([{ result: { count: 1 } }, expect.objectContaining({ done: true })]);
  }, 120_000);

  it('an error found on the worker points into the text sent (macros expanded on the way)', async () => {
    const text = '`cisco_isovalent_process_exec`\n| eval x=nosuchfn(1)';
    const lines = ndjson(await (await s.search({ search: text, progressMs: 0 })).text());
    expect(lines.at(-1)).toMatchObject({ error: { code: 'SPL_UNSUPPORTED_FUNCTION', line: 2, column: 10, inMacro: null } });
  }, 120_000);

  it("ends with the search's warnings, as vigil search prints them, also after an error (map past maxsearches)", async () => {
    const text = '| makeresults count=5 | streamstats count as n | map search="| makeresults | eval m=$n$" maxsearches=2 | table m';
    const lines = ndjson(await (await s.search({ search: text, progressMs: 0 })).text());
    expect(lines.filter((l) => 'result' in l)).toEqual([{ result: { m: 1 } }, { result: { m: 2 } }]);
    // map's name is at line 1, column indexOf + 1.
    const warning = `map: 5 results, searches ran for the first 2 only (maxsearches=2) (at 1:${text.indexOf('map') + 1})`;
    expect(lines.at(-1)).toMatchObject({ done: true, warnings: [warning] });
    const cli = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'vigil.js'), 'search', text, '--format', 'jsonl'], { encoding: 'utf8' });
    expect(cli.stderr).toBe(`vigil: warning: ${warning}\n`);
    // Warned, then stopped at search.maxResults (1000 here): the error line carries the warning.
    const failed = '| makeresults count=3 | map search="| makeresults count=2000" maxsearches=1';
    expect(ndjson(await (await s.search({ search: failed, progressMs: 0 })).text()).at(-1)).toEqual({
      error: { code: 'SPL_LIMIT_RESULTS', message: expect.stringMatching(/more than 1000 results/) },
      warnings: [`map: 3 results, searches ran for the first 1 only (maxsearches=1) (at 1:${failed.indexOf('map') + 1})`],
    });
  }, 120_000);

  it("gives a warning quoting a row's control and bidi characters as vigil search prints it (U+FFFD)", async () => {
    const text = '| makeresults | eval p="(\u001b[2J\u202egnp.exe" | eval m=if(match("x", p), 1, 0)';
    const last = ndjson(await (await s.search({ search: text, progressMs: 0 })).text()).at(-1) as { warnings: string[] };
    const cli = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'bin', 'vigil.js'), 'search', text, '--format', 'jsonl'], { encoding: 'utf8' });
    // The pattern is quoted as JSON (ESC as the six characters \u001b); the right-to-left override becomes U+FFFD.
    expect(cli.stderr).toMatch(/^vigil: warning: match\(\) is null .*\(\\u001b\[2J\ufffdgnp\.exe.*\n$/);
    expect(last.warnings).toEqual([cli.stderr.slice('vigil: warning: '.length, -1)]);
  }, 120_000);

  it('reports at most 100 distinct warnings, then one saying more were left out', async () => {
    // 102 maps, each warning at its own place: the first 100 are reported.
    const text = `| makeresults count=2${' | map search="| makeresults count=2" maxsearches=1'.repeat(102)}`;
    const columns = [...text.matchAll(/map /g)].map((m) => m.index + 1);
    expect(columns).toHaveLength(102);
    const last = ndjson(await (await s.search({ search: text, progressMs: 0 })).text()).at(-1);
    expect(last).toMatchObject({
      done: true,
      warnings: [...columns.slice(0, 100).map((c) => `map: 2 results, searches ran for the first 1 only (maxsearches=1) (at 1:${c})`), 'more warnings were left out (at most 100 are reported)'],
    });
  }, 120_000);

  it('caps the rows of a search at search.maxResults (the first rows, then SPL_LIMIT_RESULTS); `limit` ends it with done', async () => {
    const capped = ndjson(await (await s.search({ search: '| makeresults count=5000 | eval n=1', progressMs: 0 })).text());
    expect(capped.filter((l) => 'result' in l)).toHaveLength(1000);
    expect(capped.at(-1)).toMatchObject({ error: { code: 'SPL_LIMIT_RESULTS', message: expect.stringMatching(/more than 1000 results \(search\.maxResults\)/) } });
    const limited = ndjson(await (await s.search({ search: '| makeresults count=5000 | eval n=1', limit: 10, progressMs: 0 })).text());
    expect(limited.filter((l) => 'result' in l)).toHaveLength(10);
    expect(limited.at(-1)).toMatchObject({ done: true, stats: { results: 10 } });
  }, 120_000);
});

describe('cancelling searches', () => {
  let s: Served;
  beforeAll(async () => {
    s = await serve({ maxTimeSeconds: 600 });
  });

  it('a client closing the connection terminates the search worker', async () => {
    const abort = new AbortController();
    const res = await s.search({ search: CATASTROPHIC }, abort.signal);
    expect(res.status).toBe(200);
    await until(() => s.server.searches.load.running === 1, 'the search to run');
    const workers = s.server.searches.load.workers;
    abort.abort();
    await until(() => s.server.searches.load.running === 0, 'the search to be cancelled');
    // Its worker was terminated, not handed back to the pool.
    expect(s.server.searches.load.workers).toBe(workers - 1);
    const ok = ndjson(await (await s.search({ search: '| makeresults | eval x=1', progressMs: 0 })).text());
    expect(ok.at(-1)).toMatchObject({ done: true });
  }, 120_000);

  it('closing the server cancels a running search (SPL_CANCELLED) instead of waiting for it', async () => {
    const res = await s.search({ search: ENDLESS });
    await until(() => s.server.searches.load.running === 1, 'the search to run');
    // The stream ends with its error line, as docs/api.md says (the connections were cut at once: a reset, no line).
    const text = res.text().catch((e: Error) => `cut: ${String((e.cause as Error | undefined)?.message ?? e.message)}`);
    await s.server.close();
    expect(s.server.searches.load).toEqual({ running: 0, waiting: 0, workers: 0, bufferedChars: 0 });
    const got = await text;
    expect(got).not.toMatch(/^cut: /);
    expect(ndjson(got).at(-1)).toMatchObject({ error: { code: 'SPL_CANCELLED', message: expect.stringMatching(/the server is stopping/) } });
  }, 120_000);
});

describe('a client that does not read its results', () => {
  it('holds at most search.maxBufferedBytes of rows on the server: the search pauses, then resumes and completes when the client reads', async () => {
    const s = await serve({ maxTimeSeconds: 600, maxResults: 10_000_000, maxResultBytes: 4 * 1024 ** 3, maxBufferedBytes: 256 * 1024 });
    try {
      // ~95 MB of rows: far more than the socket buffers between the server and this client.
      const rows = 400_000;
      const body = JSON.stringify({ search: `| makeresults count=${rows} | eval pad="${'x'.repeat(200)}"`, progressMs: 0 });
      const { hostname, port } = new URL(s.server.apiUrl);
      const sock = connect(Number(port), hostname);
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.pause(); // reads nothing
      sock.write(
        `POST /api/search HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${s.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      await until(() => s.server.searches.load.bufferedChars > 0, 'rows to be sent');
      let most = 0;
      for (let i = 0; i < 40; i++) {
        most = Math.max(most, s.server.searches.load.bufferedChars);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The window plus the chunk that crossed it (64 Ki characters and a row).
      expect(most).toBeLessThanOrEqual(256 * 1024 + 70 * 1024);
      // Paused, not finished: the rest waits for the client.
      expect(s.server.searches.load.running).toBe(1);
      // Reading now gets every row, then done.
      let results = 0;
      let last = '';
      let carry = '';
      sock.setEncoding('utf8');
      const ended = new Promise<void>((resolve) => {
        sock.on('data', (chunk: string) => {
          const lines = (carry + chunk).split('\n');
          carry = lines.pop()!;
          for (const l of lines) {
            if (l.startsWith('{"result":')) results++;
            else if (l.startsWith('{"done":')) last = l;
          }
          if (last) resolve();
        });
      });
      sock.resume();
      await ended;
      sock.destroy();
      expect(results).toBe(rows);
      expect(JSON.parse(last)).toMatchObject({ done: true, stats: { results: rows } });
    } finally {
      await s.server.close();
    }
  }, 180_000);
});
