import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `vigil run <detection> --explain`: the plan `vigil search --explain` prints for the detection's search, under its name,
 * without reading an event; a search vigil cannot run says so as the run would (the detection, its YAML line:column).
 */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const SHELL = 'Cisco Isovalent - Shell Execution';
const tmp = mkdtempSync(join(tmpdir(), 'vigil-run-explain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const searchOf = (file: string) => (parse(readFileSync(join(ROOT, 'content', 'detections', 'endpoint', file), 'utf8')) as { search: string }).search;

describe('vigil run --explain', () => {
  it("prints each named detection's plan, as vigil search --explain plans its search, and reads no event", () => {
    const seed = vigil(['search', searchOf('cisco_isovalent___curl_execution_with_insecure_flags.yml'), '--explain', '--threads', '1']);
    const shell = vigil(['search', searchOf('cisco_isovalent___shell_execution.yml'), '--explain', '--threads', '1']);
    expect(seed.code).toBe(0);
    // --events names a file that does not exist: nothing is read, so nothing fails.
    const r = vigil(['run', SEED, SHELL, '--explain', '--threads', '1', '--events', join(tmp, 'no-such-file.jsonl')]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(`${SEED}\n${seed.out}\n${SHELL}\n${shell.out}`);
    expect(r.out).toContain('parallel: none, one thread: --threads 1');
  });

  it('names the detection and where the error is in its YAML file when vigil cannot run its search (exit 2)', () => {
    mkdirSync(join(tmp, 'detections'), { recursive: true });
    writeFileSync(
      join(tmp, 'detections', 'lab___predicting.yml'),
      ['name: Lab - Predicting', 'id: 0b5e5d2a-4444-4555-8666-000000000001', 'type: Hunting', 'search: |', '  `cisco_isovalent_process_exec`', '  | predict count', '  | `lab___predicting_filter`'].join('\n'),
    );
    const r = vigil(['run', 'Lab - Predicting', '--content', tmp, '--explain']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('unsupported command "predict" [SPL_UNSUPPORTED_COMMAND]');
    expect(r.err).toContain(`in detection "Lab - Predicting" (${join(tmp, 'detections', 'lab___predicting.yml')}:6:5)`);
  });
});
