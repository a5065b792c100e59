/**
 * Indexer acknowledgement (Splunk's useACK), answered from the store. A batch sent with an ack token is
 * answered once it is committed, and its `ackId` is the store seq of its first event. So ids never repeat (on
 * any channel, across channel evictions and restarts), every id a client holds names a durable batch, and
 * "is N committed?" is "was N handed out", i.e. 1 ≤ N ≤ the store's last seq: durable state, with no
 * per-channel memory that an eviction or a restart could lose (see CONTEXT.md for the deviations from Splunk).
 */
import type { AppendReceipt } from '../store/types.js';

export class AckIds {
  /** The highest id handed out by this process: ids up to it are answered without asking the store. */
  private highest = 0;

  /** `lastSeq`: the store's last committed seq (0 when empty), for ids handed out before a restart. */
  constructor(private readonly lastSeq: () => number) {}

  /** The ack id of a committed batch: the seq of its first event. */
  of(receipt: AppendReceipt): number {
    const id = receipt.firstSeq;
    // A store that does not number its events cannot back acks; `createHecServer` is only given ones that do.
    if (id === undefined) throw new Error('the event store did not number the batch (AppendReceipt.firstSeq): acks need it');
    if (id > this.highest) this.highest = id;
    return id;
  }

  /** Status of each id, keyed by its decimal text as Splunk answers: `{"7":true,"9":false}`. */
  query(ids: readonly number[]): Record<string, boolean> {
    let top = this.highest;
    let asked = false;
    const out: Record<string, boolean> = {};
    for (const id of ids) {
      if (id > top && !asked) {
        top = Math.max(top, this.lastSeq());
        asked = true;
      }
      out[String(id)] = id >= 1 && id <= top;
    }
    return out;
  }
}
