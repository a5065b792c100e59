/**
 * The contract between the dispatcher and an action type. A transport only sends and classifies; the
 * dispatcher owns attempts, backoff, dead-lettering and the outbox. To add an action type: add its config
 * to actions.ts, implement `Transport`, and map the type in dispatcher.ts's `createTransport` (see CONTEXT.md).
 */
import type { OutboxItem } from '../store/types.js';

export type DeliveryOutcome =
  /** The receiver confirmed it (2xx, HEC code 0 [+ ack], fsync done): the item may leave the outbox. */
  | { status: 'delivered' }
  /** Not confirmed; try again later. `retryAfterMs` when the receiver said when (Retry-After). */
  | { status: 'retry'; error: string; retryAfterMs?: number }
  /** The receiver refused the item itself; retrying cannot help. */
  | { status: 'permanent'; error: string };

export interface DeliveryContext {
  /** Aborted when the dispatcher is stopped without waiting; outcomes are then ignored unless delivered. */
  signal: AbortSignal;
  /** The dispatcher's clock, epoch seconds (to read an HTTP-date Retry-After). */
  now(): number;
}

export interface Transport {
  /** Most items one `deliver` call takes (1 for webhooks). */
  readonly batchSize: number;
  /**
   * Delivers items, one outcome per item in the same order. Should not throw: a throw counts as a
   * retryable failure of every item.
   */
  deliver(items: readonly OutboxItem[], ctx: DeliveryContext): Promise<DeliveryOutcome[]>;
  /** Releases sockets; called once by the dispatcher's stop(). */
  close(): Promise<void>;
}

/** The same outcome for each of `n` items. */
export function repeatOutcome(n: number, outcome: DeliveryOutcome): DeliveryOutcome[] {
  return Array.from({ length: n }, () => outcome);
}
