/**
 * Splunk KV_MODE=json search-time extraction over an already parsed JSON value.
 *
 * - Nested object keys are joined with `.`: `process_exec.process.pod.name`.
 * - Array elements are values of a field named with `{}`: `process_exec.ancestors{}.binary`,
 *   `process_kprobe.args{}.string_arg`, `tags{}`; arrays of arrays give `a{}{}`.
 * - Several values under one name form a multivalue, in document order; one value is a single value.
 * - Strings stay strings, numbers stay JS numbers (rendered with toText when printed), booleans become
 *   "true"/"false", JSON null becomes the text "null" (see CONTEXT.md: unverified; Tetragon's protojson
 *   never emits null). Empty objects and arrays produce nothing; empty strings are kept as "".
 * - Only a top-level object is extracted; a top-level array or scalar gives no fields.
 */
import { mv, type FieldValue, type Scalar } from '../events/value.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarOf(v: unknown): Scalar | undefined {
  switch (typeof v) {
    case 'string':
    case 'number':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return v === null ? 'null' : undefined;
  }
}

/** Every field of the JSON value, in document order. */
export function extractAll(json: unknown): Map<string, FieldValue> {
  const acc = new Map<string, Scalar[]>();
  if (isObject(json)) walkObject(json, '', acc);
  const out = new Map<string, FieldValue>();
  for (const [name, values] of acc) {
    const v = mv(values);
    if (v !== null) out.set(name, v);
  }
  return out;
}

function walkObject(obj: Record<string, unknown>, prefix: string, acc: Map<string, Scalar[]>): void {
  for (const k in obj) {
    if (k === '') continue; // a field with an empty name cannot be referenced in SPL
    walk(obj[k], prefix === '' ? k : prefix + '.' + k, acc);
  }
}

function walk(v: unknown, name: string, acc: Map<string, Scalar[]>): void {
  if (typeof v === 'object' && v !== null) {
    if (Array.isArray(v)) {
      const n = name + '{}';
      for (const el of v) walk(el, n, acc);
    } else {
      walkObject(v as Record<string, unknown>, name, acc);
    }
    return;
  }
  const s = scalarOf(v);
  if (s === undefined) return;
  const list = acc.get(name);
  if (list) list.push(s);
  else acc.set(name, [s]);
}

/**
 * One field by name, without flattening the document: walks only the branches the name can reach.
 * Keys may contain dots (`node_labels.kubernetes.io/hostname`), so at each level every split point
 * of the remaining name is tried as a key. Equals `extractAll(json).get(path) ?? null`.
 */
export function extractPath(json: unknown, path: string): FieldValue | null {
  if (!isObject(json) || path === '') return null;
  const out: Scalar[] = [];
  walkObjectPath(json, path, 0, out);
  return mv(out);
}

/** `obj` is reached; the key starts at `pos` (after the `.` that introduced it). */
function walkObjectPath(obj: Record<string, unknown>, path: string, pos: number, out: Scalar[]): void {
  let first: string | undefined;
  let firstEnd = 0;
  let more: Map<string, number> | undefined;
  for (let e = pos + 1; e <= path.length; e++) {
    const c = e === path.length ? '' : path[e];
    if (c !== '' && c !== '.' && !(c === '{' && path[e + 1] === '}')) continue;
    const key = path.slice(pos, e);
    if (!Object.hasOwn(obj, key)) continue;
    if (first === undefined) {
      first = key;
      firstEnd = e;
    } else {
      more ??= new Map([[first, firstEnd]]);
      more.set(key, e);
    }
  }
  if (first === undefined) return;
  if (more === undefined) {
    walkPath(obj[first], path, firstEnd, out);
    return;
  }
  // Several keys match (say `a` and `a.b` for `a.b.c`): visit them in document order, like extractAll.
  for (const k in obj) {
    const end = more.get(k);
    if (end !== undefined) walkPath(obj[k], path, end, out);
  }
}

/** `v` is the value reached by `path[0:pos]`. */
function walkPath(v: unknown, path: string, pos: number, out: Scalar[]): void {
  if (typeof v === 'object' && v !== null) {
    if (Array.isArray(v)) {
      if (path.charCodeAt(pos) !== 123 || path.charCodeAt(pos + 1) !== 125) return; // `{}`
      for (const el of v) walkPath(el, path, pos + 2, out);
    } else if (path.charCodeAt(pos) === 46 && pos + 1 < path.length) {
      walkObjectPath(v as Record<string, unknown>, path, pos + 1, out);
    }
    return;
  }
  if (pos !== path.length) return;
  const s = scalarOf(v);
  if (s !== undefined) out.push(s);
}
