/**
 * The JSON shapes of the console API (docs/api.md), shared by the server and the browser console
 * (web/ imports this file for types only: keep it free of runtime imports).
 */

export type JsonScalar = string | number;
export type JsonField = JsonScalar | JsonScalar[];
/** A search result row, as `resultToJson` renders it. */
export type JsonRow = Record<string, JsonField>;

export type FindingStatus = 'new' | 'in progress' | 'resolved' | 'closed';
export const FINDING_STATUSES: readonly FindingStatus[] = ['new', 'in progress', 'resolved', 'closed'];

export interface ApiErrorBody {
  code: string;
  message: string;
  /** SPL errors: 1-based position in the text the user wrote (or in the macro named by `inMacro`). */
  line?: number;
  column?: number;
  offset?: number;
  length?: number;
  inMacro?: string | null;
  /** The error rendered with its caret, as the CLI prints it. */
  text?: string;
}

export interface SessionInfo {
  user: string;
  kind: 'session' | 'token';
  /** Send in `X-CSRF-Token` on every POST/PUT/PATCH/DELETE made with the session cookie. */
  csrf: string | null;
  /** Whether the server has console users (else only the API token logs in). */
  usersConfigured?: boolean;
}

export interface TimeRange {
  /** Epoch seconds, or null for all time. */
  earliest: number | null;
  latest: number;
}

export interface TimeBucket {
  time: number;
  score: number;
  count: number;
}

export interface RiskSeries {
  /** Bucket width in seconds. */
  span: number;
  buckets: TimeBucket[];
}

export interface RiskObjectSummary {
  riskObject: string;
  riskObjectType: string;
  score: number;
  count: number;
  /** Distinct detections (search_name) that contributed. */
  sources: number;
  lastSeen: number;
}

export interface DetectionFired {
  name: string;
  detectionId: string | null;
  count: number;
  score: number;
  objects: number;
}

export interface Overview extends TimeRange {
  totals: { riskEvents: number; score: number; objects: number; findings: number };
  topObjects: RiskObjectSummary[];
  riskOverTime: RiskSeries;
  findingsByStatus: Record<FindingStatus, number>;
  detectionsFired: DetectionFired[];
}

export interface RiskEvent {
  time: number;
  riskEventId: string | null;
  riskObject: string;
  riskObjectType: string;
  score: number;
  message: string;
  searchName: string;
  detectionId: string | null;
  techniques: string[];
  tactics: string[];
  threatObjects: string[];
  /** Every field of the risk event (the detection's result fields included). */
  fields: JsonRow;
}

/** One process in a pod's process tree: children are the processes it executed. */
export interface ProcessNode {
  pid: number | null;
  name: string;
  /** Binary and arguments. */
  command: string;
  /** First and last exec time seen for this process. */
  time: number | null;
  /** Executions folded into this node (same parent, same command line). */
  count: number;
  /** Whether some risk event names this process (a detection fired on it). */
  flagged: boolean;
  children: ProcessNode[];
}

export interface FindingSummary {
  id: string;
  ruleId: string;
  ruleName: string;
  time: number;
  riskObject: string;
  riskObjectType: string;
  riskScore: number;
  status: FindingStatus;
  owner: string | null;
  updatedAt: number;
}

export interface FindingComment {
  time: number;
  author: string;
  text: string;
}

export interface FindingDetail {
  finding: FindingSummary;
  /** The incident rule's result row. */
  detail: Record<string, unknown>;
  tactics: string[];
  techniques: string[];
  sources: string[];
  comments: FindingComment[];
  /** The risk events that contributed (from `risk_event_ids`). */
  riskEvents: RiskEvent[];
}

export interface RiskObjectDetail extends TimeRange {
  riskObject: string;
  riskObjectType: string;
  score: number;
  /** All risk events of the object in the range (`riskEvents` lists the newest 1000). */
  riskEventCount: number;
  timeline: RiskSeries;
  riskEvents: RiskEvent[];
  findings: FindingSummary[];
}

/** GET /api/risk/objects/:object/processes: the object's process tree from its raw Tetragon exec events. */
export interface ProcessTreeInfo extends TimeRange {
  riskObject: string;
  /** The field that names the object in the raw events (`pod_name`, `node_name`), or null if none does. */
  field: string | null;
  /** Roots are the parents seen in the exec events that were not themselves seen executing. */
  processTree: ProcessNode[];
  /** Raw Tetragon exec events read for the tree, and whether more existed than were read. */
  rawEvents: number;
  rawTruncated: boolean;
}

export interface RunInfo {
  detectionId: string;
  detectionName: string;
  scheduledTime: number;
  earliest: number;
  latest: number;
  startedAt: number;
  endedAt: number;
  status: 'success' | 'failed' | 'timeout' | 'skipped';
  mode: 'scheduled' | 'backfill' | 'realtime';
  resultCount: number;
  riskEventCount: number;
  findingCount: number;
  error: string | null;
}

export interface DetectionSummary {
  id: string;
  name: string;
  type: string;
  enabled: boolean;
  cron: string;
  earliest: string;
  latest: string;
  mode: 'scheduled' | 'realtime';
  nextRun: number | null;
  lastRun: RunInfo | null;
  /** Over the last 24 h of scheduled times. */
  last24h: { runs: number; results: number; riskEvents: number; findings: number; failures: number };
  techniques: string[];
  stories: string[];
  /** Whether the filter macro was changed from the content's. */
  filtered: boolean;
}

export interface FilterMacro {
  name: string;
  definition: string;
  /** Where the definition comes from (content file), or null for the built-in default `search *`. */
  file: string | null;
  /** True when the console saved it (in the data dir). */
  custom: boolean;
}

export interface DetectionDetail extends DetectionSummary {
  description: string;
  search: string;
  status: string | null;
  author: string | null;
  version: number | null;
  date: string | null;
  dataSource: string[];
  references: string[];
  knownFalsePositives: string | null;
  howToImplement: string | null;
  riskObjects: { field: string; type: string; score: number; message: string }[];
  threatObjects: { field: string; type: string }[];
  attack: { id: string; tactics: string[] }[];
  throttle: { fields: string[]; periodSeconds: number } | null;
  filterMacro: FilterMacro;
  runs: RunInfo[];
  file: string;
}

/**
 * Rows of each search a filter preview compares (the first ones; `truncated` past it; the console says so). Every row
 * comes back to the API's thread to be keyed and diffed: a definition adding `| eval x=mvrange(0,80) | mvexpand x`
 * made 289,360 rows, and four such previews held HEC and the API 13-25 s (found by the hostile-client probes).
 */
export const MAX_PREVIEW_ROWS = 10_000;

export interface FilterPreview extends TimeRange {
  /** Result rows of the detection without any filter, and with the proposed one. */
  before: number;
  after: number;
  /** Rows the filter removes (first 200), and how many in all. */
  suppressed: JsonRow[];
  suppressedCount: number;
  elapsedMs: number;
  /** Present when a search had more than MAX_PREVIEW_ROWS (10,000) rows: only the first of each were compared. */
  truncated?: true;
}

export interface IngestToken {
  name: string;
  defaultIndex: string;
  indexes: string[];
  disabled: boolean;
  useAck: boolean;
  requests: number;
  rejected: number;
  events: number;
  bytes: number;
}

export interface IngestIndex {
  name: string;
  events: number;
  bytes: number;
  earliest: number | null;
  latest: number | null;
  retention: { maxAgeSeconds?: number; maxBytes?: number };
}

/** One dataset of `GET /api/datamodels`: its acceleration (data model summaries) and how far they reach. */
export interface DataModelStatus {
  model: string;
  dataset: string;
  /** Summarized (its model is accelerated in the config and its definition compiled). */
  accelerated: boolean;
  /** Share of the store's events (by seq) the summary has processed, 0–100. */
  coveragePercent: number;
  /** Seconds since the summary last held every committed event (0: it does now). */
  lagSeconds: number;
  rows: number;
  sizeBytes: number;
  /** Seconds of events kept in summaries (null: all time). */
  summaryRangeSeconds: number | null;
  definitionHash: string | null;
  lastError: string | null;
}

export interface DataModelsInfo {
  datasets: DataModelStatus[];
}

export interface IngestInfo {
  hecUrl: string | null;
  hec: {
    startedAt: number;
    requests: number;
    rejectedRequests: number;
    acceptedEvents: number;
    acceptedBytes: number;
    eventsPerSecond: number;
    inflightBytes: number;
    inflightRequests: number;
    pendingAcks: number;
    codes: Record<string, number>;
  } | null;
  tokens: IngestToken[];
  indexes: IngestIndex[];
}

/** Lines of the NDJSON stream of POST /api/search. */
export type SearchLine =
  | { result: JsonRow }
  | { progress: { scanned: number; results: number; elapsedMs: number } }
  /** `warnings`: the search's, as `vigil search` prints them (`message (at line:column)`), at most 100. */
  /**
   * `columns`: the table's columns in order, empty cells included, when a chart, timechart or xyseries declared them
   * (at most 10,000); a row's JSON leaves its empty cells out.
   */
  | { done: true; stats: Record<string, unknown> & { results: number }; warnings: string[]; columns?: string[] }
  | { error: ApiErrorBody; warnings: string[] };

/** The body of POST /api/backfill. Times: epoch seconds, ISO 8601 or a modifier (`-24h@h`). */
export interface BackfillRequest {
  from: number | string;
  to: number | string;
  /** Detection names or ids; default every enabled detection. */
  detections?: string[];
  /** Plan alert actions for the runs' outputs (default true); false for a quiet re-run. */
  actions?: boolean;
}

export interface BackfillTotals {
  runs: number;
  ran: number;
  skipped: number;
  /** Runs whose lease another node held (not in the ledger yet); absent from servers before it was added. */
  held?: number;
  results: number;
  riskEvents: number;
  findings: number;
  failed: number;
  aborted: boolean;
}

/** Lines of the NDJSON stream of POST /api/backfill. */
export type BackfillLine =
  | { run: RunInfo }
  | { progress: { ran: number; runs: number } }
  | { done: BackfillTotals }
  | { error: ApiErrorBody };
