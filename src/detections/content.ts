import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MacroLibrary, type MacroDefinition } from '../spl/macros/macros.js';
import type { LookupProvider, LookupTable } from '../spl/lookups.js';
import { parseCsv } from './csv.js';
import { readDetection, type Detection } from './detection.js';
import { YamlReader, type ContentProblem } from '../yaml/reader.js';
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
  const macros = new MacroLibrary();
  const tables = new Map<string, LookupTable>();
  const stories = new Map<string, Story>();
  const dataModels = new DataModelLibrary();
  const eventTypes = new EventTypeLibrary();

  for (const dir of dirs) {
    const part = (dir === BUNDLED_CONTENT_DIR ? bundledSnapshot() : null) ?? readContentDir(dir, shownPath);
    for (const def of part.macros) macros.define(def);
    for (const l of part.lookups) if (l.declared || !tables.has(l.table.name)) tables.set(l.table.name, l.table);
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
      for (const [k, existing] of byId) if (existing.name === d.name && k !== d.id) byId.delete(k);
      byId.set(d.id, d);
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
  stories: Story[];
  detections: Detection[];
  /** Data model and event type files, in file order. */
  dataModels: DataModelFile[];
  eventTypes: EventTypeFile[];
  problems: ContentProblem[];
}

/** How a content file is named in messages and `file` fields: relative to the working directory when inside it. */
export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

/** Reads one content directory; `show` names its files (in problems and `file` fields). */
export function readContentDir(dir: string, show: (file: string) => string): ContentDir {
  const out: ContentDir = { macros: [], lookups: [], stories: [], detections: [], dataModels: [], eventTypes: [], problems: [] };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    out.problems.push({ file: dir, line: 0, column: 0, severity: 'error', code: 'CONTENT_SCHEMA', message: 'content directory not found' });
    return out;
  }
  for (const file of yamlFiles(join(dir, 'macros'))) {
    const r = YamlReader.parse(readFileSync(file, 'utf8'), show(file));
    const top = r.top();
    if (r.ok) {
      const name = top.key('name').string({ required: true });
      const definition = top.key('definition').string({ required: true });
      const args = top.key('arguments').strings();
      if (name !== undefined && definition !== undefined) {
        const def: MacroDefinition = { name, args, definition, file: r.file };
        const d = top.key('description').string();
        if (d) def.description = d;
        out.macros.push(def);
      }
    }
    out.problems.push(...r.problems);
  }
  for (const file of yamlFiles(join(dir, 'lookups'))) {
    const r = YamlReader.parse(readFileSync(file, 'utf8'), show(file));
    const top = r.top();
    const name = top.key('name').string({ required: true });
    const filename = top.key('filename').string();
    if (name && filename) {
      const csv = join(dir, 'lookups', filename);
      if (!existsSync(csv)) top.key('filename').report(`lookup file ${filename} not found next to ${basename(file)}`);
      else {
        const cs = top.key('case_sensitive_match').string();
        out.lookups.push({ table: readLookupCsv(name, csv, cs === undefined ? true : cs !== 'false'), declared: true });
      }
    }
    out.problems.push(...r.problems);
  }
  for (const file of listFiles(join(dir, 'lookups'), (f) => f.endsWith('.csv'))) {
    out.lookups.push({ table: readLookupCsv(basename(file), file, true), declared: false });
  }
  for (const file of yamlFiles(join(dir, 'stories'))) {
    const r = YamlReader.parse(readFileSync(file, 'utf8'), show(file));
    const top = r.top();
    const name = top.key('name').string({ required: true });
    if (name) out.stories.push({ name, id: top.key('id').string() ?? null, description: top.key('description').string() ?? '', file: r.file });
    out.problems.push(...r.problems);
  }
  // Splunk's data model JSON is read by the same position-aware reader (JSON is YAML).
  for (const file of listFiles(join(dir, 'datamodels'), (f) => f.endsWith('.yml') || f.endsWith('.yaml') || f.endsWith('.json'))) {
    const r = YamlReader.parse(readFileSync(file, 'utf8'), show(file));
    const f = readDataModelFile(r);
    out.problems.push(...r.problems);
    if (f) out.dataModels.push(f);
  }
  for (const file of yamlFiles(join(dir, 'eventtypes'))) {
    const r = YamlReader.parse(readFileSync(file, 'utf8'), show(file));
    const f = readEventTypeFile(r);
    out.problems.push(...r.problems);
    if (f) out.eventTypes.push(f);
  }
  for (const file of listFiles(join(dir, 'detections'), (f) => f.endsWith('.yml') || f.endsWith('.yaml'), true)) {
    const r = YamlReader.parse(readFileSync(file, 'utf8'), show(file));
    const d = r.ok ? readDetection(r.top(), r.file) : null;
    out.problems.push(...r.problems);
    if (d) out.detections.push(d);
  }
  return out;
}

/**
 * The bundled content as JSON, made by the build (`npm run build:server` runs scripts/content-snapshot.mjs):
 * parsing its YAML costs most of a short command's start-up. The snapshot is used only when it is current:
 * it records a hash of every file under the bundled directory and the modification time of this compiled
 * module (a rebuild of the code without a new snapshot, or any edit of the content, and the YAML is read).
 * File names in it are relative to the content directory and shown as `shownPath` shows them on load.
 */
const SNAPSHOT_FILE = fileURLToPath(new URL('../content-snapshot.json', import.meta.url));
const SNAPSHOT_FORMAT = 2;

interface Snapshot {
  format: number;
  code: number;
  content: string;
  dir: ContentDir;
}

export function bundledSnapshot(file: string = SNAPSHOT_FILE): ContentDir | null {
  let snap: Snapshot;
  try {
    snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  } catch {
    return null; // none (a source checkout before its first build) or unreadable: the YAML is read instead
  }
  if (snap.format !== SNAPSHOT_FORMAT || snap.code !== codeStamp() || snap.content !== contentHash(BUNDLED_CONTENT_DIR)) return null;
  return withFiles(snap.dir, (rel) => shownPath(join(BUNDLED_CONTENT_DIR, rel)));
}

/** Writes the snapshot of the bundled content (the build's last step). */
export function writeBundledSnapshot(file: string = SNAPSHOT_FILE): void {
  const dir = readContentDir(BUNDLED_CONTENT_DIR, (f) => relative(BUNDLED_CONTENT_DIR, f));
  const snap: Snapshot = { format: SNAPSHOT_FORMAT, code: codeStamp(), content: contentHash(BUNDLED_CONTENT_DIR), dir };
  writeFileSync(file, JSON.stringify(snap));
}

const codeStamp = (): number => statSync(fileURLToPath(import.meta.url)).mtimeMs;

/** A hash of every file's path and bytes under `dir`. */
function contentHash(dir: string): string {
  const h = createHash('sha256');
  for (const f of listFiles(dir, () => true, true)) h.update(relative(dir, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

/** The directory with every file name (problems, macros, stories, detections) mapped. */
function withFiles(dir: ContentDir, map: (file: string) => string): ContentDir {
  return {
    macros: dir.macros.map((m) => (m.file === undefined ? m : { ...m, file: map(m.file) })),
    lookups: dir.lookups,
    stories: dir.stories.map((s) => ({ ...s, file: map(s.file) })),
    detections: dir.detections.map((d) => ({ ...d, file: map(d.file) })),
    dataModels: dir.dataModels.map((f) => relocateDataModelFile(f, map)),
    eventTypes: dir.eventTypes.map((f) => relocateEventTypeFile(f, map)),
    problems: dir.problems.map((p) => ({ ...p, file: map(p.file) })),
  };
}

function readLookupCsv(name: string, file: string, caseSensitive: boolean): LookupTable {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  const header = rows[0] ?? [];
  return {
    name,
    fields: header,
    rows: rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))),
    caseSensitive,
  };
}

function yamlFiles(dir: string): string[] {
  return listFiles(dir, (f) => f.endsWith('.yml') || f.endsWith('.yaml'));
}

function listFiles(dir: string, accept: (f: string) => boolean, recursive = false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && recursive) out.push(...listFiles(p, accept, true));
    else if (e.isFile() && accept(e.name)) out.push(p);
  }
  return out.sort();
}

/** Finds a detection by exact name, id, or case-insensitive name / snake name. */
export function findDetection(pack: ContentPack, key: string): Detection | undefined {
  const k = key.trim();
  return (
    pack.detections.find((d) => d.id === k || d.name === k) ??
    pack.detections.find((d) => d.name.toLowerCase() === k.toLowerCase() || d.filterMacro === `${k}_filter`)
  );
}
