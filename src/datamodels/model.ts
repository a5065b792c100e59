/**
 * Data models and event types as content: the shapes the loader (load.ts) reads from content files and the
 * libraries (library.ts) resolve, with no knowledge of SPL (the engine compiles the searches and evals
 * written here: src/spl/datamodel/).
 */

/** Where a piece of content is written, for messages (`file:line:column`). */
export interface ContentSpot {
  file: string;
  line: number;
  column: number;
  /** For the text of an expression: where each of its characters is in the file (yaml/reader.ts `valueRuns`). */
  runs?: number[];
}

/** Splunk's data model field types (`childCount`/`objectCount` are pivot-only: read, never computed). */
export const FIELD_TYPES = ['string', 'number', 'boolean', 'ipv4', 'timestamp', 'childcount', 'objectcount'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FieldDef {
  name: string;
  type: FieldType;
  multivalue: boolean;
  description?: string;
  at: ContentSpot;
}

/** A calculated field: an eval expression evaluated on every event of the dataset, in declared order. */
export interface Calculation {
  output: FieldDef;
  /** The eval expression (the right-hand side of `eval <output>=...`). */
  expression: string;
  /** Where the expression's text starts in its file. */
  expressionAt: ContentSpot;
}

/**
 * How a dataset selects its events: a root *event* dataset and every child have a `constraint` (a search
 * expression, ANDed with the ancestors'); a root *search* dataset has a `baseSearch`, a whole streaming
 * pipeline (`(...) tag=process tag=report | eval ...`). Empty text selects everything.
 */
export type SelectionKind = 'constraint' | 'baseSearch';

export interface Dataset {
  name: string;
  /** The parent dataset's name, or null for a root dataset. */
  parent: string | null;
  selection: SelectionKind;
  search: string;
  /** Where the search text starts in its file. */
  searchAt: ContentSpot;
  /** Declared fields, in order (calculated fields are the calculations' outputs). */
  fields: FieldDef[];
  calculations: Calculation[];
  description?: string;
  at: ContentSpot;
}

export interface DataModel {
  name: string;
  description?: string;
  /** Datasets in declaration order; parents come before their children. */
  datasets: Dataset[];
  /** Every file that defined or extended the model, in load order. */
  files: string[];
  at: ContentSpot;
}

/**
 * A content file that adds to a model defined elsewhere (`extends: Endpoint`) instead of replacing it: new
 * datasets, and fields and calculations appended to existing datasets.
 */
export interface DataModelExtension {
  extends: string;
  datasets: DatasetExtension[];
  file: string;
  at: ContentSpot;
}

/** A dataset of an extension: a new dataset (`dataset`), or additions to an existing one. */
export type DatasetExtension = { kind: 'new'; dataset: Dataset } | { kind: 'add'; name: string; fields: FieldDef[]; calculations: Calculation[]; at: ContentSpot };

/** Fields every dataset has, from the event itself; never prefixed (`_time`, not `Processes._time`). */
export const BASE_FIELDS: readonly string[] = ['_time', 'host', 'source', 'sourcetype', 'index'];

/** An event type (eventtypes.conf with its tags.conf tags): events matching `search` get `eventtype=name` and the tags. */
export interface EventType {
  name: string;
  /** A search expression (no pipes). */
  search: string;
  searchAt: ContentSpot;
  tags: string[];
  description?: string;
  at: ContentSpot;
}
