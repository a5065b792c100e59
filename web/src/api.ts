import type { ApiErrorBody, SearchLine, SessionInfo } from '../../src/web/api-types.js';
import { resendOnStaleCsrf } from './resend.js';

/** The session's CSRF token, sent in X-CSRF-Token on every change. */
let csrf: string | null = null;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

/**
 * The code of the error a request gets when vigil serve does not answer at all (stopped, restarting, the network
 * down): fetch's own "Failed to fetch" said nothing of what to do. Pages loading data try again every `RETRY_MS`.
 */
export const UNREACHABLE = 'UNREACHABLE';
export const RETRY_MS = 5000;

function unreachable(): ApiError {
  return new ApiError(0, { code: UNREACHABLE, message: 'vigil serve did not answer: it is stopped, restarting or out of reach.' });
}

/** fetch, its network failure (not an abort) an UNREACHABLE ApiError. */
async function reach(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (e) {
    if (init.signal?.aborted) throw e;
    throw unreachable();
  }
}

/** Fired when the server says the session is gone: the app shows the login form. */
export const LOGGED_OUT = 'vigil:logged-out';

function headers(method: string, json: boolean): Headers {
  const h = new Headers({ Accept: 'application/json' });
  if (json) h.set('Content-Type', 'application/json');
  if (method !== 'GET' && csrf) h.set('X-CSRF-Token', csrf);
  return h;
}

async function failure(res: Response): Promise<ApiError> {
  let body: ApiErrorBody = { code: `HTTP_${res.status}`, message: res.statusText || `HTTP ${res.status}` };
  try {
    const j = (await res.json()) as { error?: ApiErrorBody };
    if (j.error) body = j.error;
  } catch {
    // not JSON
  }
  if (res.status === 401) window.dispatchEvent(new Event(LOGGED_OUT));
  return new ApiError(res.status, body);
}

/** Sends a request (once more when a login in another tab made its CSRF token stale: resend.ts). */
function send(path: string, method: string, body: string | undefined, json: boolean, signal: AbortSignal | undefined): Promise<Response> {
  const go = () =>
    reach(path, { method, headers: headers(method, json), credentials: 'same-origin', ...(body !== undefined ? { body } : {}), ...(signal ? { signal } : {}) });
  return resendOnStaleCsrf(method, go, async () => (await currentSession()) !== null);
}

export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const res = await send(path, method, init.body !== undefined ? JSON.stringify(init.body) : undefined, init.body !== undefined, init.signal);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function currentSession(): Promise<SessionInfo | null> {
  const res = await reach('/api/session', { credentials: 'same-origin' });
  if (!res.ok) return null;
  const s = (await res.json()) as SessionInfo;
  csrf = s.csrf;
  return s;
}

export async function login(body: { username: string; password: string } | { token: string }): Promise<SessionInfo> {
  const s = await api<SessionInfo>('/api/login', { method: 'POST', body });
  csrf = s.csrf;
  return s;
}

export async function logout(): Promise<void> {
  try {
    await api('/api/logout', { method: 'POST' });
  } finally {
    csrf = null;
  }
}

/** POST /api/search, yielding its NDJSON lines as they arrive. A 400 (syntax error) throws ApiError. */
export async function* searchStream(body: Record<string, unknown>, signal: AbortSignal): AsyncGenerator<SearchLine> {
  const res = await send('/api/search', 'POST', JSON.stringify(body), true, signal);
  if (!res.ok || !res.body) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    let chunk: ReadableStreamReadResult<string>;
    try {
      chunk = await reader.read();
    } catch (e) {
      // The server went away mid-stream (stopped, restarted): said as such, not as "network error".
      if (signal.aborted) throw e;
      throw unreachable();
    }
    const { value, done } = chunk;
    if (done) break;
    rest += value;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.trim()) yield JSON.parse(line) as SearchLine;
    }
  }
  if (rest.trim()) yield JSON.parse(rest) as SearchLine;
}
