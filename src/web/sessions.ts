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

/** Where a server's sessions live: its own memory (SessionStore) or storage every node shares (SharedSessions). */
export interface Sessions {
  readonly maxAgeSeconds: number;
  create(user: string): { id: string; session: Session } | Promise<{ id: string; session: Session }>;
  /** The live session for a cookie value (refreshing its idle timer), or null. */
  get(id: string | undefined): Session | null | Promise<Session | null>;
  delete(id: string | undefined): void | Promise<void>;
}

interface SessionLimits {
  idleMs: number;
  maxAgeMs: number;
  maxSessions: number;
}

function limitsOf(opts: SessionOptions): SessionLimits {
  return { idleMs: opts.idleMs ?? 8 * 3600_000, maxAgeMs: opts.maxAgeMs ?? 24 * 3600_000, maxSessions: opts.maxSessions ?? 10_000 };
}

function newSession(user: string, t: number): { id: string; session: Session } {
  return { id: randomBytes(32).toString('base64url'), session: { user, csrf: randomBytes(32).toString('base64url'), createdAt: t, lastSeen: t } };
}

/**
 * Server-side sessions, in memory (a restart logs everyone out). The cookie carries a random 256-bit id;
 * the map is keyed by its SHA-256, so a lookup's timing says nothing about valid ids.
 */
export class SessionStore implements Sessions {
  private readonly byHash = new Map<string, Session>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    ({ idleMs: this.idleMs, maxAgeMs: this.maxAgeMs, maxSessions: this.maxSessions } = limitsOf(opts));
    this.now = opts.now ?? Date.now;
  }

  get maxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  create(user: string): { id: string; session: Session } {
    const { id, session } = newSession(user, this.now());
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

/** What SharedSessions keeps sessions in (the control plane's PostgresConsoleState), keyed by the ids' hashes. */
export interface SessionBackend {
  createSession(idHash: string, session: Session, limits: SessionLimits): Promise<void>;
  session(idHash: string, now: number, limits: SessionLimits): Promise<Session | null>;
  deleteSession(idHash: string): Promise<void>;
}

/**
 * Sessions every node of a cluster sees (a login on one node is valid on the others behind a load balancer),
 * with SessionStore's rules: random 256-bit ids stored only as their SHA-256, idle and maximum age, the least
 * recently used dropped beyond the cap. Each lookup is one round trip to the backend.
 */
export class SharedSessions implements Sessions {
  private readonly limits: SessionLimits;
  private readonly now: () => number;

  constructor(
    private readonly backend: SessionBackend,
    opts: SessionOptions = {},
  ) {
    this.limits = limitsOf(opts);
    this.now = opts.now ?? Date.now;
  }

  get maxAgeSeconds(): number {
    return Math.floor(this.limits.maxAgeMs / 1000);
  }

  async create(user: string): Promise<{ id: string; session: Session }> {
    const created = newSession(user, this.now());
    await this.backend.createSession(hashId(created.id), created.session, this.limits);
    return created;
  }

  async get(id: string | undefined): Promise<Session | null> {
    return id ? this.backend.session(hashId(id), this.now(), this.limits) : null;
  }

  async delete(id: string | undefined): Promise<void> {
    if (id) await this.backend.deleteSession(hashId(id));
  }
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
