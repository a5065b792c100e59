import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import type { ApiEnv } from './context.js';

/** The built console (`npm run build` writes it), next to dist/ in the package. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Everything the console loads comes from this server: no CDN, no web fonts (system fonts), no inline
 * scripts, no inline styles (markup injected by data could otherwise restyle the page, or read attributes out
 * through CSS selectors and url()). The styles React and the charting library set from script go through the
 * CSSOM (`element.style`), which the policy does not govern (e2e: no page reports a violation).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(c: Context): void {
  c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>vigil</title>
<body><h1>vigil</h1>
<p>The console is not built. Run <code>npm run build</code> (or <code>npm ci</code>) in the vigil checkout, then reload.</p>
<p>The HTTP API works without it: see docs/api.md.</p></body></html>`;

const NO_FILE = { error: { code: 'NOT_FOUND', message: 'no such file' } };

/**
 * Serves the single-page console: files under `dir` (hashed assets cached for a year), and index.html for
 * every other path that is not an API or HEC path, so deep links (`/findings/abc`) load the app.
 */
export function staticRoutes(app: Hono<ApiEnv>, dir: string | null): void {
  const root = dir && existsSync(join(dir, 'index.html')) ? dir : null;
  // Replies send these bytes as they are, never a copy: a client that does not read holds only a reference.
  const cache = new Map<string, Uint8Array<ArrayBuffer>>();
  const read = (file: string): Uint8Array<ArrayBuffer> | null => {
    const hit = cache.get(file);
    if (hit) return hit;
    try {
      if (!statSync(file).isFile()) return null;
    } catch {
      return null;
    }
    const b = new Uint8Array(readFileSync(file));
    if (cache.size < 500) cache.set(file, b);
    return b;
  };

  app.get('*', (c) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(c.req.url).pathname);
    } catch {
      // JSON, as every error of this port (docs/api.md "Errors"): these were bare text.
      return c.json({ error: { code: 'USAGE', message: 'the path is not valid percent-encoding' } }, 400);
    }
    if (path.startsWith('/api/') || path === '/api' || path.startsWith('/services/')) return c.json({ error: { code: 'NOT_FOUND', message: 'no such endpoint' } }, 404);
    securityHeaders(c);
    if (!root) return c.html(NOT_BUILT, 200);
    const rel = normalize(path).replace(/^([/\\])+/, '');
    // A NUL names no file (and no route of the app): not the console's page.
    if (rel.includes('\0')) return c.json(NO_FILE, 404);
    const file = join(root, rel);
    if (rel && (file === root || file.startsWith(root + sep))) {
      const body = extname(file) ? read(file) : null;
      if (body) {
        c.header('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        c.header('Cache-Control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        return c.body(body);
      }
      // A missing file is a 404 where files are (assets/, the top level); deeper paths are the app's routes, whose
      // last part may hold a dot: /risk/ip-10-0-0-1.ec2.internal, /risk/10.0.0.1 (a reload of those was a 404).
      if (extname(file) && (/^assets[/\\]/.test(rel) || !/[/\\]/.test(rel))) return c.json(NO_FILE, 404);
    }
    const index = read(join(root, 'index.html'));
    c.header('Cache-Control', 'no-cache');
    return c.html(index ? Buffer.from(index.buffer, index.byteOffset, index.byteLength).toString('utf8') : NOT_BUILT);
  });
}
