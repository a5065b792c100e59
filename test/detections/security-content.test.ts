import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadContent, type ContentPack } from '../../src/detections/content.js';
import { readDetection } from '../../src/detections/detection.js';
import { validateContent } from '../../src/detections/validate.js';
import { checkSearch, type SplError } from '../../src/spl/index.js';
import { YamlReader } from '../../src/yaml/reader.js';
import { escuCorpusPresent, escuSearches, isLinuxProcesses, writeEscuTree } from '../escu-tree.js';

/** A detection YAML read as the loader reads it: the detection (or null) and the problems. */
function read(lines: string[]) {
  const r = YamlReader.parse(lines.join('\n'), 'd.yml');
  const d = readDetection(r.top(), 'd.yml');
  return { d, problems: r.problems };
}

const HEAD = ['name: Linux Curl Upload File', 'id: c1de2d9a-0c02-4bb4-a49a-510c6e9cf2bf', 'type: TTP', 'search: "| tstats count from datamodel=Endpoint.Processes by Processes.dest"'];

describe('security_content before 2025: tags.observable', () => {
  it('turns Victim observables into risk objects and Attacker ones into threat objects, as contentctl 4 did', () => {
    const { d, problems } = read([
      ...HEAD,
      'tags:',
      '  confidence: 80',
      '  impact: 80',
      '  message: An instance of $process_name$ was identified on endpoint $dest$ by user $user$',
      '  mitre_attack_id: [T1105]',
      '  observable:',
      '  - {name: user, type: User, role: [Victim]}',
      '  - {name: dest, type: Hostname, role: [Victim]}',
      '  - {name: process_name, type: Process, role: [Attacker]}',
      '  - {name: src_ip, type: IP Address, role: [Attacker]}',
      '  - {name: file_name, type: File Name, role: [Attacker]}',
      '  - {name: registry_path, type: Registry Key, role: [Attacker]}',
      '  - {name: service, type: Service, role: [Victim]}',
      '  risk_score: 64',
    ]);
    expect(problems).toEqual([]);
    expect(d!.schema).toBe('observables');
    const message = 'An instance of $process_name$ was identified on endpoint $dest$ by user $user$';
    expect(d!.riskObjects).toEqual([
      { field: 'user', type: 'user', score: 64, message },
      { field: 'dest', type: 'system', score: 64, message },
      { field: 'service', type: 'other', score: 64, message },
    ]);
    expect(d!.threatObjects).toEqual([
      { field: 'process_name', type: 'process' },
      { field: 'src_ip', type: 'ip_address' },
      { field: 'file_name', type: 'file_name' },
      { field: 'registry_path', type: 'registry key' },
    ]);
    expect(d!.mitreAttackIds).toEqual(['T1105']);
  });

  it('scores confidence x impact / 100 when risk_score is absent', () => {
    const { d } = read([...HEAD, 'tags:', '  confidence: 50', '  impact: 30', '  message: m', '  observable:', '  - {name: dest, type: Hostname, role: [Victim]}']);
    expect(d!.riskObjects).toEqual([{ field: 'dest', type: 'system', score: 15, message: 'm' }]);
  });

  it("rounds a half score to even, as contentctl 4's Python round does (DetectionTags.risk_score)", () => {
    const score = (confidence: number, impact: number) =>
      read([...HEAD, 'tags:', `  confidence: ${confidence}`, `  impact: ${impact}`, '  message: m', '  observable:', '  - {name: dest, type: Hostname, role: [Victim]}']).d!.riskObjects[0]!.score;
    expect([score(50, 25), score(50, 75), score(70, 35), score(90, 70)]).toEqual([12, 38, 24, 63]);
  });

  it('gives Hunting detections no risk (ESCU enables the risk action for TTP and Anomaly only)', () => {
    const { d, problems } = read([...HEAD.map((l) => l.replace('type: TTP', 'type: Hunting')), 'tags:', '  risk_score: 25', '  message: m', '  observable:', '  - {name: dest, type: Hostname, role: [Victim]}']);
    expect(problems).toEqual([]);
    expect(d!.riskObjects).toEqual([]);
    expect(d!.threatObjects).toEqual([]);
  });

  it('reports observables without a score at their line', () => {
    const { problems } = read([...HEAD, 'tags:', '  message: m', '  observable:', '  - {name: dest, type: Hostname, role: [Victim]}']);
    expect(problems).toMatchObject([{ line: 8, severity: 'error', message: 'tags.observable needs tags.risk_score (or tags.confidence and tags.impact)' }]);
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function checkout(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-checkout-'));
  dirs.push(d);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(d, rel)), { recursive: true });
    writeFileSync(join(d, rel), text);
  }
  return d;
}
const detection = (name: string, id: string, search: string, extra: string[] = []) =>
  [`name: ${name}`, `id: ${id}`, 'type: Hunting', `search: '${search.replace(/'/g, "''")}'`, ...extra].join('\n');
const mine = (pack: ContentPack, dir: string) => pack.problems.filter((p) => p.file.startsWith(dir));

describe('a security_content checkout as --content', () => {
  it('skips deprecated detections (detections/deprecated/, status: deprecated) as ESCU builds do', () => {
    const dir = checkout({
      'detections/endpoint/a.yml': detection('A', '0a000000-0000-4000-8000-000000000001', '| makeresults'),
      'detections/endpoint/b.yml': detection('B', '0a000000-0000-4000-8000-000000000002', '| makeresults', ['status: deprecated']),
      'detections/deprecated/c.yml': detection('C', '0a000000-0000-4000-8000-000000000003', '| makeresults'),
      'detections/deprecated/broken.yml': 'name: [',
      'baselines/x.yml': 'not: content vigil reads',
      'playbooks/y.yml': '{',
    });
    const pack = loadContent([dir], { bundled: false });
    expect(pack.detections.map((d) => d.name)).toEqual(['A']);
    expect(mine(pack, dir)).toEqual([]);
  });

  it('overrides a detection by id and by name across directories', () => {
    const a = checkout({ 'detections/x.yml': detection('X', '0a000000-0000-4000-8000-000000000021', '| makeresults') });
    // A copy of X under another id replaces it; Y takes X's old id; Z renames the detection of id ...22.
    const b = checkout({
      'detections/a.yml': detection('X', '0a000000-0000-4000-8000-000000000022', '| makeresults'),
      'detections/b.yml': detection('Y', '0a000000-0000-4000-8000-000000000021', '| makeresults'),
    });
    const c = checkout({
      'detections/a.yml': detection('Z', '0a000000-0000-4000-8000-000000000022', '| makeresults'),
      'detections/b.yml': detection('X', '0a000000-0000-4000-8000-000000000023', '| makeresults'),
    });
    const pack = loadContent([a, b, c], { bundled: false });
    expect(pack.detections.map((d) => [d.name, d.id.slice(-2)])).toEqual([
      ['X', '23'],
      ['Y', '21'],
      ['Z', '22'],
    ]);
  });

  it('reads a quoted scalar continued at column 0 as PyYAML does, with the same value', () => {
    const dir = checkout({
      'macros/base64decode.yml': ['name: base64decode', 'arguments:', '  - b64in', `definition: 'eval b64x_split=split($b64in$,"") `, `| eval x="it''s"`, "| fields - b64x_*'", 'description: d'].join('\n'),
      'stories/s.yml': ['name: S', "narrative: 'first", '', "second'"].join('\n'),
    });
    const pack = loadContent([dir], { bundled: false });
    expect(mine(pack, dir)).toEqual([]);
    expect(pack.macros.get('base64decode', 1)!.definition).toBe('eval b64x_split=split($b64in$,"") | eval x="it\'s" | fields - b64x_*');
    expect(pack.stories.map((s) => s.name)).toEqual(['S']);
  });

  it('reports a broken file and loads every other', () => {
    const dir = checkout({
      'detections/endpoint/bad.yml': 'name: Bad\nid: [',
      'detections/endpoint/no_search.yml': 'name: NoSearch\nid: 0a000000-0000-4000-8000-000000000009\ntype: TTP\n',
      'detections/endpoint/good.yml': detection('Good', '0a000000-0000-4000-8000-000000000004', '| makeresults'),
      'macros/broken_macro.yml': 'name: x\ndefinition: "unterminated',
      'macros/ok.yml': 'name: ok\ndefinition: search *',
    });
    const pack = loadContent([dir], { bundled: false });
    expect(pack.detections.map((d) => d.name)).toEqual(['Good']);
    expect(pack.macros.has('ok')).toBe(true);
    const problems = mine(pack, dir).map((p) => `${basename(p.file)}:${p.line}:${p.severity}:${p.message}`);
    expect(problems.some((p) => p.startsWith('bad.yml:2:error:'))).toBe(true);
    expect(problems).toContain('no_search.yml:1:error:missing required field "search"');
    expect(problems.some((p) => p.startsWith('broken_macro.yml:2:error:') && p.includes('quote'))).toBe(true);
  });

  it('reads both lookup layouts and refuses, with a warning, what vigil cannot match as Splunk does', () => {
    const csv = 'name,kind\nnc,tool\nnmap,scanner\n';
    const dir = checkout({
      // 2024: filename beside the definition; a bare CSV is also a table under its file name.
      'lookups/tools.yml': "name: tools\nfilename: tools_2024.csv\ncase_sensitive_match: 'false'\n",
      'lookups/tools_2024.csv': csv,
      'lookups/extra.csv': 'a\n1\n',
      // 2025+: lookup_type csv, <name>.csv beside it.
      'lookups/csv/scanners.yml': 'name: scanners\nlookup_type: csv\ncase_sensitive_match: false\n',
      'lookups/csv/scanners.csv': csv,
      'lookups/kv.yml': 'name: kv\ncollection: kv\nfields_list: _key, a\n',
      'lookups/kvstore/kv2.yml': 'name: kv2\nlookup_type: kvstore\nfields: [_key]\n',
      'lookups/model.yml': 'name: model\nfilename: model.mlmodel\n',
      'lookups/model.mlmodel': 'binary', // claimed by model.yml: no second warning
      'lookups/timed.yml': 'name: timed\nfilename: timed.csv\ntime_field: t\n',
      'lookups/timed.csv': csv,
      'lookups/csv/default.yml': 'name: default\nlookup_type: csv\nmin_matches: 1\ndefault_match: "false"\n',
      'lookups/csv/default.csv': csv,
      'lookups/missing.yml': 'name: missing\nfilename: gone.csv\n',
      'lookups/notes.json': '{}',
    });
    const pack = loadContent([dir], { bundled: false });
    expect(pack.lookups.names().sort()).toEqual(['default', 'default.csv', 'extra.csv', 'scanners', 'scanners.csv', 'tools', 'tools_2024.csv']);
    // transforms.conf min_matches / default_match are honoured: read with the table.
    expect(pack.lookups.get('default')).toMatchObject({ minMatches: 1, defaultMatch: 'false' });
    expect(pack.lookups.get('tools')!.caseSensitive).toBe(false);
    expect(pack.lookups.get('scanners')!.rows).toEqual([
      { name: 'nc', kind: 'tool' },
      { name: 'nmap', kind: 'scanner' },
    ]);
    // A refused table is not reachable by its file name either (`lookup timed` would fall back to timed.csv).
    expect(pack.lookups.get('timed')).toBeUndefined();
    const problems = mine(pack, dir).map((p) => `${basename(p.file)}:${p.severity}:${p.message}`);
    expect(problems).toEqual([
      'kv.yml:warning:lookup kv: KV store lookups are not supported: not loaded (searches using it do not run on vigil)',
      'kv2.yml:warning:lookup kv2: KV store lookups are not supported: not loaded (searches using it do not run on vigil)',
      'missing.yml:error:lookup file gone.csv not found next to missing.yml',
      'model.yml:warning:lookup model: MLTK model lookups are not supported: not loaded (searches using it do not run on vigil)',
      'timed.yml:warning:lookup timed: time_field: t is not supported: not loaded (searches using it do not run on vigil)',
      'notes.json:warning:not a CSV lookup or its definition: ignored',
    ]);
    // A search using a refused table fails saying why, by its name or its file's; inputlookup too, even without
    // strict=true (a KV store collection has rows in Splunk: no rows here would be other results, not a missing table).
    const fails = (search: string) => {
      try {
        checkSearch(search, { macros: pack.macros, lookups: pack.lookups, knowledge: pack.knowledge, now: 0 });
      } catch (e) {
        return (e as SplError).message.replace(dir, '<dir>');
      }
      return null;
    };
    expect(fails('| makeresults | eval name="nc" | lookup timed name OUTPUT kind')).toBe(
      'lookup: lookup table "timed" is not loaded: time_field: t is not supported (<dir>/lookups/timed.yml)',
    );
    expect(fails('| makeresults | lookup timed.csv name')).toMatch(/^lookup: lookup table "timed.csv" is not loaded: time_field: t/);
    expect(fails('| inputlookup kv')).toBe('inputlookup: lookup table "kv" is not loaded: KV store lookups are not supported (<dir>/lookups/kv.yml)');
    expect(fails('| inputlookup no_such_table')).toBeNull(); // a missing table: a warning and no rows, as Splunk
    expect(fails('| makeresults | lookup no_such_table name')).toMatch(/^lookup: unknown lookup table "no_such_table"/);
  });
});

describe('lookup case_sensitive_match', () => {
  // transforms.conf.spec, case_sensitive_match: a boolean, "Default: true". contentctl's Lookup model types it bool
  // (pydantic reads `no`, `off`, `0`, `f`, `n` as false) and writes `case_sensitive_match = false` to transforms.conf.
  it('reads every spelling of false as false, and refuses what is not a boolean', () => {
    const files: Record<string, string> = { 'lookups/t.csv': 'h,v\nAB,1\n' };
    const spellings = ['false', 'False', 'no', 'off', '0', "'0'", 'f', 'n', 'true', 'yes', '1', "'maybe'"];
    spellings.forEach((v, i) => (files[`lookups/t${i}.yml`] = `name: t${i}\nfilename: t.csv\ncase_sensitive_match: ${v}\n`));
    const pack = loadContent([checkout(files)], { bundled: false });
    const cs = spellings.map((_, i) => pack.lookups.get(`t${i}`)?.caseSensitive);
    expect(cs).toEqual([false, false, false, false, false, false, false, false, true, true, true, undefined]);
    expect(mine(pack, '').map((p) => p.message)).toContain('lookup t11: case_sensitive_match: maybe is not true or false: not loaded (searches using it do not run on vigil)');
  });
});

describe('hostile lookups', () => {
  // transforms.conf.spec, filename: "Only file names are supported. Paths are explicitly not supported. If you specify a
  // path, Splunk software strips the path to use the value after the final path separator."
  it('a filename that is a path reads its file name beside the definition (with a warning), never the path', () => {
    const dir = checkout({
      'lookups/esc.yml': 'name: esc\nfilename: ../../../../../../../../etc/passwd\n',
      'lookups/abs.yml': 'name: abs\nfilename: /etc/passwd\n',
      'lookups/sub.yml': 'name: sub\nfilename: C:\\\\splunk\\\\lookups\\\\ok.csv\n',
      'lookups/dir.yml': 'name: dir\nfilename: lookups/\n',
      'lookups/ok.yml': 'name: ok\nfilename: ok.csv\n',
      'lookups/ok.csv': 'a\n1\n',
      'lookups/zero.yml': 'name: zero\nfilename: zero.csv\n',
    });
    symlinkSync('/dev/zero', join(dir, 'lookups', 'zero.csv'));
    const pack = loadContent([dir], { bundled: false });
    expect(pack.lookups.names().sort()).toEqual(['ok', 'ok.csv', 'sub']);
    expect(pack.lookups.get('sub')!.rows).toEqual([{ a: '1' }]);
    expect(mine(pack, dir).map((p) => `${basename(p.file)}:${p.line}:${p.column}:${p.severity}:${p.message}`)).toEqual([
      'zero.csv:0:0:warning:a symbolic link: not read (content files and folders must be regular ones)',
      'abs.yml:2:11:warning:lookup abs: filename is a path: its file name passwd is read, beside abs.yml (as Splunk does)',
      'abs.yml:2:11:error:lookup file passwd not found next to abs.yml',
      'dir.yml:2:11:error:lookup dir: filename must end with a file name, not "lookups/"',
      'esc.yml:2:11:warning:lookup esc: filename is a path: its file name passwd is read, beside esc.yml (as Splunk does)',
      'esc.yml:2:11:error:lookup file passwd not found next to esc.yml',
      'sub.yml:2:11:warning:lookup sub: filename is a path: its file name ok.csv is read, beside sub.yml (as Splunk does)',
      'zero.yml:2:11:error:lookup file zero.csv is not a regular file',
    ]);
  });

  it('a CSV whose quoted field is never closed fails at its opening quote instead of swallowing the rows after it', () => {
    const dir = checkout({
      'lookups/bad.csv': '\ufeffa,b\n1,2\n"x\ny",z\n3,"open\n4,5\n',
      'lookups/bad.yml': 'name: bad\nfilename: bad.csv\n',
    });
    const table = loadContent([dir], { bundled: false }).lookups.get('bad.csv')!;
    expect(() => table.rows).toThrow(`${join(dir, 'lookups', 'bad.csv')}:5:3: a quoted field is not closed`);
    // vigil validate reads every table (once per file, though it has two names), not only those a run reads.
    const report = validateContent(loadContent([dir], { bundled: false }));
    expect(report.problems.map((p) => `${p.file}:${p.line}:${p.column}:${p.severity}:${p.message}`)).toEqual([
      `${join(dir, 'lookups', 'bad.csv')}:5:3:error:a quoted field is not closed`,
    ]);
  });

  it('a definition of a gzipped CSV is refused with a warning, not read as text', () => {
    const dir = checkout({ 'lookups/gz.yml': 'name: gz\nfilename: gz.csv.gz\n' });
    writeFileSync(join(dir, 'lookups', 'gz.csv.gz'), gzipSync('k,v\na,1\n'));
    const pack = loadContent([dir], { bundled: false });
    expect(pack.lookups.get('gz')).toBeUndefined();
    expect(pack.lookups.refusal?.('gz')).toContain('gzipped CSV lookups (.csv.gz) are not supported');
  });

  // Knowledge Manager Manual, "Configure CSV lookups": "The CSV file cannot contain non-utf-8 characters".
  it('a CSV that is not UTF-8 is read (bad bytes as U+FFFD) and vigil validate warns at its first bad byte', () => {
    const dir = checkout({ 'lookups/latin.yml': 'name: latin\nfilename: latin.csv\n' });
    writeFileSync(join(dir, 'lookups', 'latin.csv'), Buffer.from('user,city\nann,Paris\nbob,K\xf6ln\n', 'latin1'));
    const pack = loadContent([dir], { bundled: false });
    expect(pack.lookups.get('latin')!.rows[1]).toEqual({ user: 'bob', city: 'K\ufffdln' });
    const report = validateContent(loadContent([dir], { bundled: false }));
    expect(report.problems.map((p) => `${p.file}:${p.line}:${p.column}:${p.severity}:${p.message}`)).toEqual([
      `${join(dir, 'lookups', 'latin.csv')}:3:6:warning:the lookup file is not UTF-8: its invalid bytes are read as U+FFFD (save it as UTF-8)`,
    ]);
  });
});

describe('vigil validate: whether each detection runs on vigil', () => {
  it('points at the first error of a folded multi-line search in its YAML file, and groups reasons', () => {
    const dir = checkout({
      // security_content's style: a single-quoted search over several lines (folded into spaces).
      'detections/endpoint/x.yml': [
        'name: X',
        'id: 0a000000-0000-4000-8000-000000000011',
        'type: Hunting',
        "search: '| makeresults count=1 | eval a=\"it''s\"",
        '  | predict a maxspan=5m | `x_filter`\'',
      ].join('\n'),
      'detections/endpoint/y.yml': detection('Y', '0a000000-0000-4000-8000-000000000012', '| makeresults | predict b | `y_filter`'),
      'detections/endpoint/z.yml': detection('Z', '0a000000-0000-4000-8000-000000000013', '| makeresults | eval c=1 | `z_filter`'),
    });
    const report = validateContent(loadContent([dir], { bundled: false }));
    expect(report.counts).toMatchObject({ detections: 3, runnable: 1 });
    expect(report.detections.map((v) => [v.name, v.runs, v.line, v.column])).toEqual([
      ['X', false, 5, 5],
      ['Y', false, 4, 26],
      ['Z', true, 4, 1],
    ]);
    expect(report.detections[0]!.reason).toEqual({ code: 'SPL_UNSUPPORTED_COMMAND', message: 'unsupported command "predict" [SPL_UNSUPPORTED_COMMAND] at 1:41' });
    expect(report.reasons).toEqual([{ code: 'SPL_UNSUPPORTED_COMMAND', reason: 'unsupported command "predict"', count: 2 }]);
    const problem = report.problems.find((p) => p.file.endsWith('x.yml') && p.severity === 'error')!;
    expect([problem.line, problem.column]).toEqual([5, 5]);
  });

  it('points into folded (>) and indented (|2) blocks, past blank lines, and into the file of the macro an error is in', () => {
    const head = (name: string, n: number) => [`name: ${name}`, `id: 0a000000-0000-4000-8000-0000000000${20 + n}`, 'type: Hunting'];
    const dir = checkout({
      // Folded: its lines are one line of the search; the error is on the file's third line of the value.
      'detections/endpoint/f.yml': [...head('F', 1), 'search: >-', '  | makeresults', '  | eval a=1', '  | predict a | `f_filter`'].join('\n'),
      // A blank line in a folded block is a newline of the value, not a space and a newline.
      'detections/endpoint/g.yml': [...head('G', 2), 'search: >', '  | makeresults', '', '  | predict a | `g_filter`'].join('\n'),
      // An indentation indicator: the two spaces past it are the search's own.
      'detections/endpoint/h.yml': [...head('H', 3), 'search: |2', '    | makeresults | predict a | `h_filter`'].join('\n'),
      'detections/endpoint/m.yml': [...head('M', 4), 'search: |', '  | makeresults', '  | `broken_macro` | `m_filter`'].join('\n'),
      'macros/broken_macro.yml': ['name: broken_macro', 'definition: |', '  eval b=1', '  | predict b'].join('\n'),
    });
    const report = validateContent(loadContent([dir], { bundled: false }));
    const error = (file: string) => report.problems.filter((p) => p.file.endsWith(file) && p.severity === 'error').map((p) => [p.line, p.column]);
    expect(error('f.yml')).toEqual([[7, 5]]);
    expect(error('g.yml')).toEqual([[7, 5]]);
    expect(error('h.yml')).toEqual([[5, 21]]);
    // The error is in the macro: reported in its file; the detection's verdict is at the call.
    expect(error('broken_macro.yml')).toEqual([[4, 5]]);
    expect(error('m.yml')).toEqual([]);
    expect(report.detections.find((v) => v.name === 'M')).toMatchObject({ runs: false, file: expect.stringMatching(/m\.yml$/), line: 6, column: 5 });
  });

  it('points into the file of a macro with arguments an error is in (its YAML names it without the arity)', () => {
    const dir = checkout({
      'detections/endpoint/a.yml': ['name: A', 'id: 0a000000-0000-4000-8000-000000000041', 'type: Hunting', 'search: |', '  | makeresults', '  | `args_macro(x)` | `a_filter`'].join('\n'),
      // A second caller: the macro's error is reported once, not once per detection (it was).
      'detections/endpoint/b.yml': ['name: B', 'id: 0a000000-0000-4000-8000-000000000042', 'type: Hunting', 'search: |', '  | makeresults', '  | `args_macro(x)` | `b_filter`'].join('\n'),
      'macros/args_macro.yml': ['name: args_macro', 'arguments:', '- f', 'definition: |', '  eval $f$=1', '  | predict $f$'].join('\n'),
    });
    const report = validateContent(loadContent([dir], { bundled: false }));
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => [p.file.slice(dir.length + 1), p.line, p.column]);
    expect(errors).toEqual([['macros/args_macro.yml', 6, 5]]);
    expect(report.problems.find((p) => p.severity === 'error')!.message).toMatch(/\n\s+in A, B$/);
    expect(report.detections.find((v) => v.name === 'A')).toMatchObject({ runs: false, line: 6, column: 5 });
  });
});

describe('vigil validate: data model fields', () => {
  it('warns about a field the dataset does not have (it has no value, as in Splunk) and still runs the detection', () => {
    const dir = checkout({
      'detections/endpoint/typo.yml': detection(
        'Typo',
        '0a000000-0000-4000-8000-000000000031',
        '| tstats count from datamodel=Endpoint.Processes where Processes.path="/tmp/*" by Processes.dest Processes.orig_process_name | `typo_filter`',
      ),
      // Named as a whole field, not where "temp" first appears inside a value.
      'detections/endpoint/word.yml': detection('Word', '0a000000-0000-4000-8000-000000000032', '| tstats count from datamodel=Endpoint.Processes where Processes.process="*temp*" by temp | `word_filter`'),
      // The field most likely meant, when there is one: ESCU's "Create local admin accounts using net exe", "Get WMIObject Group Discovery".
      'detections/endpoint/hint.yml': detection('Hint', '0a000000-0000-4000-8000-000000000033', '| tstats count values(parent_process_name) as p from datamodel=Endpoint.Processes where processes.process_name=curl by Processes.dest | `hint_filter`'),
    });
    const report = validateContent(loadContent([dir]));
    const verdict = report.detections.find((v) => v.name === 'Typo')!;
    expect(verdict.runs).toBe(true);
    const warnings = report.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.line}:${p.column}: ${p.severity}: ${p.message}`);
    expect(warnings).toEqual([
      '4:98: warning: search: tstats reads processes.process_name, a field its data model dataset does not have: it has no value on any row (as in Splunk); did you mean Processes.process_name?',
      '4:32: warning: search: tstats reads parent_process_name, a field its data model dataset does not have: it has no value on any row (as in Splunk); did you mean Processes.parent_process_name?',
      '4:65: warning: search: tstats reads Processes.path, a field its data model dataset does not have: it has no value on any row (as in Splunk)',
      '4:107: warning: search: tstats reads Processes.orig_process_name, a field its data model dataset does not have: it has no value on any row (as in Splunk)',
      '4:95: warning: search: tstats reads temp, a field its data model dataset does not have: it has no value on any row (as in Splunk)',
    ]);
  });

  it('takes a descendant dataset\'s field as the dataset\'s, and finds a child field written without its root', () => {
    const dir = checkout({
      // ESCU's "Cloud Compute Instance Created With Previously Unseen Image" reads Instance_Changes' image_id over the root.
      'detections/cloud/image.yml': detection('Image', '0a000000-0000-4000-8000-000000000034', '| tstats count from datamodel=Change by All_Changes.Instance_Changes.image_id | `image_filter`'),
      'detections/cloud/account.yml': detection('Account', '0a000000-0000-4000-8000-000000000035', '| tstats count from datamodel=Change.Account_Management by Account_Management.src_user | `account_filter`'),
    });
    const report = validateContent(loadContent([dir]));
    const warnings = report.problems.filter((p) => p.file.startsWith(dir) && p.code === 'SPL').map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.message}`);
    expect(warnings).toEqual([
      'detections/cloud/account.yml:4:69: search: tstats reads Account_Management.src_user, a field its data model dataset does not have: it has no value on any row (as in Splunk); did you mean All_Changes.Account_Management.src_user?',
    ]);
  });
});

describe.skipIf(!escuCorpusPresent())('the ESCU 2024-10 corpus as a checkout', () => {
  // Made in beforeAll: vitest collects a skipped describe's body too, and the corpus (../shared) may be absent.
  let dir = '';
  let written = { detections: 0, macros: 0 };
  let pack: ContentPack;
  let cpu = { user: 0, system: 0 };
  let report: ReturnType<typeof validateContent>;
  let bundled = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-escu-'));
    dirs.push(dir);
    written = writeEscuTree(dir);
    const started = process.cpuUsage();
    pack = loadContent([dir]);
    cpu = process.cpuUsage(started);
    report = validateContent(pack);
    bundled = loadContent().detections.length;
  });

  it('loads all 1,613 detections and 189 macros without errors', () => {
    console.log(`ESCU checkout: ${written.detections} detections, ${written.macros} macros loaded in ${Math.round((cpu.user + cpu.system) / 1000)} ms of CPU`);
    expect(written).toEqual({ detections: 1613, macros: 189 });
    expect(pack.detections.filter((d) => d.file.startsWith(dir))).toHaveLength(1613);
    expect(mine(pack, dir).filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('gives one verdict per detection, consistent with the counts and the reasons', () => {
    expect(report.detections).toHaveLength(1613 + bundled);
    const notRunning = report.detections.filter((v) => !v.runs);
    expect(report.counts.runnable).toBe(report.detections.length - notRunning.length);
    expect(report.reasons.reduce((n, r) => n + r.count, 0)).toBe(notRunning.length);
    for (const v of notRunning) {
      expect(v.reason, v.name).toBeDefined();
      // Its error is at the verdict's position, or, when it is in a macro, in that macro's file naming the detection.
      // (One error of a macro names all its callers: `in A, B and 6 more`.)
      const callers = (m: string) => m.slice(m.lastIndexOf('\n') + 1).trimStart().slice(3).split(', ');
      const at = (p: (typeof report.problems)[number]) =>
        (p.file === v.file && p.line === v.line && p.column === v.column) || (p.file !== v.file && (callers(p.message).includes(v.name) || / and \d+ more$/.test(p.message)));
      expect(report.problems.some((p) => p.severity === 'error' && at(p)), v.name).toBe(true);
    }
    console.log(`ESCU checkout: ${report.counts.runnable} of ${report.detections.length} detections run on vigil; top reasons:\n${report.reasons.slice(0, 10).map((r) => `  ${r.count}\t${r.reason} [${r.code}]`).join('\n')}`);
  });

  it('runs the tstats detections over the bundled data models, except for reasons that are not tstats', () => {
    // Census (docs/spl.md "tstats"): the corpus' detections with a tstats whose every FROM datamodel= is a
    // bundled model. Those that do not run fail on other commands (join, apply, transaction...), lookups
    // vigil does not ship, a join subsearch over a model vigil lacks and two malformed ESCU searches, never on tstats itself.
    const bundledModels = new Set(['Endpoint', 'Network_Traffic', 'Risk', 'Web', 'Email', 'Authentication', 'Change', 'Network_Resolution']);
    const tstats = escuSearches().filter((s) => {
      const models = [...s.search.matchAll(/datamodel\s*=\s*"?(\w+)/g)].map((m) => m[1]!);
      return /\btstats\b/.test(s.search) && models.length > 0 && models.every((m) => bundledModels.has(m));
    });
    const names = new Set(tstats.map((s) => s.name));
    const verdicts = report.detections.filter((v) => v.file.startsWith(dir) && names.has(v.name));
    const failing = verdicts.filter((v) => !v.runs);
    console.log(`ESCU tstats over bundled models: ${verdicts.length - failing.length} of ${verdicts.length} run on vigil`);
    expect(verdicts).toHaveLength(873);
    expect(verdicts.length - failing.length).toBeGreaterThanOrEqual(823);
    // A subsearch may read a model vigil does not bundle (Log4Shell's join over Web, in a macro): not tstats' fault.
    const otherModel = (m: string): boolean => {
      const model = /unknown data model "(\w+)"/.exec(m)?.[1];
      return model !== undefined && !bundledModels.has(model);
    };
    expect(failing.filter((v) => /tstats|data ?model|nodename|span/i.test(v.reason?.message ?? '') && !otherModel(v.reason?.message ?? '')).map((v) => `${v.name}: ${v.reason?.message}`)).toEqual([]);
  });

  it('runs every one of the 78 Linux Endpoint.Processes detections', () => {
    const linux = new Set(escuSearches().filter(isLinuxProcesses).map((s) => s.name));
    expect(linux.size).toBe(78);
    const verdicts = report.detections.filter((v) => linux.has(v.name));
    expect(verdicts).toHaveLength(78);
    expect(verdicts.filter((v) => !v.runs).map((v) => `${v.name}: ${v.reason?.message}`)).toEqual([]);
  });
});

describe('rba risk object types', () => {
  // contentctl's RiskObjectType (objects/rba.py): system, user or other; ES's risk_object_type takes these.
  it('warns about a risk object type that is not system, user or other', () => {
    const { d, problems } = read([...HEAD, 'rba:', '  message: m', '  risk_objects:', '  - {field: dest, type: hostname, score: 20}', '  - {field: user, type: user, score: 20}', '  threat_objects: []']);
    expect(d!.riskObjects.map((o) => o.type)).toEqual(['hostname', 'user']);
    expect(problems).toMatchObject([{ line: 8, severity: 'warning', message: 'risk object type must be system, user or other, not "hostname"' }]);
  });
});
