import type { Result } from '../../events/result.js';
import { sortTexts, type FieldValue, type Scalar } from '../../events/value.js';
import { fieldPatternRenamer } from '../fields.js';
import { SplError, type SourceText } from '../source.js';
import type { Accumulator } from './aggregations.js';
import type { AggregationSpec } from './parse.js';

/**
 * Most output fields one wildcard aggregation (`values(*) AS *`) makes over a search: each is an accumulator per
 * group, so events with ever-new field names would otherwise grow a search's state without end.
 */
export const MAX_WILDCARD_FIELDS = 1000;

/**
 * stats' `fn(pattern) [AS pattern]` (docs/spl.md, stats): the function computed per field of the rows whose name
 * matches, under the AS pattern with the matched parts carried over (`values(requestParameters.*) AS *`:
 * requestParameters.bucketName → bucketName); never a BY field, nor a field beginning with `_` unless the pattern
 * does, nor onto a BY field's name, another aggregation's or an empty name. One per aggregation and Aggregator:
 * it says which output field a row's field feeds and counts the output fields made.
 */
export class WildcardFields {
  private readonly outputOf: (name: string) => string | null;
  private readonly by: ReadonlySet<string>;
  private readonly reserved: ReadonlySet<string>;
  private readonly internal: boolean;
  private readonly made = new Set<string>();

  constructor(
    private readonly spec: AggregationSpec,
    private readonly source: SourceText | null,
    readonly create: () => Accumulator,
  ) {
    const w = spec.wildcard!;
    this.outputOf = fieldPatternRenamer(spec.field!, spec.as);
    this.by = new Set(w.by);
    this.reserved = new Set([...w.by, ...w.named]);
    this.internal = spec.field!.startsWith('_');
  }

  /** Feeds each matching field of `row` (every value of a multivalue) to its accumulator in `state`. */
  feed(state: FieldAccumulators, row: Result, time: number | null): void {
    for (const name of row.fieldNames()) {
      if (!this.internal && name.startsWith('_')) continue;
      const out = this.outputOf(name);
      // `values(process*) AS *` of `process` itself would name a field ``: no field has that name.
      if (out === null || out === '' || this.by.has(name) || this.reserved.has(out)) continue;
      const v = row.get(name);
      if (v === null) continue;
      const acc = state.of(out);
      if (Array.isArray(v)) for (const x of v as readonly Scalar[]) acc.add(x, time);
      else acc.add(v as Scalar, time);
    }
  }

  /** Counts output field `name` in, past MAX_WILDCARD_FIELDS an error at the aggregation. */
  admit(name: string): void {
    if (this.made.has(name)) return;
    if (this.made.size >= MAX_WILDCARD_FIELDS) throw this.tooMany();
    this.made.add(name);
  }

  /** Throws when the groups' states together have more than MAX_WILDCARD_FIELDS fields (partitions merged). */
  checkUnion(states: readonly FieldAccumulators[]): void {
    const all = new Set<string>();
    for (const s of states) {
      for (const name of s.names()) {
        all.add(name);
        if (all.size > MAX_WILDCARD_FIELDS) throw this.tooMany();
      }
    }
  }

  private tooMany(): SplError {
    const s = this.spec;
    return new SplError(
      'SPL_BAD_ARGUMENT',
      `${s.fnName}(${s.field}) matches more than ${MAX_WILDCARD_FIELDS} fields: name the fields or a narrower pattern`,
      s.span,
      this.source,
    );
  }
}

/**
 * A group's state of a wildcard aggregation: an accumulator per output field, made when the field first has a
 * value in the group (so a field no row of the group had is absent from its row). It is fed rows by
 * WildcardFields.feed, not values: a value alone names no field.
 */
export class FieldAccumulators implements Accumulator {
  private readonly byName = new Map<string, Accumulator>();

  constructor(private readonly fields: WildcardFields) {}

  /** The accumulator of output field `name`, made on first use. */
  of(name: string): Accumulator {
    let acc = this.byName.get(name);
    if (acc === undefined) {
      this.fields.admit(name);
      this.byName.set(name, (acc = this.fields.create()));
    }
    return acc;
  }

  names(): IterableIterator<string> {
    return this.byName.keys();
  }

  add(): never {
    throw new Error('a wildcard aggregation is fed rows (WildcardFields.feed), not values');
  }

  /** Not one value: `results` gives the fields' values. */
  result(): null {
    return null;
  }

  /** Each output field with its function's result (null ones left out), in order of their names. */
  results(): [string, FieldValue][] {
    const out: [string, FieldValue][] = [];
    for (const name of sortTexts([...this.byName.keys()])) {
      const v = this.byName.get(name)!.result();
      if (v !== null) out.push([name, v]);
    }
    return out;
  }

  /** Merged by field name: each field's state as its function's partial state. */
  partial(): [string, unknown][] {
    return [...this.byName].map(([name, acc]) => [name, acc.partial!()]);
  }

  merge(fields: [string, unknown][]): void {
    for (const [name, p] of fields) this.of(name).merge!(p);
  }
}
