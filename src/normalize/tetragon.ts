/**
 * CIM-style search-time fields of `cisco:isovalent*` events, as the Cisco Security Cloud add-on is
 * believed to define them (the add-on's props.conf is not public: see CONTEXT.md for the basis of each
 * field). Process fields come from `<kind>.process` / `<kind>.parent` of whatever event kind the line
 * holds; network fields only from process_connect.
 */
import type { FieldValue, Scalar } from '../events/value.js';
import { eventKind, isJsonObject } from './tetragon-kind.js';
import {
  S_ARGUMENTS,
  S_BINARY,
  S_CLUSTER_NAME,
  S_CONTAINER_ID,
  S_CWD,
  S_IMAGE_NAME,
  S_NODE_NAME,
  S_PARENT_ARGUMENTS,
  S_PARENT_BINARY,
  S_PARENT_PID,
  S_PID,
  S_POD_NAME,
  S_POD_NAMESPACE,
  S_UID,
  detach,
  spanNumber,
  spanString,
  spanText,
  spansKind,
} from './tetragon-index.js';

/** Unverified constant: the add-on's fields list has `vendor_product`, but its value is not public. */
export const VENDOR_PRODUCT = 'Cisco Isovalent';

/** A parsed Tetragon event with its body located once. */
export interface TetragonView {
  json: Record<string, unknown>;
  kind: string | null;
  /** `json[kind]`, or null. */
  body: Record<string, unknown> | null;
}

export function tetragonView(json: unknown): TetragonView | null {
  if (!isJsonObject(json)) return null;
  const kind = eventKind(json);
  const body = kind === null ? null : (json[kind] as Record<string, unknown>);
  return { json, kind, body };
}

/** Every CIM field name this module can produce, in the order fieldNames() lists them. */
export const TETRAGON_CIM_FIELDS = [
  'process',
  'process_name',
  'process_exec',
  'process_id',
  'process_path',
  'process_current_directory',
  'user_id',
  'parent_process',
  'parent_process_name',
  'parent_process_exec',
  'parent_process_id',
  'parent_process_path',
  'pod_name',
  'pod_namespace',
  'pod_image_name',
  'container_id',
  'cluster_name',
  'node_name',
  'vendor_product',
  'src_ip',
  'src_port',
  'dest_ip',
  'dest_port',
  'protocol',
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

/** Network endpoints of process_connect: Isovalent's flat names, else sock_arg-style names, directly or nested. */
function connectValue(body: Record<string, unknown>, names: readonly string[]): unknown {
  for (const holder of [body, obj(body['socket']), obj(body['sock_arg'])]) {
    if (holder === null) continue;
    for (const n of names) {
      const v = holder[n];
      if (v !== undefined && v !== null) return v;
    }
  }
  return undefined;
}

/**
 * The value of one CIM field, or null when the event lacks it. `undefined` means the name is not a
 * CIM field (the caller then treats it as a JSON path).
 */
export function tetragonCimField(view: TetragonView, field: string): FieldValue | null | undefined {
  const body = view.body;
  switch (field) {
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
      return num(obj(body?.['process'])?.['uid']);
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
    case 'src_ip':
    case 'dest_ip':
    case 'src_port':
    case 'dest_port':
    case 'protocol': {
      if (view.kind !== 'process_connect' || body === null) return null;
      const v = connectValue(body, CONNECT_NAMES[field]);
      return field === 'src_ip' || field === 'dest_ip' ? str(v) : num(v);
    }
    default:
      return undefined;
  }
}

type SpanReader = (raw: string, spans: readonly number[]) => FieldValue | null | undefined;

const binaryBasename = (slot: number): SpanReader => (raw, spans) => {
  const b = spanText(raw, spans, slot);
  return b === null ? null : detach(basename(b));
};
const string = (slot: number): SpanReader => (raw, spans) => spanString(raw, spans, slot);
const number = (slot: number): SpanReader => (raw, spans) => spanNumber(raw, spans, slot);

/**
 * tetragonCimField for an indexed event (tetragon-index.ts), without parsing: same values, read from
 * the spans. Undefined when the spans cannot tell: the network fields of process_connect are not
 * tracked (the caller parses and uses tetragonCimField).
 */
const SPAN_READERS: Record<TetragonCimField, SpanReader> = {
  process: (raw, spans) => commandLineAt(raw, spans, S_BINARY, S_ARGUMENTS),
  process_name: binaryBasename(S_BINARY),
  process_exec: binaryBasename(S_BINARY),
  process_id: number(S_PID),
  process_path: string(S_BINARY),
  process_current_directory: string(S_CWD),
  user_id: number(S_UID),
  parent_process: (raw, spans) => commandLineAt(raw, spans, S_PARENT_BINARY, S_PARENT_ARGUMENTS),
  parent_process_name: binaryBasename(S_PARENT_BINARY),
  parent_process_exec: binaryBasename(S_PARENT_BINARY),
  parent_process_id: number(S_PARENT_PID),
  parent_process_path: string(S_PARENT_BINARY),
  pod_name: string(S_POD_NAME),
  pod_namespace: string(S_POD_NAMESPACE),
  pod_image_name: string(S_IMAGE_NAME),
  container_id: string(S_CONTAINER_ID),
  cluster_name: string(S_CLUSTER_NAME),
  node_name: string(S_NODE_NAME),
  vendor_product: () => VENDOR_PRODUCT,
  src_ip: connectOnly,
  src_port: connectOnly,
  dest_ip: connectOnly,
  dest_port: connectOnly,
  protocol: connectOnly,
};

function connectOnly(_raw: string, spans: readonly number[]): null | undefined {
  return spansKind(spans) === 'process_connect' ? undefined : null;
}

const READERS_BY_ID: readonly SpanReader[] = TETRAGON_CIM_FIELDS.map((f) => SPAN_READERS[f]);
const CIM_IDS: ReadonlyMap<string, number> = new Map(TETRAGON_CIM_FIELDS.map((f, i) => [f, i]));

/** The position of a CIM field in TETRAGON_CIM_FIELDS, or -1 when the name is not one. */
export function tetragonCimFieldId(field: string): number {
  return CIM_IDS.get(field) ?? -1;
}

/** The CIM field of that id for an indexed event (see SPAN_READERS; undefined = parse and use tetragonCimField). */
export function tetragonIndexedField(raw: string, spans: readonly number[], id: number): FieldValue | null | undefined {
  return (READERS_BY_ID[id] as SpanReader)(raw, spans);
}

function commandLineAt(raw: string, spans: readonly number[], binarySlot: number, argsSlot: number): string | null {
  const binary = spanText(raw, spans, binarySlot);
  if (binary === null) return null;
  const args = spanText(raw, spans, argsSlot);
  return detach(args === null || args === '' ? binary : binary + ' ' + args);
}

const CONNECT_NAMES: Record<'src_ip' | 'dest_ip' | 'src_port' | 'dest_port' | 'protocol', readonly string[]> = {
  src_ip: ['source_ip', 'saddr'],
  src_port: ['source_port', 'sport'],
  dest_ip: ['destination_ip', 'daddr'],
  dest_port: ['destination_port', 'dport'],
  protocol: ['protocol'],
};

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
