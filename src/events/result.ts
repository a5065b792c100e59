import type { FieldValue } from './value.js';

/**
 * A search result: one row flowing between SPL operators. Raw events are results too (see
 * normalize/event-result.ts), whose fields are extracted lazily on first access.
 * `_time` is epoch seconds (fractional), `_raw` the original text.
 */
export interface Result {
  get(field: string): FieldValue | null;
  /** Sets a field; null removes it. */
  set(field: string, value: FieldValue | null): void;
  /** Every field present, in a stable order (materializes lazy extractions). */
  fieldNames(): string[];
  /** An independent copy (writes to the copy do not affect this result). */
  clone(): Result;
}

/** A plain result backed by a Map, used for everything that is not a raw event. */
export class Row implements Result {
  private readonly fields: Map<string, FieldValue>;

  constructor(init?: Iterable<readonly [string, FieldValue]> | Record<string, FieldValue | null | undefined>) {
    this.fields = new Map();
    if (!init) return;
    const entries: Iterable<readonly [string, FieldValue | null | undefined]> =
      Symbol.iterator in init
        ? (init as Iterable<readonly [string, FieldValue]>)
        : Object.entries(init as Record<string, FieldValue | null | undefined>);
    for (const [k, v] of entries) if (v !== null && v !== undefined) this.fields.set(k, v);
  }

  get(field: string): FieldValue | null {
    return this.fields.get(field) ?? null;
  }

  set(field: string, value: FieldValue | null): void {
    if (value === null) this.fields.delete(field);
    else this.fields.set(field, value);
  }

  fieldNames(): string[] {
    return [...this.fields.keys()];
  }

  clone(): Row {
    return new Row(this.fields);
  }
}

/** A plain JSON-friendly copy of a result: multivalues become arrays. */
export function toObject(r: Result): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of r.fieldNames()) {
    const v = r.get(f);
    if (v !== null) out[f] = v;
  }
  return out;
}
