import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

/** The Tetragon samples the file source tests read (test/fixtures/tetragon/). */
const FIX = fileURLToPath(new URL('../fixtures/tetragon/', import.meta.url));
export const UPSTREAM = join(FIX, 'upstream-samples.jsonl');
export const EXAMPLE = join(FIX, 'splunk-example.jsonl');
export const SYNTHETIC = join(FIX, 'synthetic.jsonl');
export const upstreamLines = readFileSync(UPSTREAM, 'utf8').split('\n').filter((l) => l !== '');
export const exampleLine = readFileSync(EXAMPLE, 'utf8').trimEnd();

/**
 * A temporary directory for the calling test file, removed after its tests: `write(name, content)` makes a file in it,
 * `at(name)` is the path of one.
 */
export function scratchDir(prefix: string): { write: (name: string, content: string | Buffer) => string; at: (name: string) => string } {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const at = (name: string): string => join(dir, name);
  return {
    write: (name, content) => {
      writeFileSync(at(name), content);
      return at(name);
    },
    at,
  };
}
