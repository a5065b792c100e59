import type { ResolvedDataset } from '../../datamodels/library.js';
import { BASE_FIELDS } from '../../datamodels/model.js';
import { Row, type Result } from '../../events/result.js';
import type { FieldValue } from '../../events/value.js';
import type { CommandBlueprint, EventQueryEnv } from '../commands/types.js';
import { SplError, type Span } from '../source.js';
import { respan } from './eventtypes.js';
import type { CompiledDataset } from './types.js';

/**
 * The dataset a command names (`Model`, `Model.Dataset`, a dataset path), or an SplError at `at`: an unknown
 * model or dataset (SPL_UNKNOWN_DATAMODEL), or a definition that does not compile (DATAMODEL_INVALID, naming
 * its file and line).
 */
export function resolveDataset(env: EventQueryEnv, model: string, path: string | null, at: Span): CompiledDataset {
  const k = env.knowledge;
  if (!k) throw new SplError('SPL_UNKNOWN_DATAMODEL', `unknown data model "${model}" (no data models are loaded)`, at, env.source);
  const r = k.dataset(model, path);
  if (!r.ok) throw new SplError(r.code, r.message, at, env.source);
  return r.dataset;
}

/** The arguments of a command that streams a dataset's events: the dataset it names, bound at plan time. */
export interface DatasetArgs {
  model: string;
  dataset: string | null;
  span: Span;
  compiled: CompiledDataset | null;
}

/**
 * What the commands streaming a dataset's events (`datamodel`, `from`) share: first in the search, they
 * get the events matching the dataset's constraints (its lead, pushed down by the engine) and emit rows.
 */
export function datasetReader<A extends DatasetArgs>(): Required<Pick<CommandBlueprint<A>, 'kind' | 'orderSensitive' | 'writes' | 'emitsOwnRows' | 'readsEvents' | 'eventQuery'>> {
  return {
    kind: () => 'streaming',
    orderSensitive: () => false,
    writes: () => '*',
    emitsOwnRows: () => true,
    readsEvents: () => true,
    eventQuery: (args, env) => {
      const compiled = resolveDataset(env, args.model, args.dataset, args.span);
      return { args: { ...args, compiled }, lead: compiled.lead ? respan(compiled.lead, args.span) : null, prefilter: null };
    },
  };
}

/**
 * The names a dataset's rows show, each mapped to the field of the evaluated event it reads: the base fields
 * as they are, and the dataset's fields either prefixed with the path to the dataset declaring them, the root
 * dataset's name for the root's own (`Processes.dest`, `All_Changes.Instance_Changes.image_id`: tstats,
 * `datamodel ... search`) or plain (`dest`: `datamodel ... flat`). Any other name has no value, as a
 * field outside the dataset has none in Splunk.
 */
export function datasetFieldNames(ds: ResolvedDataset | null, mode: 'prefixed' | 'flat', extra: readonly string[] = []): ReadonlyMap<string, string> {
  const names = new Map<string, string>();
  for (const f of [...BASE_FIELDS, ...extra]) names.set(f, f);
  if (ds) for (const f of ds.fields) names.set(mode === 'prefixed' ? (ds.names.get(f.name) ?? `${ds.prefix}.${f.name}`) : f.name, f.name);
  return names;
}

/**
 * The names tstats reads: `datasetFieldNames(ds, 'prefixed')`, and for a field a child dataset declares also
 * `<Root>.<field>` (`All_Changes.src_user` besides `All_Changes.Account_Management.src_user`). *Decision:*
 * vigil named every field with the root's name before it followed Splunk's path naming; content written
 * that way keeps working. `datamodel ... search` rows show Splunk's names only.
 */
export function tstatsFieldNames(ds: ResolvedDataset): ReadonlyMap<string, string> {
  const names = new Map(datasetFieldNames(ds, 'prefixed'));
  for (const f of ds.fields) {
    const alias = `${ds.prefix}.${f.name}`;
    if (!names.has(alias)) names.set(alias, f.name);
  }
  return names;
}

/**
 * A read-only view of an evaluated event under the names of `datasetFieldNames` (tstats reads rows this way).
 * `indexed`: names read from the event's indexed fields (HEC `fields`, Result.indexed) when tstats reads index
 * data, not a data model: what Splunk's tstats reads there besides `_time`, `index`, `host`, `source`, `sourcetype`.
 */
export class DatasetView implements Result {
  constructor(
    private readonly names: ReadonlyMap<string, string>,
    private inner: Result,
    private readonly indexedNames: ReadonlySet<string> | null = null,
  ) {}

  /** Points the view at another event (one view serves every event of a run). */
  of(inner: Result): this {
    this.inner = inner;
    return this;
  }

  get(field: string): FieldValue | null {
    const f = this.names.get(field);
    if (f !== undefined) return this.inner.get(f);
    return this.indexedNames?.has(field) === true ? this.indexed(field) : null;
  }

  indexed(name: string): FieldValue | null {
    return this.inner.indexed !== undefined ? this.inner.indexed(name) : null;
  }

  set(): void {
    throw new Error('a dataset view is read-only');
  }

  fieldNames(): string[] {
    return [...this.names.keys(), ...(this.indexedNames ?? [])].filter((n) => this.get(n) !== null);
  }

  clone(): Result {
    const out = materialize(this.names, this.inner);
    for (const n of this.indexedNames ?? []) {
      const v = this.indexed(n);
      if (v !== null) out.set(n, v);
    }
    return out;
  }
}

/** The dataset's row as a plain result: every name of `names` that has a value, in order. */
export function materialize(names: ReadonlyMap<string, string>, inner: Result): Row {
  const out = new Row();
  for (const [name, f] of names) {
    const v = inner.get(f);
    if (v !== null) out.set(name, v);
  }
  return out;
}
