/** Counters for the console: totals, per token, per HEC code, and a recent events/s rate. */

export interface TokenStats {
  requests: number;
  rejected: number;
  events: number;
  bytes: number;
}

export interface HecStats {
  /** Epoch milliseconds when the server was created. */
  startedAt: number;
  requests: number;
  rejectedRequests: number;
  /** Events and request-body bytes durably committed. */
  acceptedEvents: number;
  acceptedBytes: number;
  /** Events committed per second, averaged over the last RATE_WINDOW_SECONDS (the current second included). */
  eventsPerSecond: number;
  inflightBytes: number;
  inflightRequests: number;
  pendingAcks: number;
  tokens: Record<string, TokenStats>;
  /** Responses by HEC code (HTTP-only replies by HTTP status, e.g. "404"). */
  codes: Record<string, number>;
}

export const RATE_WINDOW_SECONDS = 10;

export class StatsCollector {
  readonly startedAt: number;
  requests = 0;
  rejectedRequests = 0;
  acceptedEvents = 0;
  acceptedBytes = 0;
  private readonly tokens = new Map<string, TokenStats>();
  private readonly codes = new Map<string, number>();
  /** Events per whole second, a ring indexed by second % size. */
  private readonly buckets = new Float64Array(RATE_WINDOW_SECONDS + 1);
  private readonly bucketSecond = new Float64Array(RATE_WINDOW_SECONDS + 1).fill(-1);

  constructor(private readonly clock: () => number) {
    this.startedAt = clock();
  }

  private token(name: string): TokenStats {
    let t = this.tokens.get(name);
    if (!t) {
      t = { requests: 0, rejected: 0, events: 0, bytes: 0 };
      this.tokens.set(name, t);
    }
    return t;
  }

  request(tokenName: string | null): void {
    this.requests++;
    if (tokenName !== null) this.token(tokenName).requests++;
  }

  reply(code: number, tokenName: string | null, rejected: boolean): void {
    this.codes.set(String(code), (this.codes.get(String(code)) ?? 0) + 1);
    if (rejected) {
      this.rejectedRequests++;
      if (tokenName !== null) this.token(tokenName).rejected++;
    }
  }

  accepted(tokenName: string, events: number, bytes: number): void {
    this.acceptedEvents += events;
    this.acceptedBytes += bytes;
    const t = this.token(tokenName);
    t.events += events;
    t.bytes += bytes;
    const sec = Math.floor(this.clock() / 1000);
    const slot = sec % this.buckets.length;
    if (this.bucketSecond[slot] !== sec) {
      this.bucketSecond[slot] = sec;
      this.buckets[slot] = 0;
    }
    this.buckets[slot] = (this.buckets[slot] ?? 0) + events;
  }

  /** Events/s over the last RATE_WINDOW_SECONDS seconds, the current one included. */
  rate(): number {
    const now = Math.floor(this.clock() / 1000);
    let sum = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      const s = this.bucketSecond[i] as number;
      if (s <= now && s > now - RATE_WINDOW_SECONDS) sum += this.buckets[i] as number;
    }
    return sum / RATE_WINDOW_SECONDS;
  }

  snapshot(extra: { inflightBytes: number; inflightRequests: number; pendingAcks: number }): HecStats {
    return {
      startedAt: this.startedAt,
      requests: this.requests,
      rejectedRequests: this.rejectedRequests,
      acceptedEvents: this.acceptedEvents,
      acceptedBytes: this.acceptedBytes,
      eventsPerSecond: this.rate(),
      ...extra,
      tokens: Object.fromEntries([...this.tokens].map(([k, v]) => [k, { ...v }])),
      codes: Object.fromEntries(this.codes),
    };
  }
}
