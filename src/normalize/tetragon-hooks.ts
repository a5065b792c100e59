/**
 * What a Tetragon kprobe/LSM hook means to CIM (data-models.md §4.4, §4.5): a file action (Endpoint.Filesystem)
 * or an outbound connection (Network_Traffic). Keyed by the event's `function_name`. Only the three hooks of
 * Tetragon's stock file-monitoring policies (security_file_permission, security_mmap_file,
 * security_path_truncate) and tcp_connect (examples/tracingpolicy/tcp-connect.yaml) come from shipped
 * policies; every other name is a kernel function a TracingPolicy can hook, mapped by proposal (unverified).
 *
 * A constant table rather than configuration: fields are extracted in every process and search worker with
 * no configuration at hand. A deployment that hooks other functions overrides the meaning where Splunk does,
 * in the data model: a Filesystem calculation such as
 * `action=case('process_kprobe.function_name'="my_hook","deleted",true(),action)` (src/normalize/CONTEXT.md).
 */

/** CIM Endpoint.Filesystem's expected `action` values. */
export type FileAction = 'read' | 'modified' | 'created' | 'deleted' | 'acl_modified';

export interface FileHook {
  family: 'file';
  /** The action when the mask argument says nothing more (null: unknown unless the mask tells). */
  action: FileAction | null;
  /** Bits of the hook's first int/uint argument that make the access a write (`modified`). */
  writeBits?: number;
  /** Bits of that argument that make it a read, when no write bit is set. */
  readBits?: number;
}

export interface ConnectHook {
  family: 'connect';
}

export type HookMeaning = FileHook | ConnectHook;

const file = (action: FileAction | null, bits: { writeBits?: number; readBits?: number } = {}): FileHook => ({ family: 'file', action, ...bits });

/** MAY_WRITE (2) | MAY_APPEND (8) and MAY_READ (4): the mask of security_file_permission (include/linux/fs.h). */
const MAY_WRITE_OR_APPEND = 2 | 8;
const MAY_READ = 4;
/** PROT_WRITE: the `prot` argument of security_mmap_file. */
const PROT_WRITE = 2;

export const TETRAGON_HOOKS: ReadonlyMap<string, HookMeaning> = new Map<string, HookMeaning>([
  ['security_file_permission', file(null, { writeBits: MAY_WRITE_OR_APPEND, readBits: MAY_READ })],
  ['security_mmap_file', file('read', { writeBits: PROT_WRITE })],
  ['security_path_truncate', file('modified')],
  ['do_truncate', file('modified')],
  // Opened: CIM has no "opened", read is the closest expected value.
  ['security_file_open', file('read')],
  ['fd_install', file('read')],
  ['__x64_sys_write', file('modified')],
  ['__arm64_sys_write', file('modified')],
  ['sys_write', file('modified')],
  ['vfs_write', file('modified')],
  ['security_path_unlink', file('deleted')],
  ['security_inode_unlink', file('deleted')],
  ['do_unlinkat', file('deleted')],
  ['__x64_sys_unlinkat', file('deleted')],
  ['__arm64_sys_unlinkat', file('deleted')],
  ['security_path_rmdir', file('deleted')],
  ['security_inode_create', file('created')],
  ['security_path_mknod', file('created')],
  ['security_path_mkdir', file('created')],
  // CIM has no rename: the file at the new name is modified.
  ['security_path_rename', file('modified')],
  ['security_inode_rename', file('modified')],
  ['security_path_chmod', file('acl_modified')],
  ['security_path_chown', file('acl_modified')],
  ['security_inode_setattr', file('acl_modified')],
  ['tcp_connect', { family: 'connect' }],
  // Proposal: the LSM hook of connect(2); its `sockaddr` argument is the address connected to.
  ['security_socket_connect', { family: 'connect' }],
]);

/**
 * The meaning of an event's hook. LSM events name the hook without its `security_` prefix
 * (`file_open` for security_file_open, examples/tracingpolicy/lsm_file_open.yaml), so process_lsm also
 * looks the prefixed name up.
 */
export function hookMeaning(kind: string | null, functionName: string | null): HookMeaning | null {
  if (functionName === null || (kind !== 'process_kprobe' && kind !== 'process_lsm')) return null;
  return TETRAGON_HOOKS.get(functionName) ?? (kind === 'process_lsm' ? (TETRAGON_HOOKS.get('security_' + functionName) ?? null) : null);
}

/** The file action of a hook given its mask argument (null when the event has none). */
export function fileAction(hook: FileHook, mask: number | null): FileAction | null {
  if (mask !== null && hook.writeBits !== undefined && (mask & hook.writeBits) !== 0) return 'modified';
  if (mask !== null && hook.readBits !== undefined && (mask & hook.readBits) !== 0) return 'read';
  return hook.action;
}

/**
 * Kprobe/LSM actions that stop the operation (KprobeAction in tetragon.proto): the connection is then
 * `blocked`. NOTIFYENFORCER hands the call to the enforcer program, which overrides or kills it; Tetragon
 * v1.0 named that same value 13 NOTIFYKILLER (renamed in cilium/tetragon b0147059f, api v1.1), and its
 * exports carry the old name.
 */
export const BLOCKING_ACTIONS: ReadonlySet<string> = new Set(['KPROBE_ACTION_SIGKILL', 'KPROBE_ACTION_OVERRIDE', 'KPROBE_ACTION_NOTIFYENFORCER', 'KPROBE_ACTION_NOTIFYKILLER']);
