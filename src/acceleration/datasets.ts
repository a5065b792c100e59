import { createHash } from 'node:crypto';
import type { ResolvedDataset } from '../datamodels/library.js';
import { BASE_FIELDS } from '../datamodels/model.js';
import type { CompiledDataset, Knowledge } from '../spl/datamodel/types.js';

/** One dataset a summary is kept for. */
export interface AcceleratedDataset {
  /** `Model.Dataset` (dataset names are unique within a model). */
  key: string;
  model: string;
  dataset: CompiledDataset;
  /** Definition hash: the summary is rebuilt when it changes. */
  hash: string;
  /** The row fields kept (besides `_time`): the base fields and the dataset's fields, unprefixed. */
  fields: string[];
}

export function datasetKey(ds: ResolvedDataset): string {
  return `${ds.model.name}.${ds.chain[ds.chain.length - 1]!.name}`;
}

/** Positions and prose say nothing about the rows: they are left out of the hash. */
const NOT_DEFINITION = new Set(['at', 'searchAt', 'expressionAt', 'span', 'fieldSpan', 'nameSpan', 'valueSpan', 'files', 'description', 'source']);

/**
 * The hash of what decides a dataset's rows: its chain (constraints or base search, fields, calculations)
 * and its leading search with the event types expanded into it (an event type change changes membership).
 */
export function definitionHash(ds: CompiledDataset): string {
  const text = JSON.stringify({ chain: ds.resolved.chain, fields: ds.resolved.fields, calcs: ds.resolved.calculations, lead: ds.lead }, (k, v: unknown) =>
    NOT_DEFINITION.has(k) ? undefined : v,
  );
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export function rowFields(ds: CompiledDataset): string[] {
  return [...new Set([...BASE_FIELDS.filter((f) => f !== '_time'), ...ds.resolved.fields.map((f) => f.name)])];
}

/**
 * Every dataset of the accelerated models that compiles (a model that is not loaded, or a dataset whose
 * definition does not compile, is reported through `problem` and has no summary: its searches read raw).
 */
export function acceleratedDatasets(knowledge: Knowledge, models: readonly string[], datasetNames: (model: string) => string[], problem: (m: string) => void): AcceleratedDataset[] {
  const out: AcceleratedDataset[] = [];
  for (const model of models) {
    if (!knowledge.dataModelNames().includes(model)) {
      problem(`datamodels.${model}: no data model named "${model}" is loaded`);
      continue;
    }
    for (const name of datasetNames(model)) {
      const r = knowledge.dataset(model, name);
      if (!r.ok) {
        problem(`${model}.${name}: ${r.message}`);
        continue;
      }
      out.push({ key: datasetKey(r.dataset.resolved), model, dataset: r.dataset, hash: definitionHash(r.dataset), fields: rowFields(r.dataset) });
    }
  }
  return out;
}
