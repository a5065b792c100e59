import type { ContentProblem } from '../yaml/reader.js';
import type { Calculation, DataModel, DataModelExtension, Dataset, EventType, FieldDef } from './model.js';

/** A dataset with everything it inherits: what `tstats`, `datamodel` and `from` evaluate. */
export interface ResolvedDataset {
  model: DataModel;
  /** The root dataset first, the target last. */
  chain: Dataset[];
  /** The *root* dataset's name: the prefix of the fields the root declares (`Processes.dest`). */
  prefix: string;
  /** Every field of the dataset (declared and calculated, inherited first), once each, in order. */
  fields: FieldDef[];
  /**
   * Each field's name in tstats and `datamodel ... search` rows: the path from the root to the dataset that
   * declares it, then the field (`All_Changes.user`, `All_Changes.Instance_Changes.image_id`), as Splunk names
   * them (ESCU reads `All_Changes.Instance_Changes.image_id`, `All_Certificates.SSL.ssl_issuer`). A field a
   * child declares again keeps its ancestor's name.
   */
  names: ReadonlyMap<string, string>;
  /** Calculations of the chain in evaluation order (root's first). */
  calculations: Calculation[];
}

export type Resolution = { ok: true; dataset: ResolvedDataset } | { ok: false; message: string };

/**
 * Data models by name, in layers: `define` replaces a model of the same name (a user's content directory
 * replacing a bundled model), `extend` adds datasets, fields and calculations to the current definition
 * (a user's `extends: Endpoint` file), so later content wins and nothing is edited in place.
 */
export class DataModelLibrary {
  private readonly models = new Map<string, DataModel>();

  define(model: DataModel): void {
    this.models.set(model.name, model);
  }

  /** Applies an extension; problems (an unknown model or parent, a dataset defined twice) name the file and line. */
  extend(ext: DataModelExtension): ContentProblem[] {
    const problems: ContentProblem[] = [];
    const problem = (at: { file: string; line: number; column: number }, message: string) =>
      problems.push({ file: at.file, line: at.line, column: at.column, severity: 'error', code: 'CONTENT_SCHEMA', message });
    const base = this.models.get(ext.extends);
    if (!base) {
      problem(ext.at, `extends: no data model named "${ext.extends}" is defined before this file${this.hint()}`);
      return problems;
    }
    const datasets = base.datasets.map((d) => ({ ...d, fields: [...d.fields], calculations: [...d.calculations] }));
    for (const x of ext.datasets) {
      const existing = datasets.find((d) => d.name === (x.kind === 'new' ? x.dataset.name : x.name));
      if (x.kind === 'add') {
        if (!existing) {
          problem(x.at, `data model ${base.name} has no dataset "${x.name}" to extend: give a new dataset a parent or a constraint`);
          continue;
        }
        for (const f of x.fields) {
          const i = existing.fields.findIndex((g) => g.name === f.name);
          if (i >= 0) existing.fields[i] = f;
          else existing.fields.push(f);
        }
        existing.calculations.push(...x.calculations);
        continue;
      }
      if (existing) {
        problem(x.dataset.at, `data model ${base.name} already has a dataset "${x.dataset.name}"`);
        continue;
      }
      if (x.dataset.parent !== null && !datasets.some((d) => d.name === x.dataset.parent)) {
        problem(x.dataset.at, `parent dataset "${x.dataset.parent}" is not in data model ${base.name}`);
        continue;
      }
      datasets.push(x.dataset);
    }
    this.models.set(base.name, { ...base, datasets, files: [...base.files, ext.file] });
    return problems;
  }

  get(name: string): DataModel | undefined {
    return this.models.get(name);
  }

  names(): string[] {
    return [...this.models.keys()].sort();
  }

  all(): DataModel[] {
    return this.names().map((n) => this.models.get(n)!);
  }

  /**
   * Resolves `Model`, `Model.Dataset` or `Model.Root.Child.Target` (a dataset path: each segment the parent of
   * the next). A model with one root dataset may be named alone; one with several roots may not (Splunk:
   * "You cannot select all of the root datasets within a data model at once").
   */
  resolve(modelName: string, datasetPath: string | null): Resolution {
    const model = this.models.get(modelName);
    if (!model) return { ok: false, message: `unknown data model "${modelName}"${this.hint()}` };
    let target: Dataset | undefined;
    if (datasetPath === null || datasetPath === '') {
      const roots = model.datasets.filter((d) => d.parent === null);
      if (roots.length !== 1) {
        return { ok: false, message: `data model ${model.name} has ${roots.length} root datasets (${roots.map((r) => r.name).join(', ')}): name one, e.g. ${model.name}.${roots[0]?.name ?? 'Dataset'}` };
      }
      target = roots[0];
    } else {
      const segments = datasetPath.split('.');
      target = model.datasets.find((d) => d.name === segments[segments.length - 1]);
      if (!target) return { ok: false, message: `data model ${model.name} has no dataset "${segments[segments.length - 1]}" (datasets: ${model.datasets.map((d) => d.name).join(', ')})` };
      const chain = chainOf(model, target);
      const names = chain.map((d) => d.name);
      // A path must be the tail of the dataset's ancestry: Root.Child.Target, Child.Target or Target.
      if (segments.length > names.length || segments.some((s, i) => s !== names[names.length - segments.length + i])) {
        return { ok: false, message: `"${datasetPath}" is not a dataset path of data model ${model.name}: ${target.name}'s path is ${names.join('.')}` };
      }
    }
    const chain = chainOf(model, target!);
    const fields: FieldDef[] = [];
    const index = new Map<string, number>();
    const names = new Map<string, string>();
    let path = '';
    const add = (f: FieldDef) => {
      const i = index.get(f.name);
      if (i === undefined) {
        index.set(f.name, fields.length);
        fields.push(f);
        names.set(f.name, `${path}.${f.name}`);
      } else fields[i] = f;
    };
    for (const d of chain) {
      path = path ? `${path}.${d.name}` : d.name;
      d.fields.forEach(add);
      d.calculations.forEach((c) => add(c.output));
    }
    return { ok: true, dataset: { model, chain, prefix: chain[0]!.name, fields, names, calculations: chain.flatMap((d) => d.calculations) } };
  }

  private hint(): string {
    const names = this.names();
    return names.length ? ` (data models: ${names.join(', ')})` : ' (no data models are loaded)';
  }
}

/** The dataset's ancestry, root first (parents exist: load.ts and `extend` check them). */
export function chainOf(model: DataModel, target: Dataset): Dataset[] {
  const chain: Dataset[] = [target];
  const seen = new Set([target.name]);
  let d = target;
  while (d.parent !== null) {
    const p = model.datasets.find((x) => x.name === d.parent);
    if (!p || seen.has(p.name)) break;
    seen.add(p.name);
    chain.unshift(p);
    d = p;
  }
  return chain;
}

/** Event types by name; a later definition of a name replaces the earlier one. */
export class EventTypeLibrary {
  private readonly byName = new Map<string, EventType>();

  define(t: EventType): void {
    this.byName.set(t.name, t);
  }

  /** Removes an event type (a user's `disabled: true` for a bundled one). */
  remove(name: string): boolean {
    return this.byName.delete(name);
  }

  get(name: string): EventType | undefined {
    return this.byName.get(name);
  }

  /** Every event type, by name. */
  all(): EventType[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
