/**
 * Indexer acknowledgement (Splunk's useACK), answered from the store. A batch sent with an ack token is
 * answered once it is committed. On a store that numbers its events (SQLite), its `ackId` is the store seq of
 * its first event: ids never repeat (on any channel, across channel evictions and restarts), every id a client
 * holds names a durable batch, and "is N committed?" is "was N handed out", i.e. 1 ≤ N ≤ the store's last seq:
 * durable state, with no per-channel memory that an eviction or a restart could lose. On a store that does not
 * (ClickHouse), ids are this process's: counted from a base taken from the clock at start, so a restarted
 * node does not hand out its predecessor's ids again; an id handed out before a restart (or by another node)
 * reads false, as it does on a restarted Splunk indexer, and the client resends the batch, which the store
 * keeps once. See CONTEXT.md for the deviations from Splunk.
 */
import type { AppendReceipt } from '../store/types.js';

export class AckIds {
  /** Ids at or below it were not handed out by this process and are answered from `lastSeq`, else false. */
  private readonly base: number;
  /** The highest id handed out by this process: ids up to it are answered without asking the store. */
  private highest: number;

  /**
   * `lastSeq`: the store's last committed seq (0 when empty), for ids handed out before a restart; absent when
   * the store does not number events, and ids are then counted here from `Date.now() * 1000` (a restart's
   * successor starts above its predecessor's ids unless that one handed out more than 1000 per millisecond).
   */
  constructor(private readonly lastSeq?: () => number) {
    this.base = lastSeq ? 0 : Date.now() * 1000;
    this.highest = this.base;
  }

  /** The ack id of a committed batch: the seq of its first event, or this process's next id. */
  of(receipt: AppendReceipt): number {
    if (!this.lastSeq) return ++this.highest;
    const id = receipt.firstSeq;
    // A store with a seq numbers every batch; one that does not is given to this class without lastSeq.
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
      if (id > top && !asked && this.lastSeq) {
        top = Math.max(top, this.lastSeq());
        asked = true;
      }
      out[String(id)] = id > this.base && id >= 1 && id <= top;
    }
    return out;
  }
}
