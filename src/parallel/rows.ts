/**
 * Rows crossing from a worker thread to the final part, as structured-clone-able data. A raw event row
 * travels as its event (the line and default fields, the reader's spans) plus the fields written to it:
 * the receiving thread rebuilds the same row, extracting fields lazily as the sender would have (most
 * final parts read a few fields of a row, never all of them). Any other row travels as its fields in order.
 */
import type { Event } from '../events/event.js';
import { Row, type Result } from '../events/result.js';
import type { FieldValue } from '../events/value.js';
import { EventResult, type DerivedFields } from '../normalize/event-result.js';
import type { IndexedEvent } from '../normalize/tetragon-index.js';
import type { ShippedRow } from '../spl/exec/partitions.js';

export type WireRow =
  | { t: number; s: number; e: IndexedEvent; o: [string, FieldValue | null][] | null }
  | { t: number; s: number; f: [string, FieldValue][] };

/** A row as data, and about how many characters it holds (for the sender's flow control). */
export function toWire(x: ShippedRow): { wire: WireRow; chars: number } {
  const r = x.row;
  if (r instanceof EventResult) {
    const ev = r.event as IndexedEvent;
    // The parse a reader may have left (`json`) is not sent: the receiver re-reads from the spans or the line.
    const e: IndexedEvent = { _time: ev._time, index: ev.index, sourcetype: ev.sourcetype, source: ev.source, host: ev.host, _raw: ev._raw };
    if (ev.spans) e.spans = ev.spans;
    let chars = ev._raw.length + 64;
    if (ev.fields !== undefined) {
      e.fields = ev.fields;
      for (const [k, v] of Object.entries(ev.fields)) chars += k.length + size(v);
    }
    const w = r.writes;
    if (w !== null) for (const [k, v] of w) chars += k.length + size(v);
    return { wire: { t: x.t, s: x.s, e, o: w === null ? null : [...w] }, chars };
  }
  const f: [string, FieldValue][] = [];
  let chars = 16;
  for (const k of r.fieldNames()) {
    const v = r.get(k);
    if (v === null) continue;
    f.push([k, v]);
    chars += k.length + size(v);
  }
  return { wire: { t: x.t, s: x.s, f }, chars };
}

/** The row again, on the receiving thread (`derived`: the search's eventtype/tag fields, for event rows). */
export function fromWire(w: WireRow, derived: DerivedFields | null): ShippedRow {
  const row: Result = 'e' in w ? new EventResult(w.e as Event, null, w.o === null ? null : new Map(w.o), derived) : new Row(w.f);
  return { row, t: w.t, s: w.s };
}

function size(v: FieldValue | null): number {
  if (v === null) return 1;
  if (typeof v === 'string') return v.length;
  if (typeof v === 'number') return 8;
  let n = 0;
  for (const x of v) n += typeof x === 'string' ? x.length : 8;
  return n;
}
