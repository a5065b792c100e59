import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { fileAction, hookMeaning, type FileHook } from '../../src/normalize/tetragon-hooks.js';
import { scanTetragonLine } from '../../src/normalize/tetragon-index.js';
import { TETRAGON_CIM_FIELDS } from '../../src/normalize/tetragon.js';
import { toEvent, toEventFromSpans, type ToEventContext } from '../../src/sources/tetragon.js';

/**
 * The Tetragon → CIM mapping per event kind (data-models.md §4.3 Endpoint.Processes, §4.4 Filesystem,
 * §4.5 Network_Traffic): expected values written by hand from the mapping table in src/normalize/CONTEXT.md.
 */
const FIX = new URL('../fixtures/tetragon/', import.meta.url);
const lines = (url: URL): string[] => readFileSync(url, 'utf8').split('\n').filter((l) => l !== '');
const kinds = lines(new URL('cim-kinds.jsonl', FIX));
const upstream = lines(new URL('upstream-samples.jsonl', FIX));
const spike = lines(new URL('../../attack_data/datasets/cisco_isovalent/kprobe_spike.log', import.meta.url));

const ctx: ToEventContext = { index: 'main', source: 'fixture', defaultHost: 'h', fallbackTime: () => 0 };

function event(line: string): Event {
  const out = toEvent(line, ctx);
  if (!out.ok) throw new Error(out.reason);
  return out.event;
}

/**
 * The named fields of a line, through the parse path; the fast path (spans), when it takes the line,
 * must give every CIM field identically.
 */
function fields(line: string, names: readonly string[]): Record<string, unknown> {
  const parsed = eventResult(event(line));
  const spans = scanTetragonLine(Buffer.from(line), 0, line.length);
  const fast = spans === null ? null : toEventFromSpans(line, spans, ctx);
  if (fast !== null && fast.ok) {
    const r = eventResult(fast.event);
    for (const f of TETRAGON_CIM_FIELDS) expect(r.get(f), f).toEqual(parsed.get(f));
  }
  return Object.fromEntries(names.map((f) => [f, parsed.get(f)]));
}

/** `time` of cim-kinds.jsonl line with second `s`: 2026-03-02T08:00:<s>.25Z. */
const at = (s: number): number => Date.UTC(2026, 2, 2, 8, 0, s) / 1000 + 0.25;
const guid = (ktimeAndPid: string): string => Buffer.from(`worker-3:${ktimeAndPid}`).toString('base64');

const PROCESSES = [
  'action', 'dest', 'user', 'user_id', 'process', 'process_name', 'process_exec', 'process_path', 'process_id', 'process_guid',
  'process_current_directory', 'parent_process', 'parent_process_name', 'parent_process_exec', 'parent_process_path',
  'parent_process_id', 'parent_process_guid', 'parent_user', 'os', 'vendor_product',
] as const;
const FILESYSTEM = ['action', 'file_path', 'file_name', 'file_acl', 'file_create_time', 'file_modify_time', 'file_access_time'] as const;
const NETWORK = ['action', 'src', 'src_ip', 'src_port', 'dest', 'dest_ip', 'dest_port', 'transport', 'protocol', 'direction', 'dvc'] as const;
const NO_NETWORK = { src: null, src_ip: null, src_port: null, dest_ip: null, dest_port: null, transport: null, protocol: null, direction: null, dvc: null };
const NO_FILE = { file_path: null, file_name: null, file_acl: null, file_create_time: null, file_modify_time: null, file_access_time: null };

describe('Endpoint.Processes fields (§4.3)', () => {
  it('maps a host execution with user names (--username-metadata=unix)', () => {
    expect(fields(kinds[0] as string, PROCESSES)).toEqual({
      action: 'allowed',
      dest: 'worker-3',
      user: 'alice',
      user_id: '1000',
      process: '/usr/bin/sudo -u postgres psql',
      process_name: 'sudo',
      process_exec: 'sudo',
      process_path: '/usr/bin/sudo',
      process_id: 4100,
      process_guid: guid('5100:4100'),
      process_current_directory: '/home/alice',
      parent_process: '/bin/bash',
      parent_process_name: 'bash',
      parent_process_exec: 'bash',
      parent_process_path: '/bin/bash',
      parent_process_id: 4099,
      parent_process_guid: guid('5099:4099'),
      parent_user: 'alice',
      os: 'Linux',
      vendor_product: 'Cisco Isovalent',
    });
  });

  it('takes parent_process_guid from process.parent_exec_id when the parent is absent; the rest of the parent stays null', () => {
    expect(fields(kinds[1] as string, PROCESSES)).toEqual({
      action: 'allowed',
      dest: 'worker-3',
      user: null,
      user_id: '0',
      process: '/usr/sbin/useradd -m backdoor',
      process_name: 'useradd',
      process_exec: 'useradd',
      process_path: '/usr/sbin/useradd',
      process_id: 4200,
      process_guid: guid('5200:4200'),
      process_current_directory: '/',
      parent_process: null,
      parent_process_name: null,
      parent_process_exec: null,
      parent_process_path: null,
      parent_process_id: null,
      parent_process_guid: guid('5199:4199'),
      parent_user: null,
      os: 'Linux',
      vendor_product: 'Cisco Isovalent',
    });
  });

  it('gives an exit the process fields but no action: it is not an execution', () => {
    const f = fields(kinds[2] as string, [...PROCESSES, ...NETWORK, ...FILESYSTEM]);
    expect(f).toMatchObject({ action: null, dest: 'worker-3', process_name: 'useradd', process_guid: guid('5200:4200'), ...NO_NETWORK, ...NO_FILE });
  });

  it('keeps absent values null: no "unknown" at this layer (the data model fills them)', () => {
    const f = fields(upstream[0] as string, ['user', 'parent_user', 'dest', 'cluster_name', 'file_path', 'src']);
    expect(f).toEqual({ user: null, parent_user: null, dest: 'my-node', cluster_name: null, file_path: null, src: null });
    // Upstream sample 7 has no node_name: dest is null, then a JSON path of that name (absent too).
    expect(fields(upstream[6] as string, ['dest', 'node_name'])).toEqual({ dest: null, node_name: null });
  });
});

describe('Endpoint.Filesystem fields (§4.4)', () => {
  const node = { dest: 'worker-3', user: null };
  const file = (i: number): Record<string, unknown> => fields(kinds[i] as string, [...FILESYSTEM, 'dest', 'user']);
  const times = (action: string | null, s: number) => ({
    file_create_time: action === 'created' ? at(s) : null,
    file_modify_time: action === 'modified' ? at(s) : null,
    file_access_time: action === 'read' ? at(s) : null,
  });

  it('reads security_file_permission masks: MAY_READ → read, MAY_WRITE or MAY_APPEND → modified, else no action', () => {
    expect(file(3)).toEqual({ action: 'read', file_path: '/etc/shadow', file_name: 'shadow', file_acl: '-rw-r-----', ...times('read', 4), ...node });
    expect(file(4)).toEqual({ action: 'modified', file_path: '/etc/passwd', file_name: 'passwd', file_acl: '-rw-r--r--', ...times('modified', 5), ...node });
    expect(file(5)).toMatchObject({ action: 'modified', file_path: '/var/log/auth.log', ...times('modified', 6) });
    expect(file(6)).toMatchObject({ action: null, file_path: '/usr/bin/ls', file_name: 'ls', ...times(null, 7) });
  });

  it('reads security_mmap_file prot: PROT_WRITE → modified, else read', () => {
    expect(file(7)).toMatchObject({ action: 'modified', file_path: '/etc/ld.so.cache', ...times('modified', 8) });
    expect(file(8)).toMatchObject({ action: 'read', file_name: 'libc.so.6', ...times('read', 9) });
  });

  it('maps truncate, open, unlink, create, mkdir, rename and chmod hooks (path_arg and file_arg)', () => {
    expect(file(9)).toMatchObject({ action: 'modified', file_path: '/var/lib/app/state.db', file_acl: '-rw-r--r--' });
    // A kprobe that kills the process keeps its file action: the attempt is the activity.
    expect(file(10)).toMatchObject({ action: 'read', file_path: '/etc/sudoers', ...times('read', 11) });
    expect(fields(kinds[10] as string, ['process_kprobe.action'])).toEqual({ 'process_kprobe.action': 'KPROBE_ACTION_SIGKILL' });
    // fd_install's fd comes before the file: it is not a mask, and the file is the first file argument.
    expect(file(11)).toMatchObject({ action: 'read', file_path: '/root/.ssh/id_rsa', file_acl: '-rw-------' });
    expect(file(12)).toEqual({ action: 'deleted', file_path: '/var/log/wtmp', file_name: 'wtmp', file_acl: '-rw-rw-r--', ...times('deleted', 13), ...node });
    expect(file(13)).toMatchObject({ action: 'created', file_path: '/etc/cron.d/persist', ...times('created', 14) });
    expect(file(14)).toMatchObject({ action: 'created', file_name: '.hidden', file_acl: 'drwxr-xr-x', ...times('created', 15) });
    expect(file(15)).toMatchObject({ action: 'modified', file_path: '/etc/passwd+' });
    // chmod's mode argument (0777) is not a permission mask: acl_modified whatever its bits.
    expect(file(16)).toMatchObject({ action: 'acl_modified', file_path: '/tmp/payload', ...times('acl_modified', 17) });
  });

  it('maps an LSM hook by its name without security_ (process_lsm, parse path)', () => {
    expect(scanTetragonLine(Buffer.from(kinds[17] as string), 0, (kinds[17] as string).length)).toBeNull();
    expect(file(17)).toEqual({ action: 'read', file_path: '/etc/shadow', file_name: 'shadow', file_acl: '-rw-r-----', ...times('read', 18), ...node });
  });

  it('gives the file of a hook that is not in the table, without an action', () => {
    expect(file(18)).toEqual({ action: null, file_path: '/tmp/payload', file_name: 'payload', file_acl: '-rwxrwxrwx', ...times(null, 19), ...node });
  });

  it('puts back the / of a rooted path written without it, unless a mount is given', () => {
    expect(file(19)).toEqual({ action: 'modified', file_path: '/tmp/out.txt', file_name: 'out.txt', file_acl: null, ...times('modified', 20), ...node });
    expect(file(20)).toMatchObject({ action: 'modified', file_path: 'db/wal.log', file_name: 'wal.log' });
    // The real 2021 Isovalent-book sample: `etc/passwd` written by vi through __x64_sys_write.
    expect(fields(upstream[13] as string, FILESYSTEM)).toMatchObject({ action: 'modified', file_path: '/etc/passwd', file_name: 'passwd', file_acl: null });
  });

  it('maps the real kprobe samples: security_file_permission with its mask third, security_file_open, security_kernel_read_file', () => {
    const t = Date.UTC(2026, 10, 20, 10, 0, 20) / 1000;
    expect(fields(spike[0] as string, [...FILESYSTEM, 'dest', 'process_name', 'parent_process_name', 'process_guid'])).toEqual({
      action: 'read',
      file_path: '/etc/passwd',
      file_name: 'passwd',
      file_acl: '-rw-r-----',
      file_create_time: null,
      file_modify_time: null,
      file_access_time: t,
      dest: 'ip-10-0-1-17.eu-west-1.compute.internal',
      process_name: 'cat',
      parent_process_name: 'sh',
      process_guid: 'aXAtMTAtMC0xLTE3LmV1LXdlc3QtMS5jb21wdXRlLmludGVybmFsOjUxNjg4MTk5OTgwMDA6NTIwMDA=',
    });
    expect(fields(spike[2] as string, ['action', 'file_path'])).toEqual({ action: 'read', file_path: '/etc/shadow' });
    // Reading a kernel module is not in the hook table: its file is given, not an action.
    expect(fields(spike[1] as string, ['action', 'file_path', 'file_access_time'])).toEqual({ action: null, file_path: '/lib/modules/hello.ko', file_access_time: null });
    expect(fields(upstream[6] as string, ['action', 'file_path'])).toEqual({ action: null, file_path: '/home/tixxdz/tetragon/contrib/tester-progs/kernel_module_hello.ko' });
  });

  it('gives no file fields to kprobes without a file argument, nor to other kinds', () => {
    expect(fields(upstream[7] as string, FILESYSTEM)).toEqual({ action: null, ...NO_FILE }); // do_init_module: module_arg
    expect(fields(kinds[0] as string, FILESYSTEM)).toEqual({ action: 'allowed', ...NO_FILE });
  });
});

describe('Network_Traffic fields (§4.5)', () => {
  it('maps a tcp_connect kprobe killed by its policy: blocked, IPv6', () => {
    expect(fields(kinds[21] as string, [...NETWORK, 'user', 'process_guid', 'process_id'])).toEqual({
      action: 'blocked',
      src: 'fd00::5',
      src_ip: 'fd00::5',
      src_port: 41000,
      dest: '2001:db8::7',
      dest_ip: '2001:db8::7',
      dest_port: 22,
      transport: 'tcp',
      protocol: 'ip',
      direction: 'outbound',
      dvc: 'worker-3',
      user: null,
      process_guid: guid('5322:4322'),
      process_id: 4322,
    });
  });

  it('maps an allowed tcp_connect with the user name of its process', () => {
    expect(fields(kinds[22] as string, [...NETWORK, 'user', 'parent_user'])).toEqual({
      action: 'allowed',
      src: '10.0.0.5',
      src_ip: '10.0.0.5',
      src_port: 40001,
      dest: '203.0.113.9',
      dest_ip: '203.0.113.9',
      dest_port: 4444,
      transport: 'tcp',
      protocol: 'ip',
      direction: 'outbound',
      dvc: 'worker-3',
      user: 'root',
      parent_user: 'root',
    });
  });

  it('takes the destination of security_socket_connect from its sockaddr argument, the rest from its socket', () => {
    expect(fields(kinds[24] as string, NETWORK)).toEqual({
      action: 'allowed',
      src: '0.0.0.0',
      src_ip: '0.0.0.0',
      src_port: null,
      dest: '198.51.100.20',
      dest_ip: '198.51.100.20',
      dest_port: 8443,
      transport: 'tcp',
      protocol: 'ip',
      direction: 'outbound',
      dvc: 'worker-3',
    });
  });

  it('does not make other socket kprobes connections (tcp_close): dest stays the node', () => {
    expect(fields(kinds[23] as string, [...NETWORK, 'file_path'])).toEqual({ action: null, dest: 'worker-3', ...NO_NETWORK, file_path: null });
  });

  it('maps process_connect in both shapes: dest is the remote address, dvc the node', () => {
    const synthetic = lines(new URL('synthetic.jsonl', FIX));
    expect(fields(synthetic[0] as string, [...NETWORK, 'process_guid', 'parent_process_guid'])).toEqual({
      action: 'allowed',
      src: '10.0.0.164',
      src_ip: '10.0.0.164',
      src_port: 49998,
      dest: '169.254.169.254',
      dest_ip: '169.254.169.254',
      dest_port: 80,
      transport: 'tcp',
      protocol: 'ip',
      direction: 'outbound',
      dvc: 'kind-control-plane',
      process_guid: 'c3ludGhldGljOjEwMDA6NDIwMQ==',
      parent_process_guid: 'c3ludGhldGljOjkwMDo0MjAw',
    });
    expect(fields(synthetic[1] as string, NETWORK)).toEqual({
      action: 'allowed',
      src: '192.168.1.20',
      src_ip: '192.168.1.20',
      src_port: 51234,
      dest: '203.0.113.7',
      dest_ip: '203.0.113.7',
      dest_port: 8080,
      transport: 'tcp',
      protocol: 'ip',
      direction: 'outbound',
      dvc: 'worker-2',
    });
    expect(fields(synthetic[2] as string, ['dest', 'transport', 'dvc'])).toEqual({ dest: '10.0.0.33', transport: 'udp', dvc: 'worker-2' });
  });
});

describe('the hook table (tetragon-hooks.ts)', () => {
  it('looks LSM hook names up with and without security_, kprobe names only as written', () => {
    expect(hookMeaning('process_lsm', 'path_unlink')).toEqual({ family: 'file', action: 'deleted' });
    expect(hookMeaning('process_kprobe', 'path_unlink')).toBeNull();
    expect(hookMeaning('process_kprobe', 'tcp_connect')).toEqual({ family: 'connect' });
    expect(hookMeaning('process_lsm', 'socket_connect')).toEqual({ family: 'connect' });
    expect(hookMeaning('process_exec', 'tcp_connect')).toBeNull();
    expect(hookMeaning('process_kprobe', null)).toBeNull();
  });

  it('lets a write bit win over a read bit, and falls back to the hook action without a mask', () => {
    const permission = hookMeaning('process_kprobe', 'security_file_permission') as FileHook;
    expect([fileAction(permission, 4 | 2), fileAction(permission, 4), fileAction(permission, 0), fileAction(permission, null)]).toEqual(['modified', 'read', null, null]);
    const mmap = hookMeaning('process_kprobe', 'security_mmap_file') as FileHook;
    expect([fileAction(mmap, 2), fileAction(mmap, 1), fileAction(mmap, null)]).toEqual(['modified', 'read', 'read']);
  });
});
