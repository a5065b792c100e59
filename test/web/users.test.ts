import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/web/sessions.js';
import { loadConfig } from '../../src/config/index.js';
import { serverSettings } from '../../src/web/runtime.js';
import { authenticate, hashPassword, parseHash, parseUsers, verifyPassword } from '../../src/web/users.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('hashes in the documented scrypt$N$r$p$salt$hash format and verifies', async () => {
    const h = await hashPassword('s3cret', CHEAP);
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(parseHash(h)!.hash).toHaveLength(64);
    expect(await verifyPassword('s3cret', h)).toBe(true);
    expect(await verifyPassword('s3cret ', h)).toBe(false);
    expect(await hashPassword('s3cret', CHEAP)).not.toBe(h); // salted
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(parseHash('scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==')).toBeNull(); // N not a power of 2
  });

  it('uses the production cost by default', async () => {
    expect(await hashPassword('pw')).toMatch(/^scrypt\$16384\$8\$1\$/);
  });

  it('authenticates users by name and password', async () => {
    const users = [{ name: 'alice', passwordHash: await hashPassword('pw', CHEAP) }];
    expect(await authenticate(users, 'alice', 'pw')).toEqual(users[0]);
    expect(await authenticate(users, 'alice', 'nope')).toBeNull();
    expect(await authenticate(users, 'bob', 'pw')).toBeNull();
  });
});

describe('users: section', () => {
  it('reads users from the config file and refuses plain passwords, typos and duplicates', async () => {
    const hash = await hashPassword('pw', CHEAP);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-users-'));
    try {
      const file = join(dir, 'vigil.yml');
      writeFileSync(file, `dataDir: ./data\nusers:\n  - name: alice\n    password: "${hash}"\n  - name: bob\n    password: hunter2\n`);
      const config = await loadConfig({ file, env: {} });
      // Validated with the line of the bad value, as vigil serve does before it starts.
      expect(() => serverSettings(config)).toThrow(`${file}:6: "users.1".password must be a scrypt hash`);
      config.users = (config.users as unknown[]).slice(0, 1);
      expect(serverSettings(config).users).toEqual([{ name: 'alice', passwordHash: hash }]);
      expect(serverSettings(await loadConfig({ env: {}, cwd: dir })).users).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => parseUsers([{ name: 'alice', password: 'hunter2' }])).toThrow(/scrypt hash.*vigil hash-password/);
    expect(() => parseUsers([{ name: 'alice', pasword: hash }])).toThrow(/unknown setting "pasword"/);
    expect(() => parseUsers([{ name: 'a', password: hash }, { name: 'a', password: hash }])).toThrow(/two users/);
    expect(() => parseUsers({ alice: hash })).toThrow(/must be a list/);
    expect(parseUsers(undefined)).toEqual([]);
  });
});

describe('sessions', () => {
  it('expire when idle and at their maximum age; ids are random and unguessable', () => {
    let t = 0;
    const s = new SessionStore({ idleMs: 1000, maxAgeMs: 5000, now: () => t });
    const a = s.create('alice');
    expect(a.id).toMatch(/^[\w-]{43}$/);
    expect(a.session.csrf).not.toBe(a.id);
    t = 900;
    expect(s.get(a.id)?.user).toBe('alice');
    t = 1800; // 900 ms since last use
    expect(s.get(a.id)?.user).toBe('alice');
    t = 2900; // 1100 ms idle
    expect(s.get(a.id)).toBeNull();
    const b = s.create('bob');
    for (t = 3000; t <= 8000; t += 500) s.get(b.id);
    expect(s.get(b.id)).toBeNull(); // past max age although active
    expect(s.get('forged')).toBeNull();
  });

  it('drops the least recently used beyond the cap', () => {
    const s = new SessionStore({ maxSessions: 2 });
    const a = s.create('a');
    const b = s.create('b');
    s.get(a.id);
    s.create('c');
    expect(s.get(b.id)).toBeNull();
    expect(s.get(a.id)?.user).toBe('a');
  });
});
