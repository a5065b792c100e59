import type { Event } from '../events/event.js';
import { compileRawFilter, metadataPredicate, type EventSource, type ScanRequest } from '../events/scan.js';

/**
 * Events held in memory, newest first: the isolated temporary store of `vigil test`, and a source for
 * tests. Honours the scan request's time range, metadata and raw filter; not its indexed fields (a necessary
 * condition a source may leave to the search, which tests every event it is given).
 */
export class MemorySource implements EventSource {
  readonly newestFirst = true;
  private readonly events: Event[];

  constructor(events: readonly Event[]) {
    // Newest first; equal times keep the reverse of insertion order, as the store does.
    this.events = events.map((e, i) => ({ e, i })).sort((a, b) => b.e._time - a.e._time || b.i - a.i).map((x) => x.e);
  }

  get size(): number {
    return this.events.length;
  }

  /** [earliest, latest] of the held events, or null when empty. */
  span(): { earliest: number; latest: number } | null {
    if (this.events.length === 0) return null;
    return { earliest: this.events[this.events.length - 1]!._time, latest: this.events[0]!._time };
  }

  async *scan(req: ScanRequest): AsyncGenerator<Event[]> {
    const raw = compileRawFilter(req.raw);
    const meta = metadataPredicate(req);
    const lo = req.earliest ?? -Infinity;
    const hi = req.latest ?? Infinity;
    let batch: Event[] = [];
    for (const e of this.events) {
      // An event with indexed fields passes the raw filter: its literals come from field conditions, and those
      // fields' values are not in `_raw`.
      if (e._time < lo || e._time >= hi || !meta(e) || (raw && e.fields === undefined && !raw(e._raw))) continue;
      batch.push(e);
      if (batch.length === 1000) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }
}
