import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthThrottle, ClientIdentity, DEFAULT_AUTH_THROTTLE, type Attempt } from '../../src/config/auth-throttle.js';
import { loadConfig } from '../../src/config/index.js';

function throttle(clock: { t: number }, limit = 3, maxTracked = 1000): AuthThrottle {
  return new AuthThrottle(limit, 60_000, maxTracked, () => clock.t);
}

function granted(t: AuthThrottle, key: string): Attempt {
  const d = t.attempt(key);
  if (!d.ok) throw new Error(`refused ${key}`);
  return d.attempt;
}

describe('AuthThrottle', () => {
  it('counts an attempt as it starts: parallel attempts beyond the limit are refused before any of them failed', () => {
    const t = throttle({ t: 0 });
    const inFlight = [granted(t, 'a'), granted(t, 'a'), granted(t, 'a')];
    expect(t.attempt('a')).toEqual({ ok: false, retryAfterSeconds: 60, firstRefusal: true });
    expect(t.attempt('b').ok).toBe(true);
    // One of them succeeds: only its own attempt is taken back.
    inFlight[0]!.succeeded();
    inFlight[0]!.succeeded(); // twice is once
    const fourth = granted(t, 'a');
    expect(t.attempt('a').ok).toBe(false);
    fourth.succeeded();
    expect(t.attempt('a').ok).toBe(true);
  });

  it('a success never resets the failures counted before it', () => {
    const t = throttle({ t: 0 });
    granted(t, 'a');
    granted(t, 'a');
    granted(t, 'a').succeeded(); // e.g. a login with one's own token
    granted(t, 'a');
    expect(t.attempt('a').ok).toBe(false);
  });

  it('refuses until the window ends, then starts over; Retry-After counts down', () => {
    const clock = { t: 1_000 };
    const t = throttle(clock);
    for (let i = 0; i < 3; i++) granted(t, 'a');
    clock.t += 45_500;
    expect(t.attempt('a')).toEqual({ ok: false, retryAfterSeconds: 15, firstRefusal: true });
    clock.t += 14_500;
    expect(t.attempt('a').ok).toBe(true);
  });

  it('marks only the first refusal of a key in each window (what callers log)', () => {
    const clock = { t: 0 };
    const t = throttle(clock);
    for (let i = 0; i < 3; i++) granted(t, 'a');
    const refusals = Array.from({ length: 1000 }, () => t.attempt('a'));
    expect(refusals.map((d) => !d.ok && d.firstRefusal).filter(Boolean)).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ ok: false, firstRefusal: true });
    for (let i = 0; i < 3; i++) granted(t, 'b');
    expect(t.attempt('b')).toMatchObject({ ok: false, firstRefusal: true });
    clock.t += 60_000; // the next window: a new lockout is reported again
    for (let i = 0; i < 3; i++) granted(t, 'a');
    expect(t.attempt('a')).toMatchObject({ ok: false, firstRefusal: true });
    expect(t.attempt('a')).toMatchObject({ ok: false, firstRefusal: false });
  });

  it('remembers at most maxTracked keys (a client spraying addresses cannot grow memory); successes leave nothing', () => {
    const t = throttle({ t: 0 }, 3, 100);
    for (let i = 0; i < 10_000; i++) granted(t, `client-${i}`);
    expect(t.tracked).toBe(100);
    const u = throttle({ t: 0 }, 3, 100);
    for (let i = 0; i < 1000; i++) granted(u, `client-${i}`).succeeded();
    expect(u.tracked).toBe(0);
  });
});

describe('ClientIdentity', () => {
  const none = new ClientIdentity({ trustedProxies: [], clientIpHeader: 'x-forwarded-for' });
  const proxied = new ClientIdentity({ trustedProxies: ['10.0.0.0/8', '192.0.2.1', '2001:db8:ffff::/48'], clientIpHeader: 'X-Forwarded-For' });

  it('is the socket peer unless that is a trusted proxy', () => {
    expect(none.keyOf('192.0.2.1', '203.0.113.7')).toBe('192.0.2.1');
    expect(none.keyOf('::ffff:192.0.2.1', undefined)).toBe('192.0.2.1');
    expect(none.keyOf(undefined, undefined)).toBe('unknown');
    expect(proxied.keyOf('198.51.100.1', '203.0.113.7')).toBe('198.51.100.1');
    expect(proxied.header).toBe('x-forwarded-for');
  });

  it('behind trusted proxies, is the right-most address that is not a trusted proxy', () => {
    expect(proxied.keyOf('192.0.2.1', '203.0.113.7')).toBe('203.0.113.7');
    expect(proxied.keyOf('::ffff:10.1.2.3', 'forged, 198.51.100.9, 203.0.113.7, 10.9.9.9')).toBe('203.0.113.7');
    expect(proxied.keyOf('192.0.2.1', '203.0.113.7:51234')).toBe('203.0.113.7');
    expect(proxied.keyOf('192.0.2.1', '[2001:db8:1:2::5]:443')).toBe('2001:db8:1:2::/64');
    // Every entry a trusted proxy: the left-most; garbage: the last address a trusted hop vouched for.
    expect(proxied.keyOf('192.0.2.1', '10.0.0.1, 10.0.0.2')).toBe('10.0.0.1');
    expect(proxied.keyOf('192.0.2.1', 'unknown, 10.0.0.2')).toBe('10.0.0.2');
    expect(proxied.keyOf('192.0.2.1', undefined)).toBe('192.0.2.1');
    expect(proxied.keyOf('2001:db8:ffff::1', '203.0.113.8')).toBe('203.0.113.8');
  });

  it('keys IPv6 clients by their /64 network', () => {
    expect(none.keyOf('2001:db8:1:2:aaaa::1', undefined)).toBe('2001:db8:1:2::/64');
    expect(none.keyOf('2001:db8:1:2:bbbb::9', undefined)).toBe('2001:db8:1:2::/64');
    expect(none.keyOf('::1', undefined)).toBe('0:0:0:0::/64');
  });
});

describe('config: trustedProxies, clientIpHeader, authThrottle (hec and http)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-throttle-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const load = async (text: string) => {
    const file = join(dir, 'vigil.yml');
    await writeFile(file, text);
    return loadConfig({ file, env: {}, flags: { dataDir: join(dir, 'd') } });
  };

  it('defaults: no trusted proxy, X-Forwarded-For, 10 failures per client and per user name in 5 minutes', async () => {
    const c = await load('');
    for (const section of [c.hec, c.http]) expect(section).toMatchObject({ trustedProxies: [], clientIpHeader: 'x-forwarded-for' });
    expect(c.http.authThrottle).toEqual(DEFAULT_AUTH_THROTTLE);
    expect(c.hec.authThrottle).toEqual({ maxFailures: 10, windowMs: 300_000, maxTracked: 100_000 });
  });

  it('reads them', async () => {
    const c = await load(
      'http:\n  trustedProxies: [10.0.0.0/8, "::1", 192.0.2.7]\n  clientIpHeader: X-Real-IP\n  authThrottle: { maxFailures: 5, maxAccountFailures: 20, window: 15m, maxTracked: 5000 }\n' +
        'hec:\n  trustedProxies: [172.16.0.0/12]\n  authThrottle: { maxFailures: 50 }\n',
    );
    expect(c.http).toMatchObject({ trustedProxies: ['10.0.0.0/8', '::1', '192.0.2.7'], clientIpHeader: 'x-real-ip', authThrottle: { maxFailures: 5, maxAccountFailures: 20, windowMs: 900_000, maxTracked: 5000 } });
    expect(c.hec).toMatchObject({ trustedProxies: ['172.16.0.0/12'], authThrottle: { maxFailures: 50, windowMs: 300_000 } });
  });

  it.each([
    ['not an address', 'http:\n  trustedProxies:\n    - 10.0.0.0/8\n    - proxy.local\n', /:4: "http.trustedProxies.1" must be an IP address or a CIDR block/],
    ['bad prefix', 'hec:\n  trustedProxies: [10.0.0.0/33]\n', /:2: "hec.trustedProxies.0" must be an IP address or a CIDR block/],
    ['not a list', 'http:\n  trustedProxies: 10.0.0.1\n', /:2: "http.trustedProxies" must be a list/],
    ['bad header', 'http:\n  clientIpHeader: "X Forwarded"\n', /:2: "http.clientIpHeader" must be an HTTP header name/],
    ['zero failures', 'http:\n  authThrottle:\n    maxFailures: 0\n', /:3: "http.authThrottle.maxFailures" must be a whole number of at least 1/],
    ['bad window', 'hec:\n  authThrottle:\n    window: soon\n', /:3: "hec.authThrottle.window" must be a duration/],
    ['no user names on hec', 'hec:\n  authThrottle:\n    maxAccountFailures: 3\n', /:3: unknown setting "hec.authThrottle.maxAccountFailures"/],
  ])('%s is an error with file:line', async (_name, text, message) => {
    await expect(load(text)).rejects.toThrow(message);
  });
});
