/**
 * `splunk_hec`: forwards alerts into a real Splunk through its HTTP Event Collector (JSON event protocol,
 * `/services/collector/event`), envelopes back to back, `batchSize` per request. Splunk's reply codes:
 * 0 delivered (with `useAck`, only once /ack says so); 8 (500), 9 and 18-20 (503), 408/429/5xx and no
 * reply retried; other codes (400/401/403: bad token, index, format) permanent. HEC has no idempotency
 * key, so a redelivery is a duplicate event: each carries `vigil_id` (indexed field) for `dedup vigil_id`.
 */
import { randomUUID } from 'node:crypto';
import type { OutboxItem } from '../store/types.js';
import type { SplunkHecAction } from './actions.js';
import { HttpClient, HttpFailure, parseJsonReply, parseRetryAfter, snippet, type HttpReply } from './http.js';
import { alertBody, type AlertBody } from './payload.js';
import { repeatOutcome, type DeliveryContext, type DeliveryOutcome, type Transport } from './transport.js';

/** HEC codes meaning "busy / unhealthy, come back later" (the rest of the 4xx codes are about the request). */
const RETRY_CODES = new Set([8, 9, 18, 19, 20]);

export interface HecEnvelope {
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  index?: string;
  event: Record<string, unknown>;
  fields: { vigil_id: string; vigil_kind: string; vigil_detection_id: string };
}

export const DEFAULT_SOURCETYPE: Record<AlertBody['kind'], string> = { risk_event: 'vigil:risk', finding: 'vigil:finding' };

export class SplunkHecTransport implements Transport {
  readonly batchSize: number;
  private readonly client: HttpClient;
  private readonly url: URL;
  private readonly ackUrl: URL;
  /** Splunk requires a channel (GUID) for useACK tokens; harmless otherwise. */
  private readonly channel = randomUUID();

  constructor(
    private readonly action: SplunkHecAction,
    private readonly hostname: string,
  ) {
    this.batchSize = action.batchSize;
    this.url = new URL(action.url);
    this.ackUrl = new URL(this.url.href);
    this.ackUrl.pathname = this.url.pathname.replace(/\/services\/collector(\/.*)?$/, '/services/collector/ack');
    this.ackUrl.search = '';
    this.client = new HttpClient(this.url, { verifyTls: action.verifyTls, ...(action.caFile ? { caFile: action.caFile } : {}) });
  }

  envelope(body: AlertBody): HecEnvelope {
    const a = this.action;
    const { _time: _ignored, ...event } = body.data;
    const env: HecEnvelope = {
      time: Math.round(body.time * 1000) / 1000,
      host: a.host ?? this.hostname,
      source: a.source ?? body.detection.name,
      sourcetype: a.sourcetype ?? DEFAULT_SOURCETYPE[body.kind],
      event,
      fields: { vigil_id: body.idempotency_key, vigil_kind: body.kind, vigil_detection_id: body.detection.id },
    };
    if (a.index !== undefined) env.index = a.index;
    return env;
  }

  async deliver(items: readonly OutboxItem[], ctx: DeliveryContext): Promise<DeliveryOutcome[]> {
    const outcomes: (DeliveryOutcome | null)[] = items.map(() => null);
    const sendable: number[] = [];
    const lines: string[] = [];
    items.forEach((item, i) => {
      try {
        lines.push(JSON.stringify(this.envelope(alertBody(item))));
        sendable.push(i);
      } catch (e) {
        outcomes[i] = { status: 'permanent', error: (e as Error).message };
      }
    });
    if (sendable.length > 0) {
      const sent = await this.send(lines.join('\n'), sendable.length, ctx);
      sendable.forEach((itemIndex, k) => (outcomes[itemIndex] = sent[k]!));
    }
    return outcomes as DeliveryOutcome[];
  }

  private headers(): Record<string, string> {
    return { Authorization: `Splunk ${this.action.token}`, 'Content-Type': 'application/json', 'X-Splunk-Request-Channel': this.channel, 'User-Agent': 'vigil-alerts/1' };
  }

  private async send(body: string, n: number, ctx: DeliveryContext): Promise<DeliveryOutcome[]> {
    let reply: HttpReply;
    try {
      reply = await this.client.post(this.url, body, { headers: this.headers(), timeoutMs: this.action.timeoutMs, signal: ctx.signal });
    } catch (e) {
      return repeatOutcome(n, { status: 'retry', error: e instanceof HttpFailure ? e.message : String(e) });
    }
    const r = classifyHecReply(reply, n, ctx.now());
    if (r.ackId === undefined || !this.action.useAck) return r.outcomes;
    return repeatOutcome(n, await this.awaitAck(r.ackId, ctx));
  }

  /** Polls /ack until Splunk says the batch is indexed; unconfirmed within ackTimeoutMs = retry (a possible duplicate). */
  private async awaitAck(ackId: number, ctx: DeliveryContext): Promise<DeliveryOutcome> {
    const deadline = Date.now() + this.action.ackTimeoutMs;
    let lastError = 'not acknowledged';
    while (Date.now() < deadline) {
      await sleep(this.action.ackPollMs, ctx.signal);
      if (ctx.signal.aborted) return { status: 'retry', error: 'aborted while waiting for the indexer acknowledgement' };
      try {
        const reply = await this.client.post(this.ackUrl, JSON.stringify({ acks: [ackId] }), { headers: this.headers(), timeoutMs: this.action.timeoutMs, signal: ctx.signal });
        const parsed = parseJsonReply(reply.body) as { acks?: Record<string, unknown> } | null;
        if (reply.status === 200 && parsed?.acks?.[String(ackId)] === true) return { status: 'delivered' };
        if (reply.status !== 200) lastError = `ack query: HTTP ${reply.status}: ${snippet(reply.body)}`;
      } catch (e) {
        lastError = `ack query: ${(e as Error).message}`;
      }
    }
    return { status: 'retry', error: `batch ackId ${ackId} not acknowledged within ${this.action.ackTimeoutMs} ms (${lastError})` };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/**
 * Outcomes for a batch of `n` envelopes from a HEC reply. With `invalid-event-number` i the culprit is
 * refused for good and the others retried (Splunk may or may not have indexed those before it: at-least-once).
 */
export function classifyHecReply(reply: HttpReply, n: number, nowSeconds: number): { outcomes: DeliveryOutcome[]; ackId?: number } {
  const parsed = parseJsonReply(reply.body) as { code?: unknown; text?: unknown; ackId?: unknown; 'invalid-event-number'?: unknown } | null;
  const code = typeof parsed?.code === 'number' ? parsed.code : null;
  const text = snippet(typeof parsed?.text === 'string' ? parsed.text : reply.body);
  const error = `HEC HTTP ${reply.status}${code !== null ? ` code ${code}` : ''}: ${text}`;
  const all = (o: DeliveryOutcome): DeliveryOutcome[] => repeatOutcome(n, o);
  if (reply.status >= 200 && reply.status < 300 && (code === null || code === 0)) {
    return typeof parsed?.ackId === 'number' ? { outcomes: all({ status: 'delivered' }), ackId: parsed.ackId } : { outcomes: all({ status: 'delivered' }) };
  }
  if ((code !== null && RETRY_CODES.has(code)) || reply.status === 408 || reply.status === 429 || reply.status >= 500) {
    const retryAfterMs = parseRetryAfter(reply.headers['retry-after'], nowSeconds);
    return { outcomes: all(retryAfterMs === undefined ? { status: 'retry', error } : { status: 'retry', error, retryAfterMs }) };
  }
  const bad = parsed?.['invalid-event-number'];
  if (typeof bad === 'number' && Number.isInteger(bad) && bad >= 0 && bad < n && n > 1) {
    return {
      outcomes: Array.from({ length: n }, (_, i): DeliveryOutcome => (i === bad ? { status: 'permanent', error } : { status: 'retry', error: `another event of the batch was refused (${error})` })),
    };
  }
  return { outcomes: all({ status: 'permanent', error }) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
