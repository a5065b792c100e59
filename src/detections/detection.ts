import { parseTimeModifier } from '../spl/time/modifiers.js';
import type { YamlNode } from '../yaml/reader.js';
import { parseCron } from './cron.js';

export type DetectionType = 'TTP' | 'Anomaly' | 'Hunting' | 'Correlation' | 'Baseline' | 'Investigation';
const TYPES: readonly DetectionType[] = ['TTP', 'Anomaly', 'Hunting', 'Correlation', 'Baseline', 'Investigation'];

export interface RiskObject {
  field: string;
  type: string;
  score: number;
  /** The risk message; shared by all objects in the older `rba` schema, per entity in `intermediate_findings`. */
  message: string;
  /**
   * false for a `tags.observable` without the Victim role (a risk object of type other): contentctl 4's unit tests
   * required only the Victims' fields in the results.
   */
  unitTested?: false;
}

export interface ThreatObject {
  field: string;
  type: string;
}

export interface FilePosition {
  line: number;
  column: number;
}

export interface AttackData {
  data: string;
  source: string;
  sourcetype: string;
  customIndex?: string;
  host?: string;
  /** Where `data:`'s value is in the detection's file (vigil validate points at it). */
  at?: FilePosition;
}

/** vigil's extension to tests: exact expectations for golden tests. */
export interface ExpectedResults {
  count?: number;
  /** Every listed row must appear among the results (fields compared as text; arrays for multivalues). */
  rows?: Record<string, string | number | (string | number)[]>[];
  /** When true, the results must be exactly `rows` (same number, any order). */
  exact?: boolean;
}

export interface DetectionTest {
  name: string;
  testType: 'unit' | 'integration';
  attackData: AttackData[];
  expected?: ExpectedResults;
  line: number;
}

/** When and over which window a detection runs (ES's saved-search settings). */
export interface Schedule {
  cron: string;
  earliest: string;
  latest: string;
  /** Minutes by which a start may be delayed, or 'auto' (spread starts), as savedsearches.conf schedule_window. */
  scheduleWindow: 'auto' | number;
  /** Upstream content ships detections disabled; vigil's config decides what runs. */
  disabled: boolean;
  /** vigil extension: 'realtime' runs the detection on tumbling windows within seconds of ingest instead of its cron. */
  mode: 'scheduled' | 'realtime';
  /** Tumbling window of realtime mode, seconds. */
  realtimeWindowSeconds: number;
}

/** ES's default for security_content detections. */
export const DEFAULT_SCHEDULE: Schedule = {
  cron: '0 * * * *',
  earliest: '-70m@m',
  latest: '-10m@m',
  scheduleWindow: 'auto',
  disabled: true,
  mode: 'scheduled',
  realtimeWindowSeconds: 10,
};

/** A detection as loaded from security_content-style YAML (either schema generation). */
export interface Detection {
  id: string;
  name: string;
  version: number | null;
  date: string | null;
  author: string | null;
  status: string | null;
  type: DetectionType;
  description: string;
  dataSource: string[];
  search: string;
  /** Line of the `search:` value's first line in `file`, so SPL errors can be mapped to the YAML. */
  searchLine: number;
  /**
   * Where the values lints look at are in `file` (vigil validate points at them), in the order of their lists:
   * each risk and threat object's field, ATT&CK id, analytic story; and, one per risk object, where the characters
   * of its message are (`YamlNode.valueRuns`, for `positionIn`: a `$field$` token's own line and column).
   */
  positions: {
    riskObjects: FilePosition[];
    threatObjects: FilePosition[];
    mitreAttackIds: FilePosition[];
    analyticStories: FilePosition[];
    riskMessages: number[][];
    /** The `drilldown_searches` key, absent without one. */
    drilldownSearches?: FilePosition;
  };
  howToImplement: string | null;
  knownFalsePositives: string | null;
  references: string[];
  riskObjects: RiskObject[];
  threatObjects: ThreatObject[];
  analyticStories: string[];
  mitreAttackIds: string[];
  assetType: string | null;
  securityDomain: string | null;
  product: string[];
  schedule: Schedule;
  tests: DetectionTest[];
  /** contentctl's `tags.manual_test`: why the detection is tested by hand (contentctl skips its tests), or null. */
  manualTest: string | null;
  /** The `search:` of each `drilldown_searches` entry (ES's drilldowns; vigil validate checks contentctl's rule on them). */
  drilldownSearches: string[];
  /** ES's alert.suppress (vigil's `throttle:`): results whose field values fired within the period produce nothing. */
  throttle: { fields: string[]; periodSeconds: number } | null;
  /** The macro every detection ends with: `<snake_case_name>_filter`. */
  filterMacro: string;
  file: string;
  /**
   * 'rba' (rba + tags), 'findings' (intermediate_findings + top-level fields), or 'observables' (before
   * 2025: `tags.observable`, `tags.risk_score`, `tags.message`).
   */
  schema: 'rba' | 'findings' | 'observables';
}

/** security_content's file/macro naming: lower case, every non-alphanumeric character becomes `_`. */
export function snakeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '_');
}

export function filterMacroName(name: string): string {
  return `${snakeName(name)}_filter`;
}

/**
 * Tag fields of every security_content generation (contentctl's DetectionTags, the older `observable` generation's,
 * vigil's `throttle`-era files): under `tags:`, or at the top level where newer files put them.
 */
const TAG_KEYS = new Set([
  'analytic_story', 'asset_type', 'atomic_guid', 'automated_detection_testing', 'category', 'cis20', 'confidence', 'context', 'cve', 'CVE',
  'dataset', 'event_schema', 'group', 'impact', 'kill_chain_phases', 'manual_test', 'mappings', 'message',
  'mitre_attack_enrichments', 'mitre_attack_id', 'nist', 'observable', 'product', 'required_fields', 'research_site_url',
  'risk_score', 'security_domain', 'supported_tas', 'throttling',
]);
/** Top-level fields of every generation (contentctl's Detection and SecurityContentObject, older and 2026 files', vigil's). */
const TOP_KEYS = new Set([
  'author', 'creation_date', 'data_source', 'data_sources', 'datamodel', 'date', 'deployment', 'deprecation_info', 'description',
  'drilldown_searches', 'enabled_by_default', 'explanation', 'how_to_implement', 'id', 'intermediate_findings',
  'known_false_positives', 'modification_date', 'name', 'rba', 'references', 'schedule', 'search', 'status', 'tags',
  'tests', 'threat_objects', 'throttle', 'type', 'version',
]);

/**
 * contentctl refuses fields its models do not have (extra="forbid"); vigil warns, so that a misspelled one
 * (`how_to_implment`, `tags.mitre_attack_ids`: no ATT&CK ids) is seen instead of silently meaning nothing.
 */
function warnUnknownFields(top: YamlNode): void {
  warnUnknown(top, 'detection', (k) => TOP_KEYS.has(k) || TAG_KEYS.has(k));
  const tags = top.key('tags');
  if (tags.isMap) warnUnknown(tags, 'tags', (k) => TAG_KEYS.has(k));
  // contentctl's rba_object, risk_object, threat_object and Drilldown: `threat_object:` for threat_objects dropped the
  // threat objects without a word.
  const maps = (n: YamlNode): YamlNode[] => (n.isList ? n.list().filter((x) => x.isMap) : []);
  const rba = top.key('rba');
  if (rba.isMap) {
    warnUnknown(rba, 'rba', (k) => k === 'message' || k === 'risk_objects' || k === 'threat_objects');
    for (const o of maps(rba.key('risk_objects'))) warnUnknown(o, 'risk object', (k) => k === 'field' || k === 'type' || k === 'score');
    for (const o of maps(rba.key('threat_objects'))) warnUnknown(o, 'threat object', (k) => k === 'field' || k === 'type');
  }
  for (const d of maps(top.key('drilldown_searches'))) {
    warnUnknown(d, 'drilldown search', (k) => k === 'name' || k === 'search' || k === 'earliest_offset' || k === 'latest_offset');
  }
}

/** Unknown fields reported one by one at most (a file of 50,000 keys gets a count for the rest, not 50,000 warnings). */
const MAX_UNKNOWN_REPORTED = 10;

export function warnUnknown(map: YamlNode, what: string, known: (k: string) => boolean): void {
  const unknown = map.keys().filter((k) => !known(k));
  for (const k of unknown.slice(0, MAX_UNKNOWN_REPORTED)) map.key(k).report(`unknown ${what} field "${k}" (ignored: a typo?)`, 'warning');
  if (unknown.length > MAX_UNKNOWN_REPORTED) map.report(`${unknown.length - MAX_UNKNOWN_REPORTED} more unknown ${what} fields (ignored)`, 'warning');
}

/** Reads a detection from a parsed YAML document; problems are reported on the reader. */
export function readDetection(top: YamlNode, file: string): Detection | null {
  if (!top.isMap) {
    top.report('a detection file must be a YAML mapping');
    return null;
  }
  warnUnknownFields(top);
  const name = top.key('name').string({ required: true });
  const id = top.key('id').string({ required: true });
  const typeNode = top.key('type');
  const typeText = typeNode.string({ required: true });
  const searchNode = top.key('search');
  const search = searchNode.string({ required: true });
  const type = TYPES.find((t) => t.toLowerCase() === typeText?.toLowerCase());
  if (typeText && !type) typeNode.report(`unknown detection type "${typeText}" (expected one of ${TYPES.join(', ')})`);
  // contentctl's AnalyticsType values are case-sensitive: its model refuses "ttp"; vigil reads it as TTP.
  else if (typeText && type !== typeText) typeNode.report(`type "${typeText}" is written "${type}" in contentctl, which refuses this one`, 'warning');
  const status = top.key('status').string();
  // contentctl's detection statuses; another (a typo of production) would have vigil test skip the tests as non-production.
  if (status !== undefined && !['production', 'experimental', 'deprecated'].includes(status.toLowerCase())) {
    top.key('status').report(`status "${status}" is not production, experimental or deprecated (its tests are skipped as non-production)`, 'warning');
  } else if (status !== undefined && status !== status.toLowerCase()) {
    // contentctl's ContentStatus values are lower case and its model refuses "Production"; vigil reads it as production.
    top.key('status').report(`status "${status}" is written in lower case in contentctl ("${status.toLowerCase()}"), which refuses this one`, 'warning');
  }
  if (id && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) top.key('id').report(`id "${id}" is not a UUID`);

  const hasFindings = top.key('intermediate_findings').exists;
  const hasRba = top.key('rba').exists;
  const tags = top.key('tags');
  // Newer files put tag fields at the top level; older ones under `tags:`.
  const tagField = (k: string): YamlNode => (top.key(k).exists ? top.key(k) : tags.key(k));

  const riskObjects: RiskObject[] = [];
  const threatObjects: ThreatObject[] = [];
  const positions: Detection['positions'] = { riskObjects: [], threatObjects: [], mitreAttackIds: [], analyticStories: [], riskMessages: [] };
  let threatNode: YamlNode | null = null;
  const observables = !hasFindings && !hasRba && tags.key('observable').exists;
  if (observables) {
    readObservables(tags, type, riskObjects, threatObjects, positions);
  } else if (hasFindings) {
    for (const e of top.key('intermediate_findings').key('entities').list()) {
      const field = e.key('field').string({ required: true });
      const score = e.key('score').number({ required: true, min: 0, max: 100 });
      if (field && score !== undefined) {
        riskObjects.push({ field, type: e.key('type').string() ?? 'system', score, message: e.key('message').string() ?? '' });
        positions.riskObjects.push(e.key('field').position);
        positions.riskMessages.push(e.key('message').valueRuns());
      }
    }
    threatNode = top.key('threat_objects');
  } else {
    const rba = top.key('rba');
    const message = rba.key('message').string() ?? '';
    if (hasRba && !message) rba.report('rba needs a message');
    // Every risk object's message: its runs are walked once (per object, 20,000 objects of a long message took 27 s).
    const messageRuns = rba.key('message').valueRuns();
    for (const o of rba.key('risk_objects').list()) {
      const field = o.key('field').string({ required: true });
      const score = o.key('score').number({ required: true, min: 0, max: 100 });
      const riskType = o.key('type').string();
      // contentctl's RiskObjectType: ES's risk_object_type is one of these three.
      if (riskType !== undefined && !RISK_OBJECT_TYPES.has(riskType)) o.key('type').report(`risk object type must be system, user or other, not "${riskType}"`, 'warning');
      if (field && score !== undefined) {
        riskObjects.push({ field, type: riskType ?? 'system', score, message });
        positions.riskObjects.push(o.key('field').position);
        positions.riskMessages.push(messageRuns);
      }
    }
    threatNode = rba.key('threat_objects');
  }
  for (const o of threatNode?.list() ?? []) {
    const field = o.key('field').string({ required: true });
    const threatType = o.key('type').string();
    // contentctl's ThreatObjectType; another (a typo) was taken as it is.
    if (threatType !== undefined && !THREAT_OBJECT_TYPES.has(threatType)) {
      o.key('type').report(`threat object type "${threatType}" is not one of contentctl's (${[...THREAT_OBJECT_TYPES].join(', ')})`, 'warning');
    }
    if (field) {
      threatObjects.push({ field, type: o.key('type').string() ?? 'other' });
      positions.threatObjects.push(o.key('field').position);
    }
  }
  // Not when risk objects are written but have an error of their own (reported there): one problem, where it is.
  const ro = hasFindings ? top.key('intermediate_findings').key('entities') : top.key('rba').key('risk_objects');
  const written = ro.isList ? ro.list().length > 0 : ro.exists;
  if ((type === 'TTP' || type === 'Anomaly') && riskObjects.length === 0 && !observables && !written) {
    top.report(`${type} detections need risk objects (rba.risk_objects or intermediate_findings.entities)`, 'warning');
  }

  const tests: DetectionTest[] = [];
  const testsNode = top.key('tests');
  // contentctl's tests is a list of test objects: `tests: hello` was read as a test missing its name and data.
  if (testsNode.exists && !testsNode.isList) testsNode.report('"tests" must be a list of tests (- name: ..., attack_data: [...])');
  for (const t of testsNode.isList ? testsNode.list() : []) {
    const attackData: AttackData[] = [];
    for (const a of t.key('attack_data').list()) {
      const data = a.key('data').string({ required: true });
      const source = a.key('source').string({ required: true });
      const sourcetype = a.key('sourcetype').string({ required: true });
      if (data && source && sourcetype) {
        const customIndex = a.key('custom_index').string();
        const host = a.key('host').string();
        attackData.push({ data: data.trim(), source, sourcetype, ...(customIndex ? { customIndex } : {}), ...(host ? { host } : {}), at: a.key('data').position });
      }
      for (const k of a.keys()) {
        if (!['data', 'source', 'sourcetype', 'custom_index', 'host', 'update_timestamp'].includes(k)) a.key(k).report(`unknown attack_data field "${k}"`);
      }
    }
    // (An entry missing a field is reported there.)
    if (t.key('attack_data').list().length === 0) t.report('a test needs at least one attack_data entry');
    // contentctl's test models forbid other fields; a mistyped one (`expect:`) would leave the test checking nothing it says.
    for (const k of t.keys()) {
      // contentctl's BaseTest has them, but its unit tests search all time (FORCE_ALL_TIME): accepted, and said to be ignored.
      if (k === 'earliest_time' || k === 'latest_time') t.key(k).report(`test ${k} is ignored: tests search all of their data (as contentctl's)`, 'warning');
      else if (!TEST_FIELDS.includes(k)) t.key(k).report(`unknown test field "${k}" (a test has ${TEST_FIELDS.join(', ')})`);
    }
    const tt = t.key('test_type').string() ?? 'unit';
    // contentctl's TestType has unit, integration and manual; a YAML test is read as its UnitTest whatever the type says,
    // so a `manual` one runs as a unit test (skipped, as every test, when tags.manual_test is set).
    if (tt !== 'unit' && tt !== 'integration' && tt !== 'manual') t.key('test_type').report(`test_type must be unit, integration or manual, not "${tt}"`);
    const expected = readExpected(t.key('expected'));
    tests.push({
      name: t.key('name').string({ required: true }) ?? 'unnamed test',
      testType: tt === 'integration' ? 'integration' : 'unit',
      attackData,
      ...(expected ? { expected } : {}),
      line: t.line,
    });
  }

  const attackIds = tagField('mitre_attack_id').stringsAt();
  const stories = tagField('analytic_story').stringsAt();
  // contentctl's inline `deployment.scheduling` overrides its type's default deployment (Deployment.getDeployment), and
  // `enabled_by_default: true` is the `disabled = false` it writes: both were ignored (hourly, disabled, whatever the file said).
  const deployed = top.key('schedule').exists ? top.key('schedule') : top.key('deployment').key('scheduling');
  const schedule = readSchedule(deployed, top.key('enabled_by_default').boolean());
  // A schedule the scheduler cannot follow keeps the detection out (reported at the field), as a missing search does.
  if (!name || !id || !search || !type || !schedule) return null;
  return {
    id,
    name,
    version: top.key('version').number() ?? null,
    date: top.key('modification_date').string() ?? top.key('date').string() ?? null,
    author: top.key('author').string() ?? null,
    status: status ?? null,
    type,
    description: top.key('description').string() ?? '',
    dataSource: top.key('data_source').strings(),
    search,
    searchLine: searchNode.line + (searchNode.node && 'type' in searchNode.node && String(searchNode.node.type).startsWith('BLOCK') ? 1 : 0),
    howToImplement: top.key('how_to_implement').string() ?? null,
    knownFalsePositives: top.key('known_false_positives').string() ?? null,
    references: top.key('references').strings(),
    positions: {
      ...positions,
      mitreAttackIds: attackIds.map((s) => s.at),
      analyticStories: stories.map((s) => s.at),
      ...(top.key('drilldown_searches').exists ? { drilldownSearches: top.key('drilldown_searches').position } : {}),
    },
    riskObjects,
    threatObjects,
    analyticStories: stories.map((s) => s.value),
    mitreAttackIds: attackIds.map((s) => s.value),
    assetType: tagField('asset_type').string() ?? null,
    securityDomain: tagField('security_domain').string() ?? null,
    product: tagField('product').strings(),
    schedule,
    tests,
    manualTest: tagField('manual_test').string() ?? null,
    drilldownSearches: drilldownSearches(top.key('drilldown_searches')),
    // contentctl's `tags.throttling` (ESCU's alert.suppress, .fields, .period) is the same setting as vigil's `throttle`:
    // read only `throttle`, a security_content detection carrying it ran unthrottled.
    throttle: readThrottle(top.key('throttle').exists ? top.key('throttle') : tagField('throttling')),
    filterMacro: filterMacroName(name),
    file,
    schema: hasFindings ? 'findings' : observables ? 'observables' : 'rba',
  };
}

/** Each drilldown's search text (one without a text search: empty); nothing read from what is not a list of them. */
function drilldownSearches(n: YamlNode): string[] {
  if (!n.isList) return [];
  return n.list().map((x) => (x.isMap ? (x.key('search').string() ?? '') : ''));
}

const RISK_OBJECT_TYPES: ReadonlySet<string> = new Set(['system', 'user', 'other']);
/** contentctl's ThreatObjectType (objects/rba.py). */
const THREAT_OBJECT_TYPES: ReadonlySet<string> = new Set([
  'certificate_common_name', 'certificate_organization', 'certificate_serial', 'certificate_unit', 'command', 'domain', 'email_address',
  'email_subject', 'file_hash', 'file_name', 'file_path', 'http_user_agent', 'ip_address', 'process', 'process_name', 'parent_process',
  'parent_process_name', 'process_hash', 'registry_path', 'registry_value_name', 'registry_value_text', 'service', 'signature', 'system',
  'tls_hash', 'url',
]);

/** Observable types contentctl 4 turned into risk objects (role Victim) and threat objects (role Attacker). */
const USER_TYPES = new Set(['user', 'username', 'email address']);
const SYSTEM_TYPES = new Set(['device', 'endpoint', 'hostname', 'ip address']);
const THREAT_TYPES: Record<string, string> = { 'process name': 'process', process: 'process', 'file name': 'file_name', file: 'file_name', 'file hash': 'file_name', 'ip address': 'ip_address', 'url string': 'url', url: 'url' };

/**
 * security_content before 2025 (contentctl 4) describes risk with `tags.observable` (name, type, role),
 * one `tags.risk_score` (else confidence x impact / 100) and `tags.message`, and contentctl builds ES's risk
 * action from them (its `Detection.risk`): a Victim of a user or system type is a risk object of that type,
 * an Attacker a threat object (process, file_name, ip_address, url, else its type in lower case), anything
 * else a risk object of type other. ESCU enables the risk action for TTP and Anomaly detections only.
 */
function readObservables(
  tags: YamlNode,
  type: DetectionType | undefined,
  riskObjects: RiskObject[],
  threatObjects: ThreatObject[],
  positions: Detection['positions'],
): void {
  if (type !== 'TTP' && type !== 'Anomaly') return;
  const message = tags.key('message').string() ?? '';
  let score = tags.key('risk_score').number({ min: 0, max: 100 });
  if (score === undefined) {
    const confidence = tags.key('confidence').number({ min: 0, max: 100 });
    const impact = tags.key('impact').number({ min: 0, max: 100 });
    if (confidence !== undefined && impact !== undefined) {
      // contentctl 4: `round((confidence * impact) / 100)`, Python's round, which takes a half to the even integer.
      const x = (confidence * impact) / 100;
      score = x - Math.floor(x) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
    }
  }
  if (score === undefined) {
    tags.key('observable').report('tags.observable needs tags.risk_score (or tags.confidence and tags.impact)');
    return;
  }
  const messageRuns = tags.key('message').valueRuns();
  for (const o of tags.key('observable').list()) {
    const field = o.key('name').string({ required: true });
    const otype = (o.key('type').string({ required: true }) ?? '').toLowerCase();
    const roles = o.key('role').strings();
    if (!field) continue;
    const at = o.key('name').position;
    if (roles.includes('Attacker') && !(roles.includes('Victim') && (USER_TYPES.has(otype) || SYSTEM_TYPES.has(otype)))) {
      threatObjects.push({ field, type: THREAT_TYPES[otype] ?? otype });
      positions.threatObjects.push(at);
      continue;
    }
    const victim = roles.includes('Victim');
    const risk = victim && USER_TYPES.has(otype) ? 'user' : victim && SYSTEM_TYPES.has(otype) ? 'system' : 'other';
    riskObjects.push({ field, type: risk, score, message, ...(victim ? {} : { unitTested: false as const }) });
    positions.riskObjects.push(at);
    positions.riskMessages.push(messageRuns);
  }
}

/** The keys `schedule:` is read with (contentctl's DeploymentScheduling's four, vigil's extensions). */
const SCHEDULE_KEYS = new Set(['cron_schedule', 'cron', 'earliest_time', 'latest_time', 'schedule_window', 'disabled', 'mode', 'realtime_window']);

/** The detection's schedule, or null when its cron or window cannot be evaluated (reported on the field). */
function readSchedule(n: YamlNode, enabledByDefault: boolean | undefined): Schedule | null {
  const disabled = enabledByDefault === undefined ? DEFAULT_SCHEDULE.disabled : !enabledByDefault;
  if (!n.exists) return { ...DEFAULT_SCHEDULE, disabled };
  // A misspelled key (`earliest:` for `earliest_time:`) left the default window in place silently; contentctl refuses
  // extra keys in deployment.scheduling (DeploymentScheduling).
  if (n.isMap) warnUnknown(n, n.path, (k) => SCHEDULE_KEYS.has(k));
  const win = n.key('schedule_window');
  let scheduleWindow: Schedule['scheduleWindow'] = DEFAULT_SCHEDULE.scheduleWindow;
  if (win.exists) {
    const t = win.string();
    if (t === 'auto') scheduleWindow = 'auto';
    else {
      const v = win.number({ min: 0 });
      if (v !== undefined) scheduleWindow = v;
    }
  }
  const mode = n.key('mode').string() ?? 'scheduled';
  if (mode !== 'scheduled' && mode !== 'realtime') n.key('mode').report('schedule.mode must be scheduled or realtime');
  const cronNode = n.key('cron_schedule').exists ? n.key('cron_schedule') : n.key('cron');
  const checked = (node: YamlNode, check: (text: string) => unknown): string | null | undefined => {
    const text = node.string();
    if (text === undefined) return node.exists ? null : undefined;
    try {
      check(text);
      return text;
    } catch (e) {
      node.report(`${node.path}: ${(e as Error).message}`);
      return null;
    }
  };
  const cron = checked(cronNode, (t) => parseCron(t));
  const earliest = checked(n.key('earliest_time'), parseTimeModifier);
  const latest = checked(n.key('latest_time'), parseTimeModifier);
  if (cron === null || earliest === null || latest === null) return null;
  return {
    cron: cron ?? DEFAULT_SCHEDULE.cron,
    earliest: earliest ?? DEFAULT_SCHEDULE.earliest,
    latest: latest ?? DEFAULT_SCHEDULE.latest,
    scheduleWindow,
    disabled: n.key('disabled').boolean() ?? disabled,
    mode: mode === 'realtime' ? 'realtime' : 'scheduled',
    realtimeWindowSeconds: n.key('realtime_window').number({ min: 1, max: 3600 }) ?? DEFAULT_SCHEDULE.realtimeWindowSeconds,
  };
}

function readThrottle(n: YamlNode): Detection['throttle'] {
  if (!n.exists) return null;
  // savedsearches.conf's alert.suppress.fields is "<comma-delimited-field-list>": `fields: a,b` as one text is two fields
  // (read as the field "a,b", which no row has, it suppressed every result of the period but the first).
  const fields = n.key('fields').strings().flatMap((f) => f.split(',').map((x) => x.trim())).filter((f) => f !== '');
  const period = n.key('period').string({ required: true });
  // Splunk's alert.suppress.period: "[number][time-unit]", a plain number being seconds (savedsearches.conf.spec).
  const m = period ? /^(\d+)\s*(s|m|h|d)?$/.exec(period.trim()) : null;
  const at = n.path; // `throttle`, or contentctl's `tags.throttling`
  if (period && !m) n.key('period').report(`${at}.period must look like 30m, 24h, 7d or 86400 (seconds)`);
  // "Time values must be greater than zero" (Alerting Manual, Throttle alerts): 0 throttled nothing across runs.
  const zero = m !== null && Number(m[1]) === 0;
  if (zero) n.key('period').report(`${at}.period must be greater than zero (Splunk refuses a suppression period of 0)`);
  if (fields.length === 0) n.key('fields').report(`${at}.fields needs at least one field`);
  if (!m || zero || fields.length === 0) return null;
  return { fields, periodSeconds: Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'] };
}

/** The fields of a test: contentctl's, and vigil's `expected`. */
const TEST_FIELDS = ['name', 'test_type', 'attack_data', 'expected'];
const EXPECTED_FIELDS = ['count', 'rows', 'exact'];

function readExpected(n: YamlNode): ExpectedResults | undefined {
  if (!n.exists) return undefined;
  for (const k of n.keys()) {
    if (!EXPECTED_FIELDS.includes(k)) n.key(k).report(`unknown expected field "${k}" (expected has ${EXPECTED_FIELDS.join(', ')})`);
  }
  if (!n.key('count').exists && !n.key('rows').exists) n.report('expected checks nothing: give count or rows');
  if (n.key('exact').exists && !n.key('rows').exists) n.key('exact').report('exact needs rows (the results must be exactly those rows)');
  const out: ExpectedResults = {};
  // A test passes only when the detection returns results: a count of 0 could never pass.
  const count = n.key('count').number({ min: 1 });
  if (count !== undefined) out.count = count;
  const exact = n.key('exact').boolean();
  if (exact !== undefined) out.exact = exact;
  const rows = n.key('rows').list();
  if (rows.length) {
    out.rows = rows.map((r) => {
      const row: Record<string, string | number | (string | number)[]> = {};
      for (const k of r.keys()) {
        const v = r.key(k);
        const items = v.node && 'items' in v.node ? v.list().map((x) => x.string() ?? '') : null;
        row[k] = items ?? v.string() ?? '';
      }
      return row;
    });
  }
  return out;
}
