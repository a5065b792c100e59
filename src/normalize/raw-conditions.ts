/**
 * Necessary conditions on `_raw` for a field to match a pattern, so a scan can skip lines before
 * parsing them. Contract: if `eventResult(e).get(field)` has a value whose text (toText) matches the
 * case-insensitive wildcard `pattern`, then `compileRawFilter(rawConditionFor(field, pattern))(e._raw)`
 * is true. Null means "no condition". Valid for fields of raw events only (before any eval/rename).
 *
 * Why it holds: every extracted value is (part of) a JSON string, number, boolean or null in `_raw`.
 * A run without `"`, `\`, control or non-ASCII characters appears as itself in `_raw` wherever it appears
 * in a string value, unless the line spells one of its characters with `\u` (or `/` as `\/`), which the
 * literals' guards allow for (events/scan.ts). Numbers are the exception (`1.0` in raw prints as `1`), so
 * runs that could belong to a number's printed form are not required unless the field holds a string.
 */
import type { RawFilter, RawRegex } from '../events/scan.js';

/** Default fields are checked by the metadata predicate, not the raw text. */
const METADATA_FIELDS = new Set(['_time', 'index', 'sourcetype', 'source', 'host']);

/**
 * Characters a pattern run is cut at: `"` and `\` (always escaped inside a JSON string), control characters
 * (`\n`, `\t`, ...) and non-ASCII ones (case folding beyond ASCII: `É` is `é`). Any other character appears
 * as itself unless the line holds a `\u` escape (`<`, `&`, `=`, `+`, `'`, even letters, may be written
 * so) or, for `/`, a `\/` escape: the literals' guards (events/scan.ts RawFilter) keep such lines.
 */
function isUnsafe(c: number): boolean {
  return c < 0x20 || c > 0x7e || c === 34 || c === 92;
}

/**
 * How a field's value sits in `_raw`:
 * string   — always a whole JSON string;
 * basename — the tail of a JSON string after its last `/` (or the whole string);
 * command  — two JSON strings joined by a space that is not in `_raw` (`binary + " " + arguments`);
 * path     — a whole JSON string, possibly with a `/` put in front that `_raw` lacks (file_path);
 * derived  — computed from the event (lower-cased, mapped, a timestamp): nothing of its text is in `_raw`;
 * any      — a JSON path: a string, number, boolean or null.
 */
type ValueKind = 'string' | 'basename' | 'command' | 'path' | 'derived' | 'any';

interface CimSpec {
  kind: ValueKind;
  /** Keys the event must contain for the CIM field to exist. */
  exists: RawFilter;
  /** The members (at any depth) whose string values the field's text comes from, when known (RawRegex `keys`). */
  keys?: readonly string[];
}

/** A key name: required, but present in nearly every event (marked so sources do not search for it first). */
const has = (key: string): RawFilter => ({ kind: 'contains', text: `"${key}"`, key: true });
const all = (...items: RawFilter[]): RawFilter => ({ kind: 'and', items });
const any = (...items: RawFilter[]): RawFilter => ({ kind: 'or', items });

const PARENT_BINARY = all(has('parent'), has('binary'));
const NODE = has('node_name');
const SRC_IP = any(has('source_ip'), has('saddr'));
// A connect kprobe's destination may be its sockaddr_arg's `addr`/`port`.
const DEST_IP = any(has('destination_ip'), has('daddr'), has('sockaddr_arg'));
const FILE_ARG = any(has('file_arg'), has('path_arg'));

/** The CIM fields of normalize/tetragon.ts; constants (and action, one of a few words) give no condition. */
const CIM = new Map<string, CimSpec | null>(Object.entries({
  action: null,
  // The node, or a connection's destination address.
  dest: { kind: 'string', exists: any(NODE, DEST_IP) },
  user: { kind: 'string', exists: all(has('user'), has('name')) },
  parent_user: { kind: 'string', exists: all(has('parent'), has('user'), has('name')) },
  process_guid: { kind: 'string', exists: has('exec_id') },
  parent_process_guid: { kind: 'string', exists: any(has('exec_id'), has('parent_exec_id')) },
  file_path: { kind: 'path', exists: all(has('path'), FILE_ARG) },
  file_name: { kind: 'basename', exists: all(has('path'), FILE_ARG) },
  file_acl: { kind: 'string', exists: all(has('permission'), FILE_ARG) },
  file_create_time: { kind: 'derived', exists: FILE_ARG },
  file_modify_time: { kind: 'derived', exists: FILE_ARG },
  file_access_time: { kind: 'derived', exists: FILE_ARG },
  src: { kind: 'string', exists: SRC_IP },
  transport: { kind: 'derived', exists: has('protocol') },
  protocol: { kind: 'derived', exists: any(SRC_IP, DEST_IP) },
  direction: null,
  dvc: { kind: 'string', exists: NODE },
  os: null,
  process: { kind: 'command', exists: has('binary'), keys: ['binary', 'arguments'] },
  process_name: { kind: 'basename', exists: has('binary'), keys: ['binary'] },
  process_exec: { kind: 'basename', exists: has('binary'), keys: ['binary'] },
  process_id: { kind: 'any', exists: has('pid') },
  process_path: { kind: 'string', exists: has('binary'), keys: ['binary'] },
  process_current_directory: { kind: 'string', exists: has('cwd') },
  user_id: { kind: 'any', exists: has('uid') },
  parent_process: { kind: 'command', exists: PARENT_BINARY, keys: ['binary', 'arguments'] },
  parent_process_name: { kind: 'basename', exists: PARENT_BINARY, keys: ['binary'] },
  parent_process_exec: { kind: 'basename', exists: PARENT_BINARY, keys: ['binary'] },
  parent_process_id: { kind: 'any', exists: all(has('parent'), has('pid')) },
  parent_process_path: { kind: 'string', exists: PARENT_BINARY, keys: ['binary'] },
  pod_name: { kind: 'string', exists: all(has('pod'), has('name')) },
  pod_namespace: { kind: 'string', exists: all(has('pod'), has('namespace')) },
  pod_image_name: { kind: 'string', exists: all(has('image'), has('name')) },
  container_id: { kind: 'string', exists: all(has('container'), has('id')) },
  cluster_name: { kind: 'string', exists: has('cluster_name') },
  node_name: { kind: 'string', exists: NODE },
  vendor_product: null,
  src_ip: { kind: 'string', exists: SRC_IP },
  dest_ip: { kind: 'string', exists: DEST_IP },
  src_port: { kind: 'any', exists: any(has('source_port'), has('sport')) },
  dest_port: { kind: 'any', exists: any(has('destination_port'), has('dport'), has('sockaddr_arg')) },
} satisfies Record<string, CimSpec | null>));

/** A run of safe characters cut from a pattern literal or a field name. */
interface Piece {
  text: string;
  /** Starts where the whole value (or name) starts. */
  atStart: boolean;
  /** Ends where the whole value (or name) ends. */
  atEnd: boolean;
}

/** Cuts `text` at unsafe characters (and at `extraBreak`), keeping where each piece sits. */
function pieces(text: string, isStart: boolean, isEnd: boolean, breakAt: (c: number) => boolean, out: Piece[]): void {
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && !breakAt(text.charCodeAt(i))) continue;
    if (i > start) out.push({ text: text.slice(start, i), atStart: isStart && start === 0, atEnd: isEnd && i === text.length });
    start = i + 1;
  }
}

function patternPieces(pattern: string, breakAt: (c: number) => boolean): Piece[] {
  const literals = pattern.split('*');
  const out: Piece[] = [];
  literals.forEach((lit, i) => pieces(lit, i === 0, i === literals.length - 1, breakAt, out));
  return out;
}

const contains = (text: string): RawFilter => ({ kind: 'contains', text });

/** Conjunction, with null meaning "no condition" (true). */
function and(items: (RawFilter | null)[]): RawFilter | null {
  const flat: RawFilter[] = [];
  for (const it of items) {
    if (it === null) continue;
    if (it.kind === 'and') flat.push(...it.items);
    else flat.push(it);
  }
  const seen = new Set<string>();
  const uniq = flat.filter((f) => {
    const k = JSON.stringify(f);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (uniq.length === 0) return null;
  return uniq.length === 1 ? (uniq[0] as RawFilter) : { kind: 'and', items: uniq };
}

/** Disjunction; any null branch (true) makes the whole disjunction null. */
function or(items: (RawFilter | null)[]): RawFilter | null {
  if (items.some((i) => i === null)) return null;
  const list = items as RawFilter[];
  const keys = new Set(list.map((f) => JSON.stringify(f)));
  if (keys.size === 1) return list[0] as RawFilter;
  return { kind: 'or', items: list };
}

const NUMBERISH = /^[0-9.eE+-]+$/;
const NON_STRING_RENDERINGS = ['true', 'false', 'null', 'infinity', '-infinity'];

/** Anchored, case-insensitive wildcard match for ASCII text, linear (no regex to compile). */
function wildcardMatchesAscii(pattern: string, text: string): boolean {
  const parts = pattern.toLowerCase().split('*');
  if (parts.length === 1) return parts[0] === text;
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  let pos = first.length;
  const end = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const mid = parts[i] as string;
    const at = text.indexOf(mid, pos);
    if (at === -1 || at + mid.length > end) return false;
    pos = at + mid.length;
  }
  return true;
}

/** Whether the pattern can match how a number, boolean or null prints (toText / json-fields). */
function couldMatchNonString(pattern: string): boolean {
  // Non-ASCII pattern characters may case-fold onto ASCII ones (ſ, ı): stay conservative.
  if (/[^\x00-\x7f]/.test(pattern)) return true;
  if (NON_STRING_RENDERINGS.some((r) => wildcardMatchesAscii(pattern, r))) return true;
  return /^[0-9.eE+-]*$/.test(pattern.replace(/\*/g, ''));
}

/** Whether a piece could be part of a number's printed form, which may differ from its raw text. */
function numberish(piece: string): boolean {
  return NUMBERISH.test(piece) || '-infinity'.includes(piece.toLowerCase());
}

/** Conditions on the value's text; [] when nothing can be said. */
function valueConditions(kind: ValueKind, pattern: string): RawFilter[] {
  if (kind === 'derived') return [];
  const loose = kind === 'any' && couldMatchNonString(pattern);
  const breakAt = kind === 'command' ? (c: number) => c === 32 || isUnsafe(c) : isUnsafe;
  const out: RawFilter[] = [];
  for (const p of patternPieces(pattern, breakAt)) {
    if (loose) {
      // Maybe a number: no quote anchors, and no runs its printed form could contain.
      if (p.text.length >= 2 && !numberish(p.text)) out.push(contains(p.text));
      continue;
    }
    const end = p.atEnd ? '"' : '';
    if (p.atStart && kind === 'basename') {
      // The basename starts after the binary's last `/`, or at the start of the string.
      out.push(any(contains('/' + p.text + end), contains('"' + p.text + end)));
    } else if (p.atStart && kind === 'path' && p.text.startsWith('/')) {
      // The leading `/` may be one put back (a rooted path written without it).
      out.push(any(contains('"' + p.text + end), contains('"' + p.text.slice(1) + end)));
    } else if (kind === 'path' && p.text.startsWith('/')) {
      // After a `*` the piece may still start the value, at a `/` put back: only the rest is certain.
      const rest = p.text.slice(1) + end;
      if (rest.length >= 2) out.push(contains(rest));
    } else if (p.atStart || p.atEnd) {
      out.push(contains((p.atStart ? '"' : '') + p.text + end));
    } else if (p.text.length >= 2) {
      out.push(contains(p.text));
    }
  }
  return out;
}

/**
 * Conditions for a JSON path to exist: its pieces between `.` and `{}` are parts of keys. Only the
 * name's very start and end are known key boundaries (keys may contain `.` or even `{}`).
 */
function pathConditions(field: string): RawFilter[] {
  const parts: Piece[] = [];
  const isSep = (c: number): boolean => c === 46 || c === 123 || c === 125 || isUnsafe(c);
  pieces(field, true, true, isSep, parts);
  const out: RawFilter[] = [];
  for (const p of parts) {
    const text = (p.atStart ? '"' : '') + p.text + (p.atEnd ? '"' : '');
    if (p.atStart || p.atEnd || p.text.length >= 2) out.push({ kind: 'contains', text, key: true });
  }
  return out;
}

function condition(field: string, pattern: string): RawFilter | null {
  if (METADATA_FIELDS.has(field) || field === '') return null;
  if (field === '_raw') {
    // `_raw` is the text itself: any ASCII run is in it (non-ASCII case folding differs, so cut there).
    return and(patternPieces(pattern, (c) => c > 0x7e).filter((p) => p.text.length >= 2).map((p) => contains(p.text)));
  }
  const spec = CIM.get(field);
  if (spec === null) return null;
  // Value conditions go first: they are rarer than key names, so a non-matching line fails sooner.
  // Any field may be a JSON path; a CIM name is one too when the CIM source is absent (event-result.ts).
  const asPath = and([...valueConditions('any', pattern), ...pathConditions(field)]);
  if (spec === undefined) return asPath;
  const asCim = and([...valueConditions(spec.kind, pattern), spec.exists]);
  const branches = or([asCim, asPath]);
  // A derived value's text is not in `_raw`, a path's leading `/` may not be: the pattern's runs are not
  // implied by both branches then.
  if (branches === null || branches.kind !== 'or' || spec.kind === 'derived' || spec.kind === 'path') return branches;
  return and([...commonPieces(pattern, couldMatchNonString(pattern)), branches]);
}

/**
 * Runs implied by both branches, hoisted in front of the disjunction so that a line lacking them
 * costs one scan instead of one per branch. The finest split (spaces and unsafe characters) yields
 * substrings of what every branch requires; runs that a loose branch drops (numberish) are left out.
 */
function commonPieces(pattern: string, someBranchLoose: boolean): RawFilter[] {
  return patternPieces(pattern, (c) => c === 32 || isUnsafe(c))
    .filter((p) => p.text.length >= 2 && !(someBranchLoose && numberish(p.text)))
    .map((p) => contains(p.text));
}

/**
 * A necessary condition on `_raw` for `field` to have a value matching `pattern` (case-insensitive,
 * `*` = any run). Null when nothing safe can be said.
 */
export function rawConditionFor(field: string, pattern: string): RawFilter | null {
  if (pattern === '') return null;
  return condition(field, pattern);
}

/**
 * A regular expression over a field's values, seen in the JSON text (spl/regex `rawTextRegex`): it matches
 * inside the JSON string holding any value the expression matches, following JSON's two-character escapes.
 */
export interface JsonTextRegex {
  source: string;
  flags: string;
  /** Some match may hold a space. */
  space: boolean;
  /** Every match holds a character that no number, boolean or null rendering has. */
  textOnly: boolean;
}

/**
 * A necessary condition on `_raw` for `field` to have a value a regular expression matches (the `regex`
 * command): `exact` is the expression itself (for `_raw`, which it then runs on), `relaxed` its JSON-text
 * form (null: none). The relaxed form holds wherever a value's match lies in one JSON string: not for a
 * command line (`process`) when a match may span the space that joins binary and arguments, not for a
 * derived value or a path with a `/` put in front, and not for a JSON path value unless no number can match.
 */
export function rawConditionForRegex(field: string, exact: { source: string; flags: string }, relaxed: JsonTextRegex | null): RawFilter | null {
  if (METADATA_FIELDS.has(field) || field === '') return null;
  if (field === '_raw') return { kind: 'regex', source: exact.source, flags: exact.flags, verbatim: true };
  const spec = CIM.get(field);
  if (spec === null) return null;
  const re = (keys: readonly string[] | null): RawRegex | null => {
    if (relaxed === null) return null;
    const r: RawRegex = { kind: 'regex', source: relaxed.source, flags: relaxed.flags };
    if (keys !== null) r.keys = keys;
    return r;
  };
  // As a JSON path, the value is a string (or, not matching a textOnly regex, a number, boolean or null) of a member
  // whose name ends the path.
  const asPath = and([relaxed?.textOnly === true ? re(pathKeys(field)) : null, ...pathConditions(field)]);
  if (spec === undefined) return asPath;
  const usable = relaxed !== null && (spec.kind === 'string' || spec.kind === 'basename' || (spec.kind === 'command' && relaxed.space === false));
  const cimKeys = spec.keys ?? null;
  if (usable && relaxed.textOnly) {
    // Required by both branches: tested once, in front (in the members of either).
    const keys = pathKeys(field);
    return and([re(cimKeys === null || keys === null ? null : [...new Set([...cimKeys, ...keys])]), or([spec.exists, and(pathConditions(field))])]);
  }
  return or([and([usable ? re(cimKeys) : null, spec.exists]), asPath]);
}

/**
 * The member names a JSON path's value may sit under: the name itself, or its end after a `.` (`a.b.c` is key `c`
 * of `a.b`, or `b.c` of `a`, or `a.b.c` itself). Null when the path goes through an array (`{}`) or has a
 * character JSON may only spell escaped.
 */
function pathKeys(field: string): string[] | null {
  for (let i = 0; i < field.length; i++) {
    const c = field.charCodeAt(i);
    if (isUnsafe(c) || c === 123 || c === 125) return null;
  }
  const keys = [field];
  for (let i = field.indexOf('.'); i >= 0; i = field.indexOf('.', i + 1)) if (i + 1 < field.length) keys.push(field.slice(i + 1));
  return keys;
}

/** A necessary condition on `_raw` for `field` to exist at all (for `field!=""`, `field=*`, `field!=x`). */
export function rawConditionForExists(field: string): RawFilter | null {
  if (field === '_raw') return null;
  return condition(field, '*');
}
