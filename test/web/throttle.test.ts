/** The API's failed-authentication throttle: atomic under parallel guesses, per client and per user name. */
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORD, startHarness, USER, type Harness } from './harness.js';

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

function login(body: Record<string, string>, forwardedFor?: string): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (forwardedFor !== undefined) headers['X-Forwarded-For'] = forwardedFor;
  return fetch(`${h!.server.apiUrl}/api/login`, { method: 'POST', headers, body: JSON.stringify(body) });
}

function bearer(token: string): Promise<Response> {
  return fetch(`${h!.server.apiUrl}/api/health`, { headers: { Authorization: `Bearer ${token}` } });
}

const count = (rs: Response[], status: number) => rs.filter((r) => r.status === status).length;

describe('API authentication throttle (10 failures per client and per user name in 5 minutes)', () => {
  it('counts 300 parallel wrong passwords before checking any: 10 are checked, 290 get 429, and the right password is then refused', async () => {
    h = await startHarness();
    const burst = await Promise.all(Array.from({ length: 300 }, (_, i) => login({ username: USER, password: `wrong-${i}` })));
    expect([count(burst, 401), count(burst, 429)]).toEqual([10, 290]);
    const right = await login({ username: USER, password: PASSWORD });
    expect(right.status).toBe(429);
    expect(((await right.json()) as { error: { code: string } }).error.code).toBe('THROTTLED');
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('checks at most 10 of a parallel burst that holds the right password', async () => {
    h = await startHarness();
    const bodies = Array.from({ length: 300 }, (_, i) => ({ username: USER, password: i === 150 ? PASSWORD : `wrong-${i}` }));
    const burst = await Promise.all(bodies.map((b) => login(b)));
    expect(count(burst, 401) + count(burst, 200)).toBeLessThanOrEqual(10);
    expect(count(burst, 429)).toBeGreaterThanOrEqual(290);
  });

  it('a successful login with one\'s own token does not reset the failures counted before it', async () => {
    h = await startHarness();
    for (let i = 0; i < 9; i++) expect((await login({ username: `guess-${i}`, password: 'x' })).status).toBe(401);
    expect((await login({ token: h.apiToken })).status).toBe(200);
    expect((await login({ username: 'guess-9', password: 'x' })).status).toBe(401);
    expect((await login({ token: h.apiToken })).status).toBe(429);
  });

  it('throttles wrong Bearer tokens on /api; while locked out a valid token is refused too', async () => {
    h = await startHarness();
    for (let i = 0; i < 10; i++) expect((await bearer(`nope-${i}`)).status).toBe(401);
    const valid = await bearer(h.apiToken);
    expect(valid.status).toBe(429);
    expect(valid.headers.get('retry-after')).not.toBeNull();
  });

  it('behind a trusted proxy, keys clients by X-Forwarded-For: one locked-out client does not lock out the others', async () => {
    h = await startHarness({ configure: (c) => (c.http.trustedProxies = ['127.0.0.1', '::1']) });
    for (let i = 0; i < 10; i++) expect((await login({ username: `guess-${i}`, password: 'x' }, '203.0.113.1')).status).toBe(401);
    expect((await login({ username: USER, password: PASSWORD }, '203.0.113.1')).status).toBe(429);
    expect((await login({ username: USER, password: PASSWORD }, '198.51.100.1, 203.0.113.1')).status).toBe(429); // forged left entry
    expect((await login({ username: USER, password: PASSWORD }, '203.0.113.2')).status).toBe(200);
  });

  it('logs a lockout once per client and per user name in a window, however many requests it refuses', async () => {
    const logged: string[] = [];
    h = await startHarness({ configure: (c) => (c.http.trustedProxies = ['127.0.0.1', '::1']), log: (level, message) => logged.push(`${level}: ${message}`) });
    await Promise.all(Array.from({ length: 100 }, (_, i) => bearer(`nope-${i}`)));
    for (let i = 0; i < 5; i++) expect((await bearer(h.apiToken)).status).toBe(429);
    // One user name guessed from many addresses: each address stays under its own limit.
    for (let i = 0; i < 15; i++) await login({ username: `${USER}\nforged log line`, password: 'x' }, `203.0.113.${i}`);
    expect(logged.filter((l) => l.includes('throttled'))).toEqual([
      expect.stringMatching(/^warn: authentication throttled: client 127\.0\.0\.1 is refused for \d+ s after too many failed logins or API tokens \(http\.authThrottle\)$/),
      expect.stringMatching(/^warn: authentication throttled: user name "alice\\nforged log line" is refused for \d+ s after too many failed logins or API tokens \(http\.authThrottle\)$/),
    ]);
  });

  it('counts password guesses per user name across clients', async () => {
    h = await startHarness({ configure: (c) => (c.http.trustedProxies = ['127.0.0.1', '::1']) });
    for (let i = 0; i < 10; i++) expect((await login({ username: USER, password: 'x' }, `203.0.113.${i}`)).status).toBe(401);
    expect((await login({ username: USER, password: PASSWORD }, '198.51.100.9')).status).toBe(429);
    expect((await login({ token: h.apiToken }, '198.51.100.9')).status).toBe(200);
  });
});
