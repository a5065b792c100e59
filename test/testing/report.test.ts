import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { printOutcomes } from '../../src/cli/commands/test.js';
import { findDetection, loadContent } from '../../src/detections/content.js';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';
import { junitXml, malformedNote } from '../../src/testing/junit.js';
import { runDetectionTests } from '../../src/testing/testing.js';

// What a detection engineer reads after `vigil test`: which test failed, and why. The seed dataset's curl processes:
// 2 on debug-toolbox, 3 on frontend-6d8f9c7b5-x2kqp, 1 on payments-api-7f9d4c8b6-m3n8z.
const dir = mkdtempSync(join(tmpdir(), 'vigil-test-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });
writeFileSync(join(dir, 'detections', 'seed.log'), readFileSync(join(BUNDLED_DATASETS_DIR, 'datasets/cisco_isovalent/cisco_isovalent.log')));
const data = (name: string) => [`- name: ${name}`, '  attack_data: [{data: seed.log, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]'];
writeFileSync(
  join(dir, 'detections', 'curl_by_pod.yml'),
  [
    'name: Curl By Pod',
    'id: 00000000-0000-4000-8000-00000000a001',
    'type: Hunting',
    "search: '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name process_name'",
    'tests:',
    ...data('True Positive Test'),
    ...data('Golden Rows'),
    '  expected:',
    '    rows:',
    '    - {pod_name: debug-toolbox, count: 2}',
    '    - {pod_name: debug-toolbox, count: 5, process_name: wget}',
    '    - {pod_name: no-such-pod, shell: bash}',
  ].join('\n'),
);

// The seed's data given the sourcetype of the older attack_data yml (`cisco:isovalent`, isovalent-content.md §6) under a
// search of `cisco:isovalent:processExec`, directly and through the CIM Endpoint data model's event types.
const typed = (name: string, id: string, search: string, index = '') =>
  writeFileSync(
    join(dir, 'detections', `${id}.yml`),
    [
      `name: ${name}`,
      `id: ${id}`,
      'type: Hunting',
      `search: '${search}'`,
      'tests:',
      '- name: t',
      `  attack_data: [{data: seed.log, source: not_applicable, sourcetype: "cisco:isovalent"${index}}]`,
    ].join('\n'),
  );
typed('Typed Exec', '00000000-0000-4000-8000-00000000a002', '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name');
typed('Typed Model', '00000000-0000-4000-8000-00000000a003', '| tstats count from datamodel=Endpoint.Processes by Processes.dest');
typed('Typed Right', '00000000-0000-4000-8000-00000000a004', 'sourcetype=cisco:isovalent* index=lab process_name=nosuchthing | stats count by pod_name', ', custom_index: lab');

describe('vigil test report', async () => {
  const pack = loadContent([dir], { bundled: true });
  const outcomes = await runDetectionTests(pack, ['Curl By Pod', 'Typed Exec', 'Typed Model', 'Typed Right'].map((n) => findDetection(pack, n)!), { datasetsDirs: [BUNDLED_DATASETS_DIR] });

  it("says why a test found nothing when the search cannot read any of its data (a sourcetype it does not select)", () => {
    const of = (d: string) => outcomes.find((o) => o.detection === d)!;
    expect(of('Typed Exec')).toMatchObject({
      status: 'fail',
      message: "the detection returned no results: the search reads sourcetype cisco:isovalent:processExec only, and the test's data is sourcetype cisco:isovalent",
    });
    expect(of('Typed Model').message).toBe("the detection returned no results: the search reads sourcetype cisco:isovalent:processExec only, and the test's data is sourcetype cisco:isovalent");
    // It reads the data (sourcetype and index match): nothing more to say than that nothing matched.
    expect(of('Typed Right')).toMatchObject({ status: 'fail', message: 'the detection returned no results' });
  });

  it('says, for an expected row no result matches, which fields of the closest result differ and what they hold', () => {
    const golden = outcomes.find((o) => o.test === 'Golden Rows')!;
    expect(golden.status).toBe('fail');
    // The first row matches result 1 (debug-toolbox, 2 curl). The second matches it on pod_name alone; the third
    // matches nothing: the first result is named, with every field it lacks or holds otherwise.
    expect(golden.message).toBe(
      [
        'no result matches expected row {"pod_name":"debug-toolbox","count":"5","process_name":"wget"}; closest: result 1 of 3, where count is "2", process_name is "curl"',
        'no result matches expected row {"pod_name":"no-such-pod","shell":"bash"}; closest: result 1 of 3, where pod_name is "debug-toolbox", shell has no value',
      ].join('; '),
    );
  });

  it("names each test in the text report (two tests over one dataset were two identical rows), as contentctl's detection:test", () => {
    let text = '';
    printOutcomes(outcomes.filter((o) => o.detection === 'Curl By Pod'), (s) => (text += s), malformedNote);
    const lines = text.split('\n');
    expect(lines[1]).toBe('Curl By Pod');
    expect(lines[2]).toMatch(/^ {2}TEST +TYPE +STATUS +DATASET +SOURCE +SOURCETYPE +RESULTS$/);
    expect(lines[3]).toMatch(/^ {2}True Positive Test +unit +PASS +seed\.log +not_applicable +cisco:isovalent:processExec +3$/);
    expect(lines[4]).toMatch(/^ {2}Golden Rows +unit +FAIL +seed\.log +not_applicable +cisco:isovalent:processExec +3$/);
    expect(lines[5]).toMatch(/^ {4}reason: no result matches expected row .*closest: result 1 of 3/);
    // The JUnit report names them too (testcase name), one failure, counts right.
    const xml = junitXml(outcomes.filter((o) => o.detection === 'Curl By Pod'));
    expect(xml).toContain('<testsuite name="Curl By Pod" tests="2" failures="1" errors="0" skipped="0"');
    expect(xml).toContain('name="unit: True Positive Test (seed.log)"');
    expect(xml).toContain('name="unit: Golden Rows (seed.log)"');
  });
});
