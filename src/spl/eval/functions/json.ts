import type { EvalExpr } from '../../parse/ast.js';
import type { Span } from '../../source.js';
import type { Result } from '../../../events/result.js';
import { mv, toText, type Scalar } from '../../../events/value.js';
import { MAX_JSON_DEPTH, scalarOf as jsonScalar } from '../../../normalize/json-fields.js';
import { truthy } from '../truthy.js';
import { textOf, type EvalValue } from '../value.js';
import { evalValues, SmallCache } from './helpers.js';
import { parsePath } from './string.js';
import type { CompileHelpers, Compiled, EvalFunction } from './types.js';

/**
 * Splunk's JSON eval functions (Search Reference, "JSON functions", and mv_to_json_array of "Multivalue eval
 * functions"). Documents are parsed into `Json` values, never mutated (json_set and friends copy what they change),
 * so a parsed document can be shared between rows and calls. A JSON function's argument that is another JSON
 * function's call is taken as the JSON value that call made (`json_object("a", json_array(1, 2))` nests the array);
 * any other argument is an eval value (a field holding JSON text is a string unless wrapped in `json()`).
 * Bounds: objects/arrays nest at most MAX_JSON_DEPTH deep (deeper text is not valid JSON here; a deeper result is
 * null), a result is at most MAX_JSON_TEXT characters, a path selects at most MAX_JSON_VALUES values and the edits of
 * a json_append/json_extend call make at most MAX_JSON_CREATED elements (else null, with a warning), so a row cannot
 * exhaust memory or the stack.
 */

/**
 * A JSON number past the largest double (`1e400`), kept as its text: vigil has no infinite values, and text past the
 * largest double is text, not a number (docs/spl.md). Extracted, it is that text; written, the number as it was read.
 */
class JsonNumberText {
  constructor(readonly text: string) {}
}

/** A JSON value. Objects are Maps: a JS object would put integer-like keys first, and Splunk keeps the key order. */
type Json = null | boolean | number | string | JsonNumberText | Json[] | JsonObject;
type JsonObject = Map<string, Json>;

/** The longest text a JSON function makes: past it, the result is null. */
export const MAX_JSON_TEXT = 10_000_000;

/** The most values a path may select at any of its steps: past it, the result is null. */
export const MAX_JSON_VALUES = 1_000_000;

/**
 * The most array elements the edits of one json_append/json_extend call may make: through `{}` each element
 * gets its own copy of the value's elements, so `json_extend(j, "{}", json(j))` over 20,000 elements would make
 * 400 million. Half of MAX_JSON_TEXT: more elements could not be written within it (a character and a comma each).
 */
export const MAX_JSON_CREATED = MAX_JSON_TEXT / 2;

/** A result nests deeper than MAX_JSON_DEPTH, is longer than MAX_JSON_TEXT, selects more than MAX_JSON_VALUES or makes more than MAX_JSON_CREATED elements. */
class JsonLimit extends Error {}

/** What one call's edits may still make (MAX_JSON_CREATED elements); past it, JsonLimit before the copy is made. */
class EditBudget {
  private left = MAX_JSON_CREATED;

  take(elements: number): void {
    this.left -= elements;
    if (this.left < 0) throw new JsonLimit();
  }
}

// ------------------------------------------------------------------------------------------ parsing

const ESCAPES = new Set([34, 92, 47, 98, 102, 110, 114, 116]); // " \ / b f n r t
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS = [['true', true], ['false', false], ['null', null]] as const;

/** Strict JSON (RFC 8259) into ordered values; undefined when the text is not JSON or nests deeper than MAX_JSON_DEPTH. */
function parseJson(text: string): Json | undefined {
  const p = new JsonParser(text);
  const v = p.value(0);
  return v !== undefined && p.atEnd() ? v : undefined;
}

class JsonParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    this.space();
    return this.pos === this.s.length;
  }

  private space(): void {
    const s = this.s;
    for (let c = s.charCodeAt(this.pos); c === 32 || c === 9 || c === 10 || c === 13; c = s.charCodeAt(++this.pos));
  }

  /** The value at the cursor, inside `depth` objects/arrays. */
  value(depth: number): Json | undefined {
    this.space();
    const s = this.s;
    const c = s.charCodeAt(this.pos);
    if (c === 34) return this.string();
    if (c === 123 || c === 91) {
      if (depth >= MAX_JSON_DEPTH) return undefined;
      this.pos++;
      return c === 123 ? this.object(depth + 1) : this.array(depth + 1);
    }
    for (const [word, v] of LITERALS) {
      if (s.startsWith(word, this.pos)) {
        this.pos += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(s);
    if (m === null) return undefined;
    this.pos = NUMBER.lastIndex;
    const n = Number(m[0]);
    return Number.isFinite(n) ? n : new JsonNumberText(m[0]);
  }

  private object(depth: number): JsonObject | undefined {
    const obj: JsonObject = new Map();
    this.space();
    if (this.s.charCodeAt(this.pos) === 125) {
      this.pos++;
      return obj;
    }
    for (;;) {
      this.space();
      const key = this.string();
      if (key === undefined) return undefined;
      this.space();
      if (this.s.charCodeAt(this.pos++) !== 58) return undefined;
      const v = this.value(depth);
      if (v === undefined) return undefined;
      obj.set(key, v); // a repeated key keeps its first place and takes the last value, as JSON.parse does
      this.space();
      const d = this.s.charCodeAt(this.pos++);
      if (d === 125) return obj;
      if (d !== 44) return undefined;
    }
  }

  private array(depth: number): Json[] | undefined {
    const arr: Json[] = [];
    this.space();
    if (this.s.charCodeAt(this.pos) === 93) {
      this.pos++;
      return arr;
    }
    for (;;) {
      const v = this.value(depth);
      if (v === undefined) return undefined;
      arr.push(v);
      this.space();
      const d = this.s.charCodeAt(this.pos++);
      if (d === 93) return arr;
      if (d !== 44) return undefined;
    }
  }

  /** A string token, scanned by hand: a regex over a multi-megabyte string can run out of backtracking stack. */
  private string(): string | undefined {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== 34) return undefined;
    const start = this.pos + 1;
    let escaped = false;
    let i = start;
    for (; ; i++) {
      if (i >= s.length) return undefined;
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c < 32) return undefined;
      if (c !== 92) continue;
      escaped = true;
      const e = s.charCodeAt(++i);
      if (e === 117) {
        if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 1, i + 5))) return undefined;
        i += 4;
      } else if (!ESCAPES.has(e)) return undefined;
    }
    this.pos = i + 1;
    return escaped ? (JSON.parse(s.slice(start - 1, i + 1)) as string) : s.slice(start, i);
  }
}

// ------------------------------------------------------------------------------------------ writing

/**
 * Compact JSON text of values, all of them together at most MAX_JSON_TEXT characters (else JsonLimit). A container
 * met again (json_set shares the value it sets into every element) reuses its text: only the length is counted again.
 */
class JsonWriter {
  private size = 0;
  private height = 0; // of the value just written: the objects/arrays nested in it, itself included
  private readonly seen = new Map<Json[] | JsonObject, { text: string; height: number }>();

  text(j: Json): string {
    return this.write(j, 0);
  }

  private count(s: string): string {
    this.size += s.length;
    if (this.size > MAX_JSON_TEXT) throw new JsonLimit();
    return s;
  }

  /** `j` sits inside `depth` objects/arrays. */
  private write(j: Json, depth: number): string {
    if (typeof j !== 'object' || j === null || j instanceof JsonNumberText) {
      this.height = 0;
      return this.count(j instanceof JsonNumberText ? j.text : scalarJson(j));
    }
    const hit = this.seen.get(j);
    if (hit !== undefined) {
      if (depth + hit.height > MAX_JSON_DEPTH) throw new JsonLimit();
      this.height = hit.height;
      return this.count(hit.text);
    }
    if (depth >= MAX_JSON_DEPTH) throw new JsonLimit();
    const isArray = Array.isArray(j);
    let text = this.count(isArray ? '[' : '{');
    let inner = 0;
    let first = true;
    for (const entry of isArray ? j : j.entries()) {
      // V8 concatenates strings by reference (a rope): no copying as the text grows.
      if (!first) text += this.count(',');
      first = false;
      if (isArray) text += this.write(entry as Json, depth + 1);
      else {
        const [k, v] = entry as [string, Json];
        text += this.count(JSON.stringify(k) + ':') + this.write(v, depth + 1);
      }
      inner = Math.max(inner, this.height);
    }
    text += this.count(isArray ? ']' : '}');
    this.height = inner + 1;
    this.seen.set(j, { text, height: this.height });
    return text;
  }
}

/** A JSON scalar's text; numbers as vigil prints them elsewhere (at most 15 significant digits: 0.1+0.2 is 0.3). */
function scalarJson(j: string | number | boolean | null): string {
  if (typeof j === 'string') return JSON.stringify(j);
  if (typeof j === 'number') return Number.isFinite(j) ? toText(j) : 'null';
  return String(j);
}

/** Splunk's "native type" of an extracted value: strings unquoted, numbers as numbers, objects and arrays as JSON text. */
function nativeOf(j: Json | undefined, w: JsonWriter): Scalar | null {
  if (j === undefined || j === null) return null;
  if (j instanceof JsonNumberText) return j.text;
  return jsonScalar(j) ?? w.text(j);
}

// ------------------------------------------------------------------------------------------ paths

/** One step of a path: a key of an object, an index of an array (negative from the end), or every element (`{}`). */
type Op = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

/** `a.b{0}.c{}` as steps (spath's syntax); null when malformed or longer than a document can be deep (it would lead nowhere). */
function pathOps(path: string): Op[] | null {
  const groups = parsePath(path);
  if (groups === null) return null;
  const ops: Op[] = [];
  for (const step of groups.flat()) {
    if (step.key !== '') ops.push({ kind: 'key', key: step.key });
    if (step.index === 'all') ops.push({ kind: 'all' });
    else if (step.index !== null) ops.push({ kind: 'index', index: step.index });
  }
  return ops.length > MAX_JSON_DEPTH ? null : ops;
}

function arrayIndex(index: number, length: number): number | null {
  const k = index < 0 ? length + index : index;
  return k >= 0 && k < length ? k : null;
}

/** The values a path leads to, in document order. */
function select(root: Json, ops: readonly Op[]): Json[] {
  let nodes: Json[] = [root];
  for (const op of ops) {
    const next: Json[] = [];
    for (const n of nodes) {
      if (op.kind === 'key') {
        if (n instanceof Map && n.has(op.key)) next.push(n.get(op.key)!);
      } else if (Array.isArray(n)) {
        if (op.kind === 'index') {
          const k = arrayIndex(op.index, n.length);
          if (k !== null) next.push(n[k]!);
        } else {
          // A value set into every element by json_set is shared, so selections can multiply: bounded.
          if (next.length + n.length > MAX_JSON_VALUES) throw new JsonLimit();
          for (const x of n) next.push(x);
        }
      }
    }
    nodes = next;
  }
  return nodes;
}

/**
 * What json_set/json_append/json_extend/json_delete do where a path leads: `apply` gets the value there (undefined
 * where json_set creates a missing key) and returns its replacement, or undefined to remove an object's member.
 */
interface Edit {
  create: boolean;
  apply(old: Json | undefined): Json | undefined;
}

/** `node` with the edit applied where `ops[i:]` lead; the same node when the path leads nowhere (nothing to do). */
function update(node: Json, ops: readonly Op[], i: number, edit: Edit): Json | undefined {
  if (i === ops.length) return edit.apply(node);
  const op = ops[i]!;
  if (op.kind === 'key') {
    if (!(node instanceof Map)) return node;
    const child = node.get(op.key);
    const updated = child === undefined ? created(ops, i + 1, edit) : update(child, ops, i + 1, edit);
    if (updated === child) return node;
    const copy = new Map(node);
    if (updated === undefined) copy.delete(op.key);
    else copy.set(op.key, updated);
    return copy;
  }
  if (!Array.isArray(node)) return node;
  if (op.kind === 'index') {
    const k = arrayIndex(op.index, node.length);
    if (k === null) return node;
    const updated = update(node[k]!, ops, i + 1, edit);
    if (updated === node[k] || updated === undefined) return node;
    const copy = node.slice();
    copy[k] = updated;
    return copy;
  }
  let copy: Json[] | undefined;
  const done = new Map<Json, Json | undefined>(); // an element shared by several places is edited once
  for (let k = 0; k < node.length; k++) {
    const el = node[k]!;
    let updated = done.get(el);
    if (!done.has(el)) {
      updated = update(el, ops, i + 1, edit);
      if (typeof el === 'object' && el !== null) done.set(el, updated);
    }
    if (updated !== el && updated !== undefined) (copy ??= node.slice())[k] = updated;
  }
  return copy ?? node;
}

/**
 * `node` without the member that the keys `path[i:]` lead to (json_delete); the same node when there is none.
 * An object on the way is copied once per call (`owned` holds the copies, each in one place only) and edited in
 * place after, so the document given is never changed.
 */
function deletePath(node: Json, path: readonly string[], i: number, owned: Set<JsonObject>): Json {
  if (!(node instanceof Map)) return node;
  const key = path[i]!;
  const child = node.get(key);
  if (child === undefined) return node;
  const updated = i + 1 === path.length ? undefined : deletePath(child, path, i + 1, owned);
  if (updated === child) return node;
  let target = node;
  if (!owned.has(node)) {
    target = new Map(node);
    owned.add(target);
  }
  if (updated === undefined) target.delete(key);
  else target.set(key, updated);
  return target;
}

/** The value for a missing key followed by `ops[i:]`: nested objects down to the edit's value (json_set only). */
function created(ops: readonly Op[], i: number, edit: Edit): Json | undefined {
  if (!edit.create || ops.slice(i).some((op) => op.kind !== 'key')) return undefined;
  let v = edit.apply(undefined);
  for (let k = ops.length - 1; k >= i && v !== undefined; k--) v = new Map([[(ops[k] as { key: string }).key, v]]);
  return v;
}

// ------------------------------------------------------------------------------------------ arguments

/** A compiled argument as JSON: undefined when it has none (absent, or text that is not JSON). */
type JsonCompiled = (row: Result) => Json | undefined;

/** The JSON value behind each compiled call of a JSON function, so that an enclosing JSON function takes it as is. */
const JSON_VIEWS = new WeakMap<Compiled, JsonCompiled>();

/** An argument as an element of a JSON value: another JSON function's value, or the eval value (null when absent). */
function valueArg(e: EvalExpr, h: CompileHelpers): (row: Result) => Json {
  const c = h.compile(e);
  const view = JSON_VIEWS.get(c);
  if (view) return (row) => view(row) ?? null;
  return (row) => {
    const v = c(row);
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    // A multivalue is an array of its values.
    return Array.isArray(v) ? [...(v as Scalar[])] : (v as Json);
  };
}

/** An argument as a JSON document: another JSON function's value, or the text of the value parsed. */
function documentArg(e: EvalExpr, h: CompileHelpers): JsonCompiled {
  return documentOf(h.compile(e));
}

function documentOf(c: Compiled): JsonCompiled {
  const view = JSON_VIEWS.get(c);
  if (view) return view;
  const parse = textParser();
  return (row) => parse(c(row));
}

/** A value's text parsed as JSON (undefined when it has none, or it is not JSON), for one argument's values. */
function textParser(): (v: EvalValue) => Json | undefined {
  // Documents are never mutated, so the last text's parse serves the next row with the same text.
  let lastText: string | null = null;
  let lastJson: Json | undefined;
  return (v) => {
    const t = textOf(v);
    if (t === null) return undefined;
    if (t !== lastText) {
      lastJson = parseJson(t);
      lastText = t;
    }
    return lastJson;
  };
}

/** A text argument (a key, a path): null when absent. A number or boolean written there is an error. */
function textArg(fn: string, what: string, e: EvalExpr, h: CompileHelpers): (row: Result) => string | null {
  const t = h.typeOf(e);
  if (t === 'number' || t === 'boolean') h.fail(`${fn}() takes ${what} as a quoted string; this is a ${t}`, e.span);
  const c = h.compile(e);
  return (row) => textOf(c(row));
}

const pathCache = new SmallCache<Op[] | null>();

/** A path argument: a literal is read once (an unreadable one is an error at it), a computed one per row (null). */
function pathArg(fn: string, e: EvalExpr, h: CompileHelpers): (row: Result) => Op[] | null {
  if (e.kind === 'string') {
    const ops = pathOps(e.value);
    if (ops === null) h.fail(`${fn}(): cannot read this path; paths look like "a.b{0}.c" or "a{}.b", at most ${MAX_JSON_DEPTH} steps`, e.span);
    return () => ops;
  }
  const text = textArg(fn, 'a path', e, h);
  return (row) => {
    const t = text(row);
    return t === null ? null : pathCache.get(t, pathOps);
  };
}

/** A true()/false() option: any other expression is an error at it. */
function flagArg(fn: string, what: string, e: EvalExpr | undefined, h: CompileHelpers): (row: Result) => boolean {
  if (e === undefined) return () => false;
  if (h.typeOf(e) !== 'boolean') h.fail(`${fn}() takes true() or false() as ${what}`, e.span);
  const c = h.compile(e);
  return (row) => truthy(c(row));
}

/** Arguments after the document come in pairs: a last one alone is an error at it. */
function requirePairs(fn: string, first: string, args: readonly EvalExpr[], from: number, h: CompileHelpers): void {
  if ((args.length - from) % 2 === 1) h.fail(`${fn}() takes ${first}-value pairs: this ${first} has no value`, args[args.length - 1]!.span);
}

// ------------------------------------------------------------------------------------------ blueprints

/** The span of a call's arguments, for warnings (a blueprint does not see the call's own span). */
function argsSpan(args: readonly EvalExpr[]): Span | undefined {
  return args.length === 0 ? undefined : { start: args[0]!.span.start, end: args[args.length - 1]!.span.end };
}

/** Runs a function's row: one whose result is past the bounds (JsonLimit) gives null and warns once. */
function limited(fn: string, args: readonly EvalExpr[], h: CompileHelpers, run: (row: Result, w: JsonWriter) => EvalValue): Compiled {
  let warned = false;
  return (row) => {
    try {
      return run(row, new JsonWriter());
    } catch (err) {
      if (!(err instanceof JsonLimit)) throw err;
      if (!warned) {
        warned = true;
        h.ctx.warn?.(
          `${fn}() is null where its result would nest more than ${MAX_JSON_DEPTH} objects/arrays deep, exceed ${MAX_JSON_TEXT} characters, select more than ${MAX_JSON_VALUES} values or make more than ${MAX_JSON_CREATED} array elements (the first such row; later ones are not reported)`,
          argsSpan(args),
        );
      }
      return null;
    }
  };
}

/** A function whose value is JSON: its text (or, for json_extract, the native value) and its view for enclosing calls. */
function jsonFunction(
  name: string,
  minArgs: number,
  maxArgs: number,
  doc: string,
  build: (args: EvalExpr[], h: CompileHelpers) => JsonCompiled,
  render: (j: Json | undefined, w: JsonWriter) => EvalValue = (j, w) => (j === undefined ? null : w.text(j)),
  returns: EvalFunction['returns'] = 'string',
): EvalFunction {
  return {
    name,
    minArgs,
    maxArgs,
    doc,
    returns,
    compile: (args, h) => {
      const view = build(args, h);
      const c = limited(name, args, h, (row, w) => render(view(row), w));
      JSON_VIEWS.set(c, view);
      return c;
    },
  };
}

/** json_set/json_append/json_extend: the document with each path-value pair applied in turn, left to right. */
function pathEditFunction(
  name: string,
  doc: string,
  editOf: (value: Json, budget: EditBudget) => Edit | null,
  valueOf: (e: EvalExpr, h: CompileHelpers) => JsonCompiled = valueArg,
): EvalFunction {
  return jsonFunction(name, 3, Infinity, doc, (args, h) => {
    requirePairs(name, 'path', args, 1, h);
    const document = documentArg(args[0]!, h);
    const pairs: { path: (row: Result) => Op[] | null; value: (row: Result) => Json | undefined }[] = [];
    for (let i = 1; i < args.length; i += 2) pairs.push({ path: pathArg(name, args[i]!, h), value: valueOf(args[i + 1]!, h) });
    return (row) => {
      let j = document(row);
      if (j === undefined) return undefined;
      const budget = new EditBudget();
      for (const pair of pairs) {
        const ops = pair.path(row);
        const v = pair.value(row);
        if (ops === null || v === undefined) continue;
        const edit = editOf(v, budget);
        if (edit !== null) j = update(j, ops, 0, edit) ?? j;
      }
      return j;
    };
  });
}

/** json_extend's value: the elements of an array (a JSON function's, a multivalue's values, or text of a JSON array). */
function elementsArg(e: EvalExpr, h: CompileHelpers): (row: Result) => Json | undefined {
  const c = h.compile(e);
  const view = JSON_VIEWS.get(c);
  return (row) => {
    if (view) return view(row);
    const v = c(row);
    if (Array.isArray(v)) return [...(v as Scalar[])];
    return typeof v === 'string' ? parseJson(v) : undefined;
  };
}

/** json_extract/json_extract_exact: the whole value, one lookup's value, or the values of several as a JSON array. */
function extractFunction(name: string, doc: string, lookupArg: (e: EvalExpr, h: CompileHelpers) => (root: Json, row: Result) => Json | undefined): EvalFunction {
  return jsonFunction(
    name,
    1,
    Infinity,
    doc,
    (args, h) => {
      const document = documentArg(args[0]!, h);
      const lookups = args.slice(1).map((a) => lookupArg(a, h));
      return (row) => {
        const root = document(row);
        if (root === undefined) return undefined;
        if (lookups.length === 0) return root;
        if (lookups.length === 1) return lookups[0]!(root, row);
        return lookups.map((l) => l(root, row) ?? null);
      };
    },
    nativeOf,
    'any',
  );
}

export const jsonFunctions: EvalFunction[] = [
  jsonFunction('json_object', 0, Infinity, 'json_object(key, value, ...): a JSON object of the key-value pairs, in order.', (args, h) => {
    requirePairs('json_object', 'key', args, 0, h);
    const members: { key: (row: Result) => string | null; value: (row: Result) => Json }[] = [];
    for (let i = 0; i < args.length; i += 2) members.push({ key: textArg('json_object', 'a key', args[i]!, h), value: valueArg(args[i + 1]!, h) });
    return (row) => {
      const obj: JsonObject = new Map();
      for (const m of members) {
        const key = m.key(row);
        if (key === null) return undefined;
        obj.set(key, m.value(row));
      }
      return obj;
    };
  }),
  jsonFunction('json_array', 0, Infinity, 'json_array(value, ...): a JSON array of the values, in order.', (args, h) => {
    const values = args.map((a) => valueArg(a, h));
    return (row) => values.map((v) => v(row));
  }),
  {
    name: 'json',
    minArgs: 1,
    maxArgs: 1,
    doc: 'json(x): x when it is valid JSON, else null; as an argument of a JSON function, its JSON value (not a string).',
    returns: 'any',
    compile: (args, h) => {
      const c = h.compile(args[0]!);
      const view = documentOf(c);
      // x is evaluated once a row: a JSON function's value is null exactly when it has no JSON; any other value is
      // JSON when its text parses.
      const parse = JSON_VIEWS.has(c) ? null : textParser();
      const out = limited('json', args, h, (row) => {
        const v = c(row);
        if (v === null || (parse !== null && parse(v) === undefined)) return null;
        // The value itself: a multivalue's first value is the one checked (as every scalar function reads it).
        return typeof v === 'boolean' ? String(v) : Array.isArray(v) ? (v[0] as Scalar) : v;
      });
      JSON_VIEWS.set(out, view);
      return out;
    },
  },
  {
    name: 'json_valid',
    minArgs: 1,
    maxArgs: 1,
    doc: 'json_valid(x): true when x is valid JSON, else false (null included).',
    returns: 'boolean',
    compile: (args, h) => {
      const view = documentArg(args[0]!, h);
      return limited('json_valid', args, h, (row) => view(row) !== undefined);
    },
  },
  jsonFunction('json_keys', 1, 1, 'json_keys(x): the keys of the JSON object x as a JSON array; null for anything else.', (args, h) => {
    const document = documentArg(args[0]!, h);
    return (row) => {
      const j = document(row);
      return j instanceof Map ? [...j.keys()] : undefined;
    };
  }),
  // Search Reference, JSON functions: json_entries "Converts a value to an array of JSON objects with key and value
  // fields", json_has_key_exact "Returns TRUE if the field value is a JSON key in the provided JSON object".
  jsonFunction('json_entries', 1, 1, 'json_entries(x): the members of the JSON object x as a JSON array of {"key": k, "value": v} objects, in order; null for anything else.', (args, h) => {
    const document = documentArg(args[0]!, h);
    return (row) => {
      const j = document(row);
      if (!(j instanceof Map)) return undefined;
      return [...j].map(([key, value]): Json => new Map<string, Json>([['key', key], ['value', value]]));
    };
  }),
  {
    name: 'json_has_key_exact',
    minArgs: 2,
    maxArgs: 2,
    doc: 'json_has_key_exact(x, key): true when the JSON object x has the top-level key, taken literally (dots included); false otherwise.',
    returns: 'boolean',
    compile: (args, h) => {
      const document = documentArg(args[0]!, h);
      const key = textArg('json_has_key_exact', 'a key', args[1]!, h);
      return limited('json_has_key_exact', args, h, (row) => {
        const j = document(row);
        const k = key(row);
        return j instanceof Map && k !== null && j.has(k);
      });
    },
  },
  extractFunction(
    'json_extract',
    'json_extract(x[, path, ...]): the value at the path ("a.b{0}.c"; `{}` is every element, as a JSON array), strings unquoted, objects/arrays as JSON text; several paths give a JSON array; null when absent or x is not JSON.',
    (e, h) => {
      const path = pathArg('json_extract', e, h);
      return (root, row) => {
        const ops = path(row);
        if (ops === null) return undefined;
        const found = select(root, ops);
        if (found.length === 0) return undefined;
        return ops.some((op) => op.kind === 'all') ? found : found[0];
      };
    },
  ),
  extractFunction(
    'json_extract_exact',
    'json_extract_exact(x[, key, ...]): the value of the top-level key taken literally (dots included), as json_extract gives it; several keys give a JSON array.',
    (e, h) => {
      const key = textArg('json_extract_exact', 'a key', e, h);
      return (root, row) => {
        const k = key(row);
        return root instanceof Map && k !== null ? root.get(k) : undefined;
      };
    },
  ),
  pathEditFunction(
    'json_set',
    'json_set(x, path, value, ...): the JSON document x with the value at each path set (missing keys of the path created; a path through something else is skipped).',
    (value) => ({ create: true, apply: () => value }),
  ),
  pathEditFunction(
    'json_append',
    'json_append(x, path, value, ...): x with the value appended to the array at each path (a scalar or object there becomes an array first); a path to nothing is skipped.',
    (value, budget) => ({
      create: false,
      apply: (old) => {
        budget.take(Array.isArray(old) ? old.length + 1 : 2);
        return Array.isArray(old) ? [...old, value] : [old!, value];
      },
    }),
  ),
  pathEditFunction(
    'json_extend',
    'json_extend(x, path, array, ...): x with the elements of the array appended to the array at each path (as json_append, one element per element).',
    (value, budget) =>
      Array.isArray(value)
        ? {
            create: false,
            apply: (old) => {
              budget.take((Array.isArray(old) ? old.length : 1) + value.length);
              return Array.isArray(old) ? [...old, ...value] : [old!, ...value];
            },
          }
        : null,
    elementsArg,
  ),
  jsonFunction('json_set_exact', 3, Infinity, 'json_set_exact(x, key, value, ...): the JSON object x with each top-level key (taken literally, dots included) set to its value.', (args, h) => {
    requirePairs('json_set_exact', 'key', args, 1, h);
    const document = documentArg(args[0]!, h);
    const members: { key: (row: Result) => string | null; value: (row: Result) => Json }[] = [];
    for (let i = 1; i < args.length; i += 2) members.push({ key: textArg('json_set_exact', 'a key', args[i]!, h), value: valueArg(args[i + 1]!, h) });
    return (row) => {
      const j = document(row);
      if (!(j instanceof Map)) return undefined;
      const obj = new Map(j);
      for (const m of members) {
        const key = m.key(row);
        if (key !== null) obj.set(key, m.value(row));
      }
      return obj;
    };
  }),
  jsonFunction('json_delete', 2, Infinity, 'json_delete(x, key, ...): the JSON document x without the keys ("a.b" is b inside a; no array indexes); a key may be a json_array() of keys.', (args, h) => {
    const document = documentArg(args[0]!, h);
    const keys = args.slice(1).map((a) => valueArg(a, h));
    return (row) => {
      let j = document(row);
      if (j === undefined) return undefined;
      // The objects this call copied, edited in place by its later keys: a key list as long as the object
      // (json_delete(o, json(keys))) costs one copy, not one per key.
      const owned = new Set<JsonObject>();
      for (const key of keys) {
        const k = key(row);
        for (const name of Array.isArray(k) ? k : [k]) {
          if (typeof name !== 'string') continue;
          const path = name.split('.');
          if (path.length <= MAX_JSON_DEPTH) j = deletePath(j, path, 0, owned);
        }
      }
      return j;
    };
  }),
  {
    name: 'json_array_to_mv',
    minArgs: 1,
    maxArgs: 2,
    doc: 'json_array_to_mv(x[, preserve_quotes]): the elements of the JSON array x as a multivalue (strings unquoted unless true(), objects/arrays as JSON text); null when x is not a JSON array.',
    returns: 'any',
    compile: (args, h) => {
      const document = documentArg(args[0]!, h);
      const quoted = flagArg('json_array_to_mv', 'its second argument (preserve quotes)', args[1], h);
      return limited('json_array_to_mv', args, h, (row, w) => {
        const j = document(row);
        if (!Array.isArray(j)) return null;
        const keepQuotes = quoted(row);
        // A JSON null is the text null, as KV_MODE=json gives it.
        return mv(j.map((el) => (typeof el === 'string' ? (keepQuotes ? w.text(el) : el) : (jsonScalar(el) ?? w.text(el)))));
      });
    },
  },
  jsonFunction(
    'mv_to_json_array',
    1,
    2,
    'mv_to_json_array(x[, infer_types]): the values of x as a JSON array of strings; with true(), each value read as JSON (quotes removed, numbers, true/false/null), null where it is not JSON.',
    (args, h) => {
      const c = h.compile(args[0]!);
      const infer = flagArg('mv_to_json_array', 'its second argument (infer types)', args[1], h);
      return (row) => {
        const values = evalValues(c(row));
        if (values.length === 0) return undefined;
        if (!infer(row)) return values.map(toText);
        return values.map((x) => (typeof x === 'number' ? x : (parseJson(x) ?? null)));
      };
    },
  ),
];
