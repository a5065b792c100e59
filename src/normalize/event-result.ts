/**
 * A raw event seen as a Result. Default fields come from the Event; everything else is extracted on
 * first access and cached: CIM fields for `cisco:isovalent*` sourcetypes (normalize/tetragon.ts),
 * then KV_MODE=json paths (normalize/json-fields.ts). `_raw` is parsed at most once, and not at all
 * when the reader left the parse in `e.json`, or left spans (tetragon-index.ts) that answer the
 * field. Writes go to an overlay that wins over extractions.
 */
import type { Event } from '../events/event.js';
import type { FieldRef, Result } from '../events/result.js';
import type { FieldValue } from '../events/value.js';
import { extractAll, extractPath } from './json-fields.js';
import { STASH_SOURCETYPE, stashField, stashFields } from './stash.js';
import {
  isIsovalentSourcetype,
  tetragonCimField,
  tetragonCimFieldId,
  tetragonCimFields,
  tetragonIndexedField,
  tetragonView,
  type TetragonView,
} from './tetragon.js';
import { scanTetragonText, spansField, type IndexedEvent } from './tetragon-index.js';

/**
 * Fields computed from a whole event on first read, whose definitions are content: Splunk's `eventtype` and
 * `tag` (the event types an event matches, and their tags). They see the event as extracted, never a write a
 * search made to it (Splunk assigns them before the pipeline runs).
 */
export interface DerivedFields {
  /** The field names computed. */
  readonly names: ReadonlySet<string>;
  /** Their values for one event (absent names: no value). */
  compute(event: Result): ReadonlyMap<string, FieldValue>;
}

/** Splunk's default fields carried by every Event, in the order fieldNames() lists them. */
export const EVENT_METADATA_FIELDS = ['_time', '_raw', 'index', 'sourcetype', 'source', 'host'] as const;

/** Extraction state, shared by an EventResult and its clones (it only depends on the immutable event). */
interface Extraction {
  /** The parsed top-level object, or null when `_raw` is not a JSON object; undefined until needed. */
  json: Record<string, unknown> | null | undefined;
  /** Set for cisco:isovalent* events once `json` is parsed. */
  view: TetragonView | null;
  /** The reader's spans (tetragon-index.ts), or null. */
  spans: number[] | null;
  /** Whether the sourcetype gets the add-on's CIM fields. */
  isovalent: boolean;
  /** CIM values read from the spans, by cimSlot (undefined: not read yet). */
  cim: (FieldValue | null | undefined)[] | null;
  cache: Map<string, FieldValue | null> | null;
  /** Every extracted field, once fieldNames() needed them all. */
  all: Map<string, FieldValue> | null;
  /** The derived fields' values, once one was read. */
  derived: ReadonlyMap<string, FieldValue> | null;
}

/** The number of CIM slots given so far (FieldMeaning.cimSlot). */
let cimSlotCount = 0;

/** An empty Extraction.cim of cimSlotCount slots, copied per event: `fill` is a call into the runtime (3× the copy's cost). */
let cimTemplate: undefined[] = [];

function emptyCim(): (FieldValue | null | undefined)[] {
  if (cimTemplate.length !== cimSlotCount) cimTemplate = new Array<undefined>(cimSlotCount).fill(undefined);
  return cimTemplate.slice();
}

/** What a field name is to an EventResult, worked out once per name (fieldRef). */
class FieldMeaning implements FieldRef {
  /** The derived-field names `derived` was worked out for (DerivedFields.names), or null. */
  derivedNames: ReadonlySet<string> | null = null;
  derived = false;

  constructor(
    readonly name: string,
    /** Its position in EVENT_METADATA_FIELDS, or -1. */
    readonly metadata: number,
    /** Its id as a CIM field (tetragonCimFieldId), or -1. */
    readonly cimId: number,
    /**
     * Its slot in Extraction.cim (-1: not a CIM field), given in the order names are first read in this
     * process: an event's cache then holds the dozen fields searches read, not all ~45.
     */
    readonly cimSlot: number,
  ) {}
}

/**
 * Meanings by name, for get(name). Names past the bound (unbounded data such as JSON keys listed by
 * fieldNames) are worked out on each read; CIM names (~45) are always kept, each has its slot.
 */
const MEANINGS = new Map<string, FieldMeaning>();
const MAX_MEANINGS = 4096;

/**
 * A field name resolved for reading it from many rows (readField): an EventResult then skips the lookup
 * of the name (a Map lookup by string per read, ~4% of the detection pack's profile).
 */
export function fieldRef(field: string): FieldRef {
  return fieldMeaning(field);
}

function fieldMeaning(field: string): FieldMeaning {
  let m = MEANINGS.get(field);
  if (m === undefined) {
    const cimId = tetragonCimFieldId(field);
    const keep = MEANINGS.size < MAX_MEANINGS || cimId >= 0;
    m = new FieldMeaning(field, (EVENT_METADATA_FIELDS as readonly string[]).indexOf(field), cimId, keep && cimId >= 0 ? cimSlotCount++ : -1);
    if (keep) MEANINGS.set(field, m);
  }
  return m;
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

  constructor(
    event: Event,
    extraction: Extraction | null = null,
    overlay: Map<string, FieldValue | null> | null = null,
    private readonly derived: DerivedFields | null = null,
  ) {
    this.event = event;
    this.x = extraction;
    this.overlay = overlay;
  }

  get(field: string): FieldValue | null {
    return this.valueOf(field, null);
  }

  read(ref: FieldRef): FieldValue | null {
    return this.valueOf(ref.name, ref instanceof FieldMeaning ? ref : null);
  }

  /** The field `field`, whose meaning is `known` when the caller resolved it (else looked up). */
  private valueOf(field: string, known: FieldMeaning | null): FieldValue | null {
    const o = this.overlay;
    if (o !== null) {
      const w = o.get(field);
      if (w !== undefined) return w; // null: hidden
    }
    const m = known ?? fieldMeaning(field);
    if (m.metadata >= 0) {
      const e = this.event;
      switch (m.metadata) {
        case 0:
          return e._time;
        case 1:
          return e._raw;
        case 2:
          return e.index;
        case 3:
          return e.sourcetype;
        case 4:
          return e.source;
        default:
          return e.host;
      }
    }
    const d = this.derived;
    if (d !== null) {
      if (m.derivedNames !== d.names) {
        m.derived = d.names.has(field);
        m.derivedNames = d.names;
      }
      if (m.derived) {
        // An extracted field of the same name shows only when the event gets no derived value.
        const v = this.derivedValues().get(field);
        if (v !== undefined) return v;
      }
    }
    const indexed = this.event.fields;
    if (indexed !== undefined && Object.hasOwn(indexed, field)) return withIndexed(this.extracted(field, m), indexed[field]!);
    return this.extracted(field, m);
  }

  indexed(name: string): FieldValue | null {
    const indexed = this.event.fields;
    return indexed !== undefined && Object.hasOwn(indexed, name) ? indexedValue(indexed[name]!) : null;
  }

  set(field: string, value: FieldValue | null): void {
    (this.overlay ??= new Map()).set(field, value);
  }

  /** The fields set on this row (a null value hides the field), or null: with the event, what makes a copy elsewhere (another thread). */
  get writes(): ReadonlyMap<string, FieldValue | null> | null {
    return this.overlay;
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
    if (this.event.fields !== undefined) for (const f of Object.keys(this.event.fields)) add(f);
    if (this.derived !== null) for (const f of this.derivedValues().keys()) add(f);
    if (o !== null) for (const [f, v] of o) if (v !== null) add(f);
    return names;
  }

  clone(): EventResult {
    return new EventResult(this.event, this.ensure(), this.overlay === null ? null : new Map(this.overlay), this.derived);
  }

  /** The derived fields of the event, computed once per event (the cache is shared with clones). */
  private derivedValues(): ReadonlyMap<string, FieldValue> {
    const x = this.ensure();
    return (x.derived ??= this.derived!.compute(new EventResult(this.event, x)));
  }

  private ensure(): Extraction {
    if (this.x !== null) return this.x;
    const e = this.event as IndexedEvent;
    const isovalent = isIsovalentSourcetype(e.sourcetype);
    // Events without a reader's spans or parse (read back from the store) get the same fast scan here:
    // most searches then read their fields from the spans and never JSON.parse the line.
    const spans = e.spans ?? (isovalent && e.json === undefined ? scanTetragonText(e._raw) : null);
    this.x = { json: undefined, view: null, spans, isovalent, cim: null, cache: null, all: null, derived: null };
    return this.x;
  }

  /** `x.json` (and `x.view`), parsing `_raw` on first need. */
  private parsed(x: Extraction): Record<string, unknown> | null {
    if (x.json === undefined) {
      x.json = parseObject(this.event);
      x.view = x.json !== null && x.isovalent ? tetragonView(x.json, this.event._time) : null;
    }
    return x.json;
  }

  private extracted(field: string, m: FieldMeaning): FieldValue | null {
    const x = this.ensure();
    if (x.all !== null) return x.all.get(field) ?? null;
    if (this.event.sourcetype === STASH_SOURCETYPE) {
      const json = this.parsed(x);
      const v = json === null ? undefined : stashField(json, field);
      if (v !== undefined) return v;
    }
    const spans = x.spans;
    if (spans !== null && x.isovalent) {
      const id = m.cimId;
      if (id >= 0) {
        const slot = m.cimSlot;
        const cim = (x.cim ??= emptyCim());
        // A field first read after this event's cache was made gets a slot past its end.
        while (cim.length <= slot) cim.push(undefined);
        let v = cim[slot];
        if (v === undefined) {
          v = tetragonIndexedField(this.event._raw, spans, id, this.event._time);
          // Absent CIM source: the JSON path of that name, a top-level key (CIM names have no dots).
          if (v === null) v = spansField(this.event._raw, spans, field) ?? null;
          cim[slot] = v;
        }
        return v;
      }
    }
    // What the spans tell is read again as cheaply as from a cache: no per-event Map for the fields an event
    // lacks (a data model row reads dozens), only for what the parse gives.
    const fromSpans = spans !== null ? spansField(this.event._raw, spans, field) : undefined;
    if (fromSpans !== undefined) return fromSpans;
    const cache = (x.cache ??= new Map());
    const cached = cache.get(field);
    if (cached !== undefined) return cached;
    // Other paths through tracked values parse only the deepest such value's span (a kprobe's `args`).
    let v = spans !== null ? spansField(this.event._raw, spans, field, true) : undefined;
    if (v === undefined) v = this.fromJson(x, field);
    cache.set(field, v);
    return v;
  }

  /** A field from the parsed JSON: the CIM field for cisco:isovalent*, else (or if absent) the JSON path. */
  private fromJson(x: Extraction, field: string): FieldValue | null {
    const json = this.parsed(x);
    let v: FieldValue | null = null;
    if (x.view !== null) v = tetragonCimField(x.view, field) ?? null;
    // Not a CIM field, or the CIM source is absent: fall back to the JSON path of that name.
    if (v === null && json !== null) v = extractPath(json, field);
    return v;
  }

  private all(): Map<string, FieldValue> {
    const x = this.ensure();
    if (x.all !== null) return x.all;
    const json = this.parsed(x);
    const stash = x.view === null && json !== null && this.event.sourcetype === STASH_SOURCETYPE ? json : null;
    const all = x.view !== null ? tetragonCimFields(x.view) : stash !== null ? stashFields(stash) : new Map<string, FieldValue>();
    // A stash key the stash rule answers (a null: no value) is not the JSON rule's (`"null"`), as `extracted` reads it.
    if (x.json !== null) for (const [k, v] of extractAll(x.json)) if (!all.has(k) && (stash === null || stashField(stash, k) === undefined)) all.set(k, v);
    x.all = all;
    return all;
  }
}

/** An indexed field's stored value as a field value (a copy of an array: values are never shared with a row's writes). */
function indexedValue(v: string | readonly string[]): FieldValue {
  return typeof v === 'string' ? v : v.slice();
}

/**
 * A field both extracted at search time and indexed (HEC `fields`) has both values, the extracted first, as Splunk
 * shows a field extracted twice; one that only the event's indexed fields hold has theirs.
 */
function withIndexed(extracted: FieldValue | null, indexed: string | readonly string[]): FieldValue {
  if (extracted === null) return indexedValue(indexed);
  return [...(Array.isArray(extracted) ? (extracted as readonly (string | number)[]) : [extracted as string | number]), ...(typeof indexed === 'string' ? [indexed] : indexed)];
}

/** A lazy Result for a raw event; `derived` adds computed fields such as `tag` (see DerivedFields). */
export function eventResult(e: Event, derived: DerivedFields | null = null): Result {
  return new EventResult(e, null, null, derived);
}
