import type { ClientRequest, IncomingMessage } from 'node:http';
import { VigilError, type ErrorCode } from '../errors.js';

/** Where a running `vigil serve` answers and how to authenticate. */
export interface ServerApi {
  url: string;
  token: string;
  /** PEM of the server's own certificate (`http.tls.cert`), trusted besides the system CAs. */
  cert?: Buffer;
}

/** Codes the server reports that mean the same as locally (so the exit code is the same too). */
const PASSED_ON = new Set<ErrorCode>(['USAGE', 'TIME_MODIFIER', 'CONTENT_NOT_FOUND', 'BACKFILL_LIMIT', 'BACKFILL_BUSY']);

/**
 * POSTs `body` as JSON and hands each line of the NDJSON reply to `onLine` as it arrives (node:http, so a
 * long stream has no client-side body timeout: the server sends a line at least every 10 s). An error
 * reply becomes the server's VigilError when the code means the same here, else `SERVER_API`.
 */
export function postNdjson(api: ServerApi, path: string, body: unknown, onLine: (line: unknown) => void): Promise<void> {
  return exchange(api, 'POST', path, body, (res, req, resolve, reject) => {
    let text = '';
    let failed = false;
    res.on('data', (c: string) => {
      text += c;
      let nl: number;
      while (!failed && (nl = text.indexOf('\n')) >= 0) {
        const line = text.slice(0, nl);
        text = text.slice(nl + 1);
        if (!line.trim()) continue;
        try {
          onLine(JSON.parse(line));
        } catch (e) {
          failed = true;
          req.destroy();
          reject(e instanceof VigilError ? e : new VigilError('SERVER_API', `vigil serve sent a line that is not JSON: ${line.slice(0, 200)}`));
        }
      }
    });
    res.on('end', () => resolve());
  });
}

/** More than any JSON reply of the API a command asks for (a finding's detail with its risk events). */
const MAX_JSON_REPLY_CHARS = 16 * 1024 * 1024;

/**
 * One JSON request (`body` undefined: none) and its JSON reply; null for a 404 (the caller names what is
 * missing). Other error replies as postNdjson's.
 */
export function requestJson(api: ServerApi, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<unknown> {
  return exchange(
    api,
    method,
    path,
    body,
    (res, req, resolve, reject) => {
      let text = '';
      res.on('data', (c: string) => {
        text += c;
        if (text.length > MAX_JSON_REPLY_CHARS) {
          req.destroy();
          reject(new VigilError('SERVER_API', `vigil serve sent a reply of more than ${MAX_JSON_REPLY_CHARS} characters to ${method} ${path}`));
        }
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new VigilError('SERVER_API', `vigil serve sent a reply that is not JSON: ${text.slice(0, 200)}`));
        }
      });
    },
    true,
  );
}

/**
 * The HTTP exchange both share: the request, the server's certificate trusted, an unreachable server and a reply
 * cut short as `SERVER_API`, an error status as `replyError`; `handle` reads a successful reply.
 * node:http/https/tls are loaded here, not when the module is: every command's definition imports this file,
 * and they (with the node:crypto that tls loads) were ~15 ms of every `vigil --help`.
 */
async function exchange<T>(
  api: ServerApi,
  method: string,
  path: string,
  body: unknown,
  handle: (res: IncomingMessage, req: ClientRequest, resolve: (v: T) => void, reject: (e: unknown) => void) => void,
  notFoundIsNull = false,
): Promise<T> {
  const url = new URL(path, api.url);
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  const https = url.protocol === 'https:';
  const { request } = https ? await import('node:https') : await import('node:http');
  const ca = https && api.cert ? [...(await import('node:tls')).rootCertificates, api.cert.toString('utf8')] : null;
  return new Promise<T>((resolve, reject) => {
    const unreachable = (e: Error) =>
      reject(new VigilError('SERVER_API', `cannot reach vigil serve at ${api.url}: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { cause: e }));
    const headers: Record<string, string | number> = { Authorization: `Bearer ${api.token}` };
    if (payload) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': payload.length });
    const req = request(url, { method, headers, ...(ca !== null ? { ca } : {}) }, (res) => {
      res.setEncoding('utf8');
      res.on('error', unreachable);
      // The connection ended before the reply did (the server stopped or died).
      res.on('close', () => {
        if (!res.complete) reject(new VigilError('SERVER_API', `the connection to vigil serve at ${api.url} ended before its reply did`));
      });
      if (notFoundIsNull && res.statusCode === 404) {
        res.resume();
        res.on('end', () => resolve(null as T));
        return;
      }
      if ((res.statusCode ?? 0) >= 300) {
        let text = '';
        // At most 64 KiB in all (an error reply is a line of JSON): a slice per chunk let a long reply grow without end.
        res.on('data', (c: string) => {
          if (text.length < 64 * 1024) text += c.slice(0, 64 * 1024 - text.length);
        });
        res.on('end', () => reject(replyError(res.statusCode ?? 0, text)));
        return;
      }
      handle(res, req, resolve, reject);
    });
    req.on('error', unreachable);
    req.end(payload ?? undefined);
  });
}

/** Whether `e` is postNdjson finding nothing listening at the URL (the request never reached a server). */
export function connectionRefused(e: unknown): boolean {
  return e instanceof VigilError && e.code === 'SERVER_API' && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
}

function replyError(status: number, text: string): VigilError {
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
  } catch {
    // Not the API's error JSON (a proxy's page): reported with the status below.
  }
  const message = typeof error?.message === 'string' ? error.message : text.slice(0, 300);
  if (status === 401) return new VigilError('SERVER_API', `vigil serve refused the API token (${message}); pass --api-token or set VIGIL_API_TOKEN`);
  const code = typeof error?.code === 'string' && PASSED_ON.has(error.code as ErrorCode) ? (error.code as ErrorCode) : null;
  return code ? new VigilError(code, message) : new VigilError('SERVER_API', `vigil serve answered ${status}: ${message}`);
}
