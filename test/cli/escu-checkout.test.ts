import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseName, escuCorpusPresent, escuSearches, isLinuxProcesses, writeEscuTree } from '../escu-tree.js';
import { REPO_ROOT } from '../helpers.js';

/**
 * A security_content checkout as users point vigil at it: ESCU's own searches and macros (the 2024-10
 * corpus in ../shared, written into a temporary checkout, never into the repository), run by the CLI as
 * built (`npm run build:server` first).
 */
const BIN = join(REPO_ROOT, 'bin', 'vigil.js');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-escu-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function vigil(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ATTACK_DATA = 'https://media.githubusercontent.com/media/splunk/attack_data/master/';

/** The six ESCU Linux detections that list Cisco Isovalent, and vigil's own dataset for each (scripts/build-linux-datasets.mjs). */
const SIX: Record<string, string> = {
  linux_add_user_account: 'datasets/attack_techniques/T1548.003/linux_adduser/cisco_isovalent.log',
  linux_adding_crontab_using_list_parameter: 'datasets/attack_techniques/T1053.003/crontab_list_parameter/cisco_isovalent.log',
  linux_apt_get_privilege_escalation: 'datasets/attack_techniques/T1548/apt_get/cisco_isovalent.log',
  linux_at_application_execution: 'datasets/attack_techniques/T1053.002/at_execution/cisco_isovalent.log',
  linux_curl_upload_file: 'datasets/attack_techniques/T1105/atomic_red_team/curl-linux-cisco_isovalent.log',
  linux_decode_base64_to_shell: 'datasets/attack_techniques/T1027/atomic_red_team/linux-cisco_isovalent.log',
};

interface TetragonProcess {
  exec_id: string;
  pid: number;
  binary: string;
  arguments?: string;
  user?: { name: string };
}
interface TetragonExec {
  process_exec: { process: TetragonProcess; parent: TetragonProcess };
  node_name: string;
  time: string;
}

const basenameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const commandLine = (p: TetragonProcess) => (p.arguments ? `${p.binary} ${p.arguments}` : p.binary);

/**
 * The Endpoint.Processes fields of a Tetragon process_exec, written here from data-models.md §4.3 and
 * CIM's calculated fields (an absent user is "unknown"), independently of vigil's normalizer.
 */
function cim(e: TetragonExec): Record<string, string> {
  const { process: p, parent: q } = e.process_exec;
  return {
    dest: e.node_name,
    user: p.user?.name ?? 'unknown',
    parent_process_name: basenameOf(q.binary),
    process_name: basenameOf(p.binary),
    process: commandLine(p),
    process_id: String(p.pid),
    parent_process_id: String(q.pid),
    process_guid: p.exec_id,
  };
}

/** `security_content_ctime`: convert timeformat="%Y-%m-%dT%H:%M:%S" ctime(...), UTC. */
const ctime = (iso: string) => iso.slice(0, 19);
const STD7 = ['dest', 'user', 'parent_process_name', 'process_name', 'process', 'process_id', 'parent_process_id'];
const STD8 = [...STD7, 'process_guid'];

/**
 * A result row: the BY fields of the group's first event, its count, and firstTime/lastTime when the
 * search computes them (min/max of _time), from the events with these pids.
 */
function row(events: readonly TetragonExec[], by: readonly string[], times: boolean, extra: Record<string, string> = {}): Record<string, string> {
  const fields = cim(events[0]!);
  const out: Record<string, string> = Object.fromEntries(by.map((f) => [f, fields[f]!]));
  out.count = String(events.length);
  if (times) {
    const ts = events.map((e) => e.time).sort();
    out.firstTime = ctime(ts[0]!);
    out.lastTime = ctime(ts[ts.length - 1]!);
  }
  return { ...out, ...extra };
}

function dataset(name: string): (pid: number) => TetragonExec[] {
  const events = readFileSync(join(REPO_ROOT, 'attack_data', SIX[name]!), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TetragonExec);
  return (pid) => {
    const hit = events.filter((e) => e.process_exec.process.pid === pid);
    if (hit.length === 0) throw new Error(`no event with pid ${pid} in ${SIX[name]}`);
    return hit;
  };
}

/**
 * The rows each detection must return over its dataset, by hand: which events match (by pid; the
 * dataset's comments say why each other event is a near miss) and how they group.
 */
function expectedRows(name: string): Record<string, string>[] {
  const ev = dataset(name);
  switch (name) {
    case 'linux_add_user_account': // count by STD8; 7104 is grep with "adduser " in its command line: a match by the semantics
      return [7101, 31101, 7103, 7104].map((pid) => row(ev(pid), STD8, false));
    case 'linux_adding_crontab_using_list_parameter': // pid 7201 ran twice with the same BY values: one row, count 2
      return [7201, 7202, 32201].map((pid) => row(ev(pid), STD7, true));
    case 'linux_apt_get_privilege_escalation': // 7303 spells the option in lower case: values match case-insensitively
      return [7301, 7303].map((pid) => row(ev(pid), STD8, true));
    case 'linux_at_application_execution': // at, atd, and the shell atd started
      return [7401, 7402, 7403].map((pid) => row(ev(pid), STD8, false));
    case 'linux_curl_upload_file':
      return [7501, 7502, 32501].map((pid) => row(ev(pid), STD7, true));
    case 'linux_decode_base64_to_shell':
      return [row(ev(7601), STD7, true, { decode_flag: '-d' }), row(ev(32601), STD7, true, { decode_flag: '--decode' })];
    default:
      throw new Error(name);
  }
}

describe.skipIf(!escuCorpusPresent())('vigil over a security_content checkout (ESCU 2024-10 corpus)', () => {
  it('vigil test runs the six Linux detections that list Cisco Isovalent over vigil\'s Tetragon datasets and returns exactly the expected rows', () => {
    const dir = join(tmp, 'six');
    const six = escuSearches().filter((s) => baseName(s) in SIX);
    expect(six.map(baseName).sort()).toEqual(Object.keys(SIX).sort());
    expect(six.every(isLinuxProcesses)).toBe(true);
    writeEscuTree(dir, {
      searches: six,
      extra: (s) => ({
        tests: [
          {
            name: 'Cisco Isovalent Process Exec',
            attack_data: [{ data: ATTACK_DATA + SIX[baseName(s)]!, source: 'not_applicable', sourcetype: 'cisco:isovalent:processExec' }],
            expected: { exact: true, rows: expectedRows(baseName(s)) },
          },
        ],
      }),
    });
    const r = vigil(['test', ...six.map((s) => s.name), '--content', dir]);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/\n6 passed, 0 failed in /);
    expect(r.code).toBe(0);
  });

  it('a near miss added to a dataset is not a result: an expectation that lists it fails', () => {
    // The same run with one more expected row (a near miss of Linux Curl Upload File): the test must fail.
    const dir = join(tmp, 'negative');
    const curl = escuSearches().filter((s) => baseName(s) === 'linux_curl_upload_file');
    const nearMiss = row(dataset('linux_curl_upload_file')(7551), STD7, true);
    writeEscuTree(dir, {
      searches: curl,
      extra: () => ({
        tests: [
          {
            name: 'near miss',
            attack_data: [{ data: ATTACK_DATA + SIX.linux_curl_upload_file!, source: 'not_applicable', sourcetype: 'cisco:isovalent:processExec' }],
            expected: { rows: [nearMiss] },
          },
        ],
      }),
    });
    const r = vigil(['test', 'Linux Curl Upload File', '--content', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('no result matches expected row');
    expect(r.out).toMatch(/0 passed, 1 failed/);
  });

  /** The whole corpus as a checkout, written once. */
  let all: string | undefined;
  const corpusTree = () => {
    if (!all) writeEscuTree((all = join(tmp, 'all')));
    return all;
  };

  it('vigil validate --format json reports per detection whether it runs, with a consistent summary', () => {
    const dir = corpusTree();
    const r = vigil(['validate', '--content', dir, '--format', 'json']);
    expect(r.err).toBe('');
    // Some ESCU detections use commands vigil does not have: errors, so exit code 2 (README).
    expect(r.code).toBe(2);
    const report = JSON.parse(r.out) as {
      counts: { detections: number; runnable: number; errors: number; warnings: number };
      detections: { name: string; file: string; line: number; column: number; runs: boolean; reason?: { code: string; message: string } }[];
      reasons: { code: string; reason: string; count: number }[];
      problems: unknown[];
    };
    const escu = report.detections.filter((d) => d.file.startsWith(dir));
    expect(escu).toHaveLength(1613);
    expect(report.counts.detections).toBe(report.detections.length);
    expect(report.counts.runnable).toBe(report.detections.filter((d) => d.runs).length);
    expect(report.reasons.reduce((n, x) => n + x.count, 0)).toBe(report.detections.length - report.counts.runnable);
    const linux = new Set(escuSearches().filter(isLinuxProcesses).map((s) => s.name));
    expect(escu.filter((d) => linux.has(d.name) && !d.runs)).toEqual([]);
    const unsupported = escu.find((d) => d.reason?.message.startsWith('unsupported command "apply"'))!;
    expect(unsupported.reason!.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(unsupported.line).toBeGreaterThan(0);
    // join runs now (its subsearch too): no detection stops on it.
    expect(escu.filter((d) => d.reason?.message.startsWith('unsupported command "join"'))).toEqual([]);
  });

  it('vigil validate prints a verdict line per detection and the top reasons', () => {
    const r = vigil(['validate', '--content', corpusTree()]);
    expect(r.out).toMatch(/\/linux_add_user_account\.yml:\d+:\d+: Linux Add User Account: runs on vigil\n/);
    expect(r.out).toMatch(/: does not run: unsupported command "apply" \[SPL_UNSUPPORTED_COMMAND\] at 1:\d+\n/);
    expect(r.out).toMatch(/\n\d+ of \d+ detections run on vigil; why the other \d+ do not:\n +\d+ {2}\S[^\n]* \[SPL_[A-Z_]+\]\n/);
  });
});
