import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { validateContent } from '../../src/detections/validate.js';

// Where an SPL error of a search written as a YAML double-quoted scalar is in the file. YAML 1.2.2 §7.3.1
// (https://yaml.org/spec/1.2.2/#731-double-quoted-style): an escaped line break (`\` at a line's end) and the next
// line's leading white space are no part of the value, and `\xXX`/`\uXXXX` are one character each. PyYAML writes long
// searches this way (`yaml.dump` of a search holding `"` and `\`), as a script converting content would.
const dir = mkdtempSync(join(tmpdir(), 'vigil-search-position-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });

function write(file: string, lines: string[]): string {
  const path = join(dir, 'detections', file);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

const continued = write('continued.yml', [
  'name: Continued Search',
  'id: 0b5e5d2a-2222-4333-8444-100000000001',
  'type: Hunting',
  'search: "`cisco_isovalent_process_exec` | rex field=process \\"(?<x>[a-z]\\\\d+)\\"\\n  | eval y=1 | lookup\\',
  '  \\ no_such_table x OUTPUT z\\n  | `continued_search_filter`"',
]);
const escapes = write('escapes.yml', [
  'name: Escaped Search',
  'id: 0b5e5d2a-2222-4333-8444-100000000002',
  'type: Hunting',
  'search: "`cisco_isovalent_process_exec` | eval a=\\"\\x41\\u00e9\\" | frobnicate | `escaped_search_filter`"',
]);

describe('positions in a double-quoted search', () => {
  const report = validateContent(loadContent([dir]));
  const at = (file: string) => report.problems.find((p) => p.file === file && p.severity === 'error');

  it('skip an escaped line break and the indentation after it', () => {
    // The value's second line is "  | eval y=1 | lookup no_such_table x OUTPUT z": the table name is on the file's
    // fifth line, after "  \ " (the escaped space is the value's space before it).
    const p = at(continued);
    expect(p?.message).toContain('unknown lookup table "no_such_table"');
    expect([p?.line, p?.column]).toEqual([5, 5]);
  });

  it('count a \\x or \\u escape as the one character it is', () => {
    const p = at(escapes);
    expect(p?.message).toContain('unsupported command "frobnicate"');
    const line = '`cisco_isovalent_process_exec` | eval a=\\"\\x41\\u00e9\\" | frobnicate';
    expect([p?.line, p?.column]).toEqual([4, 'search: "'.length + line.indexOf('frobnicate') + 1]);
  });
});
