import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { validateContent } from '../../src/detections/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });
writeFileSync(
  join(dir, 'detections', 'broken.yml'),
  [
    'name: Broken Detection',
    'id: 0b5e5d2a-1111-4222-8333-944444444444',
    'type: TTP',
    'search: |',
    '  `cisco_isovalent_process_exec` process_name=curl',
    '  | predict pod_name',
    '  | `broken_detection_filter`',
    'rba:',
    '  message: x',
    '  risk_objects: [{field: pod_name, type: system, score: 10}]',
    '  threat_objects: []',
    'tags:',
    '  mitre_attack_id: [T1105]',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'detections', 'lint.yml'),
  [
    'name: Lint Me',
    'id: 0b5e5d2a-1111-4222-8333-955555555555',
    'type: Anomaly',
    'search: "`cisco_isovalent_process_exec` | stats count by node_name"',
    'rba:',
    '  message: shell by $user$ on $node_name$',
    '  risk_objects: [{field: pod_name, type: system, score: 10}]',
    '  threat_objects: [{field: process_name, type: process_name}]',
    'tags:',
    '  mitre_attack_id: [T9999, 1105]',
  ].join('\n'),
);

writeFileSync(
  join(dir, 'detections', 'tests.yml'),
  [
    'name: Test Blocks',
    'id: 0b5e5d2a-1111-4222-8333-966666666666',
    'type: Hunting',
    'search: "`cisco_isovalent_process_exec` | stats count by pod_name"',
    'tests:',
    '- name: a typo',
    '  attack_data: [{data: x.log, source: s, sourcetype: st}]',
    '  expect: {count: 99}',
    '- name: inside expected',
    '  attack_data: [{data: x.log, source: s, sourcetype: st}]',
    '  expected: {rowz: [{pod_name: a}], count: 0}',
    '- name: nothing to check',
    '  attack_data: [{data: x.log, source: s, sourcetype: st}]',
    '  expected: {exact: true}',
    '- name: no data',
    '  attack_data: []',
    '- name: contentctl time window',
    '  earliest_time: -24h',
    '  attack_data: [{data: x.log, source: s, sourcetype: st}]',
  ].join('\n'),
);

writeFileSync(
  join(dir, 'detections', 'cisco_isovalent___detection_name_of_sixty_eight_characters_for_limit.yml'),
  [
    // 68 characters: one more than contentctl's Detection.name allows.
    'name: Cisco Isovalent - Detection Name Of Sixty Eight Characters For Limit',
    'id: 0b5e5d2a-1111-4222-8333-977777777778',
    'type: Hunting',
    'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `cisco_isovalent___detection_name_of_sixty_eight_characters_for_limit_filter`"',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'detections', 'untested.yml'),
  [
    'name: Untested',
    'id: 0b5e5d2a-1111-4222-8333-977777777777',
    'type: Hunting',
    'status: production',
    'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `untested_filter`"',
    // A misspelled tests: key: the detection silently had no tests.
    'test:',
    '- name: True Positive Test',
    '  attack_data: [{data: x.log, source: s, sourcetype: st}]',
  ].join('\n'),
);

writeFileSync(
  join(dir, 'detections', 'typo-status.yml'),
  ['name: Typo Status', 'id: 0b5e5d2a-1111-4222-8333-988888888888', 'type: Hunting', 'status: producton', 'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `typo_status_filter`"'].join('\n'),
);

writeFileSync(
  join(dir, 'detections', 'upper_status.yml'),
  ['name: Upper Status', 'id: 0b5e5d2a-1111-4222-8333-988888888889', 'type: correlation', 'status: Production', 'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `upper_status_filter`"'].join('\n'),
);

// A filter macro that tests a field the detection's stats dropped: it filters nothing.
writeFileSync(
  join(dir, 'detections', 'filtered.yml'),
  ['name: Filtered', 'id: 0b5e5d2a-1111-4222-8333-999999999999', 'type: Hunting', 'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `filtered_filter`"'].join('\n'),
);
mkdirSync(join(dir, 'macros'), { recursive: true });
writeFileSync(join(dir, 'macros', 'filtered_filter.yml'), ['name: filtered_filter', 'definition: search NOT pod_namespace IN ("ci") pod_name!=x* NOT (count>5 OR user=root)'].join('\n'));

writeFileSync(
  join(dir, 'detections', 'missing-table.yml'),
  [
    'name: Missing Table',
    'id: 0b5e5d2a-1111-4222-8333-9a1a1a1a1a1a',
    'type: Anomaly',
    "search: '| inputlookup missing_baseline | stats count by pod_name | `missing_table_filter`'",
    'rba:',
    '  message: x on $pod_name$',
    '  risk_objects: [{field: pod_name, type: system, score: 10}]',
    '  threat_objects: []',
    'tags:',
    '  mitre_attack_id: [T1105]',
  ].join('\n'),
);

// Risk messages of the three generations, a token the results lack in each (the rba one folded over two lines and
// shared by two risk objects): each said once, at the token.
writeFileSync(
  join(dir, 'detections', 'tokens-rba.yml'),
  [
    'name: Tokens Rba',
    'id: 0b5e5d2a-1111-4222-8333-9b1b1b1b1b1b',
    'type: Anomaly',
    'search: "`cisco_isovalent_process_exec` | stats count by pod_name node_name | `tokens_rba_filter`"',
    'rba:',
    '  message: "Pod $pod_name$ on $node_name$',
    '    in cluster $cluster_name$"',
    '  risk_objects: [{field: pod_name, type: system, score: 10}, {field: node_name, type: system, score: 10}]',
    '  threat_objects: []',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'detections', 'tokens-findings.yml'),
  [
    'name: Tokens Findings',
    'id: 0b5e5d2a-1111-4222-8333-9c1c1c1c1c1c',
    'type: Anomaly',
    'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `tokens_findings_filter`"',
    'intermediate_findings:',
    '  entities:',
    '  - field: pod_name',
    '    type: system',
    '    score: 20',
    '    message: >-',
    '      cron in pod [$pod_name$]',
    '      of [$pod_namespace$]',
  ].join('\n'),
);
writeFileSync(
  join(dir, 'detections', 'tokens-observables.yml'),
  [
    'name: Tokens Observables',
    'id: 0b5e5d2a-1111-4222-8333-9d1d1d1d1d1d',
    'type: TTP',
    'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `tokens_observables_filter`"',
    'tags:',
    "  message: 'curl in $pod_name$ by $user$'",
    '  observable:',
    '  - {name: pod_name, type: Hostname, role: [Victim]}',
    '  risk_score: 30',
  ].join('\n'),
);

// Test data: a path to no file (contentctl's FilePath refuses it: an error), an attack_data URL with no local copy and
// another URL (warnings: contentctl would download them, vigil never does); each at its data: value.
writeFileSync(
  join(dir, 'detections', 'dataset_paths.yml'),
  [
    'name: Dataset Paths',
    'id: 0b5e5d2a-1111-4222-8333-9e1e1e1e1e1e',
    'type: Hunting',
    'search: "`cisco_isovalent_process_exec` | stats count by pod_name | `dataset_paths_filter`"',
    'tests:',
    '- name: t',
    '  attack_data:',
    '  - source: s',
    '    sourcetype: st',
    '    data: ../no-such-file.log',
    '  - data: https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/none/x.log',
    '    source: s',
    '    sourcetype: st',
    '  - {source: s, sourcetype: st, data: "https://example.com/x.log"}',
  ].join('\n'),
);

describe('vigil validate', () => {
  const report = validateContent(loadContent([dir]), { datasetsDirs: [join(dir, 'no-datasets')] });
  const mine = report.problems.filter((p) => p.file.includes(dir) || p.file.includes('vigil-validate'));
  const byMessage = (s: string) => mine.find((p) => p.message.includes(s));

  it('refuses test blocks that would check less than they say: unknown fields (contentctl forbids them), a count of 0, nothing expected', () => {
    const at = (m: string) => {
      const p = byMessage(m);
      return p && [p.line, p.column, p.severity];
    };
    expect(at('unknown test field "expect"')).toEqual([8, 11, 'error']);
    expect(at('unknown expected field "rowz"')).toEqual([11, 20, 'error']);
    expect(at('"tests[1].expected.count" must be a number >= 1')).toEqual([11, 44, 'error']);
    expect(at('expected checks nothing: give count or rows')?.[2]).toBe('error');
    expect(at('exact needs rows')?.[2]).toBe('error');
    expect(at('a test needs at least one attack_data entry')?.[0]).toBe(15);
    // contentctl's BaseTest has earliest_time/latest_time (its tests search all time regardless): not an error.
    expect(at('test earliest_time is ignored')).toEqual([18, 18, 'warning']);
    expect(byMessage('unknown test field "earliest_time"')).toBeUndefined();
  });

  // inputlookup of a missing table is a warning in Splunk ("a warning message is displayed (but no syntax error is generated)"):
  // a lint warning at the name, and the detection runs.
  it('reports an inputlookup of a missing table as a warning at its name; the detection runs', () => {
    const p = byMessage('lookup table "missing_baseline"')!;
    expect([p.severity, p.line, p.column]).toEqual(['warning', 4, 24]);
    expect(report.detections.find((d) => d.name === 'Missing Table')!.runs).toBe(true);
  });

  it('reports an unsupported command at its YAML line and column', () => {
    const p = byMessage('unsupported command "predict"')!;
    expect(p).toBeDefined();
    expect(p.severity).toBe('error');
    expect(p.line).toBe(6);
    expect(p.column).toBe(5);
  });

  it('lints risk objects and tokens the results cannot provide', () => {
    expect(byMessage('risk object field "pod_name" is not in the search\'s results')!.severity).toBe('error');
    expect(byMessage('token $user$')!.severity).toBe('warning');
    expect(byMessage('token $node_name$')).toBeUndefined();
    expect(byMessage('threat object field "process_name"')!.severity).toBe('warning');
  });

  it('warns about a production detection without tests (contentctl requires one)', () => {
    const p = byMessage('a production detection needs at least one test')!;
    expect([p.file.endsWith('untested.yml'), p.line, p.severity]).toEqual([true, 1, 'warning']);
    expect(mine.filter((x) => x.message.includes('needs at least one test (contentctl')).length).toBe(1);
  });

  // contentctl constants.py: CONTENTCTL_MAX_SEARCH_NAME_LENGTH = 99 - len("endpoint -  - Rule") - len("ESCU -  - Rule") = 67.
  it('warns about a detection name longer than contentctl allows (67 characters)', () => {
    const p = byMessage('the name is 68 characters; contentctl allows 67')!;
    expect([p.file.endsWith('limit.yml'), p.line, p.severity]).toEqual([true, 1, 'warning']);
    expect(mine.filter((x) => x.message.includes('characters; contentctl allows')).length).toBe(1);
  });

  it('warns about a status contentctl does not know (a typo would skip the tests as non-production)', () => {
    const p = byMessage('status "producton" is not production')!;
    expect([p.file.endsWith('typo-status.yml'), p.line, p.column, p.severity]).toEqual([true, 4, 9, 'warning']);
  });

  // contentctl's ContentStatus (enums.py) is a StrEnum of lower-case values: its model refuses "Production".
  it('warns about a status or type in another case than contentctl writes it', () => {
    const p = byMessage('status "Production" is written in lower case in contentctl ("production")')!;
    expect([p.file.endsWith('upper_status.yml'), p.line, p.column, p.severity]).toEqual([true, 4, 9, 'warning']);
    // contentctl's AnalyticsType (enums.py): "TTP", "Anomaly", "Hunting", "Correlation", case-sensitive.
    const t = byMessage('type "correlation" is written "Correlation" in contentctl')!;
    expect([t.line, t.column, t.severity]).toEqual([3, 7, 'warning']);
  });

  it('lints a missing filter macro and ATT&CK ids', () => {
    expect(byMessage('filter macro `lint_me_filter`')!.severity).toBe('warning');
    expect(byMessage('"1105" is not an ATT&CK technique id')!.severity).toBe('error');
    expect(byMessage('T9999 is not in vigil')!.severity).toBe('warning');
  });

  it('warns about a filter macro testing fields the results do not have, at the field in the macro file', () => {
    const filter = mine.filter((p) => p.message.includes('filter macro `filtered_filter` tests'));
    expect(filter.map((p) => [p.file.endsWith('filtered_filter.yml'), p.line, p.column, p.severity, p.message.split(',')[0]])).toEqual([
      [true, 2, 24, 'warning', 'search: filter macro `filtered_filter` tests pod_namespace'],
      [true, 2, 77, 'warning', 'search: filter macro `filtered_filter` tests user'],
    ]);
  });

  it('points each lint of a value at the value itself', () => {
    const at = (s: string) => {
      const p = byMessage(s)!;
      return [p.line, p.column];
    };
    expect(at('risk object field "pod_name"')).toEqual([7, 26]);
    expect(at('threat object field "process_name"')).toEqual([8, 28]);
    expect(at('T9999 is not in vigil')).toEqual([10, 21]);
    expect(at('"1105" is not an ATT&CK technique id')).toEqual([10, 28]);
    expect(at('token $user$')).toEqual([6, 21]); // a message token: at the token in the message
  });

  it('points a risk message token the results lack at the token, once per message, in every generation', () => {
    const tokens = mine.filter((p) => p.message.startsWith('risk message token') && /tokens-/.test(p.file));
    expect(tokens.map((p) => [p.file.replace(/.*tokens-/, ''), p.line, p.column, p.message.split(' is ')[0]])).toEqual([
      ['findings.yml', 12, 11, 'risk message token $pod_namespace$'],
      ['observables.yml', 6, 35, 'risk message token $user$'],
      ['rba.yml', 7, 16, 'risk message token $cluster_name$'],
    ]);
  });

  it("reports a test's dataset at its data: value: a missing file an error (as contentctl), a URL it cannot fetch a warning", () => {
    const ds = mine.filter((p) => p.file.endsWith('dataset_paths.yml') && p.message.startsWith('test "t"'));
    expect(ds.map((p) => [p.line, p.column, p.severity, p.message.split(':')[1]!.trim().split(' ').slice(0, 2).join(' ')])).toEqual([
      [10, 11, 'error', 'dataset ../no-such-file.log'],
      [11, 11, 'warning', 'dataset https'],
      [14, 39, 'warning', 'dataset https'],
    ]);
  });

  it("warns about a file not named as contentctl's build requires (a copied detection renamed in its YAML only)", () => {
    const named = mine.filter((p) => p.message.includes('contentctl requires'));
    expect(named.find((p) => p.file.endsWith('lint.yml'))).toMatchObject({
      line: 1,
      severity: 'warning',
      message: 'the file of "Lint Me" is lint.yml; contentctl requires lint_me.yml (the name in lower case, space, -, . and / as _)',
    });
    // "Missing Table" is in missing-table.yml: contentctl's name would be missing_table.yml.
    expect(named.find((p) => p.file.endsWith('missing-table.yml'))!.message).toContain('contentctl requires missing_table.yml');
    expect(named.filter((p) => p.file.endsWith('dataset_paths.yml'))).toEqual([]);
  });

  it('passes the bundled content with only the known upstream warning', () => {
    const bundled = validateContent(loadContent());
    expect(bundled.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(bundled.problems.map((p) => p.message)).toEqual(['risk message token $user$ is not a field of the results: it will render empty']);
  });
});
