import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DetectionDetail,
  DetectionSummary,
  FilterMacro,
  FilterPreview,
  FindingDetail,
  FindingSummary,
  IngestInfo,
  Overview,
  ProcessNode,
  ProcessTreeInfo,
  RiskObjectDetail,
  SearchLine,
  SessionInfo,
  BackfillLine,
} from '../../src/web/api-types.js';
import { backfill, ConsoleClient, datasetLines, FixedClock, PASSWORD, replayRaw, startHarness, USER, type Harness } from './harness.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the bundled datasets' events are at 10:00-10:11 UTC
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const SEED_FILTER = 'cisco_isovalent___curl_execution_with_insecure_flags_filter';

let h: Harness;
let base: string;
let api: ConsoleClient;
const clock = new FixedClock(T0 + 1.5 * 3600);

function bearer(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${h.apiToken}`);
  return fetch(`${base}${path}`, { ...init, headers });
}

function ndjson(text: string): SearchLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SearchLine);
}

function flatten(nodes: ProcessNode[], depth = 0): { node: ProcessNode; depth: number; parent: ProcessNode | null }[] {
  return nodes.flatMap((n) => [{ node: n, depth, parent: null }, ...flatten(n.children, depth + 1).map((x) => (x.depth === depth + 1 ? { ...x, parent: n } : x))]);
}

beforeAll(async () => {
  h = await startHarness({ clock });
  base = h.server.apiUrl;
  api = new ConsoleClient(base);
  await replayRaw(h, [
    ...datasetLines('datasets/cisco_isovalent/cisco_isovalent.log'),
    ...datasetLines('datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log'),
  ]);
  const runs = await backfill(h, T0, clock.now());
  expect(runs.filter((r) => r.status !== 'success')).toEqual([]);
  expect(runs.reduce((s, r) => s + r.findingCount, 0)).toBeGreaterThan(0);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('authentication', () => {
  it('refuses requests without a token or session, and wrong tokens', async () => {
    expect((await fetch(`${base}/api/overview`)).status).toBe(401);
    expect((await fetch(`${base}/api/overview`, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await bearer('/api/health')).status).toBe(200);
  });

  it('logs in with a hashed password: HttpOnly SameSite=Strict cookie, CSRF token', async () => {
    const anon = new ConsoleClient(base);
    expect((await anon.login({ username: USER, password: 'wrong' })).status).toBe(401);
    expect((await anon.login({ username: 'mallory', password: PASSWORD })).status).toBe(401);
    const res = await api.login({ username: USER, password: PASSWORD });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^vigil_session=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP here; under TLS the cookie is Secure
    const info = await api.json<SessionInfo>('/api/session');
    expect(info).toMatchObject({ user: USER, kind: 'session', usersConfigured: true });
    expect(info.csrf).toBe(api.csrf);
  });

  it('logs in with the API token too', async () => {
    const c = new ConsoleClient(base);
    expect((await c.login({ token: h.apiToken })).status).toBe(200);
    expect((await c.json<SessionInfo>('/api/session')).user).toBe('token:default');
  });

  it('only accepts JSON logins (no cross-site form posts)', async () => {
    const res = await fetch(`${base}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `username=${USER}&password=x` });
    expect(res.status).toBe(415);
  });

  it('requires the CSRF header on changes made with the cookie, and a same-origin Origin', async () => {
    const [f] = (await api.json<{ findings: FindingSummary[] }>('/api/findings')).findings;
    const noCsrf = await api.fetch(`/api/findings/${f!.id}`, { method: 'PATCH', json: { owner: 'x' }, noCsrf: true });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('CSRF');
    const wrong = await api.fetch(`/api/findings/${f!.id}`, { method: 'PATCH', json: { owner: 'x' }, headers: { 'X-CSRF-Token': 'forged' }, noCsrf: true });
    expect(wrong.status).toBe(403);
    const crossSite = await api.fetch(`/api/findings/${f!.id}`, { method: 'PATCH', json: { owner: 'x' }, headers: { Origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    // Reads need no CSRF token; API-token requests need none either (no ambient credentials).
    expect((await api.fetch('/api/findings')).status).toBe(200);
    const viaToken = await bearer(`/api/findings/${f!.id}/comments`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: 'from a script' }) });
    expect(viaToken.status).toBe(201);
  });

  it('logout ends the session', async () => {
    const c = new ConsoleClient(base);
    await c.login({ username: USER, password: PASSWORD });
    expect((await c.fetch('/api/logout', { method: 'POST' })).status).toBe(200);
    expect((await c.fetch('/api/session')).status).toBe(401);
  });
});

describe('risk', () => {
  it('overview: top risk objects, risk over time, findings by status, detections that fired', async () => {
    const o = await api.json<Overview>('/api/overview?earliest=-24h');
    expect(o.topObjects[0]!.riskObject).toBe('debug-toolbox');
    expect(o.topObjects[0]!.score).toBeGreaterThan(100);
    expect(o.topObjects.map((t) => t.score)).toEqual([...o.topObjects.map((t) => t.score)].sort((a, b) => b - a));
    expect(o.totals.riskEvents).toBe(o.riskOverTime.buckets.reduce((s, b) => s + b.count, 0));
    expect(o.riskOverTime.buckets.length).toBeGreaterThan(10);
    expect(o.findingsByStatus.new).toBeGreaterThan(0);
    const seed = o.detectionsFired.find((d) => d.name === SEED)!;
    expect(seed).toMatchObject({ count: 4, score: 180, objects: 3 });
    expect(seed.detectionId).toMatch(/^[0-9a-f-]{36}$/);
    // An empty range is fine.
    const empty = await api.json<Overview>(`/api/overview?earliest=${T0 - 86400 * 30}&latest=${T0 - 86400 * 29}`);
    expect(empty.topObjects).toEqual([]);
  });

  it('rejects a bad time range with a usage error', async () => {
    const res = await api.fetch('/api/overview?earliest=yesterday-ish');
    expect(res.status).toBe(400);
  });

  it('risk object detail: timeline, risk events, findings, process tree with arguments', async () => {
    const d = await api.json<RiskObjectDetail>('/api/risk/objects/debug-toolbox?earliest=-24h');
    expect(d.riskObject).toBe('debug-toolbox');
    expect(d.riskEvents.length).toBeGreaterThan(2);
    expect(d.riskEvents.every((e) => e.riskObject === 'debug-toolbox' && e.score > 0 && e.searchName)).toBe(true);
    expect(d.score).toBe(d.riskEvents.reduce((s, e) => s + e.score, 0));
    expect(d.riskEventCount).toBe(d.riskEvents.length);
    expect(d.findings.length).toBeGreaterThan(0);
    expect(d.timeline.buckets.reduce((s, b) => s + b.score, 0)).toBe(d.score);
    // Risk events hold ATT&CK's short names (command-and-control, as ES writes them); the console shows names.
    expect(d.riskEvents.find((e) => e.searchName === 'Cisco Isovalent - Curl Execution With Insecure Flags')?.tactics).toEqual(['Command And Control']);
    const t = await api.json<ProcessTreeInfo>('/api/risk/objects/debug-toolbox/processes?earliest=-24h');
    expect(t).toMatchObject({ field: 'pod_name', rawTruncated: false });
    expect(t.rawEvents).toBeGreaterThan(0);
    const all = flatten(t.processTree);
    const curl = all.find((x) => x.node.name === 'curl' && /-k|--insecure/.test(x.node.command));
    expect(curl, JSON.stringify(t.processTree, null, 1)).toBeDefined();
    expect(curl!.node.command).toMatch(/curl .+/); // binary with its arguments
    expect(curl!.node.flagged).toBe(true);
    expect(curl!.depth).toBeGreaterThan(0); // under its parent
    expect(curl!.parent!.command.length).toBeGreaterThan(0);
    expect((await api.fetch('/api/risk/objects/no-such-pod')).status).toBe(404);
  });
});

describe('findings', () => {
  it('lists with filters, shows detail with contributing risk events and ATT&CK', async () => {
    const all = (await api.json<{ findings: FindingSummary[] }>('/api/findings')).findings;
    expect(all.length).toBeGreaterThan(0);
    const f = all.find((x) => x.riskObject === 'debug-toolbox')!;
    expect(f.status).toBe('new');
    const byObject = (await api.json<{ findings: FindingSummary[] }>('/api/findings?riskObject=debug-toolbox')).findings;
    expect(byObject.every((x) => x.riskObject === 'debug-toolbox')).toBe(true);
    expect((await api.json<{ findings: FindingSummary[] }>('/api/findings?status=closed')).findings).toEqual([]);
    expect((await api.fetch('/api/findings?status=bogus')).status).toBe(400);
    const d = await api.json<FindingDetail>(`/api/findings/${f.id}`);
    expect(d.finding.id).toBe(f.id);
    expect(d.riskEvents.length).toBeGreaterThan(0);
    expect(d.riskEvents.length).toBe((d.detail['risk_event_ids'] as string[]).length);
    expect(d.techniques.length + d.tactics.length).toBeGreaterThan(0);
    expect(d.tactics).toContain('Command And Control');
    expect(d.sources.length).toBeGreaterThan(0);
    expect((await api.fetch('/api/findings/nope')).status).toBe(404);
  });

  it('changes status and owner, and takes comments, attributed to the user', async () => {
    const f = (await api.json<{ findings: FindingSummary[] }>('/api/findings?riskObject=debug-toolbox')).findings[0]!;
    const r = await api.json<{ finding: FindingSummary }>(`/api/findings/${f.id}`, { method: 'PATCH', json: { status: 'in progress', owner: USER } });
    expect(r.finding).toMatchObject({ status: 'in progress', owner: USER });
    expect((await api.fetch(`/api/findings/${f.id}`, { method: 'PATCH', json: { status: 'done' } })).status).toBe(400);
    const c = await api.fetch(`/api/findings/${f.id}/comments`, { method: 'POST', json: { text: 'curl -k from a debug pod: checking with the owner' } });
    expect(c.status).toBe(201);
    const d = await api.json<FindingDetail>(`/api/findings/${f.id}`);
    expect(d.finding.status).toBe('in progress');
    expect(d.comments.at(-1)).toMatchObject({ author: USER, text: 'curl -k from a debug pod: checking with the owner' });
    expect((await api.json<{ findings: FindingSummary[] }>('/api/findings?status=in%20progress')).findings.map((x) => x.id)).toContain(f.id);
  });

  // `{"stauts": "closed"}` beside an owner answered 200 and left the status as it was: a typo must not pass for a change.
  it('refuses a key it does not know, naming it (printable, cut), and changes nothing', async () => {
    const f = (await api.json<{ findings: FindingSummary[] }>('/api/findings?riskObject=debug-toolbox')).findings[0]!;
    const before = (await api.json<FindingDetail>(`/api/findings/${f.id}`)).finding;
    const refusal = async (json: Record<string, unknown>): Promise<unknown> => {
      const res = await api.fetch(`/api/findings/${f.id}`, { method: 'PATCH', json });
      expect(res.status).toBe(400);
      return res.json();
    };
    expect(await refusal({ owner: 'mallory', stauts: 'closed' })).toEqual({
      error: { code: 'USAGE', message: 'unknown key "stauts": send status and/or owner (did you mean "status"?)' },
    });
    expect(await refusal({ Owner: 'mallory' })).toEqual({ error: { code: 'USAGE', message: 'unknown key "Owner": send status and/or owner (did you mean "owner"?)' } });
    // 64 characters kept of a 100,000-character key (ESC [ 2 J RLO, then 59 k), ESC and the bidi override shown as
    // U+FFFD; no hint for nonsense.
    expect(await refusal({ ['\u001b[2J\u202e' + 'k'.repeat(100_000)]: 1 })).toEqual({
      error: { code: 'USAGE', message: `unknown key "\ufffd[2J\ufffd${'k'.repeat(59)}…": send status and/or owner` },
    });
    expect((await api.json<FindingDetail>(`/api/findings/${f.id}`)).finding).toEqual(before);
    // The keys the console and `vigil findings update` send still work.
    const r = await api.json<{ finding: FindingSummary }>(`/api/findings/${f.id}`, { method: 'PATCH', json: { status: 'in progress', owner: null } });
    expect(r.finding).toMatchObject({ status: 'in progress', owner: null });
  });
});

describe('detections', () => {
  it('lists detections with enabled state, schedule, next and last run, counts', async () => {
    const { detections } = await api.json<{ detections: DetectionSummary[] }>('/api/detections');
    const seed = detections.find((d) => d.name === SEED)!;
    expect(seed).toMatchObject({ enabled: true, cron: '0 * * * *', earliest: '-70m@m', latest: '-10m@m', type: 'Anomaly' });
    expect(seed.lastRun).toMatchObject({ status: 'success', resultCount: 4, riskEventCount: 4 });
    expect(seed.nextRun).toBeGreaterThan(clock.now());
    expect(seed.last24h.results).toBe(4);
    expect(seed.techniques).toContain('T1105');
    expect(detections.some((d) => d.type === 'Correlation')).toBe(true);
  });

  it('shows a detection: SPL, metadata, ATT&CK, run history, filter macro', async () => {
    const { detections } = await api.json<{ detections: DetectionSummary[] }>('/api/detections');
    const id = detections.find((d) => d.name === SEED)!.id;
    const d = await api.json<DetectionDetail>(`/api/detections/${id}`);
    expect(d.search).toContain('`cisco_isovalent_process_exec`');
    expect(d.attack).toEqual([{ id: 'T1105', tactics: ['Command And Control'] }]);
    expect(d.riskObjects[0]).toMatchObject({ field: 'pod_name', score: 45 });
    expect(d.runs.length).toBeGreaterThan(0);
    expect(d.filterMacro).toMatchObject({ name: SEED_FILTER, definition: 'search *', custom: false });
    expect((await api.fetch('/api/detections/nope')).status).toBe(404);
  });

  it('enables and disables a detection (persisted in detections.yml)', async () => {
    const { detections } = await api.json<{ detections: DetectionSummary[] }>('/api/detections');
    const d = detections.find((x) => x.name.includes('Kprobe Spike'))!;
    const off = await api.json<{ detection: DetectionSummary }>(`/api/detections/${d.id}`, { method: 'PATCH', json: { enabled: false } });
    expect(off.detection.enabled).toBe(false);
    expect(off.detection.nextRun).toBeNull();
    expect(readFileSync(join(h.dataDir, 'detections.yml'), 'utf8')).toContain(d.id);
    expect(h.server.scheduler.enabledDetections().some((x) => x.id === d.id)).toBe(false);
    const on = await api.json<{ detection: DetectionSummary }>(`/api/detections/${d.id}`, { method: 'PATCH', json: { enabled: true } });
    expect(on.detection.enabled).toBe(true);
    expect((await api.fetch(`/api/detections/${d.id}`, { method: 'PATCH', json: { enabled: 'yes' } })).status).toBe(400);
  });

  it('a toggle or filter that cannot be saved (the file cannot be written) is a STORE error and changes nothing', async () => {
    const { detections } = await api.json<{ detections: DetectionSummary[] }>('/api/detections');
    const d = detections.find((x) => x.name.includes('Kprobe Spike'))!;
    expect(d.enabled).toBe(true);
    // A non-empty directory where the file goes: its rename fails, as a write does on a full disk (ENOSPC).
    const toggles = join(h.dataDir, 'detections.yml');
    rmSync(toggles, { force: true });
    mkdirSync(join(toggles, 'x'), { recursive: true });
    const filter = join(h.dataDir, 'content', 'macros', `${SEED_FILTER}.yml`);
    mkdirSync(join(filter, 'x'), { recursive: true });
    try {
      const off = await api.fetch(`/api/detections/${d.id}`, { method: 'PATCH', json: { enabled: false } });
      expect(off.status).toBe(500);
      expect(await off.json()).toEqual({ error: { code: 'STORE', message: expect.stringMatching(new RegExp(`^cannot save ${toggles}: `)) } });
      // Before: the API said it failed, yet the scheduler had disabled it (until the next restart).
      expect(h.server.scheduler.enabledDetections().some((x) => x.id === d.id)).toBe(true);
      expect((await api.json<DetectionDetail>(`/api/detections/${d.id}`)).enabled).toBe(true);
      const put = await api.fetch(`/api/detections/${encodeURIComponent(SEED)}/filter`, { method: 'PUT', json: { definition: 'search NOT pod_name="x"' } });
      expect(put.status).toBe(500);
      expect(await put.json()).toEqual({ error: { code: 'STORE', message: expect.stringMatching(new RegExp(`^cannot save ${filter}: `)) } });
      expect(h.server.content().macros.get(SEED_FILTER, 0)!.definition).toBe('search *');
      expect([existsSync(`${toggles}.tmp`), existsSync(`${filter}.tmp`)]).toEqual([false, false]);
    } finally {
      rmSync(toggles, { recursive: true });
      rmSync(filter, { recursive: true });
    }
  });

  it('validates a filter macro against the search, with the error position in the macro', async () => {
    const res = await api.fetch(`/api/detections/${encodeURIComponent(SEED)}/filter/validate`, { method: 'POST', json: { definition: 'search NOT pod_name="debug-*"\n| frobnicate' } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; line: number; column: number; inMacro: string; message: string } };
    expect(error).toMatchObject({ code: 'SPL_UNSUPPORTED_COMMAND', line: 2, column: 3, inMacro: SEED_FILTER });
    const ok = await api.fetch(`/api/detections/${encodeURIComponent(SEED)}/filter/validate`, { method: 'POST', json: { definition: 'search NOT pod_name="debug-*"' } });
    expect(ok.status).toBe(200);
  });

  it('previews what a filter would have suppressed over the last 24 h', async () => {
    const p = await api.json<FilterPreview>(`/api/detections/${encodeURIComponent(SEED)}/filter/preview`, { method: 'POST', json: { definition: 'search NOT pod_name="debug-*"' } });
    expect(p.before).toBe(4);
    expect(p.after).toBe(2);
    expect(p.suppressedCount).toBe(2);
    expect(p.suppressed.every((r) => r['pod_name'] === 'debug-toolbox')).toBe(true);
  });

  it('compares at most 10,000 rows of each search in a preview (truncated): every row is keyed on the main thread', async () => {
    // 4 rows before; the definition makes 5,000 of each: 20,000 after (289,360 such rows held HEC and the API for seconds).
    const p = await api.json<FilterPreview>(`/api/detections/${encodeURIComponent(SEED)}/filter/preview`, { method: 'POST', json: { definition: 'search * | eval x=mvrange(0,5000) | mvexpand x' } });
    expect(p).toMatchObject({ before: 4, after: 10_000, truncated: true });
    const small = await api.json<FilterPreview>(`/api/detections/${encodeURIComponent(SEED)}/filter/preview`, { method: 'POST', json: { definition: 'search * | eval x=mvrange(0,2) | mvexpand x' } });
    expect(small).toMatchObject({ before: 4, after: 8 });
    expect(small.truncated).toBeUndefined();
  });

  it('saves a filter macro in security_content format and reloads content', async () => {
    const bad = await api.fetch(`/api/detections/${encodeURIComponent(SEED)}/filter`, { method: 'PUT', json: { definition: 'search pod_name=(' } });
    expect(bad.status).toBe(400);
    const file = join(h.dataDir, 'content', 'macros', `${SEED_FILTER}.yml`);
    expect(existsSync(file)).toBe(false);
    const saved = await api.json<FilterMacro>(`/api/detections/${encodeURIComponent(SEED)}/filter`, { method: 'PUT', json: { definition: 'search NOT pod_name="debug-*"' } });
    expect(saved).toMatchObject({ name: SEED_FILTER, definition: 'search NOT pod_name="debug-*"', custom: true });
    expect(readFileSync(file, 'utf8')).toMatch(/^name: cisco_isovalent___curl_execution_with_insecure_flags_filter\ndefinition: search NOT pod_name="debug-\*"/);
    expect(h.server.content().macros.get(SEED_FILTER, 0)!.definition).toBe('search NOT pod_name="debug-*"');
    const { detections } = await api.json<{ detections: DetectionSummary[] }>('/api/detections');
    expect(detections.find((d) => d.name === SEED)!.filtered).toBe(true);
    // Put it back for the other tests.
    await api.json<FilterMacro>(`/api/detections/${encodeURIComponent(SEED)}/filter`, { method: 'PUT', json: { definition: 'search *' } });
  });

  it('refuses filter macros that expand exponentially (SPL_MACRO_LIMIT naming the chain), without exhausting memory', async () => {
    // Each filter calls the next detection's filter 100 times. Saved top-down, every save validates (its own
    // detection expands 101 macros, the next filter still being `search *`), but the first detection's search then
    // expands 100^3 filters.
    const { detections } = await api.json<{ detections: DetectionSummary[] }>('/api/detections');
    const chain = await Promise.all(detections.slice(0, 4).map(async (d) => (await api.json<DetectionDetail>(`/api/detections/${d.id}`)).filterMacro.name));
    const calls = (name: string) => `search ${Array(100).fill(`\`${name}\``).join(' ')}`;
    const put = (i: number, definition: string) => api.fetch(`/api/detections/${detections[i]!.id}/filter`, { method: 'PUT', json: { definition } });
    for (const i of [0, 1, 2]) expect((await put(i, calls(chain[i + 1]!))).status).toBe(200);
    const res = await api.fetch(`/api/detections/${detections[0]!.id}/filter/validate`, { method: 'POST', json: { definition: calls(chain[1]!) } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('SPL_MACRO_LIMIT');
    expect(error.message).toContain(`\`${chain[0]}\` → \`${chain[1]}\` → \`${chain[2]}\``);
    for (const i of [0, 1, 2]) expect((await put(i, 'search *')).status).toBe(200);
  });
});

describe('search', () => {
  it('streams results, progress and a done line', async () => {
    const res = await bearer('/api/search', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ search: '`cisco_isovalent_process_exec` process_name=curl | table _time pod_name process', earliest: '-24h', progressMs: 0 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = ndjson(await res.text());
    const results = lines.filter((l): l is { result: Record<string, string> } => 'result' in l);
    expect(results.length).toBeGreaterThan(3);
    expect(lines.at(-1)).toMatchObject({ done: true, stats: { results: results.length } });
  });

  it('sends progress lines while it scans', async () => {
    const res = await api.fetch('/api/search', { method: 'POST', json: { search: 'index=* | stats count', earliest: '', progressMs: 1 } });
    const lines = ndjson(await res.text());
    expect(lines.some((l) => 'progress' in l)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ done: true });
  });

  it('reports SPL errors with line and column', async () => {
    const res = await api.fetch('/api/search', { method: 'POST', json: { search: 'index=main\n| stats count by\n| frobnicate x' } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { line: number; column: number; code: string; text: string } };
    expect(error.line).toBeGreaterThan(1);
    expect(error.column).toBeGreaterThan(0);
    expect(error.text).toContain('^');
  });

  it('refuses a time bound that is neither text nor a number with a 400 USAGE (was a 500 INTERNAL "input.trim is not a function")', async () => {
    for (const bound of [{}, [], true, ['-1h']]) {
      for (const key of ['earliest', 'latest']) {
        const res = await bearer('/api/search', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ search: '| makeresults', [key]: bound }) });
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual({ error: { code: 'USAGE', message: `"${key}" must be a time modifier ("-24h", "@d", an epoch) or a number of epoch seconds` } });
      }
    }
  });

  it('reports SPL nested 10k levels deep as a 400 SPL_TOO_DEEP with its position', async () => {
    const res = await api.fetch('/api/search', { method: 'POST', json: { search: `| makeresults | eval x=${'('.repeat(10_000)}1${')'.repeat(10_000)}` } });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { line: number; column: number; code: string } };
    expect(error).toMatchObject({ code: 'SPL_TOO_DEEP', line: 1, column: 280 });
  });
});

describe('backfill', () => {
  const post = (body: unknown) => bearer('/api/backfill', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

  it('executes a period’s scheduled runs in the server’s scheduler, streaming each run and the totals; idempotent', async () => {
    const before = (await h.server.state.runs({ detectionId: h.server.content().detections.find((d) => d.name === SEED)!.id })).length;
    const res = await post({ from: T0 - 3 * 3600, to: String(T0), detections: [SEED], actions: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as BackfillLine);
    const runs = lines.flatMap((l) => ('run' in l ? [l.run] : []));
    expect(runs.map((r) => [r.detectionName, r.scheduledTime, r.mode, r.status])).toEqual([
      [SEED, T0 - 2 * 3600, 'backfill', 'success'],
      [SEED, T0 - 3600, 'backfill', 'success'],
      [SEED, T0, 'backfill', 'success'],
    ]);
    expect(lines.at(-1)).toEqual({ done: { runs: 3, ran: 3, skipped: 0, held: 0, results: 0, riskEvents: 0, findings: 0, failed: 0, aborted: false } });
    expect(await h.server.state.runs({ detectionId: runs[0]!.detectionId })).toHaveLength(before + 3);
    // The same request again: every run is already in the ledger.
    const again = (await (await post({ from: T0 - 3 * 3600, to: T0, detections: [SEED] })).text()).trim().split('\n');
    expect(JSON.parse(again.at(-1)!)).toMatchObject({ done: { runs: 3, ran: 0, skipped: 3, held: 0 } });
  });

  it('refuses unauthenticated, malformed, unknown and too long backfills before running anything', async () => {
    expect((await fetch(`${base}/api/backfill`, { method: 'POST', body: '{}' })).status).toBe(401);
    const error = async (body: unknown) => {
      const res = await post(body);
      return { status: res.status, ...((await res.json()) as { error: { code: string; message: string } }).error };
    };
    expect(await error({ to: T0 })).toMatchObject({ status: 400, code: 'USAGE' });
    expect(await error({ from: T0, to: T0 - 60 })).toMatchObject({ status: 400, code: 'USAGE' });
    expect(await error({ from: T0 - 3600, to: T0, detections: ['No Such Detection'] })).toMatchObject({ status: 400, code: 'CONTENT_NOT_FOUND' });
    expect(await error({ from: T0 - 3600, to: T0, actions: 'yes' })).toMatchObject({ status: 400, code: 'USAGE' });
    expect(await error({ from: T0 - 40 * 86400, to: T0 })).toMatchObject({ status: 400, code: 'BACKFILL_LIMIT', message: expect.stringContaining('backfill_max_period') });
  });
});

describe('ingest', () => {
  it('shows HEC counters, tokens by name without their values, indexes and sizes', async () => {
    const i = await api.json<IngestInfo>('/api/ingest');
    expect(i.hec!.acceptedEvents).toBeGreaterThan(0);
    expect(i.tokens).toEqual([expect.objectContaining({ name: 'default', defaultIndex: 'main', requests: 1 })]);
    expect(JSON.stringify(i)).not.toContain(h.hecToken);
    expect(JSON.stringify(i)).not.toContain(h.apiToken);
    const main = i.indexes.find((x) => x.name === 'main')!;
    expect(main.events).toBeGreaterThan(20);
    expect(main.bytes).toBeGreaterThan(0);
    expect(i.indexes.some((x) => x.name === 'risk')).toBe(true);
    expect(i.hecUrl).toBe(h.server.hecUrl);
  });
});

describe('console files', () => {
  it('serves the built console with strict headers, deep links to index.html, no path traversal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>vigil console</title>');
    writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
    const h2 = await startHarness({ consoleDir: dir });
    try {
      const root = await fetch(`${h2.server.apiUrl}/`);
      expect(await root.text()).toContain('vigil console');
      expect(root.headers.get('content-security-policy')).toContain("default-src 'self'");
      // No inline script nor style (CSP Level 3, 'unsafe-inline'): the console sets styles through the CSSOM only.
      expect(root.headers.get('content-security-policy')).toContain("style-src 'self';");
      expect(root.headers.get('content-security-policy')).not.toContain('unsafe-inline');
      expect(root.headers.get('x-frame-options')).toBe('DENY');
      expect(await (await fetch(`${h2.server.apiUrl}/findings/abc`)).text()).toContain('vigil console');
      const js = await fetch(`${h2.server.apiUrl}/assets/app-abc123.js`);
      expect(js.headers.get('content-type')).toContain('text/javascript');
      expect(js.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${h2.server.apiUrl}/assets/missing.js`)).status).toBe(404);
      expect((await fetch(`${h2.server.apiUrl}/%E0%A4%A`)).status).toBe(400);
      const traversal = await fetch(`${h2.server.apiUrl}/..%2f..%2fpackage.json`);
      expect(await traversal.text()).not.toContain('"name"');
      expect((await fetch(`${h2.server.apiUrl}/api/nope`, { headers: { Authorization: `Bearer ${h2.apiToken}` } })).status).toBe(404);
    } finally {
      await h2.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
