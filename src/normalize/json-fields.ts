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
 * - Values inside more than MAX_JSON_DEPTH objects/arrays are not extracted (the rest of the event is).
 */
import { mv, type FieldValue, type Scalar } from '../events/value.js';

/**
 * Most objects/arrays a value may sit inside and still be extracted (the top-level object counts). JSON.parse
 * takes any depth, but a field name grows with every level and the walkers recurse once per level: an event
 * of 100k nested arrays must give its other fields, not a stack overflow. Tetragon events nest ~10 deep.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether `v`, sitting inside `depth` objects/arrays, and everything in it are within MAX_JSON_DEPTH. */
export function withinJsonDepth(v: unknown, depth: number): boolean {
  if (depth > MAX_JSON_DEPTH) return false;
  if (typeof v !== 'object' || v === null) return true;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (!withinJsonDepth(x, depth + 1)) return false;
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON scalar as a field value (booleans and null as text), or undefined for an object or array. */
export function scalarOf(v: unknown): Scalar | undefined {
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
  if (isObject(json)) walkObject(json, '', acc, 1);
  const out = new Map<string, FieldValue>();
  for (const [name, values] of acc) {
    const v = mv(values);
    if (v !== null) out.set(name, v);
  }
  return out;
}

/** `obj`'s members sit inside `depth` objects/arrays. */
function walkObject(obj: Record<string, unknown>, prefix: string, acc: Map<string, Scalar[]>, depth: number): void {
  for (const k in obj) {
    if (k === '') continue; // a field with an empty name cannot be referenced in SPL
    walk(obj[k], prefix === '' ? k : prefix + '.' + k, acc, depth);
  }
}

function walk(v: unknown, name: string, acc: Map<string, Scalar[]>, depth: number): void {
  if (typeof v === 'object' && v !== null) {
    if (depth === MAX_JSON_DEPTH) return; // its members would sit deeper than the limit
    if (Array.isArray(v)) {
      const n = name + '{}';
      for (const el of v) walk(el, n, acc, depth + 1);
    } else {
      walkObject(v as Record<string, unknown>, name, acc, depth + 1);
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
  walkObjectPath(json, path, 0, out, 1);
  return mv(out);
}

/**
 * extractPath's answer from a value the path reaches: `v` is what `path[0:pos]` leads to, inside `depth`
 * objects/arrays (1 for a top-level member), and no other split of `path[0:pos]` leads anywhere. For a
 * value parsed alone from its span in the line (tetragon-index.ts `spansField`).
 */
export function extractPathFrom(v: unknown, path: string, pos: number, depth: number): FieldValue | null {
  const out: Scalar[] = [];
  walkPath(v, path, pos, out, depth);
  return mv(out);
}

/** `obj` is reached, its members inside `depth` objects/arrays; the key starts at `pos` (after the `.` that introduced it). */
function walkObjectPath(obj: Record<string, unknown>, path: string, pos: number, out: Scalar[], depth: number): void {
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
    walkPath(obj[first], path, firstEnd, out, depth);
    return;
  }
  // Several keys match (say `a` and `a.b` for `a.b.c`): visit them in document order, like extractAll.
  for (const k in obj) {
    const end = more.get(k);
    if (end !== undefined) walkPath(obj[k], path, end, out, depth);
  }
}

/** `v` is the value reached by `path[0:pos]`, inside `depth` objects/arrays. */
function walkPath(v: unknown, path: string, pos: number, out: Scalar[], depth: number): void {
  if (typeof v === 'object' && v !== null) {
    if (depth === MAX_JSON_DEPTH) return; // as extractAll
    if (Array.isArray(v)) {
      if (path.charCodeAt(pos) !== 123 || path.charCodeAt(pos + 1) !== 125) return; // `{}`
      for (const el of v) walkPath(el, path, pos + 2, out, depth + 1);
    } else if (path.charCodeAt(pos) === 46 && pos + 1 < path.length) {
      walkObjectPath(v as Record<string, unknown>, path, pos + 1, out, depth + 1);
    }
    return;
  }
  if (pos !== path.length) return;
  const s = scalarOf(v);
  if (s !== undefined) out.push(s);
}
