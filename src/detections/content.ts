import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argumentTokens, MACRO_ARGUMENT_NAME, MacroLibrary, type MacroDefinition } from '../spl/macros/macros.js';
import type { LookupProvider, LookupTable } from '../spl/lookups.js';
import { readDetection, warnUnknown, type Detection } from './detection.js';
import { listFiles, type ListingProblem } from './list-files.js';
import { readLookupDir, type LookupRefusal } from './lookup-files.js';
import { indentQuotedContinuations } from './yaml-compat.js';
import { lineColumn } from '../spl/source.js';
import { positionIn, YamlReader, type ContentProblem, type YamlNode } from '../yaml/reader.js';
import { DataModelLibrary, EventTypeLibrary } from '../datamodels/library.js';
import { readDataModelFile, readEventTypeFile, relocateDataModelFile, relocateEventTypeFile, type DataModelFile, type EventTypeFile } from '../datamodels/load.js';
import { SearchKnowledge } from '../spl/datamodel/knowledge.js';

/** An analytic story (security_content `stories/*.yml`). */
export interface Story {
  name: string;
  id: string | null;
  description: string;
  file: string;
}

/** Everything loaded from content directories, later directories overriding earlier ones. */
export interface ContentPack {
  detections: Detection[];
  macros: MacroLibrary;
  lookups: LookupProvider;
  stories: Story[];
  /** Data models (`datamodels/*.{yml,json}`) and event types (`eventtypes/*.yml`), and both compiled for searches. */
  dataModels: DataModelLibrary;
  eventTypes: EventTypeLibrary;
  knowledge: SearchKnowledge;
  problems: ContentProblem[];
  /** The directories, in load order (bundled first). */
  dirs: string[];
}

/** The content shipped with vigil (detections and macros for the Cisco Isovalent pack). */
export const BUNDLED_CONTENT_DIR = fileURLToPath(new URL('../../content', import.meta.url));

/**
 * Loads content directories laid out like splunk/security_content (`detections/**.yml`, `macros/*.yml`,
 * `lookups/*.{yml,csv}`, `stories/*.yml`). A later directory overrides an earlier one: a detection with
 * the same id or name replaces it, a macro with the same name and arity replaces it. Every detection
 * gets its `<name>_filter` macro (`search *`) unless some directory defines it. The bundled directory comes
 * from its build-time snapshot when that is current (see `bundledSnapshot`).
 */
export function loadContent(userDirs: readonly string[] = [], opts: { bundled?: boolean } = {}): ContentPack {
  const dirs = [...(opts.bundled === false ? [] : [BUNDLED_CONTENT_DIR]), ...userDirs];
  const problems: ContentProblem[] = [];
  const byId = new Map<string, Detection>();
  /** The id each name was last loaded under (a checkout has thousands of detections: no scan per detection). */
  const idByName = new Map<string, string>();
  const macros = new MacroLibrary();
  const tables = new Map<string, LookupTable>();
  /** Tables a directory defines but vigil refused: why (a later directory's table of the name wins). */
  const refusals = new Map<string, string>();
  const stories = new Map<string, Story>();
  const dataModels = new DataModelLibrary();
  const eventTypes = new EventTypeLibrary();

  for (const dir of dirs) {
    const part = (dir === BUNDLED_CONTENT_DIR ? bundledSnapshot() : null) ?? readContentDir(dir, shownPath);
    for (const def of part.macros) macros.define(def);
    for (const l of part.lookups) if (l.declared || !tables.has(l.table.name)) tables.set(l.table.name, l.table);
    for (const r of part.refusedLookups) refusals.set(r.name, `${r.why} (${r.file})`);
    for (const s of part.stories) stories.set(s.name, s);
    // A model of the same name replaces the one before; an extension adds to the current one.
    for (const f of part.dataModels) {
      if (f.kind === 'model') dataModels.define(f.model);
      else problems.push(...dataModels.extend(f.extension));
    }
    for (const f of part.eventTypes) {
      if (f.kind === 'eventtype') eventTypes.define(f.eventType);
      else eventTypes.remove(f.name);
    }
    for (const d of part.detections) {
      // Override by id, and by name (a renamed copy in a user directory also replaces the original).
      const sameName = idByName.get(d.name);
      if (sameName !== undefined && sameName !== d.id && byId.get(sameName)?.name === d.name) {
        byId.delete(sameName);
        // Also replacing another detection by id: that one disappeared without a word (a copy given another's id).
        const sameId = byId.get(d.id);
        if (sameId !== undefined && sameId.name !== d.name) {
          const message = `detection "${d.name}" replaces two: the one of its name (id ${sameName}) and "${sameId.name}", whose id it has`;
          problems.push({ file: d.file, line: 1, column: 1, severity: 'warning', code: 'CONTENT_SCHEMA', message });
        }
      }
      byId.set(d.id, d);
      idByName.set(d.name, d.id);
    }
    problems.push(...part.problems);
  }
  const detections = [...byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of detections) {
    macros.defineDefault({ name: d.filterMacro, args: [], definition: 'search *', description: `Filter for "${d.name}" (empty by default).` });
  }
  const lookups: LookupProvider = {
    get: (name) => tables.get(name) ?? tables.get(`${name}.csv`) ?? tables.get(name.replace(/\.csv$/, '')),
    names: () => [...tables.keys()],
    refusal: (name) => refusals.get(name),
  };
  // Compiled once all macros are known: constraints use them (`cim_Endpoint_indexes`).
  const knowledge = new SearchKnowledge({ dataModels, eventTypes, macros, lookups });
  problems.push(...knowledge.problems);
  return { detections, macros, lookups, stories: [...stories.values()], dataModels, eventTypes, knowledge, problems, dirs };
}

/** What one content directory holds, as plain data (so that the bundled one can be snapshotted as JSON). */
export interface ContentDir {
  macros: MacroDefinition[];
  /** Tables in load order: those a `lookups/*.yml` declares, then bare CSV files (which never replace a table of that name). */
  lookups: { table: LookupTable; declared: boolean }[];
  /** Lookup definitions vigil did not load (lookup-files.ts), so that a search using one says why. */
  refusedLookups: LookupRefusal[];
  stories: Story[];
  detections: Detection[];
  /** Data model and event type files, in file order. */
  dataModels: DataModelFile[];
  eventTypes: EventTypeFile[];
  problems: ContentProblem[];
}

/**
 * Whether a content file (as `file` fields and problems name it) is one of these content directories', or one of the
 * directories itself: the detections and problems `--no-bundled` keeps (`vigil test`, `vigil validate`) while the bundled
 * content still loads. A problem of the directory ("content directory not found") is its own: `vigil validate
 * --no-bundled --content <typo>` dropped it and passed, exit 0, having validated nothing.
 */
export function inContentDirs(dirs: readonly string[]): (file: string) => boolean {
  const roots = dirs.map((d) => resolve(d));
  return (file) => {
    const path = resolve(file);
    return roots.some((r) => path === r || path.startsWith(r + sep));
  };
}

/** How a content file is named in messages and `file` fields: relative to the working directory when inside it. */
export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

/**
 * A macro file's fields: contentctl's Macro and the SecurityContentObject fields it inherits (`deprecation_info` too), and
 * the `creation_date`/`modification_date` security_content's 2026 macro files carry instead of `date`.
 */
const MACRO_KEYS: ReadonlySet<string> = new Set([
  'name', 'definition', 'description', 'arguments', 'id', 'date', 'creation_date', 'modification_date', 'author', 'version', 'references', 'status',
  'deprecation_info',
]);

/**
 * What a macro file says that its expansion would silently not do (warnings): a field contentctl refuses
 * (`args:` for `arguments:`: the arguments were never substituted), a name carrying its own argument count (contentctl
 * and vigil add `(N)` from `arguments:`), a `$token$` of its definition that is none of its arguments (left as written:
 * a typo of one), an argument its definition never uses.
 */
function lintMacro(r: YamlReader, name: string, args: string[], definition: string, problems: ContentProblem[]): void {
  const top = r.top();
  warnUnknown(top, 'macro', (k) => MACRO_KEYS.has(k));
  const counted = /^(.*)\((\d+)\)$/.exec(name);
  if (counted) {
    top.key('name').report(`macro name "${name}" carries an argument count: name it "${counted[1]}" and list its ${counted[2]} argument(s) under arguments: (the count is added from them, as contentctl does)`, 'warning');
  }
  const runs = top.key('definition').valueRuns();
  const used = new Set<string>();
  const argSet = new Set(args);
  // Said at most MAX_MACRO_LINTS times each, then counted: a hostile file's 200,000 arguments never used were as many warnings.
  const named = args.length > MAX_MACRO_LINTS ? `${args.slice(0, MAX_MACRO_LINTS).join(', ')} and ${args.length - MAX_MACRO_LINTS} more` : args.join(', ');
  let strays = 0;
  for (const { name: t, index, argument } of argumentTokens(definition, (n) => argSet.has(n))) {
    used.add(t);
    if (argument || ++strays > MAX_MACRO_LINTS) continue;
    const { line, column } = positionIn(runs, index);
    const has = args.length ? `its arguments are ${named}` : 'it has no arguments:';
    problems.push({ file: r.file, line, column, severity: 'warning', code: 'CONTENT_LINT', message: `macro \`${name}\`: $${t}$ is none of its arguments (${has}): it is left in the search as written` });
  }
  if (strays > MAX_MACRO_LINTS) top.key('definition').report(`macro \`${name}\`: ${strays - MAX_MACRO_LINTS} more $tokens$ that are none of its arguments`, 'warning');
  const argNodes = top.key('arguments').list();
  const unused = args.flatMap((a, i) => (used.has(a) ? [] : [i]));
  for (const i of unused.slice(0, MAX_MACRO_LINTS)) argNodes[i]?.report(`macro \`${name}\`: argument "${args[i]}" is never used in its definition (no $${args[i]}$)`, 'warning');
  if (unused.length > MAX_MACRO_LINTS) top.key('arguments').report(`macro \`${name}\`: ${unused.length - MAX_MACRO_LINTS} more arguments never used in its definition`, 'warning');
}

/** Lints of one kind said per macro file; the rest are counted. */
const MAX_MACRO_LINTS = 10;

/**
 * macros.conf.spec, `args`: names of "alphanumeric characters, underscores ( _ ), and hyphens ( - )", and "cannot contain
 * any repeated elements". Splunk does not save such a macro; vigil reports it at the argument and does not load it (a
 * repeated name took the last value, `$a b$` was never substituted).
 */
function macroArguments(node: YamlNode): string[] | null {
  let valid = true;
  const args: string[] = [];
  const seen = new Set<string>();
  for (const item of node.list()) {
    const a = item.string();
    if (a === undefined) continue;
    if (!MACRO_ARGUMENT_NAME.test(a)) {
      item.report(`macro argument name "${a}" may only have letters, digits, _ and - (macros.conf)`);
      valid = false;
    } else if (seen.has(a)) {
      item.report(`macro argument "${a}" is listed twice (macros.conf: no repeated arguments)`);
      valid = false;
    }
    args.push(a);
    seen.add(a);
  }
  return valid ? args : null;
}

/** Reads one content directory; `show` names its files (in problems and `file` fields). */
/** The folders of a content directory vigil reads. */
const CONTENT_FOLDERS = ['detections', 'macros', 'lookups', 'stories', 'datamodels', 'eventtypes'];

export function readContentDir(dir: string, show: (file: string) => string): ContentDir {
  const out: ContentDir = { macros: [], lookups: [], refusedLookups: [], stories: [], detections: [], dataModels: [], eventTypes: [], problems: [] };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    const found = existsSync(dir);
    out.problems.push({ file: dir, line: 0, column: 0, severity: 'error', code: found ? 'CONTENT_SCHEMA' : 'CONTENT_NOT_FOUND', message: found ? 'not a content directory (a file)' : 'content directory not found' });
    return out;
  }
  const listing: ListingProblem = (path, message, severity) => out.problems.push({ file: show(path), line: 0, column: 0, severity, code: 'CONTENT_SCHEMA', message });
  // `--content my-content/detections` (the folder, not the content's root) loaded nothing and said nothing: `vigil test` ran
  // no test and passed.
  if (!CONTENT_FOLDERS.some((f) => existsSync(join(dir, f)))) {
    const message = `none of ${CONTENT_FOLDERS.map((f) => `${f}/`).join(', ')} is in this directory: nothing is loaded from it (--content takes the content's root, laid out as security_content's)`;
    out.problems.push({ file: dir, line: 0, column: 0, severity: 'warning', code: 'CONTENT_SCHEMA', message });
  }
  // One file's problem (unreadable, not YAML) is reported on it and never stops the others.
  const parse = (file: string) => parseYamlFile(file, show, out.problems);
  for (const file of yamlFiles(join(dir, 'macros'), listing)) {
    const r = parse(file);
    if (!r) continue;
    const top = r.top();
    if (r.ok) {
      const name = top.key('name').string({ required: true });
      const definition = top.key('definition').string({ required: true });
      const args = macroArguments(top.key('arguments'));
      if (name !== undefined && definition !== undefined && args !== null) {
        lintMacro(r, name, args, definition, out.problems);
        const def: MacroDefinition = { name, args, definition, file: r.file };
        const d = top.key('description').string();
        if (d) def.description = d;
        out.macros.push(def);
      }
    }
    out.problems.push(...r.problems);
  }
  out.lookups.push(...readLookupDir(join(dir, 'lookups'), parse, out.problems, listing, out.refusedLookups));
  for (const file of yamlFiles(join(dir, 'stories'), listing)) {
    const r = parse(file);
    if (!r) continue;
    const top = r.top();
    const name = top.key('name').string({ required: true });
    if (name) out.stories.push({ name, id: top.key('id').string() ?? null, description: top.key('description').string() ?? '', file: r.file });
    out.problems.push(...r.problems);
  }
  // Splunk's data model JSON is read by the same position-aware reader (JSON is YAML).
  for (const file of listFiles(join(dir, 'datamodels'), (f) => f.endsWith('.yml') || f.endsWith('.yaml') || f.endsWith('.json'), false, listing)) {
    const r = parse(file);
    if (!r) continue;
    const f = readDataModelFile(r);
    out.problems.push(...r.problems);
    if (f) out.dataModels.push(f);
  }
  for (const file of yamlFiles(join(dir, 'eventtypes'), listing)) {
    const r = parse(file);
    if (!r) continue;
    const f = readEventTypeFile(r);
    out.problems.push(...r.problems);
    if (f) out.eventTypes.push(f);
  }
  // Deprecated detections are not built into ESCU (security_content keeps them in detections/deprecated/).
  const deprecatedDir = join(dir, 'detections', 'deprecated') + sep;
  for (const file of listFiles(join(dir, 'detections'), (f) => f.endsWith('.yml') || f.endsWith('.yaml'), true, listing)) {
    if (file.startsWith(deprecatedDir)) continue;
    const r = parse(file);
    if (!r) continue;
    const d = r.ok ? readDetection(r.top(), r.file) : null;
    out.problems.push(...r.problems);
    if (d && d.status?.toLowerCase() !== 'deprecated') out.detections.push(d);
  }
  out.problems.push(...collisions(out));
  return out;
}

/**
 * Two files of one directory defining the same detection (id or name) or macro (name and arity): the later silently
 * replaced the earlier (a copied detection whose id was not changed removed the original). An error at the later file,
 * naming the earlier; across directories a later one overrides, as documented.
 */
function collisions(dir: ContentDir): ContentProblem[] {
  const out: ContentProblem[] = [];
  const seen = new Map<string, string>();
  const clash = (key: string, file: string, what: string) => {
    const first = seen.get(key);
    if (first === undefined) seen.set(key, file);
    else if (first !== file) out.push({ file, line: 1, column: 1, severity: 'error', code: 'CONTENT_SCHEMA', message: `${what} is also in ${first}: one would silently replace the other` });
  };
  for (const d of dir.detections) {
    clash(`id\u0000${d.id}`, d.file, `detection id ${d.id}`);
    clash(`name\u0000${d.name}`, d.file, `detection name "${d.name}"`);
  }
  for (const m of dir.macros) if (m.file !== undefined) clash(`macro\u0000${m.name}\u0000${m.args.length}`, m.file, `macro \`${m.name}\`${m.args.length ? ` (${m.args.length} arguments)` : ''}`);
  return out;
}

/**
 * The bundled content as JSON, made by the build (`npm run build:server` runs scripts/content-snapshot.mjs):
 * loading the yaml package and parsing the content is about a fifth of a short command. The snapshot is
 * used only while it is current: at least as new as this compiled module (code rebuilt without a new
 * snapshot reads the YAML) and as every file under the content directory, which must be the files it was
 * made from with their sizes (an edit, an added or a removed file and the YAML is read). Checking costs a
 * stat per file: hashing the files' bytes cost more than the parse it saves on a cold start, and mtimes are
 * compared only with each other, so a package whose files all carry one mtime (npm pack) keeps its snapshot.
 * File names in it are relative to the content directory and shown as `shownPath` shows them on load.
 */
const SNAPSHOT_FILE = fileURLToPath(new URL('../content-snapshot.json', import.meta.url));
const SNAPSHOT_FORMAT = 6; // 4: detections carry `positions`; 5: and their risk messages'; 6: refusedLookups

interface Snapshot {
  format: number;
  /** Every file under the content directory (relative path) and its size. */
  files: Record<string, number>;
  dir: ContentDir;
}

export function bundledSnapshot(file: string = SNAPSHOT_FILE): ContentDir | null {
  let snap: Snapshot;
  let written: number;
  try {
    written = statSync(file).mtimeMs;
    snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  } catch {
    return null; // none (a source checkout before its first build) or unreadable: the YAML is read instead
  }
  if (snap.format !== SNAPSHOT_FORMAT || statSync(fileURLToPath(import.meta.url)).mtimeMs > written) return null;
  const files = listFiles(BUNDLED_CONTENT_DIR, () => true, true);
  if (files.length !== Object.keys(snap.files).length) return null;
  for (const f of files) {
    const st = statSync(f);
    // listFiles joins under the directory: its names are the path past it (path.relative, cold, costs ~50 us a call).
    if (st.mtimeMs > written || snap.files[f.slice(BUNDLED_CONTENT_DIR.length + 1)] !== st.size) return null;
  }
  // One relative() for the directory rather than one per name: a file under a directory within the working
  // directory is shown as the directory's shown path joined with its name.
  const base = shownPath(BUNDLED_CONTENT_DIR);
  const show = isAbsolute(base) ? (rel: string) => shownPath(join(BUNDLED_CONTENT_DIR, rel)) : (rel: string) => join(base, rel);
  return withFiles(snap.dir, show);
}

/** Writes the snapshot of the bundled content (the build's last step). */
export function writeBundledSnapshot(file: string = SNAPSHOT_FILE): void {
  const dir = readContentDir(BUNDLED_CONTENT_DIR, (f) => relative(BUNDLED_CONTENT_DIR, f));
  const files = Object.fromEntries(listFiles(BUNDLED_CONTENT_DIR, () => true, true).map((f) => [relative(BUNDLED_CONTENT_DIR, f), statSync(f).size]));
  const snap: Snapshot = { format: SNAPSHOT_FORMAT, files, dir };
  writeFileSync(file, JSON.stringify(snap));
}

/** The directory with every file name (problems, macros, stories, detections) mapped. */
function withFiles(dir: ContentDir, map: (file: string) => string): ContentDir {
  return {
    macros: dir.macros.map((m) => (m.file === undefined ? m : { ...m, file: map(m.file) })),
    lookups: dir.lookups,
    refusedLookups: dir.refusedLookups.map((r) => ({ ...r, file: map(r.file) })),
    stories: dir.stories.map((s) => ({ ...s, file: map(s.file) })),
    detections: dir.detections.map((d) => ({ ...d, file: map(d.file) })),
    dataModels: dir.dataModels.map((f) => relocateDataModelFile(f, map)),
    eventTypes: dir.eventTypes.map((f) => relocateEventTypeFile(f, map)),
    problems: dir.problems.map((p) => ({ ...p, file: map(p.file) })),
  };
}

/**
 * The largest YAML or JSON content file read: the parsed tree costs about 30 times the file (a 100 MB
 * description took 3.4 GB and 13 s); security_content's largest files, and Splunk's CIM data model JSON, are
 * well under 1 MB. CSV lookups are not YAML and have no such limit.
 */
const MAX_CONTENT_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A content file parsed, or null when it cannot be read (reported in `problems`). A file that is not valid
 * YAML 1.2 only because of PyYAML-style quoted continuation lines is read as security_content's tooling
 * reads it (see indentQuotedContinuations).
 */
function parseYamlFile(file: string, show: (file: string) => string, problems: ContentProblem[]): YamlReader | null {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONTENT_FILE_BYTES) {
      problems.push({ file: show(file), line: 0, column: 0, severity: 'error', code: 'CONTENT_YAML', message: `the file is ${size} bytes: content files are read up to ${MAX_CONTENT_FILE_BYTES} (not read)` });
      return null;
    }
    const bytes = readFileSync(file);
    text = bytes.toString('utf8');
    // A byte order mark (Windows editors write one) is no column: line 1's positions are counted after it, as editors count.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (!isUtf8(bytes)) {
      // Read on, as Splunk would not: a Latin-1 "café" in a search would silently never match.
      const at = Math.max(0, text.indexOf('\ufffd'));
      const { line, column } = lineColumn(text, at);
      problems.push({ file: show(file), line, column, severity: 'warning', code: 'CONTENT_YAML', message: 'the file is not UTF-8: its invalid bytes are read as U+FFFD (save it as UTF-8)' });
    }
  } catch (e) {
    problems.push({ file: show(file), line: 0, column: 0, severity: 'error', code: 'CONTENT_YAML', message: `cannot read the file: ${(e as Error).message}` });
    return null;
  }
  const r = YamlReader.parse(text, show(file));
  if (r.ok) return r;
  const lenient = indentQuotedContinuations(text);
  const again = lenient === null ? null : YamlReader.parse(lenient, show(file));
  return again?.ok ? again : r;
}

function yamlFiles(dir: string, report?: ListingProblem): string[] {
  return listFiles(dir, (f) => f.endsWith('.yml') || f.endsWith('.yaml'), false, report);
}

/**
 * Finds a detection by exact name or id, else by case-insensitive name or id (RFC 4122: a UUID's hex digits are
 * "case insensitive on input", so an id copied in upper case names the same detection) or snake name.
 */
export function findDetection(pack: ContentPack, key: string): Detection | undefined {
  const k = key.trim();
  const lower = k.toLowerCase();
  return (
    pack.detections.find((d) => d.id === k || d.name === k) ??
    pack.detections.find((d) => d.name.toLowerCase() === lower || d.id.toLowerCase() === lower || d.filterMacro === `${k}_filter`)
  );
}
