/**
 * Throttling of failed authentication (console logins, API tokens, HEC tokens) per client and per account,
 * and who "the client" is behind trusted reverse proxies. Shared by the API and the HEC, like TokenSet.
 */
import { isIP } from 'node:net';
import { cidrMatcher, ipToBigInt } from '../spl/search/cidr.js';

export interface AuthThrottleConfig {
  /** Failed attempts of one client within `windowMs`; then the client is refused until the window ends. */
  maxFailures: number;
  /** Failed password logins of one user name within `windowMs`, all clients together (console logins only). */
  maxAccountFailures?: number;
  windowMs: number;
  /** Clients (and, separately, user names) remembered at once; the oldest are forgotten beyond. */
  maxTracked: number;
}

/** Who the client is: the socket peer, or, when the peer is a trusted proxy, the address its header names. */
export interface ClientIdentityConfig {
  /** Addresses or CIDR blocks of the reverse proxies in front of the server. */
  trustedProxies: string[];
  /** The header those proxies set, a comma-separated list of addresses (`X-Forwarded-For`, `X-Real-IP`). */
  clientIpHeader: string;
}

export const DEFAULT_AUTH_THROTTLE = { maxFailures: 10, maxAccountFailures: 10, windowMs: 5 * 60_000, maxTracked: 100_000 } as const;
export const DEFAULT_CLIENT_IP_HEADER = 'x-forwarded-for';

/** An attempt the throttle let through: it counts as a failure unless `succeeded()` is called. */
export interface Attempt {
  succeeded(): void;
}

/**
 * `firstRefusal`: the first refusal of this key in its window. Callers log only that one: a line per refused
 * attempt would let a guesser fill the disk.
 */
export type ThrottleDecision = { ok: true; attempt: Attempt } | { ok: false; retryAfterSeconds: number; firstRefusal: boolean };

interface Window {
  count: number;
  since: number;
  refused: boolean;
}

/**
 * Failed authentications per key (a client, or a user name) in fixed windows that start at a failure: after
 * `limit` failures within `windowMs` the key is refused until the window ends. `attempt` checks and counts in
 * one synchronous step, before any (asynchronous) credential check, so a burst of parallel guesses cannot all
 * pass the check before the first of them failed. A success takes back only its own attempt: it never resets
 * the failures counted before it. At most `maxTracked` keys are remembered (the oldest window is forgotten
 * first), so a client spraying addresses or user names cannot grow memory.
 */
export class AuthThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxTracked: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Lets an attempt of `key` through (counted as a failure unless it succeeds), or says how long to wait. */
  attempt(key: string): ThrottleDecision {
    const t = this.now();
    let w = this.windows.get(key);
    if (w !== undefined && t - w.since >= this.windowMs) {
      this.windows.delete(key);
      w = undefined;
    }
    if (w !== undefined && w.count >= this.limit) {
      const firstRefusal = !w.refused;
      w.refused = true;
      return { ok: false, retryAfterSeconds: Math.ceil((w.since + this.windowMs - t) / 1000), firstRefusal };
    }
    if (w === undefined) {
      w = { count: 0, since: t, refused: false };
      this.windows.set(key, w);
      if (this.windows.size > this.maxTracked) this.windows.delete(this.windows.keys().next().value as string);
    }
    w.count++;
    const counted = w;
    let open = true;
    return {
      ok: true,
      attempt: {
        succeeded: () => {
          if (!open) return;
          open = false;
          // A window left without failures is dropped, so windows start at a failure. One that expired
          // meanwhile was replaced: decrementing it is harmless.
          if (--counted.count <= 0 && this.windows.get(key) === counted) this.windows.delete(key);
        },
      },
    };
  }

  /** Keys currently remembered (for tests of the memory bound). */
  get tracked(): number {
    return this.windows.size;
  }
}

/** Whether a text is an IP address or a CIDR block (a `trustedProxies` entry). */
export function isAddressOrBlock(text: string): boolean {
  return isIP(text) !== 0 || cidrMatcher(text) !== null;
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) is `1.2.3.4`. */
function unmapped(ip: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

/** One entry of a forwarding header: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`; null when not an address. */
function entryAddress(entry: string): string | null {
  let e = entry.trim();
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(e);
  if (bracket) e = bracket[1]!;
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(e)) e = e.slice(0, e.lastIndexOf(':'));
  return isIP(e) !== 0 ? unmapped(e) : null;
}

/** `2001:db8:1:2::/64` for any address of that network. */
function network64(ip: string): string {
  const v = ipToBigInt(ip, 6) ?? 0n;
  const groups = [3n, 2n, 1n, 0n].map((i) => ((v >> (64n + 16n * i)) & 0xffffn).toString(16));
  return `${groups.join(':')}::/64`;
}

/**
 * Resolves the client of a request. The socket peer is the client unless it is a trusted proxy; then the
 * forwarding header is read right to left, skipping trusted proxies: the first other address is the client
 * (entries further left were written by the client itself and can be forged). IPv6 clients are keyed by
 * their /64 network: one host usually holds a whole /64, so single addresses would not limit it.
 */
export class ClientIdentity {
  private readonly trusted: ((ip: string) => boolean)[];
  /** Lowercase header name. */
  readonly header: string;

  constructor(config: ClientIdentityConfig) {
    this.trusted = config.trustedProxies.map((p) => cidrMatcher(p) ?? cidrMatcher(`${p}/${isIP(p) === 6 ? 128 : 32}`)!);
    this.header = config.clientIpHeader.toLowerCase();
  }

  /** The throttle key of a request from `peer` (socket address) carrying `forwarded` (the header's value). */
  keyOf(peer: string | undefined, forwarded: string | undefined): string {
    if (peer === undefined) return 'unknown';
    let client = unmapped(peer);
    if (forwarded !== undefined && this.isTrusted(client)) {
      const entries = forwarded.split(',');
      for (let i = entries.length - 1; i >= 0; i--) {
        const ip = entryAddress(entries[i]!);
        if (ip === null) break; // garbage: keep the last address a trusted hop vouched for
        client = ip;
        if (!this.isTrusted(ip)) break;
      }
    }
    return isIP(client) === 6 ? network64(client) : client;
  }

  private isTrusted(ip: string): boolean {
    return this.trusted.some((m) => m(ip));
  }
}
