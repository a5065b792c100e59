import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { findDetection, loadContent } from '../../src/detections/content.js';
import { BUNDLED_DATASETS_DIR, resolveAttackData } from '../../src/detections/datasets.js';
import { FileSource } from '../../src/sources/file.js';
import { junitXml } from '../../src/testing/junit.js';
import { runDetectionTests } from '../../src/testing/testing.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-testing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seedData = readFileSync(join(BUNDLED_DATASETS_DIR, 'datasets/cisco_isovalent/cisco_isovalent.log'), 'utf8');
mkdirSync(join(dir, 'detections'), { recursive: true });
mkdirSync(join(dir, 'data'), { recursive: true });
// A dataset with bad lines among good ones: the good lines must still be tested.
writeFileSync(join(dir, 'data', 'mixed.log'), `not json\n${seedData}{"truncated": \n[1,2]\n`);

const detection = (name: string, id: string, search: string, extra: string[] = []) =>
  writeFileSync(
    join(dir, 'detections', `${id}.yml`),
    [
      `name: ${name}`,
      `id: ${id}`,
      'type: Anomaly',
      `search: '${search}'`,
      'rba:',
      '  message: curl on $pod_name$ by $user$',
      '  risk_objects: [{field: pod_name, type: system, score: 30}]',
      '  threat_objects: [{field: process_name, type: process_name}]',
      'tags:',
      '  mitre_attack_id: [T1105]',
      'tests:',
      ...extra,
    ].join('\n'),
  );
detection('Curl Ok', '00000000-0000-4000-8000-000000000001', '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name process_name', [
  '- name: unit on mixed data',
  '  attack_data: [{data: ../data/mixed.log, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]',
  '  expected: {count: 3, rows: [{pod_name: frontend-6d8f9c7b5-x2kqp, count: 3}, {pod_name: debug-toolbox, count: 2}]}',
]);
detection('Nothing Found', '00000000-0000-4000-8000-000000000002', '`cisco_isovalent_process_exec` process_name=doesnotexist | stats count by pod_name process_name', [
  '- name: must fail',
  '  attack_data: [{data: ../data/mixed.log, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]',
]);
detection('No Threat Field', '00000000-0000-4000-8000-000000000003', '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name', [
  '- name: integration',
  '  test_type: integration',
  '  attack_data: [{data: ../data/mixed.log, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]',
]);
detection('Missing Data', '00000000-0000-4000-8000-000000000004', '`cisco_isovalent_process_exec` | stats count by pod_name process_name', [
  '- name: missing',
  '  attack_data: [{data: "https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/nope/none.log", source: x, sourcetype: y}]',
]);

// exact: every result the match of a row of its own. 6 curl processes: 2 on debug-toolbox, 3 on frontend, 1 on payments-api.
const seedSearch = '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name process_id process_name';
const exactTest = (name: string, pods: string[]) => [
  `- name: ${name}`,
  '  attack_data: [{data: ../data/mixed.log, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]',
  `  expected: {exact: true, rows: [${pods.map((p) => `{pod_name: ${p}}`).join(', ')}]}`,
];
detection('Exact Same Row', '00000000-0000-4000-8000-000000000005', seedSearch, exactTest('six rows, one pod', Array<string>(6).fill('frontend-6d8f9c7b5-x2kqp')));
detection('Exact Rows', '00000000-0000-4000-8000-000000000006', seedSearch, exactTest('the six', ['payments-api-7f9d4c8b6-m3n8z', 'debug-toolbox', 'frontend-6d8f9c7b5-x2kqp', 'debug-toolbox', 'frontend-6d8f9c7b5-x2kqp', 'frontend-6d8f9c7b5-x2kqp']));

describe('vigil test runner', async () => {
  const pack = loadContent([dir], { bundled: true });
  const mine = ['Curl Ok', 'Nothing Found', 'No Threat Field', 'Missing Data'].map((n) => findDetection(pack, n)!);
  const outcomes = await runDetectionTests(pack, mine, { datasetsDirs: [BUNDLED_DATASETS_DIR] });
  const of = (name: string) => outcomes.find((o) => o.detection === name)!;

  it('passes a unit test on data with malformed lines, checking the expected block', () => {
    expect(of('Curl Ok')).toMatchObject({ status: 'pass', results: 3, dataset: 'mixed.log', sourcetype: 'cisco:isovalent:processExec' });
    expect(of('Curl Ok').events).toBe(31);
    // The bad lines are counted, with the first, for the report (not silently dropped).
    expect(of('Curl Ok')).toMatchObject({ malformed: 3, firstMalformed: expect.stringMatching(/^mixed\.log:1: not JSON/) });
  });

  it('fails a detection that returns nothing, saying why', () => {
    expect(of('Nothing Found')).toMatchObject({ status: 'fail', message: 'the detection returned no results' });
  });

  it('fails an integration test whose threat object and message token are not in the results', () => {
    const o = of('No Threat Field');
    expect(o.status).toBe('fail');
    expect(o.message).toContain('threat object field "process_name" is missing from every result');
    expect(o.message).toContain('risk message token $user$ is not rendered in 3 of 3 results');
  });

  it('reports a dataset that is not available locally with the URL and the expected path', () => {
    const o = of('Missing Data');
    expect(o.status).toBe('error');
    expect(o.message).toContain('https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/nope/none.log');
    expect(o.message).toContain(join(BUNDLED_DATASETS_DIR, 'datasets/nope/none.log'));
  });

  it('refuses a dataset that is not a regular file (/dev/zero was read forever)', () => {
    expect(() => resolveAttackData('/dev/zero', [], '/x/d.yml')).toThrow('dataset /dev/zero is not a regular file (/dev/zero)');
    expect(() => resolveAttackData('../..', [], '/x/y/d.yml')).toThrow('dataset ../.. is not a regular file (/)');
  });

  it('names the dataset whose attack_data URL has a malformed %-escape (was a bare "URI malformed")', () => {
    const url = 'https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/100%zz.log';
    expect(() => resolveAttackData(url, [BUNDLED_DATASETS_DIR], '/x/d.yml')).toThrow(`dataset ${url} has a malformed %-escape in its path`);
  });

  it('skips, as contentctl, the tests of a non-production detection and of one tagged manual_test', async () => {
    const own = join(dir, 'skipped');
    mkdirSync(join(own, 'detections'), { recursive: true });
    const yaml = (name: string, id: string, status: string, tags: string[]) =>
      [
        `name: ${name}`,
        `id: ${id}`,
        'type: Anomaly',
        `status: ${status}`,
        "search: '`cisco_isovalent_process_exec` process_name=doesnotexist | stats count by pod_name'",
        'rba: {message: m, risk_objects: [{field: pod_name, type: system, score: 30}], threat_objects: []}',
        'tags:',
        '  mitre_attack_id: [T1105]',
        ...tags,
        'tests:',
        '- name: would fail',
        `  attack_data: [{data: ${join(dir, 'data', 'mixed.log')}, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]`,
      ].join('\n');
    writeFileSync(join(own, 'detections', 'e.yml'), yaml('Experimental One', '00000000-0000-4000-8000-000000000007', 'experimental', []));
    writeFileSync(join(own, 'detections', 'm.yml'), yaml('Manual One', '00000000-0000-4000-8000-000000000008', 'production', ['  manual_test: This detection uses A&I lookups from Enterprise Security.']));
    writeFileSync(join(own, 'detections', 'p.yml'), yaml('Production One', '00000000-0000-4000-8000-000000000009', 'production', []));
    // contentctl (SKIPPED_ANALYTICS_TYPES): every test of a Correlation detection is skipped, "cannot be tested by contentctl";
    // its skips are applied manual, then non-production, then Correlation, the last one's message standing.
    writeFileSync(join(own, 'detections', 'c.yml'), yaml('Correlation One', '00000000-0000-4000-8000-00000000000e', 'production', []).replace('type: Anomaly', 'type: Correlation'));
    writeFileSync(join(own, 'detections', 'b.yml'), yaml('Manual Experimental', '00000000-0000-4000-8000-00000000000f', 'experimental', ['  manual_test: by hand']));
    const p2 = loadContent([own], { bundled: true });
    const names = ['Experimental One', 'Manual One', 'Production One', 'Correlation One', 'Manual Experimental'];
    const got = await runDetectionTests(p2, names.map((n) => findDetection(p2, n)!), { datasetsDirs: [BUNDLED_DATASETS_DIR] });
    expect(got.map((o) => [o.status, o.message])).toEqual([
      ['skip', 'the detection is non-production (status: experimental)'],
      ['skip', 'the detection is tested manually (tags.manual_test: This detection uses A&I lookups from Enterprise Security.)'],
      ['fail', 'the detection returned no results'],
      ['skip', 'Correlation detections are not tested (contentctl cannot test them)'],
      ['skip', 'the detection is non-production (status: experimental)'],
    ]);
  });

  // contentctl's unit test (DetectionTestingInfrastructure.retry_search_until_timeout) reads the results in order: a result
  // without a risk object field fails, the first with every risk and threat object field passes and ends the reading.
  it('judges the results in order as contentctl: a risk object field missing after the first complete result does not fail', async () => {
    const own = join(dir, 'ordered');
    mkdirSync(join(own, 'detections'), { recursive: true });
    const yaml = (name: string, id: string, order: string) =>
      [
        `name: ${name}`,
        `id: ${id}`,
        'type: Anomaly',
        'status: production',
        // Three pods; only debug-toolbox keeps its pod_name.
        `search: '\`cisco_isovalent_process_exec\` process_name=curl | stats count by pod_name process_name | sort ${order}pod_name | eval pod_name=if(pod_name="debug-toolbox", pod_name, null())'`,
        'rba: {message: m, risk_objects: [{field: pod_name, type: system, score: 30}], threat_objects: [{field: process_name, type: process_name}]}',
        'tags:',
        '  mitre_attack_id: [T1105]',
        'tests:',
        '- name: ordered',
        `  attack_data: [{data: ${join(dir, 'data', 'mixed.log')}, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]`,
      ].join('\n');
    writeFileSync(join(own, 'detections', 'first.yml'), yaml('Complete First', '00000000-0000-4000-8000-00000000000a', ''));
    writeFileSync(join(own, 'detections', 'last.yml'), yaml('Complete Last', '00000000-0000-4000-8000-00000000000b', '- '));
    const p2 = loadContent([own], { bundled: true });
    const got = await runDetectionTests(p2, ['Complete First', 'Complete Last'].map((n) => findDetection(p2, n)!), { datasetsDirs: [BUNDLED_DATASETS_DIR] });
    expect(got.map((o) => [o.status, o.message])).toEqual([
      ['pass', ''],
      ['fail', 'risk object field "pod_name" is missing or null in result 1 of 3'],
    ]);
  });

  // contentctl 4 (v4.4.7 retry_search_until_timeout) took the risk object fields of a tags.observable detection from the
  // observables with the Victim role only; a Parent Process observable (a risk object of type other in ES) was not required.
  it('requires only the Victim observables of a pre-2025 detection in its results, as contentctl 4 did', async () => {
    const own = join(dir, 'observables');
    mkdirSync(join(own, 'detections'), { recursive: true });
    writeFileSync(
      join(own, 'detections', 'o.yml'),
      [
        'name: Old Observables',
        'id: 00000000-0000-4000-8000-00000000000d',
        'type: TTP',
        'status: production',
        "search: '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name process_name'",
        'tags:',
        '  mitre_attack_id: [T1105]',
        '  risk_score: 40',
        '  message: curl on $pod_name$',
        '  observable:',
        '  - {name: pod_name, type: Hostname, role: [Victim]}',
        '  - {name: parent_process_name, type: Process, role: [Parent Process]}',
        '  - {name: process_name, type: Process Name, role: [Attacker]}',
        'tests:',
        '- name: unit',
        `  attack_data: [{data: ${join(dir, 'data', 'mixed.log')}, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]`,
      ].join('\n'),
    );
    const p2 = loadContent([own], { bundled: true });
    const d = findDetection(p2, 'Old Observables')!;
    // parent_process_name is still a risk object (type other) for the risk events ES writes.
    expect(d.riskObjects.map((o) => [o.field, o.type])).toEqual([['pod_name', 'system'], ['parent_process_name', 'other']]);
    const [o] = await runDetectionTests(p2, [d], { datasetsDirs: [BUNDLED_DATASETS_DIR] });
    expect([o!.status, o!.message]).toEqual(['pass', '']);
  });

  // contentctl's integration test (RiskEvent.validate_risk_against_risk_objects) fails a risk event whose type or score is
  // not its risk object's: in ES a result's own risk_object_type and risk_score fields replace the detection's.
  it('fails an integration test whose risk events carry another type or score than declared', async () => {
    const own = join(dir, 'own-risk');
    mkdirSync(join(own, 'detections'), { recursive: true });
    writeFileSync(
      join(own, 'detections', 'o.yml'),
      [
        'name: Own Risk Fields',
        'id: 00000000-0000-4000-8000-00000000000c',
        'type: Anomaly',
        'status: production',
        "search: '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name process_name | eval risk_object_type=\"user\", risk_score=99'",
        'rba: {message: curl on $pod_name$, risk_objects: [{field: pod_name, type: system, score: 30}], threat_objects: [{field: process_name, type: process_name}]}',
        'tags:',
        '  mitre_attack_id: [T1105]',
        'tests:',
        '- name: integration',
        '  test_type: integration',
        `  attack_data: [{data: ${join(dir, 'data', 'mixed.log')}, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]`,
      ].join('\n'),
    );
    const p2 = loadContent([own], { bundled: true });
    const [o] = await runDetectionTests(p2, [findDetection(p2, 'Own Risk Fields')!], { datasetsDirs: [BUNDLED_DATASETS_DIR] });
    expect(o).toMatchObject({ status: 'fail', message: 'risk score 99 differs from the declared 30; risk object type user differs from the declared system' });
  });

  it('exact: pairs each expected row with a result of its own (six rows matching three results fail)', async () => {
    const [same, rows] = await runDetectionTests(pack, [findDetection(pack, 'Exact Same Row')!, findDetection(pack, 'Exact Rows')!], { datasetsDirs: [BUNDLED_DATASETS_DIR] });
    expect(rows).toMatchObject({ status: 'pass', results: 6 });
    expect(same!.status).toBe('fail');
    expect(same!.message.match(/has no result of its own/g)).toHaveLength(3);
  });

  it('writes JUnit XML that stays well-formed whatever the messages hold (controls from a binary dataset, line ends)', () => {
    const [o] = outcomes;
    const xml = junitXml([{ ...o!, status: 'fail', message: 'not JSON: "PK\u0003\u0004\u001b[31m\ud800"\n  at 1:2', test: 'a <&"> b' }]);
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff]/);
    expect(xml).toContain('message="not JSON: &quot;PK\ufffd\ufffd\ufffd[31m\ufffd&quot;&#10;  at 1:2"');
    expect(xml).toContain('a &lt;&amp;&quot;&gt; b');
  });

  it('writes JUnit XML with failures and errors', () => {
    const xml = junitXml(outcomes);
    expect(xml).toContain('<testsuites name="vigil" tests="4" failures="2" errors="1" skipped="0"');
    expect(xml).toContain('<failure message="the detection returned no results"/>');
    expect((xml.match(/<testcase /g) ?? []).length).toBe(4);
    // The three tests over mixed.log say, as the text report does, that its 3 bad lines were skipped (a failure
    // "no results" over data whose lines were all malformed said nothing of them).
    expect(xml.match(/<system-err>[^<]*<\/system-err>/g)).toEqual(Array(3).fill(expect.stringMatching(/^<system-err>3 malformed lines of the test data skipped \(first: mixed\.log:1: not JSON/)));
  });

  it('passes every bundled detection test', async () => {
    const all = await runDetectionTests(pack, loadContent().detections.filter((d) => d.tests.length > 0), { datasetsDirs: [BUNDLED_DATASETS_DIR] });
    expect(all.filter((o) => o.status !== 'pass').map((o) => `${o.detection}: ${o.message}`)).toEqual([]);
    expect(all).toHaveLength(10);
  });
});

describe('vigil test over shared attack data', async () => {
  const shared = mkdtempSync(join(tmpdir(), 'vigil-testing-shared-'));
  afterAll(() => rmSync(shared, { recursive: true, force: true }));
  mkdirSync(join(shared, 'detections'), { recursive: true });
  writeFileSync(join(shared, 'seed.log'), seedData);
  const test = (name: string, id: string, search: string) =>
    writeFileSync(
      join(shared, 'detections', `${id}.yml`),
      [
        `name: ${name}`,
        `id: ${id}`,
        'type: Hunting',
        `search: '${search}'`,
        'tests:',
        '- name: on the seed data',
        '  attack_data: [{data: ../seed.log, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]',
      ].join('\n'),
    );
  test('Shared Curl', '00000000-0000-4000-8000-000000000011', '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name');
  test('Shared Shells', '00000000-0000-4000-8000-000000000012', '`cisco_isovalent_process_exec` process_name IN (sh, bash) | stats count by process_name');
  test('Shared Broken', '00000000-0000-4000-8000-000000000013', '`cisco_isovalent_process_exec` | eval x=nosuchfunction(1)');
  const pack = loadContent([shared], { bundled: true });
  const mine = ['Shared Curl', 'Shared Shells', 'Shared Broken'].map((n) => findDetection(pack, n)!);

  it('reads the data once and runs its detections in one pass, an SPL error staying on its own test', async () => {
    const scans = vi.spyOn(FileSource.prototype, 'scan');
    const outcomes = await runDetectionTests(pack, mine, { datasetsDirs: [BUNDLED_DATASETS_DIR] });
    expect(scans).toHaveBeenCalledTimes(1);
    scans.mockRestore();
    expect(outcomes.map((o) => [o.detection, o.status, o.results, o.events])).toEqual([
      ['Shared Curl', 'pass', 3, 31],
      ['Shared Shells', 'pass', 2, 31],
      ['Shared Broken', 'error', 0, 31],
    ]);
    expect(outcomes[2]!.message).toContain('nosuchfunction');
  });
});

describe('an SPL error of a test names where it is in the YAML file', async () => {
  const own = mkdtempSync(join(tmpdir(), 'vigil-testing-where-'));
  afterAll(() => rmSync(own, { recursive: true, force: true }));
  mkdirSync(join(own, 'detections'), { recursive: true });
  mkdirSync(join(own, 'macros'), { recursive: true });
  writeFileSync(join(own, 'seed.log'), seedData);
  writeFileSync(join(own, 'macros', 'bad_args.yml'), ['name: bad_args', 'definition: eval x=nosuchfunction(1)'].join('\n'));
  const write = (id: string, name: string, search: string[]) => {
    const lines = [`name: ${name}`, `id: ${id}`, 'type: Hunting', ...search, 'tests:', '- name: t', '  attack_data: [{data: ../seed.log, source: s, sourcetype: "cisco:isovalent:processExec"}]'];
    writeFileSync(join(own, 'detections', `${id}.yml`), lines.join('\n'));
    return lines;
  };
  // security_content's shape: one single-quoted search folded over lines (the search is one line: `at 1:150` alone was hard to find).
  const folded = write('00000000-0000-4000-8000-000000000021', 'Folded Broken', [
    "search: '`cisco_isovalent_process_exec` process_name=curl",
    '  | stats count by pod_name process_name',
    '  | nosuchcommand x | `folded_broken_filter`\'',
  ]);
  // An error inside a macro: the call of the macro in the detection's file (the macro's own file is in the trace).
  const viaMacro = write('00000000-0000-4000-8000-000000000022', 'Macro Broken', ['search: |', '  `cisco_isovalent_process_exec`', '  | `bad_args`']);
  const pack = loadContent([own], { bundled: true });
  const outcomes = await runDetectionTests(pack, ['Folded Broken', 'Macro Broken'].map((n) => findDetection(pack, n)!), { datasetsDirs: [] });
  const at = (lines: string[], text: string) => {
    const line = lines.findIndex((l) => l.includes(text));
    return `${line + 1}:${lines[line]!.indexOf(text) + 1}`;
  };

  it('at the error in a folded search, and at the macro call for an error inside a macro', () => {
    expect(outcomes.map((o) => o.status)).toEqual(['error', 'error']);
    expect(outcomes[0]!.message).toContain(`in detection "Folded Broken" (${join(own, 'detections', '00000000-0000-4000-8000-000000000021.yml')}:${at(folded, 'nosuchcommand')})`);
    expect(outcomes[1]!.message).toContain('nosuchfunction');
    expect(outcomes[1]!.message).toContain(`in detection "Macro Broken" (${join(own, 'detections', '00000000-0000-4000-8000-000000000022.yml')}:${at(viaMacro, '`bad_args`')})`);
  });
});
