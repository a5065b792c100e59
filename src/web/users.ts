/**
 * Console users: the `users:` section of the config file, with scrypt password hashes.
 *
 *   users:
 *     - name: alice
 *       password: scrypt$16384$8$1$<salt base64>$<hash base64>
 *
 * The hash format is `scrypt$N$r$p$salt$hash` (salt and 64-byte hash in base64, no padding needed);
 * `vigil hash-password` prints one. Plain-text passwords are refused.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { ConfigPosition } from '../config/config.js';
import { VigilError } from '../errors.js';

export interface UserConfig {
  name: string;
  /** `scrypt$N$r$p$salt$hash` */
  passwordHash: string;
}

export const HASH_PREFIX = 'scrypt';
const KEY_LENGTH = 64;
/** Interactive-login cost (~50 ms, 16 MiB) as OWASP suggests for scrypt: N=2^14, r=8, p=1 is the floor. */
export const DEFAULT_SCRYPT = { N: 16384, r: 8, p: 1 } as const;

interface ParsedHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, { ...options, maxmem: 256 * (options.N ?? 16384) * (options.r ?? 8) + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password in vigil's `scrypt$N$r$p$salt$hash` format. */
export async function hashPassword(password: string, cost: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  if (password.length === 0) throw new VigilError('USAGE', 'the password must not be empty');
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH, cost);
  return [HASH_PREFIX, cost.N, cost.r, cost.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export function parseHash(encoded: string): ParsedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== HASH_PREFIX) return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  const pow2 = N > 1 && (N & (N - 1)) === 0;
  if (!pow2 || N > 1 << 20 || !Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return null;
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

/**
 * Password checks run one at a time. Each holds one of libuv's four threads ~50-130 ms, which the HEC's gzip
 * decoding (zlib) and file reads share: 450 logins from 50 addresses (each under its throttle) filled all four
 * for a minute, and a gzip HEC post waited over 30 s. One at a time, logins queue behind each other instead.
 */
let checks: Promise<unknown> = Promise.resolve();

/** Whether `password` matches `encoded` (constant time in the hash comparison). */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const h = parseHash(encoded);
  if (!h) return false;
  const derive = (): Promise<Buffer> => scryptAsync(password, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p });
  const run = checks.then(derive, derive);
  checks = run.catch(() => undefined);
  const key = await run;
  return key.length === h.hash.length && timingSafeEqual(key, h.hash);
}

/** A hash that matches nothing, verified for unknown user names so they take as long as known ones. */
let decoy: Promise<string> | null = null;

/** Looks a user up and checks the password; unknown users cost the same time as a wrong password. */
export async function authenticate(users: readonly UserConfig[], name: string, password: string): Promise<UserConfig | null> {
  const user = users.find((u) => u.name === name);
  if (!user) {
    decoy ??= hashPassword(randomBytes(12).toString('hex'));
    await verifyPassword(password, await decoy);
    return null;
  }
  return (await verifyPassword(password, user.passwordHash)) ? user : null;
}

/**
 * Validates the raw `users:` section (a list of `{name, password}` with hashed passwords); `position` gives
 * errors the `file:line: ` of the value (VigilConfig.at).
 */
export function parseUsers(raw: unknown, where = 'users', position: ConfigPosition = () => ''): UserConfig[] {
  const fail = (path: (string | number)[], message: string): never => {
    throw new VigilError('CONFIG', `${position([where, ...path])}${message}`);
  };
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail([], `"${where}" must be a list of {name, password}`);
  const out: UserConfig[] = [];
  (raw as unknown[]).forEach((entry: unknown, i) => {
    const at = `"${where}.${i}"`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail([i], `${at} must be a mapping with name and password`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (k !== 'name' && k !== 'password') fail([i, k], `${at}: unknown setting "${k}" (known: name, password)`);
    const name = e['name'];
    const password = e['password'];
    if (typeof name !== 'string' || !/^[\w.@-]{1,64}$/.test(name)) fail([i, 'name'], `${at}.name must be a user name (letters, digits, . _ @ -)`);
    if (typeof password !== 'string' || !parseHash(password)) {
      fail([i, 'password'], `${at}.password must be a scrypt hash (scrypt$N$r$p$salt$hash); make one with: vigil hash-password`);
    }
    if (out.some((u) => u.name === name)) fail([i, 'name'], `${at}: two users are named "${name}"`);
    out.push({ name: name as string, passwordHash: password as string });
  });
  return out;
}
