import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A detection named by its YAML file (README: "or by the path of a YAML file") inside a content directory that was not
 * loaded: its own macros are not loaded either, so its search fails on an unknown macro; vigil says why and how.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const DATA = join(ROOT, 'attack_data', 'datasets', 'cisco_isovalent', 'cisco_isovalent.log');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-file-key-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const content = join(tmp, 'lab-content');
mkdirSync(join(content, 'detections', 'endpoint'), { recursive: true });
mkdirSync(join(content, 'macros'), { recursive: true });
writeFileSync(join(content, 'macros', 'lab_curl.yml'), 'name: lab_curl\ndefinition: process_name=curl\ndescription: curl\n');
const file = join(content, 'detections', 'endpoint', 'lab___curl.yml');
writeFileSync(
  file,
  [
    'name: Lab - Curl',
    'id: 0b5e5d2a-9999-4aaa-8bbb-000000000001',
    'type: Hunting',
    'status: production',
    "search: '`cisco_isovalent_process_exec` `lab_curl` | stats count by pod_name | `lab___curl_filter`'",
    'tests:',
    '- name: t',
    `  attack_data: [{data: ${DATA}, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]`,
  ].join('\n'),
);

describe('a detection named by its file', () => {
  it('says which content directory holds it when that directory is not loaded', () => {
    const r = vigil(['test', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('unknown macro `lab_curl`');
    expect(r.err).toBe(`vigil: note: ${file} is in the content directory ${content}, which is not loaded: its macros and lookups are not either (add --content ${content})\n`);
  });

  it('says nothing when it is loaded, and the test passes', () => {
    const r = vigil(['test', file, '--content', content]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/1 passed, 0 failed/);
  });
});
