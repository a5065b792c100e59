import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findDetection, loadContent } from '../../src/detections/content.js';
import { filterMacroName, snakeName } from '../../src/detections/detection.js';

const dirs: string[] = [];
function contentDir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'vigil-content-'));
  dirs.push(d);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(d, rel, '..'), { recursive: true });
    writeFileSync(join(d, rel), text);
  }
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('bundled content', () => {
  const pack = loadContent();
  it('loads the ten Cisco Isovalent detections and the two risk incident rules without problems', () => {
    expect(pack.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(pack.detections.filter((d) => d.name.startsWith('Cisco Isovalent - '))).toHaveLength(10);
    expect(pack.detections.filter((d) => d.type === 'Correlation').map((d) => d.name)).toEqual([
      'Risk - ATT&CK Tactics Across Sources Over 7 Days',
      'Risk - Threshold Exceeded For Object Over 24 Hours',
    ]);
  });

  it('finds a detection by its id in any case (RFC 4122: UUID hex digits are case-insensitive on input)', () => {
    const seed = 'Cisco Isovalent - Curl Execution With Insecure Flags';
    expect(findDetection(pack, 'C16C4899-D3F7-461B-92C2-CC0EF5758855')?.name).toBe(seed);
    expect(findDetection(pack, ' c16c4899-d3f7-461b-92c2-cc0ef5758855 ')?.name).toBe(seed);
    // A prefix of the id is not an id.
    expect(findDetection(pack, 'c16c4899')).toBeUndefined();
  });

  it('has the seed detection exactly as specified', () => {
    const d = findDetection(pack, 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
    expect(d.id).toBe('c16c4899-d3f7-461b-92c2-cc0ef5758855');
    expect(d.type).toBe('Anomaly');
    expect(d.riskObjects).toEqual([
      { field: 'pod_name', type: 'system', score: 45, message: 'A curl execution with insecure flags has been detected on pod_name [$pod_name$] in the cluster [$cluster_name$]' },
    ]);
    expect(d.threatObjects).toEqual([{ field: 'process_name', type: 'process_name' }]);
    expect(d.mitreAttackIds).toEqual(['T1105']);
    expect(d.analyticStories).toEqual(['Risk Based Analytics (RBA)']);
    expect(d.schedule).toMatchObject({ cron: '0 * * * *', earliest: '-70m@m', latest: '-10m@m', disabled: true, scheduleWindow: 'auto' });
    expect(d.search).toContain('| regex process="(?i)(?<!\\w)-(?:[a-z]*k[a-z]*|-(insecure|proxy-insecure|doh-insecure))"');
    expect(d.filterMacro).toBe('cisco_isovalent___curl_execution_with_insecure_flags_filter');
    expect(pack.macros.get(d.filterMacro, 0)!.definition).toBe('search *');
  });

  it('reads both schema generations', () => {
    expect(findDetection(pack, 'Cisco Isovalent - Cron Job Creation')!.schema).toBe('findings');
    expect(findDetection(pack, 'Cisco Isovalent - Cron Job Creation')!.riskObjects[0]).toMatchObject({ field: 'pod_name', score: 20, message: 'cron job creation detected in pod [$pod_name$] in the cluster [$cluster_name$]' });
    expect(findDetection(pack, 'Cisco Isovalent - Shell Execution')!.schema).toBe('rba');
  });

  it('names filter macros the way security_content does', () => {
    expect(snakeName('Cisco Isovalent - Nsenter Usage in Kubernetes Pod')).toBe('cisco_isovalent___nsenter_usage_in_kubernetes_pod');
    expect(filterMacroName('A/B c')).toBe('a_b_c_filter');
  });
});

describe('user content overrides bundled content', () => {
  it('a user macro wins over the bundled filter macro and a bundled macro', () => {
    const dir = contentDir({
      'macros/f.yml': 'name: cisco_isovalent___curl_execution_with_insecure_flags_filter\ndefinition: search pod_namespace!=ci\n',
      'macros/p.yml': 'name: cisco_isovalent_process_exec\ndefinition: index=k8s sourcetype=cisco:isovalent:processExec\n',
    });
    const pack = loadContent([dir]);
    expect(pack.macros.get('cisco_isovalent___curl_execution_with_insecure_flags_filter', 0)!.definition).toBe('search pod_namespace!=ci');
    expect(pack.macros.get('cisco_isovalent_process_exec', 0)!.definition).toBe('index=k8s sourcetype=cisco:isovalent:processExec');
  });

  it('a user detection with the same id replaces the bundled one', () => {
    const dir = contentDir({
      'detections/mine.yml': [
        'name: My Curl',
        'id: c16c4899-d3f7-461b-92c2-cc0ef5758855',
        'type: TTP',
        'search: "`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name | `my_curl_filter`"',
        'rba:',
        '  message: curl in $pod_name$',
        '  risk_objects: [{field: pod_name, type: system, score: 90}]',
        '  threat_objects: []',
      ].join('\n'),
    });
    const pack = loadContent([dir]);
    expect(pack.detections).toHaveLength(12);
    expect(findDetection(pack, 'c16c4899-d3f7-461b-92c2-cc0ef5758855')!.name).toBe('My Curl');
    expect(pack.macros.has('my_curl_filter')).toBe(true);
    // Across directories that is an override, not a collision.
    expect(pack.problems.filter((p) => p.message.includes('silently replace'))).toEqual([]);
  });

  it('a user detection with one bundled detection\'s name and another\'s id replaces both, with a warning', () => {
    const dir = contentDir({
      'detections/mixed.yml': [
        'name: Cisco Isovalent - Shell Execution',
        'id: c16c4899-d3f7-461b-92c2-cc0ef5758855',
        'type: Hunting',
        'search: "`cisco_isovalent_process_exec` process_name=sh | stats count by pod_name"',
      ].join('\n'),
    });
    const pack = loadContent([dir]);
    expect(pack.detections).toHaveLength(11);
    expect(findDetection(pack, 'Cisco Isovalent - Curl Execution With Insecure Flags')).toBeUndefined();
    expect(pack.problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.severity}: ${p.message}`)).toEqual([
      'detections/mixed.yml:1: warning: detection "Cisco Isovalent - Shell Execution" replaces two: the one of its name (id 12345678-abcd-1234-ef00-1234567890ab) and "Cisco Isovalent - Curl Execution With Insecure Flags", whose id it has',
    ]);
  });

  it('two files of one directory with the same detection id or name, or the same macro, are errors naming both', () => {
    const yml = (name: string, id: string) => [`name: ${name}`, `id: ${id}`, 'type: Hunting', 'search: "| makeresults"', ''].join('\n');
    const dir = contentDir({
      'detections/a.yml': yml('Original', '00000000-0000-4000-8000-00000000000a'),
      'detections/b.yml': yml('Copy Of Original', '00000000-0000-4000-8000-00000000000a'),
      'detections/c.yml': yml('Original', '00000000-0000-4000-8000-00000000000c'),
      'macros/m1.yml': 'name: twice\ndefinition: a=1\n',
      'macros/m2.yml': 'name: twice\ndefinition: a=2\n',
      'macros/m3.yml': 'name: twice\narguments: [x]\ndefinition: a=$x$\n',
    });
    const shown = loadContent([dir])
      .problems.filter((p) => p.file.startsWith(dir))
      .map((p) => `${p.file.slice(dir.length + 1)}: ${p.severity}: ${p.message.replaceAll(dir + '/', '')}`);
    expect(shown).toEqual([
      'detections/b.yml: error: detection id 00000000-0000-4000-8000-00000000000a is also in detections/a.yml: one would silently replace the other',
      'detections/c.yml: error: detection name "Original" is also in detections/a.yml: one would silently replace the other',
      'macros/m2.yml: error: macro `twice` is also in macros/m1.yml: one would silently replace the other',
    ]);
  });
});

describe('macro files', () => {
  it('warn, at the place, about what their expansion would silently not do', () => {
    const dir = contentDir({
      // args: for arguments: (contentctl refuses it), the count in the name: $nm$ and $cmd$ were never substituted.
      'macros/join.yml': "name: join_cmd(2)\ndefinition: '$nm$ . \" :: \" . $cmd$'\nargs:\n- nm\n- cmd\n",
      // A typo of an argument in the definition: $feild$ stays in the search; field and unused are never used.
      'macros/pick.yml': 'name: pick\ndefinition: eval x=$feild$ | eval y=$other$\narguments:\n- field\n- other\n',
      // What security_content writes: no warning.
      'macros/ok.yml': 'name: ok\narguments:\n- field\ndefinition: convert ctime($field$)\ndescription: fine\nid: 00000000-0000-4000-8000-000000000001\n',
    });
    const pack = loadContent([dir], { bundled: false });
    const shown = pack.problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
    expect(shown.sort()).toEqual([
      'macros/join.yml:1:7: warning: macro name "join_cmd(2)" carries an argument count: name it "join_cmd" and list its 2 argument(s) under arguments: (the count is added from them, as contentctl does)',
      'macros/join.yml:2:14: warning: macro `join_cmd(2)`: $nm$ is none of its arguments (it has no arguments:): it is left in the search as written',
      'macros/join.yml:2:30: warning: macro `join_cmd(2)`: $cmd$ is none of its arguments (it has no arguments:): it is left in the search as written',
      'macros/join.yml:4:1: warning: unknown macro field "args" (ignored: a typo?)',
      'macros/pick.yml:2:20: warning: macro `pick`: $feild$ is none of its arguments (its arguments are field, other): it is left in the search as written',
      'macros/pick.yml:4:3: warning: macro `pick`: argument "field" is never used in its definition (no $field$)',
    ]);
    // They still load as written (warnings, not errors).
    expect(pack.macros.get('join_cmd(2)', 0)!.definition).toBe('$nm$ . " :: " . $cmd$');
  });
});

describe('macro argument names', () => {
  // macros.conf.spec (Splunk Admin Manual, macros.conf, args): names of alphanumeric characters, underscores and hyphens,
  // and the list "cannot contain any repeated elements". Such a macro is an error at the argument and is not loaded.
  it('refuses a repeated name and one with other characters, at the argument; hyphens and digits are names', () => {
    const dir = contentDir({
      'macros/dup.yml': 'name: dup\narguments:\n- x\n- x\ndefinition: eval a=$x$\n',
      'macros/space.yml': 'name: space\narguments:\n- a b\ndefinition: eval a="$a b$"\n',
      'macros/fine.yml': 'name: fine\narguments:\n- src-ip\n- 2nd\ndefinition: eval a="$src-ip$", b="$2nd$"\n',
    });
    const pack = loadContent([dir], { bundled: false });
    const shown = pack.problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.severity}: ${p.message}`);
    expect(shown.sort()).toEqual([
      'macros/dup.yml:4:3: error: macro argument "x" is listed twice (macros.conf: no repeated arguments)',
      'macros/space.yml:3:3: error: macro argument name "a b" may only have letters, digits, _ and - (macros.conf)',
    ]);
    expect(pack.macros.get('dup', 2)).toBeUndefined();
    expect(pack.macros.get('space', 1)).toBeUndefined();
    expect(pack.macros.get('fine', 2)!.args).toEqual(['src-ip', '2nd']);
  });
});

describe('hostile macro files', () => {
  // A 2.6 MB file of 100,000 arguments, none used, and 100,000 $tokens$ that are none of them: the checks were quadratic
  // (200,000 arguments: over 120 s) and said one warning per argument and per token, each listing every argument.
  it('a macro of 100,000 arguments loads in linear time, its warnings said ten at a time and then counted', () => {
    const n = 100_000;
    const args = Array.from({ length: n }, (_, i) => `- a${i}\n`).join('');
    const tokens = Array.from({ length: n }, (_, i) => `$b${i}$`).join(' ');
    const dir = contentDir({ 'macros/big.yml': `name: big\narguments:\n${args}definition: eval x=1 ${tokens}\n` });
    const started = performance.now();
    const pack = loadContent([dir], { bundled: false });
    expect(performance.now() - started).toBeLessThan(20_000);
    const warnings = pack.problems.filter((p) => p.file.endsWith('big.yml')).map((p) => p.message);
    expect(warnings).toHaveLength(22);
    expect(warnings).toContain('macro `big`: 99990 more $tokens$ that are none of its arguments');
    expect(warnings).toContain('macro `big`: 99990 more arguments never used in its definition');
    expect(warnings.every((m) => m.length < 200)).toBe(true);
    expect(pack.macros.get('big', n)!.args).toHaveLength(n);
  });
});

describe('hostile detection files', () => {
  // The positions of rba's one message were walked once per risk object: 20,000 risk objects and a message of 20,000
  // tokens took 27 s to load (a 5.7 MB file of 50,000 each: 161 s to validate).
  it('20,000 risk objects sharing a message of 20,000 tokens load in linear time', () => {
    const n = 20_000;
    const tokens = Array.from({ length: n }, (_, i) => `$f${i}$`).join(' ');
    const objects = Array.from({ length: n }, (_, i) => `  - {field: r${i}, type: system, score: 5}\n`).join('');
    const dir = contentDir({
      'detections/big.yml': `name: Big\nid: 00000000-0000-4000-8000-0000000000b1\ntype: TTP\nsearch: "| makeresults"\nrba:\n  message: m ${tokens}\n  risk_objects:\n${objects}`,
    });
    const started = performance.now();
    const d = loadContent([dir], { bundled: false }).detections.find((x) => x.name === 'Big')!;
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(d.riskObjects).toHaveLength(n);
    // One message: every risk object points at the same place in the file.
    expect(new Set(d.positions.riskMessages.map((r) => `${r[1]}:${r[2]}`)).size).toBe(1);
  });
});

describe('content errors point at file:line', () => {
  it('reports malformed YAML with its line', () => {
    const dir = contentDir({ 'detections/bad.yml': 'name: x\nsearch: |\n  a\n bad: [\n' });
    const pack = loadContent([dir], { bundled: false });
    const p = pack.problems.find((x) => x.code === 'CONTENT_YAML')!;
    expect(p.file).toContain('bad.yml');
    expect(p.line).toBeGreaterThanOrEqual(3);
  });

  it('reports a missing required field and a bad type at their lines', () => {
    const dir = contentDir({ 'detections/d.yml': 'name: D\nid: 11111111-2222-3333-4444-555555555555\ntype: Sometimes\n' });
    const pack = loadContent([dir], { bundled: false });
    const msgs = pack.problems.map((p) => `${p.line}: ${p.message}`);
    expect(msgs).toContain('3: unknown detection type "Sometimes" (expected one of TTP, Anomaly, Hunting, Correlation, Baseline, Investigation)');
    expect(msgs.some((m) => m.includes('missing required field "search"'))).toBe(true);
    expect(pack.detections).toHaveLength(0);
  });

  it('reports a missing content directory', () => {
    const pack = loadContent(['/nonexistent/vigil'], { bundled: false });
    expect(pack.problems[0]).toMatchObject({ message: 'content directory not found', code: 'CONTENT_NOT_FOUND' });
  });
});

describe('hostile content', () => {
  let n = 0;
  const detection = (name: string, schedule: string[]) =>
    [`name: ${name}`, `id: 00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, 'type: Hunting', 'search: "| makeresults"', 'schedule:', ...schedule.map((l) => `  ${l}`), ''].join('\n');

  it('a schedule the scheduler cannot follow is an error at its field and keeps only that detection out', () => {
    const dir = contentDir({
      'detections/a.yml': detection('Six', ['cron_schedule: "* * * * * *"']),
      'detections/b.yml': detection('Range', ['cron_schedule: "61 * * * *"']),
      'detections/c.yml': detection('Window', ['earliest_time: -1x@q', 'latest_time: now']),
      'detections/d.yml': detection('Good', ['cron_schedule: "*/5 * * * *"', 'earliest_time: -5m@m', 'latest_time: now']),
    });
    const pack = loadContent([dir]);
    const mine = pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.message}`);
    expect(mine).toEqual([
      'detections/a.yml:6:18: schedule.cron_schedule: cron schedule "* * * * * *" must have 5 fields (minute hour day month weekday), it has 6',
      'detections/b.yml:6:18: schedule.cron_schedule: invalid cron schedule "61 * * * *": minute "61" has 61, out of 0-59',
      'detections/c.yml:6:18: schedule.earliest_time: invalid time modifier "-1x@q": unknown time unit "x" (at offset 2)',
    ]);
    expect(pack.detections.filter((d) => d.file.startsWith(dir)).map((d) => d.name)).toEqual(['Good']);
  });

  it('throttle.period is a number with s/m/h/d, or plain seconds as in alert.suppress.period (savedsearches.conf.spec: 60 = 60 seconds)', () => {
    const throttled = (name: string, period: string) => `${detection(name, ['cron_schedule: "0 * * * *"'])}throttle:\n  fields: [risk_object]\n  period: ${period}\n`;
    const dir = contentDir({ 'detections/a.yml': throttled('Plain', '86400'), 'detections/b.yml': throttled('Unit', '30m'), 'detections/c.yml': throttled('Bad', '1x') });
    const pack = loadContent([dir]);
    const mine = pack.detections.filter((d) => d.file.startsWith(dir));
    expect(Object.fromEntries(mine.map((d) => [d.name, d.throttle?.periodSeconds ?? null]))).toEqual({ Plain: 86400, Unit: 1800, Bad: null });
    expect(pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => p.message)).toEqual(['throttle.period must look like 30m, 24h, 7d or 86400 (seconds)']);
  });

  it('throttle.period 0 is refused: "Time values must be greater than zero" (Alerting Manual, Throttle alerts)', () => {
    const throttled = (name: string, period: string) => `${detection(name, ['cron_schedule: "0 * * * *"'])}throttle:\n  fields: [risk_object]\n  period: ${period}\n`;
    const dir = contentDir({ 'detections/a.yml': throttled('Zero', '0'), 'detections/b.yml': throttled('ZeroMinutes', '0m'), 'detections/c.yml': throttled('One', '1s') });
    const pack = loadContent([dir]);
    const mine = pack.detections.filter((d) => d.file.startsWith(dir));
    expect(Object.fromEntries(mine.map((d) => [d.name, d.throttle?.periodSeconds ?? null]))).toEqual({ Zero: null, ZeroMinutes: null, One: 1 });
    expect(pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.file.slice(dir.length + 1)}:${p.line}: ${p.message}`)).toEqual([
      'detections/a.yml:9: throttle.period must be greater than zero (Splunk refuses a suppression period of 0)',
      'detections/b.yml:9: throttle.period must be greater than zero (Splunk refuses a suppression period of 0)',
    ]);
  });

  it('a content folder that is a file, a symlink loop or a dangling link is reported, and the other folders load', () => {
    const dir = contentDir({
      macros: 'not a folder',
      'detections/d.yml': detection('Kept', ['cron_schedule: "0 * * * *"']),
    });
    symlinkSync('..', join(dir, 'detections', 'loop'));
    symlinkSync(join(dir, 'nowhere.yml'), join(dir, 'detections', 'dangling.yml'));
    const pack = loadContent([dir]);
    expect(pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.file.slice(dir.length + 1)}:${p.severity}:${p.message}`)).toEqual([
      expect.stringMatching(/^macros:error:cannot read the folder: ENOTDIR: not a directory/),
      'detections/dangling.yml:warning:a symbolic link: not read (content files and folders must be regular ones)',
      'detections/loop:warning:a symbolic link: not read (content files and folders must be regular ones)',
    ]);
    expect(pack.detections.filter((d) => d.file.startsWith(dir)).map((d) => d.name)).toEqual(['Kept']);
    expect(loadContent([join(dir, 'macros')]).problems.map((p) => p.message)).toEqual(['not a content directory (a file)']);
  });

  it('repeated keys are errors where they repeat, also in lists of maps, and 50,000 keys are read in linear time', () => {
    const keys = Array.from({ length: 50_000 }, (_, i) => `k${i}: ${i}`).join('\n');
    const dir = contentDir({
      'detections/many.yml': `${detection('Many', ['cron_schedule: "0 * * * *"'])}${keys}\n`,
      'detections/dup.yml': `${detection('Dup', ['cron_schedule: "0 * * * *"'])}tests:\n- name: a\n  attack_data: []\n  name: b\n`,
    });
    const pack = loadContent([dir]);
    expect(pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.message}`)).toEqual([
      // Fields no generation of the content has are warnings (contentctl refuses them), ten at most and then a count.
      'detections/dup.yml:10:3: Map keys must be unique',
      ...Array.from({ length: 10 }, (_, i) => `detections/many.yml:${7 + i}:5: unknown detection field "k${i}" (ignored: a typo?)`),
      'detections/many.yml:1:1: 49990 more unknown detection fields (ignored)',
    ]);
    expect(pack.detections.filter((d) => d.file.startsWith(dir)).map((d) => d.name)).toEqual(['Many']);
  });

  it('a misspelled field is a warning where it is (contentctl refuses it), and no field of the bundled content is one', () => {
    const dir = contentDir({
      'detections/typo.yml': `${detection('Typo', ['cron_schedule: "0 * * * *"'])}how_to_implment: export it\ntags:\n  mitre_attack_ids: [T1105]\n  analytic_story: [x]\n`,
    });
    const pack = loadContent([dir]);
    expect(pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.severity} ${p.line}:${p.column}: ${p.message}`)).toEqual([
      'warning 7:18: unknown detection field "how_to_implment" (ignored: a typo?)',
      'warning 9:21: unknown tags field "mitre_attack_ids" (ignored: a typo?)',
    ]);
    expect(loadContent([]).problems.filter((p) => p.message.includes('unknown') && p.message.includes('field'))).toEqual([]);
  });

  it("a misspelled field of rba, its risk and threat objects or a drilldown search, or threat object type, is a warning where it is (contentctl's models)", () => {
    const dir = contentDir({
      'detections/rba.yml': `${detection('Rba Typo', ['cron_schedule: "0 * * * *"'])}${[
        'rba:',
        '  message: x $pod_name$',
        '  risk_objects:',
        '  - {field: pod_name, type: system, score: 20, weight: 3}',
        // The threat objects were silently dropped.
        '  threat_object:',
        '  - {field: process_name, type: process_name, kind: x}',
        '  threat_objects:',
        '  - {field: process_name, type: proces_name}',
        'drilldown_searches:',
        '- nam: View the detection results for - "$pod_name$"',
        "  search: '%original_detection_search% | search pod_name = \"$pod_name$\"'",
        '  earliest_offset: $info_min_time$',
        '',
      ].join('\n')}`,
    });
    const pack = loadContent([dir]);
    expect(pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.severity} ${p.line}:${p.column}: ${p.message}`)).toEqual([
      'warning 12:3: unknown rba field "threat_object" (ignored: a typo?)',
      'warning 10:56: unknown risk object field "weight" (ignored: a typo?)',
      'warning 16:8: unknown drilldown search field "nam" (ignored: a typo?)',
      expect.stringMatching(/^warning 14:33: threat object type "proces_name" is not one of contentctl's \(certificate_common_name, .*, process_name, .*, url\)$/),
    ]);
  });

  it('a risk object with an error is that one problem, not also "need risk objects"; none written is that warning', () => {
    const ttp = (name: string, rba: string[]) =>
      [`name: ${name}`, `id: 00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, 'type: TTP', 'search: "| makeresults"', 'rba:', '  message: x', ...rba, ''].join('\n');
    const dir = contentDir({
      'detections/a.yml': ttp('Bad Score', ['  risk_objects:', '  - {field: pod_name, type: system, score: high}', '  threat_objects: []']),
      'detections/b.yml': ttp('None', ['  risk_objects: []', '  threat_objects: []']),
    });
    expect(loadContent([dir]).problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.severity}: ${p.message}`)).toEqual([
      'detections/a.yml:8:44: error: "rba.risk_objects[0].score" must be a number >= 0 <= 100',
      'detections/b.yml:1:1: warning: TTP detections need risk objects (rba.risk_objects or intermediate_findings.entities)',
    ]);
  });

  it('a missing field is reported where its enclosing value is, not at line 1', () => {
    const dir = contentDir({
      'detections/t.yml': `${detection('T', ['cron_schedule: "0 * * * *"'])}tests: hello\n`,
      'detections/u.yml': `${detection('U', ['cron_schedule: "0 * * * *"'])}tests:\n- attack_data:\n  - data: x.log\n`,
    });
    expect(loadContent([dir]).problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}: ${p.message}`)).toEqual([
      'detections/t.yml:7:8: "tests" must be a list of tests (- name: ..., attack_data: [...])',
      'detections/u.yml:9:5: missing required field "tests[0].attack_data[0].source"',
      'detections/u.yml:9:5: missing required field "tests[0].attack_data[0].sourcetype"',
      // (its entry is reported, not "a test needs at least one attack_data entry" too: it has one)
      'detections/u.yml:8:3: missing required field "tests[0].name"',
    ]);
  });

  it('a file that is not UTF-8 is read with a warning at its first invalid byte', () => {
    const dir = contentDir({});
    mkdirSync(join(dir, 'detections'));
    const yml = detection('Latin', ['cron_schedule: "0 * * * *"']).replace('search: "| makeresults"', 'search: "| makeresults | eval x=\\"caf\xe9\\""');
    writeFileSync(join(dir, 'detections', 'l.yml'), Buffer.from(yml, 'latin1'));
    const pack = loadContent([dir]);
    expect(pack.problems.filter((p) => p.file.startsWith(dir)).map((p) => `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}:${p.severity}: ${p.message}`)).toEqual([
      'detections/l.yml:4:38:warning: the file is not UTF-8: its invalid bytes are read as U+FFFD (save it as UTF-8)',
    ]);
    expect(pack.detections.find((d) => d.name === 'Latin')!.search).toBe('| makeresults | eval x="caf\ufffd"');
  });

  it('a byte order mark is not counted as a column of line 1', () => {
    const dir = contentDir({ 'detections/bom.yml': '\ufeffname: Bom\n' });
    const problems = loadContent([dir], { bundled: false }).problems.filter((p) => p.message === 'missing required field "id"');
    expect(problems.map((p) => `${p.line}:${p.column}`)).toEqual(['1:1']);
  });

  it('a file that is not YAML (binary bytes) is a few short errors, and a second document is said as such', () => {
    const dir = contentDir({ 'detections/multi.yml': 'name: a\n---\nname: b\n' });
    // 100 KB of pseudo-random bytes (a fixed LCG): the parser met 27 errors quoting tokens of up to 50 KB (196 KB of output).
    const bytes = Buffer.alloc(100_000);
    for (let i = 0, x = 12345; i < bytes.length; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    writeFileSync(join(dir, 'detections', 'bin.yml'), bytes);
    const problems = loadContent([dir], { bundled: false }).problems.filter((p) => p.code === 'CONTENT_YAML' && p.severity === 'error');
    const bin = problems.filter((p) => p.file.endsWith('bin.yml'));
    expect(bin.length).toBe(11);
    expect(bin.find((p) => p.line === 0)!.message).toMatch(/^\d+ more YAML syntax errors \(is it a YAML file\?\)$/);
    expect(Math.max(...bin.map((p) => p.message.length))).toBeLessThanOrEqual(167);
    expect(bin.some((p) => p.message.endsWith('… (cut)'))).toBe(true);
    expect(problems.filter((p) => p.file.endsWith('multi.yml')).map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual([
      '2:1: a second YAML document starts here (a content file holds one)',
    ]);
  });

  it('a YAML file over 16 MiB is not read (its tree would take ~30 times its size), and deep nesting is an error', () => {
    const dir = contentDir({
      'detections/huge.yml': `${detection('Huge', [])}description: "${'x'.repeat(16 * 1024 * 1024)}"\n`,
      'detections/deep.yml': `name: Deep\nsearch: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
    });
    const problems = loadContent([dir]).problems.filter((p) => p.file.startsWith(dir));
    expect(problems.map((p) => `${p.file.slice(dir.length + 1)}: ${p.message}`)).toEqual([
      'detections/deep.yml: nested too deeply',
      expect.stringMatching(/^detections\/huge\.yml: the file is 1677\d{4} bytes: content files are read up to 16777216 \(not read\)$/),
    ]);
  });
});
