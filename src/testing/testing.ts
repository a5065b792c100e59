import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { VigilError } from '../errors.js';
import type { Event } from '../events/event.js';
import type { Result } from '../events/result.js';
import { toText, valuesOf } from '../events/value.js';
import { riskEventsFor } from '../risk/risk-events.js';
import { messageTokens } from '../detections/risk-message.js';
import { FileSource } from '../sources/file.js';
import { MemorySource } from '../sources/memory.js';
import type { ContentPack } from '../detections/content.js';
import { planDetection, runDetections } from '../detections/run.js';
import { resolveAttackData } from '../detections/datasets.js';
import { withLookupDir } from '../detections/lookup-dir.js';
import { DEFAULT_LOOKUP_LIMITS } from '../spl/lookups.js';
import type { AttackData, Detection, DetectionTest, ExpectedResults } from '../detections/detection.js';
import { wildcardMatcher, type MetadataConstraint, type MetadataField } from '../events/scan.js';

export type TestStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface TestOutcome {
  detection: string;
  detectionId: string;
  test: string;
  testType: DetectionTest['testType'];
  status: TestStatus;
  /** Why it failed, errored or was skipped; empty on pass. */
  message: string;
  /** The first dataset's file name, source and sourcetype (as contentctl's summary shows them). */
  dataset: string;
  source: string;
  sourcetype: string;
  events: number;
  /** Lines of the test data skipped as malformed (as `vigil run` skips them), and the first one's `file:line: reason`. */
  malformed: number;
  firstMalformed: string;
  results: number;
  durationMs: number;
}

export interface TestRunOptions {
  datasetsDirs: readonly string[];
  /** Called as each test finishes. */
  onOutcome?: (o: TestOutcome) => void;
}

/**
 * Runs detections' `tests:` the way contentctl does, offline: each test's attack data goes into an
 * isolated in-memory store with the test's source/sourcetype/index/host, the detection runs over the
 * data's time span, and contentctl's pass conditions apply —
 * - unit: at least one result; every risk-object field present and not null in every result; every
 *   threat-object field present in at least one result;
 * - integration: risk events are written, their messages fully rendered (every $token$ provided), with
 *   the declared score and ATT&CK ids. Hunting detections skip integration tests, and as in contentctl every
 *   test of a Correlation detection, of one tagged manual_test or of one not in production status is skipped.
 * vigil's `expected:` block (count / rows / exact) is checked on top.
 * Tests over the same attack data (same files, source, sourcetype, index and host: the bundled pack mostly
 * tests on one dataset) share one read of it, and their detections run over it in one pass. Outcomes come
 * back in detection and test order.
 */
export async function runDetectionTests(pack: ContentPack, detections: readonly Detection[], opts: TestRunOptions): Promise<TestOutcome[]> {
  const groups = new Map<string, { d: Detection; t: DetectionTest }[]>();
  for (const d of detections) {
    for (const t of d.tests) {
      const key = dataKey(d, t, opts.datasetsDirs) ?? `unresolved ${groups.size}`;
      (groups.get(key) ?? groups.set(key, []).get(key)!).push({ d, t });
    }
  }
  const outcomes = new Map<DetectionTest, TestOutcome>();
  for (const tests of groups.values()) {
    for (const [t, o] of await runGroup(pack, tests, opts)) {
      outcomes.set(t, o);
      opts.onOutcome?.(o);
    }
  }
  return detections.flatMap((d) => d.tests.map((t) => outcomes.get(t)!));
}

/** The index a test's data is read into offline: its `custom_index`, else main. */
export function testIndex(a: AttackData): string {
  return a.customIndex ?? 'main';
}

/** The host a test's data carries: its `host`, else `vigil-test` (contentctl's replay_host). */
export function testHost(a: AttackData): string {
  return a.host ?? 'vigil-test';
}

/** What makes two tests' data the same events; null when a dataset cannot be found (the test reports it alone). */
function dataKey(d: Detection, t: DetectionTest, datasetsDirs: readonly string[]): string | null {
  try {
    return JSON.stringify(t.attackData.map((a) => [resolveAttackData(a.data, datasetsDirs, d.file), a.source, a.sourcetype, testIndex(a), testHost(a)]));
  } catch {
    return null;
  }
}

const errorText = (e: unknown): string => (e as { format?: () => string }).format?.() ?? (e as Error).message;

/** Runs tests that share their attack data: the data is read once, each detection runs once over it. */
async function runGroup(pack: ContentPack, tests: readonly { d: Detection; t: DetectionTest }[], opts: TestRunOptions): Promise<Map<DetectionTest, TestOutcome>> {
  const out = new Map<DetectionTest, TestOutcome>();
  const live = tests.map(({ d, t }) => ({ d, t, ...startOutcome(d, t) })).filter((x) => {
    const skip = skipReason(x.d, x.t);
    if (skip === null) return true;
    out.set(x.t, x.finish('skip', skip));
    return false;
  });
  if (live.length === 0) return out;
  const settle = (fn: (x: (typeof live)[number]) => TestOutcome) => {
    for (const x of live) if (!out.has(x.t)) out.set(x.t, fn(x));
    return out;
  };
  let data: { store: MemorySource; malformed: string[] };
  try {
    data = await readTestData(live[0]!.d, live[0]!.t, opts.datasetsDirs);
  } catch (e) {
    return settle((x) => x.finish('error', errorText(e)));
  }
  const { store, malformed } = data;
  for (const x of live) Object.assign(x.outcome, { events: store.size, malformed: malformed.length, firstMalformed: malformed[0] ?? '' });
  const span = store.span();
  if (!span) return settle((x) => x.finish('fail', `no events in the test data${malformed.length ? ` (${malformed.length} malformed lines, first: ${malformed[0]})` : ''}`));
  const runOpts = { source: store, now: span.latest, tz: 'UTC', earliest: span.earliest, latest: span.latest + 1e-6 };
  const distinct = [...new Map(live.map((x) => [x.d.id, x.d])).values()];
  const results = new Map<string, Result[] | { error: unknown }>();
  try {
    await withTestLookups(pack, async (p) => {
      for (const r of await runDetections(p, distinct, runOpts)) results.set(r.detection.id, r.results);
    });
  } catch {
    // Some detection fails: each runs alone (its lookups written afresh), so that the error is reported on its own tests only.
    for (const d of distinct) {
      try {
        await withTestLookups(pack, async (p) => void results.set(d.id, (await runDetections(p, [d], runOpts))[0]!.results));
      } catch (e) {
        results.set(d.id, { error: e });
      }
    }
  }
  return settle((x) => {
    const r = results.get(x.d.id)!;
    if (!Array.isArray(r)) return x.finish('error', errorText(r.error));
    x.outcome.results = r.length;
    const problems = judgeResults(x.d, x.t, r, span.latest);
    if (r.length === 0 && problems[0] === NO_RESULTS) problems[0] += unreadDataHint(planDetection(pack, x.d, runOpts).scan.metadata, x.t);
    return problems.length ? x.finish('fail', problems.join('; ')) : x.finish('pass');
  });
}

/**
 * Runs `fn` with the content's lookups under a writable lookup directory of its own, removed after: a detection's
 * `outputlookup` writes there, as into the lookups of the fresh Splunk contentctl tests on, and its later `inputlookup`
 * and `lookup` read it. Without one the test errored on "no writable lookup directory", naming options vigil test has not.
 */
async function withTestLookups(pack: ContentPack, fn: (p: ContentPack) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-test-lookups-'));
  try {
    await fn({ ...pack, lookups: withLookupDir(pack.lookups, { dir, refusal: null, ...DEFAULT_LOOKUP_LIMITS }) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const NO_RESULTS = 'the detection returned no results';

/**
 * Why a test found nothing when the search cannot read any of its data: a sourcetype, source, index or host the search
 * selects (its macro, or a data model's event types) that none of the test's `attack_data` has. Empty when it could read
 * some (then the events just did not match). The usual slip: data typed `cisco:isovalent` under a search of
 * `cisco:isovalent:processExec`.
 */
function unreadDataHint(metadata: readonly MetadataConstraint[], t: DetectionTest): string {
  const of = (field: MetadataField, a: AttackData): string =>
    field === 'sourcetype' ? a.sourcetype : field === 'source' ? a.source : field === 'index' ? testIndex(a) : testHost(a);
  for (const c of metadata) {
    const values = [...new Set(t.attackData.map((a) => of(c.field, a)))];
    if (values.some((v) => c.patterns.some((p) => wildcardMatcher(p)(v)))) continue;
    return `: the search reads ${c.field} ${c.patterns.join(', ')} only, and the test's data is ${c.field} ${values.join(', ')}`;
  }
  return '';
}

/** A test's attack data in an isolated in-memory store, with the malformed lines met while reading it. */
async function readTestData(d: Detection, t: DetectionTest, datasetsDirs: readonly string[]): Promise<{ store: MemorySource; malformed: string[] }> {
  const events: Event[] = [];
  const malformed: string[] = [];
  // The events are held, and take about twice their text in the heap: loading past the heap aborted the process (V8
  // out of memory, every outcome lost). Their text is bounded by a quarter of the heap, so they take about half and
  // the search over them has the rest. Counted in text, not in heap use: the heap still holds the garbage of an
  // earlier test's data for a while (a test stopped by heap use stopped the tests after it too).
  const maxChars = getHeapStatistics().heap_size_limit / TEST_DATA_HEAP_SHARE;
  let held = 0;
  for (const a of t.attackData) {
    const file = resolveAttackData(a.data, datasetsDirs, d.file);
    const src = new FileSource([file], {
      sourcetype: a.sourcetype,
      source: a.source,
      index: testIndex(a),
      host: testHost(a),
      onMalformed: (m) => malformed.push(`${basename(m.file)}:${m.line}: ${m.reason}`),
    });
    for await (const batch of src.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' })) {
      for (const e of batch) {
        held += e._raw.length;
        if (held > maxChars) throw testDataTooLarge(a.data, events.length, maxChars);
        delete e.json; // keep the store lean: the engine re-derives fields from _raw
        events.push(e);
      }
    }
  }
  return { store: new MemorySource(events), malformed };
}

/** A test's events may hold at most 1/TEST_DATA_HEAP_SHARE of the heap limit in text (README "Testing detections"). */
const TEST_DATA_HEAP_SHARE = 4;

function testDataTooLarge(data: string, events: number, maxChars: number): VigilError {
  const mb = (n: number): string => `${Math.round(n / 2 ** 20)} MB`;
  return new VigilError(
    'SPL_LIMIT_MEMORY',
    `the test data (${events} events read, up to ${data}) is past ${mb(maxChars)} of text, a quarter of the ${mb(getHeapStatistics().heap_size_limit)} heap (held events take about twice their text, and the search needs room): trim the dataset, or raise the heap (NODE_OPTIONS=--max-old-space-size=MB)`,
  );
}

/** Runs every test of every detection in order, reporting each outcome as it comes. */
export async function forEachTest(
  detections: readonly Detection[],
  onOutcome: ((o: TestOutcome) => void) | undefined,
  run: (d: Detection, t: DetectionTest) => Promise<TestOutcome>,
): Promise<TestOutcome[]> {
  const out: TestOutcome[] = [];
  for (const d of detections) {
    for (const t of d.tests) {
      const o = await run(d, t);
      out.push(o);
      onOutcome?.(o);
    }
  }
  return out;
}

/** A fresh outcome for a test (as contentctl's summary shows it) and the function that settles it. */
export function startOutcome(d: Detection, t: DetectionTest): { outcome: TestOutcome; finish: (status: TestStatus, message?: string) => TestOutcome } {
  const started = performance.now();
  const first = t.attackData[0];
  const outcome: TestOutcome = {
    detection: d.name,
    detectionId: d.id,
    test: t.name,
    testType: t.testType,
    status: 'pass',
    message: '',
    dataset: first ? basename(first.data) : '',
    source: first?.source ?? '',
    sourcetype: first?.sourcetype ?? '',
    events: 0,
    malformed: 0,
    firstMalformed: '',
    results: 0,
    durationMs: 0,
  };
  const finish = (status: TestStatus, message = ''): TestOutcome => {
    outcome.status = status;
    outcome.message = message;
    outcome.durationMs = performance.now() - started;
    return outcome;
  };
  return { outcome, finish };
}

/** contentctl's pass conditions for a test's results (plus vigil's expected block): the problems found. */
export function judgeResults(d: Detection, t: DetectionTest, results: readonly Result[], now: number): string[] {
  const problems = t.testType === 'unit' ? unitProblems(d, results) : integrationProblems(d, results, now);
  if (t.expected) problems.push(...expectedProblems(t.expected, results));
  return problems;
}

/**
 * Why contentctl does not run a test, or null: it skips every test of a Correlation detection (SKIPPED_ANALYTICS_TYPES:
 * "cannot be tested by contentctl"), of one tagged `manual_test` or whose status is not production
 * (Detection.adjust_tests_and_groups), and integration tests of Hunting. Its last skip's message stands, so its order.
 */
export function skipReason(d: Detection, t: DetectionTest): string | null {
  if (d.type === 'Correlation') return 'Correlation detections are not tested (contentctl cannot test them)';
  if (d.status !== null && d.status.toLowerCase() !== 'production') return `the detection is non-production (status: ${d.status})`;
  if (d.manualTest !== null) return `the detection is tested manually (tags.manual_test: ${d.manualTest})`;
  if (t.testType === 'integration' && d.type === 'Hunting') return 'Hunting detections are not integration-tested';
  return null;
}

function present(r: Result, field: string): boolean {
  const vs = valuesOf(r.get(field));
  return vs.length > 0 && !vs.every((v) => toText(v) === 'null' || toText(v) === '');
}

/**
 * contentctl's unit test (DetectionTestingInfrastructure.retry_search_until_timeout), over the results in order: a result
 * missing a risk object field (absent or "null") fails the test, a result with every risk and threat object field passes
 * it (the results after it are not read), and when none has them all each threat object field must be in some result.
 * For `tags.observable` detections (contentctl 4) the risk object fields are the Victims' only.
 */
function unitProblems(d: Detection, results: readonly Result[]): string[] {
  if (results.length === 0) return [NO_RESULTS];
  const riskFields = [...new Set(d.riskObjects.filter((o) => o.unitTested !== false).map((o) => o.field))];
  const threatFields = [...new Set(d.threatObjects.map((o) => o.field))];
  const seenThreats = new Set<string>();
  for (const [i, r] of results.entries()) {
    const missing = riskFields.filter((f) => !present(r, f));
    if (missing.length) return missing.map((f) => `risk object field "${f}" is missing or null in result ${i + 1} of ${results.length}`);
    const lacking = threatFields.filter((f) => !present(r, f));
    if (lacking.length === 0) return [];
    for (const f of threatFields) if (present(r, f)) seenThreats.add(f);
  }
  return threatFields.filter((f) => !seenThreats.has(f)).map((f) => `threat object field "${f}" is missing from every result`);
}

function integrationProblems(d: Detection, results: readonly Result[], now: number): string[] {
  const out = unitProblems(d, results);
  if (results.length === 0) return out;
  const risk = riskEventsFor(d, results, now);
  if (d.riskObjects.length && risk.length === 0) out.push('no risk events were written');
  for (const ro of d.riskObjects) {
    for (const token of messageTokens(ro.message)) {
      const lacking = results.filter((r) => !present(r, token)).length;
      if (lacking) out.push(`risk message token $${token}$ is not rendered in ${lacking} of ${results.length} results`);
    }
  }
  const declared = [...d.mitreAttackIds].sort().join(',');
  for (const ev of risk) {
    const score = ev.get('risk_score');
    const ro = d.riskObjects.find((x) => x.field === ev.get('risk_object_field'));
    if (ro && score !== ro.score) out.push(`risk score ${String(score)} differs from the declared ${ro.score}`);
    // contentctl (RiskEvent.validate_risk_against_risk_objects) checks the type too: a result's own risk_object_type wins in ES.
    const type = ev.get('risk_object_type');
    if (ro && type !== ro.type) out.push(`risk object type ${String(type)} differs from the declared ${ro.type}`);
    const ids = valuesOf(ev.get('annotations.mitre_attack')).map(toText).sort().join(',');
    if (ids !== declared) out.push(`risk event ATT&CK ids [${ids}] differ from the declared [${declared}]`);
  }
  return [...new Set(out)];
}

type ExpectedRow = NonNullable<ExpectedResults['rows']>[number];

function asTexts(v: string | number | (string | number)[]): string[] {
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

/** A result's field against an expected value, compared as text (a multivalue field value by value, in order). */
function fieldMatches(r: Result, field: string, v: ExpectedRow[string]): boolean {
  return valuesOf(r.get(field)).map(toText).join('\u0000') === asTexts(v).join('\u0000');
}

/**
 * Why an expected row matched no result, said on the result that matches most of its fields (the first of them): its
 * position and what it has in each field that differs. "no result matches" alone left the engineer to diff every row.
 */
function closestResult(row: ExpectedRow, results: readonly Result[]): string {
  if (results.length === 0) return '';
  const fields = Object.entries(row);
  let best = 0;
  let bestScore = -1;
  for (const [i, r] of results.entries()) {
    const score = fields.filter(([f, v]) => fieldMatches(r, f, v)).length;
    if (score > bestScore) [best, bestScore] = [i, score];
  }
  const r = results[best]!;
  const diffs = fields
    .filter(([f, v]) => !fieldMatches(r, f, v))
    .map(([f]) => {
      const vs = valuesOf(r.get(f)).map(toText);
      return vs.length === 0 ? `${f} has no value` : `${f} is ${JSON.stringify(vs.length === 1 ? vs[0] : vs)}`;
    });
  return `; closest: result ${best + 1} of ${results.length}, where ${diffs.join(', ')}`;
}

function expectedProblems(exp: ExpectedResults, results: readonly Result[]): string[] {
  const out: string[] = [];
  if (exp.count !== undefined && results.length !== exp.count) out.push(`expected ${exp.count} results, got ${results.length}`);
  if (exp.rows) {
    const matches = (r: Result, row: ExpectedRow) => Object.entries(row).every(([f, v]) => fieldMatches(r, f, v));
    for (const row of exp.rows) {
      if (!results.some((r) => matches(r, row))) out.push(`no result matches expected row ${JSON.stringify(row)}${closestResult(row, results)}`);
    }
    if (exp.exact && results.length !== exp.rows.length) out.push(`expected exactly ${exp.rows.length} results, got ${results.length}`);
    else if (exp.exact && out.length === 0) {
      // Exactly these rows: each result the match of its own row (four rows all matching one result are not four results).
      const unpaired = unpairedRows(exp.rows.length, results.length, (i, j) => matches(results[j]!, exp.rows![i]!));
      for (const i of unpaired) out.push(`expected row ${JSON.stringify(exp.rows[i])} has no result of its own (exact: each row matches a different result)`);
    }
  }
  return out;
}

/**
 * The rows left without a result of their own by a largest one-to-one pairing of rows with results they match
 * (augmenting paths, Kuhn's algorithm: a golden test's few rows and results).
 */
function unpairedRows(rows: number, results: number, match: (row: number, result: number) => boolean): number[] {
  const owner = new Array<number>(results).fill(-1);
  const place = (row: number, seen: boolean[]): boolean => {
    for (let j = 0; j < results; j++) {
      if (seen[j] || !match(row, j)) continue;
      seen[j] = true;
      if (owner[j] === -1 || place(owner[j]!, seen)) {
        owner[j] = row;
        return true;
      }
    }
    return false;
  };
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    // A free result first: the augmenting search (and its recursion, one level per result moved) only when none is.
    const free = owner.findIndex((o, j) => o === -1 && match(i, j));
    if (free >= 0) owner[free] = i;
    else if (!place(i, new Array<boolean>(results).fill(false))) out.push(i);
  }
  return out;
}
