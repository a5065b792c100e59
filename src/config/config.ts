/**
 * `vigil serve` configuration: one YAML file (optional), environment overrides, then command-line flags.
 * Everything is validated here, once, with `file:line:` positions, so the server never meets a bad value.
 * See CONTEXT.md for the file format and vigil.example.yml for a commented example.
 */
import { constants as bufferConstants } from 'node:buffer';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { getHeapStatistics } from 'node:v8';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { LineCounter, parseDocument, isMap, visit, type Document } from 'yaml';
import { DEFAULT_INDEX } from '../events/event.js';
import { settingHint } from '../edit-distance.js';
import { fileErrorReason, VigilError } from '../errors.js';
import type { RetentionPolicy } from '../store/types.js';
import type { ClickHouseConfig } from '../store/clickhouse/store.js';
import { MAX_MACRO_EXPANDED_CHARS, MAX_MACRO_EXPANSIONS } from '../spl/macros/macros.js';
import { DEFAULT_LOOKUP_LIMITS, MAX_LOOKUP_LOCK_WAIT_S } from '../spl/lookups.js';
import { DEFAULT_AUTH_THROTTLE, DEFAULT_CLIENT_IP_HEADER, isAddressOrBlock, type AuthThrottleConfig, type ClientIdentityConfig } from './auth-throttle.js';
import { loadOrCreateToken, loadToken, MIN_TOKEN_LENGTH } from './secrets.js';
import { MAX_TIMER_MS, MAX_TIMER_TEXT, parseDuration, parseSize } from './units.js';
import { describe, isRecord } from './yaml-values.js';

export interface TlsConfig {
  /** Absolute path of the PEM certificate (chain). */
  cert: string;
  /** Absolute path of the PEM private key. */
  key: string;
}

export interface HecTokenConfig {
  name: string;
  token: string;
  /** Index for events that name none. */
  defaultIndex: string;
  /** Indexes the token may write to; empty = every index. */
  indexes: string[];
  /** Sourcetype for events that name none (else `httpevent`, or the Tetragon assignment on /raw). */
  defaultSourcetype?: string;
  /** Source for events that name none (Splunk's token `source`; else `http:<name>`). */
  defaultSource?: string;
  /** Host for events that name none (Splunk's token `host`; else Tetragon's `node_name`, else this machine). */
  defaultHost?: string;
  disabled: boolean;
  /** Splunk's `useACK`: responses carry an ackId, /ack reports when the batch is durable; channel required. */
  useAck: boolean;
  /**
   * Splunk's `allowQueryStringAuth`: the token is also accepted as `?token=` (off: 400 code 16). A token in a URL
   * ends up in proxy and client logs, so only for clients that cannot set a header.
   */
  allowQueryStringAuth?: boolean;
}

/** `trustedProxies` and `clientIpHeader` (in `hec` and `http`): who the client of a request is. */
export interface HecConfig extends ClientIdentityConfig {
  host: string;
  port: number;
  tls?: TlsConfig;
  /** Largest request body accepted, compressed and decompressed (413 beyond). */
  maxBodyBytes: number;
  /** Request bytes held in memory at once across all requests, until committed (503 code 9 beyond). */
  maxInflightBytes: number;
  /**
   * Of those, what the requests of one client (its address, as `trustedProxies`/`clientIpHeader` tell it) may hold
   * at once (503 code 9 beyond): slow uploads from one client cannot take the whole budget. Default half of it.
   */
  maxInflightBytesPerClient: number;
  /** Timeouts of receiving a request (`hec.headersTimeout`, `hec.bodyIdleTimeout`, `hec.bodyTimeout`). */
  timeouts: RequestTimeouts;
  tokens: HecTokenConfig[];
  /**
   * Events for an index that does not exist: refused with code 7 "Incorrect index", as Splunk does (false, the
   * default), or the index is created by the first batch written to it (true).
   */
  autoCreateIndexes: boolean;
  /** Failed token attempts per client (`hec.authThrottle`); beyond, 503 code 9 until the window ends. */
  authThrottle: AuthThrottleConfig;
  /**
   * Deepest nesting of arrays and objects in one HEC JSON value (`hec.maxJsonDepth`); deeper, the event is
   * refused with code 6 before it is parsed (JSON.parse of a 1 MB `[[[[…` holds the thread for a second).
   */
  maxJsonDepth: number;
  /** Requests one connection may pipeline ahead of their replies (`hec.maxPipelinedRequests`); one more closes it. */
  maxPipelinedRequests: number;
  /**
   * Connections open at once (`hec.maxConnections`); past it a new one is closed before it is read. Absent: no cap
   * but the process's descriptor limit (idle ones are closed by the timeouts).
   */
  maxConnections?: number;
  /** Request line and headers, bytes (`hec.maxHeaderBytes`, node's `maxHeaderSize`); 431 beyond. */
  maxHeaderBytes: number;
}

/** How long a server waits for a client to send its request; each answered 408, connection closed. */
export interface RequestTimeouts {
  /** From the connection's first byte (or the previous reply) to the end of the headers. */
  headersMs: number;
  /** Longest gap without any body byte. */
  bodyIdleMs: number;
  /** From the start of the body to its end. */
  bodyMs: number;
}

export interface ApiTokenConfig {
  name: string;
  token: string;
}

export interface HttpConfig extends ClientIdentityConfig {
  host: string;
  port: number;
  tls?: TlsConfig;
  apiTokens: ApiTokenConfig[];
  /** Failed logins and API tokens per client, failed passwords per user name (`http.authThrottle`); beyond, 429. */
  authThrottle: AuthThrottleConfig;
  /** Largest request body of an API route, enforced while reading (413 beyond). */
  maxBodyBytes: number;
  /** Largest body of `POST /api/login` (unauthenticated, so much smaller). */
  maxLoginBodyBytes: number;
  /** Request body bytes held in memory at once across all API requests (503 SERVER_BUSY beyond). */
  maxInflightBytes: number;
  /** Requests one connection may have waiting for their replies (pipelined); one more closes the connection. */
  maxPipelinedRequests: number;
  /** Request line and headers, bytes (`http.maxHeaderBytes`, node's `maxHeaderSize`); 431 `HEADERS_TOO_LARGE` beyond. */
  maxHeaderBytes: number;
  /** Connections open at once (`http.maxConnections`), as `hec.maxConnections`. Absent: no cap. */
  maxConnections?: number;
  /** Host names the port answers besides IP addresses and localhost (web/allowed-hosts.ts); unset: see there. */
  allowedHosts?: string[];
  timeouts: RequestTimeouts;
}

export interface IndexConfig {
  retention: RetentionPolicy;
}

/** The `search:` section: limits of every search `vigil serve` runs (API, console, scheduled runs). */
export interface SearchConfig {
  /** Wall-clock limit of an API or console search, seconds (scheduled runs use `schedule.run_timeout`). */
  maxTimeSeconds: number;
  /** Heap of one search's worker thread, bytes; past it only that worker dies. */
  maxMemoryBytes: number;
  /** Rows one search may return. */
  maxResults: number;
  /** Bytes (as JSON) of the rows one search may return. */
  maxResultBytes: number;
  /** API and console searches running at once (each on its own worker thread). */
  maxConcurrent: number;
  /** API and console searches waiting for a worker; beyond, a search is refused. */
  maxQueued: number;
  /** Macro expansions in one search (API, console, scheduled runs); beyond, SPL_MACRO_LIMIT. */
  maxMacroExpansions: number;
  /** Characters of expanded macro bodies in one search; beyond, SPL_MACRO_LIMIT. */
  maxMacroChars: number;
  /**
   * Rows (as JSON) of one streamed search held for a client that has not read them yet; beyond, the search's
   * worker pauses until the client reads (its time limit still runs).
   */
  maxBufferedBytes: number;
  /**
   * API and console searches may write lookups (`outputlookup`, to `<dataDir>/lookups`); off, such a search fails at
   * the command (SPL_LOOKUP_WRITE). Scheduled runs of the content always may.
   */
  outputLookup: boolean;
  /** Rows and bytes of one lookup file a search writes; beyond, SPL_LOOKUP_WRITE and nothing written. */
  maxLookupRows: number;
  maxLookupBytes: number;
  /** Lookup files `<dataDir>/lookups` may hold: a search creating one more fails (SPL_LOOKUP_WRITE, nothing written). */
  maxLookupFiles: number;
  /** How long a search's outputlookup waits while another writes the same file (ms), then SPL_LOOKUP_WRITE. */
  lookupLockWaitMs: number;
}

/** `store.postgres`: the control plane every node of a cluster shares (src/control-plane). */
export interface PostgresConfig {
  /** `postgresql://user[:password]@host[:port]/database`; a password may instead come from `PGPASSWORD`. */
  url: string;
  /** The PostgreSQL schema holding vigil's tables (default `vigil`). */
  schema?: string;
}

/** `store.clickhouse` plus how long one request to ClickHouse may take (`requestTimeout`). */
export interface ClickHouseStoreConfig extends ClickHouseConfig {
  requestTimeoutMs: number;
}

/**
 * `store:` where a node keeps what it stores: the embedded SQLite store in `dataDir` (the default, one
 * machine), or events in ClickHouse and the control plane in PostgreSQL (several nodes, issue #11).
 */
export type StoreConfig =
  /** `indexedFields`: keep each event's process name in an index (store/CONTEXT.md "Indexed fields"; default true). */
  | { type: 'sqlite'; indexedFields: boolean }
  | { type: 'clickhouse'; clickhouse: ClickHouseStoreConfig; postgres: PostgresConfig };

export interface GeneratedToken {
  token: string;
  path: string;
  /** True on the start that generated it. */
  created: boolean;
}

export interface VigilConfig {
  /** Absolute path of the config file, or null when none was used. */
  file: string | null;
  /** Absolute path. */
  dataDir: string;
  hec: HecConfig;
  http: HttpConfig;
  indexes: Record<string, IndexConfig>;
  search: SearchConfig;
  /**
   * `shutdownTimeout`: how long `vigil serve` may take to stop on SIGTERM/SIGINT. In-flight HEC requests and
   * alert deliveries get all of it but 1 s (kept to commit what was accepted and close the store); past it the
   * process exits anyway.
   */
  shutdownTimeoutMs: number;
  /**
   * `node.name`: this vigil node's name among nodes sharing one state store (the scheduler's run leases
   * name it). Absent: `<hostname>:<pid>` (`defaultNodeName` in schedule/scheduler.ts): distinct per process, new at each start.
   */
  node: { name?: string };
  /** `store:`: SQLite in `dataDir` (default) or ClickHouse + PostgreSQL. Passwords in it are never printed. */
  store: StoreConfig;
  /**
   * `geoipDb`: the MaxMind DB file `iplocation` reads (absolute; `VIGIL_GEOIP_DB` overrides it, `--geoip-db` both).
   * Absent: none (iplocation then fails with GEOIP_DB). `startServer` hands it to spl/geoip.ts `useGeoIpDatabase`.
   */
  geoipDb?: string;
  /** Raw `schedule:` section, validated by its own consumer. */
  schedule?: unknown;
  /** Raw `detections:` section, validated by its own consumer. */
  detections?: unknown;
  /** Raw `alert_actions:` section (outputs/actions.ts parses it). */
  alertActions?: unknown;
  /** Raw `users:` section (web/users.ts parses it). */
  users?: unknown;
  /** Raw `datamodels:` and `acceleration:` sections (acceleration/settings.ts parses them). */
  datamodels?: unknown;
  acceleration?: unknown;
  /** `file:line: ` of a value in the config file, for the sections other modules validate (`''` without a file). */
  at: ConfigPosition;
  /** Tokens read from or written to the data dir because none was configured. */
  generated: { hecToken?: GeneratedToken; apiToken?: GeneratedToken };
  /** Non-fatal findings (unknown top-level sections), `file:line: message`. */
  warnings: string[];
}

/** The `file:line: ` prefix of the value at `path` (the nearest existing ancestor when it is absent). */
export type ConfigPosition = (path: (string | number)[]) => string;

export interface ConfigFlags {
  /** `--config FILE` */
  config?: string;
  /** `--data-dir DIR` */
  dataDir?: string;
  /** `--hec-port N` */
  hecPort?: number | string;
  /** `--hec-token T`: may write to every index, default index `main`. */
  hecToken?: string;
  /** `--port N`: the search/API port. */
  port?: number | string;
  /** `--geoip-db FILE`: iplocation's MaxMind DB. */
  geoipDb?: string;
}

export interface LoadConfigOptions {
  /** Config file; else `flags.config`, else `$VIGIL_CONFIG`, else none (defaults only). */
  file?: string;
  env?: Record<string, string | undefined>;
  flags?: ConfigFlags;
  /** Base for relative paths given by flags and env (default process.cwd()). */
  cwd?: string;
  /**
   * False: the data dir's token files are read when they exist, never created (commands other than `vigil serve`:
   * a typo'd --data-dir must not become a data dir with fresh tokens). Default true.
   */
  generateTokens?: boolean;
}

/**
 * The default of an in-flight byte budget (`hec.maxInflightBytes`, `http.maxInflightBytes`): `bytes`, or an eighth of
 * the heap this process may use when that is less. The bytes held become strings and parsed events on this heap (2-4
 * times their size while a batch is parsed), so under `--max-old-space-size=64` (a 112 MiB heap limit) the 64 MiB
 * budget let 64 clients posting 0.9 MB batches abort the server out of memory (14 MiB: 503 code 9 instead).
 */
export function heapBoundedBytes(bytes: number, heapLimit: number = getHeapStatistics().heap_size_limit): number {
  return Math.min(bytes, Math.floor(heapLimit / 8));
}

export const DEFAULTS = {
  dataDir: './data',
  hecHost: '127.0.0.1',
  hecPort: 8088,
  // Splunk's [http_input] max_content_length was 1,000,000 up to 6.4 and is 838,860,800 since 6.5. vigil holds a
  // request in memory until its batch commits, so it takes a middle value that still fits contentctl/replay.py,
  // which POST a whole dataset file to /raw in one request.
  maxBodyBytes: 16 * 1024 * 1024,
  maxInflightBytes: 64 * 1024 * 1024,
  // Tetragon events nest about 6 deep. Up to ~16k levels JSON.parse costs what flat JSON does (~30-70 ms/MB
  // here); deeper it grows steeply (a 1 MB `[[[[…` of 500k levels: ~1 s on the thread answering HEC).
  hecMaxJsonDepth: 16_384,
  httpHost: '127.0.0.1',
  httpPort: 8000,
  // Request timeouts (seconds in the file). Headers arrive in one packet from any real client; a body may take a
  // while on a slow link: 16 MiB in 2 minutes is ~1.1 Mbit/s.
  hecTimeouts: { headersMs: 10_000, bodyIdleMs: 30_000, bodyMs: 120_000 },
  // API bodies are SPL text, macro definitions, comments: 1 MiB is far above any of them. A login is two short strings.
  httpMaxBodyBytes: 1024 * 1024,
  httpMaxLoginBodyBytes: 16 * 1024,
  httpMaxInflightBytes: 64 * 1024 * 1024,
  // Browsers, curl and undici never pipeline; a client that sends thousands of requests without reading the
  // replies made the server handle every one it read and queue its reply (the console's 320 KB bundle each).
  httpMaxPipelinedRequests: 16,
  // HEC clients (Fluent Bit, Vector, OTel, splunk-logging, curl) do not pipeline either; each request pipelined
  // is an append queued ahead of every other client's.
  hecMaxPipelinedRequests: 16,
  // Node's own default (--max-http-header-size), made explicit: a request line with a long query string and a few
  // headers fit; each connection's parser holds at most this much.
  maxHeaderBytes: 16 * 1024,
  httpTimeouts: { headersMs: 10_000, bodyIdleMs: 30_000, bodyMs: 60_000 },
  // Well inside what process managers wait before SIGKILL: docker stop 10 s, Kubernetes 30 s, systemd 90 s.
  shutdownTimeoutMs: 5_000,
  // Bounds every request to ClickHouse, connecting included: an unreachable replica fails within it.
  clickhouseRequestTimeoutMs: 60_000,
  search: {
    maxTimeSeconds: 300,
    maxMemoryBytes: 1024 * 1024 * 1024,
    // Splunk's dispatch.max_count (savedsearches.conf) defaults to 500000 too.
    maxResults: 500_000,
    maxResultBytes: 100 * 1024 * 1024,
    maxConcurrent: 4,
    maxQueued: 32,
    // The CLI's caps too (spl/macros): far above real content, far below what exhausts a heap.
    maxMacroExpansions: MAX_MACRO_EXPANSIONS,
    maxMacroChars: MAX_MACRO_EXPANDED_CHARS,
    maxBufferedBytes: 1024 * 1024,
    outputLookup: false,
    // The CLI's --lookup-max-rows/--lookup-max-bytes/--lookup-max-files/--lookup-lock-wait defaults too.
    maxLookupRows: DEFAULT_LOOKUP_LIMITS.maxRows,
    maxLookupBytes: DEFAULT_LOOKUP_LIMITS.maxBytes,
    maxLookupFiles: DEFAULT_LOOKUP_LIMITS.maxFiles,
    lookupLockWaitMs: DEFAULT_LOOKUP_LIMITS.lockWaitMs,
  },
} as const;

export const HEC_TOKEN_FILE = 'hec-token';
export const API_TOKEN_FILE = 'api-token';

/**
 * Splunk's rule: lowercase letters, digits, `_` and `-`, not starting with `_` or `-`. Splunk documents no
 * length limit; vigil caps names at 255 characters (a name is created by API calls and HEC auto-creation).
 */
export const INDEX_NAME = /^[a-z0-9][a-z0-9_-]{0,254}$/;

const KNOWN_TOP = new Set(['dataDir', 'geoipDb', 'hec', 'http', 'indexes', 'search', 'shutdownTimeout', 'node', 'store']);
/** Sections owned by other modules: passed through without a warning. */
const PASSTHROUGH_TOP = new Set(['schedule', 'detections', 'alert_actions', 'users', 'datamodels', 'acceleration']);

type Path = (string | number)[];

/** Positions for error messages: `file:line:` of a value or a key. */
class Where {
  constructor(
    private readonly file: string | null,
    private readonly doc: Document | null,
    private readonly lines: LineCounter | null,
  ) {}

  at(path: Path): string {
    return this.prefix(this.offsetOf(path));
  }

  /** The position of the key `key` in the mapping at `path`. */
  atKey(path: Path, key: string): string {
    const node = this.doc?.getIn(path, true);
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = pair.key as { value?: unknown; range?: [number, number, number] } | null;
        if (k && k.value === key && k.range) return this.prefix(k.range[0]);
      }
    }
    return this.at(path);
  }

  private offsetOf(path: Path): number | null {
    if (!this.doc) return null;
    // The node itself, else its nearest ancestor that exists (for missing keys).
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | null)?.range;
      if (range) return range[0];
    }
    return null;
  }

  private prefix(offset: number | null): string {
    if (this.file === null) return '';
    if (offset === null || !this.lines) return `${this.file}: `;
    return `${this.file}:${this.lines.linePos(offset).line}: `;
  }
}

function fail(where: string, message: string): never {
  throw new VigilError('CONFIG', `${where}${message}`);
}

/** Reads a mapping, rejecting unknown keys (a typo in a security setting must not be silently ignored). */
function mapping(w: Where, path: Path, value: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) fail(w.at(path), `${label(path)} must be a mapping, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      // A typo (`prot`, `maxBodyByte`) gets a hint as a case slip does, as alert-action settings do.
      const hint = settingHint(allowed, key);
      fail(
        w.atKey(path, key),
        `unknown setting "${[...path, key].join('.')}"` + (hint ? ` (did you mean "${hint}"?)` : ` (known: ${allowed.join(', ')})`),
      );
    }
  }
  return value;
}

function label(path: Path): string {
  return path.length === 0 ? 'the config file' : `"${path.join('.')}"`;
}

function str(w: Where, path: Path, value: unknown, opts: { required?: boolean; nonEmpty?: boolean } = {}): string | undefined {
  if (value === undefined || value === null) {
    if (opts.required) fail(w.at(path), `${label(path)} is required`);
    return undefined;
  }
  // YAML reads `port: 8088`-like scalars as numbers; a name like `2024` is still meant as text.
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  if (typeof value !== 'string') fail(w.at(path), `${label(path)} must be a string, got ${describe(value)}`);
  if ((opts.nonEmpty ?? true) && value.trim() === '') fail(w.at(path), `${label(path)} must not be empty`);
  return value;
}

function bool(w: Where, path: Path, value: unknown, dflt: boolean): boolean {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== 'boolean') fail(w.at(path), `${label(path)} must be true or false, got ${describe(value)}`);
  return value;
}

function port(where: string, what: string, value: unknown): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
    fail(where, `${what} must be a port number (0-65535), got ${describe(value)}`);
  }
  return n;
}

function size(w: Where, path: Path, value: unknown, dflt: number): number {
  if (value === undefined || value === null) return dflt;
  const n = parseSize(value);
  if (n === null || n <= 0) fail(w.at(path), `${label(path)} must be a size like 16MB or a number of bytes, got ${describe(value)}`);
  return n;
}

/** A duration (`30s`, `2m`, or seconds) above zero, in milliseconds. */
function durationMs(w: Where, path: Path, value: unknown, dflt: number): number {
  if (value === undefined || value === null) return dflt;
  const s = parseDuration(value);
  if (s === null || s <= 0) fail(w.at(path), `${label(path)} must be a duration like 30s or 2m, or a number of seconds above 0, got ${describe(value)}`);
  return s * 1000;
}

/**
 * A duration a timer runs (durationMs within MAX_TIMER_MS): node fires a longer timer after 1 ms, so search.maxTime: 30d
 * stopped every search at once and a bodyIdleTimeout of 25d cut bodies sent 100 ms late.
 */
function timerMs(w: Where, path: Path, value: unknown, dflt: number): number {
  const ms = durationMs(w, path, value, dflt);
  if (ms > MAX_TIMER_MS) fail(w.at(path), `${label(path)} ${MAX_TIMER_TEXT}, got ${describe(value)}`);
  return ms;
}

/**
 * A request body limit: a body is decoded into one string, so at most V8's longest (MAX_STRING_LENGTH, 0x1fffffe8 on
 * 64-bit). Over it a 600 MB post under maxBodyBytes: 1GB was a 500 with a stack trace, which HEC clients retry.
 */
function bodyBytes(w: Where, path: Path, value: unknown, dflt: number): number {
  const n = size(w, path, value, dflt);
  if (n > bufferConstants.MAX_STRING_LENGTH) fail(w.at(path), `${label(path)} must be at most ${bufferConstants.MAX_STRING_LENGTH} bytes (the longest text node holds: a body is decoded as one), got ${describe(value)}`);
  return n;
}

/** Bounds of `maxHeaderBytes`: a browser's request line and cookies need a few KiB; each connection may hold the most. */
const MIN_HEADER_BYTES = 1024;
const MAX_HEADER_BYTES = 1024 * 1024;

function headerBytes(w: Where, section: 'hec' | 'http', m: Record<string, unknown>): number {
  const n = size(w, [section, 'maxHeaderBytes'], m['maxHeaderBytes'], DEFAULTS.maxHeaderBytes);
  if (n < MIN_HEADER_BYTES || n > MAX_HEADER_BYTES) fail(w.at([section, 'maxHeaderBytes']), `"${section}.maxHeaderBytes" must be from 1KB to 1MB, got ${n} bytes`);
  return n;
}

function requestTimeouts(w: Where, section: 'hec' | 'http', m: Record<string, unknown>, dflt: RequestTimeouts): RequestTimeouts {
  return {
    headersMs: timerMs(w, [section, 'headersTimeout'], m['headersTimeout'], dflt.headersMs),
    bodyIdleMs: timerMs(w, [section, 'bodyIdleTimeout'], m['bodyIdleTimeout'], dflt.bodyIdleMs),
    bodyMs: timerMs(w, [section, 'bodyTimeout'], m['bodyTimeout'], dflt.bodyMs),
  };
}

const TIMEOUT_KEYS = ['headersTimeout', 'bodyIdleTimeout', 'bodyTimeout'] as const;

function indexName(w: Where, path: Path, value: unknown): string {
  const name = str(w, path, value, { required: true }) as string;
  if (!INDEX_NAME.test(name)) {
    fail(w.at(path), `index name "${name}" is invalid (lowercase letters, digits, "_" and "-", not starting with "_" or "-", at most 255 characters)`);
  }
  return name;
}

/** A token must be printable ASCII without spaces: it travels in an HTTP header. */
const TOKEN_TEXT = /^[\x21-\x7e]+$/;

function tokenText(where: string, what: string, value: string): string {
  if (!TOKEN_TEXT.test(value)) fail(where, `${what} must be printable ASCII without spaces`);
  if (value.length < MIN_TOKEN_LENGTH) {
    fail(where, `${what} is too short (${value.length} characters, at least ${MIN_TOKEN_LENGTH}): use a random value such as a UUID (uuidgen)`);
  }
  return value;
}

function tls(w: Where, path: Path, value: unknown, baseDir: string): TlsConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const m = mapping(w, path, value, ['cert', 'key']);
  const cert = str(w, [...path, 'cert'], m['cert'], { required: true }) as string;
  const key = str(w, [...path, 'key'], m['key'], { required: true }) as string;
  return { cert: resolve(baseDir, cert), key: resolve(baseDir, key) };
}

async function readPem(where: string, what: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    fail(where, `${what} ${path} is not readable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Checks the TLS files as the servers will use them, so a bad file is a config error at its line instead of
 * a failure after startup: a certificate, an unencrypted private key, the key of that certificate, and a pair
 * OpenSSL accepts (key size, algorithms). An expired certificate is only a warning.
 */
async function checkTls(w: Where, path: Path, t: TlsConfig, warnings: string[]): Promise<void> {
  const certAt = w.at([...path, 'cert']);
  const keyAt = w.at([...path, 'key']);
  const certPem = await readPem(certAt, 'certificate', t.cert);
  const keyPem = await readPem(keyAt, 'key', t.key);
  const why = (err: unknown) => (err as Error).message.split('\n')[0];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    fail(certAt, `certificate ${t.cert} is not a PEM certificate: ${why(err)}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    fail(keyAt, `key ${t.key} is not an unencrypted PEM private key: ${why(err)}`);
  }
  if (!cert.checkPrivateKey(key)) fail(keyAt, `key ${t.key} is not the private key of certificate ${t.cert}`);
  try {
    createSecureContext({ cert: certPem, key: keyPem });
  } catch (err) {
    fail(certAt, `certificate ${t.cert} with key ${t.key} is refused by TLS: ${why(err)}`);
  }
  if (Date.parse(cert.validTo) < Date.now()) warnings.push(`${certAt}certificate ${t.cert} expired on ${cert.validTo}`);
}

function hecTokens(w: Where, value: unknown): HecTokenConfig[] {
  const path: Path = ['hec', 'tokens'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(w.at(path), `"hec.tokens" must be a list, got ${describe(value)}`);
  const out: HecTokenConfig[] = [];
  value.forEach((entry, i) => {
    const p: Path = [...path, i];
    const m = mapping(w, p, entry, ['name', 'token', 'defaultIndex', 'indexes', 'defaultSourcetype', 'defaultSource', 'defaultHost', 'disabled', 'useAck', 'allowQueryStringAuth']);
    const token = tokenText(w.at([...p, 'token']), `"hec.tokens.${i}.token"`, str(w, [...p, 'token'], m['token'], { required: true }) as string);
    const name = str(w, [...p, 'name'], m['name']) ?? `token${i + 1}`;
    let indexes: string[] = [];
    if (m['indexes'] !== undefined && m['indexes'] !== null) {
      if (!Array.isArray(m['indexes'])) fail(w.at([...p, 'indexes']), `"hec.tokens.${i}.indexes" must be a list of index names`);
      indexes = m['indexes'].map((ix, j) => indexName(w, [...p, 'indexes', j], ix));
    }
    const defaultIndex = m['defaultIndex'] === undefined ? (indexes[0] ?? DEFAULT_INDEX) : indexName(w, [...p, 'defaultIndex'], m['defaultIndex']);
    if (indexes.length > 0 && !indexes.includes(defaultIndex)) {
      fail(w.at([...p, 'defaultIndex']), `default index "${defaultIndex}" of token "${name}" is not in its indexes (${indexes.join(', ')})`);
    }
    const defaultSourcetype = str(w, [...p, 'defaultSourcetype'], m['defaultSourcetype']);
    const t: HecTokenConfig = {
      name,
      token,
      defaultIndex,
      indexes,
      disabled: bool(w, [...p, 'disabled'], m['disabled'], false),
      useAck: bool(w, [...p, 'useAck'], m['useAck'], false),
    };
    if (defaultSourcetype !== undefined) t.defaultSourcetype = defaultSourcetype;
    const defaultSource = str(w, [...p, 'defaultSource'], m['defaultSource']);
    if (defaultSource !== undefined) t.defaultSource = defaultSource;
    const defaultHost = str(w, [...p, 'defaultHost'], m['defaultHost']);
    if (defaultHost !== undefined) t.defaultHost = defaultHost;
    if (bool(w, [...p, 'allowQueryStringAuth'], m['allowQueryStringAuth'], false)) t.allowQueryStringAuth = true;
    const dupName = out.find((o) => o.name === name);
    if (dupName) fail(w.at([...p, 'name']), `two HEC tokens are named "${name}"`);
    if (out.some((o) => sameHecToken(o.token, token))) fail(w.at([...p, 'token']), `token "${name}" repeats another token's value`);
    out.push(t);
  });
  return out;
}

/**
 * The token values src/config/vigil.example.yml publishes: a config copied from it whole serves HEC and the API with
 * tokens anyone can read, so loading one warns (a test keeps this list equal to the example's tokens).
 */
export const EXAMPLE_TOKENS: readonly string[] = [
  '6b3c9f0e-5d2a-4c1e-9f7b-2a8d4e6c1b30',
  '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9',
  '11111111-2222-4333-8444-555555555555',
  '7c1d5e3f-9a2b-4d6e-8f1a-3b5c7d9e0f12',
  '00000000-0000-4000-8000-000000000000',
];

function isExampleToken(token: string): boolean {
  return EXAMPLE_TOKENS.some((e) => sameHecToken(e, token));
}

function exampleTokenWarning(what: string, name: string): string {
  return `${what} "${name}" is the example's, published in vigil.example.yml: anyone can use it; replace it with your own (uuidgen)`;
}

/** The HEC matches tokens ignoring case (`TokenSet`'s `ignoreCase`, as Splunk): values are compared so here too. */
function sameHecToken(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function apiTokens(w: Where, value: unknown): ApiTokenConfig[] {
  const path: Path = ['http', 'apiTokens'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(w.at(path), `"http.apiTokens" must be a list, got ${describe(value)}`);
  const out: ApiTokenConfig[] = [];
  value.forEach((entry, i) => {
    const p: Path = [...path, i];
    const m = mapping(w, p, entry, ['name', 'token']);
    const token = tokenText(w.at([...p, 'token']), `"http.apiTokens.${i}.token"`, str(w, [...p, 'token'], m['token'], { required: true }) as string);
    const name = str(w, [...p, 'name'], m['name']) ?? `api${i + 1}`;
    if (out.some((o) => o.name === name)) fail(w.at([...p, 'name']), `two API tokens are named "${name}"`);
    out.push({ name, token });
  });
  return out;
}

const CLIENT_KEYS = ['trustedProxies', 'clientIpHeader', 'authThrottle'] as const;

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `trustedProxies`, `clientIpHeader` and `authThrottle` of `hec` or `http` (user names exist only on `http`). */
function clientSettings(w: Where, section: 'hec' | 'http', m: Record<string, unknown>): ClientIdentityConfig & { authThrottle: AuthThrottleConfig } {
  const proxies = m['trustedProxies'];
  let trustedProxies: string[] = [];
  if (proxies !== undefined && proxies !== null) {
    if (!Array.isArray(proxies)) fail(w.at([section, 'trustedProxies']), `"${section}.trustedProxies" must be a list of addresses or CIDR blocks, got ${describe(proxies)}`);
    trustedProxies = proxies.map((p, i) => {
      const text = str(w, [section, 'trustedProxies', i], p, { required: true }) as string;
      if (!isAddressOrBlock(text.trim())) fail(w.at([section, 'trustedProxies', i]), `"${section}.trustedProxies.${i}" must be an IP address or a CIDR block like 10.0.0.0/8, got ${describe(p)}`);
      return text.trim();
    });
  }
  const header = str(w, [section, 'clientIpHeader'], m['clientIpHeader']) ?? DEFAULT_CLIENT_IP_HEADER;
  if (!HEADER_NAME.test(header)) fail(w.at([section, 'clientIpHeader']), `"${section}.clientIpHeader" must be an HTTP header name like X-Forwarded-For, got ${describe(header)}`);
  const keys = section === 'http' ? ['maxFailures', 'maxAccountFailures', 'window', 'maxTracked'] : ['maxFailures', 'window', 'maxTracked'];
  const t = mapping(w, [section, 'authThrottle'], m['authThrottle'], keys);
  const p: Path = [section, 'authThrottle'];
  const authThrottle: AuthThrottleConfig = {
    maxFailures: count(w, [...p, 'maxFailures'], t['maxFailures'], DEFAULT_AUTH_THROTTLE.maxFailures, 1),
    windowMs: durationMs(w, [...p, 'window'], t['window'], DEFAULT_AUTH_THROTTLE.windowMs),
    maxTracked: count(w, [...p, 'maxTracked'], t['maxTracked'], DEFAULT_AUTH_THROTTLE.maxTracked, 1),
  };
  if (section === 'http') authThrottle.maxAccountFailures = count(w, [...p, 'maxAccountFailures'], t['maxAccountFailures'], DEFAULT_AUTH_THROTTLE.maxAccountFailures, 1);
  return { trustedProxies, clientIpHeader: header.toLowerCase(), authThrottle };
}

/** `http.allowedHosts`: host names (`name`, `.domain` for it and its subdomains, or `*`). */
function hostNames(w: Where, path: Path, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const name = `"${path.join('.')}"`;
  if (!Array.isArray(value)) fail(w.at(path), `${name} must be a list of host names (e.g. [vigil.example.com, .example.com] or ["*"]), got ${describe(value)}`);
  return value.map((v, i) => {
    const text = (str(w, [...path, i], v, { required: true }) as string).trim().toLowerCase();
    if (text !== '*' && !/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(text)) fail(w.at([...path, i]), `"${path.join('.')}.${i}" must be a host name without a port, ".domain" or "*", got ${describe(v)}`);
    return text;
  });
}

function indexesSection(w: Where, value: unknown): Record<string, IndexConfig> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) fail(w.at(['indexes']), `"indexes" must be a mapping of index names, got ${describe(value)}`);
  const m = value;
  const out: Record<string, IndexConfig> = {};
  for (const [name, body] of Object.entries(m)) {
    if (!INDEX_NAME.test(name)) {
      fail(w.atKey(['indexes'], name), `index name "${name}" is invalid (lowercase letters, digits, "_" and "-", not starting with "_" or "-", at most 255 characters)`);
    }
    const ix = mapping(w, ['indexes', name], body, ['retention']);
    const r = mapping(w, ['indexes', name, 'retention'], ix['retention'], ['maxAge', 'maxSize']);
    const retention: RetentionPolicy = {};
    if (r['maxAge'] !== undefined && r['maxAge'] !== null) {
      const s = parseDuration(r['maxAge']);
      if (s === null || s <= 0) fail(w.at(['indexes', name, 'retention', 'maxAge']), `maxAge must be a duration like 30d, 12h or a number of seconds, got ${describe(r['maxAge'])}`);
      retention.maxAgeSeconds = s;
    }
    if (r['maxSize'] !== undefined && r['maxSize'] !== null) {
      const b = parseSize(r['maxSize']);
      if (b === null || b <= 0) fail(w.at(['indexes', name, 'retention', 'maxSize']), `maxSize must be a size like 10GB or a number of bytes, got ${describe(r['maxSize'])}`);
      retention.maxBytes = b;
    }
    out[name] = { retention };
  }
  return out;
}

/** Worker heaps below this cannot hold the store connection and the content. */
const MIN_SEARCH_MEMORY = 64 * 1024 * 1024;

function count(w: Where, path: Path, value: unknown, dflt: number, min: number): number {
  if (value === undefined || value === null) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(w.at(path), `${label(path)} must be a whole number of at least ${min}, got ${describe(value)}`);
  return value;
}

function searchSection(w: Where, value: unknown): SearchConfig {
  const m = mapping(w, ['search'], value, ['maxTime', 'maxMemory', 'maxResults', 'maxResultBytes', 'maxConcurrent', 'maxQueued', 'maxMacroExpansions', 'maxMacroChars', 'maxBufferedBytes', 'outputLookup', 'maxLookupRows', 'maxLookupBytes', 'maxLookupFiles', 'lookupLockWait']);
  const d = DEFAULTS.search;
  let maxTimeSeconds: number = d.maxTimeSeconds;
  if (m['maxTime'] !== undefined && m['maxTime'] !== null) {
    const s = parseDuration(m['maxTime']);
    if (s === null || s <= 0) fail(w.at(['search', 'maxTime']), `"search.maxTime" must be a duration like 5m or a number of seconds, got ${describe(m['maxTime'])}`);
    if (s * 1000 > MAX_TIMER_MS) fail(w.at(['search', 'maxTime']), `"search.maxTime" ${MAX_TIMER_TEXT}, got ${describe(m['maxTime'])}`);
    maxTimeSeconds = s;
  }
  const maxMemoryBytes = size(w, ['search', 'maxMemory'], m['maxMemory'], d.maxMemoryBytes);
  if (maxMemoryBytes < MIN_SEARCH_MEMORY) fail(w.at(['search', 'maxMemory']), `"search.maxMemory" must be at least 64MB, got ${describe(m['maxMemory'])}`);
  return {
    maxTimeSeconds,
    maxMemoryBytes,
    maxResults: count(w, ['search', 'maxResults'], m['maxResults'], d.maxResults, 1),
    maxResultBytes: size(w, ['search', 'maxResultBytes'], m['maxResultBytes'], d.maxResultBytes),
    maxConcurrent: count(w, ['search', 'maxConcurrent'], m['maxConcurrent'], d.maxConcurrent, 1),
    maxQueued: count(w, ['search', 'maxQueued'], m['maxQueued'], d.maxQueued, 0),
    maxMacroExpansions: count(w, ['search', 'maxMacroExpansions'], m['maxMacroExpansions'], d.maxMacroExpansions, 1),
    maxMacroChars: count(w, ['search', 'maxMacroChars'], m['maxMacroChars'], d.maxMacroChars, 1),
    maxBufferedBytes: size(w, ['search', 'maxBufferedBytes'], m['maxBufferedBytes'], d.maxBufferedBytes),
    outputLookup: bool(w, ['search', 'outputLookup'], m['outputLookup'], d.outputLookup),
    maxLookupRows: count(w, ['search', 'maxLookupRows'], m['maxLookupRows'], d.maxLookupRows, 1),
    maxLookupBytes: size(w, ['search', 'maxLookupBytes'], m['maxLookupBytes'], d.maxLookupBytes),
    maxLookupFiles: count(w, ['search', 'maxLookupFiles'], m['maxLookupFiles'], d.maxLookupFiles, 1),
    lookupLockWaitMs: lockWait(w, m['lookupLockWait'], d.lookupLockWaitMs),
  };
}

/** `search.lookupLockWait`: a duration from 0 (one try) to MAX_LOOKUP_LOCK_WAIT_S, in milliseconds. */
function lockWait(w: Where, value: unknown, dflt: number): number {
  if (value === undefined || value === null) return dflt;
  const s = parseDuration(value);
  if (s === null || s < 0 || s > MAX_LOOKUP_LOCK_WAIT_S) fail(w.at(['search', 'lookupLockWait']), `"search.lookupLockWait" must be a duration like 10s, from 0 to ${MAX_LOOKUP_LOCK_WAIT_S} seconds, got ${describe(value)}`);
  return s * 1000;
}

/** ClickHouse database and cluster names: what `ident` in store/clickhouse/sql.ts accepts. */
const CLICKHOUSE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A PostgreSQL schema name vigil creates (control-plane/schema.ts SCHEMA_NAME). */
const POSTGRES_SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** A url as it may appear in an error: its password replaced by `***`. */
function redacted(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** `store.clickhouse.urls`: HTTP(S) base urls, without credentials (they go in username/password). */
function clickhouseUrls(w: Where, value: unknown): string[] {
  const path: Path = ['store', 'clickhouse', 'urls'];
  if (value === undefined || value === null) fail(w.at(path), `"store.clickhouse.urls" is required: the HTTP urls of the ClickHouse replicas, this node's own first`);
  if (!Array.isArray(value) || value.length === 0) fail(w.at(path), `"store.clickhouse.urls" must be a non-empty list of http:// urls, got ${describe(value)}`);
  const out: string[] = [];
  value.forEach((v, i) => {
    const text = (str(w, [...path, i], v, { required: true }) as string).trim();
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      fail(w.at([...path, i]), `"store.clickhouse.urls.${i}" must be an http:// or https:// url, got ${JSON.stringify(redacted(text))}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(w.at([...path, i]), `"store.clickhouse.urls.${i}" must be an http:// or https:// url (ClickHouse's HTTP interface), got ${JSON.stringify(redacted(text))}`);
    if (u.username !== '' || u.password !== '') fail(w.at([...path, i]), `"store.clickhouse.urls.${i}" must not carry credentials: set store.clickhouse.username and password (or VIGIL_CLICKHOUSE_PASSWORD)`);
    const url = text.replace(/\/+$/, '');
    if (out.includes(url)) fail(w.at([...path, i]), `"store.clickhouse.urls" lists ${url} twice`);
    out.push(url);
  });
  return out;
}

/**
 * The `store:` section. `VIGIL_CLICKHOUSE_PASSWORD` replaces `store.clickhouse.password` (keeps it out of the
 * file); PostgreSQL's password is in the url or in `PGPASSWORD`, which the driver reads. No error text shows a password.
 */
function storeSection(w: Where, value: unknown, env: Record<string, string | undefined>, warnings: string[]): StoreConfig {
  const m = mapping(w, ['store'], value, ['type', 'clickhouse', 'postgres', 'indexedFields']);
  const type = str(w, ['store', 'type'], m['type']) ?? 'sqlite';
  if (type === 'sqlite') {
    for (const k of ['clickhouse', 'postgres']) if (m[k] !== undefined && m[k] !== null) warnings.push(`${w.atKey(['store'], k)}"store.${k}" ignored: store.type is sqlite`);
    return { type: 'sqlite', indexedFields: bool(w, ['store', 'indexedFields'], m['indexedFields'], true) };
  }
  if (m['indexedFields'] !== undefined && m['indexedFields'] !== null) warnings.push(`${w.atKey(['store'], 'indexedFields')}"store.indexedFields" ignored: it is the SQLite store's`);
  if (type !== 'clickhouse') fail(w.at(['store', 'type']), `"store.type" must be sqlite or clickhouse, got ${describe(type)}`);
  const chPath: Path = ['store', 'clickhouse'];
  if (m['clickhouse'] === undefined || m['clickhouse'] === null) fail(w.at(['store', 'type']), `"store.clickhouse" is required with store.type clickhouse`);
  const ch = mapping(w, chPath, m['clickhouse'], ['urls', 'cluster', 'database', 'username', 'password', 'insertQuorum', 'requestTimeout']);
  const name = (key: 'cluster' | 'database', dflt?: string): string => {
    const v = str(w, [...chPath, key], ch[key], { required: dflt === undefined }) ?? (dflt as string);
    if (!CLICKHOUSE_NAME.test(v)) fail(w.at([...chPath, key]), `"store.clickhouse.${key}" must be letters, digits and _ (not starting with a digit), got ${describe(v)}`);
    return v;
  };
  let password = str(w, [...chPath, 'password'], ch['password'], { nonEmpty: false }) ?? '';
  const envPassword = env['VIGIL_CLICKHOUSE_PASSWORD'];
  if (envPassword !== undefined && envPassword !== '') password = envPassword;
  const clickhouse: ClickHouseStoreConfig = {
    urls: clickhouseUrls(w, ch['urls']),
    cluster: name('cluster'),
    database: name('database', 'vigil'),
    username: str(w, [...chPath, 'username'], ch['username']) ?? 'default',
    password,
    insertQuorum: count(w, [...chPath, 'insertQuorum'], ch['insertQuorum'], 1, 1),
    requestTimeoutMs: timerMs(w, [...chPath, 'requestTimeout'], ch['requestTimeout'], DEFAULTS.clickhouseRequestTimeoutMs),
  };
  const pgPath: Path = ['store', 'postgres'];
  if (m['postgres'] === undefined || m['postgres'] === null) fail(w.at(['store', 'type']), `"store.postgres" is required with store.type clickhouse (the control plane: runs, findings, sessions)`);
  const pgm = mapping(w, pgPath, m['postgres'], ['url', 'schema']);
  const url = (str(w, [...pgPath, 'url'], pgm['url'], { required: true }) as string).trim();
  let parsed: URL | null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (parsed === null || (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:')) {
    fail(w.at([...pgPath, 'url']), `"store.postgres.url" must be a postgresql://user@host:port/database url, got ${JSON.stringify(redacted(url))}`);
  }
  const postgres: PostgresConfig = { url };
  const schema = str(w, [...pgPath, 'schema'], pgm['schema']);
  if (schema !== undefined) {
    if (!POSTGRES_SCHEMA.test(schema)) fail(w.at([...pgPath, 'schema']), `"store.postgres.schema" must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63), got ${describe(schema)}`);
    postgres.schema = schema;
  }
  return { type: 'clickhouse', clickhouse, postgres };
}

/** Alias expansions allowed in the config file: a few levels of aliases of aliases can expand to gigabytes. */
const MAX_YAML_ALIASES = 100;

async function readConfigFile(path: string): Promise<{ data: Record<string, unknown>; where: Where }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new VigilError('CONFIG', `cannot read config file ${path}: ${fileErrorReason(err)}`, { cause: err });
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const line = lines.linePos(first.pos[0]).line;
    throw new VigilError('CONFIG', `${path}:${line}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  const where = new Where(path, doc, lines);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // yaml throws a ReferenceError past maxAliasCount (an alias bomb); no position: name the first alias.
    let first: number | null = null;
    visit(doc, {
      Alias(_key, node) {
        first = node.range?.[0] ?? null;
        return visit.BREAK;
      },
    });
    const line = first === null ? '' : `${lines.linePos(first).line}:`;
    throw new VigilError('CONFIG', `${path}:${line} YAML aliases expand to too much (more than ${MAX_YAML_ALIASES} alias expansions): ${(err as Error).message}`, { cause: err });
  }
  if (data === null || data === undefined) return { data: {}, where };
  if (!isRecord(data)) fail(where.at([]), `the config file must be a mapping of sections (dataDir, hec, http, indexes, ...), got ${describe(data)}`);
  return { data, where };
}

/**
 * Loads and validates the configuration. Precedence: flags > environment > file > defaults. When no HEC
 * token is configured anywhere, a token is generated once into `<dataDir>/hec-token` and reused afterwards;
 * likewise `<dataDir>/api-token` for the search API.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<VigilConfig> {
  const env = options.env ?? process.env;
  const flags = options.flags ?? {};
  const cwd = options.cwd ?? process.cwd();
  const fileArg = options.file ?? flags.config ?? nonEmpty(env['VIGIL_CONFIG']);
  const file = fileArg === undefined ? null : resolve(cwd, fileArg);

  const { data, where: w } = file === null ? { data: {}, where: new Where(null, null, null) } : await readConfigFile(file);
  const baseDir = file === null ? cwd : dirname(file);
  const warnings: string[] = [];

  for (const key of Object.keys(data)) {
    if (!KNOWN_TOP.has(key) && !PASSTHROUGH_TOP.has(key)) {
      warnings.push(`${w.atKey([], key)}unknown section "${key}" ignored`);
    }
  }

  // dataDir: a relative path in the file is relative to the file; from flags/env, to the working directory.
  let dataDir = resolve(baseDir, str(w, ['dataDir'], data['dataDir']) ?? DEFAULTS.dataDir);
  const envDataDir = nonEmpty(env['VIGIL_DATA_DIR']);
  if (envDataDir !== undefined) dataDir = resolve(cwd, envDataDir);
  if (flags.dataDir !== undefined) dataDir = resolve(cwd, flags.dataDir);
  // geoipDb: the same rule for its path.
  const fileGeoipDb = str(w, ['geoipDb'], data['geoipDb'], { nonEmpty: true });
  let geoipDb = fileGeoipDb === undefined ? undefined : resolve(baseDir, fileGeoipDb);
  const envGeoipDb = nonEmpty(env['VIGIL_GEOIP_DB']);
  if (envGeoipDb !== undefined) geoipDb = resolve(cwd, envGeoipDb);
  if (flags.geoipDb !== undefined) geoipDb = resolve(cwd, flags.geoipDb);

  const hecRaw = mapping(w, ['hec'], data['hec'], ['host', 'port', 'tls', 'maxBodyBytes', 'maxInflightBytes', 'maxInflightBytesPerClient', 'maxJsonDepth', 'maxPipelinedRequests', 'maxConnections', 'maxHeaderBytes', 'autoCreateIndexes', ...TIMEOUT_KEYS, 'tokens', ...CLIENT_KEYS]);
  let hecPort = hecRaw['port'] === undefined ? DEFAULTS.hecPort : port(w.at(['hec', 'port']), '"hec.port"', hecRaw['port']);
  if (nonEmpty(env['VIGIL_HEC_PORT']) !== undefined) hecPort = port('', 'VIGIL_HEC_PORT', env['VIGIL_HEC_PORT']);
  if (flags.hecPort !== undefined) hecPort = port('', '--hec-port', flags.hecPort);

  const maxBodyBytes = bodyBytes(w, ['hec', 'maxBodyBytes'], hecRaw['maxBodyBytes'], DEFAULTS.maxBodyBytes);
  const maxInflightBytes = size(w, ['hec', 'maxInflightBytes'], hecRaw['maxInflightBytes'], Math.max(heapBoundedBytes(DEFAULTS.maxInflightBytes), maxBodyBytes));
  if (maxInflightBytes < maxBodyBytes) {
    fail(w.at(['hec', 'maxInflightBytes']), `"hec.maxInflightBytes" (${maxInflightBytes}) must be at least "hec.maxBodyBytes" (${maxBodyBytes})`);
  }
  const maxInflightBytesPerClient = size(w, ['hec', 'maxInflightBytesPerClient'], hecRaw['maxInflightBytesPerClient'], Math.max(Math.floor(maxInflightBytes / 2), maxBodyBytes));
  if (maxInflightBytesPerClient < maxBodyBytes || maxInflightBytesPerClient > maxInflightBytes) {
    fail(w.at(['hec', 'maxInflightBytesPerClient']), `"hec.maxInflightBytesPerClient" (${maxInflightBytesPerClient}) must be at least "hec.maxBodyBytes" (${maxBodyBytes}) and at most "hec.maxInflightBytes" (${maxInflightBytes})`);
  }

  const tokens = hecTokens(w, hecRaw['tokens']);
  const fileListsTokens = tokens.length > 0;
  tokens.forEach((t, i) => {
    if (!t.disabled && isExampleToken(t.token)) warnings.push(`${w.at(['hec', 'tokens', i, 'token'])}${exampleTokenWarning('HEC token', t.name)}`);
  });
  // A token from the environment or a flag may write everywhere; a flag replaces the environment's.
  const extra =
    flags.hecToken !== undefined
      ? { name: 'flag', token: tokenText('', '--hec-token', flags.hecToken) }
      : nonEmpty(env['VIGIL_HEC_TOKEN']) !== undefined
        ? { name: 'env', token: tokenText('', 'VIGIL_HEC_TOKEN', (env['VIGIL_HEC_TOKEN'] as string).trim()) }
        : null;
  if (extra) {
    const entry: HecTokenConfig = { name: extra.name, token: extra.token, defaultIndex: DEFAULT_INDEX, indexes: [], disabled: false, useAck: false };
    const same = tokens.findIndex((t) => sameHecToken(t.token, extra.token));
    if (same >= 0) tokens.splice(same, 1, { ...entry, name: tokens[same]!.name });
    else tokens.push(entry);
  }

  const httpRaw = mapping(w, ['http'], data['http'], ['host', 'port', 'tls', 'apiTokens', 'maxBodyBytes', 'maxLoginBodyBytes', 'maxInflightBytes', 'maxPipelinedRequests', 'maxConnections', 'maxHeaderBytes', 'allowedHosts', ...TIMEOUT_KEYS, ...CLIENT_KEYS]);
  let httpPort = httpRaw['port'] === undefined ? DEFAULTS.httpPort : port(w.at(['http', 'port']), '"http.port"', httpRaw['port']);
  if (nonEmpty(env['VIGIL_HTTP_PORT']) !== undefined) httpPort = port('', 'VIGIL_HTTP_PORT', env['VIGIL_HTTP_PORT']);
  if (flags.port !== undefined) httpPort = port('', '--port', flags.port);
  const api = apiTokens(w, httpRaw['apiTokens']);
  api.forEach((a, i) => {
    if (isExampleToken(a.token)) warnings.push(`${w.at(['http', 'apiTokens', i, 'token'])}${exampleTokenWarning('API token', a.name)}`);
  });

  const hecTls = tls(w, ['hec', 'tls'], hecRaw['tls'], baseDir);
  const httpTls = tls(w, ['http', 'tls'], httpRaw['tls'], baseDir);
  if (hecTls) await checkTls(w, ['hec', 'tls'], hecTls, warnings);
  if (httpTls) await checkTls(w, ['http', 'tls'], httpTls, warnings);
  // A HEC token is handed to every node's exporter: the same value must not also open the search API.
  api.forEach((a, i) => {
    const shared = tokens.find((t) => sameHecToken(t.token, a.token));
    if (shared) fail(w.at(['http', 'apiTokens', i, 'token']), `API token "${a.name}" has the value of HEC token "${shared.name}": use a different token for the API`);
  });

  const indexes = indexesSection(w, data['indexes']);
  const search = searchSection(w, data['search']);

  // One port for both listeners would fail at start with EADDRINUSE, blamed on "another process". Checked before
  // tokens are generated: a start refused here prints none, so it must leave none behind.
  const hecHost = str(w, ['hec', 'host'], hecRaw['host']) ?? DEFAULTS.hecHost;
  const httpHost = str(w, ['http', 'host'], httpRaw['host']) ?? DEFAULTS.httpHost;
  const wildcard = (h: string): boolean => h === '' || h === '0.0.0.0' || h === '::';
  if (hecPort !== 0 && hecPort === httpPort && (hecHost === httpHost || wildcard(hecHost) || wildcard(httpHost))) {
    fail('', `the HEC and the API/console are both on port ${hecPort}: give them different ports (--hec-port or hec.port, --port or http.port)`);
  }

  const hec: HecConfig = {
    host: hecHost,
    port: hecPort,
    maxBodyBytes,
    maxInflightBytes,
    maxInflightBytesPerClient,
    autoCreateIndexes: bool(w, ['hec', 'autoCreateIndexes'], hecRaw['autoCreateIndexes'], false),
    maxJsonDepth: count(w, ['hec', 'maxJsonDepth'], hecRaw['maxJsonDepth'], DEFAULTS.hecMaxJsonDepth, 1),
    maxPipelinedRequests: count(w, ['hec', 'maxPipelinedRequests'], hecRaw['maxPipelinedRequests'], DEFAULTS.hecMaxPipelinedRequests, 1),
    maxHeaderBytes: headerBytes(w, 'hec', hecRaw),
    timeouts: requestTimeouts(w, 'hec', hecRaw, DEFAULTS.hecTimeouts),
    tokens,
    ...clientSettings(w, 'hec', hecRaw),
  };
  if (hecTls) hec.tls = hecTls;
  // Unset (the default) is no cap: a count would have to sit below every host's descriptor limit to mean anything.
  const maxConnections = (section: 'hec' | 'http', raw: Record<string, unknown>): number | undefined =>
    raw['maxConnections'] === undefined || raw['maxConnections'] === null ? undefined : count(w, [section, 'maxConnections'], raw['maxConnections'], 0, 1);
  const hecMaxConnections = maxConnections('hec', hecRaw);
  if (hecMaxConnections !== undefined) hec.maxConnections = hecMaxConnections;
  const httpMaxBodyBytes = bodyBytes(w, ['http', 'maxBodyBytes'], httpRaw['maxBodyBytes'], DEFAULTS.httpMaxBodyBytes);
  const httpMaxInflightBytes = size(w, ['http', 'maxInflightBytes'], httpRaw['maxInflightBytes'], Math.max(heapBoundedBytes(DEFAULTS.httpMaxInflightBytes), httpMaxBodyBytes));
  if (httpMaxInflightBytes < httpMaxBodyBytes) {
    fail(w.at(['http', 'maxInflightBytes']), `"http.maxInflightBytes" (${httpMaxInflightBytes}) must be at least "http.maxBodyBytes" (${httpMaxBodyBytes})`);
  }
  const http: HttpConfig = {
    host: httpHost,
    port: httpPort,
    apiTokens: api,
    maxBodyBytes: httpMaxBodyBytes,
    maxLoginBodyBytes: bodyBytes(w, ['http', 'maxLoginBodyBytes'], httpRaw['maxLoginBodyBytes'], DEFAULTS.httpMaxLoginBodyBytes),
    maxInflightBytes: httpMaxInflightBytes,
    maxPipelinedRequests: count(w, ['http', 'maxPipelinedRequests'], httpRaw['maxPipelinedRequests'], DEFAULTS.httpMaxPipelinedRequests, 1),
    maxHeaderBytes: headerBytes(w, 'http', httpRaw),
    timeouts: requestTimeouts(w, 'http', httpRaw, DEFAULTS.httpTimeouts),
    ...clientSettings(w, 'http', httpRaw),
  };
  if (httpTls) http.tls = httpTls;
  const httpMaxConnections = maxConnections('http', httpRaw);
  if (httpMaxConnections !== undefined) http.maxConnections = httpMaxConnections;
  const allowedHosts = hostNames(w, ['http', 'allowedHosts'], httpRaw['allowedHosts']);
  if (allowedHosts !== undefined) http.allowedHosts = allowedHosts;

  const shutdownTimeoutMs = timerMs(w, ['shutdownTimeout'], data['shutdownTimeout'], DEFAULTS.shutdownTimeoutMs);
  const nodeRaw = mapping(w, ['node'], data['node'], ['name']);
  const nodeName = str(w, ['node', 'name'], nodeRaw['name'], { nonEmpty: true });
  const node = nodeName === undefined ? {} : { name: nodeName };
  const store = storeSection(w, data['store'], env, warnings);
  // Tokens are generated (and their files written) last, once every setting is valid: a start refused for a bad
  // setting prints none, so it must leave none behind (the next start would only say where they are).
  const generated: VigilConfig['generated'] = {};
  const persisted = (file: string) => (options.generateTokens === false ? loadToken(dataDir, file) : loadOrCreateToken(dataDir, file));
  // A token generated on an earlier start stays valid beside --hec-token / VIGIL_HEC_TOKEN (an extra token, as its help
  // says): the shippers given it would otherwise get 403 code 4, which HEC clients treat as final (data dropped). Only
  // a config file listing its tokens replaces it; with a flag or env token and no file yet, none is generated.
  if (!fileListsTokens) {
    const g = tokens.length === 0 ? await persisted(HEC_TOKEN_FILE) : await loadToken(dataDir, HEC_TOKEN_FILE);
    if (g !== null) {
      generated.hecToken = g;
      if (!tokens.some((t) => sameHecToken(t.token, g.token))) {
        hec.tokens.push({ name: 'default', token: g.token, defaultIndex: DEFAULT_INDEX, indexes: [], disabled: false, useAck: false });
      }
    }
  }
  if (api.length === 0) {
    const g = await persisted(API_TOKEN_FILE);
    if (g !== null) {
      generated.apiToken = g;
      http.apiTokens.push({ name: 'default', token: g.token });
    }
  }

  const config: VigilConfig = { file, dataDir, hec, http, indexes, search, shutdownTimeoutMs, node, store, generated, warnings, at: (path) => w.at(path) };
  if (geoipDb !== undefined) config.geoipDb = geoipDb;
  if ('schedule' in data) config.schedule = data['schedule'];
  if ('detections' in data) config.detections = data['detections'];
  if ('alert_actions' in data) config.alertActions = data['alert_actions'];
  if ('users' in data) config.users = data['users'];
  if ('datamodels' in data) config.datamodels = data['datamodels'];
  if ('acceleration' in data) config.acceleration = data['acceleration'];
  return config;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
