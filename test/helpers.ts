import { request } from 'node:http';
import { join } from 'node:path';
import type { Event } from '../src/events/event.js';
import type { EventSource, ScanRequest } from '../src/events/scan.js';
import { compileRawFilter, metadataPredicate } from '../src/events/scan.js';
import { toText, valuesOf } from '../src/events/value.js';
import type { Result } from '../src/events/result.js';
import { runSearch, type SearchOptions } from '../src/spl/index.js';
import { MacroLibrary } from '../src/spl/macros/macros.js';

/** The repository's root (this file is in its test/ folder). */
export const REPO_ROOT = join(import.meta.dirname, '..');
/**
 * The 1,613 real ESCU searches and their macros (splunk/security_content, 2024-10): reference data kept
 * beside the repository in ../shared, not copied into it. Tests that census it skip when it is absent.
 */
export const ESCU_CORPUS_DIR = join(REPO_ROOT, '..', 'shared', 'reference', 'escu-2024-10');

/** An in-memory event source (file order, like files: not newest first) that honours pushdowns. */
export function memorySource(events: Partial<Event>[], newestFirst = false): EventSource & { lastRequest: ScanRequest | null } {
  const full: Event[] = events.map((e, i) => ({
    _time: e._time ?? 1_700_000_000 + i,
    index: e.index ?? 'main',
    sourcetype: e.sourcetype ?? 'json',
    source: e.source ?? 'memory',
    host: e.host ?? 'test-host',
    _raw: e._raw ?? '{}',
    ...(e.fields !== undefined ? { fields: e.fields } : {}),
  }));
  const src = {
    newestFirst,
    lastRequest: null as ScanRequest | null,
    async *scan(req: ScanRequest) {
      src.lastRequest = req;
      const raw = compileRawFilter(req.raw);
      const meta = metadataPredicate(req);
      // An event with indexed fields passes the raw-text prefilter: their values are not in `_raw` (events/scan.ts).
      yield full.filter((e) => (!raw || e.fields !== undefined || raw(e._raw)) && meta(e) && (req.earliest === null || e._time >= req.earliest) && (req.latest === null || e._time < req.latest));
    },
  };
  return src;
}

/** JSON events: each object becomes an event whose _raw is its JSON text. */
export function jsonEvents(objs: Record<string, unknown>[], base = 1_700_000_000): Partial<Event>[] {
  return objs.map((o, i) => ({ _time: base + i, _raw: JSON.stringify(o), sourcetype: 'json' }));
}

/** Result rows as plain text objects (multivalues as arrays), for comparisons. */
export function rowsText(rows: readonly Result[], fields?: readonly string[]): Record<string, string | string[]>[] {
  return rows.map((r) => {
    const out: Record<string, string | string[]> = {};
    for (const f of fields ?? r.fieldNames()) {
      const vs = valuesOf(r.get(f)).map(toText);
      if (vs.length) out[f] = vs.length === 1 ? vs[0]! : vs;
    }
    return out;
  });
}

/** Rows as JSON texts, field names sorted (field order is not compared, values are): sortable, comparable rows. */
export function canonicalRows(rows: readonly Result[]): string[] {
  return rows.map((r) => JSON.stringify(rowsText([r], [...r.fieldNames()].sort())[0]));
}

export async function search(spl: string, events: Partial<Event>[] = [], opts: SearchOptions = {}): Promise<Result[]> {
  const { results } = await runSearch(spl, { now: 1_700_000_000, source: memorySource(events), macros: new MacroLibrary(), ...opts });
  return results;
}

/** A HEC request's answer: its status and JSON body (0 and null when the connection failed or the body is not JSON). */
export interface HecReply {
  status: number;
  json: Record<string, unknown> | null;
}

/**
 * POSTs `body` to a HEC endpoint as a Splunk client does (`Authorization: Splunk <token>`, a request channel).
 * Never rejects: a refused, reset or (after 20 s) timed-out request answers status 0, as a killed server does.
 */
export function hecPost(url: string, path: string, token: string, channel: string, body: string): Promise<HecReply> {
  return new Promise((resolve) => {
    const req = request(
      new URL(path, url),
      { method: 'POST', headers: { Authorization: `Splunk ${token}`, 'X-Splunk-Request-Channel': channel }, timeout: 20_000 },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let json: Record<string, unknown> | null;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = null;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', () => resolve({ status: 0, json: null }));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, json: null }));
    req.end(body);
  });
}
