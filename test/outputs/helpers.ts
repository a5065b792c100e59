import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Row } from '../../src/events/result.js';
import { DEAD_LETTER_AT, type OutboxItem, type RunCommit, type StateStore } from '../../src/store/types.js';
import type { AlertRoute } from '../../src/outputs/actions.js';
import { planAlerts, type AlertCandidate } from '../../src/outputs/suppression.js';
import type { DispatcherLogLevel } from '../../src/outputs/dispatcher.js';

type OutboxState = Pick<StateStore, 'dueOutbox' | 'outboxDelivered' | 'outboxFailed' | 'pruneDeadLetters' | 'suppressed'>;

/**
 * The outbox and suppression part of a StateStore, in memory, with the semantics the SQLite store is
 * expected to have: ids unique (a second insert of an id is ignored), `outboxFailed` counts an attempt,
 * due items oldest-due first.
 */
export class MemoryOutbox implements OutboxState {
  readonly items = new Map<string, OutboxItem>();
  readonly delivered: string[] = [];
  readonly suppressions = new Map<string, number>();
  /** Makes the next outboxDelivered calls throw (a crash between send and mark). */
  failDelivered = false;

  /** What commitRun does with the alert part of a RunCommit. */
  commit(part: Pick<RunCommit, 'outbox' | 'suppressions'>): void {
    for (const o of part.outbox) if (!this.items.has(o.id)) this.items.set(o.id, { ...o, attempts: 0, lastError: null });
    for (const s of part.suppressions) this.suppressions.set(s.key, Math.max(this.suppressions.get(s.key) ?? 0, s.until));
  }

  async suppressed(keys: readonly string[], now: number): Promise<Set<string>> {
    return new Set(keys.filter((k) => (this.suppressions.get(k) ?? -Infinity) > now));
  }

  async dueOutbox(now: number, limit: number, excludeActions: readonly string[] = []): Promise<OutboxItem[]> {
    return [...this.items.values()]
      .filter((i) => i.nextAttemptAt <= now && !excludeActions.includes(i.action))
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.createdAt - b.createdAt)
      .slice(0, limit)
      .map((i) => ({ ...i }));
  }

  async outboxDelivered(id: string): Promise<void> {
    if (this.failDelivered) throw new Error('simulated crash before the outbox was updated');
    if (this.items.delete(id)) this.delivered.push(id);
  }

  async outboxFailed(id: string, error: string, nextAttemptAt: number): Promise<void> {
    const it = this.items.get(id);
    if (!it) return;
    it.attempts++;
    it.lastError = error;
    it.nextAttemptAt = nextAttemptAt;
  }

  async pruneDeadLetters(createdBefore: number, limit: number): Promise<number> {
    const dead = [...this.items.values()].filter((i) => i.nextAttemptAt >= DEAD_LETTER_AT && i.createdAt < createdBefore).slice(0, limit);
    for (const i of dead) this.items.delete(i.id);
    return dead.length;
  }

  get(id: string): OutboxItem {
    const it = this.items.get(id);
    if (!it) throw new Error(`no outbox item ${id}`);
    return it;
  }
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; body?: string; headers?: Record<string, string> } | 'hang' | 'destroy';

export interface ScriptedServer {
  url: string;
  requests: SeenRequest[];
  /** Resolves when the server has received `n` requests. */
  received(n: number): Promise<void>;
  /** Answers every request held by a 'hang' reply. */
  release(reply: { status: number; body?: string }): void;
  close(): Promise<void>;
}

/**
 * A local HTTP server that fails on purpose: the i-th request gets `replies[i]` (the last one repeats,
 * or a function decides). 'hang' holds the request open; 'destroy' drops the connection.
 */
export async function scriptedServer(replies: Reply[] | ((req: SeenRequest, index: number) => Reply)): Promise<ScriptedServer> {
  const requests: SeenRequest[] = [];
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const index = requests.length;
      requests.push(seen);
      for (const w of waiters.splice(0)) if (requests.length >= w.n) w.resolve();
      else waiters.push(w);
      const reply = typeof replies === 'function' ? replies(seen, index) : (replies[Math.min(index, replies.length - 1)] ?? { status: 200 });
      if (reply === 'hang') return void held.push(res);
      if (reply === 'destroy') return void req.socket.destroy();
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    received: (n) => (requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    release(reply) {
      for (const res of held.splice(0)) {
        res.writeHead(reply.status, { 'Content-Type': 'application/json' });
        res.end(reply.body ?? '');
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (listened on, then closed). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const addr = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

export const DETECTION = { id: '8a5c1a02-1c2e-4b8b-9f7a-3f1b2c3d4e5f', name: 'Cisco Isovalent - Shell Execution' };

/** A risk event row like risk/risk-events.ts makes. */
export function riskRow(pod: string, extra: Record<string, string | number> = {}): Row {
  return new Row({
    _time: 1_718_000_000,
    risk_object: pod,
    risk_object_type: 'other',
    risk_score: 45,
    risk_message: `Shell execution in pod ${pod}`,
    search_name: DETECTION.name,
    detection_id: DETECTION.id,
    pod_name: pod,
    ...extra,
  });
}

export function riskCandidate(pod: string, scheduledTime = 1_718_000_400, extra: Record<string, string | number> = {}): AlertCandidate {
  return { kind: 'risk_event', detection: DETECTION, scheduledTime, data: riskRow(pod, extra) };
}

/** Outbox items for `pods`, each routed to `action`, created at `now`. */
export function enqueue(outbox: MemoryOutbox, action: string, pods: string[], now = 1000): OutboxItem[] {
  const routes: AlertRoute[] = [{ detection: '*', actions: [action], on: ['risk_event', 'finding'] }];
  const plan = planAlerts({ routes, candidates: pods.map((p) => riskCandidate(p)), now, active: new Set() });
  outbox.commit(plan);
  return plan.outbox.map((o) => outbox.get(o.id));
}

export interface LogLine {
  level: DispatcherLogLevel;
  message: string;
}

export function logCollector(): { lines: LogLine[]; log: (level: DispatcherLogLevel, message: string) => void } {
  const lines: LogLine[] = [];
  return { lines, log: (level, message) => void lines.push({ level, message }) };
}
