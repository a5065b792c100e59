/**
 * Alert actions (where findings and risk events go) and alert routing (which detections send what to
 * which actions, with ES-style suppression), parsed and validated from the config's `alert_actions:`
 * section. Everything is checked here, once, so the dispatcher never meets a bad value. See CONTEXT.md.
 */
import { resolve } from 'node:path';
import { VigilError } from '../errors.js';
import { settingHint } from '../edit-distance.js';
import { INDEX_NAME } from '../config/config.js';
import { MAX_TIMER_MS, parseDuration } from '../config/units.js';
import { describe, isRecord } from '../config/yaml-values.js';

/** What an alert is about: a risk event (index `risk`) or a finding (notable, index `notable`). */
export type AlertKind = 'risk_event' | 'finding';
export const ALERT_KINDS: readonly AlertKind[] = ['risk_event', 'finding'];

/** Exponential backoff: attempt n waits min(maxMs, initialMs·factor^(n−1)), times a jitter in [1−jitter, 1+jitter]. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** Relative spread, 0..1 (default 0.2), so that many items failing together do not retry in lockstep. */
  jitter: number;
}

/** Retry settings every action has (network actions use all of them; `file` only the retry ones). */
export interface RetrySettings {
  /** Attempts before an item is given up (dead-lettered). */
  maxAttempts: number;
  backoff: BackoffPolicy;
}

export interface WebhookAction extends RetrySettings {
  name: string;
  type: 'webhook';
  url: string;
  /** Extra request headers (e.g. Authorization). Cannot override the ones vigil sets. */
  headers: Record<string, string>;
  /** Whole-request timeout (connect, send, response). */
  timeoutMs: number;
  /** Skip TLS certificate verification. */
  insecure: boolean;
  /** PEM CA bundle to trust (absolute path), for receivers with a private CA. */
  caFile?: string;
}

export interface SplunkHecAction extends RetrySettings {
  name: string;
  type: 'splunk_hec';
  /** Base URL of the HEC (`https://splunk:8088`); `/services/collector/event` is appended unless present. */
  url: string;
  token: string;
  /** Envelope metadata; unset index = the token's default index. */
  index?: string;
  /** Fixed sourcetype; unset = `vigil:risk` for risk events, `vigil:finding` for findings. */
  sourcetype?: string;
  /** Fixed source; unset = the detection's name (as ES's risk events carry the search name). */
  source?: string;
  /** Envelope host; unset = this machine's hostname. */
  host?: string;
  verifyTls: boolean;
  caFile?: string;
  /** Envelopes per request. */
  batchSize: number;
  timeoutMs: number;
  /** Wait for Splunk's indexer acknowledgement (token with useACK) before calling an item delivered. */
  useAck: boolean;
  ackPollMs: number;
  ackTimeoutMs: number;
}

export interface FileAction extends RetrySettings {
  name: string;
  type: 'file';
  /** Absolute path of the JSONL file. */
  path: string;
}

export type AlertAction = WebhookAction | SplunkHecAction | FileAction;
export type AlertActionType = AlertAction['type'];

export interface SuppressConfig {
  /** Fields of the item whose values make the suppression key (none = one key per action/detection/kind). */
  fields: string[];
  /** Seconds a key stays active once an item was enqueued with it. */
  periodSeconds: number;
}

/** Which actions fire for which detections, on what. */
export interface AlertRoute {
  /** Detection (or incident rule) name or id, or `*` for all. */
  detection: string;
  actions: string[];
  on: AlertKind[];
  suppress?: SuppressConfig;
}

export interface AlertConfig {
  actions: AlertAction[];
  routes: AlertRoute[];
  /** How long a dead letter is kept after its alert was raised (seconds; Infinity: forever). */
  deadLetterRetentionS: number;
}

export const ACTION_DEFAULTS = {
  timeoutMs: 10_000,
  maxAttempts: 10,
  backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 },
  hecBatchSize: 100,
  ackPollMs: 1000,
  ackTimeoutMs: 60_000,
  /** `dead_letter_retention`: 7 days. */
  deadLetterRetentionS: 7 * 86_400,
} as const;

export interface ParseOptions {
  /** Base for relative file paths (the config file's directory); default process.cwd(). */
  baseDir?: string;
  /** Prefix for an error at a path (e.g. `vigil.yml:42: `), so messages can point into the file. */
  at?: (path: Path) => string;
  /** Path of the section in the config file (default `['alert_actions']`). */
  root?: Path;
}

export type Path = (string | number)[];

/**
 * Parses the `alert_actions:` section: `{ actions: [...], routes: [...], dead_letter_retention }`. Either
 * list may be absent. Routes must name configured actions.
 */
export function parseAlertConfig(raw: unknown, opts: ParseOptions = {}): AlertConfig {
  const p = new Parser(opts);
  const root = opts.root ?? ['alert_actions'];
  const m = p.mapping(root, raw, ['actions', 'routes', 'dead_letter_retention']);
  const actions = p.actions([...root, 'actions'], m['actions']);
  const routes = p.routes([...root, 'routes'], m['routes'], actions.map((a) => a.name));
  return { actions, routes, deadLetterRetentionS: p.retention([...root, 'dead_letter_retention'], m['dead_letter_retention']) };
}

/** Parses a list of actions on its own (for a config that keeps them elsewhere). */
export function parseAlertActions(raw: unknown, opts: ParseOptions = {}): AlertAction[] {
  return new Parser(opts).actions(opts.root ?? ['alert_actions', 'actions'], raw);
}

/** Parses a list of routes on its own; `actionNames` are the configured actions they may name. */
export function parseAlertRouting(raw: unknown, actionNames: readonly string[], opts: ParseOptions = {}): AlertRoute[] {
  return new Parser(opts).routes(opts.root ?? ['alert_actions', 'routes'], raw, actionNames);
}

/** Whether a route applies to a detection (by name or id, or `*`). */
export function routeMatches(route: AlertRoute, detection: { id: string; name: string }): boolean {
  return route.detection === '*' || route.detection === detection.id || route.detection === detection.name;
}

// ---------------------------------------------------------------------------------------------------

const ACTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** RFC 9110 token characters, for header names. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, spaces and tabs (no CR/LF: a header value must not smuggle another header). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TOKEN_TEXT = /^[\x21-\x7e]+$/;
/** Headers vigil sets itself: a configured header must not change the delivery contract. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'idempotency-key', 'x-vigil-delivery-attempt', 'transfer-encoding', 'connection']);

const COMMON_KEYS = ['name', 'type', 'maxAttempts', 'backoff'] as const;
const KEYS: Record<AlertActionType, readonly string[]> = {
  webhook: [...COMMON_KEYS, 'url', 'headers', 'timeoutMs', 'insecure', 'caFile'],
  splunk_hec: [...COMMON_KEYS, 'url', 'token', 'index', 'sourcetype', 'source', 'host', 'verifyTls', 'caFile', 'batchSize', 'timeoutMs', 'useAck', 'ackPollMs', 'ackTimeoutMs'],
  file: [...COMMON_KEYS, 'path'],
};

function dotted(path: Path): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

class Parser {
  private readonly baseDir: string;
  private readonly at: (path: Path) => string;

  constructor(opts: ParseOptions) {
    this.baseDir = opts.baseDir ?? process.cwd();
    this.at = opts.at ?? (() => '');
  }

  fail(path: Path, message: string): never {
    throw new VigilError('CONFIG', `${this.at(path)}"${dotted(path)}" ${message}`);
  }

  /** `dead_letter_retention`: a duration of at least an hour, or `forever`; absent: the default. */
  retention(path: Path, value: unknown): number {
    if (value === undefined || value === null) return ACTION_DEFAULTS.deadLetterRetentionS;
    if (value === 'forever') return Infinity;
    const s = parseDuration(value);
    if (s === null || s < 3600) this.fail(path, `must be a duration of at least 1h (like 7d or 720h) or forever, got ${describe(value)}`);
    return s;
  }

  /** A mapping with only known keys (a typo in a delivery setting must not be silently ignored). */
  mapping(path: Path, value: unknown, allowed: readonly string[]): Record<string, unknown> {
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) this.fail(path, `must be a mapping, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const hint = settingHint(allowed, key);
        this.fail([...path, key], `is not a known setting` + (hint ? ` (did you mean "${hint}"?)` : ` (known: ${allowed.join(', ')})`));
      }
    }
    return value;
  }

  list(path: Path, value: unknown): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, `must be a list, got ${describe(value)}`);
    return value;
  }

  str(path: Path, value: unknown, required: true): string;
  str(path: Path, value: unknown, required?: false): string | undefined;
  str(path: Path, value: unknown, required = false): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.fail(path, 'is required');
      return undefined;
    }
    if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
    if (typeof value !== 'string') this.fail(path, `must be a string, got ${describe(value)}`);
    if (value.trim() === '') this.fail(path, 'must not be empty');
    return value;
  }

  bool(path: Path, value: unknown, dflt: boolean): boolean {
    if (value === undefined || value === null) return dflt;
    if (typeof value !== 'boolean') this.fail(path, `must be true or false, got ${describe(value)}`);
    return value;
  }

  num(path: Path, value: unknown, dflt: number, opts: { min: number; max?: number; integer?: boolean; what?: string }): number {
    if (value === undefined || value === null) return dflt;
    const n = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    const ok = typeof n === 'number' && Number.isFinite(n) && n >= opts.min && (opts.max === undefined || n <= opts.max) && (!opts.integer || Number.isInteger(n));
    if (!ok) {
      const range = opts.max === undefined ? `>= ${opts.min}` : `between ${opts.min} and ${opts.max}`;
      this.fail(path, `must be ${opts.integer ? 'an integer' : 'a number'} ${range}${opts.what ? ` (${opts.what})` : ''}, got ${describe(value)}`);
    }
    return n;
  }

  url(path: Path, value: unknown): URL {
    const text = this.str(path, value, true);
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      this.fail(path, `must be an http:// or https:// URL, got ${JSON.stringify(text)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') this.fail(path, `must be an http:// or https:// URL, got ${JSON.stringify(text)}`);
    if (u.username || u.password) this.fail(path, 'must not carry credentials; put them in headers (webhook) or token (splunk_hec)');
    return u;
  }

  retry(path: Path, m: Record<string, unknown>): RetrySettings {
    const d = ACTION_DEFAULTS.backoff;
    const bp = [...path, 'backoff'];
    const b = this.mapping(bp, m['backoff'], ['initialMs', 'maxMs', 'factor', 'jitter']);
    const initialMs = this.num([...bp, 'initialMs'], b['initialMs'], d.initialMs, { min: 0, what: 'milliseconds' });
    const maxMs = this.num([...bp, 'maxMs'], b['maxMs'], Math.max(d.maxMs, initialMs), { min: 0, what: 'milliseconds' });
    if (maxMs < initialMs) this.fail([...bp, 'maxMs'], `(${maxMs}) must not be smaller than initialMs (${initialMs})`);
    return {
      maxAttempts: this.num([...path, 'maxAttempts'], m['maxAttempts'], ACTION_DEFAULTS.maxAttempts, { min: 1, integer: true }),
      backoff: {
        initialMs,
        maxMs,
        factor: this.num([...bp, 'factor'], b['factor'], d.factor, { min: 1 }),
        jitter: this.num([...bp, 'jitter'], b['jitter'], d.jitter, { min: 0, max: 1 }),
      },
    };
  }

  timeout(path: Path, value: unknown): number {
    return this.num(path, value, ACTION_DEFAULTS.timeoutMs, { min: 1, max: MAX_TIMER_MS, integer: true, what: 'milliseconds' });
  }

  actions(path: Path, value: unknown): AlertAction[] {
    const out: AlertAction[] = [];
    this.list(path, value).forEach((entry, i) => {
      const action = this.action([...path, i], entry);
      if (out.some((a) => a.name === action.name)) this.fail([...path, i, 'name'], `repeats the action name "${action.name}"`);
      out.push(action);
    });
    return out;
  }

  action(path: Path, value: unknown): AlertAction {
    if (!isRecord(value)) this.fail(path, `must be a mapping with name and type, got ${describe(value)}`);
    const type = this.str([...path, 'type'], value['type'], true);
    if (!(type in KEYS)) this.fail([...path, 'type'], `must be one of ${Object.keys(KEYS).join(', ')}, got ${JSON.stringify(type)}`);
    const t = type as AlertActionType;
    const m = this.mapping(path, value, KEYS[t]);
    const name = this.str([...path, 'name'], m['name'], true);
    if (!ACTION_NAME.test(name)) this.fail([...path, 'name'], `must be letters, digits, "_", "." or "-", got ${JSON.stringify(name)}`);
    const retry = this.retry(path, m);
    switch (t) {
      case 'webhook': {
        const a: WebhookAction = {
          name,
          type: t,
          url: this.url([...path, 'url'], m['url']).href,
          headers: this.headers([...path, 'headers'], m['headers']),
          timeoutMs: this.timeout([...path, 'timeoutMs'], m['timeoutMs']),
          insecure: this.bool([...path, 'insecure'], m['insecure'], false),
          ...retry,
        };
        const ca = this.str([...path, 'caFile'], m['caFile']);
        if (ca !== undefined) a.caFile = resolve(this.baseDir, ca);
        return a;
      }
      case 'splunk_hec': {
        const u = this.url([...path, 'url'], m['url']);
        // The base URL is the usual way to name a HEC; the endpoint is ours to pick (JSON event protocol).
        if (!/\/services\/collector(\/event(\/1\.0)?)?\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/+$/, '') + '/services/collector/event';
        const token = this.str([...path, 'token'], m['token'], true);
        if (!TOKEN_TEXT.test(token)) this.fail([...path, 'token'], 'must be printable ASCII without spaces');
        const a: SplunkHecAction = {
          name,
          type: t,
          url: u.href,
          token,
          verifyTls: this.bool([...path, 'verifyTls'], m['verifyTls'], true),
          batchSize: this.num([...path, 'batchSize'], m['batchSize'], ACTION_DEFAULTS.hecBatchSize, { min: 1, max: 10_000, integer: true }),
          timeoutMs: this.timeout([...path, 'timeoutMs'], m['timeoutMs']),
          useAck: this.bool([...path, 'useAck'], m['useAck'], false),
          ackPollMs: this.num([...path, 'ackPollMs'], m['ackPollMs'], ACTION_DEFAULTS.ackPollMs, { min: 1, max: MAX_TIMER_MS, integer: true, what: 'milliseconds' }),
          ackTimeoutMs: this.num([...path, 'ackTimeoutMs'], m['ackTimeoutMs'], ACTION_DEFAULTS.ackTimeoutMs, { min: 1, integer: true, what: 'milliseconds' }),
          ...retry,
        };
        const index = this.str([...path, 'index'], m['index']);
        if (index !== undefined) {
          if (!INDEX_NAME.test(index)) this.fail([...path, 'index'], `is not a valid index name (lowercase letters, digits, "_" and "-"), got ${JSON.stringify(index)}`);
          a.index = index;
        }
        for (const key of ['sourcetype', 'source', 'host'] as const) {
          const v = this.str([...path, key], m[key]);
          if (v !== undefined) a[key] = v;
        }
        const ca = this.str([...path, 'caFile'], m['caFile']);
        if (ca !== undefined) a.caFile = resolve(this.baseDir, ca);
        return a;
      }
      case 'file':
        return { name, type: t, path: resolve(this.baseDir, this.str([...path, 'path'], m['path'], true)), ...retry };
    }
  }

  headers(path: Path, value: unknown): Record<string, string> {
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) this.fail(path, `must be a mapping of header names to values, got ${describe(value)}`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!HEADER_NAME.test(k)) this.fail([...path, k], 'is not a valid HTTP header name');
      if (RESERVED_HEADERS.has(k.toLowerCase())) this.fail([...path, k], 'is set by vigil and cannot be configured');
      const text = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
      if (typeof text !== 'string') this.fail([...path, k], `must be a string, got ${describe(v)}`);
      if (!HEADER_VALUE.test(text)) this.fail([...path, k], 'must not contain line breaks or control characters');
      out[k] = text;
    }
    return out;
  }

  routes(path: Path, value: unknown, actionNames: readonly string[]): AlertRoute[] {
    return this.list(path, value).map((entry, i) => this.route([...path, i], entry, actionNames));
  }

  route(path: Path, value: unknown, actionNames: readonly string[]): AlertRoute {
    if (!isRecord(value)) this.fail(path, `must be a mapping with detection and actions, got ${describe(value)}`);
    const m = this.mapping(path, value, ['detection', 'actions', 'on', 'suppress']);
    const detection = this.str([...path, 'detection'], m['detection'], true);
    const ap = [...path, 'actions'];
    const rawActions = typeof m['actions'] === 'string' ? [m['actions']] : this.list(ap, m['actions']);
    if (rawActions.length === 0) this.fail(ap, 'must name at least one action');
    const actions = rawActions.map((a, j) => {
      const name = this.str([...ap, j], a, true);
      if (!actionNames.includes(name)) {
        this.fail([...ap, j], `names an unknown action "${name}"` + (actionNames.length ? ` (configured: ${actionNames.join(', ')})` : ' (no actions are configured)'));
      }
      return name;
    });
    // Default: whatever the detection produces (risk events for detections, findings for incident rules),
    // as an ES alert action fires on every result of its search.
    let on: AlertKind[] = [...ALERT_KINDS];
    if (m['on'] !== undefined && m['on'] !== null) {
      const op = [...path, 'on'];
      const raw = typeof m['on'] === 'string' ? [m['on']] : this.list(op, m['on']);
      if (raw.length === 0) this.fail(op, 'must list risk_event and/or finding');
      on = raw.map((k, j) => {
        const kind = this.str([...op, j], k, true);
        if (!(ALERT_KINDS as readonly string[]).includes(kind)) this.fail([...op, j], `must be risk_event or finding, got ${JSON.stringify(kind)}`);
        return kind as AlertKind;
      });
      on = [...new Set(on)];
    }
    const route: AlertRoute = { detection, actions: [...new Set(actions)], on };
    if (m['suppress'] !== undefined && m['suppress'] !== null) route.suppress = this.suppress([...path, 'suppress'], m['suppress']);
    return route;
  }

  suppress(path: Path, value: unknown): SuppressConfig {
    const m = this.mapping(path, value, ['fields', 'period']);
    const fp = [...path, 'fields'];
    const rawFields = typeof m['fields'] === 'string' ? m['fields'].split(',').map((s) => s.trim()) : this.list(fp, m['fields']);
    const fields = rawFields.map((f, j) => this.str([...fp, j], f, true));
    const pp = [...path, 'period'];
    if (m['period'] === undefined || m['period'] === null) this.fail(pp, 'is required (a duration like 1h, 30m or 86400)');
    const periodSeconds = parseDuration(m['period']);
    if (periodSeconds === null || periodSeconds <= 0) this.fail(pp, `must be a positive duration like 1h, 30m or 86400 (seconds), got ${describe(m['period'])}`);
    return { fields: [...new Set(fields)], periodSeconds };
  }
}
