import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FindingSummary, Overview } from '../../src/web/api-types.js';
import { backfill, datasetLines, FixedClock, replayRaw, startHarness, type Harness } from './harness.js';

// What a script sends to the API, checked against docs/api.md: parameters are validated (a 400 USAGE, never
// ignored nor a 500), filters hold with a limit, and every error is JSON with a code of docs/errors.md.

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0) / 1000; // the bundled datasets' events are at 10:00-10:11 UTC
const clock = new FixedClock(T0 + 1.5 * 3600);
let h: Harness;

function bearer(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('Authorization', `Bearer ${h.apiToken}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  return fetch(`${h.server.apiUrl}${path}`, { ...init, headers, ...(body !== undefined ? { body } : {}) });
}

async function findings(query: string): Promise<FindingSummary[]> {
  const res = await bearer(`/api/findings${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { findings: FindingSummary[] }).findings;
}

beforeAll(async () => {
  h = await startHarness({ clock });
  await replayRaw(h, [
    ...datasetLines('datasets/cisco_isovalent/cisco_isovalent.log'),
    ...datasetLines('datasets/cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log'),
  ]);
  await backfill(h, T0, clock.now());
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('GET /api/findings', () => {
  it('applies q and rule before limit: the first matching findings, not matches among the newest (was [] for ?q=<older object>&limit=1)', async () => {
    const all = await findings('');
    expect(new Set(all.map((f) => f.riskObject)).size).toBeGreaterThan(1);
    const last = all.at(-1)!; // the oldest: behind the newest under any limit smaller than the list
    const newer = all.filter((f) => f.riskObject !== last.riskObject);
    expect(newer.length).toBeGreaterThan(0);
    const want = all.filter((f) => f.riskObject.toLowerCase().includes(last.riskObject.toLowerCase()) || f.ruleName.toLowerCase().includes(last.riskObject.toLowerCase()));
    expect(await findings(`?q=${encodeURIComponent(last.riskObject.toUpperCase())}&limit=1`)).toEqual(want.slice(0, 1));
    const byRule = all.filter((f) => f.ruleName === last.ruleName);
    expect(await findings(`?rule=${encodeURIComponent(last.ruleName)}&limit=${byRule.length}`)).toEqual(byRule);
    expect(await findings('?limit=1')).toEqual(all.slice(0, 1));
  });

  it('pages with before=<the last id>: the pages joined are the whole list in order, ties at one time included', async () => {
    const all = await findings('');
    expect(all.length).toBeGreaterThan(2);
    // Findings of one run share their time: paging by time alone would skip or repeat them.
    expect(new Set(all.map((f) => f.time)).size).toBeLessThan(all.length);
    for (const size of [1, 2]) {
      const paged: FindingSummary[] = [];
      for (let page = await findings(`?limit=${size}`); page.length > 0 && paged.length <= all.length; page = await findings(`?limit=${size}&before=${encodeURIComponent(page.at(-1)!.id)}`)) {
        expect(page.length).toBeLessThanOrEqual(size);
        paged.push(...page);
      }
      expect(paged).toEqual(all);
    }
    // With a filter: the filtered list's rest.
    const rule = all.at(-1)!.ruleName;
    const byRule = all.filter((f) => f.ruleName === rule);
    expect(await findings(`?rule=${encodeURIComponent(rule)}&before=${encodeURIComponent(byRule[0]!.id)}`)).toEqual(byRule.slice(1));
    for (const bad of ['', 'no-such-finding']) {
      const res = await bearer(`/api/findings?before=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('USAGE');
    }
  });

  it('refuses a limit that is not a whole number from 1 with a 400 USAGE (1.5 was a 500; abc, 0 and -1 were read as 500 or 1)', async () => {
    for (const v of ['1.5', 'abc', '0', '-1', '1e3', ' 2']) {
      const res = await bearer(`/api/findings?limit=${encodeURIComponent(v)}`);
      expect(res.status, v).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('USAGE');
    }
    // Past the cap: capped (docs/api.md), not refused.
    expect((await bearer('/api/findings?limit=99999999999')).status).toBe(200);
  });
});

describe('GET /api/overview', () => {
  it('validates top like limit', async () => {
    expect((await bearer('/api/overview?earliest=&top=1.5')).status).toBe(400);
    expect((await bearer('/api/overview?earliest=&top=x')).status).toBe(400);
    const res = await bearer('/api/overview?earliest=&top=1');
    expect(res.status).toBe(200);
    expect(((await res.json()) as Overview).topObjects).toHaveLength(1);
  });
});

describe('POST /api/search options', () => {
  const search = '| makeresults count=5';
  it('refuses limit, progressMs, now and indexes of the wrong type with a 400 USAGE (they were ignored: every row, every index)', async () => {
    const bad: [string, unknown][] = [
      ['limit', '2'],
      ['limit', 1.5],
      ['limit', -1],
      ['progressMs', 'x'],
      ['progressMs', -5],
      ['now', 'abc'],
      ['now', {}],
      ['indexes', 'main'],
      ['indexes', [1]],
    ];
    for (const [key, value] of bad) {
      const res = await bearer('/api/search', { method: 'POST', json: { search, [key]: value } });
      expect(res.status, `${key}=${JSON.stringify(value)}`).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('USAGE');
      expect(error.message).toContain(`"${key}"`);
    }
  });

  it('takes them when they are right (null is absent)', async () => {
    const res = await bearer('/api/search', { method: 'POST', json: { search, limit: 2, progressMs: 0, now: T0, indexes: ['main'], tz: null } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => 'result' in l)).toEqual([
      { result: { _time: '2026-11-20T10:00:00.000000+00:00' } },
      { result: { _time: '2026-11-20T10:00:00.000000+00:00' } },
    ]);
    expect(lines.at(-1)).toMatchObject({ done: true, stats: { results: 2 } });
    const nulls = await bearer('/api/search', { method: 'POST', json: { search, limit: null, progressMs: null, now: null, indexes: null } });
    expect(nulls.status).toBe(200);
  });
});

describe('numbers outside the times vigil takes (years 1000 to 9999 UTC)', () => {
  const OUT_OF_RANGE = 'must be a time from 1000-01-01 to 9999-12-31 UTC';
  const post = (path: string, body: string) => bearer(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const refused = async (res: Response, what: string): Promise<void> => {
    expect(res.status, what).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code, what).toBe('USAGE');
    expect(error.message, what).toContain(OUT_OF_RANGE);
  };

  it('POST /api/search refuses them as now, earliest or latest with a 400 USAGE (now 1e300 ran, printing a _time of year 3e292); the edges are taken', async () => {
    // Raw JSON text: 1e400 is Infinity once parsed, which JSON.stringify cannot write.
    for (const [key, value] of [['now', '1e300'], ['now', '-1e300'], ['now', '1e400'], ['now', '253402300800'], ['earliest', '1e300'], ['earliest', '-30610224001'], ['latest', '-1e300'], ['latest', '1e400']]) {
      const res = await post('/api/search', `{"search": "| makeresults", "${key}": ${value}}`);
      await refused(res, `${key}=${value}`);
    }
    for (const [now, time] of [[253402300799, '9999-12-31T23:59:59.000000+00:00'], [-30610224000, '1000-01-01T00:00:00.000000+00:00']] as const) {
      const res = await bearer('/api/search', { method: 'POST', json: { search: '| makeresults', now, earliest: now, progressMs: 0 } });
      expect(res.status).toBe(200);
      expect(JSON.parse((await res.text()).split('\n')[0]!)).toEqual({ result: { _time: time } });
    }
  });

  it('POST /api/search refuses a modifier whose time is out of those years, as the ranges and vigil search --earliest do (-999999999999d ran, a bound of year -2.7e9); one within them and a bad one as before', async () => {
    // Found by an outside review: only numbers and ISO 8601 were checked here, a modifier went to the search as it was.
    for (const [key, value] of [['earliest', '-999999999999d'], ['latest', '+999999999y'], ['earliest', ' 999999999999999999999999999999 ']] as const) {
      const res = await post('/api/search', JSON.stringify({ search: '| makeresults', [key]: value }));
      await refused(res, `${key}=${value}`);
    }
    const ok = await bearer('/api/search', { method: 'POST', json: { search: '| makeresults | addinfo | table info_min_time', now: 1796606908, earliest: '-1000y@y', progressMs: 0 } });
    expect(ok.status).toBe(200);
    // 1026-01-01T00:00:00Z, computed with Date.UTC (years 0-99 aside, it takes the year as given).
    expect(JSON.parse((await ok.text()).split('\n')[0]!)).toEqual({ result: { info_min_time: (Date.UTC(1026, 0, 1) / 1000).toFixed(3) } });
    const bad = await post('/api/search', JSON.stringify({ search: '| makeresults', earliest: 'ALL' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('TIME_MODIFIER');
  });

  it('POST /api/search refuses swapped bounds (400 USAGE naming both times), as the GET ranges and vigil search do', async () => {
    // now = 2026-12-07T00:00:00Z; -10m and -1h resolve to 23:50 and 23:00 the day before.
    const now = Date.UTC(2026, 11, 7) / 1000;
    const swapped = await bearer('/api/search', { method: 'POST', json: { search: '| makeresults', now, earliest: '-10m', latest: '-1h' } });
    expect(swapped.status).toBe(400);
    expect(await swapped.json()).toEqual({ error: { code: 'USAGE', message: '"earliest" (2026-12-06T23:50:00.000Z) must be before "latest" (2026-12-06T23:00:00.000Z)' } });
    const equal = await bearer('/api/search', { method: 'POST', json: { search: '| makeresults', now, earliest: now - 60, latest: '-1m' } });
    expect(equal.status).toBe(400);
    const ok = await bearer('/api/search', { method: 'POST', json: { search: '| makeresults', now, earliest: '-1h', latest: '-10m', progressMs: 0 } });
    expect(ok.status).toBe(200);
  });

  it('backfill echoes a detection name it does not have with its control characters replaced (vigil backfill prints it)', async () => {
    const res = await post('/api/backfill', JSON.stringify({ from: '-1h', to: 'now', detections: ['bad\u001b[31mname\u0007'] }));
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error).toEqual({ code: 'CONTENT_NOT_FOUND', message: 'no detection named "bad\ufffd[31mname\ufffd"' });
  });

  it('query ranges and backfill periods refuse them too (latest= 400 nines was answered as "latest": null, -999999999999d as a year before -2e9)', async () => {
    for (const path of [`/api/overview?latest=${'9'.repeat(400)}`, '/api/overview?earliest=-999999999999d', '/api/findings?since=99999999999999', '/api/risk/objects/x/processes?earliest=-999999999999d']) await refused(await bearer(path), path);
    for (const body of ['{"from": 99999999999999, "to": "now"}', '{"from": "-1h", "to": "+99999999y"}']) await refused(await post('/api/backfill', body), body);
  });
});

describe('POST /api/search time bounds', () => {
  const count = async (extra: Record<string, unknown>): Promise<unknown> => {
    const res = await bearer('/api/search', { method: 'POST', json: { search: 'index=main | stats count', progressMs: 0, ...extra } });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    return (JSON.parse(text.split('\n')[0]!) as { result: { count: unknown } }).result.count;
  };
  it('takes ISO 8601 and all like every other route’s range (docs/api.md, Time ranges; were a 400 TIME_MODIFIER)', async () => {
    const all = await count({});
    const since = await count({ earliest: T0 + 300 });
    expect(Number(since)).toBeLessThan(Number(all));
    expect(Number(since)).toBeGreaterThan(0);
    expect(await count({ earliest: '2026-11-20T10:05:00Z' })).toBe(since);
    expect(await count({ earliest: '2026-11-20T11:05:00+01:00' })).toBe(since);
    expect(await count({ earliest: 'all' })).toBe(all);
    expect(await count({ latest: '2026-11-20T10:05:00Z' })).toBe(Number(all) - Number(since));
    const bad = await bearer('/api/search', { method: 'POST', json: { search: '| makeresults', earliest: '2026-13-45T99:00:00Z' } });
    expect(bad.status).toBe(400);
  });
});

describe('methods a path does not take', () => {
  it('answer a JSON 404 NOT_FOUND like unknown paths (was text/plain "404 Not Found")', async () => {
    for (const [method, path] of [
      ['POST', '/api/health'],
      ['DELETE', '/api/findings'],
      ['PUT', '/api/overview'],
      ['POST', '/api/nope'],
    ] as const) {
      const res = await bearer(path, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: `no such endpoint: ${method} ${path}` } });
    }
    // Unauthenticated, auth answers first: nothing is said about which paths exist.
    expect((await fetch(`${h.server.apiUrl}/api/health`, { method: 'POST' })).status).toBe(401);
  });
});

describe('docs/errors.md', () => {
  it('lists every code the API answers with', () => {
    const dir = new URL('../../src/web/', import.meta.url);
    const codes = new Set<string>();
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/(?:fail\(c, \d{3}, |code: )'([A-Z][A-Z_]+)'/g)) codes.add(m[1]!);
    }
    expect(codes.size).toBeGreaterThan(8);
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    expect([...codes].filter((code) => !doc.includes(`\`${code}\``))).toEqual([]);
  });
});

describe('GET /api/risk/objects/:object', () => {
  it('lists the object’s own risk events even behind 1000 newer ones of another spelling (WEB-9 matched web-9 in the search, and head 1000 kept only those)', async () => {
    const t = clock.now() - 600;
    const ev = (obj: string, at: number) => ({
      _time: at,
      index: 'risk',
      sourcetype: 'stash',
      source: 'probe',
      host: 'vigil',
      _raw: JSON.stringify({ risk_object: obj, risk_object_type: 'system', risk_score: 5, risk_message: 'm', search_name: 'probe' }),
    });
    await h.server.store.append([ev('web-9', t - 60), ...Array.from({ length: 1000 }, (_, i) => ev('WEB-9', t + i / 100))]);
    const res = await bearer('/api/risk/objects/web-9?earliest=-1h');
    expect(res.status).toBe(200);
    const d = (await res.json()) as { riskEventCount: number; riskEvents: { riskObject: string }[] };
    expect(d.riskEventCount).toBe(1);
    expect(d.riskEvents.map((e) => e.riskObject)).toEqual(['web-9']);
  });
});

describe('POST /api/findings/:id/comments', () => {
  it('counts the 1 to 10000 characters of a comment as characters (10000 emoji were refused as 20000 UTF-16 units)', async () => {
    const f = (await findings('?limit=1'))[0]!;
    const post = (text: string) => bearer(`/api/findings/${f.id}/comments`, { method: 'POST', json: { text } });
    const emoji = '\u{1F600}'.repeat(10_000);
    const ok = await post(emoji);
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { comment: { text: string } }).comment.text).toBe(emoji);
    expect((await post(`${emoji}a`)).status).toBe(400);
    expect((await post('  ')).status).toBe(400);
    expect((await post(`  ${'a'.repeat(10_000)}  `)).status).toBe(201); // surrounding spaces are trimmed first
  });
});

describe('console deep links', () => {
  it('load the app for a risk object whose name holds a dot (node names, addresses: were a 404 "not found"), and missing files stay 404', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>vigil console</title>');
    const h2 = await startHarness({ consoleDir: dir });
    try {
      for (const path of ['/risk/ip-10-0-0-1.ec2.internal', '/risk/10.0.0.1', '/risk/a%2Fb.txt', '/findings/abc']) {
        const res = await fetch(`${h2.server.apiUrl}${path}`);
        expect(res.status, path).toBe(200);
        expect(await res.text()).toContain('vigil console');
      }
      for (const path of ['/assets/missing.js', '/missing.js', '/favicon.ico', '/assets/x%00.js', '/x%00']) {
        const res = await fetch(`${h2.server.apiUrl}${path}`);
        expect([res.status, await res.json()], path).toEqual([404, { error: { code: 'NOT_FOUND', message: 'no such file' } }]);
      }
      // Every error of the port is JSON (docs/api.md): a path that is not percent-encoding was a bare "bad request".
      const bad = await fetch(`${h2.server.apiUrl}/%zz%ff`);
      expect([bad.status, await bad.json()]).toEqual([400, { error: { code: 'USAGE', message: 'the path is not valid percent-encoding' } }]);
    } finally {
      await h2.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
