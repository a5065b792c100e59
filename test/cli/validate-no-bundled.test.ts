import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inContentDirs } from '../../src/detections/content.js';

/**
 * `vigil validate --no-bundled --content DIR` reports DIR's own problems: exit code 2 when there is any error
 * (docs/errors.md: "Exit code 2 means a usage, SPL or content problem"), as `vigil test` and validate without
 * --no-bundled already did. A mistyped directory was dropped with the bundled content's problems: exit 0, nothing checked.
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-validate-no-bundled-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('vigil validate --no-bundled', () => {
  it('fails (exit 2) on a --content directory that does not exist, naming it', () => {
    const missing = join(tmp, 'my-contnet');
    const r = vigil(['validate', '--no-bundled', '--content', missing]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${missing}: error: content directory not found [CONTENT_NOT_FOUND]`);
    expect(r.out).toContain('1 error');
  });

  it('fails (exit 2) on a --content that is a file', () => {
    const file = join(tmp, 'content.yml');
    writeFileSync(file, 'name: x\n');
    const r = vigil(['validate', '--no-bundled', '--content', file]);
    expect(r.code).toBe(2);
    expect(r.out).toContain(`${file}: error: not a content directory (a file)`);
  });

  it('warns about a --content that is a folder of the content, not its root (nothing loaded), and vigil test says no test ran', () => {
    const content = join(tmp, 'my-content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    writeFileSync(
      join(content, 'detections', 'lab___curl.yml'),
      ['name: Lab - Curl', 'id: 0b5e5d2a-7777-4888-8999-000000000001', 'type: Hunting', "search: '`cisco_isovalent_process_exec` process_name=curl | `lab___curl_filter`'"].join('\n'),
    );
    const folder = join(content, 'detections');
    const v = vigil(['validate', '--no-bundled', '--content', folder]);
    expect(v.code).toBe(0);
    expect(v.out).toContain(`${folder}: warning: none of detections/, macros/, lookups/, stories/, datamodels/, eventtypes/ is in this directory: nothing is loaded from it`);
    const t = vigil(['test', '--no-bundled', '--content', folder]);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/^\n0 passed, 0 failed in /);
    expect(t.err).toContain(`vigil: ${folder}: warning: none of detections/`);
    expect(t.err).toContain('vigil: no detection of the --content directories has tests: no test was run');
    // The root itself loads the detection, and says nothing of the kind.
    expect(vigil(['validate', '--no-bundled', '--content', content]).out).not.toContain('none of detections/');
  });

  it("keeps a directory's files and the directory itself, not a sibling sharing its prefix", () => {
    const own = inContentDirs([join(tmp, 'c')]);
    expect([join(tmp, 'c'), join(tmp, 'c', 'detections', 'a.yml'), join(tmp, 'c2', 'a.yml'), join(tmp, 'c2')].map(own)).toEqual([true, true, false, false]);
  });
});
