import { basename } from 'node:path';
import type { Event } from '../events/event.js';
import type { Result } from '../events/result.js';
import { toText, valuesOf } from '../events/value.js';
import { riskEventsFor } from '../risk/risk-events.js';
import { messageTokens } from '../detections/risk-message.js';
import { FileSource } from '../sources/file.js';
import { MemorySource } from '../sources/memory.js';
import { runSearch } from '../spl/index.js';
import type { ContentPack } from '../detections/content.js';
import { resolveAttackData } from '../detections/datasets.js';
import type { Detection, DetectionTest, ExpectedResults } from '../detections/detection.js';

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
 *   the declared score and ATT&CK ids. Hunting and Correlation detections skip integration tests.
 * vigil's `expected:` block (count / rows / exact) is checked on top.
 */
export async function runDetectionTests(pack: ContentPack, detections: readonly Detection[], opts: TestRunOptions): Promise<TestOutcome[]> {
  return forEachTest(detections, opts.onOutcome, (d, t) => runOne(pack, d, t, opts));
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

async function runOne(pack: ContentPack, d: Detection, t: DetectionTest, opts: TestRunOptions): Promise<TestOutcome> {
  const { outcome, finish } = startOutcome(d, t);
  if (skipsIntegration(d, t)) {
    return finish('skip', `${d.type} detections are not integration-tested`);
  }
  try {
    const events: Event[] = [];
    const malformed: string[] = [];
    for (const a of t.attackData) {
      const file = resolveAttackData(a.data, opts.datasetsDirs, d.file);
      const src = new FileSource([file], {
        sourcetype: a.sourcetype,
        source: a.source,
        index: a.customIndex ?? 'main',
        host: a.host ?? 'vigil-test',
        onMalformed: (m) => malformed.push(`${basename(m.file)}:${m.line}: ${m.reason}`),
      });
      for await (const batch of src.scan({ earliest: null, latest: null, metadata: [], raw: null, defaultIndexes: 'all' })) {
        for (const e of batch) {
          delete e.json; // keep the store lean: the engine re-derives fields from _raw
          events.push(e);
        }
      }
    }
    outcome.events = events.length;
    const store = new MemorySource(events);
    const span = store.span();
    if (!span) return finish('fail', `no events in the test data${malformed.length ? ` (${malformed.length} malformed lines, first: ${malformed[0]})` : ''}`);
    const { results } = await runSearch(d.search, {
      macros: pack.macros,
      lookups: pack.lookups,
      source: store,
      now: span.latest,
      earliest: span.earliest,
      latest: span.latest + 1e-6,
      name: d.name,
    });
    outcome.results = results.length;
    const problems = judgeResults(d, t, results, span.latest);
    if (problems.length) return finish('fail', problems.join('; '));
    return finish('pass');
  } catch (e) {
    return finish('error', (e as { format?: () => string }).format?.() ?? (e as Error).message);
  }
}

/** contentctl's pass conditions for a test's results (plus vigil's expected block): the problems found. */
export function judgeResults(d: Detection, t: DetectionTest, results: readonly Result[], now: number): string[] {
  const problems = t.testType === 'unit' ? unitProblems(d, results) : integrationProblems(d, results, now);
  if (t.expected) problems.push(...expectedProblems(t.expected, results));
  return problems;
}

/** Integration tests are not run for these types (as contentctl). */
export function skipsIntegration(d: Detection, t: DetectionTest): boolean {
  return t.testType === 'integration' && (d.type === 'Hunting' || d.type === 'Correlation');
}

function present(r: Result, field: string): boolean {
  const vs = valuesOf(r.get(field));
  return vs.length > 0 && !vs.every((v) => toText(v) === 'null' || toText(v) === '');
}

function unitProblems(d: Detection, results: readonly Result[]): string[] {
  if (results.length === 0) return ['the detection returned no results'];
  const out: string[] = [];
  for (const ro of d.riskObjects) {
    const missing = results.filter((r) => !present(r, ro.field)).length;
    if (missing) out.push(`risk object field "${ro.field}" is missing or null in ${missing} of ${results.length} results`);
  }
  for (const to of d.threatObjects) {
    if (!results.some((r) => present(r, to.field))) out.push(`threat object field "${to.field}" is missing from every result`);
  }
  return out;
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
    const ids = valuesOf(ev.get('annotations.mitre_attack')).map(toText).sort().join(',');
    if (ids !== declared) out.push(`risk event ATT&CK ids [${ids}] differ from the declared [${declared}]`);
  }
  return [...new Set(out)];
}

function asTexts(v: string | number | (string | number)[]): string[] {
  return (Array.isArray(v) ? v : [v]).map((x) => String(x));
}

function expectedProblems(exp: ExpectedResults, results: readonly Result[]): string[] {
  const out: string[] = [];
  if (exp.count !== undefined && results.length !== exp.count) out.push(`expected ${exp.count} results, got ${results.length}`);
  if (exp.rows) {
    const matches = (r: Result, row: Record<string, string | number | (string | number)[]>) =>
      Object.entries(row).every(([f, v]) => valuesOf(r.get(f)).map(toText).join('\u0000') === asTexts(v).join('\u0000'));
    for (const row of exp.rows) {
      if (!results.some((r) => matches(r, row))) out.push(`no result matches expected row ${JSON.stringify(row)}`);
    }
    if (exp.exact && results.length !== exp.rows.length) out.push(`expected exactly ${exp.rows.length} results, got ${results.length}`);
  }
  return out;
}
