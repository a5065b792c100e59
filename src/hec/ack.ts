/**
 * Indexer acknowledgement (Splunk's useACK): per channel, ack ids count up from 0; an id reads true once
 * its batch is durably committed. Unlike Splunk, which forgets an id after reporting it true, vigil keeps
 * answering true (a client whose ack response was lost must not resend and duplicate the batch): a channel
 * only stores its next id and the ids still pending or failed.
 */

interface Channel {
  next: number;
  pending: Set<number>;
  failed: Set<number>;
}

export interface AckTrackerOptions {
  /** Channels kept; the least recently used one without pending batches is forgotten beyond this. */
  maxChannels?: number;
  /** Failed ids kept per channel (oldest dropped beyond it). */
  maxFailedPerChannel?: number;
}

export class AckTracker {
  private readonly channels = new Map<string, Channel>();
  private readonly maxChannels: number;
  private readonly maxFailed: number;

  constructor(options: AckTrackerOptions = {}) {
    this.maxChannels = options.maxChannels ?? 10_000;
    this.maxFailed = options.maxFailedPerChannel ?? 100_000;
  }

  /** A new pending ack id on `channel`. */
  begin(channel: string): number {
    const ch = this.touch(channel, true) as Channel;
    const id = ch.next++;
    ch.pending.add(id);
    return id;
  }

  /** Marks a batch committed (`ok`) or lost; a lost batch's id stays false forever. */
  settle(channel: string, id: number, ok: boolean): void {
    const ch = this.channels.get(channel);
    if (!ch) return;
    ch.pending.delete(id);
    if (!ok) {
      ch.failed.add(id);
      if (ch.failed.size > this.maxFailed) {
        const oldest = ch.failed.values().next().value;
        if (oldest !== undefined) ch.failed.delete(oldest);
      }
    }
  }

  /** Status of each id, keyed by its decimal text as Splunk answers: `{"0":true,"1":false}`. */
  query(channel: string, ids: readonly number[]): Record<string, boolean> {
    const ch = this.touch(channel, false);
    const out: Record<string, boolean> = {};
    for (const id of ids) {
      out[String(id)] = ch !== null && id < ch.next && !ch.pending.has(id) && !ch.failed.has(id);
    }
    return out;
  }

  get pendingCount(): number {
    let n = 0;
    for (const ch of this.channels.values()) n += ch.pending.size;
    return n;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  private touch(key: string, create: boolean): Channel | null {
    let ch = this.channels.get(key);
    if (ch) {
      // Re-insert: Map order is then least recently used first.
      this.channels.delete(key);
      this.channels.set(key, ch);
      return ch;
    }
    if (!create) return null;
    ch = { next: 0, pending: new Set(), failed: new Set() };
    this.channels.set(key, ch);
    if (this.channels.size > this.maxChannels) {
      for (const [k, c] of this.channels) {
        if (c.pending.size === 0 && k !== key) {
          this.channels.delete(k);
          break;
        }
      }
    }
    return ch;
  }
}
