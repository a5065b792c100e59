import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Row, type Result } from '../events/result.js';
import type { FieldValue } from '../events/value.js';
import { VigilError } from '../errors.js';
import { lines, replay } from '../replay/replay.js';
import { lineTime } from '../replay/shift.js';
import { expandMacros } from '../spl/macros/macros.js';
import type { ContentPack } from '../detections/content.js';
import { resolveAttackData } from '../detections/datasets.js';
import type { Detection, DetectionTest } from '../detections/detection.js';
import { forEachTest, judgeResults, skipReason, startOutcome, testHost, type TestOutcome } from './testing.js';

export interface LiveTestOptions {
  datasetsDirs: readonly string[];
  /** HEC base URL and token (a token without an `indexes` allow-list: each test writes to an index of its own). */
  hecUrl: string;
  hecToken: string;
  /** vigil's API base URL and token (creating and deleting the test's index, searching). */
  apiUrl: string;
  apiToken: string;
  verifyTls: boolean;
  onOutcome?: (o: TestOutcome) => void;
}

/**
 * contentctl's flow against a running vigil: each test's data is replayed over HEC `/raw` with a channel
 * into a fresh index created through the API (HEC refuses an index that does not exist, as Splunk does),
 * waiting for the ack when the token uses acknowledgement; the detection runs through the search API over
 * that index and the data's time span, the same pass conditions apply as offline, and the test index is
 * deleted afterwards.
 */
export async function runLiveTests(pack: ContentPack, detections: readonly Detection[], opts: LiveTestOptions): Promise<TestOutcome[]> {
  return forEachTest(detections, opts.onOutcome, (d, t) => runOneLive(pack, d, t, opts));
}

async function runOneLive(pack: ContentPack, d: Detection, t: DetectionTest, opts: LiveTestOptions): Promise<TestOutcome> {
  const { outcome, finish } = startOutcome(d, t);
  const skip = skipReason(d, t);
  if (skip !== null) return finish('skip', skip);
  const index = `vigil_test_${randomBytes(4).toString('hex')}`;
  try {
    const created = await apiCall(opts, 'POST', '/api/indexes', { name: index });
    if (created.status !== 201) return finish('error', `cannot create the test index ${index}: the API answered ${created.status}: ${created.text.slice(0, 300)}`);
    let earliest = Infinity;
    let latest = -Infinity;
    for (const a of t.attackData) {
      const file = resolveAttackData(a.data, opts.datasetsDirs, d.file);
      // Read as the replay sends it (a .gz inflated): readline over the raw bytes found no time in a gzipped dataset.
      for await (const line of lines(file, () => {})) {
        const tm = lineTime(line);
        if (tm !== null) {
          earliest = Math.min(earliest, tm);
          latest = Math.max(latest, tm);
        }
      }
      const sent = await replay([{ path: file, source: a.source, sourcetype: a.sourcetype, host: testHost(a), index }], {
        url: opts.hecUrl,
        token: opts.hecToken,
        endpoint: 'raw',
        ack: 'when-enabled',
        verifyTls: opts.verifyTls,
      });
      outcome.events += sent.eventsSent;
      if (sent.eventsFailed || sent.errors.length) return finish('error', `replay of ${basename(file)} failed: ${sent.errors[0] ?? `${sent.eventsFailed} events rejected`}`);
    }
    if (!Number.isFinite(earliest)) return finish('fail', 'no timestamped events in the test data');
    const results = await apiSearch(opts, expandMacros(d.search, pack.macros).text, { earliest, latest: latest + 1e-6, now: latest, indexes: [index] });
    outcome.results = results.length;
    const problems = judgeResults(d, t, results, latest);
    return problems.length ? finish('fail', problems.join('; ')) : finish('pass');
  } catch (e) {
    return finish('error', (e as Error).message);
  } finally {
    await apiCall(opts, 'DELETE', `/api/indexes/${index}`).catch(() => undefined);
  }
}

function apiCall(opts: LiveTestOptions, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const url = new URL(path, opts.apiUrl);
  const https = url.protocol === 'https:';
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      {
        method,
        agent: https ? new HttpsAgent({ rejectUnauthorized: opts.verifyTls }) : new HttpAgent(),
        headers: { Authorization: `Bearer ${opts.apiToken}`, ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        // An answer cut off (the server stopped or restarted mid-search) left this promise unsettled: the event loop
        // emptied and `vigil test --url` exited 0 with no report.
        const cut = (): void =>
          reject(new VigilError('SERVER_API', `the vigil API at ${opts.apiUrl} closed the connection before its answer to ${method} ${path} was complete`));
        res.on('error', cut);
        res.on('close', () => {
          if (!res.complete) cut();
        });
      },
    );
    // The API is not on the HEC's port: a refused connection most often means --api-url was not given.
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(new VigilError('SERVER_API', `cannot reach the vigil API at ${opts.apiUrl} (--api-url): ${e.code ?? e.message}`, { cause: e })),
    );
    req.end(payload);
  });
}

async function apiSearch(opts: LiveTestOptions, search: string, range: { earliest: number; latest: number; now: number; indexes: string[] }): Promise<Result[]> {
  const r = await apiCall(opts, 'POST', '/api/search', { search, ...range, progressMs: 0 });
  if (r.status !== 200) throw new VigilError('SPL_RUNTIME', `search API answered ${r.status}: ${r.text.slice(0, 300)}`);
  const rows: Result[] = [];
  for (const line of r.text.split('\n')) {
    if (!line.trim()) continue;
    const msg = JSON.parse(line) as { result?: Record<string, FieldValue>; error?: { message: string; text?: string } };
    if (msg.error) throw new VigilError('SPL_RUNTIME', msg.error.text ?? msg.error.message);
    if (msg.result) rows.push(new Row(msg.result));
  }
  return rows;
}
