import type { YamlNode, YamlReader } from '../yaml/reader.js';
import { FIELD_TYPES, type Calculation, type ContentSpot, type DataModel, type DataModelExtension, type Dataset, type DatasetExtension, type EventType, type FieldDef, type FieldType } from './model.js';

/** What a data model file holds: a whole model (it replaces one of the same name) or an extension of one. */
export type DataModelFile = { kind: 'model'; model: DataModel } | { kind: 'extension'; extension: DataModelExtension };

/** What an event type file holds: a definition, or `disabled: true` removing an event type of that name. */
export type EventTypeFile = { kind: 'eventtype'; eventType: EventType } | { kind: 'disabled'; name: string };

/** Data model and dataset names: they are joined with dots into dataset paths, so no dots. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Field names may have dots (`annotations.mitre_attack.mitre_tactic_id`), not spaces, quotes or `=`. */
const FIELD_NAME = /^[^\s"'`=|()[\],]+$/;
/** Event type names and tags (eventtypes.conf stanzas, tags.conf values). */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.:-]*$/;

/**
 * Reads a data model file: vigil's YAML (`name`, `datasets` with `constraint` or `base_search`, `fields`,
 * `calculations`), an extension (`extends: <model>`), or Splunk's own data model JSON (`modelName`,
 * `objects` with `fields`, `calculations`, `constraints`, `baseSearch`, `parentName`), so a user can drop
 * in the JSON of their Splunk. Problems are reported on the reader with their line; null when the file
 * defines nothing usable.
 */
export function readDataModelFile(r: YamlReader): DataModelFile | null {
  if (!r.ok) return null;
  const top = r.top();
  if (!top.isMap) {
    top.report('a data model file must be a mapping (name, datasets) or Splunk data model JSON (modelName, objects)');
    return null;
  }
  if (top.key('objects').exists || top.key('modelName').exists) return readSplunkJson(r, top);
  onlyKeys(top, ['name', 'extends', 'description', 'datasets']);
  const at = spot(top);
  const ext = top.key('extends').string();
  if (ext !== undefined) {
    if (top.key('name').exists) top.key('name').report('a file with "extends" adds to that data model: it has no name of its own');
    const datasets: DatasetExtension[] = [];
    const known = new Set<string>();
    for (const n of top.key('datasets').list()) {
      const name = n.key('name').string({ required: true });
      if (name === undefined) continue;
      const selects = n.key('parent').exists || n.key('constraint').exists || n.key('base_search').exists;
      if (!selects) {
        onlyKeys(n, ['name', 'description', 'fields', 'calculations']);
        datasets.push({ kind: 'add', name, fields: readFields(n.key('fields')), calculations: readCalculations(n.key('calculations')), at: spot(n) });
        continue;
      }
      // A new dataset: its parent may be in the extended model (checked when the extension is applied) or earlier here.
      const d = readDataset(n, known, true);
      if (d) {
        known.add(d.name);
        datasets.push({ kind: 'new', dataset: d });
      }
    }
    return { kind: 'extension', extension: { extends: ext, datasets, file: r.file, at } };
  }
  const name = modelName(top.key('name'));
  if (name === undefined) return null;
  const datasets: Dataset[] = [];
  const known = new Set<string>();
  for (const n of top.key('datasets').list()) {
    const d = readDataset(n, known, false);
    if (!d) continue;
    if (known.has(d.name)) {
      n.key('name').report(`dataset "${d.name}" is defined twice`);
      continue;
    }
    known.add(d.name);
    datasets.push(d);
  }
  if (!top.key('datasets').exists) top.report('missing required field "datasets"');
  const model: DataModel = { name, datasets, files: [r.file], at };
  const description = top.key('description').string();
  if (description !== undefined) model.description = description;
  return { kind: 'model', model };
}

function readDataset(n: YamlNode, known: ReadonlySet<string>, parentMayBeElsewhere: boolean): Dataset | null {
  onlyKeys(n, ['name', 'parent', 'constraint', 'base_search', 'description', 'fields', 'calculations']);
  const nameNode = n.key('name');
  const name = datasetName(nameNode);
  if (name === undefined) return null;
  const parent = n.key('parent').string() ?? null;
  if (parent !== null && !parentMayBeElsewhere && !known.has(parent)) {
    n.key('parent').report(`parent dataset "${parent}" must be defined before "${name}" in this file`);
    return null;
  }
  const constraint = n.key('constraint');
  const base = n.key('base_search');
  if (constraint.exists && base.exists) n.report('a dataset has a constraint or a base_search, not both');
  if (parent !== null && base.exists) base.report('only a root dataset (no parent) can have a base_search: a child adds a constraint');
  const selection = base.exists ? 'baseSearch' : 'constraint';
  const searchNode = base.exists ? base : constraint;
  const d: Dataset = {
    name,
    parent,
    selection,
    search: searchNode.string() ?? '',
    searchAt: textSpot(searchNode),
    fields: readFields(n.key('fields')),
    calculations: readCalculations(n.key('calculations')),
    at: spot(n),
  };
  const description = n.key('description').string();
  if (description !== undefined) d.description = description;
  return d;
}

/** `fields:` entries: a bare name (a single-valued string field) or `{name, type, multivalue, description}`. */
function readFields(list: YamlNode): FieldDef[] {
  const out: FieldDef[] = [];
  for (const f of list.list()) {
    if (!f.isMap) {
      const name = fieldName(f);
      if (name !== undefined) out.push({ name, type: 'string', multivalue: false, at: spot(f) });
      continue;
    }
    onlyKeys(f, ['name', 'type', 'multivalue', 'description']);
    const def = fieldDef(f, f.key('name'));
    if (def) out.push(def);
  }
  return out;
}

/** `calculations:` entries: `{field, eval, type, multivalue, description}`, evaluated in this order. */
function readCalculations(list: YamlNode): Calculation[] {
  const out: Calculation[] = [];
  for (const c of list.list()) {
    onlyKeys(c, ['field', 'eval', 'type', 'multivalue', 'description']);
    const output = fieldDef(c, c.key('field'));
    const expr = c.key('eval');
    const expression = expr.string({ required: true });
    if (output && expression !== undefined) out.push({ output, expression, expressionAt: textSpot(expr) });
  }
  return out;
}

function fieldDef(n: YamlNode, nameNode: YamlNode): FieldDef | null {
  const name = fieldName(nameNode, true);
  if (name === undefined) return null;
  const type = fieldType(n.key('type'));
  const def: FieldDef = { name, type: type ?? 'string', multivalue: n.key('multivalue').boolean() ?? false, at: spot(nameNode.exists ? nameNode : n) };
  const description = n.key('description').string();
  if (description !== undefined) def.description = description;
  return def;
}

function fieldType(n: YamlNode): FieldType | undefined {
  const t = n.string();
  if (t === undefined) return undefined;
  const lower = t.toLowerCase() as FieldType;
  if ((FIELD_TYPES as readonly string[]).includes(lower)) return lower;
  n.report(`unknown field type "${t}" (types: ${FIELD_TYPES.join(', ')})`);
  return undefined;
}

function fieldName(n: YamlNode, required = false): string | undefined {
  const name = n.string({ required });
  if (name === undefined) return undefined;
  if (!FIELD_NAME.test(name)) {
    n.report(`"${name}" is not a field name (no spaces, quotes, =, |, parentheses, brackets or commas)`);
    return undefined;
  }
  return name;
}

function modelName(n: YamlNode): string | undefined {
  const name = n.string({ required: true });
  if (name !== undefined && !NAME.test(name)) {
    n.report(`"${name}" is not a data model name (letters, digits and _; no dots)`);
    return undefined;
  }
  return name;
}

function datasetName(n: YamlNode): string | undefined {
  const name = n.string({ required: true });
  if (name !== undefined && !NAME.test(name)) {
    n.report(`"${name}" is not a dataset name (letters, digits and _; no dots: they separate dataset paths)`);
    return undefined;
  }
  return name;
}

// ------------------------------------------------------------------ Splunk's data model JSON

/** Parents that mark a root dataset in Splunk's JSON. */
const ROOT_PARENTS = new Set(['BaseEvent', 'BaseSearch']);

/**
 * Splunk's `<Model>.json` (datamodels.conf payload): `objects` with `objectName`, `parentName` (`BaseEvent`,
 * `BaseSearch` or a dataset), `constraints: [{search}]`, `baseSearch`, `fields: [{fieldName, type,
 * multivalue}]`, `calculations: [{calculationType, expression, outputFields}]`. Fields owned by `BaseEvent`
 * are the base fields every dataset has. Only `Eval` calculations run; others are reported and their output
 * fields stay declared (null).
 */
function readSplunkJson(r: YamlReader, top: YamlNode): DataModelFile | null {
  const name = modelName(top.key('modelName'));
  if (name === undefined) return null;
  const objects = top.key('objects').list();
  const byName = new Map<string, YamlNode>();
  for (const o of objects) {
    const n = datasetName(o.key('objectName'));
    if (n === undefined) continue;
    if (byName.has(n)) o.key('objectName').report(`dataset "${n}" is defined twice`);
    else byName.set(n, o);
  }
  // Parents first, whatever the order of `objects`.
  const datasets: Dataset[] = [];
  const placed = new Set<string>();
  const place = (n: string, o: YamlNode, path: string[]): void => {
    if (placed.has(n)) return;
    const parentName = o.key('parentName').string({ required: true }) ?? 'BaseEvent';
    let parent: string | null = null;
    if (parentName === 'BaseTransaction' || parentName === 'BaseInterface') {
      o.key('parentName').report(`${parentName} datasets are not supported`);
      placed.add(n);
      return;
    }
    if (!ROOT_PARENTS.has(parentName)) {
      const p = byName.get(parentName);
      if (!p || path.includes(parentName)) {
        o.key('parentName').report(p ? `dataset "${n}" is its own ancestor` : `parent dataset "${parentName}" is not in this data model`);
        placed.add(n);
        return;
      }
      place(parentName, p, [...path, n]);
      if (!datasets.some((d) => d.name === parentName)) {
        placed.add(n);
        return;
      }
      parent = parentName;
    }
    placed.add(n);
    datasets.push(splunkDataset(n, o, parent, parentName === 'BaseSearch'));
  };
  for (const [n, o] of byName) place(n, o, []);
  const model: DataModel = { name, datasets, files: [r.file], at: spot(top) };
  const description = top.key('description').string() ?? top.key('displayName').string();
  if (description !== undefined) model.description = description;
  return { kind: 'model', model };
}

function splunkDataset(name: string, o: YamlNode, parent: string | null, baseSearch: boolean): Dataset {
  // Splunk's JSON may list with a dataset what it inherits, each with its `owner` (BaseEvent, or the dataset path
  // that declares it: `Orders` in `Orders.Big`): only the dataset's own are its own, or an inherited calculation
  // would run twice.
  const own = (n: YamlNode): boolean => {
    const owner = n.key('owner').string();
    return owner === undefined || owner === name || owner.endsWith(`.${name}`);
  };
  const fields: FieldDef[] = [];
  // A Required field selects the events that have it (Knowledge Manager Manual, "Define dataset fields": only
  // events that contain it are returned), as the `fieldSearch` (`status=*`) Splunk adds to the dataset's search.
  const required: string[] = [];
  for (const f of o.key('fields').list()) {
    if (!own(f)) continue;
    const fname = fieldName(f.key('fieldName'), true);
    if (fname !== undefined && f.key('required').boolean() === true) required.push(f.key('fieldSearch').string()?.trim() || `${fname}=*`);
    if (fname === undefined || ['_time', 'host', 'source', 'sourcetype'].includes(fname)) continue;
    fields.push({ name: fname, type: fieldType(f.key('type')) ?? 'string', multivalue: f.key('multivalue').boolean() ?? false, at: spot(f) });
  }
  const calculations: Calculation[] = [];
  for (const c of o.key('calculations').list()) {
    if (!own(c)) continue;
    const outputs = c.key('outputFields').list();
    const kind = c.key('calculationType').string() ?? 'Eval';
    const outs: FieldDef[] = [];
    for (const f of outputs) {
      const fname = fieldName(f.key('fieldName'), true);
      if (fname !== undefined) outs.push({ name: fname, type: fieldType(f.key('type')) ?? 'string', multivalue: f.key('multivalue').boolean() ?? false, at: spot(f) });
      // Its filter would run after the calculation, where a dataset has no search of its own here.
      if (fname !== undefined && f.key('required').boolean() === true) f.key('required').report(`a calculated field that is Required does not select events here: ${fname} is calculated, events without it stay in the dataset`, 'warning');
    }
    if (kind.toLowerCase() !== 'eval') {
      c.key('calculationType').report(`${kind} calculations are not supported: ${outs.map((f) => f.name).join(', ') || 'their fields'} stay null`, 'warning');
      fields.push(...outs.filter((f) => !fields.some((g) => g.name === f.name)));
      continue;
    }
    const expr = c.key('expression');
    const expression = expr.string({ required: true });
    if (expression === undefined || outs.length === 0) {
      if (outs.length === 0) c.report('an Eval calculation needs one output field (outputFields)');
      continue;
    }
    calculations.push({ output: outs[0]!, expression, expressionAt: textSpot(expr) });
  }
  const constraints = o.key('constraints').list().filter(own);
  const searchNode = baseSearch ? o.key('baseSearch') : constraints[0]?.key('search');
  const texts = baseSearch ? [o.key('baseSearch').string({ required: true }) ?? ''] : constraints.map((c) => c.key('search').string() ?? '').filter((s) => s.trim() !== '');
  // Several constraints of one dataset all apply; Required fields' searches after them (offsets of the first
  // constraint's text, which problems are located by, unchanged; OR binds tighter than the implied AND).
  let search = texts.length > 1 ? texts.map((t) => `(${t})`).join(' ') : (texts[0] ?? '');
  if (required.length > 0) search = baseSearch ? `${search} | search ${required.join(' ')}` : [search, ...required].filter((t) => t.trim() !== '').join(' ');
  const d: Dataset = {
    name,
    parent,
    selection: baseSearch ? 'baseSearch' : 'constraint',
    search,
    searchAt: searchNode ? textSpot(searchNode) : spot(o),
    fields,
    calculations,
    at: spot(o),
  };
  const description = o.key('description').string() ?? commentText(o.key('comment'));
  if (description !== undefined) d.description = description;
  return d;
}

/**
 * A Splunk JSON `comment`: text, or an object whose `description` is the text. CIM's datasets write
 * `"comment": {"tags": ["network", "communicate"]}`, which describes nothing vigil reads: no text, no problem.
 */
function commentText(n: YamlNode): string | undefined {
  if (n.isList) return undefined;
  if (!n.isMap) return n.string();
  const d = n.key('description');
  return d.isMap || d.isList ? undefined : d.string();
}

// ------------------------------------------------------------------ event types

/**
 * Reads an event type file (eventtypes.conf + tags.conf as YAML): `name`, `search` (a search expression,
 * no pipes), `tags` (list), `description`; or `name` + `disabled: true` to remove an event type of that name.
 */
export function readEventTypeFile(r: YamlReader): EventTypeFile | null {
  if (!r.ok) return null;
  const top = r.top();
  if (!top.isMap) {
    top.report('an event type file must be a mapping (name, search, tags)');
    return null;
  }
  onlyKeys(top, ['name', 'search', 'tags', 'description', 'disabled']);
  const nameNode = top.key('name');
  const name = nameNode.string({ required: true });
  if (name === undefined) return null;
  if (!TAG.test(name)) {
    nameNode.report(`"${name}" is not an event type name (letters, digits, _ . : -)`);
    return null;
  }
  if (top.key('disabled').boolean() === true) return { kind: 'disabled', name };
  const s = top.key('search');
  const search = s.string({ required: true });
  if (search === undefined) return null;
  const tags: string[] = [];
  for (const t of top.key('tags').list()) {
    const tag = t.string();
    if (tag === undefined) continue;
    if (!TAG.test(tag)) t.report(`"${tag}" is not a tag (letters, digits, _ . : -)`);
    else if (!tags.includes(tag)) tags.push(tag);
  }
  const eventType: EventType = { name, search, searchAt: textSpot(s), tags, at: spot(top) };
  const description = top.key('description').string();
  if (description !== undefined) eventType.description = description;
  return { kind: 'eventtype', eventType };
}

// ------------------------------------------------------------------ helpers

function spot(n: YamlNode): ContentSpot {
  const p = n.reader.positionOf(n.node);
  return { file: n.reader.file, line: p.line, column: p.column };
}

function textSpot(n: YamlNode): ContentSpot {
  const runs = n.valueRuns();
  return { file: n.reader.file, line: runs[1]!, column: runs[2]!, runs };
}

/** Reports keys a mapping does not know (a typo such as `constrant` would otherwise be silently ignored). */
function onlyKeys(n: YamlNode, allowed: readonly string[]): void {
  if (!n.isMap) return;
  for (const k of n.keys()) if (!allowed.includes(k)) n.key(k).report(`unknown key "${k}" (expected ${allowed.join(', ')})`);
}

// ------------------------------------------------------------------ file names

/**
 * The same content with every file name mapped (content snapshots store names relative to their directory and
 * show them relative to the working directory when loaded).
 */
export function relocateDataModelFile(f: DataModelFile, map: (file: string) => string): DataModelFile {
  const at = (s: ContentSpot): ContentSpot => ({ ...s, file: map(s.file) });
  const field = (x: FieldDef): FieldDef => ({ ...x, at: at(x.at) });
  const calc = (c: Calculation): Calculation => ({ ...c, output: field(c.output), expressionAt: at(c.expressionAt) });
  const dataset = (d: Dataset): Dataset => ({ ...d, searchAt: at(d.searchAt), fields: d.fields.map(field), calculations: d.calculations.map(calc), at: at(d.at) });
  if (f.kind === 'model') return { kind: 'model', model: { ...f.model, datasets: f.model.datasets.map(dataset), files: f.model.files.map(map), at: at(f.model.at) } };
  const e = f.extension;
  const datasets = e.datasets.map((x): DatasetExtension => (x.kind === 'new' ? { kind: 'new', dataset: dataset(x.dataset) } : { ...x, fields: x.fields.map(field), calculations: x.calculations.map(calc), at: at(x.at) }));
  return { kind: 'extension', extension: { ...e, datasets, file: map(e.file), at: at(e.at) } };
}

export function relocateEventTypeFile(f: EventTypeFile, map: (file: string) => string): EventTypeFile {
  if (f.kind === 'disabled') return f;
  const t = f.eventType;
  return { kind: 'eventtype', eventType: { ...t, searchAt: { ...t.searchAt, file: map(t.searchAt.file) }, at: { ...t.at, file: map(t.at.file) } } };
}
