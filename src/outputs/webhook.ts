/**
 * `webhook`: one POST per item, body = `AlertBody` JSON, `Idempotency-Key: <outbox id>` and
 * `X-Vigil-Delivery-Attempt: <n>`. 2xx delivered; 408/425/429/5xx and no reply retried; other statuses
 * (4xx, and 3xx since redirects are not followed) permanent.
 */
import type { OutboxItem } from '../store/types.js';
import type { WebhookAction } from './actions.js';
import { HttpClient, HttpFailure, parseRetryAfter, snippet, type HttpReply } from './http.js';
import { alertBody } from './payload.js';
import type { DeliveryContext, DeliveryOutcome, Transport } from './transport.js';

const USER_AGENT = 'vigil-alerts/1';

export class WebhookTransport implements Transport {
  readonly batchSize = 1;
  private readonly client: HttpClient;
  private readonly url: URL;

  constructor(private readonly action: WebhookAction) {
    this.url = new URL(action.url);
    this.client = new HttpClient(this.url, { verifyTls: !action.insecure, ...(action.caFile ? { caFile: action.caFile } : {}) });
  }

  async deliver(items: readonly OutboxItem[], ctx: DeliveryContext): Promise<DeliveryOutcome[]> {
    const out: DeliveryOutcome[] = [];
    for (const item of items) out.push(await this.deliverOne(item, ctx));
    return out;
  }

  private async deliverOne(item: OutboxItem, ctx: DeliveryContext): Promise<DeliveryOutcome> {
    let body: string;
    try {
      body = JSON.stringify(alertBody(item));
    } catch (e) {
      return { status: 'permanent', error: (e as Error).message };
    }
    let reply: HttpReply;
    try {
      reply = await this.client.post(this.url, body, {
        headers: {
          ...this.action.headers,
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          'Idempotency-Key': item.id,
          'X-Vigil-Delivery-Attempt': String(item.attempts + 1),
        },
        timeoutMs: this.action.timeoutMs,
        signal: ctx.signal,
      });
    } catch (e) {
      return { status: 'retry', error: e instanceof HttpFailure ? e.message : String(e) };
    }
    return classifyWebhookReply(reply, ctx.now());
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

export function classifyWebhookReply(reply: HttpReply, nowSeconds: number): DeliveryOutcome {
  const { status } = reply;
  if (status >= 200 && status < 300) return { status: 'delivered' };
  const error = `HTTP ${status}${reply.body ? `: ${snippet(reply.body)}` : ''}`;
  // 408/425/429 and 5xx are the receiver saying "not now"; anything else is about the request itself.
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(reply.headers['retry-after'], nowSeconds);
    return retryAfterMs === undefined ? { status: 'retry', error } : { status: 'retry', error, retryAfterMs };
  }
  if (status >= 300 && status < 400) return { status: 'permanent', error: `${error} (redirects are not followed; fix the url)` };
  return { status: 'permanent', error };
}
