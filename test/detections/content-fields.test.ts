import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { validateContent } from '../../src/detections/validate.js';

// Macro and lookup files as security_content writes them must load without a word; a field no generation has is warned
// about, as contentctl refuses it (SecurityContentObject: ConfigDict(extra="forbid")). The 2026 files
// (splunk/security_content macros/cisco_isovalent_allowed_images.yml, lookups/csv/*.yml) carry creation_date and
// modification_date; the 2024 ones (b13b314) date, filename, and for KV store lookups collection and fields_list.
const dir = mkdtempSync(join(tmpdir(), 'vigil-content-fields-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'macros'), { recursive: true });
mkdirSync(join(dir, 'lookups', 'csv'), { recursive: true });
const write = (path: string, lines: string[]) => writeFileSync(join(dir, path), lines.join('\n') + '\n');

write('macros/lab_allowed_images.yml', [
  'name: lab_allowed_images',
  'id: 3f0c2a7e-1111-4a2b-8c3d-000000000001',
  'version: 1',
  "creation_date: '2026-01-05'",
  "modification_date: '2026-05-13'",
  'author: Lab',
  'description: Images allowed in the lab.',
  'definition: pod_image_name IN ("docker.io/library/busybox:1.36")',
]);
write('lookups/csv/lab_libraries.yml', [
  'name: lab_libraries',
  'id: 3f0c2a7e-1111-4a2b-8c3d-000000000002',
  'version: 2',
  "creation_date: '2021-07-12'",
  "modification_date: '2026-09-29'",
  'author: Lab',
  'lookup_type: csv',
  'description: Libraries.',
  "default_match: 'false'",
  'match_type:',
  '    - WILDCARD(library)',
  'min_matches: 1',
  'case_sensitive_match: false',
]);
write('lookups/csv/lab_libraries.csv', ['library,note', '*evil*.dll,bad']);
write('lookups/lab_seen.yml', [
  'name: lab_seen',
  'description: Previously seen things.',
  'collection: lab_seen',
  'case_sensitive_match: false',
  'fields_list: _key, thing, firstTimeSeen',
]);
write('lookups/lab_typo.yml', ['name: lab_typo', 'description: A typo.', 'filename: lab_typo.csv', "case_sensitve_match: 'false'"]);
write('lookups/lab_typo.csv', ['a,b', '1,2']);
// contentctl (objects/lookup.py, CSVLookup.ensure_correct_csv_structure): "If a row has MORE fields than fieldnames ...
// this should throw an Exception", and fewer too. Row 3 starts on line 4 (row 2's quoted cell holds a line break).
write('lookups/lab_ragged.yml', ['name: lab_ragged', 'description: Ragged rows.', 'filename: lab_ragged.csv']);
write('lookups/lab_ragged.csv', ['tool,severity,family', '"curl', 'the fetcher",low,fetch', 'wget,medium', '', 'nc,high,shell,extra']);

describe('content fields of every security_content generation', () => {
  const pack = loadContent([dir], { bundled: false });
  const problems = pack.problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);

  it("loads a 2026 macro file (creation_date, modification_date) without a warning, and uses it", () => {
    expect(problems.filter((p) => p.startsWith('macros/'))).toEqual([]);
    expect(pack.macros.get('lab_allowed_images', 0)?.definition).toContain('busybox');
  });

  it('loads 2026 and 2024 lookup definitions without a warning but for the KV store one vigil does not load', () => {
    expect(problems.filter((p) => p.includes('lab_libraries'))).toEqual([]);
    expect(problems.filter((p) => p.includes('lab_seen'))).toEqual([
      'lookups/lab_seen.yml:1:1: warning: lookup lab_seen: KV store lookups are not supported: not loaded (searches using it do not run on vigil)',
    ]);
  });

  it('warns about a lookup field no generation has, where it is (a misspelled case_sensitive_match left the table case-sensitive)', () => {
    expect(problems.filter((p) => p.includes('lab_typo'))).toEqual(['lookups/lab_typo.yml:4:22: warning: unknown lookup field "case_sensitve_match" (ignored: a typo?)']);
  });
});

// contentctl (objects/base_test.py) TestType: unit, integration, manual; a YAML test must validate as a UnitTest
// (detection_abstract.py ensure_yml_test_is_unittest), whose test_type may be any of them: `manual` runs as a unit test.
describe('test_type as contentctl reads it', () => {
  const tdir = mkdtempSync(join(tmpdir(), 'vigil-test-type-'));
  afterAll(() => rmSync(tdir, { recursive: true, force: true }));
  mkdirSync(join(tdir, 'detections'), { recursive: true });
  const det = (file: string, id: string, type: string) =>
    writeFileSync(
      join(tdir, 'detections', file),
      [`name: ${file}`, `id: ${id}`, 'type: Hunting', "search: '`cisco_isovalent_process_exec` | stats count by pod_name'", 'tests:', '- name: t', `  test_type: ${type}`, '  attack_data: [{data: https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/x/y.log, source: s, sourcetype: st}]'].join('\n'),
    );
  det('manual.yml', '3f0c2a7e-1111-4a2b-8c3d-000000000011', 'manual');
  det('e2e.yml', '3f0c2a7e-1111-4a2b-8c3d-000000000012', 'e2e');
  const pack = loadContent([tdir], { bundled: false });

  it('accepts manual, as a unit test, and refuses a type contentctl does not have', () => {
    expect(pack.problems.filter((p) => p.file.endsWith('manual.yml'))).toEqual([]);
    expect(pack.detections.find((d) => d.name === 'manual.yml')?.tests.map((t) => t.testType)).toEqual(['unit']);
    expect(pack.problems.filter((p) => p.file.endsWith('e2e.yml')).map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual(['7:14: test_type must be unit, integration or manual, not "e2e"']);
  });
});

describe('vigil validate: lookup tables as contentctl checks them', () => {
  const report = validateContent(loadContent([dir], { bundled: false }));
  const ragged = report.problems.filter((p) => p.file.endsWith('lab_ragged.csv')).map((p) => `${p.line}:${p.column}: ${p.severity}: ${p.message}`);

  it('warns at the first row whose cells are not the header\'s, counting the others; the table still loads', () => {
    expect(ragged).toEqual(['4:1: warning: this row has 2 cells, the header 3 (and 1 more row): a missing cell is read empty, an extra one dropped (contentctl refuses the lookup)']);
    const table = loadContent([dir], { bundled: false }).lookups.get('lab_ragged')!;
    expect(table.rows).toEqual([
      { tool: 'curl\nthe fetcher', severity: 'low', family: 'fetch' },
      { tool: 'wget', severity: 'medium', family: '' },
      { tool: 'nc', severity: 'high', family: 'shell' },
    ]);
  });

  it('says nothing of a table whose rows all have the header\'s cells', () => {
    expect(report.problems.filter((p) => p.file.endsWith('lab_libraries.csv') || p.file.endsWith('lab_typo.csv'))).toEqual([]);
  });
});
