/**
 * A raw event seen as a Result. Default fields come from the Event; everything else is extracted on
 * first access and cached: CIM fields for `cisco:isovalent*` sourcetypes (normalize/tetragon.ts),
 * then KV_MODE=json paths (normalize/json-fields.ts). `_raw` is parsed at most once, and not at all
 * when the reader left the parse in `e.json`. Writes go to an overlay that wins over extractions.
 */
import type { Event } from '../events/event.js';
import type { Result } from '../events/result.js';
import type { FieldValue } from '../events/value.js';
import { extractAll, extractPath } from './json-fields.js';
import { isIsovalentSourcetype, tetragonCimField, tetragonCimFields, tetragonView, type TetragonView } from './tetragon.js';

/** Splunk's default fields carried by every Event, in the order fieldNames() lists them. */
export const EVENT_METADATA_FIELDS = ['_time', '_raw', 'index', 'sourcetype', 'source', 'host'] as const;

/** Extraction state, shared by an EventResult and its clones (it only depends on the immutable event). */
interface Extraction {
  /** The parsed top-level object, or null when `_raw` is not a JSON object. */
  json: Record<string, unknown> | null;
  /** Set for cisco:isovalent* events. */
  view: TetragonView | null;
  cache: Map<string, FieldValue | null>;
  /** Every extracted field, once fieldNames() needed them all. */
  all: Map<string, FieldValue> | null;
}

function parseObject(e: Event): Record<string, unknown> | null {
  let v: unknown = e.json;
  if (v === undefined) {
    const raw = e._raw;
    let i = 0;
    while (i < raw.length && (raw.charCodeAt(i) === 32 || raw.charCodeAt(i) === 9)) i++;
    if (raw.charCodeAt(i) !== 123) return null; // not `{`: no need to try
    try {
      v = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export class EventResult implements Result {
  readonly event: Event;
  private x: Extraction | null;
  /** Fields written by set(); a null value hides the field. */
  private overlay: Map<string, FieldValue | null> | null;

  constructor(event: Event, extraction: Extraction | null = null, overlay: Map<string, FieldValue | null> | null = null) {
    this.event = event;
    this.x = extraction;
    this.overlay = overlay;
  }

  get(field: string): FieldValue | null {
    const o = this.overlay;
    if (o !== null && o.has(field)) return o.get(field) ?? null;
    const e = this.event;
    switch (field) {
      case '_time':
        return e._time;
      case '_raw':
        return e._raw;
      case 'index':
        return e.index;
      case 'sourcetype':
        return e.sourcetype;
      case 'source':
        return e.source;
      case 'host':
        return e.host;
    }
    return this.extracted(field);
  }

  set(field: string, value: FieldValue | null): void {
    (this.overlay ??= new Map()).set(field, value);
  }

  fieldNames(): string[] {
    const o = this.overlay;
    const names: string[] = [];
    const seen = new Set<string>();
    const add = (f: string): void => {
      if (seen.has(f)) return;
      seen.add(f);
      if (o !== null && o.has(f) && o.get(f) === null) return;
      names.push(f);
    };
    for (const f of EVENT_METADATA_FIELDS) add(f);
    for (const f of this.all().keys()) add(f);
    if (o !== null) for (const [f, v] of o) if (v !== null) add(f);
    return names;
  }

  clone(): EventResult {
    return new EventResult(this.event, this.ensure(), this.overlay === null ? null : new Map(this.overlay));
  }

  private ensure(): Extraction {
    if (this.x !== null) return this.x;
    const json = parseObject(this.event);
    const view = json !== null && isIsovalentSourcetype(this.event.sourcetype) ? tetragonView(json) : null;
    this.x = { json, view, cache: new Map(), all: null };
    return this.x;
  }

  private extracted(field: string): FieldValue | null {
    const x = this.ensure();
    if (x.all !== null) return x.all.get(field) ?? null;
    const cached = x.cache.get(field);
    if (cached !== undefined) return cached;
    let v: FieldValue | null = null;
    if (x.view !== null) v = tetragonCimField(x.view, field) ?? null;
    // Not a CIM field, or the CIM source is absent: fall back to the JSON path of that name.
    if (v === null && x.json !== null) v = extractPath(x.json, field);
    x.cache.set(field, v);
    return v;
  }

  private all(): Map<string, FieldValue> {
    const x = this.ensure();
    if (x.all !== null) return x.all;
    const all = x.view !== null ? tetragonCimFields(x.view) : new Map<string, FieldValue>();
    if (x.json !== null) for (const [k, v] of extractAll(x.json)) if (!all.has(k)) all.set(k, v);
    x.all = all;
    return all;
  }
}

/** A lazy Result for a raw event. */
export function eventResult(e: Event): Result {
  return new EventResult(e);
}
