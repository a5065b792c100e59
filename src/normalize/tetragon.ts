/**
 * CIM search-time fields of `cisco:isovalent*` events (data-models.md §4.3–4.5; the add-on's props.conf is
 * not public: see CONTEXT.md for the basis of each field). Values are the extracted ones, before a data
 * model's calculated fields: absent stays null here, the `"unknown"` fills are the data model's.
 * Process fields come from `<kind>.process` / `<kind>.parent` of whatever event kind the line holds; file
 * fields from kprobe/LSM `args` (tetragon-hooks.ts); network fields from process_connect and connect
 * kprobes. `dest` and `action` mean different things per kind (CONTEXT.md).
 */
import { toText, type FieldValue, type Scalar } from '../events/value.js';
import { BLOCKING_ACTIONS, fileAction, hookMeaning, type FileAction } from './tetragon-hooks.js';
import { eventKind, isJsonObject } from './tetragon-kind.js';
import {
  S_ARGUMENTS,
  S_BINARY,
  S_CLUSTER_NAME,
  S_CONTAINER_ID,
  S_CWD,
  S_EXEC_ID,
  S_IMAGE_NAME,
  S_NODE_NAME,
  S_PARENT_ARGUMENTS,
  S_PARENT_BINARY,
  S_PARENT_EXEC_ID,
  S_PARENT_GUID,
  S_PARENT_PID,
  S_PARENT_USER_NAME,
  S_PID,
  S_POD_NAME,
  S_POD_NAMESPACE,
  S_UID,
  S_USER_NAME,
  detach,
  ValueDictionary,
  slotInterned,
  spanBasename,
  spanNumber,
  spanString,
  spanText,
  spansBodyMembers,
  spansKind,
} from './tetragon-index.js';

/** Unverified constant: the add-on's fields list has `vendor_product`, but its value is not public. */
export const VENDOR_PRODUCT = 'Cisco Isovalent';

/** Every Tetragon event comes from a Linux node (Tetragon runs only on Linux). */
const OS = 'Linux';

/** The network endpoints of a connection event, as found in the JSON (not yet typed). */
interface NetworkFacts {
  srcIp: unknown;
  srcPort: unknown;
  destIp: unknown;
  destPort: unknown;
  protocol: unknown;
  blocked: boolean;
}

/** The file of a kprobe/LSM event: its first `file_arg`/`path_arg`, and the hook's file action. */
interface FileFacts {
  path: string | null;
  acl: string | null;
  action: FileAction | null;
}

/** A parsed Tetragon event with its body located once. */
export interface TetragonView {
  json: Record<string, unknown>;
  kind: string | null;
  /** `json[kind]`, or null. */
  body: Record<string, unknown> | null;
  /** The event's `_time` (the file_*_time fields). */
  time: number;
  /** connectionOf() and fileOf(), computed on first need (undefined until then). */
  net?: NetworkFacts | null;
  file?: FileFacts | null;
}

export function tetragonView(json: unknown, time: number): TetragonView | null {
  if (!isJsonObject(json)) return null;
  const kind = eventKind(json);
  const body = kind === null ? null : (json[kind] as Record<string, unknown>);
  return { json, kind, body, time };
}

/** Every CIM field name this module can produce, in the order fieldNames() lists them. */
export const TETRAGON_CIM_FIELDS = [
  'action',
  'dest',
  'user',
  'user_id',
  'process',
  'process_name',
  'process_exec',
  'process_id',
  'process_path',
  'process_guid',
  'process_current_directory',
  'parent_process',
  'parent_process_name',
  'parent_process_exec',
  'parent_process_id',
  'parent_process_path',
  'parent_process_guid',
  'parent_user',
  'file_path',
  'file_name',
  'file_acl',
  'file_create_time',
  'file_modify_time',
  'file_access_time',
  'src',
  'src_ip',
  'src_port',
  'dest_ip',
  'dest_port',
  'transport',
  'protocol',
  'direction',
  'dvc',
  'pod_name',
  'pod_namespace',
  'pod_image_name',
  'container_id',
  'cluster_name',
  'node_name',
  'os',
  'vendor_product',
] as const;

export type TetragonCimField = (typeof TETRAGON_CIM_FIELDS)[number];

const CIM_SET: ReadonlySet<string> = new Set(TETRAGON_CIM_FIELDS);

export function isTetragonCimField(field: string): field is TetragonCimField {
  return CIM_SET.has(field);
}

function obj(v: unknown): Record<string, unknown> | null {
  return isJsonObject(v) ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Numbers as numbers; a string (non-protojson producers) is kept as text rather than dropped. */
function num(v: unknown): Scalar | null {
  return typeof v === 'number' || typeof v === 'string' ? v : null;
}

/** A value as text (`user_id`: CIM declares it a string; a uid 0 is `"0"`). */
function text(v: Scalar | null): string | null {
  return v === null ? null : toText(v);
}

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

/** `binary + " " + arguments`, verbatim (arguments keep Tetragon's quoting, including its leading-space quirk). */
function commandLine(p: Record<string, unknown> | null): string | null {
  const binary = str(p?.['binary']);
  if (binary === null) return null;
  const args = str(p?.['arguments']);
  return args === null || args === '' ? binary : binary + ' ' + args;
}

/** Names of a connection's endpoints: Isovalent's flat process_connect names first, then Tetragon's KprobeSock names. */
const CONNECT_NAMES = {
  src_ip: ['source_ip', 'saddr'],
  src_port: ['source_port', 'sport'],
  dest_ip: ['destination_ip', 'daddr'],
  dest_port: ['destination_port', 'dport'],
  protocol: ['protocol'],
};

/** The first value of one of `names` in the first holder that has one. */
function connectValue(holders: readonly (Record<string, unknown> | null)[], names: readonly string[]): unknown {
  for (const holder of holders) {
    if (holder === null) continue;
    for (const n of names) {
      const v = holder[n];
      if (v !== undefined && v !== null) return v;
    }
  }
  return undefined;
}

/** The `<name>` object of the first element of a kprobe's `args` that has one (`sock_arg`, ...). */
function firstArg(args: unknown, name: string): Record<string, unknown> | null {
  if (!Array.isArray(args)) return null;
  for (const a of args) {
    const v = isJsonObject(a) ? obj(a[name]) : null;
    if (v !== null) return v;
  }
  return null;
}

/**
 * Whether a kprobe's socket or address argument is of an IP family, or names none. The family is the test, not
 * the addresses: Tetragon v0.9 named only AF_INET and AF_INET6 and wrote any other family as its number (`"1"`:
 * AF_UNIX, pkg/reader/network InetFamily), v1.0 names them all (`"AF_UNIX"`); a non-IP socket's addresses are
 * `"<nil>"` (a nil net.IP's text), since v1.7 `"invalid IP"` (a zero netip.Addr's), its protocol `IPPROTO_IP`.
 */
function ipFamily(arg: Record<string, unknown> | null): boolean {
  const f = arg?.['family'];
  return f === undefined || f === null || f === 'AF_INET' || f === 'AF_INET6';
}

/**
 * The network endpoints of a connection: process_connect (Isovalent's flat names, else sock_arg-style
 * names, directly or in a nested `socket`/`sock_arg`), or a connect kprobe's arguments: the destination
 * of its first `sockaddr_arg` (security_socket_connect's address, {family, addr, port}) when it has one,
 * else of its first `sock_arg`; the source and protocol of that `sock_arg`. Null for other events.
 */
function connectionOf(view: TetragonView): NetworkFacts | null {
  if (view.net !== undefined) return view.net;
  const body = view.body;
  let holders: (Record<string, unknown> | null)[] | null = null;
  if (body !== null && view.kind === 'process_connect') holders = [body, obj(body['socket']), obj(body['sock_arg'])];
  else if (body !== null && hookMeaning(view.kind, str(body['function_name']))?.family === 'connect') {
    const to = firstArg(body['args'], 'sockaddr_arg');
    const sock = firstArg(body['args'], 'sock_arg');
    // A connect on a Unix (or other non-IP) socket is not network traffic: not a connection.
    if (ipFamily(to) && ipFamily(sock)) holders = [to === null ? null : { daddr: to['addr'], dport: to['port'] }, sock];
  }
  if (holders === null || body === null) return (view.net = null);
  const at = (names: readonly string[]): unknown => connectValue(holders, names);
  return (view.net = {
    srcIp: at(CONNECT_NAMES.src_ip),
    srcPort: at(CONNECT_NAMES.src_port),
    destIp: at(CONNECT_NAMES.dest_ip),
    destPort: at(CONNECT_NAMES.dest_port),
    protocol: at(CONNECT_NAMES.protocol),
    blocked: BLOCKING_ACTIONS.has(str(body['action']) ?? ''),
  });
}

/** The file a kprobe/LSM event is about (its first file_arg/path_arg) and the hook's action; null if none. */
function fileOf(view: TetragonView): FileFacts | null {
  if (view.file !== undefined) return view.file;
  const body = view.body;
  const args = body?.['args'];
  if (body === null || (view.kind !== 'process_kprobe' && view.kind !== 'process_lsm') || !Array.isArray(args)) return (view.file = null);
  let f: Record<string, unknown> | null = null;
  // The hook's mask/prot argument: the first int or uint argument (its index depends on the policy).
  let mask: number | null = null;
  for (const a of args) {
    if (!isJsonObject(a)) continue;
    const fa: Record<string, unknown> | null = f === null ? (obj(a['file_arg']) ?? obj(a['path_arg'])) : null;
    if (fa !== null) f = fa;
    else if (mask === null && typeof a['int_arg'] === 'number') mask = a['int_arg'];
    else if (mask === null && typeof a['uint_arg'] === 'number') mask = a['uint_arg'];
  }
  if (f === null) return (view.file = null);
  const hook = hookMeaning(view.kind, str(body['function_name']));
  return (view.file = { path: filePath(f), acl: str(f['permission']), action: hook?.family === 'file' ? fileAction(hook, mask) : null });
}

/**
 * A file argument's path. Old Tetragon versions (the 2021 Isovalent-book sample) gave `etc/passwd` with no
 * leading `/` and no mount: that is rooted, so `/` is put back.
 */
function filePath(f: Record<string, unknown>): string | null {
  const p = str(f['path']);
  if (p === null || p === '' || p.startsWith('/')) return p;
  const mount = str(f['mount']);
  return mount === null || mount === '' ? '/' + p : p;
}

/** `_time` when the file action is `action` (file_create_time, ...), else null. */
function fileTime(view: TetragonView, action: FileAction): number | null {
  return fileOf(view)?.action === action ? view.time : null;
}

/** IANA protocol numbers of CIM's expected transports. */
const TRANSPORT_NUMBERS: ReadonlyMap<number, string> = new Map([[1, 'icmp'], [6, 'tcp'], [17, 'udp'], [58, 'icmp']]);

/**
 * CIM `transport` (tcp, udp, icmp) from Tetragon's protocol: `TCP` and `IPPROTO_TCP` → `tcp`. A protocol
 * Tetragon has no name for is written as its decimal number in a string (pkg/reader/network InetProtocol:
 * ICMPv6 is `"58"`), read as that number.
 */
function transport(protocol: unknown): string | null {
  if (typeof protocol === 'string' && /^[0-9]{1,3}$/.test(protocol)) protocol = Number(protocol);
  if (typeof protocol === 'number') return TRANSPORT_NUMBERS.get(protocol) ?? null;
  if (typeof protocol !== 'string') return null;
  const t = protocol.toLowerCase();
  return t.startsWith('ipproto_') ? t.slice(8) : t;
}

/** `allowed` for an execution, the file action of a file hook, allowed/blocked for a connection. */
function action(view: TetragonView): string | null {
  if (view.kind === 'process_exec') return 'allowed';
  const net = connectionOf(view);
  if (net !== null) return net.blocked ? 'blocked' : 'allowed';
  return fileOf(view)?.action ?? null;
}

/**
 * The value of one CIM field, or null when the event lacks it. `undefined` means the name is not a
 * CIM field (the caller then treats it as a JSON path).
 */
export function tetragonCimField(view: TetragonView, field: string): FieldValue | null | undefined {
  const body = view.body;
  switch (field) {
    case 'action':
      return action(view);
    case 'dest': {
      // The node for an execution or a file access (Endpoint); the remote address for a connection.
      const net = connectionOf(view);
      return net !== null ? str(net.destIp) : str(view.json['node_name']);
    }
    case 'user':
      return str(obj(obj(body?.['process'])?.['user'])?.['name']);
    case 'parent_user':
      return str(obj(obj(body?.['parent'])?.['user'])?.['name']);
    case 'process_guid':
      return str(obj(body?.['process'])?.['exec_id']);
    case 'parent_process_guid':
      return str(obj(body?.['parent'])?.['exec_id']) ?? str(obj(body?.['process'])?.['parent_exec_id']);
    case 'file_path':
      return fileOf(view)?.path ?? null;
    case 'file_name': {
      const p = fileOf(view)?.path ?? null;
      return p === null ? null : basename(p);
    }
    case 'file_acl':
      return fileOf(view)?.acl ?? null;
    case 'file_create_time':
      return fileTime(view, 'created');
    case 'file_modify_time':
      return fileTime(view, 'modified');
    case 'file_access_time':
      return fileTime(view, 'read');
    case 'src':
    case 'src_ip': {
      const net = connectionOf(view);
      return net === null ? null : str(net.srcIp);
    }
    case 'dest_ip': {
      const net = connectionOf(view);
      return net === null ? null : str(net.destIp);
    }
    case 'src_port': {
      const net = connectionOf(view);
      return net === null ? null : num(net.srcPort);
    }
    case 'dest_port': {
      const net = connectionOf(view);
      return net === null ? null : num(net.destPort);
    }
    case 'transport': {
      const net = connectionOf(view);
      return net === null ? null : transport(net.protocol);
    }
    case 'protocol': {
      // CIM's protocol is the layer-3 one, in lower case; Tetragon's `protocol` is the transport.
      const net = connectionOf(view);
      return net !== null && (str(net.srcIp) !== null || str(net.destIp) !== null) ? 'ip' : null;
    }
    case 'direction':
      return connectionOf(view) === null ? null : 'outbound';
    case 'dvc':
      return connectionOf(view) === null ? null : str(view.json['node_name']);
    case 'os':
      return OS;
    case 'process_name':
    case 'process_exec': {
      const b = str(obj(body?.['process'])?.['binary']);
      return b === null ? null : basename(b);
    }
    case 'process':
      return commandLine(obj(body?.['process']));
    case 'process_id':
      return num(obj(body?.['process'])?.['pid']);
    case 'process_path':
      return str(obj(body?.['process'])?.['binary']);
    case 'process_current_directory':
      return str(obj(body?.['process'])?.['cwd']);
    case 'user_id':
      return text(num(obj(body?.['process'])?.['uid']));
    case 'parent_process':
      return commandLine(obj(body?.['parent']));
    case 'parent_process_name':
    case 'parent_process_exec': {
      const b = str(obj(body?.['parent'])?.['binary']);
      return b === null ? null : basename(b);
    }
    case 'parent_process_id':
      return num(obj(body?.['parent'])?.['pid']);
    case 'parent_process_path':
      return str(obj(body?.['parent'])?.['binary']);
    case 'pod_name':
      return str(obj(obj(body?.['process'])?.['pod'])?.['name']);
    case 'pod_namespace':
      return str(obj(obj(body?.['process'])?.['pod'])?.['namespace']);
    case 'pod_image_name':
      return str(obj(obj(obj(obj(body?.['process'])?.['pod'])?.['container'])?.['image'])?.['name']);
    case 'container_id':
      return str(obj(obj(obj(body?.['process'])?.['pod'])?.['container'])?.['id']);
    case 'cluster_name':
      return str(view.json['cluster_name']);
    case 'node_name':
      return str(view.json['node_name']);
    case 'vendor_product':
      return VENDOR_PRODUCT;
    default:
      return undefined;
  }
}

type SpanReader = (raw: string, spans: readonly number[], time: number) => FieldValue | null;

const binaryBasename = (slot: number): SpanReader => {
  const names = new ValueDictionary();
  return (raw, spans) => {
    const name = spanBasename(raw, spans, slot, names);
    if (name !== undefined) return name;
    const b = spanText(raw, spans, slot);
    return b === null ? null : detach(basename(b));
  };
};
const string = (slot: number): SpanReader => (raw, spans) => spanString(raw, spans, slot);
const number = (slot: number): SpanReader => (raw, spans) => spanNumber(raw, spans, slot);

/** The view of an indexed event the last bodyField built: its fields are read one after the other. */
let lastSpans: readonly number[] | null = null;
let lastTime = 0;
let lastView: TetragonView | null = null;

/**
 * A file or network field of an indexed event: tetragonCimField over a view whose body holds only the
 * members those fields read (spansBodyMembers), so both paths run the same code. Executions and exits
 * are neither file accesses nor connections: null without building the view.
 */
const bodyField = (field: TetragonCimField): SpanReader => (raw, spans, time) => {
  const kind = spansKind(spans);
  if (kind === 'process_exec' || kind === 'process_exit') return null;
  if (spans !== lastSpans || time !== lastTime || lastView === null) {
    const json = { node_name: spanString(raw, spans, S_NODE_NAME), [kind]: spansBodyMembers(raw, spans) };
    lastView = tetragonView(json, time);
    lastSpans = spans;
    lastTime = time;
  }
  return tetragonCimField(lastView as TetragonView, field) ?? null;
};
const actionOfBody = bodyField('action');
const destOfBody = bodyField('dest');

/**
 * tetragonCimField for an indexed event (tetragon-index.ts), without parsing the line: same values,
 * read from the spans.
 */
const SPAN_READERS: Record<TetragonCimField, SpanReader> = {
  action: (raw, spans, time) => {
    const kind = spansKind(spans);
    return kind === 'process_exec' ? 'allowed' : kind === 'process_exit' ? null : actionOfBody(raw, spans, time);
  },
  dest: (raw, spans, time) => {
    const kind = spansKind(spans);
    return kind === 'process_exec' || kind === 'process_exit' ? spanString(raw, spans, S_NODE_NAME) : destOfBody(raw, spans, time);
  },
  user: string(S_USER_NAME),
  user_id: (raw, spans) => text(spanNumber(raw, spans, S_UID)),
  process: (raw, spans) => commandLineAt(raw, spans, S_BINARY, S_ARGUMENTS),
  process_name: binaryBasename(S_BINARY),
  process_exec: binaryBasename(S_BINARY),
  process_id: number(S_PID),
  process_path: string(S_BINARY),
  process_guid: string(S_EXEC_ID),
  process_current_directory: string(S_CWD),
  parent_process: (raw, spans) => commandLineAt(raw, spans, S_PARENT_BINARY, S_PARENT_ARGUMENTS),
  parent_process_name: binaryBasename(S_PARENT_BINARY),
  parent_process_exec: binaryBasename(S_PARENT_BINARY),
  parent_process_id: number(S_PARENT_PID),
  parent_process_path: string(S_PARENT_BINARY),
  parent_process_guid: (raw, spans) => spanString(raw, spans, S_PARENT_GUID) ?? spanString(raw, spans, S_PARENT_EXEC_ID),
  parent_user: string(S_PARENT_USER_NAME),
  file_path: bodyField('file_path'),
  file_name: bodyField('file_name'),
  file_acl: bodyField('file_acl'),
  file_create_time: bodyField('file_create_time'),
  file_modify_time: bodyField('file_modify_time'),
  file_access_time: bodyField('file_access_time'),
  src: bodyField('src'),
  src_ip: bodyField('src_ip'),
  src_port: bodyField('src_port'),
  dest_ip: bodyField('dest_ip'),
  dest_port: bodyField('dest_port'),
  transport: bodyField('transport'),
  protocol: bodyField('protocol'),
  direction: bodyField('direction'),
  dvc: bodyField('dvc'),
  pod_name: string(S_POD_NAME),
  pod_namespace: string(S_POD_NAMESPACE),
  pod_image_name: string(S_IMAGE_NAME),
  container_id: string(S_CONTAINER_ID),
  cluster_name: string(S_CLUSTER_NAME),
  node_name: string(S_NODE_NAME),
  os: () => OS,
  vendor_product: () => VENDOR_PRODUCT,
};

const READERS_BY_ID: readonly SpanReader[] = TETRAGON_CIM_FIELDS.map((f) => SPAN_READERS[f]);
const CIM_IDS: ReadonlyMap<string, number> = new Map(TETRAGON_CIM_FIELDS.map((f, i) => [f, i]));

/** The position of a CIM field in TETRAGON_CIM_FIELDS, or -1 when the name is not one. */
export function tetragonCimFieldId(field: string): number {
  return CIM_IDS.get(field) ?? -1;
}

/** The CIM field of that id for an indexed event whose `_time` is `time` (see SPAN_READERS). */
export function tetragonIndexedField(raw: string, spans: readonly number[], id: number, time: number): FieldValue | null {
  return (READERS_BY_ID[id] as SpanReader)(raw, spans, time);
}

/** A command line joined before (commandLineAt), by its arguments. */
interface JoinedCommandLine {
  binary: string;
  line: string;
}

/**
 * Command lines by their arguments, when those come from their dictionary: the same binary and arguments
 * then give the same string, one Map lookup by a string whose hash is known, not a join and a copy.
 * Emptied when full: 1024 lines or their characters (arguments a dictionary did not store are kept here
 * too, and a HEC client may send megabytes of distinct ones between repeated values: 16 MB for 8 events).
 */
const COMMAND_LINES = new Map<string, JoinedCommandLine>();
const MAX_COMMAND_LINES = 1024;
const MAX_COMMAND_LINE_CHARS = 256 * 1024;
let commandLineChars = 0;

function commandLineAt(raw: string, spans: readonly number[], binarySlot: number, argsSlot: number): string | null {
  const binary = spanString(raw, spans, binarySlot);
  if (binary === null) return null;
  const args = spanString(raw, spans, argsSlot);
  if (args === null || args === '') return binary;
  if (!slotInterned(argsSlot)) return detach(binary + ' ' + args);
  const joined = COMMAND_LINES.get(args);
  if (joined !== undefined && joined.binary === binary) return joined.line;
  const line = detach(binary + ' ' + args);
  if (line.length > MAX_COMMAND_LINE_CHARS) return line;
  if (COMMAND_LINES.size >= MAX_COMMAND_LINES || commandLineChars + line.length > MAX_COMMAND_LINE_CHARS) {
    COMMAND_LINES.clear();
    commandLineChars = 0;
  }
  COMMAND_LINES.set(args, { binary, line });
  commandLineChars += line.length;
  return line;
}

/** All CIM fields the event has, in TETRAGON_CIM_FIELDS order. */
export function tetragonCimFields(view: TetragonView): Map<string, FieldValue> {
  const out = new Map<string, FieldValue>();
  for (const f of TETRAGON_CIM_FIELDS) {
    const v = tetragonCimField(view, f);
    if (v !== null && v !== undefined) out.set(f, v);
  }
  return out;
}

let lastSourcetype = '';
let lastIsIsovalent = false;

/** Whether a sourcetype gets the add-on's fields (case-insensitive, like sourcetype matching in search). */
export function isIsovalentSourcetype(sourcetype: string): boolean {
  if (sourcetype !== lastSourcetype) {
    // Events of one source share one sourcetype: remember the last answer.
    lastSourcetype = sourcetype;
    lastIsIsovalent = sourcetype.length >= 15 && sourcetype.slice(0, 15).toLowerCase() === 'cisco:isovalent';
  }
  return lastIsIsovalent;
}
