import { createHash, randomBytes } from 'node:crypto';

/** Who is making a request: a console user (cookie session) or an API client (token). */
export interface Principal {
  /** User name, or `token:<name>` for an API token. */
  user: string;
  kind: 'session' | 'token';
  /** The session's CSRF token (sessions only). */
  csrf?: string;
  sessionId?: string;
}

export interface Session {
  user: string;
  csrf: string;
  createdAt: number;
  lastSeen: number;
}

export const SESSION_COOKIE = 'vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionOptions {
  /** A session unused this long ends (ms). Default 8 h. */
  idleMs?: number;
  /** A session ends this long after login whatever its use (ms). Default 24 h. */
  maxAgeMs?: number;
  /** Most live sessions; the least recently used are dropped beyond. Default 10 000. */
  maxSessions?: number;
  now?: () => number;
}

/**
 * Server-side sessions, in memory (a restart logs everyone out). The cookie carries a random 256-bit id;
 * the map is keyed by its SHA-256, so a lookup's timing says nothing about valid ids.
 */
export class SessionStore {
  private readonly byHash = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? 8 * 3600_000;
    this.maxAgeMs = opts.maxAgeMs ?? 24 * 3600_000;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  get maxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  create(user: string): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const t = this.now();
    const session: Session = { user, csrf: randomBytes(32).toString('base64url'), createdAt: t, lastSeen: t };
    this.byHash.set(hashId(id), session);
    while (this.byHash.size > this.maxSessions) {
      const oldest = this.byHash.keys().next().value;
      if (oldest === undefined) break;
      this.byHash.delete(oldest);
    }
    return { id, session };
  }

  /** The live session for a cookie value (refreshing its idle timer), or null. */
  get(id: string | undefined): Session | null {
    if (!id) return null;
    const k = hashId(id);
    const s = this.byHash.get(k);
    if (!s) return null;
    const t = this.now();
    if (t - s.lastSeen > this.idleMs || t - s.createdAt > this.maxAgeMs) {
      this.byHash.delete(k);
      return null;
    }
    s.lastSeen = t;
    // Re-insert: Map order is least recently used first, for eviction.
    this.byHash.delete(k);
    this.byHash.set(k, s);
    return s;
  }

  delete(id: string | undefined): void {
    if (id) this.byHash.delete(hashId(id));
  }

  get size(): number {
    return this.byHash.size;
  }
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
