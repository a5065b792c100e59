/** Throttling of wrong HEC tokens per client, and who the client is behind a trusted proxy. */
import { afterEach, describe, expect, it } from 'vitest';
import type { HecConfig } from '../../src/config/config.js';
import { TOKEN, auth, hecConfig, send, start, type Running } from './helpers.js';

let hec: Running | null = null;
afterEach(async () => {
  await hec?.close();
  hec = null;
});

let logged: string[] = [];
async function serve(overrides: Partial<HecConfig> = {}): Promise<Running> {
  logged = [];
  hec = await start({
    config: hecConfig({ authThrottle: { maxFailures: 3, windowMs: 60_000, maxTracked: 1000 }, ...overrides }),
    log: (level, message) => logged.push(`${level}: ${message}`),
  });
  return hec;
}

function post(h: Running, token: string | null, forwardedFor?: string) {
  const headers: Record<string, string> = token === null ? {} : auth(token);
  if (forwardedFor !== undefined) headers['X-Forwarded-For'] = forwardedFor;
  return send(h.url, '/services/collector/event', { body: '{"event":"x"}', headers });
}

const INVALID = '{"text":"Invalid token","code":4}';
const BUSY = '{"text":"Server is busy","code":9}';

describe('HEC token throttle', () => {
  it('counts a parallel burst of wrong tokens at once; then refuses the client, valid token too, with 503 code 9 and Retry-After', async () => {
    const h = await serve();
    const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => post(h, `wrong-${i}`)));
    expect(burst.filter((r) => r.text === INVALID)).toHaveLength(3);
    expect(burst.filter((r) => r.status === 503 && r.text === BUSY)).toHaveLength(47);
    const valid = await post(h, TOKEN);
    expect([valid.status, valid.text]).toEqual([503, BUSY]);
    expect(Number(valid.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(valid.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(h.store.events).toEqual([]);
  });

  it('logs a lockout once per client and window, however many requests it refuses', async () => {
    const h = await serve({ trustedProxies: ['127.0.0.0/8', '::1'] });
    for (const client of ['203.0.113.5', '203.0.113.6']) {
      await Promise.all(Array.from({ length: 200 }, (_, i) => post(h, `wrong-${i}`, client)));
      for (let i = 0; i < 5; i++) expect((await post(h, TOKEN, client)).text).toBe(BUSY);
    }
    expect(logged.filter((l) => l.includes('throttled'))).toEqual([
      expect.stringMatching(/^warn: authentication throttled: client 203\.0\.113\.5 is refused for \d+ s after too many wrong tokens \(hec\.authThrottle\)$/),
      expect.stringMatching(/^warn: authentication throttled: client 203\.0\.113\.6 is refused/),
    ]);
  });

  it('does not count requests without a token, and a success takes back only its own attempt', async () => {
    const h = await serve();
    for (let i = 0; i < 5; i++) expect((await post(h, null)).text).toBe('{"text":"Token is required","code":2}');
    expect((await post(h, 'wrong-1')).text).toBe(INVALID);
    expect((await post(h, TOKEN)).status).toBe(200);
    expect((await post(h, 'wrong-2')).text).toBe(INVALID);
    expect((await post(h, TOKEN)).status).toBe(200);
    expect((await post(h, 'wrong-3')).text).toBe(INVALID);
    expect((await post(h, TOKEN)).text).toBe(BUSY);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const h = await serve();
    for (let i = 0; i < 3; i++) expect((await post(h, 'wrong', `203.0.113.${i}`)).text).toBe(INVALID);
    expect((await post(h, TOKEN, '198.51.100.7')).text).toBe(BUSY);
  });

  it('behind a trusted proxy, keys clients by the forwarded address: one client locked out does not lock out another', async () => {
    const h = await serve({ trustedProxies: ['127.0.0.0/8', '::1'] });
    for (let i = 0; i < 3; i++) expect((await post(h, 'wrong', '203.0.113.5')).text).toBe(INVALID);
    expect((await post(h, TOKEN, '203.0.113.5')).text).toBe(BUSY);
    // A forged entry on the left changes nothing: the proxy appended the real address on the right.
    expect((await post(h, TOKEN, '198.51.100.1, 203.0.113.5')).text).toBe(BUSY);
    expect((await post(h, TOKEN, '203.0.113.6')).status).toBe(200);
  });
});
