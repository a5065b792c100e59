import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { connect, type Socket } from 'node:net';
import { request as httpsRequest } from 'node:https';
import type { Event } from '../../src/events/event.js';
import type { ScanRequest } from '../../src/events/scan.js';
import { metadataPredicate } from '../../src/events/scan.js';
import type { AppendReceipt, EventStore, IndexInfo, RetentionReport } from '../../src/store/types.js';
import { StoreError } from '../../src/store/types.js';
import { DEFAULTS, type HecConfig, type HecTokenConfig } from '../../src/config/config.js';
import { createHecServer, type HecServer, type HecServerOptions } from '../../src/hec/index.js';
import { DEFAULT_AUTH_THROTTLE, DEFAULT_CLIENT_IP_HEADER } from '../../src/config/auth-throttle.js';

interface Held {
  events: Event[];
  resolve: (r: AppendReceipt) => void;
  reject: (e: unknown) => void;
}

/** An in-memory EventStore whose appends can be held (to observe acks before commit) or made to fail. */
export class FakeStore implements EventStore {
  readonly newestFirst = true as const;
  readonly batches: Event[][] = [];
  readonly held: Held[] = [];
  hold = false;
  failWith: StoreError | Error | null = null;
  appendCalls = 0;
  /** Events are numbered like the real store's seq: from 1, in commit order. */
  private seq = 0;

  get events(): Event[] {
    return this.batches.flat();
  }

  append(events: readonly Event[]): Promise<AppendReceipt> {
    this.appendCalls++;
    if (this.failWith) return Promise.reject(this.failWith);
    const copy = events.map((e) => ({ ...e }));
    if (this.hold) return new Promise((resolve, reject) => this.held.push({ events: copy, resolve, reject }));
    this.batches.push(copy);
    return Promise.resolve(this.numbered(copy.length));
  }

  /** The seq of the last committed event, as `SqliteStore.lastSeq`. */
  lastSeq(): number {
    return this.seq;
  }

  private numbered(count: number): AppendReceipt {
    const firstSeq = this.seq + 1;
    this.seq += count;
    return { count, firstSeq };
  }

  /** Commits every held batch. */
  release(): void {
    for (const h of this.held.splice(0)) {
      this.batches.push(h.events);
      h.resolve(this.numbered(h.events.length));
    }
  }

  /** Fails every held batch. */
  failHeld(err: unknown): void {
    for (const h of this.held.splice(0)) h.reject(err);
  }

  async *scan(req: ScanRequest): AsyncIterable<Event[]> {
    const meta = metadataPredicate(req);
    yield this.events.filter((e) => meta(e)).sort((a, b) => b._time - a._time);
  }

  /** The indexes that exist: the reserved ones and those of `hecConfig()`'s tokens. */
  readonly indexNames = new Set(['main', 'risk', 'notable', 'tetragon', 'other']);

  async indexes(): Promise<IndexInfo[]> {
    return [];
  }

  indexExists(name: string): boolean {
    return this.indexNames.has(name);
  }

  async createIndex(name: string): Promise<boolean> {
    const created = !this.indexNames.has(name);
    this.indexNames.add(name);
    return created;
  }

  async deleteIndex(index: string): Promise<number> {
    const before = this.events.length;
    for (const b of this.batches) b.splice(0, b.length, ...b.filter((e) => e.index !== index));
    this.indexNames.delete(index);
    return before - this.events.length;
  }

  async applyRetention(): Promise<RetentionReport> {
    return { deleted: [] };
  }

  async close(): Promise<void> {}
}

export function busy(): StoreError {
  return new StoreError('STORE_BUSY', 'writer queue full');
}

export const TOKEN = '11111111-2222-3333-4444-555555555555';
export const ACK_TOKEN = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
export const CHANNEL = '0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba';

export function token(overrides: Partial<HecTokenConfig> = {}): HecTokenConfig {
  return { name: 'test', token: TOKEN, defaultIndex: 'main', indexes: [], disabled: false, useAck: false, ...overrides };
}

export function hecConfig(overrides: Partial<HecConfig> = {}): HecConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    maxBodyBytes: 1024 * 1024,
    maxInflightBytes: 8 * 1024 * 1024,
    // The whole budget unless a test asks: these tests' clients are all 127.0.0.1.
    maxInflightBytesPerClient: overrides.maxInflightBytes ?? 8 * 1024 * 1024,
    autoCreateIndexes: false,
    maxJsonDepth: DEFAULTS.hecMaxJsonDepth,
    maxPipelinedRequests: DEFAULTS.hecMaxPipelinedRequests,
    maxHeaderBytes: DEFAULTS.maxHeaderBytes,
    trustedProxies: [],
    clientIpHeader: DEFAULT_CLIENT_IP_HEADER,
    authThrottle: { maxFailures: DEFAULT_AUTH_THROTTLE.maxFailures, windowMs: DEFAULT_AUTH_THROTTLE.windowMs, maxTracked: DEFAULT_AUTH_THROTTLE.maxTracked },
    timeouts: { ...DEFAULTS.hecTimeouts },
    tokens: [
      token(),
      token({ name: 'acked', token: ACK_TOKEN, useAck: true }),
      token({ name: 'off', token: 'disabled-token', disabled: true }),
      token({ name: 'limited', token: 'limited-token', indexes: ['tetragon', 'other'], defaultIndex: 'tetragon', defaultSourcetype: 'cisco:isovalent' }),
    ],
    ...overrides,
  };
}

export interface Running {
  server: HecServer;
  store: FakeStore;
  url: string;
  close(): Promise<void>;
}

/** Starts a HEC server on an ephemeral port with a fake store (fixed clock: 1_700_000_000 s). */
export async function start(options: Partial<HecServerOptions> & { config?: HecConfig; store?: FakeStore } = {}): Promise<Running> {
  const store = options.store ?? new FakeStore();
  const server = createHecServer({ now: () => 1_700_000_000_000, defaultHost: 'vigil-test', ...options, config: options.config ?? hecConfig(), store });
  const { url } = await server.listen();
  return { server, store, url, close: () => server.close() };
}

/** A collector for the tests of a file or describe block: started before them, closed after, its store's batches emptied before each. */
export function collectorForTests(options: Parameters<typeof start>[0] = {}): Running {
  const running = {} as Running;
  beforeAll(async () => void Object.assign(running, await start(options)));
  afterAll(() => running.close());
  beforeEach(() => {
    running.store.batches.length = 0;
  });
  return running;
}

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Skip certificate checks (TLS tests). */
  insecure?: boolean;
}

/** One HTTP request on a fresh connection; resolves with the reply whatever its status. */
export function send(url: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const target = new URL(path, url);
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
  const headers: Record<string, string | number> = { ...options.headers };
  if (body !== undefined && headers['Content-Length'] === undefined && headers['Transfer-Encoding'] === undefined) headers['Content-Length'] = body.length;
  const make = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(target, { method: options.method ?? 'POST', headers, agent: false, rejectUnauthorized: !options.insecure }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function auth(t: string = TOKEN): Record<string, string> {
  return { Authorization: `Splunk ${t}` };
}

/** A Tetragon process_exec line like upstream's samples. */
export function execLine(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    process_exec: { process: { exec_id: `id-${i}`, pid: 1000 + i, binary: '/usr/bin/curl', arguments: `-k https://x/${i}` }, parent: { binary: '/bin/sh' } },
    node_name: 'kind-worker',
    time: `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}.123456789Z`,
    ...extra,
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A connection written by hand (headers or body sent slowly), and what the server sent on it. */
export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /**
   * Waits until the server closes the connection, at most `withinMs`. `status` and `body` are those of the
   * first reply (null when none came).
   */
  closed(withinMs: number): Promise<{ closed: boolean; status: number | null; body: string }>;
}

/**
 * Slowloris: writes `head` (a request line and headers, no blank line) then one more header every 200 ms
 * until the server closes the connection (at most 10 s); what the server answered.
 */
export async function slowHeaders(url: string, head: string): Promise<Awaited<ReturnType<RawConnection['closed']>>> {
  const c = await rawConnection(url, head);
  let n = 0;
  const drip = setInterval(() => c.socket.writable && c.socket.write(`X-Slow-${n++}: a\r\n`), 200);
  try {
    return await c.closed(10_000);
  } finally {
    clearInterval(drip);
  }
}

/** Opens a plain TCP connection to a server and writes `head` (request line and headers, as typed). */
export function rawConnection(url: string, head: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(head);
      resolve(conn);
    });
    let text = '';
    let isClosed = false;
    const waiters: (() => void)[] = [];
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      isClosed = true;
      for (const w of waiters.splice(0)) w();
    });
    socket.once('error', reject);
    const conn: RawConnection = {
      socket,
      received: () => text,
      async closed(withinMs) {
        if (!isClosed) {
          await new Promise<void>((r) => {
            const timer = setTimeout(r, withinMs);
            waiters.push(() => {
              clearTimeout(timer);
              r();
            });
          });
        }
        const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
        const bodyAt = text.indexOf('\r\n\r\n');
        return { closed: isClosed, status: m ? Number(m[1]) : null, body: bodyAt < 0 ? '' : text.slice(bodyAt + 4) };
      },
    };
  });
}

/** How long the server keeps a TCP connection that sends nothing (a TLS handshake never begun), at most `withinMs`. */
export function heldFor(url: string, withinMs: number): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = connect({ host: hostname, port: Number(port) });
    const timer = setTimeout(() => socket.destroy(), withinMs);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

/** A TCP connection that sends nothing; `closed` resolves with what the server sent before closing it. */
export function silentConnection(url: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('utf8')));
    const closed = new Promise<string>((r) => socket.once('close', () => r(got)));
    socket.once('error', () => {});
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}
