/**
 * Every risk object can be opened through the API, whatever its name: risk objects come from event data (any HEC
 * token holder controls them). `.` and `..` cannot travel in a path (RFC 3986 §5.2.4 remove_dot_segments; the WHATWG
 * URL parser, which fetch and browsers use, drops them, `%2e%2e` included), and a name over http.maxHeaderBytes
 * (16 KiB) cannot travel in a request line at all: `?object=` and a POST body `{"object"}` carry them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessTreeInfo, RiskObjectDetail } from '../../src/web/api-types.js';
import { MAX_ADDRESS_OBJECT, objectAt, riskLink, riskObjectRequest } from '../../web/src/risk-link.js';
import { ConsoleClient, PASSWORD, startHarness, USER, type Harness } from './harness.js';

const LONG = 'y'.repeat(20_000);
const NAMES = ['.', '..', 'a/b', '/', '50%', '%2e%2e', 'who?', 'a#b', 'C:\\Users\\eve\\', '\\', 'two words', 'pod-ünïcødé-日本', ' lead', 'trail ', 'x/processes', LONG];
/** Names a path can carry (what fetch leaves of `.` and `..` is another path; LONG is over the header limit). */
const PATH_OK = NAMES.filter((n) => n !== '.' && n !== '..' && n !== LONG);

describe('risk objects of any name: path, ?object= and POST {"object"} forms', () => {
  let h: Harness;
  let client: ConsoleClient;
  beforeAll(async () => {
    h = await startHarness();
    const t = Date.now() / 1000 - 300;
    const body = NAMES.map((n, i) =>
      JSON.stringify({ time: t + i, index: 'risk', sourcetype: 'stash', event: { risk_object: n, risk_object_type: 'system', risk_score: 10 + i, risk_message: `message ${i}`, search_name: 'names' } }),
    ).join('\n');
    const res = await fetch(`${h.server.hecUrl}/services/collector/event`, { method: 'POST', headers: { Authorization: `Splunk ${h.hecToken}` }, body });
    expect(res.status).toBe(200);
    client = new ConsoleClient(h.server.apiUrl);
    expect((await client.login({ username: USER, password: PASSWORD })).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  /** The reply names the object and exactly its one risk event. */
  const expectObject = (d: RiskObjectDetail, name: string) => {
    const i = NAMES.indexOf(name);
    expect(d.riskObject).toBe(name);
    expect(d.riskEventCount).toBe(1);
    expect(d.score).toBe(10 + i);
    expect(d.riskEvents.map((e) => [e.riskObject, e.message])).toEqual([[name, `message ${i}`]]);
  };

  it('POST /api/risk/object {"object"} answers each object, the 20,000-character one included', async () => {
    for (const name of NAMES) {
      expectObject(await client.json<RiskObjectDetail>('/api/risk/object?earliest=-24h', { method: 'POST', json: { object: name } }), name);
      const tree = await client.json<ProcessTreeInfo>('/api/risk/object/processes?earliest=-24h', { method: 'POST', json: { object: name } });
      expect(tree.riskObject).toBe(name);
    }
  });

  it('GET /api/risk/object?object= answers each object a request line can hold', async () => {
    for (const name of NAMES.filter((n) => n !== LONG)) {
      expectObject(await client.json<RiskObjectDetail>(`/api/risk/object?object=${encodeURIComponent(name)}&earliest=-24h`), name);
      const tree = await client.json<ProcessTreeInfo>(`/api/risk/object/processes?object=${encodeURIComponent(name)}`);
      expect(tree.riskObject).toBe(name);
    }
  });

  it('the path form still answers the names a path can carry (old links)', async () => {
    for (const name of PATH_OK) {
      expectObject(await client.json<RiskObjectDetail>(`/api/risk/objects/${encodeURIComponent(name)}?earliest=-24h`), name);
      const tree = await client.json<ProcessTreeInfo>(`/api/risk/objects/${encodeURIComponent(name)}/processes`);
      expect(tree.riskObject).toBe(name);
    }
  });

  it("what the console's page asks for each object (risk-link.ts) names that object", async () => {
    for (const name of NAMES) {
      const req = riskObjectRequest(name, '', 'earliest=-24h');
      expect(new URL(req.path, 'http://x').href.length).toBeLessThan(MAX_ADDRESS_OBJECT + 100);
      expectObject(await client.json<RiskObjectDetail>(req.path, req.body ? { method: 'POST', json: req.body } : {}), name);
    }
  });

  it('same auth and CSRF rules as the other routes; no object is a 400 USAGE', async () => {
    const anon = await fetch(`${h.server.apiUrl}/api/risk/object`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ object: '..' }) });
    expect(anon.status).toBe(401);
    expect((await client.fetch('/api/risk/object', { method: 'POST', json: { object: '..' }, noCsrf: true })).status).toBe(403);
    const token = await fetch(`${h.server.apiUrl}/api/risk/object`, { method: 'POST', headers: { Authorization: `Bearer ${h.apiToken}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ object: '..' }) });
    expect(token.status).toBe(200);
    for (const [path, init] of [
      ['/api/risk/object', {}],
      ['/api/risk/object', { method: 'POST', json: { object: 1 } }],
      ['/api/risk/object/processes', { method: 'POST', json: ['..'] }],
    ] as const) {
      const res = await client.fetch(path, init);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('USAGE');
    }
    // A name nobody sent is the usual 404.
    expect((await client.fetch('/api/risk/object', { method: 'POST', json: { object: 'no such object' } })).status).toBe(404);
  });
});

describe("the console's address of a risk object's page", () => {
  // Parsed with WHATWG URL, as a browser parses the address (a path's `.`/`..` segments are removed there).
  for (const name of NAMES) {
    it(`keeps ${JSON.stringify(name.slice(0, 20))} (${name.length} characters)`, () => {
      const link = riskLink(name, '-24h');
      const u = new URL(link.to, 'http://console');
      expect(u.href.length).toBeLessThan(MAX_ADDRESS_OBJECT + 100);
      expect(u.searchParams.get('range')).toBe('-24h');
      // One segment after /risk/, as App.tsx's route `/risk/:object` reads it.
      const seg = /^\/risk\/([^/]+)$/.exec(u.pathname)?.[1];
      const fromPath = seg === undefined ? undefined : decodeURIComponent(seg);
      const shown = fromPath ?? objectAt(u.searchParams, link.state ?? null);
      expect(shown).toBe(name);
      // Ordinary names keep the path form (old links); a long name's address alone does not name it.
      expect(fromPath !== undefined).toBe(PATH_OK.includes(name));
      if (name === LONG) expect(objectAt(u.searchParams, null)).toBeNull();
    });
  }

  it("a long name's state does not open another long name's address", () => {
    const other = 'z'.repeat(20_000);
    expect(objectAt(new URL(riskLink(other).to, 'http://console').searchParams, riskLink(LONG).state)).toBeNull();
  });
});
