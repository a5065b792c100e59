import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** `vigil run` with several detections: one pass over the events, rows tagged with `search_name`. */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const DATA = join(ROOT, 'attack_data', 'datasets', 'cisco_isovalent', 'cisco_isovalent.log');
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const SHELL = 'Cisco Isovalent - Shell Execution';
const NOW = '2026-11-20T11:00:00Z';
const tmp = mkdtempSync(join(tmpdir(), 'vigil-run-many-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const jsonl = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
const without = (r: Record<string, unknown>, f: string) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== f));

describe('vigil run with several detections', () => {
  const seedAlone = jsonl(vigil(['run', SEED, '--events', DATA, '--now', NOW]).out);
  const shellAlone = jsonl(vigil(['run', SHELL, '--events', DATA, '--now', NOW]).out);

  it('runs the named detections in their order, each row tagged with its detection and otherwise as when run alone', () => {
    const r = vigil(['run', SHELL, SEED, '--events', DATA, '--now', NOW]);
    expect(r.code).toBe(0);
    const rows = jsonl(r.out);
    expect(rows.map((x) => x['search_name'])).toEqual([...shellAlone.map(() => SHELL), ...seedAlone.map(() => SEED)]);
    expect(rows.map((x) => without(x, 'search_name'))).toEqual([...shellAlone, ...seedAlone]);
    // A single detection prints its rows as they are (no search_name added).
    expect(seedAlone).toHaveLength(4);
    expect(seedAlone[0]).not.toHaveProperty('search_name');
  });

  it('names a detection once however often it is given (by name and by id)', () => {
    const id = jsonl(vigil(['detections', '--format', 'jsonl']).out).find((d) => d['name'] === SEED)!['id'] as string;
    const rows = jsonl(vigil(['run', SEED, id, '--events', DATA, '--now', NOW]).out);
    expect(rows).toHaveLength(seedAlone.length);
    expect(new Set(rows.map((x) => x['search_name']))).toEqual(new Set([SEED]));
  });

  it('--all runs every detection but the correlation searches, with the same rows as one at a time', () => {
    const detections = jsonl(vigil(['detections', '--format', 'jsonl']).out);
    const expected = detections.filter((d) => d['type'] !== 'Correlation').map((d) => d['name'] as string);
    expect(expected.length).toBeGreaterThanOrEqual(10);
    const r = vigil(['run', '--all', '--events', DATA, '--now', NOW]);
    expect(r.code).toBe(0);
    const rows = jsonl(r.out);
    for (const name of expected) {
      const alone = jsonl(vigil(['run', name, '--events', DATA, '--now', NOW]).out);
      expect(rows.filter((x) => x['search_name'] === name).map((x) => without(x, 'search_name')), name).toEqual(alone);
    }
    expect(rows.every((x) => expected.includes(x['search_name'] as string))).toBe(true);
    expect(new Set(rows.map((x) => x['search_name'])).size).toBeGreaterThanOrEqual(7);
  });

  it('--risk with several detections prints the risk events of each, named by search_name', () => {
    const both = jsonl(vigil(['run', SEED, SHELL, '--events', DATA, '--now', NOW, '--risk']).out);
    const seedRisk = jsonl(vigil(['run', SEED, '--events', DATA, '--now', NOW, '--risk']).out);
    const shellRisk = jsonl(vigil(['run', SHELL, '--events', DATA, '--now', NOW, '--risk']).out);
    expect(seedRisk.length).toBeGreaterThan(0);
    expect(shellRisk.length).toBeGreaterThan(0);
    expect(both).toEqual([...seedRisk, ...shellRisk]);
    expect(both.filter((x) => x['search_name'] === SHELL)).toHaveLength(shellRisk.length);
    const all = jsonl(vigil(['run', '--all', '--events', DATA, '--now', NOW, '--risk']).out);
    expect(new Set(all.map((x) => x['search_name'])).size).toBeGreaterThanOrEqual(7);
    expect(all.filter((x) => x['search_name'] === SEED)).toEqual(seedRisk);
  });

  it('keeps a search_name the results have of their own as orig_search_name', () => {
    const file = join(tmp, 'own-name.yml');
    writeFileSync(
      file,
      [
        'name: Own Name',
        'id: 00000000-0000-4000-8000-0000000000aa',
        'type: Hunting',
        "search: '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name | eval search_name=\"from the data\"'",
      ].join('\n'),
    );
    const rows = jsonl(vigil(['run', file, SEED, '--events', DATA, '--now', NOW]).out);
    const own = rows.filter((x) => x['search_name'] === 'Own Name');
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((x) => x['orig_search_name'] === 'from the data')).toBe(true);
  });

  it('exits 2 without detections or with names and --all, and on an SPL error in any of them before reading events', () => {
    expect(vigil(['run', '--events', DATA]).code).toBe(2);
    const both = vigil(['run', SEED, '--all', '--events', DATA]);
    expect(both.code).toBe(2);
    expect(both.err).toContain('not both');
    const bad = join(tmp, 'bad.yml');
    writeFileSync(bad, ['name: Bad', 'id: 00000000-0000-4000-8000-0000000000bb', 'type: Hunting', "search: '| nosuchcommand'"].join('\n'));
    const r = vigil(['run', SEED, bad, '--events', join(tmp, 'does-not-exist.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('nosuchcommand');
    // Which of the detections it is, and its file.
    expect(r.err).toContain(`in detection "Bad" (${bad}:4:12)`);
    expect(r.out).toBe('');
  });

  it('reports every name that matches no detection, in run and in test; test, like run, runs a detection named twice once', () => {
    for (const args of [['run', '--events', DATA, '--'], ['test']]) {
      const cmd = args[0]!;
      const r = vigil([...args, 'Nope1', SEED, 'Cisco Isovalent - Shell Exec']);
      expect(r.code, cmd).toBe(2);
      expect(r.err, cmd).toContain('2 detections not found');
      expect(r.err, cmd).toContain('no detection named "Nope1"');
      expect(r.err, cmd).toContain(`no detection named "Cisco Isovalent - Shell Exec"; did you mean:\n  ${SHELL}`);
    }
    // A key ending in .yml is a path: the file is what is missing.
    const file = vigil(['run', '--events', DATA, '--', 'missing/detection.yml']);
    expect([file.code, file.err.trim()]).toEqual([2, 'vigil: no detection named "missing/detection.yml", and no such file [CONTENT_NOT_FOUND]']);
    // Found by an outside probe: the name is echoed as text, its control characters replaced as everywhere else
    // (a pasted ESC sequence reached the terminal), and an empty name (a script's unset variable) is not "contained"
    // in every name, so it lists none of them.
    const esc = vigil(['run', '--events', DATA, '--', 'bad\u001b[31mname', 'x\u001b]52;c;aGk=\u0007.yml']);
    expect(esc.code).toBe(2);
    expect(esc.err).toContain('no detection named "bad\ufffd[31mname" (vigil detections lists them)');
    expect(esc.err).toContain('no detection named "x\ufffd]52;c;aGk=\ufffd.yml", and no such file');
    expect(esc.err).not.toMatch(/[\u001b\u0007]/);
    const empty = vigil(['run', '--events', DATA, '--', '']);
    expect([empty.code, empty.err.trim()]).toEqual([2, 'vigil: no detection named "" (vigil detections lists them) [CONTENT_NOT_FOUND]']);
    const twice = vigil(['test', SEED, SEED]);
    expect(twice.code).toBe(0);
    expect(twice.out).toMatch(/^1 passed, 0 failed/m);
    // A detection without tests is named as such, not silently "0 passed".
    const none = vigil(['test', 'Risk - Threshold Exceeded For Object Over 24 Hours']);
    expect(none).toMatchObject({ code: 0, err: expect.stringContaining('Risk - Threshold Exceeded For Object Over 24 Hours has no tests') });
  });

  it('runs named detections (and searches) despite an error in another detection\'s file, a warning; --all, that detection, or a broken macro stop', () => {
    const content = join(tmp, 'broken-content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    const broken = join(content, 'detections', 'broken.yml');
    writeFileSync(broken, 'name: Broken\nid: [unclosed\n');
    const named = vigil(['run', SEED, '--content', content, '--events', DATA, '--now', NOW]);
    expect(named.code, named.err).toBe(0);
    expect(jsonl(named.out)).toEqual(seedAlone);
    expect(named.err).toContain(`vigil: warning: ${broken}:`);
    const search = vigil(['search', '* | stats count', '--content', content, '--events', DATA]);
    expect(search.code).toBe(0);
    expect(search.err).toContain('vigil: warning:');
    const test = vigil(['test', SEED, '--content', content]);
    expect(test.code, test.err).toBe(0);
    expect(vigil(['run', '--all', '--content', content, '--events', DATA])).toMatchObject({ code: 2, err: expect.stringContaining('content has errors') });
    expect(vigil(['run', 'Broken', '--content', content, '--events', DATA])).toMatchObject({ code: 2, err: expect.stringContaining('content has errors') });
    mkdirSync(join(content, 'macros'));
    writeFileSync(join(content, 'macros', 'bad.yml'), 'name: [unclosed\n');
    expect(vigil(['run', SEED, '--content', content, '--events', DATA])).toMatchObject({ code: 2, err: expect.stringContaining(join(content, 'macros', 'bad.yml')) });
  });

  it('says so when --events took the detections as files (it takes every argument after it)', () => {
    const r = vigil(['run', '--now', NOW, '--events', DATA, SEED]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--events took "${SEED}" as a file`);
    // --content too, in run and in test (where no name means every detection with tests).
    expect(vigil(['run', '--content', tmp, SEED, '--events', DATA]).err).toContain(`--content took "${SEED}" as a directory: name detections before --content`);
    const test = vigil(['test', '--content', tmp, SEED]);
    expect(test.code).toBe(2);
    expect(test.err).toContain(`${SEED}: content directory not found\n  (--content takes every argument after it: name detections before --content`);
    // Ended with --, the same arguments run.
    const ended = vigil(['run', '--events', DATA, '--now', NOW, '--', SEED]);
    expect(ended.code).toBe(0);
    expect(jsonl(ended.out)).toEqual(seedAlone);
    // vigil search: commander reports the missing search, and the hint says why.
    const search = vigil(['search', '--now', NOW, '--events', DATA, 'index=* | stats count']);
    expect(search.code).toBe(2);
    expect(search.err).toContain("missing required argument 'spl'");
    expect(search.err).toContain('hint: --events takes every argument after it');
    expect(vigil(['search', '--now', NOW, 'index=* | stats count', '--events', DATA]).err).not.toContain('hint:');
  });

  it('--events (or --content) followed by another option is a usage error (exit 2), not a file that cannot be read', () => {
    const r = vigil(['search', 'index=* | stats count', '--events', '--format', 'csv']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('vigil: --events takes its files right after it, and took the option --format as one (a file of that name: ./--format) [USAGE]\n');
    expect(vigil(['run', SEED, '--content', '--events', DATA]).err).toContain('--content takes its directories right after it, and took the option --events as one');
    // After `--`, an argument is no option: the list is the user's.
    expect(vigil(['search', '--now', NOW, '--events', DATA, '--format', 'csv', '--', 'index=* | stats count']).code).toBe(0);
  });
});
